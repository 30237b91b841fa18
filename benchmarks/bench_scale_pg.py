"""Official trade rows into PostgreSQL at growing size: one table, and the same partitioned by year.

    python benchmarks/bench_scale_pg.py --rows 10000000 [--files 20] [--url URL]

Both tables are ``trade_flows`` as revision 0006 leaves it (its CHECKs, natural key, source
index and statement-level reference triggers); the second is declared ``PARTITION BY RANGE
(year)`` with one partition per year, which the natural key allows because it includes the year.
The rows come as ``--files`` files, one after another and in year order (as a history is
loaded: a year's file at a time), each written the way factdb writes a file that meets existing
rows: ``COPY`` into a temporary staging table, then one ``INSERT ... ON CONFLICT`` upsert. Each
file goes into both tables, alternately, so that both see the same machine load.

Prints, per file, the marginal rate (that file's rows per second) of each table and the time of
a ``count(*)`` of all rows (what factdb's importer runs before and after each file), then the
overall rates and the size on disk. Nothing is asserted: CI runs it at a tiny ``--rows``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_import import start_postgres  # noqa: E402

FIRST_YEAR = 1995
YEARS = 30
REPORTERS = 200
COLUMNS = (
    "series, reporter_id, partner_id, year, month, months, flow, commodity_code, "
    "commodity_label, value, currency, value_qualifier, status, source_id, source_line"
)
KEY = "reporter_id, partner_id, year, month, months, flow, commodity_code, series, kind"
UPSERT = (
    "INSERT INTO {table} ({columns}) SELECT {columns} FROM staging "
    "ON CONFLICT ({key}) DO UPDATE SET value = excluded.value, "
    "commodity_label = excluded.commodity_label, source_id = excluded.source_id, "
    "source_line = excluded.source_line "
    "WHERE {table}.value <> excluded.value "
    "OR {table}.commodity_label IS DISTINCT FROM excluded.commodity_label"
)
TRIGGERS = (
    ("AFTER INSERT", "by_year_references_on_insert"),
    ("AFTER UPDATE", "by_year_references_on_update"),
)


def rows(first: int, count: int, total: int, source: int) -> Iterator[tuple[Any, ...]]:
    """Rows ``first`` .. ``first + count`` of ``total``, spread over YEARS years in order; each
    a distinct reporter, partner, flow and six-digit commodity within its year."""
    per_year = -(-total // YEARS)
    for n in range(first, first + count):
        year, j = divmod(n, per_year)
        flow, k = j & 1, j >> 1
        reporter = k % REPORTERS
        partner = (reporter + 1 + (k // REPORTERS) % (REPORTERS - 1)) % REPORTERS
        commodity = f"{k // (REPORTERS * (REPORTERS - 1)):06d}"
        yield (
            "comtrade",
            reporter + 1,
            partner + 1,
            FIRST_YEAR + year,
            0,
            12,
            "export" if flow else "import",
            commodity,
            "Label " + commodity,
            (n * 7919) % 10_000_000,
            "USD",
            "exact",
            "final",
            source,
            n - first + 2,
        )


def prepare(conn: Any) -> None:
    """Entities 1..REPORTERS and an empty ``trade_flows_by_year`` partitioned by year."""
    conn.execute("DROP TABLE IF EXISTS trade_flows_by_year")
    conn.execute(
        "INSERT INTO entities (id, slug, kind, name) SELECT i, 'scale-' || i, 'country', "
        f"'Country ' || i FROM generate_series(1, {REPORTERS}) AS i"
    )
    conn.execute(
        "CREATE TABLE trade_flows_by_year (LIKE trade_flows INCLUDING DEFAULTS "
        "INCLUDING CONSTRAINTS) PARTITION BY RANGE (year)"
    )
    conn.execute("ALTER TABLE trade_flows_by_year ADD PRIMARY KEY (id, year)")
    conn.execute(f"ALTER TABLE trade_flows_by_year ADD UNIQUE ({KEY})")
    conn.execute("CREATE INDEX ON trade_flows_by_year (source_id)")
    for year in range(FIRST_YEAR, FIRST_YEAR + YEARS):
        conn.execute(
            f"CREATE TABLE trade_flows_y{year} PARTITION OF trade_flows_by_year "
            f"FOR VALUES FROM ({year}) TO ({year + 1})"
        )
    for event, name in TRIGGERS:
        conn.execute(
            f"CREATE TRIGGER {name} {event} ON trade_flows_by_year "
            "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT "
            "EXECUTE FUNCTION trade_flows_check_references()"
        )
    conn.commit()


def import_file(conn: Any, table: str, first: int, count: int, total: int) -> float:
    """One file the importer's way, committed; returns its seconds."""
    started = time.perf_counter()
    source = conn.execute(
        "INSERT INTO sources (slug, kind, published_precision) VALUES "
        "(%s, 'statistics_dataset', 'unknown') RETURNING id",
        (f"scale-{table}-{first}",),
    ).fetchone()[0]
    conn.execute(
        "CREATE TEMPORARY TABLE staging (LIKE trade_flows INCLUDING DEFAULTS) ON COMMIT DROP"
    )
    conn.execute("ALTER TABLE staging DROP COLUMN id")  # as the importer: no sequence per row
    with conn.cursor().copy(f"COPY staging ({COLUMNS}) FROM STDIN") as copy:
        for row in rows(first, count, total, source):
            copy.write_row(row)
    conn.execute(UPSERT.format(table=table, columns=COLUMNS, key=KEY))
    conn.commit()
    return time.perf_counter() - started


def count_seconds(conn: Any, table: str) -> float:
    started = time.perf_counter()
    conn.execute(f"SELECT count(*) FROM {table} WHERE series = 'comtrade'").fetchone()
    conn.commit()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--files", type=int, default=20, help="files the rows come in")
    parser.add_argument("--url", help="PostgreSQL URL (default: a throwaway pgserver)")
    args = parser.parse_args()
    import psycopg

    from factdb.db import make_engine
    from factdb.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="factdb-scale-") as tmp:
        url = args.url or start_postgres(Path(tmp))
        upgrade(make_engine(url))
        tables = ("trade_flows", "trade_flows_by_year")
        spent = dict.fromkeys(tables, 0.0)
        with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
            prepare(conn)
            size = -(-args.rows // args.files)
            print(f"rows: {args.rows:,} in {args.files} files of {size:,}, years {YEARS}")
            print(
                f"{'rows so far':>13} | {'one table rows/s':>16} {'count(*) s':>10} | "
                f"{'by year rows/s':>14} {'count(*) s':>10}"
            )
            for first in range(0, args.rows, size):
                count = min(size, args.rows - first)
                line = f"{first + count:>13,}"
                for table in tables:
                    seconds = import_file(conn, table, first, count, args.rows)
                    spent[table] += seconds
                    line += f" | {count / seconds:>16,.0f} {count_seconds(conn, table):>10.2f}"
                print(line, flush=True)
            for table in tables:
                megabytes = conn.execute(
                    "SELECT sum(pg_total_relation_size(c.oid)) / 1e6 FROM pg_class c "
                    "WHERE c.relname = %s OR c.relname LIKE %s",
                    (table, "trade_flows_y%" if table.endswith("by_year") else table),
                ).fetchone()[0]
                key_megabytes = conn.execute(
                    "SELECT sum(pg_relation_size(i.indexrelid)) / 1e6 FROM pg_index i "
                    "JOIN pg_class c ON c.oid = i.indrelid JOIN pg_class x ON x.oid = i.indexrelid "
                    "WHERE (c.relname = %s OR c.relname LIKE %s) AND i.indisunique "
                    "AND NOT i.indisprimary AND x.relname NOT LIKE %s",
                    (table, "trade_flows_y%" if table.endswith("by_year") else table, "%slug%"),
                ).fetchone()[0]
                print(
                    f"{table}: {args.rows / spent[table]:,.0f} rows/s overall "
                    f"({spent[table]:.1f} s), {float(megabytes):,.0f} MB with indexes, of which "
                    f"the natural key's index {float(key_megabytes or 0):,.0f} MB"
                )


if __name__ == "__main__":
    main()
