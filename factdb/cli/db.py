"""``factdb db``: migrations, schema checks and health checks."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from factdb.cli._common import DbOption, DefaultCommandGroup, engine_for, fail, new_app

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from factdb.roles import Kind

app = new_app(
    "Create, migrate and check the database schema.",
    examples=["factdb db upgrade && factdb db check"],
)

LockTimeout = Annotated[
    int,
    typer.Option(
        "--lock-timeout",
        metavar="MS",
        help="PostgreSQL: give up on a table lock after this many milliseconds.",
    ),
]
AsRole = Annotated[
    str | None,
    typer.Option(
        "--as-role",
        metavar="ROLE",
        help="PostgreSQL: run the migration as this role (the owner role), so it owns the tables.",
    ),
]
LockWait = Annotated[
    float,
    typer.Option(
        "--lock-wait",
        metavar="SECONDS",
        help="PostgreSQL: how long to wait for another migration to finish.",
    ),
]


@app.command()
def upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
    db: DbOption = None,
    lock_timeout: LockTimeout = 5_000,
    lock_wait: LockWait = 60.0,
    as_role: AsRole = None,
) -> None:
    """Migrate the database up to REVISION (default: the newest).

    \b
    Examples:
      factdb db upgrade
      factdb db upgrade --db postgresql://deploy@db.example.org/factdb
    """
    from factdb import migrate

    engine = engine_for(db)
    settings = migrate.MigrationSettings(lock_timeout, lock_wait, as_role)
    migrate.upgrade(engine, revision, settings)
    typer.echo(f"database at {', '.join(migrate.current_revisions(engine)) or 'base'}")


@app.command()
def downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision; 'base' removes all tables.")],
    db: DbOption = None,
    lock_timeout: LockTimeout = 5_000,
    lock_wait: LockWait = 60.0,
    as_role: AsRole = None,
    yes: Annotated[
        bool,
        typer.Option(
            "--yes",
            help="Do not ask before dropping tables that hold rows (or, on PostgreSQL, "
            "before going down to base). Required when not on a terminal.",
        ),
    ] = False,
) -> None:
    """Migrate the database down to REVISION.

    \b
    Example:
      factdb db downgrade 0003 --yes
    """
    from factdb import migrate
    from factdb.errors import InvalidOption

    engine = engine_for(db)
    settings = migrate.MigrationSettings(lock_timeout, lock_wait, as_role)
    migrate.check_migrator(engine, settings)
    what = migrate.downgrade_loss(engine, revision)
    if what and not yes:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise InvalidOption(f"{what}; nothing was changed. Run it again with --yes to confirm")
        if not typer.confirm(f"{what}. Continue?", default=False):
            raise fail("downgrade cancelled; nothing was changed")
    migrate.downgrade(engine, revision, settings)
    typer.echo(f"database at {', '.join(migrate.current_revisions(engine)) or 'base'}")


@app.command()
def current(db: DbOption = None) -> None:
    """Print the revision the database is at.

    \b
    Example:
      factdb db current --db team.sqlite3
    """
    from factdb import migrate

    engine = engine_for(db)
    revisions = migrate.current_revisions(engine)
    heads = set(migrate.head_revisions())
    if not revisions:
        typer.echo("base (not migrated; run `factdb db upgrade`)")
    for rev in revisions:
        typer.echo(f"{rev}{' (head)' if rev in heads else ' (behind head)'}")


@app.command()
def history() -> None:
    """List the migrations, newest first.

    \b
    Example:
      factdb db history
    """
    from factdb import migrate

    for info in migrate.history():
        head = " (head)" if info.is_head else ""
        typer.echo(f"{info.down_revision or 'base'} -> {info.revision}{head}: {info.message}")


@app.command()
def check(db: DbOption = None) -> None:
    """Exit non-zero unless the database is at head and matches the models.

    \b
    Example:
      factdb db check --db team.sqlite3
    """
    from factdb import migrate

    migrate.check(engine_for(db))
    typer.echo("database matches the models")


Prefix = Annotated[
    str, typer.Option(help="Group names are PREFIX_owner, PREFIX_writer and PREFIX_reader.")
]


@app.command()
def doctor(db: DbOption = None, prefix: Prefix = "factdb") -> None:
    """Check integrity (SQLite) or ownership, grants, users and the lock (PostgreSQL).

    \b
    Example:
      factdb db doctor
    """
    from factdb.doctor import diagnose
    from factdb.roles import RoleNames

    findings = diagnose(engine_for(db), RoleNames.with_prefix(prefix))
    for finding in findings:
        typer.echo(f"{finding.check}: {finding.message}", err=True)
    if findings:
        raise fail(f"{len(findings)} problem(s) found")
    typer.echo("no problems found")


class _RolesGroup(DefaultCommandGroup):
    default_command = "setup"


roles_app = new_app(
    "PostgreSQL: set up the owner, writer and reader groups (default), or add a user.",
    examples=["factdb db roles --db postgresql://postgres@db.example.org/factdb"],
    cls=_RolesGroup,
)
app.add_typer(roles_app, name="roles")


def _postgresql(db: str | None) -> Engine:
    engine = engine_for(db)
    if engine.dialect.name != "postgresql":
        raise fail("roles exist only on PostgreSQL; SQLite has no users")
    return engine


PrintSql = Annotated[
    bool, typer.Option("--print-sql", help="Print the SQL for a DBA instead of running it.")
]


@roles_app.command("setup")
def roles_setup(
    db: DbOption = None, print_sql: PrintSql = False, prefix: Prefix = "factdb"
) -> None:
    """Create (or convert old shared logins into) the NOLOGIN groups and their privileges.

    \b
    Example:
      factdb db roles --db postgresql://postgres@db.example.org/factdb --print-sql
    """
    from factdb.roles import RoleNames, create_roles, roles_sql

    engine = _postgresql(db)
    names = RoleNames.with_prefix(prefix)
    if print_sql:
        for statement in roles_sql(engine.url.database or "postgres", names):
            typer.echo(statement + ";")
        return
    create_roles(engine, names)
    typer.echo(f"groups ready: {names.owner}, {names.writer}, {names.reader}")


@roles_app.command("add-user")
def roles_add_user(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The user's login name (one per person or tool).")
    ],
    reader: Annotated[bool, typer.Option("--reader", help="Read only (analysts, tools).")] = False,
    writer: Annotated[bool, typer.Option("--writer", help="Load data (loaders).")] = False,
    owner: Annotated[bool, typer.Option("--owner", help="Run migrations.")] = False,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from the first line of stdin. Default: a new user gets a "
            "generated one, printed once; an existing user keeps theirs.",
        ),
    ] = False,
    db: DbOption = None,
    print_sql: PrintSql = False,
    prefix: Prefix = "factdb",
    statement_timeout: Annotated[
        int, typer.Option(metavar="MS", help="Reader's statement_timeout.")
    ] = 30_000,
    idle_timeout: Annotated[
        int,
        typer.Option(
            metavar="MS", help="Reader's and writer's idle_in_transaction_session_timeout."
        ),
    ] = 60_000,
) -> None:
    """Create or update a LOGIN user, a member of one group, with its session limits.

    \b
    Example:
      factdb db roles add-user alice --reader --db postgresql://postgres@db.example.org/factdb
    """
    from factdb.errors import InvalidOption
    from factdb.roles import (
        ReaderLimits,
        RoleNames,
        add_user,
        add_user_sql,
        generate_password,
        user_exists,
    )

    flags: dict[Kind, bool] = {"reader": reader, "writer": writer, "owner": owner}
    chosen = [kind for kind, on in flags.items() if on]
    if len(chosen) != 1:
        raise InvalidOption("give exactly one of --reader, --writer or --owner")
    kind = chosen[0]
    engine = _postgresql(db)
    names = RoleNames.with_prefix(prefix)
    limits = ReaderLimits(statement_timeout, idle_timeout)
    if print_sql:
        database = engine.url.database or "postgres"
        for statement in add_user_sql(database, name, kind, names, limits):
            typer.echo(statement + ";")
        return
    password: str | None = None
    generated = False
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise InvalidOption("--password-stdin: stdin held no password")
    elif not user_exists(engine, name):
        password, generated = generate_password(), True
    add_user(engine, name, kind, names, limits, password)
    typer.echo(f"user {name} ready: a member of {names.group(kind)}")
    if generated:
        typer.echo(f"password (shown once): {password}")
