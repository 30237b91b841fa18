"""What full-text search covers, on each backend, as migration 0003 built it.

PostgreSQL searches ``to_tsvector`` expressions its GIN indexes are built on; SQLite an FTS5
table kept in step by triggers (SQLite-only plumbing). A later batch migration that rebuilds
one of these tables drops its triggers with the old table, so ``migrations/env.py`` calls
``ensure_sqlite_triggers`` after every upgrade to put back any that are missing.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

#: kind -> (table, text expression over the row alias "r")
SEARCHED = {
    "entity": ("entities", "r.name"),
    "alias": ("entity_aliases", "r.name"),
    "event": ("events", "r.title || ' ' || COALESCE(r.description, '')"),
    "quote": ("evidence", "r.quote"),
}


#: kind -> (table, text search configuration, text expression) for PostgreSQL
PG_SEARCHED = {
    "entity": ("entities", "simple", "name"),
    "alias": ("entity_aliases", "simple", "name"),
    "event": ("events", "english", "title || ' ' || COALESCE(description, '')"),
    "quote": ("evidence", "english", "quote"),
}


def sqlite_trigger_sql() -> list[str]:
    statements = []
    for kind, (table, expr) in SEARCHED.items():
        new = expr.replace("r.", "NEW.")
        statements += [
            f"CREATE TRIGGER IF NOT EXISTS fts_{table}_insert AFTER INSERT ON {table} BEGIN "
            f"INSERT INTO fts_search (kind, ref_id, body) VALUES ('{kind}', NEW.id, {new}); END",
            f"CREATE TRIGGER IF NOT EXISTS fts_{table}_delete AFTER DELETE ON {table} BEGIN "
            f"DELETE FROM fts_search WHERE kind = '{kind}' AND ref_id = OLD.id; END",
            f"CREATE TRIGGER IF NOT EXISTS fts_{table}_update AFTER UPDATE ON {table} BEGIN "
            f"DELETE FROM fts_search WHERE kind = '{kind}' AND ref_id = OLD.id; "
            f"INSERT INTO fts_search (kind, ref_id, body) VALUES ('{kind}', NEW.id, {new}); END",
        ]
    return statements


def ensure_sqlite_triggers(connection: Connection) -> int:
    """Recreate missing search triggers and re-index; returns how many were missing."""
    if connection.dialect.name != "sqlite":
        return 0
    has_index = connection.exec_driver_sql(
        "SELECT count(*) FROM sqlite_master WHERE name = 'fts_search'"
    ).scalar()
    if not has_index:
        return 0
    present = {
        name
        for (name,) in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'fts_%'"
        )
    }
    wanted = {
        f"fts_{table}_{op}"
        for table, _ in SEARCHED.values()
        for op in ("insert", "delete", "update")
    }
    missing = wanted - present
    if not missing:
        return 0
    for statement in sqlite_trigger_sql():
        connection.exec_driver_sql(statement)
    connection.exec_driver_sql("DELETE FROM fts_search")
    for kind, (table, expr) in SEARCHED.items():
        connection.exec_driver_sql(
            f"INSERT INTO fts_search (kind, ref_id, body) "
            f"SELECT '{kind}', r.id, {expr} FROM {table} r"
        )
    return len(missing)
