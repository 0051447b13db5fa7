"""The path a replayed request took, in Graphviz DOT: over the deployment graph, or as a chain.

With the deployment graph (from ``build_graph``) every section is drawn and the layers the
request passed are filled and bold, joined by numbered, coloured edges in call order. Without
it, the spans form a left-to-right chain from the request to the layer that answered.

>>> from pastetrace.trace import RequestInfo, ResponseInfo, Span, Trace
>>> span = Span("filter:auth", "filter", status="401 Unauthorized", answered=True)
>>> trace = Trace(RequestInfo("GET", "/"), ResponseInfo("401 Unauthorized"), [span])
>>> print(trace_to_dot(trace))  # doctest: +ELLIPSIS
digraph trace {
    rankdir=LR;
    ...
    request [label="GET /", shape=plaintext];
    s0 [label="filter:auth\\n401 Unauthorized\\nanswered", ...];
    request -> s0 [label="GET", ...];
}
"""

from __future__ import annotations

import shutil
import subprocess
from typing import TYPE_CHECKING, Any

from pastetrace.errors import RenderError
from pastetrace.trace import Span, Trace

if TYPE_CHECKING:
    import networkx

__all__ = ["dot_quote", "trace_image", "trace_to_dot"]

_PATH_COLOUR = "#d9480f"
_HEAD = [
    "    rankdir=LR;",
    '    graph [fontname="Helvetica", fontsize=10];',
    '    node [fontname="Helvetica", fontsize=10, shape=box, style=rounded];',
    '    edge [fontname="Helvetica", fontsize=9];',
]
_INSTALL_HINT = (
    "Graphviz `dot` is not on PATH: install Graphviz (apt install graphviz, brew install "
    "graphviz) or use --format dot and render it elsewhere"
)


def dot_quote(text: str) -> str:
    """A DOT double-quoted string: backslashes and quotes escaped, newlines as ``\\n``.

    >>> print(dot_quote('say "hi"\\\\n\\nnext'))
    "say \\"hi\\"\\\\n\\nnext"
    """
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    escaped = escaped.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    return f'"{escaped}"'


def trace_to_dot(trace: Trace, graph: networkx.DiGraph | None = None) -> str:
    """DOT text for the path ``trace`` took; over ``graph`` when the deployment graph is given."""
    body = _chain(trace) if graph is None else _over_graph(trace, graph)
    return "\n".join(["digraph trace {", *_HEAD, *body, "}"])


def trace_image(trace: Trace, graph: networkx.DiGraph | None, fmt: str) -> bytes:
    """Render :func:`trace_to_dot` with the ``dot`` binary into ``fmt`` (``svg``, ``png``, ...).

    Raises:
        RenderError: when ``dot`` is missing or fails, saying how to get it.
    """
    exe = shutil.which("dot")
    if exe is None:
        raise RenderError(_INSTALL_HINT)
    source = trace_to_dot(trace, graph).encode("utf-8")
    try:
        done = subprocess.run(
            [exe, f"-T{fmt}"], input=source, capture_output=True, check=False, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RenderError(f"Graphviz `dot` could not run: {exc}") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise RenderError(f"Graphviz `dot -T{fmt}` failed: {message[0] if message else '?'}")
    return done.stdout


# --------------------------------------------------------------------------- without a graph


def _chain(trace: Trace) -> list[str]:
    request = f"{trace.request.method} {trace.request.path}"
    lines = [f"    request [label={dot_quote(request)}, shape=plaintext];"]
    for span in trace.spans:
        tip = f", tooltip={dot_quote(_tooltip(span))}" if span.logs else ""
        label = dot_quote(_span_label(span))
        lines.append(f"    s{span.index} [label={label}, {_style(span)}{tip}];")
    for step, span in enumerate(trace.spans):
        source = "request" if span.parent is None else f"s{span.parent}"
        label = trace.request.method if span.parent is None else str(step)
        lines.append(f"    {source} -> s{span.index} [{_path_edge(label)}];")
    return lines


def _span_label(span: Span) -> str:
    parts = [span.section, span.status or "no response"]
    if span.answered:
        parts.append("answered")
    if span.exception is not None:
        parts.append(f"raised {span.exception.type}")
    if span.standin:
        parts.append("stand-in")
    parts += _log_lines(span)
    return "\n".join(parts)


_DOT_LOGS = 3  # log lines in a node label; the tooltip has them all


def _log_lines(span: Span) -> list[str]:
    """The first few log records, short, then how many more."""
    lines = [f"{log.level} {log.logger}: {_cut(log.message, 40)}" for log in span.logs]
    if len(lines) > _DOT_LOGS:
        lines = [*lines[:_DOT_LOGS], f"… {len(lines) - _DOT_LOGS} more log records"]
    return lines


def _tooltip(span: Span) -> str:
    """Every log record, one per line (shown on hover in SVG)."""
    return "\n".join(f"{log.level} {log.logger}: {_cut(log.message, 120)}" for log in span.logs)


def _cut(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _style(span: Span) -> str:
    """Filled and bold for the path; red for exceptions, yellow for stand-ins, bold answer."""
    fill = "#ffe3e3" if span.exception else "#fff3bf" if span.standin else "#ffe8cc"
    width = 3 if span.answered else 2
    return (
        f'style="rounded,filled,bold", fillcolor="{fill}", color="{_PATH_COLOUR}", penwidth={width}'
    )


def _path_edge(label: str) -> str:
    """A numbered call on the path (numbers count calls from one layer to the next)."""
    return (
        f'label={dot_quote(label)}, color="{_PATH_COLOUR}", fontcolor="{_PATH_COLOUR}", penwidth=2'
    )


# --------------------------------------------------------------------------- over a graph


def _over_graph(trace: Trace, graph: networkx.DiGraph) -> list[str]:
    ids = {node: f"n{i}" for i, node in enumerate(graph.nodes)}
    by_section: dict[str, list[Any]] = {}
    for node, attrs in graph.nodes(data=True):
        by_section.setdefault(str(attrs.get("section", node)), []).append(node)
    spans = {span.section: span for span in trace.spans}
    lines = [_graph_node(ids[n], n, attrs, spans) for n, attrs in graph.nodes(data=True)]
    steps = _steps(trace, graph, by_section)
    for source, target, attrs in graph.edges(data=True):
        step = steps.pop((source, target), None)
        label = str(attrs.get("label") or "")
        if step is not None:
            label = f"{step}" + (f": {label}" if label else "")
            lines.append(f"    {ids[source]} -> {ids[target]} [{_path_edge(label)}];")
        else:
            extra = f"label={dot_quote(label)}, " if label else ""
            lines.append(f'    {ids[source]} -> {ids[target]} [{extra}color="#adb5bd"];')
    for (source, target), step in steps.items():  # calls the graph has no edge for
        edge = f"{_path_edge(str(step))}, style=dashed, constraint=false"
        lines.append(f"    {ids[source]} -> {ids[target]} [{edge}];")
    return lines


def _graph_node(node_id: str, node: Any, attrs: dict[str, Any], spans: dict[str, Span]) -> str:
    section = str(attrs.get("section", node))
    label = f"{attrs.get('kind', '')}\n{section}".strip()
    span = spans.get(section)
    if span is None:
        return f'    {node_id} [label={dot_quote(label)}, color="#adb5bd", fontcolor="#495057"];'
    text = "\n".join([label, span.status or "", *_log_lines(span)])
    tip = f", tooltip={dot_quote(_tooltip(span))}" if span.logs else ""
    return f"    {node_id} [label={dot_quote(text)}, {_style(span)}{tip}];"


def _steps(
    trace: Trace, graph: networkx.DiGraph, by_section: dict[str, list[Any]]
) -> dict[tuple[Any, Any], int]:
    """(graph source, graph target) → step number, for each call from a span to its child."""
    index = {span.index: span for span in trace.spans}
    steps: dict[tuple[Any, Any], int] = {}
    for step, span in enumerate(trace.spans, start=1):
        parent = index.get(span.parent) if span.parent is not None else None
        if parent is None:
            continue
        pair = _edge_for(
            graph, by_section.get(parent.section, []), by_section.get(span.section, [])
        )
        if pair is not None:
            steps.setdefault(pair, step - 1)
    return steps


def _edge_for(
    graph: networkx.DiGraph, sources: list[Any], targets: list[Any]
) -> tuple[Any, Any] | None:
    """The graph edge between the two layers, else the pair to draw a dashed edge between."""
    for source in sources:
        for target in targets:
            if graph.has_edge(source, target):
                return (source, target)
    return (sources[0], targets[0]) if sources and targets else None
