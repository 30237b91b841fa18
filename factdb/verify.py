"""Re-check stored facts against their sources: quotes at their offsets, texts against sha256,
and (the support check) each fact's numbers, dates, names and qualifiers in its quotes.

Reads only; the matching itself is ``factdb.support``'s (pure text). Fact files are read only
to say where an unsupported fact is written (``file:line``); the database is what is checked.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from factdb.db import connect
from factdb.errors import NotFound
from factdb.factkinds import FACT_KINDS, kind_at
from factdb.models import (
    Entity,
    EntityAlias,
    Event,
    EventParticipant,
    Evidence,
    Relation,
    Role,
    Source,
    TradeFlow,
)
from factdb.schema_version import require_head
from factdb.support import (
    Amount,
    FactValues,
    Named,
    Period,
    When,
    date_spans,
    name_found,
    name_spans,
    number_spans,
    unsupported,
    words_found,
)
from factdb.vocabulary import Precision, TradeStatus

if TYPE_CHECKING:
    from factdb.factfiles.validate import ValidFile


def verify(
    engine: Engine, *, support: bool = True, fact_files: Sequence[Path] | None = None
) -> tuple[int, list[str]]:
    """Return how many items were checked and a message per mismatch.

    With ``support`` (the default) every fact is also checked against its quotes; an
    unsupported one is named at its ``file:line`` in ``fact_files`` (default: the bundled
    seeds) when it is written there, else by the source that declares it.
    """
    require_paths(fact_files)
    problems: list[str] = []
    checked = 0
    with connect(engine, read_only=True) as conn:
        require_head(conn)
        support_lines: list[str] = []
        if support:
            result = unsupported_facts(conn)
            checked += result.checked
            # the files are read only to say where an unsupported fact is written
            where = fact_locations(fact_files, result.alias_slugs) if result.facts else {}
            support_lines = [u.message(where) for u in result.facts]
        texts: dict[int, str] = {}
        for source_id, slug, text, digest in conn.execute(
            sa.select(Source.id, Source.slug, Source.text, Source.text_sha256).where(
                Source.text.is_not(None)
            )
        ):
            checked += 1
            if text is None:  # pragma: no cover - filtered by the query
                continue
            texts[source_id] = text
            actual = hashlib.sha256(text.encode("utf-8")).hexdigest()
            if actual != digest:
                problems.append(f"source {slug}: text has sha256 {actual}, stored {digest}")
        rows = conn.execute(
            sa.select(
                Evidence.id,
                Source.slug,
                Evidence.source_id,
                Evidence.quote,
                Evidence.quote_start,
                Evidence.quote_end,
            )
            .join(Source, Source.id == Evidence.source_id)
            .where(Evidence.quote_start.is_not(None))
            .order_by(Evidence.id)
        )
        for evidence_id, slug, source_id, quote, start, end in rows:
            checked += 1
            text = texts.get(source_id)
            if text is None:
                problems.append(
                    f"evidence {evidence_id} ({slug}): located in a source with no text"
                )
                continue
            found = text[start:end]
            if found != quote:
                problems.append(
                    f"evidence {evidence_id} ({slug}) at {start}-{end}: quote {quote!r} "
                    f"but the text there is {found!r}"
                )
    return checked, problems + support_lines


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int
    text: str


#: a sentence ends at . ! or ? (maybe followed by a closing quote) before white space
_BOUNDARY = re.compile(r"(?<=[.!?])[”\"’)]*\s+|\n+")


def sentences(text: str) -> list[Sentence]:
    """Split text into sentences; a line without a full stop (a byline) is one too.

    "AloJapan.com" stays whole: a full stop only ends a sentence before white space.
    """
    out = []
    start = 0
    for match in [*_BOUNDARY.finditer(text), None]:
        end = match.start() if match else len(text)
        if match and match.group(0)[0] in '”"’)':
            end += len(match.group(0).rstrip())
        piece = text[start:end]
        stripped = piece.strip()
        if stripped:
            offset = start + (len(piece) - len(piece.lstrip()))
            out.append(Sentence(offset, offset + len(stripped), stripped))
        start = match.end() if match else len(text)
    return out


def _source_with_text(conn: Connection, source_slug: str) -> Any:
    """The source's id and text; NotFound naming the known sources, or saying it has none."""
    source = conn.execute(
        sa.select(Source.id, Source.text).where(Source.slug == source_slug)
    ).first()
    if source is None:
        known = list(conn.scalars(sa.select(Source.slug).order_by(Source.slug)))
        raise NotFound(f"no source {source_slug!r}; known: {', '.join(known)}")
    if source.text is None:
        raise NotFound(f"source {source_slug!r} has no stored text to cover")
    return source


def uncovered_sentences(engine: Engine, source_slug: str) -> list[Sentence]:
    """The sentences of a source's text that no stored quote overlaps."""
    with connect(engine, read_only=True) as conn:
        require_head(conn)
        source = _source_with_text(conn, source_slug)
        spans = conn.execute(
            sa.select(Evidence.quote_start, Evidence.quote_end).where(
                Evidence.source_id == source.id, Evidence.quote_start.is_not(None)
            )
        ).all()
    located = [(start, end) for start, end in spans if start is not None and end is not None]
    return [
        s
        for s in sentences(source.text)
        if not any(start < s.end and end > s.start for start, end in located)
    ]


# --- the support check ----------------------------------------------------------------------


@dataclass(frozen=True)
class Unsupported:
    """A fact whose quotes do not show all it says (or that has no quote at all)."""

    kind: str
    key: str  # its slug; EVENT/ENTITY/ROLE for a participant
    declared_by: str | None
    missing: tuple[str, ...]  # empty: the fact has no evidence at all

    def message(self, where: dict[tuple[str, str], str]) -> str:
        place = where.get((self.kind, self.key)) or f"source {self.declared_by or '(none)'}"
        if not self.missing:
            return (
                f"{place}: {self.kind} {self.key}: has no quote; quote the source or say "
                "why in `inferred:`"
            )
        return f"{place}: {self.kind} {self.key}: not in its quotes: {'; '.join(self.missing)}"


@dataclass
class SupportResult:
    checked: int
    facts: list[Unsupported]
    #: entity alias -> slug, to find a participant written with an alias in a fact file
    alias_slugs: dict[str, str]


class _Names:
    """Every entity's name and aliases, read once."""

    def __init__(self, conn: Connection) -> None:
        self.by_id: dict[int, tuple[str, str, tuple[str, ...]]] = {}
        aliases: dict[int, list[str]] = defaultdict(list)
        self.alias_slugs: dict[str, str] = {}
        for entity_id, name in conn.execute(sa.select(EntityAlias.entity_id, EntityAlias.name)):
            aliases[entity_id].append(name)
        for entity_id, slug, name in conn.execute(sa.select(Entity.id, Entity.slug, Entity.name)):
            self.by_id[entity_id] = (slug, name, tuple(aliases[entity_id]))
            for alias in aliases[entity_id]:
                self.alias_slugs.setdefault(alias, slug)

    def slug(self, entity_id: int) -> str:
        return self.by_id[entity_id][0]

    def named(self, label: str, entity_id: int | None) -> list[Named]:
        if entity_id is None:
            return []
        _, name, aliases = self.by_id[entity_id]
        return [Named(label, name, aliases)]


@dataclass
class _Fact:
    """One stored fact as the support check and ``coverage`` read it."""

    kind: str
    key: str
    declared_by: int | None
    inferred: str | None
    #: (quote, source id) of every piece of evidence for it
    evidence: list[tuple[str, int]]
    values: FactValues

    @property
    def quotes(self) -> list[str]:
        return [quote for quote, _ in self.evidence]


_EVIDENCE_COLUMNS = [k.evidence_column for k in FACT_KINDS]


def _evidence(conn: Connection) -> dict[str, dict[int, list[tuple[str, int]]]]:
    """evidence column -> fact id -> its (quote, source id), from every source."""
    out: dict[str, dict[int, list[tuple[str, int]]]] = {
        c: defaultdict(list) for c in _EVIDENCE_COLUMNS
    }
    selected = [Evidence.quote, Evidence.source_id]
    selected += [getattr(Evidence, c) for c in _EVIDENCE_COLUMNS]
    for row in conn.execute(sa.select(*selected).order_by(Evidence.id)):
        quote, source_id = cast(str, row[0]), cast(int, row[1])
        for column, fact_id in zip(_EVIDENCE_COLUMNS, row[2:], strict=True):
            if fact_id is not None:
                out[column][fact_id].append((quote, source_id))
    return out


def _dated(label: str, date: object, precision: object) -> list[When]:
    if date is None or precision is None or precision == Precision.UNKNOWN:
        return []
    return [When(label, date, Precision(precision))]  # type: ignore[arg-type]


def _used_entities(conn: Connection) -> set[int]:
    """Entities a fact refers to (imported trade rows aside)."""
    used: set[int] = set()
    for person, organisation in conn.execute(sa.select(Role.person_id, Role.organisation_id)):
        used.update((person, organisation))
    for ids in conn.execute(
        sa.select(
            Relation.subject_id, Relation.object_id, Relation.context_id, Relation.claimed_by_id
        )
    ):
        used.update(i for i in ids if i is not None)
    used.update(conn.scalars(sa.select(EventParticipant.entity_id)))
    used.update(i for i in conn.scalars(sa.select(Event.location_id)) if i is not None)
    for row in conn.execute(
        sa.select(TradeFlow.reporter_id, TradeFlow.partner_id).where(TradeFlow.slug.is_not(None))
    ):
        used.update(row)
    return used


def _facts(conn: Connection, names: _Names) -> list[_Fact]:
    """Every stored fact with the values it states and its evidence.

    Rows imported from statistics files and entities only they use carry no quotes by
    design, and a derived trade row is checked through the rows it is derived from.
    """
    ev = _evidence(conn)
    used = _used_entities(conn)
    facts: list[_Fact] = []
    for e in conn.execute(
        sa.select(Entity.id, Entity.slug, Entity.description, Entity.inferred)
    ).mappings():
        if e["id"] not in ev["entity_id"] and e["id"] not in used:
            continue  # created by an import (or left unused): nothing states it
        values = FactValues(names=names.named("name", e["id"]))
        values.numbers_from("description", e["description"])
        facts.append(
            _Fact("entity", e["slug"], None, e["inferred"], ev["entity_id"][e["id"]], values)
        )

    for r in _rows(conn, Role):
        values = FactValues(
            names=names.named("person", r.person_id)
            + names.named("organisation", r.organisation_id),
            phrases=[("title", r.title)],
            dates=_dated("from", r.valid_from, r.valid_from_precision)
            + _dated("to", r.valid_to, r.valid_to_precision),
        )
        facts.append(_Fact("role", r.slug, r.source_id, r.inferred, ev["role_id"][r.id], values))

    event_slugs: dict[int, str] = {}
    for e in _rows(conn, Event):
        event_slugs[e.id] = e.slug
        values = FactValues(
            names=names.named("location", e.location_id),
            dates=_dated("start", e.start_date, e.start_precision)
            + _dated("end", e.end_date, e.end_precision),
        )
        values.numbers_from("description", e.description)
        facts.append(_Fact("event", e.slug, e.source_id, e.inferred, ev["event_id"][e.id], values))

    for p in _rows(conn, EventParticipant):
        values = FactValues(names=names.named("entity", p.entity_id))
        if p.count is not None:
            qualifier = "exact" if p.count_qualifier is None else str(p.count_qualifier)
            values.amounts.append(Amount("count", Decimal(p.count), qualifier))
        key = f"{event_slugs[p.event_id]}/{names.slug(p.entity_id)}/{p.role}"
        facts.append(
            _Fact("participant", key, None, p.inferred, ev["participant_id"][p.id], values)
        )

    for t in _rows(conn, TradeFlow, TradeFlow.slug.is_not(None)):
        if t.status == TradeStatus.DERIVED:
            continue
        bounds = [Amount(label, v) for label, v in (("low", t.value_low), ("high", t.value_high))]
        values = FactValues(
            names=names.named("reporter", t.reporter_id) + names.named("partner", t.partner_id),
            amounts=[Amount("value", t.value, str(t.value_qualifier))]
            + [b for b in bounds if b.value is not None],
            # a target may have no year ("to $1 billion"): then there is no period to find
            periods=[] if t.year is None else [Period(t.year, t.month, t.months)],
            currency=t.currency,
            status=str(t.status),
        )
        facts.append(
            _Fact("trade", t.slug, t.source_id, t.inferred, ev["trade_flow_id"][t.id], values)
        )

    for r in _rows(conn, Relation):
        values = FactValues(
            names=names.named("subject", r.subject_id)
            + names.named("object", r.object_id)
            + names.named("context", r.context_id)
            + names.named("claimed_by", r.claimed_by_id),
            dates=_dated("from", r.valid_from, r.valid_from_precision)
            + _dated("to", r.valid_to, r.valid_to_precision),
        )
        values.numbers_from("value", r.value)
        facts.append(
            _Fact("relation", r.slug, r.source_id, r.inferred, ev["relation_id"][r.id], values)
        )
    return facts


def unsupported_facts(conn: Connection) -> SupportResult:
    """Every fact whose quotes do not show its numbers, dates, names and qualifiers.

    A fact with an ``inferred`` reason is accepted as it is (reports show the reason).
    """
    names = _Names(conn)
    sources = {row.id: row.slug for row in conn.execute(sa.select(Source.id, Source.slug))}
    facts = _facts(conn, names)
    found: list[Unsupported] = []
    for fact in facts:
        if fact.inferred:
            continue
        declared_by = None if fact.declared_by is None else sources.get(fact.declared_by)
        if not fact.evidence:
            found.append(Unsupported(fact.kind, fact.key, declared_by, ()))
            continue
        missing = unsupported(fact.values, fact.quotes)
        if missing:
            found.append(Unsupported(fact.kind, fact.key, declared_by, tuple(missing)))
    return SupportResult(len(facts), found, names.alias_slugs)


def _rows(conn: Connection, model: Any, *where: Any) -> Iterable[Any]:
    """Every row of a fact table, its columns as attributes."""
    for row in conn.execute(sa.select(model.__table__).where(*where)).mappings():
        yield SimpleNamespace(**row)


def fact_locations(
    paths: Sequence[Path] | None, alias_slugs: dict[str, str] | None = None
) -> dict[tuple[str, str], str]:
    """(kind, key) -> ``file:line`` of each fact written in the fact files at ``paths``
    (default: the bundled seeds). Files that cannot be read are skipped: they only say where."""
    from factdb.factfiles.loader import bundled_seeds
    from factdb.factfiles.validate import check_files, discover, fact_paths

    aliases = alias_slugs or {}
    require_paths(paths)
    files, _ = check_files(discover(paths or [bundled_seeds()]))
    where: dict[tuple[str, str], str] = {}
    for valid in files:
        for path, fact in fact_paths(valid.spec):
            line, _ = valid.doc.position(path)
            for kind, key in _fact_keys(path, fact, valid, aliases):
                where.setdefault((kind, key), f"{valid.doc.file}:{line}")
    return where


def require_paths(paths: Sequence[Path] | None) -> None:
    """Refuse a named fact file or directory that does not exist, or a directory holding no
    fact file (before any check runs)."""
    from factdb.factfiles.validate import discover

    for given in paths or []:
        if not given.exists():
            raise NotFound(
                f"{given}: no such fact file or directory; name existing fact files, or none "
                "for the bundled seeds"
            )
        if given.is_dir() and not discover([given]):
            raise NotFound(
                f"{given}: no fact files (*.yaml) in this directory; name existing fact files, "
                "or none for the bundled seeds"
            )


def _fact_keys(
    path: tuple[str | int, ...], fact: Any, valid: ValidFile, aliases: dict[str, str]
) -> Iterable[tuple[str, str]]:
    kind = kind_at(path)
    if kind is None:  # a ``supports:`` item: the fact it supports is written elsewhere
        return []
    if not kind.has_slug:  # a participant: EVENT/ENTITY/ROLE
        event = valid.spec.events[int(path[1])]
        entity = aliases.get(fact.entity, fact.entity)
        return [(kind.name, f"{event.slug}/{entity}/{fact.role}")]
    return [(kind.name, fact.slug)]


# --- coverage of values ---------------------------------------------------------------------


@dataclass(frozen=True)
class UncoveredValue:
    """A number, date or name in a source's text that no fact quoting the source states."""

    kind: str  # "number", "date" or "name"
    start: int
    end: int
    text: str


def uncovered_values(engine: Engine, source_slug: str) -> list[UncoveredValue]:
    """Numbers, dates and names of a source's text that no fact with evidence in it states.

    A number is covered by a fact's amount of the same value, a date by a fact's date or
    period in the same year (and month and day, as far as the text gives them), a name by an
    entity's name or alias (or a role's title) among the facts quoting the source.
    """
    with connect(engine, read_only=True) as conn:
        require_head(conn)
        source = _source_with_text(conn, source_slug)
        facts = [
            f
            for f in _facts(conn, _Names(conn))
            if any(source_id == source.id for _, source_id in f.evidence)
        ]
    text: str = source.text
    amounts = {a.value.normalize() for f in facts for a in f.values.amounts}
    dates = [(w.date, w.precision) for f in facts for w in f.values.dates]
    periods = [p for f in facts for p in f.values.periods]
    names = [n for f in facts for n in f.values.names]
    titles = [phrase for f in facts for _, phrase in f.values.phrases]
    currencies = {f.values.currency for f in facts if f.values.currency}
    out: list[UncoveredValue] = []
    date_places = date_spans(text)
    for start, end, mention in date_places:
        covered = any(
            date.year == mention.year
            and (mention.month is None or (precision != "year" and date.month == mention.month))
            and (mention.day is None or (precision == "day" and date.day == mention.day))
            for date, precision in dates
        ) or (mention.month is None and any(p.year == mention.year for p in periods))
        if not covered:
            out.append(UncoveredValue("date", start, end, text[start:end]))
    for start, end, number in number_spans(text):
        if any(s <= start and end <= e for s, e, _ in date_places):
            continue  # part of a date
        if number.spelled and number.value < 1000:
            continue  # "the two nations": prose, not a figure
        if number.value.normalize() not in amounts:
            out.append(UncoveredValue("number", start, end, text[start:end]))
    for start, end, candidate in name_spans(text):
        bare = candidate.removeprefix("The ").strip()
        covered = (
            any(name_found((n.name, *n.aliases), [bare]) for n in names)
            or any(name_found([bare], [n.name, *n.aliases]) for n in names)
            or any(words_found(bare, [title]) for title in titles)
            or (bare in ("US", "U.S.") and "USD" in currencies)  # "US dollars"
        )
        if not covered:
            out.append(UncoveredValue("name", start, end, text[start:end]))
    return sorted(out, key=lambda v: (v.start, v.kind))
