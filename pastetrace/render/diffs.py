"""One entry point for drawing a :class:`~pastetrace.diff.Diff` in any ``diff --format``.

>>> render_diff(None, "gif")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pastetrace.errors.UsageError: unknown diff format 'gif' (must be one of: tree, json, ...)
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    import networkx as nx

    from ..diff import Diff

__all__ = ["DIFF_FORMATS", "GRAPH_FORMATS", "render_diff"]

DIFF_FORMATS = ("tree", "json", "dot", "svg", "png", "mermaid")
GRAPH_FORMATS = frozenset({"dot", "svg", "png", "mermaid"})  # these draw both graphs


def render_diff(
    diff: Diff,
    fmt: str,
    *,
    old_graph: nx.DiGraph | None = None,
    new_graph: nx.DiGraph | None = None,
) -> Any:
    """A renderable for ``tree``, ``bytes`` for svg/png, text otherwise.

    The picture formats (:data:`GRAPH_FORMATS`) need both deployment graphs.

    Raises:
        UsageError: for an unknown format, or a picture format without the graphs.
        RenderError: for ``svg``/``png`` when Graphviz ``dot`` is missing.
    """
    if fmt not in DIFF_FORMATS:
        known = ", ".join(DIFF_FORMATS)
        raise UsageError(f"unknown diff format {fmt!r} (must be one of: {known})")
    if fmt == "tree":
        from .diff_tree import DiffView

        return DiffView(diff)
    if fmt == "json":
        return json.dumps(diff.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if old_graph is None or new_graph is None:
        raise UsageError(f"--format {fmt} draws both graphs: pass old_graph and new_graph")
    if fmt == "mermaid":
        from .diff_mermaid import diff_to_mermaid

        return diff_to_mermaid(diff, old_graph, new_graph)
    from .diff_dot import diff_to_dot
    from .dot import render_image

    source = diff_to_dot(diff, old_graph, new_graph)
    return source if fmt == "dot" else render_image(source, fmt)
