"""How long a person waits for a command: whole commands against ``import sqlalchemy.orm``.

    python benchmarks/bench_startup.py [--rounds 7] [--only "report trade"]

Builds a quickstart SQLite database, then runs, in interleaved rounds so that load on the
machine hits every command alike, the baseline ``python -c "import sqlalchemy.orm"``, every
``factdb report`` command, ``factdb sql``, ``factdb search``, ``--help`` and a ``factdb seed``
that changes nothing, each as a new process. Prints the median wall time and the median CPU
time (user + system, steadier on a busy machine) of each, and their ratios to the baseline's
medians measured in the same run. Target: every read command's ratio at most 1.5; seed is
reported, not held to it.

Every process reads compiled bytecode, as an installed factdb does (pip compiles it at
install): the runs keep it under a temporary ``PYTHONPYCACHEPREFIX``, written by one warm-up
round, even where ``PYTHONDONTWRITEBYTECODE`` is set.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BASELINE = [sys.executable, "-c", "import sqlalchemy.orm"]
#: every read command a person runs, each as the README shows it
READS = {
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
}
OTHERS = {
    "--help": ["--help"],
    "seed (no change)": ["seed"],
}
TARGET = 1.5


def run(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall, cpu) seconds of one run of ``argv`` in a new process."""
    before = os.times()
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - start
    after = os.times()
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{done.stderr}")
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    return wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--only", action="append", help="Only this command (repeatable).")
    args = parser.parse_args()
    commands = {**READS, **OTHERS}
    if args.only:
        commands = {name: argv for name, argv in commands.items() if name in args.only}
    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "factdb.sqlite3")
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        factdb = [sys.executable, "-m", "factdb"]
        run([*factdb, "quickstart", "--db", db], env)
        samples: dict[str, list[tuple[float, float]]] = {"baseline": []}
        samples.update({name: [] for name in commands})
        for warm_up in [True] + [False] * args.rounds:
            taken = [("baseline", BASELINE)]
            for name, argv in commands.items():
                extra = [] if argv == ["--help"] else ["--db", db]
                taken.append((name, [*factdb, *argv, *extra]))
            for name, argv in taken:
                sample = run(argv, env)
                if not warm_up:
                    samples[name].append(sample)

    def medians(name: str) -> tuple[float, float]:
        walls, cpus = zip(*samples[name], strict=True)
        return statistics.median(walls), statistics.median(cpus)

    base_wall, base_cpu = medians("baseline")
    print(f"{'command':<22} {'wall s':>7} {'ratio':>6} {'cpu s':>7} {'ratio':>6}")
    print(f"{'import sqlalchemy.orm':<22} {base_wall:>7.3f} {1:>6.2f} {base_cpu:>7.3f} {1:>6.2f}")
    worst, worst_cpu = 0.0, 0.0
    for name in commands:
        wall, cpu = medians(name)
        if name in READS:
            worst, worst_cpu = max(worst, wall / base_wall), max(worst_cpu, cpu / base_cpu)
        print(
            f"{name:<22} {wall:>7.3f} {wall / base_wall:>6.2f} {cpu:>7.3f} {cpu / base_cpu:>6.2f}"
        )
    print(
        f"worst read command, wall ratio {worst:.2f}, CPU ratio {worst_cpu:.2f} "
        f"(target <= {TARGET})"
    )


if __name__ == "__main__":
    main()
