"""Declarative base, naming convention, portable enums and the exact money type.

Everything here must render as plain SQL on SQLite and PostgreSQL alike: enums are VARCHAR with a
named CHECK (no ``CREATE TYPE``) and money is an integer count of cents (no float anywhere).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any, ClassVar

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model; its ``metadata`` carries the naming convention."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dt.date: sa.Date(),
        dt.datetime: sa.DateTime(timezone=True),
        str: sa.String(),
    }


class Precision(enum.StrEnum):
    """How much of a date is known: "2023" is year precision, "earlier" is unknown."""

    DAY = "day"
    MONTH = "month"
    YEAR = "year"
    UNKNOWN = "unknown"


class SourceKind(enum.StrEnum):
    ARTICLE = "article"
    OFFICIAL_STATEMENT = "official_statement"
    STATISTICS_DATASET = "statistics_dataset"
    PRESS_RELEASE = "press_release"
    REPORT = "report"
    BROADCAST = "broadcast"
    OTHER = "other"


class EntityKind(enum.StrEnum):
    COUNTRY = "country"
    AREA = "area"  # "World" and other statistical areas that are not countries
    PERSON = "person"
    ORGANISATION = "organisation"
    COMPANY = "company"
    GOVERNMENT_BODY = "government_body"
    PLACE = "place"
    FACILITY = "facility"
    REGION = "region"
    SECTOR = "sector"
    PRODUCT = "product"
    FIELD = "field"  # a field of research or activity: AI, robotics
    GROUP = "group"  # unnamed members: "nearly 150 Japanese companies"


class IdentifierScheme(enum.StrEnum):
    ISO3166_ALPHA2 = "iso3166_alpha2"
    ISO3166_ALPHA3 = "iso3166_alpha3"
    M49 = "m49"
    WIKIDATA = "wikidata"
    HS = "hs"
    COMTRADE = "comtrade"
    URL = "url"


class EventKind(enum.StrEnum):
    VISIT = "visit"
    MEETING = "meeting"
    CEREMONY = "ceremony"
    SIGNING = "signing"
    FORUM = "forum"
    SPEECH = "speech"
    AUDIENCE = "audience"
    MEMORANDUM = "memorandum"
    FUNDING_COMMITMENT = "funding_commitment"
    ANNOUNCEMENT = "announcement"
    OTHER = "other"


class ParticipantRole(enum.StrEnum):
    HOST = "host"
    VISITOR = "visitor"
    ORGANISER = "organiser"
    SPEAKER = "speaker"
    SIGNATORY = "signatory"
    PARTY = "party"
    ATTENDEE = "attendee"
    FUNDER = "funder"
    RECIPIENT = "recipient"
    SUBJECT = "subject"


class CountQualifier(enum.StrEnum):
    EXACT = "exact"
    ABOUT = "about"
    NEAR = "near"
    NEARLY = "nearly"
    OVER = "over"
    UNDER = "under"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"


ValueQualifier = CountQualifier


class Flow(enum.StrEnum):
    EXPORT = "export"
    IMPORT = "import"
    RE_EXPORT = "re_export"
    RE_IMPORT = "re_import"
    TOTAL = "total"


class TradeStatus(enum.StrEnum):
    PRELIMINARY = "preliminary"
    PROVISIONAL = "provisional"
    FINAL = "final"
    REVISED = "revised"
    DERIVED = "derived"
    ESTIMATED = "estimated"


class Predicate(enum.StrEnum):
    """The controlled vocabulary of relations and claims."""

    PARTNERSHIP = "partnership"  # value_text names the level: "strategic partnership"
    LOCATED_IN = "located_in"
    PART_OF = "part_of"
    MEMBER_OF = "member_of"
    REPRESENTS = "represents"
    EXPORTS_PRODUCT = "exports_product"
    INVESTS_IN_SECTOR = "invests_in_sector"
    INTERESTED_IN_INVESTING_IN = "interested_in_investing_in"
    COOPERATES_WITH = "cooperates_with"
    FUNDS = "funds"
    FOCUSES_ON = "focuses_on"
    HAS_STRENGTH = "has_strength"
    RANKS_FIRST_IN = "ranks_first_in"
    ONLY_ONE_IN = "only_one_in"
    SHARES_VALUES_WITH = "shares_values_with"
    SECURITY_INTERCONNECTED_WITH = "security_interconnected_with"
    RELATIONS_REST_ON = "relations_rest_on"
    COMMITS_TO = "commits_to"
    EXAMPLE_FOR = "example_for"
    VALUES = "values"
    ATTRACTS = "attracts"
    HISTORY_OF_COOPERATION_WITH = "history_of_cooperation_with"
    GOAL_OF = "goal_of"
    PLANS = "plans"
    ENCOURAGES = "encourages"
    MET_BEFORE = "met_before"


class Rank(enum.StrEnum):
    """Wikidata-style statement rank."""

    PREFERRED = "preferred"
    NORMAL = "normal"
    DEPRECATED = "deprecated"


def choice(enum_cls: type[enum.StrEnum], name: str) -> sa.Enum:
    """A portable enum column type: VARCHAR plus a CHECK named ``name`` (no CREATE TYPE)."""
    return sa.Enum(
        enum_cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(m.value) for m in enum_cls),
        values_callable=lambda cls: [m.value for m in cls],
        validate_strings=True,
    )


class Money(sa.types.TypeDecorator[Decimal]):
    """An exact amount stored as integer cents, so SQLite never turns it into a float.

    Values with more than two decimal places are refused rather than rounded.
    """

    impl = sa.BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: sa.Dialect) -> int | None:
        if value is None:
            return None
        return to_cents(Decimal(value) if not isinstance(value, Decimal) else value)

    def process_result_value(self, value: Any, dialect: sa.Dialect) -> Decimal | None:
        if value is None:
            return None
        return from_cents(int(value))


def to_cents(amount: Decimal) -> int:
    """Exact conversion of a money amount to cents; raises ValueError on sub-cent precision."""
    cents = amount * 100
    if cents != cents.to_integral_value():
        raise ValueError(f"{amount} has more than two decimal places")
    return int(cents)


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def date_precision_check(date_col: str, precision_col: str, *, optional: bool = False) -> str:
    """SQL for: a date is present exactly when its precision is day, month or year.

    With ``optional`` the precision may itself be NULL (an end that has not happened: ongoing).
    """
    known = f"{precision_col} IN ('day', 'month', 'year')"
    rule = (
        f"({date_col} IS NULL AND {precision_col} = 'unknown') "
        f"OR ({date_col} IS NOT NULL AND {known})"
    )
    if optional:
        rule = f"({date_col} IS NULL AND {precision_col} IS NULL) OR {rule}"
    return rule
