"""Live failures: each is shown at the layer where it happened, and the replay still ends cleanly.

Factories live in ``tests/failing_factories.py``; modules that fail at import are written to
``tmp_path`` (a SyntaxError module under ``tests/`` would break ``--doctest-modules``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

import pastetrace
from pastetrace import cli
from pastetrace.cli import app
from pastetrace.errors import PastetraceError

F = "tests.failing_factories"


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wide consoles without colour, so each note stays on one line."""
    monkeypatch.setattr(
        cli,
        "env",
        cli.Environment(
            Console(width=300, color_system=None),
            Console(stderr=True, width=300, color_system=None),
        ),
    )


def pipeline(tmp_path: Path, filters: dict[str, str]) -> Path:
    """``[pipeline:main]`` of the given filters (name → factory) ending in an app that answers."""
    text = f"[pipeline:main]\npipeline = {' '.join(filters)} ok\n"
    for name, factory in filters.items():
        text += f"\n[filter:{name}]\npaste.filter_factory = {factory}\n"
    text += f"\n[app:ok]\npaste.app_factory = {F}:ok_app_factory\n"
    path = tmp_path / "live.ini"
    path.write_text(text, encoding="utf-8")
    return path


def replay(path: Path, *extra: str) -> tuple[dict[str, Any], str]:
    """The replay's JSON and its waterfall, both through the CLI (each must exit 0)."""
    runner = CliRunner()
    as_json = runner.invoke(app, ["replay", "GET", "/", "-c", str(path), "-f", "json", *extra])
    assert as_json.exit_code == 0, as_json.output
    tree = runner.invoke(app, ["replay", "GET", "/", "-c", str(path), *extra])
    assert tree.exit_code == 0, tree.output
    assert "Traceback" not in tree.output
    return json.loads(as_json.stdout), tree.stdout


def span(data: dict[str, Any], section: str) -> dict[str, Any]:
    return next(s for s in data["spans"] if s["section"] == section)


class TestAssemblyFailures:
    """A factory that cannot be imported or fails becomes a stand-in that says why."""

    @pytest.fixture
    def modules(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """Two modules that fail at import, importable from ``tmp_path/mods``."""
        mods = tmp_path / "mods"
        mods.mkdir()
        (mods / "pt_import_fails.py").write_text('raise ImportError("no libfoo here")\n')
        (mods / "pt_syntax_fails.py").write_text("def factory(:\n")
        monkeypatch.syspath_prepend(str(mods))

    @pytest.mark.usefixtures("modules")
    def test_import_errors(self, tmp_path: Path) -> None:
        """ImportError and SyntaxError at import: stand-ins with the reason; the app answers."""
        path = pipeline(
            tmp_path,
            {"imp": "pt_import_fails:factory", "syn": "pt_syntax_fails:factory"},
        )
        data, tree = replay(path)
        imp, syn = span(data, "filter:imp"), span(data, "filter:syn")
        assert imp["standin"] and imp["standin_reason"].startswith(
            "ImportError: no libfoo here (raised at "
        )
        assert syn["standin"]
        assert syn["standin_reason"].startswith("SyntaxError: invalid syntax (pt_syntax_fails.py")
        assert data["response"]["status"] == "200 OK"
        assert "stand-in: ImportError: no libfoo here" in tree
        assert "stand-in: SyntaxError: invalid syntax" in tree

    def test_create_error(self, tmp_path: Path) -> None:
        """A factory that raises when called: a stand-in that names the error and its place."""
        path = pipeline(tmp_path, {"create": f"{F}:failing_create_factory"})
        data, tree = replay(path)
        reason = span(data, "filter:create")["standin_reason"]
        assert reason.startswith("RuntimeError: the factory refused to build (factory at ")
        assert data["response"]["status"] == "200 OK"
        assert "stand-in: RuntimeError: the factory refused to build" in tree

    def test_setup_hook_error(self, tmp_path: Path) -> None:
        """A setup hook that raises stops the assembly with one PastetraceError naming it."""
        path = pipeline(tmp_path, {})
        deployment = pastetrace.load(str(path))
        with pytest.raises(PastetraceError, match="the setup hook fell over"):
            pastetrace.assemble(deployment, "main", setup=f"{F}:setup_hook")


class TestRequestFailures:
    """A filter that misbehaves during the request is shown at its span; the replay ends."""

    def test_raises(self, tmp_path: Path) -> None:
        """An exception is recorded at the filter that raised it and let through by the rest."""
        data, tree = replay(pipeline(tmp_path, {"boom": f"{F}:raising_filter_factory"}))
        error = span(data, "filter:boom")["exception"]
        assert (error["type"], error["message"]) == (
            "ValueError",
            "the filter broke on this request",
        )
        assert data["response"]["status"] is None
        assert "raised ValueError: the filter broke on this request" in tree

    @pytest.mark.parametrize(
        ("factory", "message"),
        [
            ("none_filter_factory", "'NoneType' object is not iterable"),
            ("int_filter_factory", "'int' object is not iterable"),
        ],
        ids=["none", "int"],
    )
    def test_returns_a_non_iterable(self, factory: str, message: str, tmp_path: Path) -> None:
        """A body that is not iterable is a TypeError at the filter that returned it."""
        data, tree = replay(pipeline(tmp_path, {"bad": f"{F}:{factory}"}))
        error = span(data, "filter:bad")["exception"]
        assert (error["type"], error["message"]) == ("TypeError", message)
        assert f"raised TypeError: {message}" in tree

    def test_start_response_twice(self, tmp_path: Path) -> None:
        """start_response twice without exc_info is noted at the filter (a server refuses it)."""
        data, tree = replay(pipeline(tmp_path, {"twice": f"{F}:twice_filter_factory"}))
        note = (
            "called start_response twice (200 OK, then 500 Internal Server Error) without "
            "exc_info: a WSGI server refuses that (PEP 3333)"
        )
        assert note in span(data, "filter:twice")["notes"]
        assert note in tree

    def test_never_returns(self, tmp_path: Path) -> None:
        """--timeout ends the replay and names the layer still running."""
        data, _ = replay(
            pipeline(tmp_path, {"slow": f"{F}:slow_filter_factory"}), "--timeout", "0.3"
        )
        assert any(
            "no answer after 0.3 s (--timeout)" in n and "[filter:slow]" in n for n in data["notes"]
        )

    def test_body_raises_while_iterated(self, tmp_path: Path) -> None:
        """A body that raises part-way is recorded at the filter that produced it."""
        data, tree = replay(pipeline(tmp_path, {"body": f"{F}:bad_body_filter_factory"}))
        error = span(data, "filter:body")["exception"]
        assert (error["type"], error["message"]) == ("OSError", "the body broke while being read")
        assert "raised OSError: the body broke while being read" in tree
