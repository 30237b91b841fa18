"""Which facts belong to a pair of countries: the filters behind the briefing, as SQL.

An entity is tied to a country when it is the country, or holds (or held) a role in an entity
tied to it, or is ``located_in``, ``part_of``, ``member_of`` or ``represents`` an entity tied to
it (a stated relation, not a claim), transitively: Tokyo is tied to Japan, the Kantei to Tokyo,
a ministry's press service to the ministry, its minister to the ministry.

Every filter here is a subquery of ids for the report queries to run inside theirs; none
binds one parameter per row and none loads a table into Python. The rules are documented in
docs/reports.md; this module must not render anything.

Given the connection's dialect, a ``Pair`` compiles each filter once, to SQL with its few
values (the two countries' ids, fixed predicate names) written inline, and hands out that
text: a briefing embeds the same filters in some forty statements, and compiling their
recursive queries again inside each cost more than running all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from factdb.models import tables
from factdb.reports.common import AnySelect, CoreTable, IdQuery

Document = CoreTable(tables.documents)
DocumentSignatory = CoreTable(tables.document_signatories)
Entity = CoreTable(tables.entities)
Event = CoreTable(tables.events)
EventParticipant = CoreTable(tables.event_participants)
Quantity = CoreTable(tables.quantities)
Relation = CoreTable(tables.relations)
Role = CoreTable(tables.roles)

#: relations that tie their subject to the country its object is tied to
TIE_PREDICATES = ("located_in", "part_of", "member_of", "represents")


def _links() -> sa.CTE:
    """(child, parent): the child is tied to whatever country the parent is tied to."""
    rel, roles = Relation.table, Role.table
    return sa.union_all(
        sa.select(rel.c.subject_id.label("child"), rel.c.object_id.label("parent")).where(
            rel.c.predicate.in_(TIE_PREDICATES),
            rel.c.claimed_by_id.is_(None),
            rel.c.object_id.is_not(None),
        ),
        sa.select(roles.c.person_id, roles.c.organisation_id),
    ).cte("tie_links")


def tied_to(country_id: int, name: str, links: sa.CTE | None = None) -> AnySelect:
    """Ids of the entities tied to one country (a recursive query; cycles end it)."""
    links = _links() if links is None else links
    tied = sa.select(Entity.id).where(Entity.id == country_id).cte(name, recursive=True)
    tied = tied.union(sa.select(links.c.child).join(tied, links.c.parent == tied.c.id))
    return sa.select(tied.c.id)


class Pair:
    """The two sides of a briefing, each as a query of the entity ids tied to it."""

    def __init__(self, a: int, b: int, dialect: sa.Dialect | None = None) -> None:
        """With ``dialect``, each filter is compiled once for it (see the module docstring)."""
        self.a, self.b = a, b
        self.dialect = dialect
        links = _links()
        # one query object per side: a statement may name each CTE once
        self._sides = {"a": tied_to(a, "tied_a", links), "b": tied_to(b, "tied_b", links)}
        self._compiled: dict[str, IdQuery] = {}

    def _fixed(self, name: str, build: Callable[[], AnySelect]) -> IdQuery:
        """The filter ``build`` makes, compiled once for the dialect, as SQL text of one
        ``id`` column; the query itself when there is no dialect to compile for."""
        if name not in self._compiled:
            query = build()
            sql = None
            if self.dialect is not None:
                compiled = query.compile(
                    dialect=self.dialect, compile_kwargs={"literal_binds": True}
                )
                sql = str(compiled)
            if sql is None or "%" in sql:
                # no dialect; or a percent sign, which a driver's format style would double
                # again once the text is embedded: the filter stays a query
                self._compiled[name] = query
            else:
                # a colon would read as a bound parameter in text; escaped, it stays a colon
                text = sa.text(sql.replace(":", "\\:"))
                self._compiled[name] = text.columns(sa.column("id", sa.Integer))
        return self._compiled[name]

    def side(self, which: str) -> IdQuery:
        """Ids of the entities tied to that side."""
        return self._fixed(f"side_{which}", lambda: self._sides[which])

    def sides(self) -> IdQuery:
        """Ids of the entities tied to either side."""
        return self._fixed("sides", lambda: sa.select(sa.union(*self._sides.values()).subquery()))

    def touches(self, which: str, *columns: Any) -> sa.ColumnElement[bool]:
        """Any of ``columns`` names an entity tied to that side."""
        return sa.or_(*(column.in_(self._sides[which]) for column in columns))

    def events(self) -> IdQuery:
        """The pair's events (``_events``), compiled once."""
        return self._fixed("events", self._events)

    def relations(self) -> IdQuery:
        """The pair's stated relations (``_relations``), compiled once."""
        return self._fixed("relations", self._relations)

    def claims(self) -> IdQuery:
        """Claims about the pair (``_claims``), compiled once."""
        return self._fixed("claims", self._claims)

    def quantities(self) -> IdQuery:
        """The pair's quantities (``_quantities``), compiled once."""
        return self._fixed("quantities", self._quantities)

    def documents(self) -> IdQuery:
        """The pair's documents (``_documents``), compiled once."""
        return self._fixed("documents", self._documents)

    def event_statements(self) -> IdQuery:
        """Statements about the pair's events (``_event_statements``), compiled once."""
        return self._fixed("event_statements", self._event_statements)

    def people(self) -> IdQuery:
        """Everyone in the pair's events, relations and claims (``_people``), compiled once."""
        return self._fixed("people", self._people)

    def _events(self) -> AnySelect:
        """Events with each side among their participants or as their place, and the events
        that are part of them (a forum during a state visit), however deep."""

        def present(which: str) -> sa.ColumnElement[bool]:
            takes_part = sa.exists().where(
                EventParticipant.event_id == Event.id,
                EventParticipant.entity_id.in_(self._sides[which]),
            )
            return sa.or_(takes_part, Event.location_id.in_(self._sides[which]))

        events = Event.table
        found = (
            sa.select(Event.id).where(present("a"), present("b")).cte("pair_events", recursive=True)
        )
        found = found.union(sa.select(events.c.id).join(found, events.c.parent_id == found.c.id))
        return sa.select(found.c.id)

    def _relations(self) -> AnySelect:
        """Stated relations (not claims) whose subject, object or context touch both sides."""
        columns = (Relation.subject_id, Relation.object_id, Relation.context_id)
        return sa.select(Relation.id).where(
            Relation.claimed_by_id.is_(None),
            self.touches("a", *columns),
            self.touches("b", *columns),
        )

    def _claims(self) -> AnySelect:
        """Claims by an entity tied to either side, about the pair: the claimant together with
        the claim's subject, object and context touch both sides ("Japan's prime minister says
        Bulgaria has a skilled workforce" is about the pair; Bulgaria's president saying so is
        not)."""
        columns = (Relation.subject_id, Relation.object_id, Relation.context_id)
        claimant = Relation.claimed_by_id
        return sa.select(Relation.id).where(
            sa.or_(self.touches("a", claimant), self.touches("b", claimant)),
            self.touches("a", *columns, claimant),
            self.touches("b", *columns, claimant),
        )

    def _quantities(self) -> AnySelect:
        """Quantities whose subject and partner (or who stated them) touch both sides: "India
        is the fourth largest investor in Uzbekistan" is Uzbekistan–India's."""
        columns = (Quantity.subject_id, Quantity.partner_id, Quantity.stated_by_id)
        return sa.select(Quantity.id).where(
            self.touches("a", *columns), self.touches("b", *columns)
        )

    def _documents(self) -> AnySelect:
        """Documents whose signatories and parties (or those they sign for) touch both sides,
        or that were signed at one of the pair's events."""

        def signed_by(which: str) -> sa.ColumnElement[bool]:
            return sa.exists().where(
                DocumentSignatory.document_id == Document.id,
                self.touches(which, DocumentSignatory.entity_id, DocumentSignatory.on_behalf_of_id),
            )

        return sa.select(Document.id).where(
            sa.or_(sa.and_(signed_by("a"), signed_by("b")), Document.event_id.in_(self._events()))
        )

    def _event_statements(self) -> AnySelect:
        """Stated relations (not claims) about one of the pair's events."""
        return sa.select(Relation.id).where(
            Relation.event_id.in_(self._events()), Relation.claimed_by_id.is_(None)
        )

    def _people(self) -> AnySelect:
        """Everyone who takes part in the pair's events, or is subject, object or claimant of
        its relations and claims."""
        facts = sa.union(self._relations(), self._claims()).subquery()
        in_facts = sa.select(Relation.id).where(Relation.id.in_(sa.select(facts.c.id)))
        everyone = sa.union(
            sa.select(EventParticipant.entity_id.label("id")).where(
                EventParticipant.event_id.in_(self._events())
            ),
            sa.select(Relation.subject_id).where(Relation.id.in_(in_facts)),
            sa.select(Relation.object_id).where(
                Relation.id.in_(in_facts), Relation.object_id.is_not(None)
            ),
            sa.select(Relation.claimed_by_id).where(
                Relation.id.in_(in_facts), Relation.claimed_by_id.is_not(None)
            ),
        ).subquery()
        return sa.select(everyone.c.id)
