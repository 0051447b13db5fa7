"""Tests for pastetrace.render.trace_dot: the path as DOT text, parsed by Graphviz ``dot``."""

from __future__ import annotations

import shutil
import subprocess

import networkx as nx
import pytest

from pastetrace.errors import RenderError
from pastetrace.render.trace_dot import dot_quote, trace_image, trace_to_dot
from pastetrace.trace import RequestInfo, ResponseInfo, Trace

from .trace_fixtures import error_trace, normal_trace


def deployment() -> nx.DiGraph:
    """A deployment graph shaped as build_graph makes it: urlmap → pipeline → filters → app."""
    graph = nx.DiGraph()
    nodes = [
        ("composite:main", "urlmap"),
        ("pipeline:api", "pipeline"),
        ("filter:request_id", "filter"),
        ("filter:authtoken", "filter"),
        ("filter:prefix", "filter"),
        ("app:osapi", "app"),
        ("app:versions", "app"),
    ]
    for section, kind in nodes:
        graph.add_node(section, section=section, kind=kind, factory=None, target=None, line=1)
    graph.add_edge("composite:main", "pipeline:api", kind="urlmap", label="/v2.1")
    graph.add_edge("composite:main", "app:versions", kind="urlmap", label="/")
    graph.add_edge("pipeline:api", "filter:request_id", kind="pipeline", label=None)
    graph.add_edge("filter:request_id", "filter:authtoken", kind="next", label=None)
    graph.add_edge("filter:authtoken", "app:osapi", kind="next", label=None)  # no prefix edge
    return graph


def dot_svg(source: str) -> str:
    done = subprocess.run(
        ["dot", "-Tsvg"], input=source, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert not done.stderr, done.stderr  # warnings mean something was misread
    return done.stdout


class TestChain:
    def test_spans_form_a_numbered_chain_from_the_request(self) -> None:
        """Without a graph: request → each span, calls numbered in order, left to right."""
        text = trace_to_dot(normal_trace())
        assert "rankdir=LR;" in text
        assert 'request [label="GET /v2.1/servers/42", shape=plaintext];' in text
        assert 'request -> s0 [label="GET"' in text
        for i in range(1, 5):
            assert f's{i - 1} -> s{i} [label="{i}"' in text

    def test_exception_nodes_say_so(self) -> None:
        """A layer that raised is labelled with the exception type."""
        assert 's2 [label="app:boom\\nno response\\nraised ValueError"' in trace_to_dot(
            error_trace()
        )

    @pytest.mark.dot
    def test_dot_parses_chain(self) -> None:
        """Graphviz reads the chain without errors or warnings."""
        svg = dot_svg(trace_to_dot(error_trace()))
        assert "filter:faultwrap" in svg


class TestOverGraph:
    def test_path_nodes_highlighted_others_grey(self) -> None:
        """Nodes on the path are filled and bold; the rest of the deployment stays grey."""
        lines = trace_to_dot(normal_trace(), deployment()).splitlines()
        node = {line.split(" [")[0].strip(): line for line in lines if "label=" in line}
        assert "filled,bold" in node["n1"] and "pipeline:api" in node["n1"]
        assert "filled,bold" not in node["n6"] and "app:versions" in node["n6"]
        assert "filled" not in node["n0"]

    def test_calls_numbered_on_graph_edges_or_dashed_when_missing(self) -> None:
        """Calls with a graph edge colour it; a call the graph lacks is added dashed."""
        text = trace_to_dot(normal_trace(), deployment())
        assert 'n1 -> n2 [label="1", color="#d9480f"' in text
        assert 'n3 -> n4 [label="3", color="#d9480f"' in text  # authtoken → prefix: added
        assert "style=dashed, constraint=false" in text.split("n3 -> n4")[1].splitlines()[0]
        assert 'n0 -> n6 [label="/", color="#adb5bd"];' in text

    @pytest.mark.dot
    def test_dot_parses_graph_with_awkward_names(self) -> None:
        """Quotes, backslashes and newlines in names are escaped well enough for dot."""
        graph = deployment()
        graph.add_node('app:"odd"\\name\n', section='app:"odd"\\name\n', kind="app")
        graph.add_edge("composite:main", 'app:"odd"\\name\n', label='/"q"')
        svg = dot_svg(trace_to_dot(normal_trace(), graph))
        assert "app:&quot;odd&quot;\\name" in svg


class TestImage:
    @pytest.mark.dot
    def test_svg_and_png(self) -> None:
        """``dot`` renders both; png starts with its magic number."""
        assert b"<svg" in trace_image(normal_trace(), deployment(), "svg")
        assert trace_image(normal_trace(), None, "png").startswith(b"\x89PNG")

    def test_missing_dot_is_a_render_error_with_hint(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """No Graphviz: a RenderError that says how to install it."""
        monkeypatch.setattr(shutil, "which", lambda name: None)  # no Graphviz here
        with pytest.raises(RenderError, match="install Graphviz"):
            trace_image(normal_trace(), None, "svg")

    @pytest.mark.dot
    def test_bad_format_is_a_render_error(self) -> None:
        """A format dot does not know is reported, not a crash."""
        with pytest.raises(RenderError, match="dot -Tnope"):
            trace_image(normal_trace(), None, "nope")


def test_dot_quote() -> None:
    """Quotes and backslashes are escaped; newlines become \\n."""
    assert dot_quote('a"b\\c\nd') == '"a\\"b\\\\c\\nd"'


def test_no_spans_is_still_a_graph() -> None:
    """An empty trace (nothing traced) still gives valid DOT with the request node."""
    trace = Trace(RequestInfo("GET", "/"), ResponseInfo(None), [])
    assert trace_to_dot(trace).endswith('request [label="GET /", shape=plaintext];\n}')
    if shutil.which("dot"):
        dot_svg(trace_to_dot(trace))
