"""Every report on four country pairs loaded together (the seeds plus tests/corpus), both backends.

A briefing holds its own pair's facts and nothing of the other pairs'; entity lookup takes
any identifier; trade between two countries comes both ways.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb.cli import app
from factdb.errors import InvalidOption
from factdb.render import jsonable, render_document
from factdb.reports.briefing import briefing
from factdb.reports.claims import claims
from factdb.reports.common import EntityNotFound, resolve_entity
from factdb.reports.entity import entity_report
from factdb.reports.evidence import evidence
from factdb.reports.network import network
from factdb.reports.reconcile import reconcile
from factdb.reports.timeline import timeline
from factdb.reports.trade import trade

CORPUS = Path(__file__).resolve().parent / "corpus"
SEEDS = Path(__file__).resolve().parent.parent / "seeds"
runner = CliRunner()


@dataclass(frozen=True)
class PairCase:
    country: str
    partner: str
    source: str
    person: str  # a person holding an office in one of the two
    claimant: str  # who makes the pair's claim (a person or a government body)
    memorandum: str  # the memorandum event's slug
    funder: str  # the funding relation's subject
    product: str
    stated_value: str  # a stated trade figure
    #: slugs and names that are this pair's alone: no other pair's briefing may hold them
    distinctive: tuple[str, ...]


PAIRS = {
    "bulgaria-japan": PairCase(
        "bulgaria",
        "japan",
        "alojapan-radev-japanese-investments",
        "Shigeru Ishiba",
        "Shigeru Ishiba",
        "insait-riken-memorandum-2023",
        "Toyota Motor Corporation",
        "Integrated circuits",
        "270000000.00",
        (
            "strategic-partnership-declaration-signing",
            "insait-riken-memorandum-2023",
            "INSAIT",
            "RIKEN",
            "Toyota",
            "Rumen Radev:",
            "Shigeru Ishiba",
            "Integrated circuits",
            "270000000.00",
        ),
    ),
    "germany-bulgaria": PairCase(
        "germany",
        "bulgaria",
        "corpus-germany-bulgaria-hydrogen",
        "Katrin Vogel",
        "Federal Ministry for Economic Affairs",
        "vitosha-rheinland-hydrogen-memorandum-2025",
        "Rheinwerk Elektronik",
        "Copper wire",
        "6100000000.00",
        (
            "vitosha-rheinland-hydrogen-memorandum-2025",
            "Katrin Vogel",
            "Stoyan Petkov",
            "Rheinwerk",
            "Federal Ministry for Economic Affairs",
            "Copper wire",
        ),
    ),
    "japan-india": PairCase(
        "japan",
        "india",
        "corpus-japan-india-rail",
        "Haruto Sato",
        "Ministry of External Affairs of India",
        "osaka-pune-photonics-memorandum-2025",
        "Kansai Rail Systems",
        "Automobiles",
        "18000000000.00",
        (
            "osaka-pune-photonics-memorandum-2025",
            "Haruto Sato",
            "Anil Mehra",
            "Kansai Rail",
            "Ministry of External Affairs of India",
            "Automobiles",
        ),
    ),
    "bulgaria-turkey": PairCase(
        "bulgaria",
        "turkey",
        "corpus-bulgaria-turkey-gas",
        "Georgi Marinov",
        "Press service of the Council of Ministers of Bulgaria",
        "gas-interconnector-memorandum-2024",
        "Bosphorus Development Bank",
        "Refined copper",
        "6500000000.00",
        (
            "gas-interconnector-memorandum-2024",
            "Georgi Marinov",
            "Emre Aydin",
            "Bosphorus",
            "Press service of the Council of Ministers",
            "Refined copper",
        ),
    ),
}


def briefing_json(engine: Engine, country: str, partner: str) -> dict[str, Any]:
    """The briefing as JSON, rendered by the library as ``report briefing --format json``."""
    with engine.connect() as conn:
        doc = briefing(conn, country, partner)
    header = {"country": doc.country, "partner": doc.partner}
    text = render_document(header, {"sections": doc.sections, "sources": doc.sources}, "json")
    parsed: dict[str, Any] = json.loads(text)
    return parsed


@pytest.mark.parametrize("name", list(PAIRS))
def test_briefing_holds_its_pair(corpus: Engine, name: str) -> None:
    case = PAIRS[name]
    doc = briefing_json(corpus, case.country, case.partner)
    sections = doc["sections"]
    numbers = {s["n"]: s["slug"] for s in doc["sources"]}
    people = {line["data"]["person"] for line in sections["people"]}
    assert case.person in people
    held = [line["data"] for line in sections["people"] if line["data"]["current"]]
    assert held and all(d["as_of"] != "undated" for d in held), "held roles are dated"
    assert case.memorandum in {line["data"]["event"] for line in sections["timeline"]}
    cooperation = [line["data"] for line in sections["cooperation"]]
    assert case.memorandum in {d.get("event") for d in cooperation}
    # Toyota's is a "commitment to fund" INSAIT, not funding
    assert any(d.get("predicate") in ("funds", "commits_to") for d in cooperation)
    assert any(case.funder in line["text"] for line in sections["cooperation"])
    assert case.claimant in {line["data"]["claimed_by"] for line in sections["claims"]}
    assert case.product in {line["data"]["product"] for line in sections["export_goods"]}
    assert case.stated_value in {line["data"]["value"] for line in sections["trade"]}
    for section, lines in sections.items():
        for line in lines:
            assert line["sources"], f"{section}: {line['text']} has no source"
            assert all(n in numbers for n in line["sources"])
    assert case.source in numbers.values()


@pytest.mark.parametrize("name", list(PAIRS))
def test_briefing_holds_nothing_of_other_pairs(corpus: Engine, name: str) -> None:
    case = PAIRS[name]
    text = json.dumps(briefing_json(corpus, case.country, case.partner)["sections"])
    for other, other_case in PAIRS.items():
        if other == name:
            continue
        leaked = [mark for mark in other_case.distinctive if mark in text]
        assert leaked == [], f"{name} briefing holds {other}'s {leaked}"


def test_briefing_either_order_same_facts(corpus: Engine) -> None:
    one = briefing_json(corpus, "bulgaria", "germany")["sections"]
    other = briefing_json(corpus, "germany", "bulgaria")["sections"]
    for section in ("people", "timeline", "cooperation", "claims", "export_goods"):
        assert sorted(line["text"] for line in one[section]) == sorted(
            line["text"] for line in other[section]
        ), section


def test_claims_of_a_pair_need_both_sides(corpus: Engine) -> None:
    """Radev's claims about Japan belong to Bulgaria–Japan; his claims about Bulgaria alone,
    Ishiba's about two regions, or a commentator's tied to no country, belong to no pair."""
    claimed = {
        line["data"]["relation"]
        for line in briefing_json(corpus, "bulgaria", "japan")["sections"]["claims"]
    }
    assert "bulgaria-japan-common-values" in claimed
    assert "japan-business-model-example" in claimed
    assert "bulgaria-favourable-tax-policies" not in claimed
    assert "euro-atlantic-pacific-security-interconnected" not in claimed
    assert "dimitrov-bulgaria-japan-natural-partners" not in claimed, "tied to no country"
    with corpus.connect() as conn:
        assert [c.slug for c in claims(conn, by="ivo-dimitrov")] == [
            "dimitrov-bulgaria-japan-natural-partners"
        ]


@pytest.mark.parametrize("name", list(PAIRS))
def test_every_report_on_every_pair(corpus: Engine, name: str) -> None:
    case = PAIRS[name]
    with corpus.connect() as conn:
        person = resolve_entity(conn, case.person)
        events = timeline(conn, entity=person.slug)
        assert events and all(person.name in " ".join(e.participants) for e in events)
        report = entity_report(conn, case.country)
        assert report.kind == "country" and report.identifiers["iso3166_alpha3"]
        figures = trade(conn, case.country, case.partner)
        assert case.stated_value in {str(f.value) for f in figures}
        mirrored = trade(conn, case.partner, case.country)
        assert {str(f.value) for f in mirrored} == {str(f.value) for f in figures}
        partner_name = resolve_entity(conn, case.partner).name
        assert all(f.mirror == (f.reporter == partner_name) for f in figures)
        assert {f.mirror for f in figures} != {f.mirror for f in mirrored}, "flags swap"
        edges = network(conn, case.funder)
        assert any(e.label in ("funds", "committed to fund") for e in edges)
        by = claims(conn, by=case.claimant)
        assert by and all(c.claimed_by == case.claimant for c in by)
        quotes = evidence(conn, source=case.source)
        assert quotes and {q.source for q in quotes} == {case.source}
        rows = reconcile(conn, case.country, case.partner) + reconcile(
            conn, case.partner, case.country
        )
        assert case.stated_value in {str(r.stated_value) for r in rows}
        assert {r.basis for r in rows} == {"none"}, "no official data imported"
        docs = [jsonable(x) for x in (events, figures, edges, by, rows)]
        assert all(json.loads(json.dumps(d)) for d in docs)


@pytest.mark.parametrize(
    ("given", "slug"),
    [
        ("BGR", "bulgaria"),
        ("bgr", "bulgaria"),
        ("BG", "bulgaria"),
        ("bg", "bulgaria"),
        ("100", "bulgaria"),
        ("Q219", "bulgaria"),
        ("q219", "bulgaria"),
        ("JP", "japan"),
        ("392", "japan"),
        ("0392", "japan"),
        ("Türkiye", "turkey"),
        ("TÜRKIYE", "turkey"),
        ("jetro", "jetro"),
        ("FEDERAL REPUBLIC OF GERMANY", "germany"),
        ("  India ", "india"),
    ],
)
def test_entity_by_any_identifier(corpus: Engine, given: str, slug: str) -> None:
    with corpus.connect() as conn:
        assert resolve_entity(conn, given).slug == slug


def test_huge_name_is_not_found(corpus: Engine) -> None:
    with corpus.connect() as conn, pytest.raises(EntityNotFound) as caught:
        resolve_entity(conn, "Bulgaria" * 12_500)
    message = str(caught.value)
    assert "100000 characters" in message and "did you mean" not in message
    assert len(message) < 200 and "1 to 300" in message


def test_briefing_by_codes_any_case(corpus: Engine) -> None:
    url = corpus.url.render_as_string(hide_password=False)
    for args in (["BG", "JP"], ["bg", "jp"], ["BGR", "JPN"]):
        result = runner.invoke(app, ["report", "briefing", *args, "--db", url, "-f", "json"])
        assert result.exit_code == 0, result.output
        doc = json.loads(result.stdout)
        assert (doc["country"], doc["partner"]) == ("Bulgaria", "Japan")


def test_briefing_of_one_country_with_itself_is_refused(corpus: Engine) -> None:
    with corpus.connect() as conn, pytest.raises(InvalidOption):
        briefing(conn, "JP", "japan")
    url = corpus.url.render_as_string(hide_password=False)
    result = runner.invoke(app, ["report", "briefing", "Japan", "--db", url])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "two different countries" in result.stderr
