"""Source documents: every fact in factdb points back to one of these.

The tables are declared in ``factdb.models.tables`` (Core); the classes here map them for the
ORM and must not declare a column.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped

from factdb.models import tables
from factdb.models.base import Base
from factdb.vocabulary import Precision, SourceKind


class Source(Base):
    """A document: an article, official statement or statistics file.

    ``text`` is held verbatim when we have it; quotes are located in it by character offsets and
    ``text_sha256`` lets ``factdb verify`` prove it unchanged. An aggregator's copy points at the
    original through ``reposts_id``.
    """

    __tablename__ = "sources"
    __table__: ClassVar[sa.FromClause] = tables.sources

    id: Mapped[int]
    slug: Mapped[str]
    kind: Mapped[SourceKind]
    title: Mapped[str | None]
    publisher: Mapped[str | None]
    url: Mapped[str | None]
    published_on: Mapped[dt.date | None]
    published_precision: Mapped[Precision]
    language: Mapped[str | None]
    text: Mapped[str | None]
    text_sha256: Mapped[str | None]
    file_name: Mapped[str | None]
    row_count: Mapped[int | None]
    imported_at: Mapped[dt.datetime | None]
    reposts_id: Mapped[int | None]
    note: Mapped[str | None]
