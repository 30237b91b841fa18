"""``factdb export`` writes every documented view in full, read back with the tools users use
(the csv and json modules, pyarrow and DuckDB) and equal to the view queried directly, on both
backends; it refuses cleanly, leaves no half file, and streams in flat memory."""

from __future__ import annotations

import csv
import datetime as dt
import json
import subprocess
import sys
import textwrap
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.parquet as pq
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb import export as export_module
from factdb.catalog import VIEWS
from factdb.cli import app
from factdb.export import COLUMN_KINDS

runner = CliRunner()

#: an amount a float cannot carry to the cent in most tools: 12,345,678,901.23
BIG_CENTS = 1_234_567_890_123
BOOLEAN_COLUMNS = {"derived", "verbatim", "current", "has_text"}


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def add_statements(engine: Engine) -> None:
    """The statements corpus, so that every view (quantities, documents) has rows."""
    from factdb.factfiles.loader import load

    corpus = Path(__file__).resolve().parent / "corpus"
    names = ("japan-india-rail", "uzbekistan-india-talks", "uzbekistan-india-ministry")
    load(engine, [corpus / f"{name}.yaml" for name in names])


def add_big_trade_row(engine: Engine) -> None:
    """A figure with bounds and an as-of date, larger than the seeds' figures; then its
    method is set by a second write, so the history holds a previous version."""
    with engine.begin() as conn:
        ids = conn.execute(
            sa.text("SELECT id FROM entities WHERE slug IN ('bulgaria', 'japan') ORDER BY slug")
        ).scalars()
        bulgaria, japan = list(ids)
        conn.execute(
            sa.text(
                "INSERT INTO trade_flows (series, reporter_id, partner_id, year, month, months, "
                "flow, commodity_code, value, currency, value_qualifier, value_low, value_high, "
                "status, as_of) VALUES ('test', :r, :p, 2030, 0, 12, 'export', 'TOTAL', :v, "
                "'USD', 'about', :low, :high, 'final', :as_of)"
            ),
            {
                "r": bulgaria,
                "p": japan,
                "v": BIG_CENTS,
                "low": BIG_CENTS - 1,
                "high": BIG_CENTS + 99,
                "as_of": dt.date(2031, 2, 3),
            },
        )
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE trade_flows SET method = 'stated' WHERE series = 'test'"))


def canonical(view: str, column: str, value: Any) -> Any:
    """A value as the export promises it: None, int, bool, money as "0.00", dates as ISO."""
    if value is None:
        return None
    if column in BOOLEAN_COLUMNS:
        return bool(value)
    if isinstance(value, Decimal | float):
        return f"{value:.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def direct_rows(engine: Engine, view: str) -> tuple[list[str], list[list[Any]]]:
    """The view queried directly, canonical."""
    with engine.connect() as conn:
        result = conn.execute(sa.text(f"SELECT * FROM {view} ORDER BY id"))
        columns = list(result.keys())
        rows = [
            [canonical(view, c, v) for c, v in zip(columns, row, strict=True)] for row in result
        ]
    return columns, rows


def as_csv_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def read_jsonl(path: Path) -> tuple[list[str], list[list[Any]]]:
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    columns = list(records[0]) if records else []
    return columns, [list(record.values()) for record in records]


def test_column_kinds_name_documented_columns() -> None:
    for view, kinds in COLUMN_KINDS.items():
        documented = {c.strip() for c in VIEWS[view][1].split(",")}
        assert set(kinds) <= documented, view
    assert set(COLUMN_KINDS) == set(VIEWS)


def test_csv_equals_the_views(seeded: Engine, db_url: str, tmp_path: Path) -> None:
    add_big_trade_row(seeded)
    add_statements(seeded)
    out = tmp_path / "out"
    code, stdout, stderr = invoke("export", str(out), "--db", db_url)
    assert code == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{v}.csv" for v in VIEWS)
    for view in VIEWS:
        columns, rows = direct_rows(seeded, view)
        assert rows, view
        header, got = read_csv(out / f"{view}.csv")
        assert header == columns
        assert got == [[as_csv_text(v) for v in row] for row in rows], view
        assert f"{view}.csv\t{len(rows)} rows" in stdout
    _, trade = read_csv(out / "v_trade.csv")
    big = next(row for row in trade if row[header_index(out, "value_cents")] == str(BIG_CENTS))
    assert big[header_index(out, "value")] == "12345678901.23"
    assert big[header_index(out, "value_low")] == "12345678901.22"
    assert big[header_index(out, "as_of")] == "2031-02-03"
    assert big[header_index(out, "derived")] == "false"


def header_index(out: Path, column: str) -> int:
    header, _ = read_csv(out / "v_trade.csv")
    return header.index(column)


def test_jsonl_equals_the_views(seeded: Engine, db_url: str, tmp_path: Path) -> None:
    add_big_trade_row(seeded)
    add_statements(seeded)
    out = tmp_path / "out"
    code, _, stderr = invoke("export", str(out), "--format", "jsonl", "--db", db_url)
    assert code == 0, stderr
    for view in VIEWS:
        columns, rows = direct_rows(seeded, view)
        got_columns, got = read_jsonl(out / f"{view}.jsonl")
        assert got_columns == columns
        assert got == rows, view
    records = [json.loads(line) for line in (out / "v_trade.jsonl").read_text().splitlines()]
    big = next(r for r in records if r["value_cents"] == BIG_CENTS)
    assert big["value"] == "12345678901.23"
    assert big["derived"] is False


def test_parquet_keeps_types_and_equals_the_views(
    seeded: Engine, db_url: str, tmp_path: Path
) -> None:
    add_big_trade_row(seeded)
    add_statements(seeded)
    out = tmp_path / "out"
    code, _, stderr = invoke("export", str(out), "--format", "parquet", "--db", db_url)
    assert code == 0, stderr
    for view in VIEWS:
        columns, rows = direct_rows(seeded, view)
        table = pq.read_table(out / f"{view}.parquet")
        assert table.column_names == columns
        got = [
            [canonical(view, c, v) for c, v in zip(columns, row.values(), strict=True)]
            for row in table.to_pylist()
        ]
        assert got == rows, view
        with duckdb.connect() as duck:
            result = duck.execute(
                f"SELECT * FROM read_parquet('{out / f'{view}.parquet'}') ORDER BY id"
            )
            assert [d[0] for d in result.description] == columns
            via_duckdb = [
                [canonical(view, c, v) for c, v in zip(columns, row, strict=True)]
                for row in result.fetchall()
            ]
        assert via_duckdb == rows, view
    schema = pq.read_schema(out / "v_trade.parquet")
    assert str(schema.field("value").type) == "decimal128(20, 2)"
    assert str(schema.field("as_of").type) == "date32[day]"
    assert str(schema.field("year").type) == "int64"
    assert str(schema.field("derived").type) == "bool"
    with duckdb.connect() as duck:
        total = duck.execute(
            f"SELECT sum(value), typeof(sum(value)) FROM '{out / 'v_trade.parquet'}' "
            f"WHERE value_cents = {BIG_CENTS}"
        ).fetchone()
    assert total == (Decimal("12345678901.23"), "DECIMAL(38,2)")


def test_named_views_only(seeded: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, stderr = invoke(
        "export", str(out), "--view", "v_trade", "--view", "v_events", "-f", "jsonl", "--db", db_url
    )
    assert code == 0, stderr
    assert sorted(p.name for p in out.iterdir()) == ["v_events.jsonl", "v_trade.jsonl"]


def test_unknown_view_is_exit_2_and_lists_the_views(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _, stderr = invoke("export", str(out), "--view", "v_nope")
    assert code == 2
    assert len(stderr.strip().splitlines()) == 1
    assert "v_nope" in stderr
    assert all(view in stderr for view in VIEWS)
    assert not out.exists()


def test_unknown_format_is_exit_2(tmp_path: Path) -> None:
    code, _, stderr = invoke("export", str(tmp_path / "out"), "--format", "xlsx")
    assert code == 2
    assert stderr.startswith("Error: --format: 'xlsx'")


def test_refuses_to_overwrite_unless_forced(seeded: Engine, db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "v_trade.csv").write_text("mine\n")
    code, _, stderr = invoke("export", str(out), "--db", db_url)
    assert code == 1
    assert len(stderr.strip().splitlines()) == 1
    assert "v_trade.csv already exists" in stderr and "--force" in stderr
    assert [p.name for p in out.iterdir()] == ["v_trade.csv"]
    assert (out / "v_trade.csv").read_text() == "mine\n"
    code, _, stderr = invoke("export", str(out), "--force", "--db", db_url)
    assert code == 0, stderr
    assert read_csv(out / "v_trade.csv")[0][0] == "id"


def test_missing_pyarrow_is_one_line(
    seeded: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    out = tmp_path / "out"
    code, _, stderr = invoke("export", str(out), "--format", "parquet", "--db", db_url)
    assert code == 1
    assert len(stderr.strip().splitlines()) == 1
    assert "install factdb[parquet]" in stderr
    assert not out.exists()


def test_failed_export_leaves_no_file(
    seeded: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = export_module.stream_view

    def failing(conn: Any, view: str) -> Any:
        if view == "v_relations":
            raise KeyboardInterrupt
        return real(conn, view)

    monkeypatch.setattr(export_module, "stream_view", failing)
    out = tmp_path / "out"
    code, _, stderr = invoke("export", str(out), "--db", db_url)
    assert code == 130, stderr
    assert not out.exists()
    out.mkdir()
    code, _, _ = invoke("export", str(out), "--db", db_url)
    assert code == 130
    assert list(out.iterdir()) == []


def test_missing_database_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "missing.sqlite3"
    code, _, stderr = invoke("export", str(tmp_path / "out"), "--db", str(missing))
    assert code == 1
    assert "no database at" in stderr
    assert not missing.exists()
    assert not (tmp_path / "out").exists()


# -- memory ------------------------------------------------------------------------------------

#: The plainest writer and the one with the most state of its own.
FORMATS = ("csv", "parquet")
SMALL, LARGE = 25_000, 125_000

#: Adds :n bulk rows to trade_flows, each with its own commodity code (the natural key).
ADD_ROWS = {
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT :start UNION ALL SELECT i + 1 FROM n "
    "WHERE i < :stop) "
    "INSERT INTO trade_flows (series, reporter_id, partner_id, year, month, months, flow, "
    "commodity_code, commodity_label, value, currency, value_qualifier, status) "
    "SELECT 'memory', :r, :p, 2020, 0, 12, 'import', 'C' || i, 'Generated goods ' || i, "
    "i * 100 + 7, 'USD', 'exact', 'final' FROM n",
    "postgresql": "INSERT INTO trade_flows (series, reporter_id, partner_id, year, month, months, "
    "flow, commodity_code, commodity_label, value, currency, value_qualifier, status) "
    "SELECT 'memory', :r, :p, 2020, 0, 12, 'import', 'C' || i, 'Generated goods ' || i, "
    "i * 100 + 7, 'USD', 'exact', 'final' "
    "FROM generate_series(CAST(:start AS integer), CAST(:stop AS integer)) AS n(i)",
}

#: Runs one export of v_trade in a child under an address-space limit; prints its peak RSS.
CHILD = textwrap.dedent(
    """
    import resource, sys
    from pathlib import Path
    limit = 3 * 1024 * 1024 * 1024  # pyarrow alone reserves 1.4 GB of address space
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from factdb.db import make_engine
    from factdb.export import export
    url, out, fmt = sys.argv[1:4]
    import pyarrow.parquet  # loaded before the baseline in every run alike
    [done] = export(make_engine(url), Path(out), fmt=fmt, views=["v_trade"])
    print(done.rows, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
    """
)


def export_in_child(db_url: str, out: Path, fmt: str) -> tuple[int, int]:
    """Rows written and the child's peak RSS in KiB."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, db_url, str(out), fmt],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    rows, rss = done.stdout.split()
    return int(rows), int(rss)


def test_memory_stays_flat(seeded: Engine, backend: str, db_url: str, tmp_path: Path) -> None:
    """Peak memory at 125k rows is within a few MB of 25k: rows are streamed, not held.

    Held in memory, 100k more rows of v_trade add about 170 MB (measured with ``fetchall``).
    """
    with seeded.begin() as conn:
        ids = {slug: id_ for slug, id_ in conn.execute(sa.text("SELECT slug, id FROM entities"))}
    parties = {"r": ids["bulgaria"], "p": ids["japan"]}

    def add(start: int, stop: int) -> None:
        with seeded.begin() as conn:
            conn.execute(sa.text(ADD_ROWS[backend]), {"start": start, "stop": stop, **parties})

    add(1, SMALL)
    small = {fmt: export_in_child(db_url, tmp_path / f"small-{fmt}", fmt) for fmt in FORMATS}
    add(SMALL + 1, LARGE)
    large = {fmt: export_in_child(db_url, tmp_path / f"large-{fmt}", fmt) for fmt in FORMATS}
    for fmt in FORMATS:
        (small_rows, small_rss), (large_rows, large_rss) = small[fmt], large[fmt]
        assert large_rows - small_rows == LARGE - SMALL
        growth_mb = (large_rss - small_rss) / 1024
        print(
            f"{backend} {fmt}: {small_rss // 1024} MB at {SMALL} rows, "
            f"{large_rss // 1024} MB at {LARGE}"
        )
        assert growth_mb < 40, (
            f"{fmt}: peak RSS grew {growth_mb:.0f} MB for {LARGE - SMALL} more rows"
        )


def test_a_file_in_place_of_the_directory_is_refused(
    seeded: Engine, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.write_text("mine")
    code, _, stderr = invoke("--db", db_url, "export", str(out))
    assert code == 1
    assert len(stderr.strip().splitlines()) == 1
    assert "is a file, not a directory" in stderr
    assert out.read_text() == "mine"
