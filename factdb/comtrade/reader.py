"""Parse UN Comtrade files, plain or gzipped, comma- or tab-separated, in any layout Comtrade
has published: each field's column is found by its header (``headers``), not by position.

Pure: yields parsed rows and problems with their line numbers, and a file's content digest;
knows nothing of the database. Must never hold more than one bounded line (or block) of the
file in memory, whatever the file holds.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import hashlib
import io
import re
import zlib
from collections.abc import Callable, Hashable, Iterator, Mapping
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter
from pathlib import Path
from typing import IO, Any, NamedTuple, TypeVar

from factdb.comtrade.headers import describe_headers, match_header, normalise
from factdb.errors import UnknownLayout, UnreadableFile
from factdb.vocabulary import TOTAL_COMMODITY

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
#: flows by normalised code or name, for files that give the flow as a word ("Re-Export")
FLOW_NAMES = {
    **{code.lower(): flow for code, flow in FLOWS.items()},
    "import": "import",
    "export": "export",
    "reimport": "re_import",
    "reexport": "re_export",
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
#: bytes hashed at a time; small, so a corrupt gzip stream is located near its line
HASH_BLOCK = 1 << 16
#: gzip's failures mid-stream: cut short, bad header or CRC, corrupt deflate data
_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error)
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
#: the delimiters a header line is tried with, the most frequent wins (ties: the first)
DELIMITERS = ",\t;|"
T = TypeVar("T")
#: distinct raw values remembered per cache (periods, codes, commodities) before it starts afresh
CACHE_LIMIT = 1 << 16


class ParsedRow(NamedTuple):
    """One row of a Comtrade file, as factdb will store it (value in cents), as ``read_rows``
    gives it (the importer reads plain tuples, ``read_records``)."""

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


class FileDigests(NamedTuple):
    """A file's sha256 digests: of its content (gunzipped), and of its bytes as stored."""

    #: the file's identity: the same for a copy under another name or gzipped
    content: str
    #: differs from ``content`` only for a gzipped file
    stored: str


class _HashingReader(io.RawIOBase):
    """A binary stream that hashes the bytes read through it, so one pass gives both digests."""

    def __init__(self, stream: IO[bytes], digest: Any) -> None:
        self.stream, self.digest = stream, digest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.stream.read(len(buffer))
        self.digest.update(data)
        buffer[: len(data)] = data
        return len(data)


def file_digests(path: Path) -> FileDigests:
    """The sha256 of the file's decompressed content and of its stored bytes, in one pass.

    Reads a bounded block at a time, so memory stays flat; a corrupt gzip stream raises
    UnreadableFile at the line it was met on.
    """
    content, stored = hashlib.sha256(), hashlib.sha256()
    with path.open("rb") as handle:
        if handle.read(2) != b"\x1f\x8b":
            handle.seek(0)
            while block := handle.read(HASH_BLOCK):
                content.update(block)
            digest = content.hexdigest()
            return FileDigests(digest, digest)
        handle.seek(0)
        tee = _HashingReader(handle, stored)
        lines = 0
        try:
            with gzip.GzipFile(fileobj=tee, mode="rb") as unzipped:
                while block := unzipped.read(HASH_BLOCK):
                    content.update(block)
                    lines += block.count(b"\n")
        except _GZIP_ERRORS as exc:
            raise UnreadableFile(
                f"{path}:{lines + 1}: the gzip stream is truncated or corrupt ({exc}); "
                "download the file again"
            ) from None
        while tee.read(HASH_BLOCK):  # whatever follows the last gzip member
            pass
    return FileDigests(content.hexdigest(), stored.hexdigest())


def text_encoding(head: bytes, encoding: str) -> str:
    """The codec to read with: a UTF-16 or UTF-8 byte-order mark wins over ``encoding``."""
    if head.startswith(_UTF16_BOMS):
        return "utf-16"
    if head.startswith(codecs.BOM_UTF8) or codecs.lookup(encoding).name == "utf-8":
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


def find_columns(
    header: list[str], file: str, overrides: Mapping[str, str] | None = None
) -> dict[str, tuple[int, str]]:
    """Each field's column in a header row: field -> (index, header as written).

    A header Comtrade has published (headers.FIELDS, compared after ``normalise``) or one named
    by ``--column``; a field that cannot be found is one error naming it and the headers seen.
    """
    try:
        found = match_header(header, overrides)
    except KeyError as exc:
        field_name = str(exc.args[0])
        raise UnknownLayout(
            f"{file}:1: header: --column {field_name}={(overrides or {})[field_name]!r} names "
            f"no column of this file; headers seen: {describe_headers(header)}"
        ) from None
    if found.missing:
        raise UnknownLayout(
            f"{file}:1: header: no column found for {', '.join(found.missing)}; "
            f"headers seen: {describe_headers(header)}; if this is a Comtrade file that names "
            "them differently, use --column FIELD=HEADER"
        )
    return found.columns


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a header line: Comtrade's CSV has commas, its bulk .txt files tabs."""
    counts = {d: header_line.count(d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


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


#: what a row of ``read_records`` holds, in this order (the columns of trade_flows it fills)
RECORD_FIELDS = (
    "reporter",
    "partner",
    "year",
    "month",
    "months",
    "flow",
    "commodity_code",
    "commodity_label",
    "value_cents",
    "line",
)


def read_rows(
    path: Path, encoding: str = "utf-8", columns: Mapping[str, str] | None = None
) -> Iterator[ParsedRow | RowProblem]:
    """Stream a Comtrade file: a ParsedRow or a RowProblem per data line, in the file's order.

    ``columns`` (field -> header) names the columns the known headers do not cover. A file that
    cannot be read on (corrupt gzip, wrong encoding, an endless line or field) raises
    UnreadableFile naming the line. A country's ISO code and name are those of the first row
    that gives its code.
    """
    problems: list[RowProblem] = []

    def keep(problem: RowProblem) -> bool:
        problems.append(problem)
        return True

    def party(code: str, iso: str, name: str) -> tuple[str, str, str]:
        return code, iso, name

    for row in read_records(path, encoding, columns, party=party, problem=keep):
        # the problems of the lines before this row were reported while it was read
        yield from problems
        problems.clear()
        (rc, ri, rn), (pc, pi, pn), year, month, months, flow, code, label, cents, line = row
        yield ParsedRow(line, rc, ri, rn, pc, pi, pn, year, month, months, flow, code, label, cents)
    yield from problems


def read_records(
    path: Path,
    encoding: str = "utf-8",
    columns: Mapping[str, str] | None = None,
    *,
    party: Callable[[str, str, str], Hashable],
    problem: Callable[[RowProblem], bool],
) -> Iterator[tuple[Any, ...]]:
    """Stream a Comtrade file's good rows as plain tuples in RECORD_FIELDS order, ready to write.

    ``party(code, iso, name)`` names the party of an M49 code in the rows (the importer: its
    entity id); it is called once per code, from the first good row that gives the code, so a
    bad row never makes one. A row whose two codes name the same party is a problem.
    ``problem`` is told each bad row, in the file's order; once it returns False no more rows
    are yielded, but the file is read on, so that every bad row is told.
    """
    name = str(path)
    with open_text(path, encoding) as stream:
        lines = bounded_lines(stream, path, encoding)
        first = next(lines, None)
        if first is None:
            raise UnknownLayout(f"{name}:1: header: the file is empty")
        reader = csv.reader(chain([first], lines), delimiter=sniff_delimiter(first))
        try:
            header = next(reader)
        except csv.Error as exc:
            raise UnknownLayout(f"{name}:1: header: {exc}") from None
        found = find_columns(header, name, columns)
        try:
            yield from _records(reader, found, name, party, problem)
        except csv.Error as exc:
            raise UnreadableFile(
                f"{name}:{reader.line_num}: row: {exc}; this is not a Comtrade CSV file"
            ) from None


def _records(
    reader: Any,
    found: dict[str, tuple[int, str]],
    name: str,
    party: Callable[[str, str, str], Hashable],
    problem: Callable[[RowProblem], bool],
) -> Iterator[tuple[Any, ...]]:
    """Parse each record; the loop runs once per row, so whatever repeats across rows is parsed
    once and looked up after that, by the raw fields it comes from (one C call each): period
    and flow, the pair of countries, commodity code and label."""

    def index(field_name: str) -> int | None:
        return found[field_name][0] if field_name in found else None

    def header(field_name: str) -> str:
        return found[field_name][1] if field_name in found else field_name

    i_flow, i_rc = found["flow"][0], found["reporter_code"][0]
    i_pc, i_cmd, i_value = found["partner_code"][0], found["commodity_code"][0], found["value"][0]
    i_month, i_period, i_freq = index("month"), index("period"), index("freq")
    i_label = index("commodity_label")
    # Without a year column the year is the period's first four digits.
    year_from_period = "year" not in found
    i_year = found["period" if year_from_period else "year"][0]
    year_column = header("period" if year_from_period else "year")
    month_column = header("month" if i_month is not None else "period")
    flow_column, value_column = header("flow"), header("value")
    rc_column, pc_column = header("reporter_code"), header("partner_code")
    cmd_column, label_column = header("commodity_code"), header("commodity_label")
    width = max(i for i, _ in found.values()) + 1
    # the raw year, month, period, freq and flow fields of a record: its key in ``periods``;
    # a column read twice (the year from the period) is read once
    key_columns = [i_year, i_month, i_period, i_freq, i_flow]
    period_key = itemgetter(*dict.fromkeys(i for i in key_columns if i is not None))
    pair_key = itemgetter(i_rc, i_pc)
    item_key = itemgetter(i_cmd) if i_label is None else itemgetter(i_cmd, i_label)
    reporter_names = _getter([index("reporter_iso"), index("reporter_name")])
    partner_names = _getter([index("partner_iso"), index("partner_name")])
    periods: dict[Any, tuple[int, int, int, str]] = {}
    codes: dict[str, str] = {}
    parties: dict[str, Hashable] = {}
    pairs: dict[Any, tuple[Hashable, Hashable]] = {}
    items: dict[Any, tuple[str, str | None]] = {}
    # bound once: clearing a full cache keeps the same dict, so these stay valid
    known_period, known_code, known_party = periods.get, codes.get, parties.get
    known_pair, known_item = pairs.get, items.get
    emit = True
    rc = pc = ""
    for record in reader:
        line = reader.line_num  # the physical line, right across quoted newlines
        if len(record) < width:
            if not record or record == [""]:
                continue
            short = RowProblem(name, line, "row", f"{len(record)} fields, the header has {width}")
            emit = problem(short) and emit
            continue
        column = year_column
        try:
            key = period_key(record)
            period = known_period(key)
            if period is None:
                # parsed once per distinct raw year, month, period, freq and flow
                raw = record[i_year]
                year = int(raw.strip()[:4] if year_from_period else raw)
                if not 1900 <= year <= 2100:
                    raise ValueError(f"year {year} out of range")
                column = month_column
                month = _month(
                    record[i_freq] if i_freq is not None else "",
                    record[i_month] if i_month is not None else "",
                    record[i_period] if i_period is not None else "",
                    year,
                )
                column = flow_column
                raw = record[i_flow]
                flow = FLOWS.get(raw) or FLOW_NAMES.get(normalise(raw), "")
                if not flow:
                    raise ValueError(f"unknown flow code {raw!r}")
                period = _cached(periods, key, (year, month, 12 if month == 0 else 1, flow))
            year, month, months, flow = period
            countries = pair_key(record)
            pair = known_pair(countries)
            if pair is None:
                # a new pair of raw codes: checked here, its parties named once the row is good
                column = rc_column
                raw = record[i_rc]
                rc = known_code(raw) or _cached(codes, raw, _code(raw))
                column = pc_column
                raw = record[i_pc]
                pc = known_code(raw) or _cached(codes, raw, _code(raw))
                if pc == rc:
                    raise ValueError("the partner is the reporter itself")
            key = item_key(record)
            item = known_item(key)
            if item is None:
                column = cmd_column
                commodity = record[i_cmd].strip().upper() or TOTAL_COMMODITY
                if len(commodity) > MAX_CODE:
                    raise ValueError(f"commodity code longer than {MAX_CODE} characters")
                label = (record[i_label] if i_label is not None else "") or None
                if label is not None and len(label) > MAX_LABEL:
                    column = label_column
                    raise ValueError(f"commodity label longer than {MAX_LABEL} characters")
                item = _cached(items, key, (commodity, label))
            commodity, label = item
            column = value_column
            raw = record[i_value]
            # the common cases inline, as parse_cents reads them: whole dollars, or dollars
            # and two decimals (up to 16 digits of dollars always fit in 64 bits of cents);
            # isdecimal, not isdigit: "²" goes on to parse_cents and its message
            if raw.isdecimal():
                cents = int(raw) * 100 if len(raw) <= 16 else parse_cents(raw)
            else:
                digits = raw.replace(".", "", 1)
                if raw[-3:-2] == "." and 3 <= len(digits) <= 18 and digits.isdecimal():
                    cents = int(digits)
                else:
                    cents = parse_cents(raw.strip())
        except ValueError as exc:
            emit = problem(RowProblem(name, line, column, str(exc))) and emit
            continue
        if not emit:
            continue
        if pair is None:
            reporter = known_party(rc)
            if reporter is None:
                reporter = _cached(parties, rc, party(rc, *reporter_names(record)))
            partner = known_party(pc)
            if partner is None:
                partner = _cached(parties, pc, party(pc, *partner_names(record)))
            if reporter == partner:
                message = f"reporter and partner are the same entity (M49 {rc} and {pc})"
                emit = problem(RowProblem(name, line, "partner", message))
                continue
            pair = _cached(pairs, countries, (reporter, partner))
        reporter, partner = pair
        yield (reporter, partner, year, month, months, flow, commodity, label, cents, line)


def _cached(cache: dict[Any, T], raw: Any, value: T) -> T:
    """Remember ``value`` for ``raw``; a cache that has grown to CACHE_LIMIT starts afresh, so
    a file of ever-new spellings cannot fill memory."""
    if len(cache) >= CACHE_LIMIT:
        cache.clear()
    cache[raw] = value
    return value


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


def _month(freq: str, month_text: str, period_text: str, year: int) -> int:
    """0 for a year; 1-12 for a month.

    ``freqCode`` A is the year; else ``refMonth`` (52 or empty: the year) where the file has
    it, else the period: YYYY, YYYYMM, or the period id YYYYMMDD, which is the same for a year
    and its January, so it needs ``freqCode``.
    """
    freq = freq.strip().upper()
    if freq == "A":
        return 0
    raw = month_text.strip()
    if raw:
        if raw in ("0", "52"):
            return 0
        month = int(raw)
    else:
        raw = period_text.strip()
        if not raw or raw == str(year):
            return 0
        if not raw.isdigit() or len(raw) not in (6, 8) or int(raw[:4]) != year:
            raise ValueError(f"period {raw!r} is not YYYY or YYYYMM of year {year}")
        if len(raw) == 8 and freq != "M":
            raise ValueError(
                f"period {raw!r} is a period id (YYYYMMDD), the same for a year and its "
                "January; the file needs a freqCode column (A or M)"
            )
        month = int(raw[4:6])
    if not 1 <= month <= 12:
        raise ValueError(f"month {month} out of range")
    return month
