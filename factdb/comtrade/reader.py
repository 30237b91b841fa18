"""Parse UN Comtrade CSV files, plain or gzipped, in the current and the legacy layout.

Pure: yields parsed rows and problems with their line numbers; knows nothing of the database.
Must never hold more than one bounded line of the file in memory, whatever the file holds.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, NamedTuple

from factdb.errors import UnknownLayout, UnreadableFile
from factdb.vocabulary import TOTAL_COMMODITY


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
_NOT_FINITE = re.compile(r"^[+-]?(nan|inf|infinity)$", re.IGNORECASE)
#: the largest value both backends store: a signed 64-bit integer of cents
MAX_CENTS = 2**63 - 1
#: the column widths of trade_flows.commodity_code and commodity_label
MAX_CODE, MAX_LABEL = 20, 500
#: the longest line read (characters); csv's own limit per field is 128 KiB
LINE_LIMIT = 1 << 20
#: gzip's failures mid-stream: cut short, bad header or CRC, corrupt deflate data
_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


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


def open_binary(path: Path) -> io.BufferedReader | gzip.GzipFile:
    """The file's bytes, gunzipped when it is gzipped (by its magic bytes, not its name).

    Both kinds of stream can ``peek``; the caller closes the stream.
    """
    with path.open("rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.GzipFile(path, "rb") if gzipped else path.open("rb")


def text_encoding(head: bytes, encoding: str) -> str:
    """The codec to read with: a UTF-16 byte-order mark wins; UTF-8's own mark is skipped."""
    if head.startswith(_UTF16_BOMS):
        return "utf-16"
    if codecs.lookup(encoding).name == "utf-8":
        return "utf-8-sig"
    return encoding


def open_text(path: Path, encoding: str = "utf-8") -> IO[str]:
    """A text stream over a plain or gzipped file, in ``encoding`` unless a BOM says otherwise."""
    raw = open_binary(path)
    try:
        head = raw.peek(4)[:4]
    except _GZIP_ERRORS as exc:
        raw.close()
        raise UnreadableFile(f"{path}:1: the gzip stream is corrupt ({exc})") from None
    return io.TextIOWrapper(raw, encoding=text_encoding(head, encoding), newline="")


def bounded_lines(stream: IO[str], path: Path, encoding: str) -> Iterator[str]:
    """The stream's lines, none longer than LINE_LIMIT; a failure names the line it is on.

    ``csv`` reads whatever line it is given, so an endless line would be read into memory
    whole; reading at most LINE_LIMIT characters at a time keeps memory flat.
    """
    readline = stream.readline
    count = 0
    try:
        while True:
            line = readline(LINE_LIMIT)
            if not line:
                return
            count += 1
            if len(line) >= LINE_LIMIT and line[-1] not in "\r\n":
                raise UnreadableFile(
                    f"{path}:{count}: row: the line is longer than {LINE_LIMIT:,} characters; "
                    "this is not a Comtrade CSV file"
                )
            yield line
    except _GZIP_ERRORS as exc:
        raise UnreadableFile(
            f"{path}:{count + 1}: the gzip stream is truncated or corrupt ({exc}); "
            "download the file again"
        ) from None
    except UnicodeDecodeError as exc:
        line_no, detail = locate_decode_error(path, encoding)
        hint = "; if the file is Latin-1, use --encoding latin-1" if "utf" in exc.encoding else ""
        raise UnreadableFile(
            f"{path}:{line_no or count + 1}: row: not valid {exc.encoding} ({detail}){hint}"
        ) from None


def locate_decode_error(path: Path, encoding: str) -> tuple[int | None, str]:
    """The line and description of the first byte ``encoding`` cannot decode.

    Only called after a failure: the text stream decodes ahead of the line csv is on, so its
    error does not say which line holds the bad byte.
    """
    with open_binary(path) as raw:
        head = raw.peek(4)[:4]
        decoder = codecs.getincrementaldecoder(text_encoding(head, encoding))()
        lines = 0
        while chunk := raw.readline(LINE_LIMIT):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                bad = chunk[exc.start : exc.start + 1].hex().upper()
                return lines + chunk[: exc.start].count(b"\n") + 1, f"byte 0x{bad}: {exc.reason}"
            lines += chunk.count(b"\n")
    return None, "an undecodable byte"


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
    """Exact cents from Comtrade's value text; raises ValueError when that is not exact.

    Values beyond a signed 64-bit integer of cents (the limit of both backends' BIGINT) and
    non-finite ones are "out of range".
    """
    # Fast paths, once per row: up to 16 whole digits always fit in 64 bits as cents.
    if text.isdigit() and len(text) <= 16:
        return int(text) * 100
    whole, dot, fraction = text.partition(".")
    if (
        dot
        and whole.isdigit()
        and len(whole) <= 16
        and 0 < len(fraction) <= 2
        and fraction.isdigit()
    ):
        return int(whole) * 100 + int(fraction.ljust(2, "0"))
    cents = _slow_cents(text)
    if cents > MAX_CENTS:
        raise ValueError(f"value out of range: {text[:40]!r} exceeds {MAX_CENTS:,} cents")
    return cents


def _slow_cents(text: str) -> int:
    if len(text) > 40 or _NOT_FINITE.match(text):
        raise ValueError(f"value out of range: {text[:40]!r} is not a finite amount")
    match = _MONEY.match(text)
    if match:
        whole, fraction = match.groups()
        return int(whole) * 100 + int((fraction or "0").ljust(2, "0"))
    if _SCIENTIFIC.match(text):
        from decimal import Decimal

        number = Decimal(text)
        if number.adjusted() > 20:  # before scaling: 1e999999 would overflow the context
            return MAX_CENTS + 1
        amount = number * 100
        if amount == amount.to_integral_value():
            return int(amount)
    if text.startswith("-"):
        raise ValueError(f"negative value {text!r}")
    raise ValueError(f"not an amount with at most two decimals: {text!r}")


def read_rows(path: Path, encoding: str = "utf-8") -> Iterator[ParsedRow | RowProblem]:
    """Stream a Comtrade file: a ParsedRow or a RowProblem per data line.

    A file that cannot be read on (corrupt gzip, wrong encoding, an endless line or field)
    raises UnreadableFile naming the line.
    """
    name = str(path)
    with open_text(path, encoding) as stream:
        reader = csv.reader(bounded_lines(stream, path, encoding))
        try:
            header = next(reader)
        except StopIteration:
            raise UnknownLayout(f"{name}:1: header: the file is empty") from None
        except csv.Error as exc:
            raise UnknownLayout(f"{name}:1: header: {exc}") from None
        layout, index = detect_layout(header, name)
        try:
            yield from _rows(reader, layout, index, name)
        except csv.Error as exc:
            raise UnreadableFile(
                f"{name}:{reader.line_num}: row: {exc}; this is not a Comtrade CSV file"
            ) from None


def _rows(
    reader: Any, layout: Layout, index: dict[str, int], name: str
) -> Iterator[ParsedRow | RowProblem]:
    """Parse each record; the loop runs once per row, so whatever repeats across rows (period
    and flow, codes, commodities) is parsed once and looked up after that."""
    get = index.get
    i_year, i_flow = index[layout.year], index[layout.flow]
    i_rc, i_pc = index[layout.reporter_code], index[layout.partner_code]
    i_cmd, i_value = index[layout.commodity_code], index[layout.value]
    i_month = get(layout.month) if layout.month else None
    i_period = get(layout.period) if layout.period else None
    i_freq = get(layout.freq) if layout.freq else None
    optional = [
        get(column)
        for column in (
            layout.reporter_iso,
            layout.reporter_name,
            layout.partner_iso,
            layout.partner_name,
            layout.commodity_label,
        )
    ]
    width = max(index.values()) + 1
    # the raw period and flow fields of a record, in one C call: its key in ``periods``
    period_key = itemgetter(
        *[i for i in (i_year, i_month, i_period, i_freq, i_flow) if i is not None]
    )
    texts = _getter(optional)
    periods: dict[Any, tuple[int, int, int, str]] = {}
    codes: dict[str, str] = {}
    commodities: dict[str, str] = {}
    new_row = tuple.__new__
    for record in reader:
        line = reader.line_num  # the physical line, right across quoted newlines
        if len(record) < width:
            if not record or record == [""]:
                continue
            yield RowProblem(name, line, "row", f"{len(record)} fields, the header has {width}")
            continue
        column = layout.year
        try:
            key = period_key(record)
            period = periods.get(key)
            if period is None:
                # parsed once per distinct raw period and flow, in the order reported
                year = int(record[i_year])
                if not 1900 <= year <= 2100:
                    raise ValueError(f"year {year} out of range")
                column = layout.month or layout.period or layout.year
                month = _month(record, layout, i_month, i_period, i_freq, year)
                column = layout.flow
                flow = FLOWS.get(record[i_flow]) or FLOWS.get(record[i_flow].strip(), "")
                if not flow:
                    raise ValueError(f"unknown flow code {record[i_flow]!r}")
                period = periods[key] = (year, month, 12 if month == 0 else 1, flow)
            year, month, months, flow = period
            column = layout.reporter_code
            raw = record[i_rc]
            reporter = codes.get(raw) or codes.setdefault(raw, _code(raw))
            column = layout.partner_code
            raw = record[i_pc]
            partner = codes.get(raw) or codes.setdefault(raw, _code(raw))
            if partner == reporter:
                raise ValueError("the partner is the reporter itself")
            column = layout.commodity_code
            raw = record[i_cmd]
            commodity = commodities.get(raw)
            if commodity is None:
                commodity = raw.strip().upper() or TOTAL_COMMODITY
                if len(commodity) > MAX_CODE:
                    raise ValueError(f"commodity code longer than {MAX_CODE} characters")
                commodities[raw] = commodity
            reporter_iso, reporter_name, partner_iso, partner_name, text = texts(record)
            label = text or None
            if label is not None and len(label) > MAX_LABEL:
                column = layout.commodity_label
                raise ValueError(f"commodity label longer than {MAX_LABEL} characters")
            column = layout.value
            raw = record[i_value]
            # the common cases inline, as parse_cents reads them: whole dollars, or dollars
            # and two decimals (up to 16 digits of dollars always fit in 64 bits of cents)
            if raw.isdigit():
                cents = int(raw) * 100 if len(raw) <= 16 else parse_cents(raw)
            else:
                digits = raw.replace(".", "", 1)
                if raw[-3:-2] == "." and 3 <= len(digits) <= 18 and digits.isdigit():
                    cents = int(digits)
                else:
                    cents = parse_cents(raw.strip())
        except ValueError as exc:
            yield RowProblem(name, line, column, str(exc))
            continue
        # tuple.__new__ straight away: ParsedRow(...) would run a Python-level __new__ per row
        yield new_row(
            ParsedRow,
            (
                line,
                reporter,
                reporter_iso,
                reporter_name,
                partner,
                partner_iso,
                partner_name,
                year,
                month,
                months,
                flow,
                commodity,
                label,
                cents,
            ),
        )


def _getter(indexes: list[int | None]) -> Callable[[list[str]], tuple[str, ...]]:
    """The fields at ``indexes`` of a record, "" where the column is absent (one C call when
    every column is present)."""
    if all(i is not None for i in indexes):
        return itemgetter(*indexes)
    present = itemgetter(*[i if i is not None else 0 for i in indexes])
    absent = [n for n, i in enumerate(indexes) if i is None]

    def fields(record: list[str]) -> tuple[str, ...]:
        values = list(present(record))
        for n in absent:
            values[n] = ""
        return tuple(values)

    return fields


def _code(text: str) -> str:
    """A UN M49 code as three digits ("8" -> "008", "0100" -> "100"); Comtrade writes them
    without leading zeros, other exports with too many."""
    text = text.strip()
    if not text.isdigit():
        raise ValueError(f"not a numeric M49 code: {text!r}")
    code = text.lstrip("0").zfill(3)
    if len(code) > 3:
        raise ValueError(f"not an M49 code (at most three digits): {text!r}")
    return code


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
