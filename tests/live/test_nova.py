"""The real nova (34.0.0): resolve, routes and replay of ``osapi_compute`` (issues 3 and 4).

Run with ``-s`` to see the load times and route counts.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from pastetrace import cli
from pastetrace.routes import resolve, routes_of
from tests.live.helpers import (
    IDENTITY,
    Loaded,
    load,
    paste_file,
    quiet,
    report,
    require,
    run,
    sections,
    skip_unless_installed,
    span,
)

# Not pytest.importorskip: importing nova here would bind it to oslo.config's global object
# before pastetrace's adapter gives it its own.
skip_unless_installed("nova")

pytestmark = [
    # nova, oslo.* and keystonemiddleware warn about deprecated options, policies and
    # pkg_resources while they are imported and set up; none of it is pastetrace's.
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::PendingDeprecationWarning"),
    # oslo.policy warns (UserWarning) that policy defaults changed, when nova registers them.
    pytest.mark.filterwarnings("ignore::UserWarning"),
]

ENTRY = "osapi_compute"
NINE_FILTERS = [
    "filter:cors",
    "filter:http_proxy_to_wsgi",
    "filter:compute_req_id",
    "filter:faultwrap",
    "filter:request_log",
    "filter:sizelimit",
    "filter:osprofiler",
    "filter:authtoken",
    "filter:keystonecontext",
]
SERVERS = "nova.api.openstack.compute.servers.ServersController"
APP = "app:osapi_compute_app_v21"


@pytest.fixture(scope="module")
def nova() -> Loaded:
    """nova's compute API as a real deployment creates it (authtoken real, no keystone)."""
    loaded = load("nova", "api-paste.ini", ENTRY)
    report("nova osapi_compute", loaded, timings=_rounded(loaded.live.timings))
    return loaded


@pytest.fixture(scope="module")
def nova_stubbed() -> Loaded:
    """nova with authtoken replaced by a pass-through, so identity headers stand for a token."""
    loaded = load("nova", "api-paste.ini", ENTRY, stub=["authtoken"])
    report("nova osapi_compute, authtoken stubbed", loaded)
    return loaded


def _rounded(timings: dict[str, float]) -> dict[str, float]:
    return {stage: round(seconds, 2) for stage, seconds in timings.items()}


class TestResolve:
    """``resolve`` walks nova's paste file to the route, with the real mapper."""

    def test_servers_index(self, nova: Loaded) -> None:
        """GET /v2.1/servers: prefix /v2.1/+, the nine filters in order, the app, the route."""
        result = resolve(nova.live, "GET", "/v2.1/servers")
        assert result.ok, result.explanation
        urlmap = result.steps[0]
        assert (urlmap.section.header, urlmap.kind) == ("composite:osapi_compute", "urlmap")
        assert urlmap.label == "/v2.1/+"
        assert (urlmap.script_name, urlmap.path_info) == ("/v2.1", "/servers")
        filters = [s.section.header for s in result.steps if s.kind == "filter"]
        assert filters == NINE_FILTERS
        assert result.app is not None and result.app.header == APP
        assert result.steps[-1].section.header == APP
        assert (result.steps[-1].script_name, result.steps[-1].path_info) == ("/v2.1", "/servers")
        assert result.match is not None and result.match.route is not None
        assert (result.match.controller, result.match.action) == (SERVERS, "index")
        assert result.match.route.path == "/servers"
        assert result.match.route.methods == ("GET",)

    def test_project_id_route(self, nova: Loaded) -> None:
        """A hex project id in the path takes nova's '/{project_id}' twin of the route."""
        result = resolve(nova.live, "GET", "/v2.1/0123456789abcdef/servers/detail")
        assert result.match is not None and result.match.route is not None
        assert (result.match.controller, result.match.action) == (SERVERS, "detail")
        assert result.match.params == {"project_id": "0123456789abcdef"}


class TestRoutes:
    """``routes`` lists nova's route table with the controllers unwrapped."""

    def test_route_table(self, nova: Loaded) -> None:
        """The compute app has one mapper with hundreds of routes, none named 'Resource'."""
        found = {r.section.header: r for r in routes_of(nova.live)}
        app = found[APP]
        assert app.found is not None and app.found.owner == "APIRouterV21"
        count = len(app.routes)
        print(f"\n[live] nova {APP}: {count} routes")
        assert count > 300  # 419 with nova 34.0.0: two per ROUTE_LIST entry, plus redirects
        controllers = {r.controller for r in app.routes if r.controller}
        assert SERVERS in controllers
        assert not [c for c in controllers if "Resource" in c]  # wsgi.Resource unwrapped
        index = [r for r in app.routes if r.path == "/servers" and r.methods == ("GET",)]
        assert [(r.controller, r.action) for r in index] == [(SERVERS, "index")]
        # The version apps dispatch without Routes: listed with the reason.
        assert found["app:oscomputeversionapp"].reason == (
            "no routes.Mapper inside (it dispatches some other way)"
        )

    def test_cli_routes(self, nova: Loaded, monkeypatch: pytest.MonkeyPatch) -> None:
        """`pastetrace routes FILE --name osapi_compute --format json` gives the same table."""
        from rich.console import Console

        monkeypatch.setattr(
            cli,
            "env",
            cli.Environment(Console(width=200), Console(stderr=True, width=200)),
        )
        path = str(paste_file("nova", "api-paste.ini"))
        with quiet():
            result = CliRunner().invoke(
                cli.app, ["routes", path, "--name", ENTRY, "--app", APP, "--format", "json"]
            )
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["schema"] == "pastetrace.routes/1"
        (app,) = data["apps"]
        expected = next(r for r in routes_of(nova.live) if r.section.header == APP)
        assert len(app["routes"]) == len(expected.routes)
        assert not [r for r in app["routes"] if "Resource" in (r["controller"] or "")]

    def test_nothing_real_says_why(self) -> None:
        """Assembled with real=False, every app is a stand-in and says so."""
        require("nova")
        from pastetrace.assemble import assemble
        from pastetrace.config import Deployment

        live = assemble(Deployment(paste_file("nova", "api-paste.ini")), ENTRY, real=False)
        apps = routes_of(live)
        assert [a.section.header for a in apps] == [
            "app:oscomputeversionapp",
            "app:oscomputeversionapp_v2",
            APP,
        ]
        for entry in apps:
            assert entry.standin and entry.routes == []
            assert entry.reason == "not imported: assembled with real=False"


class TestReplay:
    """``replay`` through the real nova middleware."""

    def test_without_a_token_authtoken_fails(self, nova: Loaded) -> None:
        """No token: authtoken raises (no auth plugin), faultwrap turns it into a 500."""
        trace = run(nova.live, "GET", "/v2.1/servers")
        assert trace.response.status == "500 Internal Server Error"
        assert json.loads(trace.response.body)["computeFault"]["code"] == 500
        names = sections(trace)
        assert names[-1] == "filter:authtoken" and APP not in names
        assert "filter:keystonecontext" not in names
        auth = span(trace, "filter:authtoken")
        assert auth.exception is not None
        assert auth.exception.type.endswith("MissingAuthPlugin")
        assert auth.status is None and not auth.answered
        fault = span(trace, "filter:faultwrap")
        assert fault.handled_exception_from == auth.index
        assert fault.status == "500 Internal Server Error"
        # The layers between them saw the exception pass; the ones outside, the 500.
        between = names[names.index("filter:faultwrap") + 1 : -1]
        assert between == ["filter:request_log", "filter:sizelimit", "filter:osprofiler"]
        assert all(span(trace, s).exception is not None for s in between)
        assert span(trace, "filter:cors").status == "500 Internal Server Error"

    def test_stubbed_reaches_servers_index(self, nova_stubbed: Loaded) -> None:
        """authtoken stubbed + identity headers: ServersController.index answers from the real,
        empty database that the adapter built with nova's own migrations."""
        trace = run(nova_stubbed.live, "GET", "/v2.1/servers", headers=IDENTITY)
        assert sections(trace)[2:] == [*NINE_FILTERS, APP]
        auth = span(trace, "filter:authtoken")
        assert auth.standin and auth.standin_reason is not None
        assert "stub" in auth.standin_reason
        context = span(trace, "filter:keystonecontext")
        assert "nova.context" in context.environ_added
        app = span(trace, APP)
        assert app.route is not None
        assert (app.route.controller, app.route.action) == (SERVERS, "index")
        assert (app.script_name, app.path_info) == ("/v2.1", "/servers")
        assert app.answered and app.exception is None
        assert trace.response.status == "200 OK"
        assert json.loads(trace.response.body) == {"servers": []}

    def test_delete_stops_at_the_route(self, nova_stubbed: Loaded) -> None:
        """DELETE without execute: the route is matched, the action not run (202 Not Executed)."""
        trace = run(nova_stubbed.live, "DELETE", "/v2.1/servers/abc", headers=IDENTITY)
        assert trace.response.status == "202 Not Executed"
        app = span(trace, APP)
        assert app.route is not None
        assert (app.route.controller, app.route.action) == (SERVERS, "delete")
        assert app.route.params == {"id": "abc"}
        assert app.answered
        assert any(n.startswith("not executed: DELETE without --execute") for n in app.notes)
        assert any("not executed" in note for note in trace.notes)

    def test_versions_answer(self, nova: Loaded) -> None:
        """GET /v2.1 is answered by the versions app, without authtoken (200)."""
        trace = run(nova.live, "GET", "/v2.1")
        assert trace.response.status == "200 OK"
        assert "filter:authtoken" not in sections(trace)
        assert trace.spans[-1].answered
