"""Does a fact's evidence show what the fact says? Numbers with their scale words, dates at
their precision, periods, names and aliases, qualifiers, currencies and status words, each
looked for in the fact's quotes.

A fact may restate its quote in other words ("$1 billion" is 1000000000 USD, "270 million" is
270000000, "Bulgarian" names Bulgaria, "first half of 2024" is January to June), but every
value it stores must be read in at least one quote: a fact that needs more (a date taken from
another source) says so in ``inferred``. Pure text functions: no database, no fact files, and
nothing of factdb's beyond the vocabularies; ``factdb.verify`` gathers facts and quotes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from factdb.vocabulary import Precision

# --- text -----------------------------------------------------------------------------------

_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "`": "'",
        "\u00b4": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2212": "-",
        "\u00a0": " ",
        "\u202f": " ",
    }
)


def fold(text: str) -> str:
    """Typographic quotes and dashes as plain ones, runs of white space as one space."""
    return re.sub(r"\s+", " ", text.translate(_FOLD)).strip()


# --- numbers --------------------------------------------------------------------------------

SCALES: dict[str, Decimal] = {
    "thousand": Decimal(10) ** 3,
    "k": Decimal(10) ** 3,
    "million": Decimal(10) ** 6,
    "mln": Decimal(10) ** 6,
    "m": Decimal(10) ** 6,
    "billion": Decimal(10) ** 9,
    "bn": Decimal(10) ** 9,
    "trillion": Decimal(10) ** 12,
}

#: qualifier (as stored) -> the words a source uses for it; ``near`` and ``nearly`` are one
QUALIFIER_WORDS: dict[str, tuple[str, ...]] = {
    "about": ("about", "around", "approximately", "approx.", "roughly", "some", "circa",
              "an estimated", "estimated", "~"),
    "near": ("near", "nearly", "almost", "close to", "just under", "just below"),
    "over": ("over", "more than", "above", "exceeding", "upwards of", "in excess of"),
    "under": ("under", "less than", "below", "fewer than"),
    "at_least": ("at least", "no less than", "no fewer than"),
    "at_most": ("at most", "up to", "no more than", "not more than"),
}  # fmt: skip
#: a stored qualifier -> its family in ``QUALIFIER_WORDS``
FAMILY = {"nearly": "near"}

_WORD_NUMBERS: dict[str, int | Decimal] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "hundred": 100, "a hundred": 100, "a dozen": 12, "dozen": 12,
    "half a": Decimal("0.5"), "a half": Decimal("0.5"), "half": Decimal("0.5"), "a": 1,
}  # fmt: skip
_SCALE = r"(?P<scale>thousand|million|mln|billion|bn|trillion|k|m)\b"
_QUALIFIER = "|".join(
    re.escape(word)
    for word in sorted((w for ws in QUALIFIER_WORDS.values() for w in ws), key=len, reverse=True)
)
_NUMBER = re.compile(
    r"(?:(?<!\w)(?P<qual>" + _QUALIFIER + r")\s+)?"
    r"(?P<cur>us\$|\$|€|£|¥)?\s?"
    r"(?:(?P<digits>(?<![\w.,])\d{1,3}(?:,\d{3})+(?:\.\d+)?|(?<![\w.,])\d+(?:\.\d+)?)"
    r"|(?P<words>\b(?:"
    + "|".join(sorted(map(re.escape, _WORD_NUMBERS), key=len, reverse=True))
    + r")\b))"
    r"(?:\s?-?\s?" + _SCALE + r")?"
    r"(?:\s?(?P<pct>%|percent\b|per cent\b))?",
    re.IGNORECASE,
)


_RANGE = re.compile(
    r"(?<![\w.,])(?P<low>\d+(?:\.\d+)?)\s*(?:-|to|and)\s*\d+(?:\.\d+)?\s*"
    r"(?P<scale>thousand|million|billion|trillion|bn|mln)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Mention:
    """A number as a text states it: its value after scale words, and the words around it."""

    value: Decimal
    qualifier: str | None  # a family of ``QUALIFIER_WORDS``, None when stated plainly
    percent: bool
    currency_sign: str | None
    spelled: bool = False  # written in words ("two", "half a million")


def numbers_in(text: str) -> list[Mention]:
    """Every number of ``text``: digits or number words, scaled by million, billion, ...

    A number word alone ("a", "one") counts only with a scale word ("a million"), so articles
    and pronouns are not read as numbers; "half" alone is 0.5.
    """
    return [mention for _, _, mention in number_spans(fold(text))]


def number_spans(text: str) -> list[tuple[int, int, Mention]]:
    """``numbers_in`` with where each number is written (offsets into ``text`` itself)."""
    out: list[tuple[int, int, Mention]] = []
    for match in _NUMBER.finditer(text.translate(_FOLD)):
        scale = match.group("scale")
        words = match.group("words")
        if match.group("digits"):
            try:
                value = Decimal(match.group("digits").replace(",", ""))
            except InvalidOperation:  # pragma: no cover - the pattern admits only numbers
                continue
        elif words:
            value = Decimal(_WORD_NUMBERS[words.lower()])
            if scale is None and words.lower() in ("a", "one", "half a", "a half"):
                continue
        else:
            continue
        if scale is not None:
            if scale.lower() in ("k", "m") and not match.group("cur"):
                scale = None  # "5 m" is a distance; only "$5m" is money
            else:
                value *= SCALES[scale.lower()]
        qualifier = match.group("qual")
        mention = Mention(
            value=value.normalize(),
            qualifier=None if qualifier is None else _family(qualifier),
            percent=match.group("pct") is not None,
            currency_sign=match.group("cur"),
            spelled=words is not None,
        )
        start = match.start("digits") if match.group("digits") else match.start("words")
        out.append((start, match.end(), mention))
    # "between 250 and 300 million": the scale word of a range's end scales its start too
    for match in _RANGE.finditer(text.translate(_FOLD)):
        low = Decimal(match.group("low").replace(",", "")) * SCALES[match.group("scale").lower()]
        mention = Mention(low.normalize(), None, False, None)
        out.append((match.start("low"), match.end("low"), mention))
    return sorted(out, key=lambda item: item[0])


def _family(word: str) -> str:
    word = word.lower()
    for family, words in QUALIFIER_WORDS.items():
        if word in words:
            return family
    raise AssertionError(f"qualifier word {word!r} has no family")  # pragma: no cover


def qualifier_family(qualifier: str | None) -> str | None:
    """The family of a stored qualifier; ``exact`` (or none) is a plain statement."""
    if qualifier is None or qualifier == "exact":
        return None
    return FAMILY.get(qualifier, qualifier)


def number_found(
    value: Decimal, quotes: Iterable[str], *, qualifier: str | None = None, percent: bool = False
) -> bool:
    """``value`` stated in a quote, with ``qualifier``'s words (or none for ``exact``)."""
    wanted = qualifier_family(qualifier)
    target = Decimal(value).normalize()
    for quote in quotes:
        for mention in numbers_in(quote):
            same = mention.value == target and mention.qualifier == wanted
            if same and (not percent or mention.percent):
                return True
    return False


def value_found_without_qualifier(value: Decimal, quotes: Iterable[str]) -> bool:
    """``value`` is stated, whatever the words around it (to tell a missing number from a
    mismatched qualifier)."""
    target = Decimal(value).normalize()
    return any(m.value == target for q in quotes for m in numbers_in(q))


def numbers_of(text: str) -> list[Mention]:
    """The numbers a fact's own words state (a relation's value, an event's description)."""
    return numbers_in(text)


CURRENCY_WORDS: dict[str, tuple[str, ...]] = {
    "USD": ("$", "us$", "usd", "dollar"),
    "EUR": ("€", "eur", "euro"),
    "JPY": ("¥", "jpy", "yen"),
    "BGN": ("bgn", "lev", "leva"),
    "GBP": ("£", "gbp", "pound"),
}


def currency_found(code: str, quotes: Iterable[str]) -> bool:
    """The currency named in a quote: by code, sign or word ("US dollars", "$")."""
    words = CURRENCY_WORDS.get(code.upper(), (code.lower(),))
    for quote in quotes:
        text = fold(quote).lower()
        for word in words:
            if word.isalpha():
                if re.search(rf"(?<![a-z]){re.escape(word)}", text):
                    return True
            elif word in text:
                return True
    return False


# --- dates ----------------------------------------------------------------------------------

MONTHS = {
    name: index
    for index, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<{}>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<{}>(?:1[0-9]|2[0-9])\d\d)(?!\d)"
_DAY = r"(?P<{}>[0-3]?\d)(?:st|nd|rd|th)?"
_DATE_PATTERNS = [
    # 20 May 2025, 20th of May, 2025
    re.compile(
        r"\b" + _DAY.format("d") + r"\s+(?:of\s+)?" + _MONTH.format("m") + r",?\s+"
        + _YEAR.format("y"), re.IGNORECASE
    ),
    # May 20, 2025
    re.compile(
        r"\b" + _MONTH.format("m") + r"\s+" + _DAY.format("d") + r",?\s+" + _YEAR.format("y"),
        re.IGNORECASE,
    ),
    # 2025-05-20
    re.compile(r"\b(?P<y>\d{4})-(?P<mn>\d{2})-(?P<d>\d{2})\b"),
    # 20.05.2025, 20/05/2025 (day first, as the sources of this database write it)
    re.compile(r"\b(?P<d>\d{1,2})[./](?P<mn>\d{1,2})[./](?P<y>\d{4})\b"),
    # May 2025
    re.compile(r"\b" + _MONTH.format("m") + r",?\s+" + _YEAR.format("y"), re.IGNORECASE),
    # 2025-05
    re.compile(r"\b(?P<y>\d{4})-(?P<mn>\d{2})\b(?!-\d)"),
    # 2025
    re.compile(r"(?<![\d.,$])\b" + _YEAR.format("y") + r"\b(?![.,]\d)"),
]  # fmt: skip


@dataclass(frozen=True)
class DateMention:
    year: int
    month: int | None
    day: int | None


def dates_in(text: str) -> set[DateMention]:
    """Every date of ``text`` as precisely as it is written."""
    return {mention for _, _, mention in date_spans(fold(text))}


def date_spans(text: str) -> list[tuple[int, int, DateMention]]:
    """Every date of ``text`` with where it is written, most precise first; a date inside a
    longer one ("2025" in "20 May 2025") is not listed again."""
    text = text.translate(_FOLD)
    out: list[tuple[int, int, DateMention]] = []
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(text):
            if any(s <= match.start() and match.end() <= e for s, e, _ in out):
                continue
            groups = match.groupdict()
            month: int | None = None
            if groups.get("m"):
                month = MONTHS[groups["m"].lower()]
            elif groups.get("mn"):
                month = int(groups["mn"])
            day = int(groups["d"]) if groups.get("d") else None
            if month is not None and not 1 <= month <= 12:
                continue
            if day is not None and not 1 <= day <= 31:
                continue
            out.append((match.start(), match.end(), DateMention(int(groups["y"]), month, day)))
    return out


def date_found(date: dt.date, precision: Precision | str, quotes: Iterable[str]) -> bool:
    """``date`` stated in a quote at least as precisely as ``precision`` says it is known."""
    precision = Precision(precision)
    if precision is Precision.UNKNOWN:
        return True
    for quote in quotes:
        for mention in dates_in(quote):
            if mention.year != date.year:
                continue
            if precision is Precision.YEAR:
                return True
            if mention.month != date.month:
                continue
            if precision is Precision.MONTH or mention.day == date.day:
                return True
    return False


_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3}


def period_found(year: int, month: int, months: int, quotes: Iterable[str]) -> bool:
    """A part of a year (``month`` 1, ``months`` 6 is the first half) stated in a quote:
    "first half of 2024", "H1 2024", "Q3 2024", "January-June 2024", "March 2024"."""
    if month == 0:
        return date_found(dt.date(year, 1, 1), Precision.YEAR, quotes)
    names = [m for m, i in MONTHS.items() if i == month]
    last = [m for m, i in MONTHS.items() if i == month + months - 1]
    wanted: list[str] = []
    if months == 6 and month in (1, 7):
        nth = "first" if month == 1 else "second"
        wanted += [rf"{nth}\s+half", rf"{nth}\s+six\s+months", rf"\bh{1 if month == 1 else 2}\b"]
    if months == 3 and month in (1, 4, 7, 10):
        index = (month - 1) // 3 + 1
        ordinal = [k for k, v in _ORDINALS.items() if v == index] + ["fourth"] * (index == 4)
        wanted += [rf"{o}\s+quarter" for o in ordinal] + [rf"\bq{index}\b"]
    if months == 1:
        return date_found(dt.date(year, month, 1), Precision.MONTH, quotes)
    span = "(?:" + "|".join(names) + r")\.?\s*(?:-|to|through|until)\s*(?:" + "|".join(last) + ")"
    wanted.append(span)
    for quote in quotes:
        text = fold(quote).lower()
        if not re.search(rf"(?<!\d){year}(?!\d)", text):
            continue
        if any(re.search(p, text) for p in wanted):
            return True
    return False


# --- names ----------------------------------------------------------------------------------

#: what may follow a name in running text and still be that name: "Japan's", "Japanese",
#: "Bulgarian", "Toyota's"
_NAME_ENDINGS = r"(?:'s|'|s|n|an|ian|ese|i)?"


def name_found(names: Iterable[str], quotes: Iterable[str]) -> bool:
    """One of ``names`` (an entity's name or aliases) written in a quote.

    Case is ignored except for names in capitals ("IT", "AI"), which must be written so, so
    that "it" is not the IT sector. The name's possessive or demonym counts as the name.
    """
    patterns = []
    for name in names:
        name = fold(name)
        if not name:
            continue
        body = r"\s+".join(re.escape(part) for part in name.split(" "))
        flags = 0 if name.isupper() and len(name) <= 6 else re.IGNORECASE
        patterns.append(re.compile(rf"(?<!\w){body}{_NAME_ENDINGS}(?!\w)", flags))
    texts = [fold(q) for q in quotes]
    return any(p.search(t) for p in patterns for t in texts)


#: a run of capitalised words ("Chaira Pumped Storage", "JETRO"), joined by "of"/"the"/"-"
_PROPER = re.compile(
    r"(?<![\w'])(?:[A-Z][\w'.-]*[\w]|[A-Z])(?:(?:\s+(?:of|the|for)\s+|\s+|-)"
    r"(?:[A-Z][\w'.-]*[\w]|[A-Z]))*"
)
_SENTENCE_START = re.compile(r"(?:^|[.!?][\"')]*\s+|\n\s*)$")


def name_spans(text: str) -> list[tuple[int, int, str]]:
    """Runs of capitalised words that may name something: "Emperor Naruhito", "JETRO".

    A single word that opens a sentence ("Furthermore", "He") is left out: nothing tells a
    name from an ordinary word there.
    """
    folded = text.translate(_FOLD)
    out = []
    for match in _PROPER.finditer(folded):
        words = match.group(0).split()
        if len(words) == 1 and _SENTENCE_START.search(folded[: match.start()]):
            continue
        out.append((match.start(), match.end(), match.group(0)))
    return out


_STOPWORDS = {"of", "the", "and", "for", "in", "on", "at", "a", "an", "to"}


def words_found(phrase: str, quotes: Iterable[str]) -> bool:
    """Every word of ``phrase`` (a title: "Minister of Economy") in one quote, in any order
    ("Economy Minister"); small words are ignored."""
    words = [w for w in re.findall(r"\w+", fold(phrase).lower()) if w not in _STOPWORDS]
    for quote in quotes:
        have = set(re.findall(r"\w+", fold(quote).lower()))
        if all(w in have or any(h.startswith(w) for h in have) for w in words):
            return True
    return False


#: a trade status -> a word stem a source uses for it; statuses absent here need no word
STATUS_WORDS: dict[str, str] = {
    "preliminary": "preliminar",
    "provisional": "provisional",
    "final": "final",
    "revised": "revis",
    "estimated": "estimat",
}


def status_found(status: str, quotes: Iterable[str]) -> bool:
    """The status of a figure stated in a quote ("Preliminary figures for 2024")."""
    stem = STATUS_WORDS.get(status)
    if stem is None:
        return True
    return any(re.search(rf"\b{stem}", fold(q).lower()) for q in quotes)


# --- a fact's values ------------------------------------------------------------------------


@dataclass(frozen=True)
class Amount:
    label: str  # how the message names it: "value", "count"
    value: Decimal
    qualifier: str | None = None
    percent: bool = False


@dataclass(frozen=True)
class When:
    label: str
    date: dt.date
    precision: Precision


@dataclass(frozen=True)
class Period:
    year: int
    month: int
    months: int


@dataclass(frozen=True)
class Named:
    label: str  # the field: "subject", "location"
    name: str
    aliases: tuple[str, ...] = ()


@dataclass
class FactValues:
    """What one fact states, as the support check reads it."""

    amounts: list[Amount] = field(default_factory=list)
    dates: list[When] = field(default_factory=list)
    periods: list[Period] = field(default_factory=list)
    names: list[Named] = field(default_factory=list)
    #: (label, phrase) whose words must all be in one quote: a role's title
    phrases: list[tuple[str, str]] = field(default_factory=list)
    currency: str | None = None
    status: str | None = None

    def numbers_from(self, label: str, text: str | None) -> None:
        """Every number the fact's own words state in digits, each with the qualifier written
        there (numbers in words are the filer's prose: "one person, two descriptions")."""
        for mention in numbers_in(text or ""):
            if mention.spelled:
                continue
            self.amounts.append(
                Amount(label, mention.value, mention.qualifier or "exact", mention.percent)
            )


def _number(value: Decimal) -> str:
    text = format(Decimal(value).normalize(), "f")
    return text


def unsupported(values: FactValues, quotes: Sequence[str]) -> list[str]:
    """What of ``values`` no quote shows, each as a short phrase; empty when all is shown."""
    missing: list[str] = []
    for amount in values.amounts:
        if number_found(amount.value, quotes, qualifier=amount.qualifier, percent=amount.percent):
            continue
        number = _number(amount.value) + ("%" if amount.percent else "")
        if qualifier_family(amount.qualifier) is not None and value_found_without_qualifier(
            amount.value, quotes
        ):
            missing.append(f"{amount.label} {number} is not qualified {amount.qualifier!r}")
        elif amount.qualifier in (None, "exact") and value_found_without_qualifier(
            amount.value, quotes
        ):
            missing.append(f"{amount.label} {number} is qualified there, not exact")
        else:
            missing.append(f"{amount.label} {number}")
    if (
        values.currency is not None
        and values.amounts
        and not currency_found(values.currency, quotes)
    ):
        missing.append(f"currency {values.currency}")
    for when in values.dates:
        if not date_found(when.date, when.precision, quotes):
            missing.append(f"{when.label} {_date_label(when)}")
    for period in values.periods:
        if not period_found(period.year, period.month, period.months, quotes):
            missing.append(f"period {_period_label(period)}")
    for named in values.names:
        if not name_found((named.name, *named.aliases), quotes):
            missing.append(f"{named.label} {named.name!r}")
    for label, phrase in values.phrases:
        if not words_found(phrase, quotes):
            missing.append(f"{label} {phrase!r}")
    if values.status is not None and not status_found(values.status, quotes):
        missing.append(f"status {values.status!r}")
    return missing


def _date_label(when: When) -> str:
    if when.precision is Precision.YEAR:
        return f"{when.date:%Y}"
    if when.precision is Precision.MONTH:
        return f"{when.date:%Y-%m}"
    return when.date.isoformat()


def _period_label(period: Period) -> str:
    if period.month == 0:
        return str(period.year)
    last = period.month + period.months - 1
    return f"{period.year}-{period.month:02d}..{period.year}-{last:02d}"
