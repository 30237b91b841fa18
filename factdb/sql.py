"""Read-only SQL for analysts: ``factdb sql`` runs one statement that can only read.

A read-only file or transaction is not enough on its own (SQLite's ``mode=ro`` lets ``ATTACH``
create a file and ``VACUUM INTO`` write a copy; psycopg's simple protocol lets ``COMMIT; DELETE``
escape a read-only transaction). So on SQLite an authorizer allows reading and nothing else,
with ``query_only`` on; on PostgreSQL the statement is sent alone through the extended protocol
(one statement, no more) inside a ``READ ONLY`` transaction, as the reader role when the
connection has more powers than reading needs.

Every statement is bounded in time, rows and bytes. SQLite runs the statement in a child
process that is killed at the time limit: ``sqlite3_interrupt`` and the progress handler are only
looked at between steps, so one long function call (``instr`` over megabyte strings) would
otherwise ignore both. This module must never write to the database, never raise a limit the
database itself sets (the time limit can only be lowered), and never keep a session a statement
may have changed.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import re
import signal
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection as Pipe
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine

from factdb.db import require_database_file, sqlite_read_uri
from factdb.errors import (
    DatabaseUnreachable,
    FactdbError,
    Interrupted,
    InvalidOption,
    QueryRefused,
    QueryTimedOut,
    ResultTooLarge,
)
from factdb.roles import RoleNames

#: the default row cap; ``max_rows`` sets it for one call
DEFAULT_MAX_ROWS = 1000
#: the default time limit in seconds; a database's own limit wins when it is lower
DEFAULT_TIMEOUT_S = 10.0
#: at most this many bytes of values in one result (text as UTF-8, blobs as is, numbers as 8)
MAX_OUTPUT_BYTES = 64 * 1024 * 1024
#: at most this many bytes in one value; SQLite refuses to build a longer string or blob
MAX_VALUE_BYTES = 16 * 1024 * 1024
#: SQLite's own heap in the query process (sorting, grouping, building values)
SQLITE_HEAP_BYTES = 512 * 1024 * 1024
#: address space the SQLite query process may grow by, beyond what it started with
CHILD_MEMORY_BYTES = 1536 * 1024 * 1024
#: rows are handed over in batches of at most this many rows or bytes
BATCH_ROWS = 500
BATCH_BYTES = 1024 * 1024


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    truncated: bool


#: SQL functions a read-only query may not call even though they are "functions"
FORBIDDEN_FUNCTIONS = {"load_extension", "readfile", "writefile", "edit", "fts3_tokenizer"}
READING_STATEMENT = re.compile(r"^\s*(\(\s*)*(select|with|values|table|explain|show)\b", re.I)

#: PRAGMAs a query may reach through a table-valued function (``pragma_table_info('x')``) or
#: that a virtual table runs for itself (FTS5 reads ``data_version``); all of them only report.
SQLITE_READING_PRAGMAS = {
    "application_id",
    "collation_list",
    "compile_options",
    "data_version",
    "database_list",
    "encoding",
    "foreign_key_check",
    "foreign_key_list",
    "freelist_count",
    "function_list",
    "index_info",
    "index_list",
    "index_xinfo",
    "integrity_check",
    "module_list",
    "page_count",
    "page_size",
    "pragma_list",
    "quick_check",
    "schema_version",
    "table_info",
    "table_list",
    "table_xinfo",
    "user_version",
}
#: the columns SQLite's CREATE TABLE code sets in sqlite_master; it compiles (and throws away)
#: that UPDATE while a virtual table declares its columns, so reading json_each or an FTS5
#: table shows the authorizer an UPDATE of sqlite_master that never runs
_SCHEMA_COLUMNS = {"type", "name", "tbl_name", "rootpage", "sql"}
_SCHEMA_TABLES = {"sqlite_master", "sqlite_temp_master", "sqlite_schema", "sqlite_temp_schema"}

#: the membership roles that carry powers beyond reading (signals, server files, programs)
_POWER_ROLES = (
    "pg_signal_backend",
    "pg_read_server_files",
    "pg_write_server_files",
    "pg_execute_server_program",
    "pg_checkpoint",
    "pg_signal_autovacuum_worker",
)
#: words that change who the statement runs as, or run SQL built from a string (which could)
_PG_ROLE_CHANGERS = re.compile(
    r"\b(set_config|session_authorization|query_to_xml\w*|cursor_to_xml\w*"
    r"|table_to_xml\w*|schema_to_xml\w*|database_to_xml\w*|ts_stat|ts_rewrite)\b"
    r"|u&['\"]",
    re.I,
)


def run_query(
    engine: Engine,
    sql: str,
    *,
    max_rows: int = DEFAULT_MAX_ROWS,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_bytes: int = MAX_OUTPUT_BYTES,
    reader_role: str = RoleNames().reader,
) -> QueryResult:
    """Run ``sql`` read-only; raise QueryRefused with the reason when it is not allowed.

    ``timeout_s`` can only lower the database's own limit; ``reader_role`` is the role a
    PostgreSQL connection with more than reading powers drops to for the statement.
    """
    _check_limits(max_rows, timeout_s, max_bytes)
    if not sql.strip():
        raise QueryRefused("refused: the statement is empty")
    if engine.dialect.name == "sqlite":
        return _sqlite(engine, sql, max_rows, timeout_s, max_bytes)
    if engine.dialect.name == "postgresql":
        return _postgresql(engine, sql, max_rows, timeout_s, max_bytes, reader_role)
    raise QueryRefused(f"refused: no read-only mode for {engine.dialect.name}")


def _check_limits(max_rows: int, timeout_s: float, max_bytes: int) -> None:
    """Refuse limits that would switch a limit off: every query has all three."""
    if max_rows < 1:
        raise InvalidOption(f"--max-rows must be at least 1, not {max_rows}")
    if not math.isfinite(timeout_s) or timeout_s <= 0:
        raise InvalidOption(
            f"--timeout must be a positive number of seconds, not {timeout_s:g} "
            "(there is always a time limit)"
        )
    if max_bytes < 1:
        raise InvalidOption(f"the output limit must be at least 1 byte, not {max_bytes}")


def _timed_out(timeout_s: float) -> QueryTimedOut:
    return QueryTimedOut(
        f"refused: stopped after {timeout_s:g} s, the time limit (--timeout); "
        "narrow the query or lower its cost"
    )


def _too_large(max_bytes: int, rows: int) -> ResultTooLarge:
    return ResultTooLarge(
        f"refused: the result passed the {_size(max_bytes)} output limit after {rows} rows; "
        "select fewer rows or columns (--max-rows)"
    )


def _size(n: int) -> str:
    return f"{n // (1024 * 1024)} MB" if n >= 1024 * 1024 else f"{n} bytes"


def value_bytes(value: Any) -> int:
    """The bytes a value counts for against the output limit."""
    if value is None:
        return 0
    if isinstance(value, str):
        return len(value) if value.isascii() else len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bytes | bytearray | memoryview):
        return len(value)
    if isinstance(value, int | float | bool):
        return 8
    return len(str(value))


# --- SQLite -------------------------------------------------------------------------------------


def _open_sqlite(path: str) -> sqlite3.Connection:
    """Open the database file for reading; never creates it, nor files beside it that another
    user would have to clean up (``factdb.db.sqlite_read_uri``).

    Writes are stopped by ``query_only`` and the authorizer, not by the open mode.
    """
    try:
        uri = sqlite_read_uri(Path(path))
        return sqlite3.connect(uri, uri=True, isolation_level=None)
    except sqlite3.OperationalError as exc:
        raise DatabaseUnreachable(f"cannot open database {path}: {exc}") from None


def _sqlite(
    engine: Engine, sql: str, max_rows: int, timeout_s: float, max_bytes: int
) -> QueryResult:
    path = engine.url.database
    if not path or path == ":memory:":
        raise QueryRefused("refused: an in-memory database has nothing to query")
    require_database_file(engine)
    context: Any = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_sqlite_child,
        args=(sender, path, sql, max_rows, timeout_s, max_bytes),
        daemon=True,
    )
    deadline = time.monotonic() + timeout_s
    columns: list[str] = []
    rows: list[tuple[Any, ...]] = []
    try:
        _start_without_sigint(child)
        sender.close()
        while True:
            left = deadline - time.monotonic()
            if left <= 0 or not receiver.poll(left):
                raise _timed_out(timeout_s)
            try:
                kind, payload = receiver.recv()
            except EOFError:
                raise QueryRefused(
                    "query failed: the query process ended without an answer "
                    "(out of memory?); narrow the query"
                ) from None
            if kind == "columns":
                columns = payload
            elif kind == "rows":
                rows.extend(payload)
            elif kind == "end":
                return QueryResult(columns, rows, bool(payload))
            else:
                raise _SQLITE_ERRORS[kind](payload)
    except KeyboardInterrupt:
        raise Interrupted("interrupted; the query was stopped and nothing was written") from None
    finally:
        sender.close()
        receiver.close()
        if child.is_alive():
            child.kill()  # a read holds no lock worth keeping; killing it changes nothing
        if child.pid is not None:
            child.join()


def _start_without_sigint(child: Any) -> None:
    """Start the query process with SIGINT blocked, so Ctrl-C never lands in it half-made.

    A Ctrl-C meanwhile stays pending in this process and arrives when the mask is restored.
    """
    if not hasattr(signal, "pthread_sigmask"):
        child.start()
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        child.start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


_SQLITE_ERRORS: dict[str, Callable[[str], FactdbError]] = {
    "refused": QueryRefused,
    "too_large": ResultTooLarge,
    "unreachable": DatabaseUnreachable,
}


def _sqlite_child(
    out: Pipe, path: str, sql: str, max_rows: int, timeout_s: float, max_bytes: int
) -> None:
    """The query process: run the statement and send columns, row batches and the end."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops this process on Ctrl-C
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    _limit_address_space(CHILD_MEMORY_BYTES)
    try:
        _stream_sqlite(out, path, sql, max_rows, timeout_s, max_bytes)
    except FactdbError as exc:
        kind = next(k for k, v in _SQLITE_KINDS if isinstance(exc, v))
        out.send((kind, str(exc)))
    except MemoryError:
        out.send(("too_large", "refused: the query needed more memory than allowed; narrow it"))
    finally:
        out.close()


_SQLITE_KINDS: list[tuple[str, type[FactdbError]]] = [
    ("too_large", ResultTooLarge),
    ("unreachable", DatabaseUnreachable),
    ("refused", FactdbError),
]


def _limit_address_space(extra: int) -> None:
    """Cap this (child) process's address space at its present size plus ``extra`` bytes."""
    try:
        import resource

        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[0])
        current = pages * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        wanted = current + extra
        if soft != resource.RLIM_INFINITY:
            wanted = min(wanted, soft)
        resource.setrlimit(resource.RLIMIT_AS, (wanted, hard))
    except (ImportError, OSError, ValueError):
        pass  # no /proc or no rlimits: the SQLite heap limit still holds


def _authorizer(denied: list[str]) -> Callable[[int, str | None, str | None, Any, Any], int]:
    """Allow what a query needs and nothing else; record what was denied, for the message.

    The first action SQLite asks about names the statement (SELECT for a query); only a query
    may reach the schema UPDATE a virtual table compiles and throws away, and the reporting
    PRAGMAs of table-valued functions. That UPDATE gets IGNORE, which would leave every column
    as it was even if it ever ran.
    """
    first: list[int] = []

    def authorize(action: int, arg1: str | None, arg2: str | None, _db: Any, _trig: Any) -> int:
        if not first:
            first.append(action)
        query = first[0] == sqlite3.SQLITE_SELECT
        if action in (sqlite3.SQLITE_SELECT, sqlite3.SQLITE_READ, sqlite3.SQLITE_RECURSIVE):
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION and (arg2 or "").lower() not in FORBIDDEN_FUNCTIONS:
            return sqlite3.SQLITE_OK
        if (
            query
            and action == sqlite3.SQLITE_UPDATE
            and (arg1 or "").lower() in _SCHEMA_TABLES
            and (arg2 or "").lower() in _SCHEMA_COLUMNS
        ):
            return sqlite3.SQLITE_IGNORE
        if (
            query
            and action == sqlite3.SQLITE_PRAGMA
            and (arg1 or "").lower() in SQLITE_READING_PRAGMAS
            and (arg2 is None or (arg1 or "").lower() not in _PRAGMAS_SETTING_WITH_ARG)
        ):
            return sqlite3.SQLITE_OK
        denied.append(_describe(action, arg1, arg2))
        return sqlite3.SQLITE_DENY

    return authorize


#: reporting pragmas whose argument would set a value in ``PRAGMA name = value`` form
_PRAGMAS_SETTING_WITH_ARG = {"application_id", "user_version", "schema_version", "page_size"}


def _stream_sqlite(
    out: Pipe, path: str, sql: str, max_rows: int, timeout_s: float, max_bytes: int
) -> None:
    conn = _open_sqlite(path)
    denied: list[str] = []
    try:
        conn.execute("PRAGMA query_only = ON")
        # a lock held by a writer is reported as such, a little before the time limit
        conn.execute(f"PRAGMA busy_timeout = {int(timeout_s * 800)}")
        conn.execute(f"PRAGMA hard_heap_limit = {SQLITE_HEAP_BYTES}")
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
        conn.set_authorizer(_authorizer(denied))
        try:
            cursor = conn.execute(sql)
            out.send(("columns", [d[0] for d in cursor.description or []]))
            truncated = _send_rows(out, cursor, max_rows, max_bytes)
        except sqlite3.ProgrammingError as exc:
            if "one statement" in str(exc):
                raise QueryRefused("refused: only one statement per call") from None
            raise QueryRefused(f"refused: {exc}") from None
        except (sqlite3.DatabaseError, sqlite3.Warning) as exc:
            if denied:
                raise QueryRefused(f"refused: {denied[0]} is not reading") from None
            if "too big" in str(exc):
                raise ResultTooLarge(
                    f"refused: a value passed the {_size(MAX_VALUE_BYTES)} limit on one value"
                ) from None
            if "out of memory" in str(exc):
                raise ResultTooLarge(
                    "refused: the query needed more memory than allowed; narrow it"
                ) from None
            raise QueryRefused(f"query failed: {exc}") from None
        out.send(("end", truncated))
    finally:
        conn.close()


def _send_rows(out: Pipe, rows: Iterable[tuple[Any, ...]], max_rows: int, max_bytes: int) -> bool:
    """Send rows in batches, counting bytes; True when more than ``max_rows`` rows were there."""
    batch: list[tuple[Any, ...]] = []
    batch_bytes = total = 0
    for count, row in enumerate(rows):
        if count == max_rows:
            if batch:
                out.send(("rows", batch))
            return True
        size = sum(value_bytes(v) for v in row)
        total += size
        if total > max_bytes:
            raise _too_large(max_bytes, count)
        batch.append(tuple(row))
        batch_bytes += size
        if len(batch) >= BATCH_ROWS or batch_bytes >= BATCH_BYTES:
            out.send(("rows", batch))
            batch, batch_bytes = [], 0
    if batch:
        out.send(("rows", batch))
    return False


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


# --- PostgreSQL ---------------------------------------------------------------------------------


def strip_leading_comments(sql: str) -> str:
    """The statement without the comments and blanks before its first word."""
    text = sql.lstrip()
    while True:
        if text.startswith("--"):
            newline = text.find("\n")
            text = "" if newline < 0 else text[newline + 1 :].lstrip()
        elif text.startswith("/*"):
            depth, i = 0, 0
            while i < len(text):  # PostgreSQL's block comments nest
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                    if depth == 0:
                        break
                else:
                    i += 1
            text = text[i:].lstrip() if depth == 0 else ""
        else:
            return text


def _postgresql(
    engine: Engine,
    sql: str,
    max_rows: int,
    timeout_s: float,
    max_bytes: int,
    reader_role: str,
) -> QueryResult:
    body = strip_leading_comments(sql)
    if not body:
        raise QueryRefused("refused: the statement is only a comment")
    if not READING_STATEMENT.match(body):
        keyword = body.split(None, 1)[0].upper()
        raise QueryRefused(f"refused: {keyword} is not a reading statement")
    import psycopg

    raw = engine.raw_connection()
    limit_ms = max(1, int(timeout_s * 1000))
    try:
        driver = raw.driver_connection
        assert isinstance(driver, psycopg.Connection)
        driver.rollback()
        driver.autocommit = True
        driver.execute("BEGIN TRANSACTION READ ONLY")
        cursor = driver.cursor()
        try:
            _drop_powers(cursor, reader_role, body)
            limit_ms = _lowered_timeout_ms(cursor, timeout_s)
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", (f"{limit_ms}ms",))
            # stream(): the extended protocol, which accepts exactly one statement, row by row
            return _collect(cursor, cursor.stream(sql), max_rows, max_bytes)
        except psycopg.errors.QueryCanceled:
            raise _timed_out(limit_ms / 1000) from None
        except psycopg.errors.SyntaxError as exc:
            if "multiple commands" in str(exc):
                raise QueryRefused("refused: only one statement per call") from None
            raise QueryRefused(f"query failed: {_first_line(exc)}") from None
        except psycopg.errors.ReadOnlySqlTransaction:
            raise QueryRefused("refused: the statement would write") from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise QueryRefused(f"refused: {_first_line(exc)}") from None
        except psycopg.Error as exc:
            raise QueryRefused(f"query failed: {_first_line(exc)}") from None
        except KeyboardInterrupt:
            raise Interrupted(
                "interrupted; the query was stopped and nothing was written"
            ) from None
    finally:
        raw.invalidate()  # never reuse a session the statement ran in; closing it rolls back


def _collect(
    cursor: Any, stream: Iterator[tuple[Any, ...]], max_rows: int, max_bytes: int
) -> QueryResult:
    """Take rows one at a time until the end, the row cap or the byte cap."""
    rows: list[tuple[Any, ...]] = []
    total, truncated = 0, False
    try:
        for row in stream:
            if len(rows) == max_rows:
                truncated = True
                break
            total += sum(value_bytes(v) for v in row)
            if total > max_bytes:
                raise _too_large(max_bytes, len(rows))
            rows.append(tuple(row))
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()  # a generator: cancels whatever the server would still send
    return QueryResult([d.name for d in cursor.description or []], rows, truncated)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _drop_powers(cursor: Any, reader_role: str, body: str) -> None:
    """Run as the reader role when the login can do more than read; refuse when it cannot.

    A superuser (or a role with replication, signalling or server-file powers) could call
    ``pg_reload_conf()`` or ``pg_terminate_backend()`` inside a read-only transaction. Under
    ``SET LOCAL SESSION AUTHORIZATION`` the statement runs as the reader, and ``SET ROLE`` back
    is refused by the server; ``set_config`` on the session's identity and functions that run
    SQL from a string are refused here.
    """
    cursor.execute(
        "SELECT r.rolsuper OR r.rolreplication OR r.rolbypassrls OR EXISTS ("
        " SELECT FROM pg_roles p WHERE p.rolname = ANY(%s) AND pg_has_role(r.oid, p.oid, 'USAGE'))"
        " FROM pg_roles r WHERE r.rolname = current_user",
        (list(_POWER_ROLES),),
    )
    row = cursor.fetchone()
    if not row or not row[0]:
        return
    cursor.execute("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = %s)", (reader_role,))
    found = cursor.fetchone()
    if not found or not found[0]:
        raise QueryRefused(
            f"refused: this connection can do more than read (superuser or similar) and there "
            f"is no {reader_role} role to run as; run `factdb db roles` or connect as a reader"
        )
    changer = _PG_ROLE_CHANGERS.search(body)
    if changer:
        raise QueryRefused(
            f"refused: {changer.group(0).strip()} could change who the statement runs as; "
            "connect as a reader to use it"
        )
    from psycopg import sql as pgsql

    cursor.execute(
        pgsql.SQL("SET LOCAL SESSION AUTHORIZATION {}").format(pgsql.Identifier(reader_role))
    )
    _apply_role_timeout(cursor, reader_role)


def _apply_role_timeout(cursor: Any, role: str) -> None:
    """Give the session the reader role's own statement_timeout, as a reader login would get."""
    cursor.execute(
        "SELECT s.setting FROM pg_db_role_setting d JOIN pg_roles r ON r.oid = d.setrole, "
        "LATERAL unnest(d.setconfig) AS s(setting) "
        "WHERE r.rolname = %s AND d.setdatabase IN "
        "(0, (SELECT oid FROM pg_database WHERE datname = current_database())) "
        "AND s.setting LIKE 'statement\\_timeout=%%' ORDER BY d.setdatabase DESC LIMIT 1",
        (role,),
    )
    row = cursor.fetchone()
    if row:
        value = str(row[0]).split("=", 1)[1]
        current = _current_timeout_ms(cursor)
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", (value,))
        role_ms = _current_timeout_ms(cursor)
        lowest = min((ms for ms in (current, role_ms) if ms > 0), default=0)
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", (f"{lowest}ms",))


def _current_timeout_ms(cursor: Any) -> int:
    cursor.execute("SELECT setting::bigint FROM pg_settings WHERE name = 'statement_timeout'")
    row = cursor.fetchone()
    return int(row[0]) if row else 0


def _lowered_timeout_ms(cursor: Any, timeout_s: float) -> int:
    """The time limit to use: ``timeout_s``, or the session's own limit when that is lower."""
    wanted = max(1, int(timeout_s * 1000))
    current = _current_timeout_ms(cursor)
    return min(wanted, current) if current > 0 else wanted
