"""Everything factdb holds about one entity."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.models import tables
from factdb.reports.claims import RelationRow, relations
from factdb.reports.common import (
    CoreTable,
    date_label,
    end_label,
    ids_of,
    resolve_entity,
    sources_by_fact,
)

Entity = CoreTable(tables.entities)
EntityAlias = CoreTable(tables.entity_aliases)
EntityIdentifier = CoreTable(tables.entity_identifiers)
Event = CoreTable(tables.events)
EventParticipant = CoreTable(tables.event_participants)
Evidence = CoreTable(tables.evidence)
Role = CoreTable(tables.roles)
Source = CoreTable(tables.sources)


@dataclass(frozen=True)
class RoleRow:
    person: str
    title: str
    organisation: str
    valid_from: str
    valid_to: str | None
    current: bool
    sources: list[str]
    as_of: str = "undated"
    #: why the role goes beyond its quotes; None when they show it all
    inferred: str | None = None


@dataclass(frozen=True)
class EntityEventRow:
    when: str
    event: str
    title: str
    part: str
    sources: list[str]
    #: why the event, or this entity's part in it, goes beyond its quotes
    inferred: str | None = None


@dataclass
class EntityReport:
    slug: str
    kind: str
    name: str
    description: str | None
    aliases: list[str] = field(default_factory=list)
    identifiers: dict[str, str] = field(default_factory=dict)
    roles: list[RoleRow] = field(default_factory=list)
    events: list[EntityEventRow] = field(default_factory=list)
    relations: list[RelationRow] = field(default_factory=list)
    claims_made: list[RelationRow] = field(default_factory=list)
    claims_about: list[RelationRow] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    #: why the entity itself goes beyond its quotes; None when they show it all
    inferred: str | None = None


def roles_of(conn: Connection, entity_ids: list[int]) -> list[RoleRow]:
    """Roles held by, or held in, the given entities."""
    return roles_where(
        conn, sa.or_(Role.person_id.in_(entity_ids), Role.organisation_id.in_(entity_ids))
    )


def roles_where(conn: Connection, condition: sa.ColumnElement[bool]) -> list[RoleRow]:
    """Roles matching ``condition``; ``as_of`` is the newest publication date of the sources
    that state each, so a role read as held is held "as of" that date, not today."""
    person, org = Entity.alias(), Entity.alias()
    query = (
        sa.select(Role, person.name.label("person"), org.name.label("org"))
        .join(person, person.id == Role.person_id)
        .join(org, org.id == Role.organisation_id)
        .where(condition)
        .order_by(org.name, Role.valid_to_precision.is_not(None), person.name)
    )
    # one statement for the roles, their sources' slugs and publication dates: by role (the
    # id after the order above, for ties), then source, so a role's rows stay together
    evidence, source = tables.evidence.alias("role_evidence"), tables.sources.alias("role_source")
    rows: list[Any] = []
    sources: dict[int, list[str]] = defaultdict(list)
    newest: dict[int, tuple[dt.date, str]] = {}
    for row in conn.execute(
        query.add_columns(
            source.c.slug.label("source_slug"),
            source.c.published_on.label("source_published_on"),
            source.c.published_precision.label("source_published_precision"),
        )
        .outerjoin(evidence, evidence.c.role_id == Role.id)
        .outerjoin(source, source.c.id == evidence.c.source_id)
        .order_by(Role.id, source.c.slug)
    ):
        role_id, slug, published = int(row.id), row.source_slug, row.source_published_on
        if not rows or rows[-1].id != role_id:
            rows.append(row)
        if slug is not None and (not sources[role_id] or sources[role_id][-1] != slug):
            sources[role_id].append(slug)
        if published is None:
            continue
        if role_id not in newest or published > newest[role_id][0]:
            newest[role_id] = (published, str(row.source_published_precision))
    return [
        RoleRow(
            person=r.person,
            title=r.title,
            organisation=r.org,
            valid_from=date_label(r.valid_from, r.valid_from_precision),
            valid_to=end_label(r.valid_to, r.valid_to_precision),
            current=r.valid_to_precision is None,
            sources=sources[r.id],
            as_of=date_label(*newest.get(r.id, (None, None))),
            inferred=r.inferred,
        )
        for r in rows
    ]


def entity_report(conn: Connection, name: str) -> EntityReport:
    ref = resolve_entity(conn, name)
    entity = conn.execute(sa.select(Entity).where(Entity.id == ref.id)).one()
    report = EntityReport(ref.slug, ref.kind, ref.name, entity.description)
    report.inferred = entity.inferred
    report.aliases = list(
        conn.scalars(
            sa.select(EntityAlias.name)
            .where(EntityAlias.entity_id == ref.id)
            .order_by(EntityAlias.name)
        )
    )
    report.identifiers = {
        str(scheme): value
        for scheme, value in conn.execute(
            sa.select(EntityIdentifier.scheme, EntityIdentifier.value)
            .where(EntityIdentifier.entity_id == ref.id)
            .order_by(EntityIdentifier.scheme)
        )
    }
    report.roles = roles_of(conn, [ref.id])
    taken_part = (
        sa.select(Event, EventParticipant.role, EventParticipant.inferred.label("part_inferred"))
        .join(EventParticipant, EventParticipant.event_id == Event.id)
        .where(EventParticipant.entity_id == ref.id)
        .order_by(Event.start_date.is_(None), Event.start_date, Event.title)
    )
    rows = conn.execute(taken_part).all()
    event_sources = sources_by_fact(conn, "event", ids_of(taken_part, Event.id))
    report.events = [
        EntityEventRow(
            when=date_label(r.start_date, r.start_precision),
            event=r.slug,
            title=r.title,
            part=str(r.role),
            sources=event_sources[r.id],
            inferred="; ".join(i for i in (r.inferred, r.part_inferred) if i) or None,
        )
        for r in rows
    ]
    everything = relations(conn, about=ref.slug)
    report.relations = [r for r in everything if r.claimed_by is None]
    report.claims_about = [r for r in everything if r.claimed_by is not None]
    report.claims_made = relations(conn, claims_only=True, by=ref.slug)
    report.sources = list(
        conn.scalars(
            sa.select(Source.slug)
            .join(Evidence, Evidence.source_id == Source.id)
            .where(Evidence.entity_id == ref.id)
            .distinct()
            .order_by(Source.slug)
        )
    )
    return report
