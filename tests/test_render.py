"""Rendering: readable rich tables, stored text kept as data, raw CSV, option checks before any
query, the report shaping, and the table catalogue against the docs."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb import catalog
from factdb import render as render_module
from factdb.cli import app
from factdb.errors import InvalidOption
from factdb.render import (
    BRIEFING_SECTIONS,
    ENTITY_SECTIONS,
    briefing_document,
    check_format,
    entity_document,
    neutralise,
    render,
    render_document,
    visible,
    with_bars,
)

DOCS = Path(__file__).resolve().parent.parent / "docs"
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\]8;[^\x1b]*\x1b\\")
runner = CliRunner()


@dataclass(frozen=True)
class Row:
    slug: str
    title: str
    value: Decimal
    year: int
    url: str
    sources: list[str]


LONG_TITLE = "A long free-text title that has to wrap at word boundaries " * 3
ROWS = [
    Row(
        "bulgaria-japan-strategic-partnership",
        LONG_TITLE,
        Decimal("90000000.00"),
        2024,
        "https://example.org/a/very/long/path/to/an/article-about-trade-2024",
        ["novinite-emperor-receives-radev-2025-05-19", "alojapan-radev-japanese-investments"],
    ),
    Row("x", "short", Decimal("5.00"), 1999, "https://example.org/", []),
]


def plain(text: str) -> str:
    return ANSI.sub("", text)


@pytest.mark.parametrize("width", [80, 120, 200])
def test_rich_table_fits_and_keeps_numbers_and_slugs_whole(width: int) -> None:
    out = plain(render(ROWS, "table", terminal=True, width=width))
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= width
    assert "90,000,000.00" in out
    for slug in ("bulgaria-japan-strategic-partnership",):
        assert slug in out
    shown = "novinite-emperor-receives-radev-2025-05-19" in out
    hidden = out.split("hidden at this width:")[1] if "hidden at this width:" in out else ""
    assert shown or "sources" in hidden, "a slug is whole or its column not shown"
    assert shown == (width == 200)


def test_numbers_are_right_aligned() -> None:
    out = plain(render(ROWS, "table", terminal=True, width=200, columns=["slug", "value"]))
    row = next(line for line in out.splitlines() if line.startswith("│ x "))
    assert re.search(r"\s{5,}5\.00 │$", row), row
    piped = render(ROWS, "table", columns=["value", "slug"])
    assert piped.splitlines()[2].startswith("         5.00")


def test_free_text_wraps_at_words() -> None:
    out = plain(render(ROWS, "table", terminal=True, width=80, columns=["slug", "title"]))
    words = set(LONG_TITLE.split())
    for line in out.splitlines():
        if not line.startswith("│"):
            continue
        for cell_text in line.strip("│").split("│"):
            for word in cell_text.split():
                assert word in words or "-" in word or word in {"slug", "title", "x", "short"}


def test_an_amount_wraps_whole_with_its_scale_and_currency() -> None:
    """A line is never broken between a number, its scale word and its currency."""
    line = (
        "2024 Bulgaria total with Japan: sources differ: about 270 million USD [1] vs "
        "269,500,000.00 USD [7]; difference 500,000.00 USD, up to 1.5 billion EUR"
    )
    amounts = ["270 million USD", "269,500,000.00 USD", "500,000.00 USD", "1.5 billion EUR"]
    for width in range(24, 80):
        lines = render_module._wrap(line, width).splitlines()
        assert all(len(text) <= width for text in lines), width
        assert " ".join(lines) == line
        for amount in amounts:
            assert any(amount in text for text in lines), (width, amount, lines)


def test_narrow_terminal_hides_low_priority_columns_and_says_so() -> None:
    out = plain(render(ROWS, "table", terminal=True, width=60))
    assert "hidden at this width" in out and "sources" in out.split("hidden at this width")[1]


def test_urls_are_links_and_stored_markup_is_text() -> None:
    rows = [{"name": "[link=https://evil.example]click[/link] [/x] [bold]", "url": ROWS[0].url}]
    out = render(rows, "table", terminal=True, width=200)
    assert "\x1b]8;id=" in out and ROWS[0].url in out
    assert "evil.example" not in re.findall(r"\x1b]8;[^;]*;([^\x1b]*)", out)
    assert "[link=https://evil.example]click[/link] [/x] [bold]" in plain(out)


def test_stored_control_characters_are_shown_not_sent() -> None:
    hostile = "Evil\x1b[31mRED\x1b]0;title\x07\x9b2J\u202eX"
    rows = [{"name": hostile, "n": 1}]
    for terminal in (True, False):
        out = render(rows, "table", terminal=terminal, width=120)
        assert "\x1b[31mRED" not in out and "\x07" not in out and "\x9b" not in out
        assert "\\x1b[31mRED" in plain(out) and "\\u202e" in plain(out)
    assert "\\x1b" in render(rows, "markdown")
    assert visible("a\nb") == "a b" and visible("a\nb", keep_newlines=True) == "a\nb"


def test_csv_has_raw_values_and_neutralises_formulas() -> None:
    rows: list[dict[str, Any]] = [
        {"name": '=HYPERLINK("http://x")', "n": Decimal("-5.00"), "t": "-5.00", "d": None},
        {"name": "+1 call", "n": -5, "t": "@SUM(A1)", "d": "\tx"},
        {"name": "-2+3+cmd|' /C calc'!A0", "n": Decimal("90000000.00"), "t": "ok", "d": "plain"},
    ]
    table = list(csv.reader(io.StringIO(render(rows, "csv"))))
    assert table[1] == ['\'=HYPERLINK("http://x")', "-5.00", "-5.00", ""]
    assert table[2] == ["'+1 call", "-5", "'@SUM(A1)", "'\tx"]
    assert table[3] == ["'-2+3+cmd|' /C calc'!A0", "90000000.00", "ok", "plain"]
    raw = list(csv.reader(io.StringIO(render(rows, "csv", csv_raw=True))))
    assert raw[1][0] == '=HYPERLINK("http://x")' and raw[2][2] == "@SUM(A1)"
    assert neutralise(-5, "-5") == "-5" and neutralise("-5e3", "-5e3") == "-5e3"


def test_csv_money_and_dates_are_plain() -> None:
    import datetime as dt

    out = render([{"v": Decimal("1234567.5"), "d": dt.date(2025, 5, 20), "b": True}], "csv")
    assert out.splitlines()[1] == "1234567.5,2025-05-20,true"


def test_unknown_format_and_columns_are_invalid_options() -> None:
    for fmt in ("xml", "JSON"):
        with pytest.raises(InvalidOption, match="table, json"):
            check_format(fmt)
    with pytest.raises(InvalidOption, match="choose from slug, title, value"):
        render(ROWS, "csv", columns=["slug", "nope"])


def test_documents_need_a_section_for_csv() -> None:
    sections = {"roles": [{"a": 1}], "events": [{"b": "=x"}]}
    with pytest.raises(InvalidOption, match="--section NAME \\(one of roles, events\\)"):
        render_document({}, sections, "csv")
    with pytest.raises(InvalidOption, match="unknown section 'nope'"):
        render_document({}, sections, "csv", section="nope")
    assert render_document({}, sections, "csv", section="events") == "b\n'=x\n"


@dataclass
class _Line:
    text: str
    sources: list[int]
    data: dict[str, Any]


@dataclass
class _Source:
    n: int
    slug: str
    title: str | None
    publisher: str | None
    url: str | None
    published: str


@dataclass
class _Briefing:
    country: str
    partner: str
    sections: dict[str, list[_Line]]
    sources: list[_Source]


def test_briefing_shaping() -> None:
    doc = _Briefing(
        "Bulgaria",
        "Japan",
        {"trade": [_Line("2024 export 90,000,000.00", [1, 2], {"value": Decimal("9E+7")})]},
        [_Source(1, "a", None, "Pub", "https://x.example/", "2025")],
    )
    header, readable = briefing_document(doc, "table")
    assert header == {"country": "Bulgaria", "partner": "Japan"}
    assert readable["trade"] == [{"sources": "[1][2]", "line": "2024 export 90,000,000.00"}]
    assert readable["sources"][0]["source"] == "Pub, a"
    _, raw = briefing_document(doc, "csv")
    out = render(raw["trade"], "csv")
    assert out.splitlines()[1] == '"2024 export 90,000,000.00",1; 2,90000000'
    _, stored = briefing_document(doc, "json")
    assert stored == {"sections": doc.sections, "sources": doc.sources}
    assert "sources" in BRIEFING_SECTIONS and "trade" in BRIEFING_SECTIONS


def test_entity_shaping_and_trade_bars() -> None:
    from types import SimpleNamespace

    report = SimpleNamespace(
        slug="x", kind="person", name="X", description=None, aliases=[], identifiers={}
    )
    report.sources = []
    for name in ENTITY_SECTIONS:
        setattr(report, name, [{"a": 1}])
    header, sections = entity_document(report)
    assert header["slug"] == "x" and list(sections) == list(ENTITY_SECTIONS)
    bars = with_bars([{"value": Decimal(10)}, {"value": Decimal(5)}], ["value"])
    assert [b["bar"] for b in bars] == ["█" * 20, "█" * 10]
    assert with_bars([], ["value"]) == []


# ---------------------------------------------------------------- the CLI checks options first

MISSING = "sqlite:////nonexistent/dir/none.sqlite3"
COMMANDS = [
    ["report", "briefing"],
    ["report", "timeline"],
    ["report", "entity", "bulgaria"],
    ["report", "trade"],
    ["report", "network"],
    ["report", "claims"],
    ["report", "evidence"],
    ["report", "reconcile"],
    ["sql", "SELECT 1"],
    ["search", "toyota"],
    ["tables"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c[:2]))
@pytest.mark.parametrize("fmt", ["xml", "JSON"])
def test_unknown_format_is_refused_before_the_query(command: list[str], fmt: str) -> None:
    result = runner.invoke(app, [*command, "--db", MISSING, "-f", fmt])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and f"unknown format {fmt!r}" in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["sql", "SELECT 1", "--max-rows", "0"], "--max-rows: 0"),
        (["sql", "SELECT 1", "--max-rows", "-1"], "--max-rows: -1"),
        (["search", "toyota", "--limit", "-1"], "--limit: -1"),
        (["report", "timeline", "--from", "2026", "--to", "2020"], "--from 2026 is after"),
        (["report", "timeline", "--from", "20x"], "--from: '20x'"),
        (["report", "trade", "--year", "99999"], "--year: 99999"),
        (["report", "reconcile", "--year", "1"], "--year: 1 "),
        (["report", "briefing", "-f", "csv"], "--section NAME"),
        (["report", "entity", "x", "--section", "nope"], "unknown section 'nope'"),
        (["report", "trade", "--columns", "value,nope"], "unknown column 'nope'"),
        (["report", "timeline", "--columns", "when,,title"], "empty column name"),
        (["search", "toyota", "--columns", "nope"], "unknown column 'nope'"),
    ],
)
def test_bad_options_are_one_line_exit_2(args: list[str], says: str) -> None:
    result = runner.invoke(app, [*args, "--db", MISSING])
    assert result.exit_code == 2, result.output
    assert result.stderr.count("\n") == 1 and says in result.stderr
    assert result.stdout == ""


def url_of(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def test_columns_pick_and_order(seeded: Engine) -> None:
    if seeded.dialect.name == "postgresql":
        from factdb.roles import create_roles

        create_roles(seeded)  # factdb sql as a superuser runs as the reader group
    url = url_of(seeded)
    out = runner.invoke(
        app, ["report", "trade", "--db", url, "-f", "csv", "--columns", "value,period"]
    ).stdout
    assert out.splitlines()[:2] == ["value,period", "90000000.00,2024"]
    sql = runner.invoke(
        app,
        ["sql", "SELECT slug, name FROM v_entities", "--db", url, "-f", "csv", "--columns", "name"],
    )
    assert sql.exit_code == 0 and sql.stdout.splitlines()[0] == "name", sql.stderr
    bad = runner.invoke(app, ["sql", "SELECT 1 AS a", "--db", url, "--columns", "b"])
    assert bad.exit_code == 2 and "choose from a" in bad.stderr
    briefing = ["report", "briefing", "--db", url, "-f", "csv", "--section", "trade"]
    section = runner.invoke(app, [*briefing, "--columns", "period,value"])
    assert section.exit_code == 0 and "2024,90000000.00" in section.stdout.splitlines()


def test_tables_lists_and_describes(seeded: Engine) -> None:
    with seeded.connect() as conn:
        entries = catalog.tables(conn)
        assert {e.name for e in entries} == set(catalog.TABLES) | set(catalog.VIEWS)
        for entry in entries:
            if entry.kind == "view":
                assert entry.columns == catalog.VIEWS[entry.name][1].split(", ")
        entry, columns = catalog.describe(conn, "trade_flows")
        assert entry.kind == "table" and any(c.column == "id" and c.key for c in columns)
        with pytest.raises(catalog.UnknownTable, match="did you mean v_trade"):
            catalog.describe(conn, "v_trad")
    result = runner.invoke(app, ["tables", "v_trad", "--db", url_of(seeded)])
    assert result.exit_code == 1 and result.stderr.count("\n") == 1


def _doc_table(path: Path, heading: str) -> dict[str, list[str]]:
    text = path.read_text(encoding="utf-8").split(heading, 1)[1]
    rows = {}
    for line in text.splitlines()[2:]:
        if not line.startswith("| `"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_catalog_matches_the_docs() -> None:
    from factdb.models import Base

    tables = _doc_table(DOCS / "schema.md", "## Tables")
    assert {name: cells[0] for name, cells in tables.items()} == catalog.TABLES
    assert set(catalog.TABLES) == set(Base.metadata.tables)
    views = _doc_table(DOCS / "sql.md", "## The views")
    assert {n: (c[0], c[1].strip("`")) for n, c in views.items()} == catalog.VIEWS


def test_section_names_match_the_reports() -> None:
    import dataclasses

    from factdb.reports.briefing import SECTIONS
    from factdb.reports.entity import EntityReport

    assert (*SECTIONS, "sources") == BRIEFING_SECTIONS
    lists = [
        f.name
        for f in dataclasses.fields(EntityReport)
        if str(f.type).startswith("list[") and f.name not in ("aliases", "sources")
    ]
    assert list(ENTITY_SECTIONS) == lists


def test_numbers_stored_as_text_are_right_aligned() -> None:
    rows = [{"slug": "a", "value": "269500000.00"}, {"slug": "b", "value": "5.00"}]
    out = plain(render(rows, "table", terminal=True, width=80))
    assert any(line.endswith("│         5.00 │") for line in out.splitlines()), out
    assert render(rows, "table").splitlines()[2] == "b   " + "  " + "5.00".rjust(12)


def test_json_escapes_terminal_controls_and_keeps_values() -> None:
    import json

    rows = [{"name": "a\x1b[31m\x9b2J\u202eb"}]
    for fmt in ("json", "jsonl"):
        out = render(rows, fmt)
        assert "\x1b" not in out and "\x9b" not in out and "\u202e" not in out
        assert json.loads(out.splitlines()[0] if fmt == "jsonl" else out) in (rows, rows[0])
    doc = render_document({"country": "\x9b"}, {"roles": rows}, "json")
    assert "\x9b" not in doc and json.loads(doc)["country"] == "\x9b"
