"""glance-api's front: version negotiation and the root urlmap (``glance/api/__init__.py``).

``versionnegotiation`` runs before the urlmap and *rewrites* the path: ``/v1.1/images`` and
``/v1.0/images`` become ``/v1/images``, so the urlmap only needs a ``/v1`` key. It answers
``/``, ``/versions`` and versions it does not know itself, with ``300 Multiple Choices``.
"""

from __future__ import annotations

import re
from typing import Any

from webob import Request, Response

from pastetrace_examples.common.urlmap import URLMap, urlmap_factory
from pastetrace_examples.common.wsgi import Conf, Middleware, WSGIApp, as_bool, json_response

VERSION = re.compile(r"^v(\d+)(?:\.(\d+))?$")
ACCEPT_PREFIX = "application/vnd.openstack.images-"


class Versions:
    """``[app:apiversions]``: the list of API versions, always ``300``."""

    def __init__(self, conf: Conf) -> None:
        self.conf = conf

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        host = Request(environ).host_url
        versions = [
            {"id": "v1.1", "status": "CURRENT", "links": [{"rel": "self", "href": f"{host}/v1/"}]},
            {
                "id": "v1.0",
                "status": "SUPPORTED",
                "links": [{"rel": "self", "href": f"{host}/v1/"}],
            },
        ]
        return json_response({"versions": versions}, status=300)(environ, start_response)


class VersionNegotiationFilter(Middleware):
    """``[filter:versionnegotiation]``: ``/v1.x/...`` → ``/v1/...``, else the versions list."""

    def __init__(self, application: WSGIApp, conf: Conf | None = None) -> None:
        super().__init__(application, conf)
        self.versions_app = Versions(self.conf)

    def process_request(self, req: Request) -> Response | None:
        first = req.path_info_peek() or ""
        if first in ("", "versions"):
            return req.get_response(self.versions_app)
        match = VERSION.match(first)
        if match:
            major, minor = int(match[1]), int(match[2] or 0)
            rest = req.path_info[len(first) + 1 :]
        elif req.accept.header_value and ACCEPT_PREFIX in req.accept.header_value:
            # No version in the path: take it from `Accept: application/vnd.openstack.images-v1`
            match = VERSION.match(req.accept.header_value.split(ACCEPT_PREFIX)[1].split(";")[0])
            if not match:
                return req.get_response(self.versions_app)
            major, minor, rest = int(match[1]), int(match[2] or 0), req.path_info
        else:
            return req.get_response(self.versions_app)
        if (major, minor) not in {(1, 0), (1, 1)}:
            return req.get_response(self.versions_app)
        req.environ["api.major_version"], req.environ["api.minor_version"] = major, minor
        req.path_info = "/v1" + rest
        return None


def root_app_factory(loader: Any, global_conf: Conf, **local_conf: str) -> URLMap:
    """``[composite:rootapp]``: a plain urlmap, minus ``/v1`` when ``enable_v1_api`` is off."""
    if not as_bool(global_conf.get("enable_v1_api", "true")):
        local_conf = {k: v for k, v in local_conf.items() if k.rstrip("/") != "/v1"}
    return urlmap_factory(loader, global_conf, **local_conf)


__all__ = ["Versions", "VersionNegotiationFilter", "root_app_factory"]
