"""Full-text search over names, aliases, event titles and quotes, on both backends."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from factdb import migrate
from factdb.db import make_engine
from factdb.search import EmptySearch, search


def test_search_finds_quotes_events_and_names(seeded: Engine) -> None:
    with seeded.connect() as conn:
        hits = search(conn, "Toyota robotics")
    kinds = {hit.kind for hit in hits}
    assert {"event", "quote"} <= kinds
    assert any(h.belongs_to == "toyota-insait-funding-commitment" for h in hits)
    assert all("[" in h.snippet for h in hits), "snippets mark the match"
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    relevance = [h.relevance for h in hits]
    assert relevance == sorted(relevance, reverse=True)
    assert relevance[0] == 1.0 and all(0 < r <= 1 for r in relevance)


def test_relevance_is_rounded(seeded: Engine) -> None:
    with seeded.connect() as conn:
        hits = search(conn, "Toyota")
    assert all(h.relevance == round(h.relevance, 2) for h in hits)


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


def test_search_follows_renames_and_deletions(seeded: Engine) -> None:
    with seeded.begin() as conn:
        conn.exec_driver_sql("UPDATE entities SET name = 'Nippon' WHERE slug = 'japan'")
        conn.exec_driver_sql(
            "UPDATE events SET description = 'Held beside the Danube' "
            "WHERE id = (SELECT min(id) FROM events)"
        )
        conn.exec_driver_sql(
            "DELETE FROM entity_aliases WHERE entity_id = (SELECT id FROM entities "
            "WHERE slug = 'jetro')"
        )
    with seeded.connect() as conn:
        assert [h.belongs_to for h in search(conn, "nippon") if h.kind == "entity"] == ["japan"]
        assert "japan" not in {h.belongs_to for h in search(conn, "japan") if h.kind == "entity"}
        assert [h.kind for h in search(conn, "danube")] == ["event"]
        assert not [h for h in search(conn, "JETRO") if h.kind == "alias"]


def test_sqlite_index_is_left_alone_by_updates_of_other_columns(tmp_path: Path) -> None:
    """Stamping rows with their changeset (every load does) must not touch the search index:
    a trigger that did rewrote every entry, each by a scan of the whole index (FTS5 cannot
    index the columns it was looked up by), and a load grew with the square of its size."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500) "
            "INSERT INTO entities (slug, kind, name) SELECT 'e' || i, 'group', 'E' || i FROM n"
        )
        before = conn.exec_driver_sql("SELECT total_changes()").scalar()
        conn.exec_driver_sql("UPDATE entities SET changeset_id = changeset_id")
        after = conn.exec_driver_sql("SELECT total_changes()").scalar()
        # the 500 rows updated, and nothing else written by any trigger
        assert after - before == 500
        assert (
            conn.exec_driver_sql(
                "SELECT count(*) FROM fts_search WHERE fts_search MATCH 'e250'"
            ).scalar()
            == 1
        )
    engine.dispose()


def test_prefix_search(seeded: Engine) -> None:
    with seeded.connect() as conn:
        assert search(conn, "toy") == [], "a whole word without * is not a prefix"
        hits = search(conn, "toy*")
        assert any(h.kind == "entity" and h.belongs_to == "toyota" for h in hits)
        assert {h.belongs_to for h in search(conn, "Toy* robot*")} >= {
            "toyota-insait-funding-commitment"
        }


@pytest.mark.parametrize(
    "text",
    [
        'Toyota* "robotics AND',
        "toyota OR NOT (",
        "toyota:* & !'",
        "toyota NEAR/2 )",
        "toyota\\ ^ ~ -x",
        "'toyota'",
    ],
)
def test_search_text_is_never_syntax(seeded: Engine, text: str) -> None:
    with seeded.connect() as conn:
        hits = search(conn, text)
    assert all(h.rank >= 1 for h in hits)


def test_search_without_words_is_refused(seeded: Engine) -> None:
    with seeded.connect() as conn:
        for text in ("   ", "*", "\"' ( ) :*"):
            with pytest.raises(EmptySearch):
                search(conn, text)


def test_search_definitions_are_the_migrations() -> None:
    """Queries use the configuration and expression each GIN index was built on (else
    PostgreSQL scans), and both backends index the same kinds of rows."""
    from alembic.script import ScriptDirectory

    from factdb import migrate
    from factdb.search_index import PG_SEARCHED

    built = ScriptDirectory.from_config(migrate.alembic_config()).get_revision("0003").module
    assert sorted(PG_SEARCHED.values()) == sorted(built.PG_INDEXES.values())
    assert set(PG_SEARCHED) == set(built.SOURCES)
    for kind, (table, _, _) in PG_SEARCHED.items():
        assert built.SOURCES[kind][0] == table
