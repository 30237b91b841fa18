"""Options and output shared by the commands that print rows: ``--format``, ``--columns``,
``--csv-raw``, a read-only connection, and handing rows to the renderer.

The shaping itself lives in ``factdb.render``; this module must not format anything, nor
import SQLAlchemy or the renderer at import time (``--help`` stays fast).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from factdb.cli._common import engine_for

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

FORMAT_HELP = "table (rich on a terminal, plain when piped), json, jsonl, csv or markdown."


def check_format_option(value: str) -> str:
    from factdb.render import check_format

    return check_format(value)


FormatOption = Annotated[
    str, typer.Option("--format", "-f", help=FORMAT_HELP, callback=check_format_option)
]
ColumnsOption = Annotated[
    str | None,
    typer.Option(
        "--columns",
        metavar="A,B,C",
        help="Only these columns, in this order (table, csv, markdown).",
        show_default=False,
    ),
]
CsvRawOption = Annotated[
    bool,
    typer.Option(
        "--csv-raw",
        help="CSV cells exactly as stored: no leading ' before =, +, -, @ "
        "(spreadsheets run such cells as formulas).",
    ),
]


def is_terminal() -> bool:
    return sys.stdout.isatty()


def terminal_width() -> int:
    """The terminal's width in columns ($COLUMNS wins), for rich tables."""
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


@contextmanager
def reading(db: str | None) -> Iterator[Connection]:
    """A read-only connection on a migrated database."""
    from factdb.db import connect
    from factdb.schema_version import require_head

    with connect(engine_for(db), read_only=True) as conn:
        require_head(conn)
        yield conn


def emit(text: str) -> None:
    typer.echo(text, nl=False)


def show(
    rows: list[Any],
    fmt: str,
    columns: str | None,
    csv_raw: bool,
    default: list[str] | None = None,
    priority: tuple[str, ...] = (),
) -> None:
    """Render rows as asked: ``--columns`` when given, else the report's default columns.

    ``priority`` names the columns a narrow terminal keeps first.
    """
    from factdb.render import render

    chosen = parse_columns(columns)
    emit(
        render(
            rows,
            fmt,
            terminal=is_terminal(),
            columns=chosen or default,
            width=terminal_width(),
            csv_raw=csv_raw,
            priority=priority,
            chosen=chosen is not None,
        )
    )


def show_document(
    header: dict[str, Any],
    sections: dict[str, Any],
    fmt: str,
    section: str | None,
    chosen: list[str] | None,
    csv_raw: bool,
) -> None:
    """Render a report made of sections (briefing, entity) as asked."""
    from factdb.render import render_document

    emit(
        render_document(
            header,
            sections,
            fmt,
            terminal=is_terminal(),
            section=section,
            columns=chosen,
            width=terminal_width(),
            csv_raw=csv_raw,
        )
    )


def parse_columns(columns: str | None) -> list[str] | None:
    from factdb.render import parse_columns as parse

    return parse(columns)


def fetch_and_show(
    fetch: Callable[[Connection], list[Any]],
    row_type: type,
    db: str | None,
    fmt: str,
    columns: str | None,
    csv_raw: bool,
    default: list[str] | None = None,
    priority: tuple[str, ...] = (),
) -> None:
    """Check ``--columns`` against the row's fields, then query and render."""
    from factdb.render import check_columns, fields_of

    check_columns(parse_columns(columns), fields_of(row_type))
    with reading(db) as conn:
        rows = fetch(conn)
    show(rows, fmt, columns, csv_raw, default, priority)
