"""Mermaid ``flowchart LR`` source: paste it into a Markdown file or the Mermaid live editor."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._common import Cluster, caption, clusters, edge_text

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["escape", "to_mermaid"]

# Characters Mermaid would read as syntax inside a quoted label: written as entity codes.
_ENTITIES = {c: f"#{ord(c)};" for c in '#"<>&|`[]{}'}
_CLASSES = {
    "urlmap": "fill:#dbeafe,stroke:#3b82f6",
    "composite": "fill:#ede9fe,stroke:#8b5cf6",
    "pipeline": "fill:#fef3c7,stroke:#f59e0b",
    "filter": "fill:#dcfce7,stroke:#22c55e",
    "filter-app": "fill:#dcfce7,stroke:#22c55e",
    "app": "fill:#e0e7ff,stroke:#6366f1",
    "route": "fill:#f1f5f9,stroke:#64748b",
    "missing": "fill:#fee2e2,stroke:#dc2626,stroke-dasharray:4",
}


def escape(text: str) -> str:
    """Text safe inside a Mermaid ``"..."`` label; newlines become ``<br/>``."""
    escaped = "".join(_ENTITIES.get(c, c) for c in text)
    return escaped.replace("\r\n", "\n").replace("\n", "<br/>")


def to_mermaid(graph: nx.DiGraph) -> str:
    """Mermaid source; node ids are ``n0``, ``n1``… (section names hold ``:``, ``+``, ``#``)."""
    ids = {node: f"n{i}" for i, node in enumerate(graph.nodes)}
    lines = ["flowchart LR"]
    top, loose = clusters(graph)
    counter = iter(range(1 << 30))

    def node_line(node: str, indent: str) -> str:
        return _node(graph, node, ids, indent)

    for box in top:
        lines.extend(subgraph_lines(box, node_line, counter, "  "))
    lines.extend(node_line(node, "  ") for node in loose)
    for source, target, data in graph.edges(data=True):
        text = edge_text(data)
        arrow = "-.->" if data.get("dropped") or data.get("cycle") else "-->"
        if data.get("default"):
            arrow = "==>"
        label = f'|"{escape(text)}"|' if text else ""
        lines.append(f"  {ids[source]} {arrow}{label} {ids[target]}")
    by_kind: dict[str, list[str]] = {}
    for node, kind in graph.nodes(data="kind"):
        if kind in _CLASSES:
            by_kind.setdefault(kind, []).append(ids[node])
    for kind, members in by_kind.items():
        name = kind.replace("-", "_")
        lines.append(f"  classDef {name} {_CLASSES[kind]}")
        lines.append(f"  class {','.join(members)} {name}")
    return "\n".join(lines) + "\n"


def subgraph_lines(
    box: Cluster, node_line: Callable[[str, str], str], counter: Any, indent: str
) -> list[str]:
    """One cluster (and those nested in it) as a Mermaid subgraph; ``node_line`` draws a node."""
    if box.empty:
        return []
    lines = [f'{indent}subgraph c{next(counter)}["{escape(box.label)}"]', f"{indent}  direction LR"]
    lines.extend(node_line(node, indent + "  ") for node in box.nodes)
    for child in box.children:
        lines.extend(subgraph_lines(child, node_line, counter, indent + "  "))
    lines.append(f"{indent}end")
    return lines


def _node(graph: nx.DiGraph, node: str, ids: dict[str, str], indent: str) -> str:
    data: dict[str, Any] = graph.nodes[node]
    return f'{indent}{ids[node]}["{escape(chr(10).join(caption(node, data)))}"]'
