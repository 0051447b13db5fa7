"""Helpers every renderer shares: node captions, file:line, and the cluster tree."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["Cluster", "caption", "clusters", "edge_text", "location"]


def location(data: dict[str, Any]) -> str:
    """``file:line`` with the file's name only (compact), or '' when unknown."""
    file, line = data.get("file"), data.get("line")
    if not file:
        return ""
    name = PurePath(str(file)).name
    return f"{name}:{line}" if line else name


def caption(node: str, data: dict[str, Any]) -> list[str]:
    """The lines that describe a node: its section (or id), its factory, where it is."""
    lines = [str(data.get("section") or data.get("name") or node)]
    if data.get("kind") == "missing":
        lines[0] = f"missing: {data.get('name') or node}"
    elif data.get("factory"):
        lines.append(str(data["factory"]))
    where = location(data)
    if where:
        lines.append(where)
    return lines


def edge_text(data: dict[str, Any]) -> str:
    """An edge's label with its qualifiers: ``keystone (default)``, ``/v1 (dropped)``."""
    from ..graph import edge_label

    text = edge_label(data)
    marks = [
        word
        for key, word in (("default", "default"), ("dropped", "dropped"), ("cycle", "cycle"))
        if data.get(key)
    ]
    if marks:
        text = f"{text} ({', '.join(marks)})" if text else ", ".join(marks)
    return text


@dataclass
class Cluster:
    """A pipeline, selector composite or branch box: its nodes and nested boxes."""

    id: str
    label: str
    kind: str
    nodes: list[str] = field(default_factory=list)
    children: list[Cluster] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.nodes and all(child.empty for child in self.children)


def clusters(graph: nx.DiGraph) -> tuple[list[Cluster], list[str]]:
    """Top-level clusters (nested by parent) and the nodes that belong to none."""
    info: dict[str, dict[str, Any]] = dict(graph.graph.get("clusters", {}))
    for _, cluster_id in graph.nodes(data="cluster"):
        if cluster_id is not None and cluster_id not in info:
            info[cluster_id] = {"label": cluster_id, "parent": None, "kind": "cluster"}
    boxes = {
        cid: Cluster(cid, str(meta.get("label") or cid), str(meta.get("kind") or ""))
        for cid, meta in info.items()
    }
    top: list[Cluster] = []
    for cid, meta in info.items():
        parent = meta.get("parent")
        (boxes[parent].children if parent in boxes else top).append(boxes[cid])
    loose: list[str] = []
    for node, cluster_id in graph.nodes(data="cluster"):
        (boxes[cluster_id].nodes if cluster_id in boxes else loose).append(node)
    return [box for box in top if not box.empty], loose


def display_path(path: object) -> str:
    """A path as a user would type it: relative to the current folder when it is inside it."""
    text = str(path)
    if not os.path.isabs(text):
        return text
    try:
        relative = os.path.relpath(text)
    except ValueError:  # another drive on Windows
        return text
    return text if relative.startswith("..") else relative
