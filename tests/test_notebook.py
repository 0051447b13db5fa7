"""Jupyter display glue: the mimebundles of graphs, deployments, traces and rich renderables."""

from __future__ import annotations

import html
import subprocess
import sys
import xml.dom.minidom
from typing import Any

import pytest

import pastetrace
from pastetrace import notebook
from pastetrace.errors import RenderError
from pastetrace.notebook import GraphView, TraceView, show_graph, show_trace
from pastetrace.trace import RequestInfo, ResponseInfo, Span, Trace

SVG, HTML, TEXT = "image/svg+xml", "text/html", "text/plain"
EVIL = '"><script>alert(1)</script>'


@pytest.fixture
def graph() -> Any:
    return pastetrace.build_graph(pastetrace.load("keystone"), "main")


@pytest.fixture
def no_dot(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend Graphviz is not installed."""
    monkeypatch.setattr(notebook.shutil, "which", lambda name: None)


def small_trace() -> Trace:
    """Two layers; the filter adds a header whose value is markup."""
    spans = [
        Span("filter:auth", "filter", index=0, headers_added={"X-Note": EVIL}, duration_ns=2000),
        Span("app:api", "app", index=1, parent=0, depth=1, status="200 OK", answered=True),
    ]
    return Trace(RequestInfo("GET", "/v2.0/tokens"), ResponseInfo("200 OK"), spans)


@pytest.fixture(scope="module")
def live() -> Any:
    return pastetrace.assemble(pastetrace.load("keystone"), "main")


class TestGraphView:
    @pytest.mark.dot
    def test_svg_from_dot_is_valid_xml(self, graph: Any) -> None:
        """With dot installed the graph is an SVG document, paired with text/plain."""
        bundle = show_graph(graph)._repr_mimebundle_()
        assert sorted(bundle) == [SVG, TEXT]
        root = xml.dom.minidom.parseString(bundle[SVG]).documentElement
        assert root.tagName == "svg"
        assert "filter:token_auth" in bundle[SVG]

    def test_rich_html_without_dot(self, graph: Any, no_dot: None) -> None:
        """Without dot the rich tree is shown as HTML."""
        bundle = show_graph(graph)._repr_mimebundle_()
        assert sorted(bundle) == [HTML, TEXT]
        assert bundle[HTML].startswith("<pre")
        assert "filter:token_auth" in bundle[HTML]

    def test_rich_html_when_dot_fails(self, graph: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        """A failing dot falls back to HTML instead of breaking the cell."""
        monkeypatch.setattr(notebook.shutil, "which", lambda name: "/usr/bin/dot")

        def fail(source: str, fmt: str) -> bytes:
            raise RenderError("dot failed: syntax error")

        monkeypatch.setattr("pastetrace.render.dot.render_image", fail)
        assert sorted(show_graph(graph)._repr_mimebundle_()) == [HTML, TEXT]

    def test_text_is_the_tree(self, graph: Any) -> None:
        """text/plain is the deployment tree, without colour codes."""
        text = show_graph(graph)._repr_mimebundle_(include=[TEXT])[TEXT]
        assert "composite:main" in text and "└──" in text
        assert "\x1b[" not in text

    @pytest.mark.parametrize(
        ("include", "exclude", "expected"),
        [
            pytest.param([TEXT], None, [TEXT], id="include-text-only"),
            pytest.param([HTML], None, [HTML, TEXT], id="include-html-adds-text"),
            pytest.param(None, [SVG], [HTML, TEXT], id="exclude-svg-gives-html"),
            pytest.param(None, [TEXT, SVG], [HTML], id="exclude-text-honoured"),
            pytest.param(["application/json"], None, [TEXT], id="unknown-mimetype-ignored"),
        ],
    )
    def test_include_and_exclude(
        self, graph: Any, include: list[str] | None, exclude: list[str] | None, expected: list[str]
    ) -> None:
        """Only the mimetypes asked for are produced; text/plain unless it is excluded."""
        bundle = GraphView(graph)._repr_mimebundle_(include=include, exclude=exclude)
        assert sorted(bundle) == expected

    def test_rich_renders_the_tree(self, graph: Any) -> None:
        """In a terminal (rich) the view prints as the tree."""
        from rich.console import Console

        console = Console(width=100, color_system=None)
        with console.capture() as capture:
            console.print(show_graph(graph))
        assert capture.get() == notebook.to_text(GraphView(graph)._tree())


class TestDeployment:
    @pytest.mark.dot
    def test_displays_every_entry(self) -> None:
        """A Deployment in a cell draws all its entries (keystone: main and admin)."""
        bundle = pastetrace.load("keystone")._repr_mimebundle_()
        assert sorted(bundle) == [SVG, TEXT]
        xml.dom.minidom.parseString(bundle[SVG])
        assert "composite:main" in bundle[TEXT] and "composite:admin" in bundle[TEXT]

    def test_missing_reference_is_drawn_not_raised(self, tmp_path: Any, no_dot: None) -> None:
        """A broken file still displays: the missing section is in the picture."""
        ini = tmp_path / "app.ini"
        ini.write_text("[pipeline:main]\npipeline = authn api\n\n[app:api]\nuse = call:x:y\n")
        bundle = pastetrace.Deployment(ini)._repr_mimebundle_()
        assert sorted(bundle) == [HTML, TEXT]
        assert "authn" in bundle[TEXT]

    def test_importing_the_model_loads_no_display_code(self) -> None:
        """Trace and Deployment import the display glue only when asked to display."""
        code = (
            "import sys, pastetrace.trace, pastetrace.config; "
            "print(sorted(m for m in ('rich', 'graphviz', 'networkx', 'pastetrace.notebook') "
            "if m in sys.modules))"
        )
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == "[]"


class TestTraceView:
    def test_html_and_text(self) -> None:
        """A Trace shows the HTML report and the waterfall as text."""
        bundle = small_trace()._repr_mimebundle_()
        assert sorted(bundle) == [HTML, TEXT]
        assert bundle[TEXT].startswith("GET /v2.0/tokens")
        assert "filter:auth" in bundle[TEXT] and "← 200 OK" in bundle[TEXT]

    def test_report_is_isolated_in_an_iframe(self) -> None:
        """The report sits in one escaped srcdoc: no markup of its own reaches the notebook."""
        cell = small_trace()._repr_mimebundle_(include=[HTML])[HTML]
        assert cell.startswith("<iframe srcdoc=") and cell.endswith("</iframe>")
        assert cell.count("<") == 2  # the iframe's own tags; the page is all in the attribute
        page = html.unescape(cell.split('srcdoc="', 1)[1].split('" title=', 1)[0])
        assert page.startswith("<!doctype html>")
        assert "app:api" in page
        assert EVIL not in page  # the header value is still escaped inside the page

    def test_nothing_is_loaded_from_the_network(self) -> None:
        """The report has no external scripts, styles, fonts or images."""
        page = html.unescape(small_trace()._repr_mimebundle_(include=[HTML])[HTML])
        for needle in (" src=", "<link", "@import", "url("):
            assert needle not in page

    @pytest.mark.dot
    def test_show_trace_draws_the_graph(self, graph: Any) -> None:
        """show_trace(trace, graph=...) puts the inline SVG path into the report."""
        trace = pastetrace.replay("keystone", "GET", "/v2.0/")
        cell = show_trace(trace, graph=graph)._repr_mimebundle_(include=[HTML])[HTML]
        assert "&lt;svg" in cell

    @pytest.mark.parametrize(
        ("include", "exclude", "expected"),
        [
            pytest.param([TEXT], None, [TEXT], id="include-text-only"),
            pytest.param(None, [HTML], [TEXT], id="exclude-html"),
            pytest.param(None, [TEXT], [HTML], id="exclude-text-honoured"),
            pytest.param([SVG], None, [TEXT], id="svg-not-offered"),
        ],
    )
    def test_include_and_exclude(
        self, include: list[str] | None, exclude: list[str] | None, expected: list[str]
    ) -> None:
        bundle = TraceView(small_trace())._repr_mimebundle_(include=include, exclude=exclude)
        assert sorted(bundle) == expected


class TestRichRenderables:
    """The rich renderables display through rich's own Jupyter mixin."""

    def renderables(self, live: Any) -> dict[str, Any]:
        from pastetrace.render.trace_tree import TraceWaterfall
        from pastetrace.render.tree import DeploymentTree
        from pastetrace.routes import resolve, routes_of

        deployment = live.deployment
        return {
            "RouteTable": routes_of(live)[0].table(),
            "Resolution": resolve(live, "POST", "/v2.0/tokens"),
            "Report": pastetrace.lint(deployment),
            "DeploymentTree": DeploymentTree(pastetrace.build_graph(deployment, "main")),
            "TraceWaterfall": TraceWaterfall(small_trace()),
        }

    @pytest.mark.parametrize(
        "name",
        [
            "RouteTable",
            "Resolution",
            "Report",
            "DeploymentTree",
            "TraceWaterfall",
        ],
    )
    def test_html_and_text(self, live: Any, name: str) -> None:
        obj = self.renderables(live)[name]
        bundle = obj._repr_mimebundle_(include=None, exclude=None)
        assert sorted(bundle) == [HTML, TEXT]
        assert bundle[TEXT].strip()
        assert bundle[HTML].startswith("<pre")
