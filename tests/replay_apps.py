"""Factories for replay tests: a Routes app whose actions leave a mark, and failing layers."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from routes import Mapper
from routes.middleware import RoutesMiddleware
from webob import Request, Response


class ThingsController:
    """Writes a file when an action runs, so a test can tell whether it ran."""

    def __init__(self, marker_dir: str) -> None:
        self.marker_dir = Path(marker_dir)

    def __call__(self, environ, start_response):  # Routes keeps only callable controllers
        raise AssertionError("dispatched through the action methods")

    def index(self, req: Request, **_: str) -> Response:
        return Response(json_body={"things": []})

    def delete(self, req: Request, id: str, **_: str) -> Response:
        (self.marker_dir / f"deleted-{id}").write_text("the delete action ran")
        return Response(status=204)


def router_factory(global_conf: dict[str, str], marker_dir: str) -> RoutesMiddleware:
    controller = ThingsController(marker_dir)
    mapper = Mapper()
    mapper.connect(
        "things", "/things", controller=controller, action="index", conditions={"method": ["GET"]}
    )
    mapper.connect(
        "thing",
        "/things/{id}",
        controller=controller,
        action="delete",
        conditions={"method": ["DELETE"]},
    )

    def dispatch(environ, start_response):
        match = environ["wsgiorg.routing_args"][1]
        if not match:
            return Response(status=404)(environ, start_response)
        kwargs = {k: v for k, v in match.items() if k not in ("controller", "action")}
        response = getattr(match["controller"], match["action"])(Request(environ), **kwargs)
        return response(environ, start_response)

    return RoutesMiddleware(dispatch, mapper)


def boom_app_factory(global_conf: dict[str, str]):
    def boom(environ, start_response):
        raise RuntimeError("the app fell over")

    return boom


def slow_app_factory(global_conf: dict[str, str], seconds: str = "2"):
    def slow(environ, start_response):
        time.sleep(float(seconds))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"late"]

    return slow


def header_filter_factory(global_conf: dict[str, str], **local: str):
    def make(app):
        def add_header(environ, start_response):
            environ["HTTP_X_ADDED_BY_FILTER"] = "yes"
            return app(environ, start_response)

        return add_header

    return make


def echo_app_factory(global_conf: dict[str, str]):
    def echo(environ, start_response):
        body = json.dumps({"pid": os.getpid(), "added": environ.get("HTTP_X_ADDED_BY_FILTER")})
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body.encode()]

    return echo
