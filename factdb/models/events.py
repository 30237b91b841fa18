"""Events (visits, signings, forums, memoranda ...) and who took part in them."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from factdb.models.base import Base, choice, date_precision_check
from factdb.vocabulary import CountQualifier, EventKind, EventStatus, ParticipantRole, Precision


class Event(Base):
    """Something that happened, dated as precisely as a source allows (undated is allowed).

    ``status`` says whether it took place: a source may announce, plan or cancel an event.
    ``invited_by_id`` is who invited the visitor ("at the invitation of"), who may differ from
    the host among the participants.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[EventKind] = mapped_column(choice(EventKind, "kind"))
    title: Mapped[str] = mapped_column(sa.String(500))
    description: Mapped[str | None] = mapped_column(sa.Text)
    start_date: Mapped[dt.date | None]
    start_precision: Mapped[Precision] = mapped_column(
        choice(Precision, "start_precision"), default=Precision.UNKNOWN
    )
    end_date: Mapped[dt.date | None]
    end_precision: Mapped[Precision] = mapped_column(
        choice(Precision, "end_precision"), default=Precision.UNKNOWN
    )
    date_note: Mapped[str | None] = mapped_column(sa.String(200))
    location_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("events.id", ondelete="SET NULL"), index=True
    )
    cameo_code: Mapped[str | None] = mapped_column(sa.String(4))
    status: Mapped[EventStatus] = mapped_column(
        choice(EventStatus, "status"), default=EventStatus.HELD, server_default="held"
    )
    invited_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )
    #: the source whose fact file declares this fact (the file is the truth for it)
    source_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    #: why the fact needs an inference its quotes do not show; NULL when they show it all
    inferred: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint(
            date_precision_check("start_date", "start_precision"), name="start_dated"
        ),
        sa.CheckConstraint(date_precision_check("end_date", "end_precision"), name="end_dated"),
        sa.CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR start_date <= end_date", name="date_order"
        ),
        sa.CheckConstraint(
            "cameo_code IS NULL OR (length(cameo_code) BETWEEN 2 AND 4)", name="cameo_code_length"
        ),
        sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="parent_other"),
        sa.Index("ix_events_start_date_start_precision", "start_date", "start_precision"),
    )


class EventParticipant(Base):
    """An entity's part in an event; a group of unnamed members carries a count and qualifier."""

    __tablename__ = "event_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"))
    entity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[ParticipantRole] = mapped_column(choice(ParticipantRole, "role"))
    count: Mapped[int | None]
    count_qualifier: Mapped[CountQualifier | None] = mapped_column(
        choice(CountQualifier, "count_qualifier")
    )
    note: Mapped[str | None] = mapped_column(sa.Text)
    #: why the fact needs an inference its quotes do not show; NULL when they show it all
    inferred: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.UniqueConstraint("event_id", "entity_id", "role"),
        sa.CheckConstraint("count IS NULL OR count >= 0", name="count_non_negative"),
        sa.CheckConstraint(
            "count_qualifier IS NULL OR count IS NOT NULL", name="count_qualifier_needs_count"
        ),
    )
