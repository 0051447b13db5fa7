"""``pastetrace.diff``: each change kind on small pairs, real release pairs, renderers, CLI."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from pastetrace import cli
from pastetrace.cli import app
from pastetrace.config import Deployment
from pastetrace.diff import Change, Diff, diff, union_graph
from pastetrace.graph import build_graph
from pastetrace.render.diff_dot import diff_to_dot
from pastetrace.render.diff_mermaid import diff_to_mermaid
from pastetrace.render.diff_tree import DiffView
from pastetrace.render.diffs import render_diff

BASE = """\
[composite:main]
use = egg:Paste#urlmap
/v1 = api
/v2 = app2
/ = versions

[pipeline:api]
pipeline = a b c d e app

[filter:a]
paste.filter_factory = m:A.factory
[filter:b]
paste.filter_factory = m:B.factory
[filter:c]
paste.filter_factory = m:C.factory
[filter:d]
paste.filter_factory = m:D.factory
[filter:e]
paste.filter_factory = m:E.factory
[filter:x]
paste.filter_factory = m:X.factory

[app:app]
paste.app_factory = m:app_factory
color = blue

[app:app2]
paste.app_factory = m:app2_factory

[app:versions]
paste.app_factory = m:versions_factory
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def pair(tmp_path: Path, old: str, new: str) -> Diff:
    """The diff of two texts written as old/paste.ini and new/paste.ini."""
    before = write(tmp_path / "old", "paste.ini", old)
    after = write(tmp_path / "new", "paste.ini", new)
    return diff(Deployment(before), Deployment(after))


def facts(result: Diff) -> list[tuple[str, str, str | None, str | None]]:
    """(kind, what, old, new) of every change: the comparable core."""
    return [(c.kind, c.what, c.old, c.new) for c in result.changes]


class TestFilters:
    """Pipelines: filters added, removed and moved, computed on the longest common subsequence."""

    def test_identical(self, tmp_path: Path) -> None:
        """The same file twice has no changes."""
        result = pair(tmp_path, BASE, BASE)
        assert result.changes == () and not result
        assert result.summary() == {"added": 0, "removed": 0, "changed": 0, "moved": 0, "total": 0}

    def test_insertion_moves_nothing(self, tmp_path: Path) -> None:
        """A filter inserted 2nd is one filter-added; the later filters are not moved."""
        result = pair(tmp_path, BASE, BASE.replace("a b c d e app", "a x b c d e app"))
        assert facts(result) == [("filter-added", "x", None, "2")]
        change = result.changes[0]
        assert change.section == "pipeline:api"
        assert change.detail == "between a and b"
        assert change.message == "filter x added as 2nd"
        assert (change.old_line, change.new_line) == (None, 8)

    def test_a_move_is_one_change(self, tmp_path: Path) -> None:
        """b taken out from 2nd place and put back 4th is one filter-moved, nothing else."""
        result = pair(tmp_path, BASE, BASE.replace("a b c d e app", "a c d b e app"))
        assert facts(result) == [("filter-moved", "b", "2", "4")]
        assert result.changes[0].message == "b moved from 2nd to 4th"
        assert result.summary()["moved"] == 1

    def test_removal(self, tmp_path: Path) -> None:
        """A filter taken out is filter-removed with its old position."""
        result = pair(tmp_path, BASE, BASE.replace("a b c d e app", "a b d e app"))
        assert facts(result) == [("filter-removed", "c", "3", None)]
        assert result.changes[0].message == "filter c removed (was 3rd)"

    def test_move_insert_and_remove_together(self, tmp_path: Path) -> None:
        """A move, an insertion and a removal in one pipeline are three changes."""
        result = pair(tmp_path, BASE, BASE.replace("a b c d e app", "x b c a e app"))
        assert sorted(facts(result)) == [
            ("filter-added", "x", None, "1"),
            ("filter-moved", "a", "1", "4"),
            ("filter-removed", "d", "4", None),
        ]

    def test_app_retargeted(self, tmp_path: Path) -> None:
        """A pipeline that ends in another app is app-retargeted, not filter changes."""
        result = pair(tmp_path, BASE, BASE.replace("a b c d e app", "a b c d e app2"))
        assert facts(result) == [
            ("app-retargeted", "app", "app", "app2"),
            ("entry-added", "app", None, "app:app"),  # nothing uses [app:app] any more
        ]


SELECTOR = """\
[composite:api]
use = call:nova.api.auth:pipeline_factory
noauth = fault noauth app
keystone = fault sizelimit authtoken context app

[filter:fault]
paste.filter_factory = m:F.factory
[filter:noauth]
paste.filter_factory = m:N.factory
[filter:sizelimit]
paste.filter_factory = m:S.factory
[filter:authtoken]
paste.filter_factory = m:T.factory
[filter:context]
paste.filter_factory = m:C.factory
[app:app]
paste.app_factory = m:app
"""


class TestSelectors:
    """Selector composites: keys added and removed, and each branch diffed like a pipeline."""

    def test_branch_added_and_removed(self, tmp_path: Path) -> None:
        """A key that goes and a key that comes are branch-removed and branch-added."""
        new = SELECTOR.replace("noauth = fault noauth app", "noauth2 = fault noauth app")
        result = pair(tmp_path, SELECTOR, new)
        assert facts(result) == [
            ("branch-added", "noauth2", None, "fault noauth app"),
            ("branch-removed", "noauth", "fault noauth app", None),
        ]

    def test_filter_moved_in_a_branch(self, tmp_path: Path) -> None:
        """A move inside one key is a filter-moved that names the key."""
        new = SELECTOR.replace(
            "fault sizelimit authtoken context", "fault authtoken context sizelimit"
        )
        result = pair(tmp_path, SELECTOR, new)
        assert facts(result) == [("filter-moved", "sizelimit", "2", "4")]
        assert result.changes[0].branch == "keystone"
        assert result.changes[0].message == "sizelimit moved from 2nd to 4th in branch keystone"

    def test_insertion_in_a_branch(self, tmp_path: Path) -> None:
        """An insertion at the front of a branch moves nothing."""
        new = SELECTOR.replace("keystone = fault", "keystone = noauth fault")
        result = pair(tmp_path, SELECTOR, new)
        assert facts(result) == [("filter-added", "noauth", None, "1")]
        assert result.changes[0].branch == "keystone"


class TestSections:
    """Sections matched by name in their namespace; factories, kinds and settings."""

    def test_header_spacing_matches(self, tmp_path: Path) -> None:
        """[composite:main] and [composite: main] are one section."""
        result = pair(tmp_path, BASE, BASE.replace("[composite:main]", "[composite: main]"))
        assert result.changes == ()

    def test_added_and_removed_by_kind(self, tmp_path: Path) -> None:
        """A new filter and a dropped app are section-added/removed, with their kind."""
        new = BASE.replace("[app:app2]\npaste.app_factory = m:app2_factory\n", "")
        new += "[filter:y]\npaste.filter_factory = m:Y.factory\n"
        result = pair(tmp_path, BASE, new)
        assert facts(result) == [
            ("section-added", "filter", None, "filter:y"),
            ("section-removed", "app", "app:app2", None),
        ]

    def test_same_name_other_namespace(self, tmp_path: Path) -> None:
        """A filter and an app of one name are different sections (glance's healthcheck)."""
        old = BASE + "[filter:health]\npaste.filter_factory = m:H.factory\n"
        new = BASE + "[app:health]\npaste.app_factory = m:H.app_factory\n"
        result = pair(tmp_path, old, new)
        assert facts(result) == [
            ("entry-added", "health", None, "app:health"),
            ("section-added", "app", None, "app:health"),
            ("section-removed", "filter", "filter:health", None),
        ]

    def test_kind_changed(self, tmp_path: Path) -> None:
        """[app:versions] → [pipeline:versions] is one kind change, not a removal and an add."""
        new = BASE.replace(
            "[app:versions]\npaste.app_factory = m:versions_factory",
            "[pipeline:versions]\npipeline = a app2",
        )
        result = pair(tmp_path, BASE, new)
        assert facts(result) == [("kind-changed", "kind", "app", "pipeline")]
        assert result.changes[0].section == "pipeline:versions"
        assert result.changes[0].detail == "app (m:versions_factory) → pipeline a app2"

    def test_factory_changed(self, tmp_path: Path) -> None:
        """A factory module move is factory-changed with both specs and both targets."""
        new = BASE.replace("m:app_factory", "m.v2:app_factory")
        result = pair(tmp_path, BASE, new)
        assert facts(result) == [
            ("factory-changed", "factory", "m:app_factory", "m.v2:app_factory")
        ]
        assert result.changes[0].detail == "target m:app_factory → m.v2:app_factory"
        assert (result.changes[0].old_line, result.changes[0].new_line) == (24, 24)

    def test_settings(self, tmp_path: Path) -> None:
        """Local conf keys added, removed and changed, each with its lines."""
        old = BASE.replace("color = blue", "color = blue\nsize = 1")
        new = BASE.replace("color = blue", "color = red\nshape = round")
        result = pair(tmp_path, old, new)
        assert facts(result) == [
            ("setting-changed", "color", "blue", "red"),
            ("setting-added", "shape", None, "round"),
            ("setting-removed", "size", "1", None),
        ]
        assert [(c.old_line, c.new_line) for c in result.changes] == [
            (25, 25),
            (None, 26),
            (26, None),
        ]

    def test_default_section(self, tmp_path: Path) -> None:
        """[DEFAULT] changes are setting changes of the DEFAULT section; here/__file__ are not."""
        old = "[DEFAULT]\ndebug = false\nlog = %(here)s/log\n\n" + BASE
        new = "[DEFAULT]\ndebug = true\nlog = %(here)s/log\n\n" + BASE
        result = pair(tmp_path, old, new)
        assert facts(result) == [("setting-changed", "debug", "false", "true")]
        assert result.changes[0].section == "DEFAULT"
        assert (result.changes[0].old_line, result.changes[0].new_line) == (2, 2)


class TestRouting:
    """urlmap prefixes and unknown composites' keys, per composite."""

    def test_prefixes(self, tmp_path: Path) -> None:
        """Prefixes added, removed and retargeted; '/v1/' is the same prefix as '/v1'."""
        old_routes = "/v1 = api\n/v2 = app2\n/ = versions"
        new = BASE.replace(old_routes, "/v1/ = app2\n/v2 = app2\n/v3 = api")
        result = pair(tmp_path, BASE, new)
        assert facts(result) == [
            ("prefix-retargeted", "/v1/", "api", "app2"),
            ("prefix-added", "/v3", None, "api"),
            ("prefix-removed", "/", "versions", None),
            ("entry-added", "versions", None, "app:versions"),  # nothing routes to it any more
        ]

    def test_unknown_composite_keys(self, tmp_path: Path) -> None:
        """An unknown composite's keys that name sections are key-added/removed/retargeted."""
        old = BASE + "[composite:other]\nuse = call:x:y\none = app\ntwo = versions\n"
        new = BASE + "[composite:other]\nuse = call:x:y\none = app2\nthree = versions\n"
        result = pair(tmp_path, old, new)
        assert facts(result) == [
            ("key-retargeted", "one", "app", "app2"),
            ("key-added", "three", None, "versions"),
            ("key-removed", "two", "versions", None),
        ]


class TestEntries:
    """Entries: the names loadapp can load that no other section uses."""

    def test_entry_retargeted(self, tmp_path: Path) -> None:
        """An entry served by another kind of section is entry-retargeted."""
        old = BASE + "[app:extra]\npaste.app_factory = m:e\n"
        new = BASE + "[pipeline:extra]\npipeline = a app\n"
        result = pair(tmp_path, old, new)
        assert facts(result)[0] == ("entry-retargeted", "extra", "app:extra", "pipeline:extra")
        assert result.changes[1].kind == "kind-changed"


class TestView:
    """DiffView at a fixed width, no colour: exact text."""

    def render(self, result: Diff) -> str:
        console = Console(width=100, color_system=None)
        console.begin_capture()
        console.print(DiffView(result))
        return console.end_capture()

    def test_no_changes(self, tmp_path: Path) -> None:
        """Identical files say so."""
        assert self.render(pair(tmp_path, BASE, BASE)) == "paste.ini → paste.ini: no changes\n"

    def test_signs_and_lines(self, tmp_path: Path) -> None:
        """Counts on top; then per section +, -, ~ and ↕ with both files' lines."""
        new = BASE.replace("a b c d e app", "x a c d b e app").replace(
            "color = blue", "color = red"
        )
        new = new.replace("/ = versions\n", "")
        assert self.render(pair(tmp_path, BASE, new)) == (
            "paste.ini → paste.ini: 5 changes (2 added, 1 removed, 1 changed, 1 moved)\n"
            "\n"
            "[composite:main]  paste.ini:1 → paste.ini:1\n"
            "  - prefix / → versions removed  paste.ini:5\n"
            "\n"
            "[pipeline:api]  paste.ini:7 → paste.ini:6\n"
            "  ↕ b moved from 2nd to 5th  paste.ini:8 → paste.ini:7\n"
            "  + filter x added as 1st (before a)  paste.ini:7\n"
            "\n"
            "[app:app]  paste.ini:23 → paste.ini:22\n"
            "  ~ color: blue → red  paste.ini:25 → paste.ini:24\n"
            "\n"
            "[app:versions]  paste.ini:30 → paste.ini:29\n"
            "  + entry versions added ([app:versions])  paste.ini:29\n"
        )


class TestJson:
    """to_dict: a versioned schema, counts and changes grouped by section."""

    def test_round_trip(self, tmp_path: Path) -> None:
        """The JSON has the schema, the summary and each change with its message."""
        result = pair(tmp_path, BASE, BASE.replace("a b c d e app", "a c d b e app"))
        data = json.loads(render_diff(result, "json"))
        assert data["schema"] == "pastetrace.diff/1"
        assert data["summary"] == {"added": 0, "removed": 0, "changed": 0, "moved": 1, "total": 1}
        assert data["counts"] == {"filter-moved": 1}
        (section,) = data["sections"]
        assert (section["section"], section["old_line"], section["new_line"]) == (
            "pipeline:api",
            7,
            7,
        )
        assert section["changes"][0]["message"] == "b moved from 2nd to 4th"
        assert section["changes"][0]["old"] == "2"


def graphs(tmp_path: Path, old: str, new: str) -> tuple[Diff, object, object]:
    result = pair(tmp_path, old, new)
    return (
        result,
        build_graph(Deployment(result.old), strict=False),
        build_graph(Deployment(result.new), strict=False),
    )


class TestPictures:
    """The union of both graphs, coloured by change."""

    def test_union_statuses(self, tmp_path: Path) -> None:
        """Filter uses are matched by name, not position: an insertion adds one node."""
        new = BASE.replace("a b c d e app", "a x c d b e app2")
        result, old_graph, new_graph = graphs(tmp_path, BASE, new)
        union = union_graph(result, old_graph, new_graph)
        status = dict(union.nodes(data="diff"))
        assert status["app/api/x/0"] == "added"
        assert status["app/api/b/0"] == "moved"
        assert status["app/api/c/0"] == "same"
        assert status["app/api"] == "changed"
        assert union.edges["app/api/a/0", "app/api/b/0"]["diff"] == "removed"
        assert union.edges["app/api/a/0", "app/api/x/0"]["diff"] == "added"
        assert union.edges["app/api/e/0", "app/app2"]["diff"] == "added"

    def test_dot_colours(self, tmp_path: Path) -> None:
        """Added is green, removed red and dashed, moved blue in the DOT source."""
        new = BASE.replace("a b c d e app", "a c d b e app").replace("/ = versions\n", "")
        dot = diff_to_dot(*graphs(tmp_path, BASE, new))  # type: ignore[arg-type]
        assert '"app/api/b/0" [label="filter:b\\nm:B.factory\\npaste.ini:11\\n(moved)" ' in dot
        assert 'color="#2563eb"' in dot
        assert '"app/main" -> "app/versions" [color="#dc2626" label="/" style=dashed' in dot

    def test_mermaid_classes(self, tmp_path: Path) -> None:
        """Mermaid gets one classDef per status and linkStyles for changed edges."""
        new = BASE.replace("a b c d e app", "a x b c d e app")
        source = diff_to_mermaid(*graphs(tmp_path, BASE, new))  # type: ignore[arg-type]
        assert source.startswith("flowchart LR\n")
        assert "  classDef added fill:#dcfce7,stroke:#16a34a,stroke-width:2px\n" in source
        assert "  classDef removed " not in source  # an insertion removes no node...
        assert "  linkStyle 4 stroke:#dc2626,stroke-width:2px\n" in source  # ...only a → b

    @pytest.mark.dot
    def test_svg(self, tmp_path: Path) -> None:
        """The svg renders with dot, parses as XML and names the changed filter."""
        new = BASE.replace("a b c d e app", "a x b c d e app")
        result, old_graph, new_graph = graphs(tmp_path, BASE, new)
        svg = render_diff(result, "svg", old_graph=old_graph, new_graph=new_graph)
        root = ET.fromstring(svg)
        assert root.tag.endswith("svg")
        assert "filter:x" in svg.decode()

    def test_picture_needs_graphs(self, tmp_path: Path) -> None:
        """A picture format without the graphs is a usage error that says what is missing."""
        from pastetrace.errors import UsageError

        with pytest.raises(UsageError, match="draws both graphs"):
            render_diff(pair(tmp_path, BASE, BASE), "dot")


# -- the real corpus --------------------------------------------------------------------------
def corpus_diff(corpus: Path, old: str, new: str) -> Diff:
    return diff(Deployment(corpus / old), Deployment(corpus / new))


def find(result: Diff, kind: str, section: str | None = None) -> list[Change]:
    return [c for c in result.of_kind(kind) if section is None or c.section == section]


def names(changes: list[Change]) -> set[str]:
    return {c.what for c in changes}


class TestKeystone:
    """keystone Havana → Icehouse → Queens."""

    def test_havana_to_icehouse(self, corpus: Path) -> None:
        """access_log leaves every pipeline; build_auth_context joins the API ones, 3rd."""
        result = corpus_diff(
            corpus,
            "keystone/havana-2013.2-keystone-paste.ini",
            "keystone/icehouse-2014.1-keystone-paste.ini",
        )
        removed = find(result, "filter-removed", "pipeline:public_api")
        assert names(removed) == {"access_log", "xml_body"}
        added = find(result, "filter-added", "pipeline:public_api")
        assert [(c.what, c.new) for c in added] == [
            ("build_auth_context", "3"),
            ("xml_body_v2", "6"),
        ]
        for pipeline in ("admin_api", "api_v3", "public_version_api", "admin_version_api"):
            assert "access_log" in names(find(result, "filter-removed", f"pipeline:{pipeline}"))
        assert result.of_kind("filter-moved") == []
        assert names(find(result, "section-removed")) == {"filter"}
        assert [c.old for c in result.of_kind("section-removed")] == ["filter:oauth_extension"]
        assert {c.new for c in result.of_kind("section-added")} >= {
            "filter:oauth1_extension",
            "filter:federation_extension",
            "filter:revoke_extension",
        }

    def test_icehouse_to_queens(self, corpus: Path) -> None:
        """Queens puts healthcheck first and cors second; factories move to egg: entry points."""
        result = corpus_diff(
            corpus,
            "keystone/icehouse-2014.1-keystone-paste.ini",
            "keystone/queens-13.0.0-keystone-paste.ini",
        )
        added = find(result, "filter-added", "pipeline:public_api")
        assert [(c.what, c.new) for c in added] == [
            ("healthcheck", "1"),
            ("cors", "2"),
            ("http_proxy_to_wsgi", "4"),
            ("osprofiler", "5"),
            ("request_id", "7"),
        ]
        assert names(find(result, "filter-removed", "pipeline:public_api")) == {
            "admin_token_auth",
            "xml_body_v2",
            "user_crud_extension",
        }
        assert "filter:healthcheck" in {c.new for c in result.of_kind("section-added")}
        (public,) = find(result, "factory-changed", "app:public_service")
        assert (public.old, public.new) == (
            "keystone.service:public_app_factory",
            "egg:keystone#public_service",
        )
        assert public.detail is not None
        assert public.detail.startswith("target keystone.service:public_app_factory → ")
        (sizelimit,) = find(result, "factory-changed", "filter:sizelimit")
        assert sizelimit.detail == (
            "target keystone.middleware:RequestBodySizeLimiter.factory → "
            "oslo_middleware:RequestBodySizeLimiter.factory"
        )
        assert result.of_kind("filter-moved") == []


class TestNova:
    """nova Essex → Folsom → Kilo → Newton → HEAD."""

    def test_essex_to_folsom(self, corpus: Path) -> None:
        """Folsom drops the metadata versions and the 'deprecated' auth; sizelimit goes in 2nd."""
        result = corpus_diff(
            corpus, "nova/essex-2012.1-api-paste.ini", "nova/folsom-2012.2-api-paste.ini"
        )
        (root,) = find(result, "prefix-retargeted", "composite:metadata")
        assert (root.what, root.old, root.new) == ("/", "metaversions", "meta")
        assert len(find(result, "prefix-removed", "composite:metadata")) == 10
        assert {(c.section, c.what) for c in result.of_kind("branch-removed")} == {
            ("composite:ec2cloud", "deprecated"),
            ("composite:openstack_compute_api_v2", "deprecated"),
            ("composite:openstack_volume_api_v1", "deprecated"),
        }
        inserted = find(result, "filter-added", "composite:openstack_compute_api_v2")
        assert {(c.branch, c.what, c.new) for c in inserted} == {
            ("noauth", "sizelimit", "2"),
            ("keystone", "sizelimit", "2"),
            ("keystone_nolimit", "sizelimit", "2"),
        }
        assert result.of_kind("filter-moved") == []

    def test_folsom_to_kilo(self, corpus: Path) -> None:
        """Kilo adds /v2.1 and /v3, drops osapi_volume, and authtoken leaves keystone.middleware."""
        result = corpus_diff(
            corpus, "nova/folsom-2012.2-api-paste.ini", "nova/kilo-2015.1.0-api-paste.ini"
        )
        assert {
            (c.what, c.new) for c in find(result, "prefix-added", "composite:osapi_compute")
        } == {
            ("/v2.1", "openstack_compute_api_v21"),
            ("/v3", "openstack_compute_api_v3"),
        }
        (volume,) = result.of_kind("entry-removed")
        assert volume.what == "osapi_volume"
        (authtoken,) = find(result, "factory-changed", "filter:authtoken")
        assert (authtoken.old, authtoken.new) == (
            "keystone.middleware.auth_token:filter_factory",
            "keystonemiddleware.auth_token:filter_factory",
        )
        assert "admin_password" in names(find(result, "setting-removed", "filter:authtoken"))

    def test_kilo_to_newton(self, corpus: Path) -> None:
        """Newton drops EC2 and /v1.1; /v2 goes to the v2.1 legacy-compatible stack."""
        result = corpus_diff(
            corpus, "nova/kilo-2015.1.0-api-paste.ini", "nova/newton-14.0.0-api-paste.ini"
        )
        assert [c.what for c in result.of_kind("entry-removed")] == ["ec2"]
        (v2,) = find(result, "prefix-retargeted", "composite:osapi_compute")
        assert (v2.what, v2.old, v2.new) == (
            "/v2",
            "openstack_compute_api_v2",
            "openstack_compute_api_v21_legacy_v2_compatible",
        )
        assert names(find(result, "prefix-removed", "composite:osapi_compute")) == {"/v1.1", "/v3"}
        (request_id,) = find(result, "factory-changed", "filter:request_id")
        assert (request_id.old, request_id.new) == (
            "oslo.middleware:RequestId.factory",
            "oslo_middleware:RequestId.factory",
        )

    def test_newton_to_head(self, corpus: Path) -> None:
        """HEAD adds request_log and osprofiler to v2.1's keystone branch and drops noauth2."""
        result = corpus_diff(corpus, "nova/newton-14.0.0-api-paste.ini", "nova/api-paste.ini")
        section = "composite:openstack_compute_api_v21"
        added = find(result, "filter-added", section)
        assert [(c.branch, c.what, c.new) for c in added] == [
            ("keystone", "request_log", "5"),
            ("keystone", "osprofiler", "7"),
        ]
        assert [c.what for c in find(result, "branch-removed", section)] == ["noauth2"]
        assert find(result, "filter-removed", section) == []
        assert result.of_kind("filter-moved") == []
        prefixes = find(result, "prefix-added", "composite:osapi_compute")
        assert {(c.what, c.new) for c in prefixes} == {
            ("/v2.1/+", "openstack_compute_api_v21"),
            ("/v2/+", "openstack_compute_api_v21_legacy_v2_compatible"),
        }
        assert {c.old for c in result.of_kind("section-removed")} == {
            "filter:request_id",
            "filter:noauth2",
        }


class TestGlance:
    """glance Rocky → HEAD: pipelines become urlmaps over one flavor selector."""

    def test_rocky_to_head(self, corpus: Path) -> None:
        """glance-api is now a composite; [composite:api] is a flavor selector; v1 is gone."""
        result = corpus_diff(
            corpus, "glance/rocky-17.0.0-glance-api-paste.ini", "glance/glance-api-paste.ini"
        )
        kinds = {(c.section, c.old, c.new) for c in result.of_kind("kind-changed")}
        assert ("composite:glance-api", "pipeline", "composite") in kinds
        assert len(kinds) == 6
        retargeted = {c.what for c in result.of_kind("entry-retargeted")}
        assert "glance-api-keystone+cachemanagement" in retargeted
        assert {c.what for c in result.of_kind("entry-removed")} == {
            "glance-api-trusted-auth",
            "glance-api-trusted-auth+cachemanagement",
        }
        assert {c.new for c in result.of_kind("section-added")} == {
            "composite:api",
            "app:healthcheck",
        }
        assert "filter:healthcheck" in {c.old for c in result.of_kind("section-removed")}
        (v1,) = find(result, "prefix-removed", "composite:rootapp")
        assert (v1.what, v1.old) == ("/v1", "apiv1app")
        api = Deployment(corpus / "glance/glance-api-paste.ini").get("api")
        assert api.factory.target == "glance.api:pipeline_factory"


# -- the command --------------------------------------------------------------------------------
class TestCli:
    """``pastetrace diff OLD NEW``: formats, -o, and one-line errors with exit 2."""

    @pytest.fixture(autouse=True)
    def wide(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A wide console without colour, so each change stays on one line."""
        console = Console(width=200, color_system=None)
        monkeypatch.setattr(cli, "env", cli.Environment(console, Console(stderr=True, width=200)))

    def files(self, tmp_path: Path) -> tuple[str, str]:
        old = write(tmp_path / "old", "paste.ini", BASE)
        new = write(tmp_path / "new", "paste.ini", BASE.replace("a b c d e app", "a c d b e app"))
        return str(old), str(new)

    def test_tree(self, tmp_path: Path) -> None:
        """The default output is the coloured view, here plain."""
        result = CliRunner().invoke(app, ["diff", *self.files(tmp_path)])
        assert result.exit_code == 0, result.output
        assert "↕ b moved from 2nd to 4th  paste.ini:8 → paste.ini:8" in result.stdout

    def test_json_to_file(self, tmp_path: Path) -> None:
        """--format json -o writes JSON and prints nothing."""
        out = tmp_path / "diff.json"
        args = ["diff", *self.files(tmp_path), "--format", "json", "-o", str(out)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert json.loads(out.read_text())["counts"] == {"filter-moved": 1}

    def test_mermaid(self, tmp_path: Path) -> None:
        """--format mermaid prints the union flowchart."""
        result = CliRunner().invoke(app, ["diff", *self.files(tmp_path), "-f", "mermaid"])
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith("flowchart LR\n") and "classDef moved" in result.stdout

    @pytest.mark.dot
    def test_svg(self, tmp_path: Path) -> None:
        """--format svg -o writes an SVG made by Graphviz."""
        out = tmp_path / "diff.svg"
        result = CliRunner().invoke(
            app, ["diff", *self.files(tmp_path), "-f", "svg", "-o", str(out)]
        )
        assert result.exit_code == 0, result.output
        assert ET.fromstring(out.read_bytes()).tag.endswith("svg")

    def test_missing_file(self, tmp_path: Path) -> None:
        """An unreadable file is one line on stderr and exit 2."""
        old, _ = self.files(tmp_path)
        result = CliRunner().invoke(app, ["diff", old, str(tmp_path / "nope.ini")])
        assert result.exit_code == 2
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and "no such file" in lines[0]
