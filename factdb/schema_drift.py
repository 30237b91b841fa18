"""Drift that Alembic's comparison misses: CHECK conditions and vocabularies.

Alembic compares CHECK constraints by name only, so a new enum value or a changed ``BETWEEN``
in the models passes ``alembic check``. Here each backend renders both sides the same way: the
models are created in a scratch place (an in-memory SQLite database; a temporary PostgreSQL
schema inside a transaction that is rolled back) and their CHECK conditions are compared, by
name, with the database's. Nothing is ever written. Must not import the CLI.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.models import metadata

_SPACE = re.compile(r"\s+")


def _normal(sql: str) -> str:
    return _SPACE.sub(" ", sql).strip()


def check_constraint_drift(conn: Connection) -> list[str]:
    """One line per CHECK whose condition differs between the models and the database."""
    if conn.dialect.name == "postgresql":
        live, models = _postgres_checks(conn)
    else:
        live, models = _sqlite_checks(conn)
    problems = []
    for name in sorted(models.keys() | live.keys()):
        if name not in live:
            problems.append(f"CHECK {name}: in the models, not in the database")
        elif name not in models:
            problems.append(f"CHECK {name}: in the database, not in the models")
        elif live[name] != models[name]:
            problems.append(
                f"CHECK {name}: the database has {live[name]!r}, the models {models[name]!r}"
            )
    return problems


def _sqlite_checks(conn: Connection) -> tuple[dict[str, str], dict[str, str]]:
    scratch = sa.create_engine("sqlite://")
    try:
        with scratch.begin() as scratch_conn:
            metadata.create_all(scratch_conn)
            models = _reflected(scratch_conn)
    finally:
        scratch.dispose()
    return _reflected(conn), models


def _reflected(conn: Connection) -> dict[str, str]:
    inspector = sa.inspect(conn)
    out = {}
    for table in metadata.tables:
        for check in inspector.get_check_constraints(table):
            if check.get("name"):
                out[str(check["name"])] = _normal(str(check["sqltext"]))
    return out


def _postgres_checks(conn: Connection) -> tuple[dict[str, str], dict[str, str]]:
    query = sa.text(
        "SELECT c.conname, pg_get_constraintdef(c.oid) FROM pg_constraint c "
        "WHERE c.contype = 'c' AND c.connamespace = pg_my_temp_schema()"
    )
    tables = set(metadata.tables)
    live_rows = conn.execute(
        sa.text(
            "SELECT c.conname, pg_get_constraintdef(c.oid), t.relname FROM pg_constraint c "
            "JOIN pg_class t ON t.oid = c.conrelid "
            "JOIN pg_namespace n ON n.oid = c.connamespace "
            "WHERE c.contype = 'c' AND n.nspname = current_schema()"
        )
    ).all()
    live = {name: _normal(sql) for name, sql, table in live_rows if table in tables}
    outer = conn.begin_nested() if conn.in_transaction() else conn.begin()
    try:
        scratch = conn.execution_options(schema_translate_map={None: "pg_temp"})
        metadata.create_all(scratch)
        models = {name: _normal(sql) for name, sql in conn.execute(query)}
    finally:
        outer.rollback()
    return live, models
