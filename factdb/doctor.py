"""Health checks of a factdb database: integrity on SQLite, ownership and grants on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from factdb.db import connect


@dataclass(frozen=True)
class Finding:
    """One problem ``db doctor`` found; ``check`` names the check that found it."""

    check: str
    message: str


def diagnose(engine: Engine) -> list[Finding]:
    """Every problem found; an empty list means healthy."""
    if engine.dialect.name == "sqlite":
        return _sqlite_findings(engine)
    if engine.dialect.name == "postgresql":
        from factdb.roles import privilege_findings

        return privilege_findings(engine)
    return []


def _sqlite_findings(engine: Engine) -> list[Finding]:
    findings: list[Finding] = []
    with connect(engine, read_only=True) as conn:
        for (line,) in conn.exec_driver_sql("PRAGMA integrity_check").fetchall():
            if line != "ok":
                findings.append(Finding("integrity_check", str(line)))
        for table, rowid, parent, fk_index in conn.exec_driver_sql(
            "PRAGMA foreign_key_check"
        ).fetchall():
            findings.append(
                Finding(
                    "foreign_key_check",
                    f"{table} row {rowid} points at a missing {parent} row (key {fk_index})",
                )
            )
    return findings
