"""trade_flows' references to entities and sources hold whoever writes, and however.

SQLite enforces them with real foreign keys; PostgreSQL with statement-level triggers (revision
0006), which must give the same answers as the foreign keys did: a dangling reporter, partner or
source is refused from any statement (INSERT, COPY, UPDATE) and any writer, deleting an entity
or a source deletes its trade rows, and no interleaving of two transactions leaves a row that
points at nothing.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, make_url

from factdb.db import make_engine
from tests.conftest import Templates, drop_pg_database

INSERT = (
    "INSERT INTO trade_flows (reporter_id, partner_id, source_id, series, year, month, months, "
    "flow, commodity_code, value, currency, value_qualifier, status) VALUES "
    "({reporter}, {partner}, {source}, 's', 2024, 0, 12, 'export', '{code}', 100, 'USD', "
    "'exact', 'final')"
)


def _insert(
    conn: Connection, reporter: int, partner: int, source: Any = 1, code: str = "1"
) -> None:
    source_sql = "NULL" if source is None else source
    conn.exec_driver_sql(
        INSERT.format(reporter=reporter, partner=partner, source=source_sql, code=code)
    )


def _insert_then(conn: Connection, statement: str) -> None:
    _insert(conn, 1, 2)
    conn.exec_driver_sql(statement)


def _setup(conn: Connection) -> None:
    """Entities 1-3 and sources 1-2, with ids fixed by the test."""
    for entity_id in (1, 2, 3):
        conn.exec_driver_sql(
            f"INSERT INTO entities (id, slug, kind, name) VALUES ({entity_id}, 'e{entity_id}', "
            f"'country', 'E{entity_id}')"
        )
    for source_id in (1, 2):
        conn.exec_driver_sql(
            f"INSERT INTO sources (id, slug, kind, published_precision) VALUES ({source_id}, "
            f"'s{source_id}', 'statistics_dataset', 'unknown')"
        )


def _dangling(conn: Connection) -> int:
    return int(
        conn.exec_driver_sql(
            "SELECT count(*) FROM trade_flows t WHERE NOT EXISTS "
            "(SELECT 1 FROM entities e WHERE e.id = t.reporter_id) OR NOT EXISTS "
            "(SELECT 1 FROM entities e WHERE e.id = t.partner_id) OR (t.source_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM sources s WHERE s.id = t.source_id))"
        ).scalar_one()
    )


@pytest.fixture
def refs(migrated: Engine) -> Engine:
    with migrated.begin() as conn:
        _setup(conn)
    return migrated


def _refused(engine: Engine, statement: Callable[[Connection], object]) -> str:
    """The database's message refusing ``statement``, which must be an integrity error."""
    with engine.connect() as conn, pytest.raises(sa.exc.IntegrityError) as caught, conn.begin():
        statement(conn)
    return str(caught.value.orig)


def test_a_dangling_reference_is_refused(refs: Engine) -> None:
    for name, statement in [
        ("reporter_id", lambda c: _insert(c, 77, 2)),
        ("partner_id", lambda c: _insert(c, 1, 77)),
        ("source_id", lambda c: _insert(c, 1, 2, 77)),
        # one bad row among good ones, in one statement
        (
            "partner_id",
            lambda c: c.exec_driver_sql(
                INSERT.format(reporter=1, partner=2, source=1, code="a")
                + ", (1, 77, 1, 's', 2024, 0, 12, 'export', 'b', 1, 'USD', 'exact', 'final')"
            ),
        ),
        (
            "reporter_id",
            lambda c: _insert_then(c, "UPDATE trade_flows SET reporter_id = 77"),
        ),
        (
            "source_id",
            lambda c: _insert_then(c, "UPDATE trade_flows SET source_id = 77"),
        ),
    ]:
        message = _refused(refs, statement)
        assert "FOREIGN KEY" in message.upper() and (
            refs.dialect.name == "sqlite" or name in message
        ), message
    with refs.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM trade_flows").scalar_one() == 0


def test_deleting_an_entity_or_a_source_deletes_its_trade_rows(refs: Engine) -> None:
    with refs.begin() as conn:
        _insert(conn, 1, 2, 1, "a")
        _insert(conn, 2, 1, 1, "b")
        _insert(conn, 3, 2, 2, "c")
        _insert(conn, 2, 3, None, "d")
        conn.exec_driver_sql("DELETE FROM entities WHERE id = 1")
        codes = conn.exec_driver_sql("SELECT commodity_code FROM trade_flows ORDER BY 1")
        assert [c for (c,) in codes] == ["c", "d"]
        conn.exec_driver_sql("DELETE FROM sources WHERE id = 2")
        codes = conn.exec_driver_sql("SELECT commodity_code FROM trade_flows ORDER BY 1")
        assert [c for (c,) in codes] == ["d"]
        assert _dangling(conn) == 0


def test_a_referenced_id_cannot_change(refs: Engine) -> None:
    with refs.begin() as conn:
        _insert(conn, 1, 2)
    _refused(refs, lambda c: c.exec_driver_sql("UPDATE entities SET id = 70 WHERE id = 2"))
    _refused(refs, lambda c: c.exec_driver_sql("UPDATE sources SET id = 70 WHERE id = 1"))
    with refs.begin() as conn:
        # ids no trade row refers to may change; other columns always may
        conn.exec_driver_sql("UPDATE entities SET id = 70 WHERE id = 3")
        conn.exec_driver_sql("UPDATE sources SET id = 70 WHERE id = 2")
        conn.exec_driver_sql("UPDATE entities SET name = 'Renamed'")
        assert _dangling(conn) == 0


# --- PostgreSQL: the triggers, under concurrency, and from the writer role ---------------------


@pytest.fixture
def pg(pg_admin_url: str, templates: Templates) -> Iterator[Engine]:
    """A migrated PostgreSQL database holding entities 1-3 and sources 1-2."""
    url = templates.new_pg_database("migrated")
    engine = make_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        _setup(conn)
    try:
        yield engine
    finally:
        engine.dispose()
        drop_pg_database(pg_admin_url, url)


#: the columns after the first four of a COPY row
FIXED = ("s", 2024, 0, 12, "export", 1, "USD", "exact", "final")


def _copy(conn: Connection, rows: list[tuple[int, int, int, str]]) -> None:
    """COPY straight into trade_flows, as a bulk writer would; its refusal raised as
    SQLAlchemy raises the others."""
    import psycopg

    statement = (
        "COPY trade_flows (reporter_id, partner_id, source_id, commodity_code, series, year, "
        "month, months, flow, value, currency, value_qualifier, status) FROM STDIN"
    )
    if not conn.in_transaction():
        conn.begin()  # the raw cursor below would not begin SQLAlchemy's transaction
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        with cursor.copy(statement) as copy:
            for reporter, partner, source, code in rows:
                copy.write_row((reporter, partner, source, code, *FIXED))
    except psycopg.errors.IntegrityError as exc:
        raise sa.exc.IntegrityError(statement, None, exc) from None


def test_copy_and_truncate_are_checked_too(pg: Engine) -> None:
    message = _refused(pg, lambda c: _copy(c, [(1, 2, 1, "a"), (2, 77, 1, "b")]))
    assert 'Key (partner_id)=(77) is not present in table "entities"' in message
    with pg.begin() as conn:
        _copy(conn, [(1, 2, 1, "a")])
    # TRUNCATE would bypass the history (revision 0011): refused for entities and sources, so
    # it can leave no trade row pointing at nothing either
    for table in ("entities", "sources"):
        with pytest.raises(sa.exc.DBAPIError, match="would bypass its history"), pg.begin() as c:
            c.exec_driver_sql(f"TRUNCATE {table} CASCADE")


def test_deleting_outside_read_committed_is_refused(pg: Engine) -> None:
    """Under a transaction snapshot the cascade could miss rows committed after it."""
    with pg.connect() as conn:
        conn.exec_driver_sql("BEGIN ISOLATION LEVEL REPEATABLE READ")
        with pytest.raises(sa.exc.DBAPIError, match="needs READ COMMITTED"):
            conn.exec_driver_sql("DELETE FROM entities WHERE id = 3")
        conn.rollback()
    with pg.begin() as conn:
        conn.exec_driver_sql("DELETE FROM entities WHERE id = 3")


def _wait_until_blocked(watcher: Connection, pid: int) -> None:
    """Return once session ``pid`` waits for a lock (a state, not a timing)."""
    for _ in range(3000):
        waiting = watcher.exec_driver_sql(
            f"SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = {pid}"
        ).scalar()
        watcher.rollback()
        if waiting:
            return
        time.sleep(0.01)
    raise AssertionError(f"session {pid} never waited for a lock")


def _pid(conn: Connection) -> int:
    return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


WRITES: dict[str, Callable[[Connection], object]] = {
    "copy": lambda c: _copy(c, [(1, 2, 1, "x"), (3, 1, 1, "new")]),
    "update": lambda c: c.exec_driver_sql("UPDATE trade_flows SET partner_id = 3"),
    # the importer's kind of statement: the row exists, so it is updated to name entity 3
    "upsert": lambda c: c.exec_driver_sql(
        INSERT.format(reporter=1, partner=2, source=1, code="old")
        + " ON CONFLICT (reporter_id, partner_id, year, month, months, flow, commodity_code, "
        "series, kind) DO UPDATE SET partner_id = 3"
    ),
}


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize("first", ["write", "delete"])
def test_concurrent_write_and_delete_leave_no_dangling_row(
    pg: Engine, write: str, first: str
) -> None:
    """Two READ COMMITTED transactions: one writes trade rows naming entity 3, the other deletes
    entity 3. Whichever goes first, the second waits for it; at the end no row points at
    nothing (a write that came second is refused; a delete that came second cascades)."""
    with pg.begin() as conn:
        _insert(conn, 1, 2, 1, "old")
    outcome: dict[str, BaseException | None] = {}
    with pg.connect() as writer, pg.connect() as deleter, pg.connect() as watcher:
        pids = {"write": _pid(writer), "delete": _pid(deleter)}
        writer.commit()
        deleter.commit()
        statements: dict[str, Callable[[], object]] = {
            "write": lambda: WRITES[write](writer),
            "delete": lambda: deleter.exec_driver_sql("DELETE FROM entities WHERE id = 3"),
        }
        conns = {"write": writer, "delete": deleter}
        second = "delete" if first == "write" else "write"
        statements[first]()  # holds its locks, uncommitted

        def run_second() -> None:
            try:
                statements[second]()
                conns[second].commit()
                outcome[second] = None
            except sa.exc.DBAPIError as exc:
                conns[second].rollback()
                outcome[second] = exc

        thread = threading.Thread(target=run_second)
        thread.start()
        _wait_until_blocked(watcher, pids[second])
        conns[first].commit()
        thread.join(timeout=60)
        if thread.is_alive():  # never seen; end it, so that the failure is reported
            watcher.exec_driver_sql(f"SELECT pg_cancel_backend({pids[second]})")
            thread.join()
            raise AssertionError(f"the {second} still waited after the {first} committed")
    with pg.connect() as conn:
        assert _dangling(conn) == 0
        assert conn.exec_driver_sql("SELECT count(*) FROM entities WHERE id = 3").scalar() == 0
        rows = conn.exec_driver_sql(
            "SELECT count(*) FROM trade_flows WHERE 3 IN (reporter_id, partner_id)"
        )
        assert rows.scalar() == 0
    if second == "write":
        error = outcome["write"]
        assert isinstance(error, sa.exc.IntegrityError), error
        assert 'is not present in table "entities"' in str(error.orig)
    else:
        assert outcome["delete"] is None


def test_a_delete_that_rolls_back_lets_the_waiting_write_through(pg: Engine) -> None:
    with pg.connect() as writer, pg.connect() as deleter, pg.connect() as watcher:
        pid = _pid(writer)
        writer.commit()
        deleter.exec_driver_sql("DELETE FROM entities WHERE id = 3")

        def write() -> None:
            _insert(writer, 3, 1)
            writer.commit()

        thread = threading.Thread(target=write)
        thread.start()
        _wait_until_blocked(watcher, pid)
        deleter.rollback()
        thread.join(timeout=60)
    with pg.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM trade_flows").scalar() == 1


def test_the_writer_role_cannot_get_around_the_triggers(pg: Engine) -> None:
    """A writer may insert rows, but not a dangling one: not directly, not by shadowing
    ``entities`` with a temporary table, not by switching the triggers off."""
    from factdb.roles import add_user, create_roles

    create_roles(pg)
    user = f"refs_writer_{os.getpid()}"
    add_user(pg, user, "writer", password="pw")
    url = make_url(pg.url).set(username=user, password="pw")
    writer = make_engine(url.render_as_string(hide_password=False), poolclass=sa.pool.NullPool)
    try:
        with writer.begin() as conn:
            _insert(conn, 1, 2)
        assert "reporter_id" in _refused(writer, lambda c: _insert(c, 77, 2, code="2"))

        def shadow(conn: Connection) -> None:
            conn.exec_driver_sql("CREATE TEMPORARY TABLE entities (id integer)")
            conn.exec_driver_sql("INSERT INTO entities VALUES (77)")
            _insert(conn, 77, 2, code="2")

        assert "reporter_id" in _refused(writer, shadow)
        for statement in (
            "ALTER TABLE trade_flows DISABLE TRIGGER trade_flows_references_on_insert",
            "SET session_replication_role = replica",
            "DROP TRIGGER trade_flows_references_on_insert ON trade_flows",
        ):
            with writer.connect() as conn, pytest.raises(sa.exc.ProgrammingError):
                conn.exec_driver_sql(statement)
    finally:
        writer.dispose()
        with pg.begin() as conn:
            conn.exec_driver_sql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{user}'"
            )
            conn.exec_driver_sql(f'DROP OWNED BY "{user}"')
            conn.exec_driver_sql(f'DROP ROLE "{user}"')
    with pg.connect() as conn:
        assert _dangling(conn) == 0
