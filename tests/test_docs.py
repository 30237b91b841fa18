"""Every command has help, and docs/cli.md is what --help says."""

from __future__ import annotations

from pathlib import Path

from factdb.cli.reference import cli_reference, command_paths, help_text

DOCS = Path(__file__).resolve().parent.parent / "docs"


def _description(text: str) -> str:
    """The first line of a --help text after its usage: the command's own description, or
    what stands there instead (a section heading such as ``Options:``) when it has none."""
    lines = [line for line in text.splitlines() if line.strip()]
    after_usage = [line for line in lines[1:] if not line.startswith(" " * 4)]
    return after_usage[0] if after_usage else ""


def _is_description(line: str) -> bool:
    """An indented sentence of a few words, not a section heading."""
    words = line.split()
    return line.startswith("  ") and not line.rstrip().endswith(":") and len(words) >= 3


def test_every_command_has_help() -> None:
    for path in command_paths():
        line = _description(help_text(path))
        assert _is_description(line), f"factdb {' '.join(path)} has no description: {line!r}"


def test_a_command_without_a_docstring_has_no_description() -> None:
    """The check above is not idle: a command without a docstring fails it."""
    from typer.testing import CliRunner

    from factdb.cli._common import new_app

    app = new_app("Commands for a test.")

    @app.command()
    def bare(name: str = "x") -> None:
        pass

    @app.command()
    def described(name: str = "x") -> None:
        """Say what this does, in a sentence."""

    runner = CliRunner()
    bare_help = runner.invoke(app, ["bare", "--help"], terminal_width=100).output
    described_help = runner.invoke(app, ["described", "--help"], terminal_width=100).output
    assert not _is_description(_description(bare_help)), bare_help
    assert _is_description(_description(described_help)), described_help


def test_cli_reference_is_current() -> None:
    assert (DOCS / "cli.md").read_text(encoding="utf-8") == cli_reference(), (
        "docs/cli.md is stale: run `python -m factdb.cli.reference > docs/cli.md`"
    )


def test_every_command_is_documented() -> None:
    reference = (DOCS / "cli.md").read_text(encoding="utf-8")
    for path in command_paths():
        assert f"## `{' '.join(['factdb', *path])}`" in reference


def test_every_report_field_is_documented() -> None:
    import dataclasses

    from factdb.reports.briefing import BriefingLine, SourceEntry
    from factdb.reports.claims import RelationRow
    from factdb.reports.entity import EntityEventRow, EntityReport, RoleRow
    from factdb.reports.evidence import EvidenceRow
    from factdb.reports.network import Edge
    from factdb.reports.reconcile import ReconcileRow
    from factdb.reports.timeline import TimelineRow
    from factdb.reports.trade import TradeRow

    text = (DOCS / "reports.md").read_text(encoding="utf-8")
    rows = [
        BriefingLine,
        SourceEntry,
        RelationRow,
        EntityEventRow,
        EntityReport,
        RoleRow,
        EvidenceRow,
        Edge,
        ReconcileRow,
        TimelineRow,
        TradeRow,
    ]
    missing = [
        f"{row.__name__}.{field.name}"
        for row in rows
        for field in dataclasses.fields(row)
        if f"`{field.name}`" not in text
    ]
    assert missing == []
