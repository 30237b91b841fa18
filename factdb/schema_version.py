"""The schema revision this code expects, and a check of it that needs no Alembic.

Every read checks that the database is at the newest migration. Asking Alembic would import it
(with Mako and Pygments) on every report; the stored revision is one row of ``alembic_version``,
and the head is a constant here that ``tests/test_schema_version.py`` keeps equal to the
migration scripts. Must not import Alembic.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.errors import NotMigrated

#: The newest revision in migrations/versions; a test fails when they disagree.
HEAD_REVISION = "0013"


def stored_revisions(conn: Connection) -> set[str]:
    """The revisions recorded in the database; empty when it was never migrated."""
    if not sa.inspect(conn).has_table("alembic_version"):
        return set()
    return set(conn.scalars(sa.text("SELECT version_num FROM alembic_version")))


def require_head(conn: Connection) -> None:
    """Raise ``NotMigrated`` unless the database is at ``HEAD_REVISION``."""
    current = stored_revisions(conn)
    if current != {HEAD_REVISION}:
        state = f"at revision {', '.join(sorted(current))}" if current else "not migrated"
        raise NotMigrated(
            f"database is {state}, this factdb needs {HEAD_REVISION}; run `factdb db upgrade` first"
        )
