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
