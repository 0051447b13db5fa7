"""Tests for pastetrace.trace: hand-written WSGI layers, validator-wrapped on both sides."""

from __future__ import annotations

import io
import json
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.util import FileWrapper
from wsgiref.validate import validator

import pytest

from pastetrace.errors import PastetraceError
from pastetrace.trace import (
    RECORDER_KEY,
    SCHEMA,
    Change,
    LayerInfo,
    Recorder,
    RequestInfo,
    ResponseInfo,
    Span,
    TimingMiddleware,
    Trace,
    TraceMiddleware,
    unwrap,
    wrap,
)

with warnings.catch_warnings():
    # WebOb 1.8 imports the stdlib `cgi` module, deprecated since Python 3.11.
    warnings.filterwarnings("ignore", "'cgi' is deprecated", DeprecationWarning)
    import routes
    import routes.middleware
    from webob import Request, Response

App = Callable[..., Iterable[bytes]]

# --------------------------------------------------------------------------- fixtures


def traced(app: App, section: str, kind: str = "filter") -> App:
    """Trace ``app`` as ``section``, with a WSGI validator above and below the tracing layer."""
    layer = LayerInfo(section=section, kind=kind, factory=f"tests:{section.split(':')[-1]}")
    return validator(TraceMiddleware(validator(app), layer, owner=app))


def run(app: App, path: str = "/", **kwargs: Any) -> tuple[Response, Trace]:
    """Replay ``path`` through ``app`` with a recorder, as pastetrace's replay will."""
    req = Request.blank(path, **kwargs)
    recorder = Recorder.start(req.environ)
    resp = req.get_response(app)
    trace = recorder.trace(ResponseInfo.from_body(resp.status, resp.headerlist, resp.body))
    return resp, trace


def hello(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


def ignore_start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    """A start_response for calling a layer directly, outside webob."""
    return None


def passthrough(app: App) -> App:
    def passthrough_filter(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return app(environ, start_response)

    return passthrough_filter


def by_section(trace: Trace) -> dict[str, Span]:
    return {span.section: span for span in trace.spans}


def without_validator(diff: dict[str, Any]) -> dict[str, Any]:
    """Drop wsgi.input / wsgi.errors, which every wsgiref validator wraps again."""
    return {k: v for k, v in diff.items() if k not in ("wsgi.input", "wsgi.errors")}


def line_of(marker: str) -> int:
    """The line of this file that carries ``marker`` in a comment."""
    with open(__file__, encoding="utf-8") as source:
        for number, text in enumerate(source, start=1):
            if text.rstrip().endswith(f"# {marker}"):
                return number
    raise AssertionError(marker)


def three_filters_and_app() -> App:
    app = traced(hello, "app:hello", "app")
    for name in ("filter:c", "filter:b", "filter:a"):
        app = traced(passthrough(app), name)
    return app


# --------------------------------------------------------------------------- tests


class TestSpanTree:
    def test_spans_are_in_call_order_with_depth_and_parent(self) -> None:
        """Three filters and an app give four spans, each the parent of the next."""
        resp, trace = run(three_filters_and_app())

        assert resp.body == b"hello"
        assert [s.section for s in trace.spans] == ["filter:a", "filter:b", "filter:c", "app:hello"]
        assert [s.index for s in trace.spans] == [0, 1, 2, 3]
        assert [s.depth for s in trace.spans] == [0, 1, 2, 3]
        assert [s.parent for s in trace.spans] == [None, 0, 1, 2]
        assert [s.answered for s in trace.spans] == [False, False, False, True]
        assert all(s.status == "200 OK" for s in trace.spans)

    def test_durations_nest_and_own_time_excludes_children(self) -> None:
        """A parent's inclusive time covers its child's, and own time is the difference."""
        _, trace = run(three_filters_and_app())
        outer, inner = trace.spans[0], trace.spans[1]

        assert outer.duration_ns is not None and inner.duration_ns is not None
        assert outer.duration_ns >= inner.duration_ns
        assert outer.own_ns == outer.duration_ns - inner.duration_ns
        assert outer.start_ns <= inner.start_ns

    def test_layer_info_is_copied_onto_span(self) -> None:
        """Section, kind, factory and stand-in flags come from the LayerInfo."""
        layer = LayerInfo("app:x", "app", "egg:Nope#x", standin=True, standin_reason="no module")
        _, trace = run(validator(TraceMiddleware(validator(hello), layer)))

        (span,) = trace.spans
        assert (span.kind, span.factory, span.standin) == ("app", "egg:Nope#x", True)
        assert span.standin_reason == "no module"

    def test_trace_response_defaults_to_root_span(self) -> None:
        """Without an explicit response, the trace uses the status and headers of the root span."""
        req = Request.blank("/")
        recorder = Recorder.start(req.environ)
        assert req.get_response(three_filters_and_app()).body == b"hello"

        trace = recorder.trace()
        assert trace.response.status == "200 OK"
        assert ("Content-Length", "5") in trace.response.headers
        assert trace.children(trace.spans[0]) == [trace.spans[1]]


def auth_filter(app: App) -> App:
    def auth(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ["REMOTE_USER"] = "alice"
        environ["HTTP_X_USER_ID"] = "u-1"
        environ["HTTP_ACCEPT"] = "application/json"
        del environ["HTTP_X_AUTH_TOKEN"]
        environ["wsgi.multithread"] = True
        return app(environ, start_response)

    return auth


class TestRequestChanges:
    def test_filter_adding_header_and_environ_key(self) -> None:
        """Environ keys and HTTP_* headers a filter changed before calling on land on its span."""
        app = traced(auth_filter(traced(hello, "app:hello", "app")), "filter:auth")
        headers = {"X-Auth-Token": "secret", "Accept": "text/html"}
        _, trace = run(app, headers=headers)
        auth, inner = trace.spans

        assert auth.environ_added == {"REMOTE_USER": "alice"}
        assert without_validator(auth.environ_changed) == {"wsgi.multithread": ("False", "True")}
        assert auth.headers_added == {"X-User-Id": "u-1"}
        assert auth.headers_changed == {"Accept": ("text/html", "application/json")}
        assert auth.headers_removed == {"X-Auth-Token": "secret"}
        assert not inner.environ_added and not inner.headers_added

    def test_recorder_key_is_never_a_change(self) -> None:
        """pastetrace's own environ keys do not show up as a layer's change."""
        _, trace = run(traced(hello, "app:hello", "app"))

        assert all(RECORDER_KEY not in s.environ_added for s in trace.spans)

    def test_path_rewrite_is_seen_on_entry_of_next_span(self) -> None:
        """A filter moving a segment to SCRIPT_NAME shows as a change; the child sees the result."""

        def strip_version(app: App) -> App:
            def strip(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
                environ["SCRIPT_NAME"] += "/v2"
                environ["PATH_INFO"] = environ["PATH_INFO"][len("/v2") :]
                return app(environ, start_response)

            return strip

        app = traced(strip_version(traced(hello, "app:hello", "app")), "filter:version")
        _, trace = run(app, "/v2/servers")
        outer, inner = trace.spans

        assert (outer.script_name, outer.path_info) == ("", "/v2/servers")
        assert (inner.script_name, inner.path_info) == ("/v2", "/servers")
        assert outer.environ_changed["PATH_INFO"] == ("/v2/servers", "/servers")
        assert outer.environ_changed["SCRIPT_NAME"] == ("", "/v2")

    def test_odd_environ_values_never_crash(self) -> None:
        """Objects whose __eq__ or __repr__ raise are compared by identity and shown safely.

        No validator here: wsgiref.validate itself reprs the whole environ.
        """

        class Weird:
            def __eq__(self, other: object) -> bool:
                raise RuntimeError("no comparing")

            __hash__ = object.__hash__

            def __repr__(self) -> str:
                raise RuntimeError("no repr")

        def add_weird(app: App) -> App:
            def weird(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
                environ["odd.value"] = Weird()
                environ["odd.long"] = ["x" * 50] * 10
                return app(environ, start_response)

            return weird

        inner = TraceMiddleware(hello, LayerInfo("app:hello", "app"))
        app = TraceMiddleware(add_weird(inner), LayerInfo("filter:weird", "filter"))
        req = Request.blank("/")
        req.environ["odd.value"] = Weird()
        recorder = Recorder.start(req.environ)
        assert req.get_response(app).body == b"hello"
        span = recorder.trace().spans[0]

        assert span.environ_changed["odd.value"][1] == "<Weird object (repr failed)>"
        assert len(span.environ_added["odd.long"]) == 120
        assert span.environ_added["odd.long"].endswith("…")


def deny_filter(app: App) -> App:
    def deny(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response(
            "401 Unauthorized", [("Content-Type", "text/plain"), ("WWW-Authenticate", "x")]
        )
        return [b"no"]

    return deny


def request_id_filter(app: App) -> App:
    def request_id(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        def add_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers = [(k, v) for k, v in headers if k != "Content-Length"]
            headers = [(k, "text/html" if k == "Content-Type" else v) for k, v in headers]
            return start_response(status, [*headers, ("X-Request-Id", "req-1")])

        return app(environ, add_id)

    return request_id


class TestResponses:
    def test_filter_answering_itself(self) -> None:
        """A filter that answers without calling on has answered=True, all headers added."""
        app = traced(deny_filter(traced(hello, "app:hello", "app")), "filter:deny")
        resp, trace = run(app)

        assert resp.status == "401 Unauthorized"
        (span,) = trace.spans
        assert span.answered and span.status == "401 Unauthorized"
        assert span.response_headers_added == {
            "Content-Type": "text/plain",
            "WWW-Authenticate": "x",
        }

    def test_response_headers_changed_on_the_way_out(self) -> None:
        """Headers a filter adds, changes or drops are compared with what its child returned."""
        app = traced(request_id_filter(traced(hello, "app:hello", "app")), "filter:request_id")
        resp, trace = run(app)
        outer, inner = trace.spans

        assert resp.headers["X-Request-Id"] == "req-1"
        assert outer.response_headers_added == {"X-Request-Id": "req-1"}
        assert outer.response_headers_changed == {"Content-Type": ("text/plain", "text/html")}
        assert outer.response_headers_removed == {"Content-Length": "5"}
        assert not outer.answered
        assert inner.response_headers_added == {"Content-Type": "text/plain", "Content-Length": "5"}

    def test_changes_lists_every_change_as_rows(self) -> None:
        """Span.changes() flattens request and response diffs for renderers."""
        app = traced(request_id_filter(traced(hello, "app:hello", "app")), "filter:request_id")
        _, trace = run(app)

        assert Change("response_header", "added", "X-Request-Id", None, "req-1") in (
            trace.spans[0].changes()
        )

    def test_write_callable_and_exc_info_pass_through(self) -> None:
        """An app that restarts its response with exc_info and writes via write() still works."""

        def restarting(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            try:
                raise KeyError("late")
            except KeyError:
                headers = [("Content-Type", "text/plain")]
                write = start_response("503 Service Unavailable", headers, sys.exc_info())
            write(b"written ")
            return [b"returned"]

        req = Request.blank("/")
        recorder = Recorder.start(req.environ)
        resp = req.get_response(traced(restarting, "app:r", "app"), catch_exc_info=True)

        assert resp.status == "503 Service Unavailable"
        assert resp.body == b"written returned"
        assert recorder.trace().spans[0].status == "503 Service Unavailable"


def boom(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    raise ValueError("boom")  # RAISE-LINE


def relay_filter(app: App) -> App:
    def relay(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return app(environ, start_response)  # RELAY-LINE

    return relay


def faultwrap_filter(app: App) -> App:
    def faultwrap(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        try:
            return app(environ, start_response)
        except ValueError:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"fault"]

    return faultwrap


class TestExceptions:
    def test_exception_turned_into_500_by_outer_filter(self) -> None:
        """The raising app and the relaying filter record it; faultwrap points at the origin."""
        app = traced(boom, "app:boom", "app")
        app = traced(faultwrap_filter(traced(relay_filter(app), "filter:relay")), "filter:fault")
        resp, trace = run(app)
        spans = by_section(trace)

        assert resp.status == "500 Internal Server Error"
        error = spans["app:boom"].exception
        assert error is not None
        assert (error.type, error.message) == ("ValueError", "boom")
        assert (error.file, error.line) == (__file__, line_of("RAISE-LINE"))
        relayed = spans["filter:relay"].exception
        assert relayed is not None and relayed.line == line_of("RELAY-LINE")
        fault = spans["filter:fault"]
        assert fault.exception is None and fault.status == "500 Internal Server Error"
        assert fault.handled_exception_from == spans["app:boom"].index
        assert fault.response_headers_added == {"Content-Type": "text/plain"}
        assert not spans["app:boom"].answered

    def test_exception_propagates_unchanged(self) -> None:
        """Tracing re-raises the very exception object the app raised."""
        raised: list[BaseException] = []

        def keep(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            try:
                return boom(environ, start_response)
            except ValueError as exc:
                raised.append(exc)
                raise

        req = Request.blank("/")
        recorder = Recorder.start(req.environ)
        with pytest.raises(ValueError, match="boom") as info:
            req.get_response(traced(keep, "app:keep", "app"))

        assert info.value is raised[0]
        (span,) = recorder.trace().spans
        assert span.exception is not None and span.duration_ns is not None

    def test_exception_while_iterating_body(self) -> None:
        """An error raised by a streaming body is recorded on the layer whose body raised it."""

        def failing_body(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            start_response("200 OK", [("Content-Type", "text/plain")])
            yield b"part"
            raise RuntimeError("stream broke")

        req = Request.blank("/")
        recorder = Recorder.start(req.environ)
        with pytest.raises(RuntimeError, match="stream broke"):
            req.get_response(traced(failing_body, "app:stream", "app"))

        (span,) = recorder.trace().spans
        assert span.exception is not None and span.exception.type == "RuntimeError"


class CountingBody:
    """A streaming body that counts its close() calls and takes time per chunk."""

    def __init__(self, chunks: int, pause: float) -> None:
        self.chunks, self.pause, self.closed = chunks, pause, 0

    def __iter__(self) -> Iterator[bytes]:
        for _ in range(self.chunks):
            time.sleep(self.pause)
            yield b"chunk"

    def close(self) -> None:
        self.closed += 1


class TestBodies:
    def test_streaming_body_closed_once_and_timed(self) -> None:
        """A streaming body is closed exactly once and the span lasts until it is consumed."""
        body = CountingBody(chunks=3, pause=0.002)

        def streaming(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return body

        app = traced(passthrough(traced(streaming, "app:stream", "app")), "filter:outer")
        resp, trace = run(app)

        assert resp.body == b"chunk" * 3
        assert body.closed == 1
        for span in trace.spans:
            assert span.duration_ns is not None and span.duration_ns >= 6_000_000
        assert trace.spans[0].own_ns is not None
        assert trace.spans[0].own_ns < trace.spans[0].duration_ns  # type: ignore[operator]

    def test_lazy_filter_is_parent_of_layers_it_calls_while_iterating(self) -> None:
        """A generator filter that calls on only when iterated is still the child's parent."""

        def lazy(app: App) -> App:
            def lazy_filter(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
                inner = app(environ, start_response)
                try:
                    yield from inner
                finally:
                    inner.close()  # type: ignore[attr-defined]

            return lazy_filter

        app = traced(lazy(traced(hello, "app:hello", "app")), "filter:lazy")
        app = traced(passthrough(app), "filter:outer")
        resp, trace = run(app)

        assert resp.body == b"hello"
        assert [s.parent for s in trace.spans] == [None, 0, 1]
        assert [s.depth for s in trace.spans] == [0, 1, 2]
        assert not trace.spans[1].answered

    def test_file_wrapper_is_returned_as_is(self) -> None:
        """A wsgi.file_wrapper body is the same object after tracing, so servers can sendfile."""
        returned: list[object] = []

        def sendfile(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            start_response("200 OK", [("Content-Type", "application/octet-stream")])
            returned.append(environ["wsgi.file_wrapper"](io.BytesIO(b"data")))
            return returned[-1]

        environ = Request.blank("/", environ={"wsgi.file_wrapper": FileWrapper}).environ
        recorder = Recorder.start(environ)
        app = TraceMiddleware(sendfile, LayerInfo("app:files", "app"))
        result = app(environ, ignore_start)

        assert result is returned[0]
        result.close()  # type: ignore[attr-defined]
        assert "wsgi.file_wrapper" in recorder.trace().spans[0].notes[0]

    def test_file_wrapper_through_validators(self) -> None:
        """A file_wrapper body is served intact through validated, traced layers."""

        def sendfile(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            start_response("200 OK", [("Content-Type", "application/octet-stream")])
            return environ["wsgi.file_wrapper"](io.BytesIO(b"data"), 2)

        app = traced(passthrough(traced(sendfile, "app:files", "app")), "filter:outer")
        resp, trace = run(app, environ={"wsgi.file_wrapper": FileWrapper})

        assert resp.body == b"data"
        assert len(trace.spans) == 2

    def test_list_body_is_returned_as_is(self) -> None:
        """A list body keeps its identity, so a server may still count it for Content-Length."""
        body = [b"x"]

        def listed(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            start_response("200 OK", [])
            return body

        environ = Request.blank("/").environ
        Recorder.start(environ)
        app = TraceMiddleware(listed, LayerInfo("app:list", "app"))

        assert app(environ, ignore_start) is body


class ServersController:
    def show(self, req: Request, id: str) -> str:
        return f"server {id}"


class Resource:
    """Like OpenStack's wsgi.Resource: a WSGI app holding the real controller."""

    def __init__(self, controller: object) -> None:
        self.controller = controller

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        req = Request(environ)
        match = dict(environ["wsgiorg.routing_args"][1])
        method = getattr(self.controller, match.pop("action"))
        match.pop("controller")
        return Response(method(req, **match), content_type="text/plain")(environ, start_response)


def dispatch(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    match = environ["wsgiorg.routing_args"][1]
    if not match:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no route"]
    return match["controller"](environ, start_response)


def router(*, traced_controller: bool = False) -> App:
    controller: Any = Resource(ServersController())
    if traced_controller:
        controller = traced(controller, "controller:servers", "controller")
    mapper = routes.Mapper()
    mapper.connect(
        "server",
        "/servers/{id}",
        controller=controller,
        action="show",
        conditions={"method": ["GET"]},
    )
    app: App = routes.middleware.RoutesMiddleware(dispatch, mapper, singleton=False)
    return app


class TestRoutes:
    def test_routing_layer_records_route(self) -> None:
        """The layer that ran Routes gets name, path, methods, controller, action and params."""
        app = traced(passthrough(traced(router(), "app:osapi", "app")), "filter:outer")
        resp, trace = run(app, "/servers/42")
        outer, osapi = trace.spans

        assert resp.body == b"server 42"
        assert outer.route is None
        assert osapi.route is not None
        assert osapi.route.name == "server"
        assert osapi.route.path == "/servers/{id}"
        assert osapi.route.methods == ["GET"]
        assert osapi.route.controller == f"{ServersController.__module__}.ServersController"
        assert osapi.route.action == "show"
        assert osapi.route.params == {"id": "42"}

    def test_route_belongs_to_router_not_to_traced_controller(self) -> None:
        """When the controller is traced too, the route stays with the layer that matched it."""
        app = traced(router(traced_controller=True), "app:osapi", "app")
        _, trace = run(app, "/servers/7")
        osapi, controller = trace.spans

        assert osapi.route is not None and osapi.route.params == {"id": "7"}
        assert controller.route is None
        assert "wsgiorg.routing_args" in osapi.environ_added

    def test_route_goes_to_router_when_outer_layers_finish_first(self) -> None:
        """HEAD through webob: the outer layer finishes first, yet the router keeps the route."""

        def webob_filter(app: App) -> App:
            def call(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
                # webob answers HEAD with an EmptyResponse: the body below is closed later.
                return Request(environ).get_response(app)(environ, start_response)

            return call

        mapper_app = router()
        mapper_app.mapper.connect(
            "head",
            "/servers/{id}",
            controller=Resource(ServersController()),
            action="show",
            conditions={"method": ["HEAD"]},
        )
        app = traced(webob_filter(traced(mapper_app, "app:osapi", "app")), "filter:webob")
        _, trace = run(app, "/servers/9", method="HEAD")
        outer, osapi = trace.spans

        assert outer.route is None
        assert osapi.route is not None and osapi.route.name == "head"

    def test_no_match_is_a_note(self) -> None:
        """A Routes lookup that matched nothing leaves a note rather than a route."""
        resp, trace = run(traced(router(), "app:osapi", "app"), "/nothing")

        assert resp.status == "404 Not Found"
        assert trace.spans[0].route is None
        assert trace.spans[0].notes == ["routing: no route matched"]


class TestUntraced:
    def test_request_without_recorder_goes_straight_through(self) -> None:
        """Without a recorder the wrapper returns the app's own result and start_response."""
        seen: list[object] = []
        body = iter([b"x"])

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
            seen.append(start_response)
            return body

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            return None

        environ = Request.blank("/").environ
        for middleware in (
            TraceMiddleware(app, LayerInfo("app:x", "app")),
            TimingMiddleware(app, LayerInfo("app:x", "app")),
        ):
            assert middleware(environ, start_response) is body
        assert seen == [start_response, start_response]

    def test_wrapped_app_attributes_stay_reachable(self) -> None:
        """Attribute lookups fall through to the wrapped app, and unwrap() finds it."""
        inner = router()
        app = wrap(
            wrap(inner, LayerInfo("app:osapi", "app")), LayerInfo("x", "app"), timing_only=True
        )

        assert app.mapper is inner.mapper  # type: ignore[attr-defined]
        assert unwrap(app) is inner
        assert isinstance(app, TimingMiddleware)


class TestTimingOnly:
    def test_records_section_depth_and_duration(self) -> None:
        """The timing mode gives one span per layer with depth, parent and duration only."""
        app: App = hello
        for name, kind in (("app:hello", "app"), ("filter:b", "filter"), ("filter:a", "filter")):
            app = validator(TimingMiddleware(validator(app), LayerInfo(name, kind)))
        resp, trace = run(app)

        assert resp.body == b"hello"
        assert [s.section for s in trace.spans] == ["filter:a", "filter:b", "app:hello"]
        assert [(s.depth, s.parent) for s in trace.spans] == [(0, None), (1, 0), (2, 1)]
        assert all(s.duration_ns is not None and s.duration_ns >= 0 for s in trace.spans)
        assert all(s.status is None and not s.environ_added for s in trace.spans)

    def test_streaming_body_is_timed_until_consumed(self) -> None:
        """A streaming body extends the timing span until it is closed, closing it once."""
        body = CountingBody(chunks=2, pause=0.002)

        def streaming(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return body

        app = validator(TimingMiddleware(validator(streaming), LayerInfo("app:s", "app")))
        _, trace = run(app)

        assert body.closed == 1
        assert trace.spans[0].duration_ns is not None
        assert trace.spans[0].duration_ns >= 4_000_000


class TestJson:
    def test_round_trip_and_serialisable(self) -> None:
        """to_dict() is plain JSON with a schema field, and from_dict() gives the trace back."""
        app = traced(boom, "app:boom", "app")
        app = traced(faultwrap_filter(traced(auth_filter(app), "filter:auth")), "filter:fault")
        _, trace = run(app, headers={"X-Auth-Token": "t"})
        data = trace.to_dict()

        assert data["schema"] == SCHEMA
        text = json.dumps(data)
        again = Trace.from_dict(json.loads(text))
        assert again == trace
        assert again.to_dict() == data

    def test_route_round_trips(self) -> None:
        """A span's route survives the JSON round trip."""
        _, trace = run(traced(router(), "app:osapi", "app"), "/servers/1")

        again = Trace.from_dict(json.loads(json.dumps(trace.to_dict())))
        assert again.spans[0].route == trace.spans[0].route

    @pytest.mark.parametrize(
        "data",
        [
            pytest.param({"schema": "other/1"}, id="wrong-schema"),
            pytest.param({"spans": []}, id="no-schema"),
            pytest.param({"schema": SCHEMA, "request": {}}, id="malformed"),
        ],
    )
    def test_from_dict_rejects_other_data(self, data: dict[str, Any]) -> None:
        """Anything but a pastetrace trace is a PastetraceError that says what was expected."""
        with pytest.raises(PastetraceError, match="pastetrace trace"):
            Trace.from_dict(data)


# --------------------------------------------------------------------------- logs and the API


class TestLogs:
    def test_records_go_to_the_innermost_running_span(self) -> None:
        """Recorder.log attaches a record to the layer running now, else to the trace."""
        from pastetrace.trace import LogInfo

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            environ[RECORDER_KEY].log(LogInfo("INFO", "tests.app", "in the app"))
            return hello(environ, start_response)

        wrapped = traced(passthrough(traced(app, "app:hello", "app")), "filter:outer")
        req = Request.blank("/")
        recorder = Recorder.start(req.environ)
        recorder.log(LogInfo("DEBUG", "tests", "before any layer"))
        assert req.get_response(wrapped).body == b"hello"
        trace = recorder.trace()
        assert [log.message for log in trace.span("app:hello").logs] == ["in the app"]
        assert trace.span("filter:outer").logs == []
        assert [log.message for log in trace.logs] == ["before any layer"]

    def test_records_beyond_the_limit_become_a_note(self) -> None:
        """Past LOG_LIMIT records a span keeps a count of the rest, not the records."""
        from pastetrace.trace import LOG_LIMIT, LogInfo

        def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
            for i in range(LOG_LIMIT + 5):
                environ[RECORDER_KEY].log(LogInfo("DEBUG", "tests", f"record {i}"))
            return hello(environ, start_response)

        _, trace = run(traced(app, "app:chatty", "app"))
        span = trace.span("chatty")
        assert len(span.logs) == LOG_LIMIT
        assert span.notes == [f"5 more log records (kept the first {LOG_LIMIT})"]

    def test_logs_round_trip_and_old_json_still_reads(self) -> None:
        """to_dict writes span and trace logs; from_dict reads files written before them."""
        from pastetrace.trace import LogInfo

        span = Span("filter:a", "filter", logs=[LogInfo("INFO", "x", "m", "f.py", 3)])
        trace = Trace(RequestInfo("GET", "/"), ResponseInfo("200 OK"), [span])
        trace.logs.append(LogInfo("WARNING", "y", "outside"))
        data = json.loads(json.dumps(trace.to_dict()))
        assert data["spans"][0]["logs"] == [
            {"level": "INFO", "logger": "x", "message": "m", "file": "f.py", "line": 3}
        ]
        assert Trace.from_dict(data) == trace
        del data["logs"], data["spans"][0]["logs"], data["spans"][0]["exception_from"]
        old = Trace.from_dict(data)
        assert old.logs == [] and old.spans[0].logs == [] and old.spans[0].exception_from is None


class TestTraceApi:
    def test_span_by_header_or_bare_name_and_nth(self) -> None:
        """trace.span finds a section by header or bare name; nth picks a repeated one."""
        app = traced(
            passthrough(traced(passthrough(traced(hello, "app:x", "app")), "filter:f")), "filter:f"
        )
        _, trace = run(app)
        assert trace.span("filter:f") is trace.spans[0]
        assert trace.span("f", 1) is trace.spans[1]
        assert trace.span("x").section == "app:x"

    def test_missing_span_lists_the_sections(self) -> None:
        """A missing section is a KeyError naming the sections there are."""
        _, trace = run(traced(hello, "app:x", "app"))
        with pytest.raises(KeyError, match="app:x"):
            trace.span("nope")
        with pytest.raises(KeyError, match="only 1"):
            trace.span("x", 1)

    def test_parent(self) -> None:
        """trace.parent is the calling span, None for the root."""
        _, trace = run(three_filters_and_app())
        root, child = trace.spans[0], trace.spans[1]
        assert trace.parent(root) is None
        assert trace.parent(child) is root

    def test_changes_without_noise(self) -> None:
        """changes(noise=False) drops wsgi/webob/routing keys and address-only repr changes."""
        span = Span(
            "filter:a",
            "filter",
            environ_added={"webob._parsed_cookies": "x", "keystone.token": "t"},
            environ_changed={
                "my.obj": ("<A object at 0x7f01>", "<A object at 0x7f99>"),
                "my.other": ("<A object at 0x7f01>", "<B object at 0x7f99>"),
            },
            headers_added={"X-User-Id": "u"},
        )
        names = [c.name for c in span.changes(noise=False)]
        assert names == ["keystone.token", "my.other", "X-User-Id"]
        assert len(span.changes()) == 5

    def test_render_is_noise_is_the_model_rule(self) -> None:
        """render.trace_text.is_noise is the very function of the model."""
        from pastetrace import trace as model
        from pastetrace.render import trace_text

        assert trace_text.is_noise is model.is_noise

    def test_exception_from_names_the_raising_span(self) -> None:
        """exception_from is the raiser's index on the raiser and on layers it passed through."""
        app = traced(relay_filter(traced(boom, "app:boom", "app")), "filter:relay")
        req = Request.blank("/")
        recorder = Recorder.start(req.environ)
        with pytest.raises(ValueError):
            req.get_response(app)
        trace = recorder.trace()
        raiser = trace.span("app:boom")
        assert raiser.exception_from == raiser.index
        assert trace.span("filter:relay").exception_from == raiser.index

    def test_recorded_spans_have_every_field_in_order(self) -> None:
        """Spans built without __init__ still hold exactly the dataclass fields, in order."""
        from dataclasses import fields

        _, trace = run(three_filters_and_app())
        for span in trace.spans:
            assert list(vars(span)) == [f.name for f in fields(Span)]
