"""``factdb history SLUG`` (a fact's versions) and ``factdb changes`` (what each changeset did).

Thin: parses options and hands rows from ``factdb.history`` to the renderer; no SQL here.
"""

from __future__ import annotations

from typing import Annotated

import typer

from factdb.cli._common import DbOption
from factdb.cli._output import ColumnsOption, CsvRawOption, FormatOption, fetch_and_show

HISTORY_COLUMNS = [
    "table",
    "row_id",
    "state",
    "made_by",
    "made_at",
    "made_by_command",
    "made_by_user",
    "ended_by",
    "values",
]
CHANGES_COLUMNS = ["id", "at", "db_user", "command", "counts", "versions"]


def history(
    slug: Annotated[
        str,
        typer.Argument(
            help="The slug of a fact (entity, event, role, relation, trade row) or of a source."
        ),
    ],
    db: DbOption = None,
    fmt: FormatOption = "table",
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
) -> None:
    """Every version of a fact: the current one, then the kept ones newest first, each with
    the changeset that made it (when, who, which command, from which files) and the one that
    replaced or deleted it. An unknown slug is an error (exit 1).

    \b
    Example:
      factdb history bulgaria-japan-strategic-partnership --format json
    """
    from factdb.history import Version
    from factdb.history import history as versions

    fetch_and_show(
        lambda conn: versions(conn, slug), Version, db, fmt, columns, csv_raw, HISTORY_COLUMNS
    )


def changes(
    since: Annotated[
        str | None,
        typer.Option(
            metavar="N|DATE",
            help="Only changesets after changeset N, or from DATE (ISO, UTC) on.",
            show_default=False,
        ),
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
) -> None:
    """The changesets (every write: when, which database user, which command, its files with
    their sha256, counts per table) and the previous versions each kept, in the order to apply
    them. A downstream system follows the database with --since the last id it saw.

    \b
    Examples:
      factdb changes --since 2026-11-28
      factdb changes --since 41 --format jsonl
    """
    from factdb.history import Change, parse_since
    from factdb.history import changes as listing

    after = parse_since(since)
    fetch_and_show(
        lambda conn: listing(conn, after), Change, db, fmt, columns, csv_raw, CHANGES_COLUMNS
    )
