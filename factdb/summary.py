"""A short, human summary of what a database holds: used by ``factdb quickstart``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factdb.db import connect
from factdb.models import (
    Entity,
    Event,
    EventParticipant,
    Evidence,
    Relation,
    Role,
    Source,
    TradeFlow,
)

COUNTED = [
    ("sources", Source),
    ("entities", Entity),
    ("roles", Role),
    ("events", Event),
    ("event participants", EventParticipant),
    ("trade rows", TradeFlow),
    ("relations and claims", Relation),
    ("evidence quotes", Evidence),
]


def counts(engine: Engine) -> dict[str, int]:
    """Rows per kind of fact."""
    with connect(engine, read_only=True) as conn:
        return {
            label: int(conn.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
            for label, model in COUNTED
        }


def summarise(engine: Engine) -> list[str]:
    """Lines of text: counts, and the claims share, for a first look."""
    numbers = counts(engine)
    lines = ["The database holds:"]
    lines += [f"  {count:>5} {label}" for label, count in numbers.items()]
    with connect(engine, read_only=True) as conn:
        claims = conn.scalar(
            sa.select(sa.func.count())
            .select_from(Relation)
            .where(Relation.claimed_by_id.is_not(None))
        )
    lines.append(f"  of the relations, {claims} are claims made by someone, not facts of ours")
    lines.append("Try: factdb report briefing, factdb report timeline, factdb verify")
    return lines
