"""Trade figures with their period, flow, qualifier, status and source."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from factdb.models import Entity, Source, TradeFlow
from factdb.reports.common import resolve_entity, sources_by_fact

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
    """The query behind ``report trade``: plain columns (no ORM objects), filtered by ids
    resolved from names, so it runs on the natural key's index."""
    rep, par = aliased(Entity), aliased(Entity)
    t = TradeFlow.__table__
    query = (
        sa.select(
            t.c.id,
            t.c.year,
            t.c.month,
            t.c.months,
            t.c.flow,
            t.c.commodity_code,
            t.c.commodity_label,
            t.c.value,
            t.c.currency,
            t.c.value_qualifier,
            t.c.status,
            t.c.method,
            t.c.series,
            rep.name.label("reporter"),
            par.name.label("partner"),
            Source.slug.label("source"),
        )
        .join(rep, rep.id == t.c.reporter_id)
        .join(par, par.id == t.c.partner_id)
        .outerjoin(Source, Source.id == t.c.source_id)
    )
    if reporter is not None:
        query = query.where(t.c.reporter_id == resolve_entity(conn, reporter).id)
    if partner is not None:
        query = query.where(t.c.partner_id == resolve_entity(conn, partner).id)
    if year is not None:
        query = query.where(t.c.year == year)
    return query.order_by(
        rep.name,
        par.name,
        t.c.year,
        t.c.month,
        t.c.months.desc(),
        t.c.flow,
        t.c.commodity_code,
        t.c.series,
    )


def trade(
    conn: Connection,
    reporter: str | None = None,
    partner: str | None = None,
    year: int | None = None,
) -> list[TradeRow]:
    rows = conn.execute(trade_query(conn, reporter, partner, year)).all()
    evidence = sources_by_fact(conn, "trade", [r.id for r in rows])
    return [
        TradeRow(
            reporter=r.reporter,
            partner=r.partner,
            period=period_label(r.year, r.month, r.months),
            year=r.year,
            month=r.month,
            months=r.months,
            flow=str(r.flow),
            commodity=r.commodity_code + (f" {r.commodity_label}" if r.commodity_label else ""),
            value=r.value,
            currency=r.currency,
            qualifier=str(r.value_qualifier),
            status=str(r.status),
            derived=str(r.status) == "derived",
            method=r.method,
            series=r.series,
            sources=evidence[r.id] or ([r.source] if r.source else []),
        )
        for r in rows
    ]
