"""Trade figures with their period, flow, qualifier, status and source.

Given both a reporter and a partner, the report holds both directions: the reporter's filings
with the partner, then the partner's filings with the reporter, flagged ``mirror``. It must
not bind one parameter per row (sources are looked up by subquery).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.models import tables
from factdb.reports.common import (
    AnySelect,
    CoreTable,
    EntityRef,
    resolve_entity,
    with_sources,
)
from factdb.vocabulary import COMTRADE_SERIES

Entity = CoreTable(tables.entities)
Source = CoreTable(tables.sources)
TradeFlow = CoreTable(tables.trade_flows)

#: the official series as a literal in the SQL, not a bound parameter: only then can either
#: planner prove that a query's condition implies the partial index ix_trade_flows_stated's
_OFFICIAL: sa.ColumnElement[str] = sa.literal_column(f"'{COMTRADE_SERIES}'")


def is_stated(series: sa.ColumnElement[str]) -> sa.ColumnElement[bool]:
    """True for a stated figure's row (any series but the official import's): the condition
    of the index ix_trade_flows_stated, so the query reads those rows alone."""
    return series != _OFFICIAL


MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True)
class TradeRow:
    reporter: str
    partner: str
    period: str
    year: int | None
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
    mirror: bool = False
    #: why the figure goes beyond its quotes; None when they show it all
    inferred: str | None = None
    #: actual, target, forecast or commitment
    kind: str = "actual"
    #: who gave the figure, when the source says
    stated_by: str | None = None


@functools.lru_cache(maxsize=4096)  # a few hundred distinct periods label a million rows
def period_label(year: int | None, month: int, months: int) -> str:
    """ "2024", "2024-03" or "2024 Jan–Jun"; "undated" for a target with no year."""
    if year is None:
        return "undated"
    if month == 0:
        return str(year)
    if months == 1:
        return f"{year}-{month:02d}"
    return f"{year} {MONTHS[month - 1]}–{MONTHS[month + months - 2]}"


def _entity_id(conn: Connection, entity: str | EntityRef | None) -> int | None:
    """The id of an entity given by name, or already resolved."""
    if entity is None or isinstance(entity, EntityRef):
        return None if entity is None else entity.id
    return resolve_entity(conn, entity).id


def trade_query(
    conn: Connection,
    reporter: str | EntityRef | None = None,
    partner: str | EntityRef | None = None,
    year: int | None = None,
) -> AnySelect:
    """The query behind ``report trade``: plain columns (no ORM objects), filtered by ids
    resolved from names (or given resolved), so it runs on the natural key's index. With both
    a reporter and a partner, the partner's filings with the reporter come too, with
    ``mirror`` true."""
    rep, par, by = Entity.alias(), Entity.alias(), Entity.alias()
    t = TradeFlow.table
    reporter_id, partner_id = _entity_id(conn, reporter), _entity_id(conn, partner)
    both = reporter_id is not None and partner_id is not None
    mirror: sa.ColumnElement[bool] = t.c.reporter_id == partner_id if both else sa.false()
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
            t.c.inferred,
            rep.name.label("reporter"),
            par.name.label("partner"),
            Source.slug.label("source"),
            mirror.label("mirror"),
            t.c.kind,
            by.name.label("stated_by"),
        )
        .join(rep, rep.id == t.c.reporter_id)
        .join(par, par.id == t.c.partner_id)
        .outerjoin(Source, Source.id == t.c.source_id)
        .outerjoin(by, by.id == t.c.stated_by_id)
    )
    if both:
        query = query.where(
            sa.or_(
                sa.and_(t.c.reporter_id == reporter_id, t.c.partner_id == partner_id),
                sa.and_(t.c.reporter_id == partner_id, t.c.partner_id == reporter_id),
            )
        )
    elif reporter_id is not None:
        query = query.where(t.c.reporter_id == reporter_id)
    elif partner_id is not None:
        query = query.where(t.c.partner_id == partner_id)
    if year is not None:
        query = query.where(t.c.year == year)
    return query.order_by(
        *([mirror] if both else []),
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
    return trade_rows(conn, trade_query(conn, reporter, partner, year))


def trade_rows(conn: Connection, query: AnySelect) -> list[TradeRow]:
    """Run a ``trade_query`` (perhaps narrowed further) and attach each row's sources."""
    # the id: a figure's rows together for ``with_sources``, and one order for ties
    t = TradeFlow.table
    rows = with_sources(conn, query.order_by(t.c.id), "trade", t.c.id)
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
            sources=evidence or ([r.source] if r.source else []),
            mirror=bool(r.mirror),
            inferred=r.inferred,
            kind=str(r.kind),
            stated_by=r.stated_by,
        )
        for r, evidence in rows
    ]
