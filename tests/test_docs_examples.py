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

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PLACEHOLDERS = ("example.org", "path/to", "TradeData_", "legacy_2019", "FILE", "...", "NAME")


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
    assert len(SKIPPED) <= len(COMMANDS), SKIPPED


@pytest.mark.parametrize("where, sql", SQL_EXAMPLES, ids=[w for w, _ in SQL_EXAMPLES])
def test_sql_example_runs_and_returns_rows(seeded: Engine, where: str, sql: str) -> None:
    with seeded.connect() as conn:
        rows = conn.execute(sa.text(sql.strip().rstrip(";"))).all()
    assert rows, f"the example at {where} returns nothing"


@pytest.fixture(scope="module")
def quickstart_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("docs") / "factdb.sqlite3"
    done = subprocess.run(
        [sys.executable, "-m", "factdb", "quickstart", "--db", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return path


@pytest.mark.parametrize("where, command", COMMANDS, ids=[c for _, c in COMMANDS])
def test_documented_command_runs(
    quickstart_db: Path, tmp_path: Path, where: str, command: str
) -> None:
    shutil.copy(quickstart_db, tmp_path / "factdb.sqlite3")
    env = {**os.environ}
    env.pop("FACTDB_URL", None)
    done = subprocess.run(
        [sys.executable, "-m", "factdb", *shlex.split(command)[1:]],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert "Traceback" not in done.stderr, f"{where}: {command}\n{done.stderr}"
    assert done.returncode == 0, f"{where}: {command}\n{done.stderr}"
