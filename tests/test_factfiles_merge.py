"""Entities declared by several fact files merge: a file that says less never removes what
another file declares, a real disagreement is one located error naming both declarations, and
any order of loads and imports reaches the same views. Both backends."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from factdb import migrate
from factdb.comtrade.importer import import_file
from factdb.db import make_engine
from factdb.errors import FactFileError
from factdb.factfiles.loader import bundled_seeds, load
from tests.conftest import Templates, drop_pg_database
from tests.factfiles_helpers import ARTICLE, ARTICLE_SOURCE, copy_seeds, edit
from tests.test_comtrade import CURRENT, current_row
from tests.test_factfiles_loader import snapshot

CORPUS = Path(__file__).resolve().parent / "corpus"
#: the line of ``- slug: japan`` in the seeds' article (named in errors)
JAPAN_LINE = 31
VIEWS = ["v_entities", "v_events", "v_event_participants", "v_trade", "v_relations", "v_evidence"]
#: surrogate keys: numbered in the order rows were written, so left out of the comparison
SURROGATE = {"id", "fact_id"}


def fact_file(directory: Path, name: str, slug: str, body: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(
        f"factdb: 1\nsource:\n  slug: {slug}\n  kind: article\n"
        f"  url: https://example.org/{slug}\n" + textwrap.dedent(body),
        encoding="utf-8",
    )
    return path


#: a second source that names Japan and nothing more of it (the product issue's file)
NAME_ONLY = """\
entities:
  - slug: japan
    kind: country
    name: Japan
"""


def entity(engine: Engine, slug: str) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(
            sa.text(
                "SELECT kind, name, description, aliases, iso2, iso3, m49, wikidata "
                "FROM v_entities WHERE slug = :slug"
            ),
            {"slug": slug},
        ).one()
    return dict(row._mapping)


def problems_of(engine: Engine, paths: list[Path], strip: Path) -> list[str]:
    """The problems of a load that must fail, after checking it wrote nothing."""
    before = snapshot(engine)
    with pytest.raises(FactFileError) as caught:
        load(engine, paths)
    assert snapshot(engine) == before
    return [p.replace(f"{strip}/", "") for p in caught.value.problems]


# --- a file that says less ----------------------------------------------------------------


def test_a_file_naming_japan_keeps_its_aliases_and_identifiers(
    seeded: Engine, tmp_path: Path
) -> None:
    before = entity(seeded, "japan")
    assert before["aliases"] and before["m49"] == "392"
    path = fact_file(tmp_path, "japan.yaml", "names-japan", NAME_ONLY)
    dry = load(seeded, [path], dry_run=True)
    assert dry.tables["entity_aliases"].deleted == 0
    assert dry.tables["entity_identifiers"].deleted == 0
    assert dry.tables["entity_declarations"].inserted == 1
    report = load(seeded, [path])
    assert {t: (c.inserted, c.updated, c.deleted) for t, c in report.tables.items()} == {
        t: (c.inserted, c.updated, c.deleted) for t, c in dry.tables.items()
    }
    assert entity(seeded, "japan") == before
    # and the seeds' own file, loaded again, still finds everything as it declares it
    again = load(seeded).total()
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)


def test_a_file_that_omits_the_description_never_clears_it(seeded: Engine, tmp_path: Path) -> None:
    described = entity(seeded, "shigeru-ishiba")["description"]
    assert described
    body = "entities:\n  - {slug: shigeru-ishiba, kind: person, name: Shigeru Ishiba}\n"
    load(seeded, [fact_file(tmp_path, "f.yaml", "names-ishiba", body)])
    assert entity(seeded, "shigeru-ishiba")["description"] == described


def test_the_last_file_to_give_a_description_takes_it_away(
    migrated: Engine, tmp_path: Path
) -> None:
    one = fact_file(tmp_path / "a", "f.yaml", "one", NAME_ONLY + "    description: An island.\n")
    two = fact_file(tmp_path / "b", "f.yaml", "two", NAME_ONLY)
    load(migrated, [one, two])
    load(migrated, [two])
    assert entity(migrated, "japan")["description"] == "An island."
    one.write_text(one.read_text().replace("    description: An island.\n", ""))
    load(migrated, [one])
    assert entity(migrated, "japan")["description"] is None


# --- what no source declares any more -----------------------------------------------------


def test_an_alias_goes_when_no_file_declares_it(migrated: Engine, tmp_path: Path) -> None:
    def aliases() -> str:
        return str(entity(migrated, "japan")["aliases"])

    one = fact_file(tmp_path / "a", "f.yaml", "one", NAME_ONLY + "    aliases: [Nippon, Nipon]\n")
    two = fact_file(tmp_path / "b", "f.yaml", "two", NAME_ONLY + "    aliases: [Nippon]\n")
    load(migrated, [one, two])
    assert aliases() == "Nipon, Nippon"
    edit(one, "[Nippon, Nipon]", "[Nippon]")  # a typo fixed in the only file declaring it
    report = load(migrated, [one])
    assert report.tables["entity_aliases"].deleted == 1
    assert aliases() == "Nippon"
    edit(one, "    aliases: [Nippon]\n", "")  # still declared by the other file
    assert load(migrated, [one]).tables["entity_aliases"].deleted == 0
    assert aliases() == "Nippon"
    edit(two, "    aliases: [Nippon]\n", "")
    load(migrated, [two])
    assert entity(migrated, "japan")["aliases"] is None


def test_an_identifier_goes_when_no_file_declares_it(migrated: Engine, tmp_path: Path) -> None:
    one = fact_file(tmp_path, "f.yaml", "one", NAME_ONLY + "    identifiers: {wikidata: Q71}\n")
    load(migrated, [one])
    edit(one, "Q71", "Q17")  # a typo fixed: the old code goes, the new one comes
    report = load(migrated, [one])
    assert (
        report.tables["entity_identifiers"].inserted,
        report.tables["entity_identifiers"].deleted,
    ) == (1, 1)
    assert entity(migrated, "japan")["wikidata"] == "Q17"


COMTRADE = CURRENT + "".join(
    [
        current_row("100", "BGR", "Bulgaria", "X", "392", "JPN", "Japan", "1000"),
        current_row("100", "BGR", "Bulgaria", "M", "276", "DEU", "Germany", "2000"),
        current_row("100", "BGR", "Bulgaria", "X", "792", "TUR", "Türkiye", "3000"),
        current_row("392", "JPN", "Japan", "M", "100", "BGR", "Bulgaria", "900"),
    ]
)


def comtrade(tmp_path: Path) -> Path:
    path = tmp_path / "comtrade.csv"
    path.write_text(COMTRADE, encoding="utf-8")
    return path


def test_a_load_never_removes_what_an_import_matches_by(migrated: Engine, tmp_path: Path) -> None:
    import_file(migrated, comtrade(tmp_path))
    imported = entity(migrated, "japan")
    assert (imported["m49"], imported["iso3"]) == ("392", "JPN")
    path = fact_file(tmp_path, "f.yaml", "one", NAME_ONLY + '    identifiers: {m49: "392"}\n')
    load(migrated, [path])
    edit(path, '    identifiers: {m49: "392"}\n', "")  # it stops declaring the code
    report = load(migrated, [path])
    assert report.tables["entity_identifiers"].deleted == 0
    assert (entity(migrated, "japan")["m49"], entity(migrated, "japan")["iso3"]) == ("392", "JPN")


# --- real conflicts -----------------------------------------------------------------------


def test_two_kinds_in_one_load_name_both_files_and_lines(migrated: Engine, tmp_path: Path) -> None:
    one = fact_file(tmp_path, "a.yaml", "one", NAME_ONLY)
    two = fact_file(tmp_path, "b.yaml", "two", NAME_ONLY.replace("country", "place"))
    assert problems_of(migrated, [one, two], tmp_path) == [
        "b.yaml:8:11: entities[0].kind: entity 'japan' has kind 'place' here but 'country' in "
        "a.yaml:8; an entity has one kind: make the declarations agree"
    ]


def test_a_kind_against_the_database_names_the_stored_source(
    seeded: Engine, tmp_path: Path
) -> None:
    path = fact_file(tmp_path, "f.yaml", "two", NAME_ONLY.replace("country", "place"))
    assert problems_of(seeded, [path], tmp_path) == [
        f"f.yaml:8:11: entities[0].kind: entity 'japan' has kind 'place' here but 'country' in "
        f"source '{ARTICLE_SOURCE}' at {ARTICLE}.yaml:{JAPAN_LINE}; an entity has one kind: "
        "make the declarations agree"
    ]


def test_a_second_name_is_a_conflict(seeded: Engine, tmp_path: Path) -> None:
    path = fact_file(tmp_path, "f.yaml", "two", NAME_ONLY.replace("name: Japan", "name: Nippon"))
    (problem,) = problems_of(seeded, [path], tmp_path)
    assert problem.startswith("f.yaml:9:11: entities[0].name: entity 'japan' has name 'Nippon'")
    assert f"at {ARTICLE}.yaml:{JAPAN_LINE}" in problem and "as aliases" in problem


def test_an_identifier_another_entity_holds_names_its_declaration(
    seeded: Engine, tmp_path: Path
) -> None:
    body = 'entities:\n  - {slug: nippon, kind: country, name: Nippon, identifiers: {m49: "392"}}\n'
    path = fact_file(tmp_path, "f.yaml", "two", body)
    assert problems_of(seeded, [path], tmp_path) == [
        "f.yaml:7:68: entities[0].identifiers.m49: m49 '392' is already held by entity 'japan' "
        f"(declared by source '{ARTICLE_SOURCE}' at {ARTICLE}.yaml:{JAPAN_LINE}); refer to "
        "'japan' by slug or give it up first"
    ]


def test_a_second_code_of_a_scheme_is_a_conflict(seeded: Engine, tmp_path: Path) -> None:
    path = fact_file(tmp_path, "f.yaml", "two", NAME_ONLY + '    identifiers: {m49: "393"}\n')
    assert problems_of(seeded, [path], tmp_path) == [
        "f.yaml:10:24: entities[0].identifiers.m49: entity 'japan' would hold two m49 codes: "
        f"'393' here and '392' (declared by source '{ARTICLE_SOURCE}' at {ARTICLE}.yaml:"
        f"{JAPAN_LINE}); an entity has one code per scheme"
    ]


def test_an_entity_declared_twice_in_one_file(migrated: Engine, tmp_path: Path) -> None:
    path = fact_file(tmp_path, "f.yaml", "one", NAME_ONLY + NAME_ONLY.removeprefix("entities:\n"))
    assert problems_of(migrated, [path], tmp_path) == [
        "f.yaml:10:11: entities[1].slug: entity 'japan' is declared twice in this file (also at "
        "line 7); declare it once"
    ]


# --- any order, the same database ---------------------------------------------------------


@pytest.fixture
def fresh(
    backend: str, templates: Templates, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[list[Engine]]:
    """Four migrated databases (copies of the template)."""
    engines, urls = [], []
    admin = request.getfixturevalue("pg_admin_url") if backend == "postgresql" else ""
    for index in range(4):
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / f'order-{index}.sqlite3'}"
            templates.copy_sqlite("migrated", url)
        else:
            url = templates.new_pg_database("migrated")
        urls.append(url)
        engines.append(make_engine(url))
    try:
        yield engines
    finally:
        for engine in engines:
            engine.dispose()
        if backend == "postgresql":
            for url in urls:
                drop_pg_database(admin, url)


def views(engine: Engine) -> dict[str, list[str]]:
    """Every documented view, every column but the surrogate keys, rows sorted."""
    out = {}
    with engine.connect() as conn:
        for name in VIEWS:
            result = conn.execute(sa.text(f"SELECT * FROM {name}"))
            names = list(result.keys())
            columns = [c for c in names if c not in SURROGATE]
            out[name] = sorted(repr(tuple(row[c] for c in columns)) for row in result.mappings())
    return out


#: japan again, with an alias and a description the seeds do not give
MORE_OF_JAPAN = """\
entities:
  - slug: japan
    kind: country
    name: Japan
    description: An island country in East Asia.
    aliases: [Nippon, {name: 日本, language: ja}]
"""


def test_every_order_of_loads_and_imports_reaches_the_same_views(
    fresh: list[Engine], tmp_path: Path
) -> None:
    seeds_and_corpus = [bundled_seeds(), CORPUS]
    more = fact_file(tmp_path / "more", "japan.yaml", "more-of-japan", MORE_OF_JAPAN)
    csv = comtrade(tmp_path)
    orders: list[list[Any]] = [
        [seeds_and_corpus, [more], csv],  # files, then the import; A then B
        [csv, [more], seeds_and_corpus],  # the import, then files; B then A
        [[more], seeds_and_corpus, csv],  # B then A, then the import
        [csv, [*seeds_and_corpus, more]],  # the import, then everything in one load
    ]
    results = []
    for engine, order in zip(fresh, orders, strict=True):
        for step in order:
            if isinstance(step, Path):
                import_file(engine, step)
            else:
                load(engine, step)
        results.append(views(engine))
    japan = [row for row in results[0]["v_entities"] if "'japan'" in row]
    assert len(japan) == 1 and "Nippon" in japan[0] and "'392'" in japan[0]
    assert "An island country" in japan[0]
    assert any("'turkey'" in row and "Bulgaria" in row for row in results[0]["v_trade"])
    for other in results[1:]:
        assert other == results[0]


# --- databases loaded before declarations were recorded -----------------------------------

DECLARATION_TABLES = {
    "entity_declarations",
    "entity_alias_declarations",
    "entity_identifier_declarations",
}


#: the revision that adds the declaration tables
DECLARATIONS_REVISION = "0008"


def older_tables(engine: Engine, shape: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """Every row of every table older than the declarations, sorted; with ``shape``, only those
    tables and columns (later revisions may add some)."""
    with engine.connect() as conn:
        if shape is None:
            reflected = sa.MetaData()
            reflected.reflect(conn)
            shape = {
                name: [c.name for c in table.columns]
                for name, table in reflected.tables.items()
                if name not in DECLARATION_TABLES
                and name != "alembic_version"
                # SQLite's search index is compared by its entries (fts_search), not by the
                # pages of its storage, which a rebuild lays out anew
                and not name.startswith("fts_search_")
            }
        return {
            name: sorted(
                map(
                    repr,
                    conn.execute(sa.select(*map(sa.column, columns)).select_from(sa.table(name))),
                )
            )
            for name, columns in shape.items()
        } | {"__shape__": [repr(shape)]}


def shape_of(rows: dict[str, list[str]]) -> dict[str, list[str]]:
    import ast

    shape: dict[str, list[str]] = ast.literal_eval(rows["__shape__"][0])
    return shape


def declarers(engine: Engine, slug: str) -> list[tuple[str, str | None]]:
    with engine.connect() as conn:
        return [
            tuple(row)
            for row in conn.execute(
                sa.text(
                    "SELECT s.slug, d.file FROM entity_declarations d "
                    "JOIN entities e ON e.id = d.entity_id JOIN sources s ON s.id = d.source_id "
                    "WHERE e.slug = :slug ORDER BY s.slug"
                ),
                {"slug": slug},
            )
        ]


def test_the_upgrade_credits_entities_to_the_sources_quoting_them(
    seeded: Engine, tmp_path: Path
) -> None:
    import_file(seeded, comtrade(tmp_path))
    migrate.downgrade(seeded, DECLARATIONS_REVISION + "-1")
    before = older_tables(seeded)
    migrate.upgrade(seeded)
    assert older_tables(seeded, shape_of(before)) == before  # no fact changed
    assert declarers(seeded, "japan") == [(ARTICLE_SOURCE, None)]
    # a source that quotes an entity it does not declare is credited until its next load
    assert [s for s, _ in declarers(seeded, "shigeru-ishiba")] == [
        ARTICLE_SOURCE,
        "mofa-japan-bulgaria-summit-2025",
    ]
    with seeded.connect() as conn:
        linked = conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM entity_alias_declarations), "
                "(SELECT count(*) FROM entity_identifier_declarations)"
            )
        ).one()
    assert linked[0] > 0 and linked[1] > 0
    # a file naming japan and nothing more takes nothing away from what was there before
    japan = entity(seeded, "japan")
    load(seeded, [fact_file(tmp_path / "f", "f.yaml", "names-japan", NAME_ONLY)])
    assert entity(seeded, "japan") == japan
    # the next load of the declaring file replaces what it was credited with
    seeds = copy_seeds(tmp_path)
    edit(seeds / f"{ARTICLE}.yaml", "    aliases:\n      - {name: 日本, language: ja}\n", "")
    report = load(seeded, [seeds])
    assert report.tables["entity_aliases"].deleted == 1
    assert entity(seeded, "japan")["aliases"] is None
    assert declarers(seeded, "japan") == [
        (ARTICLE_SOURCE, f"{ARTICLE}.yaml"),
        ("names-japan", "f.yaml"),
    ]
    assert [s for s, _ in declarers(seeded, "shigeru-ishiba")] == [ARTICLE_SOURCE]


def test_an_entity_a_file_declares_is_never_taken_over(migrated: Engine, tmp_path: Path) -> None:
    """Even with nothing but imported trade rows and a code, it is a declared entity."""
    body = (
        "entities:\n"
        '  - {slug: deutschland, kind: country, name: Germany, identifiers: {m49: "276"}}\n'
    )
    load(migrated, [fact_file(tmp_path / "a", "a.yaml", "one", body)])
    import_file(migrated, comtrade(tmp_path))
    other = fact_file(tmp_path / "b", "b.yaml", "two", body.replace("deutschland", "germany"))
    assert problems_of(migrated, [other], tmp_path / "b") == [
        "b.yaml:7:70: entities[0].identifiers.m49: m49 '276' is already held by entity "
        "'deutschland' (declared by source 'one' at a.yaml:7); refer to 'deutschland' by slug "
        "or give it up first"
    ]


def test_an_identifier_moves_when_its_only_file_gives_it_to_another_entity(
    migrated: Engine, tmp_path: Path
) -> None:
    path = fact_file(
        tmp_path,
        "f.yaml",
        "one",
        NAME_ONLY
        + "    identifiers: {wikidata: Q17}\n  - {slug: nippon, kind: country, name: N}\n",
    )
    load(migrated, [path])
    edit(path, "    identifiers: {wikidata: Q17}\n", "")
    edit(path, "name: N}", "name: N, identifiers: {wikidata: Q17}}")
    report = load(migrated, [path])
    assert report.tables["entity_identifiers"].deleted == 1
    assert entity(migrated, "japan")["wikidata"] is None
    assert entity(migrated, "nippon")["wikidata"] == "Q17"


def test_a_code_an_import_matches_by_cannot_move_to_another_entity(
    migrated: Engine, tmp_path: Path
) -> None:
    import_file(migrated, comtrade(tmp_path))
    path = fact_file(
        tmp_path,
        "f.yaml",
        "one",
        NAME_ONLY + '    identifiers: {m49: "392"}\n  - {slug: nippon, kind: country, name: N}\n',
    )
    load(migrated, [path])
    edit(path, '    identifiers: {m49: "392"}\n', "")
    edit(path, "name: N}", 'name: N, identifiers: {m49: "392"}}')
    assert problems_of(migrated, [path], tmp_path) == [
        "f.yaml:10:63: entities[1].identifiers.m49: m49 '392' is already held by entity 'japan' "
        "(imported trade rows are matched by it); refer to 'japan' by slug or give it up first"
    ]
