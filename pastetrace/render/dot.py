"""Graphviz output: DOT source written here (no import), images by running the ``dot`` binary.

One box per pipeline and per selector composite (its branches nested inside), pipelines as
left-to-right chains, urlmap edges labelled with prefixes and selector edges with keys.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from ..errors import RenderError, UsageError
from ._common import Cluster, caption, clusters, display_path, edge_text

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["IMAGE_FORMATS", "INSTALL_HINT", "quote", "render_image", "to_dot"]

IMAGE_FORMATS = ("svg", "png")
INSTALL_HINT = (
    "Graphviz 'dot' is not installed: install it (apt-get install graphviz, "
    "brew install graphviz) or use --format dot, mermaid or tree"
)

_KIND_ATTRS = {
    "urlmap": 'shape=folder fillcolor="#dbeafe"',
    "composite": 'shape=component fillcolor="#ede9fe"',
    "pipeline": 'shape=cds fillcolor="#fef3c7"',
    "filter": 'fillcolor="#dcfce7"',
    "filter-app": 'fillcolor="#dcfce7" peripheries=2',
    "app": 'fillcolor="#e0e7ff"',
    "route": 'shape=note fillcolor="#f1f5f9"',
    "missing": 'style="rounded,dashed" color="#dc2626" fontcolor="#dc2626"',
}
_HIGHLIGHT = 'color="#dc2626" penwidth=2.5'


def quote(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as ``\\n``."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(graph: nx.DiGraph, *, highlight: Iterable[str] | None = None) -> str:
    """DOT source for a deployment graph; ``highlight`` marks nodes (and edges between them)."""
    marked = set(highlight or ())
    lines = [
        "digraph pastetrace {",
        '  graph [rankdir=LR fontname="Helvetica" fontsize=11 newrank=true '
        f"label={quote(display_path(graph.graph.get('config', '')))} labelloc=t];",
        '  node [shape=box style="rounded,filled" fontname="Helvetica" fontsize=10 '
        'fillcolor="#ffffff"];',
        '  edge [fontname="Helvetica" fontsize=9 color="#475569"];',
    ]
    top, loose = clusters(graph)
    counter = iter(range(1 << 30))

    def node_line(node: str, indent: str) -> str:
        return _node_line(graph, node, marked, indent)

    for box in top:
        lines.extend(cluster_lines(box, node_line, counter, "  "))
    lines.extend(node_line(node, "  ") for node in loose)
    for source, target, data in graph.edges(data=True):
        lines.append(_edge_line(source, target, data, marked))
    lines.append("}")
    return "\n".join(lines) + "\n"


def cluster_lines(
    box: Cluster, node_line: Callable[[str, str], str], counter: Iterator[int], indent: str
) -> list[str]:
    """One cluster (and those nested in it) as DOT lines; ``node_line`` draws a node."""
    if box.empty:
        return []
    style = "rounded,dashed" if box.kind == "branch" else "rounded"
    lines = [
        f"{indent}subgraph cluster_{next(counter)} {{",
        f'{indent}  label={quote(box.label)} style="{style}" color="#94a3b8" fontsize=10;',
    ]
    lines.extend(node_line(node, indent + "  ") for node in box.nodes)
    for child in box.children:
        lines.extend(cluster_lines(child, node_line, counter, indent + "  "))
    lines.append(f"{indent}}}")
    return lines


def _node_line(graph: nx.DiGraph, node: str, marked: set[str], indent: str) -> str:
    data: dict[str, Any] = graph.nodes[node]
    attrs = [f"label={quote(chr(10).join(caption(node, data)))}"]
    attrs.append(_KIND_ATTRS.get(str(data.get("kind")), ""))
    if data.get("entry"):
        attrs.append("penwidth=2")
    if node in marked:
        attrs.append(_HIGHLIGHT)
    problem = data.get("problem")
    if problem:
        attrs.append(f"tooltip={quote(str(problem))}")
    return f"{indent}{quote(node)} [{' '.join(a for a in attrs if a)}];"


def _edge_line(source: str, target: str, data: dict[str, Any], marked: set[str]) -> str:
    attrs = []
    text = edge_text(data)
    if text:
        attrs.append(f"label={quote(text)}")
    if data.get("dropped"):
        attrs.append('style=dashed color="#94a3b8"')
    elif data.get("cycle"):
        attrs.append('color="#dc2626" constraint=false')
    elif data.get("default"):
        attrs.append("penwidth=2")
    if source in marked and target in marked:
        attrs.append(_HIGHLIGHT)
    suffix = f" [{' '.join(attrs)}]" if attrs else ""
    return f"  {quote(source)} -> {quote(target)}{suffix};"


def render_image(dot_source: str, fmt: str) -> bytes:
    """Run Graphviz ``dot`` on DOT source and return the image bytes (svg or png)."""
    if fmt not in IMAGE_FORMATS:
        raise UsageError(
            f"unknown image format {fmt!r} (must be one of {', '.join(IMAGE_FORMATS)})"
        )
    exe = shutil.which("dot")
    if exe is None:
        raise RenderError(INSTALL_HINT)
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"], input=dot_source.encode("utf-8"), capture_output=True, check=False
        )
    except OSError as e:
        raise RenderError(f"cannot run {exe}: {e.strerror} (reinstall Graphviz)") from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise RenderError(f"dot failed: {reason[0] if reason else f'exit {done.returncode}'}")
    return done.stdout
