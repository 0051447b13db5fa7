"""In-process HTTP between services during a replay (pastetrace.transport)."""

from __future__ import annotations

import http.client
import json
from wsgiref.validate import validator

from webob import Request

from pastetrace.trace import LayerInfo, Recorder, ResponseInfo, TraceMiddleware
from pastetrace.transport import InProcessConnection, routed


def registry(environ, start_response):
    """A backend service: answers with the path and a header it received."""
    body = json.dumps(
        {"path": environ["PATH_INFO"], "token": environ.get("HTTP_X_AUTH_TOKEN")}
    ).encode()
    start_response(
        "201 Created", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def api(environ, start_response):
    """A front service: calls the registry over real HTTP client code, then answers."""
    conn = http.client.HTTPConnection("127.0.0.1", 9191)
    conn.request("POST", "/images?x=1", body=b"{}", headers={"X-Auth-Token": "t0k"})
    answer = conn.getresponse()
    data = json.loads(answer.read())
    conn.close()
    body = f"{answer.status} {data['path']} {data['token']}".encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def traced(app, section, kind="app"):
    return TraceMiddleware(validator(app), LayerInfo(section, kind, None))


def replay(app, services):
    request = Request.blank("/v1/images")
    recorder = Recorder.start(request.environ)
    with routed(services, recorder):
        response = request.get_response(app)
    return response, recorder.trace(
        ResponseInfo.from_body(response.status, response.headerlist, response.body)
    )


class TestRouted:
    def test_call_reaches_other_service_in_process(self):
        """A call to a served address reaches that service's app, body and headers intact."""
        response, _ = replay(traced(api, "app:api"), {"127.0.0.1:9191": lambda: registry})
        assert response.text == "201 /images t0k"

    def test_remote_layers_nest_under_the_calling_layer(self):
        """The called service's spans are children of the layer that made the HTTP call."""
        services = {"127.0.0.1:9191": lambda: traced(registry, "app:registry")}
        _, trace = replay(traced(api, "app:api"), services)
        assert [(s.section, s.kind, s.depth, s.parent) for s in trace.spans] == [
            ("app:api", "app", 0, None),
            ("POST http://127.0.0.1:9191/images?x=1", "http", 1, 0),
            ("app:registry", "app", 2, 1),
        ]
        caller, remote, inner = trace.spans
        assert caller.answered, "a side call to another service is not 'calling the next layer'"
        assert caller.response_headers_added["Content-Type"] == "text/plain"
        assert inner.path_info == "/images"
        assert inner.status == "201 Created"
        assert remote.status == "201 Created"

    def test_connection_class_is_restored(self):
        """http.client.HTTPConnection is the real class again after the replay."""
        real = http.client.HTTPConnection
        replay(traced(api, "app:api"), {"127.0.0.1:9191": lambda: registry})
        assert http.client.HTTPConnection is real

    def test_unknown_address_uses_the_real_connection(self):
        """An address no service answers for goes to the real HTTPConnection (not opened here)."""
        with routed({"127.0.0.1:9191": lambda: registry}, Recorder()):
            conn = http.client.HTTPConnection("example.invalid", 80)
        assert isinstance(conn, InProcessConnection)
        assert isinstance(conn._real, http.client.HTTPConnection)
        assert conn._real.host == "example.invalid"
