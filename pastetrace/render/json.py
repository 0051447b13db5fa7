"""``graph --format json``: networkx node-link data with a top-level ``"schema"``."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["to_data", "to_json"]


def to_data(graph: nx.DiGraph) -> dict[str, Any]:
    """The node-link dict (``nodes``, ``edges``, ``graph``) plus ``schema``."""
    from ..digraph import node_link_data
    from ..graph import SCHEMA

    data = node_link_data(graph)
    data["schema"] = graph.graph.get("schema", SCHEMA)
    return data


def to_json(graph: nx.DiGraph) -> str:
    """Stable JSON text: keys sorted, nodes and edges in the order the graph was built."""
    return (
        json.dumps(to_data(graph), indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    )
