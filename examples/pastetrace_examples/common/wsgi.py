"""WSGI building blocks shaped like ``nova.wsgi`` and ``keystone.common.wsgi`` (Essex).

Every OpenStack service of 2012 had its own copy of these classes:

- ``Middleware``: a filter with ``process_request`` / ``process_response`` hooks and a
  ``factory`` classmethod that PasteDeploy calls (``paste.filter_factory = mod:Cls.factory``).
- ``Router``: an app whose ``routes.Mapper`` maps URLs to *controllers*; ``RoutesMiddleware``
  matches the request and ``_dispatch`` calls the matched controller.
- ``Resource``: wraps a plain controller object; calls the method named by the route's
  ``action`` with the URL variables and the JSON body, and turns its result into JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import routes
import routes.middleware
import webob.dec
from webob import Request, Response

WSGIApp = Callable[..., Any]
Conf = Mapping[str, str]


def json_response(body: Any, status: int = 200, **headers: str) -> Response:
    """A JSON response, as every OpenStack API of the era answered."""
    response = Response(status=status, content_type="application/json", charset="utf-8")
    response.text = json.dumps(body, indent=2, sort_keys=True)
    for name, value in headers.items():
        response.headers[name.replace("_", "-")] = value
    return response


def json_error(status: int, key: str, message: str) -> Response:
    """An error body in the ``{"<fault>": {"code": ..., "message": ...}}`` shape."""
    return json_response({key: {"code": status, "message": message}}, status=status)


def as_bool(value: object) -> bool:
    """Paste values are strings: read ``true``/``yes``/``1``/``on`` as True."""
    return str(value).strip().lower() in {"true", "yes", "1", "on"}


class Fault(Exception):
    """Raised by a controller to answer with a JSON error (caught by ``Resource``)."""

    def __init__(self, status: int, key: str, message: str) -> None:
        super().__init__(message)
        self.status, self.key, self.message = status, key, message

    def response(self) -> Response:
        return json_error(self.status, self.key, self.message)


class Middleware:
    """Base filter: ``process_request`` may answer, else the next app does."""

    def __init__(self, application: WSGIApp, conf: Conf | None = None) -> None:
        self.application = application
        self.conf: Conf = conf or {}

    @classmethod
    def factory(cls, global_conf: Conf, **local_conf: str) -> Callable[[WSGIApp], WSGIApp]:
        """``paste.filter_factory``: returns a function that wraps the next app."""
        conf = {**global_conf, **local_conf}

        def _factory(app: WSGIApp) -> WSGIApp:
            return cls(app, conf)

        return _factory

    def process_request(self, req: Request) -> Response | None:
        """Return a response to answer the request here; None passes it on."""
        return None

    def process_response(self, response: Response) -> Response:
        return response

    @webob.dec.wsgify
    def __call__(self, req: Request) -> Response:
        response = self.process_request(req)
        if response is not None:
            return response
        return self.process_response(req.get_response(self.application))


class Router:
    """An app that dispatches with a ``routes.Mapper`` (``nova.wsgi.Router``).

    Each route names a ``controller`` that is itself a WSGI app (usually a ``Resource``).
    """

    def __init__(self, mapper: routes.Mapper) -> None:
        self.map = mapper
        self._router = routes.middleware.RoutesMiddleware(self._dispatch, self.map)

    @webob.dec.wsgify
    def __call__(self, req: Request) -> WSGIApp:
        if not req.path_info:
            # A urlmap that consumed the whole path ('/v2.0') leaves PATH_INFO empty.
            req.path_info = "/"
        return self._router

    @staticmethod
    @webob.dec.wsgify
    def _dispatch(req: Request) -> WSGIApp:
        """Called by RoutesMiddleware once it has put the match in the environ."""
        match = req.environ["wsgiorg.routing_args"][1]
        if not match:
            return json_error(404, "itemNotFound", f"no route for {req.method} {req.path_info}")
        app: WSGIApp = match["controller"]
        return app


class Resource:
    """Calls ``controller.<action>(req, **url_vars[, body=...])`` and renders JSON.

    The body is ``environ['openstack.params']`` when keystone's ``json_body`` filter has
    already parsed it, else the request body parsed as JSON (400 when it is not JSON) unless
    its content type says otherwise or ``json_body=False``.
    A method returns a dict (200 JSON) or a ``Response``, or raises ``Fault``.
    """

    def __init__(self, controller: object, *, json_body: bool = True) -> None:
        self.controller = controller
        self.json_body = json_body  # False: the body is data (glance's image bytes)

    @webob.dec.wsgify
    def __call__(self, req: Request) -> Response:
        args = dict(req.environ["wsgiorg.routing_args"][1])
        args.pop("controller", None)
        args.pop("format", None)
        action = args.pop("action")
        method = getattr(self.controller, action, None)
        if method is None:  # e.g. mapper.resource's GET /images/new, which nobody implements
            return json_error(404, "itemNotFound", f"no action {action!r} here")
        body = req.environ.get("openstack.params")
        json_type = req.content_type in ("", "application/json")
        if body is None and self.json_body and json_type and req.content_length:
            try:
                body = json.loads(req.body)
            except ValueError:
                return json_error(400, "badRequest", "malformed JSON in request body")
        if body is not None:
            args["body"] = body
        try:
            result = method(req, **args)
        except Fault as fault:
            return fault.response()
        if isinstance(result, Response):
            return result
        return json_response(result)


def import_object(spec: str) -> Any:
    """Import ``package.module:attr`` (or ``package.module.attr``)."""
    module_name, _, attr = spec.partition(":") if ":" in spec else spec.rpartition(".")
    module = __import__(module_name, fromlist=[attr])
    return getattr(module, attr)


__all__ = [
    "Fault",
    "Middleware",
    "Resource",
    "Router",
    "as_bool",
    "import_object",
    "json_error",
    "json_response",
]
