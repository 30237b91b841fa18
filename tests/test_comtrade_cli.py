"""``factdb import comtrade`` run as people run it: on a terminal, interrupted with Ctrl-C, two at
once on a shared PostgreSQL database, and by a role that may only read."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from factdb import migrate
from factdb.db import make_engine
from factdb.roles import RoleNames, add_user, create_roles
from tests.conftest import create_pg_database, drop_pg_database
from tests.terminal import run_in_terminal

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import write as generate


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as conn:
        return (
            conn.execute(sa.text("SELECT count(*) FROM sources")).scalar_one(),
            conn.execute(sa.text("SELECT count(*) FROM trade_flows")).scalar_one(),
        )


@pytest.fixture(scope="module")
def rows_50k(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate(tmp_path_factory.mktemp("comtrade") / "flows-50k.csv", 50_000, "current")


@pytest.mark.parametrize("columns", [80, 200])
def test_progress_bar_on_a_terminal(migrated: Engine, rows_50k: Path, columns: int) -> None:
    run = run_in_terminal(
        "import", "comtrade", str(rows_50k), "--db", url_of(migrated), columns=columns
    )
    assert run.exit_code == 0, run.text
    assert "Traceback" not in run.text
    assert re.search(r"flows-50k\.csv [\d,]+ rows, [\d,]+ rows/s", run.text), "a bar with a rate"
    last = run.text.strip().splitlines()[-1]
    assert last.startswith(f"{rows_50k}: 50000 rows (50000 inserted, 0 updated, 0 unchanged, ")
    assert counts(migrated) == (1, 50_000)


def _open_on(pid: int, path: Path) -> bool:
    """True once the process has the file open (it is importing, not starting up)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) == str(path) for fd in fds.iterdir())
    except OSError:
        return False


def test_ctrl_c_writes_nothing_and_says_so(migrated: Engine, tmp_path: Path) -> None:
    path = generate(tmp_path / "big.csv", 300_000, "current")
    proc = subprocess.Popen(
        [sys.executable, "-m", "factdb", "import", "comtrade", str(path), "--db", url_of(migrated)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while not _open_on(proc.pid, path):
        assert proc.poll() is None and time.monotonic() < deadline, "the import never started"
        time.sleep(0.02)
    time.sleep(0.5)  # past the checksum, into the rows
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, (out, err)
    assert err == "Error: interrupted; nothing was written\n"
    assert out == ""
    assert counts(migrated) == (0, 0)


# --- a shared PostgreSQL database --------------------------------------------------------------

# roles of their own: roles are the server's, and other tests expect factdb's not to exist yet
ROLES = RoleNames.with_prefix("comtrade_test")


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    url = create_pg_database(pg_admin_url)
    try:
        yield url
    finally:
        drop_pg_database(pg_admin_url, url)
        with make_engine(pg_admin_url).begin() as conn:
            for kind in ("reader", "writer"):
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{kind}_{make_url(url).database}"')


def _content(url: str) -> list[tuple[object, ...]]:
    """Entities and rows without ids or provenance, which depend on who came first."""
    with make_engine(url).connect() as conn:
        entities = conn.execute(
            sa.text("SELECT slug, kind, name, identifiers FROM v_entities ORDER BY slug")
        ).all()
        flows = conn.execute(
            sa.text(
                "SELECT r.slug, p.slug, year, month, months, flow, commodity_code, value, status "
                "FROM trade_flows t JOIN entities r ON r.id = t.reporter_id "
                "JOIN entities p ON p.id = t.partner_id ORDER BY 1, 2, 3, 4, 5, 6, 7"
            )
        ).all()
    return [tuple(row) for row in [*entities, *flows]]


def test_two_concurrent_imports_equal_a_sequential_one(pg_admin_url: str, tmp_path: Path) -> None:
    first = generate(tmp_path / "first.csv", 30_000, "current")
    second = generate(tmp_path / "second.csv", 40_000, "current")  # holds the first's rows
    concurrent_url = create_pg_database(pg_admin_url)
    sequential_url = create_pg_database(pg_admin_url)
    try:
        for url in (concurrent_url, sequential_url):
            migrate.upgrade(make_engine(url))
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "factdb", "import", "comtrade", str(p)],
                env={**os.environ, "FACTDB_URL": concurrent_url},
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for p in (first, second)
        ]
        results = [p.communicate(timeout=300) for p in procs]
        for proc, (_, err) in zip(procs, results, strict=True):
            assert proc.returncode == 0, err
            assert "Traceback" not in err
        from factdb.comtrade.importer import import_file

        sequential = make_engine(sequential_url)
        import_file(sequential, first)
        import_file(sequential, second)
        assert _content(concurrent_url) == _content(sequential_url)
    finally:
        drop_pg_database(pg_admin_url, concurrent_url)
        drop_pg_database(pg_admin_url, sequential_url)


def test_one_content_imported_twice_at_once_is_one_source(pg_url: str, tmp_path: Path) -> None:
    """Under two names, one gzipped, the second starting while the first is mid-transaction:
    the first holds on until the second waits on its locks, so the two really overlap."""
    import gzip
    import threading

    from factdb.comtrade.importer import FileReport, import_file

    plain = generate(tmp_path / "a.csv", 20_000, "current")
    packed = tmp_path / "b.csv.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes(), compresslevel=1))
    engine = make_engine(pg_url)
    migrate.upgrade(engine)
    # Every country exists already, so the second importer meets the first on the source
    # itself (or on its rows), not on a new country.
    import_file(engine, generate(tmp_path / "earlier.csv", 20_000, "current", seed=7))
    inside = threading.Event()
    second: list[FileReport | BaseException] = []

    def import_second() -> None:
        inside.wait(timeout=120)
        other = make_engine(pg_url)
        try:
            second.append(import_file(other, packed))
        except BaseException as exc:  # reported by the assertion below
            second.append(exc)
        finally:
            other.dispose()

    def hold_on(rows: int) -> None:
        if inside.is_set():
            return
        inside.set()
        deadline = time.monotonic() + 120  # a safety net only: the loop ends on a lock wait
        with make_engine(pg_url).connect() as watcher:
            while worker.is_alive() and time.monotonic() < deadline:
                waiting = watcher.execute(
                    sa.text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                ).scalar_one()
                watcher.rollback()  # the statistics views keep one snapshot per transaction
                if waiting:
                    return
                time.sleep(0.01)

    worker = threading.Thread(target=import_second)
    worker.start()
    first = import_file(engine, plain, progress=hold_on)
    worker.join(timeout=300)
    assert inside.is_set() and not first.already_imported
    [report] = second
    assert isinstance(report, FileReport), report
    assert report.already_imported and report.imported_as == "a.csv" and report.attempts > 1
    with engine.connect() as conn:
        names = conn.execute(sa.text("SELECT file_name FROM sources ORDER BY id")).scalars().all()
    assert names == ["earlier.csv", "a.csv"]


def test_a_reader_may_not_import(pg_url: str, tmp_path: Path) -> None:
    admin = make_engine(pg_url)
    create_roles(admin, ROLES)
    reader, writer = (f"{kind}_{make_url(pg_url).database}" for kind in ("reader", "writer"))
    add_user(admin, reader, "reader", ROLES)
    add_user(admin, writer, "writer", ROLES)
    migrate.upgrade(admin, settings=migrate.MigrationSettings(role=ROLES.owner))
    path = generate(tmp_path / "flows.csv", 100, "current")
    reader_url = make_url(pg_url).set(username=reader).render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-m", "factdb", "import", "comtrade", str(path), "--db", reader_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 4, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"Error: database user {reader} may not write: ")
    assert lines[0].endswith("nothing was written")
    assert counts(admin) == (0, 0)
    writer_url = make_url(pg_url).set(username=writer).render_as_string(hide_password=False)
    done = subprocess.run(
        [sys.executable, "-m", "factdb", "import", "comtrade", str(path), "--db", writer_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert counts(admin) == (1, 100)
