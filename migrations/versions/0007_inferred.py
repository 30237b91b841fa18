"""Facts may say what their quotes do not show: a nullable ``inferred`` column (the reason) on
every fact table that revision 0005 did not create with one, exposed in the views.

Adding a nullable column keeps every row as it is (plain ``ALTER TABLE ... ADD COLUMN`` on both
backends, so SQLite rebuilds no table and loses no trigger). The views that show a fact table
are dropped and created again as revision 0005 wrote them, joined to their table for
``inferred`` as their last column (the join is on the primary key, which both backends fold
into the view's plan). Trade status ``not_stated`` comes with revision 0005.

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

#: each view -> the table whose row it shows (its ``id``)
VIEWS = {
    "v_entities": "entities",
    "v_events": "events",
    "v_event_participants": "event_participants",
    "v_trade": "trade_flows",
    "v_relations": "relations",
}


def _views(*, inferred: bool) -> dict[str, str]:
    """The five views as revision 0005 left them, with ``inferred`` last when asked."""
    before = op.get_context().script.get_revision("0005").module._views(op.get_bind().dialect.name)
    if not inferred:
        return {name: before[name] for name in VIEWS}
    return {
        name: f"SELECT v.*, t.inferred FROM ({before[name]}) v JOIN {table} t ON t.id = v.id"
        for name, table in VIEWS.items()
    }


def _drop_views() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")


def _create_views(*, inferred: bool) -> None:
    for name, body in _views(inferred=inferred).items():
        op.execute(f"CREATE VIEW {name} AS {body}")


def upgrade() -> None:
    _drop_views()
    for table in FACT_TABLES:
        op.add_column(table, sa.Column("inferred", sa.Text(), nullable=True))
    _create_views(inferred=True)


def downgrade() -> None:
    _drop_views()
    for table in FACT_TABLES:
        op.execute(f"ALTER TABLE {table} DROP COLUMN inferred")
    _create_views(inferred=False)
