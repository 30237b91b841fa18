"""The one-page answer to "where do two countries stand", every line with numbered sources."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from factdb.models import Entity, EntityIdentifier, Event, EventParticipant, Role, Source
from factdb.reports.claims import RelationRow, relations
from factdb.reports.common import date_label, resolve_entity
from factdb.reports.entity import roles_of
from factdb.reports.timeline import timeline
from factdb.reports.trade import trade

SECTIONS = (
    "relationship",
    "people",
    "timeline",
    "trade",
    "export_goods",
    "investment_sectors",
    "cooperation",
    "claims",
)


@dataclass(frozen=True)
class BriefingLine:
    text: str
    sources: list[int]
    data: dict[str, Any]


@dataclass(frozen=True)
class SourceEntry:
    n: int
    slug: str
    title: str | None
    publisher: str | None
    url: str | None
    published: str


@dataclass
class Briefing:
    country: str
    partner: str
    sections: dict[str, list[BriefingLine]] = field(default_factory=dict)
    sources: list[SourceEntry] = field(default_factory=list)


class _Numbering:
    def __init__(self) -> None:
        self.order: list[str] = []

    def refs(self, slugs: list[str]) -> list[int]:
        out = []
        for slug in slugs:
            if slug not in self.order:
                self.order.append(slug)
            out.append(self.order.index(slug) + 1)
        return sorted(set(out))


def _money(value: Any) -> str:
    return f"{value:,.2f}"


def _relation_text(row: RelationRow) -> str:
    parts = [row.subject, row.predicate.replace("_", " "), row.object, row.value]
    context = f"(in/with {row.context})" if row.context else None
    return " ".join(p for p in [*parts, context] if p)


def briefing(conn: Connection, country: str = "bulgaria", partner: str = "japan") -> Briefing:
    a, b = resolve_entity(conn, country), resolve_entity(conn, partner)
    numbering = _Numbering()
    out = Briefing(a.name, b.name, {name: [] for name in SECTIONS})

    for row in relations(conn, about=a.slug, predicates=["partnership"]):
        if {row.subject, row.object} != {a.name, b.name}:
            continue
        since = f" since {row.valid_from}" if row.valid_from != "undated" else ""
        until = f" until {row.valid_to}" if row.valid_to else ""
        out.sections["relationship"].append(
            BriefingLine(
                f"{row.value}{since}{until} ({row.rank})",
                numbering.refs(row.sources),
                {
                    "level": row.value,
                    "since": row.valid_from,
                    "until": row.valid_to,
                    "rank": row.rank,
                },
            )
        )

    roles = roles_of(conn, [a.id, b.id])
    for role in roles:
        state = "current" if role.current else f"former (ended {role.valid_to})"
        out.sections["people"].append(
            BriefingLine(
                f"{role.person}: {role.title} of {role.organisation}, {state}",
                numbering.refs(role.sources),
                {
                    "person": role.person,
                    "title": role.title,
                    "of": role.organisation,
                    "current": role.current,
                },
            )
        )

    people = set(
        conn.scalars(sa.select(Role.person_id).where(Role.organisation_id.in_([a.id, b.id])))
    ) | {a.id, b.id}
    events = set(
        conn.scalars(
            sa.select(EventParticipant.event_id).where(EventParticipant.entity_id.in_(people))
        )
    )
    for _ in range(3):  # take in the events that are part of these (a forum inside a visit)
        events |= set(conn.scalars(sa.select(Event.id).where(Event.parent_id.in_(events))))
    slugs = set(conn.scalars(sa.select(Event.slug).where(Event.id.in_(events))))
    for dated in timeline(conn):
        if dated.slug not in slugs:
            continue
        out.sections["timeline"].append(
            BriefingLine(
                f"{dated.when}: {dated.title}",
                numbering.refs(dated.sources),
                {
                    "when": dated.when,
                    "date": dated.date.isoformat() if dated.date else None,
                    "precision": dated.precision,
                    "event": dated.slug,
                    "kind": dated.kind,
                },
            )
        )

    for figure in trade(conn, a.slug, b.slug) + trade(conn, b.slug, a.slug):
        qualifier = "" if figure.qualifier == "exact" else f"{figure.qualifier} "
        derived = f"; derived: {figure.method}" if figure.derived else ""
        out.sections["trade"].append(
            BriefingLine(
                f"{figure.period} {figure.reporter} {figure.flow} with {figure.partner}: "
                f"{qualifier}"
                f"{_money(figure.value)} {figure.currency} ({figure.status}{derived})",
                numbering.refs(figure.sources),
                {
                    "period": figure.period,
                    "reporter": figure.reporter,
                    "partner": figure.partner,
                    "flow": figure.flow,
                    "value": str(figure.value),
                    "currency": figure.currency,
                    "qualifier": figure.qualifier,
                    "status": figure.status,
                    "derived": figure.derived,
                    "series": figure.series,
                },
            )
        )

    hs = {
        name: code
        for name, code in conn.execute(
            sa.select(Entity.name, EntityIdentifier.value)
            .join(EntityIdentifier, EntityIdentifier.entity_id == Entity.id)
            .where(EntityIdentifier.scheme == "hs")
        )
    }
    for row in relations(conn, about=a.slug, predicates=["exports_product"]):
        if row.subject == a.name and row.context == b.name and row.object:
            code = f" (HS {hs[row.object]})" if row.object in hs else ""
            out.sections["export_goods"].append(
                BriefingLine(
                    f"{row.object}{code}",
                    numbering.refs(row.sources),
                    {"product": row.object, "hs": hs.get(row.object)},
                )
            )
    for row in relations(conn, about=b.slug, predicates=["invests_in_sector"]):
        if row.subject == b.name and row.context == a.name and row.object:
            out.sections["investment_sectors"].append(
                BriefingLine(row.object, numbering.refs(row.sources), {"sector": row.object})
            )

    for event in timeline(conn):
        if event.kind in ("memorandum", "funding_commitment"):
            out.sections["cooperation"].append(
                BriefingLine(
                    f"{event.when}: {event.title}",
                    numbering.refs(event.sources),
                    {
                        "when": event.when,
                        "event": event.slug,
                        "kind": event.kind,
                        "participants": event.participants,
                    },
                )
            )
    for row in relations(conn, predicates=["cooperates_with", "funds"]):
        out.sections["cooperation"].append(
            BriefingLine(
                _relation_text(row),
                numbering.refs(row.sources),
                {"relation": row.slug, "predicate": row.predicate},
            )
        )

    speakers = {role.person for role in roles}
    for row in relations(conn, claims_only=True):
        if row.claimed_by in speakers:
            out.sections["claims"].append(
                BriefingLine(
                    f"{row.claimed_by}: {_relation_text(row)}",
                    numbering.refs(row.sources),
                    {"claimed_by": row.claimed_by, "relation": row.slug},
                )
            )

    info = {
        s.slug: s
        for s in conn.execute(
            sa.select(
                Source.slug,
                Source.title,
                Source.publisher,
                Source.url,
                Source.published_on,
                Source.published_precision,
            ).where(Source.slug.in_(numbering.order or [""]))
        )
    }
    out.sources = [
        SourceEntry(
            n,
            slug,
            info[slug].title,
            info[slug].publisher,
            info[slug].url,
            date_label(info[slug].published_on, info[slug].published_precision),
        )
        for n, slug in enumerate(numbering.order, start=1)
    ]
    return out
