"""In-process HTTP between services, so one replay shows every service's layers in one trace.

Services call each other with real HTTP client code (``http.client.HTTPConnection``; urllib and
most clients sit on top of it). During a replay, :func:`routed` replaces that class with
:class:`InProcessConnection`: a connection to a ``host:port`` that pastetrace serves builds a
WSGI environ and calls that service's traced application in this process, carrying the
current request's recorder along, so the called service's layers nest under the layer that
made the call, the way osprofiler stitches traces across services. Any other address goes
to the real ``HTTPConnection``: pastetrace itself sends nothing over the network.
"""

from __future__ import annotations

import http.client
import io
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .trace import RECORDER_KEY, REMOTE_KIND, LayerInfo, TraceMiddleware

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication

__all__ = ["InProcessConnection", "call_wsgi", "routed"]

# host:port → a function that returns the service's (traced) WSGI app, built on first use.
ServiceMap = Mapping[str, Callable[[], "WSGIApplication"]]


class _Routing:
    """The state of one replay: which services are served in-process, and the recorder."""

    def __init__(self, services: ServiceMap, recorder: Any) -> None:
        self.services = services
        self.recorder = recorder
        self.apps: dict[str, WSGIApplication] = {}  # built on first use

    def app_for(self, address: str) -> WSGIApplication | None:
        """The service's app, built on first use; None when no service has this address."""
        if address not in self.services:
            return None
        if address not in self.apps:
            self.apps[address] = self.services[address]()
        return self.apps[address]


_active: list[_Routing] = []


class _Response:
    """The part of ``http.client.HTTPResponse`` that client code reads."""

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes) -> None:
        code, _, reason = status.partition(" ")
        self.status = int(code)
        self.code = self.status
        self.reason = reason
        self.version = 11
        self._headers = headers
        self.msg = http.client.HTTPMessage()
        for name, value in headers:
            self.msg[name] = value
        self.headers = self.msg
        self._body = io.BytesIO(body)

    def getheaders(self) -> list[tuple[str, str]]:
        return list(self._headers)

    def getheader(self, name: str, default: str | None = None) -> str | None:
        for key, value in self._headers:
            if key.lower() == name.lower():
                return value
        return default

    def read(self, amt: int | None = None) -> bytes:
        return self._body.read(amt)

    def close(self) -> None:
        self._body.close()


class InProcessConnection:
    """Looks like ``http.client.HTTPConnection``; serves known addresses in this process."""

    def __init__(self, host: str, port: int | None = None, *args: Any, **kwargs: Any) -> None:
        if port is None and ":" in host:
            host, _, port_text = host.rpartition(":")
            port = int(port_text)
        self.host = host
        self.port = port or 80
        self._real: http.client.HTTPConnection | None = None
        self._app = _active[-1].app_for(f"{self.host}:{self.port}") if _active else None
        if self._app is None:
            self._real = _REAL_CONNECTION(host, port, *args, **kwargs)
        self._response: _Response | None = None

    def __getattr__(self, name: str) -> Any:
        real = vars(self).get("_real")
        if real is None:
            raise AttributeError(name)
        return getattr(real, name)

    def request(
        self,
        method: str,
        url: str,
        body: bytes | str | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        **_: Any,
    ) -> None:
        if self._real is not None:
            self._real.request(method, url, body=body, headers=dict(headers or {}))
            return
        assert self._app is not None
        data = _body_bytes(body)
        environ = self._environ(method, url, data, headers or {})
        call = LayerInfo(f"{method.upper()} http://{self.host}:{self.port}{url}", REMOTE_KIND)
        self._response = _call(TraceMiddleware(self._app, call), environ)

    def getresponse(self) -> Any:
        if self._real is not None:
            return self._real.getresponse()
        if self._response is None:
            raise http.client.ResponseNotReady("request() was not called")
        response, self._response = self._response, None
        return response

    def close(self) -> None:
        if self._real is not None:
            self._real.close()

    def _environ(
        self, method: str, url: str, body: bytes, headers: Mapping[str, str]
    ) -> dict[str, Any]:
        parts = urlsplit(url)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": method.upper(),
            "SCRIPT_NAME": "",
            "PATH_INFO": parts.path or "/",
            "QUERY_STRING": parts.query,
            "SERVER_NAME": self.host,  # always mandatory
            "SERVER_PORT": str(self.port),
            "SERVER_PROTOCOL": "HTTP/1.1",
            "HTTP_HOST": f"{self.host}:{self.port}",
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": False,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            "CONTENT_LENGTH": str(len(body)),
            RECORDER_KEY: _active[-1].recorder,
        }
        for name, value in headers.items():
            key = name.upper().replace("-", "_")
            if key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
                environ[key] = str(value)
            else:
                environ[f"HTTP_{key}"] = str(value)
        return environ


_REAL_CONNECTION = http.client.HTTPConnection


def _body_bytes(body: bytes | str | Iterable[bytes] | None) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("iso-8859-1")
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    return b"".join(body)


Called = tuple[str | None, list[tuple[str, str]], bytes, Exception | None]


def call_wsgi(app: WSGIApplication, environ: dict[str, Any]) -> Called:
    """Call ``app`` as a server does: (status, headers, whole body, exception or None).

    The body is read to the end (``write`` calls first) and closed. An exception is returned
    with whatever status was already set, not raised: the trace shows it at its layer.
    """
    state: dict[str, Any] = {"status": None, "headers": [], "written": []}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        state["status"], state["headers"] = status, list(headers)
        return state["written"].append

    try:
        body = app(environ, start_response)
        try:
            chunks = [*body]
        finally:
            close = getattr(body, "close", None)
            if close is not None:
                close()
    except Exception as exc:
        return state["status"], state["headers"], b"", exc
    return state["status"], state["headers"], b"".join([*state["written"], *chunks]), None


def _call(app: WSGIApplication, environ: dict[str, Any]) -> _Response:
    status, headers, body, exc = call_wsgi(app, environ)
    if exc is not None:
        raise exc  # into the calling service's code, as a broken connection would surface
    return _Response(status or "500 Internal Server Error", headers, body)


@contextmanager
def routed(services: ServiceMap, recorder: Any) -> Iterator[None]:
    """Serve ``services`` in-process for the duration of one replay."""
    _active.append(_Routing(services, recorder))
    saved = http.client.HTTPConnection
    http.client.HTTPConnection = InProcessConnection  # type: ignore[misc,assignment]
    try:
        yield
    finally:
        http.client.HTTPConnection = saved  # type: ignore[misc]
        _active.pop()
