"""The glance example: version negotiation, the root urlmap, the API → registry flow."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from webob import Request

DEMO = {"X-Auth-Token": "t", "X-User-Id": "demo", "X-Tenant-Id": "demo", "X-Roles": "Member"}
IMAGE = b"\x00cirros disk bytes\x00" * 64


@pytest.fixture
def glance(load: Any, network: Any, tmp_path: Path) -> tuple[Any, Any]:
    """glance-api and glance-registry, joined by in-process HTTP on 127.0.0.1:9191."""
    api = load("glance", "api", filesystem_store_datadir=str(tmp_path))
    registry = load("glance", "registry")
    network.apps["127.0.0.1:9191"] = registry
    return api, registry


def create_image(api: Any, data: bytes = IMAGE, **meta: str) -> Any:
    headers = {**DEMO, "Content-Type": "application/octet-stream"}
    headers.update({f"x-image-meta-{k.replace('_', '-')}": v for k, v in meta.items()})
    req = Request.blank("/v1/images", method="POST", headers=headers, body=data)
    return req.get_response(api)


class TestCreate:
    def test_create_stores_bytes_and_activates_in_registry(
        self, glance: tuple[Any, Any], network: Any, tmp_path: Path, strict: Any
    ) -> None:
        """POST /v1/images: registry reserves (queued), store writes, registry activates."""
        api, registry = glance
        response = create_image(
            strict(api), name="cirros", disk_format="qcow2", property_arch="x86_64"
        )
        assert response.status_int == 201, response.text
        image_id = response.json["image"]["id"]
        assert response.headers["Location"].endswith(f"/v1/images/{image_id}")
        row = Request.blank(f"/images/{image_id}", headers=DEMO).get_response(strict(registry))
        image = row.json["image"]
        assert image["status"] == "active"
        assert image["checksum"] == hashlib.md5(IMAGE).hexdigest()
        assert image["size"] == len(IMAGE)
        assert image["owner"] == "demo"
        assert image["properties"] == {"arch": "x86_64"}
        assert (tmp_path / image_id).read_bytes() == IMAGE
        calls = [(m, p) for _, m, p in network.calls]
        assert calls == [
            ("POST", "/images"),
            ("PUT", f"/images/{image_id}"),
            ("PUT", f"/images/{image_id}"),
        ]

    def test_create_without_body_stays_queued(self, glance: tuple[Any, Any]) -> None:
        api, _ = glance
        response = create_image(api, data=b"", name="later")
        assert response.json["image"]["status"] == "queued"

    def test_wrong_checksum_is_400_and_kills_the_image(self, glance: tuple[Any, Any]) -> None:
        api, registry = glance
        response = create_image(api, name="bad", checksum="0" * 32)
        assert response.status_int == 400
        listing = Request.blank("/images/detail", headers=DEMO).get_response(registry)
        assert [i["status"] for i in listing.json["images"]] == ["killed"]


class TestReadUpdateDelete:
    def test_head_returns_metadata_headers(self, glance: tuple[Any, Any]) -> None:
        api, _ = glance
        image_id = create_image(api, name="cirros", is_public="true").json["image"]["id"]
        response = Request.blank(f"/v1/images/{image_id}", method="HEAD").get_response(api)
        assert response.status_int == 200
        assert response.headers["x-image-meta-name"] == "cirros"
        assert response.headers["x-image-meta-status"] == "active"
        assert response.headers["x-image-meta-is_public"] == "True"

    def test_get_returns_bytes(self, glance: tuple[Any, Any], strict: Any) -> None:
        api, _ = glance
        image_id = create_image(api, name="cirros").json["image"]["id"]
        response = Request.blank(f"/v1/images/{image_id}", headers=DEMO).get_response(strict(api))
        assert response.body == IMAGE
        assert response.headers["x-image-meta-checksum"] == hashlib.md5(IMAGE).hexdigest()

    def test_private_image_is_404_for_other_tenants(self, glance: tuple[Any, Any]) -> None:
        api, _ = glance
        image_id = create_image(api, name="mine").json["image"]["id"]
        other = {**DEMO, "X-Tenant-Id": "other"}
        assert (
            Request.blank(f"/v1/images/{image_id}", headers=other).get_response(api).status_int
            == 404
        )

    def test_put_updates_metadata(self, glance: tuple[Any, Any]) -> None:
        api, _ = glance
        image_id = create_image(api, name="old").json["image"]["id"]
        headers = {**DEMO, "x-image-meta-name": "new", "x-image-meta-property-distro": "cirros"}
        response = Request.blank(
            f"/v1/images/{image_id}", method="PUT", headers=headers
        ).get_response(api)
        assert response.json["image"]["name"] == "new"
        assert response.json["image"]["properties"]["distro"] == "cirros"

    def test_put_uploads_to_a_queued_image_only(self, glance: tuple[Any, Any]) -> None:
        api, _ = glance
        image_id = create_image(api, data=b"", name="snap").json["image"]["id"]
        req = Request.blank(f"/v1/images/{image_id}", method="PUT", headers=DEMO, body=b"disk")
        assert req.get_response(api).json["image"]["status"] == "active"
        req = Request.blank(f"/v1/images/{image_id}", method="PUT", headers=DEMO, body=b"again")
        assert req.get_response(api).status_int == 409

    def test_delete_removes_file_and_row(self, glance: tuple[Any, Any], tmp_path: Path) -> None:
        api, _ = glance
        image_id = create_image(api, name="gone").json["image"]["id"]
        req = Request.blank(f"/v1/images/{image_id}", method="DELETE", headers=DEMO)
        assert req.get_response(api).status_int == 200
        assert not (tmp_path / image_id).exists()
        assert (
            Request.blank(f"/v1/images/{image_id}", headers=DEMO).get_response(api).status_int
            == 404
        )

    def test_index_and_detail(self, glance: tuple[Any, Any]) -> None:
        api, _ = glance
        create_image(api, name="cirros", is_public="true")
        index = Request.blank("/v1/images").get_response(api).json["images"]
        assert [i["name"] for i in index] == ["cirros"]
        assert "owner" not in index[0]
        detail = Request.blank("/v1/images/detail").get_response(api).json["images"]
        assert detail[0]["owner"] == "demo"
        assert "location" not in detail[0]


class TestVersionNegotiation:
    @pytest.mark.parametrize(
        "path",
        [
            pytest.param("/", id="root"),
            pytest.param("/versions", id="versions"),
            pytest.param("/v2/images", id="unknown-version"),
            pytest.param("/images", id="no-version"),
        ],
    )
    def test_answers_300_itself(
        self, glance: tuple[Any, Any], network: Any, strict: Any, path: str
    ) -> None:
        """The filter answers; the registry is never called."""
        api, _ = glance
        response = Request.blank(path).get_response(strict(api))
        assert response.status_int == 300
        assert [v["id"] for v in response.json["versions"]] == ["v1.1", "v1.0"]
        assert network.calls == []

    @pytest.mark.parametrize("prefix", ["/v1", "/v1.0", "/v1.1"])
    def test_rewrites_minor_versions_to_v1(self, glance: tuple[Any, Any], prefix: str) -> None:
        """``/v1.1/images`` reaches the /v1 app as ``/images``."""
        api, _ = glance
        create_image(api, name="cirros", is_public="true")
        response = Request.blank(f"{prefix}/images").get_response(api)
        assert response.status_int == 200
        assert [i["name"] for i in response.json["images"]] == ["cirros"]

    def test_version_from_accept_header(self, glance: tuple[Any, Any]) -> None:
        api, _ = glance
        req = Request.blank("/images", headers={"Accept": "application/vnd.openstack.images-v1"})
        assert req.get_response(api).status_int == 200

    def test_v1_api_can_be_disabled(self, load: Any, network: Any) -> None:
        """Without the /v1 key, ``/`` (apiversions) catches /v1/images: 300, no registry call."""
        api = load("glance", "api", enable_v1_api="false")
        assert Request.blank("/v1/images").get_response(api).status_int == 300
        assert network.calls == []


def test_registry_unreachable_is_a_500_not_a_hang(load: Any, network: Any, tmp_path: Path) -> None:
    """Without a registry on 127.0.0.1:9191 the call fails at once."""
    api = load("glance", "api", filesystem_store_datadir=str(tmp_path))
    with pytest.raises(ConnectionRefusedError):
        Request.blank("/v1/images").get_response(api)
