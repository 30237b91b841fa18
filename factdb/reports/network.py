"""Who met, signed with, organised, funded or partnered with whom: edges between entities.

Returns typed edges; drawing them (Mermaid, dot) is ``factdb.render_graph``'s job, not this one's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.models import tables
from factdb.reports.common import CoreTable, ids_of, resolve_entity, sources_by_fact

Entity = CoreTable(tables.entities)
Event = CoreTable(tables.events)
EventParticipant = CoreTable(tables.event_participants)
Relation = CoreTable(tables.relations)

#: predicates that are edges of the network, with the label an edge gets
RELATION_EDGES = {
    "partnership": "partners with",
    "cooperates_with": "cooperates with",
    "funds": "funds",
    "met_before": "met",
}
PEOPLE_AND_BODIES = (
    "country",
    "person",
    "organisation",
    "company",
    "government_body",
    "group",
    "area",
)


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str
    via: str
    via_kind: str
    sources: list[str]


def _label(kind: str, role_a: str, role_b: str) -> tuple[str, bool] | None:
    """The edge label for two participants' roles; True when it runs from b to a."""
    roles = {role_a, role_b}
    if "funder" in roles and "recipient" in roles:
        # a commitment to fund is not funding
        label = "committed to fund" if kind == "funding_commitment" else "funded"
        return label, role_b == "funder"
    if roles == {"organiser"}:
        return None  # co-organisers did not thereby meet
    if "organiser" in roles:
        return "organised with", role_b == "organiser"
    if kind in ("signing", "memorandum") and roles <= {"signatory", "party"}:
        # signatories sign with signatories, parties with parties, not a person with a country
        return ("signed with", False) if role_a == role_b else None
    if "host" in roles and ("visitor" in roles or "attendee" in roles):
        return "hosted", role_b == "host"
    if kind in ("meeting", "audience", "forum", "ceremony", "visit"):
        return "met", False
    return None


def network(conn: Connection, entity: str | None = None) -> list[Edge]:
    ref = resolve_entity(conn, entity) if entity else None
    participants = (
        sa.select(
            EventParticipant.event_id, Event.slug, Event.kind, Entity.name, EventParticipant.role
        )
        .join(Event, Event.id == EventParticipant.event_id)
        .join(Entity, Entity.id == EventParticipant.entity_id)
        .where(
            Entity.kind.in_(PEOPLE_AND_BODIES),
            # a presence the sources leave ambiguous is no meeting
            EventParticipant.inferred.is_(None),
        )
        .order_by(EventParticipant.event_id, Entity.name)
    )
    rows = conn.execute(participants).all()
    by_event: dict[int, list[tuple[str, str]]] = defaultdict(list)
    meta: dict[int, tuple[str, str]] = {}
    for event_id, event_slug, event_kind, name, role in rows:
        by_event[event_id].append((name, str(role)))
        meta[event_id] = (event_slug, str(event_kind))
    sources = sources_by_fact(conn, "event", ids_of(participants, EventParticipant.event_id))
    edges: list[Edge] = []
    for event_id, members in by_event.items():
        slug, kind = meta[event_id]
        for (a, role_a), (b, role_b) in combinations(members, 2):
            labelled = _label(kind, role_a, role_b)
            if labelled is None or a == b:
                continue
            label, reverse = labelled
            source, target = (b, a) if reverse else (a, b)
            edges.append(Edge(source, target, label, slug, "event", sources[event_id]))
    subject, obj = Entity.alias(), Entity.alias()
    edge_relations = (
        sa.select(Relation.id, Relation.slug, Relation.predicate, subject.name, obj.name)
        .join(subject, subject.id == Relation.subject_id)
        .join(obj, obj.id == Relation.object_id)
        .where(Relation.predicate.in_(list(RELATION_EDGES)))
    )
    rel_rows = conn.execute(edge_relations).all()
    rel_sources = sources_by_fact(conn, "relation", ids_of(edge_relations, Relation.id))
    for rel_id, slug, predicate, a, b in rel_rows:
        edges.append(
            Edge(a, b, RELATION_EDGES[str(predicate)], slug, "relation", rel_sources[rel_id])
        )
    if ref is not None:
        edges = [e for e in edges if ref.name in (e.source, e.target)]
    return sorted(edges, key=lambda e: (e.source, e.target, e.label, e.via))
