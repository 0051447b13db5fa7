"""The small networkx-compatible graph the command line uses (pastetrace.digraph)."""

from __future__ import annotations

import json

import networkx as nx
import pytest

from pastetrace.config import Deployment
from pastetrace.digraph import DiGraph, node_link_data
from pastetrace.graph import build_graph
from pastetrace.render import render_graph
from tests.conftest import corpus_files


class TestSameAsNetworkx:
    @pytest.mark.parametrize("path", corpus_files())
    def test_every_corpus_graph_renders_identically(self, path):
        """Built in either class, a corpus graph gives the same node-link data and renderings."""
        real = build_graph(Deployment(path), strict=False)
        light = build_graph(Deployment(path), strict=False, graph_class=DiGraph)
        assert json.dumps(node_link_data(light), sort_keys=True, default=str) == json.dumps(
            nx.node_link_data(real, edges="edges"), sort_keys=True, default=str
        )
        for fmt in ("dot", "mermaid", "json", "html"):
            assert render_graph(light, fmt) == render_graph(real, fmt), fmt

    def test_to_networkx_round_trip(self):
        """to_networkx keeps nodes, edges, their attributes and graph attributes."""
        g = DiGraph()
        g.graph["schema"] = "x"
        g.add_node("a", kind="app")
        g.add_edge("a", "b", order=1)
        g.add_edge("a", "b", label="/v2")
        real = g.to_networkx()
        assert dict(real.nodes(data=True)) == {"a": {"kind": "app"}, "b": {}}
        assert list(real.edges(data=True)) == [("a", "b", {"order": 1, "label": "/v2"})]
        assert real.graph == {"schema": "x"}
        assert g.pred["b"]["a"] is g.succ["a"]["b"]
