"""Every CHECK of trade_flows holds for imported rows, although SQLite's bulk path skips the
database's own evaluation of them: each CHECK has a row that breaks it, fed through the
importer, and the located error it must give, on both backends."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from factdb.comtrade import importer
from factdb.comtrade.importer import (
    CHECK_MESSAGES,
    UPSERT_COLUMNS,
    ImportFailed,
    import_file,
    save_rows,
)
from factdb.db import connect
from factdb.models import TradeFlow
from tests.test_comtrade import CURRENT, current_row, write

LINE = 7
#: CHECK -> the columns of a row that break it -> the field the error names
SAVE_CASES: dict[str, tuple[dict[str, Any], str]] = {
    "ck_trade_flows_flow": ({"flow": "sideways"}, "flow"),
    "ck_trade_flows_value_qualifier": ({"value_qualifier": "roughly"}, "value_qualifier"),
    "ck_trade_flows_status": ({"status": "guessed"}, "status"),
    "ck_trade_flows_year_range": ({"year": 1800}, "year"),
    "ck_trade_flows_period_within_year": ({"month": 7, "months": 12}, "month"),
    "ck_trade_flows_value_non_negative": ({"value": -100}, "value"),
    "ck_trade_flows_value_low_non_negative": ({"value_low": -1}, "value_low"),
    "ck_trade_flows_bounds_order": ({"value_low": 500, "value_high": 100}, "value_low"),
    "ck_trade_flows_currency_code": ({"currency": "US"}, "currency"),
    "ck_trade_flows_commodity_code_not_empty": ({"commodity_code": ""}, "commodity_code"),
    "ck_trade_flows_distinct_parties": ({"partner_id": "reporter"}, "partner"),
    "ck_trade_flows_source_line_needs_source": ({"source_line": -3}, "source_line"),
    "ck_trade_flows_derived_has_method": ({"status": "derived"}, "status"),
    "ck_trade_flows_kind": ({"kind": "wish"}, "kind"),
    "ck_trade_flows_kind_not_change": ({"kind": "change"}, "kind"),
    "ck_trade_flows_actual_has_year": ({"year": None}, "year"),
}

BULGARIA = ("100", "BGR", "Bulgaria")
JAPAN = ("392", "JPN", "Japan")
#: CHECK -> a file row that breaks it -> the error the import gives (the parser's, or the
#: check after entity resolution: M49 999 claims Bulgaria's ISO code)
FILE_CASES: dict[str, tuple[str, str]] = {
    "ck_trade_flows_year_range": (
        current_row(*BULGARIA, "X", *JAPAN[:2], "Japan", "5", year=1800),
        "refYear: year 1800 out of range",
    ),
    "ck_trade_flows_period_within_year": (
        current_row(*BULGARIA, "X", *JAPAN, "5", month=13),
        "refMonth: month 13 out of range",
    ),
    "ck_trade_flows_value_non_negative": (
        current_row(*BULGARIA, "X", *JAPAN, "-5"),
        "primaryValue: negative value '-5'",
    ),
    "ck_trade_flows_flow": (
        current_row(*BULGARIA, "Q", *JAPAN, "5"),
        "flowCode: unknown flow code 'Q'",
    ),
    "ck_trade_flows_distinct_parties": (
        current_row(*BULGARIA, "X", "999", "BGR", "Bulgaria (again)", "5"),
        "partner: reporter and partner are the same entity (M49 100 and 999)",
    ),
}


def valid_row(reporter: int, partner: int, source: int) -> tuple[Any, ...]:
    """A row every CHECK accepts, in UPSERT_COLUMNS order."""
    period = (2024, 0, 12)
    money = (100, "USD", "exact", "final")
    return ("comtrade", reporter, partner, *period, "export", "TOTAL", None, *money, source, LINE)


def database_checks(engine: Engine) -> set[str]:
    return {str(c["name"]) for c in sa.inspect(engine).get_check_constraints("trade_flows")}


def test_every_check_has_a_case(migrated: Engine) -> None:
    model = {
        str(c.name) for c in TradeFlow.__table__.constraints if isinstance(c, sa.CheckConstraint)
    }
    assert database_checks(migrated) == model, "the migrations and the model agree"
    assert set(SAVE_CASES) == model, "add a row that breaks the new CHECK to SAVE_CASES"
    assert set(CHECK_MESSAGES) == model, "say in CHECK_MESSAGES what breaking it means"


def source_and_pair(conn: Connection) -> tuple[int, int, int]:
    """A statistics source and two countries to hang rows on: their ids."""
    source = conn.execute(
        sa.text(
            "INSERT INTO sources (slug, kind, published_precision) "
            "VALUES ('s', 'statistics_dataset', 'unknown') RETURNING id"
        )
    ).scalar_one()
    bg, jp = (
        conn.execute(
            sa.text(
                "INSERT INTO entities (slug, kind, name) VALUES (:s, 'country', :s) RETURNING id"
            ),
            {"s": slug},
        ).scalar_one()
        for slug in ("bg", "jp")
    )
    return source, bg, jp


def test_every_check_refuses_its_row_through_the_write_step(
    migrated: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "flows.csv"
    for name, (overrides, field) in SAVE_CASES.items():
        with pytest.raises(ImportFailed) as caught, connect(migrated) as conn, conn.begin():
            source, bg, jp = source_and_pair(conn)
            row = dict(
                zip(
                    UPSERT_COLUMNS,
                    valid_row(bg, jp, source),
                    strict=True,
                )
            )
            row.update(overrides)
            if row["partner_id"] == "reporter":
                row["partner_id"] = bg
            save_rows(conn, path, source, [tuple(row.values())], columns=list(row))
        assert caught.value.problems == [
            f"{path}:{-3 if name.endswith('needs_source') else LINE}: {field}: "
            f"{CHECK_MESSAGES[name][1]} (CHECK {name})"
        ], name
        with migrated.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM trade_flows")).scalar_one() == 0


@pytest.mark.parametrize("name", sorted(FILE_CASES))
def test_a_file_row_breaking_a_check_is_located(
    migrated: Engine, tmp_path: Path, name: str
) -> None:
    row, message = FILE_CASES[name]
    good = current_row(*BULGARIA, "M", *JAPAN, "7")
    path = write(tmp_path, "flows.csv", CURRENT + good + row)
    with pytest.raises(ImportFailed) as caught:
        import_file(migrated, path)
    assert caught.value.problems == [f"{path}:3: {message}"]
    with migrated.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM trade_flows")).scalar_one() == 0


def test_a_code_written_with_a_leading_zero_is_the_same_country(
    migrated: Engine, tmp_path: Path
) -> None:
    row = current_row(*BULGARIA, "X", "0100", "BGR", "Bulgaria", "5")
    path = write(tmp_path, "self.csv", CURRENT + row)
    with pytest.raises(ImportFailed) as caught:
        import_file(migrated, path)
    assert caught.value.problems == [f"{path}:2: partnerCode: the partner is the reporter itself"]


def test_skipping_a_row_whose_parties_are_one_entity_keeps_the_database_valid(
    migrated: Engine, tmp_path: Path
) -> None:
    from factdb.doctor import diagnose

    row, _ = FILE_CASES["ck_trade_flows_distinct_parties"]
    path = write(tmp_path, "one.csv", CURRENT + current_row(*BULGARIA, "M", *JAPAN, "7") + row)
    report = import_file(migrated, path, max_errors=1)
    assert (report.inserted, report.skipped_count) == (1, 1)
    assert [f for f in diagnose(migrated) if f.check != "roles"] == []


def test_a_fixed_column_breaking_a_check_is_refused(migrated: Engine, tmp_path: Path) -> None:
    """Columns the same in every row (``fixed``) are written into SQLite's statement once,
    unchecked like the rest: the pass after the write still finds a value that breaks a CHECK."""
    path = tmp_path / "flows.csv"
    with pytest.raises(ImportFailed) as caught, connect(migrated) as conn, conn.begin():
        source, bg, jp = source_and_pair(conn)
        row = dict(zip(UPSERT_COLUMNS, valid_row(bg, jp, source), strict=True))
        fixed: dict[str, str | int] = {"currency": "US", "series": "comtrade", "source_id": source}
        varying = [column for column in UPSERT_COLUMNS if column not in fixed]
        save_rows(
            conn,
            path,
            source,
            [tuple(row[column] for column in varying)],
            columns=varying,
            fixed=fixed,
        )
    assert caught.value.problems == [
        f"{path}:{LINE}: currency: not a three-letter currency code "
        "(CHECK ck_trade_flows_currency_code)"
    ]
    with migrated.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM trade_flows")).scalar_one() == 0


def test_new_rows_around_a_stored_key_are_counted(migrated: Engine, tmp_path: Path) -> None:
    """SQLite writes plain INSERTs until one meets a stored key, then that chunk again as an
    upsert: rows the first attempt wrote before the stored key count once, as inserted."""
    first = current_row(*BULGARIA, "X", *JAPAN, "5", year=2020)
    import_file(migrated, write(tmp_path, "v1.csv", CURRENT + first))
    revised = current_row(*BULGARIA, "X", *JAPAN, "6", year=2020)
    new = [current_row(*BULGARIA, "X", *JAPAN, "7", year=year) for year in (2019, 2021, 2022)]
    path = write(tmp_path, "v2.csv", CURRENT + new[0] + first + revised + new[1] + new[2])
    report = import_file(migrated, path)
    assert (report.rows, report.inserted, report.updated, report.unchanged) == (5, 3, 1, 1)
    with migrated.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT year, value, status FROM trade_flows ORDER BY year")
        ).all()
    assert [tuple(r) for r in stored] == [
        (2019, 700, "final"),
        (2020, 600, "revised"),
        (2021, 700, "final"),
        (2022, 700, "final"),
    ]


def test_a_row_breaking_a_check_among_rows_written_many_to_a_statement_is_located(
    migrated: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite writes several rows to a statement, and checks a CHECK naming only columns the
    statement writes alike into every row on one row: the breaking row is still the one
    named, whichever column breaks."""
    monkeypatch.setattr(importer, "ROWS_PER_STATEMENT", 2)
    path = tmp_path / "flows.csv"
    for name, (overrides, field) in SAVE_CASES.items():
        with pytest.raises(ImportFailed) as caught, connect(migrated) as conn, conn.begin():
            source, bg, jp = source_and_pair(conn)
            rows = []
            for n in range(5):
                row = dict(zip(UPSERT_COLUMNS, valid_row(bg, jp, source), strict=True))
                row.update(commodity_code=f"0{n}", source_line=LINE + n)
                rows.append(row)
            # the fourth row breaks the CHECK, the other rows fill the same columns
            for row in rows:
                row.update({c: row.get(c, "actual" if c == "kind" else None) for c in overrides})
            rows[3].update(overrides)
            if rows[3]["partner_id"] == "reporter":
                rows[3]["partner_id"] = bg
            save_rows(
                conn, path, source, [tuple(row.values()) for row in rows], columns=list(rows[0])
            )
        line = -3 if name.endswith("needs_source") else LINE + 3
        assert caught.value.problems == [
            f"{path}:{line}: {field}: {CHECK_MESSAGES[name][1]} (CHECK {name})"
        ], name
        with migrated.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM trade_flows")).scalar_one() == 0


def test_a_fixed_column_breaking_a_check_lists_every_row(
    migrated: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fixed column is checked on one row of the rows written; when it breaks a CHECK, the
    refusal still lists every row it is in, as the full pass over the rows always did."""
    monkeypatch.setattr(importer, "ROWS_PER_STATEMENT", 2)
    path = tmp_path / "flows.csv"
    with pytest.raises(ImportFailed) as caught, connect(migrated) as conn, conn.begin():
        source, bg, jp = source_and_pair(conn)
        fixed: dict[str, str | int] = {"value_qualifier": "roughly", "source_id": source}
        varying = [column for column in UPSERT_COLUMNS if column not in fixed]
        rows = []
        for n in range(3):
            row = dict(zip(UPSERT_COLUMNS, valid_row(bg, jp, source), strict=True))
            row.update(commodity_code=f"0{n}", source_line=LINE + n)
            rows.append(tuple(row[column] for column in varying))
        save_rows(conn, path, source, rows, columns=varying, fixed=fixed)
    assert caught.value.problems == [
        f"{path}:{LINE + n}: value_qualifier: not a value qualifier factdb knows "
        "(CHECK ck_trade_flows_value_qualifier)"
        for n in range(3)
    ]
