"""Running Alembic from factdb: locating the history, locking, and checking for drift.

The CLI, the tests and pytest-alembic all go through ``migrations/env.py``; this module holds the
pieces it shares with them. It knows nothing of the CLI.
"""

from __future__ import annotations

import io
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

from factdb.db import connect
from factdb.errors import MigrationLocked, NotMigrated, SchemaDrift, UnknownRevision
from factdb.roles import quote_identifier

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
    expression indexes (PostgreSQL), which autogenerate cannot compare."""
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
    """Raise ``NotMigrated`` unless the database is at the newest revision."""
    from alembic.runtime.migration import MigrationContext

    current = set(MigrationContext.configure(conn).get_current_heads())
    if current != set(head_revisions()):
        state = ", ".join(sorted(current)) or "not migrated"
        raise NotMigrated(f"database is {state}; run `factdb db upgrade` first")


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
    """What autogenerate would change: empty when the models and the database agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from factdb.models import metadata

    with connect(engine, read_only=True) as conn:
        heads = set(head_revisions())
        current = set(MigrationContext.configure(conn).get_current_heads())
        if current != heads:
            return [f"database is at {sorted(current) or 'no revision'}, head is {sorted(heads)}"]
        context = MigrationContext.configure(
            conn,
            opts={"compare_type": True, "render_as_batch": True, "include_object": include_object},
        )
        return [repr(diff) for diff in compare_metadata(context, metadata)]


def check(engine: Engine) -> None:
    """Raise ``SchemaDrift`` listing every difference between models and database."""
    diffs = schema_differences(engine)
    if diffs:
        raise SchemaDrift("models and database disagree:\n  " + "\n  ".join(diffs))


@contextmanager
def migration_lock(conn: Connection, settings: MigrationSettings) -> Iterator[None]:
    """On PostgreSQL: hold the session advisory lock, and a ``lock_timeout`` for every DDL.

    Polls ``pg_try_advisory_lock`` so a second migrator gives up with a clear message after
    ``lock_wait_s`` instead of waiting forever. SQLite needs nothing: ``BEGIN IMMEDIATE`` is the
    lock there.
    """
    if conn.dialect.name != "postgresql":
        yield
        return
    deadline = time.monotonic() + settings.lock_wait_s
    try_lock = sa.text("SELECT pg_try_advisory_lock(:key)").bindparams(key=ADVISORY_LOCK_KEY)
    while not conn.execute(try_lock).scalar():
        conn.rollback()
        if time.monotonic() >= deadline:
            raise MigrationLocked(
                f"another migration is running (waited {settings.lock_wait_s:g} s for the "
                "migration lock); try again when it has finished"
            )
        time.sleep(0.2)
    conn.commit()
    conn.exec_driver_sql(f"SET lock_timeout = {int(settings.lock_timeout_ms)}")
    if settings.role:
        conn.exec_driver_sql(f"SET ROLE {quote_identifier(settings.role)}")
    conn.commit()
    try:
        yield
    finally:
        if conn.in_transaction():
            conn.rollback()
        conn.exec_driver_sql("RESET ROLE")
        conn.exec_driver_sql("RESET lock_timeout")
        conn.execute(sa.text("SELECT pg_advisory_unlock(:key)").bindparams(key=ADVISORY_LOCK_KEY))
        conn.commit()


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
