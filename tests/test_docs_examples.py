"""Every documented example works: each SQL block of the docs runs on both backends and returns
rows, and each ``factdb`` command of the README and docs runs on a quickstart database with no
traceback.

Commands that name a placeholder (a server at example.org, ``path/to``, a file the reader
would bring) illustrate a shape and are not run; the list of what was skipped is asserted to
stay small so that examples do not drift into placeholders.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb.cli import app
from tests.conftest import quickstart_file

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# A server at example.org, or a file or folder the reader brings: shapes, not runnable as such.
PLACEHOLDERS = ("example.org", "path/to", "FILE", "...", "NAME")


def _bring_the_readers_files(directory: Path) -> None:
    """The Comtrade files the docs' import examples name, as a reader would download them."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import write
    finally:
        sys.path.pop(0)
    write(directory / "TradeData_2024_BG.csv", 200, "current")
    write(directory / "legacy_2019.csv.gz", 200, "legacy", seed=2019)
    (directory / "downloads").mkdir()
    write(directory / "downloads" / "a.csv", 100, "current", seed=1)
    write(directory / "downloads" / "b.csv.gz", 100, "legacy", seed=2)
    latin = write(directory / "excel-export.csv", 100, "current", seed=3)
    latin.write_bytes(latin.read_text(encoding="utf-8").encode("latin-1"))


def _blocks(language: str) -> list[tuple[str, str]]:
    found = []
    fence = re.compile(rf"^\s*```{language}\n(.*?)^\s*```", re.S | re.M)
    for doc in DOCUMENTS:
        for match in fence.finditer(doc.read_text(encoding="utf-8")):
            line = doc.read_text(encoding="utf-8")[: match.start()].count("\n") + 1
            found.append((f"{doc.name}:{line}", match.group(1)))
    return found


# A block for another tool says so in its first line (``-- DuckDB``); it is not factdb's SQL.
SQL_EXAMPLES = [(w, b) for w, b in _blocks("sql") if not b.lstrip().startswith("-- DuckDB")]


def _commands() -> tuple[list[tuple[str, str]], list[str]]:
    runnable, skipped = [], []
    for where, body in _blocks("console"):
        for line in body.splitlines():
            command = line.strip()
            if not command.startswith("factdb "):
                continue
            command = re.sub(r"\s+#.*$", "", command)
            if any(p in command for p in PLACEHOLDERS):
                skipped.append(command)
            else:
                runnable.append((where, command))
    return runnable, skipped


COMMANDS, SKIPPED = _commands()


def test_the_docs_have_examples() -> None:
    assert len(SQL_EXAMPLES) >= 5
    assert len(COMMANDS) >= 5
    # The shared-database walkthrough runs its server commands below; few others may skip.
    elsewhere = [c for c in SKIPPED if "example.org" not in c and "--db ..." not in c]
    assert len(elsewhere) <= 3, elsewhere


@pytest.mark.parametrize("where, sql", SQL_EXAMPLES, ids=[w for w, _ in SQL_EXAMPLES])
def test_sql_example_runs_and_returns_rows(seeded: Engine, where: str, sql: str) -> None:
    with seeded.connect() as conn:
        rows = conn.execute(sa.text(sql.strip().rstrip(";"))).all()
    assert rows, f"the example at {where} returns nothing"


@pytest.fixture(scope="module")
def quickstart_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return quickstart_file(tmp_path_factory.mktemp("docs") / "factdb.sqlite3")


@pytest.mark.parametrize("where, command", COMMANDS, ids=[c for _, c in COMMANDS])
def test_documented_command_runs(
    quickstart_db: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    where: str,
    command: str,
) -> None:
    """Run through the CLI in this process, from the reader's directory with no FACTDB_URL:
    the same parsing and error boundary as ``factdb`` on a shell (the quickstart database it
    reads was made by a real ``factdb`` process)."""
    shutil.copy(quickstart_db, tmp_path / "factdb.sqlite3")
    _bring_the_readers_files(tmp_path)
    monkeypatch.delenv("FACTDB_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    done = CliRunner().invoke(app, shlex.split(command)[1:])
    assert "Traceback" not in done.stderr, f"{where}: {command}\n{done.stderr}"
    assert done.exit_code == 0, f"{where}: {command}\n{done.stderr}"
    assert done.exception is None or isinstance(done.exception, SystemExit), done.exception


SHARED = ROOT / "docs" / "shared-database.md"
_PLACEHOLDER_URL = re.compile(r"postgresql://(?P<user>\w+)@db\.example\.org/factdb")


def _shared_database_steps() -> list[str]:
    """The setup walkthrough of docs/shared-database.md, command by command, in order."""
    steps = []
    for where, body in _blocks("console"):
        if not where.startswith(SHARED.name):
            continue
        for line in body.splitlines():
            command = re.sub(r"\s+#.*$", "", line.strip())
            if command and not command.startswith("#"):
                steps.append(command)
    return steps


def test_the_shared_database_walkthrough_runs(pg_admin_url: str, tmp_path: Path) -> None:
    """Every step of the team setup, run against a real server as the docs write it: the
    example host becomes the test server, ``--db ...`` the superuser, ``path/to`` is left out."""
    from sqlalchemy.engine import make_url

    from tests.conftest import drop_pg_database

    admin = make_url(pg_admin_url)
    database = f"factdb_docs_{os.getpid()}"

    def url_for(user: str) -> str:
        superuser = user in ("postgres", admin.username)
        return (
            admin.set(username=admin.username if superuser else user, database=database)
            .set(password=admin.password if superuser else None)
            .render_as_string(hide_password=False)
        )

    env = {k: v for k, v in os.environ.items() if k != "FACTDB_URL"}
    ran = []
    try:
        for command in _shared_database_steps():
            if command.startswith("createdb "):
                with sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT").connect() as c:
                    c.exec_driver_sql(f'CREATE DATABASE "{database}"')
                ran.append(command)
                continue
            if "path/to" in command or command.startswith("printf "):
                continue
            command = _PLACEHOLDER_URL.sub(lambda m: url_for(m.group("user")), command)
            command = command.replace("--db ...", f"--db {url_for('postgres')}")
            if command.startswith("export FACTDB_URL="):
                env["FACTDB_URL"] = command.split("=", 1)[1]
                continue
            command = command.split(" > ", 1)[0]
            argv = shlex.split(command)
            assert argv[0] == "factdb", command
            done = subprocess.run(
                [sys.executable, "-m", "factdb", *argv[1:]],
                capture_output=True,
                text=True,
                cwd=tmp_path,
                env=env,
                timeout=300,
            )
            assert done.returncode == 0 and "Traceback" not in done.stderr, (
                f"{command}\n{done.stdout}\n{done.stderr}"
            )
            ran.append(command)
        assert len(ran) >= 8, ran
    finally:
        drop_pg_database(pg_admin_url, url_for("postgres"))
        with sa.create_engine(pg_admin_url, isolation_level="AUTOCOMMIT").connect() as conn:
            for user in ("alice", "nightly_loader", "deploy", "bob"):
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{user}"')
