"""Which facts belong to a pair of countries: the filters behind the briefing, as SQL.

An entity is tied to a country when it is the country, or holds (or held) a role in an entity
tied to it, or is ``located_in``, ``part_of``, ``member_of`` or ``represents`` an entity tied to
it (a stated relation, not a claim), transitively: Tokyo is tied to Japan, the Kantei to Tokyo,
a ministry's press service to the ministry, its minister to the ministry.

Every filter here is a subquery of ids for the report queries to run inside theirs; none
binds one parameter per row and none loads a table into Python. The rules are documented in
docs/reports.md; this module must not render anything.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from factdb import models
from factdb.reports.common import AnySelect, CoreTable

Document = CoreTable.of(models.Document)
DocumentSignatory = CoreTable.of(models.DocumentSignatory)
Entity = CoreTable.of(models.Entity)
Event = CoreTable.of(models.Event)
EventParticipant = CoreTable.of(models.EventParticipant)
Quantity = CoreTable.of(models.Quantity)
Relation = CoreTable.of(models.Relation)
Role = CoreTable.of(models.Role)

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

    def __init__(self, a: int, b: int) -> None:
        self.a, self.b = a, b
        links = _links()
        # one query object per side: a statement may name each CTE once
        self._sides = {"a": tied_to(a, "tied_a", links), "b": tied_to(b, "tied_b", links)}

    def side(self, which: str) -> AnySelect:
        return self._sides[which]

    def touches(self, which: str, *columns: Any) -> sa.ColumnElement[bool]:
        """Any of ``columns`` names an entity tied to that side."""
        return sa.or_(*(column.in_(self.side(which)) for column in columns))

    def events(self) -> AnySelect:
        """Events with each side among their participants or as their place, and the events
        that are part of them (a forum during a state visit), however deep."""

        def present(which: str) -> sa.ColumnElement[bool]:
            takes_part = sa.exists().where(
                EventParticipant.event_id == Event.id,
                EventParticipant.entity_id.in_(self.side(which)),
            )
            return sa.or_(takes_part, Event.location_id.in_(self.side(which)))

        events = Event.table
        found = (
            sa.select(Event.id).where(present("a"), present("b")).cte("pair_events", recursive=True)
        )
        found = found.union(sa.select(events.c.id).join(found, events.c.parent_id == found.c.id))
        return sa.select(found.c.id)

    def relations(self) -> AnySelect:
        """Stated relations (not claims) whose subject, object or context touch both sides."""
        columns = (Relation.subject_id, Relation.object_id, Relation.context_id)
        return sa.select(Relation.id).where(
            Relation.claimed_by_id.is_(None),
            self.touches("a", *columns),
            self.touches("b", *columns),
        )

    def claims(self) -> AnySelect:
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

    def quantities(self) -> AnySelect:
        """Quantities whose subject and partner (or who stated them) touch both sides: "India
        is the fourth largest investor in Uzbekistan" is Uzbekistan–India's."""
        columns = (Quantity.subject_id, Quantity.partner_id, Quantity.stated_by_id)
        return sa.select(Quantity.id).where(
            self.touches("a", *columns), self.touches("b", *columns)
        )

    def documents(self) -> AnySelect:
        """Documents whose signatories and parties (or those they sign for) touch both sides,
        or that were signed at one of the pair's events."""

        def signed_by(which: str) -> sa.ColumnElement[bool]:
            return sa.exists().where(
                DocumentSignatory.document_id == Document.id,
                self.touches(which, DocumentSignatory.entity_id, DocumentSignatory.on_behalf_of_id),
            )

        return sa.select(Document.id).where(
            sa.or_(sa.and_(signed_by("a"), signed_by("b")), Document.event_id.in_(self.events()))
        )

    def event_statements(self) -> AnySelect:
        """Stated relations (not claims) about one of the pair's events."""
        return sa.select(Relation.id).where(
            Relation.event_id.in_(self.events()), Relation.claimed_by_id.is_(None)
        )

    def people(self) -> AnySelect:
        """Everyone who takes part in the pair's events, or is subject, object or claimant of
        its relations and claims."""
        facts = sa.union(self.relations(), self.claims()).subquery()
        in_facts = sa.select(Relation.id).where(Relation.id.in_(sa.select(facts.c.id)))
        everyone = sa.union(
            sa.select(EventParticipant.entity_id.label("id")).where(
                EventParticipant.event_id.in_(self.events())
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
