"""``DeploymentTree``: the graph as a rich tree, entry → prefixes/keys → pipelines → apps."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.jupyter import JupyterMixin
from rich.text import Text
from rich.tree import Tree

from ._common import display_path, edge_text, location

if TYPE_CHECKING:
    import networkx as nx
    from rich.console import Console, ConsoleOptions, RenderResult

__all__ = ["DeploymentTree"]

_KIND_STYLE = {
    "urlmap": "bold cyan",
    "composite": "bold magenta",
    "pipeline": "bold yellow",
    "filter": "green",
    "app": "bold blue",
    "filter-app": "green",
    "missing": "bold red",
    "route": "blue",
}
# Deeper chains (a thousand composites nested) are cut: past the width nothing shows anyway.
MAX_DEPTH = 32


class DeploymentTree(JupyterMixin):
    """Each entry of a deployment graph with its branches, filters in order and apps.

    A section reached a second time (glance's six flavors all end in ``rootapp``) is written
    once and then marked ``(see above)``, so big files stay readable.
    """

    def __init__(
        self,
        graph: nx.DiGraph,
        *,
        notes: bool = True,
        guide_style: str = "tree.line",
    ) -> None:
        self.graph = graph
        self.notes = notes
        self.guide_style = guide_style
        self._seen: set[str] = set()
        self._said: set[str] = set()
        self._config = ""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.build()

    def build(self) -> Tree:
        """The ``rich.tree.Tree`` this renders as."""
        from ..graph import entry_nodes

        config = str(self.graph.graph.get("config", "deployment"))
        root = Tree(Text(display_path(config), style="bold"), guide_style=self.guide_style)
        self._seen, self._said, self._config = set(), set(), config
        for node in entry_nodes(self.graph):
            self._add(root, node, Text(), self._seen)
        return root

    def _add(self, parent: Tree, node: str, prefix: Text, seen: set[str], depth: int = 0) -> None:
        from ..graph import chain, ordered_successors

        if depth >= MAX_DEPTH:
            parent.add(
                prefix
                + Text(f"… deeper than {MAX_DEPTH} levels (see --format json, dot or mermaid)")
            )
            return
        if node in seen:
            parent.add(prefix + self._label(node, brief=True) + Text("  (see above)", style="dim"))
            return
        seen.add(node)
        branch = parent.add(prefix + self._label(node))
        for succ, data in ordered_successors(self.graph, node):
            text = edge_text(data)
            if data.get("cycle"):
                self._cycle(branch, succ, text)
                continue
            if self.graph.nodes[succ].get("owner") is None:
                self._add(branch, succ, _arrow(text), seen, depth + 1)
                continue
            under = branch.add(_arrow(text, end="")) if data.get("kind") == "composite" else branch
            nodes = chain(self.graph, succ)
            tail = nodes[-1] if self.graph.nodes[nodes[-1]].get("owner") is None else None
            for instance in nodes[:-1] if tail else nodes:
                under.add(self._label(instance))
            if tail is not None:
                self._add(under, tail, Text("→ ", style="dim"), seen, depth + 1)
                continue
            for after, edge in ordered_successors(self.graph, nodes[-1]):
                if edge.get("cycle"):
                    self._cycle(under, after, "")

    def _cycle(self, parent: Tree, node: str, label: str) -> None:
        prefix = Text(f"{label} ↺ " if label else "↺ ", style="red")
        parent.add(prefix + self._label(node, brief=True) + Text("  (cycle)", style="red"))

    def _label(self, node: str, *, brief: bool = False) -> Text:
        data: dict[str, Any] = self.graph.nodes[node]
        kind = str(data.get("kind", ""))
        text = Text()
        if data.get("owner") is not None and isinstance(data.get("order"), int):
            text.append(f"{data['order'] + 1}. ", style="dim")  # people count from 1
        if kind == "missing":
            text.append(f"✗ {data.get('name') or node}", style=_KIND_STYLE["missing"])
            if not brief:
                text.append(f"  {data.get('problem', '')}", style="red")
            return text
        text.append(str(data.get("section") or node), style=_KIND_STYLE.get(kind, "bold"))
        if data.get("factory") and not brief:
            text.append(f"  {data['factory']}", style="dim")
        where = self._where(data)
        if where:
            text.append(f"  {where}", style="dim")
        if self.notes and not brief:
            for note in data.get("notes") or ():
                if note not in self._said:  # each note once: swift's 20 filters share one
                    self._said.add(note)
                    text.append(f"\n  ! {note}", style="italic dim")
        return text

    def _where(self, data: dict[str, Any]) -> str:
        """``:57`` in the file at the root of the tree, ``other.ini:12`` elsewhere."""
        if data.get("file") == self._config and data.get("line"):
            return f":{data['line']}"
        return location(data)


def _arrow(label: str, end: str = " → ") -> Text:
    if not label:
        return Text("→ ", style="dim")
    return Text(label, style="bold") + Text(end, style="dim")
