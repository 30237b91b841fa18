"""Every fact with its quote, source and character span (from the ``v_evidence`` view)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection


@dataclass(frozen=True)
class EvidenceRow:
    fact_kind: str
    fact: str
    source: str
    quote: str
    start: int | None
    end: int | None
    field: str | None
    verbatim: bool


def evidence(conn: Connection, source: str | None = None) -> list[EvidenceRow]:
    query = (
        "SELECT fact_kind, fact_slug, source_slug, quote, quote_start, quote_end, field, verbatim "
        "FROM v_evidence"
    )
    params = {}
    if source is not None:
        query += " WHERE source_slug = :source"
        params["source"] = source
    query += " ORDER BY source_slug, quote_start, fact_kind, fact_slug, id"
    return [
        EvidenceRow(kind, fact, src, quote, start, end, field, bool(verbatim))
        for kind, fact, src, quote, start, end, field, verbatim in conn.execute(
            sa.text(query), params
        )
    ]
