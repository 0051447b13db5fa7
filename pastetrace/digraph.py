"""A small directed graph with the part of ``networkx.DiGraph``'s API that pastetrace uses.

``import networkx`` takes longer than the rest of a ``pastetrace graph`` run together, so the
command line builds its graph in this class and never imports networkx. The Python API
returns a real ``networkx.DiGraph`` (``build_graph``'s default); :meth:`DiGraph.to_networkx`
converts. Only what the renderers read is here: ``nodes``, ``edges``, ``succ``, ``pred``,
``graph``, ``add_node``, ``add_edge``, ``has_edge``, ``in``, ``len``.

>>> g = DiGraph()
>>> g.add_edge("a", "b", kind="next")
>>> list(g.nodes), list(g.edges(data=True))
(['a', 'b'], [('a', 'b', {'kind': 'next'})])
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["DiGraph", "node_link_data"]

Attrs = dict[str, Any]


class _NodeView:
    def __init__(self, nodes: dict[Hashable, Attrs]) -> None:
        self._nodes = nodes

    def __getitem__(self, node: Hashable) -> Attrs:
        return self._nodes[node]

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._nodes)

    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, node: object) -> bool:
        return node in self._nodes

    def __call__(self, data: bool | str = False, default: Any = None) -> Iterator[Any]:
        if data is True:
            return iter(self._nodes.items())
        if data is False:
            return iter(self._nodes)
        return ((node, attrs.get(data, default)) for node, attrs in self._nodes.items())


class _EdgeView:
    def __init__(self, succ: dict[Hashable, dict[Hashable, Attrs]]) -> None:
        self._succ = succ

    def __getitem__(self, edge: tuple[Hashable, Hashable]) -> Attrs:
        return self._succ[edge[0]][edge[1]]

    def __iter__(self) -> Iterator[tuple[Hashable, Hashable]]:
        return ((u, v) for u, targets in self._succ.items() for v in targets)

    def __len__(self) -> int:
        return sum(len(targets) for targets in self._succ.values())

    def __call__(self, data: bool | str = False, default: Any = None) -> Iterator[Any]:
        for u, targets in self._succ.items():
            for v, attrs in targets.items():
                if data is True:
                    yield u, v, attrs
                elif data is False:
                    yield u, v
                else:
                    yield u, v, attrs.get(data, default)


class DiGraph:
    """Nodes and edges with attribute dicts, in insertion order, like ``networkx.DiGraph``."""

    def __init__(self) -> None:
        self.graph: Attrs = {}
        self._node: dict[Hashable, Attrs] = {}
        self.succ: dict[Hashable, dict[Hashable, Attrs]] = {}
        self.pred: dict[Hashable, dict[Hashable, Attrs]] = {}

    @property
    def nodes(self) -> _NodeView:
        return _NodeView(self._node)

    @property
    def edges(self) -> _EdgeView:
        return _EdgeView(self.succ)

    def add_node(self, node: Hashable, **attrs: Any) -> None:
        if node not in self._node:
            self._node[node] = {}
            self.succ[node] = {}
            self.pred[node] = {}
        self._node[node].update(attrs)

    def add_edge(self, source: Hashable, target: Hashable, **attrs: Any) -> None:
        self.add_node(source)
        self.add_node(target)
        data = self.succ[source].setdefault(target, {})
        data.update(attrs)
        self.pred[target][source] = data

    def has_edge(self, source: Hashable, target: Hashable) -> bool:
        return target in self.succ.get(source, {})

    def __contains__(self, node: object) -> bool:
        return node in self._node

    def __iter__(self) -> Iterator[Hashable]:
        return iter(self._node)

    def __len__(self) -> int:
        return len(self._node)

    def to_networkx(self) -> nx.DiGraph:
        """The same graph as a ``networkx.DiGraph`` (imports networkx)."""
        import networkx as nx

        result = nx.DiGraph()
        result.graph.update(self.graph)
        result.add_nodes_from(self._node.items())
        result.add_edges_from(self.edges(data=True))
        return result


def node_link_data(graph: Any) -> dict[str, Any]:
    """``networkx.node_link_data(graph, edges="edges")`` for either graph class (no networkx)."""
    return {
        "directed": True,
        "multigraph": False,
        "graph": dict(graph.graph),
        "nodes": [{**attrs, "id": node} for node, attrs in graph.nodes(data=True)],
        "edges": [
            {**attrs, "source": source, "target": target}
            for source, target, attrs in graph.edges(data=True)
        ],
    }
