"""A urlmap composite with Paste's semantics (``egg:Paste#urlmap``), written out.

The real files say ``use = egg:Paste#urlmap``; Paste is not installed here, so the examples
say ``use = call:pastetrace_examples.common.urlmap:urlmap_factory`` instead. Behaviour follows
``paste/urlmap.py``: keys are normalised (``//`` → ``/``, no trailing ``/``, so ``/`` becomes
``''``), the longest prefix is tried first, a prefix matches when ``path == key`` or
``path.startswith(key + '/')``, and the match moves from PATH_INFO to SCRIPT_NAME.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from webob import Response

from pastetrace_examples.common.wsgi import Conf, WSGIApp


def normalize_prefix(prefix: str) -> str:
    """``'/v2.0/'`` → ``'/v2.0'``, ``'/'`` → ``''``, ``'//a'`` → ``'/a'``."""
    prefix = re.sub(r"/+", "/", prefix.strip())
    return prefix.rstrip("/")


class URLMap:
    """Send each request to the app mounted at the longest matching path prefix."""

    def __init__(self, mapping: dict[str, WSGIApp]) -> None:
        by_length = sorted(mapping.items(), key=lambda item: len(item[0]), reverse=True)
        self.applications: list[tuple[str, WSGIApp]] = by_length

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path_info = environ.get("PATH_INFO", "")
        for prefix, app in self.applications:
            if path_info == prefix or path_info.startswith(prefix + "/"):
                environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + prefix
                environ["PATH_INFO"] = path_info[len(prefix) :]
                return app(environ, start_response)
        response = Response(status=404, content_type="text/plain", charset="utf-8")
        response.text = f"No application is mounted at {path_info!r}\n"
        return response(environ, start_response)


def urlmap_factory(loader: Any, global_conf: Conf, **local_conf: str) -> URLMap:
    """``paste.composite_factory``: every key is a path prefix, every value a section name."""
    mapping = {
        normalize_prefix(prefix): loader.get_app(name.strip(), global_conf=global_conf)
        for prefix, name in local_conf.items()
    }
    return URLMap(mapping)


__all__ = ["URLMap", "normalize_prefix", "urlmap_factory"]
