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

import functools
import inspect
import itertools
import operator
import os
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
    "Recorder",
    "RequestInfo",
    "ResponseInfo",
    "RouteInfo",
    "Span",
    "TimingMiddleware",
    "Trace",
    "TraceMiddleware",
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


class Change(NamedTuple):
    """One change a layer made, flattened for renderers (``scope`` names the diff it came from)."""

    scope: str  # "environ", "header" or "response_header"
    op: str  # "added", "changed" or "removed"
    name: str
    old: str | None
    new: str | None


@dataclass
class Span:
    """One layer's part in one request: what it changed, what it answered, how long it took.

    ``start_ns`` counts from the recorder's start; ``duration_ns`` is inclusive and lasts until
    the layer's body was consumed or closed; ``own_ns`` leaves out the children's durations.
    Values of changed environ keys are strings, or shortened reprs for other objects.
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
    handled_exception_from: int | None = None
    start_ns: int = 0
    duration_ns: int | None = None
    own_ns: int | None = None
    route: RouteInfo | None = None
    notes: list[str] = field(default_factory=list)

    def changes(self) -> list[Change]:
        """Every change this layer made, request side first, as flat rows."""
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
        return rows


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

    def children(self, span: Span) -> list[Span]:
        """The spans entered directly below ``span``, in call order."""
        return [s for s in self.spans if s.parent == span.index]

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
    return Span(**values)


# --------------------------------------------------------------------------- recording


class _Frame:
    """A span being recorded, with the private state needed to finish it."""

    __slots__ = (
        "span",
        "environ",
        "entry",
        "child_entered",
        "children",
        "headers",
        "exc",
        "origin",
        "start",
        "done",
        "own_file",
        "routing",
    )

    def __init__(
        self, span: Span, environ: WSGIEnvironment, start: int, own_file: str | None
    ) -> None:
        self.span = span
        self.environ = environ
        self.entry = dict(environ)  # shallow: a layer that mutates a value in place is missed
        self.child_entered = False
        self.children: list[_Frame] = []
        self.headers: list[tuple[str, str]] | None = None
        self.exc: BaseException | None = None
        self.origin: int | None = None  # the span where ``exc`` was first raised
        self.start = start
        self.done = False
        self.own_file = own_file
        self.routing: tuple[Any, Any] | None = None  # (routing_args, route) when it finished


class Recorder:
    """Collects the spans of one request; it lives in the environ under :data:`RECORDER_KEY`.

    All state is per request, so one wrapped tree can serve traced and untraced requests.
    A request is traced in one mode: either :class:`TraceMiddleware` or
    :class:`TimingMiddleware` layers, not both.
    """

    def __init__(self, request: RequestInfo | None = None) -> None:
        self.request = request
        self._t0 = perf_counter_ns()
        self._frames: list[_Frame] = []
        self._stack: list[_Frame] = []
        self._claimed: list[object] = []  # routing results a deeper span already reported
        self._marks: list[list[Any]] = []  # timing mode: [layer, depth, start, end]
        self._depth = 0

    @classmethod
    def start(cls, environ: WSGIEnvironment) -> Recorder:
        """Make a recorder for this request and put it into its environ."""
        recorder = cls(RequestInfo.from_environ(environ))
        environ[RECORDER_KEY] = recorder
        return recorder

    def trace(self, response: ResponseInfo | None = None) -> Trace:
        """Finish the spans and return the trace; ``response`` defaults to the root span's."""
        spans = [self._finished(frame) for frame in self._frames] or self._timing_spans()
        # Deepest first: with HEAD or a lazily closed body an outer layer may finish before
        # the router inside it, yet the route belongs to the innermost layer that ran Routes.
        for frame in reversed(self._frames):
            self._claim_route(frame)
        if response is None:
            root = self._frames[0] if self._frames else None
            response = ResponseInfo(
                status=root.span.status if root else None,
                headers=list(root.headers or []) if root else [],
            )
        request = self.request or RequestInfo(method="GET", path="")
        return Trace(request=request, response=response, spans=spans)

    def open_sections(self) -> list[str]:
        """Sections of the layers still running, outermost first (e.g. after a timeout)."""
        return [frame.span.section for frame in self._stack]

    # -- full mode, called by TraceMiddleware

    def _enter(self, layer: LayerInfo, environ: WSGIEnvironment, own_file: str | None) -> _Frame:
        parent = self._stack[-1] if self._stack else None
        if parent is not None and not parent.child_entered and layer.kind != REMOTE_KIND:
            parent.child_entered = True
            _diff_request(parent, environ)
        start = perf_counter_ns()
        span = Span(
            section=layer.section,
            kind=layer.kind,
            factory=layer.factory,
            standin=layer.standin,
            standin_reason=layer.standin_reason,
            index=len(self._frames),
            parent=parent.span.index if parent is not None else None,
            depth=len(self._stack),
            script_name=str(environ.get("SCRIPT_NAME", "")),
            path_info=str(environ.get("PATH_INFO", "")),
            start_ns=start - self._t0,
        )
        frame = _Frame(span, environ, start, own_file)
        if parent is not None:
            parent.children.append(frame)
        self._frames.append(frame)
        self._stack.append(frame)
        return frame

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
        frame.span.exception = _exception_info(exc, frame.own_file)
        below = [c.origin for c in frame.children if c.exc is exc]
        frame.origin = below[-1] if below else frame.span.index
        self._finish(frame)

    def _finish(self, frame: _Frame) -> None:
        if frame.done:
            return
        frame.done = True
        frame.span.duration_ns = perf_counter_ns() - frame.start
        if not frame.child_entered:
            frame.span.answered = frame.exc is None
            _diff_request(frame, frame.environ)
        if frame.exc is None:
            raised = [c.origin for c in frame.children if c.exc is not None]
            frame.span.handled_exception_from = raised[-1] if raised else None
        env = frame.environ
        frame.routing = (env.get("wsgiorg.routing_args"), env.get("routes.route"))

    def _claim_route(self, frame: _Frame) -> None:
        if frame.routing is None:
            return
        entry = frame.entry
        args, route = frame.routing
        if args is None and route is None:
            return
        if entry.get("wsgiorg.routing_args") is args and entry.get("routes.route") is route:
            return
        key = args if args is not None else route
        if any(key is seen for seen in self._claimed):
            return
        self._claimed.append(key)
        match = args[1] if isinstance(args, tuple) and len(args) > 1 else None
        if not match and route is None:
            frame.span.notes.append("routing: no route matched")
            return
        frame.span.route = _route_info(route, match if isinstance(match, Mapping) else {})

    def _finished(self, frame: _Frame) -> Span:
        span = frame.span
        if not frame.done:
            self._finish(frame)
            span.notes.append("body was neither consumed nor closed when the trace was taken")
        before: list[tuple[str, str]] = []
        inner = 0
        children = frame.children
        if children:
            for c in reversed(children):  # the last child that passed headers up
                if c.headers is not None and c.span.kind != REMOTE_KIND:
                    before = c.headers
                    break
            for c in children:
                inner += c.span.duration_ns or 0
        added, changed, removed = _diff_headers(before, frame.headers or [])
        span.response_headers_added = added
        span.response_headers_changed = changed
        span.response_headers_removed = removed
        span.own_ns = None if span.duration_ns is None else max(span.duration_ns - inner, 0)
        return span

    # -- timing mode, called by TimingMiddleware

    def _timing_spans(self) -> list[Span]:
        spans: list[Span] = []
        parents: list[int] = []  # index of the open span at each depth
        for index, (layer, depth, start, end) in enumerate(self._marks):
            del parents[depth:]
            span = Span(
                section=layer.section,
                kind=layer.kind,
                factory=layer.factory,
                standin=layer.standin,
                standin_reason=layer.standin_reason,
                index=index,
                parent=parents[-1] if parents else None,
                depth=depth,
                start_ns=start - self._t0,
                duration_ns=None if end is None else end - start,
            )
            spans.append(span)
            parents.append(index)
        return spans


def _diff_request(frame: _Frame, now: Mapping[str, Any]) -> None:
    """Store on ``frame`` what changed between its entry environ and ``now``."""
    span, entry = frame.span, frame.entry
    changed = False
    for key in _changed_keys(entry, now):
        if key.startswith(_OWN_PREFIX):
            continue
        changed = True
        is_header = key.startswith("HTTP_")
        name = _header_name(key) if is_header else key
        if key not in now:
            (span.headers_removed if is_header else span.environ_removed)[name] = _show(entry[key])
        elif key not in entry:
            (span.headers_added if is_header else span.environ_added)[name] = _show(now[key])
        elif not _same(entry[key], now[key]):
            pair = (_show(entry[key]), _show(now[key]))
            (span.headers_changed if is_header else span.environ_changed)[name] = pair
    if not changed:
        return
    for diff in (span.environ_added, span.environ_changed, span.environ_removed):
        _sort_in_place(diff)
    for diff in (span.headers_added, span.headers_changed, span.headers_removed):
        _sort_in_place(diff)


def _changed_keys(entry: dict[str, Any], now: Mapping[str, Any]) -> Iterable[str]:
    """The keys whose value may differ: a superset of the keys ``_diff_request`` reports.

    Copies of an environ keep its key order, and layers mostly add keys or replace values, so
    when ``entry``'s keys are the first keys of ``now`` the candidates are the values that are
    not the very same object plus the keys after them, found without a Python-level loop.
    """
    keys = list(now)
    old_keys = list(entry)
    if type(now) is dict and keys[: len(old_keys)] == old_keys:
        differ = map(operator.is_not, entry.values(), now.values())
        return [*itertools.compress(old_keys, differ), *keys[len(old_keys) :]]
    return entry.keys() | now.keys()


def _sort_in_place(diff: dict[str, Any]) -> None:
    if len(diff) < 2:
        return
    items = sorted(diff.items())
    diff.clear()
    diff.update(items)


def _diff_headers(
    before: list[tuple[str, str]], after: list[tuple[str, str]]
) -> tuple[dict[str, str], dict[str, tuple[str, str]], dict[str, str]]:
    """Compare header lists by case-insensitive name; repeated headers are joined with ', '."""
    count = len(before)
    if after[:count] == before:  # the usual case: a layer only appends headers
        if len(after) == count:
            return {}, {}, {}
        extra = after[count:]
        names = "\n".join([name for name, _ in before])
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


class TraceMiddleware:
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
        self._app = app
        self._layer = layer
        self._own_file = _own_file(app if owner is None else owner)

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

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        recorder = environ.get(RECORDER_KEY)
        if recorder is None:
            return self._app(environ, start_response)
        return self._traced(recorder, environ, start_response)

    def _traced(
        self, recorder: Recorder, environ: WSGIEnvironment, start_response: StartResponse
    ) -> Iterable[bytes]:
        frame = recorder._enter(self._layer, environ, self._own_file)

        def traced_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Any:
            if frame.span.status is not None and exc_info is None:
                frame.span.notes.append(
                    f"called start_response twice ({frame.span.status}, then {status}) without "
                    "exc_info: a WSGI server refuses that (PEP 3333)"
                )
            frame.span.status = status
            frame.headers = list(headers)
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        try:
            body = self._app(environ, traced_start_response)
        except BaseException as exc:
            recorder._raised(frame, exc)
            raise
        finally:
            recorder._pop(frame)
        if type(body) in (list, tuple):
            recorder._finish(frame)
            return body
        file_wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(file_wrapper, type) and isinstance(body, file_wrapper):
            frame.span.notes.append("body is a wsgi.file_wrapper: its sending is not timed")
            recorder._finish(frame)
            return body
        return _TracedBody(body, recorder, frame)


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


class TimingMiddleware:
    """The lean variant: records only layer, depth, start and duration, with no environ copy.

    A list or tuple body ends the span when the call returns; any other body is wrapped so
    that the span lasts until it is consumed or closed.
    """

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
        app = vars(self).get("_app")
        if app is None or name.startswith("__"):
            raise AttributeError(name)
        return getattr(app, name)

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
        if type(body) in (list, tuple):
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
