"""What a read command imports: what it does not use, it must not load.

A person waits for every import of every command; these tests pin what each read path leaves
out (the speed itself is measured by benchmarks/bench_startup.py, not here). Each probe runs
commands in a new process, on the test's backend, and lists the modules loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy.engine import Engine

from factdb.cli import app
from factdb.cli._coerce import PlainCoercion, plain_coercion
from factdb.roles import create_roles

#: every read command a person runs: each report, ``sql`` and ``search``
READ_COMMANDS = [
    ["report", "briefing"],
    ["report", "briefing", "bulgaria", "japan", "--section", "trade", "-f", "csv"],
    ["report", "timeline", "--from", "2025", "--to", "2025-12"],
    ["report", "entity", "rumen-radev"],
    ["report", "trade", "--year", "2024"],
    ["report", "claims"],
    ["report", "network"],
    ["report", "evidence"],
    ["report", "reconcile"],
    ["sql", "select 1", "--max-rows", "5", "--timeout", "30"],
    ["search", "toyota", "--limit", "3"],
]

PROBE = """
import json, sys
from factdb.cli._common import FactdbGroup
from factdb.cli import app
import typer
commands, out = json.loads(sys.argv[1]), sys.argv[2]
codes = []
for argv in commands:
    codes.append(typer.main.get_command(app).main(argv, "factdb", standalone_mode=False))
with open(out, "w") as f:
    json.dump({"codes": codes, "modules": sorted(sys.modules)}, f)
"""


@pytest.fixture
def readable(seeded: Engine) -> Engine:
    """The seeded database; on PostgreSQL with the reader role ``factdb sql`` runs as."""
    if seeded.dialect.name == "postgresql":
        create_roles(seeded)
    return seeded


def _loaded(commands: list[list[str]], url: str, tmp_path: Path) -> set[str]:
    """Run ``commands`` one after another in one new process; the modules it ended with."""
    out = tmp_path / "modules.json"
    argv = [[*command, "--db", url] for command in commands]
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(argv), str(out)],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(out.read_text())
    assert found["codes"] == [0] * len(commands), done.stderr
    return set(found["modules"])


def _under(modules: set[str], *packages: str) -> list[str]:
    return sorted(m for m in modules if any(m == p or m.startswith(p + ".") for p in packages))


def test_no_read_command_loads_pydantic_or_alembic(
    readable: Engine, db_url: str, tmp_path: Path
) -> None:
    """Option parsing needs no Pydantic, reading needs no migrations."""
    loaded = _loaded(READ_COMMANDS, db_url, tmp_path)
    assert "factdb.reports.briefing" in loaded  # the probe ran the reports
    assert _under(loaded, "pydantic", "pydantic_core", "alembic", "typer._adapters") == []


def test_sql_search_and_evidence_load_no_orm(readable: Engine, db_url: str, tmp_path: Path) -> None:
    """Reads through views and plain SQL build no declarative model."""
    commands = [c for c in READ_COMMANDS if c[0] in ("sql", "search") or c[1:] == ["evidence"]]
    loaded = _loaded(commands, db_url, tmp_path)
    assert _under(loaded, "sqlalchemy.orm", "factdb.models", "factdb.factfiles") == []


#: what no read command needs: the ORM, the writers' fact-file stack, migrations, parsers
NOT_FOR_READING = (
    "sqlalchemy.orm",
    "sqlalchemy.ext",
    "factdb.factfiles",
    "alembic",
    "pydantic",
    "yaml",
    "ruamel",
    "jsonschema",
)


def test_no_read_command_loads_the_orm(readable: Engine, db_url: str, tmp_path: Path) -> None:
    """Every report queries the Core tables: no ORM import, no mapper, no model module; on
    SQLite no PostgreSQL dialect either (a partial index's ``postgresql_where`` loads it)."""
    loaded = _loaded(READ_COMMANDS, db_url, tmp_path)
    assert "factdb.reports.briefing" in loaded  # the probe ran the reports
    assert "factdb.models.tables" in loaded
    assert _under(loaded, *NOT_FOR_READING) == []
    orm_classes = sorted(m for m in loaded if m.startswith("factdb.models."))
    assert orm_classes == ["factdb.models.tables"]
    if readable.dialect.name == "sqlite":
        assert _under(loaded, "sqlalchemy.dialects.postgresql", "psycopg") == []


def test_the_whole_schema_still_has_every_table_and_postgresql_index(tmp_path: Path) -> None:
    """Asking for ``metadata`` (as migrations, drift checks and writers do) builds every ORM
    class and gives the partial indexes their PostgreSQL condition."""
    probe = (
        "import sys\n"
        "from sqlalchemy.dialects import postgresql\n"
        "from sqlalchemy.schema import CreateIndex\n"
        "from factdb.models import Base, metadata\n"
        "assert Base.metadata is metadata\n"
        "mapped = {m.local_table.name for m in Base.registry.mappers}\n"
        "assert mapped == set(metadata.tables), set(metadata.tables) - mapped\n"
        "index = next(i for i in metadata.tables['trade_flows'].indexes\n"
        "             if i.name == 'ix_trade_flows_stated')\n"
        "print(CreateIndex(index).compile(dialect=postgresql.dialect()))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "WHERE series <> 'comtrade'" in done.stdout


def _typer_params() -> list[Any]:
    found: list[Any] = []

    def walk(command: Any) -> None:
        found.extend(command.params)
        if hasattr(command, "list_commands"):  # a group: the root builds its commands lazily
            ctx = typer.Context(command)
            for name in command.list_commands(ctx):
                walk(command.get_command(ctx, name))

    walk(typer.main.get_command(app))
    return found


SAMPLES: dict[type, list[Any]] = {
    str: ["", "x", "--", "Bulgaria", "ü"],
    int: ["0", "7", "-3", "-1", "007", "2024", "+5", " 5", "1_000", "5.0", "x", "", 12, 12.5, b"7"],
    float: ["0", "2.5", "-1", "007.50", "1e3", ".5", "nan", "x", 30, 2.5, True],
    bool: [True, False, "yes", "0", ""],
    Path: ["a", "./b/", "", "~/c", Path("d")],
}


def _outcome(coercion: Any, value: Any, param: Any) -> tuple[str, Any]:
    try:
        result = coercion.coerce(value, param=param, ctx=None)
    except Exception as exc:  # the message a person reads is what must agree
        return ("error", f"{type(exc).__name__}: {exc}")
    return ("value", (type(result).__name__, repr(result)))  # repr: nan equals nan


@pytest.mark.parametrize("leaf", list(SAMPLES), ids=lambda t: t.__name__)
def test_plain_coercion_agrees_with_typer(leaf: type) -> None:
    """Every option and argument of that type reads each sample as Typer's own coercion does:
    the same value of the same type, or the same error."""
    from typer._coercion import build_runtime_param

    params = [p for p in _typer_params() if plain_coercion(p) is not None]
    of_type = [p for p in params if plain_coercion(p).leaf is leaf]  # type: ignore[union-attr]
    assert of_type, f"no factdb option of type {leaf.__name__}"
    for param in of_type:
        ours = plain_coercion(param)
        assert isinstance(ours, PlainCoercion)
        theirs = build_runtime_param(param.type_descriptor)
        values: list[Any] = [None]
        for sample in SAMPLES[leaf]:
            values.append((sample,) if ours.many else sample)
        for value in values:
            assert _outcome(ours, value, param) == _outcome(theirs, value, param), (
                param.name,
                value,
            )


def test_every_factdb_parameter_gets_the_plain_coercion() -> None:
    """A new option of another type would load Pydantic on its command: give it a leaf here
    or accept the cost knowingly."""
    missing = [p.name for p in _typer_params() if plain_coercion(p) is None]
    assert missing == []


#: the modules of commands and sub-apps that ``factdb report`` does not run
OTHER_COMMANDS = (
    "factdb.cli.catalog",
    "factdb.cli.check",
    "factdb.cli.db",
    "factdb.cli.export",
    "factdb.cli.history",
    "factdb.cli.imports",
    "factdb.cli.query",
    "factdb.cli.seed",
    "factdb.cli.serve",
    "factdb.comtrade",
)


def test_a_report_builds_only_its_own_commands(
    readable: Engine, db_url: str, tmp_path: Path
) -> None:
    """The root builds a command group when it is named: a report imports no other command's
    module (``import`` alone pulled in the Comtrade header tables)."""
    loaded = _loaded([["report", "briefing"], ["report", "trade"]], db_url, tmp_path)
    assert "factdb.cli.report" in loaded
    assert _under(loaded, *OTHER_COMMANDS) == []
