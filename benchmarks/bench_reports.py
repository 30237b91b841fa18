"""Latency of the queries behind ``report trade`` and ``report reconcile``.

    python benchmarks/bench_reports.py --rows 1000000 [--backend sqlite|postgresql]

Builds a database with N official trade rows (a generated Comtrade file, imported) plus the
bundled seeds, then times each query for one reporter/partner pair many times and prints p50
and p95. Target on SQLite at 1M rows: p50 under 20 ms.

Then whether a report's cost follows its answer or the table: two more databases hold the same
answer (the seeds, whose stated figures are all Bulgaria/Japan, and one fixed file of 6,240
official Bulgaria/Japan rows) beside N/10 and N official rows of other pairs. Each report must
give the same answer in both; the ratio of their p50s (large / small) should be near 1.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from bench_import import start_postgres  # noqa: E402
from generate import CURRENT_HEADER, rows, write  # noqa: E402

#: the pair whose answer the size comparison keeps fixed (M49 codes as the generator writes them)
PAIR = {"100", "392"}


def _pg_database(url: str, name: str) -> str:
    """A fresh database ``name`` on the server of ``url``; its URL."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f"DROP DATABASE IF EXISTS bench_{name}")
        conn.exec_driver_sql(f"CREATE DATABASE bench_{name}")
    engine.dispose()
    return str(sa.engine.make_url(url).set(database=f"bench_{name}"))


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def pair_file(path: Path) -> Path:
    """Bulgaria and Japan, both ways: 30 years, the year and its months, exports and imports,
    all goods and three chapters (6,240 rows, fixed values)."""
    countries = [("100", "BGR", "Bulgaria"), ("392", "JPN", "Japan")]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CURRENT_HEADER)
        n = 0
        for (code, iso, name), (pcode, piso, pname) in (countries, countries[::-1]):
            for year in range(1995, 2025):
                for month in range(13):
                    for flow in ("X", "M"):
                        for cmd in ("TOTAL", "27", "85", "87"):
                            n += 1
                            period = f"{year}{month:02d}" if month else str(year)
                            writer.writerow(
                                [
                                    "C", "M" if month else "A", f"{period}01", year,
                                    month or 52, period, code, iso, name, flow, "x", pcode,
                                    piso, pname, "0", "HS", cmd, f"Goods {cmd}", "0", "0", "-1",
                                    "", "", "", "", f"{(n * 7919) % 10**9 + 1000}.25",
                                    "True", "False",
                                ]
                            )  # fmt: skip
    return path


def filler_file(path: Path, count: int) -> Path:
    """``count`` generated official rows of every pair but Bulgaria/Japan."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CURRENT_HEADER)
        written = 0
        for row in rows(count * 2, "current"):
            if {row[6].zfill(3), row[11].zfill(3)} != PAIR:
                writer.writerow(row)
                written += 1
                if written == count:
                    break
    return path


def time_cases(engine: Any, cases: dict[str, Any], repeat: int) -> dict[str, tuple[Any, float]]:
    """Each case's answer and p50 in ms, over ``repeat`` runs after a warm-up."""
    from factdb.db import connect

    out = {}
    with connect(engine, read_only=True) as conn:
        for name, run in cases.items():
            answer = run(conn)
            samples = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                run(conn)
                samples.append((time.perf_counter() - t0) * 1000)
            out[name] = (answer, statistics.median(samples))
    return out


def plan_summary(engine: Any, run: Any) -> str:
    """The indexes through which ``run``'s statements read trade_flows, and whether any
    statement reads the whole table (a scan of the small index of stated figures does not)."""
    import re

    import sqlalchemy as sa

    from factdb.db import connect

    statements: list[tuple[str, Any]] = []

    def capture(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "trade_flows" in statement and not statement.startswith("EXPLAIN"):
            statements.append((statement, parameters))

    with connect(engine, read_only=True) as conn:
        # the connection's own engine: reads on SQLite go through a read-only twin
        sa.event.listen(conn.engine, "before_cursor_execute", capture)
        try:
            run(conn)
        finally:
            sa.event.remove(conn.engine, "before_cursor_execute", capture)
        sqlite = engine.dialect.name == "sqlite"
        steps = [
            str(row[-1] if sqlite else row[0])
            for statement, parameters in statements
            for row in conn.exec_driver_sql(
                ("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + statement, parameters
            )
        ]
    if not statements:
        return "does not read trade_flows"
    pattern = (
        r"(?:USING INDEX|USING COVERING INDEX|Index Scan using|Index Only Scan using"
        r"|Bitmap Index Scan on) ([A-Za-z_]\w*)"
    )
    indexes = sorted({m for step in steps for m in re.findall(pattern, step)})
    whole = [
        step.strip()
        for step in steps
        if (step.startswith("SCAN trade_flows") and "ix_trade_flows_stated" not in step)
        or "Seq Scan on trade_flows" in step
    ]
    verdict = f"FULL SCAN: {whole[0]}" if whole else "no full scan"
    return f"{len(statements)} statements; {verdict}; indexes: {', '.join(indexes)}"


def compare_sizes(work: Path, url_of: Any, small: int, large: int, repeat: int) -> None:
    """The same reports, with the same answer, over ``small`` and ``large`` official rows."""
    from factdb.comtrade.importer import import_file
    from factdb.db import make_engine
    from factdb.factfiles.loader import load
    from factdb.migrate import upgrade
    from factdb.reports.briefing import briefing
    from factdb.reports.entity import entity_report
    from factdb.reports.reconcile import reconcile
    from factdb.reports.timeline import timeline
    from factdb.reports.trade import trade

    cases = {
        "report reconcile (no filter)": lambda c: reconcile(c),
        "report reconcile (Bulgaria, Japan)": lambda c: reconcile(c, "bulgaria", "japan"),
        "report trade (Bulgaria, Japan, 2024)": lambda c: trade(c, "bulgaria", "japan", 2024),
        "report briefing (Bulgaria, Japan)": lambda c: briefing(c, "bulgaria", "japan"),
        "report timeline (Bulgaria)": lambda c: timeline(c, "bulgaria"),
        "report entity (Bulgaria)": lambda c: entity_report(c, "bulgaria"),
    }
    pair = pair_file(work / "pair.csv")
    results = []
    plans: dict[str, str] = {}
    for size in (small, large):
        engine = make_engine(url_of(f"size{size}"))
        upgrade(engine)
        load(engine)
        import_file(engine, pair)
        import_file(engine, filler_file(work / f"filler-{size}.csv", size))
        if engine.dialect.name == "postgresql":
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        results.append(time_cases(engine, cases, repeat))
        if size == large:
            plans = {name: plan_summary(engine, run) for name, run in cases.items()}
        engine.dispose()
    print(f"same answer beside {small:,} and {large:,} other official rows:")
    for name in cases:
        (answer_small, p50_small), (answer_large, p50_large) = (r[name] for r in results)
        assert answer_small == answer_large, f"{name}: the answer changed with the table"
        print(
            f"  {name:38s} p50 {p50_small:7.2f} ms vs {p50_large:7.2f} ms  "
            f"ratio {p50_large / p50_small:5.2f}"
        )
    print(f"how each reads trade_flows at {large:,} rows, by its plan:")
    for name, summary in plans.items():
        print(f"  {name:38s} {summary}")


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
                count = len(run(conn))  # warm-up, and the size of the answer
                samples = []
                for _ in range(args.repeat):
                    t0 = time.perf_counter()
                    run(conn)
                    samples.append((time.perf_counter() - t0) * 1000)
                print(
                    f"{name:40s} rows {count:>5}  p50 {statistics.median(samples):7.2f} ms  "
                    f"p95 {percentile(samples, 0.95):7.2f} ms"
                )
        engine.dispose()
        if args.backend == "sqlite":
            compare_sizes(
                work,
                lambda name: f"sqlite:///{work / name}.sqlite3",
                args.rows // 10,
                args.rows,
                args.repeat,
            )
        else:
            compare_sizes(
                work, lambda name: _pg_database(url, name), args.rows // 10, args.rows, args.repeat
            )


if __name__ == "__main__":
    main()
