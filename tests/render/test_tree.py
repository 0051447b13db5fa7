"""DeploymentTree: exact text at a fixed width."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from pastetrace.config import Deployment
from pastetrace.graph import build_graph
from pastetrace.render.tree import DeploymentTree

from ._golden import DATA, normalise


def render(name: str, **kw: object) -> str:
    console = Console(width=100, color_system=None)
    console.begin_capture()
    graph = build_graph(Deployment(DATA / name), **kw)  # type: ignore[arg-type]
    console.print(DeploymentTree(graph))
    return normalise(console.end_capture())


class TestDeploymentTree:
    """Entries → prefixes/keys → filters in order → apps, with factory and :line."""

    def test_small_file(self) -> None:
        """A urlmap with a pipeline and an app, exactly."""
        assert render("graph_small.ini") == (
            "<data>/graph_small.ini\n"
            "└── composite:main  call:paste.urlmap:urlmap_factory  :2\n"
            "    ├── /v1 → pipeline:api  :7\n"
            "    │   ├── 1. filter:auth  example.auth:filter_factory  :10\n"
            "    │   ├── 2. filter:gzip  example.gzip:filter_factory  :13\n"
            "    │   └── → app:apiapp  example.api:app_factory  :16\n"
            "    └── / → app:versions  example.versions:app_factory  :19\n"
        )

    def test_selector_branches_and_see_above(self) -> None:
        """Keys are marked default/dropped; a section met again is written once."""
        text = render("graph_selector.ini")
        assert "noauth2 (dropped)\n" in text
        assert "keystone (default)\n" in text
        assert "→ app:app  :23  (see above)" in text
        assert text.count("example.api:app_factory") == 1

    def test_missing_and_cycle(self) -> None:
        """Lenient graphs show a missing filter with its message and a cycle with ↺."""
        assert "✗ authn  pipeline 'main' names filter 'authn'" in render(
            "graph_missing_filter.ini", strict=False
        )
        assert "↺ composite:main" in render("graph_cycle.ini", strict=False)

    def test_notes_are_written_once(self, tmp_path: Path) -> None:
        """The same note on many nodes (an egg not installed here) is said once."""
        text = render("graph_small.ini")
        assert text.count("! ") <= 1

    def test_is_a_jupyter_renderable(self) -> None:
        """It has rich's Jupyter hooks, as rich.tree.Tree does."""
        tree = DeploymentTree(build_graph(Deployment(DATA / "graph_small.ini")))
        assert hasattr(tree, "_repr_mimebundle_")
