"""The migration history on both backends: pytest-alembic's checks, rollback and rebuilds."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.config import Config
from pytest_alembic.tests import (
    test_model_definitions_match_ddl,
    test_single_head_revision,
    test_up_down_consistency,
    test_upgrade,
)
from pytest_alembic.tests.experimental import (
    test_all_models_register_on_metadata,
    test_downgrade_leaves_no_trace,
)
from sqlalchemy.engine import Engine

from factdb import migrate
from factdb.db import make_engine

__all__ = [
    "test_all_models_register_on_metadata",
    "test_downgrade_leaves_no_trace",
    "test_model_definitions_match_ddl",
    "test_single_head_revision",
    "test_up_down_consistency",
    "test_upgrade",
]


@pytest.fixture
def alembic_config() -> Config:
    return migrate.alembic_config()


@pytest.fixture
def alembic_engine(engine: Engine) -> Engine:
    return engine


def _history_with(tmp_path: Path, body: str) -> Path:
    """A copy of the real history plus one extra revision whose upgrade() is ``body``."""
    location = tmp_path / "history"
    shutil.copytree(
        migrate.migrations_dir(), location, ignore=shutil.ignore_patterns("__pycache__")
    )
    heads = migrate.head_revisions()
    (location / "versions" / "9999_extra.py").write_text(
        textwrap.dedent(
            f'''
            """An extra revision for a test."""
            import sqlalchemy as sa
            from alembic import op

            revision = "9999"
            down_revision = {heads[0]!r}
            branch_labels = None
            depends_on = None


            def upgrade() -> None:
            '''
        )
        + textwrap.indent(textwrap.dedent(body), "    ")
        + "\n\ndef downgrade() -> None:\n    pass\n"
    )
    return location


def _upgrade_with(
    engine: Engine,
    location: Path,
    revision: str = "heads",
    settings: migrate.MigrationSettings | None = None,
) -> None:
    from alembic import command

    with engine.connect() as conn:
        config = migrate.alembic_config(conn, settings=settings)
        config.set_main_option("script_location", str(location))
        command.upgrade(config, revision)
        if conn.in_transaction():
            conn.commit()


def test_failing_migration_on_sqlite_rolls_back_completely(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    location = _history_with(
        tmp_path,
        """
        op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
        op.execute("INSERT INTO no_such_table VALUES (1)")
        """,
    )
    with pytest.raises(sa.exc.OperationalError):
        _upgrade_with(engine, location)
    tables = set(sa.inspect(engine).get_table_names())
    assert "half_done" not in tables
    assert "entities" not in tables, "the whole upgrade from base is one transaction"
    assert migrate.current_revisions(engine) == []


def test_failing_migration_keeps_the_old_revision(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    migrate.upgrade(engine)
    location = _history_with(
        tmp_path,
        """
        op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
        op.execute("SELECT no_such_function()")
        """,
    )
    with pytest.raises(sa.exc.OperationalError):
        _upgrade_with(engine, location)
    assert "half_done" not in sa.inspect(engine).get_table_names()
    assert migrate.current_revisions(engine) == migrate.head_revisions()


def test_table_rebuild_keeps_child_rows_and_checks(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO entities (id, slug, kind, name) "
            "VALUES (1, 'bulgaria', 'country', 'Bulgaria')"
        )
        conn.exec_driver_sql(
            "INSERT INTO entity_aliases (entity_id, name, language) VALUES (1, 'Bulgarie', 'fr')"
        )
    location = _history_with(
        tmp_path,
        """
        with op.batch_alter_table("entities", recreate="always") as batch:
            batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        op.get_context().script.get_revision("0012").module.restore_sqlite_triggers("entities")
        """,
    )
    _upgrade_with(engine, location)
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM entity_aliases").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        assert conn.exec_driver_sql("SELECT count(*) FROM v_entities").scalar() == 1
        # the search triggers of the rebuilt table are back, and the index still finds it
        conn.exec_driver_sql(
            "INSERT INTO entities (slug, kind, name) VALUES ('jp', 'country', 'Japan')"
        )
        hits = conn.exec_driver_sql(
            "SELECT count(*) FROM fts_search WHERE fts_search MATCH 'japan OR bulgaria'"
        ).scalar()
        assert hits == 2
        with pytest.raises(sa.exc.IntegrityError):
            conn.exec_driver_sql(
                "INSERT INTO entities (slug, kind, name) VALUES ('x', 'planet', 'X')"
            )


def _search_triggers(engine: Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(
            conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'fts_%'"
            ).all()
        )


def test_every_revision_keeps_the_search_triggers(tmp_path: Path) -> None:
    """Upgraded one revision at a time, every revision after 0003 leaves its triggers as they
    were (0012 replaces them): a revision that rebuilds a searched table puts them back
    itself."""
    from alembic.script import ScriptDirectory

    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    script = ScriptDirectory.from_config(migrate.alembic_config())
    revisions = [r.revision for r in reversed(list(script.walk_revisions()))]
    built: dict[str, str] = {}
    for revision in revisions:
        migrate.upgrade(engine, revision)
        if revision in ("0003", "0012"):
            assert _search_triggers(engine) != built
            built = _search_triggers(engine)
            assert len(built) == 12
        elif built:
            assert _search_triggers(engine) == built, f"revision {revision} lost triggers"
    assert built, "revision 0003 was reached"


def test_a_rebuild_that_does_not_restore_triggers_loses_them(tmp_path: Path) -> None:
    """Nothing after the revisions repairs the search triggers: the check above is not idle."""
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    migrate.upgrade(engine)
    before = _search_triggers(engine)
    location = _history_with(
        tmp_path,
        """
        with op.batch_alter_table("entities", recreate="always") as batch:
            batch.add_column(sa.Column("note", sa.Text(), nullable=True))
        """,
    )
    _upgrade_with(engine, location)
    lost = set(before) - set(_search_triggers(engine))
    assert lost == {"fts_entities_insert", "fts_entities_delete", "fts_entities_update"}


#: what env.py may take from factdb: connection plumbing, errors, and the models' metadata
ENV_MAY_IMPORT = {"factdb.config", "factdb.db", "factdb.errors", "factdb.migrate", "factdb.models"}


def _factdb_imports(path: Path) -> set[str]:
    import ast

    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "factdb"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "factdb":
            found.add(str(node.module))
        elif isinstance(node, ast.Constant) and str(node.value).startswith("factdb."):
            found.add(str(node.value))  # importlib.import_module("factdb...")
    return found


def test_migrations_stand_alone() -> None:
    """No revision imports factdb; env.py only its connection plumbing and metadata."""
    directory = migrate.migrations_dir()
    revisions = sorted((directory / "versions").glob("*.py"))
    assert revisions
    for path in revisions:
        assert _factdb_imports(path) == set(), path
    assert _factdb_imports(directory / "env.py") <= ENV_MAY_IMPORT
    others = set(directory.rglob("*.py")) - set(revisions) - {directory / "env.py"}
    for path in others:
        assert _factdb_imports(path) == set(), path


def test_the_import_scan_sees_imports(tmp_path: Path) -> None:
    path = tmp_path / "r.py"
    path.write_text(
        "import factdb.search_index\nfrom factdb import models\n"
        "import importlib\nimportlib.import_module('factdb.x')\nimport os\n"
    )
    assert _factdb_imports(path) == {"factdb.search_index", "factdb", "factdb.x"}


def test_foreign_key_violation_rolls_the_migration_back(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite3'}")
    migrate.upgrade(engine)
    location = _history_with(
        tmp_path,
        """
        op.execute("INSERT INTO entity_aliases (entity_id, name, language) VALUES (42, 'x', 'und')")
        op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))
        """,
    )
    with pytest.raises(Exception, match="break foreign keys"):
        _upgrade_with(engine, location)
    assert "half_done" not in sa.inspect(engine).get_table_names()
    with engine.begin() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM entity_aliases").scalar() == 0
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_check_reports_drift(migrated: Engine) -> None:
    migrate.check(migrated)
    with migrated.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE stray (id INTEGER PRIMARY KEY)")
    from factdb.errors import SchemaDrift

    with pytest.raises(SchemaDrift, match="stray"):
        migrate.check(migrated)


def test_unknown_revision_is_a_user_error(migrated: Engine) -> None:
    from factdb.errors import UnknownRevision

    with pytest.raises(UnknownRevision):
        migrate.upgrade(migrated, "nope")


def _downgrade(*args: str) -> tuple[int, str, str]:
    from typer.testing import CliRunner

    from factdb.cli import app

    result = CliRunner().invoke(app, ["db", "downgrade", *args])
    return result.exit_code, result.stdout, result.stderr


def test_a_downgrade_that_drops_data_needs_yes(seeded: Engine, db_url: str) -> None:
    code, _, err = _downgrade("base", "--db", db_url)
    assert code == 2, err
    assert err.startswith("Error: ") and err.count("\n") == 1
    assert "entities (43 rows)" in err and "--yes" in err
    assert migrate.current_revisions(seeded) == migrate.head_revisions()
    code, _, err = _downgrade("0005", "--db", db_url)  # drops the entity declarations' rows
    assert code == 2 and "entity_declarations (" in err, err
    code, _, err = _downgrade("0005", "--db", db_url, "--yes")
    assert code == 0, err
    # the seeds hold trade figures whose status the schema before 0005 cannot hold
    code, _, err = _downgrade("0004", "--db", db_url, "--yes")
    assert code == 1 and err.count("\n") == 1, err
    assert err.startswith("Error: cannot downgrade below 0005") and "not_stated" in err
    code, _, err = _downgrade("base", "--db", db_url, "--yes")
    assert code == 0, err
    assert migrate.current_revisions(seeded) == []


def test_downgrade_to_base_on_postgresql_always_asks(migrated: Engine, db_url: str) -> None:
    code, _, err = _downgrade("base", "--db", db_url)
    if migrated.dialect.name == "postgresql":
        assert code == 2 and "drops every table" in err
        assert migrate.current_revisions(migrated) == migrate.head_revisions()
    else:
        assert code == 0, "an empty SQLite file loses nothing"


def _answer_in_terminal(answer: str, *args: str) -> tuple[int, str]:
    """Run ``factdb ARGS`` on a pseudo-terminal and type ``answer`` at its question."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "factdb", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    seen, answered = b"", False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if select.select([master], [], [], 0.1)[0]:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        elif proc.poll() is not None:
            break
        if not answered and b"Continue?" in seen:
            os.write(master, answer.encode() + b"\n")
            answered = True
    os.close(master)
    return proc.wait(timeout=10), seen.decode(errors="replace")


def test_downgrade_asks_on_a_terminal(seeded: Engine, db_url: str) -> None:
    code, text = _answer_in_terminal("n", "db", "downgrade", "base", "--db", db_url)
    assert code == 1 and "entities (43 rows)" in text and "cancelled" in text
    assert migrate.current_revisions(seeded) == migrate.head_revisions()
    code, text = _answer_in_terminal("y", "db", "downgrade", "base", "--db", db_url)
    assert code == 0, text
    assert migrate.current_revisions(seeded) == []


SEEDS = Path(__file__).resolve().parent.parent / "seeds"
CORPUS = Path(__file__).resolve().parent / "corpus"
#: the views as revision 0004 left them
VIEWS_0004 = [
    "v_entities",
    "v_events",
    "v_event_participants",
    "v_trade",
    "v_relations",
    "v_evidence",
]


def _snapshot(engine: Engine, columns: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """Every row of every table and view (plumbing aside), as sorted tuples of the given
    columns (by default all the columns each has now)."""
    inspector = sa.inspect(engine)
    names = [
        n
        for n in [*inspector.get_table_names(), *VIEWS_0004]
        if n != "alembic_version" and not n.startswith("fts_")
    ]
    columns = columns or {n: [c["name"] for c in inspector.get_columns(n)] for n in names}
    out: dict[str, Any] = {"columns": columns}
    with engine.connect() as conn:
        for name, cols in columns.items():
            rows = conn.execute(sa.text(f"SELECT {', '.join(cols)} FROM {name}")).all()
            out[name] = sorted((_listed(name, cols, r) for r in rows), key=repr)
    return out


def _listed(name: str, columns: list[str], row: Any) -> tuple[Any, ...]:
    """A row with the lists of ``v_entities`` in one order (revision 0008 sorts them on
    SQLite; their members are the facts)."""
    if name != "v_entities":
        return tuple(row)
    return tuple(
        ", ".join(sorted(value.split(", "))) if c in ("aliases", "identifiers") and value else value
        for c, value in zip(columns, row, strict=True)
    )


def _import_rows_as_0004_did(engine: Engine) -> None:
    """Two official rows, written with the columns the importer of revision 0004 wrote."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO sources (slug, kind, published_precision, file_name, row_count) "
                "VALUES ('comtrade-test', 'statistics_dataset', 'unknown', 'x.csv', 2)"
            )
        )
        source = conn.execute(sa.text("SELECT id FROM sources WHERE slug = 'comtrade-test'"))
        source_id = source.scalar_one()
        ids = {slug: i for slug, i in conn.execute(sa.text("SELECT slug, id FROM entities"))}
        for line, flow in enumerate(("export", "import"), start=1):
            conn.execute(
                sa.text(
                    "INSERT INTO trade_flows (series, reporter_id, partner_id, year, month, "
                    "months, flow, commodity_code, value, currency, value_qualifier, status, "
                    "source_id, source_line) VALUES ('comtrade', :r, :p, 2023, 0, 12, :flow, "
                    "'TOTAL', :value, 'USD', 'exact', 'final', :source, :line)"
                ),
                {
                    "r": ids["bulgaria"],
                    "p": ids["japan"],
                    "flow": flow,
                    "value": 12_345_678_901 * line,
                    "source": source_id,
                    "line": line,
                },
            )


def test_statements_revision_keeps_every_fact(engine: Engine) -> None:
    """A database at 0004 holding the seeds and imported rows: upgrading keeps every row of
    every table and view as it was, and downgrading again gives the 0004 database back."""
    from factdb.factfiles.loader import load

    migrate.upgrade(engine)
    load(engine, [SEEDS])
    with engine.begin() as conn:  # a status the seeds of 0004's day gave these figures
        conn.execute(
            sa.text("UPDATE trade_flows SET status = 'preliminary' WHERE status = 'not_stated'")
        )
    migrate.downgrade(engine, "0004")
    _import_rows_as_0004_did(engine)
    before = _snapshot(engine)
    assert before["trade_flows"] and before["v_trade"] and before["v_evidence"]
    migrate.upgrade(engine)
    after = _snapshot(engine, before["columns"])
    assert after == before
    with engine.connect() as conn:
        kinds = conn.execute(sa.text("SELECT DISTINCT kind FROM v_trade")).scalars().all()
        statuses = conn.execute(sa.text("SELECT DISTINCT status FROM v_events")).scalars().all()
        new = [
            conn.execute(sa.text(f"SELECT count(*) FROM {v}")).scalar_one()
            for v in ("v_roles", "v_sources", "v_quantities", "v_documents")
        ]
    assert (kinds, statuses) == (["actual"], ["held"])
    assert new[0] > 0 and new[1] > 0 and new[2:] == [0, 0]
    migrate.downgrade(engine, "0004")
    assert _snapshot(engine) == before


def test_statements_downgrade_refuses_while_facts_need_it(engine: Engine) -> None:
    from factdb.factfiles.loader import load

    migrate.upgrade(engine)
    load(engine, [SEEDS, CORPUS])
    before = _snapshot(engine)
    with pytest.raises(Exception, match="cannot downgrade below 0005 while the database holds"):
        migrate.downgrade(engine, "0004")
    assert migrate.current_revisions(engine) == migrate.head_revisions()
    assert _snapshot(engine) == before
