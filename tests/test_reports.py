"""Reports on the seeded database: the JSON a user relies on, on both backends."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb.cli import app
from factdb.reports.common import EntityNotFound, resolve_entity
from factdb.reports.timeline import timeline

runner = CliRunner()


def run_json(engine: Engine, *args: str) -> Any:
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, [*args, "--db", url, "--format", "json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_briefing(seeded: Engine) -> None:
    doc = run_json(seeded, "report", "briefing", "Bulgaria", "Japan")
    sections = doc["sections"]
    sources = {s["n"]: s["slug"] for s in doc["sources"]}
    level = sections["relationship"][0]
    assert level["data"]["level"] == "strategic partnership"
    assert level["data"]["since"] == "2025-05-20"
    assert {sources[n] for n in level["sources"]} >= {
        "alojapan-radev-japanese-investments",
        "mofa-japan-bulgaria-summit-2025",
    }
    people = {line["data"]["person"]: line["data"] for line in sections["people"]}
    assert people["Rumen Radev"]["title"] == "President"
    assert people["Shinzo Abe"]["current"] is False
    totals = [
        line
        for line in sections["trade"]
        if line["data"]["flow"] == "total" and line["data"]["period"] == "2024"
    ]
    by_value = {line["data"]["value"]: line for line in totals}
    assert set(by_value) == {"270000000.00", "269500000.00"}, "both sources' figures appear"
    assert by_value["270000000.00"]["data"]["qualifier"] == "about"
    assert sources[by_value["269500000.00"]["sources"][0]] == "novinite-bulgaria-japan-trade-2024"
    imports = [
        line
        for line in sections["trade"]
        if line["data"]["flow"] == "import" and line["data"]["period"] == "2024"
    ]
    assert imports[0]["data"]["derived"] is True and "derived" in imports[0]["text"]
    goods = {line["data"]["product"] for line in sections["export_goods"]}
    assert {"Integrated circuits", "Essential oils", "Electrical transformers"} <= goods
    sectors = {line["data"]["sector"] for line in sections["investment_sectors"]}
    assert sectors == {"Automotive", "Electronics", "Energy", "Medical equipment"}
    # INSAIT, RIKEN and Toyota are tied to no country in the seeds alone: their cooperation
    # belongs to the pair once a source says where they are (tests/test_pairs.py)
    assert all("INSAIT" not in line["text"] for line in sections["cooperation"])
    timeline_lines = [line["data"]["when"] for line in sections["timeline"]]
    assert "2025-05-20" in timeline_lines and "undated (earlier)" in timeline_lines
    for name, lines in sections.items():
        for line in lines:
            assert line["sources"], f"{name}: {line['text']} has no source"
            assert all(n in sources for n in line["sources"])


def test_timeline_keeps_precision_and_undated_events(seeded: Engine) -> None:
    rows = run_json(seeded, "report", "timeline")
    whens = {row["slug"]: row["when"] for row in rows}
    assert whens["insait-riken-memorandum-2023"] == "2023"
    assert whens["radev-official-visit-to-japan-2025"] == "May 2025"
    assert whens["strategic-partnership-declaration-signing"] == "2025-05-20"
    assert whens["radev-meeting-abe-earlier"] == "undated (earlier)"
    dated = [row["date"] for row in rows if row["date"]]
    assert dated == sorted(dated)
    assert rows[-1]["date"] is None, "undated events come last"


def test_timeline_filters_keep_undated(seeded: Engine) -> None:
    rows = run_json(seeded, "report", "timeline", "--entity", "radev", "--from", "2025-05-20")
    slugs = {row["slug"] for row in rows}
    assert "naruhito-receives-radev-2025-05-19" not in slugs
    assert "ishiba-radev-summit-meeting-2025" in slugs
    assert "radev-meeting-abe-earlier" in slugs, "undated events are never dropped"
    assert "insait-riken-memorandum-2023" not in slugs, "Radev took no part in it"


def test_entity_by_alias_any_case(seeded: Engine) -> None:
    doc = run_json(seeded, "report", "entity", "jetro")
    assert doc["slug"] == "jetro" and doc["kind"] == "government_body"
    doc = run_json(seeded, "report", "entity", "ISHIBA SHIGERU")
    assert doc["slug"] == "shigeru-ishiba"
    assert doc["roles"][0]["title"] == "Prime Minister"
    assert any(c["predicate"] == "security_interconnected_with" for c in doc["claims_made"])
    parts = {e["event"]: e["part"] for e in doc["events"]}
    assert parts["ishiba-radev-summit-meeting-2025"] == "host"
    bulgaria = run_json(seeded, "report", "entity", "bulgaria")
    assert bulgaria["identifiers"]["m49"] == "100"
    assert any(c["claimed_by"] == "Rumen Radev" for c in bulgaria["claims_about"])


def test_entity_miss_suggests(seeded: Engine) -> None:
    with seeded.connect() as conn, pytest.raises(EntityNotFound, match="did you mean"):
        resolve_entity(conn, "Toyotta")
    url = seeded.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["report", "entity", "Radeff", "--db", url])
    assert result.exit_code == 1 and "Radev" in result.stderr


def test_trade_report(seeded: Engine) -> None:
    rows = run_json(seeded, "report", "trade", "--reporter", "Bulgaria", "--year", "2024")
    exports = [r for r in rows if r["flow"] == "export" and r["period"] == "2024"]
    assert exports[0]["value"] == "90000000.00" and exports[0]["qualifier"] == "near"
    assert exports[0]["status"] == "preliminary"
    halves = [r for r in rows if r["period"] == "2024 Jan–Jun"]
    assert len(halves) == 3


def test_trade_between_two_countries_holds_both_directions(seeded: Engine) -> None:
    """The seeds hold Bulgaria's figures with Japan only: asked the other way round, they
    come as mirror rows, not as nothing."""
    rows = run_json(seeded, "report", "trade", "--reporter", "JPN", "--partner", "bg")
    assert len(rows) == 7
    assert {(r["reporter"], r["partner"], r["mirror"]) for r in rows} == {
        ("Bulgaria", "Japan", True)
    }
    direct = run_json(seeded, "report", "trade", "--reporter", "bulgaria", "--partner", "japan")
    assert {r["mirror"] for r in direct} == {False}
    assert [r["value"] for r in direct] == [r["value"] for r in rows]


def test_trade_csv_and_markdown(seeded: Engine) -> None:
    url = seeded.url.render_as_string(hide_password=False)
    out = runner.invoke(app, ["report", "trade", "--db", url, "--format", "csv"]).stdout
    table = list(csv.DictReader(io.StringIO(out)))
    assert len(table) == 7 and table[0].keys() >= {"period", "flow", "value", "status"}
    md = runner.invoke(app, ["report", "trade", "--db", url, "--format", "markdown"]).stdout
    assert md.splitlines()[0].startswith("| reporter |") and "| 2024 Jan–Jun |" in md
    jl = runner.invoke(app, ["report", "trade", "--db", url, "--format", "jsonl"]).stdout
    assert [json.loads(line)["flow"] for line in jl.splitlines()][:1] == ["export"]


def test_network(seeded: Engine) -> None:
    edges = run_json(seeded, "report", "network", "Toyota")
    # the text says "recent commitment to fund", not that Toyota funded INSAIT
    assert {
        "source": "Toyota Motor Corporation",
        "target": "INSAIT",
        "label": "committed to fund",
    } in [{k: e[k] for k in ("source", "target", "label")} for e in edges]
    url = seeded.url.render_as_string(hide_password=False)
    mermaid = runner.invoke(app, ["report", "network", "--db", url, "--format", "mermaid"]).stdout
    assert mermaid.startswith("graph LR") and "signed with" in mermaid
    dot = runner.invoke(app, ["report", "network", "--db", url, "--format", "dot"]).stdout
    assert dot.startswith("digraph") and "->" in dot


def test_claims_by(seeded: Engine) -> None:
    rows = run_json(seeded, "report", "claims", "--by", "Ishiba")
    assert {r["predicate"] for r in rows} == {"shares_values_with", "security_interconnected_with"}
    assert all(r["claimed_by"] == "Shigeru Ishiba" for r in rows)


def test_evidence_spans(seeded: Engine) -> None:
    rows = run_json(seeded, "report", "evidence", "--source", "alojapan-radev-japanese-investments")
    with seeded.connect() as conn:
        text = conn.exec_driver_sql(
            "SELECT text FROM sources WHERE slug = 'alojapan-radev-japanese-investments'"
        ).scalar_one()
    assert len(rows) > 100
    for row in rows:
        assert text[row["start"] : row["end"]] == row["quote"]


def test_timeline_library_call(seeded: Engine) -> None:
    with seeded.connect() as conn:
        rows = timeline(conn, entity="toshiba")
    assert [r.slug for r in rows] == ["radev-meeting-toshiba-leadership"]
    assert rows[0].when == "undated (earlier during the visit)"


def test_reports_need_a_migrated_database(engine: Engine) -> None:
    engine.connect().close()  # the database exists (a SQLite file is created), empty
    db_url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["report", "trade", "--db", db_url])
    assert result.exit_code == 1 and "factdb db upgrade" in result.stderr


def test_pair_filters_compiled_once_find_the_same_ids(seeded: Engine) -> None:
    """The briefing's pair filters, compiled once to SQL text with their values inline, find
    exactly the ids the filters find as queries, alone and inside another statement."""
    import sqlalchemy as sa

    from factdb.models import tables
    from factdb.reports.pair import Pair

    names = ["events", "relations", "claims", "quantities", "documents", "event_statements"]
    names += ["people", "sides"]
    with seeded.connect() as conn:
        a, b = resolve_entity(conn, "bulgaria"), resolve_entity(conn, "japan")
        as_queries, compiled = Pair(a.id, b.id), Pair(a.id, b.id, conn.dialect)
        found = {}
        for name in names:
            query, text = getattr(as_queries, name)(), getattr(compiled, name)()
            assert isinstance(text, sa.TextualSelect), name
            ids = set(conn.scalars(query))
            assert set(conn.scalars(text)) == ids, name
            inside = sa.select(tables.entities.c.id).where(tables.entities.c.id.in_(text))
            tied = sa.select(tables.entities.c.id).where(tables.entities.c.id.in_(query))
            assert set(conn.scalars(inside)) == set(conn.scalars(tied)), name
            found[name] = ids
    assert all(found[name] for name in ("events", "relations", "people", "sides"))


#: statements one briefing of the seeds runs: entity look-ups, then each section's queries
#: with its facts' sources read in the same statement, the pair's events and trade figures
#: read once for every section that shows them
BRIEFING_STATEMENTS = 25


def test_briefing_statement_count(seeded: Engine) -> None:
    """Each statement costs a new process its compilation: the briefing keeps to its count."""
    import sqlalchemy as sa

    from factdb.reports.briefing import briefing

    statements: list[str] = []
    with seeded.connect() as conn:
        sa.event.listen(
            conn,
            "before_cursor_execute",
            lambda _c, _cur, sql, *_a: statements.append(sql),
        )
        doc = briefing(conn, "bulgaria", "japan")
    selects = [s for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))]
    # the sections whose statements depend on what they find found something
    assert doc.sections["export_goods"] and doc.sections["timeline"] and doc.sections["trade"]
    assert len(selects) == BRIEFING_STATEMENTS, "\n".join(selects)
