"""How long a person waits for a report: whole commands against ``import sqlalchemy.orm``.

    python benchmarks/bench_startup.py [--rounds 7]

Builds a quickstart SQLite database, then runs, in interleaved rounds so that load on the
machine hits every command alike, the baseline ``python -c "import sqlalchemy.orm"`` and each
factdb read command as a new process. Prints the median wall time of each and its ratio to the
baseline's median. Target: every ratio at most 1.5.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = [sys.executable, "-c", "import sqlalchemy.orm"]
COMMANDS = {
    "report briefing": ["report", "briefing"],
    "report timeline": ["report", "timeline"],
    "report entity": ["report", "entity", "rumen-radev"],
    "report trade": ["report", "trade"],
    "report claims": ["report", "claims"],
    "report network": ["report", "network"],
    "report evidence": ["report", "evidence"],
    "report reconcile": ["report", "reconcile"],
    "sql select 1": ["sql", "select 1"],
    "search": ["search", "toyota"],
    "--help": ["--help"],
}


def wall(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "factdb.sqlite3")
        factdb = [sys.executable, "-m", "factdb"]
        wall([*factdb, "quickstart", "--db", db])
        samples: dict[str, list[float]] = {"baseline": [], **{name: [] for name in COMMANDS}}
        for _ in range(args.rounds):
            samples["baseline"].append(wall(BASELINE))
            for name, argv in COMMANDS.items():
                extra = [] if argv == ["--help"] else ["--db", db]
                samples[name].append(wall([*factdb, *argv, *extra]))
    base = statistics.median(samples["baseline"])
    print(f"{'command':<20} {'median s':>9} {'ratio':>6}")
    print(f"{'import sqlalchemy.orm':<20} {base:>9.3f} {1:>6.2f}")
    worst = 0.0
    for name in COMMANDS:
        median = statistics.median(samples[name])
        worst = max(worst, median / base)
        print(f"{name:<20} {median:>9.3f} {median / base:>6.2f}")
    print(f"worst ratio {worst:.2f} (target <= 1.5)")


if __name__ == "__main__":
    main()
