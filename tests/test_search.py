"""Full-text search over names, aliases, event titles and quotes, on both backends."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from factdb.search import EmptySearch, search


def test_search_finds_quotes_events_and_names(seeded: Engine) -> None:
    with seeded.connect() as conn:
        hits = search(conn, "Toyota robotics")
    kinds = {hit.kind for hit in hits}
    assert {"event", "quote"} <= kinds
    assert any(h.belongs_to == "toyota-insait-funding-commitment" for h in hits)
    assert all("[" in h.snippet for h in hits), "snippets mark the match"
    assert [h.rank for h in hits] == sorted((h.rank for h in hits), reverse=True)


def test_search_through_aliases(seeded: Engine) -> None:
    with seeded.connect() as conn:
        hits = search(conn, "JETRO")
    assert any(h.kind == "alias" and h.belongs_to == "jetro" for h in hits)


def test_search_follows_loads(seeded: Engine) -> None:
    with seeded.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO entities (slug, kind, name) VALUES ('ruse', 'place', 'Ruse')"
        )
    with seeded.connect() as conn:
        assert [h.belongs_to for h in search(conn, "ruse")] == ["ruse"]


def test_search_text_is_never_syntax(seeded: Engine) -> None:
    with seeded.connect() as conn:
        hits = search(conn, 'Toyota* "robotics AND')
        assert {h.belongs_to for h in hits} >= {"toyota-insait-funding-commitment"}
        with pytest.raises(EmptySearch):
            search(conn, "   ")
