"""The fact-file format as strict Pydantic models; also the source of its JSON Schema.

Types are strict where YAML could coerce: integers must be integers, text must be text, money
is an integer or quoted decimal text (never a float), and unknown keys are errors.
"""

from __future__ import annotations

import re
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

from factdb.dates import PartialDate as PartialDate  # the loader names it from here
from factdb.dates import parse_partial_date
from factdb.factkinds import FACT_REF_PATTERN
from factdb.vocabulary import (
    CountQualifier,
    DocumentKind,
    EntityKind,
    EventKind,
    EventStatus,
    Flow,
    IdentifierScheme,
    Measure,
    ParticipantRole,
    Predicate,
    QuantityKind,
    Rank,
    SignatoryRole,
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
    status: EventStatus = Field(
        EventStatus.HELD,
        description="held (the default), planned, announced, postponed, cancelled.",
    )
    invited_by: EntityRef | None = Field(
        None, description='Who invited ("at the invitation of"); the host is a participant.'
    )
    participants: list[ParticipantSpec] = []
    inferred: Inferred = None
    quote: QuoteField

    @model_validator(mode="after")
    def _in_order(self) -> EventSpec:
        in_order(self.start, self.end, "the event ends before it starts")
        if self.parent == self.slug:
            raise ValueError("an event cannot be its own `parent`")
        return self


#: the kinds a trade figure may have: a change ("up 40%") is a quantity, not a trade figure
TradeKind = Literal["actual", "target", "forecast", "commitment"]


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
    kind: TradeKind = Field(
        "actual",
        description="actual (the default), target, forecast or commitment.",
    )
    year: Annotated[StrictInt, Field(ge=1900, le=2100)] | None = Field(
        None, description="Required for an actual figure; a target may have none."
    )
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
    stated_by: EntityRef | None = Field(None, description="Who gave the figure.")
    event: Slug | None = Field(None, description="The event where it was stated or agreed.")
    quote: QuoteField | None = None

    @model_validator(mode="after")
    def _derived_rules(self) -> TradeSpec:
        if self.year is None and self.kind == "actual":
            raise ValueError(
                "an actual figure needs a `year` (only a target or forecast may lack one)"
            )
        if self.year is None and self.month is not None:
            raise ValueError("a `month` needs a `year`")
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
    event: Slug | None = Field(
        None, description='The event the statement is about: "the talks confirmed ...".'
    )
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


def parse_signed_amount(value: object) -> Decimal:
    """An exact number that may be negative (a fall): an integer or decimal text."""
    if isinstance(value, Decimal):
        return value
    if type(value) is int:
        return _within_signed_limit(Decimal(value))
    if not isinstance(value, str):
        raise ValueError("a value is an integer or quoted decimal text, never a float")
    if not re.fullmatch(r"-?\d+(\.\d{1,2})?", value):
        raise ValueError('a value is digits with at most two decimals, e.g. "40" or "-2.5"')
    return _within_signed_limit(Decimal(value))


def _within_signed_limit(amount: Decimal) -> Decimal:
    if abs(amount) > MAX_MONEY:
        raise ValueError(f"a value is at most {MAX_MONEY} either side of zero")
    return amount


SignedAmount = Annotated[
    Decimal,
    BeforeValidator(parse_signed_amount),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": -int(MAX_MONEY), "maximum": int(MAX_MONEY)},
                {"type": "string", "pattern": r"^-?\d+(\.\d{1,2})?$"},
            ],
            "description": "An integer or quoted decimal text, at most two decimals; negative "
            "only for a change.",
        }
    ),
]
Currency = Annotated[str, StringConstraints(strict=True, pattern=r"^[A-Z]{3}$")]


class QuantitySpec(Strict):
    """A stated number other than a trade figure: growth, a ratio, a count, a rank."""

    slug: Slug
    subject: EntityRef = Field(description="Whose number it is: the investor, the country.")
    partner: EntityRef | None = Field(None, description="With or in whom: the other country.")
    metric: Text = Field(description='What is counted or ranked: "investors", "trade turnover".')
    kind: QuantityKind
    measure: Measure
    value: SignedAmount
    currency: Currency | None = Field(None, description="Required for money, else absent.")
    qualifier: ValueQualifier = ValueQualifier.EXACT
    date: DateField | None = Field(
        None, description="The period it refers to; a target's date to be reached by."
    )
    since: DateField | None = Field(None, description='Base period of a change: "since 1992".')
    date_note: Text | None = Field(None, description='How the source dates it: "by 2020".')
    stated_by: EntityRef | None = Field(None, description="Who gave the number.")
    event: Slug | None = Field(None, description="The event it was stated at or is about.")
    qualifiers: dict[str, QualifierValue] = {}
    note: Text | None = None
    inferred: Text | None = Field(None, description="How it was inferred, when not read.")
    quote: QuoteField

    @model_validator(mode="after")
    def _unit_rules(self) -> QuantitySpec:
        money = self.measure is Measure.MONEY
        if money and self.currency is None:
            raise ValueError("a money quantity needs a `currency`")
        if not money and self.currency is not None:
            raise ValueError(f"a `currency` is only for money, not {self.measure.value}")
        change = self.kind is QuantityKind.CHANGE
        if self.value < 0 and not change:
            raise ValueError("only a change may be negative")
        if self.since is not None and not change:
            raise ValueError("`since` is the base period of a change (kind: change)")
        if self.measure in (Measure.RANK, Measure.ORDINAL) and (
            self.value < 1 or self.value != self.value.to_integral_value()
        ):
            raise ValueError(f"a {self.measure.value} is a whole number from 1")
        if self.partner is not None and self.partner == self.subject:
            raise ValueError("`partner` is another entity than `subject`")
        return self


class SignatorySpec(Strict):
    entity: EntityRef
    role: SignatoryRole = SignatoryRole.SIGNATORY
    on_behalf_of: EntityRef | None = Field(None, description="The party a signatory signs for.")


class DocumentSpec(Strict):
    """An agreement, declaration, memorandum, programme ...: a thing, apart from its signing."""

    slug: Slug
    kind: DocumentKind
    title: Text | None = None
    description: Text | None = None
    count: Annotated[StrictInt, Field(ge=1, le=MAX_COUNT)] | None = Field(
        None, description='How many unnamed documents the row stands for: "twenty documents".'
    )
    count_qualifier: CountQualifier | None = None
    signed: DateField | None = None
    event: Slug | None = Field(None, description="The event it was signed at.")
    signatories: list[SignatorySpec] = []
    inferred: Text | None = Field(None, description="How it was inferred, when not read.")
    quote: QuoteField

    @model_validator(mode="after")
    def _named_or_counted(self) -> DocumentSpec:
        if self.title is None and self.count is None:
            raise ValueError("a document needs a `title`, or a `count` of unnamed documents")
        if self.count_qualifier is not None and self.count is None:
            raise ValueError("count_qualifier needs a count")
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
    quantities: list[QuantitySpec] = []
    documents: list[DocumentSpec] = []
    supports: list[SupportSpec] = []


def json_schema() -> dict[str, Any]:
    """The JSON Schema editors use to validate a fact file as it is typed."""
    schema = FactFile.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "factdb fact file"
    return schema
