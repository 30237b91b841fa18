"""``factdb db``: migrations, schema checks and health checks."""

from __future__ import annotations

from typing import Annotated

import typer

from factdb.cli._common import DbOption, engine_for, fail, new_app

app = new_app("Create, migrate and check the database schema.")

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
    """Migrate the database up to REVISION (default: the newest)."""
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
) -> None:
    """Migrate the database down to REVISION."""
    from factdb import migrate

    engine = engine_for(db)
    settings = migrate.MigrationSettings(lock_timeout, lock_wait, as_role)
    migrate.downgrade(engine, revision, settings)
    typer.echo(f"database at {', '.join(migrate.current_revisions(engine)) or 'base'}")


@app.command()
def current(db: DbOption = None) -> None:
    """Print the revision the database is at."""
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
    """List the migrations, newest first."""
    from factdb import migrate

    for info in migrate.history():
        head = " (head)" if info.is_head else ""
        typer.echo(f"{info.down_revision or 'base'} -> {info.revision}{head}: {info.message}")


@app.command()
def check(db: DbOption = None) -> None:
    """Exit non-zero unless the database is at head and matches the models."""
    from factdb import migrate

    migrate.check(engine_for(db))
    typer.echo("database matches the models")


@app.command()
def doctor(db: DbOption = None) -> None:
    """Check integrity (SQLite) or ownership and grants (PostgreSQL); non-zero on any finding."""
    from factdb.doctor import diagnose

    findings = diagnose(engine_for(db))
    for finding in findings:
        typer.echo(f"{finding.check}: {finding.message}", err=True)
    if findings:
        raise fail(f"{len(findings)} problem(s) found")
    typer.echo("no problems found")


@app.command()
def roles(
    db: DbOption = None,
    print_sql: Annotated[
        bool, typer.Option("--print-sql", help="Print the SQL for a DBA instead of running it.")
    ] = False,
    prefix: Annotated[str, typer.Option(help="Role names are PREFIX_owner/_writer/_reader.")] = (
        "factdb"
    ),
    statement_timeout: Annotated[
        int, typer.Option(metavar="MS", help="Reader's statement_timeout.")
    ] = 30_000,
    idle_timeout: Annotated[
        int, typer.Option(metavar="MS", help="Reader's idle_in_transaction_session_timeout.")
    ] = 60_000,
) -> None:
    """PostgreSQL: create the owner, writer and reader roles with their privileges."""
    from factdb.roles import ReaderLimits, RoleNames, create_roles, roles_sql

    engine = engine_for(db)
    if engine.dialect.name != "postgresql":
        raise fail("roles exist only on PostgreSQL; SQLite has no users")
    names = RoleNames.with_prefix(prefix)
    limits = ReaderLimits(statement_timeout, idle_timeout)
    if print_sql:
        for statement in roles_sql(engine.url.database or "postgres", names, limits):
            typer.echo(statement + ";")
        return
    create_roles(engine, names, limits)
    typer.echo(f"roles ready: {names.owner}, {names.writer}, {names.reader}")
