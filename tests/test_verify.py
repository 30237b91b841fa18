"""``verify`` catches tampering; ``coverage`` lists the sentences no fact quotes."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from factdb.cli import app
from factdb.factfiles.loader import bundled_seeds, load
from factdb.reports.briefing import briefing
from factdb.reports.entity import entity_report
from factdb.reports.timeline import timeline
from factdb.verify import (
    sentences,
    uncovered_sentences,
    uncovered_values,
    unsupported_facts,
    verify,
)
from tests.factfiles_helpers import ARTICLE, ARTICLE_SOURCE

runner = CliRunner()


def test_seeds_verify_clean(seeded: Engine) -> None:
    checked, problems = verify(seeded)
    assert problems == []
    assert checked > 100


def test_a_tampered_quote_is_caught(seeded: Engine) -> None:
    with seeded.begin() as conn:
        evidence_id = conn.execute(
            sa.text("SELECT min(id) FROM evidence WHERE quote_start IS NOT NULL")
        ).scalar_one()
        conn.execute(
            sa.text(
                "UPDATE evidence SET quote_start = quote_start + 1, "
                "quote_end = quote_end + 1 WHERE id = :id"
            ),
            {"id": evidence_id},
        )
    _, problems = verify(seeded)
    assert len(problems) == 1
    assert f"evidence {evidence_id}" in problems[0]


def test_a_tampered_text_is_caught(seeded: Engine) -> None:
    with seeded.begin() as conn:
        conn.execute(
            sa.text(
                "UPDATE sources SET text = replace(text, '270 million', '370 million') "
                "WHERE slug = :slug"
            ),
            {"slug": ARTICLE_SOURCE},
        )
    _, problems = verify(seeded)
    assert any(p.startswith(f"source {ARTICLE_SOURCE}: text has sha256") for p in problems)
    assert any("370 million" in p for p in problems), "the quote at the changed span too"


def test_every_sentence_and_value_is_covered(seeded: Engine) -> None:
    # the byline too: it names AloJapan.com, whose reading "underlines growing ... interest" is
    assert uncovered_sentences(seeded, ARTICLE_SOURCE) == []
    assert uncovered_values(seeded, ARTICLE_SOURCE) == []


def test_sentence_splitting_keeps_domains_whole() -> None:
    text = "He said “yes.” Then he left.\nAloJapan.com"
    assert [s.text for s in sentences(text)] == ["He said “yes.”", "Then he left.", "AloJapan.com"]
    for s in sentences(text):
        assert text[s.start : s.end] == s.text


# --- the support check ----------------------------------------------------------------------

SUPPORT_TEXT = (
    "Bulgaria sold Japan goods worth about 90 million US dollars in 2024. "
    "Toyota opened a plant on 3 March 2025. Toyota hired nearly 150 workers. "
    "Radev visited Osaka. It paid 12 million euros in taxes.\n"
)

#: four facts, each stating one value its quote does not show
SUPPORT_FILE = """\
factdb: 1
source:
  slug: support-check-source
  kind: article
  text: support.txt
  language: en
events:
  - slug: support-plant-opening
    kind: announcement
    title: Toyota opens a plant
    start: 2025-03-04
    quote: "Toyota opened a plant on 3 March 2025"
  - slug: support-hiring
    kind: announcement
    title: Toyota hires workers
    quote: "Toyota hired nearly 150 workers"
    participants:
      - entity: toyota
        role: subject
        count: 150
        count_qualifier: about
        quote: "Toyota hired nearly 150 workers"
trade:
  - slug: support-exports
    reporter: bulgaria
    partner: japan
    year: 2024
    flow: export
    value: 95000000
    qualifier: about
    status: not_stated
    quote: "Bulgaria sold Japan goods worth about 90 million US dollars in 2024"
relations:
  - slug: support-radev-visit
    subject: rumen-radev
    predicate: plans
    value: a visit
    context: tokyo
    quote: "Radev visited Osaka"
"""

#: slug -> what the check says is missing
EXPECTED_MISSING = {
    "event support-plant-opening": "start 2025-03-04",
    "participant support-hiring/toyota/subject": "count 150 is not qualified 'about'",
    "trade support-exports": "value 95000000",
    "relation support-radev-visit": "context 'Tokyo'",
}


def _write_support_file(tmp_path: Path, *, inferred: bool = False) -> Path:
    folder = tmp_path / "facts"
    folder.mkdir()
    (folder / "support.txt").write_text(SUPPORT_TEXT, encoding="utf-8")
    body = SUPPORT_FILE
    if inferred:
        for anchor in (
            "    start: 2025-03-04\n",
            "        count_qualifier: about\n",
            "    value: 95000000\n",
            "    context: tokyo\n",
        ):
            body = body.replace(
                anchor,
                anchor
                + anchor[: -len(anchor.lstrip())]
                + ("inferred: from the company's own filing\n"),
            )
    path = folder / "support.yaml"
    path.write_text(body, encoding="utf-8")
    return path


def _line_of(path: Path, text: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, start=1) if text in line)


def test_seeds_pass_the_support_check(seeded: Engine) -> None:
    with seeded.connect() as conn:
        found = unsupported_facts(conn)
    assert found.facts == []
    with seeded.connect() as conn:
        counted = conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM entities) + (SELECT count(*) FROM roles)"
                " + (SELECT count(*) FROM events) + (SELECT count(*) FROM event_participants)"
                " + (SELECT count(*) FROM trade_flows WHERE status <> 'derived')"
                " + (SELECT count(*) FROM relations)"
            )
        ).scalar_one()
    assert found.checked == counted, "every fact is checked, not only some"
    quotes_only, _ = verify(seeded, support=False)
    with_support, _ = verify(seeded)
    assert with_support == quotes_only + found.checked


def test_an_unsupported_value_fails_at_its_line(seeded: Engine, tmp_path: Path) -> None:
    path = _write_support_file(tmp_path)
    load(seeded, [path])
    _, problems = verify(seeded, fact_files=[path])
    assert len(problems) == len(EXPECTED_MISSING), problems
    for fact, missing in EXPECTED_MISSING.items():
        kind, key = fact.split(" ")
        slug = key.split("/")[0]
        line = _line_of(path, f"- slug: {slug}")
        if kind == "participant":
            line = _line_of(path, "- entity: toyota")
        expected = f"{path}:{line}: {fact}: not in its quotes: {missing}"
        assert expected in problems, (expected, problems)
    # without the files the line is unknown: the declaring source is named instead
    _, unlocated = verify(seeded)
    assert "source support-check-source: trade support-exports: not in its quotes: " in "\n".join(
        unlocated
    )
    assert verify(seeded, support=False)[1] == []


def test_verify_cli_fails_with_one_line_per_fact(
    seeded: Engine, db_url: str, tmp_path: Path
) -> None:
    path = _write_support_file(tmp_path)
    load(seeded, [path])
    result = runner.invoke(app, ["verify", str(path.parent), "--db", db_url])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert lines[-1].startswith(f"{len(EXPECTED_MISSING)} mismatch(es) in ")
    assert sum(f"{path}:" in line for line in lines) == len(EXPECTED_MISSING)
    assert "Traceback" not in result.stderr
    skipped = runner.invoke(app, ["verify", "--no-support", "--db", db_url])
    assert skipped.exit_code == 0, skipped.stderr


def test_a_fact_with_no_quote_is_reported(seeded: Engine) -> None:
    with seeded.begin() as conn:
        conn.execute(
            sa.text(
                "DELETE FROM evidence WHERE relation_id = "
                "(SELECT id FROM relations WHERE slug = 'insait-cooperates-with-riken')"
            )
        )
    _, problems = verify(seeded)
    assert [p for p in problems if "insait-cooperates-with-riken" in p] == [
        f"{bundled_seeds() / (ARTICLE + '.yaml')}:"
        f"{_line_of(bundled_seeds() / (ARTICLE + '.yaml'), 'slug: insait-cooperates-with-riken')}: "
        "relation insait-cooperates-with-riken: has no quote; quote the source or say why in "
        "`inferred:`"
    ]


def test_inferred_makes_it_pass_and_reports_show_it(
    seeded: Engine, db_url: str, tmp_path: Path
) -> None:
    path = _write_support_file(tmp_path, inferred=True)
    load(seeded, [path])
    assert verify(seeded, fact_files=[path])[1] == []
    with seeded.connect() as conn:
        brief = briefing(conn)
    reason = "from the company's own filing"
    trade_lines = [line for line in brief.sections["trade"] if "95" in line.text]
    assert len(trade_lines) == 1
    assert trade_lines[0].text.endswith(f"(inferred: {reason})")
    assert trade_lines[0].data["inferred"] == reason
    result = runner.invoke(app, ["report", "briefing", "--db", db_url, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert any(line["data"].get("inferred") == reason for line in document["sections"]["trade"])
    with seeded.connect() as conn:
        rows = timeline(conn)
        by_slug = {row.slug: row for row in rows}
        assert by_slug["support-plant-opening"].inferred == reason
        assert any(
            p.endswith(f"(inferred: {reason})") for p in by_slug["support-hiring"].participants
        )
        assert (
            conn.execute(
                sa.text("SELECT inferred FROM v_trade WHERE slug = 'support-exports'")
            ).scalar_one()
            == reason
        )
        report = entity_report(conn, "rumen-radev")
        (visit,) = [r for r in report.relations if r.slug == "support-radev-visit"]
        assert visit.inferred == reason


def test_coverage_lists_an_uncovered_number(seeded: Engine, db_url: str, tmp_path: Path) -> None:
    path = _write_support_file(tmp_path, inferred=True)
    load(seeded, [path])
    values = uncovered_values(seeded, "support-check-source")
    found = {(v.kind, v.text) for v in values}
    assert ("number", "12 million") in found, found
    assert ("name", "Osaka") in found
    assert ("number", "150") not in found, "a participant's count states it"
    assert ("date", "2024") not in found, "the trade row's year states it"
    result = runner.invoke(app, ["coverage", "support-check-source", "--db", db_url])
    assert result.exit_code == 0, result.stderr
    start = SUPPORT_TEXT.index("12 million")
    assert f"{start}-{start + len('12 million')}: number: 12 million" in result.stdout
    assert "number(s)" in result.stderr


def test_verify_names_a_missing_fact_file(seeded: Engine, db_url: str, tmp_path: Path) -> None:
    result = runner.invoke(app, ["verify", str(tmp_path / "nope.yaml"), "--db", db_url])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "nope.yaml: no such fact file or directory" in result.stderr


def test_verify_names_a_directory_without_fact_files(
    seeded: Engine, db_url: str, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("not a fact file\n")
    result = runner.invoke(app, ["verify", str(tmp_path), "--db", db_url])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert "no fact files (*.yaml) in this directory" in result.stderr


def test_a_target_without_a_year_is_checked_without_a_period(seeded: Engine) -> None:
    """A trade target may have no year ("to $1 billion"): verify checks its other values."""
    corpus = Path(__file__).resolve().parent / "corpus"
    load(seeded, [bundled_seeds(), corpus])
    with seeded.connect() as conn:
        undated = conn.scalar(sa.text("SELECT slug FROM trade_flows WHERE year IS NULL"))
    assert undated is not None
    _, problems = verify(seeded)
    assert not [p for p in problems if f" {undated}:" in p and "period" in p]
