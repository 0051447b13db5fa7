"""Jupyter display glue: every result shows itself richly in a notebook cell.

Jupyter asks an object for ``_repr_mimebundle_(include=None, exclude=None)`` and shows the
richest mimetype it gets back. Here each bundle always has ``text/plain`` and adds:

- a deployment graph (:func:`show_graph`, or a :class:`~pastetrace.config.Deployment` itself):
  ``image/svg+xml`` drawn by Graphviz ``dot`` when it is installed, else the rich tree as
  ``text/html``;
- a :class:`~pastetrace.trace.Trace` (or :func:`show_trace`, which can add the graph): the
  self-contained HTML report inside an ``<iframe srcdoc>``, so its styles and script stay out of
  the notebook's page and nothing is loaded from the network; ``text/plain`` is the waterfall.

``Trace`` and ``Deployment`` import this module only when asked to display, so importing them
never loads rich or Graphviz. ``RouteTable``, ``Resolution``, lint's ``Report``,
``DeploymentTree`` and ``TraceWaterfall`` are rich renderables with rich's own Jupyter mixin.

>>> import pastetrace
>>> view = show_graph(pastetrace.build_graph(pastetrace.load("keystone"), "main"))
>>> sorted(view._repr_mimebundle_(include=["text/plain"]))
['text/plain']
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import networkx as nx

    from pastetrace.config import Deployment
    from pastetrace.trace import Trace

__all__ = [
    "GraphView",
    "TraceView",
    "deployment_bundle",
    "show_graph",
    "show_trace",
    "to_html",
    "to_text",
    "trace_bundle",
]

SVG = "image/svg+xml"
HTML = "text/html"
TEXT = "text/plain"
WIDTH = 100  # columns of the text/plain renderings: fits a notebook cell without wrapping
# rich's own Jupyter <pre>: keeps the box-drawing characters aligned in a notebook cell.
_PRE = (
    '<pre style="white-space:pre;overflow-x:auto;line-height:normal;'
    "font-family:Menlo,'DejaVu Sans Mono',consolas,'Courier New',monospace\">{code}</pre>"
)

Producer = Callable[[], "str | None"]


def to_text(renderable: Any, *, width: int = WIDTH) -> str:
    """A rich renderable as plain text, ``width`` columns wide, without colour codes."""
    from rich.console import Console

    console = Console(file=io.StringIO(), width=width, color_system=None, force_jupyter=False)
    with console.capture() as capture:
        console.print(renderable)
    return capture.get()


def to_html(renderable: Any, *, width: int = WIDTH) -> str:
    """A rich renderable as a ``<pre>`` with inline styles, as rich shows it in Jupyter."""
    from rich.console import Console

    console = Console(
        file=io.StringIO(), width=width, record=True, color_system="truecolor", force_jupyter=False
    )
    console.print(renderable)
    return console.export_html(inline_styles=True, code_format=_PRE)


def _bundle(
    producers: dict[str, Producer],
    default: Iterable[str],
    include: Iterable[str] | None,
    exclude: Iterable[str] | None,
) -> dict[str, str]:
    """Run the producers asked for: ``include`` (else ``default``) minus ``exclude``.

    ``text/plain`` is always there unless excluded; a producer returning None (svg without
    ``dot``) is left out.
    """
    wanted = list(include) if include else [*default, TEXT]
    if TEXT not in wanted:
        wanted.append(TEXT)
    excluded = set(exclude or ())
    data: dict[str, str] = {}
    for mimetype in wanted:
        producer = producers.get(mimetype)
        if producer is None or mimetype in excluded or mimetype in data:
            continue
        value = producer()
        if value is not None:
            data[mimetype] = value
    return data


# -- deployment graphs -------------------------------------------------------------------------


def _svg(graph: nx.DiGraph) -> str | None:
    """The graph drawn by ``dot``, or None when Graphviz is missing or fails."""
    if shutil.which("dot") is None:
        return None
    from pastetrace.errors import RenderError
    from pastetrace.render.dot import render_image, to_dot

    try:
        return render_image(to_dot(graph), "svg").decode("utf-8")
    except RenderError:
        return None


@dataclass
class GraphView:
    """A deployment graph (a ``networkx.DiGraph``) that displays itself in Jupyter."""

    graph: nx.DiGraph

    def _tree(self) -> Any:
        from pastetrace.render.tree import DeploymentTree

        return DeploymentTree(self.graph)

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, str]:
        """``image/svg+xml`` from ``dot`` when installed, else the rich tree as ``text/html``."""
        svg = _svg(self.graph) if SVG not in set(exclude or ()) else None
        producers: dict[str, Producer] = {
            SVG: lambda: svg,
            HTML: lambda: to_html(self._tree()),
            TEXT: lambda: to_text(self._tree()),
        }
        default = [SVG] if svg is not None else [HTML]
        return _bundle(producers, default, include, exclude)

    def __rich__(self) -> Any:
        return self._tree()


def show_graph(graph: nx.DiGraph) -> GraphView:
    """Wrap a graph from :func:`~pastetrace.graph.build_graph` so a notebook cell draws it."""
    return GraphView(graph)


def deployment_bundle(
    deployment: Deployment,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
) -> dict[str, str]:
    """The bundle of a deployment: the graph of every entry, missing references drawn red."""
    from pastetrace.graph import build_graph

    graph = build_graph(deployment, strict=False)
    return GraphView(graph)._repr_mimebundle_(include=include, exclude=exclude)


# -- traces ------------------------------------------------------------------------------------


def _iframe(page: str, rows: int) -> str:
    """``page`` isolated in an iframe: its CSS cannot restyle the notebook around it."""
    height = min(240 + 36 * rows, 900)  # a guess that the onload handler then corrects
    fit = "this.style.height=(this.contentDocument.documentElement.scrollHeight+24)+'px'"
    return (
        f'<iframe srcdoc="{escape(page, quote=True)}" title="pastetrace trace" '
        f'style="width:100%;height:{height}px;border:1px solid #dee2e6;border-radius:.5rem;'
        f'resize:vertical" onload="{fit}"></iframe>'
    )


@dataclass
class TraceView:
    """A trace, optionally with the deployment graph to draw its path over, for Jupyter."""

    trace: Trace
    graph: nx.DiGraph | None = None

    def _waterfall(self) -> Any:
        from pastetrace.render.trace_tree import TraceWaterfall

        return TraceWaterfall(self.trace)

    def _html(self) -> str:
        from pastetrace.render.trace_html import trace_to_html

        return _iframe(trace_to_html(self.trace, graph=self.graph), len(self.trace.spans))

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, str]:
        """The HTML report (in an iframe) and the waterfall as ``text/plain``."""
        producers: dict[str, Producer] = {
            HTML: self._html,
            TEXT: lambda: to_text(self._waterfall()),
        }
        return _bundle(producers, [HTML], include, exclude)

    def __rich__(self) -> Any:
        return self._waterfall()


def show_trace(trace: Trace, *, graph: nx.DiGraph | None = None) -> TraceView:
    """Display ``trace``; with ``graph`` the report draws the request's path over it."""
    return TraceView(trace, graph)


def trace_bundle(
    trace: Trace,
    include: Iterable[str] | None = None,
    exclude: Iterable[str] | None = None,
) -> dict[str, str]:
    """The bundle ``Trace._repr_mimebundle_`` returns."""
    return TraceView(trace)._repr_mimebundle_(include=include, exclude=exclude)
