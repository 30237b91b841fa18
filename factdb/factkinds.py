"""The one table of fact kinds: where a fact file declares each, where it is stored, and which
evidence column points at it.

Everything that handles "every kind of fact" (the evidence CHECK, the ``supports:`` reference
pattern, validation, the loader's catalog and deletions, the reports' source lookups) derives
from ``FACT_KINDS``; adding a kind is a row here plus its model, spec and migration. This module
is plain data: it must not import SQLAlchemy, Pydantic or the models at import time, so the
models and the fact-file schema can both build on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

#: what follows ``kind:`` in a ``supports:`` reference to a fact that has a slug
SLUG_KEY = "[a-z0-9-]+"


@dataclass(frozen=True)
class FactKind:
    """One kind of fact that evidence can support."""

    #: the name written before ``:`` in ``supports:`` and stored in reports
    name: str
    #: where a fact file declares it: a top-level list, or (two keys) a list in each item of one
    section: tuple[str, ...]
    #: the table it is stored in
    table: str
    #: the evidence column that points at it
    evidence_column: str
    #: what follows ``name:`` in a ``supports:`` reference (a slug unless the kind has none)
    key_pattern: str = SLUG_KEY
    #: declared by exactly one source, whose file is its truth (removed when the file drops
    #: it); entities are shared between files instead
    owned_by_source: bool = True

    @property
    def has_slug(self) -> bool:
        return self.key_pattern == SLUG_KEY

    @property
    def model(self) -> Any:
        """The mapped class of ``table`` (imported only when asked for)."""
        from factdb.models import Base

        for mapper in Base.registry.mappers:
            if getattr(mapper.class_, "__tablename__", None) == self.table:
                return mapper.class_
        raise LookupError(f"no model for table {self.table}")


#: every kind, in the documented order (also the order facts are written and quoted)
FACT_KINDS: tuple[FactKind, ...] = (
    FactKind("entity", ("entities",), "entities", "entity_id", owned_by_source=False),
    FactKind("role", ("roles",), "roles", "role_id"),
    FactKind("event", ("events",), "events", "event_id"),
    FactKind(
        "participant",
        ("events", "participants"),
        "event_participants",
        "participant_id",
        key_pattern=".+",  # EVENT/ENTITY/ROLE
        owned_by_source=False,
    ),
    FactKind("trade", ("trade",), "trade_flows", "trade_flow_id"),
    FactKind("relation", ("relations",), "relations", "relation_id"),
    FactKind("quantity", ("quantities",), "quantities", "quantity_id"),
    FactKind("document", ("documents",), "documents", "document_id"),
)

#: kinds with a slug of their own, declared in a top-level section of a fact file
SLUGGED: tuple[FactKind, ...] = tuple(k for k in FACT_KINDS if k.has_slug)
#: kinds one source declares and owns
OWNED: tuple[FactKind, ...] = tuple(k for k in SLUGGED if k.owned_by_source)
#: name -> kind
BY_NAME: dict[str, FactKind] = {kind.name: kind for kind in FACT_KINDS}

#: the pattern of a ``supports:`` reference, ``kind:key``
FACT_REF_PATTERN = "|".join(
    [f"^({'|'.join(k.name for k in SLUGGED)}):{SLUG_KEY}$"]
    + [f"^{k.name}:{k.key_pattern}$" for k in FACT_KINDS if not k.has_slug]
)


def kind_at(path: tuple[str | int, ...]) -> FactKind | None:
    """The kind declared at a document path such as ``("events", 3, "participants", 0)``."""
    sections = tuple(part for part in path if isinstance(part, str))
    for kind in FACT_KINDS:
        if kind.section == sections:
            return kind
    return None
