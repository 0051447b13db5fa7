"""nova's OpenStack API v2 (``nova/api/openstack``): filters, versions, router, controllers.

``APIRouter`` is a Routes mapper built with ``mapper.resource(...)`` under ``/{project_id}``:
``GET /{project_id}/servers`` → ``ServersController.index``, ``POST .../servers/{id}/action``
→ ``ServersController.action``, and so on. Every controller method gets the request, the
URL variables and the JSON body, and returns a dict that becomes the JSON response.
"""

from __future__ import annotations

import time
from collections import defaultdict
from typing import Any

import routes
import webob.dec
from webob import Request, Response

from pastetrace_examples.common.wsgi import (
    Conf,
    Fault,
    Middleware,
    Resource,
    Router,
    json_error,
    json_response,
)
from pastetrace_examples.nova import compute
from pastetrace_examples.nova.context import CONTEXT_ENV, get_context
from pastetrace_examples.nova.image import GlanceImageService

VM_STATUS = {"building": "BUILD", "active": "ACTIVE", "stopped": "SHUTOFF", "error": "ERROR"}
IMAGE_STATUS = {"queued": "SAVING", "saving": "SAVING", "active": "ACTIVE", "killed": "ERROR"}


class FaultWrapper(Middleware):
    """``[filter:faultwrap]``: an exception from below becomes a JSON ``computeFault`` 500."""

    @webob.dec.wsgify
    def __call__(self, req: Request) -> Response:
        try:
            return req.get_response(self.application)
        except Exception:
            # Essex hid the message of unexpected errors from the caller (it went to the log).
            return json_error(
                500,
                "computeFault",
                "The server has either erred or is incapable of performing the requested "
                "operation.",
            )


class RateLimitingMiddleware(Middleware):
    """``[filter:ratelimit]``: per user and verb, so many requests a minute (Essex defaults)."""

    LIMITS = {"POST": 10, "PUT": 10, "DELETE": 100}

    def __init__(self, application: Any, conf: Conf | None = None) -> None:
        super().__init__(application, conf)
        self._seen: dict[tuple[str, str], list[float]] = defaultdict(list)

    def process_request(self, req: Request) -> Response | None:
        limit = self.LIMITS.get(req.method)
        context = req.environ.get(CONTEXT_ENV)
        if limit is None or context is None:
            return None
        now = time.monotonic()
        seen = self._seen[(context.user_id, req.method)]
        seen[:] = [t for t in seen if now - t < 60]
        if len(seen) >= limit:
            retry = int(60 - (now - seen[0])) + 1
            response = json_error(413, "overLimit", "This request was rate-limited.")
            response.headers["Retry-After"] = str(retry)
            return response
        seen.append(now)
        return None


class Versions:
    """``[app:oscomputeversionapp]``: the API versions document at ``/``."""

    @classmethod
    def factory(cls, global_conf: Conf, **local_conf: str) -> Versions:
        return cls()

    @webob.dec.wsgify
    def __call__(self, req: Request) -> Response:
        versions = [
            {
                "id": "v2.0",
                "status": "CURRENT",
                "updated": "2011-01-21T11:33:21Z",
                "links": [{"rel": "self", "href": f"{req.host_url}/v2/"}],
            }
        ]
        return json_response({"versions": versions})


def _server_view(instance: dict[str, Any], req: Request) -> dict[str, Any]:
    href = f"{req.application_url}/{instance['project_id']}/servers/{instance['uuid']}"
    return {
        "id": instance["uuid"],
        "name": instance["display_name"],
        "status": VM_STATUS.get(instance["vm_state"], "UNKNOWN"),
        "tenant_id": instance["project_id"],
        "user_id": instance["user_id"],
        "image": {"id": instance["image_ref"]},
        "flavor": {"id": instance["instance_type_id"]},
        "security_groups": [{"name": n} for n in instance["security_groups"]],
        "links": [{"rel": "self", "href": href}],
    }


class ServersController:
    """``/{project_id}/servers``."""

    def __init__(self, compute_api: compute.API) -> None:
        self.compute_api = compute_api

    def index(self, req: Request, project_id: str) -> dict[str, Any]:
        servers = self.compute_api.get_all(get_context(req, project_id))
        return {"servers": [{"id": s["uuid"], "name": s["display_name"]} for s in servers]}

    def detail(self, req: Request, project_id: str) -> dict[str, Any]:
        servers = self.compute_api.get_all(get_context(req, project_id))
        return {"servers": [_server_view(s, req) for s in servers]}

    def show(self, req: Request, project_id: str, id: str) -> dict[str, Any]:
        return {"server": _server_view(self.compute_api.get(get_context(req, project_id), id), req)}

    def create(self, req: Request, project_id: str, body: dict[str, Any] | None = None) -> Response:
        """``POST /servers``: 202 Accepted; the server is only ``BUILD`` when this returns."""
        server = (body or {}).get("server")
        if not isinstance(server, dict):
            raise Fault(400, "badRequest", "The request body must contain a 'server' object.")
        for key in ("name", "imageRef", "flavorRef"):
            if not server.get(key):
                raise Fault(400, "badRequest", f"Missing '{key}' in the server object.")
        context = get_context(req, project_id)
        instance = self.compute_api.create(
            context, str(server["flavorRef"]), str(server["imageRef"]), server["name"]
        )
        view = {**_server_view(instance, req), "adminPass": instance["admin_password"]}
        return json_response({"server": view}, status=202)

    def delete(self, req: Request, project_id: str, id: str) -> Response:
        self.compute_api.delete(get_context(req, project_id), id)
        return Response(status=204)

    def action(
        self, req: Request, project_id: str, id: str, body: dict[str, Any] | None = None
    ) -> Response:
        """``POST /servers/{id}/action``: the body's only key names the action."""
        context = get_context(req, project_id)
        if not isinstance(body, dict) or len(body) != 1:
            raise Fault(400, "badRequest", "The action body must have exactly one key.")
        ((name, args),) = body.items()
        if name == "createImage":
            if not isinstance(args, dict) or not args.get("name"):
                raise Fault(400, "badRequest", "createImage needs a 'name'.")
            image = self.compute_api.snapshot(context, id, args["name"], args.get("metadata", {}))
            response = Response(status=202)
            response.headers["Location"] = (
                f"{self.compute_api.image_service.url}/images/{image['id']}"
            )
            return response
        if name == "reboot":
            self.compute_api.reboot(context, id, (args or {}).get("type", "SOFT"))
            return Response(status=202)
        raise Fault(400, "badRequest", f"There is no such action: {name}")


class ImagesController:
    """``/{project_id}/images``: glance's images, seen through nova."""

    def __init__(self, image_service: GlanceImageService) -> None:
        self.image_service = image_service

    @staticmethod
    def _view(image: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": image["id"],
            "name": image.get("name"),
            "status": IMAGE_STATUS.get(image.get("status", ""), "UNKNOWN"),
            "metadata": image.get("properties", {}),
        }

    def index(self, req: Request, project_id: str) -> dict[str, Any]:
        images = self.image_service.detail(get_context(req, project_id))
        return {"images": [{"id": i["id"], "name": i["name"]} for i in images]}

    def detail(self, req: Request, project_id: str) -> dict[str, Any]:
        images = self.image_service.detail(get_context(req, project_id))
        return {"images": [self._view(i) for i in images]}

    def show(self, req: Request, project_id: str, id: str) -> dict[str, Any]:
        return {"image": self._view(self.image_service.show(get_context(req, project_id), id))}


class FlavorsController:
    """``/{project_id}/flavors``: the instance types."""

    def index(self, req: Request, project_id: str) -> dict[str, Any]:
        return {"flavors": [{"id": f["id"], "name": f["name"]} for f in compute.FLAVORS.values()]}

    def detail(self, req: Request, project_id: str) -> dict[str, Any]:
        return {"flavors": list(compute.FLAVORS.values())}

    def show(self, req: Request, project_id: str, id: str) -> dict[str, Any]:
        if id not in compute.FLAVORS:
            raise Fault(404, "itemNotFound", f"Flavor {id} could not be found.")
        return {"flavor": compute.FLAVORS[id]}


class APIRouter(Router):
    """``[app:osapi_compute_app_v2]``: one ``mapper.resource`` per collection."""

    def __init__(self, conf: Conf) -> None:
        compute_api = compute.API(conf)
        mapper = routes.Mapper()
        prefix = "/{project_id}"
        mapper.resource(
            "server",
            "servers",
            controller=Resource(ServersController(compute_api)),
            collection={"detail": "GET"},
            member={"action": "POST"},
            path_prefix=prefix,
        )
        for member, collection, controller in [
            ("image", "images", ImagesController(compute_api.image_service)),
            ("flavor", "flavors", FlavorsController()),
        ]:
            mapper.resource(
                member,
                collection,
                controller=Resource(controller),
                collection={"detail": "GET"},
                path_prefix=prefix,
            )
        super().__init__(mapper)

    @classmethod
    def factory(cls, global_conf: Conf, **local_conf: str) -> APIRouter:
        """``paste.app_factory``."""
        return cls({**global_conf, **local_conf})


__all__ = [
    "APIRouter",
    "FaultWrapper",
    "FlavorsController",
    "ImagesController",
    "RateLimitingMiddleware",
    "ServersController",
    "Versions",
]
