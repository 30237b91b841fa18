"""Relations and claims between entities, with validity, rank and who made the claim."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from factdb.models.base import Base, choice, date_precision_check
from factdb.vocabulary import Precision, Predicate, Rank


class Relation(Base):
    """Subject, predicate, then an object entity or a literal value.

    ``claimed_by_id`` set means the statement is that entity's claim, not factdb's: "Bulgaria has
    the most IT specialists per capita in Europe" is Radev's. ``context_id`` scopes the relation
    (Bulgaria exports integrated circuits *to Japan*). ``event_id`` makes it a statement about
    an event: "the talks confirmed mutual interest".
    """

    __tablename__ = "relations"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    subject_id: Mapped[int] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    predicate: Mapped[Predicate] = mapped_column(choice(Predicate, "predicate"), index=True)
    object_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    value: Mapped[str | None] = mapped_column(sa.Text)
    unit: Mapped[str | None] = mapped_column(sa.String(50))
    context_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    valid_from: Mapped[dt.date | None]
    valid_from_precision: Mapped[Precision] = mapped_column(
        choice(Precision, "valid_from_precision"), default=Precision.UNKNOWN
    )
    valid_to: Mapped[dt.date | None]
    valid_to_precision: Mapped[Precision | None] = mapped_column(
        choice(Precision, "valid_to_precision")
    )
    qualifiers: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    claimed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    rank: Mapped[Rank] = mapped_column(choice(Rank, "rank"), default=Rank.NORMAL)
    rank_reason: Mapped[str | None] = mapped_column(sa.Text)
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    #: the source whose fact file declares this fact (the file is the truth for it)
    source_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    #: why the fact needs an inference its quotes do not show; NULL when they show it all
    inferred: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("object_id IS NOT NULL OR value IS NOT NULL", name="has_object"),
        sa.CheckConstraint("unit IS NULL OR value IS NOT NULL", name="unit_needs_value"),
        sa.CheckConstraint(
            "rank = 'normal' OR rank_reason IS NOT NULL", name="rank_reason_when_ranked"
        ),
        sa.CheckConstraint(
            date_precision_check("valid_from", "valid_from_precision"), name="valid_from_dated"
        ),
        sa.CheckConstraint(
            date_precision_check("valid_to", "valid_to_precision", optional=True),
            name="valid_to_dated",
        ),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to", name="valid_order"
        ),
    )
