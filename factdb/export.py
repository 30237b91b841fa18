"""Full exports of the documented views: one file per view, CSV, JSON Lines or Parquet.

``factdb sql`` caps its rows; an export does not. Rows are streamed (a server-side cursor on
PostgreSQL, SQLite's lazy cursor) and written batch by batch, so memory stays flat however many
rows a view holds. Every view is read in one consistent snapshot (``consistent_read``). Values are
written raw: money as exact decimals, dates as ISO dates beside their precision column, booleans
as true/false, never a thousands separator.

Each file is written under a temporary name in the target directory and renamed only when every
file is complete, so a failed or interrupted export leaves no half-written file. This module must
not print or parse options (that is the CLI's job) and must not write to the database.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import enum
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from factdb.catalog import VIEWS
from factdb.errors import InvalidOption, MissingExtra, OutputExists

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection, Engine

FORMATS = ("csv", "jsonl", "parquet")
#: Rows fetched and written at a time; also the Parquet row-group size.
BATCH_ROWS = 10_000
CENT = Decimal("0.01")


class ColumnKind(enum.StrEnum):
    """How a view column is written: the same on both backends, whatever the driver returns."""

    TEXT = "text"
    INTEGER = "integer"
    MONEY = "money"
    DATE = "date"
    BOOLEAN = "boolean"


_K = ColumnKind
#: view -> column -> kind, for every documented column that is not text.
#: ``tests/test_export.py`` fails when a column named here is not a documented one.
COLUMN_KINDS: dict[str, dict[str, ColumnKind]] = {
    "v_entities": {"id": _K.INTEGER},
    "v_events": {"id": _K.INTEGER, "start_date": _K.DATE, "end_date": _K.DATE},
    "v_event_participants": {
        "id": _K.INTEGER,
        "event_start_date": _K.DATE,
        "count": _K.INTEGER,
    },
    "v_trade": {
        "id": _K.INTEGER,
        "year": _K.INTEGER,
        "month": _K.INTEGER,
        "months": _K.INTEGER,
        "value": _K.MONEY,
        "value_cents": _K.INTEGER,
        "value_low": _K.MONEY,
        "value_high": _K.MONEY,
        "derived": _K.BOOLEAN,
        "as_of": _K.DATE,
        "source_line": _K.INTEGER,
    },
    "v_relations": {"id": _K.INTEGER, "valid_from": _K.DATE, "valid_to": _K.DATE},
    "v_evidence": {
        "id": _K.INTEGER,
        "fact_id": _K.INTEGER,
        "quote_start": _K.INTEGER,
        "quote_end": _K.INTEGER,
        "verbatim": _K.BOOLEAN,
    },
    "v_roles": {
        "id": _K.INTEGER,
        "valid_from": _K.DATE,
        "valid_to": _K.DATE,
        "current": _K.BOOLEAN,
    },
    "v_sources": {
        "id": _K.INTEGER,
        "published_on": _K.DATE,
        "has_text": _K.BOOLEAN,
        "row_count": _K.INTEGER,
    },
    "v_quantities": {
        "id": _K.INTEGER,
        "value": _K.MONEY,
        "value_hundredths": _K.INTEGER,
        "date": _K.DATE,
        "base_date": _K.DATE,
    },
    "v_documents": {"id": _K.INTEGER, "count": _K.INTEGER, "signed_on": _K.DATE},
    "v_changesets": {"id": _K.INTEGER, "versions": _K.INTEGER},
    "v_history": {"id": _K.INTEGER, "changeset_id": _K.INTEGER, "row_id": _K.INTEGER},
}


def column_kind(view: str, column: str) -> ColumnKind:
    return COLUMN_KINDS.get(view, {}).get(column, ColumnKind.TEXT)


def _money(value: Any) -> Decimal:
    """An exact amount to the cent. SQLite's views give money as a REAL (cents / 100.0): the
    nearest double, which rounds back to the exact cents up to about 10^13."""
    if isinstance(value, Decimal):
        return value.quantize(CENT)
    if isinstance(value, float):
        return (Decimal(round(value * 100)) / 100).quantize(CENT)
    return Decimal(str(value)).quantize(CENT)


def _date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


#: Drivers already give text as str and integers as int; these kinds need converting.
_CONVERT: dict[ColumnKind, Callable[[Any], Any]] = {
    ColumnKind.MONEY: _money,
    ColumnKind.DATE: _date,
    ColumnKind.BOOLEAN: bool,
}


def _from_cents(cents: Any) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(CENT)


def row_normaliser(view: str, columns: Sequence[str]) -> Callable[[Sequence[Any]], list[Any]]:
    """A function turning one driver row into canonical Python values: str, int, Decimal
    (money, two places), date, bool or None.

    A money column with a ``<name>_cents`` twin (``v_trade.value``) is taken from the twin, the
    exact integer, whatever type the backend gives the view's own column. Only the columns that
    need it are touched: this runs once per row of million-row exports.
    """
    steps: list[tuple[int, int, Callable[[Any], Any]]] = []
    for index, column in enumerate(columns):
        kind = column_kind(view, column)
        twin = f"{column}_cents"
        if kind is ColumnKind.MONEY and twin in columns:
            steps.append((index, columns.index(twin), _from_cents))
        elif kind in _CONVERT:
            steps.append((index, index, _CONVERT[kind]))

    def normalise(row: Sequence[Any]) -> list[Any]:
        out = list(row)
        for index, source, convert in steps:
            value = row[source]
            out[index] = None if value is None else convert(value)
        return out

    return normalise


def _json_default(value: Any) -> Any:
    """Money as a decimal string (exact in every JSON reader), dates as ISO dates."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dt.date):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


class _Writer:
    """Writes batches of canonical rows to one open file."""

    def __init__(self, handle: IO[bytes], view: str, columns: list[str]) -> None:
        self.handle = handle
        self.view = view
        self.columns = columns

    def write(self, rows: list[list[Any]]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Finish the file (a Parquet footer); the handle itself is closed by the caller."""


class _CsvWriter(_Writer):
    def __init__(self, handle: IO[bytes], view: str, columns: list[str]) -> None:
        super().__init__(handle, view, columns)
        import io

        self.text = io.TextIOWrapper(handle, encoding="utf-8", newline="", write_through=True)
        self.csv = csv.writer(self.text)
        self.csv.writerow(columns)
        self.booleans = [
            i for i, c in enumerate(columns) if column_kind(view, c) is ColumnKind.BOOLEAN
        ]

    def write(self, rows: list[list[Any]]) -> None:
        # The csv module already writes None as an empty field, a Decimal with its two places
        # and a date as ISO; only booleans need spelling out.
        for row in rows:
            for i in self.booleans:
                if row[i] is not None:
                    row[i] = "true" if row[i] else "false"
        self.csv.writerows(rows)

    def close(self) -> None:
        self.text.flush()
        self.text.detach()


class _JsonlWriter(_Writer):
    def write(self, rows: list[list[Any]]) -> None:
        lines = [
            json.dumps(
                dict(zip(self.columns, row, strict=True)),
                ensure_ascii=False,
                default=_json_default,
            )
            for row in rows
        ]
        self.handle.write(("\n".join(lines) + "\n").encode())


class _ParquetWriter(_Writer):
    def __init__(self, handle: IO[bytes], view: str, columns: list[str]) -> None:
        super().__init__(handle, view, columns)
        import pyarrow as pa
        import pyarrow.parquet as pq

        self.pa = pa
        self.schema = parquet_schema(view, columns)
        self.parquet = pq.ParquetWriter(handle, self.schema)

    def write(self, rows: list[list[Any]]) -> None:
        arrays = [
            self.pa.array([row[i] for row in rows], type=field.type)
            for i, field in enumerate(self.schema)
        ]
        self.parquet.write_batch(self.pa.record_batch(arrays, schema=self.schema))

    def close(self) -> None:
        self.parquet.close()


_WRITERS: dict[str, type[_Writer]] = {
    "csv": _CsvWriter,
    "jsonl": _JsonlWriter,
    "parquet": _ParquetWriter,
}


def parquet_schema(view: str, columns: Sequence[str]) -> Any:
    """The Arrow schema of a view: decimal128(20, 2) money, date32, int64, bool, string."""
    import pyarrow as pa

    types = {
        ColumnKind.TEXT: pa.string(),
        ColumnKind.INTEGER: pa.int64(),
        ColumnKind.MONEY: pa.decimal128(20, 2),
        ColumnKind.DATE: pa.date32(),
        ColumnKind.BOOLEAN: pa.bool_(),
    }
    return pa.schema([pa.field(c, types[column_kind(view, c)]) for c in columns])


def require_pyarrow() -> None:
    """Refuse Parquet early, before anything is read or written, when pyarrow is missing."""
    try:
        import pyarrow  # noqa: F401, RUF100
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise MissingExtra(
            "Parquet export needs pyarrow: install factdb[parquet] "
            "(pip install 'factdb[parquet]'), or use --format csv or jsonl"
        ) from None


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise InvalidOption(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    return fmt


def check_views(names: Iterable[str] | None) -> list[str]:
    """The views to export, in the documented order; every documented one when none is named."""
    chosen = list(dict.fromkeys(names or []))
    unknown = [name for name in chosen if name not in VIEWS]
    if unknown:
        raise InvalidOption(
            f"--view: no documented view named {', '.join(map(repr, unknown))}; "
            f"choose from {', '.join(VIEWS)}"
        )
    return [name for name in VIEWS if name in chosen] if chosen else list(VIEWS)


@contextlib.contextmanager
def consistent_read(engine: Engine) -> Iterator[Connection]:
    """A read-only connection on a migrated database whose reads all see one snapshot.

    PostgreSQL: one ``REPEATABLE READ, READ ONLY`` transaction. SQLite: one deferred read
    transaction, which in WAL mode sees the database as of its first read.
    """
    from factdb.db import connect
    from factdb.schema_version import require_head

    with connect(engine, read_only=True) as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
            conn.exec_driver_sql("SET TRANSACTION READ ONLY")
        require_head(conn)
        yield conn


def stream_view(conn: Connection, view: str) -> tuple[list[str], Iterator[list[list[Any]]]]:
    """The view's columns and its rows in batches of canonical values, ordered by id.

    ``view`` must be a documented view name (checked by ``check_views``).
    """
    import sqlalchemy as sa

    assert view in VIEWS
    result = conn.execution_options(stream_results=True, yield_per=BATCH_ROWS).execute(
        sa.text(f"SELECT * FROM {view} ORDER BY id")
    )
    columns = list(result.keys())
    normalise = row_normaliser(view, columns)

    def batches() -> Iterator[list[list[Any]]]:
        with result:
            for partition in result.partitions(BATCH_ROWS):
                yield [normalise(row) for row in partition]

    return columns, batches()


@dataclass(frozen=True)
class ExportedFile:
    view: str
    path: Path
    rows: int


def new_temp_file(target: Path) -> Path:
    """An empty file beside ``target`` to build it in, with the permissions a plain new file
    gets (``mkstemp`` alone would make it private to its owner)."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(name, 0o666 & ~umask)
    return Path(name)


def target_paths(directory: Path, views: Sequence[str], fmt: str) -> dict[str, Path]:
    return {view: directory / f"{view}.{fmt}" for view in views}


def export(
    engine: Engine,
    directory: Path,
    *,
    fmt: str = "csv",
    views: Iterable[str] | None = None,
    force: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> list[ExportedFile]:
    """Write every documented view (or ``views``) in full to ``directory``, one file each.

    Refuses before reading anything when a target exists (unless ``force``) or, for Parquet,
    when pyarrow is missing. ``progress`` is called with the view and the rows written so far.
    """
    check_format(fmt)
    chosen = check_views(views)
    if fmt == "parquet":
        require_pyarrow()
    targets = target_paths(directory, chosen, fmt)
    if directory.exists() and not directory.is_dir():
        raise OutputExists(f"{directory} is a file, not a directory; name a directory to export to")
    existing = [str(path) for path in targets.values() if path.exists()]
    if existing and not force:
        raise OutputExists(
            f"{existing[0]} already exists"
            + (f" (and {len(existing) - 1} more)" if len(existing) > 1 else "")
            + "; use --force to overwrite, or export to another directory"
        )
    with consistent_read(engine) as conn:
        created = not directory.exists()
        directory.mkdir(parents=True, exist_ok=True)
        temps: dict[str, Path] = {}
        done: list[ExportedFile] = []
        finished = False
        try:
            for view, path in targets.items():
                temps[view] = new_temp_file(path)
                with temps[view].open("wb") as handle:
                    columns, batches = stream_view(conn, view)
                    writer = _WRITERS[fmt](handle, view, columns)
                    rows = 0
                    for batch in batches:
                        writer.write(batch)
                        rows += len(batch)
                        if progress is not None:
                            progress(view, rows)
                    writer.close()
                done.append(ExportedFile(view, path, rows))
            for view, path in targets.items():
                os.replace(temps.pop(view), path)
            finished = True
        finally:
            for temp in temps.values():
                temp.unlink(missing_ok=True)
            if created and not finished:
                with contextlib.suppress(OSError):
                    directory.rmdir()
    return done
