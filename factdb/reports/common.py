"""Pieces shared by the reports: resolving entity names, date labels, source lists.

No report query may bind one parameter per row: fact sets are passed as subqueries (a
``Select`` of ids), so a report over a million imported rows stays within every driver's
parameter limit (PostgreSQL 65,535; SQLite's build limit, 32,766 on a stock build).

Reports query the schema's Core tables (``factdb.models.tables``) through ``CoreTable``: a
person waits for every command, and importing the ORM, building mappers and the ORM's
per-statement compilation cost more than the queries themselves (docs/performance.md,
"Start-up"). Nothing under ``factdb.reports`` may import ``sqlalchemy.orm``.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, TypeAlias

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.errors import EntityNotFound
from factdb.models import tables

#: any select, whatever its columns: a report query, or a query of fact ids
AnySelect: TypeAlias = "sa.Select[*tuple[Any, ...]]"
#: a query of ids to run inside another: a select, or SQL compiled once (``Pair``)
IdQuery: TypeAlias = "AnySelect | sa.TextualSelect"

#: names longer than this are no entity's (names are at most 300 characters, slugs 200):
#: refused at once, without a fuzzy search whose cost grows with the square of the length
MAX_NAME_LENGTH = 300
#: only names this short get "did you mean" suggestions
SUGGEST_MAX_LENGTH = 200


class CoreTable:
    """A model's table that reads like the model in a query, but is plain Core.

    ``Relation.subject_id`` is the table's column; ``select``, ``join`` and ``exists`` take the
    object as the table; ``alias()`` is ``Model.alias()``. Statements built from it compile
    without the ORM (the same SQL, the same rows, as plain column values).
    """

    def __init__(self, table: sa.FromClause) -> None:
        self.table = table

    def alias(self) -> CoreTable:
        """An alias of the table: ``Model.alias()``, for a second join to it."""
        return CoreTable(self.table.alias())

    def __getattr__(self, name: str) -> Any:
        try:
            return self.table.c[name]
        except KeyError:
            raise AttributeError(f"{self.table.description} has no column {name!r}") from None

    def __clause_element__(self) -> Any:  # Any: SQLAlchemy's protocol wants a column role
        return self.table


Entity = CoreTable(tables.entities)
EntityAlias = CoreTable(tables.entity_aliases)
EntityIdentifier = CoreTable(tables.entity_identifiers)
Evidence = CoreTable(tables.evidence)
Source = CoreTable(tables.sources)


@dataclass(frozen=True)
class EntityRef:
    id: int
    slug: str
    name: str
    kind: str


_COLUMNS = (Entity.id, Entity.slug, Entity.name, Entity.kind)


def _ref(row: Any) -> EntityRef:
    return EntityRef(row.id, row.slug, row.name, str(row.kind))


def _one(conn: Connection, name: str, query: AnySelect) -> EntityRef | None:
    """The single entity ``query`` finds, None for none; several is an error naming them."""
    rows = conn.execute(query.distinct().order_by(Entity.slug).limit(10)).all()
    if len(rows) > 1:
        found = ", ".join(r.slug for r in rows)
        raise EntityNotFound(f"{name!r} names several entities: {found}; use a slug")
    return _ref(rows[0]) if rows else None


def _identifier_match(wanted: str) -> sa.ColumnElement[bool]:
    """Any stored identifier, case-insensitively; M49 codes with or without leading zeros."""
    value = EntityIdentifier.value
    match = sa.func.upper(value) == wanted.upper()
    if wanted.isdigit():
        match = sa.or_(
            match,
            sa.and_(
                EntityIdentifier.scheme == "m49",
                sa.func.ltrim(value, "0") == (wanted.lstrip("0")),
            ),
        )
    return match


def resolve_entity(conn: Connection, name: str) -> EntityRef:
    """An entity by slug, name, alias or identifier (ISO 3166 codes, M49, Wikidata ...).

    Case-insensitive; each step is one query, so nothing scans every entity in Python
    unless the name is missing and short enough to suggest close names.
    """
    wanted = name.strip()
    if not wanted or len(wanted) > MAX_NAME_LENGTH:
        shown = wanted if len(wanted) <= 40 else wanted[:40] + "..."
        raise EntityNotFound(
            f"no entity named {shown!r} ({len(wanted)} characters; a name, alias or slug has "
            f"1 to {MAX_NAME_LENGTH})"
        )
    exact = conn.execute(sa.select(*_COLUMNS).where(Entity.slug == wanted)).first()
    if exact is not None:
        return _ref(exact)
    lowered = wanted.lower()
    steps = [
        sa.select(*_COLUMNS).where(
            sa.or_(sa.func.lower(Entity.slug) == lowered, sa.func.lower(Entity.name) == lowered)
        ),
        sa.select(*_COLUMNS)
        .join(EntityAlias, EntityAlias.entity_id == Entity.id)
        .where(sa.func.lower(EntityAlias.name) == lowered),
        sa.select(*_COLUMNS)
        .join(EntityIdentifier, EntityIdentifier.entity_id == Entity.id)
        .where(_identifier_match(wanted)),
    ]
    for query in steps:
        found = _one(conn, name, query)
        if found is not None:
            return found
    names = _all_names(conn)
    if not wanted.isascii():
        # SQLite's lower() folds ASCII only: "БЪЛГАРИЯ" is matched here, by casefold
        folded = wanted.casefold()
        hits = sorted({entity for entity, text in names if text.casefold() == folded})
        if hits:
            found = _one(conn, name, sa.select(*_COLUMNS).where(Entity.id.in_(hits[:10])))
            if found is not None:
                return found
    if len(wanted) > SUGGEST_MAX_LENGTH:
        raise EntityNotFound(f"no entity named {wanted[:40] + '...'!r}")
    by_fold = {text.casefold(): text for _, text in names}
    close = difflib.get_close_matches(wanted.casefold(), list(by_fold), n=3, cutoff=0.5)
    hint = f"; did you mean {', '.join(repr(by_fold[c]) for c in close)}?" if close else ""
    raise EntityNotFound(f"no entity named {name!r}{hint}")


def _all_names(conn: Connection) -> list[tuple[int, str]]:
    """(entity id, name) for every slug, name and alias: only for misses, to suggest names."""
    # slugs first: where a slug and a name fold alike, the name is what a miss suggests
    return [
        *((r.id, r.slug) for r in conn.execute(sa.select(Entity.id, Entity.slug))),
        *((r.id, r.name) for r in conn.execute(sa.select(Entity.id, Entity.name))),
        *(
            (r.entity_id, r.name)
            for r in conn.execute(sa.select(EntityAlias.entity_id, EntityAlias.name))
        ),
    ]


def date_label(date: dt.date | None, precision: str | None) -> str:
    """How precisely a date is known, as a reader says it: "2023", "May 2025", "2025-05-20"."""
    if date is None or precision in (None, "unknown"):
        return "undated"
    if precision == "year":
        return f"{date:%Y}"
    if precision == "month":
        return f"{date:%B %Y}"
    return date.isoformat()


def inferred_label(reason: str | None) -> str:
    """What a report appends to a fact that needs an inference its quotes do not show."""
    return f" (inferred: {reason})" if reason else ""


def end_label(date: dt.date | None, precision: str | None) -> str | None:
    """The end of a role or relation: None while it holds, "undated" when only its end is known."""
    return None if precision is None else date_label(date, precision)


def sources_by_fact(conn: Connection, kind: str, fact_ids: IdQuery) -> dict[int, list[str]]:
    """Slugs of the sources that give evidence for each fact of ``kind`` in ``fact_ids``.

    ``fact_ids`` is a query of ids, run inside this one (never a list of bound ids).
    """
    out: dict[int, list[str]] = defaultdict(list)
    column = getattr(Evidence, tables.FACT_COLUMNS[kind])
    rows = conn.execute(
        sa.select(column, Source.slug)
        .join(Source, Source.id == Evidence.source_id)
        .where(column.in_(fact_ids))
        .distinct()
        .order_by(column, Source.slug)
    )
    for fact_id, slug in rows:
        out[fact_id].append(slug)
    return out


def with_sources(
    conn: Connection, query: AnySelect, kind: str, id_column: Any
) -> list[tuple[Any, list[str]]]:
    """The rows of ``query`` (with one more column), each with the slugs of the sources that
    give evidence for its fact (as ``sources_by_fact``), read in the same statement: the
    filter runs once, and a report compiles one statement where it compiled two.

    ``query`` must end its ORDER BY with a key unique to each fact, so that a fact's rows
    (one per source) stay together in its order.
    """
    evidence, source = tables.evidence.alias("fact_evidence"), tables.sources.alias("fact_source")
    joined = (
        query.add_columns(source.c.slug.label("fact_source"))
        .outerjoin(evidence, evidence.c[tables.FACT_COLUMNS[kind]] == id_column)
        .outerjoin(source, source.c.id == evidence.c.source_id)
        .order_by(source.c.slug)
    )
    out: list[tuple[Any, list[str]]] = []
    last: Any = None
    for row in conn.execute(joined):
        slug, key = row[-1], row._mapping[id_column]
        if not out or key != last:
            out.append((row, []))
            last = key
        slugs = out[-1][1]
        if slug is not None and (not slugs or slugs[-1] != slug):
            slugs.append(slug)
    return out


def ids_of(query: AnySelect, id_column: Any) -> sa.Select[Any]:
    """The ids a report query returns, as a subquery for ``sources_by_fact``."""
    return query.order_by(None).with_only_columns(id_column, maintain_column_froms=True)
