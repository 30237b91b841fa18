"""Strict reading of fact files: positions, duplicate and unknown keys, YAML 1.1 surprises."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from factdb.factfiles.reader import read_yaml
from factdb.factfiles.validate import Catalog, validate

HEADER = """\
factdb: 1
source:
  slug: test-source
  kind: article
  url: https://example.org/a
"""


def problems_for(tmp_path: Path, body: str, header: str = HEADER) -> list[str]:
    path = tmp_path / "facts.yaml"
    path.write_text(header + textwrap.dedent(body), encoding="utf-8")
    plan, problems = validate([path], Catalog())
    assert (plan is None) == bool(problems)
    return [str(p).replace(str(path), "facts.yaml") for p in problems]


def test_a_valid_file_has_no_problem(tmp_path: Path) -> None:
    assert (
        problems_for(
            tmp_path,
            """\
        entities:
          - {slug: norway, kind: country, name: Norway, identifiers: {iso3166_alpha2: "NO"}}
        """,
        )
        == []
    )


def test_duplicate_key_is_an_error_with_its_line(tmp_path: Path) -> None:
    problems = problems_for(
        tmp_path,
        """\
        entities:
          - slug: norway
            kind: country
            kind: place
            name: Norway
        """,
    )
    assert len(problems) == 1
    assert problems[0].startswith("facts.yaml:9:")
    assert "duplicate key" in problems[0]


def test_unknown_key_names_the_field_path(tmp_path: Path) -> None:
    problems = problems_for(
        tmp_path,
        """\
        entities:
          - slug: norway
            kind: country
            name: Norway
            colour: red
        """,
    )
    assert problems == ["facts.yaml:10:13: entities[0].colour: unknown key"]


def test_missing_key_is_named(tmp_path: Path) -> None:
    problems = problems_for(tmp_path, "entities:\n  - {slug: norway, kind: country}\n")
    assert problems == ["facts.yaml:7:5: entities[0].name: required key is missing"]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("NO", "Input should be a valid"),  # a country code, never false
        ("01234", "ambiguous number"),  # never an octal or a silently trimmed integer
        ("0o17", "ambiguous number"),
        ("1.10", "decimal numbers must be quoted"),  # never 1.1
    ],
)
def test_yaml_11_surprises_are_errors(tmp_path: Path, value: str, expected: str) -> None:
    field = "year" if value == "NO" else "value"
    body = f"""\
    entities:
      - {{slug: bulgaria, kind: country, name: Bulgaria}}
      - {{slug: japan, kind: country, name: Japan}}
    trade:
      - slug: t
        reporter: bulgaria
        partner: japan
        year: {value if field == "year" else 2024}
        flow: total
        value: {value if field == "value" else 1}
        status: final
        quote: {{text: x, verbatim: false}}
    """
    problems = problems_for(tmp_path, body)
    assert len(problems) == 1, problems
    assert f"trade[0].{field}" in problems[0]
    assert expected in problems[0]


def test_quoted_codes_keep_their_leading_zero(tmp_path: Path) -> None:
    path = tmp_path / "facts.yaml"
    path.write_text(
        HEADER + 'entities:\n  - {slug: x, kind: area, name: X, identifiers: {m49: "008"}}\n'
    )
    plan, problems = validate([path], Catalog())
    assert problems == [] and plan is not None
    assert plan.files[0].spec.entities[0].identifiers["m49"] == "008"  # type: ignore[index]


def test_a_string_where_an_integer_is_due_is_an_error(tmp_path: Path) -> None:
    problems = problems_for(
        tmp_path,
        """\
        events:
          - slug: e
            kind: forum
            title: F
            quote: {text: q, verbatim: false}
            participants:
              - {entity: x, role: attendee, count: "150", quote: {text: q, verbatim: false}}
        entities:
          - {slug: x, kind: group, name: X}
        """,
    )
    assert len(problems) == 1 and "count" in problems[0]


def test_k_bad_records_give_exactly_k_errors_on_their_lines(tmp_path: Path) -> None:
    bad = {3, 7, 8, 15}
    lines = ["entities:"]
    bad_lines = []
    for index in range(20):
        kind = "planet" if index in bad else "country"
        lines.append(f"  - slug: e{index}")
        lines.append(f"    kind: {kind}")
        if index in bad:
            bad_lines.append(len(lines) + HEADER.count("\n"))
        lines.append(f"    name: E{index}")
    problems = problems_for(tmp_path, "\n".join(lines) + "\n")
    assert len(problems) == len(bad)
    assert [int(p.split(":")[1]) for p in problems] == bad_lines
    assert all("kind" in p for p in problems)


def test_unresolved_reference_suggests_the_nearest_slug(tmp_path: Path) -> None:
    problems = problems_for(
        tmp_path,
        """\
        entities:
          - {slug: bulgaria, kind: country, name: Bulgaria}
        relations:
          - {slug: r, subject: bulgria, predicate: has_strength, value: v,
             quote: {text: q, verbatim: false}}
        """,
    )
    assert len(problems) == 1
    assert "unknown entity 'bulgria'" in problems[0]
    assert "did you mean 'bulgaria'?" in problems[0]


def test_reference_by_alias(tmp_path: Path) -> None:
    assert (
        problems_for(
            tmp_path,
            """\
        entities:
          - {slug: jetro, kind: government_body, name: Japan External Trade Organization,
             aliases: [JETRO]}
        relations:
          - {slug: r, subject: JETRO, predicate: has_strength, value: v,
             quote: {text: q, verbatim: false}}
        """,
        )
        == []
    )


def test_quote_must_occur_in_the_text(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Sofia and Tokyo. Tokyo again.", encoding="utf-8")
    header = HEADER.replace("  url: https://example.org/a\n", "  text: a.txt\n")
    missing = problems_for(
        tmp_path, "entities:\n  - {slug: osaka, kind: place, name: Osaka, quote: Osaka}\n", header
    )
    assert len(missing) == 1 and "does not occur" in missing[0]
    repeated = problems_for(
        tmp_path, "entities:\n  - {slug: tokyo, kind: place, name: Tokyo, quote: Tokyo}\n", header
    )
    assert len(repeated) == 1 and "occurs 2 times" in repeated[0] and "occurrence" in repeated[0]
    chosen = problems_for(
        tmp_path,
        "entities:\n  - {slug: tokyo, kind: place, name: Tokyo,"
        " quote: {text: Tokyo, occurrence: 2}}\n",
        header,
    )
    assert chosen == []


def test_straight_quotes_get_a_hint(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("the Prime Minister’s residence", encoding="utf-8")
    header = HEADER.replace("  url: https://example.org/a\n", "  text: a.txt\n")
    problems = problems_for(
        tmp_path,
        'entities:\n  - {slug: r, kind: place, name: R, quote: "Prime Minister\'s residence"}\n',
        header,
    )
    assert len(problems) == 1 and "straight quotes" in problems[0]


def test_text_checked_against_its_sha256(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("text", encoding="utf-8")
    header = HEADER.replace(
        "  url: https://example.org/a\n", "  text: a.txt\n  sha256: " + "0" * 64 + "\n"
    )
    problems = problems_for(tmp_path, "", header)
    assert len(problems) == 1 and "source.sha256" in problems[0]


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text())
def test_arbitrary_text_only_raises_the_loaders_own_errors(tmp_path: Path, text: str) -> None:
    if not _encodable(text):
        return
    path = tmp_path / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    plan, problems = validate([path], Catalog())
    assert plan is None or problems == []


@settings(max_examples=200)
@given(st.text(alphabet=st.sampled_from(list("ab:-[]{}\"' \n\t#&*!|>%@`01.,?"))))
def test_yaml_like_noise_reports_positions(text: str) -> None:
    doc, problems = read_yaml(text, "noise.yaml")
    for problem in problems:
        assert problem.line >= 1 and problem.column >= 1
    assert (doc is None) == bool(problems)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
