"""PostgreSQL roles for a shared database: three NOLOGIN groups and one LOGIN user per person.

The groups ``factdb_owner``, ``factdb_writer`` and ``factdb_reader`` hold the privileges; people
and tools log in as their own users, members of one group. A user can change its own session
defaults and password but no one else's, so one analyst cannot lift every analyst's limits, and
users are not members of each other, so one cannot end another's session. Privileges, not
read-only mode, are the boundary: the reader group has SELECT and nothing else, and may not call
the large-object or advisory-lock functions.

What factdb set on each user is recorded in the role's comment (only an admin may comment on a
role), so ``db doctor`` can report what changed since. This module writes roles and grants; it
reports nothing (that is ``factdb.doctor``) and never migrates.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from factdb.db import connect
from factdb.errors import InvalidName, InvalidOption, PermissionDenied

Kind = Literal["owner", "writer", "reader"]
KINDS: tuple[Kind, ...] = ("owner", "writer", "reader")
#: prefix of the role comment in which factdb records what it set on a user
COMMENT_TAG = "factdb:"

#: pg_catalog functions that create or write large objects: storage no table privilege limits
LARGE_OBJECT_FUNCTIONS = (
    "lo_creat(integer)",
    "lo_create(oid)",
    "lo_from_bytea(oid, bytea)",
    "lo_import(text)",
    "lo_import(text, oid)",
    "lo_put(oid, bigint, bytea)",
    "lowrite(integer, bytea)",
    "lo_truncate(integer, integer)",
    "lo_truncate64(integer, bigint)",
)
#: advisory-lock functions: with them a reader could hold the migration lock forever
ADVISORY_LOCK_FUNCTIONS = tuple(
    f"{name}({args})"
    for name in (
        "pg_advisory_lock",
        "pg_advisory_lock_shared",
        "pg_try_advisory_lock",
        "pg_try_advisory_lock_shared",
        "pg_advisory_xact_lock",
        "pg_advisory_xact_lock_shared",
        "pg_try_advisory_xact_lock",
        "pg_try_advisory_xact_lock_shared",
    )
    for args in ("bigint", "integer, integer")
)
VERSION_TABLE = "alembic_version"
#: the history (revision 0011): only the database's SECURITY DEFINER functions write it, so the
#: writer can neither forge nor erase it; everyone reads it
HISTORY_LOG_TABLES = ("changesets", "row_versions")


@dataclass(frozen=True)
class RoleNames:
    owner: str = "factdb_owner"
    writer: str = "factdb_writer"
    reader: str = "factdb_reader"

    @classmethod
    def with_prefix(cls, prefix: str) -> RoleNames:
        return cls(f"{prefix}_owner", f"{prefix}_writer", f"{prefix}_reader")

    def group(self, kind: Kind) -> str:
        return {"owner": self.owner, "writer": self.writer, "reader": self.reader}[kind]


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


def user_settings(kind: Kind, names: RoleNames, limits: ReaderLimits) -> dict[str, str]:
    """The session defaults factdb sets on a user of ``kind``, as PostgreSQL stores them.

    Role settings are not inherited from groups, so they live on each user. The owner's users
    act as the owner group from the start (``role``), so what they migrate belongs to the group.
    """
    idle = {"idle_in_transaction_session_timeout": str(int(limits.idle_in_transaction_timeout_ms))}
    if kind == "owner":
        return {"role": names.owner}
    if kind == "writer":
        return idle
    return {
        "default_transaction_read_only": "on",
        "statement_timeout": str(int(limits.statement_timeout_ms)),
        **idle,
    }


def roles_sql(database: str, names: RoleNames = RoleNames(), schema: str = "public") -> list[str]:
    """The statements an admin runs (a superuser: only one may revoke pg_catalog functions)."""
    owner, writer, reader = (quote_identifier(names.group(kind)) for kind in KINDS)
    db, sch = quote_identifier(database), quote_identifier(schema)
    version = f"{sch}.{quote_identifier(VERSION_TABLE)}"
    statements: list[str] = []
    for kind in KINDS:
        name = names.group(kind)
        statements += [
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
            f"{_literal(name)}) THEN CREATE ROLE {quote_identifier(name)} NOLOGIN; END IF; END $$",
            # a group from an older factdb was a shared login: no more logins, no password, and
            # no session defaults (which groups do not pass on to their members anyway)
            f"ALTER ROLE {quote_identifier(name)} NOLOGIN PASSWORD NULL",
            f"ALTER ROLE {quote_identifier(name)} RESET ALL",
        ]
    statements += [
        # Only the owner creates objects; nobody else gets a temporary table by default.
        f"REVOKE CREATE ON SCHEMA {sch} FROM PUBLIC",
        f"REVOKE TEMPORARY ON DATABASE {db} FROM PUBLIC",
        f"GRANT CONNECT ON DATABASE {db} TO {owner}, {writer}, {reader}",
        f"GRANT USAGE, CREATE ON SCHEMA {sch} TO {owner}",
        f"GRANT TEMPORARY ON DATABASE {db} TO {owner}, {writer}",
        f"GRANT USAGE ON SCHEMA {sch} TO {writer}, {reader}",
        # The migration state exists before the first migration, so the writer's default
        # privileges never cover it.
        f"CREATE TABLE IF NOT EXISTS {version} (version_num VARCHAR(32) NOT NULL, "
        "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))",
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
        # Only migrations, run as the owner, move the migration state.
        f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON {version} FROM PUBLIC, {writer}, {reader}",
        # Only the history functions write the history; they run as its owner.
        "DO $$ BEGIN IF to_regclass("
        f"{_literal(schema + '.' + HISTORY_LOG_TABLES[0])}) IS NOT NULL THEN "
        "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON "
        + ", ".join(f"{sch}.{quote_identifier(t)}" for t in HISTORY_LOG_TABLES)
        + f" FROM PUBLIC, {writer}, {reader}; END IF; END $$",
        "DO $$ DECLARE r record; BEGIN "
        "FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p "
        "JOIN pg_namespace n ON n.oid = p.pronamespace "
        f"WHERE n.nspname = {_literal(schema)} AND p.proname LIKE 'factdb\\_%' "
        "LOOP EXECUTE format('ALTER FUNCTION %s OWNER TO %I', r.f, "
        f"{_literal(names.owner)}); END LOOP; END $$",
    ]
    for function in LARGE_OBJECT_FUNCTIONS:
        statements += [
            f"REVOKE EXECUTE ON FUNCTION pg_catalog.{function} FROM PUBLIC",
            f"GRANT EXECUTE ON FUNCTION pg_catalog.{function} TO {owner}",
        ]
    for function in ADVISORY_LOCK_FUNCTIONS:
        statements += [
            f"REVOKE EXECUTE ON FUNCTION pg_catalog.{function} FROM PUBLIC",
            f"GRANT EXECUTE ON FUNCTION pg_catalog.{function} TO {owner}, {writer}",
        ]
    return statements


def add_user_sql(
    database: str,
    user: str,
    kind: Kind,
    names: RoleNames = RoleNames(),
    limits: ReaderLimits = ReaderLimits(),
) -> list[str]:
    """Create or update ``user``: LOGIN, INHERIT, a member of one group, with ``kind``'s settings.

    The password is not part of these statements; ``add_user`` sets it. The comment records
    what was set, for ``db doctor``.
    """
    if user in (names.owner, names.writer, names.reader) or user.startswith("pg_"):
        raise InvalidName(
            f"user name {user!r} is taken by a group or by PostgreSQL; choose another"
        )
    role, db = quote_identifier(user), quote_identifier(database)
    statements = [
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = "
        f"{_literal(user)}) THEN CREATE ROLE {role} LOGIN; END IF; END $$",
        f"ALTER ROLE {role} LOGIN INHERIT",
    ]
    for other in KINDS:
        if other != kind:
            statements.append(f"REVOKE {quote_identifier(names.group(other))} FROM {role}")
    statements += [
        f"GRANT {quote_identifier(names.group(kind))} TO {role}",
        f"ALTER ROLE {role} RESET ALL",
        f"ALTER ROLE {role} IN DATABASE {db} RESET ALL",
    ]
    settings = user_settings(kind, names, limits)
    for setting, value in settings.items():
        statements.append(f"ALTER ROLE {role} SET {setting} = {_literal(value)}")
    record = UserRecord(kind, settings, None)
    statements.append(f"COMMENT ON ROLE {role} IS {_literal(record.comment())}")
    return statements


@dataclass(frozen=True)
class UserRecord:
    """What factdb set on a user, kept in the role's comment for ``db doctor`` to compare."""

    kind: Kind
    settings: dict[str, str]
    #: a digest of the stored password hash, when the admin could read it (superusers only)
    password: str | None

    def comment(self) -> str:
        body = {"kind": self.kind, "settings": self.settings, "password": self.password}
        return COMMENT_TAG + json.dumps(body, sort_keys=True)

    @classmethod
    def parse(cls, comment: str | None) -> UserRecord | None:
        if not comment or not comment.startswith(COMMENT_TAG):
            return None
        try:
            body = json.loads(comment[len(COMMENT_TAG) :])
            kind = body["kind"]
            if kind not in KINDS:
                return None
            settings = {str(k): str(v) for k, v in dict(body["settings"]).items()}
            password = body.get("password")
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return cls(kind, settings, str(password) if password else None)


def password_digest(conn: Connection, user: str) -> str | None:
    """A digest of ``user``'s stored password hash, or None when this session cannot read it."""
    savepoint = conn.begin_nested()
    try:
        stored = conn.execute(
            sa.text("SELECT rolpassword FROM pg_authid WHERE rolname = :u"), {"u": user}
        ).scalar()
    except sa.exc.DBAPIError:
        savepoint.rollback()
        return None
    savepoint.commit()
    return hashlib.sha256(str(stored).encode()).hexdigest()[:16]


def generate_password() -> str:
    return secrets.token_urlsafe(18)


def _require_admin(conn: Connection, what: str) -> None:
    can = conn.execute(
        sa.text("SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user")
    ).scalar()
    if not can:
        user = conn.execute(sa.text("SELECT current_user")).scalar()
        raise PermissionDenied(
            f"{user} may not {what}: connect as a superuser (or a role with CREATEROLE that owns "
            "the database); nothing was changed"
        )


def _run(conn: Connection, statements: list[str]) -> None:
    for statement in statements:
        # the driver reads % as a placeholder marker; format() in the SQL needs it literal
        conn.exec_driver_sql(statement.replace("%", "%%"))


def _translate(exc: sa.exc.DBAPIError, what: str) -> Exception:
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "42501":
        first = str(orig).strip().splitlines()[0]
        return PermissionDenied(f"cannot {what}: {first}; connect as a superuser")
    return exc


def create_roles(engine: Engine, names: RoleNames = RoleNames()) -> None:
    """Create or update the three groups and their privileges, in one transaction.

    Idempotent; also converts the shared LOGIN roles of older factdb versions into groups.
    """
    database = engine.url.database or "postgres"
    with connect(engine) as conn:
        try:
            with conn.begin():
                _require_admin(conn, "create roles")
                _run(conn, roles_sql(database, names))
        except sa.exc.DBAPIError as exc:
            raise _translate(exc, "create roles") from None


def add_user(
    engine: Engine,
    user: str,
    kind: Kind,
    names: RoleNames = RoleNames(),
    limits: ReaderLimits = ReaderLimits(),
    password: str | None = None,
) -> None:
    """Create or update one LOGIN user of ``kind`` and record what was set in its comment.

    ``password`` None keeps the current one (a new user then has none and can only log in as
    ``pg_hba.conf`` allows).
    """
    database = engine.url.database or "postgres"
    with connect(engine) as conn:
        try:
            with conn.begin():
                _require_admin(conn, "add users")
                missing = [
                    group
                    for group in (names.owner, names.writer, names.reader)
                    if not conn.execute(
                        sa.text("SELECT 1 FROM pg_roles WHERE rolname = :g"), {"g": group}
                    ).first()
                ]
                if missing:
                    raise InvalidOption(
                        f"group {missing[0]} does not exist; run `factdb db roles` first"
                    )
                _run(conn, add_user_sql(database, user, kind, names, limits))
                if password is not None:
                    conn.exec_driver_sql(
                        f"ALTER ROLE {quote_identifier(user)} PASSWORD "
                        f"{_literal(password).replace('%', '%%')}"
                    )
                digest = password_digest(conn, user)
                if digest is not None:
                    record = UserRecord(kind, user_settings(kind, names, limits), digest)
                    conn.exec_driver_sql(
                        f"COMMENT ON ROLE {quote_identifier(user)} IS "
                        f"{_literal(record.comment()).replace('%', '%%')}"
                    )
        except sa.exc.DBAPIError as exc:
            raise _translate(exc, f"add user {user}") from None


def user_exists(engine: Engine, user: str) -> bool:
    with connect(engine, read_only=True) as conn:
        found = conn.execute(sa.text("SELECT 1 FROM pg_roles WHERE rolname = :u"), {"u": user})
        return found.first() is not None
