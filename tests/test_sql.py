"""``factdb sql`` reads and never writes, whatever the input, on both backends."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb.cli import app
from factdb.roles import create_roles
from factdb.sql import QueryRefused, run_query

runner = CliRunner()

HOSTILE = [
    "DELETE FROM entities",
    "UPDATE sources SET title = 'x'",
    "INSERT INTO entities (slug, kind, name) VALUES ('x', 'country', 'X')",
    "DROP TABLE evidence",
    "CREATE TABLE stray (id INTEGER)",
    "CREATE TEMP TABLE stray (id INTEGER)",
    "ALTER TABLE entities ADD COLUMN x INTEGER",
    "SELECT 1; DELETE FROM entities",
    "COMMIT; DELETE FROM entities",
]
SQLITE_HOSTILE = [
    "ATTACH DATABASE '{dir}/attached.db' AS x",
    "VACUUM INTO '{dir}/copy.db'",
    "VACUUM",
    "PRAGMA journal_mode = DELETE",
    "PRAGMA user_version = 7",
    "PRAGMA writable_schema = ON",
    "SELECT load_extension('{dir}/evil')",
    "REINDEX",
    "ANALYZE",
    "UPDATE sqlite_master SET sql = 'x' WHERE name = 'entities'",
    "UPDATE sqlite_master SET type = 'table', name = 'x', tbl_name = 'x', rootpage = 0, sql = 'x'",
    "INSERT INTO fts_search (fts_search) VALUES ('rebuild')",
    "DELETE FROM fts_search",
    "SELECT * FROM pragma_optimize",
    "PRAGMA table_info(entities)",
]
PG_HOSTILE = [
    "SELECT nextval('entities_id_seq')",
    "SET default_transaction_read_only = off",
    "TRUNCATE entities CASCADE",
    "WITH gone AS (DELETE FROM entities RETURNING id) SELECT count(*) FROM gone",
    "SELECT pg_sleep(5)",
]
RUNAWAY = "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT count(*) FROM r"


def fingerprint(engine: Engine) -> str:
    with engine.connect() as conn:
        rows = [
            conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one()
            for t in ("entities", "sources", "evidence", "trade_flows")
        ]
        user_version = (
            conn.exec_driver_sql("PRAGMA user_version").scalar()
            if engine.dialect.name == "sqlite"
            else 0
        )
    return repr((rows, user_version))


@pytest.fixture
def readable(seeded: Engine) -> Engine:
    """The seeded database; on PostgreSQL with the reader role a superuser's query runs as."""
    if seeded.dialect.name == "postgresql":
        create_roles(seeded)
    return seeded


def test_reads_work(readable: Engine) -> None:
    seeded = readable
    result = run_query(seeded, "SELECT slug FROM v_entities ORDER BY slug", max_rows=3)
    assert result.columns == ["slug"] and len(result.rows) == 3 and result.truncated


def test_hostile_statements_are_refused(readable: Engine, tmp_path: Path) -> None:
    seeded = readable
    statements = HOSTILE + (SQLITE_HOSTILE if seeded.dialect.name == "sqlite" else PG_HOSTILE)
    before = fingerprint(seeded)
    db_file = Path(seeded.url.database or "") if seeded.dialect.name == "sqlite" else None
    seeded.dispose()
    digest = hashlib.sha256(db_file.read_bytes()).hexdigest() if db_file else None
    listing = sorted(p.name for p in tmp_path.iterdir())
    for statement in statements:
        sql = statement.format(dir=tmp_path)
        with pytest.raises(QueryRefused) as refused:
            run_query(seeded, sql, timeout_s=1)
        assert str(refused.value).startswith(("refused:", "query failed:")), sql
        assert "\n" not in str(refused.value)
    assert fingerprint(seeded) == before
    seeded.dispose()
    if db_file:
        assert hashlib.sha256(db_file.read_bytes()).hexdigest() == digest
        assert sorted(p.name for p in tmp_path.iterdir()) == listing, "no new file"


def test_runaway_query_is_stopped(readable: Engine) -> None:
    with pytest.raises(QueryRefused, match="time limit"):
        run_query(readable, RUNAWAY, timeout_s=0.5)


def test_cli_refusal_is_one_line_and_exit_1(readable: Engine) -> None:
    url = readable.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["sql", "DELETE FROM entities", "--db", url])
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: refused")


def test_cli_formats(readable: Engine) -> None:
    url = readable.url.render_as_string(hide_password=False)
    result = runner.invoke(
        app,
        [
            "sql",
            "SELECT slug, m49 FROM v_entities WHERE m49 IS NOT NULL ORDER BY slug",
            "--db",
            url,
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0
    assert result.stdout.splitlines() == ["slug,m49", "bulgaria,100", "japan,392"]
