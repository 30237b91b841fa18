"""``factdb report``: briefing, timeline, entity, trade, network, claims, evidence."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer

from factdb.cli._common import DbOption, new_app
from factdb.cli._output import (
    FORMAT_HELP,
    ColumnsOption,
    CsvRawOption,
    FormatOption,
    emit,
    is_terminal,
    parse_columns,
    reading,
    show,
    show_document,
)
from factdb.cli._output import fetch_and_show as _rows
from factdb.errors import InvalidOption

app = new_app(
    "Reports on the facts: each renders as table, JSON, JSON Lines, CSV or Markdown.",
    examples=["factdb report briefing bulgaria japan", "factdb report trade -f csv"],
)

YEARS = (1900, 2100)


def _check_year(value: int | None) -> int | None:
    if value is not None and not YEARS[0] <= value <= YEARS[1]:
        raise InvalidOption(f"--year: {value} is not a year from {YEARS[0]} to {YEARS[1]}")
    return value


SectionOption = Annotated[
    str | None,
    typer.Option(
        "--section",
        metavar="NAME",
        help="Only this section (needed for csv).",
        show_default=False,
    ),
]
YearOption = Annotated[
    int | None,
    typer.Option(help=f"Only this year ({YEARS[0]}..{YEARS[1]}).", callback=_check_year),
]


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    from factdb.dates import parse_partial_date

    try:
        parsed = parse_partial_date(value)
    except ValueError:
        raise InvalidOption(f"{option}: {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD") from None
    return parsed.date


@app.command()
def briefing(
    country: Annotated[str, typer.Argument(help="Country (name, alias or slug).")] = "bulgaria",
    partner: Annotated[str, typer.Argument(help="Partner country.")] = "japan",
    db: DbOption = None,
    fmt: FormatOption = "table",
    section: SectionOption = None,
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
) -> None:
    """Where two countries stand: relationship, people, events, trade, cooperation, claims.

    \b
    Examples:
      factdb report briefing bulgaria japan
      factdb report briefing BG JP -f csv --section trade
    """
    from factdb.render import (
        BRIEFING_SECTIONS,
        briefing_document,
        check_document_options,
    )

    chosen = parse_columns(columns)
    check_document_options(fmt, BRIEFING_SECTIONS, section, chosen)
    from factdb.reports.briefing import briefing as build

    with reading(db) as conn:
        # each of a briefing's statements runs once in this process: keying them for a
        # cache of compiled statements would cost more than it saves
        doc = build(conn.execution_options(compiled_cache=None), country, partner)
    header, sections = briefing_document(doc, fmt, section)
    show_document(header, sections, fmt, section, chosen, csv_raw)


@app.command()
def timeline(
    entity: Annotated[
        str | None, typer.Option(help="Only events this entity took part in.")
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help="From date (YYYY[-MM[-DD]]).")
    ] = None,
    date_to: Annotated[str | None, typer.Option("--to", help="To date (YYYY[-MM[-DD]]).")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
) -> None:
    """Events in date order with the precision they have; undated events are listed last.

    \b
    Example:
      factdb report timeline --entity rumen-radev --from 2025
    """
    from factdb.reports.timeline import TimelineRow
    from factdb.reports.timeline import timeline as build

    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    if start is not None and end is not None and start > end:
        raise InvalidOption(f"--from {date_from} is after --to {date_to}; swap them")
    _rows(
        lambda c: build(c, entity, start, end),
        TimelineRow,
        db,
        fmt,
        columns,
        csv_raw,
        ["when", "kind", "title", "location", "participants", "sources"],
        ("when", "title", "participants", "kind"),
    )


@app.command()
def entity(
    name: Annotated[str, typer.Argument(help="Slug, name or alias (any case).")],
    db: DbOption = None,
    fmt: FormatOption = "table",
    section: SectionOption = None,
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
) -> None:
    """Everything about one entity: aliases, identifiers, roles, events, relations, claims.

    \b
    Example:
      factdb report entity "Shigeru Ishiba"
    """
    from factdb.render import (
        ENTITY_SECTIONS,
        check_document_options,
        entity_document,
    )

    chosen = parse_columns(columns)
    check_document_options(fmt, ENTITY_SECTIONS, section, chosen)
    from factdb.reports.entity import entity_report

    with reading(db) as conn:
        report = entity_report(conn, name)
    header, sections = entity_document(report)
    show_document(header, sections, fmt, section, chosen, csv_raw)


TRADE_COLUMNS = [
    "reporter",
    "partner",
    "period",
    "flow",
    "commodity",
    "value",
    "currency",
    "qualifier",
    "status",
    "mirror",
    "sources",
]


CHART_FORMATS = ("svg", "png")
CHART_HELP = " Also svg, png: a chart (needs factdb[charts]; png needs --output)."
OutputOption = Annotated[
    str | None,
    typer.Option(
        "--output",
        "-o",
        metavar="FILE",
        help="Write a svg or png chart to FILE (svg goes to stdout without it).",
        show_default=False,
    ),
]


def _check_trade_format(value: str) -> str:
    from factdb.render import FORMATS, check_format

    return check_format(value, (*FORMATS, *CHART_FORMATS))


def _chart_target(fmt: str, output: str | None) -> None:
    """Refuse, before reading anything, what a chart cannot be written to or drawn with."""
    if fmt not in CHART_FORMATS:
        if output is not None:
            raise InvalidOption(f"--output is for --format svg or png, not {fmt}")
        return
    if fmt == "png" and output is None:
        raise InvalidOption("--format png needs --output FILE: a PNG is not text for a terminal")
    from factdb.charts import require_matplotlib

    require_matplotlib()


def _write_chart(image: bytes, output: str | None) -> None:
    if output is None:
        emit(image.decode("utf-8"))
        return
    from pathlib import Path

    Path(output).write_bytes(image)


@app.command()
def trade(
    reporter: Annotated[str | None, typer.Option(help="Reporter country.")] = None,
    partner: Annotated[str | None, typer.Option(help="Partner country or area.")] = None,
    year: YearOption = None,
    db: DbOption = None,
    fmt: Annotated[
        str,
        typer.Option("--format", "-f", help=FORMAT_HELP + CHART_HELP, callback=_check_trade_format),
    ] = "table",
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
    output: OutputOption = None,
) -> None:
    """Trade figures by period and flow, with qualifier, status and source.

    \b
    Example:
      factdb report trade --reporter BGR --partner JPN --year 2024
    """
    from factdb.render import check_columns, fields_of, with_bars
    from factdb.reports.trade import TradeRow
    from factdb.reports.trade import trade as build

    chosen = parse_columns(columns)
    check_columns(chosen, fields_of(TradeRow))
    _chart_target(fmt, output)
    with reading(db) as conn:
        rows = build(conn, reporter, partner, year)
    if fmt in CHART_FORMATS:
        from factdb.charts import trade_chart

        _write_chart(trade_chart(rows, fmt), output)
        return
    if fmt == "table" and is_terminal() and chosen is None:
        show(with_bars(rows, TRADE_COLUMNS), fmt, None, csv_raw)
        return
    show(rows, fmt, columns, csv_raw, TRADE_COLUMNS)


def _check_graph_format(value: str) -> str:
    from factdb.render import FORMATS, check_format

    return check_format(value, (*FORMATS, "mermaid", "dot", *CHART_FORMATS))


@app.command()
def network(
    entity: Annotated[str | None, typer.Argument(help="Only edges touching this entity.")] = None,
    db: DbOption = None,
    fmt: Annotated[
        str,
        typer.Option(
            "--format",
            "-f",
            help=FORMAT_HELP + " Also mermaid, dot." + CHART_HELP,
            callback=_check_graph_format,
        ),
    ] = "table",
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
    output: OutputOption = None,
) -> None:
    """Who met, signed with, organised, funded or partnered with whom, with event and source.

    \b
    Example:
      factdb report network rumen-radev -f mermaid
    """
    from factdb.render_graph import render_graph
    from factdb.reports.network import Edge
    from factdb.reports.network import network as build

    _chart_target(fmt, output)
    if fmt in CHART_FORMATS:
        from factdb.charts import network_chart

        with reading(db) as conn:
            edges = build(conn, entity)
        _write_chart(network_chart(edges, fmt), output)
        return
    if fmt in ("mermaid", "dot"):
        with reading(db) as conn:
            edges = build(conn, entity)
        emit(render_graph(edges, fmt))
        return
    _rows(lambda c: build(c, entity), Edge, db, fmt, columns, csv_raw)


@app.command()
def claims(
    by: Annotated[str | None, typer.Option(help="Only claims made by this entity.")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
) -> None:
    """Claims, with who made them: statements factdb records as someone's, not its own.

    \b
    Example:
      factdb report claims --by rumen-radev
    """
    from factdb.reports.claims import RelationRow
    from factdb.reports.claims import claims as build

    _rows(
        lambda c: build(c, by),
        RelationRow,
        db,
        fmt,
        columns,
        csv_raw,
        ["claimed_by", "subject", "predicate", "object", "value", "sources"],
        ("subject", "predicate", "object", "value", "claimed_by"),
    )


@app.command()
def evidence(
    source: Annotated[str | None, typer.Option(help="Only this source's evidence.")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
) -> None:
    """Every fact with its quote, source and character span.

    \b
    Example:
      factdb report evidence --source mofa-japan-bulgaria-summit-2025
    """
    from factdb.reports.evidence import EvidenceRow
    from factdb.reports.evidence import evidence as build

    _rows(
        lambda c: build(c, source),
        EvidenceRow,
        db,
        fmt,
        columns,
        csv_raw,
        priority=("fact", "quote", "source"),
    )


@app.command()
def reconcile(
    reporter: Annotated[str | None, typer.Option(help="Reporter country.")] = None,
    partner: Annotated[str | None, typer.Option(help="Partner country.")] = None,
    year: YearOption = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
    columns: ColumnsOption = None,
    csv_raw: CsvRawOption = False,
) -> None:
    """Stated trade figures beside official ones: difference, percentage, mirror data.

    \b
    Example:
      factdb report reconcile --reporter bulgaria --partner japan
    """
    from factdb.reports.reconcile import ReconcileRow
    from factdb.reports.reconcile import reconcile as build

    _rows(
        lambda c: build(c, reporter, partner, year),
        ReconcileRow,
        db,
        fmt,
        columns,
        csv_raw,
        [
            "reporter",
            "partner",
            "period",
            "flow",
            "stated_value",
            "stated_qualifier",
            "stated_status",
            "official_value",
            "official_status",
            "basis",
            "difference",
            "percent",
            "note",
        ],
        ("period", "flow", "stated_value", "official_value", "difference", "percent", "basis"),
    )
