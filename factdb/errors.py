"""Exceptions that mean a user mistake or a refused operation, each named after its failure.

The CLI turns every ``FactdbError`` into one line on stderr and the class's ``exit_code``;
anything else is a bug and keeps its traceback (exit 70). The exit codes are documented in
docs/cli.md and README:

- 1: the input or the database state was refused (invalid file, not found, not migrated, ...)
- 2: a command-line option or argument has a value the command cannot use
- 3: the database is busy or a lock could not be had in time
- 4: the database user lacks a privilege the command needs
- 70: a bug in factdb (a traceback is printed)
- 130: interrupted (Ctrl-C); nothing was written
"""


class FactdbError(Exception):
    """Base class: a failure the user can act on, printed without a traceback."""

    exit_code = 1


class InvalidOption(FactdbError):
    """A command-line option or argument has a value the command cannot use."""

    exit_code = 2


class DatabaseUnreachable(FactdbError):
    """The database URL could not be opened or connected to."""


class DatabaseMissing(FactdbError):
    """A read found no database file where it looked; reads never create one."""


class UnsupportedDatabase(FactdbError):
    """The URL names a database factdb does not support (only SQLite and PostgreSQL)."""


class DatabaseBusy(FactdbError):
    """Another writer held the database lock for longer than the busy timeout."""

    exit_code = 3


class PermissionDenied(FactdbError):
    """The database user lacks a privilege the command needs (e.g. a reader running seed)."""

    exit_code = 4


class Interrupted(FactdbError):
    """The user pressed Ctrl-C; the transaction was rolled back."""

    exit_code = 130


class UnknownRevision(FactdbError):
    """A migration revision named on the command line does not exist."""


class MigrationLocked(FactdbError):
    """Another migrator holds the migration lock, or a table lock could not be had in time."""

    exit_code = 3


class SchemaDrift(FactdbError):
    """The database schema and the models disagree."""


class IntegrityProblems(FactdbError):
    """``db doctor`` found integrity or ownership problems."""


class FactFileError(FactdbError):
    """One or more fact files are invalid; ``problems`` lists each as file:line:column: message."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class VerificationFailed(FactdbError):
    """A stored quote or text no longer matches its source."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


class NotFound(FactdbError):
    """A named source or entity does not exist in the database."""


class NotMigrated(FactdbError):
    """The database is not at the newest migration."""


class InvalidName(FactdbError):
    """A role or database name that is not a plain identifier."""


class MissingExtra(FactdbError):
    """A command needs an optional extra (``factdb[web]``, ``factdb[charts]``) not installed."""


class OutputExists(FactdbError):
    """A file the command would write is already there and ``--force`` was not given."""


class UnknownFormat(InvalidOption):
    """A format the report cannot be rendered in."""


class ImportFailed(FactdbError):
    """A file had more bad rows than allowed; nothing of it was written."""

    def __init__(self, problems: list[str], more: int = 0, hint: str = "") -> None:
        self.problems = problems
        self.hint = hint
        lines = [*problems, *([f"... and {more} more"] if more else []), *([hint] if hint else [])]
        super().__init__("\n".join(lines))


class UnknownLayout(FactdbError):
    """The header is neither Comtrade's current nor its legacy layout."""


class UnreadableFile(FactdbError):
    """The file cannot be read as CSV text: corrupt gzip, wrong encoding, a line too long."""


class EmptySearch(FactdbError):
    """The search text has no word to look for."""


class QueryRefused(FactdbError):
    """The statement would do more than read, or broke a limit; nothing was changed."""


class QueryTimedOut(QueryRefused):
    """The statement ran past its time limit and was stopped; nothing was changed."""


class ResultTooLarge(QueryRefused):
    """The result, or one value in it, is larger than the byte limits allow."""


class UnknownTable(NotFound):
    """No table or view has that name; the message suggests the closest names."""


class EntityNotFound(NotFound):
    """No entity has that slug, name, alias or identifier; the message suggests close names."""


class DowngradeRefused(FactdbError):
    """A migration down would have to drop or change facts the older schema cannot hold."""
