"""SQLite's search index finds a row's entry by its key, and is touched only when the text changes.

Revision 0003 filed each entity, alias, event and quote in ``fts_search`` under a rowid SQLite
chose, and found it again with ``WHERE kind = ... AND ref_id = ...``: columns an FTS5 table
cannot index, so every update or delete of a searched row read the whole index. Its update
trigger also fired on any update, including the one that stamps rows with their changeset
(revision 0011): a load of 33,000 entities took minutes, growing with the square of the count.

Now each entry's rowid is computed from its row (``id * 4`` plus the kind's number), so the
triggers reach it in one lookup, and the update trigger fires only when the searched text or
the id changes. The columns ``kind`` and ``ref_id`` stay as they were, so searches read the
same. PostgreSQL searches GIN indexes on the tables themselves: nothing changes there.

A later revision that rebuilds a searched table on SQLite calls this revision's
``restore_sqlite_triggers`` (not 0003's, whose triggers this one replaces)::

    script = op.get_context().script
    script.get_revision("0012").module.restore_sqlite_triggers("entities")

This revision never imports factdb: what it builds must not change when the package does.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: table -> (kind, number in the rowid, searched columns, text expression over alias "r")
SEARCHED = {
    "entities": ("entity", 0, ("name",), "r.name"),
    "entity_aliases": ("alias", 1, ("name",), "r.name"),
    "events": (
        "event",
        2,
        ("title", "description"),
        "r.title || ' ' || COALESCE(r.description, '')",
    ),
    "evidence": ("quote", 3, ("quote",), "r.quote"),
}
_KINDS = len(SEARCHED)


def _triggers(table: str) -> list[str]:
    """The three triggers that keep ``fts_search`` in step with ``table``, by rowid."""
    kind, number, columns, expr = SEARCHED[table]
    new, old = expr.replace("r.", "NEW."), expr.replace("r.", "OLD.")
    new_rowid = f"NEW.id * {_KINDS} + {number}"
    old_rowid = f"OLD.id * {_KINDS} + {number}"
    insert = (
        f"INSERT INTO fts_search (rowid, kind, ref_id, body) "
        f"VALUES ({new_rowid}, '{kind}', NEW.id, {new});"
    )
    delete = f"DELETE FROM fts_search WHERE rowid = {old_rowid};"
    watched = ", ".join(("id", *columns))
    return [
        f"CREATE TRIGGER fts_{table}_insert AFTER INSERT ON {table} BEGIN {insert} END",
        f"CREATE TRIGGER fts_{table}_delete AFTER DELETE ON {table} BEGIN {delete} END",
        f"CREATE TRIGGER fts_{table}_update AFTER UPDATE OF {watched} ON {table} "
        f"WHEN OLD.id IS NOT NEW.id OR ({old}) IS NOT ({new}) BEGIN {delete} {insert} END",
    ]


def _drop_triggers(table: str) -> None:
    for event in ("insert", "delete", "update"):
        op.execute(f"DROP TRIGGER IF EXISTS fts_{table}_{event}")


def _index_rows(table: str) -> None:
    kind, number, _, expr = SEARCHED[table]
    op.execute(
        f"INSERT INTO fts_search (rowid, kind, ref_id, body) "
        f"SELECT r.id * {_KINDS} + {number}, '{kind}', r.id, {expr} FROM {table} r"
    )


def restore_sqlite_triggers(table: str) -> None:
    """Re-create ``table``'s search triggers after a later revision rebuilt it on SQLite, and
    index its rows again. Does nothing on PostgreSQL, whose indexes survive a rebuild."""
    if op.get_bind().dialect.name != "sqlite":
        return
    _drop_triggers(table)
    for statement in _triggers(table):
        op.execute(statement)
    op.execute(f"DELETE FROM fts_search WHERE kind = '{SEARCHED[table][0]}'")
    _index_rows(table)


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # Every entry gets its computed rowid: the index is filled again from the tables.
    op.execute("DELETE FROM fts_search")
    for table in SEARCHED:
        _drop_triggers(table)
        for statement in _triggers(table):
            op.execute(statement)
        _index_rows(table)


def downgrade() -> None:
    # Revision 0003's triggers, as it froze them, and its entries.
    revision_0003 = op.get_context().script.get_revision("0003").module
    for table in SEARCHED:
        revision_0003.restore_sqlite_triggers(table)
