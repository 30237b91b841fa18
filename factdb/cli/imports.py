"""``factdb import comtrade``: official trade statistics in bulk."""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Annotated

import typer

from factdb.cli._common import DbOption, engine_for, new_app

app = new_app("Import official statistics.")


@app.command()
def comtrade(
    files: Annotated[list[Path], typer.Argument(help="UN Comtrade CSV files, plain or gzipped.")],
    db: DbOption = None,
    max_errors: Annotated[
        int, typer.Option(help="Skip up to N bad rows per file and list them (default: none).")
    ] = 0,
) -> None:
    """Import UN Comtrade files (current or legacy layout); re-importing a file changes nothing."""
    from factdb.comtrade.importer import import_file

    engine = engine_for(db)
    for path in files:
        if sys.stderr.isatty():
            from rich.progress import MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

            columns = (
                SpinnerColumn(),
                TextColumn("{task.description}"),
                MofNCompleteColumn(),
                TextColumn("{task.speed:>10.0f} rows/s"),
            )
            with Progress(*columns, transient=True) as bar:
                task = bar.add_task(path.name, total=None)
                report = import_file(
                    engine,
                    path,
                    max_errors=max_errors,
                    progress=partial(bar.advance, task),
                )
        else:
            report = import_file(engine, path, max_errors=max_errors)
        for problem in report.skipped:
            typer.echo(f"skipped {problem}", err=True)
        if report.already_imported:
            typer.echo(f"{path}: already imported as {report.source}; nothing changed")
            continue
        rate = report.rows / report.seconds if report.seconds else 0
        typer.echo(
            f"{path}: {report.rows} rows ({report.inserted} inserted, {report.updated} updated, "
            f"{report.unchanged} unchanged, {len(report.skipped)} skipped) in "
            f"{report.seconds:.1f} s, {rate:,.0f} rows/s; source {report.source}"
        )
