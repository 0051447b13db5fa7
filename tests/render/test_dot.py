"""DOT source (no Graphviz needed) and images through the ``dot`` binary."""

from __future__ import annotations

import shutil
import xml.etree.ElementTree as ET

import pytest

from pastetrace.config import Deployment
from pastetrace.errors import RenderError, UsageError
from pastetrace.graph import build_graph
from pastetrace.render.dot import INSTALL_HINT, quote, render_image, to_dot

from ._golden import DATA, check


def small_dot(**kw: object) -> str:
    return to_dot(build_graph(Deployment(DATA / "graph_small.ini")), **kw)  # type: ignore[arg-type]


class TestQuote:
    """Every id and label is a valid DOT string."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("pipeline:main", '"pipeline:main"', id="plain"),
            pytest.param('say "hi"', '"say \\"hi\\""', id="quotes"),
            pytest.param("a\\b", '"a\\\\b"', id="backslash"),
            pytest.param("two\nlines", '"two\\nlines"', id="newline"),
        ],
    )
    def test_quote(self, text: str, expected: str) -> None:
        """Quotes and backslashes are escaped and newlines become \\n."""
        assert quote(text) == expected


class TestToDot:
    """One cluster per pipeline, labelled edges, optional highlight."""

    def test_golden(self) -> None:
        """The small file's DOT source is stable."""
        check("graph_small.dot", small_dot())

    def test_pipeline_cluster_and_prefix_labels(self) -> None:
        """The pipeline is a cluster holding its filters and app; urlmap edges show prefixes."""
        source = small_dot()
        cluster = source[source.index("subgraph cluster_0") : source.index("  }")]
        assert '"pipeline:api/0:filter:auth"' in cluster and '"app:apiapp"' in cluster
        assert '"composite:main" -> "pipeline:api" [label="/v1"];' in source

    def test_selector_keys(self) -> None:
        """Selector branches are nested clusters; default and dropped keys look different."""
        source = to_dot(build_graph(Deployment(DATA / "graph_selector.ini")))
        assert 'label="keystone (default)" penwidth=2' in source
        assert 'label="noauth2 (dropped)" style=dashed' in source
        assert 'label="keystone" style="rounded,dashed"' in source

    def test_highlight(self) -> None:
        """Highlighted nodes, and edges between two of them, are drawn in red."""
        source = small_dot(highlight=["composite:main", "pipeline:api"])
        assert '"composite:main" -> "pipeline:api" [label="/v1" color="#dc2626"' in source
        assert '"composite:main" -> "app:versions" [label="/"];' in source

    def test_awkward_names_stay_valid(self, tmp_path: object) -> None:
        """Quotes and backslashes in factory specs are escaped in labels."""
        path = DATA.parent / "data" / "graph_small.ini"
        graph = build_graph(Deployment(path))
        graph.nodes["app:versions"]["factory"] = 'odd "name" \\ here'
        assert 'odd \\"name\\" \\\\ here' in to_dot(graph)


class TestRenderImage:
    """svg/png come from Graphviz; without it the error says how to install it."""

    def test_without_dot(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """No dot on PATH: RenderError with the one-line install hint."""
        monkeypatch.setattr(shutil, "which", lambda name: None)
        with pytest.raises(RenderError) as info:
            render_image("digraph {}", "svg")
        assert str(info.value) == INSTALL_HINT
        assert (
            "apt-get install graphviz" in INSTALL_HINT and "brew install graphviz" in INSTALL_HINT
        )

    def test_unknown_format(self) -> None:
        """Only svg and png are images."""
        with pytest.raises(UsageError, match="must be one of svg, png"):
            render_image("digraph {}", "gif")

    @pytest.mark.dot
    def test_svg_is_xml_with_section_names(self) -> None:
        """A real SVG: valid XML that names every section."""
        svg = render_image(small_dot(), "svg")
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg")
        text = " ".join(t for t in root.itertext())
        for section in ("composite:main", "pipeline:api", "filter:auth", "app:apiapp"):
            assert section in text

    @pytest.mark.dot
    def test_png(self) -> None:
        """A PNG starts with its magic bytes."""
        assert render_image(small_dot(), "png").startswith(b"\x89PNG\r\n\x1a\n")

    @pytest.mark.dot
    def test_dot_error_is_one_line(self) -> None:
        """Broken DOT source is a RenderError, not a traceback."""
        with pytest.raises(RenderError, match="dot failed"):
            render_image("digraph {", "svg")
