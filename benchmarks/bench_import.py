"""factdb's Comtrade import against a baseline, measured in one run.

    python benchmarks/bench_import.py --rows 1000000 [--backend sqlite|postgresql] [--url URL]
    python benchmarks/bench_import.py --rows 1000000 --rounds 3     # SQLite, paired rounds

SQLite baseline: Python's csv module reading the same file and the stdlib sqlite3
``executemany`` inserting the same rows into an equivalent table with the same unique key,
with the page cache factdb's import starts with (CACHE_KIB), so that no side wins by its cache.
PostgreSQL baseline: psycopg ``COPY`` of the same rows into an equivalent table with the same
unique key. PostgreSQL also prints, in the same run, the floor reference: ``COPY`` straight into
a copy of ``trade_flows`` (its CHECKs and indexes) with row-level foreign keys, as trade_flows
had before revision 0006; and ``COPY`` into ``trade_flows`` itself (statement-level reference
triggers).
Each side runs in its own child process, so factdb's peak RSS is its own. Prints rows/s of each,
their ratio, the ratio of CPU seconds (steadier on a shared machine; on PostgreSQL the client's
and the server's: every process of the throwaway server, read from /proc), and factdb's peak
RSS; targets: ratio >= 0.85 on SQLite, >= 0.6 on PostgreSQL, peak RSS < 150 MB (on SQLite
plus the page cache the import sizes to the index). ``--rounds`` pairs a baseline run with a
factdb run, on both backends.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import write  # noqa: E402

from factdb.comtrade.importer import CACHE_KIB, cache_kib_for  # noqa: E402

COPY_STARTED = 0.0
#: this process's CPU seconds when COPY_STARTED was taken
COPY_CPU_STARTED = 0.0
#: the environment variable that gives a child the pid of the throwaway server's postmaster
SERVER_PID_ENV = "FACTDB_BENCH_PG_PID"
#: CPU seconds of the server when the timed part of a PostgreSQL child started and ended
SERVER_CPU: list[float] = []


def server_cpu() -> float:
    """CPU seconds used so far by the throwaway PostgreSQL server: its postmaster, the children
    it has reaped (backends that exited) and the ones still running (0 without one)."""
    pid = os.environ.get(SERVER_PID_ENV)
    if not pid:
        return 0.0
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # a process that ended meanwhile
            continue
        if stat.parent.name == pid:
            total += sum(int(f) for f in fields[11:15])  # own and reaped children's
        elif fields[1] == pid:
            total += int(fields[11]) + int(fields[12])
    return total / tick


BASELINE_TABLE = """
CREATE TABLE trade (
    id INTEGER PRIMARY KEY, series TEXT NOT NULL, reporter TEXT NOT NULL, partner TEXT NOT NULL,
    year INTEGER NOT NULL, month INTEGER NOT NULL, months INTEGER NOT NULL, flow TEXT NOT NULL,
    commodity TEXT NOT NULL, label TEXT, value INTEGER NOT NULL, line INTEGER NOT NULL,
    UNIQUE (reporter, partner, year, month, months, flow, commodity, series)
)
"""


def baseline_rows(csv_path: str) -> Iterator[tuple[Any, ...]]:
    """The baselines' reading: csv.reader, the same fields factdb stores, value in cents."""
    with open(csv_path, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        i = {name: n for n, name in enumerate(header)}
        for row in reader:
            month = 0 if row[i["refMonth"]] == "52" else int(row[i["refMonth"]])
            whole, _, cents = row[i["primaryValue"]].partition(".")
            yield (
                row[i["reporterCode"]],
                row[i["partnerCode"]],
                int(row[i["refYear"]]),
                month,
                12 if month == 0 else 1,
                row[i["flowCode"]],
                row[i["cmdCode"]],
                row[i["cmdDesc"]],
                int(whole) * 100 + int(cents.ljust(2, "0") or 0),
                reader.line_num,
            )


def baseline_sqlite(csv_path: str, db_path: str) -> int:
    """csv.reader + sqlite3.executemany in 10k-row batches, one transaction, with the same page
    cache as factdb's import."""
    import sqlite3

    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    # the page cache factdb's import asks for, so that neither side wins by its cache alone
    conn.execute(f"PRAGMA cache_size = {-CACHE_KIB}")
    conn.execute(BASELINE_TABLE)
    conn.execute("BEGIN")
    sql = "INSERT INTO trade VALUES (NULL, 'comtrade', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    count = 0
    batch = []
    for row in baseline_rows(csv_path):
        batch.append(row)
        if len(batch) == 10_000:
            conn.executemany(sql, batch)
            count += len(batch)
            batch.clear()
    conn.executemany(sql, batch)
    count += len(batch)
    conn.execute("COMMIT")
    conn.close()
    return count


#: a copy of trade_flows with row-level foreign keys: trade_flows as it was before revision 0006
ROW_FK_TABLE = "bench_trade_row_fks"
ROW_FKS = (
    ("reporter_id", "entities"),
    ("partner_id", "entities"),
    ("source_id", "sources"),
)


def baseline_postgres(csv_path: str, url: str, *, into: str | None = None) -> int:
    """csv.reader + psycopg COPY of the same rows into an equivalent table (same unique key),
    or with ``into`` straight into factdb's own trade_flows (or ROW_FK_TABLE), constraints and
    all."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        if into == ROW_FK_TABLE:
            conn.execute(f"CREATE TABLE {ROW_FK_TABLE} (LIKE trade_flows INCLUDING ALL)")
            for column, table in ROW_FKS:
                conn.execute(
                    f"ALTER TABLE {ROW_FK_TABLE} ADD FOREIGN KEY ({column}) "
                    f"REFERENCES {table} (id) ON DELETE CASCADE"
                )
        if into:
            return _copy_into_trade_flows(conn, csv_path, into)
        conn.execute("DROP TABLE IF EXISTS bench_trade")
        conn.execute(
            BASELINE_TABLE.replace("trade (", "bench_trade (")
            .replace("id INTEGER PRIMARY KEY", "id BIGSERIAL PRIMARY KEY")
            .replace("value INTEGER", "value BIGINT")
        )
        conn.commit()
        count = 0
        global COPY_STARTED, COPY_CPU_STARTED
        COPY_STARTED = time.perf_counter()  # the table above is set-up, not timed
        COPY_CPU_STARTED = time.process_time()
        SERVER_CPU.append(server_cpu())
        with conn.cursor().copy(
            "COPY bench_trade (reporter, partner, year, month, months, flow, commodity, label, "
            "value, line, series) FROM STDIN"
        ) as copy:
            for row in baseline_rows(csv_path):
                copy.write_row((*row, "comtrade"))
                count += 1
        conn.commit()
        SERVER_CPU.append(server_cpu())
        conn.execute("DROP TABLE bench_trade")
    return count


def _copy_into_trade_flows(conn: object, csv_path: str, table: str) -> int:
    """COPY the rows straight into ``table`` (trade_flows or its copy with row-level foreign
    keys: references, CHECKs, indexes), then roll back."""
    import psycopg

    assert isinstance(conn, psycopg.Connection)
    ids = {}
    for code in _codes(csv_path):
        ids[code] = conn.execute(
            "INSERT INTO entities (slug, kind, name) VALUES (%s, 'country', %s) RETURNING id",
            (f"bench-{code}", f"Bench {code}"),
        ).fetchone()[0]
    source = conn.execute(
        "INSERT INTO sources (slug, kind, published_precision) "
        "VALUES ('bench', 'statistics_dataset', 'unknown') RETURNING id"
    ).fetchone()[0]
    flows = {"M": "import", "X": "export", "RM": "re_import", "RX": "re_export"}
    count = 0
    global COPY_STARTED, COPY_CPU_STARTED
    COPY_STARTED = time.perf_counter()  # the entities above are set-up, not timed
    COPY_CPU_STARTED = time.process_time()
    SERVER_CPU.append(server_cpu())
    with conn.cursor().copy(
        f"COPY {table} (reporter_id, partner_id, year, month, months, flow, commodity_code, "
        "commodity_label, value, source_line, series, currency, value_qualifier, status, "
        "source_id) FROM STDIN"
    ) as copy:
        for reporter, partner, year, month, months, flow, cmd, label, value, line in baseline_rows(
            csv_path
        ):
            copy.write_row(
                (
                    ids[reporter],
                    ids[partner],
                    year,
                    month,
                    months,
                    flows[flow],
                    cmd,
                    label,
                    value,
                    line,
                    "comtrade",
                    "USD",
                    "exact",
                    "final",
                    source,
                )
            )
            count += 1
    SERVER_CPU.append(server_cpu())
    conn.rollback()
    return count


def _codes(csv_path: str) -> set[str]:
    """Every reporter and partner code in the file (read before the timed COPY)."""
    return {code for row in baseline_rows(csv_path) for code in row[:2]}


def factdb_import(csv_path: str, url: str) -> tuple[int, float, float]:
    """The import alone, timed after the migration that prepares the database."""
    from factdb.comtrade.importer import import_file
    from factdb.db import make_engine
    from factdb.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    started, cpu = time.perf_counter(), time.process_time()
    SERVER_CPU.append(server_cpu())
    report = import_file(engine, Path(csv_path))
    # before the engine is disposed: its connection's server process is still running
    SERVER_CPU.append(server_cpu())
    return report.rows, time.perf_counter() - started, time.process_time() - cpu


def child(kind: str, csv_path: str, target: str) -> None:
    """Run one side and print its rows, seconds, CPU seconds (this process's alone: on SQLite
    all of the work) and peak RSS as JSON."""
    started, cpu_started = time.perf_counter(), time.process_time()
    if kind == "baseline-sqlite":
        rows = baseline_sqlite(csv_path, target)
    elif kind == "baseline-postgresql":
        rows = baseline_postgres(csv_path, target)
        started, cpu_started = COPY_STARTED, COPY_CPU_STARTED
    elif kind in ("baseline-postgresql-same-table", "baseline-postgresql-row-fks"):
        from factdb.db import make_engine
        from factdb.migrate import upgrade

        upgrade(make_engine(target))
        table = "trade_flows" if kind.endswith("same-table") else ROW_FK_TABLE
        rows = baseline_postgres(csv_path, target, into=table)
        started, cpu_started = COPY_STARTED, COPY_CPU_STARTED
    else:
        rows, seconds, cpu = factdb_import(csv_path, target)
    if kind != "factdb":
        seconds = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    server = SERVER_CPU[-1] - SERVER_CPU[0] if SERVER_CPU else 0.0
    result = {"rows": rows, "seconds": seconds, "cpu": cpu, "server_cpu": server}
    print(json.dumps({**result, "peak_mb": peak_kb / 1024}))


def run_child(kind: str, csv_path: Path, target: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(csv_path), target],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def start_postgres(workdir: Path) -> str:
    import pgserver
    from sqlalchemy.engine import make_url

    server = pgserver.get_server(workdir / "pg", cleanup_mode="stop")
    url = make_url(server.get_uri())
    os.environ["PGHOST"] = str(url.query["host"])
    # the children read the server's CPU time from /proc (the first line of postmaster.pid)
    postmaster = (Path(server.pgdata) / "postmaster.pid").read_text().split()[0]
    os.environ[SERVER_PID_ENV] = postmaster
    return "postgresql+psycopg://postgres@/postgres"


def sqlite_rounds(rows: int, size_mb: float, csv_path: Path, work: Path, rounds: int) -> None:
    """Paired rounds on SQLite, each side in a fresh database; the median ratio is the result.

    Wall-clock ratios on a shared machine move with the neighbours' load; the ratio of CPU
    seconds (each process's own) moves much less, and is printed beside it.
    """
    print(f"rows: {rows:,} ({size_mb:.0f} MB CSV), backend: sqlite, {rounds} paired round(s)")
    print(f"baseline: csv + sqlite3 executemany, page cache {CACHE_KIB // 1024} MB like factdb's")
    ratios, cpu_ratios, peaks = [], [], []
    for n in range(1, rounds + 1):
        base_db, our_db = work / f"baseline-{n}.sqlite3", work / f"factdb-{n}.sqlite3"
        base = run_child("baseline-sqlite", csv_path, str(base_db))
        ours = run_child("factdb", csv_path, f"sqlite:///{our_db}")
        for db in (base_db, our_db):
            for path in db.parent.glob(db.name + "*"):
                path.unlink()
        ratio = base["seconds"] / ours["seconds"]
        cpu_ratio = base["cpu"] / ours["cpu"]
        ratios.append(ratio)
        cpu_ratios.append(cpu_ratio)
        peaks.append(ours["peak_mb"])
        print(
            f"round {n}: baseline {base['rows'] / base['seconds']:>9,.0f} rows/s "
            f"({base['seconds']:.2f} s, {base['cpu']:.2f} CPU-s)  factdb "
            f"{ours['rows'] / ours['seconds']:>9,.0f} rows/s ({ours['seconds']:.2f} s, "
            f"{ours['cpu']:.2f} CPU-s)  ratio {ratio:.2f}, by CPU {cpu_ratio:.2f}"
        )
    print(
        f"ratio factdb / baseline:     {statistics.median(ratios):>12.2f}  median of {rounds} "
        f"(range {min(ratios):.2f}-{max(ratios):.2f}; target >= 0.85)"
    )
    print(
        f"ratio by CPU seconds:        {statistics.median(cpu_ratios):>12.2f}  "
        f"(range {min(cpu_ratios):.2f}-{max(cpu_ratios):.2f})"
    )
    # the import sizes SQLite's page cache to the natural key's index (docs/performance.md)
    cache_mb = cache_kib_for(rows) / 1024
    print(
        f"factdb peak RSS:             {max(peaks):>12.0f} MB "
        f"(target < 150 MB + a page cache of up to {cache_mb:.0f} MB)"
    )


@contextlib.contextmanager
def fresh_database(url: str, name: str) -> Iterator[str]:
    """A new, empty database on the server of ``url`` (its role may create databases)."""
    import psycopg
    from sqlalchemy.engine import make_url

    admin = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _cpu(result: dict[str, float]) -> float:
    """The client's and the server's CPU seconds of one child."""
    return result["cpu"] + result["server_cpu"]


def postgres_rounds(rows: int, size_mb: float, csv_path: Path, url: str, rounds: int) -> None:
    """The references once, then paired rounds (the baseline, then factdb); the median ratio is
    the result. CPU seconds are the client's and the server's (a throwaway server only: with
    --url the server's are not known, and the CPU ratio is the client's alone)."""
    print(f"rows: {rows:,} ({size_mb:.0f} MB CSV), backend: postgresql, {rounds} paired round(s)")
    floor = run_child("baseline-postgresql-row-fks", csv_path, url)
    same = run_child("baseline-postgresql-same-table", csv_path, url)
    ratios, cpu_ratios, floor_ratios, peaks = [], [], [], []
    for n in range(1, rounds + 1):
        # a database of its own for each round: the file is imported into an empty one each time
        with fresh_database(url, f"factdb_bench_{n}") as round_url:
            base = run_child("baseline-postgresql", csv_path, round_url)
            ours = run_child("factdb", csv_path, round_url)
        ratio = base["seconds"] / ours["seconds"]
        cpu_ratio = _cpu(base) / _cpu(ours)
        ratios.append(ratio)
        cpu_ratios.append(cpu_ratio)
        floor_ratios.append(floor["seconds"] / ours["seconds"])
        peaks.append(ours["peak_mb"])
        print(
            f"round {n}: baseline {base['rows'] / base['seconds']:>9,.0f} rows/s "
            f"({base['seconds']:.2f} s, {base['cpu']:.2f} + {base['server_cpu']:.2f} CPU-s)  "
            f"factdb {ours['rows'] / ours['seconds']:>9,.0f} rows/s ({ours['seconds']:.2f} s, "
            f"{ours['cpu']:.2f} + {ours['server_cpu']:.2f} CPU-s)  ratio {ratio:.2f}, "
            f"by CPU {cpu_ratio:.2f}"
        )
    base_rate = base["rows"] / base["seconds"]
    for name, ref in (
        (
            "floor reference: COPY straight into a copy of trade_flows with row-level foreign keys",
            floor,
        ),
        ("also: COPY straight into trade_flows (statement-level reference triggers)", same),
    ):
        rate = ref["rows"] / ref["seconds"]
        print(
            f"{name}: {rate:,.0f} rows/s ({ref['seconds']:.2f} s, {ref['cpu']:.2f} + "
            f"{ref['server_cpu']:.2f} CPU-s; {rate / base_rate:.2f}x the last baseline)"
        )
    print("(client + server CPU seconds; the server's only with the throwaway server)")
    print(
        f"ratio factdb / baseline:     {statistics.median(ratios):>12.2f}  median of {rounds} "
        f"(range {min(ratios):.2f}-{max(ratios):.2f}; target >= 0.60)"
    )
    print(
        f"ratio by CPU seconds:        {statistics.median(cpu_ratios):>12.2f}  "
        f"(range {min(cpu_ratios):.2f}-{max(cpu_ratios):.2f})"
    )
    print(f"ratio factdb / floor:        {statistics.median(floor_ratios):>12.2f}  (floor >= 0.95)")
    print(f"factdb peak RSS:             {max(peaks):>12.0f} MB (target < 150 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--url", help="PostgreSQL URL (default: a throwaway pgserver)")
    parser.add_argument(
        "--rounds", type=int, default=1, help="paired rounds (baseline, then factdb)"
    )
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="factdb-bench-") as tmp:
        work = Path(tmp)
        csv_path = write(work / "comtrade.csv", args.rows, "current")
        size_mb = csv_path.stat().st_size / 1e6
        if args.backend == "sqlite":
            sqlite_rounds(args.rows, size_mb, csv_path, work, args.rounds)
        else:
            postgres_rounds(
                args.rows, size_mb, csv_path, args.url or start_postgres(work), args.rounds
            )


if __name__ == "__main__":
    main()
