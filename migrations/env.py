"""Alembic environment shared by the CLI, the tests, pytest-alembic and ``alembic`` by hand.

A connection passed in ``config.attributes["connection"]`` is reused; otherwise one is opened
from ``sqlalchemy.url`` or ``$FACTDB_URL``. Batch mode is always on so SQLite table rebuilds are
generated the same way for everyone. On SQLite the whole upgrade is one real transaction with
foreign keys off and ``PRAGMA foreign_key_check`` before the commit; on PostgreSQL an advisory
lock keeps two migrators apart and ``lock_timeout`` keeps DDL from stalling readers.

Only connection plumbing and the models' metadata (for autogenerate and ``db check``) come from
factdb here; nothing here changes what a revision builds, which is the revision's alone (a
revision that rebuilds a searched table restores its triggers itself, see revision 0003).
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection, Engine

from factdb.config import resolve_url
from factdb.db import make_engine
from factdb.errors import FactdbError, MigrationLocked
from factdb.migrate import (
    MigrationSettings,
    include_object,
    lock_timeout_message,
    migration_lock,
)
from factdb.models import metadata

config = context.config


class ForeignKeyViolation(FactdbError):
    """A migration left rows whose foreign keys point nowhere; it was rolled back."""


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    """Run a PRAGMA on the raw driver connection: SQLAlchemy would first open a transaction,
    inside which SQLite ignores ``foreign_keys``."""
    if connection.in_transaction():
        connection.commit()
    connection.connection.driver_connection.execute(f"PRAGMA {pragma}")  # type: ignore[union-attr]


def run_with(connection: Connection) -> None:
    settings = config.attributes.get("settings") or MigrationSettings()
    is_sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        transactional_ddl=True,
        include_object=include_object,
    )
    if connection.in_transaction():
        connection.commit()
    with migration_lock(connection, settings):
        if is_sqlite:
            _sqlite_pragma(connection, "foreign_keys = OFF")
            # Rebuilding a table renames a copy into place; without this SQLite re-parses every
            # view on the rename and refuses views of the table being rebuilt.
            _sqlite_pragma(connection, "legacy_alter_table = ON")
        try:
            with context.begin_transaction():
                context.run_migrations()
                if is_sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise ForeignKeyViolation(
                            f"migration rolled back: {len(broken)} rows break foreign keys, "
                            f"first: {tuple(broken[0])}"
                        )
        except Exception as exc:
            message = lock_timeout_message(exc, settings)
            if message:
                raise MigrationLocked(message) from None
            raise
        finally:
            if is_sqlite:
                _sqlite_pragma(connection, "legacy_alter_table = OFF")
                _sqlite_pragma(connection, "foreign_keys = ON")


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if isinstance(given, Connection):
        run_with(given)
        return
    if isinstance(given, Engine):  # pytest-alembic hands over an engine
        with given.connect() as connection:
            run_with(connection)
        return
    url = config.get_main_option("sqlalchemy.url") or resolve_url()
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            run_with(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url") or resolve_url(),
        target_metadata=metadata,
        render_as_batch=True,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
