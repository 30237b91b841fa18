"""Parse UN Comtrade CSV files, plain or gzipped, in the current and the legacy layout.

Pure: yields parsed rows and problems with their line numbers; knows nothing of the database.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NamedTuple

from factdb.errors import FactdbError
from factdb.models.trade import TOTAL_COMMODITY


class UnknownLayout(FactdbError):
    """The header is neither Comtrade's current nor its legacy layout."""


@dataclass(frozen=True)
class Layout:
    """Which column holds each field, by name; one per Comtrade layout."""

    name: str
    year: str
    period: str | None
    month: str | None
    flow: str
    reporter_code: str
    reporter_iso: str
    reporter_name: str
    partner_code: str
    partner_iso: str
    partner_name: str
    commodity_code: str
    commodity_label: str
    value: str
    freq: str | None


CURRENT = Layout(
    name="current",
    year="refYear",
    period="period",
    month="refMonth",
    flow="flowCode",
    reporter_code="reporterCode",
    reporter_iso="reporterISO",
    reporter_name="reporterDesc",
    partner_code="partnerCode",
    partner_iso="partnerISO",
    partner_name="partnerDesc",
    commodity_code="cmdCode",
    commodity_label="cmdDesc",
    value="primaryValue",
    freq="freqCode",
)
LEGACY = Layout(
    name="legacy",
    year="Year",
    period="Period",
    month=None,
    flow="Trade Flow Code",
    reporter_code="Reporter Code",
    reporter_iso="Reporter ISO",
    reporter_name="Reporter",
    partner_code="Partner Code",
    partner_iso="Partner ISO",
    partner_name="Partner",
    commodity_code="Commodity Code",
    commodity_label="Commodity",
    value="Trade Value (US$)",
    freq=None,
)

#: Comtrade flow codes, current letters and legacy numbers, to factdb's flows
FLOWS = {
    "M": "import",
    "X": "export",
    "RM": "re_import",
    "RX": "re_export",
    "1": "import",
    "2": "export",
    "3": "re_export",
    "4": "re_import",
}
#: the columns a layout cannot do without (partnerDesc is optional in API extracts)
REQUIRED = {
    "current": ["refYear", "flowCode", "reporterCode", "partnerCode", "cmdCode", "primaryValue"],
    "legacy": [
        "Year",
        "Trade Flow Code",
        "Reporter Code",
        "Partner Code",
        "Commodity Code",
        "Trade Value (US$)",
    ],
}
_MONEY = re.compile(r"^(\d+)(?:\.(\d{1,2})0*)?$")
_SCIENTIFIC = re.compile(r"^\d+(\.\d+)?[eE]\+?\d+$")


class ParsedRow(NamedTuple):
    """One row of a Comtrade file, as factdb will store it (value in cents).

    A named tuple rather than a dataclass: a million of them are made per million rows.
    """

    line: int
    reporter_code: str
    reporter_iso: str
    reporter_name: str
    partner_code: str
    partner_iso: str
    partner_name: str
    year: int
    month: int
    months: int
    flow: str
    commodity_code: str
    commodity_label: str | None
    value_cents: int


@dataclass(frozen=True)
class RowProblem:
    file: str
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.column}: {self.message}"


def open_text(path: Path) -> IO[str]:
    """A text stream over a plain or gzipped file (by its magic bytes, not its name)."""
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    # the caller closes the returned stream, which closes this one
    raw: IO[bytes] = gzip.open(path, "rb") if gzipped else path.open("rb")  # type: ignore[assignment]  # noqa: SIM115
    return io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")


def detect_layout(header: list[str], file: str) -> tuple[Layout, dict[str, int]]:
    """The layout of a header row and the index of every column in it."""
    index = {name.strip(): i for i, name in enumerate(header)}
    for layout in (CURRENT, LEGACY):
        if all(column in index for column in REQUIRED[layout.name]):
            return layout, index
    for layout in (CURRENT, LEGACY):
        present = [c for c in REQUIRED[layout.name] if c in index]
        if len(present) >= 3:
            missing = [c for c in REQUIRED[layout.name] if c not in index]
            raise UnknownLayout(
                f"{file}:1: header: the {layout.name} layout is missing column(s) "
                f"{', '.join(missing)}"
            )
    raise UnknownLayout(
        f"{file}:1: header: not a Comtrade file (expected columns such as refYear, "
        "reporterCode, flowCode, primaryValue, or the legacy Year, Reporter Code, Trade Flow Code)"
    )


def parse_cents(text: str) -> int:
    """Exact cents from Comtrade's value text; raises ValueError when that is not exact."""
    if text.isdigit():
        return int(text) * 100
    whole, dot, fraction = text.partition(".")
    if dot and whole.isdigit() and 0 < len(fraction) <= 2 and fraction.isdigit():
        return int(whole) * 100 + int(fraction.ljust(2, "0"))
    match = _MONEY.match(text)
    if match:
        whole, fraction = match.groups()
        return int(whole) * 100 + int((fraction or "0").ljust(2, "0"))
    if _SCIENTIFIC.match(text):
        from decimal import Decimal

        amount = Decimal(text) * 100
        if amount == amount.to_integral_value():
            return int(amount)
    if text.startswith("-"):
        raise ValueError(f"negative value {text!r}")
    raise ValueError(f"not an amount with at most two decimals: {text!r}")


def read_rows(path: Path) -> Iterator[ParsedRow | RowProblem]:
    """Stream a Comtrade file: a ParsedRow or a RowProblem per data line."""
    name = str(path)
    with open_text(path) as stream:
        reader = csv.reader(stream)
        try:
            header = next(reader)
        except StopIteration:
            raise UnknownLayout(f"{name}:1: header: the file is empty") from None
        except csv.Error as exc:
            raise UnknownLayout(f"{name}:1: header: {exc}") from None
        layout, index = detect_layout(header, name)
        yield from _rows(reader, layout, index, name)


def _rows(
    reader: Any, layout: Layout, index: dict[str, int], name: str
) -> Iterator[ParsedRow | RowProblem]:
    get = index.get
    i_year, i_flow = index[layout.year], index[layout.flow]
    i_rc, i_pc = index[layout.reporter_code], index[layout.partner_code]
    i_cmd, i_value = index[layout.commodity_code], index[layout.value]
    i_ri, i_rn = get(layout.reporter_iso), get(layout.reporter_name)
    i_pi, i_pn = get(layout.partner_iso), get(layout.partner_name)
    i_cl = get(layout.commodity_label)
    i_month = get(layout.month) if layout.month else None
    i_period = get(layout.period) if layout.period else None
    i_freq = get(layout.freq) if layout.freq else None
    width = max(index.values()) + 1
    codes: dict[str, str] = {}
    months: dict[tuple[str, ...], int] = {}
    for record in reader:
        line = reader.line_num  # the physical line, right across quoted newlines
        if len(record) < width:
            if not record or record == [""]:
                continue
            yield RowProblem(name, line, "row", f"{len(record)} fields, the header has {width}")
            continue
        column = layout.year
        try:
            year = int(record[i_year])
            if not 1900 <= year <= 2100:
                raise ValueError(f"year {year} out of range")
            column = layout.month or layout.period or layout.year
            month_key = (
                record[i_freq] if i_freq is not None else "",
                record[i_month] if i_month is not None else "",
                record[i_period] if i_period is not None else "",
                record[i_year],
            )
            month = months.get(month_key)
            if month is None:
                month = months[month_key] = _month(record, layout, i_month, i_period, i_freq, year)
            column = layout.flow
            flow = FLOWS.get(record[i_flow])
            if flow is None:
                flow = FLOWS.get(record[i_flow].strip())
                if flow is None:
                    raise ValueError(f"unknown flow code {record[i_flow]!r}")
            column = layout.reporter_code
            raw = record[i_rc]
            reporter = codes.get(raw) or codes.setdefault(raw, _code(raw))
            column = layout.partner_code
            raw = record[i_pc]
            partner = codes.get(raw) or codes.setdefault(raw, _code(raw))
            if partner == reporter:
                raise ValueError("the partner is the reporter itself")
            column = layout.commodity_code
            commodity = record[i_cmd].strip().upper() or TOTAL_COMMODITY
            column = layout.value
            cents = parse_cents(record[i_value].strip())
        except ValueError as exc:
            yield RowProblem(name, line, column, str(exc))
            continue
        yield ParsedRow(
            line,
            reporter,
            record[i_ri] if i_ri is not None else "",
            record[i_rn] if i_rn is not None else "",
            partner,
            record[i_pi] if i_pi is not None else "",
            record[i_pn] if i_pn is not None else "",
            year,
            month,
            12 if month == 0 else 1,
            flow,
            commodity,
            (record[i_cl] or None) if i_cl is not None else None,
            cents,
        )


def _code(text: str) -> str:
    """A UN M49 code as three digits ("8" -> "008"); Comtrade writes them without zeros."""
    text = text.strip()
    if not text.isdigit():
        raise ValueError(f"not a numeric M49 code: {text!r}")
    return text.zfill(3)


def _month(
    record: list[str],
    layout: Layout,
    i_month: int | None,
    i_period: int | None,
    i_freq: int | None,
    year: int,
) -> int:
    """0 for a year; 1-12 for a month (current: refMonth, 52 = annual; legacy: YYYYMM)."""
    if layout is CURRENT:
        freq = record[i_freq].strip().upper() if i_freq is not None else ""
        raw = record[i_month].strip() if i_month is not None else ""
        if freq == "A" or raw in ("", "0", "52"):
            return 0
        month = int(raw)
    else:
        raw = record[i_period].strip() if i_period is not None else str(year)
        if len(raw) == 4:
            return 0
        if len(raw) != 6 or int(raw[:4]) != year:
            raise ValueError(f"period {raw!r} is not YYYY or YYYYMM of year {year}")
        month = int(raw[4:])
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} out of range")
    return month
