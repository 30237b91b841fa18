"""factdb's vocabularies: the closed sets of values facts use, as plain data.

Imports nothing but the standard library, so fact-file parsers, the Comtrade reader and the
reports use them without loading the ORM. The models turn each into a VARCHAR column with a
named CHECK; a migration changes the CHECK when a vocabulary changes (``factdb db check``
compares them). Must not import SQLAlchemy or anything of factdb's.
"""

from __future__ import annotations

import enum

#: The commodity code of a total over all goods.
TOTAL_COMMODITY = "TOTAL"
#: The ``series`` of trade rows imported from UN Comtrade (stated figures have none).
COMTRADE_SERIES = "comtrade"


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
    PRESS_CONFERENCE = "press_conference"  # a press conference or media briefing
    OTHER = "other"


class EventStatus(enum.StrEnum):
    """Whether an event took place: sources announce, plan and cancel events too."""

    HELD = "held"
    PLANNED = "planned"
    ANNOUNCED = "announced"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


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
    NOT_STATED = "not_stated"  # the source gives the figure without saying how final it is


class QuantityKind(enum.StrEnum):
    """What a stated number is: a measured figure, a goal, an expectation, a promise, or a
    change relative to a base period (trade rows take every kind but ``change``)."""

    ACTUAL = "actual"
    TARGET = "target"
    FORECAST = "forecast"
    COMMITMENT = "commitment"
    CHANGE = "change"


class Measure(enum.StrEnum):
    """The unit of a stated quantity."""

    MONEY = "money"  # an amount in ``currency``
    PERCENT = "percent"  # "up 40%"
    COUNT = "count"  # "twenty documents", "26 strategic partners"
    TIMES = "times"  # a ratio: "grew 42 times", "doubled" (2)
    RANK = "rank"  # a place in an ordering: "the fourth largest investor" (4)
    ORDINAL = "ordinal"  # the n-th of a series: "the fifth visit" (5)


class DocumentKind(enum.StrEnum):
    """What kind of document an agreement or other signed text is."""

    AGREEMENT = "agreement"
    DECLARATION = "declaration"
    MEMORANDUM = "memorandum"
    PROGRAMME = "programme"
    TREATY = "treaty"
    PROTOCOL = "protocol"
    CONTRACT = "contract"
    ROADMAP = "roadmap"
    JOINT_STATEMENT = "joint_statement"
    OTHER = "other"


class SignatoryRole(enum.StrEnum):
    """An entity's part in a document: who signed it, and on whose behalf (the party)."""

    SIGNATORY = "signatory"
    PARTY = "party"
    WITNESS = "witness"


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
    CONFIRMS = "confirms"  # "the talks confirmed mutual interest in ..."


class Rank(enum.StrEnum):
    """Wikidata-style statement rank."""

    PREFERRED = "preferred"
    NORMAL = "normal"
    DEPRECATED = "deprecated"
