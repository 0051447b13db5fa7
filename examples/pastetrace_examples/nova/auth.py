"""Authentication in nova's API (``nova/api/auth.py`` and ``nova/api/openstack/auth.py``).

``pipeline_factory`` is a composite: the paste section lists one pipeline per auth strategy
(``noauth = ...``, ``keystone = ...``) and this function picks one from ``auth_strategy``
in the global configuration, exactly as nova Essex did; with ``api_rate_limit`` off it
prefers ``<strategy>_nolimit`` when the section has one.
"""

from __future__ import annotations

import os
from typing import Any

from webob import Request, Response

from pastetrace_examples.common.wsgi import Conf, Middleware, WSGIApp, as_bool, json_error
from pastetrace_examples.nova.context import CONTEXT_ENV, RequestContext


def pipeline_factory(loader: Any, global_conf: Conf, **local_conf: str) -> WSGIApp:
    """A paste pipeline replica that keys off of ``auth_strategy``."""
    strategy = global_conf.get("auth_strategy", "keystone")
    pipeline = local_conf[strategy]
    if not as_bool(global_conf.get("api_rate_limit", "true")):
        pipeline = local_conf.get(f"{strategy}_nolimit", pipeline)
    names = pipeline.split()
    # Essex called get_filter(name) only (nova read its flags elsewhere); passing global_conf
    # on keeps values given to loadapp(global_conf=...) visible to the filters and the app.
    filters = [loader.get_filter(name, global_conf=global_conf) for name in names[:-1]]
    app: WSGIApp = loader.get_app(names[-1], global_conf=global_conf)
    for filter_ in reversed(filters):
        app = filter_(app)
    return app


class NoAuthMiddleware(Middleware):
    """``[filter:noauth]``: trust ``X-Auth-Token: user:project``; no token → hand one out."""

    def process_request(self, req: Request) -> Response | None:
        token = req.headers.get("X-Auth-Token")
        if token is None:
            user_id = req.headers.get("X-Auth-User", "admin")
            project_id = req.headers.get("X-Auth-Project-Id", "admin")
            response = Response(status=204)
            response.headers["X-Auth-Token"] = f"{user_id}:{project_id}"
            response.headers["X-Server-Management-Url"] = os.path.join(req.url, project_id)
            return response
        user_id, _, project_id = token.partition(":")
        req.environ[CONTEXT_ENV] = RequestContext(
            user_id, project_id or user_id, is_admin=True, auth_token=token
        )
        return None


class NovaKeystoneContext(Middleware):
    """``[filter:keystonecontext]``: the context from the headers ``authtoken`` set."""

    def process_request(self, req: Request) -> Response | None:
        user_id = req.headers.get("X-User-Id")
        if not user_id:
            return json_error(401, "unauthorized", "No X-User-Id: is authtoken in the pipeline?")
        roles = [r.strip() for r in req.headers.get("X-Roles", "").split(",") if r.strip()]
        req.environ[CONTEXT_ENV] = RequestContext(
            user_id,
            req.headers.get("X-Tenant-Id", ""),
            roles=roles,
            is_admin="admin" in roles,
            auth_token=req.headers.get("X-Auth-Token"),
        )
        return None


__all__ = ["NoAuthMiddleware", "NovaKeystoneContext", "pipeline_factory"]
