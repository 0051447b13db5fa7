"""Tracing running deployments: ``pastetrace.loadapp``, the paste filter, ``pastetrace show``."""

from __future__ import annotations

import json
import logging
import re
from importlib.metadata import entry_points
from pathlib import Path
from wsgiref.validate import validator

import pytest
from paste.deploy import loadapp as paste_loadapp
from pastetrace_examples import config_path
from typer.testing import CliRunner
from webob import Request

import pastetrace
from pastetrace import live as live_module
from pastetrace.cli import app as cli_app
from pastetrace.errors import ConfigError, PastetraceError, UsageError
from pastetrace.live import TRACE_ID_HEADER, TracingRoot, filter_factory, loadapp, read_trace
from tests import live_apps

KEYSTONE = "config:" + str(config_path("keystone"))
DEMO_AUTH = {"auth": {"passwordCredentials": {"username": "demo", "password": "secrete"}}}
FILE_NAME = re.compile(r"^\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{8}\.json$")

SMALL = """
[DEFAULT]
greeting = hello

[pipeline:main]
pipeline = tag stream

[pipeline:filtered]
pipeline = {filter} tag stream

[pipeline:routed]
pipeline = {filter} things

[filter:tag]
paste.filter_factory = tests.live_apps:tag_filter_factory

[filter:pastetrace]
use = call:pastetrace.live:filter_factory
trace_dir = {trace_dir}

[app:stream]
paste.app_factory = tests.live_apps:stream_app_factory

[app:conf]
paste.app_factory = tests.live_apps:conf_app_factory
colour = blue

[app:things]
paste.app_factory = tests.replay_apps:router_factory
marker_dir = {trace_dir}

[app:broken]
paste.app_factory = tests.live_apps:broken_app_factory

[pipeline:half_broken]
pipeline = tag missing_filter broken
"""


def small_file(tmp_path: Path, trace_dir: Path, filter_name: str = "pastetrace") -> Path:
    ini = tmp_path / "small.ini"
    ini.write_text(SMALL.format(trace_dir=trace_dir, filter=filter_name))
    return ini


def call(app, path: str = "/", method: str = "GET", *, strict: bool = False, **kwargs):
    """Send one request through ``app`` as a server would, reading and closing the body.

    ``strict`` checks the WSGI protocol with ``wsgiref.validate`` (not for the keystone
    example, whose WebOb requests seek in ``wsgi.input``, which the validator forbids).
    """
    app = validator(app) if strict else app
    response = Request.blank(path, method=method, **kwargs).get_response(app)
    response.body  # noqa: B018  # reading the body closes it, as a server does
    return response


def files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


@pytest.fixture
def trace_dir(tmp_path: Path) -> Path:
    return tmp_path / "traces"


@pytest.fixture
def keystone(trace_dir: Path) -> TracingRoot:
    return loadapp(KEYSTONE, trace_dir=trace_dir)


class TestLoadapp:
    """``pastetrace.loadapp`` serves what ``paste.deploy.loadapp`` serves, traced on request."""

    def test_exported_from_package(self) -> None:
        """``pastetrace.loadapp`` is the live module's function."""
        assert pastetrace.loadapp is loadapp

    def test_untraced_requests_are_unchanged(self, keystone: TracingRoot, trace_dir: Path) -> None:
        """Without the header the answer equals plain PasteDeploy's, and no file is written."""
        bare = paste_loadapp(KEYSTONE)
        for path, method, kwargs in [
            ("/", "GET", {}),
            ("/v2.0/", "GET", {}),
            ("/v2.0/tenants", "GET", {"headers": {"X-Auth-Token": "nope"}}),
        ]:
            ours, theirs = (
                call(keystone, path, method, **kwargs),
                call(bare, path, method, **kwargs),
            )
            assert (ours.status, ours.headerlist, ours.body) == (
                theirs.status,
                theirs.headerlist,
                theirs.body,
            )
        token = call(keystone, "/v2.0/tokens", "POST", json=DEMO_AUTH)
        assert token.status == "200 OK" and TRACE_ID_HEADER not in token.headers
        assert files(trace_dir) == []

    def test_header_writes_one_trace_like_replay(
        self, keystone: TracingRoot, trace_dir: Path
    ) -> None:
        """``X-Pastetrace: 1`` writes one JSON file whose spans are a replay's sections."""
        response = call(
            keystone, "/v2.0/tokens", "POST", json=DEMO_AUTH, headers={"X-Pastetrace": "1"}
        )
        assert response.status == "200 OK"
        (written,) = files(trace_dir)
        assert FILE_NAME.match(written.name)
        assert response.headers[TRACE_ID_HEADER] == written.name
        data = json.loads(written.read_text())
        assert data["schema"] == "pastetrace.trace/1"
        replayed = pastetrace.replay("keystone", "POST", "/v2.0/tokens", json=DEMO_AUTH)
        assert [s["section"] for s in data["spans"]] == [s.section for s in replayed.spans]
        assert [s["parent"] for s in data["spans"]] == [s.parent for s in replayed.spans]
        assert data["spans"][-1]["route"]["path"] == "/tokens"
        assert data["response"]["status"] == "200 OK"
        assert data["response"]["body_length"] == len(response.body)
        assert data["notes"][-1].endswith("(header)")

    @pytest.mark.parametrize("value", ["0", "no", "off", ""], ids=lambda v: repr(v))
    def test_header_turned_off(self, keystone: TracingRoot, trace_dir: Path, value: str) -> None:
        """A header value of 0, no, off or nothing asks for no trace."""
        call(keystone, "/", headers={"X-Pastetrace": value})
        assert files(trace_dir) == []

    def test_header_none_ignores_the_header(self, trace_dir: Path) -> None:
        """With ``header=None`` only sampling decides, so a client cannot ask for traces."""
        app = loadapp(KEYSTONE, trace_dir=trace_dir, header=None)
        call(app, "/", headers={"X-Pastetrace": "1"})
        assert files(trace_dir) == []

    def test_custom_header(self, trace_dir: Path) -> None:
        """Another header name can be the trigger."""
        app = loadapp(KEYSTONE, trace_dir=trace_dir, header="X-Debug-Trace")
        call(app, "/", headers={"X-Debug-Trace": "yes"})
        assert len(files(trace_dir)) == 1

    def test_sample_all(self, trace_dir: Path) -> None:
        """``sample=1.0`` traces every request, each into its own file."""
        app = loadapp(KEYSTONE, trace_dir=trace_dir, sample=1.0)
        for _ in range(3):
            call(app, "/")
        written = files(trace_dir)
        assert len(written) == 3 and len({p.name for p in written}) == 3
        assert json.loads(written[0].read_text())["notes"][-1].endswith("(sampled)")

    def test_sample_none(self, trace_dir: Path) -> None:
        """``sample=0.0`` traces nothing without the header."""
        app = loadapp(KEYSTONE, trace_dir=trace_dir, sample=0.0)
        for _ in range(3):
            call(app, "/")
        assert files(trace_dir) == []

    def test_sample_share(self, trace_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A request is traced when the random draw falls under the sampling rate."""
        draws = iter([0.05, 0.5, 0.09])
        monkeypatch.setattr(live_module.random, "random", lambda: next(draws))
        app = loadapp(KEYSTONE, trace_dir=trace_dir, sample=0.1)
        for _ in range(3):
            call(app, "/")
        assert len(files(trace_dir)) == 2

    @pytest.mark.parametrize("sample", [-0.1, 1.5])
    def test_bad_sample(self, sample: float) -> None:
        """A sampling rate outside 0..1 is refused."""
        with pytest.raises(UsageError, match="from 0.0 to 1.0"):
            loadapp(KEYSTONE, sample=sample)

    def test_default_trace_dir(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        """Traces go to ``pastetrace-traces`` in the temp folder by default."""
        monkeypatch.setattr(live_module.tempfile, "gettempdir", lambda: str(tmp_path))
        call(loadapp(KEYSTONE), "/", headers={"X-Pastetrace": "1"})
        assert len(files(tmp_path / "pastetrace-traces")) == 1

    def test_already_traced_request_is_not_traced_again(
        self, keystone: TracingRoot, trace_dir: Path
    ) -> None:
        """A replay through the loaded app records its spans once and writes no file."""
        trace = pastetrace.replay(keystone.live, "GET", "/", headers=[("X-Pastetrace", "1")])
        assert trace.spans[0].section == "composite:main"
        request = Request.blank("/", headers={"X-Pastetrace": "1"})
        recorder = pastetrace.trace.Recorder.start(request.environ)
        request.get_response(keystone).body  # noqa: B018
        assert [s.section for s in recorder.trace().spans][:2] == [
            "composite:main",
            "pipeline:public_version_api",
        ]
        assert files(trace_dir) == []


class TestLoadappArguments:
    """URIs, names, ``relative_to`` and ``global_conf`` work as in PasteDeploy."""

    def test_name_and_fragment(self, tmp_path: Path, trace_dir: Path) -> None:
        """``name=`` and ``#name`` pick the same entry."""
        ini = small_file(tmp_path, trace_dir)
        by_name = call(loadapp(f"config:{ini}", "conf", trace_dir=trace_dir), strict=True)
        by_fragment = call(loadapp(f"config:{ini}#conf", trace_dir=trace_dir), strict=True)
        assert by_name.json == by_fragment.json
        assert by_name.json["local"] == {"colour": "blue"}

    def test_relative_to(self, tmp_path: Path, trace_dir: Path) -> None:
        """A relative path is read from ``relative_to``."""
        small_file(tmp_path, trace_dir)
        response = call(
            loadapp("config:small.ini", relative_to=str(tmp_path), trace_dir=trace_dir), strict=True
        )
        assert response.body == b"hello 0\nhello 1\nhello 2\n"
        assert response.headers["X-Tag"] == "tagged"

    def test_global_conf_as_paste_deploy(self, tmp_path: Path, trace_dir: Path) -> None:
        """``global_conf`` reaches the factories exactly as PasteDeploy passes it."""
        ini = small_file(tmp_path, trace_dir)
        conf = {"greeting": "bonjour", "extra": "1"}
        ours = call(
            loadapp(f"config:{ini}", "conf", global_conf=conf, trace_dir=trace_dir), strict=True
        )
        theirs = call(paste_loadapp(f"config:{ini}", "conf", global_conf=conf), strict=True)
        assert ours.json == theirs.json
        assert ours.json["global"]["greeting"] == "bonjour"

    def test_not_a_config_uri(self) -> None:
        """Only ``config:`` URIs can be traced; the error shows how to write one."""
        with pytest.raises(UsageError, match="only config: URIs"):
            loadapp("egg:pastetrace#main")
        with pytest.raises(UsageError, match="config:keystone.ini"):
            loadapp("keystone.ini")

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing paste file is a ConfigError naming the path."""
        with pytest.raises(ConfigError, match="no paste file at"):
            loadapp("config:nowhere.ini", relative_to=str(tmp_path))


class TestFailingFactories:
    """A production server must not silently serve stand-ins."""

    def test_failure_is_loud(self, tmp_path: Path, trace_dir: Path) -> None:
        """Every failed factory is listed, as PasteDeploy also refuses to load the app."""
        ini = small_file(tmp_path, trace_dir)
        with pytest.raises(ConfigError) as raised:
            loadapp(f"config:{ini}", "half_broken")
        message = str(raised.value)
        assert message.startswith(f"{ini}: 2 factories failed: ")
        assert "[filter:missing_filter]" in message
        assert "[app:broken] create: RuntimeError: cannot reach the database" in message
        assert "standins=True" in message
        with pytest.raises(LookupError):
            paste_loadapp(f"config:{ini}", "half_broken")

    def test_standins_on_request(self, tmp_path: Path, trace_dir: Path) -> None:
        """``standins=True`` serves pastetrace's stand-ins and says so in the trace."""
        ini = small_file(tmp_path, trace_dir)
        app = loadapp(f"config:{ini}", "half_broken", standins=True, trace_dir=trace_dir)
        response = call(app, headers={"X-Pastetrace": "1"}, strict=True)
        assert "app:broken" in response.text
        spans = json.loads(files(trace_dir)[0].read_text())["spans"]
        assert [s["section"] for s in spans if s["standin"]] == [
            "filter:missing_filter",
            "app:broken",
        ]


class TestTraceFiles:
    """One file per traced request, written whole after the body is closed, never raising."""

    def test_written_when_the_body_is_closed(self, tmp_path: Path, trace_dir: Path) -> None:
        """Nothing is written while the body streams; the file appears on ``close()``."""
        app = loadapp(f"config:{small_file(tmp_path, trace_dir)}", trace_dir=trace_dir)
        environ = Request.blank("/", headers={"X-Pastetrace": "1"}).environ
        seen: list[str] = []
        body = app(environ, lambda status, headers, exc_info=None: seen.append(status))
        chunks = list(body)
        assert files(trace_dir) == [] and seen == ["200 OK"]
        live_apps.CLOSED.clear()
        body.close()  # type: ignore[attr-defined]
        assert live_apps.CLOSED == ["stream"]
        (written,) = files(trace_dir)
        data = json.loads(written.read_text())
        assert data["response"]["body"] == b"".join(chunks).decode()
        assert [s["section"] for s in data["spans"]] == [
            "pipeline:main",
            "filter:tag",
            "app:stream",
        ]
        assert data["spans"][1]["headers_added"] == {"X-Tag": "tagged"}

    def test_failed_write_leaves_nothing(
        self,
        tmp_path: Path,
        trace_dir: Path,
        monkeypatch: pytest.MonkeyPatch,
        caplog: pytest.LogCaptureFixture,
    ) -> None:
        """A write that fails before the rename leaves no file, no temp file, a served request."""

        def full_disk(src: str, dst: object) -> None:
            assert Path(src).read_text().startswith('{"schema":"pastetrace.trace/1"')
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(live_module.os, "replace", full_disk)
        app = loadapp(f"config:{small_file(tmp_path, trace_dir)}", trace_dir=trace_dir)
        with caplog.at_level(logging.ERROR, logger="pastetrace.live"):
            response = call(app, headers={"X-Pastetrace": "1"}, strict=True)
        assert response.status == "200 OK"
        assert list(trace_dir.iterdir()) == []
        assert "cannot write the trace" in caplog.text

    def test_unwritable_folder(self, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
        """A trace folder that cannot be made is logged; the request is served."""
        blocker = tmp_path / "a-file"
        blocker.write_text("")
        app = loadapp(KEYSTONE, trace_dir=blocker / "traces")
        with caplog.at_level(logging.ERROR, logger="pastetrace.live"):
            assert call(app, headers={"X-Pastetrace": "1"}, strict=True).status.startswith("300")
        assert "cannot write the trace" in caplog.text

    def test_escaping_exception_is_recorded(self, tmp_path: Path, trace_dir: Path) -> None:
        """An exception out of the app reaches the server, and the trace is still written."""
        ini = tmp_path / "boom.ini"
        ini.write_text("[app:main]\npaste.app_factory = tests.replay_apps:boom_app_factory\n")
        app = loadapp(f"config:{ini}", trace_dir=trace_dir)
        with pytest.raises(RuntimeError, match="fell over"):
            app(Request.blank("/", headers={"X-Pastetrace": "1"}).environ, lambda *a: None)
        data = json.loads(files(trace_dir)[0].read_text())
        assert data["spans"][0]["exception"]["type"] == "RuntimeError"
        assert data["notes"][-1] == (
            "the exception escaped every layer: RuntimeError: the app fell over"
        )

    def test_read_back(self, keystone: TracingRoot, trace_dir: Path) -> None:
        """A written file reads back into the same trace."""
        call(keystone, "/v2.0/tokens", "POST", json=DEMO_AUTH, headers={"X-Pastetrace": "1"})
        (written,) = files(trace_dir)
        trace = read_trace(written)
        assert trace.to_dict() == json.loads(written.read_text())


class TestPasteFilter:
    """``[filter:pastetrace]`` for sites that can only edit the paste file."""

    def test_filter_records_itself_and_the_route_below(
        self, tmp_path: Path, trace_dir: Path
    ) -> None:
        """Loaded by PasteDeploy, the filter writes its span, the app's, and the route."""
        app = paste_loadapp(f"config:{small_file(tmp_path, trace_dir)}", "routed")
        assert call(app, "/things", strict=True).json == {"things": []}
        assert files(trace_dir) == []
        call(app, "/things", headers={"X-Pastetrace": "1"}, strict=True)
        spans = json.loads(files(trace_dir)[0].read_text())["spans"]
        assert [(s["section"], s["parent"]) for s in spans] == [
            ("filter:pastetrace", None),
            ("routes.middleware.RoutesMiddleware", 0),
        ]
        assert spans[1]["route"]["path"] == "/things"
        assert spans[1]["route"]["action"] == "index"

    @pytest.mark.skipif(
        not entry_points(group="paste.filter_factory", name="trace"),
        reason="no paste.filter_factory entry point 'trace': add it to pyproject.toml, "
        "then pip install -e .",
    )
    def test_egg_entry_point(self, tmp_path: Path, trace_dir: Path) -> None:
        """``use = egg:pastetrace#trace`` finds the filter through the installed entry point."""
        ini = tmp_path / "egg.ini"
        ini.write_text(
            "[pipeline:main]\npipeline = pastetrace conf\n\n"
            f"[filter:pastetrace]\nuse = egg:pastetrace#trace\ntrace_dir = {trace_dir}\n\n"
            "[app:conf]\npaste.app_factory = tests.live_apps:conf_app_factory\n"
        )
        app = paste_loadapp(f"config:{ini}")
        call(app, headers={"X-Pastetrace": "1"}, strict=True)
        spans = json.loads(files(trace_dir)[0].read_text())["spans"]
        assert [s["section"] for s in spans][0] == "filter:pastetrace"

    def test_filter_options(self, tmp_path: Path, trace_dir: Path) -> None:
        """``sample``, ``header`` (empty: sampling only) come from the section."""
        make = filter_factory({}, trace_dir=str(trace_dir), sample="1", header="")
        app = make(live_apps.conf_app_factory({}))
        call(app, strict=True)
        assert len(files(trace_dir)) == 1

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            pytest.param({"colour": "red"}, "unknown option 'colour'", id="unknown"),
            pytest.param({"sample": "often"}, "give a number", id="not-a-number"),
            pytest.param({"sample": "2"}, "from 0.0 to 1.0", id="out-of-range"),
        ],
    )
    def test_bad_options(self, options: dict[str, str], message: str) -> None:
        """Bad options fail when the paste file is loaded, saying what is wrong."""
        with pytest.raises(UsageError, match=message):
            filter_factory({}, **options)

    def test_steps_aside_inside_loadapp(self, tmp_path: Path, trace_dir: Path) -> None:
        """Through ``pastetrace.loadapp`` the filter is one layer among the others."""
        ini = small_file(tmp_path, trace_dir)
        app = loadapp(f"config:{ini}", "filtered", trace_dir=trace_dir)
        call(app, headers={"X-Pastetrace": "1"}, strict=True)
        (written,) = files(trace_dir)  # the filter wrote nothing of its own
        sections = [s["section"] for s in json.loads(written.read_text())["spans"]]
        assert sections == ["pipeline:filtered", "filter:pastetrace", "filter:tag", "app:stream"]


@pytest.fixture
def saved(keystone: TracingRoot, trace_dir: Path) -> Path:
    call(keystone, "/v2.0/tokens", "POST", json=DEMO_AUTH, headers={"X-Pastetrace": "1"})
    return files(trace_dir)[0]


class TestShowCommand:
    """``pastetrace show FILE`` renders a saved trace as ``replay`` does."""

    @pytest.mark.parametrize("fmt", ["tree", "json", "mermaid", "dot", "html"])
    def test_formats(self, saved: Path, fmt: str) -> None:
        """Each format prints what ``render_trace`` makes of the file."""
        result = CliRunner().invoke(cli_app, ["show", str(saved), "--format", fmt])
        assert result.exit_code == 0, result.output
        if fmt == "tree":
            assert "app:public_service" in result.stdout
            return
        expected = pastetrace.render_trace(read_trace(saved), fmt)
        assert isinstance(expected, str)
        assert result.stdout.rstrip("\n") == expected.rstrip("\n")

    @pytest.mark.dot
    def test_svg(self, saved: Path, tmp_path: Path) -> None:
        """``--format svg -o`` writes Graphviz's SVG."""
        out = tmp_path / "trace.svg"
        result = CliRunner().invoke(cli_app, ["show", str(saved), "-f", "svg", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert "<svg" in out.read_text()

    def test_replay_json_file(self, tmp_path: Path) -> None:
        """A file written by ``replay --format json`` shows too."""
        out = tmp_path / "replay.json"
        runner = CliRunner()
        made = runner.invoke(
            cli_app, ["replay", "GET", "/", "-c", "keystone", "-f", "json", "-o", str(out)]
        )
        assert made.exit_code == 0, made.output
        result = runner.invoke(cli_app, ["show", str(out), "-f", "json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == json.loads(out.read_text())

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            pytest.param('{"schema": "pastetrace.trace/1", "spa', "not valid JSON", id="cut"),
            pytest.param('{"schema": "pastetrace.graph/1"}', "not a pastetrace trace", id="graph"),
            pytest.param('{"schema": "pastetrace.trace/1"}', "malformed", id="no-spans"),
            pytest.param(b"\xff\xfe\x00", "not a text file", id="binary"),
        ],
    )
    def test_bad_file(self, tmp_path: Path, content: str | bytes, message: str) -> None:
        """A file that is not a trace: one line on stderr naming it, exit 2."""
        bad = tmp_path / "bad.json"
        if isinstance(content, bytes):
            bad.write_bytes(content)
        else:
            bad.write_text(content)
        result = CliRunner().invoke(cli_app, ["show", str(bad)])
        assert result.exit_code == 2
        assert result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith("PastetraceError: ") and str(bad) in line and message in line

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing file: one line, exit 2."""
        result = CliRunner().invoke(cli_app, ["show", str(tmp_path / "nope.json")])
        assert result.exit_code == 2
        assert "cannot read" in result.stderr and len(result.stderr.splitlines()) == 1

    def test_read_trace_errors(self, tmp_path: Path) -> None:
        """``read_trace`` raises PastetraceError for the CLI to print."""
        with pytest.raises(PastetraceError, match="cannot read"):
            read_trace(tmp_path / "nope.json")
