"""The SQLAlchemy models; importing this package registers every table on ``metadata``."""

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

metadata = Base.metadata

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
