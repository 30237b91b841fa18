"""The fact-file format as strict Pydantic models; also the source of its JSON Schema.

Types are strict where YAML could coerce: integers must be integers, text must be text, money
is an integer or quoted decimal text (never a float), and unknown keys are errors.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    WithJsonSchema,
    model_validator,
)

from factdb.factkinds import FACT_REF_PATTERN
from factdb.vocabulary import (
    CountQualifier,
    EntityKind,
    EventKind,
    Flow,
    IdentifierScheme,
    ParticipantRole,
    Precision,
    Predicate,
    Rank,
    SourceKind,
    TradeStatus,
    ValueQualifier,
)

#: money is stored as integer cents in a BIGINT column
MAX_MONEY = Decimal(2**63 - 1) / 100
#: counts are stored in an INTEGER column (32 bits on PostgreSQL)
MAX_COUNT = 2**31 - 1

Slug = Annotated[
    str,
    StringConstraints(strict=True, pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=200),
]
Text = Annotated[str, StringConstraints(strict=True, min_length=1)]
#: a reference to an entity: its slug, or one of its declared aliases
EntityRef = Text
FactRef = Annotated[str, StringConstraints(strict=True, pattern=FACT_REF_PATTERN)]


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


DateField = Annotated[
    PartialDate,
    BeforeValidator(parse_partial_date),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 1000, "maximum": 9999},
                {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?$"},
            ],
            "description": "YYYY, YYYY-MM or YYYY-MM-DD: the precision is what is written.",
        }
    ),
]


def parse_money(value: object) -> Decimal:
    """An exact amount: an integer, or decimal text with at most two decimal places."""
    if isinstance(value, Decimal):
        return value
    if type(value) is int:
        if value < 0:
            raise ValueError("amounts are never negative")
        return _within_limit(Decimal(value))
    if not isinstance(value, str):
        raise ValueError("an amount is an integer or quoted decimal text, never a float")
    if not re.fullmatch(r"\d+(\.\d{1,2})?", value):
        raise ValueError('an amount is digits with at most two decimals, e.g. "269500000.00"')
    return _within_limit(Decimal(value))  # the pattern above admits only valid decimals


def _within_limit(amount: Decimal) -> Decimal:
    if amount > MAX_MONEY:
        raise ValueError(f"an amount is at most {MAX_MONEY} (it is stored in cents, in 64 bits)")
    return amount


Money = Annotated[
    Decimal,
    BeforeValidator(parse_money),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": int(MAX_MONEY)},
                {"type": "string", "pattern": r"^\d+(\.\d{1,2})?$"},
            ],
            "description": "An integer or quoted decimal text; floats are refused to stay exact.",
        }
    ),
]


class Strict(BaseModel):
    """Unknown keys are errors; models are immutable once read."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=False, arbitrary_types_allowed=True
    )


class QuoteSpec(Strict):
    """A quote with details: which occurrence, which part of the fact, and whether verbatim."""

    text: Text
    occurrence: Annotated[StrictInt, Field(ge=1, le=MAX_COUNT)] | None = Field(
        None, description="Which occurrence in the source text, when the words occur repeatedly."
    )
    field: Text | None = Field(None, description="The part of the fact the quote supports.")
    verbatim: StrictBool = Field(
        True, description="False for a summary of a page whose text is not held."
    )


#: why a fact needs an inference its quotes do not show; reports print it beside the fact
Inferred = Annotated[
    Text | None,
    Field(
        description="Why this fact goes beyond what its quotes show (e.g. a date taken from "
        "elsewhere); `factdb verify` accepts an unsupported fact only with this reason."
    ),
]

QuoteItem = Text | QuoteSpec
QuoteField = QuoteItem | list[QuoteItem]


def quotes_of(value: QuoteField | None) -> list[QuoteSpec]:
    """Normalise ``quote:`` (text, spec or list of either) to a list of specs."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [QuoteSpec(text=i) if isinstance(i, str) else i for i in items]


class SourceSpec(Strict):
    slug: Slug
    kind: SourceKind
    title: Text | None = None
    publisher: Text | None = None
    url: Text | None = None
    text: Text | None = Field(None, description="Path of the stored text, relative to this file.")
    sha256: Annotated[str, StringConstraints(strict=True, pattern=r"^[0-9a-f]{64}$")] | None = None
    published: DateField | None = None
    language: Text | None = None
    reposts: Slug | None = Field(None, description="Slug of the source this one reposts.")
    note: Text | None = None


class AliasSpec(Strict):
    name: Text
    language: Text = "und"


class EntitySpec(Strict):
    slug: Slug
    kind: EntityKind
    name: Text
    description: Text | None = None
    aliases: list[Text | AliasSpec] = []
    identifiers: dict[IdentifierScheme, Text] = {}
    inferred: Inferred = None
    quote: QuoteField | None = None


def in_order(first: PartialDate | None, then: PartialDate | None, names: str) -> None:
    """Refuse an end before its start, as the database's CHECK compares the stored dates."""
    if first and then and first.date and then.date and first.date > then.date:
        raise ValueError(f"{names}: {then.label} is before {first.label}")


class RoleSpec(Strict):
    slug: Slug
    person: EntityRef
    organisation: EntityRef
    title: Text
    valid_from: DateField | None = Field(None, alias="from")
    valid_to: DateField | None = Field(None, alias="to")
    ended: StrictBool = Field(False, description="True for a former role whose end is undated.")
    inferred: Inferred = None
    quote: QuoteField

    @model_validator(mode="after")
    def _in_order(self) -> RoleSpec:
        in_order(self.valid_from, self.valid_to, "`to` is before `from`")
        return self


class ParticipantSpec(Strict):
    entity: EntityRef
    role: ParticipantRole
    count: Annotated[StrictInt, Field(ge=0, le=MAX_COUNT)] | None = None
    count_qualifier: CountQualifier | None = None
    note: Text | None = None
    inferred: Inferred = None
    quote: QuoteField

    @model_validator(mode="after")
    def _qualifier_needs_count(self) -> ParticipantSpec:
        if self.count_qualifier is not None and self.count is None:
            raise ValueError("count_qualifier needs a count")
        return self


class EventSpec(Strict):
    slug: Slug
    kind: EventKind
    title: Text
    description: Text | None = None
    start: DateField | None = None
    end: DateField | None = None
    date_note: Text | None = Field(None, description='How the source dates it: "earlier".')
    location: EntityRef | None = None
    parent: Slug | None = None
    cameo: Annotated[str, StringConstraints(strict=True, pattern=r"^\d{2,4}$")] | None = None
    participants: list[ParticipantSpec] = []
    inferred: Inferred = None
    quote: QuoteField

    @model_validator(mode="after")
    def _in_order(self) -> EventSpec:
        in_order(self.start, self.end, "the event ends before it starts")
        if self.parent == self.slug:
            raise ValueError("an event cannot be its own `parent`")
        return self


class CommoditySpec(Strict):
    code: Annotated[str, StringConstraints(strict=True, pattern=r"^(\d{2,10}|TOTAL)$")]
    label: Text | None = None


class DerivationSpec(Strict):
    trade: Slug
    coefficient: Literal[1, -1]


class TradeSpec(Strict):
    slug: Slug
    reporter: EntityRef
    partner: EntityRef
    year: Annotated[StrictInt, Field(ge=1900, le=2100)]
    month: Annotated[StrictInt, Field(ge=1, le=12)] | None = Field(
        None, description="First month of the period; omitted for a whole year."
    )
    months: Annotated[StrictInt, Field(ge=1, le=12)] | None = Field(
        None, description="Months the period covers from `month` (default 1; 6 for a half year)."
    )
    flow: Flow
    commodity: CommoditySpec | None = None
    value: Money | None = None
    currency: Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z]{3}$")] = "USD"
    qualifier: ValueQualifier = ValueQualifier.EXACT
    low: Money | None = None
    high: Money | None = None
    status: TradeStatus
    as_of: DateField | None = None
    derived_from: list[DerivationSpec] = []
    method: Text | None = None
    inferred: Inferred = None
    quote: QuoteField | None = None

    @model_validator(mode="after")
    def _derived_rules(self) -> TradeSpec:
        derived = self.status is TradeStatus.DERIVED
        if derived and not self.derived_from:
            raise ValueError("a derived row lists the rows it comes from in `derived_from`")
        if derived and self.method is None:
            raise ValueError("a derived row says how it was computed in `method`")
        if not derived and self.derived_from:
            raise ValueError("only a row with status `derived` has `derived_from`")
        if not derived and self.value is None:
            raise ValueError("a stated row needs a `value`")
        if not derived and self.quote is None:
            raise ValueError("a stated row needs the `quote` that states it")
        if self.months is not None and self.month is None:
            raise ValueError("`months` needs the first `month` of the period")
        if self.month is not None and self.month + (self.months or 1) > 13:
            raise ValueError("the period runs past December")
        return self


QualifierValue = Text | StrictInt | StrictBool


class RelationSpec(Strict):
    slug: Slug
    subject: EntityRef
    predicate: Predicate
    object: EntityRef | None = None
    value: Text | None = None
    unit: Text | None = None
    context: EntityRef | None = None
    valid_from: DateField | None = Field(None, alias="from")
    valid_to: DateField | None = Field(None, alias="to")
    ended: StrictBool = False
    qualifiers: dict[str, QualifierValue] = {}
    claimed_by: EntityRef | None = None
    rank: Rank = Rank.NORMAL
    rank_reason: Text | None = None
    inferred: Inferred = None
    quote: QuoteField

    @model_validator(mode="after")
    def _object_or_value(self) -> RelationSpec:
        if self.object is None and self.value is None:
            raise ValueError("a relation needs an `object` entity or a literal `value`")
        if self.rank is not Rank.NORMAL and self.rank_reason is None:
            raise ValueError("a preferred or deprecated rank needs a `rank_reason`")
        if self.unit is not None and self.value is None:
            raise ValueError("a `unit` needs a literal `value`")
        in_order(self.valid_from, self.valid_to, "`to` is before `from`")
        return self


class SupportSpec(Strict):
    """Evidence in this source for a fact declared in another file."""

    fact: FactRef = Field(
        description="kind:slug, e.g. event:signing; participant:EVENT/ENTITY/ROLE."
    )
    quote: QuoteField


class FactFile(Strict):
    """One fact file: a source and the facts it states."""

    factdb: Literal[1] = Field(description="Format version.")
    source: SourceSpec
    entities: list[EntitySpec] = []
    roles: list[RoleSpec] = []
    events: list[EventSpec] = []
    trade: list[TradeSpec] = []
    relations: list[RelationSpec] = []
    supports: list[SupportSpec] = []


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to validate a fact file as it is typed."""
    schema = FactFile.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "factdb fact file"
    return schema
