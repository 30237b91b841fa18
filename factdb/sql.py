"""Read-only SQL for analysts: ``factdb sql`` runs one statement that can only read.

A read-only file or transaction is not enough on its own (SQLite's ``mode=ro`` lets ``ATTACH``
create a file and ``VACUUM INTO`` write a copy; psycopg's simple protocol lets ``COMMIT; DELETE``
escape a read-only transaction). So on SQLite an authorizer allows reading and nothing else,
with ``query_only`` on, a time limit and a row cap; on PostgreSQL the statement is sent alone
through the extended protocol (one statement, no more) inside a ``READ ONLY`` transaction with
a ``statement_timeout``.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Engine

from factdb.errors import DatabaseUnreachable, FactdbError


class QueryRefused(FactdbError):
    """The statement would do more than read, or broke a limit; nothing was changed."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


#: SQL functions a read-only query may not call even though they are "functions"
FORBIDDEN_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
READING_STATEMENT = re.compile(r"^\s*(\(\s*)*(select|with|values|table|explain|show)\b", re.I)


def run_query(
    engine: Engine, sql: str, *, max_rows: int = 1000, timeout_s: float = 10.0
) -> QueryResult:
    """Run ``sql`` read-only; raise QueryRefused with the reason when it is not allowed."""
    if not sql.strip():
        raise QueryRefused("refused: the statement is empty")
    if engine.dialect.name == "sqlite":
        return _sqlite(engine, sql, max_rows, timeout_s)
    if engine.dialect.name == "postgresql":
        return _postgresql(engine, sql, max_rows, timeout_s)
    raise QueryRefused(f"refused: no read-only mode for {engine.dialect.name}")


def _sqlite(engine: Engine, sql: str, max_rows: int, timeout_s: float) -> QueryResult:
    path = engine.url.database
    if not path or path == ":memory:":
        raise QueryRefused("refused: an in-memory database has nothing to query")
    try:
        # mode=rw never creates the file; writes are stopped by query_only and the authorizer.
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, isolation_level=None)
    except sqlite3.OperationalError as exc:
        raise DatabaseUnreachable(f"cannot open database {path}: {exc}") from None
    denied: list[str] = []

    def authorizer(action: int, arg1: str | None, arg2: str | None, _db: Any, _trigger: Any) -> int:
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() not in FORBIDDEN_FUNCTIONS:
            return sqlite3.SQLITE_OK
        denied.append(_describe(action, arg1, arg2))
        return sqlite3.SQLITE_DENY

    deadline = time.monotonic() + timeout_s

    def progress() -> int:
        return 1 if time.monotonic() > deadline else 0

    try:
        conn.execute("PRAGMA query_only = ON")
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 1000)}")
        conn.set_authorizer(authorizer)
        conn.set_progress_handler(progress, 10_000)
        try:
            cursor = conn.execute(sql)
            rows = cursor.fetchmany(max_rows + 1)
        except sqlite3.ProgrammingError as exc:
            if "one statement" in str(exc):
                raise QueryRefused("refused: only one statement per call") from None
            raise QueryRefused(f"refused: {exc}") from None
        except (sqlite3.DatabaseError, sqlite3.Warning) as exc:
            if denied:
                raise QueryRefused(f"refused: {denied[0]} is not reading") from None
            if "interrupted" in str(exc):
                raise QueryRefused(
                    f"refused: the query ran longer than the {timeout_s:g} s time limit"
                ) from None
            raise QueryRefused(f"query failed: {exc}") from None
        columns = [d[0] for d in cursor.description or []]
        return QueryResult(columns, [tuple(r) for r in rows[:max_rows]], len(rows) > max_rows)
    finally:
        conn.close()


# The authorizer's action codes (sqlite3 also exports result codes with the same numbers).
_ACTION_NAMES = [
    "CREATE_INDEX",
    "CREATE_TABLE",
    "CREATE_TEMP_INDEX",
    "CREATE_TEMP_TABLE",
    "CREATE_TEMP_TRIGGER",
    "CREATE_TEMP_VIEW",
    "CREATE_TRIGGER",
    "CREATE_VIEW",
    "DELETE",
    "DROP_INDEX",
    "DROP_TABLE",
    "DROP_TEMP_INDEX",
    "DROP_TEMP_TABLE",
    "DROP_TEMP_TRIGGER",
    "DROP_TEMP_VIEW",
    "DROP_TRIGGER",
    "DROP_VIEW",
    "INSERT",
    "PRAGMA",
    "READ",
    "SELECT",
    "TRANSACTION",
    "UPDATE",
    "ATTACH",
    "DETACH",
    "ALTER_TABLE",
    "REINDEX",
    "ANALYZE",
    "CREATE_VTABLE",
    "DROP_VTABLE",
    "FUNCTION",
    "SAVEPOINT",
    "RECURSIVE",
]
_ACTIONS = {
    getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ")
    for name in _ACTION_NAMES
    if hasattr(sqlite3, f"SQLITE_{name}")
}


def _describe(action: int, arg1: str | None, arg2: str | None) -> str:
    name = _ACTIONS.get(action, f"action {action}")
    detail = " ".join(a for a in (arg1, arg2) if a)
    return f"{name} {detail}".strip()


def _postgresql(engine: Engine, sql: str, max_rows: int, timeout_s: float) -> QueryResult:
    if not READING_STATEMENT.match(sql):
        keyword = sql.strip().split(None, 1)[0].upper()
        raise QueryRefused(f"refused: {keyword} is not a reading statement")
    import psycopg

    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert isinstance(driver, psycopg.Connection)
        driver.rollback()
        driver.autocommit = True
        driver.execute("BEGIN TRANSACTION READ ONLY")
        driver.execute(f"SET LOCAL statement_timeout = {int(timeout_s * 1000)}")
        try:
            cursor = driver.cursor()
            # prepare=True: the extended protocol, which accepts exactly one statement
            cursor.execute(sql, prepare=True)
            rows = cursor.fetchmany(max_rows + 1) if cursor.description else []
        except psycopg.errors.QueryCanceled:
            raise QueryRefused(
                f"refused: the query ran longer than the {timeout_s:g} s time limit"
            ) from None
        except psycopg.errors.SyntaxError as exc:
            if "multiple commands" in str(exc):
                raise QueryRefused("refused: only one statement per call") from None
            raise QueryRefused(f"query failed: {str(exc).strip()}") from None
        except psycopg.errors.ReadOnlySqlTransaction:
            raise QueryRefused("refused: the statement would write") from None
        except psycopg.Error as exc:
            raise QueryRefused(f"query failed: {str(exc).strip().splitlines()[0]}") from None
        finally:
            driver.execute("ROLLBACK")
        columns = [d.name for d in cursor.description or []]
        return QueryResult(columns, [tuple(r) for r in rows[:max_rows]], len(rows) > max_rows)
    finally:
        raw.invalidate()  # the session may carry settings the statement changed: never reuse it
