"""Agreements, declarations, memoranda and other signed documents, with who signed them.

A document is a thing, apart from the signing event: it has a title and kind, its parties and
signatories, and the event it was signed at. A row may stand for several unnamed documents
("twenty documents were signed"): then ``count`` says how many.

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
from factdb.vocabulary import CountQualifier, DocumentKind, Precision, SignatoryRole


class Document(Base):
    """One document (or, with ``count``, a number of unnamed ones) a source says was signed."""

    __tablename__ = "documents"
    __table__: ClassVar[sa.FromClause] = tables.documents

    id: Mapped[int]
    slug: Mapped[str]
    kind: Mapped[DocumentKind]
    title: Mapped[str | None]
    description: Mapped[str | None]
    count: Mapped[int | None]
    count_qualifier: Mapped[CountQualifier | None]
    signed_on: Mapped[dt.date | None]
    signed_precision: Mapped[Precision]
    event_id: Mapped[int | None]
    source_id: Mapped[int | None]
    inferred: Mapped[str | None]


class DocumentSignatory(Base):
    """An entity's part in a document: a signatory (on behalf of a party) or a party."""

    __tablename__ = "document_signatories"
    __table__: ClassVar[sa.FromClause] = tables.document_signatories

    id: Mapped[int]
    document_id: Mapped[int]
    entity_id: Mapped[int]
    role: Mapped[SignatoryRole]
    on_behalf_of_id: Mapped[int | None]
