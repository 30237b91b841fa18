"""``factdb sql`` (read-only SQL) and ``factdb search`` (full-text)."""

from __future__ import annotations

from typing import Annotated

import typer

from factdb.cli._common import DbOption, engine_for
from factdb.cli.report import FormatOption, emit, is_terminal, reading


def sql(
    statement: Annotated[str, typer.Argument(help="One statement that only reads.")],
    db: DbOption = None,
    fmt: FormatOption = "table",
    max_rows: Annotated[int, typer.Option(help="Stop after this many rows.")] = 1000,
    timeout: Annotated[float, typer.Option(metavar="SECONDS", help="Time limit.")] = 10.0,
) -> None:
    """Run one read-only SQL statement; anything that would write is refused (exit 1)."""
    from factdb.render import render
    from factdb.sql import run_query

    result = run_query(engine_for(db), statement, max_rows=max_rows, timeout_s=timeout)
    rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
    emit(render(rows, fmt, terminal=is_terminal(), columns=result.columns))
    if result.truncated:
        typer.echo(f"(stopped at {max_rows} rows; raise --max-rows for more)", err=True)


def search(
    text: Annotated[str, typer.Argument(help="Words to look for.")],
    db: DbOption = None,
    fmt: FormatOption = "table",
    limit: Annotated[int, typer.Option(help="At most this many hits.")] = 20,
) -> None:
    """Full-text search over names, aliases, event titles and quotes, best first."""
    from factdb.render import render
    from factdb.search import search as run

    with reading(db) as conn:
        hits = run(conn, text, limit)
    emit(render(hits, fmt, terminal=is_terminal()))
