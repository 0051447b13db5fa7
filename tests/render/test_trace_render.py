"""Tests for pastetrace.render.traces: one dispatch for every ``replay --format``."""

from __future__ import annotations

import pytest

from pastetrace.errors import UsageError
from pastetrace.render.trace_tree import TraceWaterfall
from pastetrace.render.traces import TRACE_FORMATS, render_trace

from .trace_fixtures import unauthorized_trace


@pytest.mark.parametrize(
    ("fmt", "start"),
    [
        pytest.param("json", "{", id="json"),
        pytest.param("mermaid", "sequenceDiagram", id="mermaid"),
        pytest.param("dot", "digraph trace {", id="dot"),
        pytest.param("html", "<!doctype html>", id="html"),
    ],
)
def test_text_formats(fmt: str, start: str) -> None:
    """Text formats come back as strings of their kind."""
    out = render_trace(unauthorized_trace(), fmt)
    assert isinstance(out, str) and out.startswith(start)


def test_tree_is_a_renderable() -> None:
    """``tree`` gives the waterfall for the CLI to print."""
    assert isinstance(render_trace(unauthorized_trace(), "tree"), TraceWaterfall)


@pytest.mark.dot
def test_images() -> None:
    """``svg`` is text; ``png`` is bytes."""
    svg = render_trace(unauthorized_trace(), "svg")
    png = render_trace(unauthorized_trace(), "png")
    assert isinstance(svg, str) and "<svg" in svg
    assert isinstance(png, bytes) and png.startswith(b"\x89PNG")


def test_unknown_format_lists_known_ones() -> None:
    """An unknown format is a usage error naming every format there is."""
    with pytest.raises(UsageError, match="unknown trace format 'gif'") as info:
        render_trace(unauthorized_trace(), "gif")
    assert all(fmt in str(info.value) for fmt in TRACE_FORMATS)
