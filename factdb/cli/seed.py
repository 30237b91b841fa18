"""``factdb seed``: load fact files, print their JSON Schema; ``factdb quickstart``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from factdb.cli._common import DbOption, DefaultCommandGroup, engine_for, new_app

if TYPE_CHECKING:
    from factdb.factfiles.loader import LoadReport

app = new_app(
    "Load fact files (default: the bundled seeds).",
    examples=["factdb seed my-articles/ --dry-run"],
    cls=DefaultCommandGroup,
)


@app.command("load")
def load_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(help="Fact files or directories of them. Default: the bundled seeds."),
    ] = None,
    db: DbOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Validate and report changes; write nothing.")
    ] = False,
) -> None:
    """Validate fact files, then load them all in one transaction.

    \b
    Examples:
      factdb seed
      factdb seed my-articles/ --dry-run
    """
    from factdb.factfiles.loader import load

    report = load(engine_for(db), paths or None, dry_run=dry_run)
    print_report(report)


def print_report(report: LoadReport) -> None:
    verb = "would change" if report.dry_run else "changed"
    typer.echo(f"{len(report.files)} fact file(s); {verb}:")
    typer.echo(f"  {'table':<20} {'inserted':>9} {'updated':>9} {'deleted':>9}")
    for table, counts in report.tables.items():
        typer.echo(f"  {table:<20} {counts.inserted:>9} {counts.updated:>9} {counts.deleted:>9}")
    total = report.total()
    typer.echo(f"  {'total':<20} {total.inserted:>9} {total.updated:>9} {total.deleted:>9}")
    taken = "would take over" if report.dry_run else "took over"
    for imported, declared in report.takeovers.items():
        typer.echo(f"{taken} imported entity {imported!r} as {declared!r}")


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the fact-file format, for editors.

    \b
    Example:
      factdb seed schema > factfile.schema.json
    """
    from factdb.factfiles.schema import json_schema

    typer.echo(json.dumps(json_schema(), indent=2, ensure_ascii=False))


def quickstart(db: DbOption = None) -> None:
    """Migrate the database, load the bundled seeds and summarise what is in it.

    \b
    Examples:
      factdb quickstart
      factdb quickstart --db /data/factdb.sqlite3
    """
    from factdb import migrate
    from factdb.factfiles.loader import load
    from factdb.summary import summarise

    engine = engine_for(db)
    migrate.upgrade(engine)
    report = load(engine)
    print_report(report)
    typer.echo("")
    for line in summarise(engine):
        typer.echo(line)
