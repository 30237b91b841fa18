"""Validate fact files as a whole before anything is written.

Two steps. ``check_files`` is pure and may be slow: it parses each file, checks it against the
schema and the columns' limits, reads and checks its source text and locates every quote; it
must run before any database lock is taken. ``resolve`` is fast: it resolves every reference
across the files and what the database already holds (the ``Catalog``), so the loader can run
it inside its write transaction. Every problem is collected; nothing here touches the database.
A source text is read only from inside its fact file's directory, only if it is a regular file
of at most ``MAX_SOURCE_TEXT_BYTES``.
"""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, get_args

import sqlalchemy as sa
from pydantic import BaseModel, ValidationError

from factdb.factfiles.reader import Document, Path_, Problem, read_file, read_regular_file
from factdb.factfiles.schema import (
    AliasSpec,
    CommoditySpec,
    EntitySpec,
    EventSpec,
    FactFile,
    QuoteSpec,
    SourceSpec,
    quotes_of,
)
from factdb.factkinds import FACT_KINDS, OWNED, SLUGGED, FactKind, kind_at
from factdb.models import (
    EntityAlias,
    EntityIdentifier,
    Evidence,
    Source,
    TradeFlow,
)

FACT_FILE_SUFFIXES = (".yaml", ".yml")
#: the largest source text read (bytes)
MAX_SOURCE_TEXT_BYTES = 10 * 1024 * 1024


def _spec_of(kind: FactKind) -> type[BaseModel]:
    """The spec a fact file declares ``kind`` with: the item type of its section's list."""
    spec: type[BaseModel] = FactFile
    for key in kind.section:
        (spec,) = get_args(spec.model_fields[key].annotation)
    return spec


#: fact kind -> the spec that declares it; a quote's ``field`` names one of its keys
SPEC_OF_KIND: dict[str, type[BaseModel]] = {kind.name: _spec_of(kind) for kind in FACT_KINDS}
#: spec -> the model its text keys are stored in; a key is stored in the column of its name
#: unless ``STORED_AS`` says otherwise, and a column's length is the key's limit
MODEL_OF_SPEC: dict[type[BaseModel], Any] = {
    **{_spec_of(kind): kind.model for kind in FACT_KINDS},
    SourceSpec: Source,
    AliasSpec: EntityAlias,
    CommoditySpec: TradeFlow,
    QuoteSpec: Evidence,
}
STORED_AS: dict[tuple[type[BaseModel], str], str] = {
    (SourceSpec, "text"): "file_name",
    (EventSpec, "cameo"): "cameo_code",
    (CommoditySpec, "code"): "commodity_code",
    (CommoditySpec, "label"): "commodity_label",
}


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
    #: event slug -> its parent's slug
    event_parents: dict[str, str] = field(default_factory=dict)
    #: (scheme, value) -> slug of the entity holding that identifier
    identifiers: dict[tuple[str, str], str] = field(default_factory=dict)
    #: slugs of entities an import created and nothing else uses: fact files may take them over
    imported_entities: set[str] = field(default_factory=set)
    #: entity slug -> source slug -> what that source's file declared (as last loaded)
    entity_declarations: dict[str, dict[str, StoredDeclaration]] = field(default_factory=dict)
    #: (scheme, value) -> slugs of the sources whose files declare that identifier
    identifier_sources: dict[tuple[str, str], set[str]] = field(default_factory=dict)
    #: identifiers an import matches trade rows by, among those the files being loaded stop
    #: declaring: they stay
    import_identifiers: set[tuple[str, str]] = field(default_factory=set)


@dataclass(frozen=True)
class StoredDeclaration:
    """One source's declaration of an entity, as the database holds it."""

    source: str
    kind: str
    name: str
    description: str | None
    #: the fact file and line it was loaded from (None when recorded before they were)
    file: str | None
    line: int | None

    def where(self) -> str:
        at = f"at {self.file}:{self.line}" if self.file else "(no file recorded)"
        return f"source {self.source!r} {at}"


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
    #: imported entity slug -> the declared entity slug that takes it over
    takeovers: dict[str, str] = field(default_factory=dict)
    #: declared entity slug -> the columns a load sets (``description`` only when it changes
    #: by rule: given by some source, or no longer given by the only sources that gave it)
    entity_values: dict[str, dict[str, Any]] = field(default_factory=dict)


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
    files, problems = check_files(paths)
    plan, ref_problems = resolve(files, catalog)
    problems = _sorted(problems + ref_problems)
    return (None if problems else plan), problems


def check_files(paths: list[Path]) -> tuple[list[ValidFile], list[Problem]]:
    """Everything that needs no database: parse, schema, limits, source texts, quotes."""
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
        length_problems = _check_lengths(valid)
        problems += length_problems
        text_problems = _load_text(valid)
        problems += text_problems
        if not text_problems:  # quotes cannot be located in a text that was refused
            problems += _locate_quotes(valid)
        if not length_problems:
            files.append(valid)
    return files, _sorted(problems)


def resolve(files: list[ValidFile], catalog: Catalog) -> tuple[Plan | None, list[Problem]]:
    """Resolve references across ``files`` and the catalog; fast, so it may run under a lock."""
    refs, problems, takeovers = _resolve(files, catalog)
    values, entity_problems = _merge_entities(files, catalog, takeovers)
    problems += entity_problems
    problems += _check_event_cycles(files, catalog)
    problems += _check_cross_derivation_cycles(files)
    problems = _sorted(problems)
    if problems:
        return None, problems
    return Plan(files, refs, takeovers, values), []


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.line, p.column))


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


def _check_lengths(valid: ValidFile) -> list[Problem]:
    """Text longer than its column is an error here, on every backend alike."""
    problems: list[Problem] = []

    def limit(spec: type[BaseModel], key: str) -> int | None:
        model = MODEL_OF_SPEC.get(spec)
        column = None if model is None else model.__table__.c.get(STORED_AS.get((spec, key), key))
        return None if column is None else limit_of(column)

    def check(value: str, path: Path_, length: int | None) -> None:
        if length is not None and len(value) > length:
            problems.append(
                valid.doc.problem(
                    path, f"{len(value)} characters, longer than the {length} allowed"
                )
            )

    def walk(node: BaseModel, path: Path_) -> None:
        for name, info in type(node).model_fields.items():
            value = getattr(node, name)
            child: Path_ = (*path, info.alias or name)
            if isinstance(value, str):
                check(value, child, limit(type(node), name))
            elif isinstance(value, BaseModel):
                walk(value, child)
            elif isinstance(value, dict) and name == "identifiers":
                for scheme, code in value.items():
                    check(code, (*child, str(scheme)), limit_of(EntityIdentifier.value))
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    if isinstance(item, BaseModel):
                        walk(item, (*child, index))
                    elif isinstance(item, str) and name == "aliases":
                        check(item, (*child, index), limit_of(EntityAlias.name))

    walk(valid.spec, ())
    return problems


def limit_of(column: Any) -> int | None:
    """The length of a text column, or None when it has none (or is not text)."""
    return column.type.length if isinstance(column.type, sa.String) else None


def _load_text(valid: ValidFile) -> list[Problem]:
    """Read the source text: inside the fact file's directory, a regular file, not too big."""
    source = valid.spec.source
    if source.text is None:
        return []

    def problem(message: str) -> list[Problem]:
        return [valid.doc.problem(("source", "text"), message)]

    if os.path.isabs(source.text):
        return problem(f"{source.text!r} is an absolute path; name a file beside the fact file")
    base = os.path.realpath(valid.path.parent)
    text_path = Path(os.path.realpath(os.path.join(base, source.text)))
    if os.path.commonpath([base, text_path]) != base:
        return problem(
            f"{source.text!r} resolves to {text_path}, outside the fact file's directory "
            f"{base}; keep source texts beside their fact files"
        )
    try:
        raw = read_regular_file(text_path, MAX_SOURCE_TEXT_BYTES, follow_symlinks=False)
    except ValueError as exc:
        return problem(f"{source.text}: {exc}")
    except OSError as exc:
        return problem(f"cannot read {text_path}: {exc.strerror}")
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
    if "\x00" in valid.text:
        valid.text = None
        return problem(f"{source.text}: NUL characters are not allowed in a source text")
    valid.text_sha256 = digest
    return []


def fact_paths(spec: FactFile) -> Iterator[tuple[Path_, Any]]:
    """Every fact of a file with its path in the document, each nested fact (a participant)
    right after the fact it belongs to, then the ``supports:``."""
    for kind in FACT_KINDS:
        if len(kind.section) != 1:
            continue
        (section,) = kind.section
        for index, fact in enumerate(getattr(spec, section)):
            yield (section, index), fact
            for inner in FACT_KINDS:
                if inner.section[:-1] == kind.section:
                    for i_index, item in enumerate(getattr(fact, inner.section[-1])):
                        yield (section, index, inner.section[-1], i_index), item
    for index, support in enumerate(spec.supports):
        yield ("supports", index), support


def quote_fields(kind: str) -> list[str]:
    """The keys of a fact kind a quote's ``field`` may name (as written in fact files)."""
    spec = SPEC_OF_KIND[kind]
    return sorted(info.alias or name for name, info in spec.model_fields.items() if name != "quote")


def _fact_kind(path: Path_, fact: Any) -> str | None:
    if path[0] == "supports":
        kind = str(fact.fact).partition(":")[0]
        return kind if kind in SPEC_OF_KIND else None
    found = kind_at(path)
    return None if found is None else found.name


def _locate_quotes(valid: ValidFile) -> list[Problem]:
    problems: list[Problem] = []
    for path, fact in fact_paths(valid.spec):
        raw = getattr(fact, "quote", None)
        located = []
        kind = _fact_kind(path, fact)
        for q_index, spec in enumerate(quotes_of(raw)):
            quote_path = (
                (*path, "quote") if not isinstance(raw, list) else (*path, "quote", q_index)
            )
            if spec.field is not None and kind is not None:
                allowed = quote_fields(kind)
                if spec.field not in allowed:
                    problems.append(
                        valid.doc.problem(
                            (*quote_path, "field"),
                            f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} has no field "
                            f"{spec.field!r}"
                            f"{_suggest(spec.field, allowed)}; one of: {', '.join(allowed)}",
                        )
                    )
                    continue
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


def _resolve(
    files: list[ValidFile], catalog: Catalog
) -> tuple[dict[str, str], list[Problem], dict[str, str]]:
    """Resolve references across files and the catalog; report conflicts and misses.

    Returns the references, the problems and the imported entities that declared ones take
    over (an identifier held by an entity an import created moves to the declared entity).
    An entity may be declared by several files: what they say is merged (``_merge_entities``
    checks that they agree).
    """
    problems: list[Problem] = []
    declared: dict[str, tuple[ValidFile, Path_, EntitySpec]] = {}
    names: dict[str, set[str]] = {k: set(v) for k, v in catalog.entity_names.items()}
    identifiers: dict[tuple[str, str], tuple[str, ValidFile, Path_]] = {}
    load_keys = _load_identifiers(files)
    loaded = {valid.spec.source.slug for valid in files}
    for valid in files:
        for index, entity in enumerate(valid.spec.entities):
            path: Path_ = ("entities", index, "slug")
            declared.setdefault(entity.slug, (valid, path, entity))
            for alias in entity.aliases:
                alias_name = alias if isinstance(alias, str) else alias.name
                names.setdefault(alias_name, set()).add(entity.slug)
            names.setdefault(entity.name, set()).add(entity.slug)
            for scheme, value in entity.identifiers.items():
                id_path: Path_ = ("entities", index, "identifiers", scheme.value)
                owner, owner_file, owner_path = identifiers.setdefault(
                    (scheme.value, value), (entity.slug, valid, id_path)
                )
                if owner != entity.slug:
                    line = owner_file.doc.position(owner_path)[0]
                    problems.append(
                        valid.doc.problem(
                            id_path,
                            f"{scheme.value} {value!r} is already held by entity {owner!r} "
                            f"(declared in {owner_file.path}:{line})",
                        )
                    )
    takeovers: dict[str, str] = {}
    for id_key, (slug, valid, id_path) in identifiers.items():
        scheme_name, value = id_key
        holder = catalog.identifiers.get(id_key)
        if holder is None or holder == slug or id_key in load_keys.get(holder, set()):
            continue  # free, already this entity's, or a conflict within the files (above)
        if not _stays(id_key, holder, catalog, loaded, load_keys):
            continue  # the files being loaded were the last to declare it for its holder
        if holder in catalog.imported_entities and takeovers.get(holder, slug) == slug:
            takeovers[holder] = slug
            continue
        if holder in takeovers:
            reason = f"which {takeovers[holder]!r} takes over"
        else:
            reason = _held_because(id_key, holder, catalog, loaded)
        problems.append(
            valid.doc.problem(
                id_path,
                f"{scheme_name} {value!r} is already held by entity {holder!r} ({reason}); "
                f"refer to {holder!r} by slug or give it up first",
            )
        )
    for imported in takeovers:
        for owners in names.values():
            owners.discard(imported)
    slugs = (catalog.entity_slugs - set(takeovers)) | set(declared)
    folded: dict[str, set[str]] = {}
    for name, owners in names.items():
        folded.setdefault(name.casefold(), set()).update(owners)
    refs: dict[str, str] = {slug: slug for slug in takeovers.values()}
    refs.update(takeovers)

    def resolve(valid: ValidFile, ref: str | None, path: Path_) -> None:
        if ref is None or ref in refs:
            return
        if ref in slugs:
            refs[ref] = ref
            return
        matches = names.get(ref) or folded.get(ref.casefold(), set())
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
            resolve(valid, event.invited_by, ("events", index, "invited_by"))
            for p_index, participant in enumerate(event.participants):
                resolve(
                    valid, participant.entity, ("events", index, "participants", p_index, "entity")
                )
        for index, row in enumerate(spec.trade):
            resolve(valid, row.reporter, ("trade", index, "reporter"))
            resolve(valid, row.partner, ("trade", index, "partner"))
            resolve(valid, row.stated_by, ("trade", index, "stated_by"))
        for index, relation in enumerate(spec.relations):
            for key in ("subject", "object", "context", "claimed_by"):
                resolve(valid, getattr(relation, key), ("relations", index, key))
        for index, quantity in enumerate(spec.quantities):
            for key in ("subject", "partner", "stated_by"):
                resolve(valid, getattr(quantity, key), ("quantities", index, key))
        for index, document in enumerate(spec.documents):
            for s_index, signatory in enumerate(document.signatories):
                at: Path_ = ("documents", index, "signatories", s_index)
                resolve(valid, signatory.entity, (*at, "entity"))
                resolve(valid, signatory.on_behalf_of, (*at, "on_behalf_of"))
    problems += _check_fact_refs(files, catalog, refs)
    return refs, problems, takeovers


def _check_event_cycles(files: list[ValidFile], catalog: Catalog) -> list[Problem]:
    """A ``parent:`` chain that comes back to where it started, reported once per loop."""
    parents = dict(catalog.event_parents)
    where: dict[str, tuple[ValidFile, int]] = {}
    for valid in files:
        for index, event in enumerate(valid.spec.events):
            where[event.slug] = (valid, index)
            if event.parent is None:
                parents.pop(event.slug, None)
            else:
                parents[event.slug] = event.parent
    problems: list[Problem] = []
    reported: set[str] = set()
    for slug, (valid, index) in where.items():
        chain = [slug]
        at = parents.get(slug)
        while at is not None and at not in chain and len(chain) <= len(parents):
            chain.append(at)
            at = parents.get(at)
        if at != slug or slug in reported:
            continue
        reported.update(chain)
        problems.append(
            valid.doc.problem(
                ("events", index, "parent"),
                f"events are their own ancestors: {' -> '.join([*chain, slug])}; "
                "an event cannot be part of itself",
            )
        )
    return problems


def _check_cross_derivation_cycles(files: list[ValidFile]) -> list[Problem]:
    """Derived trade rows whose ``derived_from`` chain comes back to them, once per loop."""
    inputs: dict[str, list[str]] = {}
    where: dict[str, tuple[ValidFile, int]] = {}
    for valid in files:
        for index, row in enumerate(valid.spec.trade):
            inputs[row.slug] = [d.trade for d in row.derived_from]
            where[row.slug] = (valid, index)
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    for start in inputs:
        if start in state:
            continue
        # iterative depth-first search, so a long chain cannot exhaust the stack
        path: list[str] = [start]
        stack: list[Iterator[str]] = [iter(inputs[start])]
        state[start] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
                continue
            if state.get(nxt) == 1:
                loop = path[path.index(nxt) :]
                valid, index = where[loop[0]]
                problems.append(
                    valid.doc.problem(
                        ("trade", index, "derived_from"),
                        f"trade rows are derived from themselves: {' -> '.join([*loop, loop[0]])}",
                    )
                )
            elif nxt not in state and nxt in inputs:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(inputs[nxt]))
    return problems


def _declared_facts(files: list[ValidFile]) -> dict[str, dict[str, tuple[ValidFile, Path_]]]:
    """Slug -> where it is first declared, per kind with a slug."""
    out: dict[str, dict[str, tuple[ValidFile, Path_]]] = {kind.name: {} for kind in SLUGGED}
    for valid in files:
        for kind in SLUGGED:
            (section,) = kind.section
            for index, fact in enumerate(getattr(valid.spec, section)):
                out[kind.name].setdefault(fact.slug, (valid, (section, index, "slug")))
    return out


def _check_fact_slugs(files: list[ValidFile], catalog: Catalog) -> list[Problem]:
    """A fact of a kind sources own (roles, events, trade rows, relations) is declared by one
    source only."""
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
    for fact_kind in OWNED:
        kind, (section,) = fact_kind.name, fact_kind.section
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
        for section in ("trade", "relations", "quantities", "documents"):
            for index, fact in enumerate(getattr(spec, section)):
                if fact.event is not None and fact.event not in known("event"):
                    problems.append(
                        valid.doc.problem(
                            (section, index, "event"),
                            f"unknown event {fact.event!r}{_suggest(fact.event, known('event'))}",
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


# --- entities declared by several files -----------------------------------------------------


def _load_identifiers(files: list[ValidFile]) -> dict[str, set[tuple[str, str]]]:
    """Entity slug -> the identifiers the files being loaded declare for it."""
    out: dict[str, set[tuple[str, str]]] = {}
    for valid in files:
        for entity in valid.spec.entities:
            keys = out.setdefault(entity.slug, set())
            keys.update((scheme.value, value) for scheme, value in entity.identifiers.items())
    return out


def _stays(
    key: tuple[str, str],
    holder: str,
    catalog: Catalog,
    loaded: set[str],
    load_keys: dict[str, set[tuple[str, str]]],
) -> bool:
    """Whether ``holder`` keeps the identifier after the load: the files declare it for it, a
    source not being loaded declares it, no source was recorded to declare it (an import's, or
    older than the records), or an import matches trade rows by it."""
    if key in load_keys.get(holder, set()):
        return True
    sources = catalog.identifier_sources.get(key)
    if not sources or sources - loaded:
        return True
    return key in catalog.import_identifiers


def _held_because(key: tuple[str, str], holder: str, catalog: Catalog, loaded: set[str]) -> str:
    """Why ``holder`` keeps an identifier, for an error message."""
    others = sorted(catalog.identifier_sources.get(key, set()) - loaded)
    if others:
        stored = catalog.entity_declarations.get(holder, {}).get(others[0])
        return f"declared by {stored.where()}" if stored else f"declared by source {others[0]!r}"
    if key in catalog.import_identifiers:
        return "imported trade rows are matched by it"
    return "in the database"


def _merge_entities(
    files: list[ValidFile], catalog: Catalog, takeovers: dict[str, str]
) -> tuple[dict[str, dict[str, Any]], list[Problem]]:
    """Merge what the files and the stored declarations of other sources say of each entity.

    Aliases and identifiers add up. ``kind``, ``name`` and a given ``description`` must agree
    across every declaration (a file that omits the description leaves it to the others), and
    an entity holds one identifier per scheme. Returns the columns to write per entity.
    """
    problems: list[Problem] = []
    loaded = {valid.spec.source.slug for valid in files}
    load_keys = _load_identifiers(files)
    held: dict[str, list[tuple[str, str]]] = {}
    for key, holder in sorted(catalog.identifiers.items()):
        held.setdefault(holder, []).append(key)
    by_slug: dict[str, list[tuple[ValidFile, int, EntitySpec]]] = {}
    for valid in files:
        first_at: dict[str, int] = {}
        for index, entity in enumerate(valid.spec.entities):
            if entity.slug in first_at:
                line = valid.doc.position(("entities", first_at[entity.slug]))[0]
                problems.append(
                    valid.doc.problem(
                        ("entities", index, "slug"),
                        f"entity {entity.slug!r} is declared twice in this file (also at line "
                        f"{line}); declare it once",
                    )
                )
                continue
            first_at[entity.slug] = index
            by_slug.setdefault(entity.slug, []).append((valid, index, entity))

    def at(valid: ValidFile, path: Path_) -> str:
        return f"{valid.path}:{valid.doc.position(path)[0]}"

    moved_to: dict[str, list[str]] = {}
    for imported, target in sorted(takeovers.items()):
        moved_to.setdefault(target, []).append(imported)
    values: dict[str, dict[str, Any]] = {}
    for slug, local in by_slug.items():
        stored = catalog.entity_declarations.get(slug, {})
        others = [stored[source] for source in sorted(stored) if source not in loaded]
        agreed: dict[str, Any] = {}
        for name, advice in SCALAR_ADVICE.items():
            # where a value is declared is worked out only for an error message
            first: tuple[Any, Callable[[], str]] | None = next(
                ((getattr(d, name), d.where) for d in others if getattr(d, name) is not None),
                None,
            )
            for valid, index, entity in local:
                value = getattr(entity, name)
                if value is None:
                    continue
                path: Path_ = ("entities", index, name)
                if first is None:
                    first = (value, partial(at, valid, path))
                elif str(value) != str(first[0]):
                    problems.append(
                        valid.doc.problem(
                            path,
                            f"entity {slug!r} has {name} {str(value)!r} here but "
                            f"{str(first[0])!r} in {first[1]()}; {advice}",
                        )
                    )
            agreed[name] = None if first is None else first[0]
        gave_one = any(stored[source].description for source in stored if source in loaded)
        if agreed["description"] is None and not gave_one and slug in catalog.entity_slugs:
            del agreed["description"]  # nobody gives one and none of these gave the one held
        # why an entity is stated without a quote: the loaded files say; one that stops saying
        # it clears it unless a source outside this load still declares the entity
        reasons = [entity.inferred for _, _, entity in local if entity.inferred]
        if reasons or not others:
            agreed["inferred"] = reasons[0] if reasons else None
        values[slug] = agreed

        schemes: dict[str, tuple[str, Callable[[], str]]] = {}
        for key in held.get(slug, []):
            if key not in load_keys.get(slug, set()) and _stays(
                key, slug, catalog, loaded, load_keys
            ):
                why = partial(_held_because, key, slug, catalog, loaded)
                schemes.setdefault(key[0], (key[1], why))
        for imported in moved_to.get(slug, []):
            for key in held.get(imported, []):
                why = partial(str, f"moved from imported entity {imported!r}")
                schemes.setdefault(key[0], (key[1], why))
        for valid, index, entity in local:
            for scheme, value in entity.identifiers.items():
                path = ("entities", index, "identifiers", scheme.value)
                kept, where = schemes.setdefault(scheme.value, (value, partial(at, valid, path)))
                if kept != value:
                    problems.append(
                        valid.doc.problem(
                            path,
                            f"entity {slug!r} would hold two {scheme.value} codes: {value!r} "
                            f"here and {kept!r} ({where()}); an entity has one code per scheme",
                        )
                    )
    return values, problems


#: the entity columns every declaration must agree on -> what to do when they do not
SCALAR_ADVICE = {
    "kind": "an entity has one kind: make the declarations agree",
    "name": "give every declaration the same name (list the others as aliases)",
    "description": "give the same description, or omit it here",
}
