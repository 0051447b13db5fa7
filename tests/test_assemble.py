"""Live assembly: PasteDeploy's creation order and conf, tracing layers, stand-ins, options."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from webob import Request

from pastetrace.assemble import LiveApp, assemble
from pastetrace.config import Deployment
from pastetrace.errors import UsageError
from pastetrace.standins import STANDIN_HEADER, URLMapStandin
from pastetrace.trace import RECORDER_KEY, Recorder, TraceMiddleware, unwrap
from tests import live_factories
from tests.conftest import corpus_files

DATA = Path(__file__).parent / "data" / "live"
BASIC = DATA / "basic.ini"
BROKEN = DATA / "broken.ini"


def _paste_log(path: Path, name: str = "main") -> list[Any]:
    from paste.deploy import loadapp

    live_factories.LOG.clear()
    loadapp(f"config:{path}", name=name)
    return list(live_factories.LOG)


def _live(path: Path, name: str | None = None, **options: Any) -> tuple[LiveApp, list[Any]]:
    live_factories.LOG.clear()
    live = assemble(Deployment(path), name, **options)
    return live, list(live_factories.LOG)


def _get(live: LiveApp, path: str) -> Any:
    return Request.blank(path).get_response(live.app)


# -- the same objects as PasteDeploy ---------------------------------------------------------
@pytest.mark.parametrize("name", ["main", "root", "api_v1", "custom", "fapp", "derived"])
def test_creation_order_and_conf_match_paste_deploy(name: str) -> None:
    expected = _paste_log(BASIC, name)
    _, got = _live(BASIC, name)
    assert got == expected
    assert len(got) > 1 or name == "derived"


def test_conf_details_follow_paste_deploy() -> None:
    _, log = _live(BASIC)
    by_name = {(event, name): (g, loc) for event, name, g, loc in log}
    g, loc = by_name[("app", "rootapp")]
    assert g["region"] == "two"  # `set` writes global conf
    assert g["here"] == str(BASIC.parent) and g["__file__"] == str(BASIC)
    g, loc = by_name[("filter", "first")]
    assert "debug" not in loc  # a [DEFAULT] key is dropped from local conf
    g, loc = by_name[("app", "apiapp")]
    assert loc["copied"] == "one" and "filter-with" not in loc


def test_every_created_object_is_traced_in_request_order() -> None:
    live, _ = _live(BASIC)
    assert all(isinstance(layer.wrapper, TraceMiddleware) for layer in live.layers)
    assert isinstance(live.app, TraceMiddleware)
    request = Request.blank("/v1/things")
    recorder = Recorder.start(request.environ)
    response = request.get_response(live.app)
    assert response.status_int == 200
    assert response.text == "apiapp /v1|/things"
    assert response.headers["X-Chain"] == "first,wrapped,outer"
    sections = [span.section for span in recorder.trace().spans]
    assert sections == [
        "composite:main",
        "pipeline:api_v1",
        "filter:first",
        "filter:wrapped",
        "filter:outer",
        "app:apiapp",
    ]


def test_layers_record_kinds_node_ids_and_objects() -> None:
    live, _ = _live(BASIC)
    ids = [layer.node_id for layer in live.layers]
    assert "pipeline:root/1:filter:second" in ids
    assert "composite:custom/0:filter:first" in ids
    assert "app:apiapp/0:filter:outer" in ids  # filter-with
    kinds = {layer.node_id: layer.kind for layer in live.layers}
    assert kinds["composite:main"] == "urlmap"
    assert kinds["filter-app:fapp"] == "filter-app"
    assert kinds["composite:custom"] == "composite"
    root = live.find("rootapp")[0]
    assert isinstance(root.obj, live_factories.App) and unwrap(root.wrapper) is root.obj
    assert not live.standins()
    assert set(live.timings) == {"resolve", "setup", "create"}
    assert (
        repr(live)
        == f"<LiveApp 'main' from basic.ini: {len(live.layers)} real layers, 0 stand-ins>"
    )


def test_untraced_requests_pass_straight_through() -> None:
    live, _ = _live(BASIC)
    request = Request.blank("/v2/x")
    assert RECORDER_KEY not in request.environ
    response = request.get_response(live.app)
    assert response.text == "derived /v2|/x"
    assert response.headers["X-Chain"] == "first,second,fapp"


def test_trace_false_leaves_objects_bare() -> None:
    live, _ = _live(BASIC, trace=False)
    assert all(layer.wrapper is None for layer in live.layers)
    assert not isinstance(live.app, TraceMiddleware)
    assert _get(live, "/").text == "rootapp |/"


# -- stand-ins -------------------------------------------------------------------------------
def test_a_factory_that_raises_becomes_a_501_standin_naming_itself() -> None:
    live, _ = _live(BROKEN)
    (layer,) = live.find("app:versions")
    assert layer.standin and layer.stage == "create"
    assert layer.reason is not None
    assert layer.reason.startswith("RuntimeError: boom at create (factory at ")
    assert "live_factories.py:" in layer.reason
    response = _get(live, "/")
    assert response.status_int == 501
    assert response.headers[STANDIN_HEADER] == "app:versions"
    assert response.json["factory"] == "tests.live_factories:failing_app"
    assert "boom at create" in response.json["reason"]


def test_a_factory_that_cannot_be_imported_is_a_standin_with_the_import_error() -> None:
    live, _ = _live(BROKEN, "api")
    (api,) = live.find("composite:api")
    assert api.standin and api.stage == "resolve"
    assert api.reason is not None and api.reason.startswith("ModuleNotFoundError")
    assert "manila" in api.reason
    assert "manila.api.middleware.auth:pipeline_factory" in live.failures
    # pastetrace's selector picked the known default key, keystone, and built its pipeline
    ids = [layer.node_id for layer in live.layers]
    assert ids == [
        "composite:api",
        "composite:api/0:filter:first",
        "composite:api/1:filter:authtoken",
        "app:apiapp",
    ]
    (auth,) = live.find("filter:authtoken")
    assert auth.standin and "tests_nowhere" in (auth.reason or "")
    response = _get(live, "/things")
    assert response.status_int == 200
    assert response.headers["X-Chain"] == "first"  # the stand-in filter passed it on


def test_a_filter_that_fails_when_applied_passes_the_request_on() -> None:
    live, _ = _live(BROKEN, "late")
    (late,) = live.find("filter:latefilter")
    assert late.standin and late.stage == "create"
    assert (late.reason or "").startswith("ValueError: bad option when wrapping")
    assert _get(live, "/x").status_int == 200


def test_a_missing_section_is_a_standin_saying_so() -> None:
    live, _ = _live(BROKEN, "nosuch")
    (missing,) = live.find("missingfilter")
    assert missing.standin and "no filter section named 'missingfilter'" in (missing.reason or "")


def test_urlmap_standin_routes_like_paste() -> None:
    live, _ = _live(BROKEN, "versioned")
    (root,) = live.find("composite:versioned")
    assert root.standin and isinstance(root.obj, URLMapStandin)
    response = _get(live, "/v1/servers")
    assert response.status_int == 200
    assert response.text == "apiapp /v1|/servers"
    assert _get(live, "/v10").headers[STANDIN_HEADER] == "app:versions"  # /v1 ≠ /v10
    assert _get(live, "/").status_int == 501


def test_nova_wildcard_and_cinder_dropped_prefixes() -> None:
    def app(name: str) -> Any:
        return live_factories.App(name)

    urlmap = URLMapStandin([(None, "", app("root")), (None, "/v2.1/+", app("wild"))])
    assert urlmap.match("h", "80", "/v2.1/servers")[1] == "/v2.1"
    assert urlmap.match("h", "80", "/v2.1")[1] == ""
    assert urlmap.match("h", "80", "/v2.1/")[1] == ""

    class Loader:
        def get_app(self, name: str, global_conf: Any = None) -> Any:
            return app(name)

        def get_filter(self, name: str, global_conf: Any = None) -> Any:
            raise AssertionError

    from pastetrace import composites, standins

    flavor = composites.URLMAPS["cinder.api:root_app_factory"]
    built = standins.make_urlmap(Loader(), {}, {"/": "v", "/v1": "a", "/v3": "b"}, flavor)
    assert [key for _, key, _ in built.entries] == ["/v3", ""]


# -- options ---------------------------------------------------------------------------------
def test_stub_replaces_a_filter_with_a_pass_through() -> None:
    live, log = _live(BASIC, "root", stub=["second"])
    (second,) = live.find("filter:second")
    assert second.standin and second.reason == "stubbed" and second.stage is None
    assert ("filter", "second") not in {(e, n) for e, n, _, _ in log}
    assert Request.blank("/").get_response(live.app).headers["X-Chain"] == "first"


def test_stub_of_an_unknown_filter_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="did you mean 'first'"):
        assemble(Deployment(BASIC), stub=["firs"])


def test_select_picks_a_selector_key() -> None:
    live, _ = _live(BROKEN, "api", select={"api": "noauth"})
    assert [layer.node_id for layer in live.layers] == [
        "composite:api",
        "composite:api/0:filter:first",
        "app:apiapp",
    ]
    (api,) = live.find("composite:api")
    assert api.standin and "--select api=noauth" in (api.reason or "")
    assert api.obj.key == "noauth"
    with pytest.raises(UsageError, match="keys: noauth, keystone"):
        assemble(Deployment(BROKEN), "api", select={"composite:api": "nope"})


def test_settings_override_the_global_conf_everywhere() -> None:
    _, log = _live(BASIC, settings={"debug": "true", "extra": "1"})
    assert log and all(g["debug"] == "true" and g["extra"] == "1" for e, _, g, _ in log if g)


def test_setup_hook_is_called_with_the_live_app(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []
    monkeypatch.setattr(live_factories, "HOOK_SEEN", seen, raising=False)

    live, _ = _live(BASIC, "rootapp", setup="tests.test_assemble:_record_setup")
    assert seen == [live]
    with pytest.raises(UsageError, match="cannot import"):
        assemble(Deployment(BASIC), setup="tests.nowhere:hook")


def _record_setup(live: LiveApp) -> None:
    live_factories.HOOK_SEEN.append(live)  # type: ignore[attr-defined]


# -- the corpus, with nothing imported -------------------------------------------------------
@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_files())
def test_every_corpus_entry_assembles_with_standins(path: Path) -> None:
    deployment = Deployment(path)
    for entry in deployment.entries():
        live = assemble(deployment, entry.name, real=False)
        assert live.layers and live.layers[0].section is entry
        response = Request.blank("/").get_response(live.app)
        assert response.status_int in (200, 300, 404, 501)


@pytest.mark.corpus
def test_nova_servers_reach_the_standin_app_after_nine_filters(corpus: Path) -> None:
    live = assemble(Deployment(corpus / "nova" / "api-paste.ini"), "osapi_compute", real=False)
    request = Request.blank("/v2.1/servers")
    recorder = Recorder.start(request.environ)
    response = request.get_response(live.app)
    assert response.status_int == 501
    assert response.headers[STANDIN_HEADER] == "app:osapi_compute_app_v21"
    spans = [(span.section, span.kind) for span in recorder.trace().spans]
    assert spans[:2] == [
        ("composite:osapi_compute", "urlmap"),
        ("composite:openstack_compute_api_v21", "composite"),
    ]
    filters = [section for section, kind in spans if kind == "filter"]
    assert filters == [
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
    assert spans[-1] == ("app:osapi_compute_app_v21", "app")
    assert all(span.standin for span in recorder.trace().spans if span.kind != "urlmap")
