"""The ``factdb`` command line: a thin layer that parses options and calls the library.

No SQL and no heavy import lives here; each sub-app imports what it needs inside its commands.
"""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from factdb import __version__
from factdb.cli import catalog, check, db, imports, query, report, seed, serve
from factdb.cli import export as export_cli
from factdb.cli import history as history_cli
from factdb.cli._common import DbOption, new_app
from factdb.config import DEBUG, GLOBAL_DB

app = new_app(
    "factdb: a database of sourced facts about relations between countries.",
    examples=["factdb quickstart", "factdb report briefing bulgaria japan"],
    add_completion=True,
)
app.add_typer(db.app, name="db")
app.add_typer(seed.app, name="seed")
app.add_typer(report.app, name="report")
app.add_typer(imports.app, name="import")
app.command("quickstart")(seed.quickstart)
app.command("verify")(check.verify)
app.command("coverage")(check.coverage)
app.command("sql")(query.sql)
app.command("search")(query.search)
app.command("tables")(catalog.tables)
app.command("serve")(serve.serve)
app.command("export")(export_cli.export)
app.command("snapshot")(export_cli.snapshot)
app.command("history")(history_cli.history)
app.command("changes")(history_cli.changes)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"factdb {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    db: DbOption = None,
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Print a traceback with every error (also $FACTDB_DEBUG=1)."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """factdb: a database of sourced facts about relations between countries."""
    GLOBAL_DB.set(db)
    DEBUG.set(debug)


def main() -> None:
    # SQLAlchemy logs a connection reset that Ctrl-C interrupts as a traceback of its own; the
    # error boundary says what happened in one line.
    logging.getLogger("sqlalchemy").addHandler(logging.NullHandler())
    app(prog_name="factdb")
