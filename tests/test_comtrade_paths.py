"""An import's result does not depend on the path its rows took, on both backends.

PostgreSQL streams a file of new figures by COPY straight into trade_flows in segments, and
sends the file through a staging table from its first line when a segment meets a stored key,
a key the file states twice or a broken CHECK. These tests cut files into segments of a few
rows, so every turn of the way is taken within a small file: the result must be the one the
file states, whichever segment the direct path stopped in (``SEGMENTS`` ends with sizes that
never stop it before the failing row's segment, as a real import's 50,000 rows would not).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factdb.comtrade import importer
from factdb.comtrade.importer import (
    UPSERT_COLUMNS,
    ImportFailed,
    import_file,
    save_rows,
)
from factdb.db import connect
from tests.test_comtrade import CURRENT, current_row, write
from tests.test_comtrade_checks import source_and_pair, valid_row

#: (rows parsed per batch, rows per COPY segment) on PostgreSQL
SEGMENTS = [(1, 1), (3, 5), (1_000, 50_000)]

BULGARIA = ("100", "BGR", "Bulgaria")
JAPAN = ("392", "JPN", "Japan")
GERMANY = ("276", "DEU", "Germany")


@pytest.fixture(params=SEGMENTS, ids=lambda s: f"batch{s[0]}-segment{s[1]}")
def segments(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> tuple[int, int]:
    batch, segment = request.param
    monkeypatch.setattr(importer, "BATCH", batch)
    monkeypatch.setattr(importer, "POSTGRES_CHUNK", segment)
    return (batch, segment)


def bg_jp(year: int, value: str, *, cmd: str = "TOTAL") -> str:
    return current_row(*BULGARIA, "X", *JAPAN, value, year=year, cmd=cmd)


def stored(engine: Engine) -> dict[tuple[str, int, str], tuple[int, str, int]]:
    """(partner, year, commodity) -> (value, status, line) of every trade row."""
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT p.name, t.year, t.commodity_code, t.value, t.status, t.source_line "
                "FROM trade_flows t JOIN entities p ON p.id = t.partner_id"
            )
        ).all()
    return {(r[0], r[1], r[2]): (r[3], r[4], r[5]) for r in rows}


def versions(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM row_versions")).scalar_one())


def test_a_file_of_new_figures_is_stored_whole(
    migrated: Engine, tmp_path: Path, segments: tuple[int, int]
) -> None:
    """A country first met in the middle of the file (its entity created between two COPYs)."""
    lines = [bg_jp(year, str(year)) for year in range(2000, 2009)]
    lines.insert(5, current_row(*BULGARIA, "X", *GERMANY, "42", year=2001))
    path = write(tmp_path, "new.csv", CURRENT + "".join(lines))
    seen: list[int] = []
    report = import_file(migrated, path, progress=seen.append)
    assert (report.rows, report.inserted, report.updated, report.unchanged) == (10, 10, 0, 0)
    expected = {("Japan", year, "TOTAL"): (year * 100, "final", 0) for year in range(2000, 2009)}
    for n, year in enumerate(range(2000, 2009)):
        expected["Japan", year, "TOTAL"] = (year * 100, "final", n + 2 + (n >= 5))
    expected["Germany", 2001, "TOTAL"] = (4200, "final", 7)
    assert stored(migrated) == expected
    assert seen[-1] == 10 and seen == sorted(seen)
    assert versions(migrated) == 0, "new rows keep no history version"


def test_a_key_stated_twice_takes_its_last_line(
    migrated: Engine, tmp_path: Path, segments: tuple[int, int]
) -> None:
    """The second statement of a key comes several segments after the first: the rows already
    copied are written again from the staging table, the key once, from its last line."""
    lines = [bg_jp(year, str(year)) for year in range(2000, 2009)]
    lines.append(bg_jp(2002, "7"))
    lines.append(bg_jp(2009, "2009"))
    path = write(tmp_path, "twice.csv", CURRENT + "".join(lines))
    report = import_file(migrated, path)
    assert (report.rows, report.inserted) == (11, 10)
    found = stored(migrated)
    assert len(found) == 10
    assert found["Japan", 2002, "TOTAL"][::2] == (700, 11)
    assert found["Japan", 2009, "TOTAL"] == (200900, "final", 12)
    assert found["Japan", 2000, "TOTAL"] == (200000, "final", 2)
    assert versions(migrated) == 0, "no row anyone saw was changed"


def test_a_revised_file_meets_its_stored_key_late(
    migrated: Engine, tmp_path: Path, segments: tuple[int, int]
) -> None:
    import_file(migrated, write(tmp_path, "v1.csv", CURRENT + bg_jp(2020, "5")))
    before = stored(migrated)
    new = [bg_jp(year, "7") for year in range(2010, 2020)]
    path = write(tmp_path, "v2.csv", CURRENT + "".join([*new[:7], bg_jp(2020, "6"), *new[7:]]))
    report = import_file(migrated, path)
    assert (report.rows, report.inserted, report.updated, report.unchanged) == (11, 10, 1, 0)
    found = stored(migrated)
    assert found["Japan", 2020, "TOTAL"] == (600, "revised", 9)
    assert found["Japan", 2019, "TOTAL"] == (700, "final", 12)
    assert len(found) == 11 and before["Japan", 2020, "TOTAL"] == (500, "final", 2)
    assert versions(migrated) == 1, "the revised row's previous version is kept"
    again = import_file(migrated, write(tmp_path, "v3.csv", CURRENT + "".join(new)))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 10)
    assert stored(migrated) == found


def test_a_stored_key_met_while_a_new_country_is_created(
    migrated: Engine, tmp_path: Path, segments: tuple[int, int]
) -> None:
    """The COPY that holds the stored key ends because the next row's country is created."""
    import_file(migrated, write(tmp_path, "v1.csv", CURRENT + bg_jp(2020, "5")))
    lines = [
        bg_jp(2018, "1"),
        bg_jp(2019, "1"),
        bg_jp(2020, "9"),
        current_row(*BULGARIA, "X", *GERMANY, "3", year=2020),
        bg_jp(2021, "1"),
    ]
    report = import_file(migrated, write(tmp_path, "v2.csv", CURRENT + "".join(lines)))
    assert (report.rows, report.inserted, report.updated, report.unchanged) == (5, 4, 1, 0)
    found = stored(migrated)
    assert found["Japan", 2020, "TOTAL"] == (900, "revised", 4)
    assert found["Germany", 2020, "TOTAL"] == (300, "final", 5)
    assert len(found) == 5


def save(engine: Engine, path: Path, broken: dict[int, dict[str, Any]], count: int) -> None:
    """Save ``count`` valid rows (lines 2, 3, ...) through the write step, the rows at the
    lines of ``broken`` changed as given."""
    with connect(engine) as conn, conn.begin():
        source, bg, jp = source_and_pair(conn)
        rows = []
        for line in range(2, 2 + count):
            row = dict(zip(UPSERT_COLUMNS, valid_row(bg, jp, source), strict=True))
            row.update(year=1990 + line, source_line=line, **broken.get(line, {}))
            rows.append(tuple(row.values()))
        save_rows(conn, path, source, rows)


def test_rows_breaking_checks_late_are_located_and_nothing_is_written(
    migrated: Engine, tmp_path: Path, segments: tuple[int, int]
) -> None:
    path = tmp_path / "flows.csv"
    with pytest.raises(ImportFailed) as caught:
        save(migrated, path, {9: {"flow": "sideways"}, 11: {"value": -1}}, 12)
    assert caught.value.problems == [
        f"{path}:9: flow: not a flow factdb knows (CHECK ck_trade_flows_flow)",
        f"{path}:11: value: negative value (CHECK ck_trade_flows_value_non_negative)",
    ]
    with migrated.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM trade_flows")).scalar_one() == 0


def test_a_dangling_reference_late_in_the_rows_is_refused(
    migrated: Engine, tmp_path: Path, segments: tuple[int, int]
) -> None:
    with pytest.raises((sa.exc.IntegrityError, psycopg.IntegrityError, sqlite3.IntegrityError)):
        save(migrated, tmp_path / "flows.csv", {10: {"partner_id": 10_000}}, 12)
    with migrated.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM trade_flows")).scalar_one() == 0
