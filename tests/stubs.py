"""Factories for the differential tests: each object records how PasteDeploy called it.

A configuration names these as ``call:tests.stubs:app_factory`` or
``paste.filter_factory = tests.stubs:filter_factory``; loading it with the real
``paste.deploy.loadapp`` gives a tree of :class:`Built` objects to compare with what
pastetrace read statically.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

WSGIApp = Callable[..., Iterable[bytes]]


@dataclass
class Built:
    """An app, filter or composite a stub factory built, with the conf it was given."""

    kind: str  # app | filter | composite
    factory: str
    global_conf: dict[str, str]
    local_conf: dict[str, str]
    next: Built | None = None  # the app a filter wraps
    branches: dict[str, Built] = field(default_factory=dict)  # composite key → app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [self.factory.encode()]

    def chain(self) -> list[Built]:
        """This object and every app it wraps, outermost first (a pipeline's order)."""
        result, node = [], self
        while node is not None:
            result.append(node)
            node = node.next
        return result


def app_factory(global_conf: dict[str, str], **local_conf: str) -> Built:
    return Built("app", "app_factory", dict(global_conf), local_conf)


def other_app_factory(global_conf: dict[str, str], **local_conf: str) -> Built:
    return Built("app", "other_app_factory", dict(global_conf), local_conf)


def filter_factory(global_conf: dict[str, str], **local_conf: str) -> Callable[[Any], Built]:
    def make(app: Any) -> Built:
        return Built("filter", "filter_factory", dict(global_conf), local_conf, next=app)

    return make


def filter_app_factory(app: Any, global_conf: dict[str, str], **local_conf: str) -> Built:
    return Built("filter", "filter_app_factory", dict(global_conf), local_conf, next=app)


def composite_factory(loader: Any, global_conf: dict[str, str], **local_conf: str) -> Built:
    """Loads every value as an app (keys starting with ``opt_`` are settings)."""
    built = Built("composite", "composite_factory", dict(global_conf), dict(local_conf))
    for key, value in local_conf.items():
        if not key.startswith("opt_"):
            built.branches[key] = loader.get_app(value, global_conf=global_conf)
    return built


class Holder:
    """For ``call:tests.stubs:Holder.factory`` (a dotted attribute after the colon)."""

    @classmethod
    def factory(cls, global_conf: dict[str, str], **local_conf: str) -> Built:
        return Built("app", "Holder.factory", dict(global_conf), local_conf)
