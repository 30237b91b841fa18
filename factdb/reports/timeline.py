"""Events in date order, each with the precision it has; undated events are kept, at the end."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.models import tables
from factdb.reports.common import (
    CoreTable,
    IdQuery,
    date_label,
    ids_of,
    inferred_label,
    resolve_entity,
    with_sources,
)

Entity = CoreTable(tables.entities)
Event = CoreTable(tables.events)
EventParticipant = CoreTable(tables.event_participants)


@dataclass(frozen=True)
class TimelineRow:
    when: str
    date: dt.date | None
    precision: str
    slug: str
    kind: str
    title: str
    location: str | None
    part_of: str | None
    participants: list[str]
    sources: list[str]
    #: why the event goes beyond its quotes; None when they show it all
    inferred: str | None = None
    #: held, or planned, announced, postponed, cancelled
    status: str = "held"


def timeline(
    conn: Connection,
    entity: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    *,
    within: IdQuery | None = None,
) -> list[TimelineRow]:
    """Events in date order; ``date_from``/``date_to`` filter dated events only, ``within``
    narrows them to a query of event ids."""
    location, parent = Entity.alias(), Event.alias()
    query = (
        sa.select(Event, location.name.label("location"), parent.title.label("part_of"))
        .outerjoin(location, location.id == Event.location_id)
        .outerjoin(parent, parent.id == Event.parent_id)
    )
    if entity is not None:
        ref = resolve_entity(conn, entity)
        involved = sa.select(EventParticipant.event_id).where(EventParticipant.entity_id == ref.id)
        query = query.where(sa.or_(Event.id.in_(involved), Event.location_id == ref.id))
    if date_from is not None:
        query = query.where(sa.or_(Event.start_date.is_(None), Event.start_date >= date_from))
    if date_to is not None:
        query = query.where(sa.or_(Event.start_date.is_(None), Event.start_date <= date_to))
    if within is not None:
        query = query.where(Event.id.in_(within))
    # by id: a fact's rows together for ``with_sources``; the order is the sort's below
    rows = with_sources(conn, query.order_by(Event.id), "event", Event.id)
    ids = ids_of(query, Event.id)
    participants: dict[int, list[str]] = defaultdict(list)
    if rows:
        for event_id, name, role, count, qualifier, inferred in conn.execute(
            sa.select(
                EventParticipant.event_id,
                Entity.name,
                EventParticipant.role,
                EventParticipant.count,
                EventParticipant.count_qualifier,
                EventParticipant.inferred,
            )
            .join(Entity, Entity.id == EventParticipant.entity_id)
            .where(EventParticipant.event_id.in_(ids))
            .order_by(EventParticipant.event_id, EventParticipant.role, Entity.name)
        ):
            counted = f"{qualifier or ''} {count} ".lstrip() if count is not None else ""
            participants[event_id].append(f"{counted}{name} ({role}){inferred_label(inferred)}")
    out = [
        TimelineRow(
            when=date_label(r.start_date, r.start_precision)
            + (f" ({r.date_note})" if r.date_note and not r.start_date else ""),
            date=r.start_date,
            precision=str(r.start_precision),
            slug=r.slug,
            kind=str(r.kind),
            title=r.title,
            location=r.location,
            part_of=r.part_of,
            participants=participants[r.id],
            sources=sources,
            inferred=r.inferred,
            status=str(r.status),
        )
        for r, sources in rows
    ]
    rank = {"year": 0, "month": 1, "day": 2, "unknown": 3}
    return sorted(
        out,
        key=lambda row: (
            row.date is None,
            row.date or dt.date.max,
            rank.get(row.precision, 3),
            row.title,
        ),
    )
