"""Initial schema: sources, entities, roles, events, trade, relations and evidence.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "country",
                "area",
                "person",
                "organisation",
                "company",
                "government_body",
                "place",
                "facility",
                "region",
                "sector",
                "product",
                "field",
                "group",
                name=op.f("ck_entities_kind"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.CheckConstraint("length(slug) > 0", name=op.f("ck_entities_slug_not_empty")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
        sa.UniqueConstraint("slug", name=op.f("uq_entities_slug")),
    )
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entities_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_entities_name"), ["name"], unique=False)

    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "article",
                "official_statement",
                "statistics_dataset",
                "press_release",
                "report",
                "broadcast",
                "other",
                name=op.f("ck_sources_kind"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("publisher", sa.String(length=200), nullable=True),
        sa.Column("url", sa.String(length=2000), nullable=True),
        sa.Column("published_on", sa.Date(), nullable=True),
        sa.Column(
            "published_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                "unknown",
                name=op.f("ck_sources_published_precision"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("text_sha256", sa.String(length=64), nullable=True),
        sa.Column("file_name", sa.String(length=500), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reposts_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "(published_on IS NULL AND published_precision = 'unknown') OR (published_on IS NOT NULL AND published_precision IN ('day', 'month', 'year'))",
            name=op.f("ck_sources_published_on_dated"),
        ),
        sa.CheckConstraint(
            "reposts_id IS NULL OR reposts_id <> id", name=op.f("ck_sources_reposts_other")
        ),
        sa.CheckConstraint(
            "row_count IS NULL OR row_count >= 0", name=op.f("ck_sources_row_count_non_negative")
        ),
        sa.CheckConstraint(
            "text IS NULL OR text_sha256 IS NOT NULL", name=op.f("ck_sources_text_has_sha256")
        ),
        sa.CheckConstraint(
            "text_sha256 IS NULL OR length(text_sha256) = 64",
            name=op.f("ck_sources_text_sha256_length"),
        ),
        sa.ForeignKeyConstraint(
            ["reposts_id"],
            ["sources.id"],
            name=op.f("fk_sources_reposts_id_sources"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("slug", name=op.f("uq_sources_slug")),
    )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sources_reposts_id"), ["reposts_id"], unique=False)

    op.create_table(
        "entity_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_entity_aliases_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_aliases")),
        sa.UniqueConstraint(
            "entity_id", "name", "language", name=op.f("uq_entity_aliases_entity_id_name_language")
        ),
    )
    with op.batch_alter_table("entity_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_entity_aliases_name"), ["name"], unique=False)

    op.create_table(
        "entity_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column(
            "scheme",
            sa.Enum(
                "iso3166_alpha2",
                "iso3166_alpha3",
                "m49",
                "wikidata",
                "hs",
                "comtrade",
                "url",
                name=op.f("ck_entity_identifiers_scheme"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("value", sa.String(length=100), nullable=False),
        sa.CheckConstraint("length(value) > 0", name=op.f("ck_entity_identifiers_value_not_empty")),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_entity_identifiers_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_identifiers")),
        sa.UniqueConstraint("scheme", "value", name=op.f("uq_entity_identifiers_scheme_value")),
    )
    with op.batch_alter_table("entity_identifiers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_entity_identifiers_entity_id"), ["entity_id"], unique=False
        )

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "visit",
                "meeting",
                "ceremony",
                "signing",
                "forum",
                "speech",
                "audience",
                "memorandum",
                "funding_commitment",
                "announcement",
                "other",
                name=op.f("ck_events_kind"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column(
            "start_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                "unknown",
                name=op.f("ck_events_start_precision"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column(
            "end_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                "unknown",
                name=op.f("ck_events_end_precision"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("date_note", sa.String(length=200), nullable=True),
        sa.Column("location_id", sa.Integer(), nullable=True),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("cameo_code", sa.String(length=4), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(end_date IS NULL AND end_precision = 'unknown') OR (end_date IS NOT NULL AND end_precision IN ('day', 'month', 'year'))",
            name=op.f("ck_events_end_dated"),
        ),
        sa.CheckConstraint(
            "(start_date IS NULL AND start_precision = 'unknown') OR (start_date IS NOT NULL AND start_precision IN ('day', 'month', 'year'))",
            name=op.f("ck_events_start_dated"),
        ),
        sa.CheckConstraint(
            "cameo_code IS NULL OR (length(cameo_code) BETWEEN 2 AND 4)",
            name=op.f("ck_events_cameo_code_length"),
        ),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name=op.f("ck_events_parent_other")
        ),
        sa.CheckConstraint(
            "start_date IS NULL OR end_date IS NULL OR start_date <= end_date",
            name=op.f("ck_events_date_order"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["entities.id"],
            name=op.f("fk_events_location_id_entities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["events.id"],
            name=op.f("fk_events_parent_id_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_events_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("slug", name=op.f("uq_events_slug")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_events_location_id"), ["location_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_parent_id"), ["parent_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_events_source_id"), ["source_id"], unique=False)
        batch_op.create_index(
            "ix_events_start_date_start_precision", ["start_date", "start_precision"], unique=False
        )

    op.create_table(
        "relations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column(
            "predicate",
            sa.Enum(
                "partnership",
                "located_in",
                "part_of",
                "member_of",
                "represents",
                "exports_product",
                "invests_in_sector",
                "interested_in_investing_in",
                "cooperates_with",
                "funds",
                "focuses_on",
                "has_strength",
                "ranks_first_in",
                "only_one_in",
                "shares_values_with",
                "security_interconnected_with",
                "relations_rest_on",
                "commits_to",
                "example_for",
                "values",
                "attracts",
                "history_of_cooperation_with",
                "goal_of",
                "plans",
                "encourages",
                "met_before",
                name=op.f("ck_relations_predicate"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("object_id", sa.Integer(), nullable=True),
        sa.Column("value", sa.Text(), nullable=True),
        sa.Column("unit", sa.String(length=50), nullable=True),
        sa.Column("context_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column(
            "valid_from_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                "unknown",
                name=op.f("ck_relations_valid_from_precision"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "valid_to_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                "unknown",
                name=op.f("ck_relations_valid_to_precision"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("qualifiers", sa.JSON(), nullable=True),
        sa.Column("claimed_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "rank",
            sa.Enum(
                "preferred",
                "normal",
                "deprecated",
                name=op.f("ck_relations_rank"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("rank_reason", sa.Text(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(valid_from IS NULL AND valid_from_precision = 'unknown') OR (valid_from IS NOT NULL AND valid_from_precision IN ('day', 'month', 'year'))",
            name=op.f("ck_relations_valid_from_dated"),
        ),
        sa.CheckConstraint(
            "(valid_to IS NULL AND valid_to_precision IS NULL) OR (valid_to IS NULL AND valid_to_precision = 'unknown') OR (valid_to IS NOT NULL AND valid_to_precision IN ('day', 'month', 'year'))",
            name=op.f("ck_relations_valid_to_dated"),
        ),
        sa.CheckConstraint(
            "rank = 'normal' OR rank_reason IS NOT NULL",
            name=op.f("ck_relations_rank_reason_when_ranked"),
        ),
        sa.CheckConstraint(
            "object_id IS NOT NULL OR value IS NOT NULL", name=op.f("ck_relations_has_object")
        ),
        sa.CheckConstraint(
            "unit IS NULL OR value IS NOT NULL", name=op.f("ck_relations_unit_needs_value")
        ),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to",
            name=op.f("ck_relations_valid_order"),
        ),
        sa.ForeignKeyConstraint(
            ["claimed_by_id"],
            ["entities.id"],
            name=op.f("fk_relations_claimed_by_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["context_id"],
            ["entities.id"],
            name=op.f("fk_relations_context_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["object_id"],
            ["entities.id"],
            name=op.f("fk_relations_object_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_relations_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["entities.id"],
            name=op.f("fk_relations_subject_id_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relations")),
        sa.UniqueConstraint("slug", name=op.f("uq_relations_slug")),
    )
    with op.batch_alter_table("relations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_relations_claimed_by_id"), ["claimed_by_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_relations_context_id"), ["context_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_relations_object_id"), ["object_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_relations_predicate"), ["predicate"], unique=False)
        batch_op.create_index(batch_op.f("ix_relations_source_id"), ["source_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_relations_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("organisation_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column(
            "valid_from_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                "unknown",
                name=op.f("ck_roles_valid_from_precision"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column(
            "valid_to_precision",
            sa.Enum(
                "day",
                "month",
                "year",
                "unknown",
                name=op.f("ck_roles_valid_to_precision"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.CheckConstraint(
            "(valid_from IS NULL AND valid_from_precision = 'unknown') OR (valid_from IS NOT NULL AND valid_from_precision IN ('day', 'month', 'year'))",
            name=op.f("ck_roles_valid_from_dated"),
        ),
        sa.CheckConstraint(
            "(valid_to IS NULL AND valid_to_precision IS NULL) OR (valid_to IS NULL AND valid_to_precision = 'unknown') OR (valid_to IS NOT NULL AND valid_to_precision IN ('day', 'month', 'year'))",
            name=op.f("ck_roles_valid_to_dated"),
        ),
        sa.CheckConstraint("person_id <> organisation_id", name=op.f("ck_roles_distinct_parties")),
        sa.CheckConstraint(
            "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to",
            name=op.f("ck_roles_valid_order"),
        ),
        sa.ForeignKeyConstraint(
            ["organisation_id"],
            ["entities.id"],
            name=op.f("fk_roles_organisation_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["entities.id"],
            name=op.f("fk_roles_person_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_roles_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_roles")),
        sa.UniqueConstraint("slug", name=op.f("uq_roles_slug")),
    )
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_roles_organisation_id"), ["organisation_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_roles_person_id"), ["person_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_roles_source_id"), ["source_id"], unique=False)

    op.create_table(
        "trade_flows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=True),
        sa.Column("series", sa.String(length=200), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.SmallInteger(), nullable=False),
        sa.Column("month", sa.SmallInteger(), nullable=False),
        sa.Column("months", sa.SmallInteger(), nullable=False),
        sa.Column(
            "flow",
            sa.Enum(
                "export",
                "import",
                "re_export",
                "re_import",
                "total",
                name=op.f("ck_trade_flows_flow"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("commodity_code", sa.String(length=20), nullable=False),
        sa.Column("commodity_label", sa.String(length=500), nullable=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column(
            "value_qualifier",
            sa.Enum(
                "exact",
                "about",
                "near",
                "nearly",
                "over",
                "under",
                "at_least",
                "at_most",
                name=op.f("ck_trade_flows_value_qualifier"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("value_low", sa.BigInteger(), nullable=True),
        sa.Column("value_high", sa.BigInteger(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "preliminary",
                "provisional",
                "final",
                "revised",
                "derived",
                "estimated",
                name=op.f("ck_trade_flows_status"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("as_of", sa.Date(), nullable=True),
        sa.Column("method", sa.Text(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("source_line", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "status <> 'derived' OR method IS NOT NULL",
            name=op.f("ck_trade_flows_derived_has_method"),
        ),
        sa.CheckConstraint(
            "(month = 0 AND months = 12) OR (month >= 1 AND months >= 1 AND month + months <= 13)",
            name=op.f("ck_trade_flows_period_within_year"),
        ),
        sa.CheckConstraint(
            "length(commodity_code) > 0", name=op.f("ck_trade_flows_commodity_code_not_empty")
        ),
        sa.CheckConstraint("length(currency) = 3", name=op.f("ck_trade_flows_currency_code")),
        sa.CheckConstraint(
            "reporter_id <> partner_id", name=op.f("ck_trade_flows_distinct_parties")
        ),
        sa.CheckConstraint(
            "source_line IS NULL OR (source_line > 0 AND source_id IS NOT NULL)",
            name=op.f("ck_trade_flows_source_line_needs_source"),
        ),
        sa.CheckConstraint("value >= 0", name=op.f("ck_trade_flows_value_non_negative")),
        sa.CheckConstraint(
            "value_low IS NULL OR value_high IS NULL OR value_low <= value_high",
            name=op.f("ck_trade_flows_bounds_order"),
        ),
        sa.CheckConstraint(
            "value_low IS NULL OR value_low >= 0",
            name=op.f("ck_trade_flows_value_low_non_negative"),
        ),
        sa.CheckConstraint("year BETWEEN 1900 AND 2100", name=op.f("ck_trade_flows_year_range")),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["entities.id"],
            name=op.f("fk_trade_flows_partner_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["reporter_id"],
            ["entities.id"],
            name=op.f("fk_trade_flows_reporter_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_trade_flows_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trade_flows")),
        sa.UniqueConstraint(
            "reporter_id",
            "partner_id",
            "year",
            "month",
            "months",
            "flow",
            "commodity_code",
            "series",
            name="uq_trade_flows_natural_key",
        ),
    )
    with op.batch_alter_table("trade_flows", schema=None) as batch_op:
        batch_op.create_index(
            "uq_trade_flows_slug",
            ["slug"],
            unique=True,
            sqlite_where=sa.text("slug IS NOT NULL"),
            postgresql_where=sa.text("slug IS NOT NULL"),
        )
        batch_op.create_index(batch_op.f("ix_trade_flows_source_id"), ["source_id"], unique=False)

    op.create_table(
        "event_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "host",
                "visitor",
                "organiser",
                "speaker",
                "signatory",
                "party",
                "attendee",
                "funder",
                "recipient",
                "subject",
                name=op.f("ck_event_participants_role"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column(
            "count_qualifier",
            sa.Enum(
                "exact",
                "about",
                "near",
                "nearly",
                "over",
                "under",
                "at_least",
                "at_most",
                name=op.f("ck_event_participants_count_qualifier"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=True,
        ),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "count IS NULL OR count >= 0", name=op.f("ck_event_participants_count_non_negative")
        ),
        sa.CheckConstraint(
            "count_qualifier IS NULL OR count IS NOT NULL",
            name=op.f("ck_event_participants_count_qualifier_needs_count"),
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_event_participants_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_participants_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_participants")),
        sa.UniqueConstraint(
            "event_id",
            "entity_id",
            "role",
            name=op.f("uq_event_participants_event_id_entity_id_role"),
        ),
    )
    with op.batch_alter_table("event_participants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_event_participants_entity_id"), ["entity_id"], unique=False
        )

    op.create_table(
        "trade_derivations",
        sa.Column("derived_id", sa.Integer(), nullable=False),
        sa.Column("input_id", sa.Integer(), nullable=False),
        sa.Column("coefficient", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "coefficient IN (-1, 1)", name=op.f("ck_trade_derivations_coefficient_sign")
        ),
        sa.CheckConstraint("derived_id <> input_id", name=op.f("ck_trade_derivations_not_self")),
        sa.ForeignKeyConstraint(
            ["derived_id"],
            ["trade_flows.id"],
            name=op.f("fk_trade_derivations_derived_id_trade_flows"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["input_id"],
            ["trade_flows.id"],
            name=op.f("fk_trade_derivations_input_id_trade_flows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("derived_id", "input_id", name=op.f("pk_trade_derivations")),
    )
    with op.batch_alter_table("trade_derivations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_trade_derivations_input_id"), ["input_id"], unique=False
        )

    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("quote", sa.Text(), nullable=False),
        sa.Column("quote_start", sa.Integer(), nullable=True),
        sa.Column("quote_end", sa.Integer(), nullable=True),
        sa.Column("field", sa.String(length=100), nullable=True),
        sa.Column("verbatim", sa.Boolean(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("role_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("trade_flow_id", sa.Integer(), nullable=True),
        sa.Column("relation_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(CASE WHEN entity_id IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN role_id IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN event_id IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN participant_id IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN trade_flow_id IS NOT NULL THEN 1 ELSE 0 END) + (CASE WHEN relation_id IS NOT NULL THEN 1 ELSE 0 END) = 1",
            name=op.f("ck_evidence_exactly_one_fact"),
        ),
        sa.CheckConstraint(
            "(quote_start IS NULL AND quote_end IS NULL) OR (quote_start >= 0 AND quote_end > quote_start)",
            name=op.f("ck_evidence_quote_span"),
        ),
        sa.CheckConstraint("length(quote) > 0", name=op.f("ck_evidence_quote_not_empty")),
        sa.CheckConstraint(
            "verbatim OR quote_start IS NULL", name=op.f("ck_evidence_located_only_verbatim")
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_evidence_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_evidence_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["event_participants.id"],
            name=op.f("fk_evidence_participant_id_event_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["relation_id"],
            ["relations.id"],
            name=op.f("fk_evidence_relation_id_relations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["role_id"], ["roles.id"], name=op.f("fk_evidence_role_id_roles"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_evidence_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trade_flow_id"],
            ["trade_flows.id"],
            name=op.f("fk_evidence_trade_flow_id_trade_flows"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evidence")),
        sa.UniqueConstraint("fingerprint", name=op.f("uq_evidence_fingerprint")),
    )
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evidence_entity_id"), ["entity_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_event_id"), ["event_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evidence_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_evidence_relation_id"), ["relation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_role_id"), ["role_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evidence_source_id"), ["source_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_evidence_trade_flow_id"), ["trade_flow_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidence_trade_flow_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_source_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_role_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_relation_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_participant_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_event_id"))
        batch_op.drop_index(batch_op.f("ix_evidence_entity_id"))

    op.drop_table("evidence")
    with op.batch_alter_table("trade_derivations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trade_derivations_input_id"))

    op.drop_table("trade_derivations")
    with op.batch_alter_table("event_participants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_participants_entity_id"))

    op.drop_table("event_participants")
    with op.batch_alter_table("trade_flows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_trade_flows_source_id"))
        batch_op.drop_index("uq_trade_flows_slug")

    op.drop_table("trade_flows")
    with op.batch_alter_table("roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_roles_source_id"))
        batch_op.drop_index(batch_op.f("ix_roles_person_id"))
        batch_op.drop_index(batch_op.f("ix_roles_organisation_id"))

    op.drop_table("roles")
    with op.batch_alter_table("relations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_relations_subject_id"))
        batch_op.drop_index(batch_op.f("ix_relations_source_id"))
        batch_op.drop_index(batch_op.f("ix_relations_predicate"))
        batch_op.drop_index(batch_op.f("ix_relations_object_id"))
        batch_op.drop_index(batch_op.f("ix_relations_context_id"))
        batch_op.drop_index(batch_op.f("ix_relations_claimed_by_id"))

    op.drop_table("relations")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_start_date_start_precision")
        batch_op.drop_index(batch_op.f("ix_events_source_id"))
        batch_op.drop_index(batch_op.f("ix_events_parent_id"))
        batch_op.drop_index(batch_op.f("ix_events_location_id"))

    op.drop_table("events")
    with op.batch_alter_table("entity_identifiers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entity_identifiers_entity_id"))

    op.drop_table("entity_identifiers")
    with op.batch_alter_table("entity_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entity_aliases_name"))

    op.drop_table("entity_aliases")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sources_reposts_id"))

    op.drop_table("sources")
    with op.batch_alter_table("entities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_entities_name"))
        batch_op.drop_index(batch_op.f("ix_entities_kind"))

    op.drop_table("entities")
