"""``nova.image.glance.GlanceImageService``: glance's v1 API, called over HTTP.

nova never reads image files itself. It asks glance-api at ``glance_host:glance_port`` for
metadata (``HEAD /v1/images/{id}``: everything comes back as ``x-image-meta-*`` headers),
creates snapshot records (``POST``) and uploads their data (``PUT``).
"""

from __future__ import annotations

from typing import Any

from pastetrace_examples.common import http
from pastetrace_examples.common.wsgi import Conf, Fault
from pastetrace_examples.nova.context import RequestContext

META_PREFIX = "x-image-meta-"
PROPERTY_PREFIX = "x-image-meta-property-"


def _meta_from_headers(headers: dict[str, str]) -> dict[str, Any]:
    meta: dict[str, Any] = {"properties": {}}
    for name, value in headers.items():
        if name.startswith(PROPERTY_PREFIX):
            meta["properties"][name[len(PROPERTY_PREFIX) :]] = value
        elif name.startswith(META_PREFIX):
            meta[name[len(META_PREFIX) :].replace("-", "_")] = value
    meta["is_public"] = meta.get("is_public", "False").lower() == "true"
    for key in ("size", "min_ram", "min_disk"):
        meta[key] = int(meta.get(key) or 0)
    return meta


def _meta_to_headers(meta: dict[str, Any]) -> dict[str, str]:
    headers = {f"{META_PREFIX}{k}": str(v) for k, v in meta.items() if k != "properties"}
    for key, value in meta.get("properties", {}).items():
        headers[f"{PROPERTY_PREFIX}{key}"] = str(value)
    return headers


class GlanceImageService:
    """show / detail / create / update against one glance-api."""

    def __init__(self, conf: Conf) -> None:
        self.host = conf.get("glance_host", "127.0.0.1")
        self.port = conf.get("glance_port", "9292")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def _call(
        self,
        context: RequestContext,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> http.HTTPResult:
        all_headers = {**context.to_glance_headers(), **(headers or {})}
        return http.request(self.host, self.port, method, path, headers=all_headers, body=body)

    def show(self, context: RequestContext, image_id: str) -> dict[str, Any]:
        """Image metadata; 404 from glance (or an image the caller may not use) → not found."""
        result = self._call(context, "HEAD", f"/v1/images/{image_id}")
        if result.status == 404:
            raise Fault(404, "itemNotFound", f"Image {image_id} could not be found.")
        if result.status >= 400:
            raise Fault(502, "computeFault", f"glance answered {result.status}")
        image = _meta_from_headers(result.headers)
        if not self.is_image_available(context, image):
            raise Fault(404, "itemNotFound", f"Image {image_id} could not be found.")
        return image

    @staticmethod
    def is_image_available(context: RequestContext, image: dict[str, Any]) -> bool:
        """nova's own check: public, owned by the caller's project, or the caller is admin."""
        if context.is_admin or image.get("is_public"):
            return True
        return context.project_id in {image.get("owner"), image["properties"].get("owner_id")}

    def detail(self, context: RequestContext) -> list[dict[str, Any]]:
        result = self._call(context, "GET", "/v1/images/detail")
        images: list[dict[str, Any]] = result.json()["images"]
        return images

    def create(self, context: RequestContext, meta: dict[str, Any]) -> dict[str, Any]:
        """``POST /v1/images`` without data: glance answers with the record, status queued."""
        result = self._call(context, "POST", "/v1/images", headers=_meta_to_headers(meta))
        if result.status != 201:
            raise Fault(502, "computeFault", f"glance answered {result.status} to POST")
        image: dict[str, Any] = result.json()["image"]
        return image

    def update(
        self, context: RequestContext, image_id: str, meta: dict[str, Any], data: bytes
    ) -> dict[str, Any]:
        """``PUT /v1/images/{id}`` with the data: glance stores it and activates the image."""
        headers = {**_meta_to_headers(meta), "Content-Type": "application/octet-stream"}
        result = self._call(context, "PUT", f"/v1/images/{image_id}", headers=headers, body=data)
        if result.status != 200:
            raise Fault(502, "computeFault", f"glance answered {result.status} to PUT")
        image: dict[str, Any] = result.json()["image"]
        return image


__all__ = ["GlanceImageService"]
