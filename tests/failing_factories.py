"""Factories that fail in every way a live replay must survive (tests/test_live_failures.py)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def ok_app_factory(global_conf: dict[str, str], **local: str) -> WSGIApp:
    def ok(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]

    return ok


def failing_create_factory(global_conf: dict[str, str], **local: str) -> WSGIApp:
    raise RuntimeError("the factory refused to build")


def setup_hook(live: object) -> None:
    raise RuntimeError("the setup hook fell over")


def _filter(call: Callable[[WSGIApp, dict[str, Any], Callable[..., Any]], Any]) -> Any:
    def factory(global_conf: dict[str, str], **local: str) -> Callable[[WSGIApp], WSGIApp]:
        def make(app: WSGIApp) -> WSGIApp:
            return lambda environ, start_response: call(app, environ, start_response)

        return make

    return factory


def _raises(app: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    raise ValueError("the filter broke on this request")


def _returns_none(app: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    start_response("200 OK", [])
    return None


def _returns_int(app: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    start_response("200 OK", [])
    return 42


def _starts_twice(app: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    start_response("200 OK", [("Content-Type", "text/plain")])
    start_response("500 Internal Server Error", [("Content-Type", "text/plain")])
    return [b"twice"]


def _never_returns(
    app: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any]
) -> Any:
    time.sleep(3)
    return app(environ, start_response)


def _bad_body(app: WSGIApp, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
    def body() -> Iterator[bytes]:
        yield b"first chunk"
        raise OSError("the body broke while being read")

    start_response("200 OK", [("Content-Type", "text/plain")])
    return body()


raising_filter_factory = _filter(_raises)
none_filter_factory = _filter(_returns_none)
int_filter_factory = _filter(_returns_int)
twice_filter_factory = _filter(_starts_twice)
slow_filter_factory = _filter(_never_returns)
bad_body_filter_factory = _filter(_bad_body)
