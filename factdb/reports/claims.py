"""Relations and claims: who said what about whom, and the evidence for it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.models import tables
from factdb.reports.common import (
    CoreTable,
    IdQuery,
    date_label,
    end_label,
    resolve_entity,
    with_sources,
)

Entity = CoreTable(tables.entities)
Relation = CoreTable(tables.relations)


@dataclass(frozen=True)
class RelationRow:
    slug: str
    subject: str
    predicate: str
    object: str | None
    value: str | None
    context: str | None
    valid_from: str
    valid_to: str | None
    claimed_by: str | None
    rank: str
    sources: list[str]
    #: why the relation goes beyond its quotes; None when they show it all
    inferred: str | None = None


def relations(
    conn: Connection,
    *,
    claims_only: bool = False,
    by: str | None = None,
    about: str | None = None,
    predicates: list[str] | None = None,
    within: IdQuery | None = None,
) -> list[RelationRow]:
    """Relations in subject order; ``within`` narrows them to a query of relation ids."""
    subject, obj, context, claimant = (Entity.alias() for _ in range(4))
    query = (
        sa.select(
            Relation,
            subject.name.label("subject"),
            obj.name.label("object"),
            context.name.label("context"),
            claimant.name.label("claimed_by"),
        )
        .join(subject, subject.id == Relation.subject_id)
        .outerjoin(obj, obj.id == Relation.object_id)
        .outerjoin(context, context.id == Relation.context_id)
        .outerjoin(claimant, claimant.id == Relation.claimed_by_id)
        .order_by(subject.name, Relation.predicate, Relation.slug)
    )
    if claims_only:
        query = query.where(Relation.claimed_by_id.is_not(None))
    if by is not None:
        query = query.where(Relation.claimed_by_id == resolve_entity(conn, by).id)
    if about is not None:
        ref = resolve_entity(conn, about).id
        query = query.where(
            sa.or_(
                Relation.subject_id == ref, Relation.object_id == ref, Relation.context_id == ref
            )
        )
    if predicates:
        query = query.where(Relation.predicate.in_(predicates))
    if within is not None:
        query = query.where(Relation.id.in_(within))
    return [
        RelationRow(
            slug=r.slug,
            subject=r.subject,
            predicate=str(r.predicate),
            object=r.object,
            value=r.value,
            context=r.context,
            valid_from=date_label(r.valid_from, r.valid_from_precision),
            valid_to=end_label(r.valid_to, r.valid_to_precision),
            claimed_by=r.claimed_by,
            rank=str(r.rank),
            sources=sources,
            inferred=r.inferred,
        )
        for r, sources in with_sources(conn, query, "relation", Relation.id)
    ]


def claims(conn: Connection, by: str | None = None) -> list[RelationRow]:
    """Claims with who made them (``by`` narrows to one claimant)."""
    return relations(conn, claims_only=True, by=by)
