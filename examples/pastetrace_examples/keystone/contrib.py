"""Extension filters (``keystone/contrib/ec2`` and ``admin_crud``, Essex).

An ``ExtensionRouter`` is a filter that is also a Router: it has its own ``routes.Mapper``
with the extension's routes, and a last catch-all route ``{path_info:.*}`` whose controller
is the next app in the pipeline. So ``POST /ec2tokens`` is answered here, and every other
request goes on to ``public_service`` / ``admin_service``.

It does not go on quite unchanged, and a replay shows it: when a route has a ``path_info``
variable, Routes' middleware sets PATH_INFO to it and appends the rest to SCRIPT_NAME. With
no leading slash in ``{path_info:.*}`` the variable holds the whole path (``/tokens``), so
SCRIPT_NAME grows from ``/v2.0`` to ``/v2.0/tokens`` while PATH_INFO stays ``/tokens``.
Keystone's ExtensionRouter had the same catch-all; its apps route on PATH_INFO only, so
requests still worked, but any URL built from SCRIPT_NAME would have been wrong.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import urllib.parse
from collections.abc import Callable
from typing import Any

import routes
from webob import Request

from pastetrace_examples.common.wsgi import Conf, Fault, Resource, Router, WSGIApp
from pastetrace_examples.keystone.identity import Backend
from pastetrace_examples.keystone.service import (
    assert_admin,
    format_access,
    identity_backend,
    load_catalog,
)


class ExtensionRouter(Router):
    """A filter with its own routes; what they do not match goes to the next app."""

    def __init__(self, application: WSGIApp, conf: Conf) -> None:
        self.application = application
        self.conf = conf
        mapper = routes.Mapper()
        self.add_routes(mapper)
        mapper.connect("{path_info:.*}", controller=self.application)
        super().__init__(mapper)

    def add_routes(self, mapper: routes.Mapper) -> None:
        """Subclasses connect their routes here, before the catch-all."""

    @classmethod
    def factory(cls, global_conf: Conf, **local_conf: str) -> Callable[[WSGIApp], WSGIApp]:
        """``paste.filter_factory``."""
        conf = {**global_conf, **local_conf}

        def _factory(app: WSGIApp) -> WSGIApp:
            return cls(app, conf)

        return _factory


def ec2_signature(secret: str, credentials: dict[str, Any]) -> str:
    """AWS signature version 2, as ``keystone.common.utils.Ec2Signer`` computed it."""
    params = credentials.get("params", {})
    query = urllib.parse.urlencode(sorted(params.items()), quote_via=urllib.parse.quote)
    to_sign = "\n".join(
        [
            credentials.get("verb", "GET"),
            credentials.get("host", ""),
            credentials.get("path", "/"),
            query,
        ]
    )
    digest = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class Ec2Controller:
    """``POST /ec2tokens``: nova's EC2 API trades a signed EC2 request for a token."""

    def __init__(self, backend: Backend, conf: Conf) -> None:
        self.backend = backend
        self.conf = conf

    def authenticate(self, req: Request, body: dict[str, Any] | None = None) -> dict[str, Any]:
        credentials = (body or {}).get("credentials") or (body or {}).get("ec2Credentials")
        if not isinstance(credentials, dict):
            raise Fault(400, "badRequest", "Expected 'credentials' in the request body.")
        ref = self.backend.ec2_credentials.get(credentials.get("access", ""))
        if ref is None:
            raise Fault(401, "unauthorized", "Invalid EC2 access key")
        if credentials.get("signature") != ec2_signature(ref["secret"], credentials):
            raise Fault(401, "unauthorized", "Invalid EC2 signature")
        user = {k: v for k, v in self.backend.users[ref["user_id"]].items() if k != "password"}
        token = self.backend.issue_token(user, self.backend.tenants[ref["tenant_id"]])
        return format_access(token, load_catalog(self.conf))


class Ec2Extension(ExtensionRouter):
    """``[filter:ec2_extension]``."""

    def add_routes(self, mapper: routes.Mapper) -> None:
        controller = Resource(Ec2Controller(identity_backend(self.conf), self.conf))
        mapper.connect(
            "/ec2tokens",
            controller=controller,
            action="authenticate",
            conditions={"method": ["POST"]},
        )


class CrudController:
    """Create and delete tenants, users and role grants (admin only)."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def create_tenant(self, req: Request, body: dict[str, Any] | None = None) -> dict[str, Any]:
        assert_admin(req, self.backend)
        tenant = (body or {}).get("tenant")
        if not isinstance(tenant, dict) or "name" not in tenant:
            raise Fault(400, "badRequest", "Expected a 'tenant' with a 'name'.")
        return {"tenant": self.backend.create_tenant(tenant)}

    def delete_tenant(self, req: Request, tenant_id: str) -> dict[str, Any]:
        assert_admin(req, self.backend)
        if self.backend.tenants.pop(tenant_id, None) is None:
            raise Fault(404, "itemNotFound", f"Could not find tenant, {tenant_id}.")
        return {}

    def create_user(self, req: Request, body: dict[str, Any] | None = None) -> dict[str, Any]:
        assert_admin(req, self.backend)
        user = (body or {}).get("user")
        if not isinstance(user, dict) or "name" not in user:
            raise Fault(400, "badRequest", "Expected a 'user' with a 'name'.")
        tenant_id = user.pop("tenantId", None)
        user = self.backend.create_user(user)
        if tenant_id:
            self.backend.roles[(user["id"], tenant_id)] = ["Member"]
        return {"user": {k: v for k, v in user.items() if k != "password"}}

    def delete_user(self, req: Request, user_id: str) -> dict[str, Any]:
        assert_admin(req, self.backend)
        if self.backend.users.pop(user_id, None) is None:
            raise Fault(404, "itemNotFound", f"Could not find user, {user_id}.")
        return {}

    def add_role_to_user(
        self, req: Request, tenant_id: str, user_id: str, role_id: str
    ) -> dict[str, Any]:
        assert_admin(req, self.backend)
        roles = self.backend.roles.setdefault((user_id, tenant_id), [])
        if role_id not in roles:
            roles.append(role_id)
        return {"role": {"id": role_id, "name": role_id}}


class CrudExtension(ExtensionRouter):
    """``[filter:crud_extension]``: the admin API's ``OS-KSADM`` extension."""

    def add_routes(self, mapper: routes.Mapper) -> None:
        crud = Resource(CrudController(identity_backend(self.conf)))
        for path, method, action in [
            ("/tenants", "POST", "create_tenant"),
            ("/tenants/{tenant_id}", "DELETE", "delete_tenant"),
            ("/users", "POST", "create_user"),
            ("/users/{user_id}", "DELETE", "delete_user"),
            (
                "/tenants/{tenant_id}/users/{user_id}/roles/OS-KSADM/{role_id}",
                "PUT",
                "add_role_to_user",
            ),
        ]:
            mapper.connect(path, controller=crud, action=action, conditions={"method": [method]})


__all__ = [
    "CrudController",
    "CrudExtension",
    "Ec2Controller",
    "Ec2Extension",
    "ExtensionRouter",
    "ec2_signature",
]
