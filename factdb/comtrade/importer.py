"""Import Comtrade files into ``trade_flows`` in bulk, streaming, all-or-nothing by default.

SQLite: plain multi-row INSERTs (ROWS_PER_STATEMENT rows a statement), the upsert from the first
chunk that meets a stored key; CHECKs off during the write and verified afterwards in one pass
(by id range when every row was new). PostgreSQL: a file of new figures is streamed by binary
``COPY`` straight into trade_flows as it is parsed, in savepoint segments; a file that meets a
stored key, states a key twice or breaks a CHECK goes through a staging table and one upsert
from it; the database checks the rows' references once per statement (revision 0006). Memory stays
flat: rows are parsed, sent and forgotten a chunk at a time. Each file becomes a source
(dataset, file name, sha256, row count, import time), identified by the sha256 of its content,
gunzipped, whatever its name; each row keeps its file and line (``source_id``, ``source_line``).

Must not commit a row that breaks a CHECK of ``trade_flows``, even where the bulk path skips
the database's own evaluation of them, and must not leave anything of a file behind when it
fails or is interrupted.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import random
import re
import time
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from factdb.comtrade.reader import (
    RECORD_FIELDS,
    FileDigests,
    RowProblem,
    file_digests,
    read_records,
)
from factdb.db import connect, is_busy_error
from factdb.errors import ImportFailed, Interrupted, InvalidOption, PermissionDenied
from factdb.history import close_changeset, open_changeset
from factdb.models import Entity, EntityIdentifier, IdentifierScheme, Source, TradeFlow
from factdb.schema_version import require_head
from factdb.vocabulary import COMTRADE_SERIES

SERIES = COMTRADE_SERIES
PUBLISHER = "United Nations Statistics Division (UN Comtrade)"
CHUNK = 10_000
#: rows per COPY on PostgreSQL: each is a statement under a savepoint of its own, and more than
#: 64 subtransactions in one transaction slow every other session's snapshots
POSTGRES_CHUNK = 50_000
#: rows parsed at a time between writes to a COPY on PostgreSQL
BATCH = 1_000
#: the smallest page cache an import runs with (SQLite's default is 2 MB)
CACHE_KIB = 32_768
#: rows of each index SQLite's ANALYZE samples after an import
ANALYSIS_ROWS = 1_000
#: bytes the natural key's index takes per row on SQLite (measured: 42, in a file's order)
INDEX_BYTES_PER_ROW = 48
#: bad rows listed in full; the rest are counted
SHOWN_PROBLEMS = 20
#: file names a directory import picks up
FILE_SUFFIXES = (".csv", ".csv.gz", ".gz", ".txt")
#: a concurrent importer that lost a unique-key race starts the file again (as seed does)
MAX_ATTEMPTS = 20
#: unique_violation, serialization_failure, deadlock_detected: another importer won a race
RETRYABLE_STATES = {"23505", "40001", "40P01"}
#: insufficient_privilege, read_only_sql_transaction: this database user may not write
PERMISSION_STATES = {"42501", "25006"}
M49 = IdentifierScheme.M49.value
ISO3 = IdentifierScheme.ISO3166_ALPHA3.value
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
#: the columns of a file's rows that differ row by row, in the order read_records gives them;
#: the rest of UPSERT_COLUMNS is the same for every row of a file (``fixed`` of save_rows)
_FIELD_COLUMNS = {
    "reporter": "reporter_id",
    "partner": "partner_id",
    "value_cents": "value",
    "line": "source_line",
}
ROW_COLUMNS = tuple(_FIELD_COLUMNS.get(name, name) for name in RECORD_FIELDS)
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


#: every CHECK of trade_flows -> the field a violating row is reported at, and why it is wrong
CHECK_MESSAGES: dict[str, tuple[str, str]] = {
    "ck_trade_flows_flow": ("flow", "not a flow factdb knows"),
    "ck_trade_flows_value_qualifier": ("value_qualifier", "not a value qualifier factdb knows"),
    "ck_trade_flows_status": ("status", "not a status factdb knows"),
    "ck_trade_flows_year_range": ("year", "year outside 1900-2100"),
    "ck_trade_flows_period_within_year": ("month", "the period does not lie within one year"),
    "ck_trade_flows_value_non_negative": ("value", "negative value"),
    "ck_trade_flows_value_low_non_negative": ("value_low", "negative lower bound"),
    "ck_trade_flows_bounds_order": ("value_low", "lower bound above the upper bound"),
    "ck_trade_flows_currency_code": ("currency", "not a three-letter currency code"),
    "ck_trade_flows_commodity_code_not_empty": ("commodity_code", "empty commodity code"),
    "ck_trade_flows_distinct_parties": ("partner", "reporter and partner are the same entity"),
    "ck_trade_flows_source_line_needs_source": ("source_line", "a line number needs a source"),
    "ck_trade_flows_derived_has_method": ("status", "a derived figure needs a method"),
    "ck_trade_flows_kind": ("kind", "not a kind of figure factdb knows"),
    "ck_trade_flows_kind_not_change": ("kind", "a change is a quantity, not a trade figure"),
    "ck_trade_flows_actual_has_year": ("year", "an actual figure needs a year"),
}


@dataclass
class FileReport:
    path: Path
    source: str
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)
    #: all skipped rows; ``skipped`` lists the first SHOWN_PROBLEMS of them
    skipped_count: int = 0
    attempts: int = 1
    already_imported: bool = False
    #: the file name the content was first imported under, when it is already imported
    imported_as: str | None = None
    seconds: float = 0.0


def source_slug(sha256: str) -> str:
    """The source's slug, from the content alone: two importers of one content meet on it."""
    return f"comtrade-{sha256[:16]}"


def entity_slug(name: str) -> str:
    """The slug fact files give a country: its name in lower-case, hyphenated ASCII."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:200]


class EntityCodes:
    """M49 code -> entity id: the entity that holds the code, else the one that holds the ISO
    alpha-3 code, else a new country or area, named as fact files name countries.

    Whoever created an entity (a fact file or an earlier import), it is reused, and the codes
    it lacks are added to it, never a second code of the same scheme.
    """

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.ids: dict[str, int] = {}
        self.by_iso: dict[str, int] = {}
        self.schemes: dict[int, set[str]] = {}
        for scheme, value, entity_id in conn.execute(
            sa.select(
                EntityIdentifier.scheme, EntityIdentifier.value, EntityIdentifier.entity_id
            ).where(EntityIdentifier.scheme.in_([M49, ISO3]))
        ):
            (self.ids if scheme == M49 else self.by_iso)[value] = entity_id
            self.schemes.setdefault(entity_id, set()).add(scheme)
        # Entities with an M49 code but no ISO code go the slow way once, to be given it.
        self.lacking_iso = {
            code: entity_id
            for code, entity_id in self.ids.items()
            if ISO3 not in self.schemes[entity_id]
        }
        for code in self.lacking_iso:
            del self.ids[code]
        self.created = 0

    def id_for(self, code: str, iso: str, name: str) -> int:
        found = self.ids.get(code)
        if found is None:
            found = self.ids[code] = self._resolve(code, iso.strip().upper(), name.strip())
        return found

    def _resolve(self, code: str, iso: str, name: str) -> int:
        is_area = code in AREA_CODES or not _ISO3.match(iso) or name.lower().endswith(" nes")
        entity_id = self.lacking_iso.pop(code, None)
        if entity_id is None and not is_area:
            entity_id = self.by_iso.get(iso)
        if entity_id is None:
            entity_id = self._create(code, name, is_area)
        if not is_area:
            self._identify(entity_id, ISO3, iso)
        self._identify(entity_id, M49, code)
        return entity_id

    def _create(self, code: str, name: str, is_area: bool) -> int:
        fallback = f"m49-{code}"
        wanted = (fallback if is_area else entity_slug(name)) or fallback
        slug = next(
            (s for s in (wanted, fallback, f"{fallback}-comtrade") if not self._slug_taken(s)),
            f"{fallback}-comtrade",
        )
        self.created += 1
        return int(
            self.conn.execute(
                sa.insert(Entity)
                .values(
                    slug=slug,
                    kind="area" if is_area else "country",
                    name=(name or f"M49 {code}")[:300],
                )
                .returning(Entity.id)
            ).scalar_one()
        )

    def _slug_taken(self, slug: str) -> bool:
        return self.conn.scalar(sa.select(Entity.id).where(Entity.slug == slug)) is not None

    def _identify(self, entity_id: int, scheme: str, value: str) -> None:
        """Give the entity this code unless it has one of the scheme or another entity has it."""
        held = self.ids if scheme == M49 else self.by_iso
        schemes = self.schemes.setdefault(entity_id, set())
        if scheme in schemes or value in held:
            return
        self.conn.execute(
            sa.insert(EntityIdentifier).values(entity_id=entity_id, scheme=scheme, value=value)
        )
        held[value] = entity_id
        schemes.add(scheme)


def _chunks(rows: Iterable[tuple[Any, ...]], size: int) -> Iterator[list[tuple[Any, ...]]]:
    iterator = iter(rows)
    while chunk := list(islice(iterator, size)):
        yield chunk


def comtrade_files(paths: Sequence[Path]) -> list[Path]:
    """The files to import: each file named, and each directory's Comtrade files by name."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir() if p.is_file() and p.name.lower().endswith(FILE_SUFFIXES)
            )
            if not found:
                raise ImportFailed(
                    [f"{path}: no Comtrade files (*.csv, *.csv.gz, *.gz, *.txt) in this directory"]
                )
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise ImportFailed([f"{path}: no such file or directory"])
    return files


def check_encoding(encoding: str) -> str:
    """The encoding if Python knows it; InvalidOption otherwise."""
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise InvalidOption(
            f"--encoding {encoding!r}: unknown encoding (try utf-8, latin-1 or utf-16)"
        ) from None
    return encoding


def import_file(
    engine: Engine,
    path: Path,
    *,
    max_errors: int = 0,
    encoding: str = "utf-8",
    progress: Callable[[int], None] | None = None,
    columns: Mapping[str, str] | None = None,
) -> FileReport:
    """Import one file in one transaction; all or nothing unless ``max_errors`` allows skips.

    The file is identified by the sha256 of its content: the same content, under another name
    or gzipped, is found already imported and nothing is written. ``columns`` (field -> header)
    names the columns the known Comtrade headers do not cover.

    ``progress`` is called with the number of rows written so far. A race lost to a concurrent
    importer (a unique key, a serialisation failure, a deadlock) starts the file again after a
    jittered pause; Ctrl-C rolls back and raises Interrupted.
    """
    started = time.perf_counter()
    if not path.is_file():
        raise ImportFailed([f"{path}: no such file"])
    check_encoding(encoding)
    try:
        digests = file_digests(path)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            try:
                report = _import_once(
                    engine, path, digests, max_errors, encoding, progress, columns
                )
            except Exception as exc:
                state = _sqlstate(exc)
                if state == QUERY_CANCELED and "user request" in str(exc):
                    # Ctrl-C reached the server first: psycopg cancelled the statement
                    raise KeyboardInterrupt from None
                if state in PERMISSION_STATES:
                    raise PermissionDenied(
                        f"database user {engine.url.username or '(default)'} may not write: "
                        f"{_first_line(exc)}; import as a role that may (the writer role of "
                        "`factdb db roles`); nothing was written"
                    ) from None
                if attempt < MAX_ATTEMPTS and state in RETRYABLE_STATES and not is_busy_error(exc):
                    # jittered back-off, so retrying importers do not collide again in step
                    time.sleep(random.uniform(0.02, 0.1) * attempt)
                    continue
                raise
            report.attempts = attempt
            report.seconds = time.perf_counter() - started
            return report
    except KeyboardInterrupt:
        raise Interrupted("interrupted; nothing was written") from None
    raise AssertionError("unreachable")  # pragma: no cover


#: PostgreSQL's "canceling statement due to user request" (or to a statement timeout).
QUERY_CANCELED = "57014"


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error, wrapped by SQLAlchemy or raised by the raw cursor."""
    return getattr(getattr(exc, "orig", None) or exc, "sqlstate", None)


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _import_once(
    engine: Engine,
    path: Path,
    digests: FileDigests,
    max_errors: int,
    encoding: str,
    progress: Callable[[int], None] | None,
    columns: Mapping[str, str] | None,
) -> FileReport:
    sha256 = digests.content
    report = FileReport(path, source_slug(sha256))
    with connect(engine) as conn, _sqlite_statement_journal_in_memory(conn), conn.begin():
        require_head(conn)
        existing = _imported_source(conn, digests)
        if existing is not None:
            report.already_imported = True
            report.source, report.imported_as = existing.slug, existing.file_name
            report.rows = report.unchanged = int(existing.row_count or 0)
            return report
        digest = [{"path": str(path), "sha256": sha256}]
        changeset = open_changeset(conn, "factdb import comtrade", digests=digest)
        source_id = conn.execute(
            sa.insert(Source)
            .values(
                slug=report.source,
                kind="statistics_dataset",
                title=f"UN Comtrade: {path.name}",
                publisher=PUBLISHER,
                file_name=path.name,
                text_sha256=sha256,
                published_precision="unknown",
                imported_at=dt.datetime.now(dt.UTC),
                note=f"sha256 {sha256} of the content"
                + (f", {digests.stored} of the gzipped file" if digests.stored != sha256 else ""),
            )
            .returning(Source.id)
        ).scalar_one()
        codes = EntityCodes(conn)
        problems: list[str] = []
        bad = 0

        def problem(item: RowProblem) -> bool:
            # Past the allowed number of bad rows nothing more is written, but the rest of the
            # file is still read, so that one run lists every bad row.
            nonlocal bad
            bad += 1
            if len(problems) < SHOWN_PROBLEMS:
                problems.append(str(item))
            return bad <= max_errors

        def refuse_bad_rows() -> Iterator[tuple[Any, ...]]:
            # after the file's last row, before the rows written are checked and counted
            if bad > max_errors:
                raise ImportFailed(problems, bad - len(problems), _hint(bad, max_errors))
            yield from ()

        # read_records gives rows in ROW_COLUMNS order, each country an entity id
        rows = chain(
            read_records(path, encoding, columns, party=codes.id_for, problem=problem),
            refuse_bad_rows(),
        )

        last_id = _last_id(conn)
        fixed: dict[str, str | int] = {
            "series": SERIES,
            "currency": "USD",
            "value_qualifier": "exact",
            "status": "final",
            "source_id": source_id,
        }
        if changeset.id is not None:  # SQLite
            # stamped as they are written, so closing the changeset has no row to stamp
            # (PostgreSQL's column default reads the changeset of the transaction)
            fixed["changeset_id"] = changeset.id
        changed, total = save_rows(conn, path, source_id, rows, progress, ROW_COLUMNS, fixed=fixed)
        report.rows = total
        report.inserted = _inserted(conn, last_id, source_id)
        report.updated = changed - report.inserted
        report.unchanged = total - changed
        report.skipped = problems
        report.skipped_count = bad
        conn.execute(sa.update(Source).where(Source.id == source_id).values(row_count=total))
        trade = {"inserted": report.inserted, "updated": report.updated}
        counts = {"sources": {"inserted": 1}, "entities": {"inserted": codes.created}}
        if changeset.id is not None:
            # SQLite: each trade row was stamped as it was written (``fixed``) and each row
            # the upsert changed by its trigger, so the changeset's pass that stamps the rows
            # after its mark would read the file's rows again for nothing
            marks = {t: m for t, m in changeset.marks.items() if t != "trade_flows"}
            changeset = dataclasses.replace(changeset, marks=marks)
        close_changeset(conn, changeset, {**counts, "trade_flows": trade})
    return report


@contextmanager
def _sqlite_statement_journal_in_memory(conn: Connection) -> Iterator[None]:
    """SQLite: the import's transaction keeps its statement journals in memory.

    A statement that writes many rows journals each page it changes first, to undo itself
    if it fails midway; in a temporary file by default, two system calls per page, which cost
    the import of 300k rows a third of a CPU-second. In memory a statement's journal is at most
    the pages one statement touches (ROWS_PER_STATEMENT rows: a few MB). SQLite allows the
    setting only outside a transaction, so it is set before the import's and restored after.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.driver_connection
    assert raw is not None
    before = int(raw.execute("PRAGMA temp_store").fetchone()[0])
    raw.execute("PRAGMA temp_store = MEMORY")
    try:
        yield
    finally:
        try:
            raw.execute(f"PRAGMA temp_store = {before}")
        except Exception:
            # a connection that cannot be set back is not handed out again
            conn.invalidate()


def _imported_source(
    conn: Connection, digests: FileDigests
) -> sa.Row[str, str | None, int | None] | None:
    """The Comtrade source already imported from this content (slug, file name, row count).

    Matched on either digest: sources imported before files were identified by their content
    hold the sha256 of the gzipped bytes.
    """
    return conn.execute(
        sa.select(Source.slug, Source.file_name, Source.row_count)
        .where(
            Source.kind == "statistics_dataset",
            Source.publisher == PUBLISHER,
            Source.text_sha256.in_(sorted({digests.content, digests.stored})),
        )
        .order_by(Source.id)
        .limit(1)
    ).first()


def _hint(bad: int, max_errors: int) -> str:
    if max_errors:
        return f"{bad} bad rows, more than --max-errors {max_errors} allows; nothing was written"
    rows = "1 bad row" if bad == 1 else f"{bad} bad rows"
    return (
        f"{rows}; nothing was written. To import the other rows and skip these, "
        f"use --max-errors {bad}"
    )


def save_rows(
    conn: Connection,
    path: Path,
    source_id: int,
    rows: Iterable[tuple[Any, ...]],
    progress: Callable[[int], None] | None = None,
    columns: Sequence[str] = UPSERT_COLUMNS,
    fixed: Mapping[str, str | int] | None = None,
) -> tuple[int, int]:
    """Upsert rows (tuples in ``columns`` order) of one source; (rows changed, rows read).

    ``fixed`` gives the columns whose value is the same in every row (series, currency, the
    source ...): on SQLite they are written into the statement once instead of being bound
    for each row. Every CHECK of trade_flows is then verified on the rows this source wrote,
    so a row the bulk path let through unchecked fails the import, located at its file and line.
    """
    if conn.dialect.name == "postgresql":
        columns = (*columns, *(fixed or {}))
        tail = tuple((fixed or {}).values())
        return _postgres_copy(conn, path, source_id, iter(rows), tail, progress, columns)
    written = _sqlite_executemany(conn, iter(rows), progress, columns, fixed or {})
    if written.upserted:
        _refuse_broken_checks(
            conn, path, "trade_flows", "source_id = :source", {"source": source_id}
        )
    else:
        _refuse_broken_inserts(conn, path, source_id, written.after, columns, fixed or {})
    _sqlite_statistics(conn)
    return written.changed, written.total


def _sqlite_statistics(conn: Connection) -> None:
    """Refresh SQLite's statistics of trade_flows, from a sample (a few milliseconds at any size).

    Without them SQLite's planner guesses every index equally selective, and may read a
    reporter's million official rows through the natural key where the index of stated
    figures (a few rows) answers the query: a report's cost would follow the table, not its
    answer. PostgreSQL keeps its own statistics (autovacuum).
    """
    conn.exec_driver_sql(f"PRAGMA analysis_limit = {ANALYSIS_ROWS}")
    conn.exec_driver_sql("ANALYZE trade_flows")
    conn.exec_driver_sql("PRAGMA analysis_limit = 0")


def check_constraints(dialect: sa.engine.Dialect) -> dict[str, str]:
    """Every CHECK of trade_flows, by name, as SQL for ``dialect``."""
    return {
        str(c.name): str(c.sqltext.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        for c in sorted(_TABLE.constraints, key=lambda c: str(c.name))
        if isinstance(c, sa.CheckConstraint)
    }


def _refuse_broken_checks(
    conn: Connection, path: Path, table: str, where: str, params: dict[str, Any]
) -> None:
    """Raise ImportFailed listing the rows of ``table`` that break a CHECK of trade_flows."""
    checks = check_constraints(conn.dialect)
    broken = " ".join(f"WHEN NOT ({sql}) THEN '{name}'" for name, sql in checks.items())
    every = " AND ".join(f"({sql})" for sql in checks.values())
    rows = conn.execute(
        sa.text(
            f"SELECT source_line, CASE {broken} END, count(*) OVER () "
            f"FROM {table} AS trade_flows WHERE {where} AND NOT ({every}) "
            f"ORDER BY source_line LIMIT {SHOWN_PROBLEMS}"
        ),
        params,
    ).all()
    if not rows:
        return
    problems = []
    for line, name, _ in rows:
        column, message = CHECK_MESSAGES.get(name, ("row", "breaks a CHECK"))
        problems.append(f"{path}:{line}: {column}: {message} (CHECK {name})")
    raise ImportFailed(
        problems,
        int(rows[0][2]) - len(problems),
        "these rows break the database's rules; nothing was written",
    )


def _refuse_broken_inserts(
    conn: Connection,
    path: Path,
    source_id: int,
    after: int,
    columns: Sequence[str],
    fixed: Mapping[str, str | int],
) -> None:
    """The pass of _refuse_broken_checks over rows only INSERTed (every id above ``after``),
    at half its cost; the same refusal when a row breaks a CHECK.

    Every such row holds the statement's own value in each column that is not bound (``fixed``
    or the column's constant default), so a CHECK naming only such columns holds for all rows
    if it holds for one: it is evaluated on one row, the others on every row. Only when one
    fails does the full pass run, to list the rows as it always has.
    """
    checks = check_constraints(conn.dialect)
    constant = _statement_constants(columns, fixed)
    once = [sql for sql in checks.values() if _named_columns(sql) <= constant]
    each = [sql for sql in checks.values() if not _named_columns(sql) <= constant]
    broken = False
    if each:
        broken = bool(
            conn.scalar(
                sa.text(
                    "SELECT EXISTS (SELECT 1 FROM trade_flows WHERE id > :after AND NOT ("
                    + " AND ".join(f"({sql})" for sql in each)
                    + "))"
                ),
                {"after": after},
            )
        )
    if once and not broken:
        broken = bool(
            conn.scalar(
                sa.text(
                    "SELECT NOT (" + " AND ".join(f"({sql})" for sql in once) + ") "
                    "FROM trade_flows WHERE id > :after ORDER BY id LIMIT 1"
                ),
                {"after": after},
            )
        )
    if broken:
        _refuse_broken_checks(
            conn, path, "trade_flows", "source_id = :source", {"source": source_id}
        )


def _statement_constants(columns: Sequence[str], fixed: Mapping[str, str | int]) -> set[str]:
    """The columns of trade_flows whose value an INSERT of ``columns`` writes alike into every
    row: ``fixed``, and those it leaves to a constant default (or NULL)."""
    constant = set(fixed)
    for column in _TABLE.columns:
        if column.name in columns or column.primary_key:
            continue
        default = column.server_default
        if default is None or (
            isinstance(default, sa.DefaultClause) and isinstance(default.arg, str)
        ):
            constant.add(column.name)
    return constant - set(columns)


def _named_columns(sql: str) -> set[str]:
    """The columns of trade_flows a CHECK's SQL names (words outside its quoted strings)."""
    words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", re.sub(r"'(?:[^']|'')*'", "''", sql)))
    return words & set(_TABLE.columns.keys())


def _last_id(conn: Connection) -> int:
    """The highest id in trade_flows: rows added after it have higher ids (one index probe)."""
    return int(conn.execute(sa.select(sa.func.max(TradeFlow.id))).scalar_one() or 0)


def _inserted(conn: Connection, last_id: int, source_id: int) -> int:
    """Rows this source added since ``last_id``: a range of the primary key, so its cost is
    the import's, not the table's (counting the series would read every row)."""
    return int(
        conn.execute(
            sa.select(sa.func.count()).where(
                TradeFlow.id > last_id, TradeFlow.source_id == source_id
            )
        ).scalar_one()
    )


def _sqlite_executemany(
    conn: Connection,
    rows: Iterator[tuple[Any, ...]],
    progress: Callable[[int], None] | None,
    columns: Sequence[str],
    fixed: Mapping[str, str | int],
) -> _Written:
    """Chunks through the DBAPI cursor, ROWS_PER_STATEMENT rows to a statement.

    Plain INSERTs while every key is new; from the first chunk that meets a stored key (a
    re-import, a revision, a file stating a figure twice), that chunk again and all after it
    as an upsert. An INSERT is cheaper than an upsert, and redoing the chunk is safe: the rows
    it already wrote are stored as given, so the upsert leaves them unchanged.
    """
    import sqlite3

    raw = conn.connection.driver_connection
    assert isinstance(raw, sqlite3.Connection)
    per_statement = _rows_per_statement(raw, columns, fixed)
    one = _sqlite_statements(columns, fixed, 1)
    many = _sqlite_statements(columns, fixed, per_statement)
    width = len(columns) * per_statement
    cursor = raw.cursor()
    changed = total = 0
    upsert = False
    # Rows were checked by the parser against every CHECK of trade_flows (year range, period,
    # flow, non-negative value, reporter <> partner ...); SQLite re-evaluating them per row
    # costs more than the insert (each IN list is rebuilt per row of an executemany).
    # save_rows() verifies every CHECK afterwards, in one pass over the rows written.
    raw.execute("PRAGMA ignore_check_constraints = ON")
    cache = _SqliteCache(raw)

    def write(chunk: list[tuple[Any, ...]]) -> int:
        """The chunk's rows; returns the rows the statements changed (the upsert's count)."""
        # Most rows go in statements of many rows: each statement opens the table, its six
        # indexes and the tables its foreign keys name once, where one statement per row
        # opened them for every row. The rest of the chunk goes one row to a statement.
        whole = len(chunk) - len(chunk) % per_statement
        changes = 0
        if whole:
            values = iter(chain.from_iterable(chunk[:whole]))
            cursor.executemany(many[upsert], zip(*[values] * width, strict=True))
            changes += cursor.rowcount
        if whole < len(chunk):
            cursor.executemany(one[upsert], chunk[whole:])
            changes += cursor.rowcount
        return changes

    try:
        for chunk in _chunks(rows, CHUNK):
            cache.fit(total)
            # measured around the writes alone: entities created while parsing do not count
            before = raw.total_changes
            try:
                changes = write(chunk)
            except sqlite3.IntegrityError:
                if upsert:
                    raise
                # the rows written before the key that repeats (an INSERT fires no trigger)
                changed += raw.total_changes - before
                upsert = True
                changes = write(chunk)
            # the upsert's own changes, not the history its triggers keep (which
            # total_changes would count)
            changed += changes if upsert else raw.total_changes - before
            total += len(chunk)
            if progress:
                progress(total)
    finally:
        raw.execute("PRAGMA ignore_check_constraints = OFF")
        cache.restore()
    return _Written(changed, total, upsert, cache.stored)


class _Written(NamedTuple):
    """What _sqlite_executemany did."""

    changed: int
    #: rows read
    total: int
    #: whether the upsert wrote some rows; if not, each row is new, its id above ``after``
    upserted: bool
    #: the largest id in trade_flows before the write
    after: int


#: rows a statement writes (SQLite); fewer where the SQLite library allows fewer parameters
ROWS_PER_STATEMENT = 2_000


def _rows_per_statement(raw: Any, columns: Sequence[str], fixed: Mapping[str, str | int]) -> int:
    """ROWS_PER_STATEMENT, or as many rows as SQLite's limits on parameters and statement
    length allow (a library built with smaller limits than the defaults)."""
    import sqlite3

    parameters = int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    length = int(raw.getlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH))
    # the statement's head and its ON CONFLICT clause take less than a row's worth per column
    spare = len(_sqlite_statements(columns, fixed, 1)[1]) * 2
    row = len(_sqlite_values(columns, fixed)) + 2
    return max(1, min(ROWS_PER_STATEMENT, parameters // len(columns), (length - spare) // row))


def _sqlite_values(columns: Sequence[str], fixed: Mapping[str, str | int]) -> str:
    """One row of VALUES: a parameter for each of ``columns``, then ``fixed`` written in."""
    return "(" + ", ".join([*("?" for _ in columns), *map(_sqlite_literal, fixed.values())]) + ")"


def _sqlite_statements(
    columns: Sequence[str], fixed: Mapping[str, str | int], rows: int
) -> tuple[str, str]:
    """The INSERT of ``rows`` rows and its upsert: ``columns`` bound, ``fixed`` written in."""
    insert = f"INSERT INTO trade_flows ({', '.join([*columns, *fixed])}) VALUES " + ", ".join(
        [_sqlite_values(columns, fixed)] * rows
    )
    upsert = (
        f"{insert} ON CONFLICT ({NATURAL_KEY}) DO UPDATE SET {UPDATE} "
        f"WHERE {changed_clause('sqlite')}"
    )
    return insert, upsert


def _sqlite_literal(value: str | int) -> str:
    """A constant of the INSERT statement, as SQL: binding it for every row costs more than
    the insert of a narrow row's index entry."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(f"not a fixed column value: {value!r}")
    return str(value) if isinstance(value, int) else "'" + value.replace("'", "''") + "'"


def cache_kib_for(rows: int) -> int:
    """The page cache (KiB) an import gives a table of ``rows`` rows on SQLite: its natural
    key's index with a quarter to spare, never below ``CACHE_KIB``."""
    return max(CACHE_KIB, rows * INDEX_BYTES_PER_ROW * 5 // 4 // 1024)


class _SqliteCache:
    """SQLite's page cache for one import, grown with the natural key's index.

    The index takes rows in the order of the file, which is no order of its key: each insert
    lands on a random leaf page. Once the index outgrows the cache, nearly every insert reads
    a page back from the file and writes another out, and the import slows with the size of
    the table. So the cache is sized to hold the whole index (about INDEX_BYTES_PER_ROW per
    row, stored and written so far) with room to spare, never below CACHE_KIB. SQLite takes the
    memory only as pages are read, so an import into a small database stays small; what the
    index needs is documented in docs/performance.md.
    """

    def __init__(self, raw: Any) -> None:
        self.raw = raw
        self.default = int(raw.execute("PRAGMA cache_size").fetchone()[0])
        # rows of every series: the index holds them all
        stored = raw.execute("SELECT max(id) FROM trade_flows").fetchone()[0]
        self.stored = int(stored or 0)
        self.kib = 0

    def fit(self, written: int) -> None:
        wanted = cache_kib_for(self.stored + written + CHUNK)
        if wanted > self.kib:
            # in steps, so the PRAGMA runs a few times per import, not once per chunk
            self.kib = max(wanted, self.kib * 5 // 4)
            self.raw.execute(f"PRAGMA cache_size = {-self.kib}")

    def restore(self) -> None:
        self.raw.execute(f"PRAGMA cache_size = {self.default}")


def _postgres_copy(
    conn: Connection,
    path: Path,
    source_id: int,
    rows: Iterator[tuple[Any, ...]],
    tail: tuple[Any, ...],
    progress: Callable[[int], None] | None,
    columns: Sequence[str],
) -> tuple[int, int]:
    """COPY straight into trade_flows while every row is new and keeps every CHECK; else stage
    the file and upsert it from there. ``tail``: the values of the columns that are the same in
    every row, after each row's own. Returns (rows changed, rows read).

    A file of new figures (a history loaded year by year) streams into trade_flows as it is
    parsed, PostgreSQL checking the rows' CHECKs, natural key and references (revision 0006)
    itself, and nothing is written twice. The first row that meets a stored key (a revised
    file, a figure stated twice, a concurrent importer) or breaks a CHECK ends that: its
    segment is rolled back, and the file goes through the staging table from its first line
    (``_postgres_staged``), so its result does not depend on where the direct path stopped.
    """
    cursor = _raw_cursor(conn)
    direct = _DirectCopy(cursor, columns, _column_types(cursor, columns), progress)
    first_id = _last_id(conn)
    # Building a row may create an entity on this same connection, which cannot run another
    # statement while a COPY is open: the open COPY ends before any statement of the
    # connection runs, and the next batch opens the next one.
    finish_first = direct.before_statement
    sa.event.listen(conn, "before_cursor_execute", finish_first)
    try:
        # in batches: islice and the loop over a list cost less per row than a call each
        while direct.failed is None and (batch := [r + tail for r in islice(rows, BATCH)]):
            direct.write(batch)
        direct.finish()
    except BaseException as exc:
        direct.abort(exc)
        raise
    finally:
        sa.event.remove(conn, "before_cursor_execute", finish_first)
    if direct.failed is None:
        if progress and direct.reported != direct.written:
            progress(direct.written)
        return direct.written, direct.written
    moved = (first_id, source_id) if direct.written else None
    rest = (r + tail for r in rows)
    chunks = chain([direct.failed], _chunks(rest, CHUNK))
    return _postgres_staged(conn, path, chunks, moved, direct.written, progress, direct.listed)


class _DirectCopy:
    """Rows streamed by COPY into trade_flows, in segments of about POSTGRES_CHUNK rows, each
    under a savepoint of its own, taken when the segment's COPY opens.

    A segment's rows are kept until its COPY ends: a segment that meets a stored key or breaks
    a CHECK is rolled back to its savepoint, and its rows (``failed``) go to the staging table
    with the rest of the file. A COPY opens with a batch of rows at hand, so the entities the
    first rows of a file create (each ending the open COPY) cut it into few segments.
    """

    def __init__(
        self,
        cursor: Any,
        columns: Sequence[str],
        types: list[str],
        progress: Callable[[int], None] | None,
    ) -> None:
        self.cursor = cursor
        self.listed = ", ".join(columns)
        # binary: the client sends numbers as they are instead of formatting them as text
        self.statement = f"COPY trade_flows ({self.listed}) FROM STDIN (FORMAT BINARY)"
        self.types = types
        self.progress = progress
        self.copy: Any = None
        self.stack = ExitStack()
        self.segment: list[tuple[Any, ...]] = []
        #: the rows of the segment whose COPY failed; None while every COPY succeeds
        self.failed: list[tuple[Any, ...]] | None = None
        self.written = 0
        #: rows sent to a COPY, and when ``progress`` was last told
        self.sent = self.reported = 0

    def write(self, batch: list[tuple[Any, ...]]) -> None:
        if self.failed is not None:
            # the batch was being parsed when its entities' statements ended a COPY that failed
            self.failed += batch
            return
        if self.copy is None:
            self.cursor.execute("SAVEPOINT comtrade_copy")
            # closed by ``finish`` or ``abort``: the COPY outlives this call
            self.stack = ExitStack()
            self.copy = self.stack.enter_context(self.cursor.copy(self.statement))
            self.copy.set_types(self.types)
        write_row = self.copy.write_row
        for row in batch:
            write_row(row)
        self.segment += batch
        self.sent += len(batch)
        if self.progress and self.sent - self.reported >= CHUNK:
            self.progress(self.sent)
            self.reported = self.sent
        if len(self.segment) >= POSTGRES_CHUNK:
            self.finish()

    def before_statement(self, *_: Any) -> None:
        """Another statement is about to run on the connection: end the open COPY first."""
        if self.copy is not None:
            self.finish()

    def finish(self) -> None:
        """End the open COPY: its segment stored, or rolled back and kept in ``failed``."""
        import psycopg

        if self.copy is None:
            return
        segment, self.segment, self.copy = self.segment, [], None
        try:
            self.stack.close()
        except (psycopg.errors.UniqueViolation, psycopg.errors.CheckViolation):
            self.cursor.execute("ROLLBACK TO SAVEPOINT comtrade_copy")
            self.failed = segment
        else:
            self.written += len(segment)
        self.cursor.execute("RELEASE SAVEPOINT comtrade_copy")

    def abort(self, exc: BaseException) -> None:
        """End an open COPY without storing its rows (the transaction is rolled back)."""
        if self.copy is not None:
            self.copy = None
            self.stack.__exit__(type(exc), exc, exc.__traceback__)


def _column_types(cursor: Any, columns: Sequence[str]) -> list[str]:
    """The types of trade_flows' ``columns``, as the database has them: a binary COPY must
    send each value in its column's own type."""
    cursor.execute(
        "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute "
        "WHERE attrelid = 'trade_flows'::regclass AND attnum > 0 AND NOT attisdropped"
    )
    types = dict(cursor.fetchall())
    return [types[column] for column in columns]


def _raw_cursor(conn: Connection) -> Any:
    """A cursor of the psycopg connection under ``conn``, in its transaction."""
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def _copy_rows(cursor: Any, table: str, listed: str, chunk: Iterable[tuple[Any, ...]]) -> None:
    with cursor.copy(f"COPY {table} ({listed}) FROM STDIN") as copy:
        for row in chunk:
            copy.write_row(row)


def _postgres_staged(
    conn: Connection,
    path: Path,
    chunks: Iterator[list[tuple[Any, ...]]],
    moved: tuple[int, int] | None,
    total: int,
    progress: Callable[[int], None] | None,
    listed: str,
) -> tuple[int, int]:
    """COPY the rest of the file into a staging table, then upsert it from there; returns
    (rows changed, rows read), ``total`` rows read before.

    ``moved`` (the highest id before the import, the source) names the rows the direct COPY
    stored before it stopped: they move into the staging table first, so the file is written
    as if staged from its first line (a key stated twice takes its last line and counts as one
    insert; a broken CHECK is reported at its file and line, with every other one, before
    anything is written). Only this transaction writes rows of its source above that id, and
    no one else has seen them, so no history version is kept of them.
    """
    cursor = _raw_cursor(conn)
    cursor.execute(
        "CREATE TEMPORARY TABLE comtrade_staging (LIKE trade_flows INCLUDING DEFAULTS) "
        "ON COMMIT DROP"
    )
    cursor.execute("ALTER TABLE comtrade_staging DROP COLUMN id")
    if moved is not None:
        cursor.execute(
            f"WITH moved AS (DELETE FROM trade_flows WHERE id > %s AND source_id = %s "
            f"RETURNING {listed}) "
            f"INSERT INTO comtrade_staging ({listed}) SELECT {listed} FROM moved",
            moved,
        )
    for chunk in chunks:
        _copy_rows(cursor, "comtrade_staging", listed, chunk)
        total += len(chunk)
        if progress:
            progress(total)
    # The staging table has no CHECKs; the upsert would meet trade_flows' own as a crash.
    _refuse_broken_checks(conn, path, "comtrade_staging", "TRUE", {})
    # The direct COPY met a stored key or a key the file states twice, or a row a concurrent
    # importer wrote: the upsert writes the file (a plain INSERT from here would meet it again).
    # The references of every row are checked by trade_flows' statement-level triggers.
    changed = _postgres_upsert(cursor, listed)
    cursor.execute("DROP TABLE comtrade_staging")
    return changed, total


def _postgres_upsert(cursor: Any, listed: str) -> int:
    """The staging table's rows into trade_flows: inserted if new, updated if their value or
    label changed; a key stated twice in the file takes its last line. Returns the rows
    changed."""
    import psycopg

    upsert = (
        f"INSERT INTO trade_flows ({listed}) "
        f"SELECT {{select}} {listed} FROM comtrade_staging {{order}} "
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
    return int(cursor.rowcount)
