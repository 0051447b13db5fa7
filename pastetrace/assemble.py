"""Live assembly: a paste file → a running WSGI app with a tracing layer around every piece.

Three stages, because real projects need them in this order (glance registers command-line
options when imported, so its config may only be parsed after every import):

1. **resolve** imports every factory reachable from the entry (``module:attr.attr``);
2. **setup** runs the adapters of the factories' projects (:mod:`pastetrace.adapters`) and
   the user's own ``setup`` hook;
3. **create** calls the factories exactly as PasteDeploy 3.1 does (``loadwsgi.py``) and puts a
   :class:`~pastetrace.trace.TraceMiddleware` around every object the configuration creates.

A factory that cannot be imported or raises becomes a stand-in (:mod:`pastetrace.standins`)
and the reason is kept on its :class:`Layer`, so any paste file assembles, installed or not.
This is the only module of pastetrace that imports what a paste file names.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import os
import time
import traceback
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import adapters as adapters_pkg
from . import standins
from .composites import CompositeKind
from .config import APP, FILTER, Deployment, Factory, Ref, Section
from .errors import PastetraceError, UsageError

__all__ = ["STAGES", "Failure", "Layer", "LiveApp", "assemble"]

STAGES = ("resolve", "setup", "create")
_COMPOSITE_PROTOCOLS = ("paste.composite_factory", "paste.composit_factory")
_DEFAULT_PROTOCOL = {
    "app": "paste.app_factory",
    "composite": "paste.composite_factory",
    "filter": "paste.filter_factory",
    "filter-app": "paste.filter_factory",
}
_REASON_LIMIT = 300
WSGIApp = Callable[..., Any]
FilterFn = Callable[[WSGIApp], WSGIApp]


@dataclass(frozen=True)
class Failure:
    """Why a factory is not used: the stage it failed in and a one-line reason."""

    stage: str
    reason: str


@dataclass(eq=False)
class Layer:
    """One object the configuration created (a filter used twice is two layers)."""

    section: Section
    kind: str  # app | urlmap | composite | pipeline | filter | filter-app
    factory: str  # the spec as written
    target: str | None
    node_id: str
    standin: bool = False
    reason: str | None = None
    obj: Any = None  # the created object, without pastetrace's layers
    wrapper: Any = None  # the TraceMiddleware around it (None when not tracing)
    stage: str | None = None  # where the real factory failed: resolve | setup | create

    def fail(self, failure: Failure) -> None:
        """Mark this layer as a stand-in for ``failure``."""
        self.standin, self.reason, self.stage = True, failure.reason, failure.stage

    def info(self) -> Any:
        """The :class:`~pastetrace.trace.LayerInfo` its tracing layer records."""
        from .trace import LayerInfo

        return LayerInfo(self.section.header, self.kind, self.factory, self.standin, self.reason)

    def __repr__(self) -> str:
        state = f"stand-in: {self.reason}" if self.standin else "real"
        return f"<Layer {self.node_id} {self.kind} ({state})>"


@dataclass(eq=False)
class LiveApp:
    """An assembled application: the traced root app and every layer that went into it."""

    deployment: Deployment
    name: str
    app: Any = None
    layers: list[Layer] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    failures: dict[str, Failure] = field(default_factory=dict)  # factory target → why
    adapters: list[str] = field(default_factory=list)

    def standins(self) -> list[Layer]:
        """The layers that are stand-ins (not imported, failed, or stubbed)."""
        return [layer for layer in self.layers if layer.standin]

    def find(self, key: str) -> list[Layer]:
        """Layers whose node id, section header or section name is ``key``."""
        return [
            layer
            for layer in self.layers
            if key in (layer.node_id, layer.section.header, layer.section.name)
        ]

    def __repr__(self) -> str:
        fake = len(self.standins())
        return (
            f"<LiveApp {self.name!r} from {self.deployment.path.name}: "
            f"{len(self.layers) - fake} real layers, {fake} stand-ins>"
        )


def assemble(
    deployment: Deployment | str | os.PathLike[str] | None,
    name: str | None = None,
    *,
    stub: Iterable[str] = (),
    select: Mapping[str, str] | None = None,
    settings: Mapping[str, str] | None = None,
    setup: str | None = None,
    conf: Path | None = None,
    trace: bool = True,
    timing_only: bool = False,
    real: bool = True,
) -> LiveApp:
    """Build the application ``name`` of ``deployment`` with its real factories where they work.

    Args:
        stub: filter names (or headers) replaced by a pass-through, recorded as "stubbed".
        select: composite name (or header) → the key its pipeline selector uses.
        settings: global conf overrides, applied after ``[DEFAULT]`` and ``set`` keys.
        setup: ``"module:function"`` called with the LiveApp before any factory is called.
        conf: a config file given to the projects' adapters (e.g. ``nova.conf``).
        trace: put a tracing layer around every created object (``timing_only``: a timing one).
        real: False imports nothing: every layer is a stand-in (safe routing of any file).

    ``deployment`` may also be what :func:`pastetrace.load` takes: a path, ``path#name``
    or a bundled example's name.
    """
    if not isinstance(deployment, Deployment):
        from .config import locate

        path, entry_name, _ = locate(deployment)
        deployment = Deployment(path, entry_name)
        name = name or entry_name
    entry = deployment.get(name)
    assembler = _Assembler(
        deployment,
        LiveApp(deployment, entry.name),
        stubs=_check_stubs(deployment, stub),
        selects=_check_selects(deployment, select or {}),
        settings=dict(settings or {}),
        conf=conf,
        wrap=trace,
        timing_only=timing_only,
        real=real,
    )
    return assembler.run(entry, setup)


# -- arguments -------------------------------------------------------------------------------
def _named(deployment: Deployment, namespace: str, key: str) -> Section | None:
    """The section called ``key`` (a name or a header as written) in ``namespace``."""
    found = deployment.find(namespace, key.strip())
    if len(found) == 1:
        return found[0]
    for section in deployment.sections:
        if section.namespace == namespace and section.header == key.strip():
            return section
    return None


def _check_stubs(deployment: Deployment, stub: Iterable[str]) -> set[str]:
    headers = set()
    for name in stub:
        section = _named(deployment, FILTER, name)
        if section is None:
            close = deployment.suggest(FILTER, name)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"--stub {name}: no filter section named {name!r}{hint}")
        headers.add(section.header)
    return headers


def _check_selects(deployment: Deployment, select: Mapping[str, str]) -> dict[str, str]:
    result = {}
    for name, key in select.items():
        section = _named(deployment, APP, name)
        if section is None or section.kind != "composite":
            raise UsageError(f"--select {name}={key}: no composite section named {name!r}")
        keys = [k for k, v in section.local_conf.items() if v.split()]
        if key not in keys:
            raise UsageError(
                f"--select {name}={key}: [{section.header}] has no key {key!r} "
                f"(keys: {', '.join(keys) or 'none'})"
            )
        result[section.header] = key
    return result


# -- the three stages ------------------------------------------------------------------------
@dataclass
class _Frame:
    """A section being created: owner of the filters its factory asks the loader for."""

    header: str
    count: int = 0


class _Assembler:
    def __init__(
        self,
        deployment: Deployment,
        live: LiveApp,
        *,
        stubs: set[str],
        selects: dict[str, str],
        settings: dict[str, str],
        conf: Path | None,
        wrap: bool,
        timing_only: bool,
        real: bool,
    ) -> None:
        self.deployment = deployment
        self.live = live
        self.stubs = stubs
        self.selects = selects
        self.settings = settings
        self.conf = conf
        self.wrap = wrap
        self.timing_only = timing_only
        self.real = real
        self.resolved: dict[str, Any] = {}
        self.setup_failures: dict[str, Failure] = {}
        self.frames: list[_Frame] = []
        self.active: list[str] = []
        self.missing: dict[tuple[str, str], Section] = {}

    def run(self, entry: Section, setup: str | None) -> LiveApp:
        sections = _reachable(self.deployment, entry)
        targets = self._targets(sections) if self.real else []
        found = [m for m in _modules(targets) if importlib.util.find_spec(m) is not None]
        chosen = adapters_pkg.adapters_for(found)
        self.live.adapters = [a.name for a in chosen]
        with _quiet():
            self._timed("setup", lambda: self._adapters(chosen, "before_resolve"))
            self._timed("resolve", lambda: self._resolve(targets))
            self._timed("setup", lambda: self._adapters(chosen, "setup"))
            self._timed("setup", lambda: self._user_setup(setup))
            self.live.app = self._timed("create", lambda: self.create(entry, None))
        return self.live

    def _timed(self, stage: str, step: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return step()
        finally:
            self.live.timings[stage] += time.perf_counter() - start

    # resolve
    def _targets(self, sections: list[Section]) -> list[str]:
        targets: list[str] = []
        for section in sections:
            if section.header in self.stubs or section.factory.problem:
                continue
            for target in (section.factory.target, section.factory.indirect):
                if target and section.factory.scheme != "pipeline" and target not in targets:
                    targets.append(target)
        return targets

    def _resolve(self, targets: list[str]) -> None:
        for target in targets:
            try:
                self.resolved[target] = _import(target)
            except (Exception, SystemExit) as exc:
                self.live.failures[target] = Failure("resolve", _describe(exc))

    # setup
    def _adapters(self, chosen: list[adapters_pkg.Adapter], step: str) -> None:
        for adapter in chosen:
            if adapter.name in self.setup_failures:
                continue
            try:
                getattr(adapter, step)(self.live, self.conf)
            except (Exception, SystemExit) as exc:
                reason = f"{adapter.name} adapter {step} failed: {_describe(exc)}"
                self.setup_failures[adapter.name] = Failure("setup", reason)

    def _user_setup(self, setup: str | None) -> None:
        if not setup:
            return
        try:
            hook = _import(setup)
        except Exception as exc:
            raise UsageError(f"--setup {setup}: cannot import it ({_describe(exc)})") from None
        try:
            hook(self.live)
        except Exception as exc:
            raise PastetraceError(f"--setup {setup} failed: {_describe(exc, hook)}") from None

    # create: the loader interface
    def get_app(self, name: str, global_conf: Mapping[str, str] | None, file: Path) -> WSGIApp:
        return self.create(self._lookup(APP, name, file), global_conf)

    def get_filter(self, name: str, global_conf: Mapping[str, str] | None, file: Path) -> FilterFn:
        section = self._lookup(FILTER, name, file)
        owner, order = None, None
        if self.frames:
            frame = self.frames[-1]
            owner, order = frame.header, frame.count
            frame.count += 1
        return self.create_filter(section, global_conf, owner, order)

    def _lookup(self, namespace: str, name: str, file: Path) -> Section:
        name = name.strip()
        section = self.deployment.resolve(Ref(name, namespace, "branch", file, None))
        if section is not None:
            return section
        key = (namespace, name)
        if key not in self.missing:
            self.missing[key] = _missing_section(self.deployment, namespace, name, file)
        return self.missing[key]

    # create: sections
    def create(self, section: Section, passed: Mapping[str, str] | None) -> WSGIApp:
        """Create an app-namespace section as PasteDeploy does (``filter-with`` first)."""
        conf = self._global_conf(section, passed)
        if section.filter_with is not None:
            outer = self.create_filter(
                self._lookup(FILTER, section.filter_with.name, section.file),
                conf,
                section.header,
                0,
            )
            return outer(self._create_app(section, conf))
        return self._create_app(section, conf)

    def _create_app(self, section: Section, conf: dict[str, str]) -> WSGIApp:
        layer = self._layer(section, self._kind(section), section.header)
        if section.header in self.active:
            layer.fail(Failure("create", f"[{section.header}] refers back to itself (a cycle)"))
            return self._finish(layer, self._standin_app(layer))
        self.active.append(section.header)
        self.frames.append(_Frame(section.header))
        try:
            if section.kind == "pipeline":
                obj = self._pipeline(section, conf)
            elif section.kind == "filter-app":
                obj = self._filter_app(section, layer, conf)
            elif self._protocol(section) in _COMPOSITE_PROTOCOLS:
                obj = self._composite(section, layer, conf)
            else:
                obj = self._app(section, layer, conf)
        finally:
            self.frames.pop()
            self.active.pop()
        return self._finish(layer, obj)

    def _pipeline(self, section: Section, conf: dict[str, str]) -> WSGIApp:
        refs = section.pipeline
        if not refs:
            return standins.StandinApp(section.header, "pipeline", "the pipeline is empty")
        app = self.get_app(refs[-1].name, conf, section.file)
        filters = [
            self.create_filter(
                self._lookup(FILTER, ref.name, section.file), conf, section.header, i
            )
            for i, ref in enumerate(refs[:-1])
        ]
        for filter_ in reversed(filters):
            app = filter_(app)
        return app

    def _filter_app(self, section: Section, layer: Layer, conf: dict[str, str]) -> WSGIApp:
        next_name = section.next.name if section.next else ""
        next_app = self.get_app(next_name, conf, section.file)
        filter_ = self._real(section, layer, lambda f: self._invoke_filter(section, f, conf))
        if filter_ is None:
            return standins.PassThrough(next_app, section.header, layer.reason or "")
        try:
            return filter_(next_app)  # type: ignore[no-any-return]
        except (Exception, SystemExit) as exc:
            layer.fail(Failure("create", _describe(exc, self.resolved.get(layer.target or ""))))
            return standins.PassThrough(next_app, section.header, layer.reason or "")

    def _app(self, section: Section, layer: Layer, conf: dict[str, str]) -> WSGIApp:
        local = self._local_conf(section, conf)
        obj = self._real(section, layer, lambda f: _fix_call(f, conf, **local))
        return obj if obj is not None else self._standin_app(layer)

    def _composite(self, section: Section, layer: Layer, conf: dict[str, str]) -> WSGIApp:
        local = self._local_conf(section, conf)
        loader = _Loader(self, section.file)
        override = self.selects.get(section.header)
        if override is not None:
            layer.fail(
                Failure("create", f"--select {section.name}={override}: pastetrace's selector")
            )
            layer.stage = None
        else:
            obj = self._real(section, layer, lambda f: _fix_call(f, loader, conf, **local))
            if obj is not None:
                return obj  # type: ignore[no-any-return]
        classified = self.deployment.composite(section)
        try:
            if classified.kind == CompositeKind.URLMAP:
                return standins.make_urlmap(loader, conf, local, classified.urlmap)
            if classified.kind == CompositeKind.SELECTOR:
                return standins.make_selector(loader, local, classified.selector, override)
        except (Exception, SystemExit) as exc:
            layer.reason = f"{layer.reason}; pastetrace's stand-in failed too: {_describe(exc)}"
        return self._standin_app(layer)

    def create_filter(
        self,
        section: Section,
        passed: Mapping[str, str] | None,
        owner: str | None,
        order: int | None,
    ) -> FilterFn:
        """Create a filter section; the result wraps (and traces) the app it is applied to."""
        conf = self._global_conf(section, passed)
        outer: FilterFn | None = None
        if section.filter_with is not None:
            fw = self._lookup(FILTER, section.filter_with.name, section.file)
            outer = self.create_filter(fw, conf, section.header, 0)
        node_id = f"{owner}/{order}:{section.header}" if owner is not None else section.header
        layer = self._layer(section, "filter", node_id)
        inner = self._filter_fn(section, layer, conf)
        if outer is None:
            return inner
        return lambda app: outer(inner(app))  # filtering a filter: composed, as PasteDeploy

    def _filter_fn(self, section: Section, layer: Layer, conf: dict[str, str]) -> FilterFn:
        if section.header in self.stubs:
            layer.fail(Failure("create", "stubbed"))
            layer.stage = None
            real = None
        else:
            real = self._real(section, layer, lambda f: self._invoke_filter(section, f, conf))

        def apply(app: WSGIApp) -> WSGIApp:
            if real is None:
                return self._finish(
                    layer, standins.PassThrough(app, section.header, layer.reason or "")
                )
            try:
                with _quiet():
                    obj = real(app)
            except (Exception, SystemExit) as exc:
                layer.fail(Failure("create", _describe(exc, self.resolved.get(layer.target or ""))))
                obj = standins.PassThrough(app, section.header, layer.reason or "")
            return self._finish(layer, obj)

        return apply

    def _invoke_filter(self, section: Section, factory: Any, conf: dict[str, str]) -> Any:
        local = self._local_conf(section, conf)
        if self._protocol(section) == "paste.filter_app_factory":
            return lambda app: _fix_call(factory, app, conf, **local)
        return _fix_call(factory, conf, **local)

    # create: helpers
    def _real(self, section: Section, layer: Layer, invoke: Callable[[Any], Any]) -> Any:
        """Call the real factory; on any failure mark the layer a stand-in and return None."""
        failure = self._failure(section)
        if failure is not None:
            layer.fail(failure)
            return None
        factory = self.resolved[section.factory.target or ""]
        mark = len(self.live.layers)
        try:
            return invoke(factory)
        except (Exception, SystemExit) as exc:
            del self.live.layers[mark:]  # what the failed factory created is thrown away
            layer.fail(Failure("create", _describe(exc, factory)))
            return None

    def _failure(self, section: Section) -> Failure | None:
        factory = section.factory
        if not self.real:
            return Failure("resolve", "not imported: assembled with real=False")
        if factory.problem:
            return Failure("resolve", factory.problem)
        if not factory.target:
            return Failure("resolve", _unknown_target(factory))
        for target in (factory.target, factory.indirect):
            if target and target in self.live.failures:
                return self.live.failures[target]
        module = factory.target.split(":", 1)[0].split(".", 1)[0]
        if module in self.setup_failures:
            return self.setup_failures[module]
        if factory.target not in self.resolved:
            return Failure("resolve", f"{factory.target} was not imported")
        return None

    def _protocol(self, section: Section) -> str:
        return section.factory.protocol or _DEFAULT_PROTOCOL.get(section.kind, "paste.app_factory")

    def _kind(self, section: Section) -> str:
        if section.kind == "composite" or self._protocol(section) in _COMPOSITE_PROTOCOLS:
            classified = self.deployment.composite(section)
            return "urlmap" if classified.kind == CompositeKind.URLMAP else "composite"
        return section.kind

    def _global_conf(self, section: Section, passed: Mapping[str, str] | None) -> dict[str, str]:
        """``[DEFAULT]`` + what the caller passed + the section's ``set`` keys + settings."""
        conf = dict(self.deployment.defaults)
        conf.update(passed or {})
        conf.update(section.global_additions)
        conf.update(self.settings)
        return conf

    def _local_conf(self, section: Section, conf: Mapping[str, str]) -> dict[str, str]:
        local = dict(section.local_conf)
        for local_key, global_key in section.gets.items():
            if global_key in conf:
                local[local_key] = conf[global_key]
        return local

    def _layer(self, section: Section, kind: str, node_id: str) -> Layer:
        factory = section.factory
        layer = Layer(section, kind, factory.spec, factory.target, node_id)
        self.live.layers.append(layer)
        return layer

    def _standin_app(self, layer: Layer) -> WSGIApp:
        return standins.StandinApp(layer.section.header, layer.factory, layer.reason or "")

    def _finish(self, layer: Layer, obj: Any) -> WSGIApp:
        from .trace import unwrap, wrap

        layer.obj = unwrap(obj)
        if not self.wrap:
            return obj  # type: ignore[no-any-return]
        layer.wrapper = wrap(obj, layer.info(), timing_only=self.timing_only, owner=layer.obj)
        return layer.wrapper  # type: ignore[no-any-return]


class _Loader:
    """PasteDeploy's loader as composite factories see it: names come back through pastetrace."""

    def __init__(self, assembler: _Assembler, file: Path) -> None:
        self._assembler = assembler
        self.filename = str(file)

    def get_app(self, name: str | None = None, global_conf: Mapping[str, str] | None = None) -> Any:
        return self._assembler.get_app(name or "main", global_conf, Path(self.filename))

    def get_filter(
        self, name: str | None = None, global_conf: Mapping[str, str] | None = None
    ) -> Any:
        return self._assembler.get_filter(name or "main", global_conf, Path(self.filename))

    def get_server(self, name: str | None = None, global_conf: Any = None) -> Any:
        raise LookupError("pastetrace does not create servers")


# -- helpers ---------------------------------------------------------------------------------
def _reachable(deployment: Deployment, entry: Section) -> list[Section]:
    """Every section the entry can reach, entry first (static: references only)."""
    seen: dict[str, Section] = {}
    todo = [entry]
    while todo:
        section = todo.pop(0)
        if section.id in seen:
            continue
        seen[section.id] = section
        for ref in deployment.references(section):
            target = deployment.resolve(ref)
            if target is not None and target.id not in seen:
                todo.append(target)
    return list(seen.values())


def _modules(targets: Iterable[str]) -> list[str]:
    """Top-level modules of factory targets, first-seen order."""
    result: list[str] = []
    for target in targets:
        module = target.split(":", 1)[0].split(".", 1)[0].strip()
        if module and module not in result:
            result.append(module)
    return result


def _import(target: str) -> Any:
    """``module:attr.attr`` (or a bare module) → the object, as an entry point loads it."""
    module_name, _, attrs = target.partition(":")
    attrs = attrs.split("[", 1)[0].strip()
    obj: Any = importlib.import_module(module_name.strip())
    for part in attrs.split(".") if attrs else []:
        obj = getattr(obj, part)
    return obj


def _fix_call(factory: Any, *args: Any, **kwargs: Any) -> Any:
    """``paste.deploy.util.fix_call``: a signature TypeError names what was passed."""
    from paste.deploy.util import fix_call

    return fix_call(factory, *args, **kwargs)


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Real services warn (DeprecationWarning) on import and creation; keep that to ourselves."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _unknown_target(factory: Factory) -> str:
    if factory.missing_dist:
        return f"{factory.spec}: distribution {factory.missing_dist!r} is not installed"
    return f"{factory.spec or 'no factory'}: pastetrace cannot tell which callable it names"


def _missing_section(deployment: Deployment, namespace: str, name: str, file: Path) -> Section:
    """A section that stands for a name the file does not define (PasteDeploy: LookupError)."""
    kind = "filter" if namespace == FILTER else "app"
    problem = deployment._missing_message(namespace, name, file)
    section = Section(kind, name, f"{kind}:{name}", file, 0, {}, {}, synthetic=True)
    section.factory = Factory("", "none", problem=problem)
    return section


def _describe(exc: BaseException, factory: Any = None) -> str:
    """``Type: message (factory at file:line; raised at file:line)`` on one line."""
    message = " ".join(str(exc).split()) or "(no message)"
    if len(message) > _REASON_LIMIT:
        message = message[: _REASON_LIMIT - 3] + "..."
    where = []
    made = _source_of(factory)
    if made:
        where.append(f"factory at {made}")
    raised = _raised_at(exc)
    if raised and raised != made:
        where.append(f"raised at {raised}")
    suffix = f" ({'; '.join(where)})" if where else ""
    return f"{type(exc).__name__}: {message}{suffix}"


def _source_of(obj: Any) -> str | None:
    if obj is None:
        return None
    try:
        target = inspect.unwrap(obj)
        file = inspect.getsourcefile(target)
        line = inspect.getsourcelines(target)[1]
    except (TypeError, OSError):
        return None
    return f"{_short(file)}:{line}" if file else None


def _raised_at(exc: BaseException) -> str | None:
    """The innermost frame of the traceback outside importlib's machinery."""
    frames = [
        f
        for f in traceback.extract_tb(exc.__traceback__)
        if "importlib" not in f.filename and f.filename != __file__
    ]
    if not frames:
        return None
    return f"{_short(frames[-1].filename)}:{frames[-1].lineno}"


def _short(path: str) -> str:
    """A source path relative to site-packages or the current folder, for readable reasons."""
    marker = f"site-packages{os.sep}"
    if marker in path:
        return path.split(marker, 1)[1]
    try:
        return str(Path(path).resolve().relative_to(Path.cwd()))
    except ValueError:
        return path
