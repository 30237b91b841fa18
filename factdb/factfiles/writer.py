"""Write one resolved plan through Core statements: upserts on natural keys, counted per table.

Each file is the truth for its source: facts it declares are inserted or updated, facts it no
longer declares are deleted, and so is this source's evidence for them. Entities are shared
between files and are never deleted by a load, except an entity an import created that a
declared entity takes over; what several files declare of an entity is merged, and an alias or
identifier goes only when no source declares it any more. This module neither opens
transactions nor retries: ``loader`` does.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.errors import FactFileError
from factdb.factfiles.catalog import In, Where, each_clause, import_matches, imported_only
from factdb.factfiles.reader import Path_
from factdb.factfiles.schema import MAX_MONEY, EntitySpec, FactFile, PartialDate
from factdb.factfiles.validate import (
    Plan,
    ValidFile,
    fact_paths,
    limit_of,
)
from factdb.factkinds import BY_NAME, FACT_KINDS, OWNED
from factdb.models import (
    TOTAL_COMMODITY,
    Document,
    DocumentSignatory,
    Entity,
    EntityAlias,
    EntityIdentifier,
    Event,
    EventParticipant,
    Evidence,
    Precision,
    Quantity,
    Relation,
    Role,
    Source,
    TradeDerivation,
    TradeFlow,
)
from factdb.models.entities import (
    EntityAliasDeclaration,
    EntityDeclaration,
    EntityIdentifierDeclaration,
)

TABLE_ORDER = [
    "sources",
    "entities",
    "entity_declarations",
    "entity_aliases",
    "entity_alias_declarations",
    "entity_identifiers",
    "entity_identifier_declarations",
    "roles",
    "events",
    "event_participants",
    "trade_flows",
    "trade_derivations",
    "relations",
    "quantities",
    "documents",
    "document_signatories",
    "evidence",
]


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
            for clause in each_clause(where):
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
            self._event_links(valid)
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
        """Entities merge what every declaring source says: the entity row gets the agreed
        columns (``plan.entity_values``), each loaded source's declarations become what its
        file says, and an alias or identifier goes only when its last declaring source stops
        declaring it (an identifier an import matches trade rows by stays)."""
        declared: dict[str, EntitySpec] = {}
        for valid in self.plan.files:
            for entity in valid.spec.entities:
                declared.setdefault(entity.slug, entity)
        rows = [{"slug": slug, **self.plan.entity_values[slug]} for slug in declared]
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
        self._declarations()

    def _declarations(self) -> None:
        source_ids = [self.source_ids[valid.spec.source.slug] for valid in self.plan.files]
        entities: list[dict[str, Any]] = []
        aliases: set[tuple[Any, ...]] = set()
        identifiers: set[tuple[Any, ...]] = set()
        file_length = limit_of(EntityDeclaration.file)
        for valid in self.plan.files:
            source_id = self.source_ids[valid.spec.source.slug]
            for index, entity in enumerate(valid.spec.entities):
                entity_id = self.entity_ids[entity.slug]
                entities.append(
                    {
                        "entity_id": entity_id,
                        "source_id": source_id,
                        "kind": entity.kind,
                        "name": entity.name,
                        "description": entity.description,
                        # the file's name, not its path: the same file loaded from another
                        # directory (a checkout, a copy) is the same declaration
                        "file": valid.path.name[:file_length],
                        "line": valid.doc.position(("entities", index))[0],
                    }
                )
                for alias in entity.aliases:
                    name, language = (
                        (alias, "und") if isinstance(alias, str) else (alias.name, alias.language)
                    )
                    aliases.add((source_id, entity_id, name, language))
                for scheme, value in entity.identifiers.items():
                    identifiers.add((source_id, entity_id, scheme.value, value))
        self._sync_declarations(entities, source_ids)
        self._declared_rows(
            EntityAlias, ("entity_id", "name", "language"), EntityAliasDeclaration, aliases
        )
        self._declared_rows(
            EntityIdentifier,
            ("entity_id", "scheme", "value"),
            EntityIdentifierDeclaration,
            identifiers,
            stays=import_matches(EntityIdentifier.__table__),
        )

    def _sync_declarations(self, rows: list[dict[str, Any]], source_ids: list[int]) -> None:
        """``sync`` for the loaded sources' entity declarations, without asking for the new
        rows' ids: nothing links to a declaration, and one declaration per declared entity
        would double the cost of a large load's inserts."""
        table = cast(sa.Table, EntityDeclaration.__table__)
        counts = self.report.tables[table.name]
        existing: dict[tuple[int, int], Any] = {}
        for clause in In(table.c.source_id, source_ids).clauses():
            for row in self.conn.execute(sa.select(table).where(clause)).mappings():
                existing[(row["entity_id"], row["source_id"])] = row
        new, kept = [], set()
        for values in rows:
            key = (values["entity_id"], values["source_id"])
            current = existing.get(key)
            if current is None:
                new.append(values)
                continue
            kept.add(key)
            changed = {c: v for c, v in values.items() if not _same(current[c], v)}
            if changed:
                self.conn.execute(
                    sa.update(table).where(table.c.id == current["id"]).values(changed)
                )
                counts.updated += 1
        if new:
            self.conn.execute(sa.insert(table), new)
            counts.inserted += len(new)
        stale = [row["id"] for key, row in existing.items() if key not in kept]
        counts.deleted += self._delete_ids(table, stale)

    def _declared_rows(
        self,
        model: Any,
        columns: tuple[str, ...],
        link_model: Any,
        wanted: set[tuple[Any, ...]],
        stays: sa.ColumnElement[bool] | None = None,
    ) -> None:
        """Make the loaded sources' links to ``model`` rows equal ``wanted`` (source id, then
        ``columns``); delete the rows whose last link went, unless ``stays``; add new rows.

        Stale links go before new rows are written, so an identifier a file moves from one
        entity to another is free again when it is inserted.
        """
        table, link = model.__table__, link_model.__table__
        (target,) = {fk.parent.name for fk in link.foreign_keys if fk.column.table is table}
        source_ids = [self.source_ids[valid.spec.source.slug] for valid in self.plan.files]
        existing: dict[tuple[Any, ...], tuple[int, int]] = {}
        for clause in In(link.c.source_id, source_ids).clauses():
            for row in self.conn.execute(
                sa.select(
                    link.c.id.label("link_id"),
                    link.c.source_id,
                    table.c.id.label("row_id"),
                    *(table.c[c] for c in columns),
                )
                .select_from(link)
                .join(table, table.c.id == link.c[target])
                .where(clause)
            ).mappings():
                key = (row["source_id"], *(_plain(row[c]) for c in columns))
                existing[key] = (row["link_id"], row["row_id"])
        stale = [existing[key] for key in existing if key not in wanted]
        self.report.tables[link.name].deleted += self._delete_ids(link, [i for i, _ in stale])
        orphans = In(table.c.id, sorted({row_id for _, row_id in stale}))
        for clause in orphans.clauses():
            unlinked = ~sa.exists().where(link.c[target] == table.c.id)
            if stays is not None:
                unlinked = sa.and_(unlinked, ~stays)
            gone = self.conn.execute(sa.delete(table).where(clause, unlinked)).rowcount
            self.report.tables[table.name].deleted += gone
        rows = {key[1:]: dict(zip(columns, key[1:], strict=True)) for key in wanted}
        natural = _natural_key(table, columns)
        lookup = In(table.c[columns[0]], sorted({key[1] for key in wanted}))
        ids = self.sync(model, natural, list(rows.values()), lookup=lookup)
        by_key = {key: ids[tuple(values[c] for c in natural)] for key, values in rows.items()}
        new = [
            {target: by_key[key[1:]], "source_id": key[0]}
            for key in sorted(wanted, key=repr)
            if key not in existing
        ]
        if new:
            self.conn.execute(sa.insert(link), new)
            self.report.tables[link.name].inserted += len(new)

    def _take_over(self, imported: str, entity_id: int) -> None:
        """Merge an entity an import created into a declared one: its trade rows and
        identifiers move over, then it goes. Locked first, and checked again under the lock,
        so a concurrent import cannot attach rows to it meanwhile."""
        old = self.conn.scalar(
            sa.select(Entity.id)
            .where(Entity.slug == imported, imported_only(Entity.id))
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
                "inferred": r.inferred,
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
                "inferred": e.inferred,
                "status": e.status,
                "invited_by_id": self._entity(e.invited_by),
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
                        "inferred": p.inferred,
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
                "inferred": r.inferred,
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
        self._quantities(valid, source_id, ids)
        self._documents(valid, source_id, ids)
        return ids

    def _quantities(
        self, valid: ValidFile, source_id: int, ids: dict[Path_, tuple[str, int]]
    ) -> None:
        spec = valid.spec
        rows = [
            {
                "slug": q.slug,
                "subject_id": self._entity(q.subject),
                "partner_id": self._entity(q.partner),
                "metric": q.metric,
                "kind": q.kind,
                "measure": q.measure,
                "value": q.value,
                "currency": q.currency,
                "qualifier": q.qualifier,
                **_dated("date", q.date, column="date"),
                **_span("base_date", q.since, optional=True, precision="base_precision"),
                "date_note": q.date_note,
                "stated_by_id": self._entity(q.stated_by),
                "qualifiers": dict(q.qualifiers) or None,
                "note": q.note,
                "inferred": q.inferred,
                "source_id": source_id,
            }
            for q in spec.quantities
        ]
        got = self.sync(
            Quantity, ("slug",), rows, lookup=In(Quantity.slug, [q.slug for q in spec.quantities])
        )
        for index, quantity in enumerate(spec.quantities):
            ids[("quantities", index)] = ("quantity", _id(got[(quantity.slug,)]))

    def _documents(
        self, valid: ValidFile, source_id: int, ids: dict[Path_, tuple[str, int]]
    ) -> None:
        spec = valid.spec
        rows = [
            {
                "slug": d.slug,
                "kind": d.kind,
                "title": d.title,
                "description": d.description,
                "count": d.count,
                "count_qualifier": d.count_qualifier,
                **_dated("signed", d.signed, column="signed_on"),
                "inferred": d.inferred,
                "source_id": source_id,
            }
            for d in spec.documents
        ]
        slugs = [d.slug for d in spec.documents]
        got = self.sync(Document, ("slug",), rows, lookup=In(Document.slug, slugs))
        document_ids = {slug: _id(got[(slug,)]) for slug in slugs}
        for index, document in enumerate(spec.documents):
            ids[("documents", index)] = ("document", document_ids[document.slug])
        signatories = [
            {
                "document_id": document_ids[d.slug],
                "entity_id": self._entity(s.entity),
                "role": s.role,
                "on_behalf_of_id": self._entity(s.on_behalf_of),
            }
            for d in spec.documents
            for s in d.signatories
        ]
        self.sync(
            DocumentSignatory,
            ("document_id", "entity_id", "role"),
            signatories,
            scope=In(DocumentSignatory.document_id, list(document_ids.values())),
        )

    def _event_links(self, valid: ValidFile) -> None:
        """The event each trade row, relation, quantity and document names: set once every
        file's events are written, since the event may be declared in another file."""
        spec = valid.spec
        for model, facts in (
            (TradeFlow, spec.trade),
            (Relation, spec.relations),
            (Quantity, spec.quantities),
            (Document, spec.documents),
        ):
            for fact in facts:
                event = None if fact.event is None else self._slug_id(Event, fact.event)
                self._link(model, self._slug_id(model, fact.slug), "event_id", event)

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
                    "inferred": row.inferred,
                    "kind": row.kind,
                    "stated_by_id": self._entity(row.stated_by),
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


def _plain(value: Any) -> Any:
    """A stored enum as the text a fact file gives."""
    return value.value if isinstance(value, enum.Enum) else value


def _natural_key(table: sa.Table, columns: tuple[str, ...]) -> tuple[str, ...]:
    """The unique key among ``columns`` rows are upserted on: identifiers are unique per
    scheme and value alone, whatever entity holds them."""
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint):
            names = tuple(c.name for c in constraint.columns)
            if set(names) <= set(columns):
                return names
    raise AssertionError(f"no unique key of {table.name} within {columns}")


def _same(stored: Any, wanted: Any) -> bool:
    if stored is None or wanted is None:
        return stored is wanted
    return bool(stored == wanted)


def _differs(column: Any, value: int | None) -> sa.ColumnElement[bool]:
    return column.is_not(None) if value is None else sa.or_(column.is_(None), column != value)


def _key_clause(table: sa.Table, key: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    return sa.and_(*(table.c[c] == v for c, v in zip(key, values, strict=True)))


def _dated(prefix: str, value: PartialDate | None, column: str | None = None) -> dict[str, Any]:
    value = value or PartialDate(None, Precision.UNKNOWN)
    return {column or f"{prefix}_date": value.date, f"{prefix}_precision": value.precision}


def _span(
    prefix: str, value: PartialDate | None, *, optional: bool, precision: str | None = None
) -> dict[str, Any]:
    """A validity bound; with ``optional`` and no value the bound is open (still valid)."""
    precision = precision or f"{prefix}_precision"
    if value is None and optional:
        return {prefix: None, precision: None}
    value = value or PartialDate(None, Precision.UNKNOWN)
    return {prefix: value.date, precision: value.precision}
