"""Words for a trace, shared by the trace renderers so that every format tells the same story.

Each helper turns one part of a :class:`~pastetrace.trace.Span` into a short plain string;
the renderers add their own markup (rich styles, HTML, Mermaid escapes) around it.

>>> from pastetrace.trace import Span
>>> span = Span("filter:auth", "filter", status="401 Unauthorized", answered=True)
>>> layer_name(span), answer_text(span)
('filter:auth', 'answered 401 Unauthorized itself — did not call the next layer')
>>> format_ns(1_234_567), format_ns(8_000), format_ns(None)
('1.23 ms', '8 µs', '—')
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from pastetrace.trace import Change, ExceptionInfo, LogInfo, RouteInfo, Span, Trace, is_noise

__all__ = [
    "MARKERS",
    "SCOPES",
    "answer_text",
    "change_text",
    "exception_text",
    "format_ns",
    "handled_text",
    "is_noise",
    "layer_name",
    "log_text",
    "raised_word",
    "route_text",
    "shorten",
    "span_by_index",
    "time_window",
    "visible_changes",
]

MARKERS = {"added": "+", "changed": "~", "removed": "-"}
SCOPES = {"environ": "environ", "header": "header", "response_header": "response header"}
# Kinds whose job is to call a next layer, so answering is worth pointing out.
_PASSING_KINDS = frozenset({"filter", "filter-app", "pipeline", "composite", "urlmap"})


def shorten(value: str | None, limit: int = 60) -> str:
    """One line of at most ``limit`` characters, so one long value cannot swamp the story."""
    if value == "":
        return "''"  # an empty value must not look like a missing one
    text = "" if value is None else " ".join(str(value).split())
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def format_ns(ns: int | None) -> str:
    """A duration a person reads at a glance: ``456 µs``, ``1.23 ms``, ``2.50 s``."""
    if ns is None:
        return "—"
    if ns < 1_000:
        return f"{ns} ns"
    if ns < 1_000_000:
        return f"{ns / 1_000:.0f} µs"
    if ns < 1_000_000_000:
        return f"{ns / 1_000_000:.2f} ms"
    return f"{ns / 1_000_000_000:.2f} s"


def layer_name(span: Span) -> str:
    """``kind section``, leaving out the kind when the section already starts with it."""
    if span.section.startswith(f"{span.kind}:"):
        return span.section
    return f"{span.kind} {span.section}"


def visible_changes(
    span: Span, *, show_environ: bool = False, out: bool | None = None
) -> list[Change]:
    """The changes worth showing; ``out`` picks response-side (True) or request-side (False)."""
    rows = span.changes(noise=show_environ)
    if out is not None:
        rows = [c for c in rows if (c.scope == "response_header") is out]
    return rows


def change_text(change: Change, limit: int = 60) -> str:
    """``+ header X-User-Id: u-42``, ``~ environ PATH_INFO: /a → /b``, ``- header X (was v)``."""
    head = f"{MARKERS[change.op]} {SCOPES[change.scope]} {change.name}"
    if change.op == "added":
        return f"{head}: {shorten(change.new, limit)}"
    if change.op == "removed":
        return f"{head} (was {shorten(change.old, limit)})"
    return f"{head}: {shorten(change.old, limit // 2)} → {shorten(change.new, limit)}"


def answer_text(span: Span) -> str | None:
    """What to say about a layer that produced the response without calling a traced layer."""
    if not span.answered:
        return None
    status = span.status or "a response"
    if span.kind in _PASSING_KINDS:
        return f"answered {status} itself — did not call the next layer"
    return f"answered {status}"


def exception_text(exc: ExceptionInfo) -> str:
    """``ValueError: boom (app.py:12)``, the path made relative when it is under the cwd."""
    where = ""
    if exc.file is not None:
        where = f" ({_short_path(exc.file)}:{exc.line})" if exc.line else f" ({exc.file})"
    message = f": {shorten(exc.message, 120)}" if exc.message else ""
    return f"{exc.type}{message}{where}"


def handled_text(trace: Trace, span: Span) -> str | None:
    """``turned ValueError from app:boom into 500 Internal Server Error``, for the catcher."""
    if span.handled_exception_from is None:
        return None
    origin = span_by_index(trace).get(span.handled_exception_from)
    exc = origin.exception.type if origin is not None and origin.exception else "an exception"
    where = origin.section if origin is not None else f"span {span.handled_exception_from}"
    return f"turned {exc} from {where} into {span.status or 'a response'}"


def raised_word(trace: Trace, span: Span) -> str:
    """``raised`` where the exception started, ``let through`` where it only passed."""
    if span.exception_from is not None:
        return "raised" if span.exception_from == span.index else "let through"
    exc = span.exception  # a trace saved before exception_from: match the children's
    below = [c.exception for c in trace.children(span) if c.exception is not None]
    if exc is not None and any((b.type, b.message) == (exc.type, exc.message) for b in below):
        return "let through"
    return "raised"


def log_text(log: LogInfo, limit: int = 120) -> str:
    """``INFO nova.rpc: cast to scheduler: run_instance``."""
    return f"{log.level} {log.logger}: {shorten(log.message, limit)}"


def route_text(route: RouteInfo) -> str:
    """``route server: GET /servers/{id} → module.Class.show(id=42)``."""
    name = f"route {route.name}" if route.name else "route"
    methods = "|".join(route.methods) + " " if route.methods else ""
    target = ".".join(p for p in (route.controller, route.action) if p) or "?"
    params = ", ".join(f"{k}={shorten(v, 40)}" for k, v in route.params.items())
    return f"{name}: {methods}{route.path or '?'} → {target}({params})"


def span_by_index(trace: Trace) -> dict[int, Span]:
    """Spans keyed by their ``index`` (the position in the list, unless a file was edited)."""
    return {span.index: span for span in trace.spans}


def time_window(spans: Iterable[Span]) -> tuple[int, int]:
    """The first start and the last end among timed spans, as ``(start_ns, end_ns)``."""
    timed = [(s.start_ns, s.start_ns + s.duration_ns) for s in spans if s.duration_ns is not None]
    if not timed:
        return (0, 0)
    return (min(t[0] for t in timed), max(t[1] for t in timed))


def _short_path(path: str) -> str:
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return path
    return path if relative.startswith("..") else relative
