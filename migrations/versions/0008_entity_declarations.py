"""Entity declarations: which source's fact file declares each entity, alias and identifier.

Entities are shared between fact files. A load merges what every file says about an entity and
removes an alias or identifier only when no source declares it any more; these tables record
who declares what. Three tables: ``entity_declarations`` (one source's kind, name, description
and the file and line it was loaded from), ``entity_alias_declarations`` and
``entity_identifier_declarations`` (one row per alias or identifier and declaring source).

Existing rows are carried over as well as they can be without the files: an entity's
declaration (and its aliases' and identifiers') is attributed to every source that holds
evidence on the entity, since a file that quotes an entity when it declares it leaves exactly
that mark. The entity's current kind, name and description are recorded as theirs, with no
file or line. The next load of each such source replaces its attribution with what its file
says. Aliases and identifiers of entities no source quoted (imported ones, or declared without
a quote) get no declaration, and a load never removes what no source was recorded to declare.

On SQLite ``v_entities`` is recreated so its ``aliases`` and ``identifiers`` lists are sorted,
as PostgreSQL's ``string_agg(... ORDER BY ...)`` already sorts them: the view then reads the
same whatever order the rows were written in. Its columns do not change.

This revision never imports factdb: what it builds must not change when the package does.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ENTITY_KINDS = (
    "country",
    "area",
    "person",
    "organisation",
    "company",
    "government_body",
    "place",
    "facility",
    "region",
    "sector",
    "product",
    "field",
    "group",
)


def _identifier(scheme: str) -> str:
    return (
        "(SELECT i.value FROM entity_identifiers i "
        f"WHERE i.entity_id = e.id AND i.scheme = '{scheme}')"
    )


def _v_entities(aliases: str, identifiers: str) -> str:
    return f"""
            SELECT e.id, e.slug, e.kind, e.name, e.description,
                   {aliases} AS aliases,
                   {_identifier("iso3166_alpha2")} AS iso2,
                   {_identifier("iso3166_alpha3")} AS iso3,
                   {_identifier("m49")} AS m49,
                   {_identifier("wikidata")} AS wikidata,
                   {_identifier("hs")} AS hs_code,
                   {identifiers} AS identifiers,
                   e.inferred
            FROM entities e"""


#: SQLite's group_concat takes its rows in the order of a sorted subquery
_SORTED = _v_entities(
    "(SELECT group_concat(x, ', ') FROM (SELECT a.name AS x FROM entity_aliases a "
    "WHERE a.entity_id = e.id ORDER BY a.name))",
    "(SELECT group_concat(x, ', ') FROM (SELECT i.scheme || ':' || i.value AS x "
    "FROM entity_identifiers i WHERE i.entity_id = e.id ORDER BY x))",
)
#: as revision 0002 wrote it (with revision 0007's ``inferred``)
_UNSORTED = _v_entities(
    "(SELECT group_concat(a.name, ', ') FROM entity_aliases a WHERE a.entity_id = e.id)",
    "(SELECT group_concat(i.scheme || ':' || i.value, ', ') FROM entity_identifiers i\n"
    "                     WHERE i.entity_id = e.id)",
)


def _replace_view(body: str) -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP VIEW IF EXISTS v_entities")
    op.execute(f"CREATE VIEW v_entities AS {body}")


def _link_columns(name: str, column: str, target: str) -> list[Any]:
    """The columns and constraints of a link table: a declared row and a declaring source."""
    return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(column, sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            [column],
            [f"{target}.id"],
            name=op.f(f"fk_{name}_{column}_{target}"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f(f"fk_{name}_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
        sa.UniqueConstraint(column, "source_id", name=op.f(f"uq_{name}_{column}_source_id")),
    ]


def _index_source(name: str) -> None:
    with op.batch_alter_table(name, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{name}_source_id"), ["source_id"], unique=False)


def upgrade() -> None:
    op.create_table(
        "entity_declarations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                *ENTITY_KINDS,
                name=op.f("ck_entity_declarations_kind"),
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("file", sa.String(length=1000), nullable=True),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["entity_id"],
            ["entities.id"],
            name=op.f("fk_entity_declarations_entity_id_entities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"],
            ["sources.id"],
            name=op.f("fk_entity_declarations_source_id_sources"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entity_declarations")),
        sa.UniqueConstraint(
            "entity_id", "source_id", name=op.f("uq_entity_declarations_entity_id_source_id")
        ),
    )
    _index_source("entity_declarations")
    op.create_table(
        "entity_alias_declarations",
        *_link_columns("entity_alias_declarations", "alias_id", "entity_aliases"),
    )
    _index_source("entity_alias_declarations")
    op.create_table(
        "entity_identifier_declarations",
        *_link_columns("entity_identifier_declarations", "identifier_id", "entity_identifiers"),
    )
    _index_source("entity_identifier_declarations")

    # Carry existing entities over: attributed to the sources that quote them.
    op.execute(
        "INSERT INTO entity_declarations (entity_id, source_id, kind, name, description) "
        "SELECT e.id, q.source_id, e.kind, e.name, e.description FROM entities e "
        "JOIN (SELECT DISTINCT entity_id, source_id FROM evidence "
        "WHERE entity_id IS NOT NULL) q ON q.entity_id = e.id"
    )
    op.execute(
        "INSERT INTO entity_alias_declarations (alias_id, source_id) "
        "SELECT a.id, d.source_id FROM entity_aliases a "
        "JOIN entity_declarations d ON d.entity_id = a.entity_id"
    )
    op.execute(
        "INSERT INTO entity_identifier_declarations (identifier_id, source_id) "
        "SELECT i.id, d.source_id FROM entity_identifiers i "
        "JOIN entity_declarations d ON d.entity_id = i.entity_id"
    )
    _replace_view(_SORTED)


def downgrade() -> None:
    _replace_view(_UNSORTED)
    for name in (
        "entity_identifier_declarations",
        "entity_alias_declarations",
        "entity_declarations",
    ):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_source_id"))
        op.drop_table(name)
