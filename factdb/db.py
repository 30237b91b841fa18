"""Engines and connections: SQLite pragmas, write locks taken up front, PostgreSQL settings.

Every connection factdb opens goes through ``make_engine`` so that all commands share one
behaviour: foreign keys on, WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for writers on SQLite.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from factdb.config import redact
from factdb.errors import DatabaseBusy, DatabaseUnreachable

BUSY_TIMEOUT_MS = 10_000
BUSY_TIMEOUT_ENV = "FACTDB_BUSY_TIMEOUT_MS"
READ_ONLY = "factdb_read_only"


def make_engine(url: str, *, busy_timeout_ms: int | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with factdb's connection settings applied.

    SQLite writers wait ``busy_timeout_ms`` (default ``$FACTDB_BUSY_TIMEOUT_MS`` or 10 s) for
    another writer's lock before giving up with ``DatabaseBusy``.
    """
    if busy_timeout_ms is None:
        busy_timeout_ms = int(os.environ.get(BUSY_TIMEOUT_ENV) or BUSY_TIMEOUT_MS)
    try:
        engine = sa.create_engine(url, **kwargs)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ValueError) as exc:
        raise DatabaseUnreachable(f"cannot use database URL {redact(url)!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms)
    return engine


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock up front so a second writer waits on the busy timeout
        # instead of failing later on a stale snapshot; readers ask for a deferred BEGIN.
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def connect(engine: Engine, *, read_only: bool = False) -> Iterator[Connection]:
    """A connection whose driver errors arrive as factdb's own exceptions.

    Failing to connect is ``DatabaseUnreachable``; SQLite's lock wait running out at any point
    is ``DatabaseBusy``; every other error passes through unchanged.
    """
    try:
        conn = engine.connect()
    except sa.exc.OperationalError as exc:
        raise translate_operational_error(exc, engine) from None
    try:
        with conn:
            if read_only:
                conn = conn.execution_options(**{READ_ONLY: True})
            yield conn
    except sa.exc.OperationalError as exc:
        if is_busy_error(exc):
            raise translate_operational_error(exc, engine) from None
        raise


def is_busy_error(exc: BaseException) -> bool:
    """True when SQLite gave up waiting for another writer's lock."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text


def translate_operational_error(exc: sa.exc.OperationalError, engine: Engine) -> Exception:
    """Turn a driver error into one line a user can act on."""
    if is_busy_error(exc):
        return DatabaseBusy(
            "database is busy: another writer held the lock for longer than the busy "
            f"timeout (${BUSY_TIMEOUT_ENV}); nothing was written, try again"
        )
    first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return DatabaseUnreachable(
        f"cannot open database {redact(engine.url.render_as_string(hide_password=True))}: "
        f"{redact(first_line)}"
    )
