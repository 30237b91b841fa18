"""Evidence: the one provenance mechanism for every fact kind.

Each row ties exactly one fact (by one typed foreign key per kind, a CHECK enforcing that exactly
one is set) to a source, with the verbatim quote and its character span in the source text.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from factdb.factkinds import FACT_KINDS
from factdb.models.base import Base

#: fact kind -> the evidence column that points at it; the order is the documented one.
FACT_COLUMNS: dict[str, str] = {kind.name: kind.evidence_column for kind in FACT_KINDS}


def _exactly_one(columns: list[str]) -> str:
    return " + ".join(f"(CASE WHEN {c} IS NOT NULL THEN 1 ELSE 0 END)" for c in columns) + " = 1"


class Evidence(Base):
    """A quote in a source that states a fact (or, with ``field``, one part of it).

    ``fingerprint`` is the natural key the loader computes (source, fact, field, quote,
    occurrence), so concurrent loaders cannot insert the same evidence twice.
    """

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    fingerprint: Mapped[str] = mapped_column(sa.String(64), unique=True)
    source_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    quote: Mapped[str] = mapped_column(sa.Text)
    quote_start: Mapped[int | None]
    quote_end: Mapped[int | None]
    field: Mapped[str | None] = mapped_column(sa.String(100))
    #: False when the quote is a summary of a page whose text we do not hold.
    verbatim: Mapped[bool] = mapped_column(default=True)
    # One column per fact kind, each named in ``FACT_KINDS`` (a test holds them equal).
    entity_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    role_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("roles.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("event_participants.id", ondelete="CASCADE"), index=True
    )
    trade_flow_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("trade_flows.id", ondelete="CASCADE"), index=True
    )
    relation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("relations.id", ondelete="CASCADE"), index=True
    )
    quantity_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("quantities.id", ondelete="CASCADE"), index=True
    )
    document_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (
        sa.CheckConstraint(_exactly_one(list(FACT_COLUMNS.values())), name="exactly_one_fact"),
        sa.CheckConstraint("length(quote) > 0", name="quote_not_empty"),
        sa.CheckConstraint(
            "(quote_start IS NULL AND quote_end IS NULL) OR "
            "(quote_start >= 0 AND quote_end > quote_start)",
            name="quote_span",
        ),
        sa.CheckConstraint("verbatim OR quote_start IS NULL", name="located_only_verbatim"),
    )
