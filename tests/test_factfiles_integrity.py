"""Loading against a real database: one located line for what the database would refuse,
large loads within the bound-parameter limits, no write lock while files are read, imported
entities taken over, and a read-only user told which privilege it lacks. Both backends."""

from __future__ import annotations

import re
import sqlite3
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url
from typer.testing import CliRunner

from factdb import migrate
from factdb.cli import app
from factdb.comtrade.importer import import_file
from factdb.db import make_engine
from factdb.errors import FactFileError, PermissionDenied
from factdb.factfiles import loader, validate
from factdb.factfiles.loader import load
from factdb.factfiles.reader import Document
from factdb.factfiles.schema import FactFile
from factdb.factfiles.validate import ValidFile
from factdb.roles import RoleNames, add_user, create_roles
from tests.conftest import Templates, create_pg_database, drop_pg_database
from tests.test_comtrade import CURRENT, current_row
from tests.test_factfiles_loader import snapshot

runner = CliRunner()

HEADER = """\
factdb: 1
source:
  slug: {slug}
  kind: article
  url: https://example.org/{slug}
"""
NOQUOTE = "{text: q, verbatim: false}"


def write(directory: Path, name: str, body: str, slug: str = "test-source") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(HEADER.format(slug=slug) + textwrap.dedent(body), encoding="utf-8")
    return path


def refused(engine: Engine, paths: list[Path]) -> list[str]:
    """The problems of a load that must fail, after checking it wrote nothing."""
    before = snapshot(engine)
    with pytest.raises(FactFileError) as caught:
        load(engine, paths)
    assert snapshot(engine) == before
    return [p.replace(str(paths[0].parent) + "/", "") for p in caught.value.problems]


TWO = """\
entities:
  - {slug: a, kind: country, name: A}
  - {slug: b, kind: country, name: B}
"""

BAD_FILES = {
    "nul in a name": (
        'entities:\n  - {slug: a, kind: country, name: "A\\0B"}\n',
        r"^f\.yaml:7:36: entities\[0\]\.name: NUL characters",
    ),
    "name longer than its column": (
        f"entities:\n  - {{slug: a, kind: country, name: {'x' * 301}}}\n",
        r"^f\.yaml:7:36: entities\[0\]\.name: 301 characters, longer than the 300 allowed$",
    ),
    "alias longer than its column": (
        f"entities:\n  - {{slug: a, kind: country, name: A, aliases: [{'x' * 301}]}}\n",
        r"^f\.yaml:7:\d+: entities\[0\]\.aliases\[0\]: 301 characters",
    ),
    "value past bigint": (
        TWO + "trade:\n  - {slug: t, reporter: a, partner: b, year: 2024, flow: total,"
        f" value: 100000000000000000000, status: final, quote: {NOQUOTE}}}\n",
        r"^f\.yaml:10:\d+: trade\[0\]\.value: an amount is at most 92233720368547758\.07",
    ),
    "count past integer": (
        TWO + "events:\n  - slug: e\n    kind: forum\n    title: F\n"
        f"    quote: {NOQUOTE}\n    participants:\n"
        f"      - {{entity: a, role: attendee, count: 3000000000, quote: {NOQUOTE}}}\n",
        r"^f\.yaml:15:44: events\[0\]\.participants\[0\]\.count: Input should be less than "
        r"or equal to 2147483647$",
    ),
    "event parent cycle": (
        f"events:\n  - {{slug: e1, kind: forum, title: F, parent: e2, quote: {NOQUOTE}}}\n"
        f"  - {{slug: e2, kind: forum, title: G, parent: e1, quote: {NOQUOTE}}}\n",
        r"^f\.yaml:7:\d+: events\[0\]\.parent: events are their own ancestors: e1 -> e2 -> e1",
    ),
    "event its own parent": (
        f"events:\n  - {{slug: e1, kind: forum, title: F, parent: e1, quote: {NOQUOTE}}}\n",
        r"^f\.yaml:7:5: events\[0\]: an event cannot be its own `parent`$",
    ),
    "impossible date": (
        TWO + "relations:\n  - {slug: r, subject: a, predicate: cooperates_with, object: b,"
        f" from: 2013-02-30, quote: {NOQUOTE}}}\n",
        r"^f\.yaml:10:\d+: relations\[0\]\.from: not a calendar date: day is out of range",
    ),
    "derivation cycle": (
        TWO + "trade:\n"
        "  - {slug: t1, reporter: a, partner: b, year: 2024, flow: import, status: derived,"
        " method: m, derived_from: [{trade: t2, coefficient: 1}]}\n"
        "  - {slug: t2, reporter: b, partner: a, year: 2024, flow: import, status: derived,"
        " method: m, derived_from: [{trade: t1, coefficient: 1}]}\n",
        r"^f\.yaml:10:\d+: trade\[0\]\.derived_from: trade rows are derived from themselves: "
        r"t1 -> t2 -> t1$",
    ),
    "negative derived value": (
        TWO + "trade:\n"
        "  - {slug: t1, reporter: a, partner: b, year: 2024, flow: export, value: 5,"
        f" status: final, quote: {NOQUOTE}}}\n"
        "  - {slug: t2, reporter: a, partner: b, year: 2024, flow: import, status: derived,"
        " method: m, derived_from: [{trade: t1, coefficient: -1}]}\n",
        r"^f\.yaml:11:\d+: trade\[1\]\.derived_from: the derived value -5 is out of range",
    ),
    "quote field not of the fact": (
        "events:\n  - {slug: e1, kind: forum, title: F, quote: {text: q, verbatim: false,"
        " field: bogus}}\n",
        r"^f\.yaml:7:\d+: events\[0\]\.quote\.field: an event has no field 'bogus'",
    ),
    "event ends before it starts": (
        "events:\n  - {slug: e1, kind: forum, title: F, start: 2025-05-20, end: 2025-05-19,"
        f" quote: {NOQUOTE}}}\n",
        r"^f\.yaml:7:5: events\[0\]: the event ends before it starts: 2025-05-19 is before "
        r"2025-05-20$",
    ),
    "relation ends before it starts": (
        TWO + "relations:\n  - {slug: r, subject: a, predicate: cooperates_with, object: b,"
        f" from: 2025, to: 2024, quote: {NOQUOTE}}}\n",
        r"^f\.yaml:10:5: relations\[0\]: `to` is before `from`",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_each_mistake_is_one_located_line_and_nothing_is_written(
    migrated: Engine, tmp_path: Path, case: str
) -> None:
    body, expected = BAD_FILES[case]
    problems = refused(migrated, [write(tmp_path, "f.yaml", body)])
    assert len(problems) == 1, problems
    assert re.search(expected, problems[0]), f"GOT {problems[0]}"


def test_a_sha256_mismatch_is_reported_once(migrated: Engine, tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Norway and Norway", encoding="utf-8")
    path = tmp_path / "f.yaml"
    path.write_text(
        "factdb: 1\nsource:\n  slug: s\n  kind: article\n  text: a.txt\n"
        f"  sha256: {'a' * 64}\n"
        "entities:\n"
        "  - {slug: n, kind: country, name: Norway, quote: {text: Norway, occurrence: 2}}\n"
        "  - {slug: m, kind: country, name: M, quote: {text: Norway, occurrence: 1}}\n",
        encoding="utf-8",
    )
    problems = refused(migrated, [path])
    assert len(problems) == 1 and "f.yaml:6:11: source.sha256: " in problems[0], problems


def test_an_identifier_held_in_the_database_is_named(migrated: Engine, tmp_path: Path) -> None:
    load(
        migrated,
        [
            write(
                tmp_path / "one",
                "f.yaml",
                "entities:\n  - {slug: x, kind: country, name: X,"
                f" identifiers: {{iso3166_alpha3: DEU}}, quote: {NOQUOTE}}}\n",
                slug="one",
            )
        ],
    )
    second = write(
        tmp_path / "two",
        "f.yaml",
        "entities:\n  - {slug: y, kind: country, name: Y, identifiers: {iso3166_alpha3: DEU}}\n",
        slug="two",
    )
    assert refused(migrated, [second]) == [
        "f.yaml:7:69: entities[0].identifiers.iso3166_alpha3: iso3166_alpha3 'DEU' is already "
        "held by entity 'x' (declared by source 'one' at f.yaml:7); refer to 'x' by slug or "
        "give it up first"
    ]


def test_an_identifier_declared_twice_names_the_first_declaration(
    migrated: Engine, tmp_path: Path
) -> None:
    first = write(
        tmp_path,
        "a.yaml",
        "entities:\n  - {slug: x, kind: country, name: X, identifiers: {m49: '1'}}\n",
        slug="a",
    )
    second = write(
        tmp_path,
        "b.yaml",
        "entities:\n  - {slug: y, kind: country, name: Y, identifiers: {m49: '1'}}\n",
        slug="b",
    )
    assert refused(migrated, [first, second]) == [
        "b.yaml:7:58: entities[0].identifiers.m49: m49 '1' is already held by entity 'x' "
        "(declared in a.yaml:7)"
    ]


# --- large loads --------------------------------------------------------------------------


def many_entities(path: Path, count: int) -> list[ValidFile]:
    """A checked fact file declaring ``count`` entities, built without the YAML parser (whose
    speed is not under test here: what the database is sent is)."""
    data = {
        "factdb": 1,
        "source": {"slug": "many", "kind": "other", "url": "https://example.org/many"},
        "entities": [{"slug": f"e{i}", "kind": "group", "name": f"E{i}"} for i in range(count)],
    }
    spec = FactFile.model_validate(data)
    return [ValidFile(path, Document(str(path), data), spec, None, None)]


def test_a_load_past_the_bound_parameter_limit(
    migrated: Engine, backend: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More entities than one statement may bind parameters: 32,766 on a stock SQLite (set
    here, as newer SQLite builds allow more) and 65,535 on PostgreSQL."""
    if backend == "sqlite":

        @sa.event.listens_for(migrated, "connect")
        def _stock_limit(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
            dbapi_conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 32_766)

        migrated.dispose()
        count = 33_000
    else:
        count = 66_000
    path = tmp_path / "many.yaml"
    path.write_text("placeholder: the checked file below stands in for it\n")
    checked = many_entities(path, count)
    monkeypatch.setattr(loader, "check_files", lambda _paths: (checked, []))
    bound: list[int] = []

    @sa.event.listens_for(migrated, "before_cursor_execute")
    def _count(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, many: bool) -> None:
        if not many and statement.lstrip().upper().startswith(("SELECT", "DELETE", "UPDATE")):
            bound.append(len(params or ()))

    report = load(migrated, [path])
    assert report.tables["entities"].inserted == count
    again = load(migrated, [path]).total()
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)
    # a list of keys is one parameter, not one per entity
    assert bound and max(bound) <= 10, max(bound)


def test_a_large_load_leaves_postgresql_fresh_statistics(
    pg_admin_url: str, templates: Templates, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next load's joins are planned with the tables' new sizes, not the sizes autovacuum
    last saw (a second load of 66,000 entities took minutes on an empty table's statistics)."""
    url = templates.new_pg_database("migrated")
    engine = make_engine(url)
    try:
        path = tmp_path / "many.yaml"
        path.write_text("placeholder: the checked file below stands in for it\n")
        checked = many_entities(path, loader.ANALYZE_AFTER_ROWS)
        monkeypatch.setattr(loader, "check_files", lambda _paths: (checked, []))
        load(engine, [path])
        with engine.connect() as conn:
            analyzed = set(
                conn.scalars(
                    sa.text(
                        "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
                    )
                )
            )
        # the tables that grew by a thousand rows; not the one source
        assert analyzed == {"entities", "entity_declarations"}
    finally:
        engine.dispose()
        drop_pg_database(pg_admin_url, url)


class _Deadlock(Exception):
    sqlstate = "40P01"


def test_statistics_that_fail_after_the_commit_neither_repeat_nor_fail_the_load(
    pg_admin_url: str,
    templates: Templates,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The load is stored before its ANALYZE runs: an ANALYZE that deadlocks (a retryable
    error inside the load) must not run the stored load again, and one that fails must not
    turn a stored load into a crash; it is one warning."""
    url = templates.new_pg_database("migrated")
    engine = make_engine(url)
    calls: list[list[str]] = []

    def deadlocked(_engine: Engine, tables: list[str]) -> None:
        calls.append(tables)
        raise sa.exc.OperationalError("ANALYZE", {}, _Deadlock("deadlock detected"))

    try:
        path = tmp_path / "many.yaml"
        path.write_text("placeholder: the checked file below stands in for it\n")
        checked = many_entities(path, loader.ANALYZE_AFTER_ROWS)
        monkeypatch.setattr(loader, "check_files", lambda _paths: (checked, []))
        monkeypatch.setattr(loader, "_analyze", deadlocked)
        report = load(engine, [path])
        assert report.tables["entities"].inserted == loader.ANALYZE_AFTER_ROWS
        assert calls == [["entities", "entity_declarations"]], "the stored load ran again"
        assert [r.getMessage() for r in caplog.records] == [
            "statistics of entities, entity_declarations not refreshed: deadlock detected"
        ]
        with engine.connect() as conn:
            stored = conn.execute(sa.text("SELECT count(*) FROM entities")).scalar_one()
        assert stored == loader.ANALYZE_AFTER_ROWS
    finally:
        engine.dispose()
        drop_pg_database(pg_admin_url, url)


# --- no write lock while reading ----------------------------------------------------------


def test_files_are_read_before_the_write_transaction_begins(
    migrated: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: list[str] = []
    sa.event.listen(migrated, "begin", lambda _conn: steps.append("begin"))
    read_file = validate.read_file

    def reading(path: Path) -> Any:
        steps.append("read")
        return read_file(path)

    monkeypatch.setattr(validate, "read_file", reading)
    load(migrated, [write(tmp_path, "f.yaml", TWO)])
    assert steps.count("read") == 1 and "begin" in steps
    assert steps.index("read") < steps.index("begin")


def test_another_writer_can_write_while_a_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite has one writer at a time: a slow file must not hold the lock while it is read."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    other = make_engine(url, busy_timeout_ms=200)
    read_file = validate.read_file

    def slow_read(path: Path) -> Any:
        with other.begin() as conn:  # would time out if the loader held the write lock
            conn.execute(
                sa.text("INSERT INTO entities (slug, kind, name) VALUES ('o', 'group', 'O')")
            )
        return read_file(path)

    monkeypatch.setattr(validate, "read_file", slow_read)
    load(engine, [write(tmp_path / "f", "f.yaml", TWO)])
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM entities")).scalar_one() == 3


# --- imported entities --------------------------------------------------------------------

GERMANY_FRANCE = CURRENT + "".join(
    [
        current_row("276", "DEU", "Germany", "X", "251", "FRA", "France", "1000"),
        current_row("251", "FRA", "France", "M", "276", "DEU", "Germany", "900"),
    ]
)
GERMANY = """\
entities:
  - slug: deutschland
    kind: country
    name: Germany
    identifiers: {iso3166_alpha3: DEU, m49: "276"}
"""


def germany(engine: Engine) -> tuple[list[str], int, int]:
    """Entities holding Germany's codes; trade rows with it as reporter and as partner."""
    with engine.connect() as conn:
        slugs = list(
            conn.scalars(
                sa.text(
                    "SELECT DISTINCT e.slug FROM entities e JOIN entity_identifiers i "
                    "ON i.entity_id = e.id WHERE i.value IN ('DEU', '276')"
                )
            )
        )
        counts = conn.execute(
            sa.text(
                "SELECT sum(CASE WHEN r.slug = 'deutschland' THEN 1 ELSE 0 END), "
                "sum(CASE WHEN p.slug = 'deutschland' THEN 1 ELSE 0 END) FROM trade_flows t "
                "JOIN entities r ON r.id = t.reporter_id JOIN entities p ON p.id = t.partner_id"
            )
        ).one()
    return slugs, int(counts[0] or 0), int(counts[1] or 0)


def seed(db_url: str, *paths: Path) -> tuple[int, str, str]:
    result = runner.invoke(app, ["seed", *map(str, paths), "--db", db_url])
    return result.exit_code, result.stdout, result.stderr


def test_a_fact_file_takes_over_an_imported_entity(
    migrated: Engine, db_url: str, tmp_path: Path
) -> None:
    csv = tmp_path / "de.csv"
    csv.write_text(GERMANY_FRANCE, encoding="utf-8")
    import_file(migrated, csv)
    code, out, err = seed(db_url, write(tmp_path / "facts", "de.yaml", GERMANY))
    assert code == 0, err
    assert "took over imported entity" in out and "'deutschland'" in out
    assert germany(migrated) == (["deutschland"], 1, 1)
    again = load(migrated, [tmp_path / "facts" / "de.yaml"]).total()
    assert (again.inserted, again.updated, again.deleted) == (0, 0, 0)


def test_a_fact_file_declaring_the_imported_slug_updates_that_entity(
    migrated: Engine, db_url: str, tmp_path: Path
) -> None:
    """Whatever slug the import gave the country, declaring that slug is no takeover."""
    csv = tmp_path / "de.csv"
    csv.write_text(GERMANY_FRANCE, encoding="utf-8")
    import_file(migrated, csv)
    with migrated.connect() as conn:
        imported = conn.scalar(
            sa.text(
                "SELECT e.slug FROM entities e JOIN entity_identifiers i ON i.entity_id = e.id "
                "WHERE i.value = '276'"
            )
        )
    body = GERMANY.replace("slug: deutschland", f"slug: {imported}")
    code, out, err = seed(db_url, write(tmp_path / "facts", "de.yaml", body))
    assert code == 0, err
    assert "took over" not in out
    with migrated.connect() as conn:
        holders = conn.execute(
            sa.text(
                "SELECT DISTINCT e.slug FROM entities e JOIN entity_identifiers i "
                "ON i.entity_id = e.id WHERE i.value IN ('DEU', '276')"
            )
        ).all()
    assert holders == [(imported,)]


def test_an_import_after_the_fact_file_reuses_its_entity(
    migrated: Engine, db_url: str, tmp_path: Path
) -> None:
    code, _, err = seed(db_url, write(tmp_path / "facts", "de.yaml", GERMANY))
    assert code == 0, err
    csv = tmp_path / "de.csv"
    csv.write_text(GERMANY_FRANCE, encoding="utf-8")
    import_file(migrated, csv)
    assert germany(migrated) == (["deutschland"], 1, 1)


def test_an_entity_with_evidence_is_not_taken_over(migrated: Engine, tmp_path: Path) -> None:
    csv = tmp_path / "de.csv"
    csv.write_text(GERMANY_FRANCE, encoding="utf-8")
    import_file(migrated, csv)
    with migrated.connect() as conn:
        imported = conn.scalar(
            sa.text(
                "SELECT e.slug FROM entities e JOIN entity_identifiers i ON i.entity_id = e.id "
                "WHERE i.value = '276'"
            )
        )
    # a fact file quotes the imported entity: it is now a fact, not an imported row
    load(
        migrated,
        [
            write(
                tmp_path / "one",
                "q.yaml",
                f"supports:\n  - {{fact: 'entity:{imported}', quote: {NOQUOTE}}}\n",
                slug="one",
            )
        ],
    )
    problems = refused(migrated, [write(tmp_path / "two", "de.yaml", GERMANY, slug="two")])
    assert len(problems) == 2
    assert all(f"is already held by entity '{imported}' (in the database)" in p for p in problems)


# --- privileges ---------------------------------------------------------------------------


@pytest.fixture
def shared_pg(pg_admin_url: str) -> Iterator[str]:
    """A PostgreSQL database with factdb's roles, migrated by the owner."""
    url = create_pg_database(pg_admin_url)
    try:
        admin = make_engine(url)
        create_roles(admin)
        add_user(admin, _reader_login(url), "reader")
        migrate.upgrade(admin, settings=migrate.MigrationSettings(role=RoleNames().owner))
        admin.dispose()
        yield url
    finally:
        drop_pg_database(pg_admin_url, url)
        with make_engine(pg_admin_url).begin() as conn:
            conn.exec_driver_sql(f'DROP ROLE IF EXISTS "{_reader_login(url)}"')


def _reader_login(url: str) -> str:
    """An analyst's own login, a member of the reader group, for the database at ``url``."""
    return f"analyst_{make_url(url).database}"


def as_reader(url: str) -> str:
    return make_url(url).set(username=_reader_login(url)).render_as_string(hide_password=False)


def test_the_reader_role_is_told_which_privilege_it_lacks(shared_pg: str) -> None:
    admin = make_engine(shared_pg)
    before = snapshot(admin)
    result = runner.invoke(app, ["seed", "--db", as_reader(shared_pg)])
    assert result.exit_code == PermissionDenied.exit_code == 4
    assert result.stderr.strip().splitlines() == [
        f"Error: database user '{_reader_login(shared_pg)}' lacks INSERT on table sources; "
        "loading fact "
        "files needs the writer role (see docs/shared-database.md); nothing was written"
    ]
    assert snapshot(admin) == before


def test_a_refused_write_is_neither_retried_nor_swallowed(
    shared_pg: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the check up front, the database's own refusal still ends the load at once."""
    monkeypatch.setattr(loader, "_require_write_privileges", lambda _conn: None)
    reader = make_engine(as_reader(shared_pg))
    begun: list[str] = []
    sa.event.listen(reader, "begin", lambda _conn: begun.append("begin"))
    with pytest.raises(
        PermissionDenied, match=r"may not write \(INSERT on table sources refused: "
    ):
        load(reader)
    assert begun == ["begin"]
