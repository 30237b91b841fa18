"""The ``factdb`` command line: a thin layer that parses options and calls the library.

No SQL and no heavy import lives here; each sub-app imports what it needs inside its commands.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

import typer

from factdb import __version__
from factdb.cli._common import DbOption, FactdbGroup, new_app
from factdb.config import DEBUG, GLOBAL_DB

#: every command and sub-app below ``factdb``, as (module under factdb.cli, attribute), in the
#: order ``--help`` lists them (commands before groups, as Typer lists them); a group's
#: attribute is its Typer app. Each is imported and built only when named, so a command pays
#: for its own module, not for every other one (docs/performance.md, "Start-up").
COMMANDS = {
    "quickstart": ("seed", "quickstart"),
    "verify": ("check", "verify"),
    "coverage": ("check", "coverage"),
    "sql": ("query", "sql"),
    "search": ("query", "search"),
    "tables": ("catalog", "tables"),
    "serve": ("serve", "serve"),
    "export": ("export", "export"),
    "snapshot": ("export", "snapshot"),
    "history": ("history", "history"),
    "changes": ("history", "changes"),
}
GROUPS = {"db": "db", "seed": "seed", "report": "report", "import": "imports"}


class _LazyRoot(FactdbGroup):
    """The root group: each command is built, as Typer builds it, the first time it is named;
    ``--help``, completion and "did you mean" see every one."""

    def list_commands(self, ctx: Any) -> list[str]:
        return [*COMMANDS, *GROUPS]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and (cmd_name in COMMANDS or cmd_name in GROUPS):
            command = _build(cmd_name)
            self._name_metavars(command)
            self.commands[cmd_name] = command
        return self.commands.get(cmd_name)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and args[0] not in COMMANDS and args[0] not in GROUPS:
            # an unknown name: "did you mean" compares it with every command's
            for name in self.list_commands(ctx):
                self.get_command(ctx, name)
            self.commands = {name: self.commands[name] for name in self.list_commands(ctx)}
        return super().resolve_command(ctx, args)


def _build(name: str) -> Any:
    """The click command of one command or sub-app, made as ``add_typer``/``command`` would."""
    import importlib

    import typer.main

    holder = typer.Typer()
    if name in GROUPS:
        module = importlib.import_module(f"factdb.cli.{GROUPS[name]}")
        holder.add_typer(module.app, name=name)
        return typer.main.get_group_from_info(
            holder.registered_groups[0],
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
            suggest_commands=app.suggest_commands,
        )
    module_name, attribute = COMMANDS[name]
    module = importlib.import_module(f"factdb.cli.{module_name}")
    holder.command(name)(getattr(module, attribute))
    return typer.main.get_command_from_info(
        holder.registered_commands[0],
        pretty_exceptions_short=app.pretty_exceptions_short,
        rich_markup_mode=app.rich_markup_mode,
    )


app = new_app(
    "factdb: a database of sourced facts about relations between countries.",
    examples=["factdb quickstart", "factdb report briefing bulgaria japan"],
    cls=_LazyRoot,
    add_completion=True,
)
app.info.no_args_is_help = True  # as every FactdbGroup


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
