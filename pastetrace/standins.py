"""pastetrace's own WSGI pieces, used where a real factory cannot be imported or fails.

A stand-in keeps the request moving through the configuration so a trace still shows the
path a real deployment would take: a filter passes the request on, an app answers
``501 Not Implemented`` saying which section it stands for and why, and the known composites
(Paste's urlmap, nova's ``/+`` urlmap, cinder's urlmap without ``/v1`` ``/v2``, the pipeline
selectors of :data:`pastetrace.composites.SELECTORS`) route exactly as the real ones do, with
the sections they name created through the caller's loader.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from . import composites

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = [
    "STANDIN_HEADER",
    "Loader",
    "NotFound",
    "PassThrough",
    "SelectorStandin",
    "StandinApp",
    "URLMapStandin",
    "choose_key",
    "make_selector",
    "make_urlmap",
]

STANDIN_HEADER = "X-Pastetrace-Standin"


class Loader(Protocol):
    """What a composite factory is given: PasteDeploy's loader interface."""

    def get_app(self, name: str, global_conf: Mapping[str, str] | None = None) -> Any: ...

    def get_filter(self, name: str, global_conf: Mapping[str, str] | None = None) -> Any: ...


class StandinApp:
    """Answers ``501`` with a JSON body naming the section, its factory and why it stands in."""

    status = "501 Not Implemented"

    def __init__(self, section: str, factory: str | None, reason: str) -> None:
        self.section = section
        self.factory = factory
        self.reason = reason

    def body(self) -> bytes:
        payload = {
            "standin": self.section,
            "factory": self.factory,
            "reason": self.reason,
            "message": f"pastetrace stand-in for [{self.section}]: the real app was not created",
        }
        return json.dumps(payload, indent=1).encode("utf-8")

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        body = self.body()
        start_response(
            self.status,
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                (STANDIN_HEADER, self.section),
            ],
        )
        return [body]

    def __repr__(self) -> str:
        return f"<StandinApp [{self.section}] {self.reason}>"


class PassThrough:
    """A stand-in filter: calls the next app unchanged."""

    def __init__(self, app: WSGIApplication, section: str, reason: str) -> None:
        self.app = app
        self.section = section
        self.reason = reason

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.app(environ, start_response)

    def __repr__(self) -> str:
        return f"<PassThrough [{self.section}] {self.reason}>"


class NotFound:
    """Paste's urlmap answer when no prefix matches."""

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        body = f"404 Not Found: no urlmap prefix matches {path!r}\n".encode()
        start_response(
            "404 Not Found",
            [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))],
        )
        return [body]


# -- urlmaps ---------------------------------------------------------------------------------
_Entry = tuple[str | None, str, Any]  # (domain, path, app)


class URLMapStandin:
    """Paste's ``URLMap`` routing (longest prefix, domains first), plus nova's ``/+`` wildcard.

    ``path == key`` or ``path.startswith(key + "/")`` matches; SCRIPT_NAME gains the key and
    PATH_INFO keeps the rest. A ``/x/+`` key (nova) needs something after ``/x/``. Nova's
    Accept / Content-Type ``version=`` routing is not emulated.
    """

    def __init__(self, entries: list[_Entry], not_found_app: Any = None) -> None:
        self.entries = sorted(entries, key=lambda e: (0 if e[0] else 1, -len(e[1])))
        self.not_found_app = not_found_app or NotFound()

    def match(self, host: str, port: str, path: str) -> tuple[Any, str] | tuple[None, None]:
        """The app and the prefix that ``path`` selects, or ``(None, None)``."""
        for domain, key, app in self.entries:
            if domain and domain not in (host, f"{host}:{port}", f"*:{port}"):
                continue
            if key.endswith("/+"):
                if path.startswith(key[:-1]) and len(path) >= len(key):
                    return app, key[:-2]
                continue
            if path == key or path.startswith(key + "/"):
                return app, key
        return None, None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        host, port = _host_port(environ)
        path = _normalize(environ.get("PATH_INFO", ""))
        app, key = self.match(host, port, path)
        if app is None or key is None:
            environ["paste.urlmap_object"] = self
            return self.not_found_app(environ, start_response)
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + key
        environ["PATH_INFO"] = path[len(key) :]
        return app(environ, start_response)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        keys = ", ".join(repr(k) for _, k, _ in self.entries)
        return f"<URLMapStandin {keys}>"


def _host_port(environ: WSGIEnvironment) -> tuple[str, str]:
    host = str(environ.get("HTTP_HOST") or environ.get("SERVER_NAME") or "").lower()
    if ":" in host:
        name, port = host.split(":", 1)
        return name, port
    return host, "443" if environ.get("wsgi.url_scheme") == "https" else "80"


def _normalize(path: str) -> str:
    while "//" in path:
        path = path.replace("//", "/")
    return path


def make_urlmap(
    loader: Loader,
    global_conf: Mapping[str, str],
    local_conf: Mapping[str, str],
    flavor: composites.UrlmapFlavor | None = None,
) -> URLMapStandin:
    """Build a urlmap as ``paste.urlmap.urlmap_factory`` does (apps created in file order)."""
    flavor = flavor or composites.UrlmapFlavor()
    conf = dict(local_conf)
    not_found_name = conf.pop("not_found_app", None) or global_conf.get("not_found_app")
    not_found = loader.get_app(not_found_name, global_conf) if not_found_name else None
    entries: list[_Entry] = []
    for key, app_name in conf.items():
        domain, path = composites.parse_path_expression(key)
        if path in flavor.dropped_prefixes:
            continue  # cinder deletes these keys before building its urlmap
        entries.append((domain, path, loader.get_app(app_name.strip(), global_conf)))
    return URLMapStandin(entries, not_found)


# -- selectors -------------------------------------------------------------------------------
class SelectorStandin:
    """The pipeline a selector composite picked, and which key it picked."""

    def __init__(self, app: WSGIApplication, key: str, why: str) -> None:
        self.app = app
        self.key = key
        self.why = why

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        return self.app(environ, start_response)

    def __repr__(self) -> str:
        return f"<SelectorStandin key={self.key!r} ({self.why})>"


def choose_key(
    local_conf: Mapping[str, str],
    selector: composites.Selector | None,
    override: str | None = None,
) -> tuple[str, str]:
    """The key a selector uses and why: the override, the known default, else a guess."""
    keys = [k for k, v in local_conf.items() if v.split()]
    if override is not None:
        return override, "chosen with --select"
    default = selector.default_key if selector else None
    if default in keys and default is not None:
        return default, f"default of {selector.chooses_by if selector else 'the selector'}"
    for guess in ("keystone", "default"):
        if guess in keys:
            return guess, "guessed: the factory's default is unknown"
    if not keys:
        raise ValueError("the composite has no key that names a pipeline")
    return keys[0], "guessed: the first key (the factory's default is unknown)"


def make_selector(
    loader: Loader,
    local_conf: Mapping[str, str],
    selector: composites.Selector | None,
    override: str | None = None,
) -> SelectorStandin:
    """Build the chosen key's pipeline as OpenStack's ``_load_pipeline`` does: filters first."""
    key, why = choose_key(local_conf, selector, override)
    names = local_conf[key].split()
    filters = [loader.get_filter(name) for name in names[:-1]]
    app = loader.get_app(names[-1])
    for filter_ in reversed(filters):
        app = filter_(app)
    return SelectorStandin(app, key, why)
