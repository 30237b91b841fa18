"""Stated quantities other than trade figures: growth, ratios, counts, ranks and ordinals,
targets and commitments, each with its unit, qualifier, date and who stated it.

The shape follows a Wikidata quantity statement: one number, and qualifiers hung on it (its
kind, the period it refers to, the base period of a change). Trade figures, targets included,
stay in ``trade_flows`` so ``report reconcile`` can set them against official statistics.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from factdb.models.base import Base, Money, choice, date_precision_check
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

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    subject_id: Mapped[int] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    partner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    metric: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[QuantityKind] = mapped_column(choice(QuantityKind, "kind"))
    measure: Mapped[Measure] = mapped_column(choice(Measure, "measure"))
    value: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    qualifier: Mapped[ValueQualifier] = mapped_column(
        choice(ValueQualifier, "qualifier"), default=ValueQualifier.EXACT
    )
    date: Mapped[dt.date | None]
    date_precision: Mapped[Precision] = mapped_column(
        choice(Precision, "date_precision"), default=Precision.UNKNOWN
    )
    base_date: Mapped[dt.date | None]
    base_precision: Mapped[Precision | None] = mapped_column(choice(Precision, "base_precision"))
    date_note: Mapped[str | None] = mapped_column(sa.String(200))
    stated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    qualifiers: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    note: Mapped[str | None] = mapped_column(sa.Text)
    #: the source whose fact file declares this fact (the file is the truth for it)
    source_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    #: how the fact was inferred rather than read, when it was
    inferred: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("length(metric) > 0", name="metric_not_empty"),
        sa.CheckConstraint(
            "(measure = 'money' AND currency IS NOT NULL AND length(currency) = 3) "
            "OR (measure <> 'money' AND currency IS NULL)",
            name="currency_for_money",
        ),
        sa.CheckConstraint("value >= 0 OR kind = 'change'", name="only_change_negative"),
        sa.CheckConstraint(
            "measure NOT IN ('rank', 'ordinal') OR value >= 100", name="rank_from_one"
        ),
        sa.CheckConstraint(date_precision_check("date", "date_precision"), name="date_dated"),
        sa.CheckConstraint(
            date_precision_check("base_date", "base_precision", optional=True),
            name="base_dated",
        ),
        sa.CheckConstraint(
            "base_precision IS NULL OR kind = 'change'", name="base_only_for_change"
        ),
        sa.CheckConstraint(
            "partner_id IS NULL OR partner_id <> subject_id", name="distinct_parties"
        ),
    )
