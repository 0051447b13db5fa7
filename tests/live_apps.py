"""Factories for the live-tracing tests: strict (validator-wrapped) apps and a failing factory."""

from __future__ import annotations

import json
from collections.abc import Iterator
from wsgiref.validate import validator

CLOSED: list[str] = []  # names of streamed bodies whose close() was called


class _Stream:
    """A body of several chunks that notes when the server closes it."""

    def __init__(self, name: str, chunks: list[bytes]) -> None:
        self._name = name
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._chunks)

    def close(self) -> None:
        CLOSED.append(self._name)


def stream_app_factory(global_conf: dict[str, str], name: str = "stream", chunks: str = "3"):
    """Answers 200 with ``chunks`` chunks; the greeting comes from the global conf."""
    greeting = global_conf.get("greeting", "hello")

    def stream(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _Stream(name, [f"{greeting} {i}\n".encode() for i in range(int(chunks))])

    return validator(stream)


def conf_app_factory(global_conf: dict[str, str], **local_conf: str):
    """Answers with the global and local conf it was made with, as JSON."""
    body = json.dumps({"global": global_conf, "local": local_conf}, sort_keys=True).encode()

    def conf(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]

    return validator(conf)


def tag_filter_factory(global_conf: dict[str, str], tag: str = "tagged"):
    """Adds ``X-Tag`` to the request and the response."""

    def make(app):
        def tag_filter(environ, start_response):
            environ["HTTP_X_TAG"] = tag

            def tagged(status, headers, exc_info=None):
                return start_response(status, [*headers, ("X-Tag", tag)])

            return app(environ, tagged)

        return validator(tag_filter)

    return make


def broken_app_factory(global_conf: dict[str, str]):
    """A factory that fails, as one whose database is unreachable would."""
    raise RuntimeError("cannot reach the database")
