"""The head revision the read paths check without Alembic is the head of the migration scripts."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factdb.errors import NotMigrated
from factdb.migrate import head_revisions
from factdb.schema_version import HEAD_REVISION, require_head


def test_head_constant_matches_the_migration_scripts() -> None:
    assert head_revisions() == [HEAD_REVISION]


def test_require_head(migrated: Engine) -> None:
    with migrated.connect() as conn:
        require_head(conn)
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0001'"))
        with pytest.raises(NotMigrated, match="at revision 0001"):
            require_head(conn)
        conn.rollback()


def test_require_head_on_an_empty_database(engine: Engine) -> None:
    with engine.connect() as conn, pytest.raises(NotMigrated, match="not migrated"):
        require_head(conn)
