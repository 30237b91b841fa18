"""Facts may say what their quotes do not show: a nullable ``inferred`` column (the reason) on
every fact table, exposed in the views; and trade status ``not_stated``, for a figure whose
source does not say whether it is preliminary or final.

Adding a nullable column keeps every row as it is (plain ``ALTER TABLE ... ADD COLUMN`` on both
backends, so SQLite rebuilds no searched table and loses no trigger). Only ``trade_flows`` is
rebuilt on SQLite, to widen its status CHECK; no trigger lives on it. The views that show a fact
table are dropped first and created again with ``inferred`` as their last column; their bodies
are written out here in full: a revision never calls the package's current code.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACT_TABLES = ["entities", "roles", "events", "event_participants", "trade_flows", "relations"]
VIEWS = ["v_entities", "v_events", "v_event_participants", "v_trade", "v_relations"]

STATUSES = ["preliminary", "provisional", "final", "revised", "derived", "estimated"]
NEW_STATUSES = [*STATUSES, "not_stated"]


def _agg(expr: str, dialect: str) -> str:
    if dialect == "postgresql":
        return f"string_agg({expr}, ', ' ORDER BY {expr})"
    return f"group_concat({expr}, ', ')"


def _money(column: str, dialect: str) -> str:
    """PostgreSQL: exact NUMERIC (revision 0002); SQLite: REAL, comparable (revision 0004)."""
    if dialect == "postgresql":
        return f"CAST(CAST({column} AS NUMERIC) / 100 AS NUMERIC(20, 2))"
    return f"{column} / 100.0"


def _identifier(scheme: str) -> str:
    return (
        "(SELECT i.value FROM entity_identifiers i "
        f"WHERE i.entity_id = e.id AND i.scheme = '{scheme}')"
    )


def _views(dialect: str, *, inferred: bool) -> dict[str, str]:
    """The five views as revisions 0002 and 0004 left them, plus ``inferred`` when asked."""

    def extra(alias: str) -> str:
        return f", {alias}.inferred" if inferred else ""

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
                     WHERE i.entity_id = e.id) AS identifiers{extra("e")}
            FROM entities e""",
        "v_events": f"""
            SELECT ev.id, ev.slug, ev.kind, ev.title, ev.description,
                   ev.start_date, ev.start_precision, ev.end_date, ev.end_precision,
                   ev.date_note, loc.slug AS location_slug, loc.name AS location,
                   parent.slug AS parent_slug, parent.title AS parent_title,
                   ev.cameo_code, src.slug AS declared_by{extra("ev")}
            FROM events ev
            LEFT JOIN entities loc ON loc.id = ev.location_id
            LEFT JOIN events parent ON parent.id = ev.parent_id
            LEFT JOIN sources src ON src.id = ev.source_id""",
        "v_event_participants": f"""
            SELECT p.id, ev.slug AS event_slug, ev.title AS event,
                   ev.start_date AS event_start_date, ev.start_precision AS event_start_precision,
                   e.slug AS entity_slug, e.name AS entity, e.kind AS entity_kind,
                   p.role, p.count, p.count_qualifier, p.note{extra("p")}
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
                   t.source_line{extra("t")}
            FROM trade_flows t
            JOIN entities r ON r.id = t.reporter_id
            JOIN entities p ON p.id = t.partner_id
            LEFT JOIN sources src ON src.id = t.source_id""",
        "v_relations": f"""
            SELECT rel.id, rel.slug, s.slug AS subject_slug, s.name AS subject, rel.predicate,
                   o.slug AS object_slug, o.name AS object, rel.value, rel.unit,
                   c.slug AS context_slug, c.name AS context,
                   rel.valid_from, rel.valid_from_precision, rel.valid_to, rel.valid_to_precision,
                   cb.slug AS claimed_by_slug, cb.name AS claimed_by,
                   rel.rank, rel.rank_reason, src.slug AS declared_by{extra("rel")}
            FROM relations rel
            JOIN entities s ON s.id = rel.subject_id
            LEFT JOIN entities o ON o.id = rel.object_id
            LEFT JOIN entities c ON c.id = rel.context_id
            LEFT JOIN entities cb ON cb.id = rel.claimed_by_id
            LEFT JOIN sources src ON src.id = rel.source_id""",
    }


def _statuses(values: list[str]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _set_statuses(values: list[str]) -> None:
    with op.batch_alter_table("trade_flows") as batch:
        batch.drop_constraint(op.f("ck_trade_flows_status"), type_="check")
        batch.create_check_constraint(op.f("ck_trade_flows_status"), _statuses(values))


def _drop_views() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")


def _create_views(*, inferred: bool) -> None:
    for name, body in _views(op.get_bind().dialect.name, inferred=inferred).items():
        op.execute(f"CREATE VIEW {name} AS {body}")


def upgrade() -> None:
    _drop_views()
    for table in FACT_TABLES:
        op.add_column(table, sa.Column("inferred", sa.Text(), nullable=True))
    _set_statuses(NEW_STATUSES)
    _create_views(inferred=True)


def downgrade() -> None:
    held = op.get_bind().scalar(
        sa.text("SELECT count(*) FROM trade_flows WHERE status = 'not_stated'")
    )
    _drop_views()
    if not held:
        _set_statuses(STATUSES)
    # else the wider CHECK stays: a downgrade must not change a fact, and no other status
    # says "not stated" (``factdb db check`` at 0004 then names the difference)
    for table in FACT_TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN inferred")
    _create_views(inferred=False)
