"""``factdb snapshot`` copies a database, as of one instant, into a new SQLite file on which every
documented view, every table, the full-text index, ``verify`` and the reports give what the source
gives; it refuses to overwrite and leaves nothing behind when it fails."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb import snapshot as snapshot_module
from factdb.catalog import VIEWS
from factdb.cli import app
from factdb.comtrade.importer import import_file
from factdb.db import make_engine
from factdb.models import metadata
from factdb.snapshot import snapshot
from tests.test_export import BIG_CENTS, add_big_trade_row, direct_rows

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from generate import write

runner = CliRunner()
IMPORTED_ROWS = 3000


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def source(seeded: Engine, tmp_path: Path) -> Engine:
    """The seeds, a few thousand official trade rows and one very large figure."""
    import_file(seeded, write(tmp_path / "comtrade.csv", IMPORTED_ROWS, "current"))
    add_big_trade_row(seeded)
    return seeded


def table_rows(engine: Engine, table: sa.Table) -> list[tuple[Any, ...]]:
    """A table's rows through the models' types; times compared in UTC (SQLite keeps no zone)."""

    def plain(value: Any) -> Any:
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None)
        return value

    with engine.connect() as conn:
        rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns))
        return [tuple(map(plain, row)) for row in rows]


def test_snapshot_gives_the_same_views_tables_and_reports(
    source: Engine, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "copy" / "snap.sqlite3"
    code, stdout, stderr = invoke("snapshot", str(out), "--db", db_url)
    assert code == 0, stderr
    assert stdout.startswith(f"{out}\t")
    assert [p.name for p in out.parent.iterdir()] == ["snap.sqlite3"]
    copy = make_engine(f"sqlite:///{out}")
    try:
        for view in VIEWS:
            assert direct_rows(copy, view) == direct_rows(source, view), view
        _, trade = direct_rows(copy, "v_trade")
        assert len(trade) >= IMPORTED_ROWS
        for table in metadata.sorted_tables:
            assert table_rows(copy, table) == table_rows(source, table), table.name
        with copy.connect() as conn:
            # FTS5 re-reads its index and fails on any inconsistency
            conn.exec_driver_sql("INSERT INTO fts_search (fts_search) VALUES ('integrity-check')")
            indexed = conn.exec_driver_sql("SELECT count(*) FROM fts_search").scalar()
            expected = conn.exec_driver_sql(
                "SELECT (SELECT count(*) FROM entities) + (SELECT count(*) FROM entity_aliases)"
                " + (SELECT count(*) FROM events) + (SELECT count(*) FROM evidence)"
            ).scalar()
        assert indexed == expected
    finally:
        copy.dispose()
    for args in (["verify"], ["db", "check"]):
        code, _, stderr = invoke(*args, "--db", str(out))
        assert code == 0, (args, stderr)
    code, on_copy, stderr = invoke("report", "briefing", "--format", "json", "--db", str(out))
    assert code == 0, stderr
    _, on_source, _ = invoke("report", "briefing", "--format", "json", "--db", db_url)
    assert json.loads(on_copy) == json.loads(on_source)
    code, found, stderr = invoke("search", "Toyota", "--format", "json", "--db", str(out))
    assert code == 0, stderr
    assert any(hit["kind"] == "entity" for hit in json.loads(found))


def test_snapshot_is_one_instant(source: Engine, db_url: str, tmp_path: Path) -> None:
    """A figure committed while the copy runs is not in it (PostgreSQL: REPEATABLE READ)."""
    with source.begin() as conn:
        conn.execute(sa.text("DELETE FROM trade_flows WHERE value = :v"), {"v": BIG_CENTS})
    writes: list[str] = []

    def write_meanwhile(table: str, rows: int) -> None:
        if not writes:
            writes.append(table)
            add_big_trade_row(source)

    out = tmp_path / "snap.sqlite3"
    snapshot(make_engine(db_url), out, progress=write_meanwhile)
    assert writes == [metadata.sorted_tables[0].name]
    copy = make_engine(f"sqlite:///{out}")
    count = sa.text("SELECT count(*) FROM trade_flows WHERE value = :v").bindparams(v=BIG_CENTS)
    try:
        with copy.connect() as conn:
            assert conn.execute(count).scalar() == 0
    finally:
        copy.dispose()
    with source.connect() as conn:
        assert conn.execute(count).scalar() == 1


def test_refuses_an_existing_file_unless_forced(
    seeded: Engine, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "snap.sqlite3"
    out.write_text("mine")
    code, _, stderr = invoke("snapshot", str(out), "--db", db_url)
    assert code == 1
    assert len(stderr.strip().splitlines()) == 1
    assert "already exists" in stderr and "--force" in stderr
    assert out.read_text() == "mine"
    code, _, stderr = invoke("snapshot", str(out), "--force", "--db", db_url)
    assert code == 0, stderr
    code, _, stderr = invoke("verify", "--db", str(out))
    assert code == 0, stderr


def test_a_failed_copy_leaves_nothing(
    seeded: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = 0
    real = snapshot_module._portable

    def interrupted(value: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls > 200:
            raise KeyboardInterrupt
        return real(value)

    monkeypatch.setattr(snapshot_module, "_portable", interrupted)
    out = tmp_path / "out" / "snap.sqlite3"
    out.parent.mkdir()
    code, _, stderr = invoke("snapshot", str(out), "--db", db_url)
    assert code == 130, stderr
    assert calls > 200
    assert list(out.parent.iterdir()) == []
    calls = 0
    code, _, _ = invoke("snapshot", str(tmp_path / "new" / "snap.sqlite3"), "--db", db_url)
    assert code == 130
    assert not (tmp_path / "new").exists()


def test_an_unmigrated_source_is_refused(engine: Engine, db_url: str, tmp_path: Path) -> None:
    with engine.begin():
        pass  # creates the (empty) SQLite file; PostgreSQL's database exists already
    out = tmp_path / "out"
    out.mkdir()
    code, _, stderr = invoke("snapshot", str(out / "snap.sqlite3"), "--db", db_url)
    assert code == 1
    assert "not migrated" in stderr
    assert list(out.iterdir()) == []
