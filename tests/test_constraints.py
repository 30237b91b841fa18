"""The database itself rejects rows that break each CHECK, foreign key and unique key."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from factdb.models import metadata

# Untyped copies of the tables, so values reach the database unchecked by SQLAlchemy's types:
# the point is that the database itself refuses them.
T = {
    name: sa.table(name, *(sa.column(c.name) for c in table.columns))
    for name, table in metadata.tables.items()
}

VALID: dict[str, dict[str, Any]] = {
    "sources": {"id": 1, "slug": "s", "kind": "article", "published_precision": "unknown"},
    "entities": {"id": 1, "slug": "bg", "kind": "country", "name": "Bulgaria"},
    "entity_aliases": {"entity_id": 1, "name": "България", "language": "bg"},
    "entity_identifiers": {"entity_id": 1, "scheme": "m49", "value": "100"},
    "roles": {
        "id": 1,
        "slug": "r",
        "person_id": 3,
        "organisation_id": 1,
        "title": "President",
        "valid_from_precision": "unknown",
    },
    "events": {
        "id": 1,
        "slug": "e",
        "kind": "visit",
        "title": "Visit",
        "start_precision": "unknown",
        "end_precision": "unknown",
    },
    "event_participants": {"event_id": 1, "entity_id": 1, "role": "host"},
    "trade_flows": {
        "id": 1,
        "series": "s",
        "reporter_id": 1,
        "partner_id": 2,
        "year": 2024,
        "month": 0,
        "months": 12,
        "flow": "export",
        "slug": "t",
        "commodity_code": "TOTAL",
        "value": 100,
        "currency": "USD",
        "value_qualifier": "exact",
        "status": "final",
    },
    "trade_derivations": {"derived_id": 2, "input_id": 1, "coefficient": 1},
    "relations": {
        "id": 1,
        "slug": "rel",
        "subject_id": 1,
        "predicate": "partnership",
        "object_id": 2,
        "valid_from_precision": "unknown",
        "rank": "normal",
    },
    "entity_declarations": {"entity_id": 1, "source_id": 1, "kind": "country", "name": "B"},
    "entity_alias_declarations": {"alias_id": 1, "source_id": 1},
    "entity_identifier_declarations": {"identifier_id": 1, "source_id": 1},
    "quantities": {
        "id": 1,
        "slug": "q",
        "subject_id": 1,
        "partner_id": 2,
        "metric": "trade",
        "kind": "change",
        "measure": "percent",
        "value": 4000,
        "qualifier": "exact",
        "date_precision": "unknown",
    },
    "documents": {
        "id": 1,
        "slug": "d",
        "kind": "declaration",
        "title": "Declaration",
        "signed_precision": "unknown",
    },
    "document_signatories": {"document_id": 1, "entity_id": 3, "role": "signatory"},
    "evidence": {
        "fingerprint": "f" * 64,
        "source_id": 1,
        "quote": "q",
        "verbatim": True,
        "event_id": 1,
    },
    "changesets": {
        "id": 100,
        "at": dt.datetime(2026, 11, 28, tzinfo=dt.UTC),
        "db_user": "u",
        "command": "factdb seed",
        "files": "[]",
        "counts": "{}",
        "txid": 5,
    },
    "row_versions": {
        "id": 100,
        "changeset_id": 100,
        "table_name": "entities",
        "row_id": 1,
        "operation": "update",
        "old_row": "{}",
    },
}

# (constraint, table, changes to the valid row)
CASES: list[tuple[str, str, dict[str, Any]]] = [
    ("ck_entities_kind", "entities", {"id": 9, "slug": "x", "kind": "planet"}),
    ("ck_entities_slug_not_empty", "entities", {"id": 9, "slug": ""}),
    ("uq_entities_slug", "entities", {"id": 9}),
    ("ck_sources_kind", "sources", {"id": 9, "slug": "x", "kind": "rumour"}),
    ("ck_sources_text_has_sha256", "sources", {"id": 9, "slug": "x", "text": "t"}),
    (
        "ck_sources_text_sha256_length",
        "sources",
        {"id": 9, "slug": "x", "text": "t", "text_sha256": "abc"},
    ),
    ("ck_sources_reposts_other", "sources", {"id": 9, "slug": "x", "reposts_id": 9}),
    (
        "ck_sources_published_on_dated",
        "sources",
        {"id": 9, "slug": "x", "published_on": dt.date(2025, 5, 1)},
    ),
    (
        "ck_sources_published_precision",
        "sources",
        {"id": 9, "slug": "x", "published_on": dt.date(2025, 5, 1), "published_precision": "week"},
    ),
    ("ck_sources_row_count_non_negative", "sources", {"id": 9, "slug": "x", "row_count": -1}),
    ("uq_sources_slug", "sources", {"id": 9}),
    ("fk_sources_reposts_id_sources", "sources", {"id": 9, "slug": "x", "reposts_id": 77}),
    ("fk_entity_aliases_entity_id_entities", "entity_aliases", {"entity_id": 77}),
    ("uq_entity_aliases_entity_id_name_language", "entity_aliases", {}),
    ("ck_entity_identifiers_value_not_empty", "entity_identifiers", {"value": ""}),
    ("ck_entity_identifiers_scheme", "entity_identifiers", {"scheme": "isbn", "value": "9"}),
    ("uq_entity_identifiers_scheme_value", "entity_identifiers", {"entity_id": 2}),
    (
        "fk_entity_identifiers_entity_id_entities",
        "entity_identifiers",
        {"entity_id": 77, "value": "9"},
    ),
    ("ck_roles_valid_from_dated", "roles", {"id": 9, "slug": "x", "valid_from_precision": "day"}),
    ("ck_roles_valid_to_dated", "roles", {"id": 9, "slug": "x", "valid_to_precision": "day"}),
    (
        "ck_roles_valid_order",
        "roles",
        {
            "id": 9,
            "slug": "x",
            "valid_from": dt.date(2025, 1, 1),
            "valid_from_precision": "day",
            "valid_to": dt.date(2024, 1, 1),
            "valid_to_precision": "day",
        },
    ),
    ("ck_roles_distinct_parties", "roles", {"id": 9, "slug": "x", "person_id": 1}),
    (
        "ck_roles_valid_from_precision",
        "roles",
        {"id": 9, "slug": "x", "valid_from": dt.date(2025, 1, 1), "valid_from_precision": "era"},
    ),
    (
        "ck_roles_valid_to_precision",
        "roles",
        {"id": 9, "slug": "x", "valid_to": dt.date(2025, 1, 1), "valid_to_precision": "era"},
    ),
    ("fk_roles_person_id_entities", "roles", {"id": 9, "slug": "x", "person_id": 77}),
    ("fk_roles_organisation_id_entities", "roles", {"id": 9, "slug": "x", "organisation_id": 77}),
    ("fk_roles_source_id_sources", "roles", {"id": 9, "slug": "x", "source_id": 77}),
    ("uq_roles_slug", "roles", {"id": 9}),
    ("ck_events_kind", "events", {"id": 9, "slug": "x", "kind": "party"}),
    ("ck_events_start_dated", "events", {"id": 9, "slug": "x", "start_date": dt.date(2025, 1, 1)}),
    ("ck_events_end_dated", "events", {"id": 9, "slug": "x", "end_precision": "year"}),
    (
        "ck_events_start_precision",
        "events",
        {"id": 9, "slug": "x", "start_date": dt.date(2025, 1, 1), "start_precision": "hour"},
    ),
    (
        "ck_events_end_precision",
        "events",
        {"id": 9, "slug": "x", "end_date": dt.date(2025, 1, 1), "end_precision": "hour"},
    ),
    (
        "ck_events_date_order",
        "events",
        {
            "id": 9,
            "slug": "x",
            "start_date": dt.date(2025, 2, 1),
            "start_precision": "day",
            "end_date": dt.date(2025, 1, 1),
            "end_precision": "day",
        },
    ),
    ("ck_events_parent_other", "events", {"id": 9, "slug": "x", "parent_id": 9}),
    ("ck_events_cameo_code_length", "events", {"id": 9, "slug": "x", "cameo_code": "1"}),
    ("fk_events_location_id_entities", "events", {"id": 9, "slug": "x", "location_id": 77}),
    ("fk_events_parent_id_events", "events", {"id": 9, "slug": "x", "parent_id": 77}),
    ("fk_events_source_id_sources", "events", {"id": 9, "slug": "x", "source_id": 77}),
    ("uq_events_slug", "events", {"id": 9}),
    ("ck_event_participants_role", "event_participants", {"role": "bystander"}),
    (
        "ck_event_participants_count_qualifier",
        "event_participants",
        {"role": "attendee", "count": 5, "count_qualifier": "roughly"},
    ),
    (
        "ck_event_participants_count_qualifier_needs_count",
        "event_participants",
        {"role": "attendee", "count_qualifier": "nearly"},
    ),
    (
        "ck_event_participants_count_non_negative",
        "event_participants",
        {"role": "attendee", "count": -1},
    ),
    ("uq_event_participants_event_id_entity_id_role", "event_participants", {}),
    ("fk_event_participants_event_id_events", "event_participants", {"event_id": 77}),
    (
        "fk_event_participants_entity_id_entities",
        "event_participants",
        {"entity_id": 77, "role": "attendee"},
    ),
    ("ck_trade_flows_year_range", "trade_flows", {"id": 9, "year": 1066}),
    ("ck_trade_flows_period_within_year", "trade_flows", {"id": 9, "month": 9, "months": 6}),
    ("ck_trade_flows_value_non_negative", "trade_flows", {"id": 9, "value": -1}),
    (
        "ck_trade_flows_value_low_non_negative",
        "trade_flows",
        {"id": 9, "year": 2023, "value_low": -5},
    ),
    (
        "ck_trade_flows_bounds_order",
        "trade_flows",
        {"id": 9, "year": 2023, "value_low": 10, "value_high": 5},
    ),
    ("ck_trade_flows_currency_code", "trade_flows", {"id": 9, "year": 2023, "currency": "US"}),
    ("ck_trade_flows_commodity_code_not_empty", "trade_flows", {"id": 9, "commodity_code": ""}),
    ("ck_trade_flows_distinct_parties", "trade_flows", {"id": 9, "year": 2023, "partner_id": 1}),
    (
        "ck_trade_flows_source_line_needs_source",
        "trade_flows",
        {"id": 9, "year": 2023, "source_line": 5},
    ),
    (
        "ck_trade_flows_derived_has_method",
        "trade_flows",
        {"id": 9, "year": 2023, "status": "derived"},
    ),
    ("ck_trade_flows_flow", "trade_flows", {"id": 9, "flow": "smuggled"}),
    ("ck_trade_flows_status", "trade_flows", {"id": 9, "year": 2023, "status": "rumoured"}),
    (
        "ck_trade_flows_value_qualifier",
        "trade_flows",
        {"id": 9, "year": 2023, "value_qualifier": "roughly"},
    ),
    ("uq_trade_flows_natural_key", "trade_flows", {"id": 9}),
    ("uq_trade_flows_slug", "trade_flows", {"id": 9, "year": 2023, "slug": "t"}),
    ("fk_trade_flows_source_id_sources", "trade_flows", {"id": 9, "year": 2023, "source_id": 77}),
    ("fk_trade_flows_reporter_id_entities", "trade_flows", {"id": 9, "reporter_id": 77}),
    ("fk_trade_flows_partner_id_entities", "trade_flows", {"id": 9, "partner_id": 77}),
    ("ck_trade_derivations_coefficient_sign", "trade_derivations", {"coefficient": 2}),
    ("ck_trade_derivations_not_self", "trade_derivations", {"input_id": 2}),
    ("fk_trade_derivations_derived_id_trade_flows", "trade_derivations", {"derived_id": 77}),
    ("fk_trade_derivations_input_id_trade_flows", "trade_derivations", {"input_id": 77}),
    ("ck_relations_predicate", "relations", {"id": 9, "slug": "x", "predicate": "loves"}),
    ("ck_relations_rank", "relations", {"id": 9, "slug": "x", "rank": "top", "rank_reason": "r"}),
    ("ck_relations_has_object", "relations", {"id": 9, "slug": "x", "object_id": None}),
    ("ck_relations_unit_needs_value", "relations", {"id": 9, "slug": "x", "unit": "USD"}),
    (
        "ck_relations_rank_reason_when_ranked",
        "relations",
        {"id": 9, "slug": "x", "rank": "deprecated"},
    ),
    (
        "ck_relations_valid_from_dated",
        "relations",
        {"id": 9, "slug": "x", "valid_from": dt.date(2025, 1, 1)},
    ),
    (
        "ck_relations_valid_to_dated",
        "relations",
        {"id": 9, "slug": "x", "valid_to": dt.date(2025, 1, 1), "valid_to_precision": "unknown"},
    ),
    (
        "ck_relations_valid_from_precision",
        "relations",
        {"id": 9, "slug": "x", "valid_from": dt.date(2025, 1, 1), "valid_from_precision": "aeon"},
    ),
    (
        "ck_relations_valid_to_precision",
        "relations",
        {"id": 9, "slug": "x", "valid_to": dt.date(2025, 1, 1), "valid_to_precision": "aeon"},
    ),
    (
        "ck_relations_valid_order",
        "relations",
        {
            "id": 9,
            "slug": "x",
            "valid_from": dt.date(2025, 1, 1),
            "valid_from_precision": "day",
            "valid_to": dt.date(2024, 1, 1),
            "valid_to_precision": "day",
        },
    ),
    ("uq_relations_slug", "relations", {"id": 9}),
    ("fk_relations_subject_id_entities", "relations", {"id": 9, "slug": "x", "subject_id": 77}),
    ("fk_relations_object_id_entities", "relations", {"id": 9, "slug": "x", "object_id": 77}),
    ("fk_relations_context_id_entities", "relations", {"id": 9, "slug": "x", "context_id": 77}),
    (
        "fk_relations_claimed_by_id_entities",
        "relations",
        {"id": 9, "slug": "x", "claimed_by_id": 77},
    ),
    ("fk_relations_source_id_sources", "relations", {"id": 9, "slug": "x", "source_id": 77}),
    ("ck_evidence_exactly_one_fact", "evidence", {"fingerprint": "a" * 64, "entity_id": 1}),
    ("ck_evidence_quote_not_empty", "evidence", {"fingerprint": "a" * 64, "quote": ""}),
    (
        "ck_evidence_quote_span",
        "evidence",
        {"fingerprint": "a" * 64, "quote_start": 5, "quote_end": 2},
    ),
    (
        "ck_evidence_located_only_verbatim",
        "evidence",
        {"fingerprint": "a" * 64, "verbatim": False, "quote_start": 0, "quote_end": 1},
    ),
    ("uq_evidence_fingerprint", "evidence", {}),
    ("fk_evidence_source_id_sources", "evidence", {"fingerprint": "a" * 64, "source_id": 77}),
    (
        "fk_evidence_entity_id_entities",
        "evidence",
        {"fingerprint": "a" * 64, "event_id": None, "entity_id": 77},
    ),
    (
        "fk_evidence_role_id_roles",
        "evidence",
        {"fingerprint": "a" * 64, "event_id": None, "role_id": 77},
    ),
    ("fk_evidence_event_id_events", "evidence", {"fingerprint": "a" * 64, "event_id": 77}),
    (
        "fk_evidence_participant_id_event_participants",
        "evidence",
        {"fingerprint": "a" * 64, "event_id": None, "participant_id": 77},
    ),
    (
        "fk_evidence_trade_flow_id_trade_flows",
        "evidence",
        {"fingerprint": "a" * 64, "event_id": None, "trade_flow_id": 77},
    ),
    (
        "fk_evidence_relation_id_relations",
        "evidence",
        {"fingerprint": "a" * 64, "event_id": None, "relation_id": 77},
    ),
    ("ck_entity_declarations_kind", "entity_declarations", {"entity_id": 2, "kind": "planet"}),
    ("uq_entity_declarations_entity_id_source_id", "entity_declarations", {}),
    ("fk_entity_declarations_entity_id_entities", "entity_declarations", {"entity_id": 77}),
    ("fk_entity_declarations_source_id_sources", "entity_declarations", {"source_id": 77}),
    ("uq_entity_alias_declarations_alias_id_source_id", "entity_alias_declarations", {}),
    (
        "fk_entity_alias_declarations_alias_id_entity_aliases",
        "entity_alias_declarations",
        {"alias_id": 77},
    ),
    (
        "fk_entity_alias_declarations_source_id_sources",
        "entity_alias_declarations",
        {"source_id": 77},
    ),
    (
        "uq_entity_identifier_declarations_identifier_id_source_id",
        "entity_identifier_declarations",
        {},
    ),
    (
        "fk_entity_identifier_declarations_identifier_id_entity_identifiers",
        "entity_identifier_declarations",
        {"identifier_id": 77},
    ),
    (
        "fk_entity_identifier_declarations_source_id_sources",
        "entity_identifier_declarations",
        {"source_id": 77},
    ),
    ("ck_events_status", "events", {"id": 9, "slug": "x", "status": "rumoured"}),
    ("fk_events_invited_by_id_entities", "events", {"id": 9, "slug": "x", "invited_by_id": 77}),
    ("ck_trade_flows_kind", "trade_flows", {"id": 9, "year": 2023, "kind": "wish"}),
    ("ck_trade_flows_kind_not_change", "trade_flows", {"id": 9, "year": 2023, "kind": "change"}),
    ("ck_trade_flows_actual_has_year", "trade_flows", {"id": 9, "year": None, "slug": "t9"}),
    (
        "fk_trade_flows_stated_by_id_entities",
        "trade_flows",
        {"id": 9, "year": 2023, "stated_by_id": 77},
    ),
    ("fk_trade_flows_event_id_events", "trade_flows", {"id": 9, "year": 2023, "event_id": 77}),
    ("fk_relations_event_id_events", "relations", {"id": 9, "slug": "x", "event_id": 77}),
    ("uq_quantities_slug", "quantities", {"id": 9}),
    ("ck_quantities_kind", "quantities", {"id": 9, "slug": "x", "kind": "wish"}),
    ("ck_quantities_measure", "quantities", {"id": 9, "slug": "x", "measure": "miles"}),
    ("ck_quantities_qualifier", "quantities", {"id": 9, "slug": "x", "qualifier": "roughly"}),
    ("ck_quantities_metric_not_empty", "quantities", {"id": 9, "slug": "x", "metric": ""}),
    ("ck_quantities_currency_for_money", "quantities", {"id": 9, "slug": "x", "measure": "money"}),
    (
        "ck_quantities_only_change_negative",
        "quantities",
        {"id": 9, "slug": "x", "kind": "actual", "value": -100},
    ),
    (
        "ck_quantities_rank_from_one",
        "quantities",
        {"id": 9, "slug": "x", "kind": "actual", "measure": "rank", "value": 0},
    ),
    ("ck_quantities_date_dated", "quantities", {"id": 9, "slug": "x", "date_precision": "year"}),
    (
        "ck_quantities_date_precision",
        "quantities",
        {"id": 9, "slug": "x", "date": dt.date(2024, 1, 1), "date_precision": "aeon"},
    ),
    ("ck_quantities_base_dated", "quantities", {"id": 9, "slug": "x", "base_precision": "year"}),
    (
        "ck_quantities_base_precision",
        "quantities",
        {"id": 9, "slug": "x", "base_date": dt.date(1992, 1, 1), "base_precision": "aeon"},
    ),
    (
        "ck_quantities_base_only_for_change",
        "quantities",
        {
            "id": 9,
            "slug": "x",
            "kind": "actual",
            "base_date": dt.date(1992, 1, 1),
            "base_precision": "year",
        },
    ),
    ("ck_quantities_distinct_parties", "quantities", {"id": 9, "slug": "x", "partner_id": 1}),
    ("fk_quantities_subject_id_entities", "quantities", {"id": 9, "slug": "x", "subject_id": 77}),
    ("fk_quantities_partner_id_entities", "quantities", {"id": 9, "slug": "x", "partner_id": 77}),
    (
        "fk_quantities_stated_by_id_entities",
        "quantities",
        {"id": 9, "slug": "x", "stated_by_id": 77},
    ),
    ("fk_quantities_event_id_events", "quantities", {"id": 9, "slug": "x", "event_id": 77}),
    ("fk_quantities_source_id_sources", "quantities", {"id": 9, "slug": "x", "source_id": 77}),
    ("uq_documents_slug", "documents", {"id": 9}),
    ("ck_documents_kind", "documents", {"id": 9, "slug": "x", "kind": "napkin"}),
    ("ck_documents_count_positive", "documents", {"id": 9, "slug": "x", "count": 0}),
    (
        "ck_documents_count_qualifier",
        "documents",
        {"id": 9, "slug": "x", "count": 2, "count_qualifier": "roughly"},
    ),
    (
        "ck_documents_count_qualifier_needs_count",
        "documents",
        {"id": 9, "slug": "x", "count_qualifier": "about"},
    ),
    ("ck_documents_titled_or_counted", "documents", {"id": 9, "slug": "x", "title": None}),
    (
        "ck_documents_signed_on_dated",
        "documents",
        {"id": 9, "slug": "x", "signed_precision": "day"},
    ),
    (
        "ck_documents_signed_precision",
        "documents",
        {"id": 9, "slug": "x", "signed_on": dt.date(2025, 1, 1), "signed_precision": "aeon"},
    ),
    ("fk_documents_event_id_events", "documents", {"id": 9, "slug": "x", "event_id": 77}),
    ("fk_documents_source_id_sources", "documents", {"id": 9, "slug": "x", "source_id": 77}),
    ("uq_document_signatories_document_id_entity_id_role", "document_signatories", {}),
    ("ck_document_signatories_role", "document_signatories", {"role": "forger"}),
    ("ck_document_signatories_behalf_other", "document_signatories", {"on_behalf_of_id": 3}),
    ("fk_document_signatories_document_id_documents", "document_signatories", {"document_id": 77}),
    ("fk_document_signatories_entity_id_entities", "document_signatories", {"entity_id": 77}),
    (
        "fk_document_signatories_on_behalf_of_id_entities",
        "document_signatories",
        {"on_behalf_of_id": 77},
    ),
    (
        "fk_evidence_quantity_id_quantities",
        "evidence",
        {"fingerprint": "a" * 64, "event_id": None, "quantity_id": 77},
    ),
    (
        "fk_evidence_document_id_documents",
        "evidence",
        {"fingerprint": "a" * 64, "event_id": None, "document_id": 77},
    ),
    ("uq_changesets_txid", "changesets", {"id": 101}),
    ("ck_row_versions_operation", "row_versions", {"id": 101, "operation": "insert"}),
    ("fk_row_versions_changeset_id_changesets", "row_versions", {"id": 101, "changeset_id": 77}),
]


# An unknown precision also breaks the rule tying a date to its precision; the database may
# name either.
ALSO_REFUSED_BY = {
    "ck_sources_published_precision": "ck_sources_published_on_dated",
    "ck_roles_valid_from_precision": "ck_roles_valid_from_dated",
    "ck_roles_valid_to_precision": "ck_roles_valid_to_dated",
    "ck_events_start_precision": "ck_events_start_dated",
    "ck_events_end_precision": "ck_events_end_dated",
    "ck_relations_valid_from_precision": "ck_relations_valid_from_dated",
    "ck_relations_valid_to_precision": "ck_relations_valid_to_dated",
    "ck_quantities_date_precision": "ck_quantities_date_dated",
    "ck_quantities_base_precision": "ck_quantities_base_dated",
    "ck_documents_signed_precision": "ck_documents_signed_on_dated",
}


def _insert_valid(conn: Connection) -> None:
    conn.execute(T["sources"].insert().values(VALID["sources"]))
    conn.execute(T["entities"].insert().values(VALID["entities"]))
    conn.execute(T["entities"].insert().values(id=2, slug="jp", kind="country", name="Japan"))
    conn.execute(T["entities"].insert().values(id=3, slug="rr", kind="person", name="R. Radev"))
    for name in (
        "entity_aliases",
        "entity_identifiers",
        "roles",
        "events",
        "event_participants",
        "trade_flows",
    ):
        conn.execute(T[name].insert().values(VALID[name]))
    conn.execute(
        T["trade_flows"]
        .insert()
        .values({**VALID["trade_flows"], "id": 2, "flow": "import", "slug": "t2"})
    )
    for name in (
        "trade_derivations",
        "relations",
        "quantities",
        "documents",
        "document_signatories",
        "evidence",
        "entity_declarations",
        "entity_alias_declarations",
        "entity_identifier_declarations",
        "changesets",
        "row_versions",
    ):
        conn.execute(T[name].insert().values(VALID[name]))


def test_every_named_constraint_has_a_case() -> None:
    named = {
        c.name
        for table in metadata.sorted_tables
        for c in table.constraints
        if isinstance(c, sa.CheckConstraint | sa.UniqueConstraint | sa.ForeignKeyConstraint)
    } | {i.name for table in metadata.sorted_tables for i in table.indexes if i.unique}
    assert named == {name for name, _, _ in CASES}


def test_the_valid_rows_are_accepted(migrated: Engine) -> None:
    with migrated.begin() as conn:
        _insert_valid(conn)


def test_each_constraint_rejects_a_breaking_row(migrated: Engine) -> None:
    with migrated.begin() as conn:
        _insert_valid(conn)
    failures = []
    with migrated.connect() as conn:
        for name, table, changes in CASES:
            row = {**VALID[table], **changes}
            if table == "evidence" and "event_id" in changes and changes["event_id"] is None:
                row.pop("event_id")
            savepoint = conn.begin() if not conn.in_transaction() else conn.begin_nested()
            try:
                conn.execute(T[table].insert().values(row))
            except sa.exc.IntegrityError as exc:
                message = str(exc.orig)
                named = name in message or ALSO_REFUSED_BY.get(name, name) in message
                if name.startswith("ck_") and not named:
                    failures.append(f"{name}: refused by another rule: {message}")
            except sa.exc.StatementError as exc:
                failures.append(f"{name}: refused before the database: {exc}")
            else:
                failures.append(f"{name}: row accepted")
            finally:
                savepoint.rollback()
    assert failures == [], "\n".join(failures)
