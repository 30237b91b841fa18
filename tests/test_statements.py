"""Statements on both backends: quantities, documents and signatories, trade targets and who
stated a figure, event status and inviter, relations about events, through the views and the
briefing's JSON; and the Uzbekistan–India facts stay in their own pair's reports."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb.cli import app
from factdb.factfiles.validate import check_files
from factdb.reports.briefing import amount_text
from factdb.reports.statements import Figure, implied_range, rounding_unit, within_rounding
from tests.test_pairs import PAIRS

CORPUS = Path(__file__).resolve().parent / "corpus"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
TALKS = "corpus-uzbekistan-india-talks"
MINISTRY = "corpus-uzbekistan-india-ministry"
#: words only the Uzbekistan–India sources hold: no other pair's briefing may show them
DISTINCTIVE = (
    "Karimov",
    "Yuldashev",
    "Vikram Desai",
    "Samarkand",
    "Joint Declaration on Strategic Partnership",
    "intergovernmental commission",
    "uz-in-",
    "26 strategic partners",
)
runner = CliRunner()


def rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text(sql)).all())


def number(value: Any) -> Decimal:
    return Decimal(str(value)).normalize()


def briefing(engine: Engine, country: str, partner: str) -> dict[str, Any]:
    """``factdb report briefing COUNTRY PARTNER --format json``, as a user runs it."""
    url = engine.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["report", "briefing", country, partner, "--db", url, "-f", "json"])
    assert result.exit_code == 0, result.output
    doc: dict[str, Any] = json.loads(result.stdout)
    return doc


# --- the views --------------------------------------------------------------------------------


def test_v_quantities_holds_every_unit(corpus: Engine) -> None:
    found = {
        r.slug: r for r in rows(corpus, f"SELECT * FROM v_quantities WHERE declared_by = '{TALKS}'")
    }
    assert {r.measure for r in found.values()} == {
        "money",
        "percent",
        "count",
        "times",
        "rank",
        "ordinal",
    }
    growth = found["uz-in-trade-growth-2024"]
    assert (growth.kind, number(growth.value), growth.value_hundredths) == ("change", 40, 4000)
    assert (str(growth.date), growth.date_precision) == ("2024-01-01", "year")
    assert (str(growth.base_date), growth.base_precision) == ("2023-01-01", "year")
    assert (growth.subject, growth.partner, growth.stated_by) == (
        "Uzbekistan",
        "India",
        "Rustam Yuldashev",
    )
    rank = found["india-medicine-supplier-rank"]
    assert (rank.measure, number(rank.value)) == ("rank", 2)
    qualifiers = (
        rank.qualifiers if isinstance(rank.qualifiers, dict) else json.loads(rank.qualifiers)
    )
    assert qualifiers == {"behind": "Russia"}
    credit = found["india-credit-line-uzbekistan"]
    assert (credit.kind, credit.currency, credit.qualifier) == ("commitment", "USD", "at_most")
    assert number(credit.value) == Decimal("1E+9")
    assert found["desai-visit-ordinal"].event_slug == "desai-state-visit-tashkent-2025"
    assert found["india-investment-in-uzbekistan-doubled"].date_note == "in five years"


def test_v_documents_with_signatories_and_counts(corpus: Engine) -> None:
    found = {r.slug: r for r in rows(corpus, "SELECT * FROM v_documents")}
    declaration = found["uzbekistan-india-strategic-partnership-declaration"]
    assert (declaration.kind, declaration.title) == (
        "declaration",
        "Joint Declaration on Strategic Partnership",
    )
    assert sorted(declaration.signatories.split(", ")) == [
        "Alisher Karimov for Uzbekistan",
        "Vikram Desai for India",
    ]
    assert str(declaration.signed_on) == "2025-03-14"
    assert declaration.event_slug == "uzbekistan-india-signing-2025"
    twenty = found["uzbekistan-india-twenty-documents"]
    assert (twenty.title, twenty.count, twenty.signatories) == (None, 20, None)
    assert sorted(twenty.parties.split(", ")) == ["India", "Uzbekistan"]


def test_v_trade_holds_targets_and_who_stated_a_figure(corpus: Engine) -> None:
    found = {
        r.slug: r for r in rows(corpus, "SELECT * FROM v_trade WHERE reporter_slug = 'uzbekistan'")
    }
    target = found["uz-in-trade-target"]
    assert (target.kind, target.year, target.status) == ("target", None, "not_stated")
    assert target.event_slug == "uzbekistan-india-talks-2025"
    assert (found["uz-in-trade-target-2027"].kind, found["uz-in-trade-target-2027"].year) == (
        "target",
        2027,
    )
    stated = found["uz-in-2024-total-article"]
    assert (stated.kind, stated.stated_by, stated.value_qualifier) == (
        "actual",
        "Rustam Yuldashev",
        "about",
    )
    assert found["uz-in-2024-total-ministry"].stated_by_slug == "uzbekistan-trade-ministry"
    others = rows(corpus, "SELECT DISTINCT kind FROM v_trade WHERE reporter_slug <> 'uzbekistan'")
    assert [r.kind for r in others] == ["actual"], "figures stated before are actual"


def test_v_events_status_inviter_and_press_conference(corpus: Engine) -> None:
    found = {r.slug: r for r in rows(corpus, "SELECT * FROM v_events")}
    visit = found["desai-state-visit-tashkent-2025"]
    assert (visit.status, visit.invited_by_slug, visit.invited_by) == (
        "held",
        "alisher-karimov",
        "Alisher Karimov",
    )
    assert found["uzbekistan-india-commission-2025"].status == "planned"
    assert found["samarkand-business-forum-2025"].status == "cancelled"
    assert found["karimov-desai-press-conference-2025"].kind == "press_conference"
    host = rows(
        corpus,
        "SELECT role FROM v_event_participants WHERE event_slug = "
        "'desai-state-visit-tashkent-2025' AND entity_slug = 'alisher-karimov'",
    )
    assert [r.role for r in host] == ["host"], "the inviter and the host are both held"


def test_v_relations_exposes_qualifiers_and_the_event(corpus: Engine) -> None:
    (row,) = rows(
        corpus,
        "SELECT qualifiers, event_slug, predicate FROM v_relations "
        "WHERE slug = 'uzbekistan-india-talks-confirmed-interest'",
    )
    qualifiers = row.qualifiers if isinstance(row.qualifiers, dict) else json.loads(row.qualifiers)
    assert qualifiers == {"spirit": "constructive"}
    assert (row.event_slug, row.predicate) == ("uzbekistan-india-talks-2025", "confirms")


def test_v_roles_and_v_sources(corpus: Engine) -> None:
    (role,) = rows(corpus, "SELECT * FROM v_roles WHERE slug = 'rustam-yuldashev-economy-minister'")
    assert (role.person, role.title, role.organisation, role.current) == (
        "Rustam Yuldashev",
        "Minister of Economy",
        "Uzbekistan",
        1,
    )
    (source,) = rows(corpus, f"SELECT * FROM v_sources WHERE slug = '{MINISTRY}'")
    assert (source.kind, source.publisher, str(source.published_on), source.url) == (
        "press_release",
        "Ministry of Investment, Industry and Trade of Uzbekistan",
        "2025-03-20",
        "https://corpus.example/uzbekistan-india-ministry",
    )
    assert (source.title, source.has_text) == ("Trade between Uzbekistan and India in 2024", 1)


def test_v_evidence_quotes_quantities_and_documents(corpus: Engine) -> None:
    found = rows(
        corpus,
        "SELECT v.fact_kind, v.fact_slug, v.quote, v.quote_start, v.quote_end, s.text "
        "FROM v_evidence v JOIN sources s ON s.slug = v.source_slug "
        f"WHERE v.source_slug IN ('{TALKS}', '{MINISTRY}')",
    )
    kinds = {r.fact_kind for r in found}
    assert {"quantity", "document", "trade", "event", "relation"} <= kinds
    for r in found:
        assert r.text[r.quote_start : r.quote_end] == r.quote
    assert ("trade", "uz-in-2024-total-article") in {(r.fact_kind, r.fact_slug) for r in found}


# --- the briefing ---------------------------------------------------------------------------


def test_briefing_shows_every_statement(corpus: Engine) -> None:
    doc = briefing(corpus, "uzbekistan", "india")
    sections = doc["sections"]
    numbers = {s["n"]: s["slug"] for s in doc["sources"]}
    for name, lines in sections.items():
        for line in lines:
            assert line["sources"] and all(n in numbers for n in line["sources"]), name

    targets = {line["data"]["trade"]: line for line in sections["targets"]}
    undated = targets["uz-in-trade-target"]
    assert undated["data"]["period"] == "undated"
    assert undated["data"]["actual"]["trade"] == "uz-in-2024-total-ministry"
    assert undated["data"]["percent_of_target"] == "29.5"
    assert "agreed at Talks between Uzbekistan and India" in undated["text"]
    assert targets["uz-in-trade-target-2027"]["data"]["actual"]["period"] == "2024"

    (derived,) = sections["derived_figures"]
    assert derived["data"]["status"] == "preliminary", "a derived figure is as final as its inputs"
    assert [i["trade"] for i in derived["data"]["inputs"]] == [
        "uz-in-2024-total-ministry",
        "uz-in-2024-exports-ministry",
    ]
    assert "= total 1,476,300,000.00 USD (preliminary) − export" in derived["text"]

    (differ,) = sections["disagreements"]
    assert differ["data"]["within_rounding"] is True
    assert differ["data"]["difference"] == "23700000.00"
    sources = {numbers[n] for n in differ["sources"]}
    assert sources == {TALKS, MINISTRY}
    assert "1,476,300,000.00 USD" in differ["text"] and "about 1.5 billion USD" in differ["text"]

    figures = {line["data"]["quantity"]: line["text"] for line in sections["figures"]}
    assert figures["india-investor-rank-in-uzbekistan"].startswith(
        "India is the 4th largest investor"
    )
    assert "up 40% in 2024 on 2023" in figures["uz-in-trade-growth-2024"]
    assert "grew 42 times since 1992" in figures["uz-in-trade-growth-since-1992"]
    assert "doubled" in figures["india-investment-in-uzbekistan-doubled"]
    assert "up to 1 billion USD" in figures["india-credit-line-uzbekistan"]
    assert "the 5th visit" in figures["desai-visit-ordinal"]
    assert "behind: Russia" in figures["india-medicine-supplier-rank"]

    documents = {line["data"]["document"]: line for line in sections["documents"]}
    declaration = documents["uzbekistan-india-strategic-partnership-declaration"]
    assert sorted(declaration["data"]["signatories"]) == [
        "Alisher Karimov for Uzbekistan",
        "Vikram Desai for India",
    ]
    assert documents["uzbekistan-india-twenty-documents"]["data"]["count"] == 20

    planned = {line["data"]["event"]: line["data"]["status"] for line in sections["planned_events"]}
    assert planned == {
        "uzbekistan-india-commission-2025": "planned",
        "samarkand-business-forum-2025": "cancelled",
    }
    timeline = {line["data"]["event"]: line["text"] for line in sections["timeline"]}
    assert timeline["uzbekistan-india-commission-2025"].endswith("commission (planned)")
    (about_talks,) = sections["event_statements"]
    assert about_talks["data"]["qualifiers"] == {"spirit": "constructive"}
    assert about_talks["text"].startswith(
        "Talks between Uzbekistan and India (spirit: constructive)"
    )

    (claim,) = sections["claims"]
    assert claim["text"] == (
        "Alisher Karimov says Uzbekistan ranks first in imports of Indian medicines in "
        "Central Asia (as regards India)"
    )
    trade = [line["text"] for line in sections["trade"]]
    assert any("about 1.5 billion USD" in t for t in trade), "approximate money has no cents"
    assert any(t.startswith("target undated") for t in trade)


def test_briefing_says_when_two_sources_disagree_in_the_seeds(corpus: Engine) -> None:
    """270 million "about" against 269.5 million: both values, both sources, the difference,
    within the rounding of "about 270 million"."""
    (line,) = briefing(corpus, "bulgaria", "japan")["sections"]["disagreements"]
    assert "about 270 million USD" in line["text"] and "269,500,000.00 USD" in line["text"]
    assert "difference 500,000.00 USD, within" in line["text"]
    assert len(line["sources"]) == 2


def test_claims_read_as_sentences(corpus: Engine) -> None:
    texts = [line["text"] for line in briefing(corpus, "bulgaria", "japan")["sections"]["claims"]]
    assert "Shigeru Ishiba says Bulgaria shares common values with Japan" in texts
    assert (
        "Rumen Radev says Japan is an example for Bulgaria: business model worth following "
        "to achieve greater success" in texts
    )


def test_no_statement_leaks_between_pairs(corpus: Engine) -> None:
    ours = json.dumps(briefing(corpus, "uzbekistan", "india")["sections"])
    for name, case in PAIRS.items():
        leaked = [mark for mark in case.distinctive if mark in ours]
        assert leaked == [], f"Uzbekistan–India briefing holds {name}'s {leaked}"
        theirs = json.dumps(briefing(corpus, case.country, case.partner)["sections"])
        leaked = [mark for mark in DISTINCTIVE if mark in theirs]
        assert leaked == [], f"{name} briefing holds Uzbekistan–India's {leaked}"


# --- rounding and amounts ---------------------------------------------------------------------


def _figure(value: str, qualifier: str) -> Figure:
    return Figure(
        id=1, slug="x", reporter_id=1, partner_id=2, reporter="A", partner="B", year=2024,
        month=0, months=12, period="2024", flow="total", commodity="TOTAL",
        value=Decimal(value), currency="USD", qualifier=qualifier, status="final",
        kind="actual", series="s", method=None, stated_by=None, event=None, sources=[],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("first", "second", "within"),
    [
        (("270000000", "about"), ("269500000", "exact"), True),
        (("270000000", "about"), ("250000000", "exact"), False),
        (("1500000000", "about"), ("1476300000", "exact"), True),
        (("270000000", "nearly"), ("271000000", "exact"), False),
        (("2000000000", "over"), ("2100000000", "exact"), True),
        (("2000000000", "at_most"), ("2100000000", "exact"), False),
        (("100", "exact"), ("101", "exact"), False),
    ],
)
def test_within_rounding(first: tuple[str, str], second: tuple[str, str], within: bool) -> None:
    assert within_rounding(_figure(*first), _figure(*second)) is within


def test_rounding_unit_and_range() -> None:
    assert rounding_unit(Decimal("270000000")) == Decimal("1E+7")
    assert implied_range(Decimal("1500000000"), "about") == (
        Decimal("1450000000"),
        Decimal("1550000000"),
    )


def test_approximate_money_has_no_cents() -> None:
    assert amount_text(Decimal("270000000"), "USD", "about") == "about 270 million USD"
    assert amount_text(Decimal("1000000000"), "USD", "at_most") == "up to 1 billion USD"
    assert amount_text(Decimal("269500000"), "USD") == "269,500,000.00 USD"


# --- fact-file errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            "quantities:\n  - {slug: q, subject: x, metric: m, kind: actual, measure: money, "
            "value: 5, quote: q}\n",
            "a money quantity needs a `currency`",
        ),
        (
            "quantities:\n  - {slug: q, subject: x, metric: m, kind: actual, measure: percent, "
            'value: "-5", quote: q}\n',
            "only a change may be negative",
        ),
        (
            "trade:\n  - {slug: t, reporter: x, partner: y, flow: total, value: 5, "
            "status: not_stated, quote: q}\n",
            "an actual figure needs a `year`",
        ),
        (
            "trade:\n  - {slug: t, reporter: x, partner: y, kind: change, year: 2024, "
            "flow: total, value: 5, status: final, quote: q}\n",
            "Input should be 'actual', 'target', 'forecast' or 'commitment'",
        ),
        (
            "documents:\n  - {slug: d, kind: agreement, quote: q}\n",
            "a document needs a `title`, or a `count` of unnamed documents",
        ),
        (
            "events:\n  - {slug: e, kind: meeting, title: T, status: rumoured, quote: q}\n",
            "status",
        ),
    ],
)
def test_a_wrong_statement_names_its_line(tmp_path: Path, section: str, message: str) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("factdb: 1\nsource: {slug: s, kind: article}\n" + section)
    _, problems = check_files([path])
    assert len(problems) == 1, problems
    text = str(problems[0])
    assert text.startswith(f"{path}:4:") and message in text


def test_the_documented_example_loads(migrated: Engine, tmp_path: Path) -> None:
    """docs/fact-files.md's statements example is a fact file that loads as it is."""
    import re

    from factdb.factfiles.loader import load

    text = (Path(__file__).resolve().parent.parent / "docs" / "fact-files.md").read_text()
    section = text.split("## Statements", 1)[1]
    (block,) = re.findall(r"^```yaml\n(.*?)^```", section.split("\n## ", 1)[0], re.S | re.M)
    path = tmp_path / "example.yaml"
    path.write_text(block)
    load(migrated, [path])
    found = {
        name: rows(migrated, f"SELECT count(*) AS n FROM {name}")[0].n
        for name in ("quantities", "documents", "document_signatories", "trade_flows")
    }
    assert found == {"quantities": 3, "documents": 2, "document_signatories": 3, "trade_flows": 2}
    (target,) = rows(migrated, "SELECT year, kind FROM v_trade WHERE slug = 'example-trade-target'")
    assert (target.year, target.kind) == (None, "target")


@pytest.mark.parametrize(
    ("table", "row"),
    [
        (
            "quantities",
            "(slug, subject_id, partner_id, metric, kind, measure, value, qualifier, "
            "date_precision) VALUES ('q', :bg, :x, 'm', 'actual', 'count', 100, 'exact', "
            "'unknown')",
        ),
        ("document_signatories", "(document_id, entity_id, role) VALUES (:doc, :x, 'party')"),
        (
            "trade_flows",
            "(series, reporter_id, partner_id, year, month, months, flow, commodity_code, "
            "value, currency, value_qualifier, status, stated_by_id) VALUES ('s', :bg, :jp, "
            "2024, 0, 12, 'total', 'TOTAL', 1, 'USD', 'exact', 'final', :x)",
        ),
    ],
)
def test_an_entity_a_statement_uses_is_not_taken_over(
    migrated: Engine, table: str, row: str
) -> None:
    """An imported entity that a quantity, document or figure's attribution names is no
    longer the import's alone: a fact file declaring its code may not take it over (the
    takeover deletes it, and its statements with it)."""
    from factdb.factfiles.catalog import imported_only

    with migrated.begin() as conn:
        ids = {}
        for slug in ("bg", "jp", "x"):
            ids[slug] = conn.execute(
                sa.text(
                    "INSERT INTO entities (slug, kind, name) VALUES (:s, 'country', :s) "
                    "RETURNING id"
                ),
                {"s": slug},
            ).scalar_one()
        conn.execute(
            sa.text(
                "INSERT INTO trade_flows (series, reporter_id, partner_id, year, month, months, "
                "flow, commodity_code, value, currency, value_qualifier, status) VALUES "
                "('comtrade', :bg, :x, 2023, 0, 12, 'export', 'TOTAL', 5, 'USD', 'exact', "
                "'final')"
            ),
            ids,
        )
        ids["doc"] = conn.execute(
            sa.text(
                "INSERT INTO documents (slug, kind, title, signed_precision) "
                "VALUES ('d', 'agreement', 'A', 'unknown') RETURNING id"
            )
        ).scalar_one()

        def only_imported() -> bool:
            query = sa.select(sa.literal(1)).where(imported_only(sa.literal(ids["x"])))
            return conn.execute(query).first() is not None

        assert only_imported()
        conn.execute(sa.text(f"INSERT INTO {table} {row}"), ids)
        assert not only_imported()
