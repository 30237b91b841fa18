"""The one-page answer to "where do two countries stand", every line with numbered sources.

One function per section, each with its pair filter in view; the filters themselves
(which entities, events, relations and claims belong to the pair) live in
``factdb.reports.pair``. A briefing summarises: official statistics appear as the latest
annual totals, each side's largest commodities of its latest year with a count of the rest,
and one line pointing to ``report trade`` and ``report reconcile``, so it stays a page, and
its cost does not grow with the trade table. It must not render anything.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from factdb.errors import InvalidOption
from factdb.models import TOTAL_COMMODITY, Entity, EntityIdentifier, Relation, Role, Source
from factdb.models import TradeFlow as TF
from factdb.reports.claims import RelationRow, relations
from factdb.reports.common import AnySelect, EntityRef, date_label, resolve_entity
from factdb.reports.entity import roles_where
from factdb.reports.pair import Pair
from factdb.reports.timeline import timeline
from factdb.reports.trade import TradeRow, is_stated, trade_query, trade_rows
from factdb.vocabulary import COMTRADE_SERIES as SERIES

SECTIONS = (
    "relationship",
    "people",
    "timeline",
    "trade",
    "export_goods",
    "investment_sectors",
    "cooperation",
    "claims",
)
#: commodity figures the briefing shows for each reporter of the pair; the rest are counted
TOP_COMMODITIES = 5
COOPERATION_EVENTS = ("memorandum", "funding_commitment")
COOPERATION_PREDICATES = ["cooperates_with", "funds"]


@dataclass(frozen=True)
class BriefingLine:
    text: str
    sources: list[int]
    data: dict[str, Any]


@dataclass(frozen=True)
class SourceEntry:
    n: int
    slug: str
    title: str | None
    publisher: str | None
    url: str | None
    published: str


@dataclass
class Briefing:
    country: str
    partner: str
    sections: dict[str, list[BriefingLine]] = field(default_factory=dict)
    sources: list[SourceEntry] = field(default_factory=list)


class _Numbering:
    def __init__(self) -> None:
        self.order: list[str] = []
        self._index: dict[str, int] = {}

    def refs(self, slugs: list[str]) -> list[int]:
        for slug in slugs:
            if slug not in self._index:
                self.order.append(slug)
                self._index[slug] = len(self.order)
        return sorted({self._index[slug] for slug in slugs})


@dataclass(frozen=True)
class _Context:
    conn: Connection
    a: EntityRef
    b: EntityRef
    pair: Pair
    numbering: _Numbering

    def line(self, text: str, sources: list[str], data: dict[str, Any]) -> BriefingLine:
        return BriefingLine(text, self.numbering.refs(sources), data)


def _money(value: Any) -> str:
    return f"{value:,.2f}"


def _relation_text(row: RelationRow) -> str:
    parts = [row.subject, row.predicate.replace("_", " "), row.object, row.value]
    context = f"(in/with {row.context})" if row.context else None
    return " ".join(p for p in [*parts, context] if p)


def relationship(ctx: _Context) -> list[BriefingLine]:
    """The level of the relationship: partnership relations between exactly the two."""
    a, b = ctx.a.id, ctx.b.id
    between = sa.select(Relation.id).where(
        sa.or_(
            sa.and_(Relation.subject_id == a, Relation.object_id == b),
            sa.and_(Relation.subject_id == b, Relation.object_id == a),
        )
    )
    out = []
    for row in relations(ctx.conn, predicates=["partnership"], within=between):
        since = f" since {row.valid_from}" if row.valid_from != "undated" else ""
        until = f" until {row.valid_to}" if row.valid_to else ""
        data = {"level": row.value, "since": row.valid_from, "until": row.valid_to}
        out.append(
            ctx.line(
                f"{row.value}{since}{until} ({row.rank})", row.sources, data | {"rank": row.rank}
            )
        )
    return out


def people(ctx: _Context) -> list[BriefingLine]:
    """Roles, in either country or a body tied to it, of people who take part in the pair's
    events, relations or claims. A role still held reads "as of" its newest source's date."""
    sides = sa.union(ctx.pair.side("a"), ctx.pair.side("b")).subquery()
    condition = sa.and_(
        Role.person_id.in_(ctx.pair.people()),
        Role.organisation_id.in_(sa.select(sides.c.id)),
    )
    out = []
    for role in roles_where(ctx.conn, condition):
        state = f"as of {role.as_of}" if role.current else f"former (ended {role.valid_to})"
        out.append(
            ctx.line(
                f"{role.person}: {role.title} of {role.organisation}, {state}",
                role.sources,
                {
                    "person": role.person,
                    "title": role.title,
                    "of": role.organisation,
                    "current": role.current,
                    "as_of": role.as_of,
                },
            )
        )
    return out


def events(ctx: _Context) -> list[BriefingLine]:
    """Events with both sides among their participants or place, and the events inside them."""
    return [
        ctx.line(
            f"{dated.when}: {dated.title}",
            dated.sources,
            {
                "when": dated.when,
                "date": dated.date.isoformat() if dated.date else None,
                "precision": dated.precision,
                "event": dated.slug,
                "kind": dated.kind,
            },
        )
        for dated in timeline(ctx.conn, within=ctx.pair.events())
    ]


def _trade_line(ctx: _Context, figure: TradeRow, official: bool) -> BriefingLine:
    qualifier = "" if figure.qualifier == "exact" else f"{figure.qualifier} "
    derived = f"; derived: {figure.method}" if figure.derived else ""
    kind = "official, " if official else ""
    goods = figure.commodity.split(" ", 1)[0]
    what = "" if goods == TOTAL_COMMODITY else f" in {figure.commodity}"
    return ctx.line(
        f"{figure.period} {figure.reporter} {figure.flow} with {figure.partner}{what}: "
        f"{qualifier}{_money(figure.value)} {figure.currency} ({kind}{figure.status}{derived})",
        figure.sources,
        {
            "period": figure.period,
            "reporter": figure.reporter,
            "partner": figure.partner,
            "flow": figure.flow,
            "commodity": goods,
            "value": str(figure.value),
            "currency": figure.currency,
            "qualifier": figure.qualifier,
            "status": figure.status,
            "derived": figure.derived,
            "series": figure.series,
            "official": official,
        },
    )


def trade(ctx: _Context) -> list[BriefingLine]:
    """Figures sources state, either direction; of official statistics a summary that stays
    a few lines at any size: the latest annual total of each reporter and flow, each
    reporter's largest commodities in its latest year with a count of the rest, and one line
    pointing to the full reports. Every query leads with (reporter, partner): the index of
    stated figures or the natural key's."""
    conn, a, b = ctx.conn, ctx.a, ctx.b
    t = TF.__table__
    query = trade_query(conn, a.slug, b.slug)
    stated = trade_rows(conn, query.where(is_stated(t.c.series)))
    latest = aliased(TF)
    newest_year = (
        sa.select(sa.func.max(latest.year))
        .where(
            latest.reporter_id == t.c.reporter_id,
            latest.partner_id == t.c.partner_id,
            latest.flow == t.c.flow,
            latest.series == SERIES,
            latest.month == 0,
            latest.commodity_code == TOTAL_COMMODITY,
        )
        .scalar_subquery()
    )
    totals = trade_rows(
        conn,
        query.where(
            t.c.series == SERIES,
            t.c.month == 0,
            t.c.commodity_code == TOTAL_COMMODITY,
            t.c.year == newest_year,
        ),
    )
    out = [_trade_line(ctx, f, official=True) for f in totals]
    out = [_trade_line(ctx, f, official=False) for f in stated] + out
    shown = list(totals)
    for reporter, partner in ((a, b), (b, a)):
        top, more = _top_commodities(conn, query, reporter, partner)
        shown += top
        out += [_trade_line(ctx, f, official=True) for f in top]
        if more:
            year = top[0].year
            command = (
                f"factdb report trade --reporter {reporter.slug} --partner {partner.slug} "
                f"--year {year}"
            )
            out.append(
                ctx.line(
                    f"{more:,} more commodities {reporter.name} filed with {partner.name} "
                    f"for {year}: see `{command}`",
                    sorted({s for f in top for s in f.sources}),
                    {"more_commodities": more, "reporter": reporter.name, "year": year},
                )
            )
    pair = sa.or_(
        sa.and_(TF.reporter_id == a.id, TF.partner_id == b.id),
        sa.and_(TF.reporter_id == b.id, TF.partner_id == a.id),
    )
    count = conn.scalar(sa.select(sa.func.count()).where(pair, TF.series == SERIES)) or 0
    if count > len(shown):
        commands = [
            f"factdb report trade --reporter {a.slug} --partner {b.slug}",
            f"factdb report reconcile --reporter {a.slug} --partner {b.slug}",
        ]
        out.append(
            ctx.line(
                f"{count:,} official figures in all (months, commodities, earlier years): "
                f"see `{commands[0]}` and `{commands[1]}`",
                # the sources of the figures shown: listing every source of the pair's rows
                # would read them all
                sorted({s for f in shown for s in f.sources}),
                {"official_rows": count, "see": commands},
            )
        )
    return out


def _top_commodities(
    conn: Connection, query: AnySelect, reporter: EntityRef, partner: EntityRef
) -> tuple[list[TradeRow], int]:
    """The reporter's TOP_COMMODITIES largest annual commodity figures with the partner, in
    the latest year it filed any, and how many more it filed that year. Reads that one year's
    rows of the pair, through the natural key (reporter, partner, year)."""
    t = TF.__table__
    annual = sa.and_(
        t.c.reporter_id == reporter.id,
        t.c.partner_id == partner.id,
        t.c.series == SERIES,
        t.c.month == 0,
        t.c.months == 12,
    )
    year = conn.scalar(sa.select(t.c.year).where(annual).order_by(t.c.year.desc()).limit(1))
    if year is None:
        return [], 0
    goods = sa.and_(annual, t.c.year == year, t.c.commodity_code != TOTAL_COMMODITY)
    largest = (
        sa.select(t.c.id)
        .where(goods)
        .order_by(t.c.value.desc(), t.c.commodity_code)
        .limit(TOP_COMMODITIES)
    )
    top = trade_rows(conn, query.where(t.c.id.in_(largest)))
    top.sort(key=lambda f: (-f.value, f.commodity))
    count = conn.scalar(sa.select(sa.func.count()).select_from(t).where(goods)) or 0
    return top, count - len(top)


def _directed(
    ctx: _Context, predicate: str, make: Callable[[RelationRow, str], BriefingLine]
) -> list[BriefingLine]:
    """Relations of ``predicate`` from an entity tied to one side, in the context of the other
    ("Bulgaria exports integrated circuits to Japan"), both ways."""
    out = []
    for source, target in (("a", "b"), ("b", "a")):
        within = sa.select(Relation.id).where(
            Relation.subject_id.in_(ctx.pair.side(source)),
            Relation.context_id.in_(ctx.pair.side(target)),
            Relation.object_id.is_not(None),
            Relation.claimed_by_id.is_(None),
        )
        for row in relations(ctx.conn, predicates=[predicate], within=within):
            out.append(make(row, target))
    return out


def export_goods(ctx: _Context) -> list[BriefingLine]:
    hs = dict(
        ctx.conn.execute(
            sa.select(Entity.name, EntityIdentifier.value)
            .join(EntityIdentifier, EntityIdentifier.entity_id == Entity.id)
            .where(EntityIdentifier.scheme == "hs")
        ).all()
    )

    def make(row: RelationRow, _: str) -> BriefingLine:
        product = row.object or ""
        code = f" (HS {hs[product]})" if product in hs else ""
        return ctx.line(
            f"{product}{code}: {row.subject} to {row.context}",
            row.sources,
            {"product": product, "hs": hs.get(product), "exporter": row.subject, "to": row.context},
        )

    return _directed(ctx, "exports_product", make)


def investment_sectors(ctx: _Context) -> list[BriefingLine]:
    def make(row: RelationRow, _: str) -> BriefingLine:
        return ctx.line(
            f"{row.object}: {row.subject} in {row.context}",
            row.sources,
            {"sector": row.object, "investor": row.subject, "in": row.context},
        )

    return _directed(ctx, "invests_in_sector", make)


def cooperation(ctx: _Context) -> list[BriefingLine]:
    """Memoranda and funding commitments among the pair's events; cooperates_with and funds
    relations that touch both sides."""
    out = [
        ctx.line(
            f"{event.when}: {event.title}",
            event.sources,
            {
                "when": event.when,
                "event": event.slug,
                "kind": event.kind,
                "participants": event.participants,
            },
        )
        for event in timeline(ctx.conn, within=ctx.pair.events())
        if event.kind in COOPERATION_EVENTS
    ]
    for row in relations(ctx.conn, predicates=COOPERATION_PREDICATES, within=ctx.pair.relations()):
        out.append(
            ctx.line(
                _relation_text(row), row.sources, {"relation": row.slug, "predicate": row.predicate}
            )
        )
    return out


def claims(ctx: _Context) -> list[BriefingLine]:
    """Claims by anyone tied to either side (people, government bodies, press services)
    that, with their claimant, touch both sides."""
    return [
        ctx.line(
            f"{row.claimed_by}: {_relation_text(row)}",
            row.sources,
            {"claimed_by": row.claimed_by, "relation": row.slug},
        )
        for row in relations(ctx.conn, claims_only=True, within=ctx.pair.claims())
    ]


BUILDERS: dict[str, Callable[[_Context], list[BriefingLine]]] = {
    "relationship": relationship,
    "people": people,
    "timeline": events,
    "trade": trade,
    "export_goods": export_goods,
    "investment_sectors": investment_sectors,
    "cooperation": cooperation,
    "claims": claims,
}


def _sources(conn: Connection, order: list[str]) -> list[SourceEntry]:
    if not order:
        return []
    # one parameter per cited source (a handful), never per fact
    info = {
        s.slug: s
        for s in conn.execute(
            sa.select(
                Source.slug,
                Source.title,
                Source.publisher,
                Source.url,
                Source.published_on,
                Source.published_precision,
            ).where(Source.slug.in_(order))
        )
    }
    return [
        SourceEntry(
            n,
            slug,
            info[slug].title,
            info[slug].publisher,
            info[slug].url,
            date_label(info[slug].published_on, info[slug].published_precision),
        )
        for n, slug in enumerate(order, start=1)
    ]


def briefing(conn: Connection, country: str = "bulgaria", partner: str = "japan") -> Briefing:
    a, b = resolve_entity(conn, country), resolve_entity(conn, partner)
    if a.id == b.id:
        raise InvalidOption(
            f"{country!r} and {partner!r} are both {a.name}: name two different countries"
        )
    ctx = _Context(conn, a, b, Pair(a.id, b.id), _Numbering())
    out = Briefing(a.name, b.name)
    out.sections = {name: BUILDERS[name](ctx) for name in SECTIONS}
    out.sources = _sources(conn, ctx.numbering.order)
    return out
