"""Full-text search over entity names and aliases, event titles and quotes.

SQLite: an FTS5 table kept in step by triggers (SQLite-only plumbing, in this branch alone).
PostgreSQL: GIN indexes on to_tsvector expressions of the tables themselves; nothing to keep in
step, and nothing outside plain PostgreSQL.

A later revision that rebuilds one of these tables on SQLite (a batch ``recreate``) drops its
triggers with the old table, and must put them back itself, with the SQL frozen here::

    script = op.get_context().script
    script.get_revision("0003").module.restore_sqlite_triggers("entities")

This revision never imports factdb: what it builds must not change when the package does.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# kind -> (table, text expression over the NEW/OLD row alias "r")
SOURCES = {
    "entity": ("entities", "r.name"),
    "alias": ("entity_aliases", "r.name"),
    "event": ("events", "r.title || ' ' || COALESCE(r.description, '')"),
    "quote": ("evidence", "r.quote"),
}

# index name -> (table, text search configuration, expression)
PG_INDEXES = {
    "ix_entities_name_fts": ("entities", "simple", "name"),
    "ix_entity_aliases_name_fts": ("entity_aliases", "simple", "name"),
    "ix_events_title_fts": ("events", "english", "title || ' ' || COALESCE(description, '')"),
    "ix_evidence_quote_fts": ("evidence", "english", "quote"),
}


def _searched(table: str) -> tuple[str, str]:
    """The kind ``table``'s rows are indexed as, and the text indexed."""
    ((kind, expr),) = [(k, e) for k, (t, e) in SOURCES.items() if t == table]
    return kind, expr


def _sqlite_triggers(table: str) -> list[str]:
    """The three triggers that keep ``fts_search`` in step with ``table``."""
    kind, expr = _searched(table)
    new = expr.replace("r.", "NEW.")
    return [
        f"CREATE TRIGGER fts_{table}_insert AFTER INSERT ON {table} BEGIN "
        f"INSERT INTO fts_search (kind, ref_id, body) VALUES ('{kind}', NEW.id, {new}); END",
        f"CREATE TRIGGER fts_{table}_delete AFTER DELETE ON {table} BEGIN "
        f"DELETE FROM fts_search WHERE kind = '{kind}' AND ref_id = OLD.id; END",
        f"CREATE TRIGGER fts_{table}_update AFTER UPDATE ON {table} BEGIN "
        f"DELETE FROM fts_search WHERE kind = '{kind}' AND ref_id = OLD.id; "
        f"INSERT INTO fts_search (kind, ref_id, body) VALUES ('{kind}', NEW.id, {new}); END",
    ]


def _index_rows(table: str) -> None:
    kind, expr = _searched(table)
    op.execute(
        f"INSERT INTO fts_search (kind, ref_id, body) SELECT '{kind}', r.id, {expr} FROM {table} r"
    )


def restore_sqlite_triggers(table: str) -> None:
    """Re-create ``table``'s search triggers after a later revision rebuilt it on SQLite, and
    index its rows again. Does nothing on PostgreSQL, whose indexes survive a rebuild."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS fts_{table}_{event}")
    for statement in _sqlite_triggers(table):
        op.execute(statement)
    op.execute(f"DELETE FROM fts_search WHERE kind = '{_searched(table)[0]}'")
    _index_rows(table)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, (table, config, expr) in PG_INDEXES.items():
            op.execute(
                f"CREATE INDEX {name} ON {table} USING gin (to_tsvector('{config}', {expr}))"
            )
        return
    op.execute(
        "CREATE VIRTUAL TABLE fts_search USING fts5("
        "kind UNINDEXED, ref_id UNINDEXED, body, tokenize = 'unicode61 remove_diacritics 2')"
    )
    for table, _ in SOURCES.values():
        _index_rows(table)
        for statement in _sqlite_triggers(table):
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in PG_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        return
    for table, _ in SOURCES.values():
        for event in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS fts_{table}_{event}")
    op.execute("DROP TABLE IF EXISTS fts_search")
