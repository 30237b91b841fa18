"""Everything factdb holds about one entity."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from factdb.models import (
    Entity,
    EntityAlias,
    EntityIdentifier,
    Event,
    EventParticipant,
    Evidence,
    Role,
    Source,
)
from factdb.reports.claims import RelationRow, relations
from factdb.reports.common import date_label, end_label, orm_rows, resolve_entity, sources_by_fact


@dataclass(frozen=True)
class RoleRow:
    person: str
    title: str
    organisation: str
    valid_from: str
    valid_to: str | None
    current: bool
    sources: list[str]


@dataclass(frozen=True)
class EntityEventRow:
    when: str
    event: str
    title: str
    part: str
    sources: list[str]


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


def roles_of(conn: Connection, entity_ids: list[int]) -> list[RoleRow]:
    """Roles held by, or held in, the given entities."""
    person, org = aliased(Entity), aliased(Entity)
    rows = orm_rows(
        conn,
        sa.select(Role, person.name.label("person"), org.name.label("org"))
        .join(person, person.id == Role.person_id)
        .join(org, org.id == Role.organisation_id)
        .where(sa.or_(Role.person_id.in_(entity_ids), Role.organisation_id.in_(entity_ids)))
        .order_by(org.name, Role.valid_to_precision.is_not(None), person.name),
    )
    sources = sources_by_fact(conn, "role", [r.Role.id for r in rows])
    return [
        RoleRow(
            person=r.person,
            title=r.Role.title,
            organisation=r.org,
            valid_from=date_label(r.Role.valid_from, r.Role.valid_from_precision),
            valid_to=end_label(r.Role.valid_to, r.Role.valid_to_precision),
            current=r.Role.valid_to_precision is None,
            sources=sources[r.Role.id],
        )
        for r in rows
    ]


def entity_report(conn: Connection, name: str) -> EntityReport:
    ref = resolve_entity(conn, name)
    entity = orm_rows(conn, sa.select(Entity).where(Entity.id == ref.id))[0].Entity
    report = EntityReport(ref.slug, ref.kind, ref.name, entity.description)
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
    rows = orm_rows(
        conn,
        sa.select(Event, EventParticipant.role)
        .join(EventParticipant, EventParticipant.event_id == Event.id)
        .where(EventParticipant.entity_id == ref.id)
        .order_by(Event.start_date.is_(None), Event.start_date, Event.title),
    )
    event_sources = sources_by_fact(conn, "event", [r.Event.id for r in rows])
    report.events = [
        EntityEventRow(
            when=date_label(r.Event.start_date, r.Event.start_precision),
            event=r.Event.slug,
            title=r.Event.title,
            part=str(r.role),
            sources=event_sources[r.Event.id],
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
