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
        # 42 + AloJapan.com, whose byline names the writer of "underlines growing interest"
        assert count(Entity) == 43
        assert count(Role) == 5
        # 13 + BNT's welcome ceremony, no longer filed as the partnership ceremony
        assert count(Event) == 14
        assert count(TradeFlow) == 7
        # 42 - two places the article never locates (residence in Tokyo, Tokyo in Japan)
        # - Toshiba's "interest" (the text says only that Radev met it to discuss investment)
        # + "mainly exports high value-added goods" + RIKEN as "Japan's" agency
        assert count(Relation) == 41
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


def _event(conn: sa.Connection, slug: str) -> sa.Row:  # type: ignore[type-arg]
    return conn.execute(sa.select(Event).where(Event.slug == slug)).one()


def test_audit_nothing_the_sources_do_not_say(seeded: Engine) -> None:
    """Each value the audit found beyond its source is gone or marked inferred."""
    with seeded.connect() as conn:
        relations = set(conn.scalars(sa.select(Relation.slug)))
        assert not {"pm-residence-located-in-tokyo", "tokyo-located-in-japan"} & relations
        assert "toshiba-interested-in-bulgarian-energy" not in relations
        # "no source dates the ceremony"
        ceremony = _event(conn, "strategic-partnership-ceremony")
        assert (ceremony.start_date, ceremony.start_precision) == (None, "unknown")
        # MOFA says "Official Working Visit to Japan"; Novinite gives no place for 2019
        for slug in ("ishiba-radev-summit-meeting-2025", "naruhito-enthronement-2019"):
            assert _event(conn, slug).location_id is None, slug
        insait = conn.execute(sa.select(Entity).where(Entity.slug == "insait")).one()
        assert insait.description is None, "full name and Sofia are not in the article"
        chips = conn.execute(
            sa.select(Entity).where(Entity.slug == "product-electronic-micro-assemblies")
        ).one()
        assert chips.description is None, "the HS note is not in the article"
        # README: "Economy Minister Petar Dilov"
        assert (
            conn.scalar(
                sa.select(Role.title).where(
                    Role.slug == "petar-dilov-minister-of-economy-of-bulgaria"
                )
            )
            == "Economy Minister"
        )
        # README gives neither a status for these rows nor MOFA's date and title
        statuses = dict(
            conn.execute(
                sa.select(TradeFlow.slug, TradeFlow.status).where(
                    TradeFlow.series.in_(
                        [
                            "novinite-bulgaria-japan-trade-2024",
                            "bnr-japanese-business-delegation-2024",
                        ]
                    )
                )
            ).all()
        )
        assert set(map(str, statuses.values())) == {"not_stated"} and len(statuses) == 4
        mofa = conn.execute(
            sa.select(Source).where(Source.slug == "mofa-japan-bulgaria-summit-2025")
        ).one()
        assert (mofa.title, mofa.published_on) == (None, None)
        novinite_titles = conn.scalars(
            sa.select(Source.title).where(Source.publisher == "Novinite", Source.url.is_not(None))
        ).all()
        assert novinite_titles == [None, None], "the two Novinite titles were invented"


def test_audit_fixes_keep_what_the_text_says(seeded: Engine) -> None:
    with seeded.connect() as conn:
        toyota = conn.execute(
            sa.select(Relation).where(Relation.slug == "toyota-funds-insait")
        ).one()
        assert (str(toyota.predicate), toyota.qualifiers) == ("commits_to", {"when": "recent"})
        reading = conn.execute(
            sa.select(Relation.predicate, Entity.slug)
            .join(Entity, Entity.id == Relation.claimed_by_id)
            .where(Relation.slug == "japan-interest-in-bulgarian-tech")
        ).one()
        assert (str(reading.predicate), reading.slug) == ("attracts", "alojapan")
        strong = conn.scalars(
            sa.select(Relation.value).where(Relation.predicate == "invests_in_sector")
        ).all()
        assert strong == ["strong"] * 4
        mainly = conn.execute(
            sa.select(Relation.value, Relation.qualifiers).where(
                Relation.slug == "bulgaria-exports-mainly-high-value-added-goods"
            )
        ).one()
        assert tuple(mainly) == ("high value-added goods", {"share": "mainly"})
        riken = conn.execute(
            sa.select(Relation.predicate, Entity.slug)
            .join(Entity, Entity.id == Relation.object_id)
            .where(Relation.slug == "riken-national-research-agency-of-japan")
        ).one()
        assert (str(riken.predicate), riken.slug) == ("part_of", "japan")


def test_ishiba_presence_is_ambiguous_and_signatories_are_recorded(seeded: Engine) -> None:
    with seeded.connect() as conn:
        rows = conn.execute(
            sa.select(Event.slug, Entity.slug, EventParticipant.role, EventParticipant.inferred)
            .join(Event, Event.id == EventParticipant.event_id)
            .join(Entity, Entity.id == EventParticipant.entity_id)
            .where(Entity.slug.in_(["shigeru-ishiba", "rumen-radev"]))
        ).all()
    ishiba = {
        (event, str(role)): inferred
        for event, who, role, inferred in rows
        if who == "shigeru-ishiba"
    }
    assert ("bulgaria-japan-business-forum-2025", "attendee") not in ishiba
    presence = ishiba[("radev-official-visit-to-japan-2025", "attendee")]
    assert presence is not None and "forum or the ceremony" in presence
    signers = {
        who
        for event, who, role, _ in rows
        if str(role) == "signatory" and event == "strategic-partnership-declaration-signing"
    }
    assert signers == {"shigeru-ishiba", "rumen-radev"}
