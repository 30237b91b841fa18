"""Revision 0007 keeps every fact, up and down, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factdb import migrate

FACT_TABLES = ["entities", "roles", "events", "event_participants", "trade_flows", "relations"]


def _facts(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every fact row, all columns but ``inferred``, in id order."""
    out = {}
    with engine.connect() as conn:
        for table in FACT_TABLES:
            columns = [
                c["name"]
                for c in sa.inspect(conn).get_columns(table)
                if c["name"] not in ("inferred", "changeset_id")
            ]
            rows = conn.execute(
                sa.text(f"SELECT {', '.join(columns)} FROM {table} ORDER BY id")
            ).all()
            out[table] = [tuple(r) for r in rows]
    return out


def test_down_below_0007_and_up_again_keeps_every_fact(seeded: Engine) -> None:
    before = _facts(seeded)
    with seeded.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM trade_flows WHERE status = 'not_stated'"))
        assert conn.scalar(sa.text("SELECT count(*) FROM roles WHERE inferred IS NOT NULL"))
    migrate.downgrade(seeded, "0007-1")
    assert migrate.current_revisions(seeded) == ["0006"]
    assert _facts(seeded) == before, "the downgrade changed a fact"
    with seeded.connect() as conn:
        assert "inferred" not in {c["name"] for c in sa.inspect(conn).get_columns("relations")}
        # the views as revision 0005 wrote them are back, without the column
        assert "inferred" not in {c["name"] for c in sa.inspect(conn).get_columns("v_trade")}
    migrate.upgrade(seeded)
    assert _facts(seeded) == before, "the upgrade changed a fact"
    with seeded.connect() as conn:
        for view in ("v_entities", "v_events", "v_event_participants", "v_trade", "v_relations"):
            assert "inferred" in {c["name"] for c in sa.inspect(conn).get_columns(view)}, view
    # the status CHECK still refuses what no vocabulary holds
    with pytest.raises(sa.exc.IntegrityError), seeded.begin() as conn:
        conn.execute(sa.text("UPDATE trade_flows SET status = 'rumoured'"))
