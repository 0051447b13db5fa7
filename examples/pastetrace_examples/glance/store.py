"""The filesystem store (``glance/store/filesystem.py``): image bytes as files in one folder.

``filesystem_store_datadir`` names the folder; without it each app gets a fresh temporary
folder, so the example never writes anywhere else.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from pastetrace_examples.common.wsgi import Fault


class FilesystemStore:
    """``add`` writes ``<datadir>/<image id>`` and returns location, size and MD5 checksum."""

    def __init__(self, datadir: str | None = None) -> None:
        self.datadir = Path(datadir or tempfile.mkdtemp(prefix="pastetrace-glance-"))
        self.datadir.mkdir(parents=True, exist_ok=True)

    def _path(self, image_id: str) -> Path:
        if not image_id or "/" in image_id or "\\" in image_id or image_id.startswith("."):
            raise Fault(400, "badRequest", f"invalid image id {image_id!r}")
        return self.datadir / image_id

    def add(self, image_id: str, data: bytes) -> tuple[str, int, str]:
        path = self._path(image_id)
        if path.exists():
            raise Fault(409, "conflict", f"image {image_id} already has data")
        path.write_bytes(data)
        return f"file://{path}", len(data), hashlib.md5(data).hexdigest()

    def _from_location(self, location: str) -> Path:
        return self._path(Path(location.removeprefix("file://")).name)

    def get(self, location: str) -> bytes:
        path = self._from_location(location)
        if not path.exists():
            raise Fault(404, "itemNotFound", f"no image data at {location}")
        return path.read_bytes()

    def delete(self, location: str) -> None:
        self._from_location(location).unlink(missing_ok=True)


__all__ = ["FilesystemStore"]
