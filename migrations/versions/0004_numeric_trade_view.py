"""v_trade gives numbers on SQLite too: ``value``, ``value_low`` and ``value_high`` become REAL
(cents / 100.0) instead of decimal text, so comparisons, ``max()`` and ``ORDER BY`` give the same
answer as PostgreSQL's NUMERIC. ``value_cents`` stays the exact integer. PostgreSQL is unchanged.

The view body is written out here in full: a revision never calls the package's current code.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28
"""

from collections.abc import Callable, Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_V_TRADE = """
    SELECT t.id, t.slug,
           r.slug AS reporter_slug, r.name AS reporter,
           (SELECT i.value FROM entity_identifiers i
             WHERE i.entity_id = r.id AND i.scheme = 'iso3166_alpha3') AS reporter_iso3,
           p.slug AS partner_slug, p.name AS partner,
           (SELECT i.value FROM entity_identifiers i
             WHERE i.entity_id = p.id AND i.scheme = 'iso3166_alpha3') AS partner_iso3,
           t.year, t.month, t.months, t.flow, t.commodity_code, t.commodity_label,
           {value} AS value, t.value AS value_cents, t.currency,
           t.value_qualifier, {low} AS value_low,
           {high} AS value_high, t.status,
           CASE WHEN t.status = 'derived' THEN 1 ELSE 0 END AS derived, t.method,
           t.as_of, t.series, src.slug AS source_slug, src.title AS source_title,
           t.source_line
    FROM trade_flows t
    JOIN entities r ON r.id = t.reporter_id
    JOIN entities p ON p.id = t.partner_id
    LEFT JOIN sources src ON src.id = t.source_id"""


def _real(column: str) -> str:
    return f"{column} / 100.0"


def _text(column: str) -> str:
    return (
        f"CASE WHEN {column} IS NULL THEN NULL "
        f"ELSE printf('%d.%02d', {column} / 100, {column} % 100) END"
    )


def _replace(money: Callable[[str], str]) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    body = _V_TRADE.format(
        value=money("t.value"), low=money("t.value_low"), high=money("t.value_high")
    )
    op.execute("DROP VIEW IF EXISTS v_trade")
    op.execute(f"CREATE VIEW v_trade AS {body}")


def upgrade() -> None:
    _replace(_real)


def downgrade() -> None:
    _replace(_text)
