"""``nova.context.RequestContext``: who is calling, carried in ``environ['nova.context']``."""

from __future__ import annotations

from dataclasses import dataclass, field

from webob import Request

from pastetrace_examples.common.wsgi import Fault

CONTEXT_ENV = "nova.context"


@dataclass
class RequestContext:
    user_id: str
    project_id: str
    roles: list[str] = field(default_factory=list)
    is_admin: bool = False
    auth_token: str | None = None

    def to_glance_headers(self) -> dict[str, str]:
        """What glance's context filter reads (its own authtoken would derive them)."""
        headers = {"X-User-Id": self.user_id, "X-Tenant-Id": self.project_id}
        headers["X-Roles"] = ",".join(self.roles + (["admin"] if self.is_admin else []))
        if self.auth_token:
            headers["X-Auth-Token"] = self.auth_token
        return headers


def get_context(req: Request, project_id: str | None = None) -> RequestContext:
    """The context set by ``noauth`` or ``keystonecontext``; the URL's project must match."""
    context: RequestContext | None = req.environ.get(CONTEXT_ENV)
    if context is None:
        raise Fault(401, "unauthorized", "No nova.context: is an auth filter in the pipeline?")
    if project_id is not None and project_id != context.project_id and not context.is_admin:
        raise Fault(400, "badRequest", "Malformed request url: the project is not yours")
    return context


__all__ = ["CONTEXT_ENV", "RequestContext", "get_context"]
