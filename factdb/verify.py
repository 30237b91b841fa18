"""Re-check stored facts against their sources: quotes at their offsets, texts against sha256."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factdb.db import connect
from factdb.errors import NotFound
from factdb.models import Evidence, Source
from factdb.schema_version import require_head


def verify(engine: Engine) -> tuple[int, list[str]]:
    """Return how many items were checked and a message per mismatch."""
    problems: list[str] = []
    checked = 0
    with connect(engine, read_only=True) as conn:
        require_head(conn)
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
    return checked, problems


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


def uncovered_sentences(engine: Engine, source_slug: str) -> list[Sentence]:
    """The sentences of a source's text that no stored quote overlaps."""
    with connect(engine, read_only=True) as conn:
        require_head(conn)
        source = conn.execute(
            sa.select(Source.id, Source.text).where(Source.slug == source_slug)
        ).first()
        if source is None:
            known = list(conn.scalars(sa.select(Source.slug).order_by(Source.slug)))
            raise NotFound(f"no source {source_slug!r}; known: {', '.join(known)}")
        if source.text is None:
            raise NotFound(f"source {source_slug!r} has no stored text to cover")
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
