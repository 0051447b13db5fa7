"""Per-project preparation for live loading, chosen by the factories' top-level modules.

Real OpenStack services cannot be created by PasteDeploy alone: each needs its process
prepared first (oslo.config parsed, a messaging transport, a database). An :class:`Adapter`
does that in two steps around the resolve stage of :func:`pastetrace.assemble.assemble`:
``before_resolve`` (e.g. cinder registers its versioned objects before its router is
imported) and ``setup`` (e.g. glance parses its config only after every import, because its
modules register command-line options when imported). Adapters must be idempotent: one
process may assemble the same service several times.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = ["ADAPTERS", "Adapter", "adapters_for", "get", "register"]


class Adapter:
    """Prepares the process for one project's factories; the default does nothing."""

    name = ""

    def before_resolve(self, live: Any, conf: Path | None) -> None:
        """Runs before any factory of the project is imported."""

    def setup(self, live: Any, conf: Path | None) -> None:
        """Runs after every factory was imported and before any is called."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


# Top-level module → the pastetrace.adapters submodule whose ADAPTER handles it (lazy).
_BUILTIN = {"nova": "nova", "glance": "glance", "cinder": "cinder"}
ADAPTERS: dict[str, Adapter] = {}


def register(module: str, adapter: Adapter) -> None:
    """Use ``adapter`` for factories whose top-level module is ``module``."""
    ADAPTERS[module] = adapter


def get(module: str) -> Adapter | None:
    """The adapter for a top-level module, importing pastetrace's own on first use."""
    if module not in ADAPTERS and module in _BUILTIN:
        loaded = importlib.import_module(f"{__name__}.{_BUILTIN[module]}")
        ADAPTERS[module] = loaded.ADAPTER
    return ADAPTERS.get(module)


def adapters_for(modules: Iterable[str]) -> list[Adapter]:
    """The adapters for these top-level modules, once each, in first-seen order."""
    result: list[Adapter] = []
    for module in modules:
        adapter = get(module)
        if adapter is not None and adapter not in result:
            result.append(adapter)
    return result
