"""A shared PostgreSQL database: roles, locked migrations and concurrent loaders, on a real
server. (These are PostgreSQL's alone; every other database test runs on both backends.)"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from typer.testing import CliRunner

from factdb import migrate
from factdb.cli import app
from factdb.db import make_engine
from factdb.doctor import diagnose
from factdb.errors import MigrationLocked
from factdb.roles import Kind, ReaderLimits, RoleNames, add_user, create_roles
from tests.conftest import create_pg_database, drop_pg_database
from tests.factfiles_helpers import ARTICLE, copy_seeds

ROLES = RoleNames()
_user_counter = itertools.count()


@pytest.fixture
def pg_url(pg_admin_url: str) -> Iterator[str]:
    url = create_pg_database(pg_admin_url)
    try:
        yield url
    finally:
        drop_pg_database(pg_admin_url, url)


@pytest.fixture
def shared(pg_url: str) -> Engine:
    """A database set up as the docs say: groups first, then migrations run as the owner."""
    admin = make_engine(pg_url)
    create_roles(admin)
    migrate.upgrade(admin, settings=migrate.MigrationSettings(role=ROLES.owner))
    return admin


@pytest.fixture
def new_user(shared: Engine) -> Iterator[Callable[..., str]]:
    """Adds LOGIN users (one per person) with ``add_user``; drops them afterwards."""
    made: list[str] = []

    def make(kind: Kind, **kwargs: Any) -> str:
        name = f"u{os.getpid()}_{next(_user_counter)}_{kind}"
        add_user(shared, name, kind, **kwargs)
        made.append(name)
        return name

    yield make
    with shared.begin() as conn:
        for name in made:
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = :u"
                ),
                {"u": name},
            )
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')


def as_user(url: str, user: str, **query: str) -> Engine:
    """An engine logged in as ``user``; no pool, so nothing outlives the test."""
    target = make_url(url).set(username=user).update_query_dict(query)
    return make_engine(target.render_as_string(hide_password=False), poolclass=sa.pool.NullPool)


def refused(engine: Engine, statements: list[str]) -> list[str]:
    """Statements that were NOT refused, each tried in its own savepoint, with read-only off."""
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


def messages(engine: Engine) -> list[str]:
    return [f.message for f in diagnose(engine)]


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
    found = messages(shared)
    assert any(m.startswith("stray is owned by") for m in found)
    assert f"{ROLES.reader} lacks SELECT on entities" in found


def test_groups_cannot_log_in_and_users_are_one_per_person(
    shared: Engine, pg_url: str, new_user: Callable[..., str]
) -> None:
    for group in (ROLES.owner, ROLES.writer, ROLES.reader):
        with pytest.raises(sa.exc.OperationalError, match="not permitted to log in"):
            as_user(pg_url, group).connect().close()
    alice = new_user("reader")
    with shared.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT rolcanlogin, rolinherit, pg_has_role(oid, :r, 'MEMBER'), "
                "pg_has_role(oid, :w, 'MEMBER') FROM pg_roles WHERE rolname = :u"
            ),
            {"u": alice, "r": ROLES.reader, "w": ROLES.writer},
        ).one()
    assert tuple(row) == (True, True, True, False)
    add_user(shared, alice, "reader")  # again: idempotent
    create_roles(shared)
    assert diagnose(shared) == []


def test_reader_can_only_read(shared: Engine, pg_url: str, new_user: Callable[..., str]) -> None:
    from factdb.factfiles.loader import load

    load(shared)
    reader = as_user(pg_url, new_user("reader"))
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
            "UPDATE alembic_version SET version_num = '0001'",
        ],
    )
    assert allowed == []


def test_a_reader_cannot_lift_anyone_elses_limits(
    shared: Engine, pg_url: str, new_user: Callable[..., str]
) -> None:
    alice, bob = new_user("reader"), new_user("reader")
    allowed = refused(
        as_user(pg_url, alice),
        [
            f"ALTER ROLE {ROLES.reader} SET statement_timeout = 0",
            f"ALTER ROLE {ROLES.reader} RESET default_transaction_read_only",
            f"ALTER ROLE {ROLES.reader} PASSWORD 'x'",
            f"ALTER ROLE {bob} SET statement_timeout = 0",
            f"ALTER ROLE {bob} RESET default_transaction_read_only",
            f"ALTER ROLE {bob} PASSWORD 'x'",
            f"ALTER ROLE {ROLES.reader} LOGIN",
        ],
    )
    assert allowed == []
    assert diagnose(shared) == []
    # what a reader may do to itself stays with itself, and the doctor sees it
    with as_user(pg_url, alice).connect() as conn:
        conn.exec_driver_sql("SET default_transaction_read_only = off")
        conn.commit()
        conn.exec_driver_sql(f"ALTER ROLE {alice} SET statement_timeout = 0")
        conn.exec_driver_sql(f"ALTER ROLE {alice} RESET default_transaction_read_only")
        conn.exec_driver_sql(
            f"ALTER ROLE {alice} IN DATABASE {make_url(pg_url).database} SET work_mem = '1GB'"
        )
        conn.exec_driver_sql(f"ALTER ROLE {alice} PASSWORD 'changed'")
        conn.commit()
    with as_user(pg_url, bob).connect() as conn:
        assert conn.exec_driver_sql("SHOW statement_timeout").scalar() == "30s"
        assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
    found = messages(shared)
    assert any(m.startswith(f"{alice} has statement_timeout = 0, factdb set 30000") for m in found)
    assert any(m.startswith(f"{alice} has default_transaction_read_only = (unset)") for m in found)
    assert any(m.startswith(f"{alice} has work_mem = 1GB in this database") for m in found)
    assert any(m.startswith(f"{alice}'s password changed") for m in found)
    assert not any(bob in m for m in found)
    with shared.begin() as conn:
        conn.exec_driver_sql(f"GRANT pg_signal_backend, {ROLES.writer} TO {bob}")
    found = messages(shared)
    assert f"{bob} is a member of {ROLES.reader}, {ROLES.writer}; one only" in found
    assert any(m.startswith(f"{bob} is also a member of pg_signal_backend") for m in found)
    with shared.begin() as conn:
        conn.exec_driver_sql(f"REVOKE pg_signal_backend, {ROLES.writer} FROM {bob}")
    # and even with its read-only default gone, the reader cannot write
    assert refused(as_user(pg_url, alice), ["DELETE FROM evidence"]) == []
    add_user(shared, alice, "reader")  # the admin puts it back
    assert diagnose(shared) == []


def test_reader_has_a_statement_timeout(
    shared: Engine, pg_url: str, new_user: Callable[..., str]
) -> None:
    reader = as_user(pg_url, new_user("reader", limits=ReaderLimits(statement_timeout_ms=300)))
    with reader.connect() as conn:
        assert conn.exec_driver_sql("SHOW default_transaction_read_only").scalar() == "on"
        assert conn.exec_driver_sql("SHOW idle_in_transaction_session_timeout").scalar() == "1min"
        with pytest.raises(sa.exc.OperationalError, match="statement timeout"):
            conn.exec_driver_sql("SELECT pg_sleep(5)")


def test_reader_cannot_create_large_objects(
    shared: Engine, pg_url: str, new_user: Callable[..., str]
) -> None:
    statements = [
        "SELECT lo_from_bytea(0, repeat('x', 1000)::bytea)",
        "SELECT lo_create(0)",
        "SELECT lo_creat(-1)",
        "SELECT lo_import('/etc/hostname')",
    ]
    assert refused(as_user(pg_url, new_user("reader")), statements) == []
    assert refused(as_user(pg_url, new_user("writer")), statements) == []
    assert refused(shared, statements[:1]) == statements[:1], "the admin still may"


def test_a_reader_cannot_end_another_readers_session(
    shared: Engine, pg_url: str, new_user: Callable[..., str]
) -> None:
    alice, bob = new_user("reader"), new_user("reader")
    with as_user(pg_url, bob).connect() as victim:
        pid = victim.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with as_user(pg_url, alice).connect() as conn:
            for function in ("pg_terminate_backend", "pg_cancel_backend"):
                with pytest.raises(sa.exc.DBAPIError, match="permission denied"):
                    conn.exec_driver_sql(f"SELECT {function}({pid})")
                conn.rollback()
        assert victim.exec_driver_sql("SELECT 1").scalar() == 1


def test_reader_cannot_take_the_migration_lock(
    shared: Engine, pg_url: str, new_user: Callable[..., str]
) -> None:
    key = migrate.ADVISORY_LOCK_KEY
    statements = [
        f"SELECT pg_advisory_lock({key})",
        f"SELECT pg_try_advisory_lock({key})",
        f"SELECT pg_advisory_xact_lock({key})",
        f"SELECT pg_advisory_lock_shared({key})",
        f"SELECT pg_advisory_lock({key >> 32}, {key & 0xFFFFFFFF})",
    ]
    assert refused(as_user(pg_url, new_user("reader")), statements) == []
    assert refused(as_user(pg_url, new_user("writer")), statements[:1]) == statements[:1]


def test_doctor_and_upgrade_name_the_session_holding_the_lock(
    shared: Engine, pg_url: str, new_user: Callable[..., str]
) -> None:
    writer = new_user("writer")
    holder = as_user(pg_url, writer, application_name="stuck-loader").connect()
    try:
        holder.exec_driver_sql(f"SELECT pg_advisory_lock({migrate.ADVISORY_LOCK_KEY})")
        holder.commit()
        pid = holder.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        settings = migrate.MigrationSettings(lock_wait_s=0.3, role=ROLES.owner)
        with pytest.raises(MigrationLocked) as raised:
            migrate.upgrade(shared, settings=settings)
        for part in (f"pid {pid}", f"user {writer}", "application stuck-loader", "since"):
            assert part in str(raised.value)
        [finding] = [f for f in diagnose(shared) if f.check == "migration lock"]
        assert f"pid {pid}" in finding.message and "stuck-loader" in finding.message
    finally:
        holder.close()
    assert diagnose(shared) == []


def test_writer_cannot_move_the_migration_state(
    shared: Engine, pg_url: str, new_user: Callable[..., str]
) -> None:
    from factdb.factfiles.loader import load

    writer = as_user(pg_url, new_user("writer"))
    allowed = refused(
        writer,
        [
            "UPDATE alembic_version SET version_num = '0001'",
            "DELETE FROM alembic_version",
            "INSERT INTO alembic_version VALUES ('9999')",
            "TRUNCATE alembic_version",
        ],
    )
    assert allowed == []
    # a later migration's tables still reach the writer through default privileges
    with shared.begin() as conn:
        conn.exec_driver_sql(f"SET LOCAL ROLE {ROLES.owner}")
        conn.exec_driver_sql("CREATE TABLE later (id integer)")
    assert refused(writer, ["INSERT INTO later VALUES (1)"]) == ["INSERT INTO later VALUES (1)"]
    load(writer)
    with shared.begin() as conn:
        conn.exec_driver_sql(f"GRANT UPDATE ON alembic_version TO {ROLES.writer}")
    assert any("may UPDATE alembic_version" in m for m in messages(shared))


def test_writer_writes_rows_but_no_ddl(
    shared: Engine, pg_url: str, new_user: Callable[..., str]
) -> None:
    writer = as_user(pg_url, new_user("writer"))
    from factdb.factfiles.loader import load

    report = load(writer)
    assert report.tables["entities"].inserted == 43  # with AloJapan.com, the byline
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


def test_only_the_owner_migrates(shared: Engine, pg_url: str, new_user: Callable[..., str]) -> None:
    migrate.downgrade(shared, "0002", migrate.MigrationSettings(role=ROLES.owner))
    for kind in ("reader", "writer"):
        url = as_user(pg_url, new_user(kind)).url.render_as_string(hide_password=False)
        for command in (
            ["db", "upgrade"],
            ["db", "downgrade", "base", "--yes"],
            ["db", "roles"],
            ["db", "roles", "add-user", "mallory", "--owner"],
        ):
            result = CliRunner().invoke(app, [*command, "--db", url])
            assert result.exit_code == 4, (kind, command, result.stderr)
            assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
            assert "Traceback" not in result.stderr
        assert "--as-role" in CliRunner().invoke(app, ["db", "upgrade", "--db", url]).stderr
    assert migrate.current_revisions(shared) == ["0002"]
    # a user added as an owner migrates without --as-role, and what it creates is the owner's
    url = as_user(pg_url, new_user("owner")).url.render_as_string(hide_password=False)
    result = CliRunner().invoke(app, ["db", "upgrade", "--db", url])
    assert result.exit_code == 0, result.stderr
    assert migrate.current_revisions(shared) == migrate.head_revisions()
    assert diagnose(shared) == []


def test_add_user_from_the_command_line(shared: Engine, pg_url: str) -> None:
    names = [f"u{os.getpid()}_{next(_user_counter)}_cli" for _ in range(2)]
    runner = CliRunner()
    try:
        result = runner.invoke(
            app, ["db", "roles", "add-user", names[0], "--reader", "--db", pg_url]
        )
        assert result.exit_code == 0, result.stderr
        [generated] = [
            line.split(": ", 1)[1] for line in result.stdout.splitlines() if "shown once" in line
        ]
        assert len(generated) >= 20
        result = runner.invoke(
            app,
            ["db", "roles", "add-user", names[1], "--writer", "--password-stdin", "--db", pg_url],
            input="from stdin\n",
        )
        assert result.exit_code == 0, result.stderr
        assert "shown once" not in result.stdout
        again = runner.invoke(
            app, ["db", "roles", "add-user", names[0], "--reader", "--db", pg_url]
        )
        assert again.exit_code == 0 and "shown once" not in again.stdout, "keeps the password"
        with shared.connect() as conn:
            stored = dict(
                conn.execute(
                    sa.text("SELECT rolname, rolpassword FROM pg_authid WHERE rolname = ANY(:n)"),
                    {"n": names},
                ).all()
            )
        assert all(stored[name] for name in names)
        assert diagnose(shared) == []
        for wrong in ([], ["--reader", "--writer"]):
            result = runner.invoke(app, ["db", "roles", "add-user", "x", *wrong, "--db", pg_url])
            assert result.exit_code == 2 and "exactly one of" in result.stderr
    finally:
        with shared.begin() as conn:
            for name in names:
                conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{name}"')


def test_old_shared_logins_become_groups(pg_url: str) -> None:
    legacy = RoleNames.with_prefix(f"legacy{os.getpid()}")
    admin = make_engine(pg_url)
    with admin.begin() as conn:  # what an older factdb made: shared logins with settings
        for name in (legacy.owner, legacy.writer, legacy.reader):
            conn.exec_driver_sql(f"CREATE ROLE {name} LOGIN PASSWORD 'shared'")
        conn.exec_driver_sql(f"ALTER ROLE {legacy.reader} SET statement_timeout = 30000")
        conn.exec_driver_sql(f"GRANT CREATE ON SCHEMA public TO {legacy.owner}")
    try:
        migrate.upgrade(admin, settings=migrate.MigrationSettings(role=legacy.owner))
        assert any("can log in" in f.message for f in diagnose(admin, legacy))
        create_roles(admin, legacy)
        with admin.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT a.rolcanlogin, a.rolpassword IS NULL, r.rolconfig FROM pg_authid a "
                    "JOIN pg_roles r ON r.oid = a.oid WHERE a.rolname = ANY(:n)"
                ),
                {"n": [legacy.owner, legacy.writer, legacy.reader]},
            ).all()
        assert [tuple(r) for r in rows] == [(False, True, None)] * 3
        assert diagnose(admin, legacy) == []
    finally:
        with admin.begin() as conn:
            for name in (legacy.owner, legacy.writer, legacy.reader):
                conn.exec_driver_sql(f"DROP OWNED BY {name} CASCADE")
            conn.exec_driver_sql(f"DROP ROLE {legacy.owner}, {legacy.writer}, {legacy.reader}")


def test_roles_print_sql(pg_url: str) -> None:
    result = CliRunner().invoke(app, ["db", "roles", "--print-sql", "--db", pg_url])
    assert result.exit_code == 0
    assert 'ALTER DEFAULT PRIVILEGES FOR ROLE "factdb_owner"' in result.stdout
    assert 'CREATE ROLE "factdb_reader" NOLOGIN' in result.stdout
    assert "REVOKE EXECUTE ON FUNCTION pg_catalog.lo_from_bytea(oid, bytea) FROM PUBLIC" in (
        result.stdout
    )
    result = CliRunner().invoke(
        app, ["db", "roles", "add-user", "alice", "--reader", "--print-sql", "--db", pg_url]
    )
    assert result.exit_code == 0
    assert "default_transaction_read_only = 'on'" in result.stdout
    assert 'GRANT "factdb_reader" TO "alice"' in result.stdout


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


def test_a_writers_direct_sql_is_recorded_and_history_cannot_be_forged(
    shared: Engine, pg_url: str, new_user: Callable[..., str]
) -> None:
    from factdb.factfiles.loader import load
    from factdb.history import changes, history

    name = new_user("writer")
    writer = as_user(pg_url, name)
    load(writer)
    with writer.begin() as conn:
        # pointing the transaction at the load's changeset does not file the change under it
        conn.exec_driver_sql("SELECT set_config('factdb_history.changeset', '1', true)")
        conn.exec_driver_sql("UPDATE entities SET name = 'Nippon' WHERE slug = 'japan'")
        conn.exec_driver_sql("UPDATE entities SET name = name WHERE slug = 'bulgaria'")
    with writer.begin() as conn:
        conn.exec_driver_sql("DELETE FROM entity_aliases WHERE name = 'Republic of Bulgaria'")
    with writer.connect() as conn:
        listed = changes(conn)
        versions = history(conn, "japan")
    assert [(c.command, c.db_user) for c in listed] == [
        ("factdb seed", name),
        ("sql", name),
        ("sql", name),
    ]
    assert listed[1].versions == {"entities": {"update": 1}}, "a no-op update keeps nothing"
    # the alias goes with the record of which source declared it (a cascade, kept too)
    assert listed[2].versions == {
        "entity_aliases": {"delete": 1},
        "entity_alias_declarations": {"delete": 1},
    }
    assert [(v.state, v.values["name"], v.made_by) for v in versions] == [
        ("current", "Nippon", listed[1].id),
        ("replaced", "Japan", listed[0].id),
    ]
    # the writer reads the history but can neither write, erase nor truncate it, nor a table,
    # also after the roles are set up again (which grants the writer every table)
    create_roles(shared)
    allowed = refused(
        writer,
        [
            "INSERT INTO changesets (at, db_user, command, files, counts) "
            "VALUES (now(), 'x', 'x', '[]', '{}')",
            "UPDATE changesets SET db_user = 'someone else'",
            "DELETE FROM row_versions",
            "UPDATE row_versions SET old_row = '{}'",
            "TRUNCATE row_versions",
            "TRUNCATE entities CASCADE",
        ],
    )
    assert allowed == []
    # even the owner's TRUNCATE is refused: it would bypass the history
    with (
        pytest.raises(sa.exc.DBAPIError, match="would bypass its history"),
        shared.begin() as conn,
    ):
        conn.exec_driver_sql("TRUNCATE trade_derivations")
    assert messages(shared) == []
