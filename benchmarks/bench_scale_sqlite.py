"""Whether SQLite's Comtrade import stays linear: new rows into a fresh database, and the same
number of new rows into a database that already holds many, measured in one run.

    python benchmarks/bench_scale_sqlite.py --rows 1000000 --existing 3000000

One generated Comtrade walk (``benchmarks/generate.py``) is cut in two files: the first
``--existing`` rows, and the next ``--rows`` rows, whose keys fall all over the existing ones'
(the walk visits the natural key in no order of it). The new file is imported into a fresh
database, then into one that holds the existing rows (imported first, untimed). Each import
runs in its own child process, so its peak RSS is its own. Prints the fresh and the marginal
rate (rows/s, wall clock and CPU), their ratio, each side's peak RSS, and the page cache the
import sized itself. Targets: marginal/fresh >= 0.85; peak RSS < 150 MB plus that cache.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import CURRENT_HEADER, rows  # noqa: E402


def write_split(work: Path, existing: int, new: int) -> tuple[Path, Path]:
    """Two files of one walk: its first ``existing`` rows, then its next ``new`` rows."""
    paths = (work / "existing.csv", work / "new.csv")
    walk = rows(existing + new, "current")
    for path, count in zip(paths, (existing, new), strict=True):
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(CURRENT_HEADER)
            for _ in range(count):
                writer.writerow(next(walk))
    return paths


def child(csv_path: str, url: str, migrate: str) -> None:
    """Import one file (after migrating when asked); print rows, seconds, CPU, RSS as JSON."""
    from factdb.comtrade.importer import import_file
    from factdb.db import make_engine
    from factdb.migrate import upgrade

    engine = make_engine(url)
    if migrate == "yes":
        upgrade(engine)
    started, cpu = time.perf_counter(), time.process_time()
    report = import_file(engine, Path(csv_path))
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"rows": report.inserted, "seconds": seconds, "cpu": cpu, "peak_mb": peak_mb}))


def run_child(csv_path: Path, url: str, *, migrate: bool) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(csv_path), url, "yes" if migrate else "no"],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=20_000, help="new rows per import")
    parser.add_argument("--existing", type=int, default=60_000, help="rows already stored")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return

    from factdb.comtrade.importer import cache_kib_for

    with tempfile.TemporaryDirectory(prefix="factdb-bench-") as tmp:
        work = Path(tmp)
        existing_csv, new_csv = write_split(work, args.existing, args.rows)
        fresh = run_child(new_csv, f"sqlite:///{work / 'fresh.sqlite3'}", migrate=True)
        grown_url = f"sqlite:///{work / 'grown.sqlite3'}"
        base = run_child(existing_csv, grown_url, migrate=True)
        marginal = run_child(new_csv, grown_url, migrate=False)
        assert fresh["rows"] == marginal["rows"] == args.rows, (fresh, marginal)

        def cache_mb(stored: int) -> float:
            return cache_kib_for(stored + args.rows) / 1024

        print(f"new rows per import: {args.rows:,}; existing rows: {args.existing:,} (SQLite)")
        print(
            f"existing rows imported first:   {base['rows'] / base['seconds']:>10,.0f} rows/s "
            f"({base['seconds']:.1f} s), peak RSS {base['peak_mb']:.0f} MB"
        )
        for name, side, stored in (("fresh", fresh, 0), ("marginal", marginal, args.existing)):
            print(
                f"{name + ' import:':<32}{side['rows'] / side['seconds']:>10,.0f} rows/s "
                f"({side['seconds']:.1f} s, {side['cpu']:.1f} CPU-s), "
                f"peak RSS {side['peak_mb']:.0f} MB (page cache up to {cache_mb(stored):.0f} MB)"
            )
        ratio = fresh["seconds"] / marginal["seconds"]
        cpu_ratio = fresh["cpu"] / marginal["cpu"]
        print(
            f"marginal / fresh rate:          {ratio:>10.2f}  (by CPU seconds {cpu_ratio:.2f}; "
            "target >= 0.85)"
        )
        limit = 150 + cache_mb(args.existing)
        print(
            f"peak RSS of the marginal import: {marginal['peak_mb']:.0f} MB "
            f"(target < 150 MB + its cache = {limit:.0f} MB)"
        )


if __name__ == "__main__":
    main()
