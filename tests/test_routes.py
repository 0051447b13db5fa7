"""Routes layer: discovery, route tables in Routes' own order, match and explain, resolve."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import routes
import routes.middleware
from rich.console import Console

from pastetrace.config import Deployment, Section
from pastetrace.errors import UsageError
from pastetrace.routes import (
    SCHEMA_RESOLVE,
    SCHEMA_ROUTES,
    RouteTable,
    controller_name,
    filter_routes,
    find_mappers,
    mapper_from_spec,
    match,
    resolve,
    route_table,
    routes_of,
)
from pastetrace.trace import LayerInfo, TraceMiddleware

NOVA_FILTERS = [
    "cors",
    "http_proxy_to_wsgi",
    "compute_req_id",
    "faultwrap",
    "request_log",
    "sizelimit",
    "osprofiler",
    "authtoken",
    "keystonecontext",
]


# -- helpers: controllers, a Resource wrapper, routers shaped like OpenStack's ---------------------
class ServersController:
    def index(self) -> None: ...


class ImagesController:
    pass


class Resource:
    """Like OpenStack's ``wsgi.Resource``: the real controller is in ``.controller``."""

    def __init__(self, controller: object) -> None:
        self.controller = controller

    def __call__(self, environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return _app(environ, start_response)


def _app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("200 OK", [])
    return [b""]


class Router:
    """Like ``nova.wsgi.Router``: ``.map`` and a ``RoutesMiddleware`` in ``._router``."""

    def __init__(self, mapper: routes.Mapper) -> None:
        self.map = mapper
        self._router = routes.middleware.RoutesMiddleware(_app, mapper)


class Filter:
    def __init__(self, application: object) -> None:
        self.application = application


def servers_mapper() -> routes.Mapper:
    m = routes.Mapper()
    servers = Resource(ServersController())
    m.connect("/servers", controller=servers, action="index", conditions={"method": ["GET"]})
    m.connect("/servers", controller=servers, action="create", conditions={"method": ["POST"]})
    m.connect(
        "/servers/{id}",
        controller=servers,
        action="update",
        conditions={"method": ["PUT"]},
        requirements={"id": "[0-9]+"},
    )
    m.connect("/servers/{id}", controller=servers, action="show", conditions={"method": ["GET"]})
    m.redirect("", "/")
    return m


# -- route_table ----------------------------------------------------------------------------------
class TestRouteTable:
    def test_reads_methods_requirements_and_unwraps_resource(self) -> None:
        table = route_table(servers_mapper())
        update = next(r for r in table if r.action == "update")
        assert update.methods == ("PUT",)
        assert update.requirements == {"id": "[0-9]+"}
        assert update.controller == f"{__name__}.ServersController"
        assert update.path == "/servers/{id}"

    def test_redirect_route_shows_its_destination(self) -> None:
        redirect = [r for r in route_table(servers_mapper()) if r.redirect]
        assert [(r.path, r.redirect) for r in redirect] == [("", "/")]

    def test_order_is_prefix_groups_longest_first_then_connect_order(self) -> None:
        m = routes.Mapper()
        m.connect("/{kind}/{id}", controller="generic", action="show")
        m.connect("/servers/{id}", controller="servers", action="show")
        m.connect("/servers/detail", controller="servers", action="detail")
        assert [r.path for r in route_table(m)] == [
            "/servers/detail",
            "/servers/{id}",
            "/{kind}/{id}",
        ]
        assert [r.index for r in route_table(m)] == [1, 2, 3]

    def test_first_fitting_route_in_the_table_is_the_one_routes_matches(self) -> None:
        """Connect order would pick the generic route; Routes 2.5 and the table pick /x."""
        m = routes.Mapper()
        m.connect("/{a}/b", controller="generic", action="a")
        m.connect("/x/{id}", controller="x", action="show")
        table = route_table(m)
        result = match(m, "GET", "/x/b")
        assert result.route == table[0]
        assert (result.controller, result.action, result.params) == ("x", "show", {"id": "b"})
        assert [r.path for r in result.tried] == ["/x/{id}"]
        # And the route that only the generic one fits: tried after the /x group.
        other = match(m, "GET", "/y/b")
        assert other.route == table[1]
        assert [r.path for r in other.tried] == ["/{a}/b"]

    @pytest.mark.parametrize(
        "path", ["/images/7", "/images/new", "/images.json", "/x/b", "/y/b", "/images/7/edit", ""]
    )
    def test_tried_equals_routes_own_match_log(self, path: str) -> None:
        """Routes' debug log lists the routes ``_match`` tried; ours must be the same list."""
        m = routes.Mapper()
        m.connect("/{a}/b", controller="generic", action="a")
        m.resource("image", "images", controller="images")
        m.connect("/x/{id}", controller="x", action="show")
        m.redirect("", "/")
        result = match(m, "GET", path)
        m.debug = True  # a throwaway mapper: the log is only produced in debug mode
        env = {"REQUEST_METHOD": "GET", "PATH_INFO": path}
        log = [entry["route"] for entry in m._match(path, env)[2]]
        assert [r.route for r in result.tried] == log

    def test_nothing_tried_when_no_pattern_fits(self) -> None:
        result = match(servers_mapper(), "GET", "/nothing/here")
        assert result.tried == [] and result.near_misses == []
        assert result.notes == ["no route's pattern fits this path, whatever the method"]

    def test_resource_expands_in_routes_order(self) -> None:
        m = routes.Mapper()
        m.resource("image", "images", controller=Resource(ImagesController()))
        table = route_table(m)
        assert len(table) == len(m.matchlist)
        assert {r.controller for r in table} == {f"{__name__}.ImagesController"}
        # Routes tries them in the table's order: /images/new before /images/{id}.
        actions = [(r.methods, r.path, r.action) for r in table]
        assert actions.index((("GET",), "/images/new", "new")) < actions.index(
            (("GET",), "/images/:(id)", "show")
        )
        assert match(m, "GET", "/images/new").action == "new"
        assert match(m, "DELETE", "/images/7").action == "delete"

    def test_submapper_routes_carry_the_prefix(self) -> None:
        m = routes.Mapper()
        with m.submapper(path_prefix="/entries", controller="entry") as entries:
            entries.connect("list", "", action="index", conditions={"method": ["GET"]})
            entries.connect("one", "/{id}", action="show", conditions={"method": ["GET"]})
        table = route_table(m)
        assert [(r.name, r.path, r.controller) for r in table] == [
            ("list", "/entries", "entry"),
            ("one", "/entries/{id}", "entry"),
        ]

    def test_misspelt_method_condition_is_flagged(self) -> None:
        m = routes.Mapper()
        m.connect("/tenants", controller="t", action="get_tenants", conditions={"methods": ["GET"]})
        (route,) = route_table(m)
        assert route.methods is None
        assert "did you mean 'method'?" in route.notes[0]
        result = match(m, "DELETE", "/tenants")
        assert result.action == "get_tenants"
        assert any("matches any method" in n for n in result.notes)

    def test_filter_by_glob_and_method(self) -> None:
        table = route_table(servers_mapper())
        assert [r.action for r in filter_routes(table, glob="/servers/*")] == ["update", "show"]
        assert [r.action for r in filter_routes(table, method="get")] == ["index", "show", None]

    def test_to_dict_is_json(self) -> None:
        data = RouteTable(route_table(servers_mapper()), title="servers").to_dict()
        assert data["schema"] == SCHEMA_ROUTES
        assert data["routes"][0]["controller"] == f"{__name__}.ServersController"
        json.dumps(data)

    def test_renders_at_fixed_width(self) -> None:
        m = routes.Mapper()
        m.connect("home", "/", controller="root", action="index", conditions={"method": ["GET"]})
        m.connect("/servers/{id}", controller="servers", action="show")
        console = Console(color_system=None, width=60)
        console.begin_capture()
        console.print(RouteTable(route_table(m), title="demo"))
        assert console.end_capture() == (
            "demo\n┏━━━┳━━━━━━┳━━━━━━━━━┳━━━━━━━━━━━━━━━┳━━━━━━━━━━━━┳━━━━━━━━┓\n"
            "┃ # ┃ name ┃ methods ┃ path          ┃ controller ┃ action ┃\n"
            "┡━━━╇━━━━━━╇━━━━━━━━━╇━━━━━━━━━━━━━━━╇━━━━━━━━━━━━╇━━━━━━━━┩\n"
            "│ 1 │      │ any     │ /servers/{id} │ servers    │ show   │\n"
            "│ 2 │ home │ GET     │ /             │ root       │ index  │\n"
            "└───┴──────┴─────────┴───────────────┴────────────┴────────┘\n"
        )

    def test_never_calls_mapper_str(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def boom(self: object) -> str:
            raise AssertionError("Mapper.__str__ called")

        monkeypatch.setattr(routes.Mapper, "__str__", boom)
        assert len(route_table(servers_mapper())) == 5

    def test_hundreds_of_routes_list_and_match_fast(self) -> None:
        """Nova connects ~2 routes per ROUTE_LIST entry (with and without project id)."""
        m = routes.Mapper()
        ctrl = Resource(ServersController())
        for i in range(200):
            for prefix in ("/{project_id:[0-9a-f-]+}", ""):
                for verb, action in (("GET", "index"), ("POST", "create")):
                    m.connect(
                        f"{prefix}/res{i}",
                        controller=ctrl,
                        action=action,
                        conditions={"method": [verb]},
                    )
        start = time.perf_counter()
        table = route_table(m)
        result = match(m, "DELETE", "/res199", table=table)
        elapsed = time.perf_counter() - start
        assert len(table) == 800
        assert result.allowed == ("GET", "POST")
        assert elapsed < 1.0


def test_controller_name_forms() -> None:
    assert controller_name(None) is None
    assert controller_name("servers") == "servers"
    assert controller_name(ServersController) == f"{__name__}.ServersController"
    assert controller_name(Resource(Resource(ServersController()))) == (
        f"{__name__}.ServersController"
    )


# -- match and explain -----------------------------------------------------------------------------
class TestMatch:
    def test_match_gives_params_controller_action(self) -> None:
        result = match(servers_mapper(), "PUT", "/servers/42")
        assert result.ok
        assert (result.controller, result.action) == (f"{__name__}.ServersController", "update")
        assert result.params == {"id": "42"}

    def test_wrong_method_lists_allowed_methods(self) -> None:
        result = match(servers_mapper(), "DELETE", "/servers")
        assert not result.ok
        assert result.allowed == ("GET", "POST")
        assert result.near_misses[0].message == "DELETE is not allowed here (allowed: GET, POST)"
        # Routes looks at every route whose static prefix fits: /servers, then '' (redirect).
        assert [r.path for r in result.tried] == [
            "/servers",
            "/servers",
            "/servers/{id}",
            "/servers/{id}",
            "",
        ]

    def test_head_is_not_get(self) -> None:
        result = match(servers_mapper(), "HEAD", "/servers/1")
        assert not result.ok
        kinds = [m.kind for m in result.near_misses]
        assert kinds == ["method", "head"]
        assert "HEAD as GET" in result.near_misses[1].message

    @pytest.mark.parametrize(
        ("path", "other"),
        [
            pytest.param("/servers/", "'/servers'", id="extra-slash"),
            pytest.param("/images", "'/images/'", id="missing-slash"),
        ],
    )
    def test_trailing_slash_difference(self, path: str, other: str) -> None:
        m = servers_mapper()
        m.connect("/images/", controller="images", action="index")
        result = match(m, "GET", path)
        assert not result.ok
        (slash,) = [x for x in result.near_misses if x.kind == "slash"]
        assert slash.message.startswith(f"{other} would match")

    def test_post_gets_the_method_override_hint(self) -> None:
        result = match(servers_mapper(), "POST", "/servers/3")
        assert any(m.kind == "override" and "?_method=PUT" in m.message for m in result.near_misses)

    def test_query_method_override_is_honoured(self) -> None:
        result = match(servers_mapper(), "POST", "/servers/3?_method=put")
        assert (result.method, result.action) == ("PUT", "update")
        assert "?_method=PUT" in result.notes[0]

    def test_leaves_no_request_state_on_the_mapper(self) -> None:
        m = servers_mapper()
        match(m, "GET", "/servers")
        assert m.environ is None

    def test_environ_sets_path_info(self) -> None:
        result = match(servers_mapper(), "GET", "/ignored", environ={"PATH_INFO": "/servers/9"})
        assert (result.action, result.params) == ("show", {"id": "9"})

    def test_renders_a_miss_like_django(self) -> None:
        console = Console(color_system=None, width=100)
        console.begin_capture()
        console.print(match(servers_mapper(), "DELETE", "/servers"))
        assert console.end_capture() == (
            "DELETE /servers: DELETE is not allowed here (allowed: GET, POST) (tried 5 routes)\n"
            "  Routes tried these 5 routes, in this order:\n"
            "    #1 GET /servers\n"
            "    #2 POST /servers\n"
            "    #3 PUT /servers/{id}\n"
            "    #4 GET /servers/{id}\n"
            "    #5 any ''\n"
        )


# -- find_mappers ----------------------------------------------------------------------------------
class TestFindMappers:
    def test_router_reports_map_not_the_middleware_copy(self) -> None:
        m = servers_mapper()
        (found,) = find_mappers(Filter(Filter(Router(m))))
        assert found.mapper is m
        assert (found.path, found.owner) == ("application.application.map", "Router")

    def test_routes_middleware_and_trace_middleware(self) -> None:
        m = servers_mapper()
        wrapped = TraceMiddleware(
            routes.middleware.RoutesMiddleware(_app, m), LayerInfo("x", "app")
        )
        (found,) = find_mappers(wrapped)
        assert (found.path, found.owner) == ("_app.mapper", "RoutesMiddleware")

    def test_two_mappers_and_a_cycle(self) -> None:
        inner, outer = servers_mapper(), routes.Mapper()
        a, b = Filter(None), Filter(None)
        a.application, b.application = b, a  # a cycle
        b.routers = [Router(inner)]  # type: ignore[attr-defined]
        a.mapper = outer  # type: ignore[attr-defined]
        found = find_mappers(a)
        assert [(f.path, f.mapper) for f in found] == [
            ("mapper", outer),
            ("application.routers[0].map", inner),
        ]

    def test_max_depth_and_stop_at(self) -> None:
        router = Router(servers_mapper())
        assert find_mappers(Filter(Filter(router)), max_depth=2) == []
        assert find_mappers(Filter(router), stop_at=[router]) == []

    def test_mapper_itself(self) -> None:
        m = routes.Mapper()
        assert [(f.path, f.owner) for f in find_mappers(m)] == [("", "Mapper")]


def test_mapper_from_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "handmade_routes.py").write_text(
        "import routes\n"
        "class R:\n"
        "    def __init__(self):\n"
        "        self.map = routes.Mapper()\n"
        "        self.map.connect('/x', controller='x', action='index')\n"
        "router = R()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "handmade_routes", raising=False)
    mapper = mapper_from_spec("handmade_routes:router")
    assert [r.path for r in route_table(mapper)] == ["/x"]
    assert mapper_from_spec("handmade_routes:router.map") is mapper
    with pytest.raises(UsageError, match="module:attribute"):
        mapper_from_spec("handmade_routes")
    with pytest.raises(UsageError, match="cannot import"):
        mapper_from_spec("handmade_routes:nothing")


# -- resolve over the real corpus (static model) -------------------------------------------------
def _names(resolution: Any, kind: str) -> list[str]:
    return [s.section.name for s in resolution.steps if s.kind == kind]


class TestResolve:
    def test_nova_servers(self, corpus: Path) -> None:
        deployment = Deployment(corpus / "nova" / "api-paste.ini")
        r = resolve(deployment, "GET", "/v2.1/servers", name="osapi_compute")
        urlmap = r.steps[0]
        assert (urlmap.section.name, urlmap.label) == ("osapi_compute", "/v2.1/+")
        assert (urlmap.script_name, urlmap.path_info) == ("/v2.1", "/servers")
        selector = r.steps[1]
        assert (selector.section.name, selector.label) == ("openstack_compute_api_v21", "keystone")
        assert _names(r, "filter") == NOVA_FILTERS
        assert r.app is not None and r.app.name == "osapi_compute_app_v21"
        assert r.ok and r.match is None
        assert any("static model" in n for n in r.notes)
        assert r.to_dict()["schema"] == SCHEMA_RESOLVE
        json.dumps(r.to_dict())

    def test_nova_version_root_needs_something_after_the_slash(self, corpus: Path) -> None:
        deployment = Deployment(corpus / "nova" / "api-paste.ini")
        r = resolve(deployment, "GET", "/v2.1", name="osapi_compute")
        assert (r.steps[0].label, r.steps[0].script_name, r.steps[0].path_info) == (
            "/v2.1",
            "/v2.1",
            "",
        )
        assert r.steps[1].section.name == "oscomputeversion_v2"

    def test_glance_keystone_flavor_and_versionnegotiation(self, corpus: Path) -> None:
        deployment = Deployment(corpus / "glance" / "glance-api-paste.ini")
        r = resolve(deployment, "GET", "/v2/images", name="glance-api-keystone")
        assert r.steps[0].label == "/"
        assert (r.steps[1].section.name, r.steps[1].label) == ("api", "keystone")
        negotiation = next(s for s in r.steps if s.section.name == "versionnegotiation")
        assert negotiation.note is not None and "replay is the proof" in negotiation.note
        assert [s.label for s in r.steps if s.kind == "urlmap"] == ["/", "/v2"]
        assert r.app is not None and r.app.name == "apiv2app"
        assert (r.steps[-1].script_name, r.steps[-1].path_info) == ("/v2", "/images")

    def test_no_prefix_matches_lists_prefixes_tried(self, corpus: Path) -> None:
        deployment = Deployment(corpus / "nova" / "essex-2012.1-api-paste.ini")
        r = resolve(deployment, "GET", "/nowhere", name="ec2")
        assert not r.ok and r.app is None
        assert r.explanation is not None
        assert "404 from [composite:ec2]" in r.explanation
        assert "prefixes tried, in this order: '/services/Cloud'" in r.explanation

    def test_renders_steps_and_the_404(self, corpus: Path) -> None:
        deployment = Deployment(corpus / "nova" / "essex-2012.1-api-paste.ini")
        console = Console(color_system=None, width=200)
        console.begin_capture()
        console.print(resolve(deployment, "GET", "/nowhere", name="ec2"))
        assert console.end_capture() == (
            "GET /nowhere\n"
            "  urlmap     [composite:ec2]  SCRIPT_NAME='' PATH_INFO='/nowhere'\n"
            "             note: no prefix matched\n"
            "404 from [composite:ec2] (urlmap): no prefix matches PATH_INFO '/nowhere' "
            "(SCRIPT_NAME '', host localhost:80); prefixes tried, in this order: "
            "'/services/Cloud'\n"
        )

    def test_domain_keys_follow_the_host_header(self, tmp_path: Path) -> None:
        ini = tmp_path / "paste.ini"
        ini.write_text(
            "[composite:main]\nuse = egg:Paste#urlmap\n"
            "domain api.example.com /v1 = special\n/v1 = plain\n"
            "[app:special]\npaste.app_factory = m:f\n[app:plain]\npaste.app_factory = m:f\n"
        )
        deployment = Deployment(ini)
        hosted = resolve(deployment, "GET", "/v1/x", headers={"Host": "API.example.com"})
        other = resolve(deployment, "GET", "/v1/x", headers={"Host": "other.org:8080"})
        assert hosted.app is not None and hosted.app.name == "special"
        assert other.app is not None and other.app.name == "plain"

    def test_route_step_with_given_mapper(self, corpus: Path) -> None:
        deployment = Deployment(corpus / "nova" / "api-paste.ini")
        mappers = {"app:osapi_compute_app_v21": servers_mapper()}
        r = resolve(deployment, "PUT", "/v2.1/servers/5", name="osapi_compute", mappers=mappers)
        assert r.ok and r.match is not None
        assert (r.match.action, r.match.params) == ("update", {"id": "5"})
        missing = resolve(
            deployment, "DELETE", "/v2.1/servers", name="osapi_compute", mappers=mappers
        )
        assert not missing.ok
        assert missing.explanation is not None and "allowed: GET, POST" in missing.explanation

    def test_routing_filter_answers_or_passes_on(self, corpus: Path) -> None:
        deployment = Deployment(corpus / "keystone" / "essex-2012.1-keystone.conf")
        ec2 = routes.Mapper()
        ec2.connect(
            "/ec2tokens", controller="ec2", action="authenticate", conditions={"method": ["POST"]}
        )
        ec2.connect("{path_info:.*}", controller=_app)  # ExtensionRouter's catch-all
        public = routes.Mapper()
        public.connect(
            "/tokens", controller="token", action="authenticate", conditions={"method": ["POST"]}
        )
        mappers = {"ec2_extension": ec2, "public_service": public}
        answered = resolve(deployment, "POST", "/v2.0/ec2tokens", mappers=mappers)
        assert answered.ok and answered.answered_by is not None
        assert answered.answered_by.name == "ec2_extension"
        assert answered.app is None
        passed = resolve(deployment, "POST", "/v2.0/tokens", mappers=mappers)
        assert passed.ok and passed.app is not None and passed.app.name == "public_service"
        assert passed.match is not None and passed.match.action == "authenticate"
        ext = next(s for s in passed.steps if s.section.name == "ec2_extension")
        assert ext.note is not None and "ExtensionRouter" in ext.note


# -- routes_of --------------------------------------------------------------------------------
@dataclass
class FakeLayer:
    section: Section
    kind: str
    standin: bool
    reason: str | None
    obj: Any
    node_id: str


@dataclass
class FakeLive:
    deployment: Deployment
    name: str | None
    layers: list[FakeLayer]


class TestRoutesOf:
    def test_static_deployment_says_why_there_are_no_routes(self, corpus: Path) -> None:
        deployment = Deployment(corpus / "nova" / "api-paste.ini")
        listed = routes_of(deployment)
        assert "app:osapi_compute_app_v21" in [a.section.header for a in listed]
        assert all(a.routes == [] and a.reason and "static" in a.reason for a in listed)

    def test_live_app_routes_filters_and_standins(self, corpus: Path) -> None:
        deployment = Deployment(corpus / "keystone" / "essex-2012.1-keystone.conf")
        public = Router(servers_mapper())
        ec2 = Router(routes.Mapper())
        ec2.application = public  # type: ignore[attr-defined]  # the next layer
        layers = [
            FakeLayer(deployment.get("ec2_extension", "filter"), "filter", False, None, ec2, "f"),
            FakeLayer(deployment.get("public_service"), "app", False, None, public, "a"),
            FakeLayer(
                deployment.get("admin_service"), "app", True, "no module keystone", None, "b"
            ),
        ]
        live = FakeLive(deployment, "main", layers)
        listed = routes_of(live)
        assert [(a.section.name, len(a.routes), a.reason) for a in listed] == [
            ("ec2_extension", 0, None),
            ("public_service", 5, None),
            ("admin_service", 0, "no module keystone"),
        ]
        assert listed[0].found is not None and listed[0].found.mapper is ec2.map
        assert listed[1].to_dict()["schema"] == SCHEMA_ROUTES
        r = resolve(live, "GET", "/v2.0/servers/3")
        assert r.match is not None and r.match.action == "show"
        assert [
            s.node_id for s in r.steps if s.section.name in ("ec2_extension", "public_service")
        ] == [
            "f",
            "a",
        ]
