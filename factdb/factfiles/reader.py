"""Strict YAML reading with positions: no duplicate keys and no YAML 1.1 surprises.

Returns plain Python data plus a map from each value's path to its line and column, so later
validation errors can name ``file:line:column``. Pure: no database here.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarint import ScalarInt

Path_ = tuple[str | int, ...]


@dataclass
class Problem:
    """One error in a fact file, printed as ``file:line:column: field.path: message``."""

    file: str
    line: int
    column: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.file}:{self.line}:{self.column}: {where}{self.message}"


@dataclass
class Document:
    """A parsed YAML file: plain data and the position of every key and value."""

    file: str
    data: Any
    positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

    def position(self, path: Path_) -> tuple[int, int]:
        """1-based line and column of ``path``, or of its nearest parent that has one."""
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, path: Path_, message: str) -> Problem:
        line, column = self.position(path)
        return Problem(self.file, line, column, dotted(path), message)


def dotted(path: Path_) -> str:
    """``("events", 2, "participants", 0, "entity")`` -> ``events[2].participants[0].entity``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_yaml(text: str, file: str) -> tuple[Document | None, list[Problem]]:
    """Parse ``text``; every problem found is returned, the document only when there is none."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        raw = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        if "duplicate key" in message:
            message = message.replace("found duplicate key", "duplicate key")
        return None, [Problem(file, line, column, "", message)]
    except YAMLError as exc:
        return None, [Problem(file, 1, 1, "", " ".join(str(exc).split()))]
    doc = Document(file, None, {(): (1, 1)})
    problems: list[Problem] = []
    doc.data = _plain(raw, (), doc, problems)
    return (None if problems else doc), problems


def _plain(node: Any, path: Path_, doc: Document, problems: list[Problem]) -> Any:
    """Copy ruamel's tree into plain types, recording positions and refusing ambiguous scalars."""
    if isinstance(node, CommentedMap):
        out: dict[str, Any] = {}
        for key, value in node.items():
            line, column = node.lc.value(key) if value is not None else node.lc.key(key)
            child = (*path, str(key))
            doc.positions[child] = (line + 1, column + 1)
            if not isinstance(key, str):
                kl, kc = node.lc.key(key)
                problems.append(
                    Problem(doc.file, kl + 1, kc + 1, dotted(path), f"key {key!r} must be text")
                )
            out[str(key)] = _plain(value, child, doc, problems)
        return out
    if isinstance(node, CommentedSeq):
        items = []
        for index, value in enumerate(node):
            line, column = node.lc.item(index)
            doc.positions[(*path, index)] = (line + 1, column + 1)
            items.append(_plain(value, (*path, index), doc, problems))
        return items
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, ScalarInt):
        # 01234, 0o17, 0x1F, 1_000: not a plain decimal; a code was probably meant.
        problems.append(
            doc.problem(
                path, "ambiguous number (leading zero, base prefix or underscore): quote it as text"
            )
        )
        return int(node)
    if isinstance(node, ScalarFloat | float):
        problems.append(
            doc.problem(
                path,
                f"decimal numbers must be quoted text to stay exact (write '{node}' as it "
                'appears in the source, e.g. value: "1.10")',
            )
        )
        return float(node)
    if isinstance(node, dt.datetime):
        problems.append(doc.problem(path, "a timestamp is not allowed here; write a date"))
        return node
    if isinstance(node, str):
        return str(node)
    if isinstance(node, dt.date):
        return node
    if isinstance(node, int):
        return int(node)
    problems.append(doc.problem(path, f"unsupported YAML value {node!r}"))
    return None


def read_file(path: Path) -> tuple[Document | None, list[Problem]]:
    """Read and parse one fact file."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(str(path), 1, 1, "", f"not UTF-8 text: {exc.reason}")]
    except OSError as exc:
        return None, [Problem(str(path), 1, 1, "", f"cannot read: {exc.strerror}")]
    return read_yaml(text, str(path))
