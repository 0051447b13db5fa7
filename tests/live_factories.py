"""Factories for the live-assembly tests: each call is logged so creation can be compared.

The paste files in ``tests/data/live`` name these as ``tests.live_factories:...``; the same
file loaded by ``paste.deploy.loadapp`` and by :func:`pastetrace.assemble.assemble` must leave
the same :data:`LOG` (what was created, in which order, with which conf).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

LOG: list[tuple[str, str, dict[str, str], dict[str, str]]] = []
WSGIApp = Callable[..., Iterable[bytes]]


def _log(event: str, global_conf: dict[str, str], local_conf: dict[str, Any]) -> str:
    name = str(local_conf.get("name", "?"))
    LOG.append((event, name, dict(global_conf), {k: str(v) for k, v in local_conf.items()}))
    return name


class App:
    """Answers 200 with its name and the filters the request went through."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        chain = environ.get("HTTP_X_CHAIN", "")
        body = f"{self.name} {environ.get('SCRIPT_NAME', '')}|{environ.get('PATH_INFO', '')}"
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Chain", chain)])
        return [body.encode()]


class Filter:
    """Appends its name to the ``X-Chain`` request header, then calls the next app."""

    def __init__(self, app: WSGIApp, name: str) -> None:
        self.app = app
        self.name = name

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        chain = environ.get("HTTP_X_CHAIN", "")
        environ["HTTP_X_CHAIN"] = f"{chain},{self.name}" if chain else self.name
        return self.app(environ, start_response)


def app_factory(global_conf: dict[str, str], **local_conf: str) -> App:
    return App(_log("app", global_conf, local_conf))


def filter_factory(global_conf: dict[str, str], **local_conf: str) -> Callable[[WSGIApp], Filter]:
    name = _log("filter", global_conf, local_conf)

    def apply(app: WSGIApp) -> Filter:
        LOG.append(("apply", name, {}, {}))
        return Filter(app, name)

    return apply


def filter_app_factory(app: WSGIApp, global_conf: dict[str, str], **local_conf: str) -> Filter:
    return Filter(app, _log("filter_app", global_conf, local_conf))


def composite_factory(loader: Any, global_conf: dict[str, str], **local_conf: str) -> Any:
    """Like nova's pipeline_factory_v21: filters first (through the loader), then the app."""
    _log("composite", global_conf, local_conf)
    names = local_conf["chain"].split()
    filters = [loader.get_filter(n) for n in names[:-1]]
    app = loader.get_app(names[-1], global_conf=global_conf)
    for filter_ in reversed(filters):
        app = filter_(app)
    return app


def failing_app(global_conf: dict[str, str], **local_conf: str) -> App:
    raise RuntimeError("boom at create")


def late_failing_filter(
    global_conf: dict[str, str], **local_conf: str
) -> Callable[[WSGIApp], Filter]:
    """The factory works; applying the filter to an app raises (oslo middleware style)."""

    def apply(app: WSGIApp) -> Filter:
        raise ValueError("bad option when wrapping")

    return apply
