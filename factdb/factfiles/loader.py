"""Write validated fact files to the database: one transaction, upserts on natural keys.

Each file is the truth for its source: facts it declares are inserted or updated, facts it no
longer declares are deleted, and so is this source's evidence for them. Entities are shared
between files and are never deleted by a load, except an entity an import created that a
declared entity takes over. Counts per table say what changed.

Files are read and checked before the write transaction begins, so a slow or hostile file never
holds the database's write lock. No statement binds one parameter per row: lists of keys are
sent in chunks far below SQLite's and PostgreSQL's limits on bound parameters.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from factdb.db import connect, is_busy_error
from factdb.errors import FactFileError, PermissionDenied
from factdb.factfiles.reader import Path_
from factdb.factfiles.schema import MAX_MONEY, EntitySpec, FactFile, PartialDate
from factdb.factfiles.validate import (
    Catalog,
    Plan,
    ValidFile,
    check_files,
    discover,
    fact_paths,
    resolve,
)
from factdb.factkinds import BY_NAME, FACT_KINDS, OWNED
from factdb.models import (
    TOTAL_COMMODITY,
    Entity,
    EntityAlias,
    EntityIdentifier,
    Event,
    EventParticipant,
    Evidence,
    Precision,
    Relation,
    Role,
    Source,
    TradeDerivation,
    TradeFlow,
)
from factdb.schema_version import require_head

TABLE_ORDER = [
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
]
#: a concurrent loader that lost a unique-key race starts again; it sees the winner's rows
MAX_ATTEMPTS = 20
#: keys bound per statement in an IN list (SQLite allows 32,766 parameters, PostgreSQL 65,535)
KEYS_PER_STATEMENT = 5_000
#: SQLSTATEs that mean the database user may not write: insufficient_privilege, read-only
PRIVILEGE_STATES = {"42501", "25006"}


@dataclass(frozen=True)
class In:
    """``column IN values`` for any number of values: one statement per chunk of them."""

    column: Any
    values: Collection[Any]

    def clauses(self) -> Iterator[sa.ColumnElement[bool]]:
        values = list(self.values)
        for start in range(0, len(values), KEYS_PER_STATEMENT):
            yield self.column.in_(values[start : start + KEYS_PER_STATEMENT])


Where = sa.ColumnElement[bool] | In


def _clauses(where: Where) -> Iterator[sa.ColumnElement[bool]]:
    if isinstance(where, In):
        yield from where.clauses()
    else:
        yield where


@dataclass
class TableCounts:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0


@dataclass
class LoadReport:
    """What a load changed (or, on a dry run, would change), per table."""

    files: list[Path]
    tables: dict[str, TableCounts] = field(
        default_factory=lambda: {name: TableCounts() for name in TABLE_ORDER}
    )
    dry_run: bool = False
    #: imported entity slug -> the declared entity that took it over
    takeovers: dict[str, str] = field(default_factory=dict)

    def total(self) -> TableCounts:
        out = TableCounts()
        for counts in self.tables.values():
            out.inserted += counts.inserted
            out.updated += counts.updated
            out.deleted += counts.deleted
        return out


def bundled_seeds() -> Path:
    """The seeds shipped with factdb: inside the wheel, or ``seeds/`` in a checkout."""
    here = Path(__file__).resolve().parent.parent
    packaged = here / "_seeds"
    return packaged if packaged.is_dir() else here.parent / "seeds"


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
            conn.scalars(sa.select(ent.c.slug).where(clause, _imported(ent.c.id)))
        )
    return catalog


def _imported(entity_id: Any) -> sa.ColumnElement[bool]:
    """An entity an import created and nothing but imported trade rows and identifiers use.

    Such an entity carries no evidence, name, role, event, relation or fact-file trade row, so
    a fact file declaring the same identifier may take it over without losing anything.
    """
    trade = TradeFlow.__table__
    unused = [
        (Evidence.__table__, ("entity_id",)),
        (EntityAlias.__table__, ("entity_id",)),
        (Role.__table__, ("person_id", "organisation_id")),
        (EventParticipant.__table__, ("entity_id",)),
        (Event.__table__, ("location_id",)),
        (Relation.__table__, ("subject_id", "object_id", "context_id", "claimed_by_id")),
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


def _require_write_privileges(conn: Connection) -> None:
    """On PostgreSQL, name the privilege a read-only user lacks before anything is tried."""
    if conn.dialect.name != "postgresql":
        return
    user = conn.scalar(sa.text("SELECT current_user"))
    for table in TABLE_ORDER:
        for privilege in ("INSERT", "UPDATE", "DELETE"):
            allowed = conn.scalar(
                sa.text("SELECT has_table_privilege(:table, :privilege)"),
                {"table": table, "privilege": privilege},
            )
            if not allowed:
                raise PermissionDenied(
                    f"database user {user!r} lacks {privilege} on table {table}; loading fact "
                    "files needs the writer role (see docs/shared-database.md); nothing was written"
                )


def load(
    engine: Engine, paths: Sequence[Path] | None = None, *, dry_run: bool = False
) -> LoadReport:
    """Validate then load fact files in one transaction; raise FactFileError listing all problems.

    Unique-key races and serialisation failures with a concurrent loader are retried; a
    retry starts from scratch, re-reading what the database holds.
    """
    files = discover(paths or [bundled_seeds()])
    if not files:
        raise FactFileError([f"{', '.join(map(str, paths or []))}: no fact files (*.yaml) found"])
    # Parsing, source texts and quotes need no database: done before any lock is taken.
    checked, problems = check_files(files)
    if problems:
        raise FactFileError([str(p) for p in problems])
    for attempt in range(1, MAX_ATTEMPTS + 1):
        try:
            with connect(engine) as conn:
                with conn.begin() as tx:
                    require_head(conn)
                    _require_write_privileges(conn)
                    # Resolving against what the database holds is fast: done under the lock,
                    # so nothing can change between the check and the write.
                    plan, problems = resolve(checked, read_catalog(conn, checked))
                    if plan is None:
                        raise FactFileError([str(p) for p in problems])
                    report = LoadReport(files, dry_run=dry_run)
                    Writer(conn, plan, report).write()
                    if dry_run:
                        tx.rollback()
                return report
        except sa.exc.DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) in PRIVILEGE_STATES:
                detail = str(exc.orig).strip().splitlines()[0]
                raise PermissionDenied(
                    f"the database user may not write ({_statement_kind(exc.statement)} refused: "
                    f"{detail}); loading fact files needs the writer role; nothing was written"
                ) from None
            if not isinstance(exc, sa.exc.IntegrityError | sa.exc.OperationalError):
                raise
            if attempt < MAX_ATTEMPTS and _retryable(exc):
                # jittered back-off, so retrying loaders do not collide again in step
                time.sleep(random.uniform(0.02, 0.1) * attempt)
                continue
            if isinstance(exc, sa.exc.IntegrityError):
                detail = str(exc.orig).strip().splitlines()[0]
                raise FactFileError(
                    [f"the database refused the load, nothing was written: {detail}"]
                ) from None
            raise
    raise AssertionError("unreachable")  # pragma: no cover


def _statement_kind(statement: str | None) -> str:
    """``INSERT INTO sources ...`` -> ``INSERT on table sources``: the privilege it needs."""
    match = re.match(r"\s*(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", statement or "", re.I)
    if match is None:
        return "a write"
    return f"{match.group(1).split()[0].upper()} on table {match.group(2)}"


def _retryable(exc: sa.exc.DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    # unique_violation, serialization_failure, deadlock_detected
    return code in {"23505", "40001", "40P01"} and not is_busy_error(exc)


def fingerprint(*parts: object) -> str:
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()


class Writer:
    """Writes one plan through Core statements, counting what changes."""

    def __init__(self, conn: Connection, plan: Plan, report: LoadReport) -> None:
        self.conn = conn
        self.plan = plan
        self.report = report
        self.entity_ids: dict[str, int] = {}
        self.source_ids: dict[str, int] = {}
        #: ids inserted by this load, per table: setting their links is part of the insert
        self.new_ids: dict[str, set[int]] = {}

    # --- generic sync -------------------------------------------------------------------

    def sync(
        self,
        model: Any,
        key: tuple[str, ...],
        desired: list[dict[str, Any]],
        scope: Where | None = None,
        lookup: Where | None = None,
    ) -> dict[tuple[Any, ...], int | None]:
        """Make the rows of ``model`` within ``scope`` equal ``desired``; return ids by key.

        Without a scope, rows are only inserted or updated (never deleted), and existing rows
        are looked up through ``lookup``. New rows go in as one batched insert.
        """
        table: sa.Table = model.__table__
        counts = self.report.tables[table.name]
        where = scope if scope is not None else lookup
        existing: dict[tuple[Any, ...], Any] = {}
        if where is not None:
            for clause in _clauses(where):
                for row in self.conn.execute(sa.select(table).where(clause)).mappings():
                    existing[tuple(row[k] for k in key)] = row
        has_id = "id" in table.c
        ids: dict[tuple[Any, ...], int | None] = {}
        new: dict[tuple[Any, ...], dict[str, Any]] = {}
        for values in desired:
            k = tuple(values[c] for c in key)
            current = existing.get(k)
            if current is None:
                new[k] = values
                continue
            ids[k] = current["id"] if has_id else None
            changed = {c: v for c, v in values.items() if not _same(current[c], v)}
            if changed:
                self.conn.execute(
                    sa.update(table).where(_key_clause(table, key, k)).values(changed)
                )
                counts.updated += 1
        if new:
            rows = list(new.values())
            if has_id:
                stmt = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
                got = self.conn.execute(stmt, rows).scalars().all()
                for k, new_id in zip(new, got, strict=True):
                    ids[k] = new_id
                self.new_ids.setdefault(table.name, set()).update(got)
            else:
                self.conn.execute(sa.insert(table), rows)
                ids.update(dict.fromkeys(new))
            counts.inserted += len(rows)
        if scope is not None:
            gone = [k for k in existing if k not in ids]
            if has_id:
                self._delete_ids(table, [existing[k]["id"] for k in gone])
            else:
                for k in gone:
                    self.conn.execute(sa.delete(table).where(_key_clause(table, key, k)))
            counts.deleted += len(gone)
        return ids

    def _delete_ids(self, table: sa.Table, ids: list[int]) -> int:
        deleted = 0
        for clause in In(table.c.id, ids).clauses():
            deleted += self.conn.execute(sa.delete(table).where(clause)).rowcount
        return deleted

    # --- the plan -----------------------------------------------------------------------

    def write(self) -> None:
        """Sources, entities, facts, then links between facts (which may cross files), then
        evidence, then deletions: so the result does not depend on the order of the files."""
        for valid in self.plan.files:
            self._source(valid)
        for valid in self.plan.files:
            self._reposts(valid)
        self._entities()
        fact_ids: list[dict[Path_, tuple[str, int]]] = []
        for valid in self.plan.files:
            fact_ids.append(self._facts(valid))
        for valid in self.plan.files:
            self._parents(valid)
            self._derivations(valid)
        for valid, ids in zip(self.plan.files, fact_ids, strict=True):
            self._evidence(valid, ids)
        for valid in self.plan.files:
            self._delete_removed(valid)

    def _source(self, valid: ValidFile) -> None:
        spec = valid.spec.source
        published = spec.published or PartialDate(None, Precision.UNKNOWN)
        values = {
            "slug": spec.slug,
            "kind": spec.kind,
            "title": spec.title,
            "publisher": spec.publisher,
            "url": spec.url,
            "published_on": published.date,
            "published_precision": published.precision,
            "language": spec.language,
            "text": valid.text,
            "text_sha256": valid.text_sha256,
            "file_name": spec.text,
            "note": spec.note,
        }
        ids = self.sync(Source, ("slug",), [values], lookup=Source.slug == spec.slug)
        self.source_ids[spec.slug] = _id(ids[(spec.slug,)])

    def _reposts(self, valid: ValidFile) -> None:
        spec = valid.spec.source
        reposts = None
        if spec.reposts is not None:
            reposts = self._slug_id(Source, spec.reposts, self.source_ids)
        self._link(Source, self.source_ids[spec.slug], "reposts_id", reposts)

    def _slug_id(self, model: Any, slug: str, known: dict[str, int] | None = None) -> int:
        if known and slug in known:
            return known[slug]
        return _id(self.conn.scalar(sa.select(model.id).where(model.slug == slug)))

    def _link(self, model: Any, row_id: int, column: str, target: int | None) -> None:
        """Set a link column, counting an update only when it changes."""
        col = getattr(model, column)
        changed = self.conn.execute(
            sa.update(model)
            .where(model.id == row_id, _differs(col, target))
            .values({column: target})
        ).rowcount
        if changed and row_id not in self.new_ids.get(model.__tablename__, set()):
            self.report.tables[model.__tablename__].updated += changed

    def _parents(self, valid: ValidFile) -> None:
        for event in valid.spec.events:
            parent = None if event.parent is None else self._slug_id(Event, event.parent)
            self._link(Event, self._slug_id(Event, event.slug), "parent_id", parent)

    def _entities(self) -> None:
        declared: dict[str, EntitySpec] = {}
        for valid in self.plan.files:
            for entity in valid.spec.entities:
                declared.setdefault(entity.slug, entity)
        rows = [
            {"slug": e.slug, "kind": e.kind, "name": e.name, "description": e.description}
            for e in declared.values()
        ]
        ids = self.sync(Entity, ("slug",), rows, lookup=In(Entity.slug, list(declared)))
        self.entity_ids = {slug: _id(ids[(slug,)]) for slug in declared}
        refs = set(self.plan.entity_refs.values()) - set(self.entity_ids)
        for clause in In(Entity.slug, refs).clauses():
            for slug, entity_id in self.conn.execute(
                sa.select(Entity.slug, Entity.id).where(clause)
            ):
                self.entity_ids[slug] = entity_id
        for imported, slug in self.plan.takeovers.items():
            self._take_over(imported, self.entity_ids[slug])
            self.report.takeovers[imported] = slug
        declared_ids = [self.entity_ids[s] for s in declared]
        aliases, identifiers = [], []
        for slug, entity in declared.items():
            for alias in entity.aliases:
                name, language = (
                    (alias, "und") if isinstance(alias, str) else (alias.name, alias.language)
                )
                aliases.append(
                    {"entity_id": self.entity_ids[slug], "name": name, "language": language}
                )
            for scheme, value in entity.identifiers.items():
                identifiers.append(
                    {"entity_id": self.entity_ids[slug], "scheme": scheme, "value": value}
                )
        self.sync(
            EntityAlias,
            ("entity_id", "name", "language"),
            aliases,
            scope=In(EntityAlias.entity_id, declared_ids),
        )
        self.sync(
            EntityIdentifier,
            ("scheme", "value"),
            identifiers,
            scope=In(EntityIdentifier.entity_id, declared_ids),
        )

    def _take_over(self, imported: str, entity_id: int) -> None:
        """Merge an entity an import created into a declared one: its trade rows and
        identifiers move over, then it goes. Locked first, and checked again under the lock,
        so a concurrent import cannot attach rows to it meanwhile."""
        old = self.conn.scalar(
            sa.select(Entity.id)
            .where(Entity.slug == imported, _imported(Entity.id))
            .with_for_update()
        )
        if old is None:
            raise FactFileError(
                [f"entity {imported!r} changed while loading; nothing was written, try again"]
            )
        for column in ("reporter_id", "partner_id"):
            moved = self.conn.execute(
                sa.update(TradeFlow)
                .where(getattr(TradeFlow, column) == old)
                .values({column: entity_id})
            ).rowcount
            self.report.tables["trade_flows"].updated += moved
        moved = self.conn.execute(
            sa.update(EntityIdentifier)
            .where(EntityIdentifier.entity_id == old)
            .values(entity_id=entity_id)
        ).rowcount
        self.report.tables["entity_identifiers"].updated += moved
        self.conn.execute(sa.delete(Entity).where(Entity.id == old))
        self.report.tables["entities"].deleted += 1

    def _entity(self, ref: str | None) -> int | None:
        if ref is None:
            return None
        return self.entity_ids[self.plan.entity_refs.get(ref, ref)]

    def _facts(self, valid: ValidFile) -> dict[Path_, tuple[str, int]]:
        """Upsert the file's roles, events, participants, trade rows and relations."""
        spec: FactFile = valid.spec
        source_id = self.source_ids[spec.source.slug]
        ids: dict[Path_, tuple[str, int]] = {}
        for index, entity in enumerate(spec.entities):
            ids[("entities", index)] = ("entity", self.entity_ids[entity.slug])

        roles = [
            {
                "slug": r.slug,
                "person_id": self._entity(r.person),
                "organisation_id": self._entity(r.organisation),
                "title": r.title,
                **_span("valid_from", r.valid_from, optional=False),
                **_span("valid_to", r.valid_to, optional=not r.ended),
                "source_id": source_id,
            }
            for r in spec.roles
        ]
        got = self.sync(Role, ("slug",), roles, lookup=In(Role.slug, [r.slug for r in spec.roles]))
        for index, role in enumerate(spec.roles):
            ids[("roles", index)] = ("role", _id(got[(role.slug,)]))

        events = [
            {
                "slug": e.slug,
                "kind": e.kind,
                "title": e.title,
                "description": e.description,
                **_dated("start", e.start),
                **_dated("end", e.end),
                "date_note": e.date_note,
                "location_id": self._entity(e.location),
                "cameo_code": e.cameo,
                "source_id": source_id,
            }
            for e in spec.events
        ]
        event_slugs = [e.slug for e in spec.events]
        got = self.sync(Event, ("slug",), events, lookup=In(Event.slug, event_slugs))
        event_ids = {slug: _id(got[(slug,)]) for slug in event_slugs}
        for index, event in enumerate(spec.events):
            ids[("events", index)] = ("event", event_ids[event.slug])
        participants = []
        for event in spec.events:
            for p in event.participants:
                participants.append(
                    {
                        "event_id": event_ids[event.slug],
                        "entity_id": self._entity(p.entity),
                        "role": p.role,
                        "count": p.count,
                        "count_qualifier": p.count_qualifier,
                        "note": p.note,
                    }
                )
        got = self.sync(
            EventParticipant,
            ("event_id", "entity_id", "role"),
            participants,
            scope=In(EventParticipant.event_id, list(event_ids.values())),
        )
        for index, event in enumerate(spec.events):
            for p_index, p in enumerate(event.participants):
                key = (event_ids[event.slug], self._entity(p.entity), p.role)
                ids[("events", index, "participants", p_index)] = ("participant", _id(got[key]))

        self._trade(valid, source_id, ids)
        relations = [
            {
                "slug": r.slug,
                "subject_id": self._entity(r.subject),
                "predicate": r.predicate,
                "object_id": self._entity(r.object),
                "value": r.value,
                "unit": r.unit,
                "context_id": self._entity(r.context),
                **_span("valid_from", r.valid_from, optional=False),
                **_span("valid_to", r.valid_to, optional=not r.ended),
                "qualifiers": dict(r.qualifiers) or None,
                "claimed_by_id": self._entity(r.claimed_by),
                "rank": r.rank,
                "rank_reason": r.rank_reason,
                "source_id": source_id,
            }
            for r in spec.relations
        ]
        got = self.sync(
            Relation,
            ("slug",),
            relations,
            lookup=In(Relation.slug, [r.slug for r in spec.relations]),
        )
        for index, relation in enumerate(spec.relations):
            ids[("relations", index)] = ("relation", _id(got[(relation.slug,)]))
        return ids

    def _trade(
        self, valid: ValidFile, source_id: int, ids: dict[Path_, tuple[str, int]]
    ) -> dict[str, int]:
        spec = valid.spec
        by_slug = {
            row.slug: (v, index, row)
            for v in self.plan.files
            for index, row in enumerate(v.spec.trade)
        }
        values: dict[str, Decimal] = {}

        def value_of(slug: str) -> Decimal:
            # Derivation cycles were refused by validation, so this recursion ends.
            if slug not in values:
                found = by_slug.get(slug)
                if found is None:
                    stored = self.conn.scalar(
                        sa.select(TradeFlow.value).where(TradeFlow.slug == slug)
                    )
                    values[slug] = Decimal(_id(stored) if stored is None else stored)
                    return values[slug]
                owner, index, row = found
                if row.value is not None:
                    values[slug] = row.value
                    return values[slug]
                total = sum(
                    (d.coefficient * value_of(d.trade) for d in row.derived_from), Decimal(0)
                )
                if not 0 <= total <= MAX_MONEY:
                    raise FactFileError(
                        [
                            str(
                                owner.doc.problem(
                                    ("trade", index, "derived_from"),
                                    f"the derived value {total} is out of range (0 to "
                                    f"{MAX_MONEY}); check the rows and coefficients; nothing "
                                    "was written",
                                )
                            )
                        ]
                    )
                values[slug] = total
            return values[slug]

        rows = []
        for row in spec.trade:
            as_of = row.as_of.date if row.as_of else None
            rows.append(
                {
                    "slug": row.slug,
                    "series": spec.source.slug,
                    "reporter_id": self._entity(row.reporter),
                    "partner_id": self._entity(row.partner),
                    "year": row.year,
                    "month": row.month or 0,
                    "months": (row.months or 1) if row.month else 12,
                    "flow": row.flow,
                    "commodity_code": row.commodity.code if row.commodity else TOTAL_COMMODITY,
                    "commodity_label": row.commodity.label if row.commodity else None,
                    "value": value_of(row.slug),
                    "currency": row.currency,
                    "value_qualifier": row.qualifier,
                    "value_low": row.low,
                    "value_high": row.high,
                    "status": row.status,
                    "as_of": as_of,
                    "method": row.method,
                    "source_id": source_id,
                    "source_line": None,
                }
            )
        got = self.sync(
            TradeFlow,
            ("slug",),
            rows,
            lookup=In(TradeFlow.slug, [r.slug for r in spec.trade]),
        )
        trade_ids = {row.slug: _id(got[(row.slug,)]) for row in spec.trade}
        for index, row in enumerate(spec.trade):
            ids[("trade", index)] = ("trade", trade_ids[row.slug])
        return trade_ids

    def _derivations(self, valid: ValidFile) -> None:
        trade_ids = {row.slug: self._slug_id(TradeFlow, row.slug) for row in valid.spec.trade}
        derivations = [
            {
                "derived_id": trade_ids[row.slug],
                "input_id": self._slug_id(TradeFlow, d.trade, trade_ids),
                "coefficient": d.coefficient,
            }
            for row in valid.spec.trade
            for d in row.derived_from
        ]
        self.sync(
            TradeDerivation,
            ("derived_id", "input_id"),
            derivations,
            scope=In(TradeDerivation.derived_id, list(trade_ids.values())),
        )

    def _support_target(self, ref: str) -> tuple[str, int]:
        kind, _, key = ref.partition(":")
        if kind == "participant":
            event, entity, role = key.rsplit("/", 2)
            found = self.conn.scalar(
                sa.select(EventParticipant.id)
                .join(Event, Event.id == EventParticipant.event_id)
                .join(Entity, Entity.id == EventParticipant.entity_id)
                .where(Event.slug == event, Entity.slug == entity, EventParticipant.role == role)
            )
        else:
            model = BY_NAME[kind].model
            found = self.conn.scalar(sa.select(model.id).where(model.slug == key))
        return kind, _id(found)

    def _evidence(self, valid: ValidFile, ids: dict[Path_, tuple[str, int]]) -> None:
        source_slug = valid.spec.source.slug
        source_id = self.source_ids[source_slug]
        rows: dict[str, dict[str, Any]] = {}
        for path, fact in fact_paths(valid.spec):
            if path[0] == "supports":
                kind, fact_id = self._support_target(fact.fact)
            else:
                kind, fact_id = ids[path]
            for quote in valid.quotes.get(path, []):
                print_key = fingerprint(
                    source_slug,
                    kind,
                    fact_id,
                    quote.field,
                    quote.verbatim,
                    quote.text,
                    quote.occurrence,
                )
                rows[print_key] = {
                    "fingerprint": print_key,
                    "source_id": source_id,
                    "quote": quote.text,
                    "quote_start": quote.start,
                    "quote_end": quote.end,
                    "field": quote.field,
                    "verbatim": quote.verbatim,
                    **{k.evidence_column: None for k in FACT_KINDS},
                    BY_NAME[kind].evidence_column: fact_id,
                }
        self.sync(
            Evidence, ("fingerprint",), list(rows.values()), scope=Evidence.source_id == source_id
        )

    def _delete_removed(self, valid: ValidFile) -> None:
        """Facts this source declared before but its file no longer does."""
        spec = valid.spec
        source_id = self.source_ids[spec.source.slug]
        # the registry's order reversed: relations, trade rows, events, roles, as always
        for kind in reversed(OWNED):
            model, (section,) = kind.model, kind.section
            keep = {fact.slug for fact in getattr(spec, section)}
            scope = model.source_id == source_id
            if "series" in model.__table__.c:  # shared with imports: only this file's rows
                scope = sa.and_(scope, model.series == spec.source.slug)
            stale = [
                row_id
                for row_id, slug in self.conn.execute(sa.select(model.id, model.slug).where(scope))
                if slug not in keep
            ]
            removed = self._delete_ids(cast(sa.Table, model.__table__), stale)
            self.report.tables[model.__tablename__].deleted += removed


def _id(value: int | None) -> int:
    if value is None:
        raise AssertionError("row has no id")
    return value


def _same(stored: Any, wanted: Any) -> bool:
    if stored is None or wanted is None:
        return stored is wanted
    return bool(stored == wanted)


def _differs(column: Any, value: int | None) -> sa.ColumnElement[bool]:
    return column.is_not(None) if value is None else sa.or_(column.is_(None), column != value)


def _key_clause(table: sa.Table, key: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    return sa.and_(*(table.c[c] == v for c, v in zip(key, values, strict=True)))


def _dated(prefix: str, value: PartialDate | None) -> dict[str, Any]:
    value = value or PartialDate(None, Precision.UNKNOWN)
    return {f"{prefix}_date": value.date, f"{prefix}_precision": value.precision}


def _span(prefix: str, value: PartialDate | None, *, optional: bool) -> dict[str, Any]:
    """A validity bound; with ``optional`` and no value the bound is open (still valid)."""
    if value is None and optional:
        return {prefix: None, f"{prefix}_precision": None}
    value = value or PartialDate(None, Precision.UNKNOWN)
    return {prefix: value.date, f"{prefix}_precision": value.precision}
