"""Exceptions that mean a user mistake or a refused operation, each named after its failure.

The CLI turns every ``FactdbError`` into one line on stderr and exit code 1; anything else is a bug
and keeps its traceback.
"""


class FactdbError(Exception):
    """Base class: a failure the user can act on, printed without a traceback."""

    exit_code = 1


class DatabaseUnreachable(FactdbError):
    """The database URL could not be opened or connected to."""


class DatabaseBusy(FactdbError):
    """Another writer held the database lock for longer than the busy timeout."""

    exit_code = 3


class UnknownRevision(FactdbError):
    """A migration revision named on the command line does not exist."""


class MigrationLocked(FactdbError):
    """Another migrator holds the migration lock, or a table lock could not be had in time."""


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
