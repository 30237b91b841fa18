"""Strict YAML reading with positions: no duplicate keys and no YAML 1.1 surprises.

Returns plain Python data plus a map from each value's path to its line and column, so later
validation errors can name ``file:line:column``. Pure: no database here. Input is hostile until
read: a fact file is capped in size, nesting depth is capped, and anchors, aliases and tags
are refused (an alias bomb expands a few hundred bytes into gigabytes; fact files need none).
It must not open anything but regular files, and never block on one.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer, ComposerError
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.scalarfloat import ScalarFloat
from ruamel.yaml.scalarint import ScalarInt

Path_ = tuple[str | int, ...]

#: the largest fact file read (bytes); larger ones are refused before parsing
MAX_FACT_FILE_BYTES = 20 * 1024 * 1024
#: the deepest nesting of mappings and lists; fact files need about six levels
MAX_DEPTH = 64


class _StrictComposer(Composer):  # type: ignore[misc]
    """Refuses anchors, aliases and explicit tags where they occur, before anything expands."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            raise ComposerError(
                None,
                None,
                f"aliases (*{event.anchor}) are not allowed in fact files: write the value out",
                event.start_mark,
            )
        if getattr(event, "anchor", None) is not None:
            raise ComposerError(
                None,
                None,
                f"anchors (&{event.anchor}) are not allowed in fact files: write values out",
                event.start_mark,
            )
        tag = getattr(event, "tag", None)
        if tag is not None:
            tag = str(tag).replace("tag:yaml.org,2002:", "!!")
            raise ComposerError(
                None,
                None,
                f"YAML tags ({tag}) are not allowed in fact files: remove the tag",
                event.start_mark,
            )
        return super().compose_node(parent, index)


class _StrictConstructor(RoundTripConstructor):  # type: ignore[misc]
    """Keeps an impossible date (2013-02-30) as text, so the schema names its field."""

    def construct_yaml_timestamp(self, node: Any, values: Any = None) -> Any:
        try:
            return super().construct_yaml_timestamp(node, values)
        except ValueError:
            return str(node.value)


_StrictConstructor.add_constructor(
    "tag:yaml.org,2002:timestamp", _StrictConstructor.construct_yaml_timestamp
)


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
    yaml.Composer = _StrictComposer
    yaml.Constructor = _StrictConstructor
    yaml.max_depth = MAX_DEPTH
    try:
        raw = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(exc.problem or exc.context or "invalid YAML").split())
        if "duplicate key" in message:
            message = message.replace("found duplicate key", "duplicate key")
        if "maximum depth" in message:
            message = f"nested more than {MAX_DEPTH} levels deep"
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
            if isinstance(key, str) and "\x00" in key:
                problems.append(doc.problem(child, "NUL characters are not allowed in keys"))
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
        if "\x00" in node:
            problems.append(doc.problem(path, "NUL characters (\\0) are not allowed in text"))
        return str(node)
    if isinstance(node, dt.date):
        return node
    if isinstance(node, int):
        return int(node)
    problems.append(doc.problem(path, f"unsupported YAML value {node!r}"))
    return None


def read_regular_file(path: Path, limit: int, *, follow_symlinks: bool = True) -> bytes:
    """The bytes of ``path``, which must be a regular file of at most ``limit`` bytes.

    Checked before reading and again on the open descriptor, and opened non-blocking, so a
    FIFO, a device or a file swapped in meanwhile can neither hang nor flood the reader.
    Without ``follow_symlinks`` a path that is (or became) a symbolic link is refused.
    Raises ``ValueError`` with a message for the user, ``OSError`` when it cannot be read.
    """
    _check_regular(os.stat(path, follow_symlinks=follow_symlinks), limit)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    if not follow_symlinks:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        _check_regular(os.fstat(handle.fileno()), limit)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"larger than the limit of {limit // (1024 * 1024)} MB")
    return data


def _check_regular(info: os.stat_result, limit: int) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise ValueError("not a regular file (a link, device, FIFO, socket or directory)")
    if info.st_size > limit:
        raise ValueError(
            f"{info.st_size} bytes, larger than the limit of {limit // (1024 * 1024)} MB"
        )


def read_file(path: Path) -> tuple[Document | None, list[Problem]]:
    """Read and parse one fact file."""
    try:
        raw = read_regular_file(path, MAX_FACT_FILE_BYTES)
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(str(path), 1, 1, "", f"not UTF-8 text: {exc.reason}")]
    except ValueError as exc:
        return None, [Problem(str(path), 1, 1, "", f"fact file refused: {exc}")]
    except OSError as exc:
        return None, [Problem(str(path), 1, 1, "", f"cannot read: {exc.strerror}")]
    return read_yaml(text, str(path))
