"""In-memory state shared by the apps of one deployment, with ``reset()`` for tests.

In a real cloud the apps of one service share a database: keystone's public (5000) and admin
(35357) apps see the same tokens, nova's ``/v1.1`` and ``/v2`` mounts see the same servers.
PasteDeploy builds those apps separately, so the examples keep one store per paste file
(``global_conf['__file__']``) and kind of store. ``reset()`` forgets them all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

T = TypeVar("T")

_STORES: dict[tuple[str, str], Any] = {}


def store_for(global_conf: Mapping[str, str], kind: str, create: Callable[[], T]) -> T:
    """The ``kind`` store of the deployment read from ``global_conf['__file__']``."""
    key = (global_conf.get("__file__", ""), kind)
    if key not in _STORES:
        _STORES[key] = create()
    store: T = _STORES[key]
    return store


def reset() -> None:
    """Forget every store (tokens, images, servers, queued messages)."""
    _STORES.clear()


__all__ = ["reset", "store_for"]
