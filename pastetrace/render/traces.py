"""One entry point for drawing a trace in any format ``replay --format`` accepts.

>>> from pastetrace.trace import RequestInfo, ResponseInfo, Trace
>>> trace = Trace(RequestInfo("GET", "/"), ResponseInfo("200 OK"))
>>> render_trace(trace, "json").startswith("{")
True
>>> render_trace(trace, "gif")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
pastetrace.errors.UsageError: unknown trace format 'gif' (must be one of: tree, json, ...)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pastetrace.errors import UsageError
from pastetrace.trace import Trace

if TYPE_CHECKING:
    import networkx

    from pastetrace.render.trace_tree import TraceWaterfall

__all__ = ["TRACE_FORMATS", "render_trace"]

TRACE_FORMATS = ("tree", "json", "mermaid", "dot", "svg", "png", "html")


def render_trace(
    trace: Trace, fmt: str, *, graph: networkx.DiGraph | None = None, verbose: bool = False
) -> str | bytes | TraceWaterfall:
    """``tree`` gives a rich renderable, ``png`` bytes, every other format text.

    ``graph`` (the deployment graph) is drawn under the path for ``dot``, ``svg``, ``png`` and
    ``html``. ``verbose`` makes the tree show the environ keys every layer touches and DEBUG
    log records too (the other formats always hold everything). Each format's module is
    imported only when asked for, so Graphviz, networkx and rich stay unloaded for the formats
    that do not need them.

    Raises:
        UsageError: for an unknown format, listing the known ones.
        RenderError: for ``svg``/``png`` when Graphviz ``dot`` is missing.
    """
    if fmt == "tree":
        from pastetrace.render.trace_tree import TraceWaterfall

        return TraceWaterfall(trace, show_environ=verbose, show_debug=verbose)
    if fmt == "json":
        from pastetrace.render.trace_json import trace_to_json

        return trace_to_json(trace)
    if fmt == "mermaid":
        from pastetrace.render.trace_mermaid import trace_to_mermaid

        return trace_to_mermaid(trace)
    if fmt in ("dot", "svg", "png"):
        from pastetrace.render.trace_dot import trace_image, trace_to_dot

        if fmt == "dot":
            return trace_to_dot(trace, graph)
        image = trace_image(trace, graph, fmt)
        return image.decode("utf-8") if fmt == "svg" else image
    if fmt == "html":
        from pastetrace.render.trace_html import trace_to_html

        return trace_to_html(trace, graph=graph)
    raise UsageError(f"unknown trace format {fmt!r} (must be one of: {', '.join(TRACE_FORMATS)})")
