"""Generate docs/cli.md from the commands' own --help, so the reference cannot drift.

Run ``python -m factdb.cli.reference > docs/cli.md``; ``tests/test_docs.py`` fails when the file
and the commands disagree.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner


def _commands(group: Any, path: list[str]) -> Iterator[list[str]]:
    yield path
    if not hasattr(group, "list_commands"):
        return
    ctx = typer.Context(group)
    for name in sorted(group.list_commands(ctx)):
        command = group.get_command(ctx, name)
        if getattr(command, "hidden", False):
            continue
        yield from _commands(command, [*path, name])


def command_paths() -> list[list[str]]:
    """Every command and group below ``factdb``, e.g. ["db", "upgrade"]."""
    from factdb.cli import app

    return list(_commands(typer.main.get_command(app), []))


def help_text(path: list[str]) -> str:
    from factdb.cli import app

    result = CliRunner().invoke(app, [*path, "--help"], prog_name="factdb", terminal_width=100)
    if result.exit_code != 0:
        raise RuntimeError(f"factdb {' '.join(path)} --help failed: {result.output}")
    return result.output.rstrip() + "\n"


def cli_reference() -> str:
    parts = [
        "# Command-line reference\n\n",
        "Generated from `--help` by `python -m factdb.cli.reference > docs/cli.md`; "
        "a test fails when it drifts.\n",
    ]
    for path in command_paths():
        title = " ".join(["factdb", *path])
        parts.append(f"\n## `{title}`\n\n```text\n{help_text(path)}```\n")
    return "".join(parts)


if __name__ == "__main__":
    print(cli_reference(), end="")
