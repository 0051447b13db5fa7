"""A diff as Mermaid ``flowchart LR``: both graphs in one, with a classDef per kind of change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._common import caption, clusters, edge_text
from .mermaid import escape, subgraph_lines

if TYPE_CHECKING:
    import networkx as nx

    from ..diff import Diff

__all__ = ["diff_to_mermaid"]

_CLASSES = {
    "added": "fill:#dcfce7,stroke:#16a34a,stroke-width:2px",
    "removed": "fill:#fee2e2,stroke:#dc2626,stroke-width:2px,stroke-dasharray:4",
    "changed": "fill:#fef9c3,stroke:#ca8a04,stroke-width:2px",
    "moved": "fill:#dbeafe,stroke:#2563eb,stroke-width:2px",
    "same": "fill:#ffffff,stroke:#94a3b8",
}
_EDGE_COLORS = {"added": "#16a34a", "removed": "#dc2626", "changed": "#ca8a04"}


def diff_to_mermaid(diff: Diff, old_graph: nx.DiGraph, new_graph: nx.DiGraph) -> str:
    """Mermaid source; nodes are classed ``added``/``removed``/``changed``/``moved``/``same``
    and changed edges get a ``linkStyle`` in their colour."""
    from ..diff import union_graph

    graph = union_graph(diff, old_graph, new_graph)
    ids = {node: f"n{i}" for i, node in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    top, loose = clusters(graph)
    counter = iter(range(1 << 30))

    def node_line(node: str, indent: str) -> str:
        return _node(graph, node, ids, indent)

    for box in top:
        lines.extend(subgraph_lines(box, node_line, counter, "  "))
    lines.extend(node_line(node, "  ") for node in loose)
    styles: list[str] = []
    for i, (source, target, data) in enumerate(graph.edges(data=True)):
        status = str(data.get("diff", "same"))
        arrow = "-.->" if status == "removed" or data.get("dropped") else "-->"
        text = edge_text(data)
        label = f'|"{escape(text)}"|' if text else ""
        lines.append(f"  {ids[source]} {arrow}{label} {ids[target]}")
        if status in _EDGE_COLORS:
            styles.append(f"  linkStyle {i} stroke:{_EDGE_COLORS[status]},stroke-width:2px")
    lines.extend(styles)
    by_status: dict[str, list[str]] = {}
    for node, status in graph.nodes(data="diff"):
        by_status.setdefault(str(status or "same"), []).append(ids[node])
    for status, members in by_status.items():
        lines.append(f"  classDef {status} {_CLASSES[status]}")
        lines.append(f"  class {','.join(members)} {status}")
    return "\n".join(lines) + "\n"


def _node(graph: nx.DiGraph, node: str, ids: dict[str, str], indent: str) -> str:
    data: dict[str, Any] = graph.nodes[node]
    text = caption(node, data)
    status = data.get("diff", "same")
    if status != "same":
        text.append(f"({status})")
    return f'{indent}{ids[node]}["{escape(chr(10).join(text))}"]'
