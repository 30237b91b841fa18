"""Validate fact files as a whole before anything is written.

Checks each file against the schema, reads and checks its source text, locates every quote,
and resolves every reference across the files being loaded and what the database already
holds (the ``Catalog``). Every problem is collected; nothing here touches the database.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from factdb.factfiles.reader import Document, Path_, Problem, read_file
from factdb.factfiles.schema import (
    EntitySpec,
    FactFile,
    QuoteSpec,
    quotes_of,
)

FACT_FILE_SUFFIXES = (".yaml", ".yml")


@dataclass
class Catalog:
    """What the database already holds that fact files may refer to."""

    entity_slugs: set[str] = field(default_factory=set)
    #: alias or name -> entity slugs that carry it
    entity_names: dict[str, set[str]] = field(default_factory=dict)
    source_slugs: set[str] = field(default_factory=set)
    #: fact kind -> slug -> slug of the source whose file declares it
    fact_owners: dict[str, dict[str, str | None]] = field(default_factory=dict)
    #: "event/entity/role" keys of existing participants
    participant_keys: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class LocatedQuote:
    """A quote found in its source text (``start``/``end`` are None when no text is held)."""

    text: str
    start: int | None
    end: int | None
    field: str | None
    verbatim: bool
    occurrence: int


@dataclass
class ValidFile:
    """A fact file that passed every check, with its text and located quotes."""

    path: Path
    doc: Document
    spec: FactFile
    text: str | None
    text_sha256: str | None
    #: path of the fact in the document (e.g. ("events", 3)) -> its located quotes
    quotes: dict[Path_, list[LocatedQuote]] = field(default_factory=dict)


@dataclass
class Plan:
    """Everything the loader needs, resolved: files in load order and the entity references."""

    files: list[ValidFile]
    #: every entity reference written in the files -> the slug it resolves to
    entity_refs: dict[str, str]


def discover(paths: Iterable[Path]) -> list[Path]:
    """Fact files named by ``paths``: files as given, directories' *.yaml files in order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.iterdir() if p.suffix in FACT_FILE_SUFFIXES))
        else:
            found.append(path)
    return found


def validate(paths: list[Path], catalog: Catalog) -> tuple[Plan | None, list[Problem]]:
    """Check every file; return a plan only when there is no problem at all."""
    problems: list[Problem] = []
    files: list[ValidFile] = []
    for path in paths:
        doc, read_problems = read_file(path)
        problems += read_problems
        if doc is None:
            continue
        spec, schema_problems = _check_schema(doc)
        problems += schema_problems
        if spec is None:
            continue
        valid = ValidFile(path, doc, spec, None, None)
        problems += _load_text(valid)
        problems += _locate_quotes(valid)
        files.append(valid)
    refs, ref_problems = _resolve(files, catalog)
    problems += ref_problems
    problems.sort(key=lambda p: (p.file, p.line, p.column))
    if problems:
        return None, problems
    return Plan(files, refs), []


def _check_schema(doc: Document) -> tuple[FactFile | None, list[Problem]]:
    if not isinstance(doc.data, dict):
        return None, [doc.problem((), "a fact file is a mapping with `factdb: 1` and `source:`")]
    try:
        return FactFile.model_validate(doc.data), []
    except ValidationError as exc:
        # A value that fits no branch of a union fails every branch; the branch whose error
        # lies deepest in the document is the one the author meant, so shallower ones go.
        located = sorted(
            ((_document_path(doc.data, e["loc"], e["type"]), e) for e in exc.errors()),
            key=lambda item: -len(item[0]),
        )
        seen: dict[Path_, Problem] = {}
        for path, error in located:
            if path in seen or any(other[: len(path)] == path for other in seen):
                continue
            seen[path] = doc.problem(path, _message(error))
        return None, list(seen.values())


def _document_path(data: Any, loc: tuple[Any, ...], kind: str) -> Path_:
    """The part of a Pydantic error location that exists in the document.

    Union branch tags (``QuoteSpec``, ``constrained-str``) are skipped; a missing key is named
    after its parent's path.
    """
    path: list[str | int] = []
    node = data
    for index, part in enumerate(loc):
        if _has(node, part):
            node = node[part]
            path.append(part)
        elif kind == "missing" and index == len(loc) - 1 and isinstance(node, dict):
            path.append(part)
    return tuple(path)


def _has(node: Any, part: Any) -> bool:
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    return isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)


def _message(error: Any) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = str(error["msg"])
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    return message


def _load_text(valid: ValidFile) -> list[Problem]:
    source = valid.spec.source
    if source.text is None:
        return []
    text_path = valid.path.parent / source.text
    try:
        raw = text_path.read_bytes()
    except OSError as exc:
        return [valid.doc.problem(("source", "text"), f"cannot read {text_path}: {exc.strerror}")]
    digest = hashlib.sha256(raw).hexdigest()
    if source.sha256 is not None and source.sha256 != digest:
        return [
            valid.doc.problem(
                ("source", "sha256"), f"{text_path} has sha256 {digest}, not {source.sha256}"
            )
        ]
    try:
        valid.text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return [valid.doc.problem(("source", "text"), f"{text_path} is not UTF-8 text")]
    valid.text_sha256 = digest
    return []


def fact_paths(spec: FactFile) -> Iterator[tuple[Path_, Any]]:
    """Every fact of a file with its path in the document, participants included."""
    for index, entity in enumerate(spec.entities):
        yield ("entities", index), entity
    for index, role in enumerate(spec.roles):
        yield ("roles", index), role
    for index, event in enumerate(spec.events):
        yield ("events", index), event
        for p_index, participant in enumerate(event.participants):
            yield ("events", index, "participants", p_index), participant
    for index, row in enumerate(spec.trade):
        yield ("trade", index), row
    for index, relation in enumerate(spec.relations):
        yield ("relations", index), relation
    for index, support in enumerate(spec.supports):
        yield ("supports", index), support


def _locate_quotes(valid: ValidFile) -> list[Problem]:
    problems: list[Problem] = []
    for path, fact in fact_paths(valid.spec):
        raw = getattr(fact, "quote", None)
        located = []
        for q_index, spec in enumerate(quotes_of(raw)):
            quote_path = (
                (*path, "quote") if not isinstance(raw, list) else (*path, "quote", q_index)
            )
            found, problem = locate(spec, valid.text)
            if problem:
                problems.append(valid.doc.problem(quote_path, problem))
            elif found:
                located.append(found)
        valid.quotes[path] = located
    return problems


def locate(spec: QuoteSpec, text: str | None) -> tuple[LocatedQuote | None, str | None]:
    """Find the quote in ``text``: exactly once, or at the occurrence it names."""
    if text is None or not spec.verbatim:
        if spec.occurrence is not None and text is None:
            return None, "`occurrence` needs a stored source text"
        return LocatedQuote(spec.text, None, None, spec.field, spec.verbatim, 1), None
    starts = list(_occurrences(text, spec.text))
    if not starts:
        hint = ""
        if _occurrences(_plain_quotes(text), _plain_quotes(spec.text)):
            hint = " (it does with straight quotes and apostrophes: copy the source's ’ and “ ”)"
        return None, f"quote does not occur in the source text{hint}: {spec.text!r}"
    if spec.occurrence is None and len(starts) > 1:
        return None, (
            f"quote occurs {len(starts)} times (at characters "
            f"{', '.join(map(str, starts))}); add `occurrence: N` to say which"
        )
    occurrence = spec.occurrence or 1
    if occurrence > len(starts):
        return None, f"quote occurs {len(starts)} times, not {occurrence}"
    start = starts[occurrence - 1]
    return (
        LocatedQuote(spec.text, start, start + len(spec.text), spec.field, True, occurrence),
        None,
    )


def _occurrences(text: str, needle: str) -> list[int]:
    starts, at = [], text.find(needle)
    while at != -1:
        starts.append(at)
        at = text.find(needle, at + 1)
    return starts


_STRAIGHT = str.maketrans("’‘“”", "''\"\"")


def _plain_quotes(text: str) -> str:
    return text.translate(_STRAIGHT)


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, sorted(set(candidates)), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _entity_signature(entity: EntitySpec) -> str:
    return entity.model_dump_json()


def _resolve(files: list[ValidFile], catalog: Catalog) -> tuple[dict[str, str], list[Problem]]:
    """Resolve references across files and the catalog; report conflicts and misses."""
    problems: list[Problem] = []
    declared: dict[str, tuple[ValidFile, Path_, EntitySpec]] = {}
    names: dict[str, set[str]] = {k: set(v) for k, v in catalog.entity_names.items()}
    identifiers: dict[tuple[str, str], str] = {}
    for valid in files:
        for index, entity in enumerate(valid.spec.entities):
            path: Path_ = ("entities", index, "slug")
            if entity.slug in declared:
                other, _, first = declared[entity.slug]
                if _entity_signature(first) != _entity_signature(entity):
                    problems.append(
                        valid.doc.problem(
                            path,
                            f"entity {entity.slug!r} is declared differently in {other.path}; "
                            "declare it once and refer to it by slug",
                        )
                    )
                continue
            declared[entity.slug] = (valid, path, entity)
            for alias in entity.aliases:
                alias_name = alias if isinstance(alias, str) else alias.name
                names.setdefault(alias_name, set()).add(entity.slug)
            names.setdefault(entity.name, set()).add(entity.slug)
            for scheme, value in entity.identifiers.items():
                owner = identifiers.setdefault((scheme.value, value), entity.slug)
                if owner != entity.slug:
                    problems.append(
                        valid.doc.problem(
                            ("entities", index, "identifiers", scheme.value),
                            f"{scheme.value} {value!r} already identifies {owner!r}",
                        )
                    )
    slugs = catalog.entity_slugs | set(declared)
    refs: dict[str, str] = {}

    def resolve(valid: ValidFile, ref: str | None, path: Path_) -> None:
        if ref is None or ref in refs:
            return
        if ref in slugs:
            refs[ref] = ref
            return
        matches = names.get(ref) or {
            slug
            for name, owners in names.items()
            if name.casefold() == ref.casefold()
            for slug in owners
        }
        if len(matches) == 1:
            refs[ref] = next(iter(matches))
        elif len(matches) > 1:
            problems.append(
                valid.doc.problem(path, f"{ref!r} names several entities: {sorted(matches)}")
            )
        else:
            problems.append(
                valid.doc.problem(path, f"unknown entity {ref!r}{_suggest(ref, [*slugs, *names])}")
            )

    problems += _check_fact_slugs(files, catalog)
    for valid in files:
        spec = valid.spec
        for index, role in enumerate(spec.roles):
            resolve(valid, role.person, ("roles", index, "person"))
            resolve(valid, role.organisation, ("roles", index, "organisation"))
        for index, event in enumerate(spec.events):
            resolve(valid, event.location, ("events", index, "location"))
            for p_index, participant in enumerate(event.participants):
                resolve(
                    valid, participant.entity, ("events", index, "participants", p_index, "entity")
                )
        for index, row in enumerate(spec.trade):
            resolve(valid, row.reporter, ("trade", index, "reporter"))
            resolve(valid, row.partner, ("trade", index, "partner"))
        for index, relation in enumerate(spec.relations):
            for key in ("subject", "object", "context", "claimed_by"):
                resolve(valid, getattr(relation, key), ("relations", index, key))
    problems += _check_fact_refs(files, catalog, refs)
    return refs, problems


def _declared_facts(files: list[ValidFile]) -> dict[str, dict[str, tuple[ValidFile, Path_]]]:
    out: dict[str, dict[str, tuple[ValidFile, Path_]]] = {
        "role": {},
        "event": {},
        "trade": {},
        "relation": {},
        "entity": {},
    }
    for valid in files:
        for kind, section in (
            ("role", "roles"),
            ("event", "events"),
            ("trade", "trade"),
            ("relation", "relations"),
        ):
            for index, fact in enumerate(getattr(valid.spec, section)):
                out[kind].setdefault(fact.slug, (valid, (section, index, "slug")))
        for index, entity in enumerate(valid.spec.entities):
            out["entity"].setdefault(entity.slug, (valid, ("entities", index, "slug")))
    return out


def _check_fact_slugs(files: list[ValidFile], catalog: Catalog) -> list[Problem]:
    """A role, event, trade row or relation is declared by one source only."""
    problems: list[Problem] = []
    seen_sources: dict[str, ValidFile] = {}
    for valid in files:
        slug = valid.spec.source.slug
        if slug in seen_sources:
            problems.append(
                valid.doc.problem(
                    ("source", "slug"),
                    f"source {slug!r} is also loaded from {seen_sources[slug].path}",
                )
            )
        seen_sources[slug] = valid
    for kind, section in (
        ("role", "roles"),
        ("event", "events"),
        ("trade", "trade"),
        ("relation", "relations"),
    ):
        first: dict[str, ValidFile] = {}
        for valid in files:
            for index, fact in enumerate(getattr(valid.spec, section)):
                path: Path_ = (section, index, "slug")
                if fact.slug in first:
                    problems.append(
                        valid.doc.problem(
                            path,
                            f"{kind} {fact.slug!r} is declared twice (also in "
                            f"{first[fact.slug].path}); use `supports:` to add evidence",
                        )
                    )
                    continue
                first[fact.slug] = valid
                owner = catalog.fact_owners.get(kind, {}).get(fact.slug, valid.spec.source.slug)
                if owner != valid.spec.source.slug:
                    problems.append(
                        valid.doc.problem(
                            path,
                            f"{kind} {fact.slug!r} is declared by source {owner!r}; use "
                            "`supports:` to add this source's evidence to it",
                        )
                    )
    return problems


def _check_fact_refs(
    files: list[ValidFile], catalog: Catalog, refs: dict[str, str]
) -> list[Problem]:
    problems: list[Problem] = []
    declared = _declared_facts(files)
    known_sources = catalog.source_slugs | {v.spec.source.slug for v in files}

    def known(kind: str) -> set[str]:
        return set(declared[kind]) | set(catalog.fact_owners.get(kind, {}))

    participants = set(catalog.participant_keys)
    for valid in files:
        for event in valid.spec.events:
            for participant in event.participants:
                entity = refs.get(participant.entity, participant.entity)
                participants.add(f"{event.slug}/{entity}/{participant.role.value}")
    for valid in files:
        spec = valid.spec
        if spec.source.reposts is not None and spec.source.reposts not in known_sources:
            problems.append(
                valid.doc.problem(
                    ("source", "reposts"),
                    f"unknown source {spec.source.reposts!r}"
                    f"{_suggest(spec.source.reposts, known_sources)}",
                )
            )
        for index, event in enumerate(spec.events):
            if event.parent is not None and event.parent not in known("event"):
                problems.append(
                    valid.doc.problem(
                        ("events", index, "parent"),
                        f"unknown event {event.parent!r}{_suggest(event.parent, known('event'))}",
                    )
                )
        for index, row in enumerate(spec.trade):
            for d_index, derivation in enumerate(row.derived_from):
                if derivation.trade not in known("trade"):
                    problems.append(
                        valid.doc.problem(
                            ("trade", index, "derived_from", d_index, "trade"),
                            f"unknown trade row {derivation.trade!r}"
                            f"{_suggest(derivation.trade, known('trade'))}",
                        )
                    )
        for index, support in enumerate(spec.supports):
            kind, _, key = support.fact.partition(":")
            pool = participants if kind == "participant" else known(kind)
            if key not in pool:
                problems.append(
                    valid.doc.problem(
                        ("supports", index, "fact"),
                        f"unknown {kind} {key!r}{_suggest(key, pool)}",
                    )
                )
    return problems
