"""Options shared by many commands, and the error boundary between library and user.

Only Typer and the standard library are imported here at module level: ``factdb --help``
must stay fast, so SQLAlchemy and the models are imported inside the commands that need them.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer._click.exceptions import ClickException, UsageError
from typer.core import TyperGroup

from factdb.cli._coerce import install_in as install_coercion
from factdb.config import debug_enabled, redact, resolve_url
from factdb.errors import FactdbError, Interrupted, PermissionDenied

#: Exit code of a bug: an exception factdb did not expect (EX_SOFTWARE).
BUG_EXIT_CODE = 70

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="SQLite file path or database URL. Default: $FACTDB_URL, else factdb.sqlite3.",
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


def _privilege_refusal(exc: BaseException) -> PermissionDenied | None:
    """A driver's "permission denied" that no library layer translated, as a user error."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) == "42501" or "readonly database" in str(orig):
        first_line = (redact(str(orig)).strip().splitlines() or [""])[0]
        return PermissionDenied(
            f"permission denied: {first_line}; connect as a user with that privilege "
            "(see `factdb db roles`); nothing was written"
        )
    return None


def _cancelled_by_user(exc: BaseException) -> bool:
    """PostgreSQL cancelled the statement because the user pressed Ctrl-C (the driver sent the
    cancel request; the interrupt then arrives as the server's error, not KeyboardInterrupt)."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) == "57014" and "user request" in str(orig)


def report_error(exc: BaseException) -> int:
    """Print ``exc`` as the user should see it and return the exit code.

    User mistakes (``FactdbError``) and usage errors are one line; anything else is a bug and
    gets a traceback. Every password in either is replaced by ``***``. ``--debug`` or
    ``FACTDB_DEBUG=1`` adds the traceback to user errors too.
    """
    if isinstance(exc, KeyboardInterrupt) or _cancelled_by_user(exc):
        exc = Interrupted("interrupted; nothing was written")
    if isinstance(exc, UsageError):
        hint = f" (see '{exc.ctx.command_path} --help')" if exc.ctx is not None else ""
        sys.stderr.write(redact(f"Error: {exc.format_message()}{hint}") + "\n")
        return exc.exit_code
    if isinstance(exc, ClickException):
        sys.stderr.write(redact(f"Error: {exc.format_message()}") + "\n")
        return exc.exit_code
    if isinstance(exc, PermissionError):
        exc = PermissionDenied(f"permission denied: {exc.filename or exc}")
    refusal = None if isinstance(exc, FactdbError) else _privilege_refusal(exc)
    if refusal is not None:
        exc = refusal
    if isinstance(exc, FactdbError):
        if debug_enabled():
            sys.stderr.write(redact("".join(traceback.format_exception(exc))))
        sys.stderr.write(f"Error: {redact(str(exc))}\n")
        return exc.exit_code
    sys.stderr.write(redact("".join(traceback.format_exception(exc))))
    sys.stderr.write("This is a bug in factdb; please report it with the traceback above.\n")
    return BUG_EXIT_CODE


def _no_type(ctx: Any = None) -> None:
    """No type tag after an argument's name in ``--help``."""


class FactdbGroup(TyperGroup):
    """A command group that turns every failure into a message on stderr and an exit code.

    Errors are printed by ``report_error``: one line for a user mistake, a traceback for a bug.
    """

    def invoke(self, ctx: Any) -> Any:  # click's Context, which typer does not export
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort):
            raise
        except UsageError:
            raise  # main() prints it with the command's help hint
        except (Exception, KeyboardInterrupt) as exc:
            raise typer.Exit(report_error(exc)) from None

    def _name_metavars(self, command: Any) -> None:
        """Give every argument and valued option a metavar that reads as a word (FILE, YEAR)
        where the command did not choose one; Typer would show ``<str>`` or ``{name}``.

        Each parameter also gets a coercion that needs no Pydantic (``factdb.cli._coerce``).
        """
        install_coercion(command)
        for param in getattr(command, "params", []):
            if param.param_type_name == "argument":
                # Typer lists an argument as "FILES <list[Path]>"; its name is the word.
                param.display_type_rich = _no_type
            if param.metavar is not None or getattr(param, "is_flag", False):
                continue
            if getattr(param, "count", False):
                continue
            param.metavar = (param.name or "value").upper()
        for sub in (getattr(command, "commands", None) or {}).values():
            self._name_metavars(sub)

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        """Run the command; usage errors and interrupts are one line, as every other error."""
        self._name_metavars(self)
        try:
            result = super().main(
                args,
                prog_name,
                complete_var,
                standalone_mode=False,
                windows_expand_args=windows_expand_args,
                **extra,
            )
        except typer.Exit as done:
            code = done.exit_code
        except typer.Abort:
            code = report_error(KeyboardInterrupt())
        except (Exception, KeyboardInterrupt) as exc:
            code = report_error(exc)
        else:
            code = result if isinstance(result, int) else 0
        if standalone_mode:
            sys.exit(code)
        return code


class DefaultCommandGroup(FactdbGroup):
    """A group that runs its ``default_command`` when the first argument is not a subcommand.

    Gives ``factdb seed [PATH ...]`` beside ``factdb seed schema``.
    """

    default_command = "load"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)

    def format_options(self, ctx: Any, formatter: Any) -> None:
        """``--help`` of the group shows the default command's arguments and options too, since
        ``factdb seed PATH --dry-run`` is how the group is used."""
        default = self.commands[self.default_command]
        records = [
            record
            for param in default.get_params(ctx)
            if param.name != "help" and (record := param.get_help_record(ctx)) is not None
        ]
        if records:
            with formatter.section(f"Arguments and options of {ctx.command_path} [PATHS]..."):
                formatter.write_dl(records)
        super().format_options(ctx, formatter)


def with_examples(help_text: str, examples: Sequence[str]) -> str:
    """Help text ending in an ``Example:`` block, kept line by line (click's ``\\b``)."""
    if not examples:
        return help_text
    label = "Examples" if len(examples) > 1 else "Example"
    return help_text + f"\n\n\b\n{label}:\n" + "".join(f"  {e}\n" for e in examples)


def new_app(
    help_text: str,
    *,
    examples: Sequence[str] = (),
    cls: type[TyperGroup] = FactdbGroup,
    add_completion: bool = False,
) -> typer.Typer:
    """A Typer sub-app with factdb's error handling and conventions."""
    return typer.Typer(
        cls=cls,
        help=with_examples(help_text, examples),
        no_args_is_help=cls is FactdbGroup,
        add_completion=add_completion,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )
