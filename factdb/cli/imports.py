"""``factdb import comtrade``: official trade statistics in bulk.

Parses options and prints; the import itself (and every message about a file) is the library's.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from factdb.cli._common import DbOption, engine_for, new_app
from factdb.comtrade.headers import FIELD_NAMES

app = new_app(
    "Import official statistics.",
    examples=["factdb import comtrade downloads/"],
)


@app.command()
def comtrade(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="UN Comtrade CSV (or tab-separated) files, plain or gzipped, or directories "
            "of them (*.csv, *.csv.gz, *.gz, *.txt, imported in name order).",
            show_default=False,
        ),
    ],
    db: DbOption = None,
    max_errors: Annotated[
        int,
        typer.Option(
            min=0,
            metavar="N",
            help="Skip up to N bad rows per file and list them (default: none; all or nothing).",
        ),
    ] = 0,
    encoding: Annotated[
        str,
        typer.Option(
            metavar="NAME",
            help="Text encoding of the files (a UTF-8 or UTF-16 byte-order mark is followed).",
        ),
    ] = "utf-8",
    column: Annotated[
        list[str] | None,
        typer.Option(
            metavar="FIELD=HEADER",
            help="Read FIELD from the column named HEADER, for headers factdb does not know "
            f"(repeatable; fields: {', '.join(FIELD_NAMES)}).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Import UN Comtrade files (current or legacy layout); re-importing a file changes nothing.

    A file is known by its content: the same content under another name, or gzipped, is
    already imported. Headers are matched whatever their case, spacing and punctuation.

    \b
    Examples:
      factdb import comtrade TradeData_2024_BG.csv.gz
      factdb import comtrade downloads/ --max-errors 10
      factdb import comtrade export.csv --column value="Customs Value (US$)"
    """
    from factdb.comtrade.headers import parse_column_options
    from factdb.comtrade.importer import check_encoding, comtrade_files, import_file
    from factdb.errors import Interrupted

    check_encoding(encoding)
    columns = parse_column_options(column or [])
    paths = comtrade_files(files)
    engine = engine_for(db)
    for number, path in enumerate(paths, start=1):
        if len(paths) > 1:
            typer.echo(f"importing {path} ({number} of {len(paths)})", err=True)
        try:
            with _progress_bar(path.name) as progress:
                report = import_file(
                    engine,
                    path,
                    max_errors=max_errors,
                    encoding=encoding,
                    progress=progress,
                    columns=columns,
                )
        except (Interrupted, KeyboardInterrupt):
            raise Interrupted(_interrupted(path, number, len(paths))) from None
        for problem in report.skipped:
            typer.echo(f"skipped {problem}", err=True)
        unlisted = report.skipped_count - len(report.skipped)
        if unlisted:
            typer.echo(f"skipped ... and {unlisted} more", err=True)
        if report.already_imported:
            renamed = report.imported_as not in (None, path.name)
            same = f"same content as {report.imported_as}, " if renamed else ""
            typer.echo(f"{path}: {same}already imported as {report.source}; nothing changed")
            continue
        rate = report.rows / report.seconds if report.seconds else 0
        typer.echo(
            f"{path}: {report.rows} rows ({report.inserted} inserted, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.skipped_count} skipped) in "
            f"{report.seconds:.1f} s, {rate:,.0f} rows/s; source {report.source}"
        )


def _interrupted(path: Path, number: int, count: int) -> str:
    """What Ctrl-C left behind: each file is its own transaction."""
    if count == 1:
        return "interrupted; nothing was written"
    before = f"; the {number - 1} file(s) before it were imported" if number > 1 else ""
    return f"interrupted; nothing of {path} was written{before}"


@contextmanager
def _progress_bar(description: str) -> Iterator[Callable[[int], None] | None]:
    """On a terminal, a transient bar on stderr: rows done and, once known, rows per second.

    Yields the callback the importer reports rows written to, or None when stderr is piped.
    """
    if not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import Progress, ProgressColumn, SpinnerColumn, Task, TextColumn
    from rich.text import Text

    class RowsColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            rate = "" if speed is None else f", {speed:,.0f} rows/s"
            return Text(f"{int(task.completed):,} rows{rate}")

    columns = (SpinnerColumn(), TextColumn("{task.description}"), RowsColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=None)
        yield lambda rows: bar.update(task, completed=rows)
