"""Turn typed rows into text: a rich table on a terminal, plain text when piped, or JSON, JSON
Lines, CSV or Markdown; and shape the documented reports (briefing, entity, trade) for reading.

Knows nothing of queries; reports know nothing of this. Stored text is data here, never markup
or control codes: every cell reaches rich as a ``Text`` (no markup is parsed) and control
characters are shown as visible escapes. Imports nothing heavy at module level (rich is imported
only when a terminal table is drawn).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any

from factdb.errors import InvalidOption, UnknownFormat

if TYPE_CHECKING:
    from rich.text import Text

FORMATS = ("table", "json", "jsonl", "csv", "markdown")

#: Column names hidden first when a terminal is too narrow for every column, in this order;
#: after these, columns go from the right (the first column always stays).
LOW_PRIORITY = (
    "bar",
    "via_kind",
    "fact_kind",
    "currency",
    "derived",
    "method",
    "series",
    "precision",
    "date",
    "field",
    "verbatim",
    "start",
    "end",
    "part_of",
    "location",
    "stated_qualifier",
    "stated_status",
    "official_status",
    "commodity",
    "status",
    "qualifier",
    "sources",
)


def check_format(fmt: str, allowed: Sequence[str] = FORMATS) -> str:
    """``fmt`` when the command can render it; raised before any query runs otherwise."""
    if fmt not in allowed:
        raise UnknownFormat(f"--format: unknown format {fmt!r}; choose one of {', '.join(allowed)}")
    return fmt


def parse_columns(value: str | None) -> list[str] | None:
    """``--columns a,b,c`` as a list (None when not given); empty names are a mistake."""
    if value is None:
        return None
    names = [name.strip() for name in value.split(",")]
    if not all(names):
        raise InvalidOption(f"--columns: {value!r} has an empty column name; write a,b,c")
    return names


def check_columns(chosen: Sequence[str] | None, available: Sequence[str]) -> None:
    """Every chosen column exists, or one line listing the columns there are."""
    unknown = [c for c in chosen or () if c not in available]
    if unknown:
        raise InvalidOption(
            f"--columns: unknown column {unknown[0]!r}; choose from {', '.join(available)}"
        )


def fields_of(row_type: type) -> list[str]:
    """The columns a dataclass row has, for ``--columns`` checks before any query."""
    return [f.name for f in dataclasses.fields(row_type)]


# ---------------------------------------------------------------------------- values

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_CONTROL_ALL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape_char(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str, *, keep_newlines: bool = False) -> str:
    """``text`` with every control character (C0, C1, bidi overrides) shown as an escape.

    Stored text may hold ESC sequences that would move the cursor, retitle the window or
    open links; on a terminal they are data, so ``\\x1b`` is printed instead.
    """
    if keep_newlines:
        return _CONTROL.sub(_escape_char, text.replace("\t", " "))
    return _CONTROL_ALL.sub(lambda m: " " if m.group() in "\n\t" else _escape_char(m), text)


def jsonable(value: Any) -> Any:
    """Plain JSON values: exact decimals as strings, dates as ISO text, dataclasses as objects."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


_JSON_UNSAFE = re.compile("[\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def to_json(value: Any, indent: int | None = None) -> str:
    """JSON text that is safe on a terminal: C0 codes are escaped by json itself, C1 codes
    and bidirectional overrides as ``\\u009b`` here; the decoded values are unchanged."""
    text = json.dumps(jsonable(value), indent=indent, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def cell(value: Any) -> str:
    """One value as text for people: money with thousands separators, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return "; ".join(cell(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={cell(v)}" for k, v in value.items())
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    if isinstance(value, float):
        # Python's shortest round-trip form: positional from 1e-4 to 1e16, so a SQLite REAL
        # such as 269500000.0 is never shown as 2.695e+08 (nor rounded).
        return repr(value)
    return str(jsonable(value))


def raw_cell(value: Any) -> str:
    """One value as CSV text: the value itself, no thousands separators, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "; ".join(raw_cell(v) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}={raw_cell(v)}" for k, v in value.items())
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(jsonable(value))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def neutralise(value: Any, text: str) -> str:
    """``text`` made safe for a spreadsheet: a leading ``'`` where it would start a formula.

    Numbers stay numbers: a numeric value (``-5``, ``Decimal("-5.00")``), or text that is
    exactly a plain number (SQLite returns money as text), cannot run anything, so it is kept.
    """
    if _is_number(value) or not text.startswith(_FORMULA_START):
        return text
    if _PLAIN_NUMBER.fullmatch(text):
        return text
    return "'" + text


def _columns(rows: Sequence[Any]) -> list[str]:
    if not rows:
        return []
    first = rows[0]
    if dataclasses.is_dataclass(first):
        return [f.name for f in dataclasses.fields(first)]
    return list(first)


def _value(row: Any, column: str) -> Any:
    return row[column] if isinstance(row, Mapping) else getattr(row, column)


# ---------------------------------------------------------------------------- render


def render(
    rows: Sequence[Any],
    fmt: str,
    *,
    title: str | None = None,
    terminal: bool = False,
    columns: Sequence[str] | None = None,
    width: int = 80,
    csv_raw: bool = False,
    priority: Sequence[str] = (),
    chosen: bool = False,
) -> str:
    """Render a list of dataclass rows (or mappings) in ``fmt``.

    ``columns`` chooses and orders the columns of tabular formats; JSON always has every field.
    ``width`` is the terminal's width for rich tables; when not every column fits, the columns
    named in ``priority`` are kept first (then all but ``LOW_PRIORITY``), but columns the user
    ``chosen`` are all shown. CSV cells that a spreadsheet would run as a formula get a leading
    ``'`` unless ``csv_raw``.
    """
    check_format(fmt)
    if rows and columns:
        check_columns(columns, _columns(rows))
    cols = list(columns or _columns(rows))
    if fmt == "json":
        return to_json(list(rows), indent=2) + "\n"
    if fmt == "jsonl":
        return "".join(to_json(r) + "\n" for r in rows)
    if fmt == "csv":
        return _csv(rows, cols, csv_raw)
    if fmt == "markdown":
        return _markdown(rows, cols, title)
    if terminal:
        return _rich_table(rows, cols, title, width, droppable=not chosen, priority=priority)
    return _plain_table(rows, cols, title)


def _csv(rows: Sequence[Any], cols: list[str], csv_raw: bool) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if csv_raw:
        writer.writerow(cols)
    else:
        writer.writerow([neutralise(c, c) for c in cols])
    for row in rows:
        values = [_value(row, c) for c in cols]
        texts = [raw_cell(v) for v in values]
        if not csv_raw:
            texts = [neutralise(v, t) for v, t in zip(values, texts, strict=True)]
        writer.writerow(texts)
    return buffer.getvalue()


def _markdown(rows: Sequence[Any], cols: list[str], title: str | None) -> str:
    out = [f"## {visible(title)}\n"] if title else []
    if not rows:
        return "".join(out) + "_nothing_\n"
    out.append("| " + " | ".join(visible(c) for c in cols) + " |\n")
    out.append("|" + "---|" * len(cols) + "\n")
    for row in rows:
        cells = [visible(cell(_value(row, c))).replace("|", "\\|") for c in cols]
        out.append("| " + " | ".join(cells) + " |\n")
    return "".join(out)


def _numeric_columns(rows: Sequence[Any], cols: list[str]) -> set[str]:
    """Columns whose every non-empty value is a number (right-aligned, never wrapped).

    Text that is exactly a plain number counts: SQLite returns exact money as text.
    """
    numeric = set()
    for c in cols:
        values = [v for v in (_value(r, c) for r in rows) if v is not None and v != ""]
        if values and all(
            _is_number(v) or (isinstance(v, str) and _PLAIN_NUMBER.fullmatch(v)) for v in values
        ):
            numeric.add(c)
    return numeric


def _plain_table(rows: Sequence[Any], cols: list[str], title: str | None) -> str:
    out = [f"{visible(title)}\n"] if title else []
    if not rows:
        return "".join(out) + "(nothing)\n"
    numeric = _numeric_columns(rows, cols)
    table = [[visible(c) for c in cols]] + [
        [visible(cell(_value(r, c))) for c in cols] for r in rows
    ]
    widths = [max(len(line[i]) for line in table) for i in range(len(cols))]
    for line in table:
        padded = [
            v.rjust(w) if c in numeric and line is not table[0] else v.ljust(w)
            for c, v, w in zip(cols, line, widths, strict=True)
        ]
        out.append("  ".join(padded).rstrip())
        out.append("\n")
    return "".join(out)


# ---------------------------------------------------------------------------- rich tables

#: A word a reader needs whole: a slug, a date, a code, a number with separators.
_ATOM = re.compile(r"[\w.,:/#%+-]+")
_PATH_PARTS = re.compile(r"[^/]*/|[^/]+")
_URL = re.compile(r"https?://[!-~]+")
#: An amount with its scale word and currency ("about 270 million USD" wraps after "about" only).
_AMOUNT = re.compile(r"\d[\d,.]*(?: (?:thousand|million|billion|trillion))? [A-Z]{3}(?![A-Za-z])")
_MAX_WORD = 20  # longer free-text words may fold; atoms never do
_MIN_TEXT = 8  # a free-text column is never squeezed narrower than this
_MIN_URL = 24


@dataclasses.dataclass
class _Layout:
    index: int
    name: str
    kind: str  # "number", "url" or "text"
    natural: int  # width of the widest line, header included
    minimum: int  # narrowest width that splits no number, slug or date
    width: int = 0


def _layout(index: int, name: str, texts: list[str], kind: str) -> _Layout:
    from rich.cells import cell_len

    lines = [line for t in texts for line in t.split("\n")] + [name]
    natural = max(cell_len(line) for line in lines)
    if kind == "number":
        return _Layout(index, name, kind, natural, natural)
    if kind == "url":
        return _Layout(index, name, kind, natural, min(natural, _MIN_URL))
    longest = 0
    for line in lines[:-1]:
        for word in line.split():
            # a path of slugs ("event/entity/role") may break after a "/", never inside a slug
            size = max(cell_len(part) for part in _PATH_PARTS.findall(word))
            if _ATOM.fullmatch(word) is None:
                size = min(size, _MAX_WORD)
            longest = max(longest, size)
    header = min(cell_len(name), 10)
    minimum = max(longest, header, min(natural, _MIN_TEXT))
    return _Layout(index, name, kind, natural, minimum)


def _fit(
    layouts: list[_Layout], width: int, droppable: bool, priority: Sequence[str] = ()
) -> list[_Layout]:
    """Columns and widths that fit ``width``: low-priority columns go first when needed.

    ``priority`` names the columns to keep first, most important first.
    """
    shown = list(layouts)

    def frame(n: int) -> int:  # borders and padding: "│ a │ b │"
        return 3 * n + 1

    def overflow() -> bool:
        return sum(c.minimum for c in shown) + frame(len(shown)) > width

    if droppable and overflow():
        # Keep the most important columns that fit: every column not named in LOW_PRIORITY
        # (left to right), then the low-priority ones, least dispensable first.
        low = {name: i for i, name in enumerate(LOW_PRIORITY)}
        first = {name: i for i, name in enumerate(priority)}
        ranked = sorted(
            layouts,
            key=lambda c: (
                first.get(c.name, len(first)),
                c.name in low,
                -low.get(c.name, 0),
                c.index,
            ),
        )
        kept: list[_Layout] = []
        used = 1
        for c in ranked:
            if used + c.minimum + 3 <= width or not kept:
                kept.append(c)
                used += c.minimum + 3
        shown = sorted(kept, key=lambda c: c.index)
    room = width - frame(len(shown))
    for c in shown:
        c.width = c.minimum
    # Text first: a link is clickable when shortened, a wrapped sentence is not.
    for group in ([c for c in shown if c.kind != "url"], [c for c in shown if c.kind == "url"]):
        spare = room - sum(c.width for c in shown)
        wants = [c.natural - c.width for c in group]
        if spare <= 0 or sum(wants) <= 0:
            continue
        if sum(wants) <= spare:
            for c in group:
                c.width = c.natural
        else:
            total = sum(wants)
            for c, want in zip(group, wants, strict=True):
                c.width += want * spare // total
    return shown


def _wrap(text: str, width: int) -> str:
    """``text`` broken into lines of at most ``width`` cells: at spaces, else after a "/" in a
    path of slugs, and only as a last resort inside a word."""
    from rich.cells import cell_len

    out: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        pieces = []
        for word in _words(paragraph):
            if cell_len(word) <= width:
                pieces.append(word)
                continue
            parts = _PATH_PARTS.findall(word)
            chunk = ""
            for part in parts:
                if chunk and cell_len(chunk + part) > width:
                    pieces.append(chunk)
                    chunk = ""
                chunk += part
            pieces.append(chunk)
        for piece in pieces:
            joined = f"{line} {piece}" if line else piece
            if line and cell_len(joined) > width:
                out.append(line)
                line = piece
            else:
                line = joined
        out.append(line)
    return "\n".join(out)


def _words(paragraph: str) -> list[str]:
    """The paragraph's words, split at spaces, an amount with its scale word and currency
    kept as one word."""
    joined = _AMOUNT.sub(lambda m: m.group().replace(" ", "\0"), paragraph)
    return [word.replace("\0", " ") for word in joined.split(" ")]


def _text(value: str, kind: str, raw: Any) -> Text:
    """A cell as rich Text: never parsed as markup; a stored URL becomes a link only as is."""
    from rich.style import Style
    from rich.text import Text

    if kind == "url" and isinstance(raw, str) and _URL.fullmatch(raw):
        return Text(value, style=Style(link=raw))
    return Text(value)


def _rich_table(
    rows: Sequence[Any],
    cols: list[str],
    title: str | None,
    width: int,
    *,
    droppable: bool = True,
    priority: Sequence[str] = (),
) -> str:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=io.StringIO(), force_terminal=True, width=width, highlight=False)
    if not rows:
        console.print(Text(f"{visible(title)}: (nothing)" if title else "(nothing)"))
        return _written(console)
    numeric = _numeric_columns(rows, cols)
    texts = {c: [visible(cell(_value(r, c)), keep_newlines=True) for r in rows] for c in cols}
    kinds = {
        c: "number"
        if c in numeric
        else "url"
        if c == "url"
        or c.endswith("_url")
        or (any(texts[c]) and all(_URL.fullmatch(t) for t in texts[c] if t))
        else "text"
        for c in cols
    }
    layouts = _fit(
        [_layout(i, visible(c), texts[c], kinds[c]) for i, c in enumerate(cols)],
        width,
        droppable,
        priority,
    )
    shown = [cols[lay.index] for lay in layouts]
    hidden = [c for c in cols if c not in shown]
    caption = (
        Text(f"hidden at this width: {', '.join(visible(c) for c in hidden)} (see --columns)")
        if hidden
        else None
    )
    table = Table(
        title=Text(visible(title)) if title else None,
        title_justify="left",
        caption=caption,
        caption_justify="left",
    )
    for lay in layouts:
        table.add_column(
            Text(lay.name),
            width=lay.width,
            justify="right" if lay.kind == "number" else "left",
            no_wrap=lay.kind != "text",
            overflow="ellipsis" if lay.kind == "url" else "fold",
        )
    widths = {c: lay.width for c, lay in zip(shown, layouts, strict=True)}
    for i, row in enumerate(rows):
        table.add_row(
            *(
                _text(
                    _wrap(texts[c][i], widths[c]) if kinds[c] == "text" else texts[c][i],
                    kinds[c],
                    _value(row, c),
                )
                for c in shown
            )
        )
    console.print(table)
    return _written(console)


def _written(console: Any) -> str:
    file = console.file
    assert isinstance(file, io.StringIO)
    return file.getvalue()


# ---------------------------------------------------------------------------- documents


def render_document(
    header: Mapping[str, Any],
    sections: Mapping[str, Any],
    fmt: str,
    *,
    terminal: bool = False,
    section: str | None = None,
    columns: Sequence[str] | None = None,
    width: int = 80,
    csv_raw: bool = False,
) -> str:
    """Render a document made of named sections of rows (briefing, entity).

    CSV is one table, so it needs ``section``; ``columns`` applies to that one section.
    """
    check_document_options(fmt, list(sections), section, columns)
    if section is not None:
        return render(
            sections[section],
            fmt,
            title=None if fmt == "csv" else section.replace("_", " "),
            terminal=terminal,
            columns=columns,
            width=width,
            csv_raw=csv_raw,
        )
    if fmt in ("json", "jsonl"):
        doc = {**dict(header), **sections}
        return to_json(doc, indent=None if fmt == "jsonl" else 2) + "\n"
    parts = []
    if fmt == "markdown":
        parts += [f"- **{visible(k)}**: {visible(cell(v))}\n" for k, v in header.items()]
    else:
        parts += [f"{visible(k)}: {visible(cell(v))}\n" for k, v in header.items()]
    for name, rows in sections.items():
        parts.append("\n")
        parts.append(
            render(rows, fmt, title=name.replace("_", " "), terminal=terminal, width=width)
        )
    return "".join(parts)


def check_document_options(
    fmt: str, sections: Sequence[str], section: str | None, columns: Sequence[str] | None
) -> None:
    """Refuse, before any query, what a sectioned report cannot do (one line each)."""
    check_format(fmt)
    names = ", ".join(sections)
    if section is not None and section not in sections:
        raise InvalidOption(f"--section: unknown section {section!r}; choose one of {names}")
    if fmt == "csv" and section is None:
        raise InvalidOption(f"csv is one table: add --section NAME (one of {names})")
    if columns is not None and section is None:
        raise InvalidOption(f"--columns needs --section NAME (one of {names})")


def briefing_document(
    doc: Any, fmt: str, section: str | None = None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and sections of a briefing: as stored for JSON, as lines to read otherwise."""
    header = {"country": doc.country, "partner": doc.partner}
    if fmt in ("json", "jsonl"):
        if section is not None:
            return header, {**doc.sections, "sources": doc.sources}
        return header, {"sections": doc.sections, "sources": doc.sources}
    if fmt == "csv":
        raw: dict[str, Any] = {name: _line_rows(lines) for name, lines in doc.sections.items()}
        return header, {**raw, "sources": list(doc.sources)}
    readable: dict[str, Any] = {
        name: [
            {"sources": "".join(f"[{n}]" for n in line.sources), "line": line.text}
            for line in lines
        ]
        for name, lines in doc.sections.items()
    }
    readable["sources"] = [
        {
            "n": f"[{s.n}]",
            "source": f"{s.publisher or ''}, {s.title or s.slug}",
            "published": s.published,
            "url": s.url or "",
        }
        for s in doc.sources
    ]
    return header, readable


def _line_rows(lines: Sequence[Any]) -> list[dict[str, Any]]:
    """Briefing lines as one table: the text, its source numbers and every raw data field."""
    keys: dict[str, None] = {}
    for line in lines:
        keys.update(dict.fromkeys(line.data))
    return [
        {"text": line.text, "sources": line.sources, **{k: line.data.get(k) for k in keys}}
        for line in lines
    ]


BRIEFING_SECTIONS = (
    "relationship",
    "people",
    "timeline",
    "planned_events",
    "event_statements",
    "trade",
    "targets",
    "derived_figures",
    "disagreements",
    "figures",
    "export_goods",
    "investment_sectors",
    "cooperation",
    "documents",
    "claims",
    "sources",
)
ENTITY_SECTIONS = ("roles", "events", "relations", "claims_made", "claims_about")


def entity_document(report: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header (who the entity is) and sections (its lists) of an entity report."""
    header = {
        "slug": report.slug,
        "kind": report.kind,
        "name": report.name,
        "description": report.description,
        "aliases": report.aliases,
        "identifiers": report.identifiers,
        "sources": report.sources,
    }
    return header, {name: getattr(report, name) for name in ENTITY_SECTIONS}


def with_bars(rows: Sequence[Any], columns: Sequence[str], value: str = "value") -> list[Any]:
    """Rows with a ``bar`` column: each ``value`` drawn against the largest, for a terminal."""
    if not rows:
        return []
    top = max(abs(_value(r, value)) for r in rows) or 1
    return [
        {
            **{c: _value(r, c) for c in columns},
            "bar": "█" * max(1, round(20 * abs(_value(r, value)) / top)),
        }
        for r in rows
    ]
