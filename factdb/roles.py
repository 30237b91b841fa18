"""PostgreSQL roles for a shared database: an owner, a writer and a reader.

Privileges, not read-only mode, are the boundary: the reader has SELECT and nothing else, so
``SET default_transaction_read_only = off`` gains it nothing. Default privileges make tables that
later migrations create (as the owner) readable and writable by the right roles.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factdb.db import connect
from factdb.doctor import Finding
from factdb.errors import InvalidName


@dataclass(frozen=True)
class RoleNames:
    owner: str = "factdb_owner"
    writer: str = "factdb_writer"
    reader: str = "factdb_reader"

    @classmethod
    def with_prefix(cls, prefix: str) -> RoleNames:
        return cls(f"{prefix}_owner", f"{prefix}_writer", f"{prefix}_reader")


@dataclass(frozen=True)
class ReaderLimits:
    statement_timeout_ms: int = 30_000
    idle_in_transaction_timeout_ms: int = 60_000


def quote_identifier(name: str) -> str:
    """A role or database name as a quoted identifier; refuses anything but [A-Za-z0-9_]."""
    if not name or not name.replace("_", "").isalnum() or not name[0].isalpha():
        raise InvalidName(f"name {name!r} must be letters, digits and underscores")
    return f'"{name}"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def roles_sql(
    database: str,
    names: RoleNames = RoleNames(),
    limits: ReaderLimits = ReaderLimits(),
    passwords: dict[str, str] | None = None,
    schema: str = "public",
) -> list[str]:
    """The statements a DBA runs (as a superuser or CREATEROLE owner of the database)."""
    passwords = passwords or {}
    owner, writer, reader = (
        quote_identifier(names.owner),
        quote_identifier(names.writer),
        quote_identifier(names.reader),
    )
    db, sch = quote_identifier(database), quote_identifier(schema)
    statements: list[str] = []
    for kind, name in (("owner", names.owner), ("writer", names.writer), ("reader", names.reader)):
        statements.append(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
            f"{_literal(name)}) THEN CREATE ROLE {quote_identifier(name)} LOGIN; END IF; END $$"
        )
        if kind in passwords:
            statements.append(
                f"ALTER ROLE {quote_identifier(name)} PASSWORD {_literal(passwords[kind])}"
            )
    statements += [
        # Only the owner creates objects; nobody else gets a temporary table by default.
        f"REVOKE CREATE ON SCHEMA {sch} FROM PUBLIC",
        f"REVOKE TEMPORARY ON DATABASE {db} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {db} TO {owner}, {writer}, {reader}",
        f"GRANT USAGE, CREATE ON SCHEMA {sch} TO {owner}",
        f"GRANT TEMPORARY ON DATABASE {db} TO {owner}, {writer}",
        f"GRANT USAGE ON SCHEMA {sch} TO {writer}, {reader}",
        # Existing objects change hands to the owner.
        "DO $$ DECLARE r record; BEGIN "
        "FOR r IN SELECT c.relname, c.relkind FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = {_literal(schema)} AND c.relkind IN ('r', 'v', 'S', 'p', 'm') "
        "AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.objid = c.oid AND d.deptype = 'a' "
        "AND c.relkind = 'S') "
        "LOOP EXECUTE format('ALTER %s %I.%I OWNER TO %I', "
        "CASE r.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' "
        "WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END, "
        f"{_literal(schema)}, r.relname, {_literal(names.owner)}); END LOOP; END $$",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {sch} TO {writer}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {sch} TO {writer}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA {sch} TO {reader}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {writer}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {writer}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {sch} "
        f"GRANT SELECT ON TABLES TO {reader}",
        f"ALTER ROLE {reader} SET default_transaction_read_only = on",
        f"ALTER ROLE {reader} SET statement_timeout = {int(limits.statement_timeout_ms)}",
        f"ALTER ROLE {reader} SET idle_in_transaction_session_timeout = "
        f"{int(limits.idle_in_transaction_timeout_ms)}",
    ]
    return statements


def create_roles(
    engine: Engine,
    names: RoleNames = RoleNames(),
    limits: ReaderLimits = ReaderLimits(),
    passwords: dict[str, str] | None = None,
) -> None:
    """Create or update the three roles on the database ``engine`` points at, in one transaction."""
    database = engine.url.database or "postgres"
    with connect(engine) as conn, conn.begin():
        for statement in roles_sql(database, names, limits, passwords):
            # the driver reads % as a placeholder marker; format() in the SQL needs it literal
            conn.exec_driver_sql(statement.replace("%", "%%"))


def privilege_findings(engine: Engine, names: RoleNames = RoleNames()) -> list[Finding]:
    """Tables not owned by the owner role and grants the writer or reader lack."""
    findings: list[Finding] = []
    with connect(engine, read_only=True) as conn:
        existing = {
            r
            for (r,) in conn.execute(
                sa.text("SELECT rolname FROM pg_roles WHERE rolname IN (:o, :w, :r)"),
                {"o": names.owner, "w": names.writer, "r": names.reader},
            )
        }
        missing = {names.owner, names.writer, names.reader} - existing
        if missing:
            return [
                Finding("roles", f"role {m} does not exist; run `factdb db roles`")
                for m in sorted(missing)
            ]
        rows = conn.execute(
            sa.text(
                "SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'p') "
                "ORDER BY c.relname"
            )
        ).fetchall()
        for table, kind, owner in rows:
            if owner != names.owner:
                findings.append(Finding("owner", f"{table} is owned by {owner}, not {names.owner}"))
            checks = [(names.reader, "SELECT")]
            if kind != "v":
                checks.append((names.writer, "SELECT, INSERT, UPDATE, DELETE"))
            for role, privileges in checks:
                for privilege in privileges.split(", "):
                    granted = conn.execute(
                        sa.text(
                            "SELECT has_table_privilege(:role, c.oid, :priv) FROM pg_class c "
                            "JOIN pg_namespace n ON n.oid = c.relnamespace "
                            "WHERE n.nspname = current_schema() AND c.relname = :t"
                        ),
                        {"role": role, "priv": privilege, "t": table},
                    ).scalar()
                    if not granted:
                        findings.append(Finding("grant", f"{role} lacks {privilege} on {table}"))
    return findings
