"""The nova example: auth strategies, servers create (glance + scheduler cast), createImage."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pastetrace_examples import config_path
from pastetrace_examples.nova.compute import Backend, backend_for, fake_compute_host
from webob import Request

DEMO_LOGIN = {
    "auth": {
        "passwordCredentials": {"username": "demo", "password": "secrete"},
        "tenantName": "demo",
    }
}


@pytest.fixture
def cloud(load: Any, network: Any, tmp_path: Path) -> Any:
    """keystone admin, glance api and registry on their ports; returns the keystone public app."""
    network.apps["127.0.0.1:35357"] = load("keystone", "admin")
    network.apps["127.0.0.1:9292"] = load("glance", "api", filesystem_store_datadir=str(tmp_path))
    network.apps["127.0.0.1:9191"] = load("glance", "registry")
    return load("keystone", "main")


def nova_db() -> Backend:
    return backend_for({"__file__": str(config_path("nova"))})


def upload_image(network: Any, *, owner: str = "admin", public: bool = True, **extra: str) -> str:
    headers = {
        "X-Tenant-Id": owner,
        "X-Roles": "admin",
        "x-image-meta-name": "cirros",
        "x-image-meta-is-public": str(public),
        "Content-Type": "application/octet-stream",
        **extra,
    }
    req = Request.blank("/v1/images", method="POST", headers=headers, body=b"disk")
    response = req.get_response(network.apps["127.0.0.1:9292"])
    assert response.status_int == 201, response.text
    image_id: str = response.json["image"]["id"]
    return image_id


def keystone_token(public: Any) -> str:
    response = Request.blank("/v2.0/tokens", method="POST", json=DEMO_LOGIN).get_response(public)
    token: str = response.json["access"]["token"]["id"]
    return token


def boot(nova: Any, token: str, image_ref: str, project: str = "demo", flavor: str = "1") -> Any:
    body = {"server": {"name": "vm1", "imageRef": image_ref, "flavorRef": flavor}}
    req = Request.blank(
        f"/v2/{project}/servers", method="POST", json=body, headers={"X-Auth-Token": token}
    )
    return req.get_response(nova)


class TestCreateWithKeystone:
    def test_create_validates_token_queries_glance_and_casts(
        self, cloud: Any, network: Any, load: Any, strict: Any
    ) -> None:
        """The whole Essex flow: keystone validation, glance HEAD, default group, cast."""
        image_id = upload_image(network)
        token = keystone_token(cloud)
        network.calls.clear()
        response = boot(strict(load("nova", "osapi_compute")), token, image_id)
        assert response.status_int == 202, response.text
        server = response.json["server"]
        assert server["status"] == "BUILD"
        assert server["adminPass"]
        calls = [(a, m, p) for a, m, p in network.calls]
        assert calls[0] == ("127.0.0.1:35357", "GET", f"/v2.0/tokens/{token}")
        assert ("127.0.0.1:9292", "HEAD", f"/v1/images/{image_id}") in calls
        db = nova_db()
        instance = db.instances[server["id"]]
        assert (instance["vm_state"], instance["task_state"]) == ("building", "scheduling")
        assert (instance["user_id"], instance["project_id"]) == ("demo", "demo")
        assert db.security_groups[("demo", "default")]["name"] == "default"
        (message,) = db.rpc.messages
        assert (message["topic"], message["method"]) == ("scheduler", "run_instance")
        assert message["args"]["request_spec"]["instance_uuids"] == [server["id"]]
        assert message["args"]["request_spec"]["image"]["id"] == image_id

    def test_image_url_is_accepted_as_image_ref(self, cloud: Any, network: Any, load: Any) -> None:
        image_id = upload_image(network)
        href = f"http://127.0.0.1:9292/v1/images/{image_id}"
        assert boot(load("nova", "osapi_compute"), keystone_token(cloud), href).status_int == 202

    def test_bad_token_is_401_before_glance(self, cloud: Any, network: Any, load: Any) -> None:
        response = boot(load("nova", "osapi_compute"), "forged", "whatever")
        assert response.status_int == 401
        assert response.headers["WWW-Authenticate"].startswith("Keystone uri=")
        assert [a for a, _, _ in network.calls] == ["127.0.0.1:35357"]
        assert nova_db().rpc.messages == []

    def test_private_image_of_another_tenant_is_refused(
        self, cloud: Any, network: Any, load: Any
    ) -> None:
        image_id = upload_image(network, public=False)
        response = boot(load("nova", "osapi_compute"), keystone_token(cloud), image_id)
        assert response.status_int == 400
        assert response.json["badRequest"]["message"] == "Can not find requested image"

    def test_quota_exceeded_is_413(self, cloud: Any, network: Any, load: Any) -> None:
        nova = load("nova", "osapi_compute", quota_instances="1")
        image_id, token = upload_image(network), keystone_token(cloud)
        assert boot(nova, token, image_id).status_int == 202
        response = boot(nova, token, image_id)
        assert response.status_int == 413
        assert "Quota exceeded" in response.json["overLimit"]["message"]

    def test_other_projects_url_is_400(self, cloud: Any, network: Any, load: Any) -> None:
        response = boot(load("nova", "osapi_compute"), keystone_token(cloud), "x", project="admin")
        assert response.status_int == 400


class TestNoAuth:
    def test_create_with_noauth_token(
        self, cloud: Any, network: Any, load: Any, strict: Any
    ) -> None:
        """noauth trusts ``user:project``; keystone is never asked."""
        nova = strict(load("nova", "osapi_compute", auth_strategy="noauth"))
        image_id = upload_image(network)
        network.calls.clear()
        response = boot(nova, "alice:demo", image_id)
        assert response.status_int == 202, response.text
        assert "127.0.0.1:35357" not in {a for a, _, _ in network.calls}
        instance = nova_db().instances[response.json["server"]["id"]]
        assert instance["user_id"] == "alice"
        assert nova_db().rpc.messages[0]["method"] == "run_instance"

    def test_no_token_gets_one(self, load: Any) -> None:
        nova = load("nova", "osapi_compute", auth_strategy="noauth")
        req = Request.blank("/v2", headers={"X-Auth-User": "alice", "X-Auth-Project-Id": "demo"})
        response = req.get_response(nova)
        assert response.status_int == 204
        assert response.headers["X-Auth-Token"] == "alice:demo"


class TestRateLimit:
    @pytest.mark.parametrize(
        ("api_rate_limit", "strategy", "eleventh"),
        [
            pytest.param("true", "noauth", 413, id="noauth-limited"),
            pytest.param("false", "noauth", 413, id="no-noauth_nolimit-key-so-still-limited"),
            pytest.param("false", "keystone", 202, id="keystone_nolimit"),
        ],
    )
    def test_eleventh_post_in_a_minute(
        self, cloud: Any, network: Any, load: Any, api_rate_limit: str, strategy: str, eleventh: int
    ) -> None:
        """Ten POSTs a minute; only a ``<strategy>_nolimit`` pipeline drops ratelimit."""
        nova = load(
            "nova",
            "osapi_compute",
            auth_strategy=strategy,
            api_rate_limit=api_rate_limit,
            quota_instances="50",
            quota_cores="50",
        )
        token = keystone_token(cloud) if strategy == "keystone" else "demo:demo"
        image_id = upload_image(network)
        statuses = [boot(nova, token, image_id).status_int for _ in range(11)]
        assert statuses[:10] == [202] * 10
        assert statuses[10] == eleventh


class TestCreateImage:
    def test_snapshot_creates_then_updates_glance_image(
        self, cloud: Any, network: Any, load: Any, strict: Any
    ) -> None:
        """createImage: POST a queued record to glance, cast, then PUT the data: active."""
        nova = strict(load("nova", "osapi_compute"))
        token = keystone_token(cloud)
        server_id = boot(nova, token, upload_image(network)).json["server"]["id"]
        assert fake_compute_host(nova_db()) == 1
        network.calls.clear()
        body = {"createImage": {"name": "snap1", "metadata": {"purpose": "backup"}}}
        req = Request.blank(
            f"/v2/demo/servers/{server_id}/action",
            method="POST",
            json=body,
            headers={"X-Auth-Token": token},
        )
        response = req.get_response(nova)
        assert response.status_int == 202, response.text
        assert response.body == b""  # also closes the validator's iterator
        image_id = response.headers["Location"].rsplit("/", 1)[-1]
        assert response.headers["Location"] == f"http://127.0.0.1:9292/v1/images/{image_id}"
        glance_calls = [(m, p) for a, m, p in network.calls if a == "127.0.0.1:9292"]
        assert glance_calls == [("POST", "/v1/images"), ("PUT", f"/v1/images/{image_id}")]
        registry = network.apps["127.0.0.1:9191"]
        row = Request.blank(f"/images/{image_id}", headers={"X-Roles": "admin"}).get_response(
            registry
        )
        image = row.json["image"]
        assert (image["name"], image["status"], image["owner"]) == ("snap1", "active", "demo")
        assert image["properties"]["image_type"] == "snapshot"
        assert image["properties"]["instance_uuid"] == server_id
        assert image["properties"]["purpose"] == "backup"
        assert nova_db().rpc.messages[-1]["method"] == "snapshot_instance"

    def test_snapshot_of_building_server_is_409(self, cloud: Any, network: Any, load: Any) -> None:
        nova = load("nova", "osapi_compute", auth_strategy="noauth")
        server_id = boot(nova, "demo:demo", upload_image(network)).json["server"]["id"]
        req = Request.blank(
            f"/v2/demo/servers/{server_id}/action",
            method="POST",
            json={"createImage": {"name": "snap"}},
            headers={"X-Auth-Token": "demo:demo"},
        )
        assert req.get_response(nova).status_int == 409


class TestRouterAndFaults:
    def test_servers_show_list_and_delete(self, cloud: Any, network: Any, load: Any) -> None:
        nova = load("nova", "osapi_compute", auth_strategy="noauth")
        auth = {"X-Auth-Token": "demo:demo"}
        server_id = boot(nova, "demo:demo", upload_image(network)).json["server"]["id"]
        listing = Request.blank("/v1.1/demo/servers", headers=auth).get_response(nova)
        assert listing.json["servers"] == [{"id": server_id, "name": "vm1"}]
        detail = Request.blank("/v2/demo/servers/detail", headers=auth).get_response(nova)
        assert detail.json["servers"][0]["security_groups"] == [{"name": "default"}]
        req = Request.blank(f"/v2/demo/servers/{server_id}", method="DELETE", headers=auth)
        assert req.get_response(nova).status_int == 204
        shown = Request.blank(f"/v2/demo/servers/{server_id}", headers=auth).get_response(nova)
        assert shown.status_int == 404

    def test_images_and_flavors(self, cloud: Any, network: Any, load: Any) -> None:
        nova = load("nova", "osapi_compute", auth_strategy="noauth")
        auth = {"X-Auth-Token": "demo:demo"}
        image_id = upload_image(network)
        images = Request.blank("/v2/demo/images/detail", headers=auth).get_response(nova)
        assert images.json["images"][0] == {
            "id": image_id,
            "name": "cirros",
            "status": "ACTIVE",
            "metadata": {},
        }
        flavor = Request.blank("/v2/demo/flavors/2", headers=auth).get_response(nova)
        assert flavor.json["flavor"]["name"] == "m1.small"

    def test_glance_down_becomes_compute_fault(self, cloud: Any, network: Any, load: Any) -> None:
        """faultwrap turns the connection error into a JSON 500."""
        del network.apps["127.0.0.1:9292"]
        response = boot(load("nova", "osapi_compute", auth_strategy="noauth"), "demo:demo", "x")
        assert response.status_int == 500
        assert response.json["computeFault"]["code"] == 500

    def test_versions_at_root(self, load: Any, strict: Any) -> None:
        response = Request.blank("/").get_response(strict(load("nova", "osapi_compute")))
        assert response.json["versions"][0]["id"] == "v2.0"
