"""Stated trade figures get an index of their own: every figure not from an official import,
by reporter, partner and year. ``report reconcile`` and the briefing's trade section start from
these few rows; without it they read every official row to find them (``series <> 'comtrade'``
matches no prefix of the natural key). Partial, so official rows, the millions, stay out of it
and a bulk import pays only the test of its condition per row.

Revision ID: 0010
Revises: 0008
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATED = "series <> 'comtrade'"


def upgrade() -> None:
    op.create_index(
        "ix_trade_flows_stated",
        "trade_flows",
        ["reporter_id", "partner_id", "year"],
        sqlite_where=sa.text(_STATED),
        postgresql_where=sa.text(_STATED),
    )


def downgrade() -> None:
    op.drop_index("ix_trade_flows_stated", table_name="trade_flows")
