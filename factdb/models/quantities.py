"""Stated quantities other than trade figures: growth, ratios, counts, ranks and ordinals,
targets and commitments, each with its unit, qualifier, date and who stated it.

The shape follows a Wikidata quantity statement: one number, and qualifiers hung on it (its
kind, the period it refers to, the base period of a change). Trade figures, targets included,
stay in ``trade_flows`` so ``report reconcile`` can set them against official statistics.

The tables are declared in ``factdb.models.tables`` (Core); the classes here map them for the
ORM and must not declare a column.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped

from factdb.models import tables
from factdb.models.base import Base
from factdb.vocabulary import Measure, Precision, QuantityKind, ValueQualifier


class Quantity(Base):
    """A number a source states about ``subject`` (with ``partner``): "Japan is the fourth
    largest investor in Uzbekistan" is subject Japan, partner Uzbekistan, metric "investor",
    measure rank, value 4.

    ``value`` is exact (integer hundredths, as money is); a change may be negative. ``date``
    is the period the number refers to (for a target, the date it is to be reached by);
    ``base_date`` the period a change is measured from ("since 1992").
    """

    __tablename__ = "quantities"
    __table__: ClassVar[sa.FromClause] = tables.quantities

    id: Mapped[int]
    slug: Mapped[str]
    subject_id: Mapped[int]
    partner_id: Mapped[int | None]
    metric: Mapped[str]
    kind: Mapped[QuantityKind]
    measure: Mapped[Measure]
    value: Mapped[Decimal]
    currency: Mapped[str | None]
    qualifier: Mapped[ValueQualifier]
    date: Mapped[dt.date | None]
    date_precision: Mapped[Precision]
    base_date: Mapped[dt.date | None]
    base_precision: Mapped[Precision | None]
    date_note: Mapped[str | None]
    stated_by_id: Mapped[int | None]
    event_id: Mapped[int | None]
    qualifiers: Mapped[dict[str, Any] | None]
    note: Mapped[str | None]
    source_id: Mapped[int | None]
    inferred: Mapped[str | None]
