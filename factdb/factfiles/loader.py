"""Load fact files: check them, then write them in one transaction, retrying lost races.

Files are read and checked before the write transaction begins, so a slow or hostile file never
holds the database's write lock; resolving against the database and writing happen under it
(``catalog`` reads, ``writer`` writes). This module owns the transaction and the retry policy.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from factdb.db import connect, is_busy_error
from factdb.errors import FactFileError, PermissionDenied
from factdb.factfiles.catalog import read_catalog
from factdb.factfiles.validate import (
    check_files,
    discover,
    resolve,
)
from factdb.factfiles.writer import TABLE_ORDER, LoadReport, Writer
from factdb.history import close_changeset, open_changeset
from factdb.schema_version import require_head

__all__ = ["TABLE_ORDER", "LoadReport", "bundled_seeds", "load"]

#: a concurrent loader that lost a unique-key race starts again; it sees the winner's rows
logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 20
#: a table that gained or lost this many rows in a load gets fresh planner statistics after it
ANALYZE_AFTER_ROWS = 1_000
#: SQLSTATEs that mean the database user may not write: insufficient_privilege, read-only
PRIVILEGE_STATES = {"42501", "25006"}


def bundled_seeds() -> Path:
    """The seeds shipped with factdb: inside the wheel, or ``seeds/`` in a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_seeds"
    return packaged if packaged.is_dir() else here.parent / "seeds"


def _require_write_privileges(conn: Connection) -> None:
    """On PostgreSQL, name the privilege a read-only user lacks before anything is tried."""
    if conn.dialect.name != "postgresql":
        return
    user = conn.scalar(sa.text("SELECT current_user"))
    for table in TABLE_ORDER:
        for privilege in ("INSERT", "UPDATE", "DELETE"):
            allowed = conn.scalar(
                sa.text("SELECT has_table_privilege(:table, :privilege)"),
                {"table": table, "privilege": privilege},
            )
            if not allowed:
                raise PermissionDenied(
                    f"database user {user!r} lacks {privilege} on table {table}; loading fact "
                    "files needs the writer role (see docs/shared-database.md); nothing was written"
                )


def load(
    engine: Engine, paths: Sequence[Path] | None = None, *, dry_run: bool = False
) -> LoadReport:
    """Validate then load fact files in one transaction; raise FactFileError listing all problems.

    Unique-key races and serialisation failures with a concurrent loader are retried; a
    retry starts from scratch, re-reading what the database holds.
    """
    files = discover(paths or [bundled_seeds()])
    if not files:
        raise FactFileError([f"{', '.join(map(str, paths or []))}: no fact files (*.yaml) found"])
    # Parsing, source texts and quotes need no database: done before any lock is taken.
    checked, problems = check_files(files)
    if problems:
        raise FactFileError([str(p) for p in problems])
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with connect(engine) as conn:
                with conn.begin() as tx:
                    require_head(conn)
                    _require_write_privileges(conn)
                    # Resolving against what the database holds is fast: done under the lock,
                    # so nothing can change between the check and the write.
                    plan, problems = resolve(checked, read_catalog(conn, checked))
                    if plan is None:
                        raise FactFileError([str(p) for p in problems])
                    report = LoadReport(files, dry_run=dry_run)
                    changeset = open_changeset(conn, "factdb seed", files)
                    Writer(conn, plan, report).write()
                    close_changeset(conn, changeset, report.tables)
                    if dry_run:
                        tx.rollback()
                break
        except sa.exc.DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) in PRIVILEGE_STATES:
                detail = str(exc.orig).strip().splitlines()[0]
                raise PermissionDenied(
                    f"the database user may not write ({_statement_kind(exc.statement)} refused: "
                    f"{detail}); loading fact files needs the writer role; nothing was written"
                ) from None
            if not isinstance(exc, sa.exc.IntegrityError | sa.exc.OperationalError):
                raise
            if attempt < MAX_ATTEMPTS and _retryable(exc):
                # jittered back-off, so retrying loaders do not collide again in step
                time.sleep(random.uniform(0.02, 0.1) * attempt)
                continue
            if isinstance(exc, sa.exc.IntegrityError):
                detail = str(exc.orig).strip().splitlines()[0]
                raise FactFileError(
                    [f"the database refused the load, nothing was written: {detail}"]
                ) from None
            raise
    else:
        raise AssertionError("unreachable")  # pragma: no cover
    if not dry_run:
        # after the commit, outside the retries: a load that is stored is never run again
        refresh_statistics(engine, report)
    return report


def refresh_statistics(engine: Engine, report: LoadReport) -> None:
    """ANALYZE, on PostgreSQL, the tables a load grew or shrank by many rows.

    The next load's reads join on these tables; planned with the statistics of a table that was
    nearly empty, PostgreSQL picks nested loops over whole-table scans, and a second load of
    66,000 entities took minutes instead of seconds until autovacuum caught up. Run after the
    commit, in a transaction of its own, so no lock is held with the write. Only tables the user
    may analyze (its own, or any for a superuser) are: for the others, autovacuum's statistics
    are the ones used. The load is stored whatever happens here: a failure (a lock or statement
    timeout, a lost connection) is logged as a warning, not raised.
    """
    if engine.dialect.name != "postgresql":
        return
    grown = [
        name
        for name, counts in report.tables.items()
        if counts.inserted + counts.deleted >= ANALYZE_AFTER_ROWS
    ]
    if not grown:
        return
    try:
        _analyze(engine, grown)
    except sa.exc.DBAPIError as exc:
        detail = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        logger.warning("statistics of %s not refreshed: %s", ", ".join(grown), detail)


def _analyze(engine: Engine, tables: list[str]) -> None:
    with connect(engine) as conn, conn.begin():
        mine = conn.scalars(
            sa.text(
                "SELECT c.relname FROM pg_class c "
                "WHERE c.relname = ANY(:names) AND c.relnamespace = current_schema()::regnamespace "
                "AND pg_has_role(c.relowner, 'USAGE') ORDER BY c.relname"
            ),
            {"names": tables},
        ).all()
        if mine:
            conn.exec_driver_sql(f"ANALYZE {', '.join(mine)}")


def _statement_kind(statement: str | None) -> str:
    """``INSERT INTO sources ...`` -> ``INSERT on table sources``: the privilege it needs."""
    match = re.match(r"\s*(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", statement or "", re.I)
    if match is None:
        return "a write"
    return f"{match.group(1).split()[0].upper()} on table {match.group(2)}"


def _retryable(exc: sa.exc.DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    # unique_violation, serialization_failure, deadlock_detected
    return code in {"23505", "40001", "40P01"} and not is_busy_error(exc)
