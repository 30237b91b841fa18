"""Relations and claims between entities, with validity, rank and who made the claim.

The tables are declared in ``factdb.models.tables`` (Core); the classes here map them for the
ORM and must not declare a column.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped

from factdb.models import tables
from factdb.models.base import Base
from factdb.vocabulary import Precision, Predicate, Rank


class Relation(Base):
    """Subject, predicate, then an object entity or a literal value.

    ``claimed_by_id`` set means the statement is that entity's claim, not factdb's: "Bulgaria has
    the most IT specialists per capita in Europe" is Radev's. ``context_id`` scopes the relation
    (Bulgaria exports integrated circuits *to Japan*). ``event_id`` makes it a statement about
    an event: "the talks confirmed mutual interest".
    """

    __tablename__ = "relations"
    __table__: ClassVar[sa.FromClause] = tables.relations

    id: Mapped[int]
    slug: Mapped[str]
    subject_id: Mapped[int]
    predicate: Mapped[Predicate]
    object_id: Mapped[int | None]
    value: Mapped[str | None]
    unit: Mapped[str | None]
    context_id: Mapped[int | None]
    valid_from: Mapped[dt.date | None]
    valid_from_precision: Mapped[Precision]
    valid_to: Mapped[dt.date | None]
    valid_to_precision: Mapped[Precision | None]
    qualifiers: Mapped[dict[str, Any] | None]
    claimed_by_id: Mapped[int | None]
    rank: Mapped[Rank]
    rank_reason: Mapped[str | None]
    event_id: Mapped[int | None]
    source_id: Mapped[int | None]
    inferred: Mapped[str | None]
