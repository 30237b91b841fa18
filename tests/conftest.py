"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL server.

PostgreSQL comes from ``$FACTDB_TEST_PG_URL`` when set, else from a throwaway server started with
``pgserver`` for each xdist worker. There is no skip: if no server
can be had, the PostgreSQL half errors, so a green run always means both backends passed.
"""

from __future__ import annotations

import fcntl
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from factdb.config import normalise_url
from factdb.db import make_engine

BACKENDS = ["sqlite", "postgresql"]
_db_counter = itertools.count()


@pytest.fixture(autouse=True)
def _isolated_default_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches a real database by accident: the default points into tmp_path."""
    monkeypatch.setenv("FACTDB_URL", f"sqlite:///{tmp_path / 'default.sqlite3'}")


def _run_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by every process of this test run: the xdist workers' common parent,
    or the session's own base directory without xdist."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextmanager
def _exclusive(lock: Path) -> Iterator[None]:
    """One process of the run at a time (an advisory lock on ``lock``)."""
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A superuser URL on a PostgreSQL server for the whole session.

    ``$FACTDB_TEST_PG_URL`` when set, else a throwaway server started with ``pgserver`` for
    this process: each xdist worker has its own, because roles and transaction snapshots are
    the whole server's, and tests of one worker must not see another's.
    """
    given = os.environ.get("FACTDB_TEST_PG_URL")
    if given:
        yield normalise_url(given)
        return
    import pgserver

    with tempfile.TemporaryDirectory(prefix="factdb-pg-") as data_dir:
        server = pgserver.get_server(data_dir, cleanup_mode="stop")
        # The server listens on a socket directory; libpq finds it through PGHOST, which keeps
        # the URL free of escaped paths (Alembic's ini parser chokes on "%2F").
        url = make_url(normalise_url(server.get_uri()))
        os.environ["PGHOST"] = str(url.query["host"])
        admin_url = url.difference_update_query(["host"]).render_as_string(hide_password=False)
        _throwaway_settings(admin_url)
        try:
            yield admin_url
        finally:
            server.cleanup()


def _throwaway_settings(admin_url: str) -> None:
    """A server thrown away after the run need not survive a power cut: no fsync, no waiting
    for the WAL to reach the disk. Creating and dropping each test's database is then a few
    milliseconds instead of a few hundred. Never applied to a server given by URL."""
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        for setting in ("fsync", "synchronous_commit", "full_page_writes"):
            conn.exec_driver_sql(f"ALTER SYSTEM SET {setting} = off")
        conn.exec_driver_sql("SELECT pg_reload_conf()")
    admin.dispose()


def quickstart_file(path: Path) -> Path:
    """A SQLite database at ``path`` made by ``factdb quickstart`` as a user makes it: in a
    process of its own, which on exit checkpoints the WAL, so the file alone holds everything
    (a copy of it is complete) and no ``-wal``/``-shm`` file is left beside it."""
    done = subprocess.run(
        [sys.executable, "-m", "factdb", "quickstart", "--db", str(path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return path


def create_pg_database(admin_url: str, template: str | None = None) -> str:
    """Create an empty database (or a copy of ``template``) and return its URL."""
    name = f"factdb_test_{os.getpid()}_{next(_db_counter)}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        copy = f' TEMPLATE "{template}"' if template else ""
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
    admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(admin_url: str, url: str) -> None:
    name = make_url(url).database
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


#: fixtures that give the test's database the content of the template of the same name
TEMPLATE_FIXTURES = ("seeded", "migrated")


@pytest.fixture
def db_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """The URL of the test's own database: empty, or, when the test also asks for ``seeded``
    or ``migrated``, made as a copy of that template (one copy, not an empty database first)."""
    level = next((name for name in TEMPLATE_FIXTURES if name in request.fixturenames), None)
    templates: Templates | None = request.getfixturevalue("templates") if level else None
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        if templates and level:
            templates.copy_sqlite(level, url)
        yield url
        return
    admin_url = request.getfixturevalue("pg_admin_url")
    url = templates.new_pg_database(level) if templates and level else create_pg_database(admin_url)
    try:
        yield url
    finally:
        drop_pg_database(admin_url, url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a fresh, empty database."""
    eng = make_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


class Templates:
    """Databases built once per test run and copied for each test that needs one.

    Migrating and seeding take most of a database test's time; a copy takes milliseconds (a file
    copy on SQLite, ``CREATE DATABASE ... TEMPLATE`` on PostgreSQL). The first process of the
    run to need a SQLite template builds it, under a lock, and the other xdist workers copy the
    same file; each process builds its PostgreSQL templates on its own server.
    Every test still gets a database of its own, so tests that write are as isolated as before.

    Levels: ``migrated`` (the schema at head), ``seeded`` (plus the bundled seeds), ``corpus``
    (the seeds and the test corpus of other country pairs, tests/corpus).
    """

    def __init__(self, directory: Path, request: pytest.FixtureRequest) -> None:
        self.directory = directory
        self.request = request
        self.built: dict[tuple[str, str], str] = {}

    def url(self, backend: str, level: str) -> str:
        """The URL of the template database for ``backend`` at ``level``."""
        key = (backend, level)
        if key in self.built:
            return self.built[key]
        if backend != "sqlite":  # each process has a server of its own (``pg_admin_url``)
            self.built[key] = self._build(backend, level)
            return self.built[key]
        with _exclusive(self.directory / f"{backend}-{level}.lock"):
            made = self.directory / f"{backend}-{level}.url"
            if not made.exists():
                made.write_text(self._build(backend, level))
            self.built[key] = made.read_text()
        return self.built[key]

    def _build(self, backend: str, level: str) -> str:
        from factdb.factfiles.loader import load
        from factdb.migrate import upgrade

        # the loaded levels start from a copy of the migrated template: one migration per run
        loaded = level != "migrated"
        if backend == "sqlite":
            url = f"sqlite:///{self.directory / f'template-{level}.sqlite3'}"
            if loaded:
                self.copy_sqlite("migrated", url)
        elif loaded:
            url = self.new_pg_database("migrated")
        else:
            url = create_pg_database(self.request.getfixturevalue("pg_admin_url"))
        eng = make_engine(url)
        try:
            if level == "migrated":
                upgrade(eng)
            elif level == "seeded":
                load(eng)
            else:
                here = Path(__file__).resolve().parent
                load(eng, [here.parent / "seeds", here / "corpus"])
        finally:
            eng.dispose()  # no connection may stay open on a template
        return url

    def new_pg_database(self, level: str) -> str:
        """The URL of a new PostgreSQL database made as a copy of the template at ``level``;
        the caller drops it."""
        template = make_url(self.url("postgresql", level)).database
        return create_pg_database(self.request.getfixturevalue("pg_admin_url"), template)

    def copy_sqlite(self, level: str, url: str) -> None:
        """Make the SQLite database at ``url`` a copy of the template at ``level``."""
        source = make_url(self.url("sqlite", level)).database or ""
        shutil.copyfile(source, make_url(url).database or "")


@pytest.fixture(scope="session")
def templates(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Templates:
    directory = _run_directory(tmp_path_factory) / "templates"
    directory.mkdir(exist_ok=True)
    return Templates(directory, request)


def _engine_on(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def migrated(db_url: str) -> Iterator[Engine]:
    """An engine on the test's database (``db_url``), migrated to head: a template's copy."""
    yield from _engine_on(db_url)


@pytest.fixture
def seeded(db_url: str) -> Iterator[Engine]:
    """An engine on the test's database (``db_url``) holding the bundled seeds: a template's
    copy."""
    yield from _engine_on(db_url)


@pytest.fixture(scope="module", params=BACKENDS)
def corpus(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    templates: Templates,
) -> Iterator[Engine]:
    """One database per backend for a test module: the bundled seeds and the test corpus of
    other country pairs (tests/corpus), loaded together (a copy of the ``corpus`` template)."""
    admin_url = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('corpus') / 'corpus.sqlite3'}"
        templates.copy_sqlite("corpus", url)
    else:
        admin_url = request.getfixturevalue("pg_admin_url")
        url = templates.new_pg_database("corpus")
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        if admin_url is not None:
            drop_pg_database(admin_url, url)
