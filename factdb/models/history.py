"""The history of every change: changesets and the previous versions of rows.

The rows here are written by the database itself (triggers of revision 0011) and by
``factdb.history``; nothing else may write them, and this module declares tables only. Every
tracked fact table also gets a nullable ``changeset_id`` (the changeset that last inserted or
updated the row), declared here so the models match the database. It has no foreign key: on
PostgreSQL a per-row check would slow the bulk import, and on SQLite adding one rebuilds tables.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

# the tracked tables must be registered before they are given their changeset_id
from factdb.models import (  # noqa: F401
    documents,
    entities,
    events,
    evidence,
    quantities,
    relations,
    sources,
    trade,
)
from factdb.models.base import Base

#: every table whose updates and deletes are kept (revision 0011's ``HISTORY_TABLES``)
HISTORY_TABLES: tuple[str, ...] = (
    "sources",
    "entities",
    "entity_aliases",
    "entity_identifiers",
    "roles",
    "events",
    "event_participants",
    "trade_flows",
    "trade_derivations",
    "relations",
    "evidence",
    "quantities",
    "documents",
    "document_signatories",
    "entity_declarations",
    "entity_alias_declarations",
    "entity_identifier_declarations",
)


class JsonDocument(sa.types.TypeDecorator[Any]):
    """JSONB on PostgreSQL; on SQLite JSON text as ``json.dumps`` writes it (spaced, UTF-8).

    SQLite's history triggers write that same form, and PostgreSQL prints JSONB in it too, so a
    version copied from either into a SQLite snapshot reads the same in the views.
    """

    impl = sa.JSON
    cache_ok = True

    def load_dialect_impl(self, dialect: sa.Dialect) -> sa.types.TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB())
        return dialect.type_descriptor(sa.JSON())

    def bind_processor(self, dialect: sa.Dialect) -> Any:
        if dialect.name == "postgresql":
            return super().bind_processor(dialect)

        def process(value: Any) -> Any:
            if value is None or isinstance(value, str):
                return value
            return json.dumps(value, ensure_ascii=False)

        return process

    def result_processor(self, dialect: sa.Dialect, coltype: Any) -> Any:
        if dialect.name == "postgresql":
            return super().result_processor(dialect, coltype)

        def process(value: Any) -> Any:
            return json.loads(value) if isinstance(value, str) else value

        return process


#: INTEGER PRIMARY KEY on SQLite (the rowid), BIGINT elsewhere
BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


class Changeset(Base):
    """One write transaction: when, which database user, which command, files, counts."""

    __tablename__ = "changesets"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[dt.datetime]
    db_user: Mapped[str] = mapped_column(sa.String(200))
    command: Mapped[str] = mapped_column(sa.String(200))
    #: [{"path": ..., "sha256": ...}] of the files the command wrote from
    files: Mapped[Any] = mapped_column(JsonDocument())
    #: {table: {"inserted": n, "updated": n, "deleted": n}} as the command counted them
    counts: Mapped[Any] = mapped_column(JsonDocument())
    #: PostgreSQL's transaction id; followers order changesets by it
    txid: Mapped[int | None] = mapped_column(sa.BigInteger, unique=True)


class RowVersion(Base):
    """The previous version of a row that a changeset updated or deleted, as JSON."""

    __tablename__ = "row_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    changeset_id: Mapped[int] = mapped_column(
        sa.BigInteger, sa.ForeignKey("changesets.id"), index=True
    )
    table_name: Mapped[str] = mapped_column(sa.String(100))
    #: the first primary-key column of the row (``derived_id`` for trade_derivations)
    row_id: Mapped[int | None] = mapped_column(sa.BigInteger)
    operation: Mapped[str] = mapped_column(sa.String(6))
    old_row: Mapped[Any] = mapped_column(JsonDocument())

    __table_args__ = (
        sa.CheckConstraint("operation IN ('update', 'delete')", name="operation"),
        sa.Index("ix_row_versions_table_name_row_id", "table_name", "row_id"),
    )


def _track(table: sa.Table) -> None:
    if "changeset_id" not in table.c:
        table.append_column(sa.Column("changeset_id", sa.BigInteger, nullable=True))


for _name in HISTORY_TABLES:
    _track(Base.metadata.tables[_name])
