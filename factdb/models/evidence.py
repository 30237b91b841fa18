"""Evidence: the one provenance mechanism for every fact kind.

Each row ties exactly one fact (by one typed foreign key per kind, a CHECK enforcing that exactly
one is set) to a source, with the verbatim quote and its character span in the source text.

The tables are declared in ``factdb.models.tables`` (Core); the classes here map them for the
ORM and must not declare a column.
"""

from __future__ import annotations

from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped

from factdb.models import tables
from factdb.models.base import Base
from factdb.models.tables import FACT_COLUMNS

__all__ = ["FACT_COLUMNS", "Evidence"]


class Evidence(Base):
    """A quote in a source that states a fact (or, with ``field``, one part of it).

    ``fingerprint`` is the natural key the loader computes (source, fact, field, quote,
    occurrence), so concurrent loaders cannot insert the same evidence twice.
    """

    __tablename__ = "evidence"
    __table__: ClassVar[sa.FromClause] = tables.evidence

    id: Mapped[int]
    fingerprint: Mapped[str]
    source_id: Mapped[int]
    quote: Mapped[str]
    quote_start: Mapped[int | None]
    quote_end: Mapped[int | None]
    field: Mapped[str | None]
    verbatim: Mapped[bool]
    entity_id: Mapped[int | None]
    role_id: Mapped[int | None]
    event_id: Mapped[int | None]
    participant_id: Mapped[int | None]
    trade_flow_id: Mapped[int | None]
    relation_id: Mapped[int | None]
    quantity_id: Mapped[int | None]
    document_id: Mapped[int | None]
