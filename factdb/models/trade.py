"""Trade rows: stated figures from articles and official statistics, in one table.

Stated and official rows differ by ``series``: a fact file's rows belong to its source's slug,
an official import to its dataset (``comtrade``), so the same period can hold both and
``report reconcile`` can set them side by side.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from factdb.models.base import Base, Money, choice
from factdb.vocabulary import (
    COMTRADE_SERIES,
    TOTAL_COMMODITY,
    Flow,
    QuantityKind,
    TradeStatus,
    ValueQualifier,
)

#: the partial indexes' conditions: declared with the table for SQLite, added for PostgreSQL by
#: ``add_postgresql_partial_indexes`` (naming a dialect's option loads that dialect, which a
#: report on SQLite, only querying the table, has no use for)
PARTIAL_INDEXES = {
    "uq_trade_flows_slug": "slug IS NOT NULL",
    "ix_trade_flows_stated": f"series <> '{COMTRADE_SERIES}'",
}


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

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str | None] = mapped_column(sa.String(200))
    series: Mapped[str] = mapped_column(sa.String(200))
    reporter_id: Mapped[int] = mapped_column(sa.ForeignKey("entities.id", ondelete="CASCADE"))
    # No index of its own: the natural key's index leads with (reporter_id, partner_id), which
    # serves every trade query; one more index costs the bulk import a fifth of its speed.
    partner_id: Mapped[int] = mapped_column(sa.ForeignKey("entities.id", ondelete="CASCADE"))
    year: Mapped[int | None] = mapped_column(sa.SmallInteger)
    month: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    months: Mapped[int] = mapped_column(sa.SmallInteger, default=12)
    flow: Mapped[Flow] = mapped_column(choice(Flow, "flow"))
    commodity_code: Mapped[str] = mapped_column(sa.String(20), default=TOTAL_COMMODITY)
    commodity_label: Mapped[str | None] = mapped_column(sa.String(500))
    value: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(sa.String(3), default="USD")
    value_qualifier: Mapped[ValueQualifier] = mapped_column(
        choice(ValueQualifier, "value_qualifier"), default=ValueQualifier.EXACT
    )
    value_low: Mapped[Decimal | None] = mapped_column(Money)
    value_high: Mapped[Decimal | None] = mapped_column(Money)
    status: Mapped[TradeStatus] = mapped_column(choice(TradeStatus, "status"))
    as_of: Mapped[dt.date | None]
    method: Mapped[str | None] = mapped_column(sa.Text)
    source_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    source_line: Mapped[int | None]
    #: why the fact needs an inference its quotes do not show; NULL when they show it all
    inferred: Mapped[str | None] = mapped_column(sa.Text)
    kind: Mapped[QuantityKind] = mapped_column(
        choice(QuantityKind, "kind"), default=QuantityKind.ACTUAL, server_default="actual"
    )
    stated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="SET NULL"), index=True
    )

    __table_args__ = (
        # The natural key leads with reporter and partner, so its index also serves the
        # reports (trade by reporter, partner and period) and the mirror lookups.
        sa.UniqueConstraint(
            "reporter_id",
            "partner_id",
            "year",
            "month",
            "months",
            "flow",
            "commodity_code",
            "series",
            "kind",
            name="uq_trade_flows_natural_key",
        ),
        # Only fact-file rows have a slug: a partial index keeps bulk rows out of it.
        sa.Index(
            "uq_trade_flows_slug",
            "slug",
            unique=True,
            sqlite_where=sa.text(PARTIAL_INDEXES["uq_trade_flows_slug"]),
        ),
        # Stated figures (every series but the official import's): the few rows reconcile
        # and the briefing start from. Partial, so the official millions stay out of it.
        sa.Index(
            "ix_trade_flows_stated",
            "reporter_id",
            "partner_id",
            "year",
            sqlite_where=sa.text(PARTIAL_INDEXES["ix_trade_flows_stated"]),
        ),
        sa.CheckConstraint("year BETWEEN 1900 AND 2100", name="year_range"),
        sa.CheckConstraint(
            "(month = 0 AND months = 12) OR (month >= 1 AND months >= 1 AND month + months <= 13)",
            name="period_within_year",
        ),
        sa.CheckConstraint("value >= 0", name="value_non_negative"),
        sa.CheckConstraint("value_low IS NULL OR value_low >= 0", name="value_low_non_negative"),
        sa.CheckConstraint(
            "value_low IS NULL OR value_high IS NULL OR value_low <= value_high",
            name="bounds_order",
        ),
        sa.CheckConstraint("length(currency) = 3", name="currency_code"),
        sa.CheckConstraint("length(commodity_code) > 0", name="commodity_code_not_empty"),
        sa.CheckConstraint("reporter_id <> partner_id", name="distinct_parties"),
        sa.CheckConstraint(
            "source_line IS NULL OR (source_line > 0 AND source_id IS NOT NULL)",
            name="source_line_needs_source",
        ),
        sa.CheckConstraint("status <> 'derived' OR method IS NOT NULL", name="derived_has_method"),
        sa.CheckConstraint("kind <> 'change'", name="kind_not_change"),
        sa.CheckConstraint("year IS NOT NULL OR kind <> 'actual'", name="actual_has_year"),
    )


class TradeDerivation(Base):
    """One input of a derived row: derived = sum(coefficient * input)."""

    __tablename__ = "trade_derivations"

    derived_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trade_flows.id", ondelete="CASCADE"), primary_key=True
    )
    input_id: Mapped[int] = mapped_column(
        sa.ForeignKey("trade_flows.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    coefficient: Mapped[int] = mapped_column(sa.SmallInteger)

    __table_args__ = (
        sa.CheckConstraint("coefficient IN (-1, 1)", name="coefficient_sign"),
        sa.CheckConstraint("derived_id <> input_id", name="not_self"),
    )



def add_postgresql_partial_indexes() -> None:
    """Give the partial indexes their PostgreSQL condition, as migrations and DDL need it.

    ``factdb.models.metadata`` and ``Base`` call it, so whatever creates or compares the
    schema sees the indexes as the database has them. Calling it again changes nothing.
    """
    for index in TradeFlow.__table__.indexes:
        if index.name in PARTIAL_INDEXES:
            options = index.dialect_options["postgresql"]
            if options["where"] is None:
                options["where"] = sa.text(PARTIAL_INDEXES[index.name])
