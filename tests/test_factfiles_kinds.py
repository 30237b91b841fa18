"""The fact-kind registry is the only list of fact kinds, and everything else agrees with it."""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import get_origin

import sqlalchemy as sa
from sqlalchemy.engine import Engine

import factdb
from factdb.factfiles.schema import FactFile
from factdb.factfiles.validate import SPEC_OF_KIND, fact_paths
from factdb.factkinds import BY_NAME, FACT_KINDS, FACT_REF_PATTERN, OWNED, SLUGGED, kind_at
from factdb.models import Evidence

PACKAGE = Path(factdb.__file__).parent


def _fact_foreign_keys() -> dict[str, str]:
    """Evidence column -> the table it points at, for every column but the source's."""
    return {
        fk.parent.name: fk.column.table.name
        for fk in Evidence.__table__.foreign_keys
        if fk.parent.name != "source_id"
    }


def test_every_evidence_fact_column_is_a_registered_kind() -> None:
    assert _fact_foreign_keys() == {k.evidence_column: k.table for k in FACT_KINDS}


def test_every_kind_has_its_model_and_columns() -> None:
    for kind in FACT_KINDS:
        table = kind.model.__table__
        assert table.name == kind.table
        assert ("slug" in table.c) == kind.has_slug, kind.name
    for kind in OWNED:
        assert "source_id" in kind.model.__table__.c, kind.name


def _check_columns(sqltext: str) -> set[str]:
    return set(re.findall(r"\b(\w+_id)\b", sqltext))


def test_the_exactly_one_fact_check_names_the_registry_columns(migrated: Engine) -> None:
    """The model's CHECK and the one the migrations built, on each backend."""
    wanted = {kind.evidence_column for kind in FACT_KINDS}
    (model_check,) = [
        c
        for c in Evidence.__table__.constraints
        if isinstance(c, sa.CheckConstraint) and str(c.name) == "ck_evidence_exactly_one_fact"
    ]
    assert _check_columns(str(model_check.sqltext)) == wanted
    checks = {
        c["name"]: c["sqltext"] for c in sa.inspect(migrated).get_check_constraints("evidence")
    }
    assert _check_columns(checks["ck_evidence_exactly_one_fact"]) == wanted


def test_fact_file_sections_are_the_registry_sections() -> None:
    top = {k.section[0] for k in FACT_KINDS if len(k.section) == 1}
    lists = {
        name
        for name, info in FactFile.model_fields.items()
        if get_origin(info.annotation) is list and name != "supports"
    }
    assert lists == top
    assert {kind.name for kind in SLUGGED} <= {k.name for k in FACT_KINDS if len(k.section) == 1}
    assert set(SPEC_OF_KIND) == set(BY_NAME)
    for name, spec in SPEC_OF_KIND.items():
        assert "quote" in spec.model_fields, name


def test_fact_paths_name_a_kind_for_every_fact() -> None:
    spec = FactFile.model_validate(
        {
            "factdb": 1,
            "source": {"slug": "s", "kind": "article"},
            "entities": [{"slug": "a", "kind": "country", "name": "A"}],
            "events": [
                {
                    "slug": "e",
                    "kind": "meeting",
                    "title": "E",
                    "quote": "q",
                    "participants": [{"entity": "a", "role": "host", "quote": "q"}],
                }
            ],
        }
    )
    kinds = [getattr(kind_at(path), "name", None) for path, _ in fact_paths(spec)]
    assert kinds == ["entity", "event", "participant"]


def test_supports_pattern_accepts_every_kind() -> None:
    for kind in FACT_KINDS:
        key = "e/a/host" if not kind.has_slug else "some-slug"
        assert re.match(FACT_REF_PATTERN, f"{kind.name}:{key}"), kind.name
    assert not re.match(FACT_REF_PATTERN, "planet:mars")


def _literals_listing_kinds(tree: ast.AST, words: set[str]) -> list[int]:
    """Lines of tuple, list, set or dict literals whose elements (a dict's keys or values) are
    mostly ``words``, three or more of them: a table of kinds. A long dict that merely has
    a column called ``event`` or ``role`` among many others is no such table."""
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            groups = [[k for k in node.keys if k is not None], node.values]
        elif isinstance(node, ast.Tuple | ast.List | ast.Set):
            groups = [node.elts]
        else:
            continue
        for elements in groups:
            found = {
                e.value
                for e in elements
                if isinstance(e, ast.Constant) and isinstance(e.value, str) and e.value in words
            }
            if len(found) >= 3 and 2 * len(found) >= len(elements):
                lines.append(node.lineno)
                break
    return lines


def test_no_module_but_the_registry_lists_the_kinds() -> None:
    """Kind names or evidence columns spelt out together anywhere else are a second registry."""
    names = {kind.name for kind in FACT_KINDS}
    columns = {kind.evidence_column for kind in FACT_KINDS}
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name == "factkinds.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for words in (names, columns):
            found += [f"{path}:{line}" for line in _literals_listing_kinds(tree, words)]
    assert found == [], "derive these from factdb.factkinds.FACT_KINDS"


def test_the_listing_check_sees_a_second_registry() -> None:
    """The scan above is not blind: it flags the shape the old code had."""
    tree = ast.parse('KINDS = {"entity": 1, "role": 2, "trade": 3}\nX = ("role", "roles")\n')
    assert _literals_listing_kinds(tree, {k.name for k in FACT_KINDS}) == [1]
