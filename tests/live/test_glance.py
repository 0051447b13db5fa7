"""The real glance (33.0.0): resolve, routes and replay of ``glance-api-keystone`` (issues 3, 4).

glance's ``pipeline_factory`` picks its pipeline by ``[paste_deploy] flavor`` in glance-api.conf
(glance names the entry after that flavor); these tests give it ``flavor = keystone``, as a
keystone deployment does, so the live pipeline is the one ``resolve`` reads off the entry name.
Run with ``-s`` to see the load times and route counts.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from pastetrace.routes import resolve, routes_of
from tests.live.helpers import (
    IDENTITY,
    Loaded,
    load,
    report,
    run,
    sections,
    skip_unless_installed,
    span,
)

# Not pytest.importorskip: importing glance here would register its options on oslo.config's
# global object before pastetrace's adapter gives glance its own.
skip_unless_installed("glance")

pytestmark = [
    # glance, oslo.* and keystonemiddleware warn about deprecated options and pkg_resources
    # while they are imported and set up; none of it is pastetrace's.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    # oslo.policy warns (UserWarning) that policy defaults changed, when glance registers them.
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

ENTRY = "glance-api-keystone"
IMAGE = "0f2ad3b4-3c8e-4b8b-9a64-0d9b0a4d2f6e"
IMAGES = "glance.api.v2.images.ImagesController"
KEYSTONE_PIPELINE = [
    "filter:cors",
    "filter:http_proxy_to_wsgi",
    "filter:versionnegotiation",
    "filter:osprofiler",
    "filter:authtoken",
    "filter:context",
]


@pytest.fixture(scope="module")
def glance_conf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A glance-api.conf that only sets the keystone flavor."""
    conf = tmp_path_factory.mktemp("glance") / "glance-api.conf"
    conf.write_text("[paste_deploy]\nflavor = keystone\n")
    return conf


@pytest.fixture(scope="module")
def glance(glance_conf: Path) -> Loaded:
    """glance-api with the keystone flavor, authtoken real (no keystone to ask)."""
    loaded = load("glance", "glance-api-paste.ini", ENTRY, conf=glance_conf)
    report("glance glance-api-keystone", loaded)
    return loaded


@pytest.fixture(scope="module")
def glance_stubbed(glance_conf: Path) -> Loaded:
    """glance-api with authtoken replaced by a pass-through (identity headers stand in)."""
    loaded = load("glance", "glance-api-paste.ini", ENTRY, conf=glance_conf, stub=["authtoken"])
    report("glance glance-api-keystone, authtoken stubbed", loaded)
    return loaded


class TestResolve:
    """``resolve`` walks glance's paste file to the v2 router's routes."""

    def test_post_to_an_image_is_rejected(self, glance: Loaded) -> None:
        """POST /v2/images/{id} matches glance's catch-all reject route: allowed GET, PATCH,
        DELETE."""
        result = resolve(glance.live, "POST", f"/v2/images/{IMAGE}")
        assert result.ok, result.explanation
        selector = next(s for s in result.steps if s.section.header == "composite:api")
        assert (selector.kind, selector.label) == ("selector", "keystone")
        filters = [s.section.header for s in result.steps if s.kind == "filter"]
        assert filters == KEYSTONE_PIPELINE
        rootapp = next(s for s in result.steps if s.section.header == "composite:rootapp")
        assert rootapp.label == "/v2"
        assert (rootapp.script_name, rootapp.path_info) == ("/v2", f"/images/{IMAGE}")
        assert result.app is not None and result.app.header == "app:apiv2app"
        match = result.match
        assert match is not None and match.route is not None
        assert match.controller == "glance.common.wsgi.RejectMethodController"
        assert match.action == "reject"
        assert match.route.path == "/images/{image_id}"
        assert match.route.methods is None  # no method condition: it catches what is left
        assert match.params == {"image_id": IMAGE, "allowed_methods": "GET, PATCH, DELETE"}
        assert "'allowed_methods': 'GET, PATCH, DELETE'" in match.describe()
        assert match.allowed == ("GET", "PATCH", "DELETE")
        assert match.notes[-1] == (
            "this route rejects POST: the controller answers 405 Method Not Allowed "
            "(allowed: GET, PATCH, DELETE)"
        )

    def test_versionnegotiation_is_flagged(self, glance: Loaded) -> None:
        """The walk notes that versionnegotiation may rewrite the path (replay proves it)."""
        result = resolve(glance.live, "GET", "/v2.1/images")
        step = next(s for s in result.steps if s.section.header == "filter:versionnegotiation")
        assert step.note is not None and "rewrites PATH_INFO" in step.note
        assert any("replay is the proof" in note for note in result.notes)


class TestRoutes:
    """``routes`` lists glance's v2 router."""

    def test_route_table(self, glance: Loaded) -> None:
        """apiv2app has one mapper; each path ends with a reject route for other methods."""
        found = {r.section.header: r for r in routes_of(glance.live)}
        assert set(found) == {"app:apiversions", "app:apiv2app", "app:healthcheck"}
        app = found["app:apiv2app"]
        count = len(app.routes)
        print(f"\n[live] glance app:apiv2app: {count} routes")
        assert count > 100  # 131 with glance 33.0.0
        # wsgi.Resource is unwrapped (ResourceTypeController is a real controller's name).
        assert not [r for r in app.routes if (r.controller or "").endswith(".Resource")]
        image = [r for r in app.routes if r.path == "/images/{image_id}"]
        assert [(r.methods, r.action) for r in image] == [
            (("PATCH",), "update"),
            (("GET",), "show"),
            (("DELETE",), "delete"),
            (None, "reject"),
        ]
        assert image[1].controller == IMAGES


class TestReplay:
    """``replay`` through the real glance middleware."""

    def test_versionnegotiation_rewrites_the_path(self, glance_stubbed: Loaded) -> None:
        """GET /v2.1/images: versionnegotiation rewrites PATH_INFO to /v2/images; the next
        layer enters with it, and the router matches ImagesController.index."""
        trace = run(glance_stubbed.live, "GET", "/v2.1/images", headers=IDENTITY)
        names = sections(trace)
        assert names == [
            "composite:glance-api-keystone",
            "composite:api",
            *KEYSTONE_PIPELINE,
            "composite:rootapp",
            "app:apiv2app",
        ]
        negotiation = span(trace, "filter:versionnegotiation")
        assert negotiation.path_info == "/v2.1/images"
        assert negotiation.environ_changed["PATH_INFO"] == ("/v2.1/images", "/v2/images")
        after = trace.spans[negotiation.index + 1]
        assert (after.section, after.path_info) == ("filter:osprofiler", "/v2/images")
        app = span(trace, "app:apiv2app")
        assert (app.script_name, app.path_info) == ("/v2", "/images")
        assert app.route is not None
        assert (app.route.controller, app.route.action) == (IMAGES, "index")
        # The action runs and needs glance's database, which is not configured: glance's own
        # Resource answers 500 at the app.
        assert app.answered and app.status == "500 Internal Server Error"
        assert trace.response.status == "500 Internal Server Error"

    def test_unknown_version_answered_by_versionnegotiation(self, glance: Loaded) -> None:
        """GET /v3/images: versionnegotiation answers itself with the versions list (300)."""
        trace = run(glance.live, "GET", "/v3/images")
        assert trace.response.status == "300 Multiple Choices"
        assert sections(trace)[-1] == "filter:versionnegotiation"
        negotiation = trace.spans[-1]
        assert negotiation.answered and negotiation.status == "300 Multiple Choices"
        assert "filter:authtoken" not in sections(trace)
        assert '"versions"' in trace.response.body

    def test_without_a_token(self, glance: Loaded) -> None:
        """No token: authtoken defers (delay_auth_decision), context answers 401, and authtoken
        raises on the way out (it needs keystone for WWW-Authenticate); nothing catches it."""
        trace = run(glance.live, "GET", "/v2/images")
        context = span(trace, "filter:context")
        assert context.answered and context.status == "401 Unauthorized"
        auth = span(trace, "filter:authtoken")
        assert auth.exception is not None and auth.exception.type.endswith("MissingAuthPlugin")
        assert trace.response.status is None
        assert trace.notes == [
            "the exception escaped every layer: MissingAuthPlugin: "
            "An auth plugin is required to determine endpoint URL"
        ]

    def test_delete_stops_at_the_route(self, glance_stubbed: Loaded) -> None:
        """DELETE /v2/images/{id} without execute stops at ImagesController.delete (202)."""
        trace = run(glance_stubbed.live, "DELETE", f"/v2/images/{IMAGE}", headers=IDENTITY)
        assert trace.response.status == "202 Not Executed"
        assert trace.response.body.startswith("not executed: DELETE without --execute")
        app = span(trace, "app:apiv2app")
        assert app.route is not None
        assert (app.route.controller, app.route.action) == (IMAGES, "delete")
        assert app.route.params["image_id"] == IMAGE
        assert any("not executed" in note for note in app.notes)
