"""Latency of the queries behind ``report trade`` and ``report reconcile``.

    python benchmarks/bench_reports.py --rows 1000000 [--backend sqlite|postgresql]

Builds a database with N official trade rows (a generated Comtrade file, imported) plus the
bundled seeds, then times each query for one reporter/partner pair many times and prints p50
and p95. Target on SQLite at 1M rows: p50 under 20 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_import import start_postgres  # noqa: E402
from generate import write  # noqa: E402


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()

    from factdb.comtrade.importer import import_file
    from factdb.db import connect, make_engine
    from factdb.factfiles.loader import load
    from factdb.migrate import upgrade
    from factdb.reports.reconcile import reconcile
    from factdb.reports.trade import trade, trade_query

    with tempfile.TemporaryDirectory(prefix="factdb-bench-") as tmp:
        work = Path(tmp)
        if args.backend == "sqlite":
            url = f"sqlite:///{work / 'reports.sqlite3'}"
        else:
            url = os.environ.get("FACTDB_BENCH_PG_URL") or start_postgres(work)
        engine = make_engine(url)
        upgrade(engine)
        load(engine)
        started = time.perf_counter()
        import_file(engine, write(work / "comtrade.csv", args.rows, "current"))
        print(
            f"built {args.rows:,} official rows in {time.perf_counter() - started:.1f} s "
            f"({args.backend})"
        )
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        cases = {
            "query of report trade (Bulgaria, Japan)": lambda c: c.execute(
                trade_query(c, "bulgaria", "japan")
            ).all(),
            "report trade (Bulgaria, Japan)": lambda c: trade(c, "bulgaria", "japan"),
            "report trade (Bulgaria, Japan, 2024)": lambda c: trade(c, "bulgaria", "japan", 2024),
            "report reconcile (Bulgaria, Japan)": lambda c: reconcile(c, "bulgaria", "japan"),
        }
        with connect(engine, read_only=True) as conn:
            for name, run in cases.items():
                rows = len(run(conn))  # warm-up, and the size of the answer
                samples = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    run(conn)
                    samples.append((time.perf_counter() - t0) * 1000)
                print(
                    f"{name:40s} rows {rows:>5}  p50 {statistics.median(samples):7.2f} ms  "
                    f"p95 {percentile(samples, 0.95):7.2f} ms"
                )
        engine.dispose()


if __name__ == "__main__":
    main()
