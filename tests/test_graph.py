"""build_graph: nodes, ordered edges, strictness and the real corpus."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
from conftest import corpus_files

from pastetrace.config import Deployment
from pastetrace.errors import ConfigError
from pastetrace.graph import SCHEMA, build_graph, chain, edge_label, ordered_successors
from pastetrace.render import FORMATS, render_graph

DATA = Path(__file__).parent / "data"


def graph_of(name: str, entry: str | None = None, **kw: Any) -> nx.DiGraph:
    return build_graph(Deployment(DATA / name), entry, **kw)


def out(graph: nx.DiGraph, node: str) -> list[tuple[str, str, Any]]:
    """(target, label, order) of a node's out-edges, in order."""
    return [(t, edge_label(d), d.get("order")) for t, d in ordered_successors(graph, node)]


def pipeline_names(graph: nx.DiGraph, first: str) -> list[str]:
    return [graph.nodes[n]["name"] for n in chain(graph, first)]


class TestNodes:
    """One node per section, one per filter use, with the JSON contract's attributes."""

    def test_section_node_attributes(self) -> None:
        """A section node carries kind, section, factory, target, file:line, entry and cluster."""
        graph = graph_of("graph_small.ini")
        assert graph.nodes["composite:main"] == {
            "kind": "urlmap",
            "section": "composite:main",
            "factory": "call:paste.urlmap:urlmap_factory",
            "target": "paste.urlmap:urlmap_factory",
            "line": 2,
            "file": str(DATA / "graph_small.ini"),
            "name": "main",
            "entry": True,
            "cluster": None,
            "notes": [],
        }
        assert graph.nodes["pipeline:api"]["kind"] == "pipeline"
        assert graph.nodes["pipeline:api"]["factory"] is None
        assert graph.nodes["app:apiapp"]["target"] == "example.api:app_factory"

    def test_filter_nodes_are_per_use(self) -> None:
        """A filter node's id is owner/order:header and it sits in its pipeline's cluster."""
        graph = graph_of("graph_small.ini")
        node = graph.nodes["pipeline:api/1:filter:gzip"]
        assert (node["kind"], node["order"], node["cluster"]) == ("filter", 1, "pipeline:api")
        assert node["line"] == 13 and node["ref_line"] == 8

    def test_terminal_app_joins_its_pipeline_cluster(self) -> None:
        """An app only one pipeline ends in is drawn inside that pipeline."""
        graph = graph_of("graph_small.ini")
        assert graph.nodes["app:apiapp"]["cluster"] == "pipeline:api"
        assert graph.nodes["app:versions"]["cluster"] is None

    def test_graph_attributes(self) -> None:
        """The graph names its schema, its file and its entries."""
        graph = graph_of("graph_small.ini")
        assert graph.graph["schema"] == SCHEMA == "pastetrace.graph/1"
        assert graph.graph["config"] == str(DATA / "graph_small.ini")
        assert graph.graph["entries"] == ["composite:main"]

    def test_name_picks_one_entry(self) -> None:
        """With a name only that entry (and what it reaches) is drawn."""
        graph = graph_of("graph_small.ini", "api")
        assert graph.graph["entries"] == ["pipeline:api"]
        assert "composite:main" not in graph

    def test_unknown_name_says_did_you_mean(self) -> None:
        """An unknown entry name is a ConfigError that suggests a close one."""
        with pytest.raises(ConfigError, match="did you mean 'api'"):
            graph_of("graph_small.ini", "apj")


class TestEdges:
    """Edges follow the request: urlmap prefixes, selector keys, ordered chains."""

    def test_urlmap_edges_in_match_order(self) -> None:
        """urlmap edges carry the prefix as label and Paste's match order."""
        graph = graph_of("graph_small.ini")
        assert out(graph, "composite:main") == [
            ("pipeline:api", "/v1", 0),
            ("app:versions", "/", 1),
        ]
        assert graph.edges["composite:main", "pipeline:api"]["kind"] == "urlmap"

    def test_pipeline_is_an_ordered_chain(self) -> None:
        """pipeline → filter 0 (kind pipeline) → filter 1 (next) → app, with orders 0..n."""
        graph = graph_of("graph_small.ini")
        path = ["pipeline:api", "pipeline:api/0:filter:auth", "pipeline:api/1:filter:gzip"]
        path.append("app:apiapp")
        edges = [graph.edges[a, b] for a, b in zip(path, path[1:], strict=False)]
        kinds, orders = [e["kind"] for e in edges], [e["order"] for e in edges]
        assert (kinds, orders) == (["pipeline", "next", "next"], [0, 1, 2])

    def test_two_prefixes_to_one_app_are_both_kept(self) -> None:
        """Two prefixes leading to one node become one edge with both in ``labels``."""
        graph = graph_of("graph_selector.ini")
        edge = graph.edges["composite:main", "composite:api"]
        assert edge["labels"] == ["/v2.1/+", "/v2/+"]
        assert edge_label(edge) == "/v2.1/+, /v2/+"

    def test_selector_branches(self) -> None:
        """A selector points at each branch's first filter; the default and unread keys say so."""
        graph = graph_of("graph_selector.ini")
        node = graph.nodes["composite:api"]
        assert (node["composite_kind"], node["default_branch"]) == ("selector", "keystone")
        noauth = graph.edges["composite:api", "composite:api#noauth2/0:filter:gzip"]
        keystone = graph.edges["composite:api", "composite:api#keystone/0:filter:gzip"]
        assert (noauth["label"], noauth.get("dropped"), noauth.get("default")) == (
            "noauth2",
            True,
            None,
        )
        assert (keystone["kind"], keystone["label"], keystone["default"]) == (
            "composite",
            "keystone",
            True,
        )

    def test_same_filter_twice_is_two_nodes(self) -> None:
        """gzip twice in one branch is two nodes, each in the branch's cluster."""
        graph = graph_of("graph_selector.ini")
        first = "composite:api#keystone/0:filter:gzip"
        assert pipeline_names(graph, first) == ["gzip", "auth", "gzip", "app"]
        assert graph.nodes["composite:api#keystone/2:filter:gzip"]["cluster"] == (
            "composite:api#keystone"
        )
        assert graph.graph["clusters"]["composite:api#keystone"]["parent"] == "composite:api"

    def test_filter_app_and_filter_with(self) -> None:
        """filter-app → filter-with wrapper → app: a wrapped app is entered through its wrapper."""
        graph = graph_of("graph_wrapping.ini")
        wrapper = "app:inner#filter-with/0:filter:gzip"
        assert graph.nodes["filter-app:main"]["kind"] == "filter-app"
        assert out(graph, "filter-app:main") == [(wrapper, "", 1)]
        assert out(graph, wrapper) == [("app:inner", "filter-with", 1)]

    def test_unknown_composite_links_only_values_that_name_sections(self) -> None:
        """An unknown composite's ``backend = inner`` is an edge; ``timeout = 30`` is not."""
        graph = graph_of("graph_wrapping.ini")
        node = graph.nodes["composite:other"]
        assert (node["kind"], node["composite_kind"]) == ("composite", "unknown")
        assert out(graph, "composite:other") == [
            ("app:inner#filter-with/0:filter:gzip", "backend", 0)
        ]


class TestStrict:
    """strict=True stops at the first missing reference or cycle with a message that helps."""

    def test_missing_filter(self) -> None:
        """A misspelt filter names the file:line and suggests the close name."""
        with pytest.raises(ConfigError) as info:
            graph_of("graph_missing_filter.ini")
        assert info.value.message == (
            "pipeline 'main' names filter 'authn', which has no [filter:authn] section "
            "(did you mean 'auth'? filters: auth, gzip)"
        )
        assert (info.value.file, info.value.line) == (str(DATA / "graph_missing_filter.ini"), 2)

    def test_app_in_filter_position(self) -> None:
        """An app named where a filter must be says so."""
        with pytest.raises(
            ConfigError, match=r"names 'app' as a filter, but \[app:app\] is an app"
        ):
            graph_of("graph_positions.ini", "main")

    def test_filter_in_app_position(self) -> None:
        """A pipeline ending with a filter says so."""
        with pytest.raises(
            ConfigError, match=r"'gzip' as its app, but \[filter:gzip\] is a filter"
        ):
            graph_of("graph_positions.ini", "other")

    def test_cycle(self) -> None:
        """A pipeline that leads back to its urlmap is a cycle, with the loop spelled out."""
        with pytest.raises(ConfigError) as info:
            graph_of("graph_cycle.ini")
        assert "a cycle [composite:main] → [pipeline:api] → [composite:main]" in str(info.value)
        assert info.value.line == 6

    def test_relative_path(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A file named relative to the current folder builds like an absolute one."""
        monkeypatch.chdir(DATA)
        graph = build_graph(Deployment(Path("graph_small.ini")))
        assert graph.graph["entries"] == ["composite:main"]


class TestLenient:
    """strict=False draws problems instead of raising: what lint builds on."""

    def test_missing_filter_becomes_a_node_in_the_chain(self) -> None:
        """The missing filter keeps its place in the chain and carries the message."""
        graph = graph_of("graph_missing_filter.ini", strict=False)
        node = graph.nodes["pipeline:main/0:filter:authn"]
        assert node["kind"] == "missing" and "did you mean 'auth'?" in node["problem"]
        assert pipeline_names(graph, "pipeline:main/0:filter:authn") == ["authn", "gzip", "app"]

    def test_missing_app_is_one_node(self) -> None:
        """A missing app is a ``missing:<name>`` node."""
        graph = graph_of("graph_positions.ini", strict=False)
        assert graph.nodes["missing:gzip"]["kind"] == "missing"

    def test_cycle_edge(self) -> None:
        """The edge that closes a cycle is marked and not followed."""
        graph = graph_of("graph_cycle.ini", strict=False)
        assert graph.edges["pipeline:api/0:filter:gzip", "composite:main"]["cycle"] is True


class TestLayers:
    """Later layers (routes) add nodes after the static graph is built."""

    def test_layer_adds_route_nodes(self) -> None:
        """A layer gets the graph and the deployment; renderers show its nodes."""

        def routes(graph: nx.DiGraph, deployment: Deployment) -> None:
            graph.add_node("app:apiapp/route:list", kind="route", section="GET /things")
            graph.add_edge("app:apiapp", "app:apiapp/route:list", kind="route", order=0)

        graph = graph_of("graph_small.ini", layers=[routes])
        assert graph.nodes["app:apiapp/route:list"]["kind"] == "route"
        assert "GET /things" in render_graph(graph, "mermaid")


class TestScale:
    """Building is linear in the file's size."""

    def test_five_thousand_sections(self, tmp_path: Path) -> None:
        """A 5,000-section file builds in well under a few seconds."""
        lines = ["[composite:main]", "use = egg:Paste#urlmap"]
        lines += [f"/p{i} = pipe{i}" for i in range(1000)]
        for i in range(1000):
            lines += [f"[pipeline:pipe{i}]", f"pipeline = fa{i} fb{i} fc{i} app{i}"]
            for x in "abc":
                lines += [f"[filter:f{x}{i}]", "paste.filter_factory = m.f:factory"]
            lines += [f"[app:app{i}]", "paste.app_factory = m.app:factory"]
        path = tmp_path / "big.ini"
        path.write_text("\n".join(lines) + "\n")
        deployment = Deployment(path)
        start = time.perf_counter()
        graph = build_graph(deployment)
        assert time.perf_counter() - start < 5
        assert len(graph) == 5001


# -- the real corpus ------------------------------------------------------------------------
def corpus_graph(corpus: Path, name: str) -> nx.DiGraph:
    return build_graph(Deployment(corpus / name))


def _paste_order(path: Path, header: str) -> list[str]:
    """The order Paste's own URLMap (installed) tries a composite's keys in."""
    import configparser

    urlmap = pytest.importorskip("paste.urlmap")
    parser = configparser.ConfigParser(delimiters=("=", ":"), interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    mapping = urlmap.URLMap()
    for key, value in parser[header].items():
        if key != "use":
            mapping[urlmap.parse_path_expression(key)] = value
    return [url for (_, url), _ in mapping.applications]


@pytest.mark.corpus
class TestCorpus:
    """The real OpenStack files come out as their projects wire them."""

    def test_keystone_essex(self, corpus: Path) -> None:
        """main maps /v2.0 to public_api and / to public_version_api; filters in order."""
        graph = corpus_graph(corpus, "keystone/essex-2012.1-keystone.conf")
        assert graph.graph["entries"] == ["composite:main", "composite:admin"]
        assert out(graph, "composite:main") == [
            ("pipeline:public_api", "/v2.0", 0),
            ("pipeline:public_version_api", "/", 1),
        ]
        first = out(graph, "pipeline:public_api")[0][0]
        assert pipeline_names(graph, first) == [
            "token_auth",
            "admin_token_auth",
            "xml_body",
            "json_body",
            "debug",
            "ec2_extension",
            "public_service",
        ]

    def test_glance_head(self, corpus: Path) -> None:
        """composite:api has six flavors, 'default' by default; rootapp maps /v2 and /."""
        graph = corpus_graph(corpus, "glance/glance-api-paste.ini")
        keys = [label for _, label, _ in out(graph, "composite:api")]
        assert keys == [
            "default",
            "caching",
            "cachemanagement",
            "keystone",
            "keystone+caching",
            "keystone+cachemanagement",
        ]
        assert graph.nodes["composite:api"]["default_branch"] == "default"
        defaults = [
            d["label"] for _, d in ordered_successors(graph, "composite:api") if d.get("default")
        ]
        assert defaults == ["default"]
        assert [label for _, label, _ in out(graph, "composite:rootapp")] == ["/v2", "/"]

    def test_nova_head(self, corpus: Path) -> None:
        """osapi_compute's prefixes come in Paste's match order; v2.1 runs nine filters."""
        graph = corpus_graph(corpus, "nova/api-paste.ini")
        # Paste sorts longest first; equal lengths keep Paste's tie order (/v2.1 before /v2/+).
        assert [label for _, label, _ in out(graph, "composite:osapi_compute")] == [
            "/v2.1/+",
            "/v2.1",
            "/v2/+",
            "/v2",
            "/",
        ]
        assert _paste_order(corpus / "nova/api-paste.ini", "composite:osapi_compute") == [
            "/v2.1/+",
            "/v2.1",
            "/v2/+",
            "/v2",
            "",
        ]
        node = graph.nodes["composite:osapi_compute"]
        assert node["kind"] == "urlmap" and any("'/+'" in n for n in node["notes"])
        (first, label, _), *_ = out(graph, "composite:openstack_compute_api_v21")
        assert label == "keystone"
        assert pipeline_names(graph, first) == [
            "cors",
            "http_proxy_to_wsgi",
            "compute_req_id",
            "faultwrap",
            "request_log",
            "sizelimit",
            "osprofiler",
            "authtoken",
            "keystonecontext",
            "osapi_compute_app_v21",
        ]

    def test_cinder_head(self, corpus: Path) -> None:
        """osapi_volume's urlmap carries cinder's note; the selector defaults to keystone."""
        graph = corpus_graph(corpus, "cinder/api-paste.ini")
        assert [label for _, label, _ in out(graph, "composite:osapi_volume")] == [
            "/healthcheck",
            "/v3",
            "/",
        ]
        assert any("/v1 and /v2" in n for n in graph.nodes["composite:osapi_volume"]["notes"])
        assert graph.nodes["composite:openstack_volume_api_v3"]["default_branch"] == "keystone"

    def test_swift_proxy_logging_twice(self, corpus: Path) -> None:
        """proxy-logging is the 4th and the 19th filter of swift's pipeline: two nodes."""
        graph = corpus_graph(corpus, "swift/proxy-server.conf-sample")
        logging = [n for n, d in graph.nodes(data=True) if d.get("name") == "proxy-logging"]
        assert logging == [
            "pipeline:main/3:filter:proxy-logging",
            "pipeline:main/18:filter:proxy-logging",
        ]


@pytest.mark.corpus
@pytest.mark.parametrize("path", corpus_files())
@pytest.mark.parametrize(
    "fmt",
    [f if f not in ("svg", "png") else pytest.param(f, marks=pytest.mark.dot) for f in FORMATS],
)
def test_every_corpus_file_renders(path: Path, fmt: str) -> None:
    """Every real file builds and renders in every format."""
    from rich.console import Console

    result = render_graph(build_graph(Deployment(path)), fmt)
    if fmt == "tree":
        console = Console(width=100, color_system=None, record=True, file=None)
        with console.capture() as capture:
            console.print(result)
        assert capture.get()
    else:
        assert result
