"""The one table of UN Comtrade column names: which header holds which field, in every layout.

Comtrade spells the same column differently by download channel and year: the Comtrade Plus
API and bulk files (``primaryValue``), the legacy website and API in "human" headers
(``Trade Value (US$)``) or machine ones (``TradeValue``), and tools that re-save them
(``trade_value_usd``). Headers are compared after ``normalise`` (case, spacing, punctuation and
a US-dollar suffix do not count), so one spelling per layout stands for all its variants.
``--column FIELD=HEADER`` names any other column.

Plain data and pure functions: must not import anything heavier than factdb.errors, and must
not know of files or of the database (the reader finds the columns, the CLI parses options).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from factdb.errors import InvalidOption


@dataclass(frozen=True)
class Field:
    """A value factdb reads from a Comtrade file, and the headers it is published under."""

    name: str
    required: bool
    meaning: str
    #: published spellings, most specific first: the first one a header matches wins
    known: tuple[str, ...]


#: Every field, with the header names Comtrade has published it under: the current (Comtrade
#: Plus) name, the legacy "human" CSV name, the legacy API's short name; for the flow, its codes
#: before its names. docs/trade-statistics.md shows this table (a test keeps them equal).
FIELDS: tuple[Field, ...] = (
    Field(
        "year", False, "the year (else the period's first four digits)", ("refYear", "Year", "yr")
    ),
    Field("period", False, "YYYY, YYYYMM, or the period id YYYYMMDD", ("period", "refPeriodId")),
    Field("month", False, "1-12; 52 or empty for the whole year", ("refMonth",)),
    Field("freq", False, "A (annual) or M (monthly)", ("freqCode",)),
    Field(
        "flow",
        True,
        "M, X, RM, RX or 1-4; else a name: Import, Export, Re-export, Re-import",
        ("flowCode", "Trade Flow Code", "rgCode", "flowDesc", "Trade Flow", "rgDesc"),
    ),
    Field(
        "reporter_code", True, "reporter: UN M49 code", ("reporterCode", "Reporter Code", "rtCode")
    ),
    Field(
        "reporter_iso", False, "reporter: ISO alpha-3", ("reporterISO", "Reporter ISO", "rt3ISO")
    ),
    Field("reporter_name", False, "reporter: name", ("reporterDesc", "Reporter", "rtTitle")),
    Field("partner_code", True, "partner: UN M49 code", ("partnerCode", "Partner Code", "ptCode")),
    Field("partner_iso", False, "partner: ISO alpha-3", ("partnerISO", "Partner ISO", "pt3ISO")),
    Field("partner_name", False, "partner: name", ("partnerDesc", "Partner", "ptTitle")),
    Field("commodity_code", True, "HS code, or TOTAL", ("cmdCode", "Commodity Code")),
    Field("commodity_label", False, "commodity description", ("cmdDesc", "Commodity", "cmdDescE")),
    Field(
        "value",
        True,
        "trade value, US dollars",
        ("primaryValue", "Trade Value (US$)", "TradeValue"),
    ),
)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
#: "Trade Value (US$)", "trade_value_usd", "TradeValueUS" and "Trade Value" are one column
_DOLLAR_SUFFIX = re.compile(r"value(?:usd|us)$")


def normalise(header: str) -> str:
    """The header as compared: lower case, letters and digits only, no US-dollar suffix.

    ``Trade Value (US$)``, ``TradeValue``, ``trade_value_usd`` and ``Trade Value`` all become
    ``tradevalue``; ``Reporter Code``, ``ReporterCode`` and ``reporter_code``: ``reportercode``.
    """
    text = unicodedata.normalize("NFKC", header).casefold()
    text = "".join(ch for ch in text if ch.isalnum())
    return _DOLLAR_SUFFIX.sub("value", text)


@dataclass(frozen=True)
class ColumnMatch:
    """Where each field is in one header row: field -> (column index, header as written)."""

    columns: dict[str, tuple[int, str]]
    missing: tuple[str, ...]


def match_header(header: Sequence[str], overrides: Mapping[str, str] | None = None) -> ColumnMatch:
    """Find each field's column; ``overrides`` (field -> header) come first.

    An override names its header as written or as ``normalise`` sees it; one that names no
    column raises KeyError with the field, for the caller to report with the file's name.
    """
    by_name: dict[str, int] = {}
    by_normal: dict[str, int] = {}
    for i, name in enumerate(header):
        by_name.setdefault(name.strip(), i)
        by_normal.setdefault(normalise(name), i)
    columns: dict[str, tuple[int, str]] = {}
    for field_name, wanted in (overrides or {}).items():
        index = by_name.get(wanted.strip())
        if index is None:
            index = by_normal.get(normalise(wanted))
        if index is None:
            raise KeyError(field_name)
        columns[field_name] = (index, header[index].strip())
    for spec in FIELDS:
        if spec.name in columns:
            continue
        for known in spec.known:
            index = by_normal.get(normalise(known))
            if index is not None:
                columns[spec.name] = (index, header[index].strip())
                break
    missing = [f.name for f in FIELDS if f.required and f.name not in columns]
    if "year" not in columns and "period" not in columns:
        missing.insert(0, "year (or period)")
    return ColumnMatch(columns, tuple(missing))


def describe_headers(header: Iterable[str], limit: int = 60) -> str:
    """The headers seen, quoted and comma-separated, the first ``limit`` of them."""
    names = [name.strip() for name in header]
    shown = ", ".join(repr(name[:60]) for name in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def parse_column_options(values: Iterable[str]) -> dict[str, str]:
    """``--column FIELD=HEADER`` options as field -> header; InvalidOption (exit 2) if wrong."""
    valid = f"FIELD is one of {', '.join(FIELD_NAMES)}"
    mapping: dict[str, str] = {}
    for value in values:
        field_name, equals, header = value.partition("=")
        field_name = field_name.strip().lower().replace("-", "_")
        if not equals or not field_name or not header.strip():
            raise InvalidOption(f"--column {value!r}: expected FIELD=HEADER; {valid}")
        if field_name not in FIELD_NAMES:
            raise InvalidOption(f"--column {value!r}: unknown field {field_name!r}; {valid}")
        if field_name in mapping:
            raise InvalidOption(f"--column {field_name} is given twice; give each field once")
        mapping[field_name] = header.strip()
    return mapping


def markdown_table() -> str:
    """FIELDS as the Markdown table docs/trade-statistics.md shows."""
    lines = [
        "| Field | Needed | Meaning | Known headers |",
        "| --- | --- | --- | --- |",
    ]
    for spec in FIELDS:
        needed = "yes" if spec.required else "no"
        if spec.name in ("year", "period"):
            needed = "one of the two"
        known = ", ".join(f"`{name}`" for name in spec.known)
        lines.append(f"| `{spec.name}` | {needed} | {spec.meaning} | {known} |")
    return "\n".join(lines) + "\n"
