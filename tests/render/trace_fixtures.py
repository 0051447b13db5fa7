"""Real traces for the trace renderers: hand-written WSGI layers, composed by hand and traced.

Every layer is a plain WSGI callable wrapped in :class:`~pastetrace.trace.TraceMiddleware` with
a ``wsgiref`` validator on both sides, so tracing cannot hide a WSGI protocol violation. The
request runs through real webob and a real ``routes.Mapper`` + ``RoutesMiddleware``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.validate import validator

from pastetrace.trace import LayerInfo, Recorder, ResponseInfo, Span, Trace, TraceMiddleware

with warnings.catch_warnings():
    # WebOb 1.8 imports the stdlib `cgi` module, deprecated since Python 3.11.
    warnings.filterwarnings("ignore", "'cgi' is deprecated", DeprecationWarning)
    import routes
    import routes.middleware
    from webob import Request, Response

__all__ = [
    "SCRIPT_HEADER",
    "deep_trace",
    "error_trace",
    "normal_trace",
    "pin_times",
    "standin_trace",
    "unauthorized_trace",
]

App = Callable[..., Iterable[bytes]]
StartResponse = Callable[..., Any]
SCRIPT_HEADER = "<script>alert(1)</script>"


def traced(app: App, section: str, kind: str = "filter", **layer: Any) -> App:
    """Trace ``app`` as ``section``, validator-wrapped above and below the tracing layer."""
    factory = layer.pop("factory", f"egg:demo#{section.split(':')[-1]}")
    info = LayerInfo(section=section, kind=kind, factory=factory, **layer)
    return validator(TraceMiddleware(validator(app), info, owner=app))


def run(app: App, path: str, **kwargs: Any) -> Trace:
    """Replay ``path`` through ``app`` with a recorder, as pastetrace's replay does."""
    req = Request.blank(path, **kwargs)
    recorder = Recorder.start(req.environ)
    resp = req.get_response(app)
    return recorder.trace(ResponseInfo.from_body(resp.status, resp.headerlist, resp.body))


# --------------------------------------------------------------------------- layers


def passthrough(app: App) -> App:
    def pipeline(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        return app(environ, start_response)

    return pipeline


def request_id(app: App) -> App:
    """Adds an environ key on the way in and a response header on the way out."""

    def request_id_filter(environ: dict[str, Any], start_response: StartResponse) -> Any:
        environ["openstack.request_id"] = "req-1234"

        def add_header(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, [*headers, ("X-Openstack-Request-Id", "req-1234")])

        return app(environ, add_header)

    return request_id_filter


def authtoken(app: App) -> App:
    """Answers 401 itself without a good token; else adds identity headers and drops one."""

    def auth_filter(environ: dict[str, Any], start_response: StartResponse) -> Any:
        if environ.get("HTTP_X_AUTH_TOKEN") != "secret-token":
            start_response(
                "401 Unauthorized",
                [("Content-Type", "text/plain"), ("WWW-Authenticate", "Keystone uri=x")],
            )
            return [b"authentication required"]
        environ["HTTP_X_IDENTITY_STATUS"] = "Confirmed"
        environ["HTTP_X_USER_ID"] = "u-42"
        environ["HTTP_X_ROLES"] = "admin"
        environ.pop("HTTP_X_SERVICE_TOKEN", None)
        return app(environ, start_response)

    return auth_filter


def strip_prefix(app: App) -> App:
    """Moves ``/v2.1`` from PATH_INFO to SCRIPT_NAME, as a urlmap would."""

    def prefix_filter(environ: dict[str, Any], start_response: StartResponse) -> Any:
        path = environ["PATH_INFO"]
        if path.startswith("/v2.1"):
            environ["SCRIPT_NAME"] += "/v2.1"
            environ["PATH_INFO"] = path[len("/v2.1") :]
        return app(environ, start_response)

    return prefix_filter


class ServersController:
    def show(self, req: Any, id: str) -> str:
        return f"server {id}"


class Resource:
    """Like OpenStack's wsgi.Resource: a WSGI app holding the real controller."""

    def __init__(self, controller: object) -> None:
        self.controller = controller

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Any:
        match = dict(environ["wsgiorg.routing_args"][1])
        action = getattr(self.controller, match.pop("action"))
        match.pop("controller")
        resp = Response(action(Request(environ), **match), content_type="text/plain")
        return resp(environ, start_response)


def dispatch(environ: dict[str, Any], start_response: StartResponse) -> Any:
    match = environ["wsgiorg.routing_args"][1]
    if not match:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no route"]
    return match["controller"](environ, start_response)


def osapi() -> App:
    """A real Routes app: ``GET /servers/{id}`` → ``ServersController.show``."""
    mapper = routes.Mapper()
    mapper.connect(
        "server",
        "/servers/{id}",
        controller=Resource(ServersController()),
        action="show",
        conditions={"method": ["GET"]},
    )
    app: App = routes.middleware.RoutesMiddleware(dispatch, mapper, singleton=False)
    return app


def boom(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
    raise ValueError("database is gone")  # RAISE-LINE


def faultwrap(app: App) -> App:
    """Turns any exception below it into a 500, as nova's FaultWrapper does."""

    def fault_filter(environ: dict[str, Any], start_response: StartResponse) -> Any:
        try:
            return app(environ, start_response)
        except Exception:
            start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
            return [b"internal error"]

    return fault_filter


# --------------------------------------------------------------------------- traces


def _stack(token: str | None) -> App:
    app = traced(osapi(), "app:osapi", "app", factory="nova.api.openstack.compute:APIRouterV21")
    app = traced(strip_prefix(app), "filter:prefix")
    app = traced(authtoken(app), "filter:authtoken")
    app = traced(request_id(app), "filter:request_id")
    return traced(passthrough(app), "pipeline:api", "pipeline", factory=None)


def normal_trace() -> Trace:
    """A pipeline of 3 filters and a routed app: headers added, path rewritten, route matched."""
    headers = {
        "X-Auth-Token": "secret-token",
        "X-Service-Token": "svc",
        "X-Note": SCRIPT_HEADER,
    }
    return run(_stack("secret-token"), "/v2.1/servers/42", headers=headers)


def unauthorized_trace() -> Trace:
    """The auth filter answers 401 itself: the layers below it are never called."""
    app = traced(osapi(), "app:osapi", "app")
    app = traced(authtoken(app), "filter:authtoken")
    return run(app, "/servers/42")


def error_trace() -> Trace:
    """The app raises; the request_id filter relays it and faultwrap turns it into a 500."""
    app = traced(boom, "app:boom", "app")
    app = traced(request_id(app), "filter:request_id")
    return run(traced(faultwrap(app), "filter:faultwrap"), "/boom")


def standin_trace() -> Trace:
    """A filter that could not be imported is a stand-in that passes the request on."""
    app = traced(osapi(), "app:osapi", "app")
    app = traced(
        passthrough(app),
        "filter:sizelimit",
        standin=True,
        standin_reason="cannot import oslo_middleware: No module named 'oslo_middleware'",
    )
    return run(app, "/servers/7")


def pin_times(trace: Trace, own_ns: int = 1_000_000, gap_ns: int = 100_000) -> Trace:
    """Replace measured times with fixed ones (each layer ``own_ns``), for exact-text tests."""

    def place(span: Span, start: int) -> int:
        span.start_ns = start
        cursor = start + gap_ns
        for child in trace.children(span):
            cursor = place(child, cursor)
        span.duration_ns = cursor - start + own_ns - gap_ns
        span.own_ns = span.duration_ns - sum(c.duration_ns or 0 for c in trace.children(span))
        return start + span.duration_ns

    cursor = 0
    for root in (s for s in trace.spans if s.parent is None):
        cursor = place(root, cursor)
    return trace


_NOVA_FILTERS = (
    "cors",
    "http_proxy_to_wsgi",
    "compute_req_id",
    "faultwrap",
    "request_log",
    "sizelimit",
    "osprofiler",
    "authtoken",
    "keystonecontext",
)


def deep_trace() -> Trace:
    """A nova-shaped trace: urlmap → pipeline selector → 9 filters → routed app (12 layers)."""
    app = traced(osapi(), "app:osapi_compute_app_v21", "app")
    for name in reversed(_NOVA_FILTERS):
        wrap = (
            authtoken
            if name == "authtoken"
            else request_id
            if name == "compute_req_id"
            else passthrough
        )
        app = traced(wrap(app), f"filter:{name}", factory=f"oslo_middleware:{name}.factory")
    app = traced(
        passthrough(app),
        "composite:openstack_compute_api_v21",
        "composite",
        factory="call:nova.api.auth:pipeline_factory_v21",
    )
    app = traced(
        strip_prefix(app),
        "composite:osapi_compute",
        "urlmap",
        factory="call:nova.api.openstack.urlmap:urlmap_factory",
    )
    return run(app, "/v2.1/servers/42", headers={"X-Auth-Token": "secret-token"})
