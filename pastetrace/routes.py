"""Routes mappers inside live apps: discovery, route tables, match and explain, resolution.

OpenStack apps (and Pylons-era ones) dispatch with a ``routes.Mapper``. This module finds the
mappers inside created objects (:func:`find_mappers`), lists their routes in the order Routes
tries them (:func:`route_table`), matches a request with Routes' own matcher and explains a
miss (:func:`match`), and walks a request through a whole deployment without running any
filter or controller code (:func:`resolve`).

A mapper built by hand needs no paste file:

>>> import routes
>>> m = routes.Mapper()
>>> m.connect("/images", controller="images", action="index", conditions={"method": ["GET"]})
>>> [(r.path, r.action) for r in route_table(m)]
[('/images', 'index')]
>>> match(m, "POST", "/images").near_misses[0].message
'POST is not allowed here (allowed: GET)'
"""

from __future__ import annotations

import fnmatch
import functools
import importlib
import importlib.metadata
import inspect
import itertools
import logging
import re
import threading
import types
from collections import deque
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import routes
import routes.util
from rich.console import Console, ConsoleOptions, RenderResult
from rich.jupyter import JupyterMixin
from rich.table import Table
from rich.text import Text
from webob import Request

from . import composites
from .config import APP, FILTER, Deployment, Ref, Section
from .errors import PastetraceError, UsageError
from .trace import TimingMiddleware, TraceMiddleware

__all__ = [
    "ROUTING_FILTERS",
    "SCHEMA_RESOLVE",
    "SCHEMA_ROUTES",
    "AppRoutes",
    "FoundMapper",
    "NearMiss",
    "Resolution",
    "RouteInfo",
    "RouteMatch",
    "RouteTable",
    "Step",
    "controller_name",
    "filter_routes",
    "find_mappers",
    "mapper_from_spec",
    "match",
    "resolve",
    "route_table",
    "routes_of",
]

SCHEMA_ROUTES = "pastetrace.routes/1"
SCHEMA_RESOLVE = "pastetrace.resolve/1"

# Methods tried when explaining a miss (plus any a route names).
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
# Condition keys Routes reads (routes/route.py Route.match); any other key is ignored by it.
_CONDITION_KEYS = frozenset({"method", "sub_domain", "function"})
_MAX_STEPS = 64  # a paste file that loops forever cannot be resolved anyway

# Filters known to rewrite the path or to answer by themselves: resolution is static, so the
# walk goes on past them and says so. Keys are factory targets (``module:callable``).
ROUTING_FILTERS: dict[str, str] = {
    "glance.api.middleware.version_negotiation:VersionNegotiationFilter.factory": (
        "rewrites PATH_INFO to a version (e.g. '/images' → '/v2/images', picked from the URL "
        "or the Accept header) or answers with the versions list itself"
    ),
    "oslo_middleware:Healthcheck.factory": "answers its own path ('/healthcheck') itself",
    "oslo_middleware.healthcheck:Healthcheck.factory": "answers its own path ('/healthcheck')",
    "keystone.middleware:NormalizingFilter.factory": (
        "rewrites PATH_INFO: strips a trailing '/', and an empty path becomes '/'"
    ),
    "keystone.middleware.url:filter_factory": "rewrites PATH_INFO: strips a trailing '/'",
    "nova.api.openstack.extensions:ExtensionMiddleware.factory": (
        "routes extension resources with its own mapper before the app"
    ),
}
_EXTENSION_ROUTER_NOTE = (
    "a keystone ExtensionRouter: answers its own routes, passes every other path on "
    "(catch-all '{path_info:.*}')"
)
_STATIC_NOTE = "this resolution is static; replay is the proof"


# -- discovery ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class FoundMapper:
    """A ``routes.Mapper`` found inside an object, and where."""

    mapper: Any = field(repr=False)  # routes.Mapper (untyped library)
    path: str  # attribute path from the object, e.g. "app._router.mapper" ("" = the object)
    owner: str  # type name of the object holding it


_LEAF_TYPES = (
    str,
    bytes,
    bytearray,
    int,
    float,
    complex,
    bool,
    type(None),
    types.ModuleType,
    type,
    types.FunctionType,
    types.BuiltinFunctionType,
    types.BuiltinMethodType,
    types.CodeType,
    types.FrameType,
    logging.Logger,
    logging.LoggerAdapter,
    threading.Thread,
)


def find_mappers(
    obj: object, *, max_depth: int = 6, stop_at: Collection[object] = (), max_objects: int = 20000
) -> list[FoundMapper]:
    """Every distinct ``routes.Mapper`` reachable from ``obj``, nearest first.

    Walks instance ``__dict__`` (and lists, tuples, dicts, bound methods' ``__self__``)
    breadth-first, so ``Router.map`` is reported rather than ``Router._router.mapper``. No
    property or ``__getattr__`` is touched: nothing the app defines runs. A mapper is not
    walked into (its routes' controllers are not apps). ``stop_at`` objects are not entered:
    give the next layers of a pipeline so a filter's search stops at its own code.
    """
    stops = {id(o) for o in stop_at}
    seen: set[int] = set()
    found: list[FoundMapper] = []
    queue: deque[tuple[object, str, str, int]] = deque([(obj, "", type(obj).__name__, 0)])
    while queue and len(seen) < max_objects:
        current, path, owner, depth = queue.popleft()
        if id(current) in seen or (depth and id(current) in stops):
            continue
        seen.add(id(current))
        if isinstance(current, routes.Mapper):
            found.append(FoundMapper(current, path, owner))
            continue
        if depth >= max_depth:
            continue
        name = type(current).__name__
        for key, child in _children(current):
            if not isinstance(child, _LEAF_TYPES) and id(child) not in seen:
                queue.append((child, _join(path, key), name, depth + 1))
    return found


def _children(obj: object) -> Iterator[tuple[str, object]]:
    """The values an object holds, without running its code (no properties, no iteration)."""
    if isinstance(obj, (list, tuple, set, frozenset)):
        yield from ((f"[{i}]", v) for i, v in enumerate(obj))
        return
    if isinstance(obj, dict):
        yield from ((f"[{k!r}]", v) for k, v in obj.items())
        return
    if isinstance(obj, types.MethodType):
        yield "__self__", obj.__self__
        return
    if isinstance(obj, functools.partial):
        yield "func", obj.func
        yield from ((f"args[{i}]", v) for i, v in enumerate(obj.args))
        return
    attrs = _own_dict(obj)
    if attrs is not None:
        yield from attrs.items()


def _own_dict(obj: object) -> dict[str, Any] | None:
    try:
        attrs = object.__getattribute__(obj, "__dict__")
    except (AttributeError, TypeError):
        return None
    return attrs if isinstance(attrs, dict) else None


def _join(path: str, key: str) -> str:
    if key.startswith("["):
        return path + key
    return f"{path}.{key}" if path else key


def mapper_from_spec(spec: str) -> Any:
    """The mapper named by ``module:attr`` (a Mapper, or any object holding one).

    >>> mapper_from_spec("os:path")
    Traceback (most recent call last):
    ...
    pastetrace.errors.UsageError: 'os:path' is a module, not a routes.Mapper ...
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise UsageError(f"{spec!r}: give the mapper as 'module:attribute' (e.g. 'app:mapper')")
    try:
        obj: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as error:
        raise UsageError(f"{spec!r}: cannot import it ({error})") from error
    if isinstance(obj, routes.Mapper):
        return obj
    found = [] if isinstance(obj, _LEAF_TYPES) else find_mappers(obj)
    if not found:
        kind = "a module" if isinstance(obj, types.ModuleType) else type(obj).__name__
        raise UsageError(
            f"{spec!r} is {kind}, not a routes.Mapper and holds none within 6 attributes "
            "(name the Mapper itself, e.g. 'app:router.map')"
        )
    return found[0].mapper


# -- the route table ---------------------------------------------------------------------------
@dataclass(frozen=True)
class RouteInfo:
    """One route as Routes will try it; ``index`` is its 1-based place in that order."""

    name: str | None
    methods: tuple[str, ...] | None  # None = any method
    path: str
    requirements: dict[str, str]
    controller: str | None
    action: str | None
    defaults: dict[str, Any]
    conditions: dict[str, Any]
    index: int
    prefix: str = ""  # the static prefix Routes groups it by
    redirect: str | None = None  # destination of a mapper.redirect() route
    notes: tuple[str, ...] = ()
    route: Any = field(default=None, repr=False, compare=False)  # the routes.Route

    def allows(self, method: str) -> bool:
        """Whether Routes' method condition lets ``method`` through (a string is a substring
        test in Routes, as heat's ``conditions={'method': 'OPTIONS'}``)."""
        raw = (self.route.conditions or {}).get("method") if self.route is not None else None
        if raw is None:
            return self.methods is None or method in self.methods
        return method in raw

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "name": self.name,
            "methods": list(self.methods) if self.methods is not None else None,
            "path": self.path,
            "requirements": dict(self.requirements),
            "controller": self.controller,
            "action": self.action,
            "defaults": {k: _jsonable(v) for k, v in self.defaults.items()},
            "conditions": {k: _jsonable(v) for k, v in self.conditions.items()},
            "redirect": self.redirect,
            "notes": list(self.notes),
        }


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return controller_name(value)


def controller_name(obj: object) -> str | None:
    """``module.Class`` of a route's controller; an OpenStack ``wsgi.Resource`` is unwrapped
    (its ``controller`` is the real one); strings stay as written.

    >>> controller_name("images")
    'images'
    >>> controller_name(Console()) == 'rich.console.Console'
    True
    """
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, TraceMiddleware | TimingMiddleware):  # the route hands on to a layer
        return f"next layer [{obj.layer.section}]"
    for _ in range(3):  # Resource(Resource(controller)) happens in tests; never more
        inner = None if isinstance(obj, type) else (_own_dict(obj) or {}).get("controller")
        if inner is None or isinstance(inner, str):
            break
        obj = inner
    if isinstance(obj, functools.partial):
        return f"partial({controller_name(obj.func)})"
    target: Any = obj if isinstance(obj, type) or inspect.isroutine(obj) else type(obj)
    module = getattr(target, "__module__", None)
    qualname = getattr(target, "__qualname__", None) or getattr(target, "__name__", "?")
    return f"{module}.{qualname}" if module else str(qualname)


@functools.lru_cache(maxsize=1)
def _groups_by_prefix() -> bool:
    """Routes ≥ 2.5 tries routes grouped by static prefix, longest first (commit 51cee63)."""
    try:
        version = importlib.metadata.version("Routes")
    except importlib.metadata.PackageNotFoundError:  # pragma: no cover - vendored copy
        return hasattr(routes.Mapper, "_create_regs")
    major, minor = (int(p) for p in (version.split(".") + ["0"])[:2] if p.isdigit())
    return (major, minor) >= (2, 5)


def _static_prefix(route: Any) -> str:
    """Mapper._create_regs: the text before the first variable, minimised, ``/`` stripped."""
    prefix = "".join(itertools.takewhile(lambda p: isinstance(p, str), route.routelist))
    if route.minimization and not prefix.startswith("/"):
        prefix = "/" + prefix
    return prefix.rstrip("/")


def _ordered_routes(mapper: Any) -> list[Any]:
    """The routes of ``mapper`` in the order ``Mapper._match`` tries them.

    ``_match`` chains ``_prefix2routes[url[:n]]`` for each prefix length ``n``, longest first,
    and each group keeps connect order; groups of equal length never both fit one URL. So a
    stable sort by decreasing prefix length gives the order for every URL.
    """
    matchable = [r for r in mapper.matchlist if not r.static]
    if not _groups_by_prefix():
        return matchable
    return sorted(matchable, key=lambda r: -len(_static_prefix(r)))


def route_table(mapper: Any) -> list[RouteInfo]:
    """Every route of ``mapper``, in the order Routes tries them. Never calls
    ``Mapper.__str__`` (it fails on non-string controllers such as ``wsgi.Resource``)."""
    redirects = _redirect_targets(mapper)
    return [
        _route_info(route, i, redirects.get(id(route)))
        for i, route in enumerate(_ordered_routes(mapper), start=1)
    ]


def _redirect_targets(mapper: Any) -> dict[int, str]:
    """mapper.redirect() keeps its destination in a static route named ``_redirect_<id>``."""
    targets = {}
    for name, route in getattr(mapper, "_routenames", {}).items():
        if isinstance(name, str) and name.startswith("_redirect_"):
            try:
                targets[int(name[len("_redirect_") :])] = route.routepath
            except ValueError:
                continue
    return targets


def _route_info(route: Any, index: int, redirect: str | None) -> RouteInfo:
    defaults = dict(route.defaults)
    controller = defaults.pop("controller", None)
    original = getattr(route, "_kargs", {}).get("controller")
    if original is not None and not isinstance(original, str):
        controller = original  # Routes stringifies a non-callable controller in .defaults
    action = defaults.pop("action", None)
    conditions = dict(route.conditions or {})
    raw_methods = conditions.pop("method", None)
    methods: tuple[str, ...] | None
    if raw_methods is None:
        methods = None
    elif isinstance(raw_methods, str):
        methods = (raw_methods,)
    else:
        methods = tuple(raw_methods)
    return RouteInfo(
        name=route.name,
        methods=methods,
        path=route.routepath,
        requirements=dict(route.reqs),
        controller=controller_name(controller),
        action=action if action is None else str(action),
        defaults=defaults,
        conditions=conditions,
        index=index,
        prefix=_static_prefix(route),
        redirect=redirect,
        notes=tuple(_route_notes(route, raw_methods)),
        route=route,
    )


def _route_notes(route: Any, raw_methods: object) -> Iterator[str]:
    for key in sorted(set(route.conditions or {}) - _CONDITION_KEYS):
        hint = " (did you mean 'method'?)" if key.lower().startswith("method") else ""
        yield (
            f"conditions key {key!r} is not one Routes reads{hint}: "
            + ("this route matches any method" if raw_methods is None else "it is ignored")
        )
    if isinstance(raw_methods, str) and len(raw_methods) > 1:
        yield (
            f"method condition is the string {raw_methods!r}: Routes tests "
            "'REQUEST_METHOD in' it, a substring test"
        )


def filter_routes(
    routes_: Iterable[RouteInfo], glob: str | None = None, method: str | None = None
) -> list[RouteInfo]:
    """The routes whose path matches ``glob`` (fnmatch) and that allow ``method``."""
    wanted = method.upper() if method else None
    return [
        r
        for r in routes_
        if (glob is None or fnmatch.fnmatchcase(r.path, glob))
        and (wanted is None or r.allows(wanted))
    ]


class RouteTable(JupyterMixin):
    """A rich table of routes in match order (#, name, methods, path, controller, action)."""

    def __init__(
        self, routes_: Sequence[RouteInfo], *, title: str | None = None, source: str | None = None
    ) -> None:
        self.routes = list(routes_)
        self.title = title
        self.source = source

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.title:
            yield Text(self.title, style="bold")
        table = Table()
        for column in ("#", "name", "methods", "path", "controller", "action"):
            table.add_column(column, justify="right" if column == "#" else "left")
        for r in self.routes:
            methods = ", ".join(r.methods) if r.methods is not None else "any"
            action = f"→ {r.redirect}" if r.redirect else (r.action or "")
            cells = (str(r.index), r.name or "", methods, r.path, r.controller or "", action)
            table.add_row(*(Text(cell) for cell in cells))  # paths and names are not markup
        yield table
        for r in self.routes:
            for note in r.notes:
                yield Text(f"#{r.index} {r.path}: {note}", style="yellow")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_ROUTES,
            "title": self.title,
            "source": self.source,
            "routes": [r.to_dict() for r in self.routes],
        }


# -- match and explain -------------------------------------------------------------------------
@dataclass(frozen=True)
class NearMiss:
    """Why a request did not match, and what would have (``kind``: method, head, slash,
    override)."""

    kind: str
    message: str
    route: RouteInfo | None = None


@dataclass
class RouteMatch(JupyterMixin):
    """What Routes' own matcher made of a request, with the routes it tried in order."""

    method: str
    path: str
    route: RouteInfo | None
    params: dict[str, Any]
    controller: str | None
    action: str | None
    tried: list[RouteInfo]
    near_misses: list[NearMiss] = field(default_factory=list)
    allowed: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.route is not None

    def describe(self) -> str:
        """One line: the route and controller, or why nothing matched."""
        if self.route is None:
            why = self.near_misses[0].message if self.near_misses else "no route matches"
            return f"{self.method} {self.path}: {why} (tried {len(self.tried)} routes)"
        target = self.route.redirect and f"redirect → {self.route.redirect}"
        target = target or f"{self.controller or '?'}.{self.action or '?'}"
        params = f" {self.params}" if self.params else ""
        where = f"route #{self.route.index} {self.route.path}"
        return f"{self.method} {self.path} → {where} → {target}{params}"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield from self.lines()

    def lines(self, indent: str = "") -> Iterator[Text]:
        """The rendering, line by line (a :class:`Resolution` indents it under its app)."""
        yield Text(indent + self.describe(), style="green" if self.ok else "red")
        for miss in self.near_misses[1:] if not self.ok else ():
            yield Text(f"{indent}  {miss.message}")
        for note in self.notes:
            yield Text(f"{indent}  note: {note}", style="yellow")
        if not self.ok and self.tried:
            yield Text(f"{indent}  Routes tried these {len(self.tried)} routes, in this order:")
            for r in self.tried[:30]:
                methods = ",".join(r.methods) if r.methods is not None else "any"
                yield Text(f"{indent}    #{r.index} {methods} {r.path or repr(r.path)}")
            if len(self.tried) > 30:
                yield Text(f"{indent}    ... {len(self.tried) - 30} more")

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "path": self.path,
            "route": self.route.to_dict() if self.route else None,
            "params": {k: _jsonable(v) for k, v in self.params.items()},
            "controller": self.controller,
            "action": self.action,
            "tried": [r.index for r in self.tried],
            "allowed": list(self.allowed),
            "near_misses": [{"kind": m.kind, "message": m.message} for m in self.near_misses],
            "notes": list(self.notes),
        }


def match(
    mapper: Any,
    method: str,
    path: str,
    *,
    environ: Mapping[str, Any] | None = None,
    table: Sequence[RouteInfo] | None = None,
) -> RouteMatch:
    """Match with ``mapper.routematch`` on a fresh webob environ, and explain a miss.

    ``environ`` adds or overrides keys (``SCRIPT_NAME``, ``PATH_INFO``, ``HTTP_HOST``). As
    ``RoutesMiddleware`` does, ``?_method=X`` in the query string overrides the method. The
    mapper keeps no request state (its regexps are compiled on first use, as on a first
    request).
    """
    method = method.upper()
    routes_ = list(table) if table is not None else route_table(mapper)
    env = _environ(method, path, environ)
    notes: list[str] = []
    override = _method_override(env)
    if override and override != method:
        notes.append(f"?_method={override} in the query string: Routes matches it as {override}")
        env["REQUEST_METHOD"] = override
    used_method = env["REQUEST_METHOD"]
    url = env.get("PATH_INFO", "")
    result = _routematch(mapper, env, notes)
    by_id = {id(r.route): r for r in routes_}
    tried = _candidates(mapper, routes_, url)
    if result is None and not tried and routes_:
        notes.append("no route's pattern fits this path, whatever the method")
    if result is None:
        result_match = RouteMatch(used_method, url, None, {}, None, None, tried, notes=notes)
        _explain(mapper, result_match, env, routes_, by_id)
        return result_match
    params, route = result
    info = by_id.get(id(route))
    if info is not None:
        tried = tried[: tried.index(info) + 1] if info in tried else tried
        notes.extend(info.notes)
    params = dict(params)
    controller = params.pop("controller", None)
    action = params.pop("action", None)
    allowed = _rejected(params, used_method, notes)
    return RouteMatch(
        used_method,
        url,
        info,
        params,
        controller_name(controller),
        None if action is None else str(action),
        tried,
        allowed=allowed,
        notes=notes,
    )


def _rejected(params: Mapping[str, Any], method: str, notes: list[str]) -> tuple[str, ...]:
    """OpenStack's catch-all reject routes (glance, cinder) pass ``allowed_methods``."""
    value = params.get("allowed_methods")
    if not isinstance(value, str):
        return ()
    allowed = tuple(m.strip().upper() for m in value.split(",") if m.strip())
    if method not in allowed:
        notes.append(
            f"this route rejects {method}: the controller answers 405 Method Not Allowed "
            f"(allowed: {', '.join(allowed)})"
        )
    return allowed


def _environ(method: str, path: str, extra: Mapping[str, Any] | None) -> dict[str, Any]:
    env: dict[str, Any] = Request.blank(path or "/", method=method).environ
    if not path:
        env["PATH_INFO"] = ""
    if extra:
        env.update(extra)
    return env


def _method_override(env: Mapping[str, Any]) -> str | None:
    qs = env.get("QUERY_STRING", "")
    if "_method" not in qs:
        return None
    value = Request(dict(env)).GET.get("_method")
    return value.upper() if value else None


def _routematch(mapper: Any, env: dict[str, Any], notes: list[str]) -> tuple[Any, Any] | None:
    try:
        result = mapper.routematch(environ=env)
    except routes.util.RoutesException as error:
        notes.append(f"Routes refused to match: {error}")
        return None
    if not result:
        return None
    return result[0], result[1]


def _candidates(mapper: Any, table: Sequence[RouteInfo], url: str) -> list[RouteInfo]:
    """The routes ``Mapper._match`` looks at for ``url``: none when its master regexp (all
    patterns at once) rejects the URL, else those whose static prefix fits."""
    if getattr(mapper, "prefix", None):
        stripped = re.match(mapper.prefix + "(.*)", url)
        if stripped is None:
            return []
        url = stripped.group(1) or "/"
    master = getattr(mapper, "_master_regexp", None)
    if master is not None and not master.match(url):
        return []
    if not _groups_by_prefix():
        return list(table)
    return [r for r in table if url[: len(r.prefix)] == r.prefix]


def _explain(
    mapper: Any,
    result: RouteMatch,
    env: Mapping[str, Any],
    table: Sequence[RouteInfo],
    by_id: Mapping[int, RouteInfo],
) -> None:
    """Fill ``near_misses``: other methods, HEAD vs GET, a trailing slash, ``?_method=``."""
    method, url = result.method, result.path
    others = [m for m in _all_methods(table) if m != method]
    hits: dict[str, RouteInfo | None] = {}
    for other in others:
        found = _routematch(mapper, {**env, "REQUEST_METHOD": other}, [])
        if found is not None:
            hits[other] = by_id.get(id(found[1]))
    result.allowed = tuple(hits)
    if hits:
        allowed = ", ".join(hits)
        result.near_misses.append(
            NearMiss("method", f"{method} is not allowed here (allowed: {allowed})", _first(hits))
        )
    if method == "HEAD" and "GET" in hits:
        result.near_misses.append(
            NearMiss(
                "head",
                "Routes does not treat HEAD as GET: a route allows GET here but none allows HEAD",
                hits["GET"],
            )
        )
    if method == "POST" and set(hits) & {"PUT", "PATCH", "DELETE"}:
        tunnelled = sorted(set(hits) & {"PUT", "PATCH", "DELETE"})
        result.near_misses.append(
            NearMiss(
                "override",
                f"RoutesMiddleware honours '?_method={tunnelled[0]}' in the query string "
                "(or a '_method' form field in a POST) to tunnel " + "/".join(tunnelled),
            )
        )
    other_url = url.rstrip("/") if url.endswith("/") and len(url) > 1 else url + "/"
    slash = _routematch(mapper, {**env, "PATH_INFO": other_url}, [])
    if slash is not None:
        result.near_misses.append(
            NearMiss(
                "slash",
                f"{other_url!r} would match (Routes does not add or strip a trailing '/')",
                by_id.get(id(slash[1])),
            )
        )


def _all_methods(table: Sequence[RouteInfo]) -> list[str]:
    extra = {m for r in table if r.methods for m in r.methods if m not in _METHODS}
    return [*_METHODS, *sorted(extra)]


def _first(hits: Mapping[str, RouteInfo | None]) -> RouteInfo | None:
    return next(iter(hits.values()), None)


# -- routes of a live app ------------------------------------------------------------------------
class Layer(Protocol):
    """What :mod:`pastetrace.assemble` records for each created object (its contract)."""

    @property
    def section(self) -> Section: ...
    @property
    def kind(self) -> str: ...
    @property
    def standin(self) -> bool: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def obj(self) -> Any: ...
    @property
    def node_id(self) -> str: ...


class LiveApp(Protocol):
    """An assembled application (:class:`pastetrace.assemble.LiveApp`)."""

    @property
    def deployment(self) -> Deployment: ...
    @property
    def name(self) -> str | None: ...
    @property
    def layers(self) -> Sequence[Layer]: ...


@dataclass
class AppRoutes:
    """The routes of one app section or routing filter (or why there are none)."""

    section: Section
    kind: str
    node_id: str
    found: FoundMapper | None
    routes: list[RouteInfo]
    standin: bool = False
    reason: str | None = None

    def table(self) -> RouteTable:
        where = f" ({self.found.owner}.{self.found.path})" if self.found and self.found.path else ""
        return RouteTable(self.routes, title=f"[{self.section.header}]{where}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_ROUTES,
            "section": self.section.header,
            "kind": self.kind,
            "node_id": self.node_id,
            "mapper": {"path": self.found.path, "owner": self.found.owner} if self.found else None,
            "standin": self.standin,
            "reason": self.reason,
            "routes": [r.to_dict() for r in self.routes],
        }


def routes_of(
    target: Deployment | LiveApp, *, mappers: Mapping[str, Any] | None = None
) -> list[AppRoutes]:
    """The routes of every app section and routing filter, in layer order, once per section.

    A stand-in app, or an app with no mapper, is listed with the reason; a plain
    :class:`Deployment` (static) lists its app sections with "not assembled" unless
    ``mappers`` (``{section header or name: Mapper}``) gives them.
    """
    given = dict(mappers or {})
    if isinstance(target, Deployment):
        return [_static_routes(s, given) for s in target.sections if s.kind == "app"]
    result = []
    layers = list(target.layers)
    seen: set[str] = set()
    for layer in layers:
        if layer.section.header in seen:
            continue  # the same section created twice (two pipelines): same routes
        entry = _layer_routes(layer, layers, given)
        if entry is not None:
            seen.add(layer.section.header)
            result.append(entry)
    return result


def _static_routes(section: Section, given: Mapping[str, Any]) -> AppRoutes:
    mapper = _given_mapper(section, given)
    if mapper is not None:
        found = FoundMapper(mapper, "", type(mapper).__name__)
        return AppRoutes(section, section.kind, section.id, found, route_table(mapper))
    reason = "static model: nothing was created (assemble the app to see its routes)"
    return AppRoutes(section, section.kind, section.id, None, [], reason=reason)


def _given_mapper(section: Section, given: Mapping[str, Any]) -> Any:
    return given.get(section.header, given.get(section.name))


def _layer_routes(
    layer: Layer, layers: Sequence[Layer], given: Mapping[str, Any]
) -> AppRoutes | None:
    section = layer.section
    if section.kind not in ("app", "filter", "filter-app"):
        return None
    found = _layer_mapper(layer, layers, given)
    if section.kind != "app" and found is None:
        return None  # an ordinary filter
    reason = layer.reason if layer.standin else None
    if found is None and reason is None:
        reason = "no routes.Mapper inside (it dispatches some other way)"
    table = route_table(found.mapper) if found else []
    return AppRoutes(
        section, layer.kind, layer.node_id, found, table, standin=layer.standin, reason=reason
    )


def _layer_mapper(
    layer: Layer, layers: Sequence[Layer], given: Mapping[str, Any]
) -> FoundMapper | None:
    mapper = _given_mapper(layer.section, given)
    if mapper is not None:
        return FoundMapper(mapper, "", type(mapper).__name__)
    if layer.standin or layer.obj is None:
        return None
    others = [
        obj
        for other in layers
        if other is not layer
        for obj in (other.obj, getattr(other, "wrapper", None))  # wrapper: its TraceMiddleware
        if obj is not None
    ]
    found = find_mappers(layer.obj, stop_at=others)
    return found[0] if found else None


# -- resolution through a deployment ------------------------------------------------------------
@dataclass(frozen=True)
class Step:
    """One layer the request passes, with SCRIPT_NAME / PATH_INFO as the layer sees them."""

    section: Section
    kind: str  # urlmap | selector | composite | pipeline | filter | filter-app | app | route
    node_id: str
    script_name: str
    path_info: str
    label: str | None = None  # urlmap prefix or composite key
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section.header,
            "kind": self.kind,
            "node_id": self.node_id,
            "script_name": self.script_name,
            "path_info": self.path_info,
            "label": self.label,
            "note": self.note,
        }


@dataclass
class Resolution(JupyterMixin):
    """How a request would travel the deployment, statically: no filter or controller runs."""

    method: str
    path: str
    steps: list[Step]
    app: Section | None
    match: RouteMatch | None
    ok: bool
    explanation: str | None = None
    notes: list[str] = field(default_factory=list)
    answered_by: Section | None = None  # a routing filter whose own route matched

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text(f"{self.method} {self.path}", style="bold")
        for step in self.steps:
            line = Text(f"  {step.kind:<10} [{step.section.header}]")
            if step.label is not None:
                line.append(f" {step.label!r}", style="cyan")
            line.append(f"  SCRIPT_NAME={step.script_name!r} PATH_INFO={step.path_info!r}")
            yield line
            if step.note:
                yield Text(f"             note: {step.note}", style="yellow")
        if self.match is not None:
            yield from self.match.lines("  ")
        if self.explanation:
            yield Text(self.explanation, style="red" if not self.ok else "yellow")
        for note in self.notes:
            yield Text(f"note: {note}", style="yellow")

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA_RESOLVE,
            "request": {"method": self.method, "path": self.path},
            "ok": self.ok,
            "steps": [s.to_dict() for s in self.steps],
            "app": self.app.header if self.app else None,
            "answered_by": self.answered_by.header if self.answered_by else None,
            "route": self.match.to_dict() if self.match else None,
            "explanation": self.explanation,
            "notes": list(self.notes),
        }


class _Stop(Exception):
    """The walk ends here (a 404, an unknown composite, a filter answering)."""


class _Walker:
    """Walks the static model; SCRIPT_NAME / PATH_INFO move as Paste's urlmap moves them."""

    def __init__(
        self,
        deployment: Deployment,
        live: LiveApp | None,
        request: dict[str, Any],
        entry: str | None,
        mappers: Mapping[str, Any],
        select: Mapping[str, str],
    ) -> None:
        self.deployment = deployment
        self.live = live
        self.env = request
        self.entry = entry
        self.mappers = mappers
        self.select = select
        self.script_name: str = request.get("SCRIPT_NAME", "")
        self.path_info: str = request.get("PATH_INFO", "")
        self.steps: list[Step] = []
        self.notes: list[str] = []
        self.app: Section | None = None
        self.match: RouteMatch | None = None
        self.answered_by: Section | None = None
        self.explanation: str | None = None
        self._layers: dict[str, list[Layer]] = {}
        self._used: dict[str, int] = {}
        for layer in live.layers if live is not None else ():
            self._layers.setdefault(layer.section.header, []).append(layer)

    # -- steps ----------------------------------------------------------------------------
    def step(
        self, section: Section, kind: str, label: str | None = None, note: str | None = None
    ) -> Layer | None:
        layer = self._next_layer(section)
        node_id = layer.node_id if layer is not None else section.id
        if layer is not None and layer.standin and note is None:
            note = f"stand-in: {layer.reason}" if layer.reason else "stand-in"
        self.steps.append(
            Step(section, kind, node_id, self.script_name, self.path_info, label, note)
        )
        return layer

    def _next_layer(self, section: Section) -> Layer | None:
        layers = self._layers.get(section.header, [])
        used = self._used.get(section.header, 0)
        self._used[section.header] = used + 1
        return layers[min(used, len(layers) - 1)] if layers else None

    # -- the walk -------------------------------------------------------------------------
    def walk(self, section: Section) -> None:
        for _ in range(_MAX_STEPS):
            nxt = self._visit(section)
            if nxt is None:
                return
            section = nxt
        raise _Stop(f"gave up after {_MAX_STEPS} sections (does the file loop?)")

    def _visit(self, section: Section) -> Section | None:
        if section.filter_with is not None:
            self._filter(self._need(section.filter_with, section))
        if section.kind == "composite":
            return self._composite(section)
        if section.kind == "pipeline":
            self.step(section, "pipeline")
            for ref in section.pipeline[:-1]:
                self._filter(self._need(ref, section))
            return self._need(section.pipeline[-1], section)
        if section.kind == "filter-app":
            self._filter(section, kind="filter-app")
            if section.next is None:
                raise _Stop(f"[{section.header}] has no 'next' key")
            return self._need(section.next, section)
        self._app(section)
        return None

    def _need(self, ref: Ref, by: Section) -> Section:
        target = self.deployment.resolve(ref)
        if target is None:
            what = "filter" if ref.namespace == FILTER else "app"
            raise _Stop(f"[{by.header}] names {what} {ref.name!r}, which the file does not define")
        return target

    def _composite(self, section: Section) -> Section | None:
        classified = self.deployment.composite(section)
        if classified.kind == composites.CompositeKind.URLMAP:
            return self._urlmap(section, classified)
        if classified.kind == composites.CompositeKind.SELECTOR:
            return self._selector(section, classified)
        key = self.select.get(section.name, self.select.get(section.header))
        branches = self.deployment.branches(section)
        chosen = next((b for b in branches if b.key == key), None)
        if chosen is None:
            keys = ", ".join(b.key for b in branches) or "none"
            raise _Stop(
                f"[{section.header}] uses factory {section.factory.target or section.factory.spec}"
                f", which pastetrace does not know; pick a key with select= (keys: {keys})"
            )
        self.step(section, "composite", chosen.label, "key chosen with select=")
        return self._need(Ref(chosen.names[0], APP, "branch", section.file, chosen.line), section)

    # -- urlmap -------------------------------------------------------------------------------
    def _urlmap(self, section: Section, classified: composites.Classified) -> Section | None:
        flavor = classified.urlmap or composites.UrlmapFlavor()
        branches = self.deployment.branches(section)
        path = _collapse_slashes(self.path_info)
        host, port = self._host()
        for branch in branches:
            if branch.dropped or not _domain_fits(branch.domain, host, port):
                continue
            prefix = _prefix_taken(branch.path, path, flavor.wildcard_plus)
            if prefix is None:
                continue
            self.script_name += prefix
            self.path_info = path[len(prefix) :]
            note = flavor.note if flavor.note else None
            self.step(section, "urlmap", branch.label, note)
            ref = Ref(branch.names[0], APP, "branch", section.file, branch.line, branch.label)
            return self._need(ref, section)
        not_found = section.local_conf.get("not_found_app") or self.deployment.defaults.get(
            "not_found_app"
        )
        tried = [b.label for b in branches if not b.dropped]
        self.step(section, "urlmap", None, "no prefix matched")
        if not_found:
            self.notes.append(f"[{section.header}]: no prefix matched; not_found_app answers")
            return self._need(Ref(not_found.strip(), APP, "use", section.file, None), section)
        listing = ", ".join(repr(t) for t in tried) or "(none)"
        raise _Stop(
            f"404 from [{section.header}] (urlmap): no prefix matches PATH_INFO "
            f"{self.path_info!r} (SCRIPT_NAME {self.script_name!r}, host {host}:{port}); "
            f"prefixes tried, in this order: {listing}"
        )

    def _host(self) -> tuple[str, str]:
        host = str(self.env.get("HTTP_HOST") or self.env.get("SERVER_NAME") or "localhost")
        host = host.lower()
        if ":" in host:
            name, port = host.split(":", 1)
            return name, port
        return host, "80" if self.env.get("wsgi.url_scheme", "http") == "http" else "443"

    # -- selectors, filters, apps -----------------------------------------------------------
    def _selector(self, section: Section, classified: composites.Classified) -> Section | None:
        branches = self.deployment.branches(section)
        key, why = self._choose(section, classified, [b.key for b in branches])
        chosen = next((b for b in branches if b.key == key), None)
        if chosen is None:
            keys = ", ".join(b.key for b in branches) or "none"
            raise _Stop(f"[{section.header}] has no key {key!r} (keys: {keys}); give select=")
        self.step(section, "selector", chosen.key, why)
        for position, name in enumerate(chosen.names[:-1]):
            ref = Ref(name, FILTER, "branch", section.file, chosen.line, chosen.label, position)
            self._filter(self._need(ref, section))
        last = Ref(chosen.names[-1], APP, "branch", section.file, chosen.line, chosen.label)
        return self._need(last, section)

    def _choose(
        self, section: Section, classified: composites.Classified, keys: list[str]
    ) -> tuple[str | None, str]:
        given = self.select.get(section.name, self.select.get(section.header))
        if given is not None:
            return given, "key chosen with select="
        selector = classified.selector
        chooses_by = selector.chooses_by if selector else "unknown"
        if self.entry and "flavor" in chooses_by:
            suffixes = [k for k in keys if self.entry.endswith("-" + k)]
            if suffixes:
                key = max(suffixes, key=len)
                return key, f"chooses by {chooses_by}: {key!r}, taken from the entry name"
        default = selector.default_key if selector else None
        if default is None and keys:
            return keys[0], f"chooses by {chooses_by}; assumed the first key"
        return default, f"chooses by {chooses_by}; default {default!r}"

    def _filter(self, section: Section, kind: str = "filter") -> None:
        note = self._filter_note(section)
        layer = self.step(section, kind, note=note)
        mapper = self._mapper_for(section, layer)
        if mapper is None:
            return
        found = match(mapper, self.env["REQUEST_METHOD"], self.path_info, environ=self._sub_env())
        if found.route is None or _passes_on(found):
            return
        self.match, self.answered_by = found, section
        raise _Stop(f"[{section.header}] answers: its own route #{found.route.index} matched")

    def _filter_note(self, section: Section) -> str | None:
        target = section.factory.target or ""
        if target in ROUTING_FILTERS:
            return f"{ROUTING_FILTERS[target]}; {_STATIC_NOTE}"
        if target.startswith("keystone.contrib.") and "Extension" in target:
            return f"{_EXTENSION_ROUTER_NOTE}; {_STATIC_NOTE}"
        return None

    def _app(self, section: Section) -> None:
        layer = self.step(section, "app")
        self.app = section
        mapper = self._mapper_for(section, layer)
        if mapper is None:
            if self.live is None and not self.mappers:
                self.notes.append("static model: no routes (assemble the app, or pass mappers=)")
            elif layer is not None and layer.standin:
                self.notes.append(f"[{section.header}] is a stand-in: {layer.reason}")
            else:
                self.notes.append(f"[{section.header}] has no routes.Mapper")
            return
        self.match = match(
            mapper, self.env["REQUEST_METHOD"], self.path_info, environ=self._sub_env()
        )
        if self.match.route is None:
            raise _Stop(f"404 from [{section.header}]: {self.match.describe()}")

    def _mapper_for(self, section: Section, layer: Layer | None) -> Any:
        given = _given_mapper(section, self.mappers)
        if given is not None or layer is None:
            return given
        layers = self.live.layers if self.live is not None else []
        found = _layer_mapper(layer, layers, {})
        return found.mapper if found else None

    def _sub_env(self) -> dict[str, Any]:
        keep = ("HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "QUERY_STRING", "wsgi.url_scheme")
        env = {k: self.env[k] for k in keep if k in self.env}
        env.update(SCRIPT_NAME=self.script_name, PATH_INFO=self.path_info)
        env.update({k: v for k, v in self.env.items() if k.startswith("HTTP_")})
        return env


def _passes_on(found: RouteMatch) -> bool:
    """A keystone ExtensionRouter's catch-all ``{path_info:.*}`` hands the request on."""
    route = found.route
    return route is not None and "path_info" in found.params and route.action is None


def _collapse_slashes(path: str) -> str:
    while "//" in path:
        path = path.replace("//", "/")
    return path


def _domain_fits(domain: str | None, host: str, port: str) -> bool:
    if not domain:
        return True
    if domain.startswith("*:"):
        return domain[2:] == port
    return domain in (host, f"{host}:{port}")


def _prefix_taken(key_path: str, path: str, wildcard_plus: bool) -> str | None:
    """The prefix a urlmap key takes from ``path`` (Paste's rule; nova's ``/+``), or None."""
    if wildcard_plus and key_path.endswith("/+"):
        # nova: must start with the key up to its '/' and have something after it
        if path.startswith(key_path[:-1]) and len(path) >= len(key_path):
            return key_path[:-2]
        return None
    if path == key_path or path.startswith(key_path + "/"):
        return key_path
    return None


def resolve(
    target: Deployment | LiveApp,
    method: str,
    path: str,
    *,
    headers: Mapping[str, str] | None = None,
    name: str | None = None,
    mappers: Mapping[str, Any] | None = None,
    select: Mapping[str, str] | None = None,
) -> Resolution:
    """Where ``method path`` goes: urlmap prefix, composite branch, filters, app, route.

    Walked over the static model; no filter or controller code runs. Routes come from a
    live app's mappers or from ``mappers`` (``{section header or name: Mapper}``);
    ``select`` (``{composite name: key}``) overrides a selector's default key.
    """
    live: LiveApp | None = None if isinstance(target, Deployment) else target
    deployment = target if isinstance(target, Deployment) else target.deployment
    entry = name or (live.name if live is not None else None) or deployment.default_name
    method = method.upper()
    request: dict[str, Any] = Request.blank(
        path, method=method, headers=dict(headers or {})
    ).environ
    walker = _Walker(deployment, live, request, entry, dict(mappers or {}), dict(select or {}))
    ok = True
    try:
        walker.walk(deployment.get(entry))
    except _Stop as stop:
        walker.explanation = str(stop)
        ok = walker.answered_by is not None
    except PastetraceError as error:
        walker.explanation, ok = str(error), False
    notes = walker.notes
    if any(s.note and _STATIC_NOTE in s.note for s in walker.steps):
        notes = [*notes, f"a filter on the way may rewrite the path or answer: {_STATIC_NOTE}"]
    return Resolution(
        method=method,
        path=path,
        steps=walker.steps,
        app=walker.app,
        match=walker.match,
        ok=ok,
        explanation=walker.explanation,
        notes=notes,
        answered_by=walker.answered_by,
    )
