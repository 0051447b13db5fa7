"""Golden files under tests/data: ``PASTETRACE_UPDATE_GOLDEN=1 pytest`` rewrites them."""

from __future__ import annotations

import os
from pathlib import Path

DATA = Path(__file__).parent.parent / "data"


def normalise(text: str) -> str:
    """Replace this checkout's data folder with ``<data>`` so goldens are portable."""
    text = text.replace(str(DATA), "<data>")
    return text.replace(os.path.relpath(DATA), "<data>")  # titles show paths relative to cwd


def check(name: str, actual: str) -> None:
    """Compare with tests/data/<name> (or rewrite it when asked)."""
    path = DATA / name
    actual = normalise(actual)
    if os.environ.get("PASTETRACE_UPDATE_GOLDEN"):
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")
