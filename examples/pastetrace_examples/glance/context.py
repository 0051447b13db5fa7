"""The request context (``glance/common/context.py``).

``[filter:context]`` turns identity headers into ``environ['glance.context']``. In a
keystone deployment those headers come from the ``authtoken`` filter in front of it; in
the minimal pipeline they are trusted as sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from webob import Request, Response

from pastetrace_examples.common.wsgi import Middleware, json_error

CONTEXT_ENV = "glance.context"


@dataclass
class RequestContext:
    """Who is asking. The owner of new images is the tenant."""

    auth_tok: str | None = None
    user: str | None = None
    tenant: str | None = None
    roles: list[str] = field(default_factory=list)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    @property
    def owner(self) -> str | None:
        return self.tenant

    def can_see(self, image: dict[str, object]) -> bool:
        """Public images are for everyone; private ones for their owner and admins."""
        return bool(image.get("is_public")) or self.is_admin or image.get("owner") == self.owner

    def to_headers(self) -> dict[str, str]:
        """The headers that carry this context to the registry."""
        headers = {"X-Roles": ",".join(self.roles)}
        for name, value in [
            ("X-Auth-Token", self.auth_tok),
            ("X-User-Id", self.user),
            ("X-Tenant-Id", self.tenant),
        ]:
            if value:
                headers[name] = value
        return headers


def get_context(req: Request) -> RequestContext:
    context: RequestContext = req.environ.get(CONTEXT_ENV) or RequestContext()
    return context


class ContextMiddleware(Middleware):
    """``[filter:context]``: build the context, refuse tokens keystone did not confirm."""

    def process_request(self, req: Request) -> Response | None:
        if req.headers.get("X-Identity-Status", "Confirmed") != "Confirmed":
            return json_error(401, "unauthorized", "The token was not confirmed by keystone")
        roles = [r.strip() for r in req.headers.get("X-Roles", "").split(",") if r.strip()]
        req.environ[CONTEXT_ENV] = RequestContext(
            auth_tok=req.headers.get("X-Auth-Token"),
            user=req.headers.get("X-User-Id"),
            tenant=req.headers.get("X-Tenant-Id"),
            roles=roles,
        )
        return None


__all__ = ["CONTEXT_ENV", "ContextMiddleware", "RequestContext", "get_context"]
