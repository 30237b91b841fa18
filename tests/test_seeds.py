"""The founding article's facts, as loaded from the bundled seeds, on both backends."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factdb.models import (
    Entity,
    EntityIdentifier,
    Event,
    EventParticipant,
    Evidence,
    Relation,
    Role,
    Source,
    TradeDerivation,
    TradeFlow,
)
from tests.factfiles_helpers import ARTICLE_SOURCE


def _scalar(engine: Engine, stmt: sa.Select) -> object:  # type: ignore[type-arg]
    with engine.connect() as conn:
        return conn.execute(stmt).scalar_one()


def _entity_id(conn: sa.Connection, slug: str) -> int:
    return conn.execute(sa.select(Entity.id).where(Entity.slug == slug)).scalar_one()


def test_counts_per_kind(seeded: Engine) -> None:
    with seeded.connect() as conn:
        count = lambda model: conn.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        assert count(Source) == 8
        assert count(Entity) == 42
        assert count(Role) == 5
        assert count(Event) == 13
        assert count(TradeFlow) == 7
        assert count(Relation) == 42
        assert count(Evidence) > 150


def test_countries_carry_iso_and_m49_codes(seeded: Engine) -> None:
    with seeded.connect() as conn:
        rows = conn.execute(
            sa.select(Entity.slug, EntityIdentifier.scheme, EntityIdentifier.value)
            .join(EntityIdentifier, EntityIdentifier.entity_id == Entity.id)
            .where(Entity.kind == "country")
        ).all()
    codes = {(slug, str(scheme)): value for slug, scheme, value in rows}
    assert codes[("bulgaria", "m49")] == "100"
    assert codes[("bulgaria", "iso3166_alpha3")] == "BGR"
    assert codes[("japan", "m49")] == "392"
    assert codes[("japan", "iso3166_alpha2")] == "JP"


def test_article_trade_figures_keep_qualifier_and_status(seeded: Engine) -> None:
    with seeded.connect() as conn:
        rows = {
            r.slug: r
            for r in conn.execute(sa.select(TradeFlow).where(TradeFlow.series == ARTICLE_SOURCE))
        }
        total = rows["bg-jp-2024-total-alojapan"]
        assert (total.value, total.value_qualifier, total.status) == (
            Decimal("270000000.00"),
            "about",
            "preliminary",
        )
        exports = rows["bg-jp-2024-exports-alojapan"]
        assert (exports.flow, exports.value, exports.value_qualifier) == (
            "export",
            Decimal("90000000.00"),
            "near",
        )
        imports = rows["bg-jp-2024-imports-derived-alojapan"]
        assert (imports.flow, imports.status, imports.value) == (
            "import",
            "derived",
            Decimal("180000000.00"),
        )
        inputs = dict(
            conn.execute(
                sa.select(TradeDerivation.input_id, TradeDerivation.coefficient).where(
                    TradeDerivation.derived_id == imports.id
                )
            ).all()
        )
        assert inputs == {total.id: 1, exports.id: -1}
        assert (
            conn.scalar(
                sa.select(sa.func.count())
                .select_from(Evidence)
                .where(Evidence.trade_flow_id == imports.id)
            )
            == 0
        ), "the article does not state imports: no quote may claim it does"


def test_two_sources_for_2024_trade_both_kept(seeded: Engine) -> None:
    with seeded.connect() as conn:
        values = conn.execute(
            sa.select(TradeFlow.series, TradeFlow.value, TradeFlow.value_qualifier)
            .where(TradeFlow.year == 2024, TradeFlow.month == 0, TradeFlow.flow == "total")
            .order_by(TradeFlow.value)
        ).all()
    assert [(s, v, str(q)) for s, v, q in values] == [
        ("novinite-bulgaria-japan-trade-2024", Decimal("269500000.00"), "exact"),
        (ARTICLE_SOURCE, Decimal("270000000.00"), "about"),
    ]


def test_half_year_figures(seeded: Engine) -> None:
    with seeded.connect() as conn:
        rows = conn.execute(
            sa.select(TradeFlow.flow, TradeFlow.value).where(
                TradeFlow.month == 1, TradeFlow.months == 6
            )
        ).all()
    assert {str(f): v for f, v in rows} == {
        "total": Decimal("124100000.00"),
        "export": Decimal("37900000.00"),
        "import": Decimal("86200000.00"),
    }


def test_event_dates_keep_their_precision(seeded: Engine) -> None:
    with seeded.connect() as conn:
        events = {
            e.slug: e
            for e in conn.execute(
                sa.select(Event.slug, Event.start_date, Event.start_precision, Event.date_note)
            )
        }
    signing = events["strategic-partnership-declaration-signing"]
    assert (signing.start_date, signing.start_precision) == (dt.date(2025, 5, 20), "day")
    memo = events["insait-riken-memorandum-2023"]
    assert (memo.start_date, memo.start_precision) == (dt.date(2023, 1, 1), "year")
    visit = events["radev-official-visit-to-japan-2025"]
    assert visit.start_precision == "month"
    for slug in (
        "radev-meeting-naruhito-earlier",
        "radev-meeting-abe-earlier",
        "radev-meeting-ishiba-earlier",
    ):
        assert (events[slug].start_date, events[slug].start_precision) == (None, "unknown")
        assert events[slug].date_note == "earlier"
    audience = events["naruhito-receives-radev-2025-05-19"]
    assert audience.start_date == dt.date(2025, 5, 19)


def test_roles_former_is_an_ended_role(seeded: Engine) -> None:
    with seeded.connect() as conn:
        roles = {r.slug: r for r in conn.execute(sa.select(Role))}
    abe = roles["shinzo-abe-prime-minister-of-japan"]
    ishiba = roles["shigeru-ishiba-prime-minister-of-japan"]
    assert abe.title == ishiba.title == "Prime Minister"
    assert abe.valid_to_precision == "unknown", "former: ended, date unknown"
    assert ishiba.valid_to_precision is None, "current: still held"
    assert roles["rumen-radev-president-of-bulgaria"].title == "President"


def test_ishiba_is_one_person_with_two_descriptions(seeded: Engine) -> None:
    with seeded.connect() as conn:
        ishiba = _entity_id(conn, "shigeru-ishiba")
        quotes = set(
            conn.scalars(
                sa.select(Evidence.quote).where(
                    Evidence.entity_id == ishiba, Evidence.field == "description"
                )
            )
        )
        assert (
            conn.scalar(
                sa.select(sa.func.count()).select_from(Entity).where(Entity.name.like("%Ishiba%"))
            )
            == 1
        )
    assert "Shigeru Ishiba, a Japanese official present at the event" in quotes
    assert "current Prime Minister Shigeru Ishiba" in quotes


def test_business_forum_participants(seeded: Engine) -> None:
    with seeded.connect() as conn:
        forum = conn.scalar(
            sa.select(Event.id).where(Event.slug == "bulgaria-japan-business-forum-2025")
        )
        rows = conn.execute(
            sa.select(
                Entity.slug,
                EventParticipant.role,
                EventParticipant.count,
                EventParticipant.count_qualifier,
            )
            .join(Entity, Entity.id == EventParticipant.entity_id)
            .where(EventParticipant.event_id == forum)
        ).all()
    parts = {(slug, str(role)): (count, qualifier) for slug, role, count, qualifier in rows}
    assert parts[("japanese-companies-at-business-forum", "attendee")] == (150, "nearly")
    assert ("bulgarian-embassy-in-japan", "organiser") in parts
    assert ("jetro", "organiser") in parts
    assert ("rumen-radev", "speaker") in parts
    assert ("bulgarian-business-representatives", "attendee") in parts


def test_claims_name_who_made_them(seeded: Engine) -> None:
    with seeded.connect() as conn:
        rows = dict(
            conn.execute(
                sa.select(Relation.slug, Entity.slug).join(
                    Entity, Entity.id == Relation.claimed_by_id
                )
            ).all()
        )
    assert rows["bulgaria-most-it-specialists-per-capita"] == "rumen-radev"
    assert rows["insait-only-ai-institute-in-balkans"] == "rumen-radev"
    assert rows["euro-atlantic-pacific-security-interconnected"] == "shigeru-ishiba"
    assert rows["relations-rest-on-political-will"] == "rumen-radev"


def test_partnership_dated_by_a_corroborating_source(seeded: Engine) -> None:
    with seeded.connect() as conn:
        relation = conn.execute(
            sa.select(Relation).where(Relation.slug == "bulgaria-japan-strategic-partnership")
        ).one()
        sources = set(
            conn.scalars(
                sa.select(Source.slug)
                .join(Evidence, Evidence.source_id == Source.id)
                .where(Evidence.relation_id == relation.id)
            )
        )
    assert (relation.value, relation.valid_from, relation.rank) == (
        "strategic partnership",
        dt.date(2025, 5, 20),
        "preferred",
    )
    assert {
        ARTICLE_SOURCE,
        "mofa-japan-bulgaria-summit-2025",
        "bnt-radev-visit-tokyo-2025-05-20",
    } <= sources


def test_signing_has_evidence_from_several_sources(seeded: Engine) -> None:
    with seeded.connect() as conn:
        rows = conn.execute(
            sa.select(Source.slug, Evidence.field, Evidence.verbatim, Evidence.quote_start)
            .join(Evidence, Evidence.source_id == Source.id)
            .join(Event, Event.id == Evidence.event_id)
            .where(Event.slug == "strategic-partnership-declaration-signing")
        ).all()
    by_source = {slug for slug, *_ in rows}
    assert {
        ARTICLE_SOURCE,
        "mofa-japan-bulgaria-summit-2025",
        "bnt-radev-visit-tokyo-2025-05-20",
    } <= by_source
    located = [start for slug, _, _, start in rows if slug == ARTICLE_SOURCE]
    assert all(start is not None for start in located), "article quotes carry offsets"
    assert any(field == "start" for slug, field, _, _ in rows if slug != ARTICLE_SOURCE)


def test_the_article_reposts_novinite(seeded: Engine) -> None:
    original = sa.orm.aliased(Source)
    reposted = _scalar(
        seeded,
        sa.select(original.slug)
        .join(Source, Source.reposts_id == original.id)
        .where(Source.slug == ARTICLE_SOURCE),
    )
    assert reposted == "novinite-radev-japanese-investments"
