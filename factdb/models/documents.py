"""Agreements, declarations, memoranda and other signed documents, with who signed them.

A document is a thing, apart from the signing event: it has a title and kind, its parties and
signatories, and the event it was signed at. A row may stand for several unnamed documents
("twenty documents were signed"): then ``count`` says how many.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from factdb.models.base import Base, choice, date_precision_check
from factdb.vocabulary import CountQualifier, DocumentKind, Precision, SignatoryRole


class Document(Base):
    """One document (or, with ``count``, a number of unnamed ones) a source says was signed."""

    __tablename__ = "documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[DocumentKind] = mapped_column(choice(DocumentKind, "kind"))
    title: Mapped[str | None] = mapped_column(sa.String(500))
    description: Mapped[str | None] = mapped_column(sa.Text)
    count: Mapped[int | None]
    count_qualifier: Mapped[CountQualifier | None] = mapped_column(
        choice(CountQualifier, "count_qualifier")
    )
    signed_on: Mapped[dt.date | None]
    signed_precision: Mapped[Precision] = mapped_column(
        choice(Precision, "signed_precision"), default=Precision.UNKNOWN
    )
    event_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    #: the source whose fact file declares this fact (the file is the truth for it)
    source_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    #: how the fact was inferred rather than read, when it was
    inferred: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint("title IS NOT NULL OR count IS NOT NULL", name="titled_or_counted"),
        sa.CheckConstraint("count IS NULL OR count >= 1", name="count_positive"),
        sa.CheckConstraint(
            "count_qualifier IS NULL OR count IS NOT NULL", name="count_qualifier_needs_count"
        ),
        sa.CheckConstraint(
            date_precision_check("signed_on", "signed_precision"), name="signed_on_dated"
        ),
    )


class DocumentSignatory(Base):
    """An entity's part in a document: a signatory (on behalf of a party) or a party."""

    __tablename__ = "document_signatories"

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("documents.id", ondelete="CASCADE"))
    entity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[SignatoryRole] = mapped_column(choice(SignatoryRole, "role"))
    on_behalf_of_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )

    __table_args__ = (
        sa.UniqueConstraint("document_id", "entity_id", "role"),
        sa.CheckConstraint(
            "on_behalf_of_id IS NULL OR on_behalf_of_id <> entity_id", name="behalf_other"
        ),
    )
