"""What full-text search covers on PostgreSQL, as migration 0003 built it.

PostgreSQL searches ``to_tsvector`` expressions its GIN indexes are built on; a query must use
the same configuration and expression for an index to serve it (a test holds these equal to the
migration's). SQLite searches the FTS5 table the migration keeps in step with triggers. This
module only describes; it must not create or repair anything: migrations own the schema.
"""

from __future__ import annotations

#: kind -> (table, text search configuration, text expression) for PostgreSQL
PG_SEARCHED = {
    "entity": ("entities", "simple", "name"),
    "alias": ("entity_aliases", "simple", "name"),
    "event": ("events", "english", "title || ' ' || COALESCE(description, '')"),
    "quote": ("evidence", "english", "quote"),
}
