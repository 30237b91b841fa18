"""A consistent copy of a factdb database in a new SQLite file, for Datasette, sqlite-utils or a
laptop without the shared server.

The source (PostgreSQL or SQLite) is read in one snapshot (``consistent_read``: on PostgreSQL a
``REPEATABLE READ, READ ONLY`` transaction), so the copy is the database as of one instant even
while loaders write. The new file is created by factdb's own migrations, at the head revision,
with its views, CHECKs and full-text triggers; every table's rows are then copied through the
models' types in dependency order, ids preserved, in batches. The full-text index is filled by
the insert triggers as rows arrive. The file is built under a temporary name and renamed only when
complete. This module must never write to the source database and never print.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from factdb.errors import OutputExists
from factdb.export import BATCH_ROWS, consistent_read, new_temp_file

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@dataclass
class SnapshotReport:
    path: Path
    #: table -> rows copied, in the order they were copied
    rows: dict[str, int] = field(default_factory=dict)


def _portable(value: Any) -> Any:
    """SQLite keeps no time zone: store an aware time as UTC, as factdb writes it there."""
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC)
    return value


def _remove_sqlite_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def snapshot(
    source: Engine,
    out: Path,
    *,
    force: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> SnapshotReport:
    """Copy the database behind ``source`` into a new SQLite file ``out``.

    Refuses when ``out`` exists (unless ``force``) or the source is not at the head revision;
    nothing is left behind on failure. ``progress`` is called with a table and its rows so far.
    """
    import sqlalchemy as sa

    from factdb.db import connect, make_engine, sqlite_path
    from factdb.migrate import upgrade
    from factdb.models import metadata

    if out.is_dir():
        raise OutputExists(f"{out} is a directory; name the SQLite file to create")
    if out.exists() and not force:
        raise OutputExists(f"{out} already exists; use --force to replace it, or name a new file")
    own = sqlite_path(source)
    if own is not None and out.exists() and own.resolve() == out.resolve():
        raise OutputExists(f"{out} is the database being copied; name a new file")
    report = SnapshotReport(out)
    with consistent_read(source) as src:
        made_parent = not out.parent.exists()
        out.parent.mkdir(parents=True, exist_ok=True)
        temp = new_temp_file(out)
        target = make_engine(f"sqlite:///{temp}")
        try:
            upgrade(target)
            with connect(target) as dst:
                # Rows of a self-referencing table (an event's parent) may come after the rows
                # that point to them; checked at commit instead.
                dst.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
                for table in metadata.sorted_tables:
                    keys = [column.key for column in table.columns]
                    result = src.execution_options(
                        stream_results=True, yield_per=BATCH_ROWS
                    ).execute(sa.select(table).order_by(*table.primary_key.columns))
                    copied = 0
                    with result:
                        for batch in result.partitions(BATCH_ROWS):
                            dst.execute(
                                table.insert(),
                                [
                                    dict(zip(keys, map(_portable, row), strict=True))
                                    for row in batch
                                ],
                            )
                            copied += len(batch)
                            if progress is not None:
                                progress(table.name, copied)
                    report.rows[table.name] = copied
                dst.commit()
            target.dispose()
            # One self-contained file: no -wal beside it for a reader to need.
            with contextlib.closing(sqlite3.connect(temp)) as plain:
                plain.execute("PRAGMA journal_mode = DELETE")
            os.replace(temp, out)
        except BaseException:
            target.dispose()
            _remove_sqlite_file(temp)
            if made_parent:
                with contextlib.suppress(OSError):
                    out.parent.rmdir()
            raise
    return report
