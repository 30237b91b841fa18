"""Options shared by many commands, and the error boundary between library and user.

Only Typer and the standard library are imported here at module level: ``factdb --help``
must stay fast, so SQLAlchemy and the models are imported inside the commands that need them.
"""

from __future__ import annotations

import sys
import traceback
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from factdb.config import redact, resolve_url
from factdb.errors import FactdbError

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Database URL. Default: $FACTDB_URL, else sqlite:///factdb.sqlite3.",
        show_default=False,
    ),
]


def engine_for(db: str | None) -> Engine:
    """The engine for ``--db`` (or the environment / default)."""
    from factdb.db import make_engine

    return make_engine(resolve_url(db))


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one line (or a few) to stderr and return the Exit to raise."""
    typer.echo(redact(message), err=True)
    return typer.Exit(code)


class FactdbGroup(TyperGroup):
    """A command group that turns factdb's exceptions into a message on stderr and an exit code.

    User mistakes (``FactdbError``) get their message only; anything else is a bug and gets a
    traceback, with every URL password in it replaced by ``***``.
    """

    def invoke(self, ctx: Any) -> Any:  # click's Context, which typer does not export
        try:
            return super().invoke(ctx)
        except FactdbError as exc:
            typer.echo(f"Error: {redact(str(exc))}", err=True)
            raise typer.Exit(exc.exit_code) from None
        except (typer.Exit, typer.Abort, typer.TyperException, KeyboardInterrupt):
            raise
        except Exception:
            sys.stderr.write(redact(traceback.format_exc()))
            raise typer.Exit(2) from None


class DefaultCommandGroup(FactdbGroup):
    """A group that runs its ``default_command`` when the first argument is not a subcommand.

    Gives ``factdb seed [PATH ...]`` beside ``factdb seed schema``.
    """

    default_command = "load"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


def new_app(help_text: str, *, cls: type[TyperGroup] = FactdbGroup) -> typer.Typer:
    """A Typer sub-app with factdb's error handling and conventions."""
    return typer.Typer(
        cls=cls,
        help=help_text,
        no_args_is_help=cls is FactdbGroup,
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
    )
