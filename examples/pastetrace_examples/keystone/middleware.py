"""The filters of keystone's pipelines (``keystone/middleware/core.py``, Essex).

They only prepare the request for the apps; none of them rejects a request by itself
except ``json_body`` on a body that is not JSON:

- ``token_auth`` copies ``X-Auth-Token`` into ``environ['openstack.context']['token_id']``.
- ``admin_token_auth`` sets ``context['is_admin']`` when that token is the shared secret
  ``admin_token`` from ``[DEFAULT]`` (the bootstrap token used before any user exists).
- ``json_body`` parses a JSON body into ``environ['openstack.params']``.
"""

from __future__ import annotations

import json

from webob import Request, Response

from pastetrace_examples.common.wsgi import Middleware, json_error

AUTH_TOKEN_HEADER = "X-Auth-Token"
CONTEXT_ENV = "openstack.context"
PARAMS_ENV = "openstack.params"


class TokenAuthMiddleware(Middleware):
    """Put the caller's token in the request context."""

    def process_request(self, req: Request) -> Response | None:
        context = req.environ.setdefault(CONTEXT_ENV, {})
        context["token_id"] = req.headers.get(AUTH_TOKEN_HEADER)
        return None


class AdminTokenAuthMiddleware(Middleware):
    """Mark the context as admin when the token is the configured ``admin_token``."""

    def process_request(self, req: Request) -> Response | None:
        token = req.headers.get(AUTH_TOKEN_HEADER)
        context = req.environ.setdefault(CONTEXT_ENV, {})
        context["is_admin"] = token is not None and token == self.conf.get("admin_token")
        return None


class JsonBodyMiddleware(Middleware):
    """Parse the JSON body once, so the apps get plain keyword arguments."""

    def process_request(self, req: Request) -> Response | None:
        if not req.content_length:
            return None
        try:
            params = json.loads(req.body)
        except ValueError:
            return json_error(400, "error", "Malformed json in request body")
        if not isinstance(params, dict):
            return json_error(400, "error", "The request body must be a JSON object")
        # 'self' and 'context' would clash with the controllers' own arguments.
        req.environ[PARAMS_ENV] = {k: v for k, v in params.items() if k not in {"self", "context"}}
        return None


__all__ = [
    "AUTH_TOKEN_HEADER",
    "AdminTokenAuthMiddleware",
    "CONTEXT_ENV",
    "JsonBodyMiddleware",
    "PARAMS_ENV",
    "TokenAuthMiddleware",
]
