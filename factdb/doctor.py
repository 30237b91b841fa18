"""Health checks of a factdb database: integrity on SQLite; on PostgreSQL ownership, grants,
the groups and users ``db roles`` set up, what changed on them since, and the migration lock.

Checks read and never repair: every finding says what to run. A read never creates a database
file. This module may import ``factdb.roles`` for the design it checks; ``roles`` must never
import it back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from factdb.db import connect
from factdb.errors import DatabaseMissing, IntegrityProblems, NotMigrated
from factdb.roles import (
    ADVISORY_LOCK_FUNCTIONS,
    HISTORY_LOG_TABLES,
    KINDS,
    LARGE_OBJECT_FUNCTIONS,
    VERSION_TABLE,
    Kind,
    RoleNames,
    UserRecord,
    password_digest,
)

#: role attributes a factdb user must not have; only an admin can give them
_ATTRIBUTES = ("rolsuper", "rolcreaterole", "rolcreatedb", "rolreplication", "rolbypassrls")
_WRITES = ("INSERT", "UPDATE", "DELETE", "TRUNCATE")


@dataclass(frozen=True)
class Finding:
    """One problem ``db doctor`` found; ``check`` names the check that found it."""

    check: str
    message: str


def diagnose(engine: Engine, names: RoleNames | None = None) -> list[Finding]:
    """Every problem found; an empty list means healthy.

    Raises ``NotMigrated`` for a database never migrated, ``DatabaseMissing`` for a SQLite file
    that is not there and ``IntegrityProblems`` for one that is not a readable database.
    """
    if engine.dialect.name == "sqlite":
        return _sqlite_findings(engine)
    if engine.dialect.name == "postgresql":
        with connect(engine, read_only=True) as conn:
            findings = _migration_findings(conn)
            findings += _lock_findings(conn)
            findings += _privilege_findings(conn, names or RoleNames())
            return findings
    return []


def _migration_findings(conn: Connection) -> list[Finding]:
    from alembic.runtime.migration import MigrationContext

    from factdb.migrate import head_revisions

    current = set(MigrationContext.configure(conn).get_current_heads())
    if not current:
        owner = (
            " (on a shared PostgreSQL database as the owner, see docs/shared-database.md)"
            if conn.dialect.name == "postgresql"
            else ""
        )
        raise NotMigrated(
            f"the database is not migrated: it holds no factdb schema; run `factdb db upgrade`"
            f"{owner}"
        )
    heads = set(head_revisions())
    if current != heads:
        return [
            Finding(
                "migration",
                f"database is at {', '.join(sorted(current))}, the newest is "
                f"{', '.join(sorted(heads))}; run `factdb db upgrade`",
            )
        ]
    return []


def _sqlite_findings(engine: Engine) -> list[Finding]:
    path = engine.url.database
    if path and path != ":memory:" and not path.startswith("file:") and not Path(path).exists():
        raise DatabaseMissing(
            f"no database at {path}; check --db / $FACTDB_URL, or create it with "
            "`factdb db upgrade`"
        )
    findings: list[Finding] = []
    try:
        with connect(engine, read_only=True) as conn:
            problems = [
                part.strip(" *")
                for (text,) in conn.exec_driver_sql("PRAGMA integrity_check").fetchall()
                if text != "ok"
                for part in str(text).splitlines()
                if part.strip(" *") and not part.startswith("*** in database")
            ]
            if problems:
                raise IntegrityProblems(
                    f"{path} is damaged: integrity_check found {len(problems)} problem(s), the "
                    f"first: {problems[0]}; restore it from a backup"
                )
            findings += _migration_findings(conn)
            for table, rowid, parent, fk_index in conn.exec_driver_sql(
                "PRAGMA foreign_key_check"
            ).fetchall():
                findings.append(
                    Finding(
                        "foreign_key_check",
                        f"{table} row {rowid} points at a missing {parent} row (key {fk_index})",
                    )
                )
    except sa.exc.DatabaseError as exc:
        first = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise IntegrityProblems(
            f"{path} is not a readable SQLite database ({first}); check --db, or restore it "
            "from a backup"
        ) from None
    return findings


def _lock_findings(conn: Connection) -> list[Finding]:
    from factdb.migrate import lock_holder

    holder = lock_holder(conn)
    return [Finding("migration lock", f"held by {holder}")] if holder else []


def _privilege_findings(conn: Connection, names: RoleNames) -> list[Finding]:
    """Groups, users, table ownership and grants against the design in ``factdb.roles``."""
    groups = {names.group(kind): kind for kind in KINDS}
    rows = conn.execute(
        sa.text("SELECT rolname, rolcanlogin, rolconfig FROM pg_roles WHERE rolname = ANY(:g)"),
        {"g": list(groups)},
    ).all()
    missing = set(groups) - {name for name, _, _ in rows}
    if missing:
        return [
            Finding("roles", f"role {m} does not exist; run `factdb db roles`")
            for m in sorted(missing)
        ]
    findings: list[Finding] = []
    for name, can_login, config in rows:
        if can_login:
            findings.append(
                Finding(
                    "roles",
                    f"{name} can log in: one login shared by many people; run `factdb db roles` "
                    "to make it a group, and give each person a user (`db roles add-user`)",
                )
            )
        if config:
            findings.append(Finding("roles", f"group {name} has settings {sorted(config)}"))
    findings += _user_findings(conn, names, groups)
    findings += _table_findings(conn, names)
    findings += _function_findings(conn, names)
    if conn.exec_driver_sql("SHOW lo_compat_privileges").scalar() == "on":
        findings.append(
            Finding(
                "settings",
                "lo_compat_privileges is on: every user may read and write every large object; "
                "turn it off in postgresql.conf",
            )
        )
    return findings


def _user_findings(conn: Connection, names: RoleNames, groups: dict[str, Kind]) -> list[Finding]:
    findings: list[Finding] = []
    members = conn.execute(
        sa.text(
            "SELECT u.rolname, g.rolname, u.rolcanlogin, u.rolinherit, "
            + ", ".join(f"u.{a}" for a in _ATTRIBUTES)
            + ", shobj_description(u.oid, 'pg_authid'), "
            "ARRAY(SELECT o.rolname FROM pg_auth_members om JOIN pg_roles o ON o.oid = om.roleid "
            "WHERE om.member = u.oid AND NOT o.rolname = ANY(:g) ORDER BY 1) "
            "FROM pg_auth_members m JOIN pg_roles u ON u.oid = m.member "
            "JOIN pg_roles g ON g.oid = m.roleid WHERE g.rolname = ANY(:g) "
            "ORDER BY u.rolname, g.rolname"
        ),
        {"g": list(groups)},
    ).all()
    by_user: dict[str, list[str]] = {}
    for user, group, *_ in members:
        by_user.setdefault(user, []).append(group)
    seen: set[str] = set()
    for user, group, can_login, inherit, *rest in members:
        if user in seen:
            continue
        seen.add(user)
        attributes, comment, others = rest[: len(_ATTRIBUTES)], rest[-2], rest[-1]
        if len(by_user[user]) > 1:
            findings.append(
                Finding("users", f"{user} is a member of {', '.join(by_user[user])}; one only")
            )
        if others:
            findings.append(
                Finding(
                    "users",
                    f"{user} is also a member of {', '.join(others)}, which factdb does not "
                    "grant; revoke it unless it is meant",
                )
            )
        record = UserRecord.parse(comment)
        if record is None:
            findings.append(
                Finding(
                    "users",
                    f"{user} is a member of {group} but was not added by factdb; run "
                    f"`factdb db roles add-user {user} --{groups[group]}`",
                )
            )
            continue
        if names.group(record.kind) != group:
            findings.append(
                Finding("users", f"{user} was added as a {record.kind} but is in {group}")
            )
        if not can_login or not inherit:
            findings.append(Finding("users", f"{user} must be LOGIN and INHERIT"))
        for attribute, value in zip(_ATTRIBUTES, attributes, strict=True):
            if value:
                findings.append(
                    Finding(
                        "users", f"{user} has {attribute[3:].upper()}, which factdb never gives"
                    )
                )
        findings += _setting_findings(conn, user, record)
        if record.password is not None:
            now = password_digest(conn, user)
            if now is not None and now != record.password:
                findings.append(
                    Finding(
                        "users",
                        f"{user}'s password changed since factdb set it; if that was not "
                        f"expected, set a new one with `factdb db roles add-user {user} "
                        f"--{record.kind} --password-stdin`",
                    )
                )
    return findings


def _setting_findings(conn: Connection, user: str, record: UserRecord) -> list[Finding]:
    """Session defaults of ``user`` (in any database, and in this one) that factdb did not set."""
    rows = conn.execute(
        sa.text(
            "SELECT s.setdatabase <> 0, s.setconfig FROM pg_db_role_setting s "
            "JOIN pg_roles r ON r.oid = s.setrole WHERE r.rolname = :u AND s.setdatabase IN "
            "(0, (SELECT oid FROM pg_database WHERE datname = current_database()))"
        ),
        {"u": user},
    ).all()
    actual: dict[str, str] = {}
    in_database: dict[str, str] = {}
    for per_database, config in rows:
        for item in config or []:
            key, _, value = str(item).partition("=")
            (in_database if per_database else actual)[key] = value
    findings: list[Finding] = []
    for key in sorted(set(actual) | set(record.settings)):
        want, have = record.settings.get(key), actual.get(key)
        if want != have:
            findings.append(
                Finding(
                    "settings",
                    f"{user} has {key} = {have if have is not None else '(unset)'}, factdb set "
                    f"{want if want is not None else '(nothing)'}; run `factdb db roles add-user "
                    f"{user} --{record.kind}` to restore it",
                )
            )
    for key, value in sorted(in_database.items()):
        findings.append(
            Finding(
                "settings",
                f"{user} has {key} = {value} in this database, which factdb did not set; run "
                f"`factdb db roles add-user {user} --{record.kind}` to restore it",
            )
        )
    return findings


def _table_findings(conn: Connection, names: RoleNames) -> list[Finding]:
    findings: list[Finding] = []
    rows = conn.execute(
        sa.text(
            "SELECT c.relname, c.relkind, pg_get_userbyid(c.relowner), "
            "has_table_privilege(:r, c.oid, 'SELECT'), "
            + ", ".join(
                f"has_table_privilege(:w, c.oid, '{privilege}')"
                for privilege in ("SELECT", *_WRITES)
            )
            + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'p') "
            "ORDER BY c.relname"
        ),
        {"r": names.reader, "w": names.writer},
    ).all()
    for table, kind, owner, reader_select, *writer in rows:
        if owner != names.owner:
            findings.append(Finding("owner", f"{table} is owned by {owner}, not {names.owner}"))
        if not reader_select:
            findings.append(Finding("grant", f"{names.reader} lacks SELECT on {table}"))
        if kind == "v":
            continue
        granted = dict(zip(("SELECT", *_WRITES), writer, strict=True))
        if table == VERSION_TABLE or table in HISTORY_LOG_TABLES:
            extra = [p for p in _WRITES if granted[p]]
            if extra:
                what = "the migration state" if table == VERSION_TABLE else "the history"
                findings.append(
                    Finding(
                        "grant",
                        f"{names.writer} may {', '.join(extra)} {table}, {what}; "
                        "run `factdb db roles`",
                    )
                )
            continue
        for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            if not granted[privilege]:
                findings.append(Finding("grant", f"{names.writer} lacks {privilege} on {table}"))
    return findings


def _function_findings(conn: Connection, names: RoleNames) -> list[Finding]:
    findings: list[Finding] = []
    for function in (*LARGE_OBJECT_FUNCTIONS, *ADVISORY_LOCK_FUNCTIONS):
        allowed = conn.execute(
            sa.text("SELECT has_function_privilege(:r, :f, 'EXECUTE')"),
            {"r": names.reader, "f": f"pg_catalog.{function}"},
        ).scalar()
        if allowed:
            findings.append(
                Finding(
                    "functions",
                    f"{names.reader} may call {function}; run `factdb db roles` as a superuser "
                    "(only one may revoke pg_catalog functions)",
                )
            )
    return findings
