"""OTLP/HTTP export: spans, attributes and parents as a collector on 127.0.0.1 decodes them."""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner
from webob import Request

import pastetrace
from pastetrace import otel
from pastetrace.cli import app as cli_app
from pastetrace.errors import PastetraceError, RenderError
from pastetrace.trace import (
    ExceptionInfo,
    RequestInfo,
    ResponseInfo,
    RouteInfo,
    Span,
    Trace,
)

trace_service_pb2 = pytest.importorskip(
    "opentelemetry.proto.collector.trace.v1.trace_service_pb2",
    reason="needs the otlp extra: pip install 'pastetrace[otlp]'",
)
from opentelemetry.proto.trace.v1 import trace_pb2  # noqa: E402  # after the importorskip

DEMO_AUTH = {"auth": {"passwordCredentials": {"username": "demo", "password": "secrete"}}}
SERVER, INTERNAL, CLIENT = (
    trace_pb2.Span.SPAN_KIND_SERVER,
    trace_pb2.Span.SPAN_KIND_INTERNAL,
    trace_pb2.Span.SPAN_KIND_CLIENT,
)
ERROR, UNSET = trace_pb2.Status.STATUS_CODE_ERROR, trace_pb2.Status.STATUS_CODE_UNSET


class Collector:
    """An OTLP/HTTP receiver on 127.0.0.1 that keeps every request it decodes."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, Any]] = []
        self.answer = 200
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802  # http.server's naming
                body = self.rfile.read(int(self.headers["Content-Length"]))
                message = trace_service_pb2.ExportTraceServiceRequest()
                message.ParseFromString(body)
                collector.requests.append((self.path, self.headers["Content-Type"], message))
                self.send_response(collector.answer)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def spans(self) -> list[Any]:
        """The spans of the only request received."""
        (request,) = self.requests
        return list(request[2].resource_spans[0].scope_spans[0].spans)


@pytest.fixture
def collector() -> Iterator[Collector]:
    c = Collector()
    c.thread.start()
    try:
        yield c
    finally:
        c.server.shutdown()
        c.server.server_close()
        c.thread.join(timeout=5)


def attrs(span: Any) -> dict[str, Any]:
    """Span attributes as a plain dict."""
    result = {}
    for kv in span.attributes:
        kind = kv.value.WhichOneof("value")
        value = getattr(kv.value, kind)
        if kind == "array_value":
            value = [v.string_value for v in value.values]
        result[kv.key] = value
    return result


@pytest.fixture(scope="module")
def token_trace() -> Trace:
    return pastetrace.replay("keystone", "POST", "/v2.0/tokens", json=DEMO_AUTH)


class TestExport:
    """The keystone token request, exported and decoded by a collector."""

    def test_posts_protobuf_to_v1_traces(self, collector: Collector, token_trace: Trace) -> None:
        """One POST to /v1/traces, as protobuf, with the service name on the resource."""
        otel.export_otlp(token_trace, collector.endpoint, service_name="keystone-public")
        ((path, content_type, message),) = collector.requests
        assert (path, content_type) == ("/v1/traces", "application/x-protobuf")
        resource = {
            kv.key: kv.value.string_value for kv in message.resource_spans[0].resource.attributes
        }
        assert resource["service.name"] == "keystone-public"
        assert message.resource_spans[0].scope_spans[0].scope.name == "pastetrace"

    def test_endpoint_with_path(self, collector: Collector, token_trace: Trace) -> None:
        """An endpoint already ending in /v1/traces is used as it is."""
        otel.export_otlp(token_trace, collector.endpoint + "/v1/traces/")
        assert collector.requests[0][0] == "/v1/traces"

    def test_names_and_routes(self, collector: Collector, token_trace: Trace) -> None:
        """The root and the routing layer are named by the route; the others by section."""
        otel.export_otlp(token_trace, collector.endpoint)
        spans = collector.spans()
        assert [s.name for s in spans] == [
            "POST /v2.0/tokens",
            "POST pipeline:public_api",
            "POST filter:token_auth",
            "POST filter:admin_token_auth",
            "POST filter:json_body",
            "POST filter:ec2_extension",
            "POST /v2.0/tokens",
        ]
        assert [s.kind for s in spans] == [SERVER] + [INTERNAL] * 6
        root, app = attrs(spans[0]), attrs(spans[-1])
        assert root["http.route"] == app["http.route"] == "/v2.0/tokens"
        assert "http.route" not in attrs(spans[1])
        assert app == {
            "http.request.method": "POST",
            "url.path": "/v2.0/tokens",
            "http.route": "/v2.0/tokens",
            "http.response.status_code": 200,
            "pastetrace.section": "app:public_service",
            "pastetrace.kind": "app",
            "pastetrace.factory": "pastetrace_examples.keystone.service:public_app_factory",
            "pastetrace.standin": False,
            "pastetrace.answered": True,
            "pastetrace.script_name": app["pastetrace.script_name"],  # Routes' own rewrite
            "pastetrace.path_info": "/tokens",
            "pastetrace.route.controller": "pastetrace_examples.keystone.service.TokenController",
            "pastetrace.route.action": "authenticate",
        }

    def test_parents_and_ids(self, collector: Collector, token_trace: Trace) -> None:
        """Parent links follow the span tree; every span shares one 16-byte trace id."""
        otel.export_otlp(token_trace, collector.endpoint)
        spans = collector.spans()
        assert len({s.trace_id for s in spans}) == 1 and len(spans[0].trace_id) == 16
        assert spans[0].parent_span_id == b""
        by_id = {s.span_id: i for i, s in enumerate(spans)}
        assert [by_id.get(s.parent_span_id) for s in spans] == [s.parent for s in token_trace.spans]

    def test_times(self, token_trace: Trace) -> None:
        """Start and end are the wall-clock anchor plus ``start_ns`` and ``duration_ns``."""
        message = otel.to_otlp(token_trace, start_unix_ns=1_700_000_000_000_000_000)
        spans = message.resource_spans[0].scope_spans[0].spans
        for ours, theirs in zip(token_trace.spans, spans, strict=True):
            assert theirs.start_time_unix_nano == 1_700_000_000_000_000_000 + ours.start_ns
            assert theirs.end_time_unix_nano - theirs.start_time_unix_nano == ours.duration_ns

    def test_default_anchor_ends_now(self, token_trace: Trace) -> None:
        """Without an anchor the trace is placed so that it ends about now."""
        before = time.time_ns()
        spans = otel.to_otlp(token_trace).resource_spans[0].scope_spans[0].spans
        assert before <= max(s.end_time_unix_nano for s in spans) <= time.time_ns()

    def test_status_ok_is_unset(self, collector: Collector, token_trace: Trace) -> None:
        """Successful layers leave the status unset, as the HTTP conventions say."""
        otel.export_otlp(token_trace, collector.endpoint)
        assert {s.status.code for s in collector.spans()} == {UNSET}


class TestErrors:
    """Exceptions become events, and exceptions or 5xx make the status ERROR."""

    def test_exception_event(self, collector: Collector, tmp_path: Path) -> None:
        """An exception is an ``exception`` event with type, message and place."""
        ini = tmp_path / "boom.ini"
        ini.write_text(
            "[pipeline:main]\npipeline = addheader boom\n\n"
            "[filter:addheader]\npaste.filter_factory = tests.replay_apps:header_filter_factory\n\n"
            "[app:boom]\npaste.app_factory = tests.replay_apps:boom_app_factory\n"
        )
        trace = pastetrace.replay(str(ini), "GET", "/explode")
        otel.export_otlp(trace, collector.endpoint)
        spans = collector.spans()
        assert [s.name for s in spans] == [
            "GET pipeline:main",
            "GET filter:addheader",
            "GET app:boom",
        ]
        for span in spans:
            assert span.status.code == ERROR and span.status.message == "RuntimeError"
            (event,) = span.events
            assert event.name == "exception"
            event_attrs = attrs(event)
            assert event_attrs["exception.type"] == "RuntimeError"
            assert event_attrs["exception.message"] == "the app fell over"
        assert attrs(spans[-1].events[0])["code.file.path"].endswith("replay_apps.py")

    def test_server_error_status(self) -> None:
        """A 5xx answer without an exception is an error too; a 4xx is not."""
        trace = Trace(
            RequestInfo("GET", "/x"),
            ResponseInfo("503 Service Unavailable"),
            spans=[
                Span("composite:main", "urlmap", index=0, status="503 Service Unavailable"),
                Span("app:a", "app", index=1, parent=0, depth=1, status="404 Not Found"),
            ],
        )
        root, child = otel.to_otlp(trace).resource_spans[0].scope_spans[0].spans
        assert (root.status.code, root.status.message) == (ERROR, "503 Service Unavailable")
        assert child.status.code == UNSET
        assert attrs(child)["http.response.status_code"] == 404

    def test_remote_calls(self) -> None:
        """An in-process call to another service is a CLIENT span over that service's SERVER."""
        trace = Trace(
            RequestInfo("GET", "/v2/images", query="limit=1"),
            ResponseInfo("200 OK"),
            spans=[
                Span("app:api", "app", index=0, path_info="/v2/images", status="200 OK"),
                Span(
                    "GET http://127.0.0.1:9191/images/detail?x=1",
                    "http",
                    index=1,
                    parent=0,
                    depth=1,
                    status="200 OK",
                ),
                Span(
                    "app:registry",
                    "app",
                    index=2,
                    parent=1,
                    depth=2,
                    path_info="/images/detail",
                    status="200 OK",
                    route=RouteInfo(None, "/images/detail", ["GET"], "c", "detail"),
                ),
            ],
        )
        api, call, registry = otel.to_otlp(trace).resource_spans[0].scope_spans[0].spans
        assert (api.name, api.kind) == ("GET app:api", SERVER)
        assert (call.name, call.kind) == ("GET http://127.0.0.1:9191/images/detail?x=1", CLIENT)
        assert (registry.name, registry.kind) == ("GET /images/detail", SERVER)
        assert attrs(registry)["url.path"] == "/images/detail"
        assert "url.query" not in attrs(registry) and attrs(api)["url.query"] == "limit=1"

    def test_stand_in_reason(self) -> None:
        """A stand-in's reason is an attribute."""
        trace = Trace(
            RequestInfo("GET", "/"),
            ResponseInfo("200 OK"),
            spans=[
                Span(
                    "app:x",
                    "app",
                    standin=True,
                    standin_reason="not imported",
                    exception=ExceptionInfo("ValueError", "bad"),
                )
            ],
        )
        (span,) = otel.to_otlp(trace).resource_spans[0].scope_spans[0].spans
        assert attrs(span)["pastetrace.standin"] is True
        assert attrs(span)["pastetrace.standin_reason"] == "not imported"
        assert "code.file.path" not in attrs(span.events[0])


class TestTransportErrors:
    """A collector that refuses or is not there is one clear error."""

    def test_refused(self, collector: Collector, token_trace: Trace) -> None:
        """An HTTP error answer names the status."""
        collector.answer = 400
        with pytest.raises(PastetraceError, match="refused: HTTP 400"):
            otel.export_otlp(token_trace, collector.endpoint)

    def test_nobody_listening(self, token_trace: Trace) -> None:
        """A closed port on 127.0.0.1 fails fast with the URL."""
        server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
        port = server.server_address[1]
        server.server_close()  # the port is now closed
        with pytest.raises(PastetraceError, match=f"127.0.0.1:{port}/v1/traces failed"):
            otel.export_otlp(token_trace, f"http://127.0.0.1:{port}", timeout=2)

    def test_not_a_url(self, token_trace: Trace) -> None:
        """An endpoint without http:// or https:// is refused before sending."""
        with pytest.raises(PastetraceError, match="http:// or https://"):
            otel.export_otlp(token_trace, "127.0.0.1:4318")

    def test_missing_extra(self, token_trace: Trace, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without opentelemetry-proto the error says what to install."""
        monkeypatch.setattr(otel, "_PROTO", [])
        monkeypatch.setitem(sys.modules, "opentelemetry.proto.collector.trace.v1", None)
        with pytest.raises(RenderError, match=r"pip install 'pastetrace\[otlp\]'"):
            otel.to_otlp(token_trace)


class TestFromTheCommandLineAndLive:
    """``replay --otlp`` and ``pastetrace.loadapp(otlp=...)`` export too."""

    def test_replay_option(self, collector: Collector) -> None:
        """``replay --otlp URL`` prints the trace and sends it."""
        result = CliRunner().invoke(
            cli_app,
            [
                "replay",
                "POST",
                "/v2.0/tokens",
                "-c",
                "keystone",
                "--json",
                json.dumps(DEMO_AUTH),
                "--otlp",
                collector.endpoint,
                "-f",
                "json",
            ],
        )
        assert result.exit_code == 0, result.output
        assert collector.spans()[0].name == "POST /v2.0/tokens"

    def test_replay_option_unreachable(self, tmp_path: Path) -> None:
        """An unreachable collector is one line on stderr and exit 2."""
        result = CliRunner().invoke(
            cli_app, ["replay", "GET", "/", "-c", "keystone", "--otlp", "ftp://127.0.0.1:1"]
        )
        assert result.exit_code == 2
        assert len(result.stderr.splitlines()) == 1 and "http://" in result.stderr

    def test_loadapp_exports_in_the_background(self, collector: Collector, tmp_path: Path) -> None:
        """A traced request is written and sent; the response does not wait for the send."""
        from pastetrace_examples import config_path

        root = pastetrace.loadapp(
            f"config:{config_path('keystone')}", trace_dir=tmp_path, otlp=collector.endpoint
        )
        before = time.time_ns()
        response = Request.blank("/", headers={"X-Pastetrace": "1"}).get_response(root)
        response.body  # noqa: B018  # closes the body: the trace is made
        assert root._exporter is not None
        root._exporter.join()
        spans = collector.spans()
        assert spans[0].name == "GET /"  # the version app matched the route "/"
        assert spans[0].start_time_unix_nano >= before
        assert len(list(tmp_path.iterdir())) == 1

    def test_loadapp_export_failure_is_logged(
        self, tmp_path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """A collector that is not there is logged, and the request is served."""
        from pastetrace_examples import config_path

        root = pastetrace.loadapp(
            f"config:{config_path('keystone')}", trace_dir=tmp_path, otlp="http://127.0.0.1:1"
        )
        with caplog.at_level("ERROR", logger="pastetrace.live"):
            response = Request.blank("/", headers={"X-Pastetrace": "1"}).get_response(root)
            assert response.body
            assert root._exporter is not None
            root._exporter.join()
        assert "OTLP export to http://127.0.0.1:1 failed" in caplog.text
