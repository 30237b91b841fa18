"""The schema as SQLAlchemy Core: every table, column, constraint and index factdb keeps.

This is the one home of the schema. The ORM classes in the sibling modules map these tables
(``__table__``) for the writers; the reports query them as they are, so a read command builds
tables, not mappers, and never imports ``sqlalchemy.orm``. It must not import
``sqlalchemy.orm``, the model modules, or anything that loads a database dialect (a dialect's
index option, such as ``postgresql_where``, is added by ``add_postgresql_partial_indexes``).

Everything here must render as plain SQL on SQLite and PostgreSQL alike: enums are VARCHAR with a
named CHECK (no ``CREATE TYPE``) and money is an integer count of cents (no float anywhere).
"""

from __future__ import annotations

import enum
from decimal import Decimal
from typing import Any

import sqlalchemy as sa

from factdb.factkinds import FACT_KINDS
from factdb.vocabulary import (
    COMTRADE_SERIES,
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

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: every table; ``factdb.models.Base`` maps onto it
metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def choice(enum_cls: type[enum.StrEnum], name: str) -> sa.Enum:
    """A portable enum column type: VARCHAR plus a CHECK named ``name`` (no CREATE TYPE)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


class Money(sa.types.TypeDecorator[Decimal]):
    """An exact amount stored as integer cents, so SQLite never turns it into a float.

    Values with more than two decimal places are refused rather than rounded.
    """

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> int | None:
        if value is None:
            return None
        return to_cents(Decimal(value) if not isinstance(value, Decimal) else value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_cents(int(value))


def to_cents(amount: Decimal) -> int:
    """Exact conversion of a money amount to cents; raises ValueError on sub-cent precision."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def date_precision_check(date_col: str, precision_col: str, *, optional: bool = False) -> str:
    """SQL for: a date is present exactly when its precision is day, month or year.

    With ``optional`` the precision may itself be NULL (an end that has not happened: ongoing).
    """
    known = f"{precision_col} IN ('day', 'month', 'year')"
    rule = (
        f"({date_col} IS NULL AND {precision_col} = 'unknown') "
        f"OR ({date_col} IS NOT NULL AND {known})"
    )
    if optional:
        rule = f"({date_col} IS NULL AND {precision_col} IS NULL) OR {rule}"
    return rule


#: fact kind -> the evidence column that points at it; the order is the documented one.
FACT_COLUMNS: dict[str, str] = {kind.name: kind.evidence_column for kind in FACT_KINDS}


def _exactly_one(columns: list[str]) -> str:
    return " + ".join(f"(CASE WHEN {c} IS NOT NULL THEN 1 ELSE 0 END)" for c in columns) + " = 1"


#: the partial indexes' conditions: declared with the table for SQLite, added for PostgreSQL by
#: ``add_postgresql_partial_indexes`` (naming a dialect's option loads that dialect, which a
#: report on SQLite, only querying the table, has no use for)
PARTIAL_INDEXES = {
    "uq_trade_flows_slug": "slug IS NOT NULL",
    "ix_trade_flows_stated": f"series <> '{COMTRADE_SERIES}'",
    # official rows state neither: a bulk import adds no entry to these two
    "ix_trade_flows_stated_by_id": "stated_by_id IS NOT NULL",
    "ix_trade_flows_event_id": "event_id IS NOT NULL",
}


# Source: factdb.models.sources
sources = sa.Table(
    "sources",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("slug", sa.String(200), unique=True, nullable=False),
    sa.Column("kind", choice(SourceKind, "kind"), nullable=False),
    sa.Column("title", sa.String(500)),
    sa.Column("publisher", sa.String(200)),
    sa.Column("url", sa.String(2000)),
    sa.Column("published_on", sa.Date()),
    sa.Column(
        "published_precision",
        choice(Precision, "published_precision"),
        default=Precision.UNKNOWN,
        nullable=False,
    ),
    sa.Column("language", sa.String(16)),
    sa.Column("text", sa.Text),
    sa.Column("text_sha256", sa.String(64)),
    sa.Column("file_name", sa.String(500)),
    sa.Column("row_count", sa.Integer()),
    sa.Column("imported_at", sa.DateTime(timezone=True)),
    sa.Column(
        "reposts_id", sa.Integer(), sa.ForeignKey("sources.id", ondelete="SET NULL"), index=True
    ),
    sa.Column("note", sa.Text),
    sa.CheckConstraint(
        date_precision_check("published_on", "published_precision"), name="published_on_dated"
    ),
    sa.CheckConstraint(
        "text_sha256 IS NULL OR length(text_sha256) = 64", name="text_sha256_length"
    ),
    sa.CheckConstraint("text IS NULL OR text_sha256 IS NOT NULL", name="text_has_sha256"),
    sa.CheckConstraint("row_count IS NULL OR row_count >= 0", name="row_count_non_negative"),
    sa.CheckConstraint("reposts_id IS NULL OR reposts_id <> id", name="reposts_other"),
)


# Entity: factdb.models.entities
entities = sa.Table(
    "entities",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("slug", sa.String(200), unique=True, nullable=False),
    sa.Column("kind", choice(EntityKind, "kind"), index=True, nullable=False),
    sa.Column("name", sa.String(300), index=True, nullable=False),
    sa.Column("description", sa.Text),
    #: why the fact needs an inference its quotes do not show; NULL when they show it all
    sa.Column("inferred", sa.Text),
    sa.CheckConstraint("length(slug) > 0", name="slug_not_empty"),
)


# EntityAlias: factdb.models.entities
entity_aliases = sa.Table(
    "entity_aliases",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column(
        "entity_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("name", sa.String(300), index=True, nullable=False),
    sa.Column("language", sa.String(16), default="und", nullable=False),
    sa.UniqueConstraint("entity_id", "name", "language"),
)


# EntityIdentifier: factdb.models.entities
entity_identifiers = sa.Table(
    "entity_identifiers",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column(
        "entity_id",
        sa.Integer(),
        sa.ForeignKey("entities.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column("scheme", choice(IdentifierScheme, "scheme"), nullable=False),
    sa.Column("value", sa.String(100), nullable=False),
    sa.UniqueConstraint("scheme", "value"),
    sa.CheckConstraint("length(value) > 0", name="value_not_empty"),
)


# Role: factdb.models.entities
roles = sa.Table(
    "roles",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("slug", sa.String(200), unique=True, nullable=False),
    sa.Column(
        "person_id",
        sa.Integer(),
        sa.ForeignKey("entities.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column(
        "organisation_id",
        sa.Integer(),
        sa.ForeignKey("entities.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column("title", sa.String(300), nullable=False),
    #: the source whose fact file declares this fact (the file is the truth for it)
    sa.Column(
        "source_id", sa.Integer(), sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    ),
    sa.Column("valid_from", sa.Date()),
    sa.Column(
        "valid_from_precision",
        choice(Precision, "valid_from_precision"),
        default=Precision.UNKNOWN,
        nullable=False,
    ),
    sa.Column("valid_to", sa.Date()),
    sa.Column("valid_to_precision", choice(Precision, "valid_to_precision")),
    #: why the fact needs an inference its quotes do not show; NULL when they show it all
    sa.Column("inferred", sa.Text),
    sa.CheckConstraint(
        date_precision_check("valid_from", "valid_from_precision"), name="valid_from_dated"
    ),
    sa.CheckConstraint(
        date_precision_check("valid_to", "valid_to_precision", optional=True),
        name="valid_to_dated",
    ),
    sa.CheckConstraint(
        "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to", name="valid_order"
    ),
    sa.CheckConstraint("person_id <> organisation_id", name="distinct_parties"),
)


# EntityDeclaration: factdb.models.entities
entity_declarations = sa.Table(
    "entity_declarations",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column(
        "entity_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "source_id",
        sa.Integer(),
        sa.ForeignKey("sources.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column("kind", choice(EntityKind, "kind"), nullable=False),
    sa.Column("name", sa.String(300), nullable=False),
    #: NULL: this source says nothing about the description (it never clears one)
    sa.Column("description", sa.Text),
    sa.Column("file", sa.String(1000)),
    sa.Column("line", sa.Integer()),
    sa.UniqueConstraint("entity_id", "source_id"),
)


def _declarations(name: str, declared: str, target: str) -> sa.Table:
    """A table of which source declares each row of ``target`` (by its ``declared`` key): the
    alias and identifier declarations have the same shape."""
    return sa.Table(
        name,
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            declared,
            sa.Integer(),
            sa.ForeignKey(f"{target}.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column(
            "source_id",
            sa.Integer(),
            sa.ForeignKey("sources.id", ondelete="CASCADE"),
            index=True,
            nullable=False,
        ),
        sa.UniqueConstraint(declared, "source_id"),
    )


# EntityAliasDeclaration: factdb.models.entities
entity_alias_declarations = _declarations("entity_alias_declarations", "alias_id", "entity_aliases")

# EntityIdentifierDeclaration: factdb.models.entities
entity_identifier_declarations = _declarations(
    "entity_identifier_declarations", "identifier_id", "entity_identifiers"
)


# Event: factdb.models.events
events = sa.Table(
    "events",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("slug", sa.String(200), unique=True, nullable=False),
    sa.Column("kind", choice(EventKind, "kind"), nullable=False),
    sa.Column("title", sa.String(500), nullable=False),
    sa.Column("description", sa.Text),
    sa.Column("start_date", sa.Date()),
    sa.Column(
        "start_precision",
        choice(Precision, "start_precision"),
        default=Precision.UNKNOWN,
        nullable=False,
    ),
    sa.Column("end_date", sa.Date()),
    sa.Column(
        "end_precision",
        choice(Precision, "end_precision"),
        default=Precision.UNKNOWN,
        nullable=False,
    ),
    sa.Column("date_note", sa.String(200)),
    sa.Column(
        "location_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="SET NULL"), index=True
    ),
    sa.Column(
        "parent_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="SET NULL"), index=True
    ),
    sa.Column("cameo_code", sa.String(4)),
    sa.Column(
        "status",
        choice(EventStatus, "status"),
        default=EventStatus.HELD,
        server_default="held",
        nullable=False,
    ),
    sa.Column(
        "invited_by_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="SET NULL"), index=True
    ),
    #: the source whose fact file declares this fact (the file is the truth for it)
    sa.Column(
        "source_id", sa.Integer(), sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    ),
    #: why the fact needs an inference its quotes do not show; NULL when they show it all
    sa.Column("inferred", sa.Text),
    sa.CheckConstraint(date_precision_check("start_date", "start_precision"), name="start_dated"),
    sa.CheckConstraint(date_precision_check("end_date", "end_precision"), name="end_dated"),
    sa.CheckConstraint(
        "start_date IS NULL OR end_date IS NULL OR start_date <= end_date", name="date_order"
    ),
    sa.CheckConstraint(
        "cameo_code IS NULL OR (length(cameo_code) BETWEEN 2 AND 4)", name="cameo_code_length"
    ),
    sa.CheckConstraint("parent_id IS NULL OR parent_id <> id", name="parent_other"),
    sa.Index("ix_events_start_date_start_precision", "start_date", "start_precision"),
)


# EventParticipant: factdb.models.events
event_participants = sa.Table(
    "event_participants",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column(
        "event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column(
        "entity_id",
        sa.Integer(),
        sa.ForeignKey("entities.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column("role", choice(ParticipantRole, "role"), nullable=False),
    sa.Column("count", sa.Integer()),
    sa.Column("count_qualifier", choice(CountQualifier, "count_qualifier")),
    sa.Column("note", sa.Text),
    #: why the fact needs an inference its quotes do not show; NULL when they show it all
    sa.Column("inferred", sa.Text),
    sa.UniqueConstraint("event_id", "entity_id", "role"),
    sa.CheckConstraint("count IS NULL OR count >= 0", name="count_non_negative"),
    sa.CheckConstraint(
        "count_qualifier IS NULL OR count IS NOT NULL", name="count_qualifier_needs_count"
    ),
)


# Relation: factdb.models.relations
relations = sa.Table(
    "relations",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("slug", sa.String(200), unique=True, nullable=False),
    sa.Column(
        "subject_id",
        sa.Integer(),
        sa.ForeignKey("entities.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column("predicate", choice(Predicate, "predicate"), index=True, nullable=False),
    sa.Column(
        "object_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    ),
    sa.Column("value", sa.Text),
    sa.Column("unit", sa.String(50)),
    sa.Column(
        "context_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    ),
    sa.Column("valid_from", sa.Date()),
    sa.Column(
        "valid_from_precision",
        choice(Precision, "valid_from_precision"),
        default=Precision.UNKNOWN,
        nullable=False,
    ),
    sa.Column("valid_to", sa.Date()),
    sa.Column("valid_to_precision", choice(Precision, "valid_to_precision")),
    sa.Column("qualifiers", sa.JSON),
    sa.Column(
        "claimed_by_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    ),
    sa.Column("rank", choice(Rank, "rank"), default=Rank.NORMAL, nullable=False),
    sa.Column("rank_reason", sa.Text),
    sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), index=True),
    #: the source whose fact file declares this fact (the file is the truth for it)
    sa.Column(
        "source_id", sa.Integer(), sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    ),
    #: why the fact needs an inference its quotes do not show; NULL when they show it all
    sa.Column("inferred", sa.Text),
    sa.CheckConstraint("object_id IS NOT NULL OR value IS NOT NULL", name="has_object"),
    sa.CheckConstraint("unit IS NULL OR value IS NOT NULL", name="unit_needs_value"),
    sa.CheckConstraint(
        "rank = 'normal' OR rank_reason IS NOT NULL", name="rank_reason_when_ranked"
    ),
    sa.CheckConstraint(
        date_precision_check("valid_from", "valid_from_precision"), name="valid_from_dated"
    ),
    sa.CheckConstraint(
        date_precision_check("valid_to", "valid_to_precision", optional=True),
        name="valid_to_dated",
    ),
    sa.CheckConstraint(
        "valid_from IS NULL OR valid_to IS NULL OR valid_from <= valid_to", name="valid_order"
    ),
)


# Evidence: factdb.models.evidence
evidence = sa.Table(
    "evidence",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("fingerprint", sa.String(64), unique=True, nullable=False),
    sa.Column(
        "source_id",
        sa.Integer(),
        sa.ForeignKey("sources.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column("quote", sa.Text, nullable=False),
    sa.Column("quote_start", sa.Integer()),
    sa.Column("quote_end", sa.Integer()),
    sa.Column("field", sa.String(100)),
    #: False when the quote is a summary of a page whose text we do not hold.
    sa.Column("verbatim", sa.Boolean(), default=True, nullable=False),
    # One column per fact kind, each named in ``FACT_KINDS`` (a test holds them equal).
    sa.Column(
        "entity_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    ),
    sa.Column("role_id", sa.Integer(), sa.ForeignKey("roles.id", ondelete="CASCADE"), index=True),
    sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="CASCADE"), index=True),
    sa.Column(
        "participant_id",
        sa.Integer(),
        sa.ForeignKey("event_participants.id", ondelete="CASCADE"),
        index=True,
    ),
    sa.Column(
        "trade_flow_id",
        sa.Integer(),
        sa.ForeignKey("trade_flows.id", ondelete="CASCADE"),
        index=True,
    ),
    sa.Column(
        "relation_id", sa.Integer(), sa.ForeignKey("relations.id", ondelete="CASCADE"), index=True
    ),
    sa.Column(
        "quantity_id", sa.Integer(), sa.ForeignKey("quantities.id", ondelete="CASCADE"), index=True
    ),
    sa.Column(
        "document_id", sa.Integer(), sa.ForeignKey("documents.id", ondelete="CASCADE"), index=True
    ),
    sa.CheckConstraint(_exactly_one(list(FACT_COLUMNS.values())), name="exactly_one_fact"),
    sa.CheckConstraint("length(quote) > 0", name="quote_not_empty"),
    sa.CheckConstraint(
        "(quote_start IS NULL AND quote_end IS NULL) OR "
        "(quote_start >= 0 AND quote_end > quote_start)",
        name="quote_span",
    ),
    sa.CheckConstraint("verbatim OR quote_start IS NULL", name="located_only_verbatim"),
)


# TradeFlow: factdb.models.trade
trade_flows = sa.Table(
    "trade_flows",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("slug", sa.String(200)),
    sa.Column("series", sa.String(200), nullable=False),
    sa.Column(
        "reporter_id",
        sa.Integer(),
        sa.ForeignKey("entities.id", ondelete="CASCADE"),
        nullable=False,
    ),
    # No index of its own: the natural key's index leads with (reporter_id, partner_id), which
    # serves every trade query; one more index costs the bulk import a fifth of its speed.
    sa.Column(
        "partner_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), nullable=False
    ),
    sa.Column("year", sa.SmallInteger),
    sa.Column("month", sa.SmallInteger, default=0, nullable=False),
    sa.Column("months", sa.SmallInteger, default=12, nullable=False),
    sa.Column("flow", choice(Flow, "flow"), nullable=False),
    sa.Column("commodity_code", sa.String(20), default=TOTAL_COMMODITY, nullable=False),
    sa.Column("commodity_label", sa.String(500)),
    sa.Column("value", Money, nullable=False),
    sa.Column("currency", sa.String(3), default="USD", nullable=False),
    sa.Column(
        "value_qualifier",
        choice(ValueQualifier, "value_qualifier"),
        default=ValueQualifier.EXACT,
        nullable=False,
    ),
    sa.Column("value_low", Money),
    sa.Column("value_high", Money),
    sa.Column("status", choice(TradeStatus, "status"), nullable=False),
    sa.Column("as_of", sa.Date()),
    sa.Column("method", sa.Text),
    sa.Column(
        "source_id", sa.Integer(), sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    ),
    sa.Column("source_line", sa.Integer()),
    #: why the fact needs an inference its quotes do not show; NULL when they show it all
    sa.Column("inferred", sa.Text),
    sa.Column(
        "kind",
        choice(QuantityKind, "kind"),
        default=QuantityKind.ACTUAL,
        server_default="actual",
        nullable=False,
    ),
    sa.Column("stated_by_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="SET NULL")),
    sa.Column("event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="SET NULL")),
    sa.UniqueConstraint(
        "reporter_id",
        "partner_id",
        "year",
        "month",
        "months",
        "flow",
        "commodity_code",
        "series",
        "kind",
        name="uq_trade_flows_natural_key",
    ),
    sa.Index(
        "uq_trade_flows_slug",
        "slug",
        unique=True,
        sqlite_where=sa.text(PARTIAL_INDEXES["uq_trade_flows_slug"]),
    ),
    sa.Index(
        "ix_trade_flows_stated",
        "reporter_id",
        "partner_id",
        "year",
        sqlite_where=sa.text(PARTIAL_INDEXES["ix_trade_flows_stated"]),
    ),
    *(
        sa.Index(
            f"ix_trade_flows_{column}",
            column,
            sqlite_where=sa.text(PARTIAL_INDEXES[f"ix_trade_flows_{column}"]),
        )
        for column in ("stated_by_id", "event_id")
    ),
    sa.CheckConstraint("year BETWEEN 1900 AND 2100", name="year_range"),
    sa.CheckConstraint(
        "(month = 0 AND months = 12) OR (month >= 1 AND months >= 1 AND month + months <= 13)",
        name="period_within_year",
    ),
    sa.CheckConstraint("value >= 0", name="value_non_negative"),
    sa.CheckConstraint("value_low IS NULL OR value_low >= 0", name="value_low_non_negative"),
    sa.CheckConstraint(
        "value_low IS NULL OR value_high IS NULL OR value_low <= value_high",
        name="bounds_order",
    ),
    sa.CheckConstraint("length(currency) = 3", name="currency_code"),
    sa.CheckConstraint("length(commodity_code) > 0", name="commodity_code_not_empty"),
    sa.CheckConstraint("reporter_id <> partner_id", name="distinct_parties"),
    sa.CheckConstraint(
        "source_line IS NULL OR (source_line > 0 AND source_id IS NOT NULL)",
        name="source_line_needs_source",
    ),
    sa.CheckConstraint("status <> 'derived' OR method IS NOT NULL", name="derived_has_method"),
    sa.CheckConstraint("kind <> 'change'", name="kind_not_change"),
    sa.CheckConstraint("year IS NOT NULL OR kind <> 'actual'", name="actual_has_year"),
)


# TradeDerivation: factdb.models.trade
trade_derivations = sa.Table(
    "trade_derivations",
    metadata,
    sa.Column(
        "derived_id",
        sa.Integer(),
        sa.ForeignKey("trade_flows.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column(
        "input_id",
        sa.Integer(),
        sa.ForeignKey("trade_flows.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    sa.Column("coefficient", sa.SmallInteger, nullable=False),
    sa.CheckConstraint("coefficient IN (-1, 1)", name="coefficient_sign"),
    sa.CheckConstraint("derived_id <> input_id", name="not_self"),
)


# Quantity: factdb.models.quantities
quantities = sa.Table(
    "quantities",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("slug", sa.String(200), unique=True, nullable=False),
    sa.Column(
        "subject_id",
        sa.Integer(),
        sa.ForeignKey("entities.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column(
        "partner_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), index=True
    ),
    sa.Column("metric", sa.String(300), nullable=False),
    sa.Column("kind", choice(QuantityKind, "kind"), nullable=False),
    sa.Column("measure", choice(Measure, "measure"), nullable=False),
    sa.Column("value", Money, nullable=False),
    sa.Column("currency", sa.String(3)),
    sa.Column(
        "qualifier",
        choice(ValueQualifier, "qualifier"),
        default=ValueQualifier.EXACT,
        nullable=False,
    ),
    sa.Column("date", sa.Date()),
    sa.Column(
        "date_precision",
        choice(Precision, "date_precision"),
        default=Precision.UNKNOWN,
        nullable=False,
    ),
    sa.Column("base_date", sa.Date()),
    sa.Column("base_precision", choice(Precision, "base_precision")),
    sa.Column("date_note", sa.String(200)),
    sa.Column(
        "stated_by_id", sa.Integer(), sa.ForeignKey("entities.id", ondelete="SET NULL"), index=True
    ),
    sa.Column(
        "event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="SET NULL"), index=True
    ),
    sa.Column("qualifiers", sa.JSON),
    sa.Column("note", sa.Text),
    #: the source whose fact file declares this fact (the file is the truth for it)
    sa.Column(
        "source_id", sa.Integer(), sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    ),
    #: how the fact was inferred rather than read, when it was
    sa.Column("inferred", sa.Text),
    sa.CheckConstraint("length(metric) > 0", name="metric_not_empty"),
    sa.CheckConstraint(
        "(measure = 'money' AND currency IS NOT NULL AND length(currency) = 3) "
        "OR (measure <> 'money' AND currency IS NULL)",
        name="currency_for_money",
    ),
    sa.CheckConstraint("value >= 0 OR kind = 'change'", name="only_change_negative"),
    sa.CheckConstraint("measure NOT IN ('rank', 'ordinal') OR value >= 100", name="rank_from_one"),
    sa.CheckConstraint(date_precision_check("date", "date_precision"), name="date_dated"),
    sa.CheckConstraint(
        date_precision_check("base_date", "base_precision", optional=True),
        name="base_dated",
    ),
    sa.CheckConstraint("base_precision IS NULL OR kind = 'change'", name="base_only_for_change"),
    sa.CheckConstraint("partner_id IS NULL OR partner_id <> subject_id", name="distinct_parties"),
)


# Document: factdb.models.documents
documents = sa.Table(
    "documents",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column("slug", sa.String(200), unique=True, nullable=False),
    sa.Column("kind", choice(DocumentKind, "kind"), nullable=False),
    sa.Column("title", sa.String(500)),
    sa.Column("description", sa.Text),
    sa.Column("count", sa.Integer()),
    sa.Column("count_qualifier", choice(CountQualifier, "count_qualifier")),
    sa.Column("signed_on", sa.Date()),
    sa.Column(
        "signed_precision",
        choice(Precision, "signed_precision"),
        default=Precision.UNKNOWN,
        nullable=False,
    ),
    sa.Column(
        "event_id", sa.Integer(), sa.ForeignKey("events.id", ondelete="SET NULL"), index=True
    ),
    #: the source whose fact file declares this fact (the file is the truth for it)
    sa.Column(
        "source_id", sa.Integer(), sa.ForeignKey("sources.id", ondelete="CASCADE"), index=True
    ),
    #: how the fact was inferred rather than read, when it was
    sa.Column("inferred", sa.Text),
    sa.CheckConstraint("title IS NOT NULL OR count IS NOT NULL", name="titled_or_counted"),
    sa.CheckConstraint("count IS NULL OR count >= 1", name="count_positive"),
    sa.CheckConstraint(
        "count_qualifier IS NULL OR count IS NOT NULL", name="count_qualifier_needs_count"
    ),
    sa.CheckConstraint(
        date_precision_check("signed_on", "signed_precision"), name="signed_on_dated"
    ),
)


# DocumentSignatory: factdb.models.documents
document_signatories = sa.Table(
    "document_signatories",
    metadata,
    sa.Column("id", sa.Integer(), primary_key=True),
    sa.Column(
        "document_id",
        sa.Integer(),
        sa.ForeignKey("documents.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column(
        "entity_id",
        sa.Integer(),
        sa.ForeignKey("entities.id", ondelete="CASCADE"),
        index=True,
        nullable=False,
    ),
    sa.Column("role", choice(SignatoryRole, "role"), nullable=False),
    sa.Column(
        "on_behalf_of_id",
        sa.Integer(),
        sa.ForeignKey("entities.id", ondelete="SET NULL"),
        index=True,
    ),
    sa.UniqueConstraint("document_id", "entity_id", "role"),
    sa.CheckConstraint(
        "on_behalf_of_id IS NULL OR on_behalf_of_id <> entity_id", name="behalf_other"
    ),
)


def add_postgresql_partial_indexes() -> None:
    """Give the partial indexes their PostgreSQL condition, as migrations and DDL need it.

    ``factdb.models.metadata`` and ``Base`` call it, so whatever creates or compares the
    schema sees the indexes as the database has them. Calling it again changes nothing.
    """
    for index in trade_flows.indexes:
        if index.name in PARTIAL_INDEXES:
            options = index.dialect_options["postgresql"]
            if options["where"] is None:
                options["where"] = sa.text(PARTIAL_INDEXES[index.name])
