"""Draw a network of edges as a Mermaid flowchart or a Graphviz dot graph.

The graph formats of ``factdb report network``. Part of the rendering layer: knows nothing of
queries (an edge is anything with ``source``, ``target``, ``label`` and ``via``) and imports
nothing heavy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

GRAPH_FORMATS = ("mermaid", "dot")


class GraphEdge(Protocol):
    """What a drawn edge needs: its two ends, what it is, and what it comes from."""

    @property
    def source(self) -> str: ...
    @property
    def target(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def via(self) -> str: ...


def _node_id(name: str, ids: dict[str, str]) -> str:
    return ids.setdefault(name, f"n{len(ids)}")


def to_mermaid(edges: Sequence[GraphEdge]) -> str:
    ids: dict[str, str] = {}
    lines = ["graph LR"]
    for e in edges:
        a, b = _node_id(e.source, ids), _node_id(e.target, ids)
        lines.append(f'    {a}["{e.source}"] -->|"{e.label}: {e.via}"| {b}["{e.target}"]')
    return "\n".join(lines) + "\n"


def to_dot(edges: Sequence[GraphEdge]) -> str:
    def q(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = ["digraph factdb {", "    rankdir=LR;"]
    for e in edges:
        lines.append(f"    {q(e.source)} -> {q(e.target)} [label={q(e.label + ': ' + e.via)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_graph(edges: Sequence[GraphEdge], fmt: str) -> str:
    """``fmt`` is one of ``GRAPH_FORMATS`` (the command checked the user's value already)."""
    if fmt not in GRAPH_FORMATS:
        raise ValueError(f"not a graph format: {fmt!r}")
    return to_mermaid(edges) if fmt == "mermaid" else to_dot(edges)
