"""``factdb tables [NAME]``: the tables and views to query, or one of them with its columns."""

from __future__ import annotations

from typing import Annotated

import typer

from factdb.cli._common import DbOption
from factdb.cli._output import (
    ColumnsOption,
    CsvRawOption,
    FormatOption,
    emit,
    is_terminal,
    parse_columns,
    reading,
    show,
    terminal_width,
)


def tables(
    name: Annotated[
        str | None, typer.Argument(help="A table or view: show its columns and types.")
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
) -> None:
    """The tables and views (what one row is, their columns), or one of them in detail.

    \b
    Examples:
      factdb tables
      factdb tables v_trade
    """
    from factdb.catalog import ColumnEntry, TableEntry, describe
    from factdb.catalog import tables as listing
    from factdb.render import check_columns, fields_of, render

    check_columns(parse_columns(columns), fields_of(ColumnEntry if name else TableEntry))
    with reading(db) as conn:
        if name is None:
            entries = listing(conn)
        else:
            entry, detail = describe(conn, name)
    if name is None:
        show(entries, fmt, columns, csv_raw)
        return
    if fmt in ("table", "markdown"):
        emit(f"{entry.name} ({entry.kind}): one row is {entry.one_row_is}\n")
    emit(
        render(
            detail,
            fmt,
            terminal=is_terminal(),
            columns=parse_columns(columns),
            width=terminal_width(),
            csv_raw=csv_raw,
        )
    )
