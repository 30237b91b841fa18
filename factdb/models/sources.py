"""Source documents: every fact in factdb points back to one of these."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from factdb.models.base import Base, choice, date_precision_check
from factdb.vocabulary import Precision, SourceKind


class Source(Base):
    """A document: an article, official statement or statistics file.

    ``text`` is held verbatim when we have it; quotes are located in it by character offsets and
    ``text_sha256`` lets ``factdb verify`` prove it unchanged. An aggregator's copy points at the
    original through ``reposts_id``.
    """

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[SourceKind] = mapped_column(choice(SourceKind, "kind"))
    title: Mapped[str | None] = mapped_column(sa.String(500))
    publisher: Mapped[str | None] = mapped_column(sa.String(200))
    url: Mapped[str | None] = mapped_column(sa.String(2000))
    published_on: Mapped[dt.date | None]
    published_precision: Mapped[Precision] = mapped_column(
        choice(Precision, "published_precision"), default=Precision.UNKNOWN
    )
    language: Mapped[str | None] = mapped_column(sa.String(16))
    text: Mapped[str | None] = mapped_column(sa.Text)
    text_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    file_name: Mapped[str | None] = mapped_column(sa.String(500))
    row_count: Mapped[int | None]
    imported_at: Mapped[dt.datetime | None]
    reposts_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="SET NULL"), index=True
    )
    note: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint(
            date_precision_check("published_on", "published_precision"), name="published_on_dated"
        ),
        sa.CheckConstraint(
            "text_sha256 IS NULL OR length(text_sha256) = 64", name="text_sha256_length"
        ),
        sa.CheckConstraint("text IS NULL OR text_sha256 IS NOT NULL", name="text_has_sha256"),
        sa.CheckConstraint("row_count IS NULL OR row_count >= 0", name="row_count_non_negative"),
        sa.CheckConstraint("reposts_id IS NULL OR reposts_id <> id", name="reposts_other"),
    )
