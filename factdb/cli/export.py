"""``factdb export`` (every documented view in full, to files) and ``factdb snapshot`` (a
consistent copy in a new SQLite file).

Only parses options and calls ``factdb.export`` / ``factdb.snapshot``; no SQL here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from factdb.cli._common import DbOption, engine_for

ForceOption = Annotated[bool, typer.Option("--force", help="Overwrite files that already exist.")]


def export(
    directory: Annotated[
        Path, typer.Argument(metavar="DIR", help="Directory to write to; created if missing.")
    ],
    db: DbOption = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            metavar="FORMAT",
            help="csv, jsonl or parquet (needs factdb[parquet]).",
        ),
    ] = "csv",
    view: Annotated[
        list[str] | None,
        typer.Option(
            "--view",
            metavar="NAME",
            help="Only this view (repeatable). Default: every documented view.",
            show_default=False,
        ),
    ] = None,
    force: ForceOption = False,
) -> None:
    """Write every documented view in full, one file per view (DIR/v_trade.csv ...).

    \b
    Examples:
      factdb export out/ --format parquet
      factdb export out/ --view v_trade --format csv
    """
    from factdb.export import export as run

    for done in run(engine_for(db), directory, fmt=fmt, views=view, force=force):
        typer.echo(f"{done.path}\t{done.rows} rows")


def snapshot(
    out: Annotated[
        Path, typer.Argument(metavar="OUT.sqlite3", help="The new SQLite file to create.")
    ],
    db: DbOption = None,
    force: Annotated[bool, typer.Option("--force", help="Replace OUT if it exists.")] = False,
) -> None:
    """Copy the database, as of one instant, into a new SQLite file at the newest revision.

    \b
    Example:
      factdb snapshot team.sqlite3 --db postgresql://alice@db.example.org/factdb
    """
    from factdb.snapshot import snapshot as run

    report = run(engine_for(db), out, force=force)
    total = sum(report.rows.values())
    typer.echo(f"{report.path}\t{total} rows in {len(report.rows)} tables")
