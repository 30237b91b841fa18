"""``factdb sql`` is bounded in time, rows and bytes, reads virtual tables, and never runs with
more powers than reading needs, on both backends."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from typer.testing import CliRunner

from factdb.cli import app
from factdb.db import make_engine
from factdb.errors import InvalidOption
from factdb.roles import RoleNames, add_user, create_roles
from factdb.sql import QueryRefused, QueryTimedOut, ResultTooLarge, run_query
from tests.conftest import create_pg_database, drop_pg_database

runner = CliRunner()
READER = RoleNames().reader

#: one function call that runs for a minute: instr() over megabyte strings that never match
EXPENSIVE_CALL = {
    "sqlite": "SELECT instr(a, b) FROM (SELECT printf('%.*c', 2000000, 'x') AS a, "
    "printf('%.*c', 1000000, 'x') || 'y' AS b)",
    "postgresql": "SELECT count(*) FROM generate_series(1, 100000000000)",
}
#: 2500 numbered rows
ROWS_2500 = {
    "sqlite": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 2500) "
    "SELECT n FROM r",
    "postgresql": "SELECT n FROM generate_series(1, 2500) AS n",
}
#: reads that go through virtual tables on SQLite (JSON, full-text, table-valued pragma)
VIRTUAL_READS = {
    "sqlite": [
        ("SELECT value FROM json_each('[1,2]') ORDER BY value", [(1,), (2,)]),
        (
            "SELECT kind FROM fts_search WHERE fts_search MATCH 'Toyota' AND kind = 'entity'",
            [("entity",)],
        ),
        ("SELECT name FROM pragma_table_info('entities') WHERE name = 'slug'", [("slug",)]),
    ],
    "postgresql": [
        ("SELECT value::text::int FROM json_array_elements('[1,2]') ORDER BY 1", [(1,), (2,)]),
        (
            "SELECT 'entity' FROM entities WHERE to_tsvector('simple', name) "
            "@@ plainto_tsquery('simple', 'Toyota')",
            [("entity",)],
        ),
        (
            "SELECT column_name::text FROM information_schema.columns "
            "WHERE table_name = 'entities' AND column_name = 'slug'",
            [("slug",)],
        ),
    ],
}


@pytest.fixture
def readable(seeded: Engine) -> Engine:
    """The seeded database; on PostgreSQL with the reader role a superuser's query runs as."""
    if seeded.dialect.name == "postgresql":
        create_roles(seeded)
    return seeded


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_one_expensive_function_call_is_stopped_at_the_time_limit(readable: Engine) -> None:
    with pytest.raises(QueryTimedOut, match=r"stopped after 1 s, the time limit \(--timeout\)"):
        run_query(readable, EXPENSIVE_CALL[readable.dialect.name], timeout_s=1)
    # the database is still there and readable afterwards
    assert run_query(readable, "SELECT count(*) FROM entities").rows[0][0] > 0


def test_cli_time_limit_is_one_line_and_exit_1(readable: Engine) -> None:
    sql = EXPENSIVE_CALL[readable.dialect.name]
    result = runner.invoke(app, ["sql", sql, "--db", url_of(readable), "--timeout", "1"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: refused: stopped after 1 s")
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("timeout", ["0", "-1", "nan", "inf"])
def test_a_timeout_that_switches_the_limit_off_is_refused(readable: Engine, timeout: str) -> None:
    with pytest.raises(InvalidOption, match="--timeout must be a positive number"):
        run_query(readable, "SELECT 1", timeout_s=float(timeout))
    result = runner.invoke(app, ["sql", "SELECT 1", "--db", url_of(readable), "--timeout", timeout])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "--timeout" in result.stderr


def test_max_rows_above_1000_means_what_it_says(readable: Engine) -> None:
    sql = ROWS_2500[readable.dialect.name]
    result = run_query(readable, sql, max_rows=2500)
    assert [r[0] for r in result.rows] == list(range(1, 2501)) and not result.truncated
    assert run_query(readable, sql, max_rows=2499).truncated
    cli = runner.invoke(
        app, ["sql", sql, "--db", url_of(readable), "--max-rows", "2500", "--format", "csv"]
    )
    assert cli.exit_code == 0
    assert len(cli.stdout.splitlines()) == 2501 and "stopped at" not in cli.stderr
    assert run_query(readable, sql).truncated and len(run_query(readable, sql).rows) == 1000


def test_virtual_table_reads_are_allowed(readable: Engine) -> None:
    for sql, expected in VIRTUAL_READS[readable.dialect.name]:
        assert run_query(readable, sql).rows == expected, sql


@pytest.mark.parametrize("comment", ["-- note\n", "/* x */ ", "/* a */ -- b\n  /* c */\n"])
def test_a_leading_comment_is_accepted(readable: Engine, comment: str) -> None:
    assert run_query(readable, f"{comment}SELECT 1 AS one").rows == [(1,)]


def test_a_comment_does_not_hide_a_write(readable: Engine) -> None:
    for sql in ("-- note\nDELETE FROM entities", "/* x */ DELETE FROM entities"):
        with pytest.raises(QueryRefused, match="refused"):
            run_query(readable, sql)
    assert run_query(readable, "SELECT count(*) FROM entities").rows[0][0] > 0


def _bounded_run(url: str, sql: str, limit_bytes: int) -> subprocess.CompletedProcess[str]:
    """run_query in a process whose address space is capped, printing the outcome."""
    code = textwrap.dedent(
        f"""
        import resource, sys
        from factdb.db import make_engine
        from factdb.sql import run_query, QueryRefused
        resource.setrlimit(resource.RLIMIT_AS, ({limit_bytes}, {limit_bytes}))
        try:
            result = run_query(make_engine({url!r}), {sql!r}, timeout_s=60)
        except QueryRefused as exc:
            print(type(exc).__name__, exc)
        else:
            print("ROWS", len(result.rows))
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=os.environ
    )


def test_one_huge_value_is_refused_within_bounded_memory(readable: Engine) -> None:
    sql = {
        "sqlite": "SELECT randomblob(100000000)",
        "postgresql": "SELECT repeat('x', 10000000) FROM generate_series(1, 100)",
    }[readable.dialect.name]
    done = _bounded_run(url_of(readable), sql, 1536 * 1024 * 1024)
    assert done.stdout.startswith("ResultTooLarge refused:"), done.stdout + done.stderr[-2000:]


def test_a_result_past_the_byte_limit_is_refused(readable: Engine) -> None:
    sql = {
        "sqlite": "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) "
        "SELECT n, zeroblob(1000) FROM r",
        "postgresql": "SELECT n, repeat('x', 1000) FROM generate_series(1, 10) AS n",
    }[readable.dialect.name]
    assert len(run_query(readable, sql, max_bytes=20_000).rows) == 10
    with pytest.raises(ResultTooLarge, match="5000 bytes output limit after 4 rows"):
        run_query(readable, sql, max_bytes=5000)


def _wait_for(predicate: object, what: str) -> None:
    assert callable(predicate)
    for _ in range(600):
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"never saw {what}")


def test_ctrl_c_during_a_long_query_exits_130_with_one_line(readable: Engine) -> None:
    name = readable.dialect.name
    proc = subprocess.Popen(
        [sys.executable, "-m", "factdb", "sql", EXPENSIVE_CALL[name], "--db", url_of(readable)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        if name == "sqlite":
            children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children")
            _wait_for(lambda: children.read_text().strip(), "the query process")
        else:
            with readable.connect() as conn:

                def running() -> bool:
                    seen = conn.exec_driver_sql(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE query LIKE '%%generate_series(1, 100000000000)%%' "
                        "AND state = 'active' AND pid <> pg_backend_pid()"
                    ).scalar()
                    conn.rollback()  # a new statistics snapshot each time
                    return bool(seen)

                _wait_for(running, "the query on the server")
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C on a terminal does
        _, stderr = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, stderr
    assert stderr.startswith("Error: interrupted") and stderr.count("\n") == 1, stderr


# --- PostgreSQL: the limit can only be lowered, and no superuser powers -------------------------


@pytest.fixture
def pg_db(pg_admin_url: str) -> Iterator[str]:
    """A seeded PostgreSQL database with the three roles; its superuser URL."""
    from factdb.factfiles.loader import load
    from factdb.migrate import upgrade

    url = create_pg_database(pg_admin_url)
    engine = make_engine(url)
    try:
        upgrade(engine)
        load(engine)
        create_roles(engine)
        add_user(engine, _login(url), "reader")
        engine.dispose()
        yield url
    finally:
        engine.dispose()
        drop_pg_database(pg_admin_url, url)
        with make_engine(pg_admin_url).begin() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{_login(url)}"')


def _login(url: str) -> str:
    """The reader login of the test database at ``url`` (one person of the reader group)."""
    return f"analyst_{make_url(url).database}"


def test_pg_timeout_never_raises_the_sessions_own_limit(pg_db: str) -> None:
    url = make_url(pg_db).update_query_dict({"options": "-c statement_timeout=500"})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(QueryTimedOut, match=r"stopped after 0\.5 s"):
            run_query(engine, "SELECT pg_sleep(3)", timeout_s=30)
    finally:
        engine.dispose()


def test_pg_timeout_never_raises_the_reader_roles_limit(pg_db: str) -> None:
    database = make_url(pg_db).database
    admin = make_engine(pg_db)
    with admin.begin() as conn:
        for role in (READER, _login(pg_db)):
            conn.exec_driver_sql(
                f'ALTER ROLE "{role}" IN DATABASE "{database}" SET statement_timeout = 500'
            )
    reader = make_engine(make_url(pg_db).set(username=_login(pg_db)).render_as_string())
    try:
        for engine in (reader, admin):  # logged in as the reader, or dropping to it
            with pytest.raises(QueryTimedOut, match=r"stopped after 0\.5 s"):
                run_query(engine, "SELECT pg_sleep(3)", timeout_s=30)
    finally:
        reader.dispose()
        admin.dispose()


SUPERUSER_POWERS = [
    "SELECT pg_create_logical_replication_slot('factdb_stray', 'pgoutput')",
    "SELECT pg_create_physical_replication_slot('factdb_stray')",
    "SELECT pg_switch_wal()",
    "SELECT pg_reload_conf()",
    "SELECT pg_terminate_backend({pid})",
]
ROLE_CHANGES = [
    "SET ROLE postgres",
    "RESET ROLE",
    "SELECT set_config('role', 'postgres', true), pg_reload_conf()",
    "SELECT set_config('session_authorization', current_user, true)",
    "SELECT \"set_config\"('role', 'postgres', false)",
    "SELECT query_to_xml('SELECT pg_reload_conf()', true, true, '')",
    "SELECT U&\"set\\005fconfig\"('role', 'postgres', true)",
]


def test_pg_superuser_powers_are_refused(pg_db: str) -> None:
    admin = make_engine(pg_db)
    bystander = admin.connect()
    try:
        pid = bystander.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        for statement in SUPERUSER_POWERS + ROLE_CHANGES:
            with pytest.raises(QueryRefused, match=r"^refused: ") as refused:
                run_query(admin, statement.format(pid=pid))
            assert "\n" not in str(refused.value)
        assert bystander.exec_driver_sql("SELECT 1").scalar() == 1, "still connected"
        with admin.connect() as conn:
            slots = conn.exec_driver_sql("SELECT count(*) FROM pg_replication_slots").scalar()
        assert slots == 0
        result = run_query(admin, "SELECT current_user, slug FROM v_entities ORDER BY slug")
        assert result.rows[0][0] == READER and len(result.rows) > 10
    finally:
        bystander.close()
        admin.dispose()


def test_pg_superuser_without_a_reader_role_is_refused(pg_db: str) -> None:
    admin = make_engine(pg_db)
    try:
        with pytest.raises(QueryRefused, match="factdb db roles") as refused:
            run_query(admin, "SELECT 1", reader_role="factdb_nobody_reader")
        assert "\n" not in str(refused.value)
    finally:
        admin.dispose()


def test_pg_reader_login_reads(pg_db: str) -> None:
    reader = make_engine(make_url(pg_db).set(username=_login(pg_db)).render_as_string())
    try:
        result = run_query(reader, "SELECT current_user, count(*) FROM v_trade GROUP BY 1")
        assert result.rows == [(_login(pg_db), 7)]
        with pytest.raises(QueryRefused, match="refused"):
            run_query(reader, "SELECT pg_reload_conf()")
    finally:
        reader.dispose()


def test_sqlite_interrupt_leaves_the_file_untouched(tmp_path: Path) -> None:
    """The query process is killed mid-call; the database file is byte-for-byte the same."""
    path = tmp_path / "small.sqlite3"
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x TEXT)")
        conn.exec_driver_sql("INSERT INTO t VALUES ('a')")
    engine.dispose()
    before = path.read_bytes()
    with pytest.raises(QueryTimedOut):
        run_query(engine, EXPENSIVE_CALL["sqlite"], timeout_s=0.5)
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["small.sqlite3"]
    assert run_query(engine, "SELECT x FROM t").rows == [("a",)]
