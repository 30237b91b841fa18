"""Option values turned into str, int, float, bool and Path without Pydantic.

Typer coerces every option value through a Pydantic ``TypeAdapter``; importing Pydantic
costs a read command about a third of what importing ``sqlalchemy.orm`` does. factdb's options
are plain strings, whole numbers, decimals and paths, so each parameter gets a coercion that
converts well-formed values the way Typer does and hands anything else (a malformed or
out-of-range number, bytes, a flag given as text) to Typer's own coercion, which then says
what is wrong in Typer's words. It must not change what a value becomes, only how quickly.

It leans on Typer internals (``_runtime_param``, ``type_descriptor``); where those are absent
it leaves the parameter to Typer, so a Typer upgrade makes commands slower, never wrong
(tests/test_imports.py notices the slowdown).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_INT = re.compile(r"-?[0-9]{1,18}")
_FLOAT = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,15})?")
#: leaf types converted here; any other annotation stays with Typer
_LEAVES = (str, int, float, bool, Path)
#: what ``_leaf`` returns for a value this module does not convert: Typer's coercion takes it
_UNKNOWN: Any = object()


class PlainCoercion:
    """Coerce one parameter's values (or list of values) of a type in ``_LEAVES``."""

    def __init__(
        self, leaf: type, many: bool, low: float | None = None, high: float | None = None
    ) -> None:
        self.leaf = leaf
        self.many = many
        self.low, self.high = low, high  # a number outside gets Typer's message
        self._typer: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        """What Typer's ``RuntimeParam.coerce`` returns for ``value``."""
        multi = param.multiple or param.nargs == -1
        if value is None:
            return () if multi else None
        if self.many and isinstance(value, (list, tuple)) and multi:
            items = [self._leaf(item, param, ctx) for item in value]
            if not any(item is _UNKNOWN for item in items):
                return items
        elif not self.many and not multi:
            result = self._leaf(value, param, ctx)
            if result is not _UNKNOWN:
                return result
        return self._typer_coercion(param).coerce(value, param=param, ctx=ctx)

    def _leaf(self, value: Any, param: Any, ctx: Any) -> Any:
        leaf = self.leaf
        if type(value) is leaf:
            if isinstance(value, Path):
                return _checked_path(value, param, ctx)
            return self._in_range(value) if leaf in (int, float) else value
        if not isinstance(value, str):
            if leaf is float and type(value) is int:
                return self._in_range(float(value))
            return _UNKNOWN
        if leaf is str:
            return value
        if leaf is bool:
            return _UNKNOWN  # "yes", "0", "": Typer's rules
        if leaf is int and _INT.fullmatch(value):
            return self._in_range(int(value))
        if leaf is float and _FLOAT.fullmatch(value):
            return self._in_range(float(value))
        if leaf is Path and value:
            return _checked_path(Path(value), param, ctx)
        return _UNKNOWN

    def _in_range(self, number: Any) -> Any:
        if (self.low is not None and number < self.low) or (
            self.high is not None and number > self.high
        ):
            return _UNKNOWN
        return number

    def _typer_coercion(self, param: Any) -> Any:
        if self._typer is None:
            from typer._coercion import build_runtime_param

            self._typer = build_runtime_param(param.type_descriptor)
        return self._typer


def _checked_path(value: Path, param: Any, ctx: Any) -> Any:
    """A path checked against the option's ``exists=``/``dir_okay=`` ... as Typer checks it."""
    from typer._param_types import coerce_cli_path

    info = param.type_descriptor.parameter_info
    return coerce_cli_path(value, info, path_type=info.path_type or Path, param=param, ctx=ctx)


def plain_coercion(param: Any) -> PlainCoercion | None:
    """The coercion for ``param`` when its type is one this module converts, else None."""
    descriptor = getattr(param, "type_descriptor", None)
    info = getattr(descriptor, "parameter_info", None)
    if descriptor is None or info is None or descriptor.file_annotation is not None:
        return None
    if info.parser is not None or getattr(info, "click_type", None) is not None:
        return None
    if info.clamp:
        return None
    annotation = descriptor.annotation
    many = getattr(annotation, "__origin__", None) is list
    leaf = annotation.__args__[0] if many else annotation
    if leaf not in _LEAVES or (leaf is Path and info.path_type not in (None, Path)):
        return None
    if (info.min is not None or info.max is not None) and leaf not in (int, float):
        return None
    return PlainCoercion(leaf, many, info.min, info.max)


def install_in(command: Any) -> None:
    """Give every parameter of ``command`` and its ``--help`` option (which Typer builds while
    parsing) the Pydantic-free coercion."""
    for param in getattr(command, "params", []):
        install(param)
    built = getattr(command, "get_help_option", None)
    if built is None or getattr(built, "_plain_coercion", False):
        return

    def get_help_option(ctx: Any) -> Any:
        option = built(ctx)
        if option is not None:
            install(option)
        return option

    get_help_option._plain_coercion = True  # type: ignore[attr-defined]
    command.get_help_option = get_help_option


def install(param: Any) -> None:
    """Give ``param`` the Pydantic-free coercion, unless Typer already built one."""
    if getattr(param, "_runtime_param", "absent") is not None:
        return
    coercion = plain_coercion(param)
    if coercion is not None:
        param._runtime_param = coercion
