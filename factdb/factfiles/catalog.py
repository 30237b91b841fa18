"""What fact files may refer to that the database already holds, read in bounded statements.

No statement binds one parameter per row: a list of keys is one parameter (``In``), whatever
its length, so no load meets SQLite's or PostgreSQL's limit on bound parameters. This module
only reads; it must not write.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles

from factdb.factfiles.validate import (
    Catalog,
    StoredDeclaration,
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
from factdb.models.entities import EntityDeclaration, EntityIdentifierDeclaration
from factdb.vocabulary import IdentifierScheme

#: the schemes imports match trade rows' countries by (``factdb import comtrade``)
IMPORT_SCHEMES = (IdentifierScheme.M49.value, IdentifierScheme.ISO3166_ALPHA3.value)


class KeyList(sa.ColumnElement[bool]):
    """``column IN (keys)`` with the keys bound as one parameter: a JSON array read by
    ``json_each`` on SQLite, an array compared with ``= ANY`` on PostgreSQL.

    A list of 66,000 slugs as 66,000 placeholders (in chunks, to stay under the engines' limits)
    cost more to prepare than to run. Compiled anew each time (the keys are part of the
    statement's parameters, not of a cached form).
    """

    inherit_cache = False
    type = sa.Boolean()

    def __init__(self, column: Any, keys: Collection[Any]) -> None:
        self.column = column
        self.keys = list(keys)


@compiles(KeyList, "sqlite")
def _sqlite_key_list(element: KeyList, compiler: Any, **kw: Any) -> str:
    keys = sa.bindparam(None, json.dumps(element.keys), type_=sa.Text(), unique=True)
    column = compiler.process(element.column, **kw)
    return f"{column} IN (SELECT value FROM json_each({compiler.process(keys, **kw)}))"


@compiles(KeyList, "postgresql")
def _postgresql_key_list(element: KeyList, compiler: Any, **kw: Any) -> str:
    from sqlalchemy.dialects.postgresql import ARRAY

    keys = sa.bindparam(None, element.keys, type_=ARRAY(element.column.type), unique=True)
    return f"{compiler.process(element.column, **kw)} = ANY({compiler.process(keys, **kw)})"


@dataclass(frozen=True)
class In:
    """``column IN values`` for any number of values, in one statement (``KeyList``)."""

    column: Any
    values: Collection[Any]

    def clauses(self) -> Iterator[sa.ColumnElement[bool]]:
        """One clause, or none for no values (so no statement runs at all)."""
        if self.values:
            yield KeyList(self.column, self.values)


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
    _read_declarations(conn, catalog, files)
    return catalog


def _read_declarations(conn: Connection, catalog: Catalog, files: Sequence[ValidFile]) -> None:
    """Who declares the entities and identifiers the files declare, and which identifiers the
    files stop declaring that an import still matches trade rows by."""
    ent, src = Entity.__table__, Source.__table__
    decl = EntityDeclaration.__table__
    slugs = {entity.slug for valid in files for entity in valid.spec.entities}
    slugs |= {  # and the entities holding what they declare, to name them in errors
        holder
        for valid in files
        for entity in valid.spec.entities
        for scheme, value in entity.identifiers.items()
        if (holder := catalog.identifiers.get((scheme.value, value))) is not None
    }
    for clause in In(ent.c.slug, slugs).clauses():
        for row in conn.execute(
            sa.select(
                ent.c.slug,
                src.c.slug.label("source"),
                decl.c.kind,
                decl.c.name,
                decl.c.description,
                decl.c.file,
                decl.c.line,
            )
            .select_from(decl)
            .join(ent, ent.c.id == decl.c.entity_id)
            .join(src, src.c.id == decl.c.source_id)
            .where(clause)
        ):
            catalog.entity_declarations.setdefault(row.slug, {})[row.source] = StoredDeclaration(
                row.source, str(row.kind), row.name, row.description, row.file, row.line
            )
    ident, link = EntityIdentifier.__table__, EntityIdentifierDeclaration.__table__
    declares = {
        valid.spec.source.slug: {
            (entity.slug, scheme.value, value)
            for entity in valid.spec.entities
            for scheme, value in entity.identifiers.items()
        }
        for valid in files
    }
    dropped: set[int] = set()
    for identifier_id, scheme, value, holder, source in conn.execute(
        sa.select(ident.c.id, ident.c.scheme, ident.c.value, ent.c.slug, src.c.slug)
        .select_from(link)
        .join(ident, ident.c.id == link.c.identifier_id)
        .join(ent, ent.c.id == ident.c.entity_id)
        .join(src, src.c.id == link.c.source_id)
    ):
        key = (str(scheme), value)
        catalog.identifier_sources.setdefault(key, set()).add(source)
        # a loaded source stops declaring it for its holder (it may give it to another)
        stopped = source in declares and (holder, *key) not in declares[source]
        if stopped and key[0] in IMPORT_SCHEMES:
            dropped.add(identifier_id)
    for clause in In(ident.c.id, dropped).clauses():
        for scheme, value in conn.execute(
            sa.select(ident.c.scheme, ident.c.value).where(clause, import_matches(ident))
        ):
            catalog.import_identifiers.add((str(scheme), value))


def import_matches(ident: Any) -> sa.ColumnElement[bool]:
    """An identifier an import matches trade rows by: an M49 or ISO alpha-3 code of an entity
    with imported trade rows. A fact file that stops declaring it must not remove it."""
    trade = TradeFlow.__table__
    imported = trade.c.slug.is_(None)
    return sa.and_(
        ident.c.scheme.in_(IMPORT_SCHEMES),
        sa.or_(
            sa.exists().where(imported, trade.c.reporter_id == ident.c.entity_id),
            sa.exists().where(imported, trade.c.partner_id == ident.c.entity_id),
        ),
    )


def imported_only(entity_id: Any) -> sa.ColumnElement[bool]:
    """An entity an import created and nothing but imported trade rows and identifiers use.

    Such an entity carries no evidence, name, declaration, role, event, relation or fact-file
    trade row, so a fact file declaring the same identifier may take it over without losing
    anything (an entity a file declares is never taken over).
    """
    trade = TradeFlow.__table__
    unused = [
        (Evidence.__table__, ("entity_id",)),
        (EntityAlias.__table__, ("entity_id",)),
        (EntityDeclaration.__table__, ("entity_id",)),
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
