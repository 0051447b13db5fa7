"""Fixtures for the example deployments: load them with PasteDeploy, join them over fake HTTP."""

from __future__ import annotations

import http.client
import io
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.validate import validator

import pytest

with warnings.catch_warnings():
    # webob 1.8 imports the stdlib `cgi` module, deprecated since Python 3.11.
    warnings.simplefilter("ignore", DeprecationWarning)
    import webob  # noqa: F401

import pastetrace_examples
from paste.deploy import loadapp
from pastetrace_examples import SERVICES, config_path
from webob import Request

WSGIApp = Callable[..., Any]


def load_entry(example: str, which: str, **global_conf: str) -> WSGIApp:
    """Load one entry of a bundled example with the real ``paste.deploy.loadapp``."""
    _, name, _ = SERVICES[example][which]
    return loadapp("config:" + str(config_path(example, which)), name=name, global_conf=global_conf)


class FakeResponse:
    """The part of ``http.client.HTTPResponse`` the examples read."""

    def __init__(self, status: int, reason: str, headers: list[tuple[str, str]], body: bytes):
        self.status, self.reason = status, reason
        self._headers, self._body = headers, io.BytesIO(body)

    def getheaders(self) -> list[tuple[str, str]]:
        return list(self._headers)

    def getheader(self, name: str, default: str | None = None) -> str | None:
        return next((v for k, v in self._headers if k.lower() == name.lower()), default)

    def read(self) -> bytes:
        return self._body.read()


class InProcessNetwork:
    """Stands in for ``http.client.HTTPConnection``: ``host:port`` → a loaded WSGI app."""

    def __init__(self) -> None:
        self.apps: dict[str, WSGIApp] = {}
        self.calls: list[tuple[str, str, str]] = []  # (host:port, method, path)

    def __call__(self, host: str, port: int | None = None, **_: Any) -> _Connection:
        return _Connection(self, f"{host}:{port}")


class _Connection:
    def __init__(self, network: InProcessNetwork, address: str) -> None:
        self.network, self.address = network, address
        self._response: FakeResponse | None = None

    def request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        app = self.network.apps.get(self.address)
        if app is None:
            raise ConnectionRefusedError(f"nothing listens on {self.address}")
        self.network.calls.append((self.address, method, url))
        req = Request.blank(url, method=method, headers=headers or {})
        if body is not None:
            req.body = body
        resp = req.get_response(app)
        self._response = FakeResponse(resp.status_code, resp.status, resp.headerlist, resp.body)

    def getresponse(self) -> FakeResponse:
        assert self._response is not None
        return self._response

    def close(self) -> None:
        pass


@pytest.fixture(autouse=True)
def _fresh_stores() -> Iterator[None]:
    """Every test starts with the seeded in-memory stores."""
    pastetrace_examples.reset()
    yield
    pastetrace_examples.reset()


def validated(app: WSGIApp) -> WSGIApp:
    """``wsgiref.validate.validator(app)``, fed like a real server feeds it.

    ``Request.blank`` marks its body seekable; the validator then wraps ``wsgi.input`` in an
    object without ``seek``, so drop the mark and let webob buffer the body as it does for
    a real server.
    """
    checked = validator(app)

    def _app(environ: dict[str, Any], start_response: Any) -> Any:
        environ.pop("webob.is_body_seekable", None)
        return checked(environ, start_response)

    return _app


@pytest.fixture
def strict() -> Callable[[WSGIApp], WSGIApp]:
    """Wrap an app in ``wsgiref.validate.validator`` (see ``validated``)."""
    return validated


@pytest.fixture
def load() -> Callable[..., WSGIApp]:
    """``load("glance", "api", filesystem_store_datadir=...)``: loadapp one bundled entry."""
    return load_entry


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> InProcessNetwork:
    """Route ``http.client.HTTPConnection`` to in-process apps; add them to ``network.apps``."""
    net = InProcessNetwork()
    monkeypatch.setattr(http.client, "HTTPConnection", net)
    return net
