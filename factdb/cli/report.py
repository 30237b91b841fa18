"""``factdb report``: briefing, timeline, entity, trade, network, claims, evidence."""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any

import typer

from factdb.cli._common import DbOption, engine_for, fail, new_app

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

app = new_app("Reports on the facts: each renders as table, JSON, JSON Lines, CSV or Markdown.")

FORMAT_HELP = "table (rich on a terminal, plain when piped), json, jsonl, csv or markdown."
FormatOption = Annotated[str, typer.Option("--format", "-f", help=FORMAT_HELP)]


def is_terminal() -> bool:
    return sys.stdout.isatty()


@contextmanager
def reading(db: str | None) -> Iterator[Connection]:
    """A read-only connection on a migrated database."""
    from factdb.db import connect
    from factdb.migrate import require_head

    with connect(engine_for(db), read_only=True) as conn:
        require_head(conn)
        yield conn


def emit(text: str) -> None:
    typer.echo(text, nl=False)


def _rows(fetch: Callable[[Connection], list[Any]], db: str | None, fmt: str, **kw: Any) -> None:
    from factdb.render import UnknownFormat, render

    with reading(db) as conn:
        rows = fetch(conn)
    try:
        emit(render(rows, fmt, terminal=is_terminal(), **kw))
    except UnknownFormat as exc:
        raise fail(str(exc)) from None


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    from factdb.factfiles.schema import parse_partial_date

    try:
        parsed = parse_partial_date(value)
    except ValueError:
        raise fail(f"{option}: {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD") from None
    return parsed.date


@app.command()
def briefing(
    country: Annotated[str, typer.Argument(help="Country (name, alias or slug).")] = "bulgaria",
    partner: Annotated[str, typer.Argument(help="Partner country.")] = "japan",
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Where two countries stand: relationship, people, events, trade, cooperation, claims."""
    from factdb.render import render_document
    from factdb.reports.briefing import briefing as build

    with reading(db) as conn:
        doc = build(conn, country, partner)
    header = {"country": doc.country, "partner": doc.partner}
    if fmt in ("json", "jsonl"):
        sections: dict[str, Any] = {"sections": doc.sections, "sources": doc.sources}
        emit(render_document(header, sections, fmt))
        return
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
    emit(render_document(header, readable, fmt, terminal=is_terminal()))


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
) -> None:
    """Events in date order with the precision they have; undated events are listed last."""
    from factdb.reports.timeline import timeline as build

    start, end = _date(date_from, "--from"), _date(date_to, "--to")
    _rows(
        lambda c: build(c, entity, start, end),
        db,
        fmt,
        columns=["when", "kind", "title", "location", "participants", "sources"],
    )


@app.command()
def entity(
    name: Annotated[str, typer.Argument(help="Slug, name or alias (any case).")],
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Everything about one entity: aliases, identifiers, roles, events, relations, claims."""
    from factdb.render import render_document
    from factdb.reports.entity import entity_report

    with reading(db) as conn:
        report = entity_report(conn, name)
    header = {
        "slug": report.slug,
        "kind": report.kind,
        "name": report.name,
        "description": report.description,
        "aliases": report.aliases,
        "identifiers": report.identifiers,
        "sources": report.sources,
    }
    sections = {
        "roles": report.roles,
        "events": report.events,
        "relations": report.relations,
        "claims_made": report.claims_made,
        "claims_about": report.claims_about,
    }
    emit(render_document(header, sections, fmt, terminal=is_terminal()))


@app.command()
def trade(
    reporter: Annotated[str | None, typer.Option(help="Reporter country.")] = None,
    partner: Annotated[str | None, typer.Option(help="Partner country or area.")] = None,
    year: Annotated[int | None, typer.Option(help="Only this year.")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Trade figures by period and flow, with qualifier, status and source."""
    from factdb.render import render
    from factdb.reports.trade import trade as build

    with reading(db) as conn:
        rows = build(conn, reporter, partner, year)
    columns = [
        "reporter",
        "partner",
        "period",
        "flow",
        "commodity",
        "value",
        "currency",
        "qualifier",
        "status",
        "sources",
    ]
    if fmt == "table" and is_terminal() and rows:
        top = max(r.value for r in rows) or 1
        decorated = [
            {**{c: getattr(r, c) for c in columns}, "": "█" * max(1, round(20 * r.value / top))}
            for r in rows
        ]
        emit(render(decorated, fmt, terminal=True, columns=[*columns, ""]))
        return
    emit(render(rows, fmt, terminal=is_terminal(), columns=columns))


@app.command()
def network(
    entity: Annotated[str | None, typer.Argument(help="Only edges touching this entity.")] = None,
    db: DbOption = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=FORMAT_HELP + " Also mermaid, dot.")
    ] = "table",
) -> None:
    """Who met, signed with, organised, funded or partnered with whom, with event and source."""
    from factdb.reports.network import network as build
    from factdb.reports.network import to_dot, to_mermaid

    if fmt in ("mermaid", "dot"):
        with reading(db) as conn:
            edges = build(conn, entity)
        emit(to_mermaid(edges) if fmt == "mermaid" else to_dot(edges))
        return
    _rows(lambda c: build(c, entity), db, fmt)


@app.command()
def claims(
    by: Annotated[str | None, typer.Option(help="Only claims made by this entity.")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Claims, with who made them: statements factdb records as someone's, not its own."""
    from factdb.reports.claims import claims as build

    _rows(
        lambda c: build(c, by),
        db,
        fmt,
        columns=["claimed_by", "subject", "predicate", "object", "value", "sources"],
    )


@app.command()
def evidence(
    source: Annotated[str | None, typer.Option(help="Only this source's evidence.")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Every fact with its quote, source and character span."""
    from factdb.reports.evidence import evidence as build

    _rows(lambda c: build(c, source), db, fmt)


@app.command()
def reconcile(
    reporter: Annotated[str | None, typer.Option(help="Reporter country.")] = None,
    partner: Annotated[str | None, typer.Option(help="Partner country.")] = None,
    year: Annotated[int | None, typer.Option(help="Only this year.")] = None,
    db: DbOption = None,
    fmt: FormatOption = "table",
) -> None:
    """Stated trade figures beside official ones: difference, percentage, mirror data."""
    from factdb.reports.reconcile import reconcile as build

    _rows(
        lambda c: build(c, reporter, partner, year),
        db,
        fmt,
        columns=[
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
    )
