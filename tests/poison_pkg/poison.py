"""Imported only by mistake: importing it writes the marker file named by the environment."""

from __future__ import annotations

import os
from pathlib import Path

_marker = os.environ.get("PASTETRACE_POISON_MARKER")
if _marker:
    Path(_marker).write_text("imported\n", encoding="utf-8")


def factory(*args: object, **kwargs: object) -> None:
    raise AssertionError("the poison factory was called")
