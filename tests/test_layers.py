"""The layers of the package, as README's "Architecture" draws them: no import runs back up.

- ``factdb.cli`` (the command line) may import anything;
- rendering (``render``, ``render_graph``, ``charts``) knows nothing of queries or the CLI;
- the library (reports, factfiles, comtrade, sql, search, serve, export, ...) never imports the
  CLI or the rendering layer;
- the pure base (``vocabulary``, ``factkinds``, ``errors``, ``config``, ``catalog``,
  ``dates``) imports nothing but the standard library and each other when it is imported, so
  parsers, option checks and ``--help`` stay light.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "factdb"
PURE = {"vocabulary", "factkinds", "errors", "config", "catalog", "dates"}
RENDERING = {"render", "render_graph", "charts"}
HEAVY = ("sqlalchemy", "alembic", "pydantic", "rich", "typer", "ruamel", "psycopg")


def _module(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _imports(path: Path, names: bool = False) -> set[str]:
    """Every module ``path`` imports, at any depth (function-level imports included); with
    ``names``, ``from m import x`` counts as ``m.x`` instead of ``m``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if names:
                found |= {f"{node.module}.{alias.name}" for alias in node.names}
            else:
                found.add(node.module)
    return found


def _top_level_imports(path: Path) -> set[str]:
    """What importing ``path`` imports (a function may import more when it is called)."""
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.If):  # `if TYPE_CHECKING:` imports nothing at run time
            continue
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def _files() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "_migrations" not in p.parts)


def test_nothing_below_the_cli_imports_it() -> None:
    offenders = [
        f"{_module(p)} imports {name}"
        for p in _files()
        if not _module(p).startswith(("factdb.cli", "factdb.__main__"))
        for name in _imports(p)
        if name.startswith("factdb.cli")
    ]
    assert offenders == []


def test_the_library_does_not_import_the_rendering_layer() -> None:
    offenders = [
        f"{_module(p)} imports {name}"
        for p in _files()
        if not _module(p).startswith(("factdb.cli", "factdb.__main__"))
        and _module(p).split(".")[-1] not in RENDERING
        for name in _imports(p)
        if name.split(".")[:2] in (["factdb", r] for r in RENDERING)
    ]
    assert offenders == []


def test_the_pure_base_imports_nothing_heavy() -> None:
    offenders = []
    for name in PURE:
        path = PACKAGE / f"{name}.py"
        for imported in _top_level_imports(path):
            if imported.startswith(HEAVY):
                offenders.append(f"factdb.{name} imports {imported}")
            if imported.startswith("factdb") and imported.split(".")[1] not in PURE:
                offenders.append(f"factdb.{name} imports {imported}")
    assert offenders == []


def test_parsers_do_not_load_the_orm() -> None:
    """The fact-file schema and the Comtrade reader parse input without SQLAlchemy."""
    import subprocess
    import sys

    probe = (
        "import sys, factdb.factfiles.schema, factdb.comtrade.reader\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'alembic')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_errors_have_one_home() -> None:
    """Every exception a user can see is defined in factdb/errors.py, named after its failure."""
    import factdb.errors as errors

    ours = {
        name
        for name, value in vars(errors).items()
        if isinstance(value, type) and issubclass(value, Exception)
    }
    elsewhere = []
    for path in _files():
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if bases & ours or "Exception" in bases or "ValueError" in bases:
                    elsewhere.append(f"{_module(path)}.{node.name}")
    assert elsewhere == []


#: the modules that hold ORM classes; only writers and the whole-schema names import them
ORM_MODULES = (
    "factdb.models.base",
    *(
        f"factdb.models.{p.stem}"
        for p in sorted((PACKAGE / "models").glob("*.py"))
        if p.stem not in ("__init__", "base")
    ),
)


def test_reports_and_core_tables_never_import_the_orm() -> None:
    """Reports read the Core tables: neither they nor the tables import ``sqlalchemy.orm`` or an
    ORM class, at any depth (``models.Entity`` would build the mapper, so the reports take
    ``tables`` from ``factdb.models`` and nothing else)."""
    readers = [*sorted((PACKAGE / "reports").glob("*.py")), PACKAGE / "models/tables/__init__.py"]
    offenders = [
        f"{_module(p)} imports {name}"
        for p in readers
        for name in _imports(p, names=True)
        if name.startswith(("sqlalchemy.orm", *ORM_MODULES))
        or (name.startswith("factdb.models.") and not name.startswith("factdb.models.tables"))
        or name in ("factdb", "factdb.models")
    ]
    assert offenders == []


def test_orm_classes_annotate_exactly_their_tables_columns() -> None:
    """An ORM class maps a Core table; its ``Mapped[...]`` annotations (for type checkers) name
    exactly the table's mapped columns, optional exactly where the column is nullable."""
    from factdb.models import Base

    mismatches = []
    for mapper in Base.registry.mappers:
        cls, table = mapper.class_, mapper.local_table
        hints = {
            name: hint
            for name, hint in vars(cls).get("__annotations__", {}).items()
            if str(hint).startswith("Mapped[") and name not in mapper.relationships
        }
        columns = {c.name: c for c in table.c if c.name in mapper.columns}
        if set(hints) != set(columns):
            mismatches.append(f"{cls.__name__}: {sorted(set(hints) ^ set(columns))}")
            continue
        for name, column in columns.items():
            optional = str(hints[name]).removesuffix("]").endswith("| None")
            if optional != column.nullable:
                mismatches.append(f"{cls.__name__}.{name}: nullable {column.nullable}")
    assert mismatches == []
