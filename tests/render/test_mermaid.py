"""Mermaid flowchart source."""

from __future__ import annotations

import re

import pytest

from pastetrace.config import Deployment
from pastetrace.graph import build_graph
from pastetrace.render.mermaid import escape, to_mermaid

from ._golden import DATA, check


def mermaid(name: str) -> str:
    return to_mermaid(build_graph(Deployment(DATA / name)))


class TestEscape:
    """Labels cannot break out of their quotes."""

    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            pytest.param("egg:Paste#urlmap", "egg:Paste#35;urlmap", id="hash"),
            pytest.param('a "b"', "a #34;b#34;", id="quotes"),
            pytest.param("x|y", "x#124;y", id="pipe"),
            pytest.param("<b>", "#60;b#62;", id="angle"),
            pytest.param("two\nlines", "two<br/>lines", id="newline"),
        ],
    )
    def test_escape(self, text: str, expected: str) -> None:
        """Syntax characters become entity codes; newlines become <br/>."""
        assert escape(text) == expected


class TestToMermaid:
    """flowchart LR with a subgraph per cluster and safe ids."""

    def test_golden(self) -> None:
        """The small file's Mermaid source is stable."""
        check("graph_small.mermaid", mermaid("graph_small.ini"))

    def test_ids_are_safe(self) -> None:
        """Node ids are n0, n1…, whatever the section names hold."""
        text = mermaid("graph_selector.ini")
        ids = re.findall(r"^\s+(\S+)\[", text, flags=re.M)
        assert ids and all(re.fullmatch(r"n\d+", i) for i in ids)

    def test_nested_branch_subgraphs(self) -> None:
        """A selector's branches are subgraphs inside the selector's subgraph."""
        text = mermaid("graph_selector.ini")
        assert text.startswith("flowchart LR\n")
        outer = text.index('["composite:api"]')
        assert outer < text.index('["noauth2"]') < text.index('["keystone"]')
        assert '==>|"keystone (default)"|' in text
        assert '-.->|"noauth2 (dropped)"|' in text
