"""The v1 images API of glance-api (``glance/api/v1/images.py`` and ``router.py``).

Metadata travels in headers (``x-image-meta-name: cirros``, ``x-image-meta-property-arch:
x86_64``), the image itself in the body. Creating an image is three steps:

1. *reserve*: the registry stores the metadata and answers with an id, status ``queued``;
2. *upload*: the store writes the bytes and returns location, size and checksum;
3. *activate*: the registry is updated to status ``active`` with those values.
"""

from __future__ import annotations

from typing import Any

import routes
from webob import Request, Response

from pastetrace_examples.common.state import store_for
from pastetrace_examples.common.wsgi import Conf, Fault, Resource, Router, json_response
from pastetrace_examples.glance.context import get_context
from pastetrace_examples.glance.registry import Image, RegistryClient
from pastetrace_examples.glance.store import FilesystemStore

META_PREFIX = "x-image-meta-"
PROPERTY_PREFIX = "x-image-meta-property-"
BOOL_FIELDS = {"is_public", "deleted"}
INT_FIELDS = {"size", "min_ram", "min_disk"}


def image_meta_from_headers(headers: Any) -> Image:
    """``x-image-meta-disk-format: qcow2`` → ``{"disk_format": "qcow2"}``; properties nested."""
    meta: Image = {"properties": {}}
    for name, value in headers.items():
        name = name.lower()
        if name.startswith(PROPERTY_PREFIX):
            # WSGI cannot tell '-' from '_' in header names; glance reads both as '_'.
            meta["properties"][name[len(PROPERTY_PREFIX) :].replace("-", "_")] = value
        elif name.startswith(META_PREFIX):
            key = name[len(META_PREFIX) :].replace("-", "_")
            if key in BOOL_FIELDS:
                meta[key] = value.strip().lower() in {"true", "1", "yes", "on"}
            elif key in INT_FIELDS:
                meta[key] = int(value)
            else:
                meta[key] = value
    return meta


def image_meta_to_headers(meta: Image) -> dict[str, str]:
    """The reverse, for ``HEAD`` and ``GET /images/{id}`` responses."""
    headers = {}
    for key, value in meta.items():
        if key == "properties":
            headers.update({f"{PROPERTY_PREFIX}{k}": str(v) for k, v in value.items()})
        elif key != "location" and value is not None:
            headers[f"{META_PREFIX}{key}"] = str(value)
    return headers


class ImagesController:
    """Each action asks the registry (over HTTP) and the store (files)."""

    def __init__(self, conf: Conf, store: FilesystemStore) -> None:
        self.conf = conf
        self.store = store

    def _registry(self, req: Request) -> RegistryClient:
        return RegistryClient(self.conf, get_context(req))

    def index(self, req: Request) -> dict[str, Any]:
        return {"images": self._registry(req).get_images()}

    def detail(self, req: Request) -> dict[str, Any]:
        images = self._registry(req).get_images(detail=True)
        return {"images": [{k: v for k, v in i.items() if k != "location"} for i in images]}

    def meta(self, req: Request, id: str) -> Response:
        """``HEAD /images/{id}``: the metadata as headers, no body."""
        image = self._registry(req).get_image(id)
        return Response(status=200, headerlist=list(image_meta_to_headers(image).items()))

    def show(self, req: Request, id: str) -> Response:
        """``GET /images/{id}``: metadata headers and the image bytes."""
        image = self._registry(req).get_image(id)
        data = self.store.get(image["location"]) if image.get("location") else b""
        response = Response(body=data, content_type="application/octet-stream")
        response.headers.update(image_meta_to_headers(image))
        return response

    def create(self, req: Request) -> Response:
        """``POST /images``: reserve in the registry, then upload the body if there is one."""
        meta = image_meta_from_headers(req.headers)
        meta.update(status="queued", owner=meta.get("owner") or get_context(req).owner)
        image = self._registry(req).add_image(meta)
        if req.content_length:
            image = self._upload_and_activate(req, image, meta)
        response = json_response({"image": image}, status=201)
        response.headers["Location"] = f"{req.application_url}/images/{image['id']}"
        return response

    def update(self, req: Request, id: str) -> dict[str, Any]:
        """``PUT /images/{id}``: new metadata, and the bytes if the image is still queued."""
        registry = self._registry(req)
        meta = image_meta_from_headers(req.headers)
        image = registry.get_image(id)
        if req.content_length:
            if image["status"] != "queued":
                raise Fault(409, "conflict", "Cannot upload to an unqueued image")
            return {"image": self._upload_and_activate(req, {**image, **meta}, meta)}
        return {"image": registry.update_image(id, meta)}

    def delete(self, req: Request, id: str) -> dict[str, Any]:
        """``DELETE /images/{id}``: the bytes from the store, then the registry row."""
        registry = self._registry(req)
        image = registry.get_image(id)
        if image.get("location"):
            self.store.delete(image["location"])
        registry.delete_image(id)
        return {}

    def _upload_and_activate(self, req: Request, image: Image, meta: Image) -> Image:
        registry = self._registry(req)
        registry.update_image(image["id"], {**meta, "status": "saving"})
        location, size, checksum = self.store.add(image["id"], req.body)
        expected = meta.get("checksum")
        if expected and expected != checksum:
            self.store.delete(location)
            registry.update_image(image["id"], {"status": "killed"})
            raise Fault(400, "badRequest", f"Checksum mismatch: sent {expected}, got {checksum}")
        values = {"status": "active", "location": location, "size": size, "checksum": checksum}
        return registry.update_image(image["id"], values)


class API(Router):
    """``glance.app_factory = pastetrace_examples.glance.images:API`` (the ``/v1`` app)."""

    def __init__(self, conf: Conf) -> None:
        store = store_for(
            conf, "glance.store", lambda: FilesystemStore(conf.get("filesystem_store_datadir"))
        )
        images = Resource(ImagesController(conf, store), json_body=False)
        mapper = routes.Mapper()
        # HEAD first: mapper.resource would otherwise send it to `show`.
        mapper.connect(
            "/images/{id}", controller=images, action="meta", conditions={"method": ["HEAD"]}
        )
        mapper.resource("image", "images", controller=images, collection={"detail": "GET"})
        mapper.connect("/", controller=images, action="index")
        super().__init__(mapper)


__all__ = ["API", "ImagesController", "image_meta_from_headers", "image_meta_to_headers"]
