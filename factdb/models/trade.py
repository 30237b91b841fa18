"""Trade rows: stated figures from articles and official statistics, in one table.

Stated and official rows differ by ``series``: a fact file's rows belong to its source's slug,
an official import to its dataset (``comtrade``), so the same period can hold both and
``report reconcile`` can set them side by side.

The tables are declared in ``factdb.models.tables`` (Core); the classes here map them for the
ORM and must not declare a column.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped

from factdb.models import tables
from factdb.models.base import Base
from factdb.models.tables import PARTIAL_INDEXES, add_postgresql_partial_indexes
from factdb.vocabulary import (
    Flow,
    QuantityKind,
    TradeStatus,
    ValueQualifier,
)

__all__ = ["PARTIAL_INDEXES", "TradeDerivation", "TradeFlow", "add_postgresql_partial_indexes"]


class TradeFlow(Base):
    """One figure: reporter's flow with partner over a period, for one commodity or the total.

    The period is ``year``, first ``month`` and number of ``months``: a whole year is month 0
    and 12 months, a month is that month and 1, the first half of 2024 is 2024, 1, 6.
    Provenance of a bulk row is ``source_id`` plus ``source_line``; a fact-file row has
    evidence rows with quotes instead.

    ``kind`` tells a measured figure from a target, forecast or commitment ("to reach
    $1 billion by 2030"); only a non-actual figure may have no ``year``. ``stated_by_id`` is
    who gave the figure (a minister), ``event_id`` where it was stated or agreed.
    """

    __tablename__ = "trade_flows"
    __table__: ClassVar[sa.FromClause] = tables.trade_flows

    id: Mapped[int]
    slug: Mapped[str | None]
    series: Mapped[str]
    reporter_id: Mapped[int]
    partner_id: Mapped[int]
    year: Mapped[int | None]
    month: Mapped[int]
    months: Mapped[int]
    flow: Mapped[Flow]
    commodity_code: Mapped[str]
    commodity_label: Mapped[str | None]
    value: Mapped[Decimal]
    currency: Mapped[str]
    value_qualifier: Mapped[ValueQualifier]
    value_low: Mapped[Decimal | None]
    value_high: Mapped[Decimal | None]
    status: Mapped[TradeStatus]
    as_of: Mapped[dt.date | None]
    method: Mapped[str | None]
    source_id: Mapped[int | None]
    source_line: Mapped[int | None]
    inferred: Mapped[str | None]
    kind: Mapped[QuantityKind]
    stated_by_id: Mapped[int | None]
    event_id: Mapped[int | None]


class TradeDerivation(Base):
    """One input of a derived row: derived = sum(coefficient * input)."""

    __tablename__ = "trade_derivations"
    __table__: ClassVar[sa.FromClause] = tables.trade_derivations

    derived_id: Mapped[int]
    input_id: Mapped[int]
    coefficient: Mapped[int]
