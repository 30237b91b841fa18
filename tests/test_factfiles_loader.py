"""Loading fact files: idempotent upserts, edits, removals, dry runs, all-or-nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from factdb.errors import FactFileError, NotMigrated
from factdb.factfiles.loader import TABLE_ORDER, load
from factdb.models import metadata
from tests.factfiles_helpers import ARTICLE, copy_seeds, edit


def snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    """Every row of every table, ordered: equal snapshots mean equal databases."""
    out = {}
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            rows = conn.execute(sa.select(table)).all()
            out[table.name] = sorted(tuple(map(repr, row)) for row in rows)
    return out


def test_second_load_changes_nothing(seeded: Engine) -> None:
    report = load(seeded)
    total = report.total()
    assert (total.inserted, total.updated, total.deleted) == (0, 0, 0)


def test_an_edit_changes_just_what_changed(seeded: Engine, tmp_path: Path) -> None:
    seeds = copy_seeds(tmp_path)
    article = seeds / f"{ARTICLE}.yaml"
    edit(article, "    value: 90000000\n", "    value: 91000000\n")
    report = load(seeded, [seeds])
    changed = {
        t: c for t, c in report.tables.items() if (c.inserted, c.updated, c.deleted) != (0, 0, 0)
    }
    # the exports row, and the derived imports row computed from it
    assert set(changed) == {"trade_flows"}
    assert (changed["trade_flows"].updated, changed["trade_flows"].inserted) == (2, 0)
    with seeded.connect() as conn:
        imports = conn.execute(
            sa.text(
                "SELECT value FROM trade_flows WHERE slug = 'bg-jp-2024-imports-derived-alojapan'"
            )
        ).scalar_one()
    assert imports == 17_900_000_000  # cents


def test_a_removed_fact_is_removed_with_its_evidence(seeded: Engine, tmp_path: Path) -> None:
    seeds = copy_seeds(tmp_path)
    article = seeds / f"{ARTICLE}.yaml"
    text = article.read_text(encoding="utf-8")
    start = text.index("  - slug: insait-attracts-top-talent")
    end = text.index("  - slug: insait-cooperates-with-riken")
    article.write_text(text[:start] + text[end:], encoding="utf-8")
    report = load(seeded, [seeds])
    assert report.tables["relations"].deleted == 1
    assert report.tables["evidence"].deleted == 1
    assert sum(c.inserted + c.updated for c in report.tables.values()) == 0
    with seeded.connect() as conn:
        assert (
            conn.execute(
                sa.text("SELECT count(*) FROM relations WHERE slug = 'insait-attracts-top-talent'")
            ).scalar_one()
            == 0
        )


def test_dry_run_writes_nothing(migrated: Engine) -> None:
    before = snapshot(migrated)
    report = load(migrated, dry_run=True)
    assert report.tables["entities"].inserted == 43  # with AloJapan.com, the byline
    assert snapshot(migrated) == before


def test_loading_needs_a_migrated_database(engine: Engine) -> None:
    with pytest.raises(NotMigrated, match="factdb db upgrade"):
        load(engine)


def test_a_database_refusal_leaves_nothing_behind(migrated: Engine, tmp_path: Path) -> None:
    seeds = copy_seeds(tmp_path)
    # Valid to the schema, refused by the database: a role held in oneself.
    edit(
        seeds / f"{ARTICLE}.yaml",
        "    person: rumen-radev\n    organisation: bulgaria\n",
        "    person: rumen-radev\n    organisation: rumen-radev\n",
    )
    before = snapshot(migrated)
    with pytest.raises(FactFileError, match="nothing was written"):
        load(migrated, [seeds])
    assert snapshot(migrated) == before


CORRUPTIONS = [
    ("    kind: country\n", "    kind: planet\n"),
    ("    predicate: has_strength\n", "    predicate: likes\n"),
    ("    subject: insait\n", "    subject: insiat\n"),
    ('    quote: "AloJapan.com"\n', '    quote: "AloJapan.org"\n'),  # a quote not in the text
    ("    year: 2024\n", '    year: "2024"\n'),
    ("    status: preliminary\n", "    status: preliminary\n    colour: red\n"),
    ("    title: President\n", "    title: President\n    title: King\n"),
]


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_one_bad_record_anywhere_leaves_the_database_as_it_was(
    seeded: Engine, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    seeds = copy_seeds(tmp_path_factory.mktemp("bad"))
    article = seeds / f"{ARTICLE}.yaml"
    old, new = data.draw(st.sampled_from(CORRUPTIONS))
    text = article.read_text(encoding="utf-8")
    occurrences = text.count(old)
    nth = data.draw(st.integers(min_value=0, max_value=occurrences - 1))
    at = -1
    for _ in range(nth + 1):
        at = text.index(old, at + 1)
    article.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    line = text[:at].count("\n") + 1
    before = snapshot(seeded)
    with pytest.raises(FactFileError) as caught:
        load(seeded, [seeds])
    assert len(caught.value.problems) == 1, caught.value.problems
    reported = int(caught.value.problems[0].split(":")[1])
    assert line <= reported <= line + 2
    assert snapshot(seeded) == before


def test_counts_cover_every_table(seeded: Engine) -> None:
    """A load counts every table the models define, in an order where each table comes after
    the tables it refers to."""
    from factdb.models import metadata

    # the history (changesets, row_versions) is the database's to keep, not the load's to count
    history = {"changesets", "row_versions"}
    assert sorted(load(seeded).tables) == sorted(set(metadata.tables) - history)
    assert len(TABLE_ORDER) == len(set(TABLE_ORDER))
    for name in TABLE_ORDER:
        for fk in metadata.tables[name].foreign_keys:
            target = fk.column.table.name
            if target != name:
                assert TABLE_ORDER.index(target) < TABLE_ORDER.index(name), (name, target)
