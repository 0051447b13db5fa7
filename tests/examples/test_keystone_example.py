"""The keystone example: urlmaps, filters, extension routers and the two service apps."""

from __future__ import annotations

from typing import Any

import pytest
from pastetrace_examples.keystone.contrib import ec2_signature
from webob import Request

DEMO = {
    "auth": {
        "passwordCredentials": {"username": "demo", "password": "secrete"},
        "tenantName": "demo",
    }
}


@pytest.fixture
def public(load: Any) -> Any:
    return load("keystone", "main")


@pytest.fixture
def admin(load: Any) -> Any:
    return load("keystone", "admin")


def login(app: Any, body: dict[str, Any] = DEMO) -> dict[str, Any]:
    response = Request.blank("/v2.0/tokens", method="POST", json=body).get_response(app)
    assert response.status_int == 200, response.text
    access: dict[str, Any] = response.json["access"]
    return access


class TestTokens:
    def test_password_login_returns_token_and_templated_catalog(
        self, public: Any, strict: Any
    ) -> None:
        """Demo's password gives a token and the catalog filled in from the template."""
        access = login(strict(public))
        assert len(access["token"]["id"]) == 32
        assert access["token"]["tenant"]["id"] == "demo"
        assert access["user"]["roles"] == [{"name": "Member"}]
        by_type = {s["type"]: s["endpoints"][0] for s in access["serviceCatalog"]}
        assert by_type["identity"]["publicURL"] == "http://localhost:5000/v2.0"
        assert by_type["identity"]["adminURL"] == "http://localhost:35357/v2.0"
        assert by_type["compute"]["publicURL"] == "http://localhost:8774/v1.1/demo"
        assert by_type["image"]["region"] == "RegionOne"

    def test_wrong_password_is_401(self, public: Any) -> None:
        """A bad password is refused with a JSON 401."""
        body = {"auth": {"passwordCredentials": {"username": "demo", "password": "nope"}}}
        response = Request.blank("/v2.0/tokens", method="POST", json=body).get_response(public)
        assert response.status_int == 401
        assert response.json["unauthorized"]["message"] == "Invalid user / password"

    def test_tenant_the_user_has_no_role_in_is_401(self, public: Any) -> None:
        """demo has no role in the admin tenant."""
        body = {"auth": {**DEMO["auth"], "tenantName": "admin"}}
        response = Request.blank("/v2.0/tokens", method="POST", json=body).get_response(public)
        assert response.status_int == 401

    def test_token_issued_on_public_validates_on_admin(
        self, public: Any, admin: Any, strict: Any
    ) -> None:
        """Both entries of the file share one token store, as one keystone process does."""
        token = login(public)["token"]["id"]
        req = Request.blank(f"/v2.0/tokens/{token}", headers={"X-Auth-Token": "ADMIN"})
        response = req.get_response(strict(admin))
        assert response.status_int == 200
        assert response.json["access"]["user"]["id"] == "demo"
        assert "serviceCatalog" not in response.json["access"]

    def test_validation_is_not_on_the_public_api(self, public: Any) -> None:
        """GET /v2.0/tokens/{id} is mapped only on the admin app."""
        token = login(public)["token"]["id"]
        req = Request.blank(f"/v2.0/tokens/{token}", headers={"X-Auth-Token": "ADMIN"})
        assert req.get_response(public).status_int == 404

    def test_validation_needs_an_admin(self, public: Any, admin: Any) -> None:
        """A Member token may not validate tokens; an admin user's token may."""
        token = login(public)["token"]["id"]
        req = Request.blank(f"/v2.0/tokens/{token}", headers={"X-Auth-Token": token})
        assert req.get_response(admin).status_int == 403
        admin_body = {
            "auth": {
                "passwordCredentials": {"username": "admin", "password": "secrete"},
                "tenantName": "admin",
            }
        }
        admin_token = login(admin, admin_body)["token"]["id"]
        req = Request.blank(f"/v2.0/tokens/{token}", headers={"X-Auth-Token": admin_token})
        assert req.get_response(admin).status_int == 200

    def test_unknown_token_is_404(self, admin: Any) -> None:
        req = Request.blank("/v2.0/tokens/nope", headers={"X-Auth-Token": "ADMIN"})
        assert req.get_response(admin).status_int == 404


class TestFilters:
    def test_bad_json_is_400_from_json_body(self, public: Any, strict: Any) -> None:
        """json_body answers a body that is not JSON before any app sees it."""
        req = Request.blank("/v2.0/tokens", method="POST", body=b"{not json")
        req.content_type = "application/json"
        response = req.get_response(strict(public))
        assert response.status_int == 400
        assert response.json["error"]["message"] == "Malformed json in request body"

    def test_token_auth_sets_the_context_for_tenants(self, public: Any) -> None:
        """GET /v2.0/tenants lists the tenants of the token's user."""
        token = login(public)["token"]["id"]
        response = Request.blank("/v2.0/tenants", headers={"X-Auth-Token": token}).get_response(
            public
        )
        assert [t["id"] for t in response.json["tenants"]] == ["demo"]
        assert Request.blank("/v2.0/tenants").get_response(public).status_int == 401


class TestExtensions:
    def test_ec2tokens_is_answered_by_the_ec2_filter(self, public: Any, strict: Any) -> None:
        """POST /v2.0/ec2tokens with a valid signature returns a token for demo."""
        credentials = {
            "access": "demo-access",
            "verb": "GET",
            "host": "localhost:8773",
            "path": "/services/Cloud",
            "params": {"Action": "DescribeInstances"},
        }
        credentials["signature"] = ec2_signature("demo-secret", credentials)
        req = Request.blank("/v2.0/ec2tokens", method="POST", json={"credentials": credentials})
        response = req.get_response(strict(public))
        assert response.status_int == 200
        assert response.json["access"]["user"]["id"] == "demo"

    def test_ec2tokens_bad_signature_is_401(self, public: Any) -> None:
        credentials = {"access": "demo-access", "signature": "forged"}
        req = Request.blank("/v2.0/ec2tokens", method="POST", json={"credentials": credentials})
        assert req.get_response(public).status_int == 401

    def test_crud_extension_creates_tenants_on_admin_only(self, public: Any, admin: Any) -> None:
        """POST /v2.0/tenants is routed by crud_extension, which is only in admin_api."""
        body = {"tenant": {"name": "acme"}}
        req = Request.blank(
            "/v2.0/tenants", method="POST", json=body, headers={"X-Auth-Token": "ADMIN"}
        )
        response = req.get_response(admin)
        assert response.status_int == 200
        assert response.json["tenant"]["name"] == "acme"
        assert req.copy().get_response(public).status_int == 404
        listing = Request.blank("/v2.0/tenants", headers={"X-Auth-Token": "ADMIN"}).get_response(
            admin
        )
        assert "acme" in {t["name"] for t in listing.json["tenants"]}

    def test_crud_needs_admin(self, admin: Any) -> None:
        req = Request.blank("/v2.0/users", method="POST", json={"user": {"name": "x"}})
        assert req.get_response(admin).status_int == 401


class TestVersions:
    @pytest.mark.parametrize(
        ("entry", "port"),
        [pytest.param("main", "5000", id="public"), pytest.param("admin", "35357", id="admin")],
    )
    def test_root_lists_versions_with_300(
        self, load: Any, entry: str, port: str, strict: Any
    ) -> None:
        response = Request.blank("/").get_response(strict(load("keystone", entry)))
        assert response.status_int == 300
        (version,) = response.json["versions"]["values"]
        assert version["links"][0]["href"] == f"http://localhost:{port}/v2.0/"

    @pytest.mark.parametrize("path", ["/v2.0", "/v2.0/"])
    def test_v2_document(self, public: Any, path: str) -> None:
        response = Request.blank(path).get_response(public)
        assert response.status_int == 200
        assert response.json["version"]["id"] == "v2.0"

    def test_unknown_prefix_is_404(self, public: Any) -> None:
        assert Request.blank("/v3/auth").get_response(public).status_int == 404
