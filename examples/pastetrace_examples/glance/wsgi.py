"""glance's indirect factories (``glance/common/wsgi.py``, Essex).

Essex's paste files name a generic factory and put the real class in a second key::

    paste.app_factory = glance.common.wsgi:app_factory
    glance.app_factory = glance.api.v1.router:API

so reading the paste key alone does not tell you which class serves the request.
"""

from __future__ import annotations

from collections.abc import Callable

from pastetrace_examples.common.wsgi import Conf, WSGIApp, import_object


def app_factory(global_conf: Conf, **local_conf: str) -> WSGIApp:
    """Build the app class named by ``glance.app_factory`` with the merged configuration."""
    conf = {**global_conf, **local_conf}
    app: WSGIApp = import_object(conf["glance.app_factory"])(conf)
    return app


def filter_factory(global_conf: Conf, **local_conf: str) -> Callable[[WSGIApp], WSGIApp]:
    """Build the filter class named by ``glance.filter_factory`` around the next app."""
    conf = {**global_conf, **local_conf}
    cls = import_object(conf["glance.filter_factory"])

    def _filter(app: WSGIApp) -> WSGIApp:
        wrapped: WSGIApp = cls(app, conf)
        return wrapped

    return _filter


__all__ = ["app_factory", "filter_factory"]
