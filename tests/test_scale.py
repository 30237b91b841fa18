"""Reports over 100k imported official trade rows, on both backends and at SQLite's stock limit.

The rows are written and imported once per backend for the session. No query may bind one
parameter per row: PostgreSQL refuses more than 65,535, and a stock SQLite build 32,766 (set
here on the connection, since this machine's build allows more).
"""

from __future__ import annotations

import csv
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from factdb.db import make_engine
from factdb.reports.briefing import briefing
from factdb.reports.claims import claims
from factdb.reports.entity import entity_report
from factdb.reports.evidence import evidence
from factdb.reports.network import network
from factdb.reports.reconcile import reconcile
from factdb.reports.timeline import timeline
from factdb.reports.trade import trade
from tests.conftest import BACKENDS, create_pg_database, drop_pg_database
from tests.test_pairs import CORPUS, SEEDS

HEADER = [
    "typeCode,freqCode,refPeriodId,refYear,refMonth,period,reporterCode,reporterISO,reporterDesc,"
    "flowCode,flowDesc,partnerCode,partnerISO,partnerDesc,partner2Code,classificationCode,"
    "cmdCode,cmdDesc,aggrLevel,qtyUnitCode,qty,netWgt,cifvalue,fobvalue,primaryValue,"
    "isReported,isAggregate"
]
COUNTRIES = [
    ("100", "BGR", "Bulgaria"),
    ("392", "JPN", "Japan"),
    ("276", "DEU", "Germany"),
    ("792", "TUR", "Türkiye"),
    ("356", "IND", "India"),
]
YEARS = range(2000, 2025)
COMMODITIES = ["TOTAL", "27", "30", "33", "74", "84", "85", "87"]
ROWS = len(COUNTRIES) * (len(COUNTRIES) - 1) * len(YEARS) * 13 * 2 * len(COMMODITIES)
STOCK_SQLITE_VARIABLES = 32_766


def write_comtrade(path: Path) -> Path:
    """Every reporter with every partner, 25 years of annual and monthly imports and exports,
    for all goods and seven chapters: 104,000 rows, values from a fixed formula."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(HEADER[0] + "\n")
        writer = csv.writer(handle)
        n = 0
        for code, iso, name in COUNTRIES:
            for pcode, piso, pname in COUNTRIES:
                if pcode == code:
                    continue
                for year in YEARS:
                    for month in range(13):
                        period = f"{year}{month:02d}" if month else str(year)
                        for flow in ("X", "M"):
                            for cmd in COMMODITIES:
                                n += 1
                                value = f"{(n * 7919) % 900_000_000 + 1000}.{n % 100:02d}"
                                writer.writerow(
                                    [
                                        "C",
                                        "M" if month else "A",
                                        f"{period}01" if month else f"{year}0101",
                                        year,
                                        month or 52,
                                        period,
                                        code,
                                        iso,
                                        name,
                                        flow,
                                        "x",
                                        pcode,
                                        piso,
                                        pname,
                                        "0",
                                        "HS",
                                        cmd,
                                        "All Commodities" if cmd == "TOTAL" else f"Chapter {cmd}",
                                        "0",
                                        "-1",
                                        "",
                                        "",
                                        "",
                                        "",
                                        value,
                                        "True",
                                        "False",
                                    ]
                                )
    return path


@pytest.fixture(scope="session")
def comtrade_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_comtrade(tmp_path_factory.mktemp("scale") / "comtrade-scale.csv")


@pytest.fixture(scope="session", params=BACKENDS)
def big(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    comtrade_file: Path,
) -> Iterator[str]:
    """The URL of a database with the seeds, the corpus and 104,000 imported rows."""
    from factdb.comtrade.importer import import_file
    from factdb.factfiles.loader import load
    from factdb.migrate import upgrade

    admin_url = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('scale') / 'scale.sqlite3'}"
    else:
        admin_url = request.getfixturevalue("pg_admin_url")
        url = create_pg_database(admin_url)
    started = time.perf_counter()
    engine = make_engine(url)
    try:
        upgrade(engine)
        load(engine, [SEEDS, CORPUS])
        report = import_file(engine, comtrade_file)
        assert report.inserted == ROWS
        print(f"\nscale fixture ({request.param}): {time.perf_counter() - started:.1f} s")
    finally:
        engine.dispose()
    try:
        yield url
    finally:
        if admin_url is not None:
            drop_pg_database(admin_url, url)


@pytest.fixture
def conn(big: str) -> Iterator[Connection]:
    engine = make_engine(big)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def test_reconcile_against_official_rows(conn: Connection) -> None:
    rows = reconcile(conn)
    by_flow = {(r.reporter, r.partner, r.period, r.flow, r.basis) for r in rows}
    assert ("Bulgaria", "Japan", "2024", "export", "reported") in by_flow
    assert ("Bulgaria", "Japan", "2024", "export", "mirror") in by_flow
    assert all(r.stated_sources for r in rows if r.stated_status != "derived")


def test_briefing_trade_section_stays_short(conn: Connection) -> None:
    doc = briefing(conn, "bulgaria", "japan")
    lines = doc.sections["trade"]
    official = [line for line in lines if line.data.get("official")]
    totals = [line for line in official if line.data["commodity"] == "TOTAL"]
    stated = [line for line in lines if line.data.get("official") is False]
    pointer = [line for line in lines if "official_rows" in line.data]
    more = [line for line in lines if "more_commodities" in line.data]
    assert len(stated) == 7, "the seeds' stated figures, all of them"
    # the latest annual total of each reporter and flow: Bulgaria's and Japan's exports and
    # imports, 2024
    assert sorted((d.data["reporter"], d.data["flow"]) for d in totals) == [
        ("Bulgaria", "export"),
        ("Bulgaria", "import"),
        ("Japan", "export"),
        ("Japan", "import"),
    ]
    assert {d.data["period"] for d in official} == {"2024"}
    # each reporter's five largest of its 7 chapters x 2 flows in 2024, and a count of the rest
    assert len(official) == 4 + 2 * 5
    assert sorted(d.data["more_commodities"] for d in more) == [2 * 7 - 5] * 2
    assert len(pointer) == 1 and pointer[0].sources
    assert pointer[0].data["official_rows"] == 2 * 25 * 13 * 2 * len(COMMODITIES)
    assert "report trade --reporter bulgaria --partner japan" in pointer[0].text
    assert len(lines) == 7 + 4 + 2 * (5 + 1) + 1


@pytest.fixture
def limited(big: str) -> Iterator[Connection]:
    """A connection bound by the stock limits: SQLite's set to a stock build's 32,766 bound
    parameters; PostgreSQL's 65,535 is its protocol's own."""
    engine = make_engine(big)
    if engine.dialect.name == "sqlite":

        @sa.event.listens_for(engine, "connect")
        def _stock_limit(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            dbapi_conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, STOCK_SQLITE_VARIABLES)

    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def test_every_report_within_stock_parameter_limits(limited: Connection) -> None:
    if limited.dialect.name == "sqlite":
        raw = limited.connection.dbapi_connection
        assert isinstance(raw, sqlite3.Connection)
        assert raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) == STOCK_SQLITE_VARIABLES
    rows = trade(limited)  # every row: a list of ids bound one per row would break here
    assert len(rows) > ROWS > 2 * STOCK_SQLITE_VARIABLES
    stated = [r for r in rows if r.series != "comtrade"]
    assert stated and all(r.sources for r in stated if not r.derived)
    assert reconcile(limited)
    for country, partner in [("bulgaria", "japan"), ("germany", "bulgaria"), ("BG", "TR")]:
        assert briefing(limited, country, partner).sections["trade"]
    assert timeline(limited)
    assert entity_report(limited, "bulgaria").roles
    assert network(limited)
    assert claims(limited)
    assert evidence(limited)
    assert trade(limited, "BGR", "JPN", 2024)


def test_briefing_reads_trade_rows_by_index(conn: Connection) -> None:
    """Every statement of the briefing that reads trade_flows finds its rows through the
    (reporter, partner) index: the briefing's cost follows the pair, not the table."""
    statements: list[tuple[str, Any]] = []

    def capture(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "trade_flows" in statement and not statement.startswith("EXPLAIN"):
            statements.append((statement, parameters))

    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE trade_flows")
    sa.event.listen(conn.engine, "before_cursor_execute", capture)
    try:
        briefing(conn, "bulgaria", "japan")
    finally:
        sa.event.remove(conn.engine, "before_cursor_execute", capture)
    assert len(statements) >= 3
    for statement, parameters in statements:
        if conn.dialect.name == "sqlite":
            plan = " | ".join(
                str(row[-1])
                for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            )
            assert not _reads_whole_table(plan), plan
        else:
            plan = " | ".join(
                str(row[0]) for row in conn.exec_driver_sql("EXPLAIN " + statement, parameters)
            )
            assert "Seq Scan on trade_flows" not in plan, plan


def _plans(conn: Connection, run: Any) -> list[str]:
    """The query plan of every statement ``run`` sends that reads trade_flows."""
    statements: list[tuple[str, Any]] = []

    def capture(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "trade_flows" in statement and not statement.startswith("EXPLAIN"):
            statements.append((statement, parameters))

    sa.event.listen(conn.engine, "before_cursor_execute", capture)
    try:
        run()
    finally:
        sa.event.remove(conn.engine, "before_cursor_execute", capture)
    if conn.dialect.name == "sqlite":
        return [
            " | ".join(str(row[-1]) for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + s, p))
            for s, p in statements
        ]
    return [
        " | ".join(str(row[0]) for row in conn.exec_driver_sql("EXPLAIN " + s, p))
        for s, p in statements
    ]


def _reads_whole_table(plan: str) -> bool:
    """Whether a plan reads every row of trade_flows (a scan of the small index of stated
    figures is not that: it holds no official row)."""
    for step in plan.split(" | "):
        if step.startswith("SCAN trade_flows") and "ix_trade_flows_stated" not in step:
            return True
        if "Seq Scan on trade_flows" in step:
            return True
    return False


@pytest.mark.parametrize(
    "filters",
    [(), ("bulgaria",), ("bulgaria", "japan"), ("bulgaria", "japan", 2024)],
    ids=["all", "reporter", "pair", "pair-year"],
)
def test_reconcile_reads_stated_rows_by_index(conn: Connection, filters: tuple[Any, ...]) -> None:
    """``series <> 'comtrade'`` is no prefix of the natural key: without the index of stated
    figures, reconcile with no filter read every official row to find the stated ones."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql("ANALYZE trade_flows")
    plans = _plans(conn, lambda: reconcile(conn, *filters))
    assert plans
    assert any("ix_trade_flows_stated" in plan for plan in plans), plans
    assert not [plan for plan in plans if _reads_whole_table(plan)]


def test_briefing_summarises_thousands_of_commodities(seeded: Engine, tmp_path: Path) -> None:
    """HS6 scale: each side files thousands of commodities; the briefing shows the totals,
    each side's largest commodities with a count of the rest, and stays a page."""
    from factdb.comtrade.importer import import_file

    codes = [f"{n:06d}" for n in range(100_100, 101_600)]  # 1,500 six-digit codes
    lines = [HEADER[0]]
    filed: dict[str, list[int]] = {}
    for reporter, partner in ((COUNTRIES[0], COUNTRIES[1]), (COUNTRIES[1], COUNTRIES[0])):
        for flow in ("X", "M"):
            lines.append(
                f"C,A,20230101,2023,52,2023,{reporter[0]},{reporter[1]},{reporter[2]},{flow},x,"
                f"{partner[0]},{partner[1]},{partner[2]},0,HS,TOTAL,All Commodities,0,-1,,,,,"
                "999999999,True,False"
            )
            for n, code in enumerate(codes):
                value = 1000 + (n * 7919 + len(lines) * 31) % 900_000
                filed.setdefault(reporter[2], []).append(value)
                lines.append(
                    f"C,A,20230101,2023,52,2023,{reporter[0]},{reporter[1]},{reporter[2]},{flow},"
                    f"x,{partner[0]},{partner[1]},{partner[2]},0,HS,{code},Heading {code},6,-1,,,,,"
                    f"{value},True,False"
                )
    path = tmp_path / "hs6.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert import_file(seeded, path).inserted == 2 * 2 * (len(codes) + 1)

    with seeded.connect() as c:
        section = briefing(c, "bulgaria", "japan").sections["trade"]
    stated = [line for line in section if line.data.get("official") is False]
    official = [line for line in section if line.data.get("official")]
    more = [line for line in section if "more_commodities" in line.data]
    assert len(section) <= len(stated) + 4 + 2 * (5 + 1) + 1, [line.text for line in section]
    goods = [line for line in official if line.data["commodity"] != "TOTAL"]
    assert len(goods) == 2 * 5
    for name, values in filed.items():
        shown = [int(float(line.data["value"])) for line in goods if line.data["reporter"] == name]
        assert shown == sorted(values, reverse=True)[:5], name
    assert sorted((line.data["reporter"], line.data["more_commodities"]) for line in more) == [
        ("Bulgaria", 2 * len(codes) - 5),
        ("Japan", 2 * len(codes) - 5),
    ]
    assert all(line.sources for line in official + more)
