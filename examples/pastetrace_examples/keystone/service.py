"""keystone's apps (``keystone/service.py``, Essex): routes, controllers, app factories.

``public_app_factory`` (port 5000) lets anyone log in: ``POST /tokens`` checks a password
(or an existing token) and returns a new token with the service catalog, ``GET /tenants``
lists the caller's tenants. ``admin_app_factory`` (port 35357) adds what services need:
``GET /tokens/{token_id}`` validates a token for nova's or glance's ``authtoken`` filter.
The version apps answer ``/`` with the list of API versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import routes
from webob import Request

from pastetrace_examples.common.state import store_for
from pastetrace_examples.common.wsgi import Conf, Fault, Resource, Router, json_response
from pastetrace_examples.keystone.catalog import TemplatedCatalog, format_catalog
from pastetrace_examples.keystone.identity import Backend
from pastetrace_examples.keystone.middleware import CONTEXT_ENV


def identity_backend(conf: Mapping[str, str]) -> Backend:
    """The one backend shared by the public and admin apps of this paste file."""
    return store_for(conf, "keystone.identity", Backend.seeded)


def load_catalog(conf: Mapping[str, str]) -> TemplatedCatalog:
    """Read ``catalog_template_file`` as the real ``admin_app_factory`` did at startup."""
    return TemplatedCatalog.from_file(conf["catalog_template_file"], conf)


def format_access(token: dict[str, Any], catalog: TemplatedCatalog | None) -> dict[str, Any]:
    """The v2.0 ``access`` document: token, user with roles, and optionally the catalog."""
    user, tenant = token["user"], token["tenant"]
    access: dict[str, Any] = {
        "token": {"id": token["id"], "expires": token["expires"]},
        "user": {
            "id": user["id"],
            "name": user["name"],
            "roles": [{"name": role} for role in token["roles"]],
            "roles_links": [],
        },
    }
    if tenant is not None:
        access["token"]["tenant"] = {k: tenant[k] for k in ("id", "name", "enabled")}
    if catalog is not None:
        tenant_id = tenant["id"] if tenant else None
        access["serviceCatalog"] = format_catalog(catalog.get_catalog(user["id"], tenant_id))
    return {"access": access}


def assert_admin(req: Request, backend: Backend) -> None:
    """Allow the ``admin_token``, or a token whose user has the ``admin`` role."""
    context = req.environ.get(CONTEXT_ENV, {})
    if context.get("is_admin"):
        return
    token = backend.tokens.get(context.get("token_id") or "")
    if token is None:
        raise Fault(401, "unauthorized", "The request you have made requires authentication.")
    if "admin" not in token["roles"]:
        raise Fault(403, "forbidden", "You are not authorized to perform the requested action.")


class TokenController:
    """Issue tokens (``POST /tokens``) and validate them (``GET /tokens/{token_id}``)."""

    def __init__(self, backend: Backend, catalog: TemplatedCatalog) -> None:
        self.backend = backend
        self.catalog = catalog

    def authenticate(self, req: Request, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """Password or token credentials, optionally scoped to a tenant by name or id."""
        auth = (body or {}).get("auth")
        if not isinstance(auth, dict):
            raise Fault(400, "badRequest", "Expected an 'auth' object in the request body.")
        if "passwordCredentials" in auth:
            creds = auth["passwordCredentials"]
            user = self.backend.user_by_name(creds.get("username", ""))
            if user is None or user["password"] != creds.get("password"):
                raise Fault(401, "unauthorized", "Invalid user / password")
        elif "token" in auth:
            old = self.backend.tokens.get(auth["token"].get("id", ""))
            if old is None:
                raise Fault(401, "unauthorized", "Invalid token")
            user = old["user"]
        else:
            raise Fault(400, "badRequest", "Expected passwordCredentials or token.")
        tenant = None
        if "tenantName" in auth:
            tenant = self.backend.tenant_by_name(auth["tenantName"])
        elif "tenantId" in auth:
            tenant = self.backend.tenants.get(auth["tenantId"])
        if ("tenantName" in auth or "tenantId" in auth) and (
            tenant is None or tenant not in self.backend.tenants_for_user(user["id"])
        ):
            raise Fault(401, "unauthorized", "Invalid tenant")
        public_user = {k: v for k, v in user.items() if k != "password"}
        return format_access(self.backend.issue_token(public_user, tenant), self.catalog)

    def validate_token(self, req: Request, token_id: str) -> dict[str, Any]:
        """What ``authtoken`` filters call; needs an admin token (admin API only)."""
        assert_admin(req, self.backend)
        token = self.backend.tokens.get(token_id)
        if token is None:
            raise Fault(404, "itemNotFound", f"Could not find token, {token_id}.")
        return format_access(token, None)


class TenantController:
    """``GET /tenants``: the caller's tenants (public) or all of them (admin)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def get_tenants_for_token(self, req: Request) -> dict[str, Any]:
        token = self.backend.tokens.get(req.environ.get(CONTEXT_ENV, {}).get("token_id") or "")
        if token is None:
            raise Fault(401, "unauthorized", "The request you have made requires authentication.")
        tenants = self.backend.tenants_for_user(token["user"]["id"])
        return {"tenants": tenants, "tenants_links": []}

    def get_all_tenants(self, req: Request) -> dict[str, Any]:
        assert_admin(req, self.backend)
        return {"tenants": list(self.backend.tenants.values()), "tenants_links": []}


class VersionController:
    """The version documents: ``/`` lists them (300), ``/v2.0/`` describes v2.0."""

    def __init__(self, port: str) -> None:
        self.port = port

    def _v2(self) -> dict[str, Any]:
        return {
            "id": "v2.0",
            "status": "beta",
            "updated": "2011-11-19T00:00:00Z",
            "links": [{"rel": "self", "href": f"http://localhost:{self.port}/v2.0/"}],
            "media-types": [
                {"base": "application/json", "type": "application/vnd.openstack.identity-v2.0+json"}
            ],
        }

    def get_versions(self, req: Request) -> Any:
        return json_response({"versions": {"values": [self._v2()]}}, status=300)

    def get_version(self, req: Request) -> dict[str, Any]:
        return {"version": self._v2()}


def _service_mapper(conf: Conf, port_key: str) -> tuple[routes.Mapper, Backend, Resource]:
    """The routes both apps have: the v2.0 version document and ``POST /tokens``."""
    backend, catalog = identity_backend(conf), load_catalog(conf)
    mapper = routes.Mapper()
    mapper.connect(
        "/", controller=Resource(VersionController(conf[port_key])), action="get_version"
    )
    tokens = Resource(TokenController(backend, catalog))
    mapper.connect(
        "/tokens", controller=tokens, action="authenticate", conditions={"method": ["POST"]}
    )
    return mapper, backend, tokens


def public_app_factory(global_conf: Conf, **local_conf: str) -> Router:
    """The public API (port 5000): log in, list my tenants."""
    conf = {**global_conf, **local_conf}
    mapper, backend, _ = _service_mapper(conf, "public_port")
    tenants = Resource(TenantController(backend))
    mapper.connect(
        "/tenants",
        controller=tenants,
        action="get_tenants_for_token",
        conditions={"method": ["GET"]},
    )
    return Router(mapper)


def admin_app_factory(global_conf: Conf, **local_conf: str) -> Router:
    """The admin API (port 35357): everything public plus token validation."""
    conf = {**global_conf, **local_conf}
    mapper, backend, tokens = _service_mapper(conf, "admin_port")
    mapper.connect(
        "/tokens/{token_id}",
        controller=tokens,
        action="validate_token",
        conditions={"method": ["GET", "HEAD"]},
    )
    tenants = Resource(TenantController(backend))
    mapper.connect(
        "/tenants", controller=tenants, action="get_all_tenants", conditions={"method": ["GET"]}
    )
    return Router(mapper)


def _version_app(port: str) -> Router:
    mapper = routes.Mapper()
    mapper.connect("/", controller=Resource(VersionController(port)), action="get_versions")
    return Router(mapper)


def public_version_app_factory(global_conf: Conf, **local_conf: str) -> Router:
    """``/`` on port 5000: which API versions exist (300 Multiple Choices)."""
    return _version_app({**global_conf, **local_conf}["public_port"])


def admin_version_app_factory(global_conf: Conf, **local_conf: str) -> Router:
    """``/`` on port 35357: which API versions exist (300 Multiple Choices)."""
    return _version_app({**global_conf, **local_conf}["admin_port"])


__all__ = [
    "TenantController",
    "TokenController",
    "VersionController",
    "admin_app_factory",
    "admin_version_app_factory",
    "assert_admin",
    "format_access",
    "identity_backend",
    "load_catalog",
    "public_app_factory",
    "public_version_app_factory",
]
