"""Renderers: a deployment graph → tree, dot, svg, png, mermaid, json or html.

Each output lives in its own module, imported only when asked for (``pastetrace graph`` must
start fast); every function returns data or a rich renderable, and only ``cli.py`` prints.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..errors import UsageError

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["FORMATS", "render_graph"]

FORMATS = ("tree", "dot", "svg", "png", "mermaid", "json", "html")


def render_graph(graph: nx.DiGraph, fmt: str) -> Any:
    """``str`` for text formats, ``bytes`` for svg/png, a renderable for ``tree``.

    >>> render_graph(None, "gif")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    pastetrace.errors.UsageError: unknown format 'gif' (must be one of tree, dot, svg, ...)
    """
    if fmt == "tree":
        from .tree import DeploymentTree

        return DeploymentTree(graph)
    if fmt == "dot":
        from .dot import to_dot

        return to_dot(graph)
    if fmt in ("svg", "png"):
        from .dot import render_image, to_dot

        return render_image(to_dot(graph), fmt)
    if fmt == "mermaid":
        from .mermaid import to_mermaid

        return to_mermaid(graph)
    if fmt == "json":
        from .json import to_json

        return to_json(graph)
    if fmt == "html":
        from .html import to_html

        return to_html(graph)
    raise UsageError(f"unknown format {fmt!r} (must be one of {', '.join(FORMATS)})")
