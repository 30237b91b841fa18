"""The history of every change: changesets, kept versions, ``history`` and ``changes``."""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb import history as history_lib
from factdb.cli import app
from factdb.comtrade.importer import import_file
from factdb.factfiles.loader import load
from factdb.migrate import migrations_dir
from factdb.models import HISTORY_TABLES
from tests.factfiles_helpers import ARTICLE, copy_seeds, edit
from tests.test_comtrade import BG_JP_2024, write

EXPORTS = "bg-jp-2024-exports-alojapan"
REMOVED = "insait-attracts-top-talent"


def revision() -> ModuleType:
    path = migrations_dir() / "versions" / "0011_history.py"
    spec = importlib.util.spec_from_file_location("history_revision", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def rows(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql), params).all())


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def db_user(engine: Engine) -> str:
    if engine.dialect.name == "postgresql":
        return str(engine.url.username)
    return getpass.getuser()


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_the_revision_and_the_models_track_the_same_tables() -> None:
    module = revision()
    assert module.HISTORY_TABLES == HISTORY_TABLES


def test_a_load_records_its_changeset(migrated: Engine, tmp_path: Path) -> None:
    seeds = copy_seeds(tmp_path)
    report = load(migrated, [seeds])
    (changeset,) = rows(migrated, "SELECT * FROM changesets")
    assert changeset.db_user == db_user(migrated)
    assert changeset.command == "factdb seed"
    files = sorted(seeds.glob("*.yaml"))
    assert as_json(changeset.files) == [
        {"path": str(p), "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in files
    ]
    counts = as_json(changeset.counts)
    assert counts["evidence"]["inserted"] == report.tables["evidence"].inserted > 0
    assert set(counts) == {t for t, c in report.tables.items() if c.inserted}
    # every row the load inserted carries its changeset, and no version was kept
    for table in HISTORY_TABLES:
        stamped = rows(migrated, f"SELECT count(*) FROM {table} WHERE changeset_id IS NULL")
        assert stamped[0][0] == 0, table
    assert rows(migrated, "SELECT count(*) FROM row_versions")[0][0] == 0


def test_a_dry_run_records_nothing(migrated: Engine) -> None:
    load(migrated, dry_run=True)
    assert rows(migrated, "SELECT count(*) FROM changesets")[0][0] == 0


def test_an_update_and_a_removed_fact_keep_their_old_versions(
    seeded: Engine, tmp_path: Path
) -> None:
    seeds = copy_seeds(tmp_path)
    article = seeds / f"{ARTICLE}.yaml"
    edit(article, "    value: 90000000\n", "    value: 91000000\n")
    text = article.read_text(encoding="utf-8")
    start, end = text.index(f"  - slug: {REMOVED}"), text.index("  - slug: insait-cooperates")
    article.write_text(text[:start] + text[end:], encoding="utf-8")
    load(seeded, [seeds])
    (first, second) = rows(seeded, "SELECT id FROM changesets ORDER BY id")
    kept = rows(
        seeded,
        "SELECT table_name, operation, changeset_id, old_row FROM row_versions "
        "WHERE table_name IN ('trade_flows', 'relations') ORDER BY id",
    )
    by_slug = {as_json(r.old_row).get("slug"): r for r in kept}
    old = by_slug[EXPORTS]
    assert (old.operation, old.changeset_id) == ("update", second.id)
    assert as_json(old.old_row)["value"] == 9_000_000_000  # cents, as stored
    assert as_json(old.old_row)["changeset_id"] == first.id
    gone = by_slug[REMOVED]
    assert (gone.operation, gone.changeset_id) == ("delete", second.id)
    # the removed fact's evidence went with it, and its version was kept too
    evidence = rows(
        seeded,
        "SELECT count(*) FROM row_versions WHERE table_name = 'evidence' "
        "AND operation = 'delete' AND changeset_id = :c",
        c=second.id,
    )
    assert evidence[0][0] == 1

    with seeded.connect() as conn:
        versions = history_lib.history(conn, EXPORTS)
        removed = history_lib.history(conn, REMOVED)
    assert [(v.state, v.made_by, v.ended_by) for v in versions] == [
        ("current", second.id, None),
        ("replaced", first.id, second.id),
    ]
    assert [v.values["value"] for v in versions] == [9_100_000_000, 9_000_000_000]
    assert versions[1].made_by_command == "factdb seed" and versions[1].files
    assert [(v.state, v.ended_by) for v in removed] == [("deleted", second.id)]


def test_a_load_that_changes_nothing_leaves_no_trace(seeded: Engine) -> None:
    load(seeded)
    assert rows(seeded, "SELECT count(*) FROM row_versions")[0][0] == 0
    assert [r.id for r in rows(seeded, "SELECT id FROM changesets")] == [1]


def test_a_revised_comtrade_file_keeps_the_old_values(migrated: Engine, tmp_path: Path) -> None:
    first = import_file(migrated, write(tmp_path, "v1.csv", BG_JP_2024))
    revised = BG_JP_2024.replace("88512345.67", "88600000").replace("93000000.5", "93000001")
    second = import_file(migrated, write(tmp_path, "v2.csv", revised))
    assert (second.inserted, second.updated) == (0, 2)
    changesets = rows(migrated, "SELECT id, command, files, counts FROM changesets ORDER BY id")
    assert [c.command for c in changesets] == ["factdb import comtrade"] * 2
    assert as_json(changesets[1].files) == [
        {
            "path": str(tmp_path / "v2.csv"),
            "sha256": hashlib.sha256((tmp_path / "v2.csv").read_bytes()).hexdigest(),
        }
    ]
    assert as_json(changesets[0].counts)["trade_flows"]["inserted"] == first.inserted == 5
    assert as_json(changesets[1].counts)["trade_flows"] == {
        "inserted": 0,
        "updated": 2,
        "deleted": 0,
    }
    kept = rows(
        migrated,
        "SELECT changeset_id, row_id, old_row FROM row_versions "
        "WHERE table_name = 'trade_flows' ORDER BY row_id",
    )
    assert sorted(as_json(k.old_row)["value"] for k in kept) == [8_851_234_567, 9_300_000_050]
    assert {k.changeset_id for k in kept} == {changesets[1].id}
    assert {as_json(k.old_row)["changeset_id"] for k in kept} == {changesets[0].id}
    # the current rows name the changeset that revised them; the others the first import
    stamps = rows(migrated, "SELECT changeset_id, count(*) FROM trade_flows GROUP BY 1 ORDER BY 1")
    assert [tuple(s) for s in stamps] == [(changesets[0].id, 3), (changesets[1].id, 2)]


def test_changes_since_a_changeset_lists_exactly_the_later_ones(
    seeded: Engine, db_url: str, tmp_path: Path
) -> None:
    import_file(seeded, write(tmp_path, "v1.csv", BG_JP_2024))
    import_file(seeded, write(tmp_path, "v2.csv", BG_JP_2024.replace("179000000", "179000001")))
    ids = [r.id for r in rows(seeded, "SELECT id FROM changesets ORDER BY id")]
    assert len(ids) == 3
    with seeded.connect() as conn:
        assert [c.id for c in history_lib.changes(conn)] == ids
        assert [c.id for c in history_lib.changes(conn, ids[0])] == ids[1:]
        assert [c.id for c in history_lib.changes(conn, ids[2])] == []
        last = history_lib.changes(conn, ids[1])
    assert [c.id for c in last] == ids[2:]
    assert last[0].versions == {"trade_flows": {"update": 1}}
    result = invoke("changes", "--since", str(ids[0]), "--format", "jsonl", "--db", db_url)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    objects = [json.loads(line) for line in lines]
    assert [o["id"] for o in objects] == ids[1:]
    assert objects[0]["command"] == "factdb import comtrade" and objects[0]["files"]
    unknown = invoke("changes", "--since", str(ids[2] + 100), "--db", db_url)
    assert unknown.exit_code == 1 and unknown.stderr.count("\n") == 1, unknown.stderr
    assert f"no changeset {ids[2] + 100}" in unknown.stderr


def test_changes_since_a_date(seeded: Engine, db_url: str, tmp_path: Path) -> None:
    import_file(seeded, write(tmp_path, "v1.csv", BG_JP_2024))
    with seeded.begin() as conn:  # the seeds' changeset, made long ago
        conn.execute(sa.text("UPDATE changesets SET at = :at WHERE id = 1"), {"at": "2020-01-01"})
    with seeded.connect() as conn:
        assert [
            c.id for c in history_lib.changes(conn, dt.datetime(2021, 1, 1, tzinfo=dt.UTC))
        ] == [2]
    result = invoke("changes", "--since", "2019-12-31", "--format", "json", "--db", db_url)
    assert result.exit_code == 0, result.stderr
    assert [c["id"] for c in json.loads(result.stdout)] == [1, 2]
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).date().isoformat()
    result = invoke("changes", "--since", tomorrow, "--format", "jsonl", "--db", db_url)
    assert (result.exit_code, result.stdout) == (0, "")
    wrong = invoke("changes", "--since", "last tuesday", "--db", db_url)
    assert wrong.exit_code == 2 and wrong.stderr.count("\n") == 1, wrong.stderr
    assert "--since 'last tuesday'" in wrong.stderr


def test_history_of_an_unknown_slug_is_one_line(seeded: Engine, db_url: str) -> None:
    result = invoke("history", "no-such-fact", "--db", db_url)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert "'no-such-fact'" in result.stderr
    shown = invoke("history", "bulgaria", "--format", "jsonl", "--db", db_url)
    assert shown.exit_code == 0, shown.stderr
    (version,) = [json.loads(line) for line in shown.stdout.splitlines()]
    assert (version["table"], version["state"], version["made_by"]) == ("entities", "current", 1)
    assert version["made_by_command"] == "factdb seed"


def test_the_views_expose_the_history(seeded: Engine, tmp_path: Path) -> None:
    seeds = copy_seeds(tmp_path)
    edit(seeds / f"{ARTICLE}.yaml", "    value: 90000000\n", "    value: 91000000\n")
    load(seeded, [seeds])
    (row,) = rows(
        seeded,
        "SELECT changeset_id, command, table_name, operation, slug FROM v_history WHERE slug = :s",
        s=EXPORTS,
    )
    assert (row.changeset_id, row.command, row.table_name, row.operation) == (
        2,
        "factdb seed",
        "trade_flows",
        "update",
    )
    listed = rows(seeded, "SELECT id, command, versions FROM v_changesets ORDER BY id")
    assert [(r.id, r.versions) for r in listed] == [(1, 0), (2, 2)]


def facts(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every fact table's rows, without the history's own column."""
    out = {}
    with engine.connect() as conn:
        for table in HISTORY_TABLES:
            got = conn.execute(sa.text(f"SELECT * FROM {table}")).mappings()
            out[table] = sorted(
                repr(sorted((k, v) for k, v in row.items() if k != "changeset_id")) for row in got
            )
    return out


def test_the_revision_keeps_every_fact_up_and_down(seeded: Engine, tmp_path: Path) -> None:
    from factdb import migrate

    import_file(seeded, write(tmp_path, "v1.csv", BG_JP_2024))
    before = facts(seeded)
    migrate.downgrade(seeded, "0011-1")
    assert facts(seeded) == before
    migrate.upgrade(seeded)
    assert facts(seeded) == before
    # rows from before the history have no changeset; their first update keeps them all the same
    assert rows(seeded, "SELECT count(changeset_id) FROM entities")[0][0] == 0
    with seeded.begin() as conn:
        conn.execute(sa.text("UPDATE entities SET name = 'Nippon' WHERE slug = 'japan'"))
    (kept,) = rows(seeded, "SELECT operation, old_row FROM row_versions")
    assert kept.operation == "update" and as_json(kept.old_row)["name"] == "Japan"
