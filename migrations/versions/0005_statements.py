"""Statements: quantities (growth, ratios, counts, ranks, targets), documents and their
signatories; trade figures gain a kind (actual, target, forecast, commitment), who stated them
and the event, and the status "not stated"; events gain a status (planned, announced,
cancelled ...), who invited, and the kind press_conference; relations may be about an event.
New views: v_roles, v_sources, v_quantities, v_documents; v_events, v_trade, v_relations and
v_evidence gain columns (none renamed or removed).

Existing rows keep every value: new columns are NULL or take their default (events are held,
trade figures actual). On SQLite the changed tables are rebuilt (their search triggers are put
back with 0003's frozen SQL); the views are dropped first and built again after. Downgrade
refuses while facts use what the older schema cannot hold, and drops the new tables (whose
rows ``factdb db downgrade`` asks about).

This revision never imports factdb: what it builds must not change when the package does.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_VIEWS = [
    "v_entities",
    "v_events",
    "v_event_participants",
    "v_trade",
    "v_relations",
    "v_evidence",
]
NEW_VIEWS = ["v_roles", "v_sources", "v_quantities", "v_documents"]

EVENT_KINDS_0001 = [
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
]
EVENT_KINDS = [*EVENT_KINDS_0001[:-1], "press_conference", "other"]
EVENT_STATUSES = ["held", "planned", "announced", "postponed", "cancelled"]
TRADE_STATUSES_0001 = ["preliminary", "provisional", "final", "revised", "derived", "estimated"]
TRADE_STATUSES = [*TRADE_STATUSES_0001, "not_stated"]
QUANTITY_KINDS = ["actual", "target", "forecast", "commitment", "change"]
MEASURES = ["money", "percent", "count", "times", "rank", "ordinal"]
DOCUMENT_KINDS = [
    "agreement",
    "declaration",
    "memorandum",
    "programme",
    "treaty",
    "protocol",
    "contract",
    "roadmap",
    "joint_statement",
    "other",
]
SIGNATORY_ROLES = ["signatory", "party", "witness"]
QUALIFIERS = ["exact", "about", "near", "nearly", "over", "under", "at_least", "at_most"]
PRECISIONS = ["day", "month", "year", "unknown"]
PREDICATES_0001 = [
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
]
PREDICATES = [*PREDICATES_0001, "confirms"]
#: evidence columns, in the registry's order, before and after this revision
EVIDENCE_0001 = [
    "entity_id",
    "role_id",
    "event_id",
    "participant_id",
    "trade_flow_id",
    "relation_id",
]
EVIDENCE = [*EVIDENCE_0001, "quantity_id", "document_id"]
NATURAL_KEY_0001 = [
    "reporter_id",
    "partner_id",
    "year",
    "month",
    "months",
    "flow",
    "commodity_code",
    "series",
]


def _in(column: str, values: list[str]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _enum(values: list[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=op.f(name), native_enum=False, create_constraint=True)


def _exactly_one(columns: list[str]) -> str:
    return " + ".join(f"(CASE WHEN {c} IS NOT NULL THEN 1 ELSE 0 END)" for c in columns) + " = 1"


def _dated(date: str, precision: str, optional: bool = False) -> str:
    known = f"{precision} IN ('day', 'month', 'year')"
    rule = f"({date} IS NULL AND {precision} = 'unknown') OR ({date} IS NOT NULL AND {known})"
    if optional:
        rule = f"({date} IS NULL AND {precision} IS NULL) OR {rule}"
    return rule


def _agg(expr: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"string_agg({expr}, ', ' ORDER BY {expr})"
    return f"group_concat({expr}, ', ')"


def _number(column: str, dialect: str) -> str:
    """Integer hundredths as a number: NUMERIC on PostgreSQL, REAL on SQLite (as v_trade)."""
    if dialect == "postgresql":
        return f"CAST(CAST({column} AS NUMERIC) / 100 AS NUMERIC(20, 2))"
    return f"{column} / 100.0"


def _views(dialect: str) -> dict[str, str]:
    """Every view this revision builds, written out in full."""
    old = op.get_context().script.get_revision("0002").module._views(dialect)
    json_text = "CAST({} AS TEXT)" if dialect == "postgresql" else "{}"
    signed = _agg(
        "se.name || CASE WHEN sb.name IS NULL THEN '' ELSE ' for ' || sb.name END", dialect
    )
    parties = _agg("pe.name", dialect)
    return {
        "v_entities": old["v_entities"],
        "v_event_participants": old["v_event_participants"],
        "v_events": """
            SELECT ev.id, ev.slug, ev.kind, ev.title, ev.description,
                   ev.start_date, ev.start_precision, ev.end_date, ev.end_precision,
                   ev.date_note, loc.slug AS location_slug, loc.name AS location,
                   parent.slug AS parent_slug, parent.title AS parent_title,
                   ev.cameo_code, src.slug AS declared_by, ev.status,
                   inv.slug AS invited_by_slug, inv.name AS invited_by
            FROM events ev
            LEFT JOIN entities loc ON loc.id = ev.location_id
            LEFT JOIN events parent ON parent.id = ev.parent_id
            LEFT JOIN sources src ON src.id = ev.source_id
            LEFT JOIN entities inv ON inv.id = ev.invited_by_id""",
        "v_trade": f"""
            SELECT t.id, t.slug,
                   r.slug AS reporter_slug, r.name AS reporter,
                   (SELECT i.value FROM entity_identifiers i
                     WHERE i.entity_id = r.id AND i.scheme = 'iso3166_alpha3') AS reporter_iso3,
                   p.slug AS partner_slug, p.name AS partner,
                   (SELECT i.value FROM entity_identifiers i
                     WHERE i.entity_id = p.id AND i.scheme = 'iso3166_alpha3') AS partner_iso3,
                   t.year, t.month, t.months, t.flow, t.commodity_code, t.commodity_label,
                   {_number("t.value", dialect)} AS value, t.value AS value_cents, t.currency,
                   t.value_qualifier, {_number("t.value_low", dialect)} AS value_low,
                   {_number("t.value_high", dialect)} AS value_high, t.status,
                   CASE WHEN t.status = 'derived' THEN 1 ELSE 0 END AS derived, t.method,
                   t.as_of, t.series, src.slug AS source_slug, src.title AS source_title,
                   t.source_line, t.kind, sb.slug AS stated_by_slug, sb.name AS stated_by,
                   ev.slug AS event_slug
            FROM trade_flows t
            JOIN entities r ON r.id = t.reporter_id
            JOIN entities p ON p.id = t.partner_id
            LEFT JOIN sources src ON src.id = t.source_id
            LEFT JOIN entities sb ON sb.id = t.stated_by_id
            LEFT JOIN events ev ON ev.id = t.event_id""",
        "v_relations": f"""
            SELECT rel.id, rel.slug, s.slug AS subject_slug, s.name AS subject, rel.predicate,
                   o.slug AS object_slug, o.name AS object, rel.value, rel.unit,
                   c.slug AS context_slug, c.name AS context,
                   rel.valid_from, rel.valid_from_precision, rel.valid_to, rel.valid_to_precision,
                   cb.slug AS claimed_by_slug, cb.name AS claimed_by,
                   rel.rank, rel.rank_reason, src.slug AS declared_by,
                   {json_text.format("rel.qualifiers")} AS qualifiers,
                   ev.slug AS event_slug, ev.title AS event
            FROM relations rel
            JOIN entities s ON s.id = rel.subject_id
            LEFT JOIN entities o ON o.id = rel.object_id
            LEFT JOIN entities c ON c.id = rel.context_id
            LEFT JOIN entities cb ON cb.id = rel.claimed_by_id
            LEFT JOIN sources src ON src.id = rel.source_id
            LEFT JOIN events ev ON ev.id = rel.event_id""",
        "v_evidence": """
            SELECT ev.id,
                   CASE WHEN ev.entity_id IS NOT NULL THEN 'entity'
                        WHEN ev.role_id IS NOT NULL THEN 'role'
                        WHEN ev.event_id IS NOT NULL THEN 'event'
                        WHEN ev.participant_id IS NOT NULL THEN 'participant'
                        WHEN ev.trade_flow_id IS NOT NULL THEN 'trade'
                        WHEN ev.relation_id IS NOT NULL THEN 'relation'
                        WHEN ev.quantity_id IS NOT NULL THEN 'quantity'
                        ELSE 'document' END AS fact_kind,
                   COALESCE(ev.entity_id, ev.role_id, ev.event_id, ev.participant_id,
                            ev.trade_flow_id, ev.relation_id, ev.quantity_id,
                            ev.document_id) AS fact_id,
                   COALESCE(ent.slug, rl.slug, e.slug,
                            pe.slug || '/' || pent.slug || '/' || p.role,
                            tf.slug, rel.slug, q.slug, d.slug) AS fact_slug,
                   src.slug AS source_slug, src.title AS source_title, src.url AS source_url,
                   ev.quote, ev.quote_start, ev.quote_end, ev.field, ev.verbatim
            FROM evidence ev
            JOIN sources src ON src.id = ev.source_id
            LEFT JOIN entities ent ON ent.id = ev.entity_id
            LEFT JOIN roles rl ON rl.id = ev.role_id
            LEFT JOIN events e ON e.id = ev.event_id
            LEFT JOIN event_participants p ON p.id = ev.participant_id
            LEFT JOIN events pe ON pe.id = p.event_id
            LEFT JOIN entities pent ON pent.id = p.entity_id
            LEFT JOIN trade_flows tf ON tf.id = ev.trade_flow_id
            LEFT JOIN relations rel ON rel.id = ev.relation_id
            LEFT JOIN quantities q ON q.id = ev.quantity_id
            LEFT JOIN documents d ON d.id = ev.document_id""",
        "v_roles": """
            SELECT rl.id, rl.slug, pe.slug AS person_slug, pe.name AS person,
                   org.slug AS organisation_slug, org.name AS organisation, rl.title,
                   rl.valid_from, rl.valid_from_precision, rl.valid_to, rl.valid_to_precision,
                   CASE WHEN rl.valid_to_precision IS NULL THEN 1 ELSE 0 END AS current,
                   src.slug AS declared_by
            FROM roles rl
            JOIN entities pe ON pe.id = rl.person_id
            JOIN entities org ON org.id = rl.organisation_id
            LEFT JOIN sources src ON src.id = rl.source_id""",
        "v_sources": """
            SELECT s.id, s.slug, s.kind, s.publisher, s.title, s.published_on,
                   s.published_precision, s.url, s.language, s.file_name,
                   CASE WHEN s.text IS NULL THEN 0 ELSE 1 END AS has_text,
                   s.text_sha256, s.row_count, rp.slug AS reposts_slug, s.note
            FROM sources s
            LEFT JOIN sources rp ON rp.id = s.reposts_id""",
        "v_quantities": f"""
            SELECT q.id, q.slug, s.slug AS subject_slug, s.name AS subject,
                   pa.slug AS partner_slug, pa.name AS partner, q.metric, q.kind, q.measure,
                   {_number("q.value", dialect)} AS value, q.value AS value_hundredths,
                   q.currency, q.qualifier, q.date, q.date_precision,
                   q.base_date, q.base_precision, q.date_note,
                   sb.slug AS stated_by_slug, sb.name AS stated_by,
                   ev.slug AS event_slug, ev.title AS event,
                   {json_text.format("q.qualifiers")} AS qualifiers, q.note, q.inferred,
                   src.slug AS declared_by
            FROM quantities q
            JOIN entities s ON s.id = q.subject_id
            LEFT JOIN entities pa ON pa.id = q.partner_id
            LEFT JOIN entities sb ON sb.id = q.stated_by_id
            LEFT JOIN events ev ON ev.id = q.event_id
            LEFT JOIN sources src ON src.id = q.source_id""",
        "v_documents": f"""
            SELECT d.id, d.slug, d.kind, d.title, d.description, d.count, d.count_qualifier,
                   d.signed_on, d.signed_precision, ev.slug AS event_slug, ev.title AS event,
                   (SELECT {signed} FROM document_signatories ds
                      JOIN entities se ON se.id = ds.entity_id
                      LEFT JOIN entities sb ON sb.id = ds.on_behalf_of_id
                     WHERE ds.document_id = d.id AND ds.role = 'signatory') AS signatories,
                   (SELECT {parties} FROM document_signatories dp
                      JOIN entities pe ON pe.id = dp.entity_id
                     WHERE dp.document_id = d.id AND dp.role = 'party') AS parties,
                   d.inferred, src.slug AS declared_by
            FROM documents d
            LEFT JOIN events ev ON ev.id = d.event_id
            LEFT JOIN sources src ON src.id = d.source_id""",
    }


def _drop_views() -> None:
    for name in [*NEW_VIEWS, *reversed(OLD_VIEWS)]:
        op.execute(f"DROP VIEW IF EXISTS {name}")


def _restore_search(table: str) -> None:
    op.get_context().script.get_revision("0003").module.restore_sqlite_triggers(table)


def _fk_index(batch: object, table: str, column: str, target: str, ondelete: str) -> None:
    batch.create_index(op.f(f"ix_{table}_{column}"), [column], unique=False)  # type: ignore[attr-defined]
    batch.create_foreign_key(  # type: ignore[attr-defined]
        op.f(f"fk_{table}_{column}_{target}"), target, [column], ["id"], ondelete=ondelete
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _drop_views()
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("kind", _enum(DOCUMENT_KINDS, "ck_documents_kind"), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column(
            "count_qualifier", _enum(QUALIFIERS, "ck_documents_count_qualifier"), nullable=True
        ),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column(
            "signed_precision", _enum(PRECISIONS, "ck_documents_signed_precision"), nullable=False
        ),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("inferred", sa.Text(), nullable=True),
        sa.CheckConstraint(
            _dated("signed_on", "signed_precision"), name=op.f("ck_documents_signed_on_dated")
        ),
        sa.CheckConstraint("count IS NULL OR count >= 1", name=op.f("ck_documents_count_positive")),
        sa.CheckConstraint(
            "count_qualifier IS NULL OR count IS NOT NULL",
            name=op.f("ck_documents_count_qualifier_needs_count"),
        ),
        sa.CheckConstraint(
            "title IS NOT NULL OR count IS NOT NULL", name=op.f("ck_documents_titled_or_counted")
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_documents_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_documents_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
        sa.UniqueConstraint("slug", name=op.f("uq_documents_slug")),
    )
    with op.batch_alter_table("documents") as batch:
        batch.create_index(op.f("ix_documents_event_id"), ["event_id"], unique=False)
        batch.create_index(op.f("ix_documents_source_id"), ["source_id"], unique=False)

    op.create_table(
        "quantities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=200), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=True),
        sa.Column("metric", sa.String(length=300), nullable=False),
        sa.Column("kind", _enum(QUANTITY_KINDS, "ck_quantities_kind"), nullable=False),
        sa.Column("measure", _enum(MEASURES, "ck_quantities_measure"), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("qualifier", _enum(QUALIFIERS, "ck_quantities_qualifier"), nullable=False),
        sa.Column("date", sa.Date(), nullable=True),
        sa.Column(
            "date_precision", _enum(PRECISIONS, "ck_quantities_date_precision"), nullable=False
        ),
        sa.Column("base_date", sa.Date(), nullable=True),
        sa.Column(
            "base_precision", _enum(PRECISIONS, "ck_quantities_base_precision"), nullable=True
        ),
        sa.Column("date_note", sa.String(length=200), nullable=True),
        sa.Column("stated_by_id", sa.Integer(), nullable=True),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("qualifiers", sa.JSON(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source_id", sa.Integer(), nullable=True),
        sa.Column("inferred", sa.Text(), nullable=True),
        sa.CheckConstraint(
            _dated("base_date", "base_precision", optional=True),
            name=op.f("ck_quantities_base_dated"),
        ),
        sa.CheckConstraint(_dated("date", "date_precision"), name=op.f("ck_quantities_date_dated")),
        sa.CheckConstraint(
            "(measure = 'money' AND currency IS NOT NULL AND length(currency) = 3) "
            "OR (measure <> 'money' AND currency IS NULL)",
            name=op.f("ck_quantities_currency_for_money"),
        ),
        sa.CheckConstraint(
            "base_precision IS NULL OR kind = 'change'",
            name=op.f("ck_quantities_base_only_for_change"),
        ),
        sa.CheckConstraint(
            "measure NOT IN ('rank', 'ordinal') OR value >= 100",
            name=op.f("ck_quantities_rank_from_one"),
        ),
        sa.CheckConstraint(
            "value >= 0 OR kind = 'change'", name=op.f("ck_quantities_only_change_negative")
        ),
        sa.CheckConstraint("length(metric) > 0", name=op.f("ck_quantities_metric_not_empty")),
        sa.CheckConstraint(
            "partner_id IS NULL OR partner_id <> subject_id",
            name=op.f("ck_quantities_distinct_parties"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_quantities_event_id_events"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["partner_id"],
            ["entities.id"],
            name=op.f("fk_quantities_partner_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_quantities_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["stated_by_id"],
            ["entities.id"],
            name=op.f("fk_quantities_stated_by_id_entities"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["entities.id"],
            name=op.f("fk_quantities_subject_id_entities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quantities")),
        sa.UniqueConstraint("slug", name=op.f("uq_quantities_slug")),
    )
    with op.batch_alter_table("quantities") as batch:
        for column in ("event_id", "partner_id", "source_id", "stated_by_id", "subject_id"):
            batch.create_index(op.f(f"ix_quantities_{column}"), [column], unique=False)

    op.create_table(
        "document_signatories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("role", _enum(SIGNATORY_ROLES, "ck_document_signatories_role"), nullable=False),
        sa.Column("on_behalf_of_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "on_behalf_of_id IS NULL OR on_behalf_of_id <> entity_id",
            name=op.f("ck_document_signatories_behalf_other"),
        ),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
            name=op.f("fk_document_signatories_document_id_documents"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_document_signatories_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["on_behalf_of_id"],
            ["entities.id"],
            name=op.f("fk_document_signatories_on_behalf_of_id_entities"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_signatories")),
        sa.UniqueConstraint(
            "document_id",
            "entity_id",
            "role",
            name=op.f("uq_document_signatories_document_id_entity_id_role"),
        ),
    )
    with op.batch_alter_table("document_signatories") as batch:
        batch.create_index(op.f("ix_document_signatories_entity_id"), ["entity_id"], unique=False)
        batch.create_index(
            op.f("ix_document_signatories_on_behalf_of_id"), ["on_behalf_of_id"], unique=False
        )

    with op.batch_alter_table("events") as batch:
        batch.add_column(
            sa.Column(
                "status",
                _enum(EVENT_STATUSES, "ck_events_status"),
                server_default="held",
                nullable=False,
            )
        )
        batch.add_column(sa.Column("invited_by_id", sa.Integer(), nullable=True))
        _fk_index(batch, "events", "invited_by_id", "entities", "SET NULL")
        batch.drop_constraint(op.f("ck_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_events_kind"), _in("kind", EVENT_KINDS))
    _restore_search("events")

    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("quantity_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("document_id", sa.Integer(), nullable=True))
        _fk_index(batch, "evidence", "quantity_id", "quantities", "CASCADE")
        _fk_index(batch, "evidence", "document_id", "documents", "CASCADE")
        batch.drop_constraint(op.f("ck_evidence_exactly_one_fact"), type_="check")
        batch.create_check_constraint(op.f("ck_evidence_exactly_one_fact"), _exactly_one(EVIDENCE))
    _restore_search("evidence")

    with op.batch_alter_table("relations") as batch:
        batch.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        _fk_index(batch, "relations", "event_id", "events", "CASCADE")
        batch.drop_constraint(op.f("ck_relations_predicate"), type_="check")
        batch.create_check_constraint(op.f("ck_relations_predicate"), _in("predicate", PREDICATES))

    with op.batch_alter_table("trade_flows") as batch:
        batch.add_column(
            sa.Column(
                "kind",
                _enum(QUANTITY_KINDS, "ck_trade_flows_kind"),
                server_default="actual",
                nullable=False,
            )
        )
        batch.add_column(sa.Column("stated_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("event_id", sa.Integer(), nullable=True))
        batch.alter_column("year", existing_type=sa.SmallInteger(), nullable=True)
        batch.drop_constraint("uq_trade_flows_natural_key", type_="unique")
        batch.create_unique_constraint("uq_trade_flows_natural_key", [*NATURAL_KEY_0001, "kind"])
        _fk_index(batch, "trade_flows", "stated_by_id", "entities", "SET NULL")
        _fk_index(batch, "trade_flows", "event_id", "events", "SET NULL")
        batch.drop_constraint(op.f("ck_trade_flows_status"), type_="check")
        batch.create_check_constraint(op.f("ck_trade_flows_status"), _in("status", TRADE_STATUSES))
        batch.create_check_constraint(op.f("ck_trade_flows_kind_not_change"), "kind <> 'change'")
        batch.create_check_constraint(
            op.f("ck_trade_flows_actual_has_year"), "year IS NOT NULL OR kind <> 'actual'"
        )

    for name, body in _views(dialect).items():
        op.execute(f"CREATE VIEW {name} AS {body}")


#: facts the schema before this revision cannot hold, each as (what, query counting them)
_NEWER_FACTS = [
    (
        "trade figures that are targets, forecasts or commitments",
        "trade_flows WHERE kind <> 'actual'",
    ),
    ("trade figures with status not_stated", "trade_flows WHERE status = 'not_stated'"),
    (
        "trade figures with who stated them or their event",
        "trade_flows WHERE stated_by_id IS NOT NULL OR event_id IS NOT NULL",
    ),
    (
        "events that are not held, invited by someone, or press conferences",
        "events WHERE status <> 'held' OR invited_by_id IS NOT NULL OR kind = 'press_conference'",
    ),
    (
        "relations about an event or with a newer predicate",
        f"relations WHERE event_id IS NOT NULL OR predicate NOT IN "
        f"({', '.join(repr(p) for p in PREDICATES_0001)})",
    ),
]


def _to_base() -> bool:
    """Whether this downgrade goes on to drop every table (then no fact is kept anyway)."""
    environment = getattr(op.get_context(), "environment_context", None)
    return environment is not None and environment.get_revision_argument() is None


def downgrade() -> None:
    conn = op.get_bind()
    held = []
    for what, where in _NEWER_FACTS:
        count = conn.execute(sa.text(f"SELECT count(*) FROM {where}")).scalar() or 0
        if count:
            held.append(f"{count} {what}")
    if held and _to_base():
        # every table goes next: the facts the older schema cannot hold go first
        for _, where in _NEWER_FACTS:
            conn.execute(sa.text(f"DELETE FROM {where}"))
    elif held:
        raise RuntimeError(
            "cannot downgrade below 0005 while the database holds "
            + "; ".join(held)
            + ": remove those facts from their fact files and load them again first"
        )
    _drop_views()
    op.execute("DELETE FROM evidence WHERE quantity_id IS NOT NULL OR document_id IS NOT NULL")
    with op.batch_alter_table("trade_flows") as batch:
        batch.drop_constraint(op.f("ck_trade_flows_actual_has_year"), type_="check")
        batch.drop_constraint(op.f("ck_trade_flows_kind_not_change"), type_="check")
        batch.drop_constraint(op.f("ck_trade_flows_kind"), type_="check")
        batch.drop_constraint(op.f("ck_trade_flows_status"), type_="check")
        batch.create_check_constraint(
            op.f("ck_trade_flows_status"), _in("status", TRADE_STATUSES_0001)
        )
        batch.drop_constraint(op.f("fk_trade_flows_event_id_events"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_trade_flows_stated_by_id_entities"), type_="foreignkey")
        batch.drop_index(op.f("ix_trade_flows_stated_by_id"))
        batch.drop_index(op.f("ix_trade_flows_event_id"))
        batch.drop_constraint("uq_trade_flows_natural_key", type_="unique")
        batch.create_unique_constraint("uq_trade_flows_natural_key", NATURAL_KEY_0001)
        batch.alter_column("year", existing_type=sa.SmallInteger(), nullable=False)
        batch.drop_column("event_id")
        batch.drop_column("stated_by_id")
        batch.drop_column("kind")
    with op.batch_alter_table("relations") as batch:
        batch.drop_constraint(op.f("ck_relations_predicate"), type_="check")
        batch.create_check_constraint(
            op.f("ck_relations_predicate"), _in("predicate", PREDICATES_0001)
        )
        batch.drop_constraint(op.f("fk_relations_event_id_events"), type_="foreignkey")
        batch.drop_index(op.f("ix_relations_event_id"))
        batch.drop_column("event_id")
    with op.batch_alter_table("evidence") as batch:
        batch.drop_constraint(op.f("ck_evidence_exactly_one_fact"), type_="check")
        batch.create_check_constraint(
            op.f("ck_evidence_exactly_one_fact"), _exactly_one(EVIDENCE_0001)
        )
        batch.drop_constraint(op.f("fk_evidence_quantity_id_quantities"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_evidence_document_id_documents"), type_="foreignkey")
        batch.drop_index(op.f("ix_evidence_quantity_id"))
        batch.drop_index(op.f("ix_evidence_document_id"))
        batch.drop_column("document_id")
        batch.drop_column("quantity_id")
    _restore_search("evidence")
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint(op.f("ck_events_kind"), type_="check")
        batch.create_check_constraint(op.f("ck_events_kind"), _in("kind", EVENT_KINDS_0001))
        batch.drop_constraint(op.f("fk_events_invited_by_id_entities"), type_="foreignkey")
        batch.drop_index(op.f("ix_events_invited_by_id"))
        batch.drop_constraint(op.f("ck_events_status"), type_="check")
        batch.drop_column("invited_by_id")
        batch.drop_column("status")
    _restore_search("events")
    op.drop_table("document_signatories")
    op.drop_table("quantities")
    op.drop_table("documents")
    old = op.get_context().script.get_revision("0002").module._views(conn.dialect.name)
    for name in OLD_VIEWS:
        op.execute(f"CREATE VIEW {name} AS {old[name]}")
    op.get_context().script.get_revision("0004").module.upgrade()
