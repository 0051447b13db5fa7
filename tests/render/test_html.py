"""The self-contained HTML page."""

from __future__ import annotations

import re
import shutil

import pytest

from pastetrace.config import Deployment
from pastetrace.graph import build_graph
from pastetrace.render.html import to_html

from ._golden import DATA


def page(**kw: str) -> str:
    return to_html(build_graph(Deployment(DATA / "graph_small.ini")), **kw)


class TestToHtml:
    """One page, no network, the drawing and a table of sections."""

    def test_no_network(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Nothing is fetched: no src/href to http(s), no <script>."""
        monkeypatch.setattr(shutil, "which", lambda name: None)
        html = page()
        assert not re.search(r"(src|href)=[\"']?https?:", html)
        assert "<script" not in html

    def test_table_of_sections(self) -> None:
        """Each section is one row with kind, factory, target and line."""
        html = page(title="Small")
        assert "<title>Small</title>" in html
        row = html[html.index("<code>filter:gzip</code>") :].split("</tr>")[0]
        assert "example.gzip:filter_factory" in row and "<td>13</td>" in row
        assert html.count("<code>filter:gzip</code>") == 1

    def test_tree_without_dot(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without Graphviz the drawing is the rich tree, as HTML."""
        monkeypatch.setattr(shutil, "which", lambda name: None)
        html = page()
        assert "<svg" not in html
        assert "pipeline:api" in html and "└──" in html

    @pytest.mark.dot
    def test_inline_svg_with_dot(self) -> None:
        """With Graphviz the SVG is inline (no XML prolog inside the page)."""
        html = page()
        assert "<svg" in html and "<?xml" not in html and "<!DOCTYPE svg" not in html
