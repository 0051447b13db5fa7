"""Replay synthetic requests through assembled, traced applications (pastetrace.replay)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import pastetrace
from pastetrace.config import Deployment
from pastetrace.errors import UsageError
from pastetrace.replay import build_request, parse_header, read_data

DEMO_AUTH = {"auth": {"passwordCredentials": {"username": "demo", "password": "secrete"}}}

GUARDED = """
[pipeline:main]
pipeline = addheader things

[filter:addheader]
paste.filter_factory = tests.replay_apps:header_filter_factory

[app:things]
paste.app_factory = tests.replay_apps:router_factory
marker_dir = {marker_dir}

[app:boom]
paste.app_factory = tests.replay_apps:boom_app_factory

[app:slow]
paste.app_factory = tests.replay_apps:slow_app_factory
seconds = 2
"""


@pytest.fixture
def guarded(tmp_path: Path) -> tuple[Deployment, Path]:
    """A Routes app whose DELETE action writes a marker file into ``tmp_path/markers``."""
    markers = tmp_path / "markers"
    markers.mkdir()
    ini = tmp_path / "guarded.ini"
    ini.write_text(GUARDED.format(marker_dir=markers))
    return Deployment(ini), markers


def sections(trace) -> list[str]:
    return [span.section for span in trace.spans]


class TestRequestBuilding:
    def test_headers_query_and_host(self):
        """Headers, the query string and the Host header reach the environ as a server sets them."""
        req = build_request(
            "get",
            "/v2/images?limit=2",
            headers=[("Host", "api.example:8080"), ("X-Auth-Token", "t")],
        )
        assert req.method == "GET"
        assert req.environ["QUERY_STRING"] == "limit=2"
        assert (req.environ["SERVER_NAME"], req.environ["SERVER_PORT"]) == ("api.example", "8080")
        assert req.headers["X-Auth-Token"] == "t"

    def test_json_sets_body_and_content_type(self):
        """--json sets the body and Content-Type; invalid JSON is a usage error."""
        req = build_request("POST", "/x", json='{"a": 1}')
        assert req.content_type == "application/json"
        assert json.loads(req.body) == {"a": 1}
        with pytest.raises(UsageError, match="not valid JSON"):
            build_request("POST", "/x", json="{nope")

    def test_header_and_data_parsing(self, tmp_path: Path):
        """'Name: value' headers and @FILE bodies, with clear errors."""
        assert parse_header("X-Roles: admin, member") == ("X-Roles", "admin, member")
        with pytest.raises(UsageError, match="Name: value"):
            parse_header("no colon here")
        body = tmp_path / "body.bin"
        body.write_bytes(b"\x00\x01")
        assert read_data(f"@{body}") == b"\x00\x01"
        assert read_data("plain") == b"plain"
        with pytest.raises(UsageError, match="cannot read the body"):
            read_data(f"@{tmp_path / 'missing'}")

    def test_path_must_start_with_slash(self):
        """A path without its leading slash is refused with the reason."""
        with pytest.raises(UsageError, match="must start with '/'"):
            build_request("GET", "v2/images")


class TestKeystoneExample:
    def test_token_request_goes_through_every_layer(self):
        """POST /v2.0/tokens on the bundled keystone returns a token through the traced layers."""
        trace = pastetrace.replay("keystone", "POST", "/v2.0/tokens", json=DEMO_AUTH)
        assert trace.response.status == "200 OK"
        assert json.loads(trace.response.body)["access"]["token"]["id"]
        assert sections(trace) == [
            "composite:main",
            "pipeline:public_api",
            "filter:token_auth",
            "filter:admin_token_auth",
            "filter:json_body",
            "filter:ec2_extension",
            "app:public_service",
        ]
        urlmap, *_, app = trace.spans
        assert urlmap.environ_changed["SCRIPT_NAME"] == ("", "/v2.0")
        assert app.answered
        assert app.route is not None and app.route.action == "authenticate"

    def test_validate_token_only_on_admin(self):
        """GET /v2.0/tokens/{id} routes on the admin entry and is refused on the public one."""
        live = pastetrace.assemble(pastetrace.load("keystone"), "main")
        token = json.loads(
            pastetrace.replay(live, "POST", "/v2.0/tokens", json=DEMO_AUTH).response.body
        )["access"]["token"]["id"]
        admin = pastetrace.replay(
            "keystone#admin", "GET", f"/v2.0/tokens/{token}", headers=[("X-Auth-Token", "ADMIN")]
        )
        assert admin.response.status == "200 OK"
        assert admin.spans[-1].route.action == "validate_token"
        public = pastetrace.replay(live, "GET", f"/v2.0/tokens/{token}")
        assert public.response.status.startswith("404")


class TestAcrossServices:
    def test_glance_image_create_shows_registry_layers(self):
        """A glance image-create shows the registry's layers inside the api's trace."""
        trace = pastetrace.replay(
            "glance",
            "POST",
            "/v1/images",
            headers=[
                ("x-image-meta-name", "cirros"),
                ("X-Auth-Token", "t"),
                ("X-Tenant-Id", "demo"),
                ("X-Roles", "admin"),
            ],
            data=b"image bytes",
        )
        assert trace.response.status == "201 Created"
        api = next(s for s in trace.spans if s.section == "app:apiv1app")
        calls = [s for s in trace.spans if s.kind == "http"]
        assert [c.section.split()[0] for c in calls] == ["POST", "PUT", "PUT"]
        assert all(c.parent == api.index for c in calls)
        registry = [s for s in trace.spans if s.section == "app:registryapp"]
        assert [r.route.action for r in registry] == ["create", "update", "update"]
        assert api.answered, "calls to another service are side calls"


class TestSafety:
    def test_unsafe_method_stops_at_the_route(self, guarded):
        """DELETE without execute matches the route but does not run the action."""
        deployment, markers = guarded
        trace = pastetrace.replay(deployment, "DELETE", "/things/42")
        assert list(markers.iterdir()) == []
        assert trace.response.status == "202 Not Executed"
        routed = trace.spans[-1]
        assert routed.route is not None and routed.route.action == "delete"
        assert routed.route.params == {"id": "42"}
        assert any("not executed: DELETE without --execute" in n for n in routed.notes)
        assert any("--execute" in n for n in trace.notes)

    def test_execute_runs_the_action(self, guarded):
        """With execute the action runs (and leaves its marker)."""
        deployment, markers = guarded
        trace = pastetrace.replay(deployment, "DELETE", "/things/42", execute=True)
        assert trace.response.status == "204 No Content"
        assert [p.name for p in markers.iterdir()] == ["deleted-42"]

    def test_safe_methods_run(self, guarded):
        """GET runs the action without --execute."""
        deployment, _ = guarded
        trace = pastetrace.replay(deployment, "GET", "/things")
        assert trace.response.status == "200 OK"
        assert trace.spans[-1].route.action == "index"


class TestFailures:
    def test_exception_escaping_every_layer_is_reported(self, guarded):
        """An exception nobody handles is in the trace at its layer, and the replay still ends."""
        deployment, _ = guarded
        trace = pastetrace.replay(deployment, "GET", "/", name="boom")
        assert trace.spans[-1].exception.type == "RuntimeError"
        assert trace.spans[-1].exception.message == "the app fell over"
        assert trace.response.status is None
        assert any("escaped every layer" in n for n in trace.notes)

    def test_timeout(self, guarded):
        """A layer that does not answer in time ends the replay with a note naming it."""
        deployment, _ = guarded
        trace = pastetrace.replay(deployment, "GET", "/", name="slow", timeout=0.2)
        assert any("no answer after 0.2 s" in n and "[app:slow]" in n for n in trace.notes)


class TestCorpusStandIns:
    def test_nova_head_follows_the_configuration(self, corpus):
        """nova HEAD GET /v2.1/servers with nothing real passes /v2.1/+ and the nine filters."""
        deployment = Deployment(corpus / "nova" / "api-paste.ini")
        live = pastetrace.assemble(deployment, "osapi_compute", real=False)
        trace = pastetrace.replay(live, "GET", "/v2.1/servers")
        names = sections(trace)
        assert names[:2] == ["composite:osapi_compute", "composite:openstack_compute_api_v21"]
        filters = [s.section.split(":", 1)[1] for s in trace.spans if s.kind == "filter"]
        assert filters == [
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
        assert names[-1] == "app:osapi_compute_app_v21"
        assert trace.spans[0].environ_changed["SCRIPT_NAME"] == ("", "/v2.1")
        assert all(s.standin for s in trace.spans if s.kind in ("filter", "app"))


# --------------------------------------------------------------------------- log records

LOGGING = """
[pipeline:main]
pipeline = chatty things

[filter:chatty]
paste.filter_factory = tests.test_replay:logging_filter_factory

[app:things]
paste.app_factory = tests.replay_apps:echo_app_factory
"""


def logging_filter_factory(global_conf: dict[str, str], **local: str):
    """A filter that logs why it lets a request through, as keystonemiddleware does."""
    import logging

    log = logging.getLogger("tests.chatty")

    def factory(app):
        def chatty(environ, start_response):
            log.debug("checking %s", environ["PATH_INFO"])
            log.warning("token rejected: %s", "expired")
            return app(environ, start_response)

        return chatty

    return factory


@pytest.fixture
def chatty(tmp_path: Path) -> Deployment:
    ini = tmp_path / "chatty.ini"
    ini.write_text(LOGGING)
    return Deployment(ini)


class TestLogRecords:
    def test_filter_logs_land_on_its_span(self, chatty: Deployment) -> None:
        """A record emitted inside a filter is on that filter's span, DEBUG included."""
        trace = pastetrace.replay(chatty, "GET", "/x")
        logs = trace.span("filter:chatty").logs
        assert [(log.level, log.logger, log.message) for log in logs] == [
            ("DEBUG", "tests.chatty", "checking /x"),
            ("WARNING", "tests.chatty", "token rejected: expired"),
        ]
        assert logs[0].file == __file__ and logs[0].line
        assert trace.span("app:things").logs == []

    def test_root_logger_is_left_as_it_was(self, chatty: Deployment) -> None:
        """No handler stays on the root logger and its level is restored."""
        import logging

        root = logging.getLogger()
        before = (list(root.handlers), root.level)
        root.setLevel(logging.ERROR)
        try:
            pastetrace.replay(chatty, "GET", "/x")
            assert (list(root.handlers), root.level) == (before[0], logging.ERROR)
        finally:
            root.setLevel(before[1])

    def test_other_handlers_see_what_they_saw_before(self, chatty: Deployment) -> None:
        """The replay's DEBUG level does not reach the root's other handlers."""
        import logging

        class Keep(logging.Handler):
            def __init__(self) -> None:
                super().__init__()
                self.records: list[logging.LogRecord] = []

            def emit(self, record: logging.LogRecord) -> None:
                self.records.append(record)

        root, keep = logging.getLogger(), Keep()
        saved = root.level
        root.addHandler(keep)
        root.setLevel(logging.INFO)
        try:
            pastetrace.replay(chatty, "GET", "/x")
        finally:
            root.removeHandler(keep)
            root.setLevel(saved)
        assert [r.levelname for r in keep.records if r.name == "tests.chatty"] == ["WARNING"]
        assert keep.filters == []

    def test_records_of_other_threads_are_not_kept(self, chatty: Deployment) -> None:
        """Only the replay's thread is recorded: a background thread's records stay out."""
        import logging
        import threading

        live = pastetrace.assemble(chatty)
        started, stop = threading.Event(), threading.Event()

        def noisy() -> None:
            started.set()
            while not stop.is_set():
                logging.getLogger("tests.background").warning("tick")
                stop.wait(0.001)

        worker = threading.Thread(target=noisy)
        worker.start()
        started.wait()
        try:
            trace = pastetrace.replay(live, "GET", "/x")
        finally:
            stop.set()
            worker.join()
        every = trace.logs + [log for span in trace.spans for log in span.logs]
        assert all(log.logger != "tests.background" for log in every)

    def test_nova_server_create_shows_the_scheduler_cast(self) -> None:
        """POST /servers on the nova example logs the rpc cast on the app that made it."""
        from rich.console import Console

        from pastetrace.render.trace_html import trace_to_html
        from pastetrace.render.trace_mermaid import trace_to_mermaid
        from pastetrace.render.trace_tree import TraceWaterfall

        upload = pastetrace.replay(
            "glance",
            "POST",
            "/v1/images",
            data=b"cirros disk",
            headers=[
                ("x-image-meta-name", "cirros"),
                ("x-image-meta-is-public", "True"),
                ("X-Auth-Token", "t"),
                ("X-Tenant-Id", "admin"),
                ("X-Roles", "admin"),
            ],
        )
        image_id = json.loads(upload.response.body)["image"]["id"]
        body = {"server": {"name": "vm1", "imageRef": image_id, "flavorRef": "1"}}
        trace = pastetrace.replay(
            "nova",
            "POST",
            "/v2/demo/servers",
            json=body,
            headers=[("X-Auth-Token", "demo:demo")],
            settings={"auth_strategy": "noauth"},
        )
        assert trace.response.status == "202 Accepted"
        cast = "cast to scheduler: run_instance"
        app = trace.span("app:osapi_compute_app_v2")
        assert [(log.level, log.logger) for log in app.logs if log.message == cast] == [
            ("INFO", "nova.rpc")
        ]
        console = Console(width=200, color_system=None, record=True)
        console.print(TraceWaterfall(trace))
        assert f"INFO nova.rpc: {cast}" in console.export_text()
        assert cast in trace_to_html(trace)
        assert "cast to scheduler#58; run_instance" in trace_to_mermaid(trace)
