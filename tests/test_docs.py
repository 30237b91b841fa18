"""Every command has help, and docs/cli.md is what --help says."""

from __future__ import annotations

from pathlib import Path

from factdb.cli.reference import cli_reference, command_paths, help_text

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_command_has_help() -> None:
    for path in command_paths():
        text = help_text(path)
        lines = [line for line in text.splitlines() if line.strip()]
        assert len(lines) >= 2, f"factdb {' '.join(path)} has no help"
        assert lines[1].strip(), f"factdb {' '.join(path)} has no description"


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
