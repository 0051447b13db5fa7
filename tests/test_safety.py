"""Safety (design.md), proved through the CLI: static commands import nothing the file names,
unsafe methods do not run actions without --execute, and replays open no network connection."""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from pastetrace import cli
from pastetrace.cli import app

POISON = Path(__file__).parent / "data" / "poison.ini"


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wide consoles without colour."""
    monkeypatch.setattr(
        cli,
        "env",
        cli.Environment(
            Console(width=300, color_system=None),
            Console(stderr=True, width=300, color_system=None),
        ),
    )


@pytest.fixture
def marker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where the poison module writes if anything imports it."""
    path = tmp_path / "poisoned"
    monkeypatch.setenv("PASTETRACE_POISON_MARKER", str(path))
    return path


def assert_not_poisoned(marker: Path) -> None:
    assert not marker.exists(), "a static command imported the poison module"
    assert "tests.poison_pkg.poison" not in sys.modules and "poison" not in sys.modules


class TestStaticImportsNothing:
    """graph (every format) and lint never import the factories a file names."""

    @pytest.mark.parametrize("fmt", ["tree", "dot", "mermaid", "json", "html"])
    def test_graph(self, fmt: str, marker: Path, tmp_path: Path) -> None:
        """graph of the poison file in each text format imports nothing."""
        result = CliRunner().invoke(
            app, ["graph", str(POISON), "-f", fmt, "-o", str(tmp_path / "out")]
        )
        assert result.exit_code == 0, result.output
        assert_not_poisoned(marker)

    @pytest.mark.dot
    @pytest.mark.parametrize("fmt", ["svg", "png"])
    def test_graph_images(self, fmt: str, marker: Path, tmp_path: Path) -> None:
        """svg and png (through Graphviz) import nothing either."""
        result = CliRunner().invoke(
            app, ["graph", str(POISON), "-f", fmt, "-o", str(tmp_path / "out")]
        )
        assert result.exit_code == 0, result.output
        assert_not_poisoned(marker)

    def test_lint(self, marker: Path) -> None:
        """lint of the poison file imports nothing."""
        result = CliRunner().invoke(app, ["lint", str(POISON)])
        assert result.exit_code in (0, 1), result.output
        assert_not_poisoned(marker)


GUARDED = """\
[pipeline:main]
pipeline = addheader things

[filter:addheader]
paste.filter_factory = tests.replay_apps:header_filter_factory

[app:things]
paste.app_factory = tests.replay_apps:router_factory
marker_dir = {marker_dir}
"""


class TestUnsafeMethods:
    """A DELETE replay runs the controller action only with --execute."""

    @pytest.fixture
    def guarded(self, tmp_path: Path) -> tuple[Path, Path]:
        markers = tmp_path / "markers"
        markers.mkdir()
        ini = tmp_path / "guarded.ini"
        ini.write_text(GUARDED.format(marker_dir=markers), encoding="utf-8")
        return ini, markers

    def test_delete_without_execute(self, guarded: tuple[Path, Path]) -> None:
        """Without --execute the trace stops at the matched route and the action does not run."""
        ini, markers = guarded
        result = CliRunner().invoke(app, ["replay", "DELETE", "/things/42", "-c", str(ini)])
        assert result.exit_code == 0, result.output
        assert list(markers.iterdir()) == []
        assert "202 Not Executed" in result.stdout

    def test_delete_with_execute(self, guarded: tuple[Path, Path]) -> None:
        """With --execute the action runs and leaves its marker."""
        ini, markers = guarded
        args = ["replay", "DELETE", "/things/42", "-c", str(ini), "--execute"]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert [p.name for p in markers.iterdir()] == ["deleted-42"]


EXAMPLES = [
    pytest.param(
        ["POST", "/v2.0/tokens", "-c", "keystone", "--json", json.dumps(
            {"auth": {"passwordCredentials": {"username": "demo", "password": "secrete"}}}
        )],
        "200 OK",
        id="keystone-token",
    ),
    pytest.param(
        ["POST", "/v1/images", "-c", "glance", "-H", "x-image-meta-name: cirros",
         "-H", "X-Auth-Token: t", "-H", "X-Tenant-Id: demo", "-H", "X-Roles: admin",
         "-d", "image bytes", "--execute"],
        "201 Created",
        id="glance-image-create",
    ),
    pytest.param(
        ["POST", "/v2/demo/servers", "-c", "nova", "-H", "X-Auth-Token: demo:demo", "--json",
         json.dumps({"server": {"name": "vm1", "imageRef": "cirros", "flavorRef": "1"}}),
         "--execute"],
        None,
        id="nova-server-create",
    ),
]  # fmt: skip


class TestNoNetwork:
    """Replays of the bundled examples answer without opening a single connection."""

    @pytest.fixture
    def no_network(self, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
        """Every way to connect records the attempt and fails."""
        attempts: list[Any] = []

        def refuse(*args: Any, **kwargs: Any) -> Any:
            attempts.append(args)
            raise OSError("pastetrace tests: no network")

        monkeypatch.setattr(socket.socket, "connect", refuse)
        monkeypatch.setattr(socket.socket, "connect_ex", refuse)
        monkeypatch.setattr(socket, "create_connection", refuse)
        return attempts

    @pytest.mark.parametrize(("args", "status"), EXAMPLES)
    def test_example_answers(
        self, args: list[str], status: str | None, no_network: list[Any]
    ) -> None:
        """The replay answers (with the expected status) and nothing tried to connect."""
        result = CliRunner().invoke(app, ["replay", *args, "-f", "json"])
        assert result.exit_code == 0, result.output
        response = json.loads(result.stdout)["response"]
        assert response["status"] is not None
        if status is not None:
            assert response["status"] == status
        assert no_network == []
