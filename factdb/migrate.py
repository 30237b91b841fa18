"""Running Alembic from factdb: locating the history, locking, and checking for drift.

The CLI, the tests and pytest-alembic all go through ``migrations/env.py``; this module holds the
pieces it shares with them. It knows nothing of the CLI.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy.engine import Connection, Engine

from factdb import schema_version
from factdb.db import connect
from factdb.errors import (
    DowngradeRefused,
    MigrationLocked,
    PermissionDenied,
    SchemaDrift,
    UnknownRevision,
)
from factdb.roles import VERSION_TABLE, quote_identifier

#: pg_advisory_lock key shared by every factdb migrator ("factdb" in ASCII).
ADVISORY_LOCK_KEY = 0x666163746462
DEFAULT_LOCK_TIMEOUT_MS = 5_000
DEFAULT_LOCK_WAIT_S = 60.0


def migrations_dir() -> Path:
    """The migration history: shipped inside the wheel, or ``migrations/`` in a checkout."""
    here = Path(__file__).resolve().parent
    packaged = here / "_migrations"
    return packaged if packaged.is_dir() else here.parent / "migrations"


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave out what migrations create outside the models: full-text search tables (SQLite) and
    expression indexes (PostgreSQL), which autogenerate cannot compare; and the foreign keys that
    PostgreSQL enforces with triggers, which ``schema_drift.reference_drift`` checks instead."""
    if type_ == "foreign_key_constraint" and not reflected and compare_to is None:
        from factdb.schema_drift import TRIGGER_ENFORCED_FOREIGN_KEYS

        return name not in TRIGGER_ENFORCED_FOREIGN_KEYS
    if not reflected or compare_to is not None or not name:
        return True
    if type_ == "table":
        return not name.startswith(("fts_", "sqlite_"))
    if type_ == "index":
        return not name.endswith("_fts")
    return True


@dataclass
class MigrationSettings:
    """How long a migrator waits for the migration lock and for each table lock."""

    lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS
    lock_wait_s: float = DEFAULT_LOCK_WAIT_S
    #: PostgreSQL: run the DDL as this role (the owner role), so it owns what it creates
    role: str | None = None


def alembic_config(
    connection: Connection | None = None,
    *,
    settings: MigrationSettings | None = None,
    stdout: TextIO | None = None,
) -> Config:
    """An Alembic config for factdb's history, reusing ``connection`` when one is given."""
    config = Config(stdout=stdout or io.StringIO())
    config.set_main_option("script_location", str(migrations_dir()))
    config.attributes["connection"] = connection
    config.attributes["settings"] = settings or MigrationSettings()
    return config


def _run(engine: Engine, fn: Any, *args: Any, settings: MigrationSettings | None = None) -> str:
    out = io.StringIO()
    with connect(engine) as conn:
        config = alembic_config(conn, settings=settings, stdout=out)
        try:
            fn(config, *args)
        except CommandError as exc:
            raise UnknownRevision(str(exc)) from None
        except RuntimeError as exc:
            # a revision's downgrade that would lose facts says so with this opening (revisions
            # import nothing of factdb, so they cannot raise its errors)
            if str(exc).startswith("cannot downgrade"):
                raise DowngradeRefused(str(exc)) from None
            raise
        if conn.in_transaction():
            conn.commit()
    return out.getvalue()


def upgrade(
    engine: Engine, revision: str = "head", settings: MigrationSettings | None = None
) -> None:
    """Migrate up to ``revision``; on PostgreSQL under the advisory lock."""
    _run(engine, command.upgrade, revision, settings=settings)


def downgrade(engine: Engine, revision: str, settings: MigrationSettings | None = None) -> None:
    """Migrate down to ``revision`` (``base`` removes every table)."""
    _run(engine, command.downgrade, revision, settings=settings)


def current_revisions(engine: Engine) -> list[str]:
    """The revisions the database is at; empty for a database never migrated."""
    from alembic.runtime.migration import MigrationContext

    with connect(engine, read_only=True) as conn:
        return list(MigrationContext.configure(conn).get_current_heads())


def require_head(conn: Connection) -> None:
    """Raise ``NotMigrated`` unless the database is at the newest revision (see
    ``factdb.schema_version``, which read paths import to stay free of Alembic)."""
    schema_version.require_head(conn)


def head_revisions() -> list[str]:
    return list(ScriptDirectory.from_config(alembic_config()).get_heads())


@dataclass(frozen=True)
class RevisionInfo:
    revision: str
    down_revision: str | None
    message: str
    is_head: bool


def history() -> list[RevisionInfo]:
    """The migration history, newest first."""
    script = ScriptDirectory.from_config(alembic_config())
    heads = set(script.get_heads())
    rows = []
    for rev in script.walk_revisions():
        down = rev.down_revision
        rows.append(
            RevisionInfo(
                revision=rev.revision,
                down_revision=down if isinstance(down, str) or down is None else ",".join(down),
                message=(rev.doc or "").strip(),
                is_head=rev.revision in heads,
            )
        )
    return rows


def schema_differences(engine: Engine) -> list[str]:
    """What autogenerate would change, and every CHECK condition that differs (which Alembic
    compares by name only): empty when the models and the database agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from factdb.models import metadata
    from factdb.schema_drift import check_constraint_drift, reference_drift

    with connect(engine, read_only=True) as conn:
        heads = set(head_revisions())
        current = set(MigrationContext.configure(conn).get_current_heads())
        if current != heads:
            return [f"database is at {sorted(current) or 'no revision'}, head is {sorted(heads)}"]
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "render_as_batch": True, "include_object": include_object},
        )
        diffs = [repr(diff) for diff in compare_metadata(context, metadata)]
        return diffs + check_constraint_drift(conn) + reference_drift(conn)


def check(engine: Engine) -> None:
    """Raise ``SchemaDrift`` listing every difference between models and database."""
    diffs = schema_differences(engine)
    if diffs:
        raise SchemaDrift("models and database disagree:\n  " + "\n  ".join(diffs))


@contextmanager
def migration_lock(conn: Connection, settings: MigrationSettings) -> Iterator[None]:
    """On PostgreSQL: become ``settings.role``, check it may migrate, then hold the session
    advisory lock, with a ``lock_timeout`` for every DDL.

    Polls ``pg_try_advisory_lock`` so a second migrator gives up with a clear message (naming
    the session that holds the lock) after ``lock_wait_s`` instead of waiting forever. SQLite
    needs nothing: ``BEGIN IMMEDIATE`` is the lock there.
    """
    if conn.dialect.name != "postgresql":
        yield
        return
    locked = False
    try:
        if settings.role:
            _set_role(conn, settings.role)
        require_migrator(conn)
        conn.commit()
        deadline = time.monotonic() + settings.lock_wait_s
        try_lock = sa.text("SELECT pg_try_advisory_lock(:key)").bindparams(key=ADVISORY_LOCK_KEY)
        while not conn.execute(try_lock).scalar():
            conn.rollback()
            if time.monotonic() >= deadline:
                holder = lock_holder(conn)
                raise MigrationLocked(
                    f"another migration is running (waited {settings.lock_wait_s:g} s for the "
                    f"migration lock{'; held by ' + holder if holder else ''}); try again when "
                    "it has finished"
                )
            time.sleep(0.2)
        locked = True
        conn.commit()
        conn.exec_driver_sql(f"SET lock_timeout = {int(settings.lock_timeout_ms)}")
        conn.commit()
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        conn.exec_driver_sql("RESET ROLE")
        conn.exec_driver_sql("RESET lock_timeout")
        if locked:
            conn.execute(
                sa.text("SELECT pg_advisory_unlock(:key)").bindparams(key=ADVISORY_LOCK_KEY)
            )
        conn.commit()


def _set_role(conn: Connection, role: str) -> None:
    try:
        conn.exec_driver_sql(f"SET ROLE {quote_identifier(role)}")
    except sa.exc.DBAPIError as exc:
        conn.rollback()
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise PermissionDenied(f"cannot migrate as {role}: {first}; nothing was changed") from None


def check_migrator(engine: Engine, settings: MigrationSettings | None = None) -> None:
    """Raise ``PermissionDenied`` unless a migration run with ``settings`` may change the schema,
    before anything is asked or locked; changes nothing."""
    if engine.dialect.name != "postgresql":
        return
    role = (settings or MigrationSettings()).role
    with connect(engine) as conn:
        if role:
            _set_role(conn, role)
        try:
            require_migrator(conn)
        finally:
            conn.rollback()


def require_migrator(conn: Connection) -> None:
    """Raise ``PermissionDenied`` unless the current role may create tables in the schema and
    alter the ones there: only the owner (or a superuser acting as it) migrates."""
    row = conn.execute(
        sa.text(
            "SELECT current_user, current_schema(), "
            "has_schema_privilege(current_schema(), 'CREATE'), "
            "(SELECT pg_has_role(c.relowner, 'USAGE') FROM pg_class c "
            f"WHERE c.oid = to_regclass('{VERSION_TABLE}')), "
            f"(SELECT pg_get_userbyid(c.relowner) FROM pg_class c "
            f"WHERE c.oid = to_regclass('{VERSION_TABLE}'))"
        )
    ).one()
    user, schema, can_create, owns_version, version_owner = row
    if can_create and owns_version is not False:
        return
    why = (
        f"cannot create tables in schema {schema}"
        if not can_create
        else f"cannot alter the tables, which belong to {version_owner}"
    )
    raise PermissionDenied(
        f"{user} may not migrate: it {why}. Run it as the owner (a user added with "
        "`factdb db roles add-user NAME --owner`) or as an admin with `--as-role "
        f"{version_owner or 'factdb_owner'}`; nothing was changed"
    )


def lock_holder(conn: Connection) -> str | None:
    """The session holding factdb's migration lock, described for a person, or None."""
    row = conn.execute(
        sa.text(
            "SELECT a.pid, a.usename, a.application_name, a.client_addr, a.backend_start, "
            "a.state, a.state_change FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid = :hi AND l.objid = :lo AND l.objsubid = 1 LIMIT 1"
        ),
        {"hi": ADVISORY_LOCK_KEY >> 32, "lo": ADVISORY_LOCK_KEY & 0xFFFFFFFF},
    ).first()
    if row is None:
        return None
    pid, user, app, client, started, state, state_change = row
    # pg_stat_activity hides the client and state of other users' sessions from non-admins
    if client is not None:
        where = str(client)
    else:
        where = "a local socket" if state is not None else "an address hidden from this user"
    since = f"{started:%Y-%m-%d %H:%M:%S %Z}".strip() if started else "an unknown time"
    idle = f", {state} since {state_change:%H:%M:%S}" if state and state_change else ""
    return (
        f"session pid {pid} (user {user}, application {app or '-'}, from {where}, connected "
        f"since {since}{idle}); if no migration is running, end it with "
        f"SELECT pg_terminate_backend({pid})"
    )


_CREATE_TABLE = re.compile(r"""op\.create_table\(\s*["'](\w+)["']""")


def tables_at_risk(engine: Engine, revision: str) -> dict[str, int]:
    """Tables the downgrade to ``revision`` drops that hold rows, with their row counts.

    Found from the ``op.create_table`` calls of the revisions it undoes.
    """
    script = ScriptDirectory.from_config(alembic_config())
    current = current_revisions(engine)
    if not current:
        return {}
    try:
        # the steps ``command.downgrade`` would take, relative targets ("-1") included
        steps = script._downgrade_revs(revision, current[0])
    except CommandError as exc:
        raise UnknownRevision(str(exc)) from None
    dropped: set[str] = set()
    for step in steps:
        path = getattr(getattr(step, "revision", None), "path", None)
        if path:
            dropped |= set(_CREATE_TABLE.findall(Path(path).read_text(encoding="utf-8")))
    with connect(engine, read_only=True) as conn:
        existing = set(sa.inspect(conn).get_table_names()) & dropped
        counts = {
            table: int(
                conn.execute(sa.select(sa.func.count()).select_from(sa.table(table))).scalar() or 0
            )
            for table in sorted(existing)
        }
    return {table: rows for table, rows in counts.items() if rows}


def downgrade_loss(engine: Engine, revision: str) -> str | None:
    """What the downgrade to ``revision`` would destroy, for a confirmation; None if nothing.

    On PostgreSQL, a shared database, going down to base always counts, even when empty.
    """
    at_risk = tables_at_risk(engine, revision)
    if at_risk:
        lost = ", ".join(f"{table} ({rows} rows)" for table, rows in at_risk.items())
        return f"this drops tables holding data: {lost}"
    if revision == "base" and engine.dialect.name == "postgresql":
        return "this drops every table of a shared database"
    return None


def lock_timeout_message(exc: BaseException, settings: MigrationSettings) -> str | None:
    """A user message when a migration gave up on a table lock, else ``None``."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "55P03":
        return (
            "migration gave up: another session holds a lock on a table it must change "
            f"(lock_timeout {settings.lock_timeout_ms} ms); nothing was changed. Let open "
            "transactions finish, or raise --lock-timeout, and run it again"
        )
    return None
