"""The tracing WSGI layer and the Span / Trace model.

A :class:`TraceMiddleware` goes around every object a paste configuration creates. It does
nothing unless the request's environ carries a :class:`Recorder` under :data:`RECORDER_KEY`,
so the same wrapped tree serves untraced requests at the cost of one dict lookup per layer.
A traced request leaves one :class:`Span` per layer it passed through, in call order::

    rec = Recorder.start(req.environ)       # puts the recorder in the environ
    resp = req.get_response(wrapped_app)    # every traced layer records a span
    trace = rec.trace(ResponseInfo.from_body(resp.status, resp.headerlist, resp.body))
    trace.to_dict()                         # the replay JSON, schema "pastetrace.trace/1"

What a layer did is read from the environ, never from its code: the request-side change of a
layer is its environ on entry compared with the environ its next traced layer receives (or,
if it called none, with the environ when it finished); the response-side change is the status
and headers it passed upward compared with those its child passed to it.
"""

from __future__ import annotations

import dataclasses
import functools
import inspect
import itertools
import operator
import os
import re
import sys
import types
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from time import perf_counter_ns
from typing import TYPE_CHECKING, Any, NamedTuple

from pastetrace.errors import PastetraceError

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "RECORDER_KEY",
    "REMOTE_KIND",
    "SCHEMA",
    "Change",
    "ExceptionInfo",
    "LayerInfo",
    "LogInfo",
    "Recorder",
    "RequestInfo",
    "ResponseInfo",
    "RouteInfo",
    "Span",
    "TimingMiddleware",
    "Trace",
    "TraceMiddleware",
    "is_noise",
    "unwrap",
    "wrap",
]

SCHEMA = "pastetrace.trace/1"
RECORDER_KEY = "pastetrace.recorder"
# A call to another service (in-process HTTP): a side call, not "calling the next layer".
REMOTE_KIND = "http"
_OWN_PREFIX = "pastetrace."  # pastetrace's own environ keys never count as a layer's change
_REPR_LIMIT = 120
_ROUTE_KEYS = ("wsgiorg.routing_args", "routes.route")
LOG_LIMIT = 200  # log records kept per span; a note counts the rest
# Keys every layer touches without meaning to: server objects, webob caches, and the routing
# results, which are shown as the route instead.
_NOISE_PREFIXES = ("wsgi.", "webob.", "routes.", "wsgiorg.routing_args")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class LayerInfo:
    """What the configuration says about one layer; filled in by the live loader."""

    section: str
    kind: str
    factory: str | None = None
    standin: bool = False
    standin_reason: str | None = None


@dataclass(frozen=True)
class ExceptionInfo:
    """An exception a layer raised, placed at the innermost line of the layer's own code."""

    type: str
    message: str
    file: str | None = None
    line: int | None = None


@dataclass(frozen=True)
class RouteInfo:
    """The Routes match a layer made: which route, and which controller and action it chose."""

    name: str | None
    path: str | None
    methods: list[str] | None
    controller: str | None
    action: str | None
    params: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LogInfo:
    """A ``logging`` record emitted while a layer ran (captured during a replay)."""

    level: str
    logger: str
    message: str
    file: str | None = None
    line: int | None = None


class Change(NamedTuple):
    """One change a layer made, flattened for renderers (``scope`` names the diff it came from)."""

    scope: str  # "environ", "header" or "response_header"
    op: str  # "added", "changed" or "removed"
    name: str
    old: str | None
    new: str | None


def is_noise(change: Change) -> bool:
    """Environ changes that say nothing about what a layer did.

    Keys almost every layer touches (``wsgi.*``, ``webob.*``, ``routes.*``, the routing
    args), and a value replaced by one whose repr differs only in memory addresses.
    """
    if change.scope != "environ":
        return False
    if change.name.startswith(_NOISE_PREFIXES):
        return True
    return (
        change.op == "changed"
        and change.old is not None
        and change.new is not None
        and "0x" in change.old
        and _ADDRESS.sub("0x", change.old) == _ADDRESS.sub("0x", change.new)
    )


@dataclass
class Span:
    """One layer's part in one request: what it changed, what it answered, how long it took.

    ``start_ns`` counts from the recorder's start; ``duration_ns`` is inclusive and lasts until
    the layer's body was consumed or closed; ``own_ns`` leaves out the children's durations.
    Values of changed environ keys are strings, or shortened reprs for other objects.
    ``exception_from`` is the index of the span where ``exception`` was first raised (this
    span's own index when it raised it, a child's when it let it through).
    """

    section: str
    kind: str
    factory: str | None = None
    standin: bool = False
    standin_reason: str | None = None
    index: int = 0
    parent: int | None = None
    depth: int = 0
    script_name: str = ""
    path_info: str = ""
    environ_added: dict[str, str] = field(default_factory=dict)
    environ_changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    environ_removed: dict[str, str] = field(default_factory=dict)
    headers_added: dict[str, str] = field(default_factory=dict)
    headers_changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    headers_removed: dict[str, str] = field(default_factory=dict)
    status: str | None = None
    response_headers_added: dict[str, str] = field(default_factory=dict)
    response_headers_changed: dict[str, tuple[str, str]] = field(default_factory=dict)
    response_headers_removed: dict[str, str] = field(default_factory=dict)
    answered: bool = False
    exception: ExceptionInfo | None = None
    exception_from: int | None = None
    handled_exception_from: int | None = None
    start_ns: int = 0
    duration_ns: int | None = None
    own_ns: int | None = None
    route: RouteInfo | None = None
    notes: list[str] = field(default_factory=list)
    logs: list[LogInfo] = field(default_factory=list)

    def changes(self, noise: bool = True) -> list[Change]:
        """Every change this layer made, request side first, as flat rows.

        ``noise=False`` leaves out what :func:`is_noise` calls noise.
        """
        rows: list[Change] = []
        for scope, prefix in (
            ("environ", "environ_"),
            ("header", "headers_"),
            ("response_header", "response_headers_"),
        ):
            added: dict[str, str] = getattr(self, prefix + "added")
            changed: dict[str, tuple[str, str]] = getattr(self, prefix + "changed")
            removed: dict[str, str] = getattr(self, prefix + "removed")
            rows += [Change(scope, "added", k, None, v) for k, v in added.items()]
            rows += [Change(scope, "changed", k, o, n) for k, (o, n) in changed.items()]
            rows += [Change(scope, "removed", k, v, None) for k, v in removed.items()]
        return rows if noise else [row for row in rows if not is_noise(row)]


@dataclass(frozen=True)
class RequestInfo:
    """The request as it entered the outermost layer."""

    method: str
    path: str
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def from_environ(cls, environ: Mapping[str, Any]) -> RequestInfo:
        """Read method, full path, query and headers from a WSGI environ."""
        headers = [(_header_name(k), str(v)) for k, v in environ.items() if k.startswith("HTTP_")]
        for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
            if environ.get(key):
                headers.append((name, str(environ[key])))
        return cls(
            method=str(environ.get("REQUEST_METHOD", "GET")),
            path=str(environ.get("SCRIPT_NAME", "")) + str(environ.get("PATH_INFO", "")),
            query=str(environ.get("QUERY_STRING", "")),
            headers=headers,
        )


@dataclass(frozen=True)
class ResponseInfo:
    """The response the client got; the body is kept as a decoded, bounded preview."""

    status: str | None
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: str = ""
    body_length: int | None = None
    body_truncated: bool = False

    @classmethod
    def from_body(
        cls, status: str, headers: Iterable[tuple[str, str]], body: bytes, limit: int = 4096
    ) -> ResponseInfo:
        """Keep at most ``limit`` bytes of the body, so a trace file stays small."""
        return cls(
            status=status,
            headers=list(headers),
            body=body[:limit].decode("utf-8", errors="replace"),
            body_length=len(body),
            body_truncated=len(body) > limit,
        )


@dataclass
class Trace:
    """One request through a traced application: what went in, what came out, every span."""

    request: RequestInfo
    response: ResponseInfo
    spans: list[Span] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # about the whole replay (safety, timeout)
    logs: list[LogInfo] = field(default_factory=list)  # records emitted outside every layer

    def children(self, span: Span) -> list[Span]:
        """The spans entered directly below ``span``, in call order."""
        return [s for s in self.spans if s.parent == span.index]

    def parent(self, span: Span) -> Span | None:
        """The span that called ``span`` (None for a root)."""
        if span.parent is None:
            return None
        if 0 <= span.parent < len(self.spans) and self.spans[span.parent].index == span.parent:
            return self.spans[span.parent]
        return next((s for s in self.spans if s.index == span.parent), None)

    def span(self, section: str, nth: int = 0) -> Span:
        """The ``nth`` span (0-based) of a section, by header (``filter:auth``) or bare name.

        Raises:
            KeyError: no such span; the message lists the sections there are.
        """
        found = [s for s in self.spans if section in (s.section, s.section.partition(":")[2])]
        if nth < len(found) and nth >= -len(found):
            return found[nth]
        sections = ", ".join(dict.fromkeys(s.section for s in self.spans)) or "none"
        count = f"only {len(found)} span(s) of " if found else "no span "
        raise KeyError(f"{count}{section!r} (sections: {sections})")

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: Any,
    ) -> dict[str, str]:
        """Jupyter display: the HTML report and the waterfall as text (see pastetrace.notebook)."""
        from pastetrace.notebook import trace_bundle  # rich is loaded only when displayed

        return trace_bundle(self, include, exclude)

    def to_dict(self) -> dict[str, Any]:
        """The replay JSON of design.md: plain dicts, lists and scalars only."""
        return {
            "schema": SCHEMA,
            "request": _plain(self.request),
            "response": _plain(self.response),
            "spans": [_plain(span) for span in self.spans],
            "notes": list(self.notes),
            "logs": [_plain(log) for log in self.logs],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trace:
        """Read back what :meth:`to_dict` wrote (e.g. from a saved ``--format json`` file)."""
        schema = data.get("schema") if isinstance(data, Mapping) else None
        if schema != SCHEMA:
            raise PastetraceError(
                f"not a pastetrace trace: schema {schema!r} (expected {SCHEMA!r}; "
                "write one with `pastetrace replay ... --format json`)"
            )
        try:
            return cls(
                request=_request_from(data["request"]),
                response=_response_from(data["response"]),
                spans=[_span_from(item) for item in data["spans"]],
                notes=[str(note) for note in data.get("notes", [])],
                logs=[LogInfo(**log) for log in data.get("logs", [])],
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PastetraceError(f"malformed pastetrace trace: {exc!r}") from None


def _plain(obj: Any) -> Any:
    """Dataclasses and tuples to JSON-ready dicts and lists (field order kept)."""
    if hasattr(obj, "__dataclass_fields__"):
        return {f.name: _plain(getattr(obj, f.name)) for f in fields(obj)}
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj


def _request_from(data: Mapping[str, Any]) -> RequestInfo:
    return RequestInfo(
        method=data["method"],
        path=data["path"],
        query=data.get("query", ""),
        headers=[(str(k), str(v)) for k, v in data.get("headers", [])],
    )


def _response_from(data: Mapping[str, Any]) -> ResponseInfo:
    return ResponseInfo(
        status=data.get("status"),
        headers=[(str(k), str(v)) for k, v in data.get("headers", [])],
        body=data.get("body", ""),
        body_length=data.get("body_length"),
        body_truncated=bool(data.get("body_truncated", False)),
    )


_PAIR_FIELDS = {f"{p}changed" for p in ("environ_", "headers_", "response_headers_")}


def _span_from(data: Mapping[str, Any]) -> Span:
    known = {f.name for f in fields(Span)}
    values = {k: v for k, v in data.items() if k in known}
    for name in _PAIR_FIELDS & values.keys():
        values[name] = {k: (old, new) for k, (old, new) in values[name].items()}
    if values.get("exception") is not None:
        values["exception"] = ExceptionInfo(**values["exception"])
    if values.get("route") is not None:
        values["route"] = RouteInfo(**values["route"])
    if "logs" in values:
        values["logs"] = [LogInfo(**log) for log in values["logs"]]
    return Span(**values)


# --------------------------------------------------------------------------- recording


class _Frame:
    """A layer being recorded: raw facts only; its :class:`Span` is built by ``trace()``."""

    __slots__ = (
        "layer",
        "index",
        "parent",
        "depth",
        "environ",
        "entry",
        "own_file",
        "start",
        "next_entry",
        "request_diff",
        "children",
        "status",
        "headers",
        "exc",
        "exception",
        "origin",
        "end",
        "answered",
        "routing",
        "notes",
        "logs",
        "dropped_logs",
    )

    def __init__(
        self,
        layer: LayerInfo,
        index: int,
        parent: _Frame | None,
        depth: int,
        environ: WSGIEnvironment,
        entry: dict[str, Any],
        own_file: str | None,
    ) -> None:
        self.layer = layer
        self.index = index
        self.parent = parent
        self.depth = depth
        self.environ = environ
        self.entry = entry  # shallow: a layer that mutates a value in place is missed
        self.own_file = own_file
        self.start = 0
        self.next_entry: dict[str, Any] | None = None  # the environ its first child received
        self.request_diff: list[tuple[int, str, Any]] | None = None  # see _diff_request
        self.children: list[_Frame] | None = None
        self.status: str | None = None
        self.headers: list[tuple[str, str]] | None = None
        self.exc: BaseException | None = None
        self.exception: ExceptionInfo | None = None
        self.origin: int | None = None  # the span where ``exc`` was first raised
        self.end: int | None = None  # set when it finished: consumed, closed, returned, raised
        self.answered = False
        self.routing: tuple[Any, Any] | None = None  # (routing_args, route) when it finished
        self.notes: list[str] | None = None
        self.logs: list[LogInfo] | None = None
        self.dropped_logs = 0

    def note(self, text: str) -> None:
        """Attach a note to this layer's span."""
        if self.notes is None:
            self.notes = []
        self.notes.append(text)

    def log(self, record: LogInfo) -> None:
        """Keep a log record, up to :data:`LOG_LIMIT` per span."""
        if self.logs is None:
            self.logs = []
        if len(self.logs) < LOG_LIMIT:
            self.logs.append(record)
        else:
            self.dropped_logs += 1


class Recorder:
    """Collects the spans of one request; it lives in the environ under :data:`RECORDER_KEY`.

    All state is per request, so one wrapped tree can serve traced and untraced requests.
    A request is traced in one mode: either :class:`TraceMiddleware` or
    :class:`TimingMiddleware` layers, not both. During a request only raw facts are kept;
    spans, their dicts and the request info are built by :meth:`trace`.
    """

    def __init__(self, request: RequestInfo | None = None) -> None:
        self._request = request
        self._environ: dict[str, Any] | None = None  # a copy, read by ``request`` on demand
        self._t0 = perf_counter_ns()
        self._frames: list[_Frame] = []
        self._stack: list[_Frame] = []
        self._marks: list[list[Any]] = []  # timing mode: [layer, depth, start, end]
        self._depth = 0
        self._logs: list[LogInfo] = []  # records emitted outside every layer
        self._mark_logs: dict[int, list[LogInfo]] = {}  # timing mode: mark index → records

    @classmethod
    def start(cls, environ: WSGIEnvironment) -> Recorder:
        """Make a recorder for this request and put it into its environ."""
        recorder = cls()
        recorder._environ = dict(environ)
        environ[RECORDER_KEY] = recorder
        return recorder

    @property
    def request(self) -> RequestInfo | None:
        """The request as it entered the outermost layer (read from the environ on demand)."""
        if self._request is None and self._environ is not None:
            self._request = RequestInfo.from_environ(self._environ)
        return self._request

    def trace(self, response: ResponseInfo | None = None) -> Trace:
        """Finish the spans and return the trace; ``response`` defaults to the root span's."""
        frames = self._frames
        if frames:
            spans = [self._span(frame) for frame in frames]
            # Deepest first: with HEAD or a lazily closed body an outer layer may finish before
            # the router inside it, yet the route belongs to the innermost layer that ran Routes.
            claimed: list[object] = []  # routing results a deeper span already reported
            for frame in reversed(frames):
                _claim_route(frame, spans[frame.index], claimed)
        else:
            spans = self._timing_spans()
        if response is None:
            root = frames[0] if frames else None
            response = ResponseInfo(
                status=root.status if root else None,
                headers=list(root.headers or []) if root else [],
            )
        request = self.request or RequestInfo(method="GET", path="")
        return Trace(request=request, response=response, spans=spans, logs=list(self._logs))

    def open_sections(self) -> list[str]:
        """Sections of the layers still running, outermost first (e.g. after a timeout)."""
        return [frame.layer.section for frame in self._stack]

    def note(self, text: str) -> None:
        """Attach a note to the innermost running layer's span (dropped when none runs)."""
        if self._stack:
            self._stack[-1].note(text)

    def log(self, record: LogInfo) -> None:
        """Attach a log record to the innermost running layer, else to the trace itself."""
        if self._stack:
            self._stack[-1].log(record)
            return
        for index in range(len(self._marks) - 1, -1, -1):  # timing mode: innermost open mark
            if self._marks[index][3] is None:
                kept = self._mark_logs.setdefault(index, [])
                if len(kept) < LOG_LIMIT:
                    kept.append(record)
                return
        self._logs.append(record)

    # -- full mode, called by TraceMiddleware and _TracedBody

    def _push(self, frame: _Frame) -> None:
        self._stack.append(frame)

    def _pop(self, frame: _Frame) -> None:
        if self._stack and self._stack[-1] is frame:
            self._stack.pop()
        elif frame in self._stack:  # closed out of order, e.g. by the garbage collector
            self._stack.remove(frame)

    def _raised(self, frame: _Frame, exc: BaseException) -> None:
        if frame.exc is exc:
            return
        frame.exc = exc
        frame.exception = _exception_info(exc, frame.own_file)
        below = [c.origin for c in frame.children or () if c.exc is exc]
        frame.origin = below[-1] if below else frame.index
        self._finish(frame)

    def _finish(self, frame: _Frame) -> None:
        if frame.end is not None:
            return
        frame.end = perf_counter_ns()
        env = frame.environ
        if frame.next_entry is None:  # it called no traced layer: compare with now
            frame.answered = frame.exc is None
            frame.request_diff = _diff_request(frame.entry, env)
        frame.routing = (env.get("wsgiorg.routing_args"), env.get("routes.route"))

    def _span(self, frame: _Frame) -> Span:
        """Build the finished span of ``frame`` from the raw facts kept during the request."""
        if frame.end is None:
            self._finish(frame)
            frame.note("body was neither consumed nor closed when the trace was taken")
        assert frame.end is not None
        duration = frame.end - frame.start
        before: list[tuple[str, str]] = []
        inner = 0
        handled = None
        children = frame.children
        if children:
            for c in reversed(children):  # the last child that passed headers up
                if c.headers is not None and c.layer.kind != REMOTE_KIND:
                    before = c.headers
                    break
            for c in children:
                if c.end is not None:
                    inner += c.end - c.start
            if frame.exc is None:
                raised = [c.origin for c in children if c.exc is not None]
                handled = raised[-1] if raised else None
        r_added, r_changed, r_removed = _diff_headers(before, frame.headers or [])
        diffs: list[dict[str, Any]] = [{}, {}, {}, {}, {}, {}]
        raw = frame.request_diff
        if raw:
            raw.sort()  # by slot, then name: each dict comes out sorted by name
            for slot, name, value in raw:
                diffs[slot][name] = value
        notes = list(frame.notes) if frame.notes else []
        if frame.dropped_logs:
            notes.append(f"{frame.dropped_logs} more log records (kept the first {LOG_LIMIT})")
        layer, entry, parent = frame.layer, frame.entry, frame.parent
        # A copy of the defaults plus item stores: much cheaper than a 30-key dict display.
        v = _SPAN_DEFAULTS.copy()
        v["section"] = layer.section
        v["kind"] = layer.kind
        v["factory"] = layer.factory
        v["standin"] = layer.standin
        v["standin_reason"] = layer.standin_reason
        v["index"] = frame.index
        v["parent"] = None if parent is None else parent.index
        v["depth"] = frame.depth
        v["script_name"] = str(entry.get("SCRIPT_NAME", ""))
        v["path_info"] = str(entry.get("PATH_INFO", ""))
        v["environ_added"] = diffs[0]
        v["environ_changed"] = diffs[1]
        v["environ_removed"] = diffs[2]
        v["headers_added"] = diffs[3]
        v["headers_changed"] = diffs[4]
        v["headers_removed"] = diffs[5]
        v["status"] = frame.status
        v["response_headers_added"] = r_added
        v["response_headers_changed"] = r_changed
        v["response_headers_removed"] = r_removed
        v["answered"] = frame.answered
        if frame.exception is not None:
            v["exception"] = frame.exception
            v["exception_from"] = frame.origin
        v["handled_exception_from"] = handled
        v["start_ns"] = frame.start - self._t0
        v["duration_ns"] = duration
        v["own_ns"] = max(duration - inner, 0)
        v["notes"] = notes
        v["logs"] = list(frame.logs) if frame.logs else []
        return _new_span(v)

    # -- timing mode, called by TimingMiddleware

    def _timing_spans(self) -> list[Span]:
        spans: list[Span] = []
        parents: list[int] = []  # index of the open span at each depth
        t0 = self._t0
        mark_logs = self._mark_logs
        for index, (layer, depth, start, end) in enumerate(self._marks):
            del parents[depth:]
            v = _SPAN_DEFAULTS.copy()
            v["section"] = layer.section
            v["kind"] = layer.kind
            v["factory"] = layer.factory
            v["standin"] = layer.standin
            v["standin_reason"] = layer.standin_reason
            v["index"] = index
            v["parent"] = parents[-1] if parents else None
            v["depth"] = depth
            v["environ_added"] = {}
            v["environ_changed"] = {}
            v["environ_removed"] = {}
            v["headers_added"] = {}
            v["headers_changed"] = {}
            v["headers_removed"] = {}
            v["response_headers_added"] = {}
            v["response_headers_changed"] = {}
            v["response_headers_removed"] = {}
            v["start_ns"] = start - t0
            v["duration_ns"] = None if end is None else end - start
            v["notes"] = []
            v["logs"] = list(mark_logs.get(index, ()))
            spans.append(_new_span(v))
            parents.append(index)
        return spans


# Every Span field in order, with the immutable defaults (mutable ones are made per span).
_SPAN_DEFAULTS: dict[str, Any] = {
    f.name: None if f.default is dataclasses.MISSING else f.default for f in fields(Span)
}


def _new_span(values: dict[str, Any]) -> Span:
    """A Span from a dict holding every field in order, without the dataclass ``__init__``.

    Recorder.trace() builds one per layer; the generated ``__init__`` with its default
    factories costs more than everything else a span needs.
    """
    span: Span = object.__new__(Span)
    span.__dict__ = values
    return span


def _claim_route(frame: _Frame, span: Span, claimed: list[object]) -> None:
    """Report a Routes match on the innermost span whose layer made it, once per match."""
    if frame.routing is None:
        return
    entry = frame.entry
    args, route = frame.routing
    if args is None and route is None:
        return
    if entry.get("wsgiorg.routing_args") is args and entry.get("routes.route") is route:
        return
    key = args if args is not None else route
    if any(key is seen for seen in claimed):
        return
    claimed.append(key)
    match = args[1] if isinstance(args, tuple) and len(args) > 1 else None
    if not match and route is None:
        span.notes.append("routing: no route matched")
        return
    span.route = _route_info(route, match if isinstance(match, Mapping) else {})


def _diff_request(entry: dict[str, Any], now: Mapping[str, Any]) -> list[tuple[int, str, Any]]:
    """What changed between a layer's entry environ and ``now``, as raw ``(slot, name, value)``.

    Slots 0-2 are environ added/changed/removed, 3-5 the same for request headers; a value is
    a string, or an ``(old, new)`` pair for a change. Values are shown (repr'd) now, since a
    mutable value may change later in the request.
    """
    raw: list[tuple[int, str, Any]] = []
    for key in _changed_keys(entry, now):
        if key.startswith(_OWN_PREFIX):
            continue
        if key.startswith("HTTP_"):
            base = 3
            name = _HEADER_NAMES.get(key) or _header_name(key)
        else:
            base, name = 0, key
        if key not in now:
            old = entry[key]
            raw.append((base + 2, name, old if type(old) is str else _show(old)))
        elif key not in entry:
            new = now[key]
            raw.append((base, name, new if type(new) is str else _show(new)))
        else:
            old, new = entry[key], now[key]
            if not _same(old, new):
                raw.append((base + 1, name, (_show(old), _show(new))))
    return raw


def _changed_keys(entry: dict[str, Any], now: Mapping[str, Any]) -> Iterable[str]:
    """The keys whose value may differ: a superset of the keys ``_diff_request`` reports.

    Copies of an environ keep its key order (and key objects), and layers mostly add keys or
    replace values, so when ``entry``'s keys are the first keys of ``now`` the candidates are
    the values that are not the very same object plus the keys after them, found without a
    Python-level loop.
    """
    count = len(entry)
    if type(now) is dict and len(now) >= count and all(map(operator.is_, entry, now)):
        differ = map(operator.is_not, entry.values(), now.values())
        return [*itertools.compress(entry, differ), *itertools.islice(now, count, None)]
    return entry.keys() | now.keys()


def _diff_headers(
    before: list[tuple[str, str]], after: list[tuple[str, str]]
) -> tuple[dict[str, str], dict[str, tuple[str, str]], dict[str, str]]:
    """Compare header lists by case-insensitive name; repeated headers are joined with ', '."""
    count = len(before)
    if after[:count] == before:  # the usual case: a layer only appends headers
        if len(after) == count:
            return {}, {}, {}
        extra = after[count:]
        names = "\n".join(map(_FIRST, before))
        if names.isascii():  # then lower-casing the joined names lower-cases each name
            names = f"\n{names.lower()}\n"
            for name, _ in extra:
                if f"\n{name.lower()}\n" in names:
                    break
            else:  # no appended name was there before: all of them are added
                if len(extra) == 1:
                    name, value = extra[0]
                    return {name: value}, {}, {}
                added = {name: value for name, value in _header_map(extra).values()}
                return dict(sorted(added.items())), {}, {}
    old, new = _header_map(before), _header_map(after)
    added = {new[k][0]: new[k][1] for k in new.keys() - old.keys()}
    removed = {old[k][0]: old[k][1] for k in old.keys() - new.keys()}
    changed = {
        new[k][0]: (old[k][1], new[k][1]) for k in new.keys() & old.keys() if old[k][1] != new[k][1]
    }
    return dict(sorted(added.items())), dict(sorted(changed.items())), dict(sorted(removed.items()))


def _header_map(headers: list[tuple[str, str]]) -> dict[str, tuple[str, str]]:
    merged: dict[str, tuple[str, str]] = {}
    for name, value in headers:
        key = name.lower()
        merged[key] = (name, f"{merged[key][1]}, {value}") if key in merged else (name, value)
    return merged


def _header_name(key: str) -> str:
    """``HTTP_X_AUTH_TOKEN`` → ``X-Auth-Token``."""
    name = _HEADER_NAMES.get(key)
    if name is None:
        name = "-".join(part.capitalize() for part in key[5:].split("_"))
        if len(_HEADER_NAMES) < 4096:  # bounded: keys come from requests
            _HEADER_NAMES[key] = name
    return name


_HEADER_NAMES: dict[str, str] = {}
_FIRST = operator.itemgetter(0)


def _same(old: object, new: object) -> bool:
    """Equality that never raises and never trusts a non-bool ``__eq__`` result."""
    if old is new:
        return True
    try:
        return (old == new) is True
    except Exception:
        return False


def _show(value: object) -> str:
    """A string for JSON: strings as they are, anything else as a shortened, safe repr."""
    if isinstance(value, str):
        return value
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__} object (repr failed)>"
    return text if len(text) <= _REPR_LIMIT else text[: _REPR_LIMIT - 1] + "…"


def _exception_info(exc: BaseException, own_file: str | None) -> ExceptionInfo:
    """Place ``exc`` in the layer's own code: frames between this layer and the next traced one.

    The traceback starts at the tracing frame that caught ``exc``; it is followed inward until
    the next layer's tracing frame, and the innermost frame there in ``own_file`` wins (else
    the innermost frame of that stretch, else the innermost frame of all).
    """
    frames: list[tuple[str, int]] = []
    stretch: list[tuple[str, int]] | None = None
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
    while tb is not None:
        code = tb.tb_frame.f_code
        if stretch is None and code in _TRACING_CODES:
            stretch = list(frames)
        frames.append((code.co_filename, tb.tb_lineno))
        tb = tb.tb_next
    mine = frames if stretch is None else stretch
    own = [f for f in mine if own_file is not None and _normpath(f[0]) == own_file]
    candidates = own or mine or frames
    where = candidates[-1] if candidates else None
    cls = type(exc)
    name = (
        cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    )
    try:
        message = str(exc)
    except Exception:
        message = "(str() failed)"
    return ExceptionInfo(
        type=name,
        message=message,
        file=where[0] if where else None,
        line=where[1] if where else None,
    )


def _normpath(path: str) -> str:
    return os.path.normcase(os.path.abspath(path))


def _own_file(obj: object) -> str | None:
    """The source file of the module that defines ``obj``'s function or class."""
    target: Any = obj
    while isinstance(target, functools.partial):
        target = target.func
    if inspect.ismethod(target):
        target = target.__func__
    if not isinstance(target, (types.FunctionType, type)):
        target = type(target)
    module = sys.modules.get(getattr(target, "__module__", "") or "")
    path = getattr(module, "__file__", None)
    return _normpath(path) if isinstance(path, str) else None


def _route_info(route: Any, match: Mapping[str, Any]) -> RouteInfo:
    conditions = getattr(route, "conditions", None)
    methods = conditions.get("method") if isinstance(conditions, dict) else None
    action = match.get("action")
    return RouteInfo(
        name=getattr(route, "name", None),
        path=getattr(route, "routepath", None),
        methods=[str(m) for m in methods] if methods else None,
        controller=_controller_name(match.get("controller")),
        action=None if action is None else str(action),
        params={k: _show(v) for k, v in match.items() if k not in ("controller", "action")},
    )


def _controller_name(controller: object) -> str | None:
    """A string controller as written; an object as ``module.Class``, through ``.controller``."""
    if controller is None or isinstance(controller, str):
        return controller
    inner = getattr(controller, "controller", None)  # OpenStack's wsgi.Resource
    if inner is not None and not isinstance(inner, str):
        controller = inner
    cls = controller if isinstance(controller, type) else type(controller)
    if isinstance(controller, (types.FunctionType, types.MethodType)):
        return f"{controller.__module__}.{controller.__qualname__}"
    return f"{cls.__module__}.{cls.__qualname__}"


# --------------------------------------------------------------------------- the middleware


class _Layer:
    """What both tracing layers share: the wrapped app, its layer, attribute look-through."""

    def __init__(self, app: WSGIApplication, layer: LayerInfo) -> None:
        self._app = app
        self._layer = layer

    @property
    def app(self) -> WSGIApplication:
        """The wrapped application."""
        return self._app

    @property
    def layer(self) -> LayerInfo:
        """What the configuration says about the wrapped application."""
        return self._layer

    def __getattr__(self, name: str) -> Any:
        # Code that reaches into the app it was given (attributes, mappers) still finds them.
        app = vars(self).get("_app")
        if app is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(app, name)


class TraceMiddleware(_Layer):
    """Records a span for its layer when the request carries a recorder; else a plain call.

    The body, ``close()``, ``start_response`` (with ``exc_info``) and its ``write`` callable,
    and exceptions all pass through unchanged: a list or tuple body and a
    ``wsgi.file_wrapper`` are returned as the very same object, any other body is wrapped
    only to see when it is consumed or closed.

    Args:
        app: the object the configuration created.
        layer: what the configuration says about it.
        owner: the object whose module counts as this layer's own code when an exception is
            placed at file:line (default ``app``; give it when ``app`` is itself a wrapper).
    """

    def __init__(self, app: WSGIApplication, layer: LayerInfo, *, owner: object = None) -> None:
        super().__init__(app, layer)
        self._own_file = _own_file(app if owner is None else owner)
        self._remote = layer.kind == REMOTE_KIND  # a side call, not "calling the next layer"

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        recorder = environ.get(RECORDER_KEY)
        if recorder is None:
            return self._app(environ, start_response)
        return self._traced(recorder, environ, start_response)

    def _traced(
        self, recorder: Recorder, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        # Entering is inlined (no Recorder._enter call): it runs for every layer.
        stack, frames = recorder._stack, recorder._frames
        parent = stack[-1] if stack else None
        entry = dict(environ)
        frame = _Frame(self._layer, len(frames), parent, len(stack), environ, entry, self._own_file)
        if parent is not None:
            if parent.children is None:
                parent.children = [frame]
            else:
                parent.children.append(frame)
            if parent.next_entry is None and not self._remote:
                parent.next_entry = entry
                parent.request_diff = _diff_request(parent.entry, entry)
        frames.append(frame)
        stack.append(frame)

        def traced_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Any:
            if frame.status is not None and exc_info is None:
                frame.note(
                    f"called start_response twice ({frame.status}, then {status}) without "
                    "exc_info: a WSGI server refuses that (PEP 3333)"
                )
            frame.status = status
            frame.headers = list(headers)
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        frame.start = perf_counter_ns()
        try:
            body = self._app(environ, traced_start_response)
        except BaseException as exc:
            recorder._raised(frame, exc)
            recorder._pop(frame)
            raise
        if stack and stack[-1] is frame:
            stack.pop()
        else:
            recorder._pop(frame)
        if type(body) in _SEQUENCES:
            recorder._finish(frame)
            return body
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(file_wrapper, type) and isinstance(body, file_wrapper):
            frame.note("body is a wsgi.file_wrapper: its sending is not timed")
            recorder._finish(frame)
            return body
        return _TracedBody(body, recorder, frame)


_SEQUENCES = (list, tuple)  # bodies returned as they are: nothing to wait for


class _TracedBody:
    """Passes a body through, timing it and making its layer the parent of lazy calls."""

    __slots__ = ("_body", "_iter", "_recorder", "_frame")

    def __init__(self, body: Iterable[bytes], recorder: Recorder, frame: _Frame) -> None:
        self._body = body
        self._iter: Iterator[bytes] | None = None
        self._recorder = recorder
        self._frame = frame

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        recorder, frame = self._recorder, self._frame
        recorder._push(frame)
        try:
            if self._iter is None:
                self._iter = iter(self._body)
            return next(self._iter)
        except StopIteration:
            recorder._finish(frame)
            raise
        except BaseException as exc:
            recorder._raised(frame, exc)
            raise
        finally:
            recorder._pop(frame)

    def close(self) -> None:
        recorder, frame = self._recorder, self._frame
        close = getattr(self._body, "close", None)
        recorder._push(frame)
        try:
            if close is not None:
                close()
        except BaseException as exc:
            recorder._raised(frame, exc)
            raise
        finally:
            recorder._pop(frame)
            recorder._finish(frame)


class TimingMiddleware(_Layer):
    """The lean variant: records only layer, depth, start and duration, with no environ copy.

    A list or tuple body ends the span when the call returns; any other body is wrapped so
    that the span lasts until it is consumed or closed.
    """

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        recorder: Recorder | None = environ.get(RECORDER_KEY)
        if recorder is None:
            return self._app(environ, start_response)
        depth = recorder._depth
        mark = [self._layer, depth, perf_counter_ns(), None]
        recorder._marks.append(mark)
        recorder._depth = depth + 1
        try:
            body = self._app(environ, start_response)
        finally:
            recorder._depth = depth
            mark[3] = perf_counter_ns()
        if type(body) in _SEQUENCES:
            return body
        return _TimedBody(body, mark)


class _TimedBody:
    """Passes a body through and moves its layer's end mark to when it is consumed or closed."""

    __slots__ = ("_body", "_iter", "_mark")

    def __init__(self, body: Iterable[bytes], mark: list[Any]) -> None:
        self._body = body
        self._iter: Iterator[bytes] | None = None
        self._mark = mark

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._iter is None:
            self._iter = iter(self._body)
        try:
            return next(self._iter)
        finally:
            self._mark[3] = perf_counter_ns()

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        try:
            if close is not None:
                close()
        finally:
            self._mark[3] = perf_counter_ns()


# Frames of a tracing layer: where one traced layer's own code ends and the next one's begins.
_TRACING_CODES = frozenset(
    {
        TraceMiddleware.__call__.__code__,
        TraceMiddleware._traced.__code__,
        _TracedBody.__next__.__code__,
        _TracedBody.close.__code__,
    }
)


def wrap(
    app: WSGIApplication, layer: LayerInfo, *, timing_only: bool = False, owner: object = None
) -> WSGIApplication:
    """Put the tracing layer of the chosen mode around ``app``."""
    if timing_only:
        return TimingMiddleware(app, layer)
    return TraceMiddleware(app, layer, owner=owner)


def unwrap(app: object) -> object:
    """The object under any pastetrace layers (for looking inside created apps)."""
    while isinstance(app, (TraceMiddleware, TimingMiddleware)):
        app = app.app
    return app
