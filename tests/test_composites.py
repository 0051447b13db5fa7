"""Tests for pastetrace.composites: Paste's urlmap semantics and the factory table."""

from __future__ import annotations

import pytest

from pastetrace.composites import (
    SELECTORS,
    URLMAPS,
    CompositeKind,
    branches,
    classify,
    parse_path_expression,
    urlmap_match_order,
)


class TestParsePathExpression:
    """Keys read as Paste's parse_path_expression + URLMap.normalize_url read them."""

    @pytest.mark.parametrize(
        ("key", "expected"),
        [
            pytest.param("/", (None, ""), id="root-becomes-empty"),
            pytest.param("/v2.0", (None, "/v2.0"), id="plain"),
            pytest.param("/v2.1/", (None, "/v2.1"), id="trailing-slash"),
            pytest.param("//a//b/", (None, "/a/b"), id="double-slashes"),
            pytest.param("/v2.1/+", (None, "/v2.1/+"), id="nova-wildcard"),
            pytest.param("domain foo.com /x", ("foo.com", "/x"), id="domain"),
            pytest.param("domain foo.com port 8080 /x", ("foo.com:8080", "/x"), id="domain-port"),
            pytest.param("domain foo.com", ("foo.com", ""), id="domain-only"),
            pytest.param("http://foo.com/x/", ("foo.com", "/x"), id="url"),
        ],
    )
    def test_parse(self, key: str, expected: tuple[str | None, str]) -> None:
        """Each form gives Paste's (domain, path)."""
        assert parse_path_expression(key) == expected


class TestUrlmapMatchOrder:
    """Keys are tried in Paste's URLMap.sort_apps order."""

    def test_longest_first_root_last(self) -> None:
        """Longer paths first; '/' (empty after normalising) last."""
        assert urlmap_match_order(["/", "/v2", "/v2.1"]) == ["/v2.1", "/v2", "/"]

    def test_domain_keys_first(self) -> None:
        """Domain-bound keys come before domain-less ones, whatever their length."""
        keys = ["/a/long/path", "domain foo.com /", "/"]
        assert urlmap_match_order(keys) == ["domain foo.com /", "/a/long/path", "/"]

    def test_domains_sort_by_name_then_length(self) -> None:
        """Between domains Paste sorts by domain name first, then longest path."""
        keys = ["domain z.com /long/path", "domain a.com /", "domain a.com /x"]
        assert urlmap_match_order(keys) == [
            "domain a.com /x",
            "domain a.com /",
            "domain z.com /long/path",
        ]

    def test_ties_sort_by_path(self) -> None:
        """Equal lengths sort by path text, not by file order (Paste sorts tuples)."""
        assert urlmap_match_order(["/v2/+", "/v2.1", "/"]) == ["/v2.1", "/v2/+", "/"]


class TestClassify:
    """Every table entry classifies as its kind; unknown factories follow the shape rule."""

    @pytest.mark.parametrize("target", sorted(URLMAPS))
    def test_urlmaps(self, target: str) -> None:
        """A known urlmap factory is a urlmap with its own flavor."""
        classified = classify(target, {"/": "x"})
        assert classified.kind == CompositeKind.URLMAP
        assert classified.urlmap is URLMAPS[target]

    @pytest.mark.parametrize("target", sorted(SELECTORS))
    def test_selectors(self, target: str) -> None:
        """A known selector factory is a selector, whatever its keys look like."""
        classified = classify(target, {"/looks/like/a/path": "x"})
        assert classified.kind == CompositeKind.SELECTOR
        assert classified.selector is SELECTORS[target]

    def test_shape_rule_paths_make_a_urlmap(self) -> None:
        """An unknown factory whose keys are all paths is read as a urlmap (guessed)."""
        classified = classify("x:y", {"/": "a", "/v1": "b", "use": "call:x:y"})
        assert classified.kind == CompositeKind.URLMAP
        assert classified.urlmap is not None and classified.urlmap.note == "guessed from its keys"

    def test_shape_rule_lists_make_a_selector(self) -> None:
        """An unknown factory with a whitespace list of names is a selector with no default."""
        classified = classify("x:y", {"noauth": "f1 app", "keystone": "f1 f2 app"})
        assert classified.kind == CompositeKind.SELECTOR
        assert classified.selector is not None and classified.selector.default_key is None

    def test_shape_rule_otherwise_unknown(self) -> None:
        """Single names under non-path keys stay an unknown composite."""
        assert classify(None, {"a": "one", "b": "two"}).kind == CompositeKind.UNKNOWN
        assert classify(None, {}).kind == CompositeKind.UNKNOWN


class TestBranches:
    """Branches carry Paste's order, defaults and the keys a factory drops."""

    def test_cinder_drops_v1_v2(self) -> None:
        """cinder's root_app_factory deletes /v1 and /v2: marked dropped, others kept."""
        conf = {"/": "versions", "/v1": "a", "/v2": "b", "/v3": "c"}
        result = branches(classify("cinder.api:root_app_factory", conf), conf, lambda k: None)
        assert [(b.path, b.dropped) for b in result] == [
            ("/v1", True),
            ("/v2", True),
            ("/v3", False),
            ("", False),
        ]

    def test_nova_v21_reads_only_keystone(self) -> None:
        """pipeline_factory_v21 only reads 'keystone': the other keys are dropped."""
        conf = {"noauth2": "f app", "keystone": "f auth app"}
        kind = classify("nova.api.auth:pipeline_factory_v21", conf)
        result = branches(kind, conf, {"noauth2": 3, "keystone": 4}.get)
        assert [(b.key, b.default, b.dropped, b.line) for b in result] == [
            ("noauth2", False, True, 3),
            ("keystone", True, False, 4),
        ]
        assert result[1].names == ("f", "auth", "app")

    def test_reserved_keys_are_not_routes(self) -> None:
        """not_found_app and use are never branches."""
        conf = {"use": "egg:Paste#urlmap", "not_found_app": "nf", "/": "root"}
        result = branches(classify("paste.urlmap:urlmap_factory", conf), conf, lambda k: None)
        assert [b.key for b in result] == ["/"]
