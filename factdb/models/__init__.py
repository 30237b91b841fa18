"""The schema: Core tables in ``factdb.models.tables``, and the ORM classes that map them.

Reads query the Core tables and never import ``sqlalchemy.orm``; writers use the ORM classes,
each built the first time a name from its module is asked for (building a mapper costs more
than most reports' queries). ``metadata`` and ``Base`` stand for the whole schema: asking for
either builds every class, the history tables and their columns, and the PostgreSQL condition
of each partial index, so migrations, drift checks and writers see every table as the
database has it. This module must not import any submodule at import time.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from factdb.vocabulary import (
    TOTAL_COMMODITY,
    CountQualifier,
    DocumentKind,
    EntityKind,
    EventKind,
    EventStatus,
    Flow,
    IdentifierScheme,
    Measure,
    ParticipantRole,
    Precision,
    Predicate,
    QuantityKind,
    Rank,
    SignatoryRole,
    SourceKind,
    TradeStatus,
    ValueQualifier,
)

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from factdb.models.base import Base
    from factdb.models.documents import Document, DocumentSignatory
    from factdb.models.entities import Entity, EntityAlias, EntityIdentifier, Role
    from factdb.models.events import Event, EventParticipant
    from factdb.models.evidence import FACT_COLUMNS, Evidence
    from factdb.models.history import HISTORY_TABLES, Changeset, RowVersion
    from factdb.models.quantities import Quantity
    from factdb.models.relations import Relation
    from factdb.models.sources import Source
    from factdb.models.trade import TradeDerivation, TradeFlow

    metadata: MetaData

#: which module defines each lazily built name
_HOME = {
    "Document": "documents",
    "DocumentSignatory": "documents",
    "Entity": "entities",
    "EntityAlias": "entities",
    "EntityIdentifier": "entities",
    "Role": "entities",
    "Event": "events",
    "EventParticipant": "events",
    "FACT_COLUMNS": "evidence",
    "Evidence": "evidence",
    "HISTORY_TABLES": "history",
    "Changeset": "history",
    "RowVersion": "history",
    "Quantity": "quantities",
    "Relation": "relations",
    "Source": "sources",
    "TradeDerivation": "trade",
    "TradeFlow": "trade",
}
#: names that stand for the whole schema
_WHOLE = ("Base", "metadata")


def load_all() -> None:
    """Build every model, so ``metadata`` holds every table, column and index."""
    for module in sorted(set(_HOME.values())):
        importlib.import_module(f"factdb.models.{module}")
    from factdb.models.tables import add_postgresql_partial_indexes

    add_postgresql_partial_indexes()


def __getattr__(name: str) -> Any:
    if name in _WHOLE:
        load_all()
        from factdb.models.base import Base as base

        value: Any = base if name == "Base" else base.metadata
    elif name in _HOME:
        value = getattr(importlib.import_module(f"factdb.models.{_HOME[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = [
    "FACT_COLUMNS",
    "HISTORY_TABLES",
    "TOTAL_COMMODITY",
    "Base",
    "Changeset",
    "CountQualifier",
    "Document",
    "DocumentKind",
    "DocumentSignatory",
    "Entity",
    "EntityAlias",
    "EntityIdentifier",
    "EntityKind",
    "Event",
    "EventKind",
    "EventParticipant",
    "EventStatus",
    "Evidence",
    "Flow",
    "IdentifierScheme",
    "Measure",
    "ParticipantRole",
    "Precision",
    "Predicate",
    "Quantity",
    "QuantityKind",
    "Rank",
    "Relation",
    "Role",
    "RowVersion",
    "SignatoryRole",
    "Source",
    "SourceKind",
    "TradeDerivation",
    "TradeFlow",
    "TradeStatus",
    "ValueQualifier",
    "metadata",
]
