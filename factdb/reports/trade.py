"""Trade figures with their period, flow, qualifier, status and source."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from factdb.models import Entity, Source, TradeFlow
from factdb.reports.common import orm_rows, resolve_entity, sources_by_fact

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class TradeRow:
    reporter: str
    partner: str
    period: str
    year: int
    month: int
    months: int
    flow: str
    commodity: str
    value: Decimal
    currency: str
    qualifier: str
    status: str
    derived: bool
    method: str | None
    series: str
    sources: list[str]


def period_label(year: int, month: int, months: int) -> str:
    """ "2024", "2024-03" or "2024 Jan–Jun"."""
    if month == 0:
        return str(year)
    if months == 1:
        return f"{year}-{month:02d}"
    return f"{year} {MONTHS[month - 1]}–{MONTHS[month + months - 2]}"


def trade_query(
    conn: Connection,
    reporter: str | None = None,
    partner: str | None = None,
    year: int | None = None,
) -> sa.Select:  # type: ignore[type-arg]
    """The query behind ``report trade``, filtered by ids resolved from names."""
    rep, par = aliased(Entity), aliased(Entity)
    query = (
        sa.select(
            TradeFlow,
            rep.name.label("reporter"),
            par.name.label("partner"),
            Source.slug.label("source"),
        )
        .join(rep, rep.id == TradeFlow.reporter_id)
        .join(par, par.id == TradeFlow.partner_id)
        .outerjoin(Source, Source.id == TradeFlow.source_id)
    )
    if reporter is not None:
        query = query.where(TradeFlow.reporter_id == resolve_entity(conn, reporter).id)
    if partner is not None:
        query = query.where(TradeFlow.partner_id == resolve_entity(conn, partner).id)
    if year is not None:
        query = query.where(TradeFlow.year == year)
    return query.order_by(
        rep.name,
        par.name,
        TradeFlow.year,
        TradeFlow.month,
        TradeFlow.months.desc(),
        TradeFlow.flow,
        TradeFlow.commodity_code,
        TradeFlow.series,
    )


def trade(
    conn: Connection,
    reporter: str | None = None,
    partner: str | None = None,
    year: int | None = None,
) -> list[TradeRow]:
    rows = orm_rows(conn, trade_query(conn, reporter, partner, year))
    evidence = sources_by_fact(conn, "trade", [r.TradeFlow.id for r in rows])
    out = []
    for r in rows:
        t = r.TradeFlow
        sources = evidence[t.id] or ([r.source] if r.source else [])
        out.append(
            TradeRow(
                reporter=r.reporter,
                partner=r.partner,
                period=period_label(t.year, t.month, t.months),
                year=t.year,
                month=t.month,
                months=t.months,
                flow=str(t.flow),
                commodity=t.commodity_code + (f" {t.commodity_label}" if t.commodity_label else ""),
                value=t.value,
                currency=t.currency,
                qualifier=str(t.value_qualifier),
                status=str(t.status),
                derived=str(t.status) == "derived",
                method=t.method,
                series=t.series,
                sources=sources,
            )
        )
    return out
