"""Drift that Alembic's comparison misses: CHECK conditions, vocabularies, and the foreign keys
that PostgreSQL enforces with triggers.

Alembic compares CHECK constraints by name only, so a new enum value or a changed ``BETWEEN``
in the models passes ``alembic check``. Here each backend renders both sides the same way: the
models are created in a scratch place (an in-memory SQLite database; a temporary PostgreSQL
schema inside a transaction that is rolled back) and their CHECK conditions are compared, by
name, with the database's.

Three foreign keys of ``trade_flows`` (reporter, partner, source) are real constraints on SQLite
but statement-level triggers on PostgreSQL (revision 0006: a bulk import checks each statement's
rows in one query instead of each row in its own). Alembic's comparison leaves those three out
(``factdb.migrate.include_object``); ``reference_drift`` checks them instead, per backend: the
constraints on SQLite, the triggers (present, enabled, calling the right function) on
PostgreSQL. Nothing is ever written. Must not import the CLI.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.models import metadata

_SPACE = re.compile(r"\s+")

#: foreign keys of the models that PostgreSQL enforces with triggers: name -> (column, table)
TRIGGER_ENFORCED_FOREIGN_KEYS: dict[str, tuple[str, str]] = {
    "fk_trade_flows_reporter_id_entities": ("reporter_id", "entities"),
    "fk_trade_flows_partner_id_entities": ("partner_id", "entities"),
    "fk_trade_flows_source_id_sources": ("source_id", "sources"),
}
#: the triggers that enforce them on PostgreSQL: name -> (table, function)
REFERENCE_TRIGGERS: dict[str, tuple[str, str]] = {
    "trade_flows_references_on_insert": ("trade_flows", "trade_flows_check_references"),
    "trade_flows_references_on_update": ("trade_flows", "trade_flows_check_references"),
    "entities_trade_flows_on_delete": ("entities", "entities_delete_trade_flows"),
    "entities_trade_flows_on_update": ("entities", "entities_keep_referenced_ids"),
    "entities_trade_flows_on_truncate": ("entities", "entities_truncate_check"),
    "sources_trade_flows_on_delete": ("sources", "sources_delete_trade_flows"),
    "sources_trade_flows_on_update": ("sources", "sources_keep_referenced_ids"),
    "sources_trade_flows_on_truncate": ("sources", "sources_truncate_check"),
}


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


def reference_drift(conn: Connection) -> list[str]:
    """One line per trigger-enforced foreign key that the database does not enforce as this
    backend should: a missing constraint on SQLite; on PostgreSQL a missing, disabled or
    re-pointed trigger, or the constraint still there beside the triggers."""
    live = {
        str(fk["name"]): (fk["constrained_columns"], fk["referred_table"])
        for fk in sa.inspect(conn).get_foreign_keys("trade_flows")
    }
    problems = []
    if conn.dialect.name != "postgresql":
        for name, (column, table) in TRIGGER_ENFORCED_FOREIGN_KEYS.items():
            if live.get(name) != ([column], table):
                problems.append(f"FOREIGN KEY {name}: in the models, not in the database")
        return problems
    for name in TRIGGER_ENFORCED_FOREIGN_KEYS:
        if name in live:
            problems.append(
                f"FOREIGN KEY {name}: a constraint in the database, where triggers enforce it"
            )
    rows = conn.execute(
        sa.text(
            "SELECT t.tgname, c.relname, p.proname, t.tgenabled FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
        )
    ).all()
    found = {name: (table, function, enabled) for name, table, function, enabled in rows}
    for name, (table, function) in REFERENCE_TRIGGERS.items():
        if name not in found:
            problems.append(f"TRIGGER {name} on {table}: missing (foreign keys of trade_flows)")
        elif found[name][:2] != (table, function):
            problems.append(
                f"TRIGGER {name}: on {found[name][0]} calling {found[name][1]}, "
                f"expected on {table} calling {function}"
            )
        elif found[name][2] == "D":
            problems.append(f"TRIGGER {name} on {table}: disabled (foreign keys of trade_flows)")
    return problems
