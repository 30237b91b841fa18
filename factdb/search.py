"""Full-text search over entity names and aliases, event titles and quotes.

SQLite reads the FTS5 index that migration 0003 keeps in step; PostgreSQL matches the same
``to_tsvector`` expressions its GIN indexes are built on. Hits come back ranked, each with a
snippet and what it belongs to.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.errors import EmptySearch
from factdb.search_index import PG_SEARCHED


@dataclass(frozen=True)
class SearchHit:
    rank: int  # 1 is the best hit
    kind: str
    belongs_to: str
    label: str
    snippet: str
    relevance: float  # the hit's score over the best hit's, rounded: 1.0 for the best


_WORD = re.compile(r"\w+")


def _terms(text: str) -> list[tuple[str, bool]]:
    """The user's words as (token, is_prefix): letters and digits only, never query syntax.

    A word ending in ``*`` (``toy*``) matches every word that starts with it.
    """
    terms: list[tuple[str, bool]] = []
    for word in text.split():
        tokens = _WORD.findall(word)
        prefix = word.endswith("*")
        terms += [(t, prefix and i == len(tokens) - 1) for i, t in enumerate(tokens)]
    if not terms:
        raise EmptySearch("search for at least one word (letters or digits)")
    return terms


def _fts5_query(text: str) -> str:
    """Every token quoted, so the user's text is never read as FTS5 syntax; ``"toy" *`` for
    a prefix."""
    return " ".join(f'"{token}"' + (" *" if prefix else "") for token, prefix in _terms(text))


def _tsquery(text: str) -> str:
    """A ``to_tsquery`` text of quoted tokens joined by ``&``; ``'toy':*`` for a prefix."""
    return " & ".join(f"'{token}'" + (":*" if prefix else "") for token, prefix in _terms(text))


def search(conn: Connection, text: str, limit: int = 20) -> list[SearchHit]:
    """Hits for ``text``, best first; words must all match (a trailing ``*`` matches a
    prefix)."""
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
        parts = []
        for kind, (table, config, expr) in PG_SEARCHED.items():
            vector = f"to_tsvector('{config}', {expr})"
            query = f"to_tsquery('{config}', :q)"
            parts.append(
                f"SELECT '{kind}' AS kind, id AS ref_id, "
                f"ts_headline('{config}', {expr}, {query}, "
                "'StartSel=[, StopSel=], MaxWords=20, MinWords=5') AS snip, "
                f"ts_rank({vector}, {query}) AS score FROM {table} WHERE {vector} @@ {query}"
            )
        sql = " UNION ALL ".join(parts) + " ORDER BY score DESC, kind, ref_id LIMIT :n"
        hits = [
            (kind, ref, snip, float(score))
            for kind, ref, snip, score in conn.execute(
                sa.text(sql), {"q": _tsquery(text), "n": limit}
            )
        ]
    best = hits[0][3] if hits and hits[0][3] > 0 else 1.0
    return [
        SearchHit(n, kind, *_owner(conn, kind, ref), snip, round(score / best, 2))
        for n, (kind, ref, snip, score) in enumerate(hits, start=1)
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
