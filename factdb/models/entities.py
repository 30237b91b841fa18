"""Entities (countries, people, organisations ...), their names, identifiers and roles."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from factdb.models.base import Base, choice, date_precision_check
from factdb.vocabulary import EntityKind, IdentifierScheme, Precision


class Entity(Base):
    """Anything a fact can be about; ``slug`` is the stable key fact files refer to."""

    __tablename__ = "entities"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    kind: Mapped[EntityKind] = mapped_column(choice(EntityKind, "kind"), index=True)
    name: Mapped[str] = mapped_column(sa.String(300), index=True)
    description: Mapped[str | None] = mapped_column(sa.Text)
    #: why the fact needs an inference its quotes do not show; NULL when they show it all
    inferred: Mapped[str | None] = mapped_column(sa.Text)

    aliases: Mapped[list[EntityAlias]] = relationship(
        back_populates="entity", cascade="all, delete-orphan", passive_deletes=True
    )
    identifiers: Mapped[list[EntityIdentifier]] = relationship(
        back_populates="entity", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (sa.CheckConstraint("length(slug) > 0", name="slug_not_empty"),)


class EntityAlias(Base):
    """Another name of an entity, in a given language ('und' when unknown)."""

    __tablename__ = "entity_aliases"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(sa.ForeignKey("entities.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(sa.String(300), index=True)
    language: Mapped[str] = mapped_column(sa.String(16), default="und")

    entity: Mapped[Entity] = relationship(back_populates="aliases")

    __table_args__ = (sa.UniqueConstraint("entity_id", "name", "language"),)


class EntityIdentifier(Base):
    """An external identifier (ISO 3166, UN M49, Wikidata, HS ...), unique per scheme."""

    __tablename__ = "entity_identifiers"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    scheme: Mapped[IdentifierScheme] = mapped_column(choice(IdentifierScheme, "scheme"))
    value: Mapped[str] = mapped_column(sa.String(100))

    entity: Mapped[Entity] = relationship(back_populates="identifiers")

    __table_args__ = (
        sa.UniqueConstraint("scheme", "value"),
        sa.CheckConstraint("length(value) > 0", name="value_not_empty"),
    )


class Role(Base):
    """A person's position in an organisation or country over time.

    A "former" role is an ended one: ``valid_to_precision`` is set (``unknown`` when only the
    fact of its end is known) and NULL means the role is held still.
    """

    __tablename__ = "roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(200), unique=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    organisation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(sa.String(300))
    #: the source whose fact file declares this fact (the file is the truth for it)
    source_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    valid_from: Mapped[dt.date | None]
    valid_from_precision: Mapped[Precision] = mapped_column(
        choice(Precision, "valid_from_precision"), default=Precision.UNKNOWN
    )
    valid_to: Mapped[dt.date | None]
    valid_to_precision: Mapped[Precision | None] = mapped_column(
        choice(Precision, "valid_to_precision")
    )
    #: why the fact needs an inference its quotes do not show; NULL when they show it all
    inferred: Mapped[str | None] = mapped_column(sa.Text)

    __table_args__ = (
        sa.CheckConstraint(
            date_precision_check("valid_from", "valid_from_precision"), name="valid_from_dated"
        ),
        sa.CheckConstraint(
            date_precision_check("valid_to", "valid_to_precision", optional=True),
            name="valid_to_dated",
        ),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to", name="valid_order"
        ),
        sa.CheckConstraint("person_id <> organisation_id", name="distinct_parties"),
    )


class EntityDeclaration(Base):
    """One source's declaration of an entity: what its fact file says the entity is.

    Entities are shared between files; these rows let a load merge what several files say
    and drop only what no file says any more. ``file`` and ``line`` are where the declaration
    was last loaded from (NULL when it was recorded before files were), for error messages.
    """

    __tablename__ = "entity_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    entity_id: Mapped[int] = mapped_column(sa.ForeignKey("entities.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[EntityKind] = mapped_column(choice(EntityKind, "kind"))
    name: Mapped[str] = mapped_column(sa.String(300))
    #: NULL: this source says nothing about the description (it never clears one)
    description: Mapped[str | None] = mapped_column(sa.Text)
    file: Mapped[str | None] = mapped_column(sa.String(1000))
    line: Mapped[int | None]

    __table_args__ = (sa.UniqueConstraint("entity_id", "source_id"),)


class EntityAliasDeclaration(Base):
    """A source whose fact file declares an alias: the alias goes when the last one stops."""

    __tablename__ = "entity_alias_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    alias_id: Mapped[int] = mapped_column(sa.ForeignKey("entity_aliases.id", ondelete="CASCADE"))
    source_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (sa.UniqueConstraint("alias_id", "source_id"),)


class EntityIdentifierDeclaration(Base):
    """A source whose fact file declares an identifier: the identifier goes when the last one
    stops, unless an import matches trade rows by it."""

    __tablename__ = "entity_identifier_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("entity_identifiers.id", ondelete="CASCADE")
    )
    source_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (sa.UniqueConstraint("identifier_id", "source_id"),)
