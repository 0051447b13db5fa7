"""The live commands through the CLI: ``replay``, ``routes`` and ``resolve`` on the bundled
keystone example (picked when no config is given), their formats and their usage errors."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import routes
from rich.console import Console
from typer.testing import CliRunner, Result

from pastetrace import cli

DEMO_AUTH = '{"auth": {"passwordCredentials": {"username": "demo", "password": "secrete"}}}'
KEYSTONE_LAYERS = [
    "composite:main",
    "pipeline:public_api",
    "filter:token_auth",
    "filter:admin_token_auth",
    "filter:json_body",
    "filter:ec2_extension",
    "app:public_service",
]
BUNDLED_NOTE = "pastetrace: no config given: using the bundled keystone example"

# A mapper built here, for `routes --mapper` (no paste file needed).
MAPPER = routes.Mapper()
MAPPER.connect("/images", controller="images", action="index", conditions={"method": ["GET"]})
MAPPER.connect("/images", controller="images", action="create", conditions={"method": ["POST"]})
MAPPER.connect("/images/{id}", controller="images", action="show", conditions={"method": ["GET"]})


@pytest.fixture(autouse=True)
def nowhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder, no $PASTETRACE_CONFIG, and wide consoles without colour."""
    folder = tmp_path / "empty"
    folder.mkdir()
    monkeypatch.chdir(folder)
    monkeypatch.delenv("PASTETRACE_CONFIG", raising=False)
    monkeypatch.setattr(
        cli,
        "env",
        cli.Environment(
            Console(width=200, color_system=None),
            Console(stderr=True, width=200, color_system=None),
        ),
    )
    return folder


def invoke(*args: str) -> Result:
    return CliRunner().invoke(cli.app, list(args))


def usage_error(result: Result) -> str:
    """The one stderr line of a usage error (exit 2, nothing on stdout)."""
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


class TestReplayWithoutConfig:
    """``pastetrace replay`` works anywhere: no config means the bundled keystone."""

    def test_get_tokens(self) -> None:
        """GET /v2.0/tokens: the bundled-keystone note on stderr, the waterfall, exit 0."""
        result = invoke("replay", "GET", "/v2.0/tokens")
        assert result.exit_code == 0, result.output
        assert result.stderr.strip() == BUNDLED_NOTE
        out = result.stdout
        assert out.startswith("GET /v2.0/tokens")
        positions = [out.index(layer) for layer in KEYSTONE_LAYERS]
        assert positions == sorted(positions)  # named in call order
        # Only POST /tokens exists: the app answers 404 itself.
        assert "← 404 Not Found" in out

    def test_post_tokens_gets_a_token(self) -> None:
        """POST /v2.0/tokens with the demo credentials answers 200 and a token."""
        result = invoke("replay", "POST", "/v2.0/tokens", "--json", DEMO_AUTH)
        assert result.exit_code == 0, result.output
        assert "← 200 OK" in result.stdout
        assert "route" in result.stdout and "authenticate" in result.stdout

    def test_json(self) -> None:
        """--format json parses, with the trace schema, the spans and the token."""
        result = invoke("replay", "POST", "/v2.0/tokens", "--json", DEMO_AUTH, "-f", "json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["schema"] == "pastetrace.trace/1"
        assert data["request"]["method"] == "POST"
        assert data["response"]["status"] == "200 OK"
        assert json.loads(data["response"]["body"])["access"]["token"]["id"]
        assert [s["section"] for s in data["spans"]] == KEYSTONE_LAYERS
        app = data["spans"][-1]
        assert app["answered"] and app["route"]["action"] == "authenticate"

    def test_html_file_is_self_contained(self, nowhere: Path) -> None:
        """--format html -o FILE writes one page that loads nothing from elsewhere."""
        out = nowhere / "trace.html"
        result = invoke("replay", "GET", "/v2.0/tokens", "-f", "html", "-o", str(out))
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        page = out.read_text(encoding="utf-8")
        assert page.lower().startswith("<!doctype html>")
        assert page.rstrip().endswith("</html>")
        assert "app:public_service" in page
        assert not re.search(r"<(script|img|iframe)[^>]*\ssrc=", page, re.I)
        assert not re.search(r"<link[^>]*\shref=", page, re.I)
        assert "@import" not in page
        assert [p.name for p in nowhere.iterdir()] == ["trace.html"]  # no temp file left

    def test_mermaid(self) -> None:
        """--format mermaid prints a sequence diagram with the layers as participants."""
        result = invoke("replay", "GET", "/v2.0/tokens", "-f", "mermaid")
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("sequenceDiagram\n")
        assert "participant client" in result.stdout
        assert "public_service" in result.stdout


class TestReplayUsageErrors:
    """Bad replay arguments: one line on stderr, exit 2."""

    def test_bad_header(self) -> None:
        """-H without a colon is refused before anything is loaded."""
        line = usage_error(invoke("replay", "GET", "/v2.0/tokens", "-H", "bad"))
        assert line == "UsageError: bad header 'bad' (write it as 'Name: value')"

    def test_unknown_stub(self) -> None:
        """--stub with a name no filter has is refused."""
        result = invoke("replay", "GET", "/v2.0/tokens", "--stub", "nosuchfilter")
        assert result.exit_code == 2, result.output
        assert result.stdout == ""
        assert "UsageError: --stub nosuchfilter: no filter section named 'nosuchfilter'" in (
            result.stderr
        )

    def test_stub_typo_did_you_mean(self) -> None:
        """--stub with a near miss suggests the filter's name."""
        result = invoke("replay", "GET", "/v2.0/tokens", "--stub", "token_aut")
        assert result.exit_code == 2, result.output
        assert "(did you mean 'token_auth'?)" in result.stderr

    @pytest.mark.parametrize(
        ("option", "value"),
        [("--select", "foo"), ("--select", "=key"), ("--set", "novalue"), ("--set", "=x")],
    )
    def test_pairs(self, option: str, value: str) -> None:
        """--select and --set take KEY=VALUE; anything else is one line, exit 2."""
        line = usage_error(invoke("replay", "GET", "/v2.0/tokens", option, value))
        assert line == f"UsageError: {option} takes KEY=VALUE, not {value!r}"

    def test_select_unknown_composite(self) -> None:
        """--select naming no composite is refused."""
        result = invoke("replay", "GET", "/v2.0/tokens", "--select", "nosuch=key")
        assert result.exit_code == 2, result.output
        assert "no composite section named 'nosuch'" in result.stderr

    def test_bad_json_body(self) -> None:
        """--json that is not JSON is one line, exit 2."""
        result = invoke("replay", "POST", "/v2.0/tokens", "--json", "{nope")
        assert result.exit_code == 2, result.output
        assert "UsageError: --json is not valid JSON" in result.stderr


class TestRoutes:
    """``pastetrace routes`` on the bundled keystone and on a hand-built mapper."""

    def test_table(self) -> None:
        """The public app's table lists POST /tokens → authenticate."""
        result = invoke("routes")
        assert result.exit_code == 0, result.output
        assert result.stderr.strip() == BUNDLED_NOTE
        assert "[app:public_service]" in result.stdout
        row = next(line for line in result.stdout.splitlines() if "/tokens" in line)
        assert "POST" in row and "authenticate" in row

    def test_glob_and_method(self) -> None:
        """--glob and --method keep the matching routes only, and say so for the others."""
        result = invoke("routes", "--glob", "/tok*", "--method", "POST")
        assert result.exit_code == 0, result.output
        rows = [line for line in result.stdout.splitlines() if line.startswith("│")]
        assert len(rows) == 1 and "/tokens" in rows[0] and "authenticate" in rows[0]
        assert "/tenants" not in result.stdout
        assert "[filter:ec2_extension]: no route matches" in result.stdout
        get_only = invoke("routes", "--glob", "/tok*", "--method", "GET", "--format", "json")
        assert all(not app["routes"] for app in json.loads(get_only.stdout)["apps"])

    def test_app(self) -> None:
        """--app keeps one section's routes."""
        result = invoke("routes", "--app", "public_service", "--format", "json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert [app["section"] for app in data["apps"]] == ["app:public_service"]

    def test_json(self) -> None:
        """--format json has the routes schema, the config, the entry and each app's routes."""
        result = invoke("routes", "--format", "json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["schema"] == "pastetrace.routes/1"
        assert data["entry"] == "main"
        assert data["config"].endswith("keystone-paste.ini")
        public = next(a for a in data["apps"] if a["section"] == "app:public_service")
        assert {"path": "/tokens", "methods": ["POST"], "action": "authenticate"}.items() <= (
            next(r for r in public["routes"] if r["path"] == "/tokens").items()
        )

    def test_mapper(self) -> None:
        """--mapper module:attr lists a Mapper built in Python, no paste file needed."""
        result = invoke("routes", "--mapper", f"{__name__}:MAPPER", "--format", "json")
        assert result.exit_code == 0, result.output
        assert result.stderr == ""  # no config looked for
        data = json.loads(result.stdout)
        assert data["schema"] == "pastetrace.routes/1"
        assert [(r["path"], r["methods"], r["action"]) for r in data["routes"]] == [
            ("/images", ["GET"], "index"),
            ("/images", ["POST"], "create"),
            ("/images/{id}", ["GET"], "show"),
        ]
        table = invoke("routes", "--mapper", f"{__name__}:MAPPER", "--method", "POST")
        assert table.exit_code == 0, table.output
        assert "create" in table.stdout and "show" not in table.stdout

    def test_nothing_real_names_the_standins(self, corpus: Path) -> None:
        """On a corpus file whose project is not installed, each app says it is a stand-in
        and why."""
        path = corpus / "keystone" / "queens-13.0.0-keystone-paste.ini"
        result = invoke("routes", str(path))
        assert result.exit_code == 0, result.output
        lines = result.stdout.splitlines()
        for app in ("public_service", "service_v3", "public_version_service"):
            expected = f"[app:{app}]: egg:keystone#{app}: distribution 'keystone' is not installed"
            assert expected in lines
        data = json.loads(invoke("routes", str(path), "--format", "json").stdout)
        assert data["apps"] and all(app["standin"] and app["reason"] for app in data["apps"])

    def test_mapper_not_found(self) -> None:
        """--mapper naming nothing importable is one line, exit 2."""
        result = invoke("routes", "--mapper", "no_such_module_here:MAPPER")
        assert result.exit_code == 2, result.output
        assert len(result.stderr.splitlines()) == 1


SETUP_CALLS: list[str] = []


def record_setup(live: object) -> None:
    """A --setup hook: called with the app being assembled, before any factory runs."""
    SETUP_CALLS.append(type(live).__name__)


class TestResolve:
    """``pastetrace resolve`` explains where a request goes without running it."""

    def test_hand_built_mapper(self) -> None:
        """--mapper resolves against a Mapper built in Python, with the near misses."""
        ok = invoke("resolve", "GET", "/images/7", "--mapper", f"{__name__}:MAPPER", "--json")
        assert ok.exit_code == 0, ok.output
        data = json.loads(ok.stdout)
        assert (data["action"], data["params"]) == ("show", {"id": "7"})
        miss = invoke("resolve", "DELETE", "/images", "--mapper", f"{__name__}:MAPPER")
        assert miss.exit_code == 0, miss.output
        assert "DELETE is not allowed here (allowed: GET, POST)" in miss.stdout

    def test_setup_hook_runs_before_creation(self) -> None:
        """--setup module:function prepares the process; its failure is one line, exit 2."""
        SETUP_CALLS.clear()
        result = invoke("resolve", "GET", "/v2.0/tokens", "--setup", f"{__name__}:record_setup")
        assert result.exit_code == 0, result.output
        assert SETUP_CALLS == ["LiveApp"]
        bad = invoke("resolve", "GET", "/", "-c", "keystone", "--setup", f"{__name__}:nope")
        assert bad.exit_code == 2
        assert len(usage_error(bad).splitlines()) == 1

    def test_wrong_method_is_explained(self) -> None:
        """GET /v2.0/tokens: the layers, then 'allowed: POST' from the app's routes."""
        result = invoke("resolve", "GET", "/v2.0/tokens")
        assert result.exit_code == 0, result.output
        out = result.stdout
        assert out.startswith("GET /v2.0/tokens")
        assert "[composite:main] '/v2.0'" in out
        assert "SCRIPT_NAME='/v2.0' PATH_INFO='/tokens'" in out
        assert "GET is not allowed here (allowed: POST)" in out
        assert "404 from [app:public_service]" in out

    def test_json(self) -> None:
        """--json has the resolve schema, the steps and the explained miss."""
        result = invoke("resolve", "GET", "/v2.0/tokens", "--json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert data["schema"] == "pastetrace.resolve/1"
        assert data["ok"] is False
        assert [s["section"] for s in data["steps"]] == KEYSTONE_LAYERS
        assert data["app"] == "app:public_service"
        assert data["route"]["allowed"] == ["POST"]
        assert data["route"]["near_misses"][0]["kind"] == "method"

    def test_usage_errors(self) -> None:
        """A bad -H or --select is one line, exit 2, before any config is looked for."""
        line = usage_error(invoke("resolve", "GET", "/v2.0/tokens", "-H", "X-Bad"))
        assert line.startswith("UsageError: bad header 'X-Bad'")
        line = usage_error(invoke("resolve", "GET", "/v2.0/tokens", "--select", "main"))
        assert line == "UsageError: --select takes KEY=VALUE, not 'main'"

    def test_match(self) -> None:
        """POST /v2.0/tokens resolves to the authenticate route."""
        result = invoke("resolve", "POST", "/v2.0/tokens", "--json")
        data = json.loads(result.stdout)
        assert data["ok"] is True
        assert data["route"]["action"] == "authenticate"
        assert data["route"]["route"]["path"] == "/tokens"
