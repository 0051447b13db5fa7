"""The real cinder (29.0.0): resolve, routes and replay of ``osapi_volume`` (issues 3 and 4).

cinder's adapter gives it an SQLite database made by its own migrations, so a replayed
``GET .../volumes`` runs the real controller against real, empty tables. Run with ``-s`` to see
the load times and route counts.
"""

from __future__ import annotations

import json

import pytest

from pastetrace.routes import resolve, routes_of
from tests.live.helpers import (
    IDENTITY,
    PROJECT_ID,
    Loaded,
    load,
    report,
    run,
    sections,
    skip_unless_installed,
    span,
)

# Not pytest.importorskip: importing cinder here would bind it to oslo.config's global object
# before pastetrace's adapter gives it its own.
skip_unless_installed("cinder")

pytestmark = [
    # cinder, oslo.* (db, versionedobjects) and keystonemiddleware warn about deprecated
    # options, APIs and pkg_resources while imported, migrated and set up: not pastetrace's.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    # oslo.policy warns (UserWarning) that policy defaults changed; SQLAlchemy warns too.
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

ENTRY = "osapi_volume"
VOLUMES = "cinder.api.v3.volumes.VolumeController"
APP = "app:apiv3"
FILTERS = [
    "filter:request_id",
    "filter:cors",
    "filter:http_proxy_to_wsgi",
    "filter:faultwrap",
    "filter:sizelimit",
    "filter:osprofiler",
    "filter:authtoken",
    "filter:keystonecontext",
]


@pytest.fixture(scope="module")
def cinder() -> Loaded:
    """cinder's volume API with authtoken real (no keystone to ask)."""
    loaded = load("cinder", "api-paste.ini", ENTRY)
    report("cinder osapi_volume", loaded)
    return loaded


@pytest.fixture(scope="module")
def cinder_stubbed() -> Loaded:
    """cinder with authtoken replaced by a pass-through (identity headers stand in)."""
    loaded = load("cinder", "api-paste.ini", ENTRY, stub=["authtoken"])
    report("cinder osapi_volume, authtoken stubbed", loaded)
    return loaded


class TestResolve:
    """``resolve`` walks cinder's paste file to the v3 router's routes."""

    def test_volumes_index(self, cinder: Loaded) -> None:
        """GET /v3/{hex project id}/volumes → VolumeController.index with project_id."""
        result = resolve(cinder.live, "GET", f"/v3/{PROJECT_ID}/volumes")
        assert result.ok, result.explanation
        urlmap = result.steps[0]
        assert (urlmap.section.header, urlmap.label) == ("composite:osapi_volume", "/v3")
        assert (urlmap.script_name, urlmap.path_info) == ("/v3", f"/{PROJECT_ID}/volumes")
        assert [s.section.header for s in result.steps if s.kind == "filter"] == FILTERS
        assert result.app is not None and result.app.header == APP
        match = result.match
        assert match is not None and match.route is not None
        assert (match.controller, match.action) == (VOLUMES, "index")
        assert match.params == {"project_id": PROJECT_ID}
        assert match.route.path == "/{project_id:[0-9a-f\\-]+}/volumes"

    def test_not_hex_project_is_not_a_volume_route(self, cinder: Loaded) -> None:
        """A project id that is not hex does not fit cinder's project_id regex."""
        result = resolve(cinder.live, "GET", "/v3/not-a-project!/volumes")
        assert result.match is None or result.match.action != "index"


class TestRoutes:
    """``routes`` lists cinder's v3 router, extensions included."""

    def test_route_table(self, cinder: Loaded) -> None:
        """apiv3 has its mapper with every resource twice (with and without a project id)."""
        found = {r.section.header: r for r in routes_of(cinder.live)}
        app = found[APP]
        count = len(app.routes)
        print(f"\n[live] cinder {APP}: {count} routes")
        assert count > 1000  # 1256 with cinder 29.0.0
        assert not [r for r in app.routes if (r.controller or "").endswith(".Resource")]
        index = [r for r in app.routes if r.action == "index" and r.controller == VOLUMES]
        assert {r.path for r in index} >= {
            "/{project_id:[0-9a-f\\-]+}/volumes",
            "/volumes",
        }
        assert found["app:osvolumeversionapp"].routes  # its own mapper: '/' → all


class TestReplay:
    """``replay`` through the real cinder middleware, controller and database."""

    def test_without_a_token_authtoken_fails(self, cinder: Loaded) -> None:
        """No token: authtoken raises (no auth plugin), cinder's faultwrap answers 500."""
        trace = run(cinder.live, "GET", f"/v3/{PROJECT_ID}/volumes")
        assert trace.response.status == "500 Internal Server Error"
        assert sections(trace)[-1] == "filter:authtoken"
        auth = span(trace, "filter:authtoken")
        assert auth.exception is not None
        assert auth.exception.type.endswith("MissingAuthPlugin")
        fault = span(trace, "filter:faultwrap")
        assert fault.handled_exception_from == auth.index
        assert fault.status == "500 Internal Server Error"

    def test_stubbed_lists_volumes(self, cinder_stubbed: Loaded) -> None:
        """authtoken stubbed + identity headers: VolumeController.index answers 200, no volumes."""
        trace = run(cinder_stubbed.live, "GET", f"/v3/{PROJECT_ID}/volumes", headers=IDENTITY)
        assert trace.response.status == "200 OK"
        assert json.loads(trace.response.body) == {"volumes": []}
        assert sections(trace)[2:] == [*FILTERS, APP]
        assert span(trace, "filter:authtoken").standin
        app = span(trace, APP)
        assert app.answered and app.status == "200 OK"
        assert app.route is not None
        assert (app.route.controller, app.route.action) == (VOLUMES, "index")
        assert app.route.params == {"project_id": PROJECT_ID}

    def test_delete_stops_at_the_route(self, cinder_stubbed: Loaded) -> None:
        """DELETE a volume without execute: matched to VolumeController.delete, not run (202)."""
        path = f"/v3/{PROJECT_ID}/volumes/{PROJECT_ID}"
        trace = run(cinder_stubbed.live, "DELETE", path, headers=IDENTITY)
        assert trace.response.status == "202 Not Executed"
        app = span(trace, APP)
        assert app.route is not None
        assert (app.route.controller, app.route.action) == (VOLUMES, "delete")
        assert app.route.params == {"project_id": PROJECT_ID, "id": PROJECT_ID}
        assert any("not executed" in note for note in app.notes)
