"""Full-text search over entity names and aliases, event titles and quotes.

SQLite reads the FTS5 index that migration 0003 keeps in step; PostgreSQL matches the same
``to_tsvector`` expressions its GIN indexes are built on. Hits come back ranked, each with a
snippet and what it belongs to.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.errors import FactdbError
from factdb.search_index import PG_SEARCHED


class EmptySearch(FactdbError):
    """The search text has no word to look for."""


@dataclass(frozen=True)
class SearchHit:
    kind: str
    belongs_to: str
    label: str
    snippet: str
    rank: float


def _fts5_query(text: str) -> str:
    """Every word quoted, so the user's text is never read as FTS5 syntax."""
    words = [w for w in text.split() if w.strip('"')]
    if not words:
        raise EmptySearch("search for at least one word")
    return " ".join('"' + w.replace('"', '""') + '"' for w in words)


def search(conn: Connection, text: str, limit: int = 20) -> list[SearchHit]:
    if conn.dialect.name == "sqlite":
        rows = conn.execute(
            sa.text(
                "SELECT kind, ref_id, snippet(fts_search, 2, '[', ']', '…', 12) AS snip, "
                "bm25(fts_search) AS score FROM fts_search WHERE fts_search MATCH :q "
                "ORDER BY score LIMIT :n"
            ),
            {"q": _fts5_query(text), "n": limit},
        ).all()
        hits = [(kind, ref, snip, -float(score)) for kind, ref, snip, score in rows]
    else:
        if not text.split():
            raise EmptySearch("search for at least one word")
        parts = []
        for kind, (table, config, expr) in PG_SEARCHED.items():
            vector = f"to_tsvector('{config}', {expr})"
            query = f"plainto_tsquery('{config}', :q)"
            parts.append(
                f"SELECT '{kind}' AS kind, id AS ref_id, "
                f"ts_headline('{config}', {expr}, {query}, "
                "'StartSel=[, StopSel=], MaxWords=20, MinWords=5') AS snip, "
                f"ts_rank({vector}, {query}) AS score FROM {table} WHERE {vector} @@ {query}"
            )
        sql = " UNION ALL ".join(parts) + " ORDER BY score DESC LIMIT :n"
        hits = [
            (kind, ref, snip, float(score))
            for kind, ref, snip, score in conn.execute(sa.text(sql), {"q": text, "n": limit})
        ]
    return [
        SearchHit(kind, *_owner(conn, kind, ref), snip, score) for kind, ref, snip, score in hits
    ]


def _owner(conn: Connection, kind: str, ref: int) -> tuple[str, str]:
    """What a hit belongs to: a slug-like key and a readable label."""
    if kind == "entity":
        row = conn.execute(sa.text("SELECT slug, name FROM entities WHERE id = :i"), {"i": ref})
    elif kind == "alias":
        row = conn.execute(
            sa.text(
                "SELECT e.slug, e.name FROM entity_aliases a JOIN entities e ON e.id = a.entity_id "
                "WHERE a.id = :i"
            ),
            {"i": ref},
        )
    elif kind == "event":
        row = conn.execute(sa.text("SELECT slug, title FROM events WHERE id = :i"), {"i": ref})
    else:
        row = conn.execute(
            sa.text(
                "SELECT fact_kind || ':' || fact_slug, source_slug FROM v_evidence WHERE id = :i"
            ),
            {"i": ref},
        )
    found = row.first()
    return (str(found[0]), str(found[1])) if found else (str(ref), "")
