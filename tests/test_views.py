"""The documented views, queried as an analyst would, on both backends."""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

VIEWS = ["v_entities", "v_events", "v_event_participants", "v_trade", "v_relations", "v_evidence"]


def one(engine: Engine, sql: str) -> sa.Row:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return conn.execute(sa.text(sql)).one()


def test_every_view_has_rows(seeded: Engine) -> None:
    with seeded.connect() as conn:
        for view in VIEWS:
            assert conn.execute(sa.text(f"SELECT count(*) FROM {view}")).scalar_one() > 0, view


def test_v_entities_carries_codes_and_aliases(seeded: Engine) -> None:
    row = one(
        seeded,
        "SELECT name, kind, iso2, iso3, m49, aliases FROM v_entities WHERE slug = 'bulgaria'",
    )
    assert (row.name, row.kind, row.iso2, row.iso3, row.m49) == (
        "Bulgaria",
        "country",
        "BG",
        "BGR",
        "100",
    )
    assert "Republic of Bulgaria" in row.aliases


def test_v_trade_reads_as_it_is(seeded: Engine) -> None:
    row = one(
        seeded,
        "SELECT reporter, reporter_iso3, partner_iso3, flow, value, value_cents, "
        "value_qualifier, status, derived, source_slug FROM v_trade "
        "WHERE slug = 'bg-jp-2024-imports-derived-alojapan'",
    )
    assert (row.reporter, row.reporter_iso3, row.partner_iso3, row.flow) == (
        "Bulgaria",
        "BGR",
        "JPN",
        "import",
    )
    assert Decimal(str(row.value)) == Decimal("180000000.00")
    assert row.value_cents == 18_000_000_000
    assert (row.value_qualifier, row.status, row.derived) == ("about", "derived", 1)
    assert row.source_slug == "alojapan-radev-japanese-investments"


def test_v_trade_values_are_numbers_on_both_backends(seeded: Engine) -> None:
    """The same SQL gives the same answer on SQLite and PostgreSQL: values compare, sort and
    aggregate as numbers, not as text."""
    with seeded.connect() as conn:
        scalar = conn.execute
        assert scalar(sa.text("SELECT count(*) FROM v_trade WHERE value > 1e12")).scalar() == 0
        assert scalar(sa.text("SELECT count(*) FROM v_trade WHERE value > 1e8")).scalar() == 4
        biggest = scalar(sa.text("SELECT max(value) FROM v_trade")).scalar()
        assert Decimal(str(biggest)) == Decimal("270000000")
        ordered = [
            Decimal(str(v))
            for v in scalar(sa.text("SELECT value FROM v_trade ORDER BY value, id")).scalars()
        ]
        assert ordered == sorted(ordered) and ordered[0] < Decimal("100000000")
        total = scalar(sa.text("SELECT sum(value) * 100 = sum(value_cents) FROM v_trade"))
        assert total.scalar() in (True, 1)


def test_v_events_and_participants(seeded: Engine) -> None:
    row = one(
        seeded,
        "SELECT start_date, start_precision, location, parent_slug FROM v_events "
        "WHERE slug = 'bulgaria-japan-business-forum-2025'",
    )
    assert str(row.start_date) == "2025-05-20" and row.start_precision == "day"
    assert (row.location, row.parent_slug) == ("Tokyo", "radev-official-visit-to-japan-2025")
    row = one(
        seeded,
        "SELECT entity, role, count, count_qualifier FROM v_event_participants "
        "WHERE entity_slug = 'japanese-companies-at-business-forum'",
    )
    assert (row.role, row.count, row.count_qualifier) == ("attendee", 150, "nearly")


def test_v_relations_names_the_claimant(seeded: Engine) -> None:
    row = one(
        seeded,
        "SELECT subject, predicate, object, value, claimed_by FROM v_relations "
        "WHERE slug = 'bulgaria-most-it-specialists-per-capita'",
    )
    assert tuple(row) == (
        "Bulgaria",
        "ranks_first_in",
        "Europe",
        "number of IT specialists per capita",
        "Rumen Radev",
    )


def test_v_evidence_spans_match_the_text(seeded: Engine) -> None:
    with seeded.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT v.fact_kind, v.fact_slug, v.quote, v.quote_start, v.quote_end, s.text "
                "FROM v_evidence v JOIN sources s ON s.slug = v.source_slug "
                "WHERE v.quote_start IS NOT NULL"
            )
        ).all()
    kinds = {r.fact_kind for r in rows}
    assert kinds == {"entity", "role", "event", "participant", "trade", "relation"}
    for r in rows:
        assert r.text[r.quote_start : r.quote_end] == r.quote
    assert any(
        r.fact_slug == "bulgaria-japan-business-forum-2025/rumen-radev/speaker" for r in rows
    )


def test_the_history_views_give_json_text_on_both_backends(seeded: Engine) -> None:
    import json

    row = one(seeded, "SELECT id, command, files, counts, versions FROM v_changesets")
    assert (row.id, row.command, row.versions) == (1, "factdb seed", 0)
    entities = one(seeded, "SELECT count(*) FROM entities")[0]
    assert json.loads(row.counts)["entities"]["inserted"] == entities
    assert all(len(f["sha256"]) == 64 for f in json.loads(row.files))
    assert one(seeded, "SELECT count(*) FROM v_history")[0] == 0
