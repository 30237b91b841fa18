"""The error boundary: every user mistake is one line, a documented exit code, no traceback and
an unchanged database; a bug is a traceback and exit 70."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from factdb.cli import app
from factdb.db import make_engine
from factdb.errors import NotFound
from tests.conftest import create_pg_database, drop_pg_database, quickstart_file

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def one_line(err: str) -> str:
    """The whole of stderr, asserted to be a single ``Error:`` line without a traceback."""
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("Error: "), err
    return lines[0]


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def seeded_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A quickstart database, built once; tests copy it before changing anything."""
    return quickstart_file(tmp_path_factory.mktemp("seeded") / "factdb.sqlite3")


@pytest.fixture
def db_copy(seeded_file: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy.sqlite3"
    shutil.copy(seeded_file, target)
    return target


BAD_OPTION_VALUES = [
    ["report", "briefing", "-f", "xml"],
    ["report", "entity", "bulgaria", "-f", "JSON"],
    ["report", "trade", "-f", "xml"],
    ["report", "trade", "--year", "abc"],
    ["report", "timeline", "--from", "May"],
    ["search", "japan", "-f", "xml"],
    ["sql", "SELECT 1", "-f", "xml"],
    ["report", "nosuchreport"],
    ["report", "trade", "--no-such-option"],
]


@pytest.mark.parametrize("args", BAD_OPTION_VALUES, ids=[" ".join(a) for a in BAD_OPTION_VALUES])
def test_bad_option_values_are_one_line_exit_2(args: list[str], db_copy: Path) -> None:
    before = digest(db_copy)
    code, out, err = invoke(*args, "--db", str(db_copy))
    assert code == 2, err
    one_line(err)
    assert out == ""
    assert digest(db_copy) == before


def test_a_read_never_creates_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FACTDB_URL")
    for args in (["report", "briefing"], ["verify"], ["sql", "SELECT 1"], ["search", "x"]):
        code, _, err = invoke(*args)
        line = one_line(err)
        assert code == 1
        assert str(tmp_path / "factdb.sqlite3") in line and "factdb quickstart" in line
        assert list(tmp_path.iterdir()) == [], f"{args} created {list(tmp_path.iterdir())}"


@pytest.mark.parametrize(
    "args",
    [
        ["verify"],
        ["coverage", "alojapan-radev-japanese-investments"],
        ["report", "briefing"],
        ["report", "trade"],
    ],
)
def test_an_unmigrated_database_says_to_upgrade(args: list[str], tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite3"
    sa.create_engine(f"sqlite:///{path}").connect().close()
    before = digest(path)
    code, _, err = invoke(*args, "--db", str(path))
    assert code == 1
    assert "factdb db upgrade" in one_line(err)
    assert digest(path) == before


@pytest.mark.parametrize(
    "url",
    ["mysql://root:s3cret@localhost/db", "oracle://u:s3cret@h/x", "u:s3cret@host/db"],
)
def test_unsupported_urls_are_refused_without_the_password(url: str) -> None:
    code, _, err = invoke("report", "trade", "--db", url)
    assert code == 1
    line = one_line(err)
    assert "s3cret" not in line
    assert "SQLite" in line or "postgresql://" in line


def test_db_before_the_subcommand_and_a_plain_path(db_copy: Path) -> None:
    code, out, err = invoke("--db", str(db_copy), "report", "trade", "-f", "json")
    assert code == 0, err
    assert "Bulgaria" in out
    code, out2, err = invoke("report", "trade", "-f", "json", "--db", str(db_copy))
    assert code == 0 and out2 == out


def test_interrupt_is_one_line_exit_130(db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import factdb.factfiles.loader as loader

    def interrupted(*_args: object, **_kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(loader, "load", interrupted)
    before = digest(db_copy)
    code, _, err = invoke("seed", "--db", str(db_copy))
    assert code == 130
    assert "interrupted; nothing was written" in one_line(err)
    assert digest(db_copy) == before


def test_a_bug_is_a_traceback_exit_70(db_copy: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import factdb.verify as verify

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("postgresql://u:s3cret@h/db broke")

    monkeypatch.setattr(verify, "verify", broken)
    code, _, err = invoke("verify", "--db", str(db_copy))
    assert code == 70
    assert "Traceback" in err and "RuntimeError" in err and "bug in factdb" in err
    assert "s3cret" not in err


def test_debug_shows_the_traceback_of_a_user_error(
    db_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, _, err = invoke("report", "entity", "atlantis", "--db", str(db_copy))
    assert code == 1 and "atlantis" in one_line(err)
    code, _, err = invoke("--debug", "report", "entity", "atlantis", "--db", str(db_copy))
    assert code == 1 and "Traceback" in err and NotFound.__name__ in err
    monkeypatch.setenv("FACTDB_DEBUG", "1")
    code, _, err = invoke("report", "entity", "atlantis", "--db", str(db_copy))
    assert code == 1 and "Traceback" in err


@pytest.fixture
def pg_without_privileges(pg_admin_url: str) -> Iterator[tuple[str, str]]:
    """A migrated PostgreSQL database, and the URL of a user who may only connect to it."""
    from factdb import migrate

    url = create_pg_database(pg_admin_url)
    migrate.upgrade(make_engine(url))
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    user = f"nobody_{sa.engine.make_url(url).database}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {user} LOGIN PASSWORD 's3cret'")
        conn.exec_driver_sql(
            f'GRANT CONNECT ON DATABASE "{sa.engine.make_url(url).database}" TO {user}'
        )
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA public TO {user}")
        conn.exec_driver_sql(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {user}")
    user_url = (
        sa.engine.make_url(url)
        .set(username=user, password="s3cret")
        .render_as_string(hide_password=False)
    )
    try:
        yield url, user_url
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {user}")
        drop_pg_database(pg_admin_url, url)
        with sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {user}")
        admin.dispose()


def test_missing_privilege_is_exit_4(pg_without_privileges: tuple[str, str]) -> None:
    url, user_url = pg_without_privileges
    code, _, err = invoke("seed", "--db", user_url)
    assert code == 4
    line = one_line(err)
    assert ("permission denied" in line or "lacks INSERT" in line) and "s3cret" not in line
    with sa.create_engine(url).connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM entities")) == 0


def test_a_statement_cancelled_by_ctrl_c_is_an_interrupt(
    db_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL, Ctrl-C during a statement can arrive as the server's "canceling statement
    due to user request" (psycopg sent the cancel): that is an interrupt too, not a bug."""
    import factdb.verify as verify

    class QueryCanceled(Exception):
        sqlstate = "57014"

    class Wrapped(Exception):
        orig = QueryCanceled("canceling statement due to user request")

    def cancelled(*_args: object, **_kwargs: object) -> None:
        raise Wrapped("(psycopg.errors.QueryCanceled) canceling statement due to user request")

    monkeypatch.setattr(verify, "verify", cancelled)
    code, _, err = invoke("verify", "--db", str(db_copy))
    assert code == 130
    assert "interrupted; nothing was written" in one_line(err)
