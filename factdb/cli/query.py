"""``factdb sql`` (read-only SQL) and ``factdb search`` (full-text)."""

from __future__ import annotations

from typing import Annotated

import typer

from factdb.cli._common import DbOption, engine_for
from factdb.cli._output import (
    ColumnsOption,
    CsvRawOption,
    FormatOption,
    fetch_and_show,
    parse_columns,
    show,
)
from factdb.errors import InvalidOption


def _positive(option: str, value: int) -> int:
    if value < 1:
        raise InvalidOption(f"{option}: {value} is not a positive number of rows")
    return value


def sql(
    statement: Annotated[str, typer.Argument(help="One statement that only reads.")],
    db: DbOption = None,
    fmt: FormatOption = "table",
    max_rows: Annotated[
        int,
        typer.Option(
            help="Stop after this many rows (1 or more).",
            callback=lambda value: _positive("--max-rows", value),
        ),
    ] = 1000,
    timeout: Annotated[float, typer.Option(metavar="SECONDS", help="Time limit.")] = 10.0,
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
) -> None:
    """Run one read-only SQL statement; anything that would write is refused (exit 1).

    \b
    Example:
      factdb sql "SELECT reporter, year, flow, value FROM v_trade ORDER BY value DESC"
    """
    from factdb.render import check_columns
    from factdb.sql import run_query

    chosen = parse_columns(columns)
    result = run_query(engine_for(db), statement, max_rows=max_rows, timeout_s=timeout)
    check_columns(chosen, result.columns)
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    show(rows, fmt, None, csv_raw, chosen or result.columns)
    if result.truncated:
        typer.echo(f"(stopped at {max_rows} rows; raise --max-rows for more)", err=True)


def search(
    text: Annotated[
        str, typer.Argument(help="Words to look for; end a word with * to match its prefix.")
    ],
    db: DbOption = None,
    fmt: FormatOption = "table",
    limit: Annotated[
        int,
        typer.Option(
            help="At most this many hits (1 or more).",
            callback=lambda value: _positive("--limit", value),
        ),
    ] = 20,
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
) -> None:
    """Full-text search over names, aliases, event titles and quotes, best first.

    \b
    Example:
      factdb search "toy*"
    """
    from factdb.search import SearchHit
    from factdb.search import search as run

    fetch_and_show(lambda conn: run(conn, text, limit), SearchHit, db, fmt, columns, csv_raw)
