"""Import Comtrade files into ``trade_flows`` in bulk, streaming, all-or-nothing by default.

SQLite: the DBAPI's ``executemany`` of one upsert, in chunks. PostgreSQL: ``COPY`` into a staging
table, then one upsert from it. Memory stays flat: rows are parsed, sent and forgotten a chunk
at a time. Each file becomes a source (dataset, file name, sha256, row count, import time) and
each row keeps its file and line (``source_id``, ``source_line``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from factdb.comtrade.reader import ParsedRow, RowProblem, read_rows
from factdb.db import connect
from factdb.errors import FactdbError
from factdb.migrate import require_head
from factdb.models import Entity, EntityIdentifier, Source, TradeFlow

SERIES = "comtrade"
CHUNK = 10_000
CACHE_KIB = 32_768
#: UN M49 codes of areas that are not countries: World, EU, "nes" areas, bunkers, free zones
AREA_CODES = {
    "000",
    "097",
    "490",
    "527",
    "568",
    "577",
    "636",
    "637",
    "837",
    "838",
    "839",
    "879",
    "899",
}
_ISO3 = re.compile(r"^[A-Z]{3}$")

UPSERT_COLUMNS = (
    "series",
    "reporter_id",
    "partner_id",
    "year",
    "month",
    "months",
    "flow",
    "commodity_code",
    "commodity_label",
    "value",
    "currency",
    "value_qualifier",
    "status",
    "source_id",
    "source_line",
)
#: the columns of trade_flows' natural key, as the model declares them (ON CONFLICT target)
_TABLE = cast(sa.Table, TradeFlow.__table__)
NATURAL_KEY = ", ".join(
    column.name
    for constraint in _TABLE.constraints
    if constraint.name == "uq_trade_flows_natural_key"
    for column in cast(sa.UniqueConstraint, constraint).columns
)
UPDATE = (
    "value = excluded.value, commodity_label = excluded.commodity_label, "
    "status = CASE WHEN trade_flows.value <> excluded.value THEN 'revised' "
    "ELSE trade_flows.status END, "
    "source_id = excluded.source_id, source_line = excluded.source_line"
)


def changed_clause(dialect: str) -> str:
    """The upsert's WHERE: update only rows whose value or label differs."""
    distinct = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return (
        "trade_flows.value <> excluded.value "
        f"OR trade_flows.commodity_label {distinct} excluded.commodity_label"
    )


class ImportFailed(FactdbError):
    """A file had more bad rows than allowed; nothing of it was written."""

    def __init__(self, problems: list[str], more: int = 0) -> None:
        self.problems = problems
        tail = f"\n... and {more} more" if more else ""
        super().__init__("\n".join(problems) + tail)


@dataclass
class FileReport:
    path: Path
    source: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    already_imported: bool = False
    seconds: float = 0.0


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_slug(path: Path, sha256: str) -> str:
    stem = re.sub(r"[^a-z0-9]+", "-", path.name.lower()).strip("-")[:120]
    return f"comtrade-{stem}-{sha256[:12]}"


class EntityCodes:
    """M49 code -> entity id, creating the entity (country or area) the first time it is seen."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.ids: dict[str, int] = {
            value: entity_id
            for value, entity_id in conn.execute(
                sa.select(EntityIdentifier.value, EntityIdentifier.entity_id).where(
                    EntityIdentifier.scheme == "m49"
                )
            )
        }
        self.created = 0

    def id_for(self, code: str, iso: str, name: str) -> int:
        found = self.ids.get(code)
        if found is None:
            found = self.ids[code] = self._create(code, iso, name)
        return found

    def _create(self, code: str, iso: str, name: str) -> int:
        iso = iso.upper()
        is_area = code in AREA_CODES or not _ISO3.match(iso) or name.lower().endswith(" nes")
        taken = iso and self.conn.scalar(
            sa.select(EntityIdentifier.entity_id).where(
                EntityIdentifier.scheme == "iso3166_alpha3", EntityIdentifier.value == iso
            )
        )
        if taken:  # the ISO code is known under another M49 code: the same country
            entity_id = int(taken)
        else:
            slug = f"m49-{code}" if is_area or not iso else iso.lower()
            if self.conn.scalar(sa.select(Entity.id).where(Entity.slug == slug)):
                slug = f"m49-{code}"
            entity_id = self.conn.execute(
                sa.insert(Entity)
                .values(
                    slug=slug, kind="area" if is_area else "country", name=name or f"M49 {code}"
                )
                .returning(Entity.id)
            ).scalar_one()
            if _ISO3.match(iso) and not is_area:
                self.conn.execute(
                    sa.insert(EntityIdentifier).values(
                        entity_id=entity_id, scheme="iso3166_alpha3", value=iso
                    )
                )
            self.created += 1
        self.conn.execute(
            sa.insert(EntityIdentifier).values(entity_id=entity_id, scheme="m49", value=code)
        )
        return entity_id


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def import_file(
    engine: Engine,
    path: Path,
    *,
    max_errors: int = 0,
    progress: Callable[[int], None] | None = None,
) -> FileReport:
    import time

    started = time.perf_counter()
    if not path.is_file():
        raise ImportFailed([f"{path}: no such file"])
    sha256 = file_sha256(path)
    report = FileReport(path, source_slug(path, sha256))
    with connect(engine) as conn, conn.begin():
        require_head(conn)
        existing = conn.execute(
            sa.select(Source.id, Source.row_count).where(Source.slug == report.source)
        ).first()
        if existing is not None:
            report.already_imported = True
            report.rows = report.unchanged = int(existing.row_count or 0)
            report.seconds = time.perf_counter() - started
            return report
        source_id = conn.execute(
            sa.insert(Source)
            .values(
                slug=report.source,
                kind="statistics_dataset",
                title=f"UN Comtrade: {path.name}",
                publisher="United Nations Statistics Division (UN Comtrade)",
                file_name=path.name,
                text_sha256=sha256,
                published_precision="unknown",
                imported_at=dt.datetime.now(dt.UTC),
                note=f"sha256 {sha256}",
            )
            .returning(Source.id)
        ).scalar_one()
        codes = EntityCodes(conn)
        problems: list[str] = []
        bad = 0

        def tuples() -> Iterator[tuple[Any, ...]]:
            nonlocal bad
            for item in read_rows(path):
                if isinstance(item, RowProblem):
                    bad += 1
                    if len(problems) < 50:
                        problems.append(str(item))
                    if bad > max_errors:
                        raise ImportFailed(problems, max(0, bad - len(problems)))
                    continue
                yield _values(item, codes, source_id)

        before = _count(conn)
        if conn.dialect.name == "postgresql":
            changed, total = _postgres_copy(conn, tuples(), progress)
        else:
            changed, total = _sqlite_executemany(conn, tuples(), progress)
        if bad > max_errors:  # pragma: no cover - raised inside tuples()
            raise ImportFailed(problems)
        after = _count(conn)
        report.rows = total
        report.inserted = after - before
        report.updated = changed - report.inserted
        report.unchanged = total - changed
        report.skipped = problems
        conn.execute(sa.update(Source).where(Source.id == source_id).values(row_count=total))
    report.seconds = time.perf_counter() - started
    return report


def _values(row: ParsedRow, codes: EntityCodes, source_id: int) -> tuple[Any, ...]:
    ids = codes.ids
    reporter = ids.get(row.reporter_code) or codes.id_for(
        row.reporter_code, row.reporter_iso, row.reporter_name
    )
    partner = ids.get(row.partner_code) or codes.id_for(
        row.partner_code, row.partner_iso, row.partner_name
    )
    return (
        SERIES,
        reporter,
        partner,
        row.year,
        row.month,
        row.months,
        row.flow,
        row.commodity_code,
        row.commodity_label,
        row.value_cents,
        "USD",
        "exact",
        "final",
        source_id,
        row.line,
    )


def _count(conn: Connection) -> int:
    return int(
        conn.execute(
            sa.text("SELECT count(*) FROM trade_flows WHERE series = :s"), {"s": SERIES}
        ).scalar_one()
    )


def _sqlite_executemany(
    conn: Connection, rows: Iterator[tuple[Any, ...]], progress: Callable[[int], None] | None
) -> tuple[int, int]:
    """Chunks through the DBAPI cursor's executemany; returns (rows changed, rows read)."""
    placeholders = ", ".join("?" for _ in UPSERT_COLUMNS)
    sql = (
        f"INSERT INTO trade_flows ({', '.join(UPSERT_COLUMNS)}) VALUES ({placeholders}) "
        f"ON CONFLICT ({NATURAL_KEY}) DO UPDATE SET {UPDATE} WHERE {changed_clause('sqlite')}"
    )
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    changed = total = 0
    # Rows were checked by the parser against every CHECK of trade_flows (year range, period,
    # flow, non-negative value, reporter <> partner ...); SQLite re-evaluating ~15 CHECKs per
    # row halves the bulk path's speed. `PRAGMA integrity_check` (factdb db doctor) still
    # verifies them afterwards. A larger page cache keeps the index inserts in memory.
    raw.execute("PRAGMA ignore_check_constraints = ON")
    raw.execute(f"PRAGMA cache_size = {-CACHE_KIB}")
    try:
        for chunk in _chunks(rows, CHUNK):
            # measured around the upsert alone: entities created while parsing do not count
            before = raw.total_changes
            cursor.executemany(sql, chunk)
            changed += raw.total_changes - before
            total += len(chunk)
            if progress:
                progress(len(chunk))
    finally:
        raw.execute("PRAGMA ignore_check_constraints = OFF")
        raw.execute("PRAGMA cache_size = -2000")
    return changed, total


def _postgres_copy(
    conn: Connection, rows: Iterator[tuple[Any, ...]], progress: Callable[[int], None] | None
) -> tuple[int, int]:
    """COPY into a staging table, then one upsert from it; returns (rows changed, rows read)."""
    import psycopg

    raw = conn.connection.driver_connection
    cursor = raw.cursor()  # type: ignore[union-attr]
    cursor.execute(
        "CREATE TEMPORARY TABLE comtrade_staging (LIKE trade_flows INCLUDING DEFAULTS) "
        "ON COMMIT DROP"
    )
    cursor.execute("ALTER TABLE comtrade_staging DROP COLUMN id")
    total = 0
    # One COPY per chunk: building a chunk may create entities on this same connection, which
    # cannot run other statements while a COPY is open.
    statement = f"COPY comtrade_staging ({', '.join(UPSERT_COLUMNS)}) FROM STDIN"
    for chunk in _chunks(rows, CHUNK):
        with cursor.copy(statement) as copy:
            for row in chunk:
                copy.write_row(row)
        total += len(chunk)
        if progress:
            progress(len(chunk))
    upsert = (
        f"INSERT INTO trade_flows ({', '.join(UPSERT_COLUMNS)}) "
        f"SELECT {{select}} {', '.join(UPSERT_COLUMNS)} FROM comtrade_staging {{order}} "
        f"ON CONFLICT ({NATURAL_KEY}) DO UPDATE SET {UPDATE} "
        f"WHERE {changed_clause('postgresql')}"
    )
    cursor.execute("SAVEPOINT comtrade_upsert")
    try:
        cursor.execute(upsert.format(select="", order=""))
    except psycopg.errors.CardinalityViolation:
        # The file states the same figure twice: the last line wins, as it does on SQLite.
        # Sorting to find those costs a fifth of the import, so it is only done when needed.
        cursor.execute("ROLLBACK TO SAVEPOINT comtrade_upsert")
        cursor.execute(
            upsert.format(
                select=f"DISTINCT ON ({NATURAL_KEY})",
                order=f"ORDER BY {NATURAL_KEY}, source_line DESC",
            )
        )
    changed = cursor.rowcount
    cursor.execute("DROP TABLE comtrade_staging")
    return changed, total
