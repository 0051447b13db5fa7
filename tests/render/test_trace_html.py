"""Tests for pastetrace.render.trace_html: the page as text, then as a real browser shows it.

Browser tests drive the system Chromium through Playwright (``requirements-test-extra.txt``);
they skip, saying why, when either is missing. No ``playwright install`` is needed.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pastetrace.render.trace_html import trace_to_html
from pastetrace.trace import Trace

from .trace_fixtures import SCRIPT_HEADER, error_trace, normal_trace, standin_trace

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class TestPageText:
    def test_header_values_are_escaped(self) -> None:
        """A ``<script>`` header value appears only escaped; the page has one script: its own."""
        page = trace_to_html(normal_trace())
        assert SCRIPT_HEADER not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert page.count("<script>") == 1

    def test_self_contained(self) -> None:
        """No external stylesheet, script, font or image: nothing loads from elsewhere."""
        page = trace_to_html(normal_trace())
        assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
        assert "@import" not in page and "url(" not in page

    def test_without_dot_the_graph_is_omitted_with_a_note(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """No Graphviz: the page still renders and says why the graph is missing."""
        monkeypatch.setattr(shutil, "which", lambda name: None)  # no Graphviz here
        page = trace_to_html(normal_trace())
        assert "Graph omitted: Graphviz <code>dot</code> is not installed." in page
        assert "<svg" not in page

    @pytest.mark.dot
    def test_with_dot_the_graph_is_inline_svg(self) -> None:
        """With Graphviz the path is inline SVG, without an XML prolog or doctype."""
        page = trace_to_html(normal_trace())
        assert '<div class="graph" role="img" aria-label="path graph"><svg' in page
        assert "<?xml" not in page and "<!DOCTYPE svg" not in page

    def test_title_option(self) -> None:
        """``title`` replaces the default ``<title>``, escaped."""
        assert "<title>a &amp; b</title>" in trace_to_html(normal_trace(), title="a & b")


# --------------------------------------------------------------------------- in a browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Headless system Chromium, or a skip saying what is missing."""
    sync_api = pytest.importorskip(
        "playwright.sync_api",
        reason="playwright is not installed (pip install -r requirements-test-extra.txt)",
    )
    if CHROMIUM is None:
        pytest.skip("no chromium binary on PATH (apt install chromium)")
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


class Opened:
    """A report opened in the browser, with every request and dialog it caused."""

    def __init__(self, browser: Any, path: Path) -> None:
        self.url = path.as_uri()
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.context = browser.new_context(viewport={"width": 1200, "height": 900})
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.on("dialog", self._dialog)
        self.page.goto(self.url)

    def _route(self, route: Any) -> None:
        if route.request.url == self.url:
            route.continue_()
        else:
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


@pytest.fixture
def opened(browser: Any, tmp_path: Path) -> Iterator[Any]:
    def open_trace(trace: Trace) -> Opened:
        path = tmp_path / "report.html"
        path.write_text(trace_to_html(trace), encoding="utf-8")
        return Opened(browser, path)

    pages: list[Opened] = []

    def tracked(trace: Trace) -> Opened:
        pages.append(open_trace(trace))
        return pages[-1]

    yield tracked
    for page in pages:
        page.context.close()


class TestInBrowser:
    def test_title_and_status_shown(self, opened: Any) -> None:
        """The page names the request and the final status."""
        report = opened(normal_trace())
        page = report.page
        assert page.title() == "pastetrace: GET /v2.1/servers/42 → 200 OK"
        assert page.locator("h1").inner_text() == "GET /v2.1/servers/42"
        assert "Final status: 200 OK" in page.locator("header").inner_text()

    def test_one_timeline_row_per_span(self, opened: Any) -> None:
        """The timeline lists each layer once, in call order."""
        trace = normal_trace()
        names = opened(trace).page.locator("ol.timeline .name").all_inner_texts()
        assert names == [span.section for span in trace.spans]

    def test_clicking_a_row_opens_that_layer(self, opened: Any) -> None:
        """A click on a timeline row opens the layer's details and shows its changes."""
        page = opened(normal_trace()).page
        details = page.locator("details#span-2")
        assert details.evaluate("el => el.open") is False
        page.locator("a[data-span='2']").click()
        assert details.evaluate("el => el.open") is True
        assert "X-User-Id" in details.inner_text()
        assert page.locator("details#span-3").evaluate("el => el.open") is False

    def test_script_header_is_text(self, opened: Any) -> None:
        """The ``<script>`` header shows as text: no alert, no injected element."""
        report = opened(normal_trace())
        page = report.page
        cell = page.locator("header tr", has_text="X-Note").locator("td")
        assert cell.inner_text() == SCRIPT_HEADER
        assert page.locator("script").count() == 1
        assert report.dialogs == []

    def test_no_network_requests(self, opened: Any) -> None:
        """Opening the report loads nothing but the file itself."""
        report = opened(normal_trace())
        report.page.locator("a[data-span='4']").click()
        assert report.requests == [report.url]

    def test_error_and_standin_rows_coloured(self, opened: Any) -> None:
        """Exception and stand-in rows carry their state class (and so their colour)."""
        error_rows = opened(error_trace()).page.locator("ol.timeline li")
        assert error_rows.evaluate_all("els => els.map(e => e.className)") == [
            "passed",
            "exception",
            "exception",
        ]
        standin_rows = opened(standin_trace()).page.locator("ol.timeline li")
        assert standin_rows.first.get_attribute("class") == "standin"
        colour = standin_rows.first.locator(".bar").evaluate(
            "el => getComputedStyle(el).backgroundColor"
        )
        assert colour == "rgb(245, 159, 0)"
