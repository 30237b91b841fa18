"""Report views for direct SQL: v_entities, v_events, v_event_participants, v_trade, v_relations,
v_evidence. Stable: columns may be added, never renamed or removed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS = [
    "v_entities",
    "v_events",
    "v_event_participants",
    "v_trade",
    "v_relations",
    "v_evidence",
]


def _agg(expr: str, dialect: str) -> str:
    """A comma-separated list: the one place where the two dialects spell SQL differently."""
    if dialect == "postgresql":
        return f"string_agg({expr}, ', ' ORDER BY {expr})"
    return f"group_concat({expr}, ', ')"


def _money(column: str, dialect: str) -> str:
    """Integer cents as an exact decimal: NUMERIC on PostgreSQL, decimal text on SQLite."""
    if dialect == "postgresql":
        return f"CAST(CAST({column} AS NUMERIC) / 100 AS NUMERIC(20, 2))"
    return (
        f"CASE WHEN {column} IS NULL THEN NULL "
        f"ELSE printf('%d.%02d', {column} / 100, {column} % 100) END"
    )


def _identifier(scheme: str) -> str:
    return (
        "(SELECT i.value FROM entity_identifiers i "
        f"WHERE i.entity_id = e.id AND i.scheme = '{scheme}')"
    )


def _views(dialect: str) -> dict[str, str]:
    aliases = _agg("a.name", dialect)
    identifiers = _agg("i.scheme || ':' || i.value", dialect)
    return {
        "v_entities": f"""
            SELECT e.id, e.slug, e.kind, e.name, e.description,
                   (SELECT {aliases} FROM entity_aliases a WHERE a.entity_id = e.id) AS aliases,
                   {_identifier("iso3166_alpha2")} AS iso2,
                   {_identifier("iso3166_alpha3")} AS iso3,
                   {_identifier("m49")} AS m49,
                   {_identifier("wikidata")} AS wikidata,
                   {_identifier("hs")} AS hs_code,
                   (SELECT {identifiers} FROM entity_identifiers i
                     WHERE i.entity_id = e.id) AS identifiers
            FROM entities e""",
        "v_events": """
            SELECT ev.id, ev.slug, ev.kind, ev.title, ev.description,
                   ev.start_date, ev.start_precision, ev.end_date, ev.end_precision,
                   ev.date_note, loc.slug AS location_slug, loc.name AS location,
                   parent.slug AS parent_slug, parent.title AS parent_title,
                   ev.cameo_code, src.slug AS declared_by
            FROM events ev
            LEFT JOIN entities loc ON loc.id = ev.location_id
            LEFT JOIN events parent ON parent.id = ev.parent_id
            LEFT JOIN sources src ON src.id = ev.source_id""",
        "v_event_participants": """
            SELECT p.id, ev.slug AS event_slug, ev.title AS event,
                   ev.start_date AS event_start_date, ev.start_precision AS event_start_precision,
                   e.slug AS entity_slug, e.name AS entity, e.kind AS entity_kind,
                   p.role, p.count, p.count_qualifier, p.note
            FROM event_participants p
            JOIN events ev ON ev.id = p.event_id
            JOIN entities e ON e.id = p.entity_id""",
        "v_trade": f"""
            SELECT t.id, t.slug,
                   r.slug AS reporter_slug, r.name AS reporter,
                   (SELECT i.value FROM entity_identifiers i
                     WHERE i.entity_id = r.id AND i.scheme = 'iso3166_alpha3') AS reporter_iso3,
                   p.slug AS partner_slug, p.name AS partner,
                   (SELECT i.value FROM entity_identifiers i
                     WHERE i.entity_id = p.id AND i.scheme = 'iso3166_alpha3') AS partner_iso3,
                   t.year, t.month, t.months, t.flow, t.commodity_code, t.commodity_label,
                   {_money("t.value", dialect)} AS value, t.value AS value_cents, t.currency,
                   t.value_qualifier, {_money("t.value_low", dialect)} AS value_low,
                   {_money("t.value_high", dialect)} AS value_high, t.status,
                   CASE WHEN t.status = 'derived' THEN 1 ELSE 0 END AS derived, t.method,
                   t.as_of, t.series, src.slug AS source_slug, src.title AS source_title,
                   t.source_line
            FROM trade_flows t
            JOIN entities r ON r.id = t.reporter_id
            JOIN entities p ON p.id = t.partner_id
            LEFT JOIN sources src ON src.id = t.source_id""",
        "v_relations": """
            SELECT rel.id, rel.slug, s.slug AS subject_slug, s.name AS subject, rel.predicate,
                   o.slug AS object_slug, o.name AS object, rel.value, rel.unit,
                   c.slug AS context_slug, c.name AS context,
                   rel.valid_from, rel.valid_from_precision, rel.valid_to, rel.valid_to_precision,
                   cb.slug AS claimed_by_slug, cb.name AS claimed_by,
                   rel.rank, rel.rank_reason, src.slug AS declared_by
            FROM relations rel
            JOIN entities s ON s.id = rel.subject_id
            LEFT JOIN entities o ON o.id = rel.object_id
            LEFT JOIN entities c ON c.id = rel.context_id
            LEFT JOIN entities cb ON cb.id = rel.claimed_by_id
            LEFT JOIN sources src ON src.id = rel.source_id""",
        "v_evidence": """
            SELECT ev.id,
                   CASE WHEN ev.entity_id IS NOT NULL THEN 'entity'
                        WHEN ev.role_id IS NOT NULL THEN 'role'
                        WHEN ev.event_id IS NOT NULL THEN 'event'
                        WHEN ev.participant_id IS NOT NULL THEN 'participant'
                        WHEN ev.trade_flow_id IS NOT NULL THEN 'trade'
                        ELSE 'relation' END AS fact_kind,
                   COALESCE(ev.entity_id, ev.role_id, ev.event_id, ev.participant_id,
                            ev.trade_flow_id, ev.relation_id) AS fact_id,
                   COALESCE(ent.slug, rl.slug, e.slug,
                            pe.slug || '/' || pent.slug || '/' || p.role,
                            tf.slug, rel.slug) AS fact_slug,
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
            LEFT JOIN relations rel ON rel.id = ev.relation_id""",
    }


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, body in _views(dialect).items():
        op.execute(f"CREATE VIEW {name} AS {body}")


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
