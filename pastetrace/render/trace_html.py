"""A replayed request as one self-contained HTML page: no CDN, no fonts, works offline.

The page has the request and final status, the path over the deployment graph (inline SVG from
Graphviz when ``dot`` is installed), a timeline with one row per layer, and each layer's
details in a ``<details>`` element that a click on its timeline row opens. Every piece of
text from the trace goes through :func:`html.escape`: header values are data, not markup.

>>> from pastetrace.trace import RequestInfo, ResponseInfo, Trace
>>> page = trace_to_html(Trace(RequestInfo("GET", "/<x>"), ResponseInfo("200 OK")))
>>> "<h1>GET /&lt;x&gt;</h1>" in page, "<x>" in page
(True, False)
"""

from __future__ import annotations

import os
import shutil
from html import escape
from typing import TYPE_CHECKING

from pastetrace.errors import RenderError
from pastetrace.render.trace_text import (
    MARKERS,
    SCOPES,
    answer_text,
    exception_text,
    format_ns,
    handled_text,
    is_noise,
    layer_name,
    route_text,
    time_window,
)
from pastetrace.trace import Change, LogInfo, Span, Trace

if TYPE_CHECKING:
    import networkx

__all__ = ["trace_to_html"]

_CSS = """
:root { --fg:#212529; --muted:#6c757d; --line:#dee2e6; --bar:#4c6ef5; --standin:#f59f00;
  --answered:#2b8a3e; --error:#e03131; --bg-soft:#f8f9fa; }
* { box-sizing: border-box; }
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
  margin: 0 auto; max-width: 1100px; padding: 1.5rem; }
h1 { font-size: 1.5rem; margin: 0; font-family: ui-monospace, Menlo, Consolas, monospace; }
h2 { font-size: 1.15rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem;
  margin-top: 2rem; }
h3 { font-size: 1rem; margin: 1rem 0 .25rem; }
code, pre, .mono { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; }
.status { display: inline-block; padding: .1rem .6rem; border-radius: 1rem; font-weight: 600;
  background: #d3f9d8; color: #2b8a3e; }
.status.bad { background: #ffe3e3; color: #c92a2a; }
.summary { color: var(--muted); margin: .5rem 0 0; }
table { border-collapse: collapse; width: 100%; margin: .25rem 0 .75rem; }
th, td { text-align: left; padding: .2rem .5rem; border-bottom: 1px solid var(--line);
  vertical-align: top; overflow-wrap: anywhere; }
th { background: var(--bg-soft); font-weight: 600; }
.graph { overflow-x: auto; border: 1px solid var(--line); border-radius: .5rem; padding: .5rem; }
.graph svg { max-width: 100%; height: auto; }
.note { color: var(--muted); font-style: italic; }
ol.timeline { list-style: none; padding: 0; margin: 0; }
ol.timeline a { display: grid; grid-template-columns: minmax(14rem, 2fr) 3fr 5.5rem;
  gap: .75rem; align-items: center; padding: .2rem .4rem; color: inherit;
  text-decoration: none; border-radius: .3rem; }
ol.timeline a:hover, ol.timeline a:focus { background: var(--bg-soft); outline: 2px solid #bac8ff; }
.name { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.track { position: relative; height: 1rem; background: var(--bg-soft); border-radius: .2rem; }
.bar { position: absolute; top: 0; bottom: 0; min-width: 2px; border-radius: .2rem;
  background: var(--bar); }
.standin .bar { background: var(--standin); }
.answered .bar { background: var(--answered); }
.exception .bar { background: var(--error); }
.logs { font-size: .75rem; color: var(--muted); margin-left: .3rem; }
tr.DEBUG { color: var(--muted); } tr.WARNING { color: #e67700; }
tr.ERROR, tr.CRITICAL { color: var(--error); }
.dur { text-align: right; font-variant-numeric: tabular-nums; }
.legend { color: var(--muted); font-size: .85rem; margin-top: .5rem; }
.legend span::before { content: ""; display: inline-block; width: .8rem; height: .8rem;
  margin: 0 .3rem 0 .8rem; vertical-align: -.1rem; border-radius: .15rem;
  background: var(--c); }
details.layer { border: 1px solid var(--line); border-radius: .5rem; margin: .5rem 0;
  padding: .25rem .75rem; }
details.layer[open] { background: #fff; box-shadow: 0 1px 4px rgba(0,0,0,.08); }
details.layer > summary { cursor: pointer; font-weight: 600; padding: .25rem 0; }
details.layer.exception > summary { color: var(--error); }
.badge { font-size: .75rem; font-weight: 600; border-radius: .6rem; padding: 0 .45rem;
  margin-left: .4rem; background: var(--bg-soft); color: var(--muted); }
.badge.standin { background: #fff3bf; color: #e67700; }
.badge.answered { background: #d3f9d8; color: #2b8a3e; }
.badge.exception { background: #ffe3e3; color: #c92a2a; }
.error { color: var(--error); }
.added { color: #2b8a3e; } .changed { color: #e67700; } .removed { color: #c92a2a; }
pre.body { background: var(--bg-soft); padding: .75rem; border-radius: .5rem;
  white-space: pre-wrap; overflow-wrap: anywhere; }
"""

# Opens the layer a timeline row points at (the link's own jump still scrolls to it).
_JS = """
function openLayer(id) {
  var layer = document.getElementById(id);
  if (layer && layer.tagName === "DETAILS") { layer.open = true; }
}
document.querySelectorAll("a[data-span]").forEach(function (link) {
  link.addEventListener("click", function () { openLayer(link.hash.slice(1)); });
});
if (location.hash) { openLayer(location.hash.slice(1)); }
"""


def trace_to_html(
    trace: Trace, *, graph: networkx.DiGraph | None = None, title: str | None = None
) -> str:
    """The whole report as one HTML document (a string with inline CSS, SVG and JS)."""
    request = trace.request
    target = request.path + (f"?{request.query}" if request.query else "")
    heading = f"{request.method} {target}"
    page_title = title or f"pastetrace: {heading} → {trace.response.status or 'no response'}"
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(page_title)}</title>",
        f"<style>{_CSS}</style>",
        "</head>",
        "<body>",
        _header(trace, heading),
        "<main>",
        _graph_section(trace, graph),
        _timeline(trace),
        _layers(trace),
        _response(trace),
        "</main>",
        f"<script>{_JS}</script>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"


def _header(trace: Trace, heading: str) -> str:
    status = trace.response.status or "no response"
    start, end = time_window(trace.spans)
    summary = f"{len(trace.spans)} layers · {format_ns(end - start)} in the traced layers"
    rows = _table(("Header", "Value"), [(k, v) for k, v in trace.request.headers])
    return (
        "<header>"
        f"<h1>{escape(heading)}</h1>"
        f'<p>Final status: <span class="status{_bad(status)}">{escape(status)}</span></p>'
        f'<p class="summary">{escape(summary)}</p>'
        f"<h2>Request headers</h2>{rows}"
        "</header>"
    )


def _bad(status: str) -> str:
    return " bad" if status.startswith(("4", "5")) or status == "no response" else ""


def _graph_section(trace: Trace, graph: networkx.DiGraph | None) -> str:
    title = "Path through the deployment" if graph is not None else "Path"
    return (
        '<section aria-labelledby="path-h">'
        f'<h2 id="path-h">{title}</h2>{_svg(trace, graph)}'
        "</section>"
    )


def _svg(trace: Trace, graph: networkx.DiGraph | None) -> str:
    """Graphviz's SVG without its XML prolog, or a note saying why there is none."""
    if shutil.which("dot") is None:
        return '<p class="note">Graph omitted: Graphviz <code>dot</code> is not installed.</p>'
    from pastetrace.render.trace_dot import trace_image

    try:
        svg = trace_image(trace, graph, "svg").decode("utf-8")
    except RenderError as exc:
        return f'<p class="note">Graph omitted: {escape(str(exc))}</p>'
    start = svg.find("<svg")
    return f'<div class="graph" role="img" aria-label="path graph">{svg[start:]}</div>'


def _timeline(trace: Trace) -> str:
    start, end = time_window(trace.spans)
    total = max(end - start, 1)
    rows = [_timeline_row(span, start, total) for span in trace.spans]
    legend = (
        '<p class="legend">Bar colours:<span style="--c:var(--bar)">passed on</span>'
        '<span style="--c:var(--answered)">answered</span>'
        '<span style="--c:var(--standin)">stand-in</span>'
        '<span style="--c:var(--error)">exception</span> · click a row for its details</p>'
    )
    return (
        '<section aria-labelledby="timeline-h"><h2 id="timeline-h">Timeline</h2>'
        f'<ol class="timeline">{"".join(rows)}</ol>{legend}</section>'
    )


def _timeline_row(span: Span, start: int, total: int) -> str:
    left = (span.start_ns - start) * 100 / total
    width = (span.duration_ns or 0) * 100 / total
    own = format_ns(span.own_ns)
    label = f"{layer_name(span)}: {format_ns(span.duration_ns)} total, {own} own"
    return (
        f'<li class="{_state(span)}">'
        f'<a href="#span-{span.index}" data-span="{span.index}" title="{escape(label)}">'
        f'<span class="name mono" style="padding-left:{span.depth * 1.1:.1f}em">'
        f"{escape(layer_name(span))}{_log_marker(span)}</span>"
        f'<span class="track"><span class="bar" style="left:{left:.2f}%;width:{width:.2f}%">'
        "</span></span>"
        f'<span class="dur">{escape(format_ns(span.duration_ns))}</span></a></li>'
    )


def _log_marker(span: Span) -> str:
    """A small count after the layer's name when it logged, so the row says "look inside"."""
    if not span.logs:
        return ""
    count = len(span.logs)
    words = f"{count} log record{'s' if count != 1 else ''}"
    return f'<span class="logs" title="{words}">✎{count}</span>'


def _state(span: Span) -> str:
    if span.exception is not None:
        return "exception"
    if span.standin:
        return "standin"
    return "answered" if span.answered else "passed"


def _layers(trace: Trace) -> str:
    items = [_layer(trace, span) for span in trace.spans]
    return (
        '<section aria-labelledby="layers-h"><h2 id="layers-h">Layers</h2>'
        f"{''.join(items)}</section>"
    )


def _layer(trace: Trace, span: Span) -> str:
    badges = [f'<span class="badge">{escape(span.status or "no response")}</span>']
    if span.standin:
        badges.append('<span class="badge standin">stand-in</span>')
    if span.answered:
        badges.append('<span class="badge answered">answered</span>')
    if span.exception is not None:
        badges.append(f'<span class="badge exception">{escape(span.exception.type)}</span>')
    summary = f"{escape(layer_name(span))}{''.join(badges)}"
    return (
        f'<details class="layer {_state(span)}" id="span-{span.index}">'
        f"<summary><span class='mono'>{summary}</span></summary>{_layer_body(trace, span)}"
        "</details>"
    )


def _layer_body(trace: Trace, span: Span) -> str:
    facts = [
        ("Kind", span.kind),
        ("Factory", span.factory or "—"),
        ("SCRIPT_NAME on entry", span.script_name or "''"),
        ("PATH_INFO on entry", span.path_info or "''"),
        ("Time", f"{format_ns(span.duration_ns)} total, {format_ns(span.own_ns)} own"),
    ]
    if span.standin:
        facts.append(("Stand-in", span.standin_reason or "no reason recorded"))
    parts = [_table(("Fact", "Value"), facts)]
    said = [t for t in (answer_text(span), handled_text(trace, span)) if t]
    parts += [f"<p><strong>{escape(text)}</strong></p>" for text in said]
    if span.exception is not None:
        exc = exception_text(span.exception)
        parts.append(f'<h3>Exception</h3><p class="error mono">{escape(exc)}</p>')
    if span.route is not None:
        parts.append(f'<h3>Route</h3><p class="mono">{escape(route_text(span.route))}</p>')
    parts.append(_changes(span))
    if span.notes:
        notes = "".join(f"<li>{escape(note)}</li>" for note in span.notes)
        parts.append(f"<h3>Notes</h3><ul>{notes}</ul>")
    if span.logs:
        parts.append(f"<h3>Log records</h3>{_log_table(span.logs)}")
    return "".join(parts)


def _log_table(logs: list[LogInfo]) -> str:
    head = "<tr><th scope='col'>Level</th><th scope='col'>Logger</th>"
    head += "<th scope='col'>Message</th><th scope='col'>Where</th></tr>"
    rows = []
    for log in logs:
        where = f"{os.path.basename(log.file)}:{log.line}" if log.file else ""
        rows.append(
            f'<tr class="{escape(log.level)}"><td>{escape(log.level)}</td>'
            f'<td class="mono">{escape(log.logger)}</td><td class="mono">{escape(log.message)}</td>'
            f'<td class="mono" title="{escape(log.file or "")}">{escape(where)}</td></tr>'
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _changes(span: Span) -> str:
    rows = span.changes()
    shown = [c for c in rows if not is_noise(c)]
    noise = [c for c in rows if is_noise(c)]
    if not rows:
        return '<p class="note">Changed no headers and no environ keys.</p>'
    out = ["<h3>Changes</h3>", _change_table(shown)] if shown else []
    if noise:
        out.append(
            f"<details><summary>{len(noise)} environ keys most layers touch "
            f"(wsgi.*, webob.*, routing)</summary>{_change_table(noise)}</details>"
        )
    return "".join(out)


def _change_table(changes: list[Change]) -> str:
    head = "<tr><th scope='col'>Change</th><th scope='col'>Where</th>"
    head += "<th scope='col'>Name</th><th scope='col'>Before</th><th scope='col'>After</th></tr>"
    rows = [
        f'<tr class="{c.op}"><td>{MARKERS[c.op]} {c.op}</td><td>{escape(SCOPES[c.scope])}</td>'
        f'<td class="mono">{escape(c.name)}</td><td class="mono">{escape(c.old or "")}</td>'
        f'<td class="mono">{escape(c.new or "")}</td></tr>'
        for c in changes
    ]
    return f"<table>{head}{''.join(rows)}</table>"


def _response(trace: Trace) -> str:
    response = trace.response
    status = response.status or "no response"
    body = ""
    if response.body_length:
        more = " (preview, truncated)" if response.body_truncated else ""
        body = (
            f"<h3>Body: {response.body_length} bytes{more}</h3>"
            f'<pre class="body">{escape(response.body)}</pre>'
        )
    return (
        '<section aria-labelledby="response-h"><h2 id="response-h">Response</h2>'
        f'<p><span class="status{_bad(status)}">{escape(status)}</span></p>'
        f"{_table(('Header', 'Value'), list(response.headers))}{body}</section>"
    )


def _table(columns: tuple[str, str], rows: list[tuple[str, str]]) -> str:
    if not rows:
        return '<p class="note">None.</p>'
    head = "".join(f"<th scope='col'>{escape(c)}</th>" for c in columns)
    body = "".join(
        f"<tr><th scope='row' class='mono'>{escape(k)}</th><td class='mono'>{escape(v)}</td></tr>"
        for k, v in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"
