"""Entities (countries, people, organisations ...), their names, identifiers and roles.

The tables are declared in ``factdb.models.tables`` (Core); the classes here map them for the
ORM and must not declare a column.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, relationship

from factdb.models import tables
from factdb.models.base import Base
from factdb.vocabulary import EntityKind, IdentifierScheme, Precision


class Entity(Base):
    """Anything a fact can be about; ``slug`` is the stable key fact files refer to."""

    __tablename__ = "entities"
    __table__: ClassVar[sa.FromClause] = tables.entities

    id: Mapped[int]
    slug: Mapped[str]
    kind: Mapped[EntityKind]
    name: Mapped[str]
    description: Mapped[str | None]
    inferred: Mapped[str | None]

    aliases: Mapped[list[EntityAlias]] = relationship(
        back_populates="entity", cascade="all, delete-orphan", passive_deletes=True
    )
    identifiers: Mapped[list[EntityIdentifier]] = relationship(
        back_populates="entity", cascade="all, delete-orphan", passive_deletes=True
    )


class EntityAlias(Base):
    """Another name of an entity, in a given language ('und' when unknown)."""

    __tablename__ = "entity_aliases"
    __table__: ClassVar[sa.FromClause] = tables.entity_aliases

    id: Mapped[int]
    entity_id: Mapped[int]
    name: Mapped[str]
    language: Mapped[str]

    entity: Mapped[Entity] = relationship(back_populates="aliases")


class EntityIdentifier(Base):
    """An external identifier (ISO 3166, UN M49, Wikidata, HS ...), unique per scheme."""

    __tablename__ = "entity_identifiers"
    __table__: ClassVar[sa.FromClause] = tables.entity_identifiers

    id: Mapped[int]
    entity_id: Mapped[int]
    scheme: Mapped[IdentifierScheme]
    value: Mapped[str]

    entity: Mapped[Entity] = relationship(back_populates="identifiers")


class Role(Base):
    """A person's position in an organisation or country over time.

    A "former" role is an ended one: ``valid_to_precision`` is set (``unknown`` when only the
    fact of its end is known) and NULL means the role is held still.
    """

    __tablename__ = "roles"
    __table__: ClassVar[sa.FromClause] = tables.roles

    id: Mapped[int]
    slug: Mapped[str]
    person_id: Mapped[int]
    organisation_id: Mapped[int]
    title: Mapped[str]
    source_id: Mapped[int | None]
    valid_from: Mapped[dt.date | None]
    valid_from_precision: Mapped[Precision]
    valid_to: Mapped[dt.date | None]
    valid_to_precision: Mapped[Precision | None]
    inferred: Mapped[str | None]


class EntityDeclaration(Base):
    """One source's declaration of an entity: what its fact file says the entity is.

    Entities are shared between files; these rows let a load merge what several files say
    and drop only what no file says any more. ``file`` and ``line`` are where the declaration
    was last loaded from (NULL when it was recorded before files were), for error messages.
    """

    __tablename__ = "entity_declarations"
    __table__: ClassVar[sa.FromClause] = tables.entity_declarations

    id: Mapped[int]
    entity_id: Mapped[int]
    source_id: Mapped[int]
    kind: Mapped[EntityKind]
    name: Mapped[str]
    description: Mapped[str | None]
    file: Mapped[str | None]
    line: Mapped[int | None]


class EntityAliasDeclaration(Base):
    """A source whose fact file declares an alias: the alias goes when the last one stops."""

    __tablename__ = "entity_alias_declarations"
    __table__: ClassVar[sa.FromClause] = tables.entity_alias_declarations

    id: Mapped[int]
    alias_id: Mapped[int]
    source_id: Mapped[int]


class EntityIdentifierDeclaration(Base):
    """A source whose fact file declares an identifier: the identifier goes when the last one
    stops, unless an import matches trade rows by it."""

    __tablename__ = "entity_identifier_declarations"
    __table__: ClassVar[sa.FromClause] = tables.entity_identifier_declarations

    id: Mapped[int]
    identifier_id: Mapped[int]
    source_id: Mapped[int]
