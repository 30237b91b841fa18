"""Events (visits, signings, forums, memoranda ...) and who took part in them.

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
from factdb.vocabulary import CountQualifier, EventKind, EventStatus, ParticipantRole, Precision


class Event(Base):
    """Something that happened, dated as precisely as a source allows (undated is allowed).

    ``status`` says whether it took place: a source may announce, plan or cancel an event.
    ``invited_by_id`` is who invited the visitor ("at the invitation of"), who may differ from
    the host among the participants.
    """

    __tablename__ = "events"
    __table__: ClassVar[sa.FromClause] = tables.events

    id: Mapped[int]
    slug: Mapped[str]
    kind: Mapped[EventKind]
    title: Mapped[str]
    description: Mapped[str | None]
    start_date: Mapped[dt.date | None]
    start_precision: Mapped[Precision]
    end_date: Mapped[dt.date | None]
    end_precision: Mapped[Precision]
    date_note: Mapped[str | None]
    location_id: Mapped[int | None]
    parent_id: Mapped[int | None]
    cameo_code: Mapped[str | None]
    status: Mapped[EventStatus]
    invited_by_id: Mapped[int | None]
    source_id: Mapped[int | None]
    inferred: Mapped[str | None]


class EventParticipant(Base):
    """An entity's part in an event; a group of unnamed members carries a count and qualifier."""

    __tablename__ = "event_participants"
    __table__: ClassVar[sa.FromClause] = tables.event_participants

    id: Mapped[int]
    event_id: Mapped[int]
    entity_id: Mapped[int]
    role: Mapped[ParticipantRole]
    count: Mapped[int | None]
    count_qualifier: Mapped[CountQualifier | None]
    note: Mapped[str | None]
    inferred: Mapped[str | None]
