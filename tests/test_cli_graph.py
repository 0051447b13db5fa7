"""``pastetrace graph``: formats, -o, and one-line errors with exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pastetrace.cli import app

DATA = Path(__file__).parent / "data"
SMALL = str(DATA / "graph_small.ini")


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


class TestGraphCommand:
    """The graph command prints one thing or writes it to -o."""

    def test_tree_by_default(self, runner: CliRunner) -> None:
        """Without --format the tree is printed."""
        result = runner.invoke(app, ["graph", SMALL])
        assert result.exit_code == 0, result.output
        assert "/v1 → pipeline:api" in result.stdout
        assert "2. filter:gzip" in result.stdout

    def test_json_parses(self, runner: CliRunner) -> None:
        """--format json prints node-link JSON with the schema."""
        result = runner.invoke(app, ["graph", SMALL, "--format", "json"])
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["schema"] == "pastetrace.graph/1"

    def test_name(self, runner: CliRunner) -> None:
        """--name picks one entry."""
        result = runner.invoke(app, ["graph", SMALL, "--name", "api", "-f", "json"])
        assert json.loads(result.stdout)["graph"]["entries"] == ["pipeline:api"]

    def test_output_file(self, runner: CliRunner, tmp_path: Path) -> None:
        """-o writes the output to a file and nothing to stdout."""
        out = tmp_path / "graph.mmd"
        result = runner.invoke(app, ["graph", SMALL, "-f", "mermaid", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert out.read_text().startswith("flowchart LR\n")
        assert result.stdout == ""

    def test_tree_to_file_is_plain_text(self, runner: CliRunner, tmp_path: Path) -> None:
        """A tree written with -o has no colour codes."""
        out = tmp_path / "tree.txt"
        runner.invoke(app, ["graph", SMALL, "-o", str(out)])
        assert "\x1b[" not in out.read_text() and "pipeline:api" in out.read_text()

    @pytest.mark.dot
    def test_svg_file(self, runner: CliRunner, tmp_path: Path) -> None:
        """--format svg -o writes an SVG made by Graphviz."""
        out = tmp_path / "graph.svg"
        result = runner.invoke(app, ["graph", SMALL, "-f", "svg", "-o", str(out)])
        assert result.exit_code == 0, result.output
        assert b"<svg" in out.read_bytes()


class TestGraphErrors:
    """Bad input: one line on stderr, exit 2, nothing written."""

    def test_missing_reference(self, runner: CliRunner, tmp_path: Path) -> None:
        """A missing filter exits 2 with file:line and a hint; -o is not written."""
        out = tmp_path / "graph.json"
        result = runner.invoke(
            app, ["graph", str(DATA / "graph_missing_filter.ini"), "-f", "json", "-o", str(out)]
        )
        assert result.exit_code == 2
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1
        assert lines[0].startswith("ConfigError: ")
        assert "graph_missing_filter.ini:2: pipeline 'main' names filter 'authn'" in lines[0]
        assert not out.exists() and list(tmp_path.iterdir()) == []

    def test_svg_without_dot(self, runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without Graphviz, svg says how to install it in one line and exits 2."""
        monkeypatch.setattr(shutil, "which", lambda name: None)
        result = runner.invoke(app, ["graph", SMALL, "-f", "svg"])
        assert result.exit_code == 2
        assert result.stderr.splitlines() == [
            "RenderError: Graphviz 'dot' is not installed: install it (apt-get install graphviz, "
            "brew install graphviz) or use --format dot, mermaid or tree"
        ]

    def test_unknown_format(self, runner: CliRunner) -> None:
        """An unknown format is refused by the option parser (exit 2)."""
        result = runner.invoke(app, ["graph", SMALL, "-f", "gif"])
        assert result.exit_code == 2
