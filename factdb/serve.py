"""``factdb serve``: the database in a browser through Datasette, described by factdb's own docs.

The metadata (what one row of each view is, what each column holds, facets, canned queries)
is built here from ``factdb.catalog`` so the web pages say what ``factdb tables`` says. The
file is served immutable: Datasette never writes to it. This module must not import Datasette
at module level (it is an optional extra) and must not serve PostgreSQL: a shared database is
served from a snapshot file.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from factdb.catalog import TABLES, VIEWS
from factdb.errors import InvalidOption, MissingExtra, UnsupportedDatabase
from factdb.factkinds import FACT_KINDS

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

WEB_EXTRA = "install factdb[web] (pip install 'factdb[web]') to serve the database in a browser"

#: column -> what it holds, for every column of the documented views (docs/sql.md).
#: A view may override a name whose meaning differs there (``VIEW_COLUMNS``).
COLUMNS: dict[str, str] = {
    "id": "the row's id in this database (not stable across databases; use slug)",
    "slug": "the fact's stable name, as written in its fact file",
    "kind": "what sort of thing it is (a controlled vocabulary)",
    "name": "the name",
    "description": "a short description",
    "aliases": "other names, each with its language",
    "iso2": "ISO 3166-1 alpha-2 code",
    "iso3": "ISO 3166-1 alpha-3 code",
    "m49": "UN M49 numeric area code",
    "wikidata": "Wikidata QID",
    "hs_code": "Harmonized System code of a product",
    "identifiers": "every identifier, as scheme:value",
    "title": "the event's title",
    "start_date": "first day of the event, read with start_precision",
    "start_precision": "how much of start_date is known: day, month, year or unknown (undated)",
    "end_date": "last day of the event, read with end_precision",
    "end_precision": "how much of end_date is known: day, month, year or unknown",
    "date_note": "what the source says about the date, in words ('earlier')",
    "location_slug": "slug of the place it happened",
    "location": "name of the place it happened",
    "parent_slug": "slug of the event this one is part of",
    "parent_title": "title of the event this one is part of",
    "cameo_code": "CAMEO event code",
    "declared_by": "slug of the source that declares this fact",
    "event_slug": "slug of the event",
    "event": "title of the event",
    "event_start_date": "first day of the event, read with event_start_precision",
    "event_start_precision": "how much of event_start_date is known: day, month, year, unknown",
    "entity_slug": "slug of the entity taking part",
    "entity": "name of the entity taking part",
    "entity_kind": "kind of the entity taking part",
    "role": "its part: host, visitor, organiser, speaker, signatory, party, attendee, funder, "
    "recipient or subject",
    "count": "how many, for a group of unnamed members",
    "count_qualifier": "how exact count is: exact, about, more_than, ...",
    "note": "a remark from the source",
    "reporter_slug": "slug of the reporting country",
    "reporter": "the reporting country",
    "reporter_iso3": "ISO 3166-1 alpha-3 code of the reporter",
    "partner_slug": "slug of the partner country or area",
    "partner": "the partner country or area",
    "partner_iso3": "ISO 3166-1 alpha-3 code of the partner",
    "year": "year of the period",
    "month": "first month of the period; 0 with months = 12 is the whole year",
    "months": "number of months in the period (12 for a year, 6 for a half, 1 for a month)",
    "flow": "export, import, total (both ways) or re-export/re-import",
    "commodity_code": "HS code of the goods, TOTAL for all goods",
    "commodity_label": "name of the goods",
    "value_cents": "the exact value in cents of currency (an integer), for exact sums",
    "currency": "ISO 4217 currency of the value (USD for every bundled figure)",
    "value_qualifier": "how the source states the value: exact, about, near, more_than, ...",
    "value_low": "lower bound of the value, in currency, when the source gives a range",
    "value_high": "upper bound of the value, in currency, when the source gives a range",
    "status": "preliminary, provisional, final, derived, not_stated, ... as the source labels "
    "the figure",
    "derived": "1 when the figure is computed from others (method says how)",
    "method": "how a derived figure was computed",
    "as_of": "date the figure was current",
    "series": "which series the figure belongs to: a source's slug, or comtrade (official)",
    "source_slug": "slug of the source document",
    "source_title": "title of the source document",
    "source_line": "line of the statistics file the figure was read from",
    "subject_slug": "slug of the relation's subject",
    "subject": "the relation's subject",
    "predicate": "what the relation says (a controlled vocabulary: partnership, funds, ...)",
    "object_slug": "slug of the relation's object entity",
    "object": "the relation's object entity",
    "unit": "unit of value, when it is a quantity",
    "context_slug": "slug of the entity or event the relation holds in",
    "context": "the entity or event the relation holds in",
    "valid_from": "date the relation holds from, read with valid_from_precision",
    "valid_from_precision": "how much of valid_from is known: day, month, year or unknown",
    "valid_to": "date the relation held until, read with valid_to_precision",
    "valid_to_precision": "empty: still valid; unknown: ended, date unknown; else its precision",
    "claimed_by_slug": "slug of who made the claim; empty for a fact factdb states itself",
    "claimed_by": "who made the claim: the relation is theirs, not an established fact",
    "rank": "preferred, normal or deprecated, when statements conflict",
    "rank_reason": "why the rank was given",
    "fact_kind": "kind of fact quoted: " + ", ".join(k.name for k in FACT_KINDS),
    "fact_id": "id of the fact in its view (v_events.id for an event, ...)",
    "fact_slug": "slug of the fact (event/entity/role for a participant)",
    "source_url": "address of the source document",
    "quote": "the source's words that state the fact",
    "quote_start": "character offset where the quote starts in the stored text",
    "quote_end": "character offset where the quote ends in the stored text",
    "field": "the part of the fact the quote states, when only one part",
    "verbatim": "1 when the quote is the source's exact words",
    "inferred": "why the fact needs more than its quotes show; empty when they show it all",
    "invited_by_slug": 'slug of who invited ("at the invitation of")',
    "invited_by": "who invited; the host is among the participants",
    "stated_by_slug": "slug of who gave the figure",
    "stated_by": "who gave the figure (a minister, a ministry), when the source says",
    "qualifiers": "further qualifiers of the statement, as JSON text",
    "person_slug": "slug of the person holding the role",
    "person": "the person holding the role",
    "organisation_slug": "slug of the organisation or country of the role",
    "organisation": "the organisation or country of the role",
    "current": "1 while the role is held",
    "publisher": "who published the source",
    "published_on": "publication date, read with published_precision",
    "published_precision": "how much of published_on is known: day, month, year or unknown",
    "url": "address of the source",
    "language": "language of the source",
    "file_name": "the stored text's file, beside its fact file",
    "has_text": "1 when factdb holds the source's text",
    "text_sha256": "sha256 of the stored text",
    "row_count": "rows read from a statistics file",
    "reposts_slug": "slug of the source this one reposts",
    "metric": "what is counted, ranked or measured: investors, trade, strategic partners",
    "measure": "unit: money (with currency), percent, count, times, rank or ordinal",
    "qualifier": "how exact the value is: exact, about, nearly, over, at_most (up to), ...",
    "value_hundredths": "the exact value in hundredths (an integer)",
    "date": "the period the number refers to (a target's date to be reached by)",
    "date_precision": "how much of date is known: day, month, year or unknown",
    "base_date": "base period of a change (since 1992), read with base_precision",
    "base_precision": "how much of base_date is known; empty when there is no base period",
    "signatories": "who signed, and for whom",
    "parties": "the parties to the document",
    "signed_on": "date of signing, read with signed_precision",
    "signed_precision": "how much of signed_on is known: day, month, year or unknown",
}

#: view -> column -> a description that differs from ``COLUMNS`` in that view
VIEW_COLUMNS: dict[str, dict[str, str]] = {
    "v_relations": {
        "value": "a literal object: the words or quantity the relation holds (unit beside it)",
        "event_slug": "slug of the event the statement is about",
        "event": "the event the statement is about",
    },
    "v_events": {
        "status": "held, planned, announced, postponed or cancelled",
    },
    "v_trade": {
        "value": "the figure in currency (USD: money in US dollars), exact to the cent",
        "kind": "actual, target, forecast or commitment",
        "event_slug": "slug of the event where the figure was stated or agreed",
    },
    "v_quantities": {
        "value": "the number, in its measure (negative only for a fall)",
        "kind": "actual, target, forecast, commitment or change",
        "subject_slug": "slug of whose number it is",
        "subject": "whose number it is",
        "partner_slug": "slug of the other entity the number concerns",
        "partner": "the other entity the number concerns",
        "event_slug": "slug of the event the number was stated at or is about",
        "event": "the event the number was stated at or is about",
    },
    "v_documents": {
        "kind": "agreement, declaration, memorandum, programme, treaty, ...",
        "title": "the document's title; empty for a count of unnamed documents",
        "count": "how many unnamed documents the row stands for",
        "event_slug": "slug of the signing event",
        "event": "the signing event",
    },
    "v_sources": {
        "kind": "article, official_statement, statistics_dataset, press_release, ...",
        "title": "title of the source",
    },
    "v_changesets": {
        "id": "the changeset's number; `factdb changes --since` it lists the later ones",
        "at": "when the write began, ISO text in UTC",
        "db_user": "the database login that wrote (SQLite: the operating-system user)",
        "command": "factdb seed, factdb import comtrade, or sql for a write made directly in SQL",
        "files": "the files written from, with their sha256 (JSON)",
        "counts": "rows inserted, updated and deleted per table, as the command counted (JSON)",
        "versions": "how many previous versions of rows this changeset kept",
    },
    "v_history": {
        "id": "the kept version's number",
        "changeset_id": "the changeset that replaced or deleted this version",
        "at": "when that changeset's write began, ISO text in UTC",
        "db_user": "the database login of that changeset",
        "command": "the command of that changeset",
        "table_name": "the table the row is in",
        "row_id": "the row's id in its table",
        "slug": "the row's slug, where its table has one",
        "operation": "update (a later version replaced it) or delete",
        "old_row": "the row as it was, every column by name (JSON; money in cents)",
    },
}

#: view -> columns offered as facets (the filters an analyst starts from)
FACETS: dict[str, list[str]] = {
    "v_quantities": ["measure", "kind", "subject", "partner"],
    "v_documents": ["kind"],
    "v_roles": ["organisation", "current"],
    "v_sources": ["kind", "publisher"],
    "v_entities": ["kind"],
    "v_events": ["kind", "start_precision"],
    "v_event_participants": ["role", "entity_kind"],
    "v_trade": ["reporter", "partner", "year", "flow", "status", "value_qualifier"],
    "v_relations": ["predicate", "claimed_by"],
    "v_evidence": ["fact_kind", "source_slug"],
}

#: view -> default sort column
SORT: dict[str, str] = {"v_events": "start_date", "v_trade": "year"}


@dataclass(frozen=True)
class CannedQuery:
    """A named query with :parameters, shown as a form in Datasette."""

    name: str
    title: str
    description: str
    sql: str
    #: parameters that give rows on the bundled seeds (Bulgaria and Japan), for docs and tests
    example: dict[str, str]


_PAIR = (
    "(reporter_slug = :country AND partner_slug = :partner) "
    "OR (reporter_slug = :partner AND partner_slug = :country)"
)

CANNED_QUERIES: tuple[CannedQuery, ...] = (
    CannedQuery(
        "briefing",
        "Briefing for a pair of countries",
        "Where two countries stand, section by section: relationship, people, timeline, trade "
        "and claims, each line with its source. :country and :partner are entity slugs.",
        f"""
WITH pair(slug) AS (VALUES (:country), (:partner)),
pair_ids(id) AS (SELECT id FROM entities WHERE slug IN (SELECT slug FROM pair)),
tied(id) AS (
  SELECT id FROM pair_ids
  UNION SELECT person_id FROM roles WHERE organisation_id IN (SELECT id FROM pair_ids)
),
lines(n, section, date, precision, text, claimed_by, source) AS (
  SELECT 1, 'relationship', valid_from, valid_from_precision,
         subject || ' and ' || object || ': ' || COALESCE(value, predicate), NULL, declared_by
  FROM v_relations
  WHERE predicate = 'partnership' AND claimed_by_slug IS NULL
    AND subject_slug IN (SELECT slug FROM pair) AND object_slug IN (SELECT slug FROM pair)
    AND subject_slug <> object_slug
  UNION ALL
  SELECT 2, 'people', r.valid_from, r.valid_from_precision,
         p.name || ', ' || CASE WHEN r.valid_to_precision IS NULL THEN '' ELSE 'former ' END
         || r.title || ' (' || o.name || ')', NULL, s.slug
  FROM roles r
  JOIN entities p ON p.id = r.person_id
  JOIN entities o ON o.id = r.organisation_id
  LEFT JOIN sources s ON s.id = r.source_id
  WHERE r.organisation_id IN (SELECT id FROM pair_ids)
  UNION ALL
  SELECT 3, 'timeline', start_date, start_precision, title, NULL, declared_by
  FROM v_events e
  WHERE EXISTS (SELECT 1 FROM event_participants ep
                WHERE ep.event_id = e.id AND ep.entity_id IN (SELECT id FROM tied))
  UNION ALL
  SELECT 4, 'trade', CAST(year AS TEXT), 'year',
         reporter || ' with ' || partner || ', ' || year
         || CASE WHEN month = 0 THEN '' ELSE ' from month ' || month || ' for ' || months
            || ' months' END
         || ', ' || flow || ': ' || value_qualifier || ' ' || printf('%,d', value_cents / 100)
         || ' ' || currency || ' (' || status || ')', NULL, source_slug
  FROM v_trade
  WHERE {_PAIR}
  UNION ALL
  SELECT 5, 'claims', valid_from, valid_from_precision,
         subject || ' ' || replace(predicate, '_', ' ') || ' '
         || COALESCE(object, '') || CASE WHEN value IS NULL THEN '' ELSE ': ' || value END,
         claimed_by, declared_by
  FROM v_relations
  WHERE claimed_by_slug IS NOT NULL
    AND (subject_slug IN (SELECT slug FROM pair) OR object_slug IN (SELECT slug FROM pair))
)
SELECT section, date, precision, text, claimed_by, source FROM lines
ORDER BY n, date IS NULL, date, text
""",
        {"country": "bulgaria", "partner": "japan"},
    ),
    CannedQuery(
        "timeline",
        "Timeline of an entity",
        "Events an entity took part in, in date order with their precision; undated events "
        "last. :entity is an entity slug.",
        """
SELECT e.start_date, e.start_precision, e.date_note, e.kind, e.title, e.location,
       group_concat(p.entity || ' (' || p.role || ')', '; ') AS participants,
       e.declared_by AS source
FROM v_events e
JOIN v_event_participants p ON p.event_slug = e.slug
WHERE e.slug IN (SELECT event_slug FROM v_event_participants WHERE entity_slug = :entity)
GROUP BY e.id
ORDER BY e.start_date IS NULL, e.start_date, e.title
""",
        {"entity": "rumen-radev"},
    ),
    CannedQuery(
        "trade_by_year",
        "Trade by year for a pair",
        "Every trade figure between two countries, both directions, by year and flow: stated "
        "figures beside official ones (series comtrade). Values in USD. :country and "
        ":partner are entity slugs.",
        f"""
SELECT year, month, months, reporter, partner, flow, commodity_code, value_qualifier, value,
       currency, status, series, source_slug, source_url
FROM v_trade t
LEFT JOIN (SELECT slug, url AS source_url FROM sources) s ON s.slug = t.source_slug
WHERE {_PAIR}
ORDER BY year, month, months DESC, flow, reporter, value
""",
        {"country": "bulgaria", "partner": "japan"},
    ),
    CannedQuery(
        "claims_by_person",
        "Claims by a person",
        "Every claim an entity made, with the words that state it and where. :person is an "
        "entity slug.",
        """
SELECT r.subject, r.predicate, r.object, r.value, e.quote, e.source_slug, e.source_url
FROM v_relations r
LEFT JOIN v_evidence e ON e.fact_kind = 'relation' AND e.fact_id = r.id
WHERE r.claimed_by_slug = :person
ORDER BY r.slug, e.quote_start
""",
        {"person": "rumen-radev"},
    ),
    CannedQuery(
        "evidence_for_fact",
        "Evidence for a fact",
        "The sources that support one fact, with the quote and its character span. "
        f":fact_kind is one of {', '.join(k.name for k in FACT_KINDS)}; :fact_slug the "
        "fact's slug.",
        """
SELECT source_slug, source_title, source_url, field, verbatim, quote, quote_start, quote_end
FROM v_evidence
WHERE fact_kind = :fact_kind AND fact_slug = :fact_slug
ORDER BY source_slug, quote_start
""",
        {"fact_kind": "event", "fact_slug": "strategic-partnership-declaration-signing"},
    ),
    CannedQuery(
        "search",
        "Full-text search",
        "Names, aliases, event titles and quotes containing :words as a phrase (the SQLite "
        "full-text index `factdb search` uses); best match first.",
        """
SELECT f.kind, COALESCE(n.slug, a.slug, ev.slug, q.fact_slug) AS slug,
       COALESCE(n.name, a.name, ev.title, q.quote) AS text, q.source_slug, q.source_url,
       round(bm25(fts_search), 2) AS score
FROM fts_search f
LEFT JOIN v_entities n ON f.kind = 'entity' AND n.id = f.ref_id
LEFT JOIN (SELECT al.id, en.slug, al.name FROM entity_aliases al
           JOIN entities en ON en.id = al.entity_id) a ON f.kind = 'alias' AND a.id = f.ref_id
LEFT JOIN v_events ev ON f.kind = 'event' AND ev.id = f.ref_id
LEFT JOIN v_evidence q ON f.kind = 'quote' AND q.id = f.ref_id
WHERE fts_search MATCH '"' || replace(:words, '"', '""') || '"'
ORDER BY bm25(fts_search)
LIMIT 100
""",
        {"words": "Toyota"},
    ),
)


def require_datasette() -> None:
    """Refuse in one line when the ``web`` extra is not installed."""
    try:
        import datasette  # noqa: F401
    except ImportError:
        raise MissingExtra(f"datasette is not installed; {WEB_EXTRA}") from None


def require_sqlite_file(url: str) -> Path:
    """The SQLite file behind ``url``; a PostgreSQL URL is served from a snapshot instead."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        raise UnsupportedDatabase(
            "factdb serve reads a SQLite file; for a shared PostgreSQL database run "
            "`factdb snapshot OUT.sqlite3` first, then `factdb serve --db OUT.sqlite3`"
        )
    return Path(parsed.database)


def require_quiet_file(path: Path) -> None:
    """Refuse a file with writes still in its WAL: an immutable reader would not see them."""
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise UnsupportedDatabase(
            f"{path} is being written ({wal.name} holds writes not yet in the file); serve it "
            "when the writer is done, or serve a copy made with `factdb snapshot OUT.sqlite3`"
        )


def require_free_port(host: str, port: int) -> None:
    """Refuse a port something else listens on, before Datasette starts."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InvalidOption(
                f"--port {port}: cannot listen on {host}:{port} ({exc.strerror or exc}); "
                "choose another port, or check --host"
            ) from None


def column_descriptions(view: str, columns: list[str]) -> dict[str, str]:
    """What each column of ``view`` holds; a column the docs do not describe is left out."""
    own = VIEW_COLUMNS.get(view, {})
    return {c: own.get(c) or COLUMNS[c] for c in columns if c in own or c in COLUMNS}


def metadata(conn: Connection, database: str) -> dict[str, Any]:
    """Datasette metadata for the database named ``database`` (its file's stem).

    Documented views and tables get their description and column descriptions; every other
    table (the Alembic version, the full-text index and its shadow tables) is hidden.
    """
    import sqlalchemy as sa

    inspector = sa.inspect(conn)
    tables: dict[str, dict[str, Any]] = {}
    for view in inspector.get_view_names():
        if view not in VIEWS:
            tables[view] = {"hidden": True}
            continue
        columns = [c["name"] for c in inspector.get_columns(view)]
        entry: dict[str, Any] = {
            "description": f"One row is {VIEWS[view][0]}. A stable view: columns may be "
            "added, never renamed or removed.",
            "columns": column_descriptions(view, columns),
            "facets": [f for f in FACETS.get(view, []) if f in columns],
        }
        if view in SORT:
            entry["sort"] = SORT[view]
        tables[view] = entry
    names = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table'")
    for (table,) in names:
        if table in TABLES:
            tables[table] = {"description": f"One row is {TABLES[table]}."}
        else:
            tables[table] = {"hidden": True}
    return {
        "title": "factdb",
        "description": "Sourced facts about relations between countries: every fact with the "
        "source and the quote that states it. Start from the views (v_*) or the canned "
        "queries; money is in the row's currency (USD), dates carry their precision.",
        "databases": {
            database: {
                "tables": tables,
                "queries": {
                    q.name: {
                        "title": q.title,
                        "description": q.description,
                        "sql": q.sql,
                        # the form and the rows first; "show" reveals the SQL
                        "hide_sql": True,
                    }
                    for q in CANNED_QUERIES
                },
            }
        },
    }


def serve(path: Path, meta: dict[str, Any], host: str, port: int) -> None:
    """Run Datasette on ``path`` (immutable) until interrupted."""
    import asyncio

    import uvicorn
    from datasette.app import Datasette

    ds = Datasette(
        immutables=[str(path)],
        metadata=meta,
        settings={"default_page_size": 100, "sql_time_limit_ms": 3000},
    )
    asyncio.run(ds.invoke_startup())
    uvicorn.run(ds.app(), host=host, port=port, log_level="warning")
