"""CHECK conditions and vocabularies: a change in the models that no migration carries is found
on both backends (Alembic compares CHECKs by name only)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factdb.models import metadata
from factdb.schema_drift import check_constraint_drift

Patch = Callable[[str, str, str, str], None]


def test_head_matches_the_models(migrated: Engine) -> None:
    with migrated.connect() as conn:
        assert check_constraint_drift(conn) == []


@pytest.fixture
def patch_check() -> Iterator[Patch]:
    """Change one CHECK of the models as an edit without a migration would; undone after."""
    undo: list[tuple[sa.CheckConstraint, object]] = []

    def patch(table: str, name_end: str, old: str, new: str) -> None:
        found = [
            c
            for c in metadata.tables[table].constraints
            if isinstance(c, sa.CheckConstraint) and str(c.name).endswith(name_end)
        ]
        assert len(found) == 1, f"{table}: no single CHECK ending in {name_end}"
        check = found[0]
        text = str(check.sqltext.compile(compile_kwargs={"literal_binds": True}))
        assert old in text, text
        undo.append((check, check.sqltext))
        check.sqltext = sa.text(text.replace(old, new))

    yield patch
    for check, text in undo:
        check.sqltext = text  # type: ignore[assignment]


def test_a_new_vocabulary_value_is_drift(migrated: Engine, patch_check: Patch) -> None:
    patch_check("entities", "_kind", "'country'", "'country', 'planet'")
    with migrated.connect() as conn:
        problems = check_constraint_drift(conn)
    assert len(problems) == 1 and "ck_entities_kind" in problems[0], problems


def test_a_changed_range_is_drift(migrated: Engine, patch_check: Patch) -> None:
    patch_check("trade_flows", "year_range", "2100", "2200")
    with migrated.connect() as conn:
        problems = check_constraint_drift(conn)
    assert len(problems) == 1 and "year_range" in problems[0], problems


def test_db_check_reports_check_drift(migrated: Engine, patch_check: Patch) -> None:
    from factdb import migrate
    from factdb.errors import SchemaDrift

    migrate.check(migrated)
    patch_check("trade_flows", "year_range", "1900", "1800")
    with pytest.raises(SchemaDrift, match="ck_trade_flows_year_range"):
        migrate.check(migrated)


def test_trigger_enforced_foreign_keys_are_no_drift(migrated: Engine) -> None:
    """SQLite keeps the three foreign keys of trade_flows; PostgreSQL has triggers instead, and
    neither is drift for Alembic's comparison nor for factdb's own."""
    from factdb import migrate
    from factdb.schema_drift import reference_drift

    with migrated.connect() as conn:
        assert reference_drift(conn) == []
        live = {fk["name"] for fk in sa.inspect(conn).get_foreign_keys("trade_flows")}
    enforced = {"fk_trade_flows_reporter_id_entities", "fk_trade_flows_partner_id_entities"}
    if migrated.dialect.name == "postgresql":
        assert not enforced & live
    else:
        assert enforced <= live
    migrate.check(migrated)


def test_a_lost_reference_is_drift(migrated: Engine) -> None:
    """A foreign key gone on SQLite, or a reference trigger disabled or dropped on PostgreSQL,
    is reported by `db check`."""
    from factdb import migrate
    from factdb.errors import SchemaDrift

    with migrated.begin() as conn:
        if migrated.dialect.name == "postgresql":
            conn.exec_driver_sql(
                "ALTER TABLE trade_flows DISABLE TRIGGER trade_flows_references_on_insert"
            )
            conn.exec_driver_sql("DROP TRIGGER entities_trade_flows_on_delete ON entities")
        else:
            conn.exec_driver_sql("PRAGMA writable_schema = ON")
            conn.exec_driver_sql(
                "UPDATE sqlite_master SET sql = replace(sql, 'CONSTRAINT "
                "fk_trade_flows_partner_id_entities FOREIGN KEY(partner_id) REFERENCES "
                "entities (id) ON DELETE CASCADE, ', '') WHERE name = 'trade_flows'"
            )
            conn.exec_driver_sql("PRAGMA writable_schema = OFF")
    with pytest.raises(SchemaDrift) as caught:
        migrate.check(migrated)
    message = str(caught.value)
    if migrated.dialect.name == "postgresql":
        assert "trade_flows_references_on_insert on trade_flows: disabled" in message
        assert "entities_trade_flows_on_delete on entities: missing" in message
    else:
        assert "fk_trade_flows_partner_id_entities: in the models, not in the database" in message


def test_indexes_of_optional_references_leave_official_rows_out(
    migrated: Engine, backend: str
) -> None:
    """Official rows state no speaker, event or slug: the indexes of those columns hold only
    the rows that do, so a bulk import adds nothing to them (revision 0013 and the models)."""
    query = {
        "sqlite": "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND name = :name",
        "postgresql": "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = :name",
    }[backend]
    for column in ("stated_by_id", "event_id", "slug"):
        name = f"{'uq' if column == 'slug' else 'ix'}_trade_flows_{column}"
        index = next(i for i in metadata.tables["trade_flows"].indexes if i.name == name)
        condition = f"{column} IS NOT NULL"
        assert str(index.dialect_options[backend]["where"]) == condition
        with migrated.connect() as conn:
            (_, definition) = conn.execute(sa.text(query), {"name": name}).one()
        assert condition in definition.replace("(", "").replace(")", ""), definition
