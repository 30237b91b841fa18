"""The network drawn as Mermaid and dot, from edges alone."""

from __future__ import annotations

from dataclasses import dataclass

from factdb.render_graph import render_graph


@dataclass(frozen=True)
class _Edge:
    source: str
    target: str
    label: str
    via: str


EDGES = [
    _Edge("Bulgaria", "Japan", "signed with", "joint-statement"),
    _Edge("Japan", 'The "Fund"', "funds", "grant\\1"),
]


def test_mermaid_names_each_node_once() -> None:
    edges = [*EDGES[:1], _Edge("Japan", "Bulgaria", "met", "summit")]
    assert render_graph(edges, "mermaid") == (
        "graph LR\n"
        '    n0["Bulgaria"] -->|"signed with: joint-statement"| n1["Japan"]\n'
        '    n1["Japan"] -->|"met: summit"| n0["Bulgaria"]\n'
    )


def test_dot_escapes_quotes_and_backslashes() -> None:
    text = render_graph(EDGES, "dot")
    assert text.startswith("digraph factdb {\n    rankdir=LR;\n") and text.endswith("}\n")
    assert '"Japan" -> "The \\"Fund\\"" [label="funds: grant\\\\1"];' in text
