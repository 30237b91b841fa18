"""What the database holds, for people: every table and view with what one row is, and the
columns each has on the connected backend.

The descriptions are plain data here because the docs are not installed with the package;
``tests/test_render.py`` fails when they drift from docs/schema.md and docs/sql.md. Imports
nothing heavy at module level, and never lists plumbing (the Alembic version table, SQLite's
full-text index tables).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from factdb.errors import UnknownTable

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

#: table -> what one row is (docs/schema.md, "Tables")
TABLES = {
    "sources": "a document: article, official statement, statistics file; its full text and "
    "sha256 when held; the source it reposts",
    "entities": "a country, area, person, organisation, company, government body, place, "
    "facility, region, sector, product, field or group of unnamed members",
    "entity_aliases": "another name, with its language (`und` when unknown)",
    "entity_identifiers": "ISO 3166 alpha-2/alpha-3, UN M49, Wikidata QID, HS code ...",
    "entity_declarations": "one source's declaration of an entity: kind, name, description "
    "(NULL: none given), and the fact file's name and line it was last loaded from",
    "entity_alias_declarations": "a source whose fact file declares an alias",
    "entity_identifier_declarations": "a source whose fact file declares an identifier",
    "roles": "a person's title in an organisation or country, valid from/to with precision",
    "events": "something that happened, start/end with precision (day, month, year, unknown), "
    "location, parent, CAMEO code",
    "event_participants": "an entity's part in an event (host, visitor, organiser, speaker, "
    "signatory, party, attendee, funder, recipient, subject), with a count and qualifier for "
    "groups",
    "trade_flows": "one trade figure: reporter, partner, period, flow, commodity, exact value "
    "and currency, qualifier, bounds, status, as-of date",
    "trade_derivations": "one input of a derived figure: `derived = Σ coefficient × input`",
    "relations": "subject, predicate (controlled vocabulary), object entity or literal value "
    "with unit, context, validity, qualifiers, who claimed it, rank with reason",
    "quantities": "a stated number other than a trade figure: growth, ratio, count, rank or "
    "ordinal, with unit, qualifier, kind (actual, target, forecast, commitment, change), "
    "period, base period, who stated it",
    "documents": "an agreement, declaration, memorandum, programme ... signed (or a count of "
    "unnamed documents), its signing date and event",
    "document_signatories": "an entity's part in a document: signatory (for a party), party "
    "or witness",
    "evidence": "a quote in a source that states one fact (or, with `field`, one part of it), "
    "with its character span",
    "changesets": "one write transaction: when, which database user, which command, the files "
    "and their sha256, counts per table",
    "row_versions": "the previous version of a row that a changeset updated or deleted, as JSON",
}

#: view -> (what one row is, its stable columns as docs/sql.md lists them) ("The views")
VIEWS: dict[str, tuple[str, str]] = {
    "v_entities": (
        "an entity",
        (
            "id, slug, kind, name, description, aliases, iso2, iso3, m49, wikidata, "
            "hs_code, identifiers, inferred"
        ),
    ),
    "v_events": (
        "an event",
        (
            "id, slug, kind, title, description, start_date, start_precision, end_date, "
            "end_precision, date_note, location_slug, location, parent_slug, parent_title, "
            "cameo_code, declared_by, status, invited_by_slug, invited_by, inferred"
        ),
    ),
    "v_event_participants": (
        "an entity's part in an event",
        (
            "id, event_slug, event, event_start_date, event_start_precision, entity_slug, "
            "entity, entity_kind, role, count, count_qualifier, note, inferred"
        ),
    ),
    "v_trade": (
        "a trade figure",
        (
            "id, slug, reporter_slug, reporter, reporter_iso3, partner_slug, partner, "
            "partner_iso3, year, month, months, flow, commodity_code, commodity_label, "
            "value, value_cents, currency, value_qualifier, value_low, value_high, status, "
            "derived, method, as_of, series, source_slug, source_title, source_line, kind, "
            "stated_by_slug, stated_by, event_slug, inferred"
        ),
    ),
    "v_relations": (
        "a relation or claim",
        (
            "id, slug, subject_slug, subject, predicate, object_slug, object, value, unit, "
            "context_slug, context, valid_from, valid_from_precision, valid_to, "
            "valid_to_precision, claimed_by_slug, claimed_by, rank, rank_reason, "
            "declared_by, qualifiers, event_slug, event, inferred"
        ),
    ),
    "v_evidence": (
        "a quote for a fact",
        (
            "id, fact_kind, fact_id, fact_slug, source_slug, source_title, source_url, "
            "quote, quote_start, quote_end, field, verbatim"
        ),
    ),
    "v_roles": (
        "a person's role",
        (
            "id, slug, person_slug, person, organisation_slug, organisation, title, "
            "valid_from, valid_from_precision, valid_to, valid_to_precision, current, "
            "declared_by"
        ),
    ),
    "v_sources": (
        "a source",
        (
            "id, slug, kind, publisher, title, published_on, published_precision, url, "
            "language, file_name, has_text, text_sha256, row_count, reposts_slug, note"
        ),
    ),
    "v_quantities": (
        "a stated quantity",
        (
            "id, slug, subject_slug, subject, partner_slug, partner, metric, kind, measure, "
            "value, value_hundredths, currency, qualifier, date, date_precision, base_date, "
            "base_precision, date_note, stated_by_slug, stated_by, event_slug, event, "
            "qualifiers, note, inferred, declared_by"
        ),
    ),
    "v_documents": (
        "a signed document",
        (
            "id, slug, kind, title, description, count, count_qualifier, signed_on, "
            "signed_precision, event_slug, event, signatories, parties, inferred, declared_by"
        ),
    ),
    "v_changesets": (
        "a changeset: one write to the database",
        "id, at, db_user, command, files, counts, versions",
    ),
    "v_history": (
        "a previous version of a row, with the changeset that replaced or deleted it",
        ("id, changeset_id, at, db_user, command, table_name, row_id, slug, operation, old_row"),
    ),
}


@dataclass(frozen=True)
class TableEntry:
    name: str
    kind: str  # "table" or "view"
    one_row_is: str
    columns: list[str]


@dataclass(frozen=True)
class ColumnEntry:
    column: str
    type: str
    nullable: bool
    key: bool  # part of the primary key


def tables(conn: Connection) -> list[TableEntry]:
    """Every documented table and view present in the database, views first, by name."""
    import sqlalchemy as sa

    inspector = sa.inspect(conn)
    present_tables = set(inspector.get_table_names())
    present_views = set(inspector.get_view_names())
    out = [
        TableEntry(name, "view", doc, [c["name"] for c in inspector.get_columns(name)])
        for name, (doc, _) in sorted(VIEWS.items())
        if name in present_views
    ]
    out += [
        TableEntry(name, "table", doc, [c["name"] for c in inspector.get_columns(name)])
        for name, doc in sorted(TABLES.items())
        if name in present_tables
    ]
    return out


def describe(conn: Connection, name: str) -> tuple[TableEntry, list[ColumnEntry]]:
    """One table or view and its columns; an unknown name suggests the closest ones."""
    import sqlalchemy as sa

    known = {entry.name: entry for entry in tables(conn)}
    entry = known.get(name.strip().lower())
    if entry is None:
        close = difflib.get_close_matches(name.lower(), list(known), n=3, cutoff=0.5)
        hint = f"did you mean {', '.join(close)}?" if close else "see factdb tables"
        raise UnknownTable(f"no table or view named {name!r}; {hint}")
    inspector = sa.inspect(conn)
    keys: set[str] = set()
    if entry.kind == "table":
        keys = set(inspector.get_pk_constraint(entry.name).get("constrained_columns") or [])
    columns = [
        ColumnEntry(c["name"], str(c["type"]), bool(c["nullable"]), c["name"] in keys)
        for c in inspector.get_columns(entry.name)
    ]
    return entry, columns
