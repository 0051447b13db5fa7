"""The glance registry: image *metadata* in a database, behind a small JSON API (:9191).

``API`` is the registry app (``glance/registry/api/v1``), ``RegistryClient`` the HTTP client
that glance-api uses to reach it (``glance/registry/client.py``). Metadata travels as JSON:
``{"image": {"id": ..., "name": ..., "status": "queued", "properties": {...}}}``.
"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import routes
from webob import Request

from pastetrace_examples.common import http
from pastetrace_examples.common.state import store_for
from pastetrace_examples.common.wsgi import Conf, Fault, Resource, Router
from pastetrace_examples.glance.context import RequestContext, get_context

Image = dict[str, Any]

SUMMARY_FIELDS = ("id", "name", "disk_format", "container_format", "checksum", "size")


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


class ImagesController:
    """The registry's controller over an in-memory table of images (id → row)."""

    def __init__(self, db: dict[str, Image]) -> None:
        self.db = db

    def _visible(self, req: Request) -> list[Image]:
        context = get_context(req)
        return [i for i in self.db.values() if not i["deleted"] and context.can_see(i)]

    def _get(self, req: Request, id: str) -> Image:
        image = self.db.get(id)
        if image is None or image["deleted"] or not get_context(req).can_see(image):
            raise Fault(404, "itemNotFound", f"Image {id} not found")
        return image

    def index(self, req: Request) -> dict[str, Any]:
        """``GET /images``: a summary of each image the caller may see."""
        return {"images": [{k: i[k] for k in SUMMARY_FIELDS} for i in self._visible(req)]}

    def detail(self, req: Request) -> dict[str, Any]:
        """``GET /images/detail``: every field."""
        return {"images": self._visible(req)}

    def show(self, req: Request, id: str) -> dict[str, Any]:
        return {"image": self._get(req, id)}

    def create(self, req: Request, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """``POST /images``: insert a row; the registry picks the id."""
        values = (body or {}).get("image")
        if not isinstance(values, dict):
            raise Fault(400, "badRequest", "Expected an 'image' object in the request body.")
        image: Image = {
            "id": str(uuid.uuid4()),
            "name": None,
            "status": "queued",
            "is_public": False,
            "disk_format": None,
            "container_format": None,
            "size": 0,
            "checksum": None,
            "location": None,
            "owner": get_context(req).owner,
            "min_ram": 0,
            "min_disk": 0,
            "properties": {},
            "created_at": _now(),
            "updated_at": None,
            "deleted": False,
            **values,
        }
        if image["id"] in self.db:
            raise Fault(409, "conflict", f"An image with id {image['id']} already exists")
        self.db[image["id"]] = image
        return {"image": image}

    def update(self, req: Request, id: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """``PUT /images/{id}``: merge the given fields (and properties) into the row."""
        image = self._get(req, id)
        values = dict((body or {}).get("image") or {})
        properties = values.pop("properties", None)
        values.pop("id", None)
        image.update(values, updated_at=_now())
        if properties is not None:
            image["properties"] = {**image["properties"], **properties}
        return {"image": image}

    def delete(self, req: Request, id: str) -> dict[str, Any]:
        """``DELETE /images/{id}``: a soft delete, as glance's database did."""
        image = self._get(req, id)
        image.update(deleted=True, status="deleted", updated_at=_now())
        return {}


class API(Router):
    """``glance.app_factory = pastetrace_examples.glance.registry:API``."""

    def __init__(self, conf: Conf) -> None:
        db: dict[str, Image] = store_for(conf, "glance.registry", dict)
        images = Resource(ImagesController(db))
        mapper = routes.Mapper()
        mapper.resource("image", "images", controller=images, collection={"detail": "GET"})
        mapper.connect("/", controller=images, action="index")
        super().__init__(mapper)


def _error_message(result: http.HTTPResult) -> str:
    """The ``message`` of a ``{"<fault>": {"message": ...}}`` body, else the raw body."""
    try:
        (fault,) = result.json().values()
        return str(fault["message"])
    except (ValueError, TypeError, KeyError, AttributeError):
        return result.body.decode(errors="replace")


class RegistryClient:
    """glance-api's view of the registry: HTTP calls to ``registry_host:registry_port``."""

    def __init__(self, conf: Conf, context: RequestContext) -> None:
        self.host = conf.get("registry_host", "127.0.0.1")
        self.port = conf.get("registry_port", "9191")
        self.context = context

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        headers = {"Accept": "application/json", **self.context.to_headers()}
        result = http.request(self.host, self.port, method, path, headers=headers, json_body=body)
        if result.status >= 400:
            raise Fault(result.status, "registryError", _error_message(result))
        return result.json()

    def get_images(self, detail: bool = False) -> list[Image]:
        images: list[Image] = self._call("GET", "/images/detail" if detail else "/images")["images"]
        return images

    def get_image(self, image_id: str) -> Image:
        image: Image = self._call("GET", f"/images/{image_id}")["image"]
        return image

    def add_image(self, values: Image) -> Image:
        image: Image = self._call("POST", "/images", {"image": values})["image"]
        return image

    def update_image(self, image_id: str, values: Image) -> Image:
        image: Image = self._call("PUT", f"/images/{image_id}", {"image": values})["image"]
        return image

    def delete_image(self, image_id: str) -> None:
        self._call("DELETE", f"/images/{image_id}")


__all__ = ["API", "ImagesController", "RegistryClient"]
