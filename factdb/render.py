"""Turn typed rows into text: a rich table on a terminal, plain text when piped, or JSON, JSON
Lines, CSV or Markdown. Knows nothing of queries; reports know nothing of this."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from enum import Enum
from typing import Any

FORMATS = ("table", "json", "jsonl", "csv", "markdown")


class UnknownFormat(ValueError):
    """A format the report cannot be rendered in."""


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


def cell(value: Any) -> str:
    """One value as table or CSV text."""
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
    return str(jsonable(value))


def _columns(rows: Sequence[Any]) -> list[str]:
    if not rows:
        return []
    first = rows[0]
    if dataclasses.is_dataclass(first):
        return [f.name for f in dataclasses.fields(first)]
    return list(first)


def _value(row: Any, column: str) -> Any:
    return row[column] if isinstance(row, Mapping) else getattr(row, column)


def render(
    rows: Sequence[Any],
    fmt: str,
    *,
    title: str | None = None,
    terminal: bool = False,
    columns: list[str] | None = None,
) -> str:
    """Render a list of dataclass rows (or mappings) in ``fmt``.

    ``columns`` chooses and orders the columns of tabular formats; JSON always has every field.
    """
    cols = columns or _columns(rows)
    if fmt == "json":
        return json.dumps(jsonable(list(rows)), indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(jsonable(r), ensure_ascii=False) + "\n" for r in rows)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(cols)
        for row in rows:
            writer.writerow([cell(_value(row, c)) for c in cols])
        return buffer.getvalue()
    if fmt == "markdown":
        return _markdown(rows, cols, title)
    if fmt == "table":
        return _rich_table(rows, cols, title) if terminal else _plain_table(rows, cols, title)
    raise UnknownFormat(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def _markdown(rows: Sequence[Any], cols: list[str], title: str | None) -> str:
    out = [f"## {title}\n"] if title else []
    if not rows:
        return "".join(out) + "_nothing_\n"
    out.append("| " + " | ".join(cols) + " |\n")
    out.append("|" + "---|" * len(cols) + "\n")
    for row in rows:
        cells = [cell(_value(row, c)).replace("|", "\\|").replace("\n", " ") for c in cols]
        out.append("| " + " | ".join(cells) + " |\n")
    return "".join(out)


def _plain_table(rows: Sequence[Any], cols: list[str], title: str | None) -> str:
    out = [f"{title}\n"] if title else []
    if not rows:
        return "".join(out) + "(nothing)\n"
    table = [cols] + [[cell(_value(r, c)) for c in cols] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(cols))]
    for line in table:
        out.append("  ".join(v.ljust(w) for v, w in zip(line, widths, strict=True)).rstrip())
        out.append("\n")
    return "".join(out)


def _rich_table(rows: Sequence[Any], cols: list[str], title: str | None) -> str:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for column in cols:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(cell(_value(row, c)) for c in cols))
    console = Console(record=True, file=io.StringIO(), force_terminal=True)
    console.print(table)
    return console.export_text(styles=True)


def render_document(
    header: Mapping[str, Any],
    sections: Mapping[str, Any],
    fmt: str,
    *,
    terminal: bool = False,
) -> str:
    """Render a document made of named sections of rows (briefing, entity)."""
    if fmt in ("json", "jsonl"):
        doc = {**jsonable(dict(header)), **{k: jsonable(v) for k, v in sections.items()}}
        return json.dumps(doc, indent=None if fmt == "jsonl" else 2, ensure_ascii=False) + "\n"
    parts = []
    if fmt == "markdown":
        parts += [f"- **{k}**: {cell(v)}\n" for k, v in header.items()]
    elif fmt in ("table", "csv"):
        parts += [f"{k}: {cell(v)}\n" for k, v in header.items()]
    else:
        raise UnknownFormat(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    for name, rows in sections.items():
        parts.append("\n")
        if fmt == "csv":
            parts.append(f"# {name}\n")
            parts.append(render(rows, "csv"))
        else:
            parts.append(render(rows, fmt, title=name.replace("_", " "), terminal=terminal))
    return "".join(parts)
