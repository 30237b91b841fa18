"""Database URLs and connections: plain paths, refused schemes, passwords never printed, reads
that never create files or leave files another user cannot write."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from factdb.config import normalise_url, redact
from factdb.db import connect, make_engine
from factdb.errors import DatabaseMissing, UnsupportedDatabase
from tests.conftest import quickstart_file

SECRET = "s3cret"


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://alice:s3cret@db.example:5432/factdb",
        "postgresql+psycopg://alice:s3cret@db/factdb?sslmode=require",
        "postgresql://alice:p@s3cret@db/factdb",  # an unencoded "@" inside the password
        "postgresql://alice:s3cret@@db/factdb",
        "postgresql://alice@db/factdb?password=s3cret",
        "postgresql://alice@db/factdb?sslmode=require&password=s3cret&x=1",
        "alice:s3cret@db/factdb",  # no scheme
        "connection failed: host=db user=alice password=s3cret dbname=factdb",
        "could not use 'postgresql://alice:s3cret@db/factdb': bad",
    ],
)
def test_redact_hides_every_form_of_password(text: str) -> None:
    assert SECRET not in redact(text)
    assert "***" in redact(text)


def test_redact_keeps_what_is_not_a_password() -> None:
    for text in (
        "postgresql://db.example:5432/factdb",
        "seeds/x.yaml:12:3: entities[0].kind: not a kind",
        "sqlite:////tmp/factdb.sqlite3",
    ):
        assert redact(text) == text


def test_plain_paths_are_sqlite_files(tmp_path: Path) -> None:
    assert normalise_url("factdb.sqlite3") == "sqlite:///factdb.sqlite3"
    assert normalise_url(f"{tmp_path}/a b.db") == f"sqlite:///{tmp_path}/a b.db"
    odd = tmp_path / "odd#name?.db"
    engine = make_engine(normalise_url(str(odd)))
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x)")
    engine.dispose()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd#name?.db"]


@pytest.mark.parametrize("url", ["mysql://u:s3cret@h/db", "mssql+pyodbc://h/db", "u:s3cret@h/db"])
def test_unsupported_urls(url: str) -> None:
    with pytest.raises(UnsupportedDatabase) as caught:
        make_engine(normalise_url(url))
    assert SECRET not in str(caught.value)


def test_reading_a_missing_file_creates_nothing(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'missing.sqlite3'}")
    with pytest.raises(DatabaseMissing, match="factdb quickstart"), connect(engine, read_only=True):
        pass
    assert list(tmp_path.iterdir()) == []


def test_a_bad_connect_option_is_one_line() -> None:
    from factdb.errors import DatabaseUnreachable

    engine = make_engine(normalise_url("postgresql://u:s3cret@127.0.0.1:1/db?connect_timeout=abc"))
    with pytest.raises(DatabaseUnreachable) as caught, connect(engine):
        pass
    assert SECRET not in str(caught.value)


# --- another operating-system user reading a shared file ------------------------------------

NOBODY = 65534


def _as_nobody(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m factdb ARGS`` as the unprivileged user ``nobody``.

    The interpreter of a virtual environment may live under a directory ``nobody`` cannot
    enter, so the base interpreter runs with this checkout and the environment's packages on
    its path.
    """
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    interpreter = next(
        (p for p in _interpreters(version) if _world_executable(p)), Path(sys.executable)
    )
    paths = [str(Path(__file__).resolve().parent.parent), sysconfig.get_paths()["purelib"]]
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "PYTHONPATH": os.pathsep.join(paths)}
    return subprocess.run(
        [str(interpreter), "-m", "factdb", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        preexec_fn=lambda: (os.setgid(NOBODY), os.setuid(NOBODY)),
    )


def _interpreters(version: str) -> list[Path]:
    return [
        Path(sys.base_prefix) / "bin" / version,
        Path("/usr/bin") / version,
        Path("/usr/local/bin") / version,
    ]


def _world_executable(path: Path) -> bool:
    """True when every directory up to ``path`` and the file itself let anyone in."""
    try:
        real = path.resolve(strict=True)
    except OSError:
        return False
    return all(p.stat().st_mode & 0o001 for p in [real, *real.parents])


def _nobody_can_run_python(tmp_path: Path) -> bool:
    return _as_nobody("--version", cwd=tmp_path).returncode == 0


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A seeded database owned by this user in a directory other users can enter."""
    if os.geteuid() != 0:
        pytest.fail("these tests switch to another user and need to run as root, as CI does")
    top = Path(tempfile.mkdtemp(prefix="factdb-shared-", dir="/tmp"))
    top.chmod(0o755)
    directory = top / "shared"
    directory.mkdir()
    quickstart_file(directory / "f.sqlite3")  # as the owner would run it
    assert sorted(p.name for p in directory.iterdir()) == ["f.sqlite3"]
    (directory / "f.sqlite3").chmod(0o644)
    if not _nobody_can_run_python(top):
        pytest.fail("the user nobody cannot run this Python; see _as_nobody")
    try:
        yield directory
    finally:
        directory.chmod(0o755)
        shutil.rmtree(top)


def test_an_analyst_in_a_read_only_directory_can_read(shared_dir: Path) -> None:
    shared_dir.chmod(0o555)
    done = _as_nobody("report", "trade", "--db", str(shared_dir / "f.sqlite3"), cwd=shared_dir)
    assert done.returncode == 0, done.stderr
    assert "Bulgaria" in done.stdout


def test_an_analyst_leaves_no_file_the_owner_cannot_write(shared_dir: Path) -> None:
    shared_dir.chmod(0o777)  # the analyst could create files here
    for args in (["report", "trade"], ["verify"], ["search", "japan"]):
        done = _as_nobody(*args, "--db", str(shared_dir / "f.sqlite3"), cwd=shared_dir)
        assert done.returncode == 0, done.stderr
        owned = [p.name for p in shared_dir.iterdir() if p.stat().st_uid == NOBODY]
        assert owned == [], f"{args} left {owned} owned by the analyst"
    mode = stat.S_IMODE((shared_dir / "f.sqlite3").stat().st_mode)
    assert mode == 0o644


def test_odd_characters_in_a_path_create_no_stray_file(tmp_path: Path) -> None:
    """``#`` and ``?`` end a URI's path: every read, ``factdb sql`` included, must still open
    the file named and create nothing beside it."""
    from typer.testing import CliRunner

    from factdb.cli import app

    odd = quickstart_file(tmp_path / "team#1?.sqlite3")
    before = sorted(p.name for p in tmp_path.iterdir())
    runner = CliRunner()
    for args in (["sql", "SELECT count(*) FROM v_trade"], ["report", "trade"], ["verify"]):
        result = runner.invoke(app, [*args, "--db", str(odd)])
        assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == before == ["team#1?.sqlite3"]
