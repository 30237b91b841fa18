"""A shared PostgreSQL database: roles, locked migrations and concurrent loaders, on a real
server. (These are PostgreSQL's alone; every other database test runs on both backends.)"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from factdb import migrate
from factdb.db import make_engine
from factdb.doctor import diagnose
from factdb.errors import MigrationLocked
from factdb.roles import RoleNames, create_roles
from tests.conftest import create_pg_database, drop_pg_database
from tests.factfiles_helpers import ARTICLE, copy_seeds

ROLES = RoleNames()


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    url = create_pg_database(pg_admin_url)
    try:
        yield url
    finally:
        drop_pg_database(pg_admin_url, url)


@pytest.fixture
def shared(pg_url: str) -> Engine:
    """A database set up as the docs say: roles first, then migrations run as the owner."""
    admin = make_engine(pg_url)
    create_roles(admin)
    migrate.upgrade(admin, settings=migrate.MigrationSettings(role=ROLES.owner))
    return admin


def as_role(url: str, role: str) -> Engine:
    return make_engine(make_url(url).set(username=role).render_as_string(hide_password=False))


def refused(engine: Engine, statements: list[str]) -> list[str]:
    """Statements that were NOT refused, each tried in its own savepoint."""
    allowed = []
    with engine.connect() as conn:
        conn.exec_driver_sql("SET default_transaction_read_only = off")
        conn.commit()
        with conn.begin():
            for statement in statements:
                savepoint = conn.begin_nested()
                try:
                    conn.exec_driver_sql(statement)
                except sa.exc.DBAPIError:
                    savepoint.rollback()
                else:
                    allowed.append(statement)
                    savepoint.rollback()
    return allowed


def test_every_table_belongs_to_the_owner_and_doctor_is_happy(shared: Engine) -> None:
    with shared.connect() as conn:
        owners = conn.execute(
            sa.text(
                "SELECT c.relname, pg_get_userbyid(c.relowner) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v')"
            )
        ).all()
    assert len(owners) > 10
    assert {owner for _, owner in owners} == {ROLES.owner}
    assert diagnose(shared) == []


def test_doctor_reports_a_foreign_table_and_a_missing_grant(shared: Engine) -> None:
    with shared.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stray (id integer)")
        conn.exec_driver_sql(f"REVOKE SELECT ON entities FROM {ROLES.reader}")
    messages = [f.message for f in diagnose(shared)]
    assert any(m.startswith("stray is owned by") for m in messages)
    assert f"{ROLES.reader} lacks SELECT on entities" in messages


def test_reader_can_only_read(shared: Engine, pg_url: str) -> None:
    from factdb.factfiles.loader import load

    load(shared)
    reader = as_role(pg_url, ROLES.reader)
    with reader.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM v_trade").scalar() == 7
    allowed = refused(
        reader,
        [
            "INSERT INTO entities (slug, kind, name) VALUES ('x', 'country', 'X')",
            "UPDATE entities SET name = 'X'",
            "DELETE FROM evidence",
            "TRUNCATE evidence",
            "CREATE TABLE stray (id integer)",
            "CREATE TEMPORARY TABLE stray (id integer)",
            "SELECT nextval('entities_id_seq')",
            "DROP VIEW v_trade",
        ],
    )
    assert allowed == []


def test_reader_has_a_statement_timeout(shared: Engine, pg_url: str) -> None:
    with shared.begin() as conn:
        conn.exec_driver_sql(f"ALTER ROLE {ROLES.reader} SET statement_timeout = 300")
    try:
        reader = as_role(pg_url, ROLES.reader)
        with reader.connect() as conn:
            assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
            assert conn.exec_driver_sql("SHOW idle_in_transaction_session_timeout").scalar()
            started = time.monotonic()
            with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
                conn.exec_driver_sql("SELECT pg_sleep(5)")
            assert time.monotonic() - started < 3
    finally:
        create_roles(shared)  # back to the default limits


def test_writer_writes_rows_but_no_ddl(shared: Engine, pg_url: str) -> None:
    writer = as_role(pg_url, ROLES.writer)
    from factdb.factfiles.loader import load

    report = load(writer)
    assert report.tables["entities"].inserted == 42
    allowed = refused(
        writer,
        [
            "DROP TABLE evidence",
            "TRUNCATE evidence",
            "CREATE TABLE stray (id integer)",
            "ALTER TABLE entities ADD COLUMN x integer",
            "DROP VIEW v_trade",
        ],
    )
    assert allowed == []


def test_roles_print_sql(pg_url: str) -> None:
    from typer.testing import CliRunner

    from factdb.cli import app

    result = CliRunner().invoke(app, ["db", "roles", "--print-sql", "--db", pg_url])
    assert result.exit_code == 0
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "factdb_owner"' in result.stdout
    assert "default_transaction_read_only = on" in result.stdout


def test_second_migrator_gives_up_while_the_first_holds_the_lock(pg_url: str) -> None:
    engine = make_engine(pg_url)
    holder = make_engine(pg_url).connect()
    holder.exec_driver_sql(f"SELECT pg_advisory_lock({migrate.ADVISORY_LOCK_KEY})")
    try:
        started = time.monotonic()
        with pytest.raises(MigrationLocked, match="another migration is running"):
            migrate.upgrade(engine, settings=migrate.MigrationSettings(lock_wait_s=1))
        assert 0.9 < time.monotonic() - started < 5
        assert migrate.current_revisions(engine) == []
    finally:
        holder.exec_driver_sql(f"SELECT pg_advisory_unlock({migrate.ADVISORY_LOCK_KEY})")
        holder.close()
    migrate.upgrade(engine)
    assert migrate.current_revisions(engine) == migrate.head_revisions()


def test_two_upgrades_at_once(pg_url: str) -> None:
    env = {**os.environ, "FACTDB_URL": pg_url}
    command = [sys.executable, "-m", "factdb", "db", "upgrade"]
    procs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    engine = make_engine(pg_url)
    assert migrate.current_revisions(engine) == migrate.head_revisions()
    migrate.check(engine)


def test_migration_gives_up_on_a_busy_table(pg_url: str, tmp_path: Path) -> None:
    from tests.test_migrations import _history_with, _upgrade_with

    engine = make_engine(pg_url)
    migrate.upgrade(engine)
    location = _history_with(
        tmp_path,
        """
        op.add_column("entities", sa.Column("note", sa.Text(), nullable=True))
        """,
    )
    analyst = make_engine(pg_url).connect()
    analyst.exec_driver_sql("BEGIN")
    analyst.exec_driver_sql("SELECT count(*) FROM entities")  # holds ACCESS SHARE
    blocked_reader_done = threading.Event()
    try:
        started = time.monotonic()
        with pytest.raises(MigrationLocked, match="lock_timeout"):
            _upgrade_with(engine, location, settings=migrate.MigrationSettings(lock_timeout_ms=300))
        assert time.monotonic() - started < 5

        # a later reader is not queued behind a waiting migration
        def read() -> None:
            with make_engine(pg_url).connect() as conn:
                conn.exec_driver_sql("SELECT count(*) FROM entities")
            blocked_reader_done.set()

        threading.Thread(target=read, daemon=True).start()
        assert blocked_reader_done.wait(5)
    finally:
        analyst.rollback()
        analyst.close()
    assert migrate.current_revisions(engine) == migrate.head_revisions()
    assert "note" not in {c["name"] for c in sa.inspect(engine).get_columns("entities")}


def _content(engine: Engine) -> dict[str, list[str]]:
    """What the database says, without ids (which depend on the order of inserts)."""
    queries = {
        "entities": "SELECT slug, kind, name, aliases, identifiers FROM v_entities",
        "events": "SELECT slug, kind, title, start_date, parent_slug, declared_by FROM v_events",
        "participants": "SELECT event_slug, entity_slug, role, count FROM v_event_participants",
        "trade": "SELECT slug, series, value, status, source_slug FROM v_trade",
        "relations": "SELECT slug, subject_slug, predicate, object_slug, claimed_by_slug "
        "FROM v_relations",
        "evidence": "SELECT fact_kind, fact_slug, source_slug, quote, quote_start, field "
        "FROM v_evidence",
        "sources": "SELECT slug, title, text_sha256 FROM sources",
    }
    with engine.connect() as conn:
        return {
            name: sorted(repr(tuple(row)) for row in conn.exec_driver_sql(sql))
            for name, sql in queries.items()
        }


def test_eight_concurrent_loaders_equal_one_sequential_load(
    pg_admin_url: str, tmp_path: Path
) -> None:
    seeds = copy_seeds(tmp_path)
    # every subset holds the article and the original it reposts, which the others build on
    base = [f"{ARTICLE}.yaml", "novinite-radev-japanese-investments.yaml"]
    others = sorted(p.name for p in seeds.glob("*.yaml") if p.name not in base)
    subsets = []
    for i in range(8):
        chosen = {others[i % len(others)], others[(i * 3 + 1) % len(others)]}
        subsets.append([str(seeds / n) for n in [*base, *sorted(chosen)]])
    assert set().union(*[set(s) for s in subsets]) >= {str(seeds / n) for n in others}

    concurrent_url = create_pg_database(pg_admin_url)
    sequential_url = create_pg_database(pg_admin_url)
    try:
        migrate.upgrade(make_engine(concurrent_url))
        env = {**os.environ, "FACTDB_URL": concurrent_url}
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "factdb", "seed", *subset],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for subset in subsets
        ]
        results = [p.communicate(timeout=300) for p in procs]
        for proc, (_, err) in zip(procs, results, strict=True):
            assert proc.returncode == 0, err
            assert "Traceback" not in err
        sequential = make_engine(sequential_url)
        migrate.upgrade(sequential)
        from factdb.factfiles.loader import load

        load(sequential, [seeds])
        assert _content(make_engine(concurrent_url)) == _content(sequential)
    finally:
        drop_pg_database(pg_admin_url, concurrent_url)
        drop_pg_database(pg_admin_url, sequential_url)
