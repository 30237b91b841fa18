"""``--help`` reads as a person expects: an example in every command, metavars that are words,
``-h`` everywhere, shell completion on, and the options of ``factdb seed`` in its own help."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from factdb.cli import app
from factdb.cli.reference import command_paths, help_text

PATHS = command_paths()
# Typer's type tags (<str>, <list[Path]>) and click's {name} placeholders are not words.
TYPE_TAG = re.compile(r"<[^>\s]+>|\{[a-z_]+\}")


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "factdb" for p in PATHS])
def test_help_has_an_example_and_word_metavars(path: list[str]) -> None:
    text = help_text(path)
    assert not TYPE_TAG.findall(text), f"factdb {' '.join(path)}: {TYPE_TAG.findall(text)}"
    lines = text.splitlines()
    examples = [i for i, line in enumerate(lines) if line.strip().startswith("Example")]
    assert examples, f"factdb {' '.join(path)} --help has no example"
    after = [line.strip() for line in lines[examples[0] + 1 :] if line.strip()]
    assert after and after[0].startswith("factdb"), f"factdb {' '.join(path)}: {after[:1]}"


@pytest.mark.parametrize("path", PATHS, ids=[" ".join(p) or "factdb" for p in PATHS])
def test_dash_h_is_help(path: list[str]) -> None:
    result = CliRunner().invoke(app, [*path, "-h"], prog_name="factdb")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_shell_completion_is_on() -> None:
    text = help_text([])
    assert "--install-completion" in text and "--show-completion" in text


def test_seed_help_shows_the_load_options() -> None:
    text = help_text(["seed"])
    assert "--dry-run" in text and "PATH" in text and "schema" in text
