"""Statements beyond events and relations: quantities (growth, ratios, counts, ranks,
commitments), documents with their signatories, trade targets beside actual figures, derived
figures with their inputs, and figures two sources state differently.

The queries behind the briefing's statement sections and the arithmetic of rounding; fact sets
come in as subqueries of ids (``within``), never as lists of bound ids. Must not render.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.models import tables
from factdb.reports.common import (
    CoreTable,
    IdQuery,
    date_label,
    ids_of,
    with_sources,
)
from factdb.reports.trade import period_label
from factdb.vocabulary import COMTRADE_SERIES, TOTAL_COMMODITY

Document = CoreTable(tables.documents)
DocumentSignatory = CoreTable(tables.document_signatories)
Entity = CoreTable(tables.entities)
Event = CoreTable(tables.events)
Quantity = CoreTable(tables.quantities)
TradeDerivation = CoreTable(tables.trade_derivations)
TradeFlow = CoreTable(tables.trade_flows)


@dataclass(frozen=True)
class QuantityRow:
    slug: str
    subject: str
    partner: str | None
    metric: str
    kind: str
    measure: str
    value: Decimal
    currency: str | None
    qualifier: str
    date: str
    since: str | None
    date_note: str | None
    stated_by: str | None
    event: str | None
    qualifiers: dict[str, Any]
    note: str | None
    sources: list[str]


def quantities(conn: Connection, within: IdQuery | None = None) -> list[QuantityRow]:
    """Quantities by subject and metric; ``within`` narrows them to a query of ids."""
    subject, partner, by = Entity.alias(), Entity.alias(), Entity.alias()
    q = Quantity.table
    query = (
        sa.select(
            q,
            subject.name.label("subject"),
            partner.name.label("partner"),
            by.name.label("stated_by"),
            Event.title.label("event"),
        )
        .join(subject, subject.id == q.c.subject_id)
        .outerjoin(partner, partner.id == q.c.partner_id)
        .outerjoin(by, by.id == q.c.stated_by_id)
        .outerjoin(Event, Event.id == q.c.event_id)
        .order_by(subject.name, q.c.metric, q.c.slug)
    )
    if within is not None:
        query = query.where(q.c.id.in_(within))
    return [
        QuantityRow(
            slug=r.slug,
            subject=r.subject,
            partner=r.partner,
            metric=r.metric,
            kind=str(r.kind),
            measure=str(r.measure),
            value=r.value,
            currency=r.currency,
            qualifier=str(r.qualifier),
            date=date_label(r.date, r.date_precision),
            since=None if r.base_precision is None else date_label(r.base_date, r.base_precision),
            date_note=r.date_note,
            stated_by=r.stated_by,
            event=r.event,
            qualifiers=dict(r.qualifiers or {}),
            note=r.note,
            sources=sources,
        )
        for r, sources in with_sources(conn, query, "quantity", q.c.id)
    ]


@dataclass(frozen=True)
class DocumentRow:
    slug: str
    kind: str
    title: str | None
    count: int | None
    count_qualifier: str | None
    signed: str
    event: str | None
    #: "Alisher Karimov for Uzbekistan"
    signatories: list[str]
    parties: list[str]
    sources: list[str]


def documents(conn: Connection, within: IdQuery | None = None) -> list[DocumentRow]:
    """Documents by signing date and title, with who signed them and for whom."""
    d = Document.table
    query = (
        sa.select(d, Event.title.label("event"), Event.start_date, Event.start_precision)
        .outerjoin(Event, Event.id == d.c.event_id)
        .order_by(d.c.signed_on, Event.start_date, d.c.title, d.c.slug)
    )
    if within is not None:
        query = query.where(d.c.id.in_(within))
    rows = with_sources(conn, query, "document", d.c.id)
    who, behalf = Entity.alias(), Entity.alias()
    signed: dict[int, list[str]] = defaultdict(list)
    parties: dict[int, list[str]] = defaultdict(list)
    for document_id, role, name, for_name in conn.execute(
        sa.select(DocumentSignatory.document_id, DocumentSignatory.role, who.name, behalf.name)
        .join(who, who.id == DocumentSignatory.entity_id)
        .outerjoin(behalf, behalf.id == DocumentSignatory.on_behalf_of_id)
        .where(DocumentSignatory.document_id.in_(ids_of(query, d.c.id)))
        .order_by(DocumentSignatory.document_id, who.name)
    ):
        if str(role) == "party":
            parties[document_id].append(name)
        else:
            signed[document_id].append(name + (f" for {for_name}" if for_name else ""))
    out = []
    for r, sources in rows:
        when = date_label(r.signed_on, r.signed_precision)
        if when == "undated" and r.event is not None:
            when = date_label(r.start_date, r.start_precision)
        out.append(
            DocumentRow(
                slug=r.slug,
                kind=str(r.kind),
                title=r.title,
                count=r._mapping["count"],
                count_qualifier=None if r.count_qualifier is None else str(r.count_qualifier),
                signed=when,
                event=r.event,
                signatories=signed[r.id],
                parties=parties[r.id],
                sources=sources,
            )
        )
    return out


@dataclass(frozen=True)
class Figure:
    """A trade figure with what the statement sections need of it."""

    id: int
    slug: str | None
    reporter_id: int
    partner_id: int
    reporter: str
    partner: str
    year: int | None
    month: int
    months: int
    period: str
    flow: str
    commodity: str
    value: Decimal
    currency: str
    qualifier: str
    status: str
    kind: str
    series: str
    method: str | None
    stated_by: str | None
    event: str | None
    sources: list[str]

    @property
    def key(self) -> tuple[Any, ...]:
        """What makes two figures figures of the same thing."""
        return (
            self.reporter_id,
            self.partner_id,
            self.year,
            self.month,
            self.months,
            self.flow,
            self.commodity,
            self.kind,
            self.currency,
        )


def figures(conn: Connection, a: int, b: int, *, official: bool = False) -> list[Figure]:
    """The trade figures between ``a`` and ``b``, both directions: those sources state, or with
    ``official`` the annual totals of official statistics. Leads with (reporter, partner)."""
    t = TradeFlow.table
    rep, par, by = Entity.alias(), Entity.alias(), Entity.alias()
    pair = sa.or_(
        sa.and_(t.c.reporter_id == a, t.c.partner_id == b),
        sa.and_(t.c.reporter_id == b, t.c.partner_id == a),
    )
    query = (
        sa.select(
            t,
            rep.name.label("reporter"),
            par.name.label("partner"),
            by.name.label("stated_by"),
            Event.title.label("event"),
        )
        .join(rep, rep.id == t.c.reporter_id)
        .join(par, par.id == t.c.partner_id)
        .outerjoin(by, by.id == t.c.stated_by_id)
        .outerjoin(Event, Event.id == t.c.event_id)
        .where(pair)
        .order_by(rep.name, par.name, t.c.year, t.c.month, t.c.flow, t.c.series)
    )
    if official:
        query = query.where(
            t.c.series == COMTRADE_SERIES,
            t.c.month == 0,
            t.c.commodity_code == TOTAL_COMMODITY,
        )
    else:
        query = query.where(t.c.series != COMTRADE_SERIES)
    return [
        Figure(
            id=r.id,
            slug=r.slug,
            reporter_id=r.reporter_id,
            partner_id=r.partner_id,
            reporter=r.reporter,
            partner=r.partner,
            year=r.year,
            month=r.month,
            months=r.months,
            period=period_label(r.year, r.month, r.months),
            flow=str(r.flow),
            commodity=r.commodity_code,
            value=r.value,
            currency=r.currency,
            qualifier=str(r.value_qualifier),
            status=str(r.status),
            kind=str(r.kind),
            series=r.series,
            method=r.method,
            stated_by=r.stated_by,
            event=r.event,
            sources=sources,
        )
        # the id: a figure's rows together for ``with_sources``, and one order for ties
        for r, sources in with_sources(conn, query.order_by(t.c.id), "trade", t.c.id)
    ]


def derivations(conn: Connection, derived: list[int]) -> dict[int, list[tuple[int, int]]]:
    """Derived figure id -> its (coefficient, input id), for a handful of derived figures."""
    out: dict[int, list[tuple[int, int]]] = defaultdict(list)
    if not derived:
        return out
    for derived_id, input_id, coefficient in conn.execute(
        sa.select(TradeDerivation.derived_id, TradeDerivation.input_id, TradeDerivation.coefficient)
        .where(TradeDerivation.derived_id.in_(derived))
        .order_by(TradeDerivation.derived_id, TradeDerivation.coefficient.desc())
    ):
        out[derived_id].append((coefficient, input_id))
    return out


def inherited_status(
    figure_id: int, by_id: dict[int, Figure], inputs: dict[int, list[tuple[int, int]]]
) -> str:
    """A derived figure is as final as its inputs: their common status, else "mixed"."""
    seen: set[str] = set()
    stack, visited = [figure_id], set()
    while stack:
        at = stack.pop()
        if at in visited:
            continue
        visited.add(at)
        if at != figure_id and at in by_id and by_id[at].status != "derived":
            seen.add(by_id[at].status)
        stack.extend(i for _, i in inputs.get(at, []))
    if not seen:
        return "unknown"
    return seen.pop() if len(seen) == 1 else "mixed (" + ", ".join(sorted(seen)) + ")"


# --- rounding ---------------------------------------------------------------------------------


def rounding_unit(value: Decimal) -> Decimal:
    """The place value of the last non-zero digit: 1.5 billion -> 100 million, 270 million ->
    10 million, 269.5 million -> 100 thousand. A stated "about X" is X to half that unit."""
    value = abs(value)
    if value == 0:
        return Decimal(1)
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return Decimal(1).scaleb(exponent)


def implied_range(value: Decimal, qualifier: str) -> tuple[Decimal | None, Decimal | None]:
    """The interval a qualified figure allows: "about 1.5 billion" is 1.45 to 1.55 billion,
    "nearly 270 million" 260 to 270 million, "over 2 billion" anything above it."""
    half = rounding_unit(value) / 2
    if qualifier == "exact":
        return value, value
    if qualifier in ("about", "near"):
        return value - half, value + half
    if qualifier == "nearly":
        return value - 2 * half, value
    if qualifier in ("under", "at_most"):
        return None, value
    return value, None  # over, at_least


def within_rounding(first: Figure, second: Figure) -> bool:
    """Whether the two figures can be the same number given their qualifiers: their implied
    intervals overlap."""
    low_a, high_a = implied_range(first.value, first.qualifier)
    low_b, high_b = implied_range(second.value, second.qualifier)
    below = high_a is not None and low_b is not None and high_a < low_b
    above = high_b is not None and low_a is not None and high_b < low_a
    return not (below or above)


def disagreements(stated: list[Figure]) -> list[tuple[Figure, Figure]]:
    """Pairs of figures of the same thing, from different sources, with different values."""
    groups: dict[tuple[Any, ...], list[Figure]] = defaultdict(list)
    for figure in stated:
        groups[figure.key].append(figure)
    out = []
    for group in groups.values():
        for index, first in enumerate(group):
            for second in group[index + 1 :]:
                if first.series != second.series and first.value != second.value:
                    out.append((first, second))
    return out
