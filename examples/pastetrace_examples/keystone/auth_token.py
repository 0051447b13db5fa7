"""A small stand-in for ``keystone.middleware.auth_token`` (later keystonemiddleware).

Services put this filter in front of their API. For each request it takes the user's
``X-Auth-Token``, asks keystone's *admin* API whether it is valid
(``GET /v2.0/tokens/{id}`` over HTTP, authenticated with the service's own ``admin_token``),
and passes the answer on as headers the service trusts: ``X-Identity-Status``,
``X-User-Id``, ``X-User-Name``, ``X-Tenant-Id``, ``X-Tenant-Name``, ``X-Roles``.
An unknown or missing token gets ``401`` with a ``WWW-Authenticate`` header naming keystone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from webob import Request, Response

from pastetrace_examples.common import http
from pastetrace_examples.common.wsgi import Conf, Middleware, WSGIApp, json_error

# Headers a client could forge: always removed before the validated ones are added.
IDENTITY_HEADERS = (
    "X-Identity-Status",
    "X-User-Id",
    "X-User-Name",
    "X-Tenant-Id",
    "X-Tenant-Name",
    "X-Roles",
)


class AuthProtocol(Middleware):
    """``[filter:authtoken]``: reads ``auth_host``, ``auth_port``, ``admin_token``."""

    def process_request(self, req: Request) -> Response | None:
        for name in IDENTITY_HEADERS:
            req.headers.pop(name, None)
        token = req.headers.get("X-Auth-Token")
        access = self._validate(token) if token else None
        if access is None:
            response = json_error(401, "unauthorized", "Authentication required")
            uri = self.conf.get("auth_uri", "")
            response.headers["WWW-Authenticate"] = f"Keystone uri='{uri}'"
            return response
        tenant = access["token"].get("tenant", {})
        req.headers["X-Identity-Status"] = "Confirmed"
        req.headers["X-User-Id"] = access["user"]["id"]
        req.headers["X-User-Name"] = access["user"]["name"]
        req.headers["X-Tenant-Id"] = tenant.get("id", "")
        req.headers["X-Tenant-Name"] = tenant.get("name", "")
        req.headers["X-Roles"] = ",".join(role["name"] for role in access["user"]["roles"])
        return None

    def _validate(self, token: str) -> dict[str, Any] | None:
        """Ask keystone's admin API; None when keystone says the token is not valid."""
        result = http.request(
            self.conf.get("auth_host", "127.0.0.1"),
            self.conf.get("auth_port", "35357"),
            "GET",
            f"/v2.0/tokens/{token}",
            headers={
                "X-Auth-Token": self.conf.get("admin_token", ""),
                "Accept": "application/json",
            },
        )
        if result.status != 200:
            return None
        access: dict[str, Any] = result.json()["access"]
        return access


def filter_factory(global_conf: Conf, **local_conf: str) -> Callable[[WSGIApp], WSGIApp]:
    """``paste.filter_factory = pastetrace_examples.keystone.auth_token:filter_factory``."""
    return AuthProtocol.factory(global_conf, **local_conf)


__all__ = ["AuthProtocol", "IDENTITY_HEADERS", "filter_factory"]
