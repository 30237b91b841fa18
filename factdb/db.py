"""Engines and connections: SQLite pragmas, write locks taken up front, PostgreSQL settings.

Every connection factdb opens goes through ``make_engine`` and ``connect`` so that all commands
share one behaviour: foreign keys on, WAL, a busy timeout, and ``BEGIN IMMEDIATE`` for writers on
SQLite; reads that never create a file and never leave files another user cannot write. It knows
nothing of the CLI.
"""

from __future__ import annotations

import os
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from factdb.config import redact
from factdb.errors import (
    DatabaseBusy,
    DatabaseMissing,
    DatabaseUnreachable,
    PermissionDenied,
    UnsupportedDatabase,
)

BUSY_TIMEOUT_MS = 10_000
BUSY_TIMEOUT_ENV = "FACTDB_BUSY_TIMEOUT_MS"
READ_ONLY = "factdb_read_only"
#: Seconds a PostgreSQL connection attempt may take unless the URL sets ``connect_timeout``.
CONNECT_TIMEOUT_S = 10

# The read-only twin of each SQLite engine (see ``_sqlite_reader``).
_READERS: weakref.WeakKeyDictionary[Engine, Engine] = weakref.WeakKeyDictionary()


def make_engine(url: str, *, busy_timeout_ms: int | None = None, **kwargs: Any) -> Engine:
    """Create an engine for ``url`` with factdb's connection settings applied.

    SQLite writers wait ``busy_timeout_ms`` (default ``$FACTDB_BUSY_TIMEOUT_MS`` or 10 s) for
    another writer's lock before giving up with ``DatabaseBusy``.
    """
    if busy_timeout_ms is None:
        busy_timeout_ms = int(os.environ.get(BUSY_TIMEOUT_ENV) or BUSY_TIMEOUT_MS)
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise DatabaseUnreachable(f"cannot use database URL {redact(url)!r}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        raise UnsupportedDatabase(
            f"factdb works with SQLite and PostgreSQL, not {backend!r}; "
            "use a SQLite path or a postgresql:// URL"
        )
    if backend == "postgresql" and "connect_timeout" not in parsed.query:
        kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", CONNECT_TIMEOUT_S)
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError, ValueError) as exc:
        raise DatabaseUnreachable(f"cannot use database URL {redact(url)!r}: {exc}") from None
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine, busy_timeout_ms)
    return engine


def sqlite_path(engine: Engine) -> Path | None:
    """The file behind a SQLite engine; None for PostgreSQL and in-memory databases."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if database in (None, "", ":memory:") or engine.url.query.get("mode") == "memory":
        return None
    return Path(database)


def require_database_file(engine: Engine) -> None:
    """Refuse to read a SQLite file that does not exist: reads never create one."""
    path = sqlite_path(engine)
    if path is None:
        return
    try:
        if path.exists():
            return
    except PermissionError:
        raise PermissionDenied(
            f"permission denied: cannot reach {path.absolute()}; ask its owner for access"
        ) from None
    raise DatabaseMissing(
        f"no database at {path.absolute()}; run `factdb quickstart` here to create one, "
        "or point --db or $FACTDB_URL at an existing database"
    )


def sqlite_read_uri(path: Path) -> str:
    """A ``file:`` URI that opens ``path`` for reading and never creates a file beside it
    that someone else would have to clean up.

    In WAL mode even a reader creates ``-wal`` and ``-shm`` files when none exist. Created by the
    file's owner they are removed again on close (``mode=rw``, writes still refused by
    ``query_only``). Created by an analyst, they would belong to the analyst and lock the owner's
    next write out, and in a read-only directory they cannot be created at all: such a reader
    opens the file read-only, using the ``-shm`` of a connection that has it open, or as
    immutable when none has (no ``-shm``: nobody is writing).
    """
    base = "file:" + quote(str(path.absolute()), safe="/")
    shm = path.with_name(path.name + "-shm")
    owner = path.stat().st_uid == os.geteuid()
    if owner and os.access(path.parent, os.W_OK) and os.access(path, os.W_OK):
        return base + "?mode=rw"
    if shm.exists():
        return base + "?mode=ro"
    return base + "?mode=ro&immutable=1"


def _sqlite_reader(engine: Engine) -> Engine:
    """The read-only twin of a SQLite engine: same file, opened with ``sqlite_read_uri``."""
    reader = _READERS.get(engine)
    if reader is None:
        path = sqlite_path(engine)
        assert path is not None

        def creator() -> sqlite3.Connection:
            return sqlite3.connect(sqlite_read_uri(path), uri=True, check_same_thread=False)

        reader = sa.create_engine("sqlite://", creator=creator, poolclass=sa.pool.NullPool)
        _configure_sqlite(reader, BUSY_TIMEOUT_MS, read_only=True)
        _READERS[engine] = reader
    return reader


def _configure_sqlite(engine: Engine, busy_timeout_ms: int, *, read_only: bool = False) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if read_only:
            cursor.execute("PRAGMA query_only = ON")
        elif engine.url.database not in (None, "", ":memory:"):
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
    is ``DatabaseBusy``; a missing privilege is ``PermissionDenied``; every other error passes
    through unchanged. A read-only connection to a SQLite file that does not exist is
    ``DatabaseMissing``: reads never create files.
    """
    target = engine
    if read_only and sqlite_path(engine) is not None:
        require_database_file(engine)
        target = _sqlite_reader(engine)
    try:
        conn = target.connect()
    except sa.exc.DBAPIError as exc:
        raise translate_operational_error(exc, engine) from None
    try:
        with conn:
            if read_only:
                conn = conn.execution_options(**{READ_ONLY: True})
            yield conn
    except sa.exc.DBAPIError as exc:
        if is_busy_error(exc) or is_permission_error(exc):
            raise translate_operational_error(exc, engine) from None
        raise


def is_permission_error(exc: BaseException) -> bool:
    """True when the database refused for lack of a privilege (or a read-only SQLite file)."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) == "42501":
        return True
    text = str(orig).lower()
    return "attempt to write a readonly database" in text


def is_busy_error(exc: BaseException) -> bool:
    """True when SQLite gave up waiting for another writer's lock."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "database is locked" in text or "database is busy" in text


def translate_operational_error(exc: sa.exc.DBAPIError, engine: Engine) -> Exception:
    """Turn a driver error into one line a user can act on."""
    if is_busy_error(exc):
        return DatabaseBusy(
            "database is busy: another writer held the lock for longer than the busy "
            f"timeout (${BUSY_TIMEOUT_ENV}); nothing was written, try again"
        )
    if is_permission_error(exc):
        return PermissionDenied(permission_message(exc, engine))
    first_line = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    return DatabaseUnreachable(
        f"cannot open database {redact(engine.url.render_as_string(hide_password=True))}: "
        f"{redact(first_line)}"
    )


def permission_message(exc: BaseException, engine: Engine) -> str:
    """One line for a refused privilege: what was refused, as whom, and what to do."""
    orig = getattr(exc, "orig", exc)
    first_line = (str(orig).strip().splitlines() or [""])[0]
    who = engine.url.username or "this user"
    if engine.dialect.name == "sqlite":
        return (
            f"permission denied: {first_line} ({sqlite_path(engine)}); "
            "ask the file's owner to run this command; nothing was written"
        )
    return (
        f"permission denied for {who}: {first_line}; connect as a user with that privilege "
        "(see `factdb db roles`); nothing was written"
    )
