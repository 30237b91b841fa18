"""What fact files may refer to that the database already holds, read in bounded statements.

No statement binds one parameter per row: lists of keys are sent in chunks (``In``) far below
SQLite's and PostgreSQL's limits on bound parameters. This module only reads; it must not write.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.factfiles.validate import (
    Catalog,
    ValidFile,
)
from factdb.factkinds import OWNED
from factdb.models import (
    DocumentSignatory,
    Entity,
    EntityAlias,
    EntityIdentifier,
    Event,
    EventParticipant,
    Evidence,
    Quantity,
    Relation,
    Role,
    Source,
    TradeFlow,
)

#: keys bound per statement in an IN list (SQLite allows 32,766 parameters, PostgreSQL 65,535)
KEYS_PER_STATEMENT = 5_000


@dataclass(frozen=True)
class In:
    """``column IN values`` for any number of values: one statement per chunk of them."""

    column: Any
    values: Collection[Any]

    def clauses(self) -> Iterator[sa.ColumnElement[bool]]:
        values = list(self.values)
        for start in range(0, len(values), KEYS_PER_STATEMENT):
            yield self.column.in_(values[start : start + KEYS_PER_STATEMENT])


Where = sa.ColumnElement[bool] | In


def each_clause(where: Where) -> Iterator[sa.ColumnElement[bool]]:
    if isinstance(where, In):
        yield from where.clauses()
    else:
        yield where


def read_catalog(conn: Connection, files: Sequence[ValidFile] = ()) -> Catalog:
    """What fact files may refer to that is already in the database.

    Whether an entity is an imported one costs a look at its trade rows, so it is asked only of
    the entities holding an identifier that ``files`` declare for another entity.
    """
    catalog = Catalog()
    catalog.entity_slugs = set(conn.scalars(sa.select(Entity.slug)))
    for name, slug in conn.execute(
        sa.select(EntityAlias.name, Entity.slug).join(Entity, Entity.id == EntityAlias.entity_id)
    ):
        catalog.entity_names.setdefault(name, set()).add(slug)
    for name, slug in conn.execute(sa.select(Entity.name, Entity.slug)):
        catalog.entity_names.setdefault(name, set()).add(slug)
    catalog.source_slugs = set(conn.scalars(sa.select(Source.slug)))
    src = Source.__table__.alias("owner")
    for kind in OWNED:
        table = kind.model.__table__
        rows = conn.execute(
            sa.select(table.c.slug, src.c.slug)
            .outerjoin(src, src.c.id == table.c.source_id)
            .where(table.c.slug.is_not(None))
        )
        catalog.fact_owners[kind.name] = {slug: owner for slug, owner in rows}
    catalog.fact_owners["entity"] = {slug: None for slug in catalog.entity_slugs}
    ev, ent = Event.__table__, Entity.__table__
    part = EventParticipant.__table__
    for event, entity, role in conn.execute(
        sa.select(ev.c.slug, ent.c.slug, part.c.role)
        .join(ev, ev.c.id == part.c.event_id)
        .join(ent, ent.c.id == part.c.entity_id)
    ):
        catalog.participant_keys.add(f"{event}/{entity}/{role}")
    parent = ev.alias("parent")
    catalog.event_parents = {
        slug: parent_slug
        for slug, parent_slug in conn.execute(
            sa.select(ev.c.slug, parent.c.slug).join(parent, parent.c.id == ev.c.parent_id)
        )
    }
    ident = EntityIdentifier.__table__
    catalog.identifiers = {
        (str(scheme), value): slug
        for scheme, value, slug in conn.execute(
            sa.select(ident.c.scheme, ident.c.value, ent.c.slug).join(
                ent, ent.c.id == ident.c.entity_id
            )
        )
    }
    holders = {
        holder
        for valid in files
        for entity in valid.spec.entities
        for scheme, value in entity.identifiers.items()
        if (holder := catalog.identifiers.get((scheme.value, value), entity.slug)) != entity.slug
    }
    for clause in In(ent.c.slug, holders).clauses():
        catalog.imported_entities.update(
            conn.scalars(sa.select(ent.c.slug).where(clause, imported_only(ent.c.id)))
        )
    return catalog


def imported_only(entity_id: Any) -> sa.ColumnElement[bool]:
    """An entity an import created and nothing but imported trade rows and identifiers use.

    Such an entity carries no evidence, name, role, event, relation or fact-file trade row, so
    a fact file declaring the same identifier may take it over without losing anything.
    """
    trade = TradeFlow.__table__
    unused = [
        (Evidence.__table__, ("entity_id",)),
        (EntityAlias.__table__, ("entity_id",)),
        (Role.__table__, ("person_id", "organisation_id")),
        (EventParticipant.__table__, ("entity_id",)),
        (Event.__table__, ("location_id", "invited_by_id")),
        (Relation.__table__, ("subject_id", "object_id", "context_id", "claimed_by_id")),
        (Quantity.__table__, ("subject_id", "partner_id", "stated_by_id")),
        (DocumentSignatory.__table__, ("entity_id", "on_behalf_of_id")),
        (TradeFlow.__table__, ("stated_by_id",)),
    ]
    conditions = [
        ~sa.exists().where(sa.or_(*(table.c[column] == entity_id for column in columns)))
        for table, columns in unused
    ]
    in_trade = sa.or_(trade.c.reporter_id == entity_id, trade.c.partner_id == entity_id)
    # fact-file rows are the few with a slug (a partial index holds just them)
    conditions.append(~sa.exists().where(trade.c.slug.is_not(None), in_trade))
    conditions.append(
        sa.or_(
            sa.exists().where(trade.c.reporter_id == entity_id),
            sa.exists().where(trade.c.partner_id == entity_id),
        )
    )
    return sa.and_(*conditions)
