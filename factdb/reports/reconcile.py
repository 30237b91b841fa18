"""Trade figures that sources state, beside the official figures for the same flow and period.

An official figure is the one its reporter filed ("reported") or, failing that for a view from
the other side, the partner's filing of the mirror flow ("mirror": Japan's imports from
Bulgaria mirror Bulgaria's exports to Japan). Where no total is filed, export plus import is
used; where no annual or half-year figure is filed, the sum of all its months is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.models import tables
from factdb.reports.common import CoreTable, ids_of, resolve_entity, sources_by_fact
from factdb.reports.trade import is_stated, period_label
from factdb.vocabulary import COMTRADE_SERIES as SERIES

Entity = CoreTable(tables.entities)
TradeFlow = CoreTable(tables.trade_flows)

MIRROR_FLOW = {
    "export": "import",
    "import": "export",
    "re_export": "re_import",
    "re_import": "re_export",
    "total": "total",
}

Key = tuple[
    int, int, int | None, int, int, str, str
]  # reporter, partner, year, month, months, flow, cmd
KEY_COLUMNS = (
    TradeFlow.reporter_id,
    TradeFlow.partner_id,
    TradeFlow.year,
    TradeFlow.month,
    TradeFlow.months,
    TradeFlow.flow,
    TradeFlow.commodity_code,
)


@dataclass(frozen=True)
class ReconcileRow:
    reporter: str
    partner: str
    period: str
    flow: str
    commodity: str
    stated_value: Decimal
    stated_qualifier: str
    stated_status: str
    stated_sources: list[str]
    official_value: Decimal | None
    official_status: str | None
    official_reporter: str | None
    basis: str
    mirror: bool
    difference: Decimal | None
    percent: Decimal | None
    note: str
    #: actual, or target, forecast, commitment: then the difference is target minus actual
    stated_kind: str = "actual"


class Official:
    """Official figures for some reporter/partner pairs, with the sums reconcile may need."""

    def __init__(self, conn: Connection, pairs: Iterable[tuple[int, int]], years: set[int]):
        self.values: dict[Key, tuple[Decimal, str]] = {}
        pairs = set(pairs)
        if not pairs:
            return
        columns = (*KEY_COLUMNS, TradeFlow.value, TradeFlow.status)
        # one indexed lookup per pair: (reporter_id, partner_id, year) lead the natural key
        rows = [
            row
            for reporter_id, partner_id in sorted(pairs)
            for row in conn.execute(
                sa.select(*columns).where(
                    TradeFlow.reporter_id == reporter_id,
                    TradeFlow.partner_id == partner_id,
                    TradeFlow.year.in_(sorted(years)),
                    TradeFlow.series == SERIES,
                )
            )
        ]
        for r, p, year, month, months, flow, cmd, value, status in rows:
            self.values[(r, p, year, month, months, str(flow), cmd)] = (value, str(status))

    def get(self, key: Key) -> tuple[Decimal, str, str] | None:
        """(value, status, how it was found) or None."""
        found = self.values.get(key)
        if found:
            return found[0], found[1], "reported"
        reporter, partner, year, month, months, flow, cmd = key
        if flow == "total":
            sides = [
                self.get((reporter, partner, year, month, months, f, cmd))
                for f in ("export", "import")
            ]
            found_sides = [side for side in sides if side is not None]
            if len(found_sides) == 2:
                return _sum([(v, s) for v, s, _ in found_sides], "sum of export and import")
        if months > 1:
            first = 1 if month == 0 else month
            monthly = [
                self.values.get((reporter, partner, year, m, 1, flow, cmd))
                for m in range(first, first + months)
            ]
            found_months = [m for m in monthly if m is not None]
            if len(found_months) == months:
                return _sum(found_months, f"sum of {months} months")
        return None


def _sum(parts: list[tuple[Decimal, str]], how: str) -> tuple[Decimal, str, str]:
    statuses = {status for _, status in parts}
    status = statuses.pop() if len(statuses) == 1 else "mixed"
    return sum((v for v, _ in parts), Decimal(0)), status, how


def reconcile(
    conn: Connection,
    reporter: str | None = None,
    partner: str | None = None,
    year: int | None = None,
) -> list[ReconcileRow]:
    """Each stated figure (not from an official import) beside the official ones, if any."""
    rep, par = Entity.alias(), Entity.alias()
    query = (
        sa.select(
            TradeFlow.id,
            *KEY_COLUMNS,
            TradeFlow.value,
            TradeFlow.value_qualifier,
            TradeFlow.status,
            rep.name.label("reporter"),
            par.name.label("partner"),
            TradeFlow.kind,
        )
        .join(rep, rep.id == TradeFlow.reporter_id)
        .join(par, par.id == TradeFlow.partner_id)
        .where(is_stated(TradeFlow.series))
        .order_by(
            rep.name, par.name, TradeFlow.year, TradeFlow.month, TradeFlow.flow, TradeFlow.series
        )
    )
    if reporter is not None:
        query = query.where(TradeFlow.reporter_id == resolve_entity(conn, reporter).id)
    if partner is not None:
        query = query.where(TradeFlow.partner_id == resolve_entity(conn, partner).id)
    if year is not None:
        query = query.where(TradeFlow.year == year)
    stated = conn.execute(query).all()
    pairs = {(s.reporter_id, s.partner_id) for s in stated}
    official = Official(
        conn, pairs | {(p, r) for r, p in pairs}, {s.year for s in stated if s.year is not None}
    )
    sources = sources_by_fact(conn, "trade", ids_of(query, TradeFlow.id))
    out: list[ReconcileRow] = []
    for s in stated:
        flow = str(s.flow)
        base = dict(
            reporter=s.reporter,
            partner=s.partner,
            period=period_label(s.year, s.month, s.months),
            flow=flow,
            commodity=s.commodity_code,
            stated_value=s.value,
            stated_qualifier=str(s.value_qualifier),
            stated_status=str(s.status),
            stated_sources=sources[s.id],
            stated_kind=str(s.kind),
        )
        comparisons = []
        direct = official.get(
            (s.reporter_id, s.partner_id, s.year, s.month, s.months, flow, s.commodity_code)
        )
        if direct:
            comparisons.append((direct, s.reporter, False))
        mirrored = official.get(
            (
                s.partner_id,
                s.reporter_id,
                s.year,
                s.month,
                s.months,
                MIRROR_FLOW[flow],
                s.commodity_code,
            )
        )
        if mirrored:
            comparisons.append((mirrored, s.partner, True))
        if not comparisons:
            out.append(
                ReconcileRow(
                    **base,  # type: ignore[arg-type]
                    official_value=None,
                    official_status=None,
                    official_reporter=None,
                    basis="none",
                    mirror=False,
                    difference=None,
                    percent=None,
                    note="a target with no year: no period to set it against"
                    if s.year is None
                    else "no official figure yet: import the Comtrade data for this period",
                )
            )
            continue
        for (value, status, how), filed_by, is_mirror in comparisons:
            difference = s.value - value
            percent = (difference / value * 100).quantize(Decimal("0.1")) if value else None
            note = how + (f" by {filed_by} ({MIRROR_FLOW[flow]})" if is_mirror else "")
            out.append(
                ReconcileRow(
                    **base,  # type: ignore[arg-type]
                    official_value=value,
                    official_status=status,
                    official_reporter=filed_by,
                    basis="mirror" if is_mirror else "reported",
                    mirror=is_mirror,
                    difference=difference,
                    percent=percent,
                    note=note,
                )
            )
    return out
