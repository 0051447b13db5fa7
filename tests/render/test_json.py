"""Node-link JSON with a top-level schema."""

from __future__ import annotations

import json

import networkx as nx

from pastetrace.config import Deployment
from pastetrace.graph import build_graph
from pastetrace.render.json import to_json

from ._golden import DATA, check


def small_json() -> str:
    return to_json(build_graph(Deployment(DATA / "graph_small.ini")))


class TestToJson:
    """Stable, versioned, and loadable back into networkx."""

    def test_golden(self) -> None:
        """The small file's JSON is stable (keys sorted)."""
        check("graph_small.json", small_json())

    def test_schema_and_contract(self) -> None:
        """Top-level schema; nodes and edges carry the documented attributes."""
        data = json.loads(small_json())
        assert data["schema"] == "pastetrace.graph/1"
        assert data["graph"]["entries"] == ["composite:main"]
        node = next(n for n in data["nodes"] if n["id"] == "pipeline:api/0:filter:auth")
        assert {"kind", "section", "factory", "target", "line"} <= set(node)
        edge = next(e for e in data["edges"] if e["source"] == "composite:main")
        assert (edge["kind"], edge["label"], edge["order"]) == ("urlmap", "/v1", 0)

    def test_round_trip(self) -> None:
        """networkx reads it back into the same graph."""
        graph = build_graph(Deployment(DATA / "graph_small.ini"))
        back = nx.node_link_graph(json.loads(to_json(graph)), edges="edges")
        assert set(back.nodes) == set(graph.nodes) and set(back.edges) == set(graph.edges)

    def test_stable(self) -> None:
        """Two builds give byte-identical JSON."""
        assert small_json() == small_json()
