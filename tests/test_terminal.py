"""Every command whose output differs on a terminal, run on a real pseudo-terminal at 80 and
200 columns and piped: nothing wider than the terminal, numbers and slugs whole, no traceback,
and stored text that reaches the terminal as text, never as markup or escape sequences."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import quickstart_file
from tests.terminal import run_in_terminal

#: command -> (arguments, words that must appear whole at any width: numbers, slugs)
COMMANDS: dict[str, tuple[list[str], list[str]]] = {
    "briefing": (["report", "briefing"], ["269,500,000.00", "124,100,000.00"]),
    "timeline": (["report", "timeline"], ["funding_commitment", "2025-05-20"]),
    "entity": (["report", "entity", "toyota"], ["toyota-insait-funding-commitment"]),
    "trade": (["report", "trade"], ["90,000,000.00", "124,100,000.00"]),
    "network": (["report", "network", "Toyota"], ["toyota-insait-funding-commitment"]),
    "claims": (["report", "claims"], ["security_interconnected_with"]),
    "evidence": (["report", "evidence", "--source", "mofa-japan-bulgaria-summit-2025"], []),
    "reconcile": (["report", "reconcile"], ["180,000,000.00"]),
    "sql": (
        ["sql", "SELECT source_slug, value, year FROM v_trade ORDER BY value_cents"],
        # v_trade.value is a REAL on SQLite: the number whole, never 2.695e+08.
        ["novinite-bulgaria-japan-trade-2024", "269500000.0"],
    ),
    "search": (["search", "toy*"], ["toyota-insait-funding-commitment"]),
    "tables": (["tables"], ["v_event_participants", "trade_derivations"]),
    "schema": (["tables", "v_trade"], ["commodity_label"]),
}

HOSTILE_NAME = "Evil [/x] [link=https://evil.example]click[/link] \x1b[31mRED\x1b]0;pwned\x07"


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One seeded SQLite database for the module, with an entity whose name is hostile."""
    path = quickstart_file(tmp_path_factory.mktemp("terminal") / "factdb.sqlite3")
    url = f"sqlite:///{path}"
    conn = sqlite3.connect(path)
    with conn:
        conn.execute(
            "INSERT INTO entities (slug, kind, name) VALUES ('hostile-co', 'company', ?)",
            (HOSTILE_NAME,),
        )
    conn.close()
    yield url


def env_for(url: str) -> dict[str, str]:
    return {"FACTDB_URL": url}


def check_output(text: str, width: int | None, words: list[str]) -> None:
    assert "Traceback" not in text
    if width is not None:
        too_wide = [line for line in text.splitlines() if len(line) > width]
        assert not too_wide, f"{len(too_wide)} lines wider than {width}: {too_wide[0]!r}"
    for word in words:
        assert word in text, f"{word!r} is not whole"


@pytest.mark.parametrize("width", [80, 200])
@pytest.mark.parametrize("name", list(COMMANDS))
def test_on_a_terminal(db: str, name: str, width: int) -> None:
    args, words = COMMANDS[name]
    run = run_in_terminal(*args, columns=width, env=env_for(db))
    assert run.exit_code == 0, run.text
    check_output(run.text, width, words)
    assert "\x1b[" in run.raw, "a terminal gets a rich table"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_piped(db: str, name: str) -> None:
    args, words = COMMANDS[name]
    done = subprocess.run(
        [sys.executable, "-m", "factdb", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env_for(db)},
    )
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "┃" not in done.stdout, "piped output stays plain"
    check_output(done.stdout, None, [w.replace(",", "") if name == "sql" else w for w in words])


@pytest.mark.parametrize(
    "args",
    [
        ["report", "entity", "hostile-co"],
        ["sql", "SELECT slug, name FROM v_entities WHERE slug = 'hostile-co'"],
        ["search", "Evil"],
        ["tables", "v_entities"],
    ],
    ids=["entity", "sql", "search", "schema"],
)
def test_stored_text_is_never_markup_or_control_codes(db: str, args: list[str]) -> None:
    run = run_in_terminal(*args, columns=120, env=env_for(db))
    assert run.exit_code == 0, run.text
    assert "Traceback" not in run.text
    assert "\x1b[31mRED" not in run.raw and "\x1b]0;" not in run.raw and "\x07" not in run.raw
    assert "evil.example\x1b" not in run.raw, "no hyperlink from stored markup"
    if args[0] != "tables":
        assert "[/x]" in run.text and "[link=https://evil.example]" in run.text
        assert "\\x1b[31mRED" in run.text


def test_markdown_and_plain_show_control_codes(db: str, tmp_path: Path) -> None:
    for fmt in ("table", "markdown"):
        done = subprocess.run(
            [sys.executable, "-m", "factdb", "report", "entity", "hostile-co", "-f", fmt],
            capture_output=True,
            text=True,
            env={**os.environ, **env_for(db)},
        )
        assert done.returncode == 0 and "\x1b" not in done.stdout
        assert "\\x1b[31mRED" in done.stdout
