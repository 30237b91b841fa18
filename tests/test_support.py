"""The support matcher: each kind of value found in a quote, and not found where it is not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from factdb.support import (
    Amount,
    FactValues,
    Named,
    Period,
    When,
    currency_found,
    date_found,
    date_spans,
    name_found,
    name_spans,
    number_found,
    number_spans,
    numbers_in,
    period_found,
    status_found,
    unsupported,
    words_found,
)
from factdb.vocabulary import Precision

ARTICLE = "total trade between Bulgaria and Japan reached about 270 million US dollars"


@pytest.mark.parametrize(
    ("quote", "value"),
    [
        ("about 270 million US dollars", 270_000_000),
        ("$1 billion", 1_000_000_000),
        ("US$1.5bn", 1_500_000_000),
        ("269.5 million", 269_500_000),
        ("1,200 companies", 1200),
        ("half a million visitors", 500_000),
        ("a 270-million deal", 270_000_000),
        ("€3m", 3_000_000),
        ("between 250 and 300 million dollars", 250_000_000),  # a range shares its scale
        ("250-300 million", 300_000_000),
    ],
)
def test_numbers_with_scale_words(quote: str, value: int) -> None:
    assert [m.value for m in numbers_in(quote) if m.value == value], numbers_in(quote)


@pytest.mark.parametrize(
    ("quote", "value"),
    [
        ("about 27 million", 270_000_000),  # another number
        ("270 thousand", 270_000_000),  # another scale
        ("a 5 m wall", 5_000_000),  # "m" is a metre, not a million, without a currency
        ("in 2024", 2024_000_000),
        ("250 companies and 300 million dollars", 250_000_000),
    ],
)
def test_numbers_not_there(quote: str, value: int) -> None:
    assert not number_found(Decimal(value), [quote])


def test_articles_and_pronouns_are_not_numbers() -> None:
    assert numbers_in("a deal with one partner") == []


def test_percent_needs_a_percent() -> None:
    assert number_found(Decimal(30), ["up 30% on the year"], percent=True)
    assert number_found(Decimal(30), ["up 30 per cent"], percent=True)
    assert not number_found(Decimal(30), ["30 companies"], percent=True)


@pytest.mark.parametrize(
    ("qualifier", "quote", "found"),
    [
        ("about", "about 270 million", True),
        ("about", "around 270 million", True),
        ("about", "approximately 270 million", True),
        ("about", "270 million", False),  # stated plainly: "about" adds to it
        ("about", "nearly 270 million", False),
        ("nearly", "nearly 150 companies", True),
        ("near", "near 90 million", True),
        ("nearly", "almost 150", True),
        ("nearly", "150 companies", False),  # aNewz's "150" is no "nearly 150"
        ("over", "more than 150", True),
        ("at_least", "at least 150", True),
        ("exact", "150 companies", True),
        ("exact", "nearly 150 companies", False),  # a plain figure is not a qualified one
    ],
)
def test_qualifiers_must_match(qualifier: str, quote: str, found: bool) -> None:
    value = next(m.value for m in numbers_in(quote))
    assert number_found(value, [quote], qualifier=qualifier) is found


@pytest.mark.parametrize(
    ("date", "precision", "quote", "found"),
    [
        (dt.date(2025, 5, 20), "day", "On 20 May 2025 the two leaders signed", True),
        (dt.date(2025, 5, 20), "day", "on May 20, 2025", True),
        (dt.date(2025, 5, 20), "day", "dated 2025-05-20", True),
        (dt.date(2025, 5, 20), "day", "dated 20.05.2025", True),
        (dt.date(2025, 5, 20), "day", "in May 2025", False),  # less precise than stored
        (dt.date(2025, 5, 20), "day", "on 21 May 2025", False),
        (dt.date(2025, 5, 20), "day", "the day of the signing", False),
        (dt.date(2025, 5, 1), "month", "in May 2025", True),
        (dt.date(2025, 5, 1), "month", "on 19 May 2025", True),  # more precise is fine
        (dt.date(2025, 5, 1), "month", "in June 2025", False),
        (dt.date(2023, 1, 1), "year", "a 2023 memorandum", True),
        (dt.date(2023, 1, 1), "year", "a 2024 memorandum", False),
        (dt.date(2023, 1, 1), "year", "2,023 people", False),
        (dt.date(2023, 1, 1), "unknown", "no date at all", True),
    ],
)
def test_dates_at_their_precision(date: dt.date, precision: str, quote: str, found: bool) -> None:
    assert date_found(date, precision, [quote]) is found


@pytest.mark.parametrize(
    ("period", "quote", "found"),
    [
        ((2024, 1, 6), "First half of 2024: total trade 124.1 million USD", True),
        ((2024, 1, 6), "H1 2024", True),
        ((2024, 1, 6), "January-June 2024", True),
        ((2024, 7, 6), "First half of 2024", False),
        ((2024, 1, 6), "First half of 2023", False),
        ((2024, 1, 3), "Q1 2024", True),
        ((2024, 4, 3), "second quarter of 2024", True),
        ((2024, 3, 1), "in March 2024", True),
        ((2024, 0, 12), "Preliminary figures for 2024", True),
        ((2024, 0, 12), "Preliminary figures", False),
    ],
)
def test_periods(period: tuple[int, int, int], quote: str, found: bool) -> None:
    assert period_found(*period, [quote]) is found


@pytest.mark.parametrize(
    ("names", "quote", "found"),
    [
        (["Japan"], "nearly 150 Japanese companies", True),  # demonym
        (["Bulgaria"], "Bulgarian exports", True),
        (["Toyota Motor Corporation", "Toyota"], "Toyota’s recent commitment", True),
        (["Japanese Prime Minister’s residence"], "the Japanese Prime Minister's residence", True),
        (["IT sector"], "advanced IT sector", True),
        (["IT"], "it is advanced", False),  # capitals must be written so
        (["Tokyo"], "an Official Working Visit to Japan", False),
        (["Japan"], "Japanesque", False),
        (["Rumen Radev", "Radev"], "his earlier meetings", False),
    ],
)
def test_names_and_aliases(names: list[str], quote: str, found: bool) -> None:
    assert name_found(names, [quote]) is found


def test_title_words_in_any_order() -> None:
    assert words_found("Minister of Economy", ["Economy Minister Petar Dilov"])
    assert not words_found("Minister of Economy and Industry", ["Economy Minister Petar Dilov"])


def test_currency_and_status_words() -> None:
    assert currency_found("USD", [ARTICLE])
    assert currency_found("USD", ["$1 billion"])
    assert not currency_found("USD", ["Bulgarian exports 37.9 million"])
    assert currency_found("EUR", ["12 million euros"])
    assert status_found("preliminary", ["Preliminary figures for 2024"])
    assert not status_found("provisional", ["2024 trade was 269.5 million US dollars"])
    assert status_found("not_stated", ["anything"])


def test_unsupported_names_each_missing_value() -> None:
    values = FactValues(
        amounts=[Amount("value", Decimal(270_000_000), "about")],
        dates=[When("start", dt.date(2025, 5, 20), Precision.DAY)],
        periods=[Period(2024, 0, 12)],
        names=[Named("partner", "Japan"), Named("location", "Tokyo")],
        phrases=[("title", "Prime Minister")],
        currency="USD",
        status="preliminary",
    )
    assert unsupported(values, [ARTICLE, "Preliminary figures for 2024"]) == [
        "start 2025-05-20",
        "location 'Tokyo'",
        "title 'Prime Minister'",
    ]


def test_unsupported_tells_a_wrong_qualifier_from_a_missing_number() -> None:
    nearly = FactValues(amounts=[Amount("count", Decimal(150), "nearly")])
    assert unsupported(nearly, ["senior executives of 150 Japanese companies"]) == [
        "count 150 is not qualified 'nearly'"
    ]
    assert unsupported(nearly, ["160 companies"]) == ["count 150"]
    exact = FactValues(amounts=[Amount("value", Decimal(270_000_000), "exact")])
    assert unsupported(exact, [ARTICLE]) == ["value 270000000 is qualified there, not exact"]


def test_numbers_in_the_fact_own_words_are_checked_but_prose_numbers_are_not() -> None:
    values = FactValues()
    values.numbers_from("description", "one person, two descriptions; since HS 2007")
    assert [a.value for a in values.amounts] == [2007]


def test_spans_point_into_the_original_text() -> None:
    text = "Toyota’s  commitment of about 270 million on 20 May 2025 to JETRO in Sofia."
    numbers = [(text[s:e], m.value) for s, e, m in number_spans(text)]
    assert ("270 million", 270_000_000) in numbers
    assert [text[s:e] for s, e, _ in date_spans(text)] == ["20 May 2025"]
    names = [n for _, _, n in name_spans(text)]
    assert "JETRO" in names and "Sofia" in names
    assert "Toyota’s" not in names, "a single word opening a sentence is not taken for a name"


def test_the_matcher_is_pure() -> None:
    """Pure text functions: importing them loads no database layer and no fact-file parser."""
    import subprocess
    import sys

    probe = (
        "import sys, factdb.support\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'alembic', 'pydantic', 'ruamel')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
