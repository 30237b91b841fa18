"""Pieces shared by the reports: resolving entity names, date labels, source lists."""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from factdb.errors import NotFound
from factdb.models import FACT_COLUMNS, Entity, EntityAlias, Evidence, Source


def orm_rows(conn: Connection, query: Any) -> list[Any]:
    """Run a select of mapped classes on ``conn``, so rows hold model objects, not columns."""
    with Session(bind=conn) as session:
        rows = session.execute(query).all()
        session.expunge_all()
        return list(rows)


class EntityNotFound(NotFound):
    """No entity has that slug, name or alias; the message suggests the closest names."""


@dataclass(frozen=True)
class EntityRef:
    id: int
    slug: str
    name: str
    kind: str


def resolve_entity(conn: Connection, name: str) -> EntityRef:
    """An entity by slug, name or alias, case-insensitively; a miss suggests close names."""
    columns = (Entity.id, Entity.slug, Entity.name, Entity.kind)
    # Reports pass slugs they resolved already: one indexed lookup, no scan of every name.
    exact = conn.execute(sa.select(*columns).where(Entity.slug == name.strip())).first()
    if exact is not None:
        return EntityRef(exact.id, exact.slug, exact.name, str(exact.kind))
    folded = name.strip().casefold()
    rows = conn.execute(sa.select(*columns)).all()
    for row in rows:
        if folded in (row.slug.casefold(), row.name.casefold()):
            return EntityRef(row.id, row.slug, row.name, str(row.kind))
    by_id = {row.id: row for row in rows}
    aliases = conn.execute(sa.select(EntityAlias.entity_id, EntityAlias.name)).all()
    matches = {entity_id for entity_id, alias in aliases if alias.casefold() == folded}
    if len(matches) == 1:
        row = by_id[matches.pop()]
        return EntityRef(row.id, row.slug, row.name, str(row.kind))
    names = [r.name for r in rows] + [r.slug for r in rows] + [a for _, a in aliases]
    if matches:
        found = ", ".join(sorted(by_id[m].slug for m in matches))
        raise EntityNotFound(f"{name!r} names several entities: {found}; use a slug")
    lowered = {n.casefold(): n for n in names}
    close = difflib.get_close_matches(folded, list(lowered), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(lowered[c]) for c in close)}?" if close else ""
    raise EntityNotFound(f"no entity named {name!r}{hint}")


def date_label(date: dt.date | None, precision: str | None) -> str:
    """How precisely a date is known, as a reader says it: "2023", "May 2025", "2025-05-20"."""
    if date is None or precision in (None, "unknown"):
        return "undated"
    if precision == "year":
        return f"{date:%Y}"
    if precision == "month":
        return f"{date:%B %Y}"
    return date.isoformat()


def end_label(date: dt.date | None, precision: str | None) -> str | None:
    """The end of a role or relation: None while it holds, "undated" when only its end is known."""
    return None if precision is None else date_label(date, precision)


def sources_by_fact(conn: Connection, kind: str, ids: Iterable[int]) -> dict[int, list[str]]:
    """Slugs of the sources that give evidence for each fact of ``kind``."""
    ids = list(ids)
    out: dict[int, list[str]] = defaultdict(list)
    if not ids:
        return out
    column = getattr(Evidence, FACT_COLUMNS[kind])
    rows = conn.execute(
        sa.select(column, Source.slug)
        .join(Source, Source.id == Evidence.source_id)
        .where(column.in_(ids))
        .distinct()
        .order_by(column, Source.slug)
    )
    for fact_id, slug in rows:
        out[fact_id].append(slug)
    return out
