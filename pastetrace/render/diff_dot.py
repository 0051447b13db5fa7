"""A diff as one Graphviz picture: both deployments' graphs in one, coloured by what changed.

Added nodes and edges are green, removed ones red and dashed, changed yellow, moved filters
blue; everything else is grey, so the eye goes to the changes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._common import caption, clusters, edge_text
from .dot import cluster_lines, quote

if TYPE_CHECKING:
    import networkx as nx

    from ..diff import Diff

__all__ = ["COLORS", "diff_to_dot"]

# status → (line colour, fill colour)
COLORS = {
    "added": ("#16a34a", "#dcfce7"),
    "removed": ("#dc2626", "#fee2e2"),
    "changed": ("#ca8a04", "#fef9c3"),
    "moved": ("#2563eb", "#dbeafe"),
    "same": ("#94a3b8", "#ffffff"),
}


def diff_to_dot(diff: Diff, old_graph: nx.DiGraph, new_graph: nx.DiGraph) -> str:
    """DOT source for the union of both graphs (see :func:`pastetrace.diff.union_graph`)."""
    from ..diff import union_graph

    graph = union_graph(diff, old_graph, new_graph)
    notes = _notes(diff)
    lines = [
        "digraph pastetrace_diff {",
        '  graph [rankdir=LR fontname="Helvetica" fontsize=11 newrank=true '
        f"label={quote(_title(diff))} labelloc=t];",
        '  node [shape=box style="rounded,filled" fontname="Helvetica" fontsize=10];',
        '  edge [fontname="Helvetica" fontsize=9];',
    ]
    top, loose = clusters(graph)
    counter = iter(range(1 << 30))

    def node_line(node: str, indent: str) -> str:
        return _node_line(graph, node, notes, indent)

    for box in top:
        lines.extend(cluster_lines(box, node_line, counter, "  "))
    lines.extend(node_line(node, "  ") for node in loose)
    for source, target, data in graph.edges(data=True):
        lines.append(_edge_line(source, target, data))
    lines.append("}")
    return "\n".join(lines) + "\n"


def _title(diff: Diff) -> str:
    counts = diff.summary()
    parts = ", ".join(f"{counts[s]} {s}" for s in ("added", "removed", "changed", "moved"))
    return f"{diff.old.name} → {diff.new.name}: {parts}"


def _notes(diff: Diff) -> dict[str, str]:
    """Section header → its changes as text (a tooltip on the node)."""
    return {
        section: "\n".join(change.message for change in changes)
        for section, changes in diff.by_section().items()
    }


def _node_line(graph: nx.DiGraph, node: str, notes: dict[str, str], indent: str) -> str:
    data: dict[str, Any] = graph.nodes[node]
    status = str(data.get("diff", "same"))
    line, fill = COLORS[status]
    text = caption(node, data)
    if status != "same":
        text.append(f"({status})")
    attrs = [
        f"label={quote(chr(10).join(text))}",
        f'color="{line}" fillcolor="{fill}"',
    ]
    if status == "removed":
        attrs.append('style="rounded,filled,dashed"')
    if status != "same":
        attrs.append("penwidth=2")
    note = notes.get(str(data.get("section"))) if data.get("owner") is None else None
    if note:
        attrs.append(f"tooltip={quote(note)}")
    return f"{indent}{quote(node)} [{' '.join(attrs)}];"


def _edge_line(source: str, target: str, data: dict[str, Any]) -> str:
    status = str(data.get("diff", "same"))
    attrs = [f'color="{COLORS[status][0]}"']
    text = edge_text(data)
    if text:
        attrs.append(f"label={quote(text)}")
    if status == "removed" or data.get("dropped"):
        attrs.append("style=dashed")
    if status != "same":
        attrs.append(f'penwidth=2 fontcolor="{COLORS[status][0]}"')
    return f"  {quote(source)} -> {quote(target)} [{' '.join(attrs)}];"
