"""Several writers on one SQLite file: they wait their turn, or say plainly that it is busy."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from factdb import migrate
from factdb.db import make_engine
from tests.test_shared_postgres import _content


def _seed(url: str, *extra: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "factdb", "seed", *extra],
        env={**os.environ, "FACTDB_URL": url, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_a_writer_that_cannot_get_the_lock_says_busy(tmp_path: Path) -> None:
    path = tmp_path / "x.sqlite3"
    url = f"sqlite:///{path}"
    migrate.upgrade(make_engine(url))
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        proc = _seed(url, env={"FACTDB_BUSY_TIMEOUT_MS": "300"})
        _, err = proc.communicate(timeout=60)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert proc.returncode == 3
    assert err.startswith("Error: database is busy") and "Traceback" not in err
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM entities").fetchone() == (0,)


def test_concurrent_writers_wait_and_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite3'}"
    migrate.upgrade(make_engine(url))
    procs = [_seed(url) for _ in range(4)]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    sequential = make_engine(f"sqlite:///{tmp_path / 'y.sqlite3'}")
    migrate.upgrade(sequential)
    from factdb.factfiles.loader import load

    load(sequential)
    assert _content(make_engine(url)) == _content(sequential)
