"""Dates as precise as a source gives them: ``2023``, ``2025-05``, ``2025-05-20``.

Shared by the fact-file schema and the command line's ``--from``/``--to``; it must import
nothing but the standard library and ``factdb.vocabulary``, so a report's options parse
without the fact-file schema (and its Pydantic).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from factdb.vocabulary import Precision


@dataclass(frozen=True)
class PartialDate:
    """A date as precise as the source gives it."""

    date: dt.date | None
    precision: Precision

    @property
    def label(self) -> str:
        if self.date is None:
            return "undated"
        return {
            Precision.YEAR: f"{self.date:%Y}",
            Precision.MONTH: f"{self.date:%B %Y}",
        }.get(self.precision, self.date.isoformat())


_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


def parse_partial_date(value: object) -> PartialDate:
    """``2023`` / ``"2025-05"`` / ``2025-05-20`` -> a PartialDate with its precision."""
    if isinstance(value, PartialDate):
        return value
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return PartialDate(value, Precision.DAY)
    if type(value) is int:
        value = str(value)
    if not isinstance(value, str):
        raise ValueError("a date is YYYY, YYYY-MM or YYYY-MM-DD")
    match = _DATE.match(value)
    if not match:
        raise ValueError("a date is YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = match.groups()
    try:
        if day:
            return PartialDate(dt.date(int(year), int(month), int(day)), Precision.DAY)
        if month:
            return PartialDate(dt.date(int(year), int(month), 1), Precision.MONTH)
    except ValueError as exc:
        raise ValueError(f"not a calendar date: {exc}") from None
    return PartialDate(dt.date(int(year), 1, 1), Precision.YEAR)
