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
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.errors import InvalidOption
from factdb.models import tables
from factdb.reports.claims import RelationRow, relations
from factdb.reports.common import (
    AnySelect,
    CoreTable,
    EntityRef,
    date_label,
    inferred_label,
    resolve_entity,
)
from factdb.reports.entity import roles_where
from factdb.reports.pair import Pair
from factdb.reports.statements import (
    Figure,
    QuantityRow,
    derivations,
    disagreements,
    documents,
    figures,
    implied_range,
    inherited_status,
    quantities,
    within_rounding,
)
from factdb.reports.timeline import TimelineRow, timeline
from factdb.reports.trade import TradeRow, is_stated, trade_query, trade_rows
from factdb.vocabulary import COMTRADE_SERIES as SERIES
from factdb.vocabulary import TOTAL_COMMODITY

Entity = CoreTable(tables.entities)
EntityIdentifier = CoreTable(tables.entity_identifiers)
Event = CoreTable(tables.events)
Relation = CoreTable(tables.relations)
Role = CoreTable(tables.roles)
Source = CoreTable(tables.sources)
TF = CoreTable(tables.trade_flows)

SECTIONS = (
    "relationship",
    "people",
    "timeline",
    "planned_events",
    "event_statements",
    "trade",
    "targets",
    "derived_figures",
    "disagreements",
    "figures",
    "export_goods",
    "investment_sectors",
    "cooperation",
    "documents",
    "claims",
)
#: commodity figures the briefing shows for each reporter of the pair; the rest are counted
TOP_COMMODITIES = 5
COOPERATION_EVENTS = ("memorandum", "funding_commitment")
#: "commits_to": a commitment to fund is cooperation, not yet funding
COOPERATION_PREDICATES = ["cooperates_with", "funds", "commits_to"]


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
    _figures: dict[bool, list[Figure]] = field(default_factory=dict)
    _events: dict[str, list[TimelineRow]] = field(default_factory=dict)
    _directed: dict[str, list[tuple[str, str, RelationRow]]] = field(default_factory=dict)

    def figures(self, official: bool = False) -> list[Figure]:
        """The pair's trade figures (``statements.figures``), read once for every section."""
        if official not in self._figures:
            self._figures[official] = figures(self.conn, self.a.id, self.b.id, official=official)
        return list(self._figures[official])

    def events(self) -> list[TimelineRow]:
        """The pair's events on the timeline, read once for the sections that show them."""
        if "pair" not in self._events:
            self._events["pair"] = timeline(self.conn, within=self.pair.events())
        return list(self._events["pair"])

    def directed(self) -> list[tuple[str, str, RelationRow]]:
        """(side, target side, relation) of every DIRECTED predicate, read in one statement
        for both predicates and both directions (``_directed``), in ``relations`` order."""
        if "all" not in self._directed:
            self._directed["all"] = _read_directed(self)
        return list(self._directed["all"])

    def line(
        self, text: str, sources: list[str], data: dict[str, Any], inferred: str | None = None
    ) -> BriefingLine:
        """A line; one that needs an inference says so in its text and its data."""
        if inferred:
            text, data = text + inferred_label(inferred), data | {"inferred": inferred}
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
                f"{row.value}{since}{until} ({row.rank})",
                row.sources,
                data | {"rank": row.rank},
                row.inferred,
            )
        )
    return out


def people(ctx: _Context) -> list[BriefingLine]:
    """Roles, in either country or a body tied to it, of people who take part in the pair's
    events, relations or claims. A role still held reads "as of" its newest source's date."""
    condition = sa.and_(
        Role.person_id.in_(ctx.pair.people()),
        Role.organisation_id.in_(ctx.pair.sides()),
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
                role.inferred,
            )
        )
    return out


def events(ctx: _Context) -> list[BriefingLine]:
    """Events with both sides among their participants or place, and the events inside them."""
    return [
        ctx.line(
            f"{dated.when}: {dated.title}"
            + ("" if dated.status == "held" else f" ({dated.status})"),
            dated.sources,
            {
                "when": dated.when,
                "date": dated.date.isoformat() if dated.date else None,
                "precision": dated.precision,
                "event": dated.slug,
                "kind": dated.kind,
                "status": dated.status,
            },
            dated.inferred,
        )
        for dated in ctx.events()
    ]


def _trade_line(ctx: _Context, figure: TradeRow, official: bool) -> BriefingLine:
    derived = f"; derived: {figure.method}" if figure.derived else ""
    kind = "official, " if official else ""
    goods = figure.commodity.split(" ", 1)[0]
    what = "" if goods == TOTAL_COMMODITY else f" in {figure.commodity}"
    target = "" if figure.kind == "actual" else f"{figure.kind} "
    return ctx.line(
        f"{target}{figure.period} {figure.reporter} {figure.flow} with {figure.partner}{what}: "
        f"{amount_text(figure.value, figure.currency, figure.qualifier)} "
        f"({kind}{figure.status}{derived})",
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
        figure.inferred,
    )


def trade(ctx: _Context) -> list[BriefingLine]:
    """Figures sources state, either direction; of official statistics a summary that stays
    a few lines at any size: the latest annual total of each reporter and flow, each
    reporter's largest commodities in its latest year with a count of the rest, and one line
    pointing to the full reports. Every query leads with (reporter, partner): the index of
    stated figures or the natural key's."""
    conn, a, b = ctx.conn, ctx.a, ctx.b
    t = TF.table
    query = trade_query(conn, a, b)
    stated = trade_rows(conn, query.where(is_stated(t.c.series)))
    latest = TF.alias()
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
    t = TF.table
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


#: relations from an entity tied to one side in the context of the other, by section
DIRECTED = ("exports_product", "invests_in_sector")


def _read_directed(ctx: _Context) -> list[tuple[str, str, RelationRow]]:
    """Relations of a DIRECTED predicate from an entity tied to one side, in the context of
    the other ("Bulgaria exports integrated circuits to Japan"), both ways: which way each
    goes, then the relations themselves, each in one statement for every such section."""
    ways = [
        sa.select(Relation.id, Relation.slug, sa.literal(source).label("way")).where(
            Relation.predicate.in_(DIRECTED),
            Relation.subject_id.in_(ctx.pair.side(source)),
            Relation.context_id.in_(ctx.pair.side(target)),
            Relation.object_id.is_not(None),
            Relation.claimed_by_id.is_(None),
        )
        for source, target in (("a", "b"), ("b", "a"))
    ]
    found: dict[str, set[str]] = {}
    for _, slug, way in ctx.conn.execute(sa.union_all(*ways)):
        found.setdefault(slug, set()).add(way)
    if not found:
        return []
    within = sa.select(sa.union_all(*ways).subquery().c.id)
    rows = relations(ctx.conn, predicates=list(DIRECTED), within=within)
    return [
        (source, target, row)
        for source, target in (("a", "b"), ("b", "a"))
        for row in rows
        if source in found.get(row.slug, ())
    ]


def _directed(
    ctx: _Context, predicate: str, make: Callable[[RelationRow, str], BriefingLine]
) -> list[BriefingLine]:
    """Relations of ``predicate`` from an entity tied to one side, in the context of the other
    ("Bulgaria exports integrated circuits to Japan"), both ways."""
    return [make(row, target) for _, target, row in ctx.directed() if row.predicate == predicate]


def export_goods(ctx: _Context) -> list[BriefingLine]:
    hs: dict[str, str] = dict(
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
            row.inferred,
        )

    return _directed(ctx, "exports_product", make)


def investment_sectors(ctx: _Context) -> list[BriefingLine]:
    def make(row: RelationRow, _: str) -> BriefingLine:
        how = f" ({row.value})" if row.value else ""  # "strong", as the source says
        return ctx.line(
            f"{row.object}: {row.subject} in {row.context}{how}",
            row.sources,
            {"sector": row.object, "investor": row.subject, "in": row.context},
            row.inferred,
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
            event.inferred,
        )
        for event in ctx.events()
        if event.kind in COOPERATION_EVENTS
    ]
    for row in relations(ctx.conn, predicates=COOPERATION_PREDICATES, within=ctx.pair.relations()):
        out.append(
            ctx.line(
                _relation_text(row),
                row.sources,
                {"relation": row.slug, "predicate": row.predicate},
                row.inferred,
            )
        )
    return out


def claims(ctx: _Context) -> list[BriefingLine]:
    """Claims by anyone tied to either side (people, government bodies, press services)
    that, with their claimant, touch both sides."""
    return [
        ctx.line(
            f"{row.claimed_by} says {sentence(row)}",
            row.sources,
            {"claimed_by": row.claimed_by, "relation": row.slug},
            row.inferred,
        )
        for row in relations(ctx.conn, claims_only=True, within=ctx.pair.claims())
    ]


# --- statements: helpers ------------------------------------------------------------------------

#: how a relation reads as a sentence: segments after the subject, each dropped when a value it
#: names ({o} object, {v} value, {c} context) is missing; an unused context is added at the end
PHRASES: dict[str, tuple[str, ...]] = {
    "partnership": ("is in a {v}", " with {o}"),
    "located_in": ("is located in {o}",),
    "part_of": ("is part of {o}",),
    "member_of": ("is a member of {o}",),
    "represents": ("represents {o}",),
    "exports_product": ("exports {o}", " to {c}"),
    "invests_in_sector": ("invests in {o}", " in {c}"),
    "interested_in_investing_in": ("is interested in investing in {o}", " in {c}"),
    "cooperates_with": ("cooperates with {o}", " on {v}"),
    "funds": ("funds {o}", ": {v}"),
    "focuses_on": ("focuses on", " {o}", " {v}"),
    "has_strength": ("has a strength", " in {o}", ": {v}"),
    "ranks_first_in": ("ranks first", " in {o}", " in {v}"),
    "only_one_in": ("is the only", " {v}", " in {o}"),
    "shares_values_with": ("shares", " {v}", " with {o}"),
    "security_interconnected_with": ("is interconnected in security with {o}", ": {v}"),
    "relations_rest_on": ("has relations", " with {o}", " that rest on {v}"),
    "commits_to": ("commits to", " {o}", " {v}"),
    "example_for": ("is an example for {o}", ": {v}"),
    "values": ("values", " {o}", ": {v}"),
    "attracts": ("attracts", " {o}", " {v}"),
    "history_of_cooperation_with": ("has a history of cooperation", " with {o}", ": {v}"),
    "goal_of": ("has a goal", " with {o}", ": {v}"),
    "plans": ("plans", " {o}", " {v}"),
    "encourages": ("encourages", " {o}", " {v}"),
    "met_before": ("met {o} before",),
    "confirms": ("confirms", " {o}", " {v}"),
}


def sentence(row: RelationRow) -> str:
    """A relation as a reader says it: "Bulgaria ranks first in Europe in IT specialists"."""
    values = {"o": row.object, "v": row.value, "c": row.context}
    segments = PHRASES.get(row.predicate, (row.predicate.replace("_", " "), " {o}", " {v}"))
    used: set[str] = set()
    words = ""
    for segment in segments:
        names = [name for name in values if "{" + name + "}" in segment]
        if any(values[name] is None for name in names):
            continue
        used.update(names)
        words += segment.format(**{k: v or "" for k, v in values.items()})
    if row.context and "c" not in used:
        words += f" (as regards {row.context})"
    return f"{row.subject} {words}"


QUALIFIER_WORDS = {
    "exact": "",
    "about": "about",
    "near": "near",
    "nearly": "nearly",
    "over": "more than",
    "under": "less than",
    "at_least": "at least",
    "at_most": "up to",
}
_SCALES = (
    (Decimal(10) ** 9, "billion"),
    (Decimal(10) ** 6, "million"),
    (Decimal(10) ** 3, "thousand"),
)


def plain_number(value: Decimal) -> str:
    """A number without trailing zeros or exponent: 40, 2.5, 1.5."""
    text = format(value.normalize(), "f")
    return text


def amount_text(value: Decimal, currency: str, qualifier: str = "exact") -> str:
    """Money as a reader says it: exact to the cent, an approximate figure in words and
    without cents ("about 270 million USD", "about 1.5 billion USD")."""
    words = QUALIFIER_WORDS.get(qualifier, qualifier)
    if qualifier == "exact":
        return f"{value:,.2f} {currency}"
    for scale, name in _SCALES:
        if abs(value) >= scale:
            return f"{words} {plain_number(value / scale)} {name} {currency}".strip()
    return f"{words} {plain_number(value)} {currency}".strip()


def ordinal(number: int) -> str:
    suffix = (
        "th" if 10 <= number % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    )
    return f"{number}{suffix}"


def _figure_data(figure: Figure) -> dict[str, Any]:
    return {
        "trade": figure.slug,
        "period": figure.period,
        "reporter": figure.reporter,
        "partner": figure.partner,
        "flow": figure.flow,
        "value": str(figure.value),
        "currency": figure.currency,
        "qualifier": figure.qualifier,
        "status": figure.status,
        "kind": figure.kind,
        "stated_by": figure.stated_by,
        "series": figure.series,
    }


def _refs(numbers: list[int]) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _what(figure: Figure) -> str:
    return f"{figure.reporter} {figure.flow} with {figure.partner}"


# --- statements: sections ---------------------------------------------------------------------


def planned_events(ctx: _Context) -> list[BriefingLine]:
    """The pair's events that did not (yet) take place: planned, announced, postponed,
    cancelled. Read with the timeline's (``_Context.events``)."""
    return [
        ctx.line(
            f"{event.when}: {event.title} ({event.status})",
            event.sources,
            {
                "when": event.when,
                "event": event.slug,
                "kind": event.kind,
                "status": event.status,
            },
        )
        for event in ctx.events()
        if event.status != "held"
    ]


def event_statements(ctx: _Context) -> list[BriefingLine]:
    """What sources say about the pair's events: "the talks confirmed mutual interest"."""
    within = ctx.pair.event_statements()
    about = {
        slug: (title, qualifiers or {})
        for slug, title, qualifiers in ctx.conn.execute(
            sa.select(Relation.slug, Event.title, Relation.qualifiers)
            .join(Event, Event.id == Relation.event_id)
            .where(Relation.id.in_(within))
        )
    }
    out = []
    for row in relations(ctx.conn, within=within):
        title, qualifiers = about[row.slug]
        held = ", ".join(f"{k}: {v}" for k, v in sorted(qualifiers.items()))
        out.append(
            ctx.line(
                f"{title}{f' ({held})' if held else ''}: {sentence(row)}",
                row.sources,
                {"event": title, "relation": row.slug, "qualifiers": qualifiers},
            )
        )
    return out


def targets(ctx: _Context) -> list[BriefingLine]:
    """Trade targets, forecasts and commitments beside the actual figure for the same flow:
    of the same year where there is one, else the newest, stated or official."""
    stated = ctx.figures()
    actual = [f for f in stated if f.kind == "actual"]
    actual += ctx.figures(official=True)
    out = []
    for goal in (f for f in stated if f.kind != "actual"):

        def same_flow(f: Figure, goal: Figure = goal) -> bool:
            ours = (f.reporter_id, f.partner_id) == (goal.reporter_id, goal.partner_id)
            mirrored = goal.flow == "total" and (f.reporter_id, f.partner_id) == (
                goal.partner_id,
                goal.reporter_id,
            )
            return (
                (ours or mirrored)
                and f.flow == goal.flow
                and f.commodity == goal.commodity
                and (f.month, f.months) == (goal.month, goal.months)
                and f.currency == goal.currency
                and f.year is not None
            )

        candidates = [f for f in actual if same_flow(f)]
        same_year = [f for f in candidates if f.year == goal.year]
        pool = same_year or candidates
        # the newest year; within it an official or exact figure before a rounded one
        best = max(
            pool,
            key=lambda f: (f.year or 0, f.series == "comtrade", f.qualifier == "exact"),
            default=None,
        )
        by = f"; stated by {goal.stated_by}" if goal.stated_by else ""
        at = f"; agreed at {goal.event}" if goal.event else ""
        text = (
            f"{goal.kind} ({goal.period if goal.year else 'no year given'}) {_what(goal)}: "
            f"{amount_text(goal.value, goal.currency, goal.qualifier)}{by}{at}"
        )
        data = _figure_data(goal)
        sources = list(goal.sources)
        if best is None:
            text += "; no actual figure stated"
            data["actual"] = None
        else:
            share = (best.value / goal.value * 100).quantize(Decimal("0.1")) if goal.value else None
            text += (
                f"; actual {best.period}: {amount_text(best.value, best.currency, best.qualifier)}"
                f" ({best.status}){f', {share}% of the {goal.kind}' if share is not None else ''}"
            )
            data["actual"] = _figure_data(best)
            data["percent_of_target"] = None if share is None else str(share)
            sources += best.sources
        out.append(ctx.line(text, sources, data))
    return out


def derived_figures(ctx: _Context) -> list[BriefingLine]:
    """Each derived trade figure with its inputs; it is as final as they are."""
    stated = ctx.figures()
    by_id = {f.id: f for f in stated}
    derived = [f for f in stated if f.status == "derived"]
    inputs = derivations(ctx.conn, [f.id for f in derived])
    out = []
    for figure in derived:
        parts, data_inputs, sources = [], [], list(figure.sources)
        for coefficient, input_id in inputs[figure.id]:
            part = by_id.get(input_id)
            if part is None:
                continue
            sign = "+" if coefficient > 0 else "−"
            parts.append(
                f"{sign} {part.flow} {amount_text(part.value, part.currency, part.qualifier)} "
                f"({part.status})"
            )
            data_inputs.append(
                {
                    "trade": part.slug,
                    "coefficient": coefficient,
                    "value": str(part.value),
                    "status": part.status,
                }
            )
            sources += part.sources
        status = inherited_status(figure.id, by_id, inputs)
        formula = " ".join(parts).removeprefix("+ ")
        out.append(
            ctx.line(
                f"{figure.period} {_what(figure)}: "
                f"{amount_text(figure.value, figure.currency, figure.qualifier)} = {formula}; "
                f"{status}, as its inputs ({figure.method})",
                sources,
                {
                    **_figure_data(figure),
                    "inputs": data_inputs,
                    "status": status,
                    "method": figure.method,
                },
            )
        )
    return out


def disagreements_section(ctx: _Context) -> list[BriefingLine]:
    """Two sources stating different figures for the same thing, in one line each: both
    values and sources, the difference, and whether the qualifiers' rounding covers it."""
    out = []
    for first, second in disagreements(ctx.figures()):
        n_first = ctx.numbering.refs(first.sources[:1])
        n_second = ctx.numbering.refs(second.sources[:1])
        difference = abs(first.value - second.value)
        within = within_rounding(first, second)
        approximate = [f for f in (first, second) if f.qualifier != "exact"]
        if approximate:
            rounded = approximate[0]
            stated = amount_text(rounded.value, rounded.currency, rounded.qualifier)
            low, high = implied_range(rounded.value, rounded.qualifier)
            bounds = " to ".join(
                "any" if bound is None else amount_text(bound, rounded.currency, "about")[6:]
                for bound in (low, high)
            )
            why = f'the rounding of "{stated}" ({bounds})'
        else:
            why = "the rounding of exact figures (none)"
        out.append(
            ctx.line(
                f"{first.period} {_what(first)}: sources differ: "
                f"{amount_text(first.value, first.currency, first.qualifier)} {_refs(n_first)} vs "
                f"{amount_text(second.value, second.currency, second.qualifier)} "
                f"{_refs(n_second)}; difference {difference:,.2f} {first.currency}, "
                f"{'within' if within else 'beyond'} {why}",
                first.sources + second.sources,
                {
                    "period": first.period,
                    "flow": first.flow,
                    "first": _figure_data(first),
                    "second": _figure_data(second),
                    "difference": str(difference),
                    "within_rounding": within,
                },
            )
        )
    return out


def _quantity_text(q: QuantityRow) -> str:
    """A quantity as a sentence, by its unit and kind."""
    words = QUALIFIER_WORDS.get(q.qualifier, q.qualifier)
    qualifier = f"{words} " if words else ""
    whole = int(q.value) if q.value == q.value.to_integral_value() else None
    partner = f" ({q.partner})" if q.partner else ""
    when = f" in {q.date}" if q.date != "undated" else ""
    if q.since:
        when += f" {'on' if q.measure == 'percent' else 'since'} {q.since}"
    when += f" {q.date_note}" if q.date_note else ""
    if q.measure == "money":
        text = (
            f"{q.subject} {q.kind}: {q.metric}{partner}: "
            f"{amount_text(q.value, q.currency or '', q.qualifier)}{when}"
        )
    elif q.measure == "rank":
        text = f"{q.subject} is the {qualifier}{ordinal(whole or 0)} {q.metric}{partner}{when}"
    elif q.measure == "ordinal":
        text = f"the {ordinal(whole or 0)} {q.metric}{partner}{when}"
    elif q.measure == "count":
        text = f"{q.subject}: {qualifier}{plain_number(q.value)} {q.metric}{partner}{when}"
    elif q.kind == "change" and q.measure == "percent":
        direction = "up" if q.value >= 0 else "down"
        text = (
            f"{q.subject} {q.metric}{partner}: {direction} {qualifier}"
            f"{plain_number(abs(q.value))}%{when}"
        )
    elif q.kind == "change" and q.measure == "times":
        grew = "doubled" if q.value == 2 else f"grew {qualifier}{plain_number(q.value)} times"
        text = f"{q.subject} {q.metric}{partner}: {grew}{when}"
    else:
        unit = "%" if q.measure == "percent" else " times"
        number = f"{qualifier}{plain_number(q.value)}{unit}"
        text = f"{q.subject} {q.kind} {q.metric}{partner}: {number}{when}"
    if q.kind in ("target", "forecast", "commitment") and q.measure != "money":
        text = f"{q.kind}: {text}"
    extras = [f"{k}: {v}" for k, v in sorted(q.qualifiers.items())]
    extras += [q.note] if q.note else []
    extras += [f"stated by {q.stated_by}"] if q.stated_by else []
    extras += [f"at {q.event}"] if q.event else []
    return text + (f" ({'; '.join(extras)})" if extras else "")


def figures_section(ctx: _Context) -> list[BriefingLine]:
    """Growth, ratios, counts, ranks, ordinals and commitments stated about the pair."""
    return [
        ctx.line(
            _quantity_text(q),
            q.sources,
            {
                "quantity": q.slug,
                "subject": q.subject,
                "partner": q.partner,
                "metric": q.metric,
                "kind": q.kind,
                "measure": q.measure,
                "value": plain_number(q.value),
                "currency": q.currency,
                "qualifier": q.qualifier,
                "date": q.date,
                "since": q.since,
                "stated_by": q.stated_by,
                "qualifiers": q.qualifiers,
            },
        )
        for q in quantities(ctx.conn, within=ctx.pair.quantities())
    ]


def documents_section(ctx: _Context) -> list[BriefingLine]:
    """Agreements and other documents signed between the two, with who signed them."""
    out = []
    for d in documents(ctx.conn, within=ctx.pair.documents()):
        if d.title is not None:
            text = f"{d.signed}: {d.title} ({d.kind.replace('_', ' ')})"
        else:
            qualifier = QUALIFIER_WORDS.get(d.count_qualifier or "exact", "")
            text = f"{d.signed}: {f'{qualifier} ' if qualifier else ''}{d.count} documents"
        if d.signatories:
            text += f", signed by {' and '.join(d.signatories)}"
        else:
            text += " signed"
        if d.parties:
            text += f"; parties: {', '.join(d.parties)}"
        if d.event:
            text += f" (at {d.event})"
        out.append(
            ctx.line(
                text,
                d.sources,
                {
                    "document": d.slug,
                    "kind": d.kind,
                    "title": d.title,
                    "count": d.count,
                    "signed": d.signed,
                    "signatories": d.signatories,
                    "parties": d.parties,
                    "event": d.event,
                },
            )
        )
    return out


BUILDERS: dict[str, Callable[[_Context], list[BriefingLine]]] = {
    "relationship": relationship,
    "people": people,
    "timeline": events,
    "trade": trade,
    "export_goods": export_goods,
    "investment_sectors": investment_sectors,
    "cooperation": cooperation,
    "claims": claims,
    "planned_events": planned_events,
    "event_statements": event_statements,
    "targets": targets,
    "derived_figures": derived_figures,
    "disagreements": disagreements_section,
    "figures": figures_section,
    "documents": documents_section,
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
    ctx = _Context(conn, a, b, Pair(a.id, b.id, conn.dialect), _Numbering())
    out = Briefing(a.name, b.name)
    out.sections = {name: BUILDERS[name](ctx) for name in SECTIONS}
    out.sources = _sources(conn, ctx.numbering.order)
    return out
