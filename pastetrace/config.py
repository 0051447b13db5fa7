"""A paste file → :class:`Deployment`: its sections, references, factories and file:line. Static.

The file is read exactly as PasteDeploy 3.1 reads it (``paste/deploy/loadwsgi.py``): a
``ConfigParser`` with basic interpolation, ``strict`` duplicates, case-kept keys, ``=`` and ``:``
delimiters, ``here`` and ``__file__`` as defaults, ``[DEFAULT]`` as global conf (and dropped from
each section's local conf), ``set``/``get``, ``use =`` with ``egg:``, ``call:``, ``config:`` or
another section, ``filter-with``, ``filter-app:`` with ``next``. Nothing the file names is
imported: an ``egg:`` reference is resolved through the installed distribution's entry-point
*metadata*, and a value that Python 3 cannot interpolate (``%SERVICE_TENANT_NAME%``) is kept raw.
"""

from __future__ import annotations

import configparser
import difflib
import os
import re
import stat
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from . import composites
from ._bulk import collector_paused
from .errors import ConfigError

__all__ = [
    "APP",
    "FILTER",
    "SERVER",
    "Deployment",
    "Factory",
    "Note",
    "Ref",
    "Section",
    "load",
    "locate",
]

APP, FILTER, SERVER = "app", "filter", "server"

# Section prefix → kind, and kind → the namespace PasteDeploy looks names up in.
_PREFIX_KIND = {
    "app": "app",
    "application": "app",
    "composite": "composite",
    "composit": "composite",
    "pipeline": "pipeline",
    "filter-app": "filter-app",
    "filter": "filter",
    "server": "server",
}
_KIND_NAMESPACE = {
    "app": APP,
    "composite": APP,
    "pipeline": APP,
    "filter-app": APP,
    "filter": FILTER,
    "server": SERVER,
}
# PasteDeploy's lookup order: groups of aliases; within a group the first alias found wins.
_PREFIX_GROUPS = {
    APP: (("app", "application"), ("composite", "composit"), ("pipeline",), ("filter-app",)),
    FILTER: (("filter",),),
    SERVER: (("server",),),
}
# Explicit factory keys per namespace; keys in one tuple are alternatives (the first one wins),
# separate tuples are separate protocols (two present = "Multiple protocols").
_PROTOCOL_GROUPS = {
    APP: (("paste.app_factory",), ("paste.composite_factory",), ("paste.composit_factory",)),
    FILTER: (("paste.filter_factory", "paste.filter_app_factory"),),
    SERVER: (("paste.server_factory", "paste.server_runner"),),
}
_ALL_PROTOCOLS = frozenset(p for groups in _PROTOCOL_GROUPS.values() for g in groups for p in g)
# Protocol given to `use = call:` and `use = section`, from the section type (loadwsgi l.497).
_KIND_PROTOCOL = {
    "app": "paste.app_factory",
    "composite": "paste.composite_factory",
    "filter": "paste.filter_factory",
    "filter-app": "paste.filter_factory",
    "server": "paste.server_factory",
}
_URI_RE = re.compile(r"^[a-zA-Z]+:")
# glance.common.wsgi:app_factory and heat's read the real class from a key like these.
_INDIRECT_KEY_RE = re.compile(r"^[A-Za-z_][\w]*\.(app|filter|composite)_factory$")
INDIRECT_FACTORIES = frozenset(
    {
        "glance.common.wsgi:app_factory",
        "glance.common.wsgi:filter_factory",
        "heat.common.wsgi:app_factory",
        "heat.common.wsgi:filter_factory",
    }
)

# Entry points of distributions that are often referenced but seldom installed next to
# pastetrace (NOTES.md §2). Used only when the distribution is not installed; marked "known".
KNOWN_ENTRY_POINTS: dict[tuple[str, str], str] = {
    ("paste", "urlmap"): "paste.urlmap:urlmap_factory",
    ("paste", "cgitb"): "paste.cgitb_catcher:make_cgitb_middleware",
    ("paste", "httpexceptions"): "paste.httpexceptions:make_middleware",
    ("oslo.middleware", "healthcheck"): "oslo_middleware:Healthcheck.app_factory",
    ("oslo.middleware", "cors"): "oslo_middleware:CORS.factory",
    ("oslo.middleware", "catch_errors"): "oslo_middleware:CatchErrors.factory",
    ("oslo.middleware", "correlation_id"): "oslo_middleware:CorrelationId.factory",
    ("oslo.middleware", "debug"): "oslo_middleware:Debug.factory",
    ("oslo.middleware", "http_proxy_to_wsgi"): "oslo_middleware:HTTPProxyToWSGI.factory",
    ("oslo.middleware", "request_id"): "oslo_middleware:RequestId.factory",
    ("oslo.middleware", "sizelimit"): "oslo_middleware:RequestBodySizeLimiter.factory",
    ("osprofiler", "osprofiler"): "osprofiler.web:WsgiMiddleware.factory",
    ("swift", "proxy"): "swift.proxy.server:app_factory",
    ("swift", "object"): "swift.obj.server:app_factory",
    ("swift", "container"): "swift.container.server:app_factory",
    ("swift", "account"): "swift.account.server:app_factory",
}
# Their protocol where it is not the namespace's first one (Paste's setup.py).
KNOWN_PROTOCOLS: dict[tuple[str, str], str] = {
    ("paste", "urlmap"): "paste.composite_factory",
    ("paste", "cgitb"): "paste.filter_app_factory",
    ("paste", "httpexceptions"): "paste.filter_app_factory",
}


@dataclass(frozen=True)
class Note:
    """Something the reader noticed while reading a file (turned into diagnostics by lint)."""

    code: str
    message: str
    file: Path
    line: int | None
    severity: str = "warning"


@dataclass(frozen=True)
class Ref:
    """A name one section uses for another: a pipeline entry, ``next``, a composite value..."""

    name: str
    namespace: str  # APP or FILTER: where PasteDeploy will look the name up
    role: str  # pipeline | next | filter-with | use | branch
    file: Path
    line: int | None
    label: str | None = None  # urlmap prefix or composite key
    order: int | None = None  # position in a pipeline or selector branch

    @property
    def is_uri(self) -> bool:
        return bool(_URI_RE.match(self.name))


@dataclass
class Factory:
    """Which factory creates a section's object, as written and as resolved (without import)."""

    spec: str  # as written: "egg:Paste#urlmap", "call:m:f", "m:Cls.factory", "pipeline"
    scheme: str  # egg | call | config | section | explicit | pipeline | none
    protocol: str | None = None
    target: str | None = None  # "module:callable" where known
    source: str = "written"  # written | installed | known | unresolved
    line: int | None = None
    indirect: str | None = None  # glance/heat: the class named by a `<x>.app_factory` key
    problem: str | None = None  # why PasteDeploy could not load it (an error)
    missing_dist: str | None = None  # egg: distribution not installed here (a warning)
    via: tuple[str, ...] = ()  # sections or files a `use =` went through

    @property
    def module(self) -> str | None:
        return self.target.split(":", 1)[0] if self.target else None


@dataclass(eq=False)  # identity: a section is one place in one file
class Section:
    """One paste section (or an object named by URI inside a pipeline)."""

    kind: str  # app | composite | pipeline | filter | filter-app | server
    name: str
    header: str  # as written, e.g. "pipeline:public_api"
    file: Path
    line: int
    options: dict[str, str]  # the section's own keys (DEFAULT keys dropped), values interpolated
    option_lines: dict[str, int]
    global_additions: dict[str, str] = field(default_factory=dict)  # `set x = v`
    gets: dict[str, str] = field(default_factory=dict)  # `get local = global`
    dropped: tuple[str, ...] = ()  # own keys shadowed by [DEFAULT]
    synthetic: bool = False  # a URI written directly in a pipeline
    value_lines: dict[str, list[tuple[int, str]]] = field(default_factory=dict, repr=False)
    foreign: bool = False  # read from a file that `config:` points to, not the main file

    # Filled by Deployment.
    factory: Factory = field(default_factory=lambda: Factory("", "none"))
    local_conf: dict[str, str] = field(default_factory=dict)
    pipeline: tuple[Ref, ...] = ()
    next: Ref | None = None
    filter_with: Ref | None = None
    extra_pipeline_keys: tuple[str, ...] = ()

    @property
    def namespace(self) -> str:
        return _KIND_NAMESPACE[self.kind]

    @property
    def id(self) -> str:
        """Unique within a Deployment: the header, prefixed by the file when it is another one."""
        return f"{self.file.name}#{self.header}" if self.foreign else self.header

    def line_of(self, key: str) -> int | None:
        return self.option_lines.get(key)

    def __repr__(self) -> str:
        return f"<Section [{self.header}] {self.file.name}:{self.line}>"


@dataclass
class _File:
    path: Path
    defaults: dict[str, str]
    sections: list[Section]
    ignored: list[tuple[str, int]]
    notes: list[Note]
    index: dict[tuple[str, str], list[Section]]


class Deployment:
    """Everything a paste file (and the files it points to with ``config:``) declares."""

    def __init__(self, path: Path, default_name: str | None = None) -> None:
        self.path = Path(os.path.abspath(path))
        self.default_name = default_name
        self._files: dict[Path, _File] = {}
        self._synthetic: dict[tuple[Path, str, str], Section] = {}
        self._entry_points: dict[str, _EntryPoints] = {}  # egg: lookups, once per distribution
        with collector_paused():
            main = self._file(path, required=True)
            assert main is not None  # required=True raises instead
            self._main: _File = main
            for section in self._main.sections:
                self._resolve(section)

    # -- what the file holds ------------------------------------------------------------
    @property
    def defaults(self) -> dict[str, str]:
        """The main file's ``[DEFAULT]`` (with ``here`` and ``__file__``): the global conf."""
        return self._main.defaults

    @property
    def sections(self) -> list[Section]:
        """The main file's paste sections, in file order."""
        return self._main.sections

    @property
    def ignored_sections(self) -> list[tuple[str, int]]:
        """Non-paste sections (``[sql]``, ``[object-replicator]``...) and their lines."""
        return self._main.ignored

    @property
    def notes(self) -> list[Note]:
        """What the reader noticed in every file it read (interpolation, unknown eggs...)."""
        return [n for f in self._files.values() for n in f.notes]

    @property
    def files(self) -> list[Path]:
        return list(self._files)

    def all_sections(self) -> Iterator[Section]:
        for f in self._files.values():
            yield from f.sections
        yield from self._synthetic.values()

    # -- lookups ------------------------------------------------------------------------
    def find(self, namespace: str, name: str, file: Path | None = None) -> list[Section]:
        """Every section that answers to ``name`` in ``namespace`` (more than one = ambiguous)."""
        parsed = self._files.get(file or self.path)
        if parsed is None:
            return []
        return parsed.index.get((namespace, name), [])

    def get(self, name: str | None = None, namespace: str = APP) -> Section:
        """The section PasteDeploy would load for ``name``, or a ConfigError saying why not."""
        name = name or self.default_name or "main"
        found = self.find(namespace, name)
        if len(found) == 1:
            return found[0]
        if found:
            headers = ", ".join(f"[{s.header}] line {s.line}" for s in found)
            raise ConfigError(
                f"{name!r} is ambiguous: {headers} (rename one of them)", self.path, found[1].line
            )
        raise ConfigError(self._missing_message(namespace, name), self.path)

    def resolve(self, ref: Ref) -> Section | None:
        """The section a reference leads to (a URI in a pipeline becomes a synthetic section)."""
        if ref.is_uri:
            return self._uri_section(ref)
        found = self.find(ref.namespace, ref.name, ref.file)
        return found[0] if len(found) == 1 else None

    def suggest(self, namespace: str, name: str, file: Path | None = None) -> list[str]:
        """Names close to ``name`` in ``namespace``, for "did you mean" hints."""
        names = self.names(namespace, file)
        same = [n for n in names if n.lower() == name.lower()]  # names are case-sensitive
        close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
        return (same + [n for n in close if n not in same])[:3]

    def names(self, namespace: str, file: Path | None = None) -> list[str]:
        parsed = self._files.get(file or self.path)
        if parsed is None:
            return []
        return sorted({n for ns, n in parsed.index if ns == namespace and n})

    def _missing_message(self, namespace: str, name: str, file: Path | None = None) -> str:
        what = "filter" if namespace == FILTER else "app, composite or pipeline"
        known = self.names(namespace, file)
        hints = []
        close = self.suggest(namespace, name, file)
        bare = self.find(namespace, "", file)
        if bare and name == "main":
            hints.append(f"[{bare[0].header}] has no name: write [{bare[0].header}:main]")
        if close:
            hints.append(f"did you mean {close[0]!r}?")
        if known:
            listing = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            hints.append(f"{'filters' if namespace == FILTER else 'apps'}: {listing}")
        else:
            hints.append(f"the file has no {what} section")
        return f"no {what} section named {name!r} ({'; '.join(hints)})"

    # -- structure ----------------------------------------------------------------------
    def references(self, section: Section) -> list[Ref]:
        """Every name ``section`` uses for another section, in order."""
        refs: list[Ref] = []
        if section.kind == "pipeline":
            refs.extend(section.pipeline)
        elif section.kind == "composite":
            refs.extend(self.branch_refs(section))
        if section.next is not None:
            refs.append(section.next)
        if section.filter_with is not None:
            refs.append(section.filter_with)
        return refs

    def composite(self, section: Section) -> composites.Classified:
        """What kind of composite a section is (urlmap, selector or unknown)."""
        return composites.classify(section.factory.target, section.local_conf)

    def branches(self, section: Section) -> list[composites.Branch]:
        """The branches of a composite section, in the order it tries them."""
        return composites.branches(self.composite(section), section.local_conf, section.line_of)

    def branch_refs(self, section: Section) -> list[Ref]:
        kind = self.composite(section).kind
        refs: list[Ref] = []
        for branch in self.branches(section):
            last = len(branch.names) - 1
            for i, name in enumerate(branch.names):
                ns = FILTER if (kind == composites.CompositeKind.SELECTOR and i < last) else APP
                ref = Ref(name, ns, "branch", section.file, branch.line, branch.label, i)
                if kind == composites.CompositeKind.UNKNOWN and self.resolve(ref) is None:
                    continue  # an unknown factory's value that names no section: a setting
                refs.append(ref)
        return refs

    @cached_property
    def referenced(self) -> frozenset[str]:
        """Ids of the sections some other section of the main file references."""
        ids: set[str] = set()
        for section in self.sections:
            for ref in self.references(section):
                target = self.resolve(ref)
                if target is not None and target is not section:
                    ids.add(target.id)
        return frozenset(ids)

    def entries(self) -> list[Section]:
        """``main`` first (when there is one), then every app-like section nothing references."""
        found = self.find(APP, self.default_name or "main")
        main = found[0] if len(found) == 1 else None
        result = [main] if main is not None else []
        for section in self.sections:
            # `is`, not `in`: Section's dataclass __eq__ compares every field (quadratic).
            if section.namespace != APP or section is main:
                continue
            if section.id not in self.referenced:
                result.append(section)
        return result

    def _repr_mimebundle_(
        self,
        include: Iterable[str] | None = None,
        exclude: Iterable[str] | None = None,
        **_: object,
    ) -> dict[str, str]:
        """Jupyter display: the graph of every entry (see pastetrace.notebook)."""
        from .notebook import deployment_bundle  # networkx, rich, dot only when displayed

        return deployment_bundle(self, include, exclude)

    # -- reading --------------------------------------------------------------------------
    def _file(self, path: Path, required: bool = False) -> _File | None:
        path = Path(os.path.abspath(path))
        if path in self._files:
            return self._files[path]
        try:
            parsed = _read_file(path)
        except ConfigError:
            if required:
                raise
            return None
        if path != self.path:
            for section in parsed.sections:
                section.foreign = True
        self._files[path] = parsed
        return parsed

    def _uri_section(self, ref: Ref) -> Section | None:
        key = (ref.file, ref.namespace, ref.name)
        if key in self._synthetic:
            return self._synthetic[key]
        scheme, _, rest = ref.name.partition(":")
        if scheme.lower() == "config":
            path, _, name = rest.partition("#")
            other = self._file(ref.file.parent / path)
            if other is None:
                return None
            found = other.index.get((ref.namespace, name or "main"), [])
            if len(found) != 1:
                return None
            self._resolve_file(other)
            return found[0]
        kind = "filter" if ref.namespace == FILTER else "app"
        section = Section(
            kind=kind,
            name=ref.name,
            header=ref.name,
            file=ref.file,
            line=ref.line or 0,
            options={"use": ref.name},
            option_lines={"use": ref.line or 0},
            synthetic=True,
        )
        self._synthetic[key] = section
        self._resolve(section)
        return section

    def _resolve_file(self, parsed: _File) -> None:
        for section in parsed.sections:
            if not section.factory.spec:
                self._resolve(section)

    def _resolve(self, section: Section, stack: tuple[str, ...] = ()) -> None:
        """Work out a section's factory, local conf and references (follows `use =`)."""
        if section.factory.spec:
            return
        local = {k: v for k, v in section.options.items() if not k.startswith(("set ", "get "))}
        defaults = self._files[section.file].defaults if section.file in self._files else {}
        for local_key, global_key in section.gets.items():
            local[local_key] = section.global_additions.get(
                global_key, defaults.get(global_key, "")
            )
        if section.namespace in (APP, FILTER) and "filter-with" in local:
            value = local.pop("filter-with")
            section.filter_with = Ref(
                value.strip(), FILTER, "filter-with", section.file, section.line_of("filter-with")
            )
        local.pop("require", None)
        if section.kind == "pipeline":
            self._resolve_pipeline(section, local)
            return
        if section.kind == "filter-app":
            next_name = local.pop("next", None)
            if next_name is not None:
                section.next = Ref(
                    next_name.strip(), APP, "next", section.file, section.line_of("next")
                )
        namespace = FILTER if section.kind == "filter-app" else section.namespace
        if "use" in local:
            use = local.pop("use").strip()
            factory, inherited = self._factory_from_use(section, namespace, use, stack)
            section.local_conf = {**inherited, **local}
        else:
            factory = self._factory_explicit(section, namespace, local)
            section.local_conf = local
        indirect_key = next((k for k in section.local_conf if _INDIRECT_KEY_RE.match(k)), None)
        if indirect_key and not indirect_key.startswith("paste."):
            factory.indirect = section.local_conf[indirect_key].strip()
        section.factory = factory

    def _resolve_pipeline(self, section: Section, local: dict[str, str]) -> None:
        value = local.pop("pipeline", None)
        section.extra_pipeline_keys = tuple(local)
        section.local_conf = local
        line = section.line_of("pipeline")
        section.factory = Factory("pipeline", "pipeline", line=line)
        if value is None:
            section.factory.problem = "the pipeline section has no 'pipeline' key"
            return
        names = value.split()
        section.pipeline = tuple(
            Ref(
                name,
                APP if i == len(names) - 1 else FILTER,
                "pipeline",
                section.file,
                _line_of_word(section, "pipeline", name),
                order=i,
            )
            for i, name in enumerate(names)
        )

    def _factory_explicit(self, section: Section, namespace: str, local: dict[str, str]) -> Factory:
        found: list[tuple[str, str]] = []
        for group in _PROTOCOL_GROUPS[namespace]:
            for protocol in group:
                if protocol in local:
                    found.append((protocol, local[protocol]))
                    break
        for protocol, _ in found:
            local.pop(protocol)
        if not found:
            misplaced = sorted(_ALL_PROTOCOLS & set(local))
            problem = f"no factory: add 'use = ...' or one of {_protocol_list(namespace)}"
            if misplaced:
                problem = (
                    f"{misplaced[0]} cannot make a {section.kind} section's object "
                    f"(use one of {_protocol_list(namespace)})"
                )
            return Factory("", "none", problem=problem, line=section.line)
        protocol, value = found[0]
        factory = Factory(
            spec=value.strip(),
            scheme="explicit",
            protocol=protocol,
            target=value.strip() or None,
            line=section.line_of(protocol),
        )
        if len(found) > 1:
            factory.problem = "several factories: " + ", ".join(p for p, _ in found)
        return factory

    def _factory_from_use(
        self, section: Section, namespace: str, use: str, stack: tuple[str, ...]
    ) -> tuple[Factory, dict[str, str]]:
        line = section.line_of("use")
        protocol = _KIND_PROTOCOL.get(section.kind)
        if _URI_RE.match(use):
            scheme, _, rest = use.partition(":")
            scheme = scheme.lower()
            if scheme == "egg":
                return _egg_factory(use, rest, namespace, line, self._entry_points), {}
            if scheme == "call":
                return Factory(
                    use,
                    "call",
                    protocol,
                    rest.strip() or None,
                    line=line,
                    problem=_call_problem(rest.strip(), section.kind),
                ), {}
            if scheme == "config":
                return self._factory_from_config(section, namespace, use, rest, stack)
            problem = f"unknown URI scheme {scheme!r} (egg:, call: or config:)"
            return _unresolved(use, scheme, line, problem, protocol), {}
        key = f"{section.file}:{namespace}:{use}"
        found = self.find(namespace, use, section.file)
        if key in stack:
            cycle = " → ".join(s.rsplit(":", 1)[-1] for s in (*stack, key))
            problem = f"'use =' goes round in a cycle: {cycle}"
            return _unresolved(use, "section", line, problem, protocol), {}
        if len(found) != 1:
            problem = (
                self._missing_message(namespace, use, section.file)
                if not found
                else (f"{use!r} is ambiguous")
            )
            return _unresolved(use, "section", line, problem, protocol), {}
        return self._inherit(found[0], use, "section", line, protocol, (*stack, key))

    def _factory_from_config(
        self, section: Section, namespace: str, use: str, rest: str, stack: tuple[str, ...]
    ) -> tuple[Factory, dict[str, str]]:
        line = section.line_of("use")
        path_text, _, name = rest.partition("#")
        path = Path(os.path.abspath(section.file.parent / path_text.strip()))
        key = f"{path}:{namespace}:{name or 'main'}"
        if key in stack or (path == section.file and (name or "main") == section.name):
            problem = f"{use!r} points back to itself (name another file or section)"
            return _unresolved(use, "config", line, problem), {}
        try:
            other = self._file(path, required=True)
        except ConfigError as error:
            problem = f"cannot read {path_text.strip()!r}: {error.message}"
            return _unresolved(use, "config", line, problem), {}
        assert other is not None
        found = other.index.get((namespace, name or "main"), [])
        if len(found) != 1:
            problem = self._missing_message(namespace, name or "main", path)
            return _unresolved(use, "config", line, f"{path.name}: {problem}"), {}
        return self._inherit(found[0], use, "config", line, None, (*stack, key))

    def _inherit(
        self,
        used: Section,
        use: str,
        scheme: str,
        line: int | None,
        protocol: str | None,
        stack: tuple[str, ...],
    ) -> tuple[Factory, dict[str, str]]:
        if not used.factory.spec:
            self._resolve(used, stack)
        inner = used.factory
        factory = Factory(
            spec=use,
            scheme=scheme,
            protocol=inner.protocol or protocol,
            target=inner.target,
            source=inner.source,
            line=line,
            problem=inner.problem,
            missing_dist=inner.missing_dist,
            via=(used.header, *inner.via),
        )
        return factory, dict(used.local_conf)


def _call_problem(spec: str, kind: str) -> str | None:
    """Why PasteDeploy 3.1 cannot load ``use = call:<spec>`` in a ``kind`` section, if it can't."""
    if spec.count(":") != 1:
        return "call: needs module:callable"
    if "." in spec.split(":", 1)[1]:
        # util.lookup_object does one getattr with the whole 'Cls.method' name.
        return (
            f"PasteDeploy cannot look up 'call:{spec}' (no dotted names after the colon); "
            f"write '{_KIND_PROTOCOL.get(kind, 'paste.app_factory')} = {spec}'"
        )
    if kind == "filter-app":
        # _context_from_use takes the protocol from the prefix: 'paste.filter-app_factory'.
        return (
            "PasteDeploy cannot use 'call:' in a [filter-app:] section; "
            f"write 'paste.filter_factory = {spec}' instead"
        )
    return None


def _unresolved(
    use: str, scheme: str, line: int | None, problem: str, protocol: str | None = None
) -> Factory:
    """A ``use =`` that leads nowhere PasteDeploy could load, and why."""
    return Factory(use, scheme, protocol, None, "unresolved", line, problem=problem)


def _protocol_list(namespace: str) -> str:
    return ", ".join(p for group in _PROTOCOL_GROUPS[namespace] for p in group)


def _egg_factory(
    use: str, rest: str, namespace: str, line: int | None, seen: dict[str, _EntryPoints]
) -> Factory:
    """Resolve ``egg:Dist#name`` through entry-point metadata only (no import).

    ``seen`` keeps each distribution's lookup for one Deployment: a lookup scans
    ``sys.path``, and one file names the same distribution many times (keystone Queens: 20).
    """
    dist_name, _, ep_name = rest.partition("#")
    dist_name, ep_name = dist_name.strip(), (ep_name.strip() or "main")
    groups = [p for group in _PROTOCOL_GROUPS[namespace] for p in group]
    if dist_name not in seen:
        seen[dist_name] = _installed_entry_points(dist_name)
    installed = seen[dist_name]
    if installed is None:
        key = (dist_name.lower(), ep_name)
        known = KNOWN_ENTRY_POINTS.get(key)
        return Factory(
            use,
            "egg",
            KNOWN_PROTOCOLS.get(key, groups[0]) if known else None,
            known,
            "known" if known else "unresolved",
            line,
            missing_dist=dist_name,
        )
    version, entry_points = installed
    for group, name, value in entry_points:
        if group in groups and name == ep_name:
            return Factory(use, "egg", group, value, "installed", line)
    return Factory(
        use,
        "egg",
        None,
        None,
        "unresolved",
        line,
        problem=f"{dist_name} {version} has no {'/'.join(groups)} entry point {ep_name!r}",
    )


_EntryPoints = tuple[str, tuple[tuple[str, str, str], ...]] | None


def _installed_entry_points(dist_name: str) -> _EntryPoints:
    """(version, entry points) of an installed distribution, or None when it is not.

    Read from the distribution's ``*.dist-info`` / ``*.egg-info`` folder on ``sys.path``, the
    first one found, as ``importlib.metadata.distribution`` finds it; importing that module
    (email, zipfile, socket...) would cost more than the rest of ``pastetrace graph``.
    """
    wanted = _DIST_NAME_RE.sub("_", dist_name).lower()
    for entry in sys.path:
        folder = entry or "."
        try:
            names = os.listdir(folder)
        except OSError:  # a zip file, a missing folder
            continue
        for name in names:
            stem, _, suffix = name.rpartition(".")
            if suffix not in ("dist-info", "egg-info"):
                continue
            project, _, version = stem.partition("-")
            if _DIST_NAME_RE.sub("_", project).lower() == wanted:
                info = os.path.join(folder, name)
                return version.split("-")[0] or "?", _read_entry_points(info)
    return None


_DIST_NAME_RE = re.compile(r"[-_.]+")


def _read_entry_points(info: str) -> tuple[tuple[str, str, str], ...]:
    """``entry_points.txt`` as (group, name, value) rows; extras (``[x]``) dropped."""
    parser = configparser.ConfigParser(delimiters=("=",), interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read(os.path.join(info, "entry_points.txt"), encoding="utf-8")
    except configparser.Error:
        return ()
    return tuple(
        (group, name, value.split("[", 1)[0].strip())
        for group in parser.sections()
        for name, value in parser.items(group)
    )


def _line_of_word(section: Section, key: str, word: str) -> int | None:
    """The line of a pipeline entry, for pipelines that span several lines."""
    for lineno, text in section.value_lines.get(key, ()):
        if word in text.split():
            return lineno
    return section.option_lines.get(key)


# -- the reader -------------------------------------------------------------------------------
_SECTION_RE = re.compile(r"\[(?P<header>.+)\]")
_OPTION_RE = re.compile(r"(?P<option>.*?)\s*(?P<vi>[=:])\s*(?P<value>.*)$")
# A % not followed by ( or %: py2 ConfigParser kept it, py3's BasicInterpolation raises.
_BAD_PERCENT_RE = re.compile(r"%(?![(%])")
_Lines = dict[str, dict[str, int]]
_ValueLines = dict[str, dict[str, list[tuple[int, str]]]]


def _read_file(path: Path) -> _File:
    text = _read_text(path)
    parser = configparser.ConfigParser(
        defaults={"here": str(path.parent), "__file__": str(path)},
        strict=True,
        delimiters=("=", ":"),
        interpolation=configparser.BasicInterpolation(),
    )
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    try:
        parser.read_string(text, source=str(path))
    except configparser.MissingSectionHeaderError as e:
        raise ConfigError(
            "the file does not start with a [section] header (is it a paste .ini file?)",
            path,
            e.lineno,
        ) from e
    except configparser.DuplicateSectionError as e:
        raise ConfigError(
            f"section [{e.section}] appears twice (PasteDeploy refuses duplicates; "
            "merge or rename one)",
            path,
            e.lineno,
        ) from e
    except configparser.DuplicateOptionError as e:
        raise ConfigError(
            f"key {e.option!r} appears twice in [{e.section}] (PasteDeploy refuses duplicates; "
            "keep one)",
            path,
            e.lineno,
        ) from e
    except configparser.ParsingError as e:
        lineno, line = e.errors[0] if e.errors else (None, "")
        raise ConfigError(
            f"cannot parse line {line!r} (expected 'key = value')", path, lineno
        ) from e
    except configparser.Error as e:
        raise ConfigError(f"cannot parse: {e.message}", path) from e
    header_lines, option_lines, value_lines = _scan_lines(text)
    notes: list[Note] = []
    defaults = _interpolated_defaults(parser, path, option_lines, notes)
    sections: list[Section] = []
    ignored: list[tuple[str, int]] = []
    index: dict[tuple[str, str], list[Section]] = {}
    for header in parser.sections():
        at = header_lines.get(header, 0)
        kind, name = _split_header(header)
        if kind is None:
            ignored.append((header, at))
            continue
        if not name:
            message = (
                f"[{header}] has no name: PasteDeploy's loadapp looks for 'main' and does not "
                f"find it (write [{header}:main])"
            )
            notes.append(Note("bare-section", message, path, at))
        section = _read_section(parser, header, kind, name, path, at, option_lines, notes)
        section.value_lines = value_lines.get(header, {})
        sections.append(section)
    for section in sections:
        _add_to_index(index, section)
    return _File(path, defaults, sections, ignored, notes, index)


def _add_to_index(index: dict[tuple[str, str], list[Section]], section: Section) -> None:
    """Index a section under its name, honouring PasteDeploy's alias groups."""
    key = (section.namespace, section.name)
    found = index.setdefault(key, [])
    prefix = section.header.split(":", 1)[0].strip() if ":" in section.header else section.header
    for group in _PREFIX_GROUPS[section.namespace]:
        if prefix in group:
            # Within one alias group the first alias that has a match hides the later ones.
            same_group = [s for s in found if _prefix(s) in group]
            earlier = [s for s in same_group if group.index(_prefix(s)) < group.index(prefix)]
            if earlier:
                return
            later = [s for s in same_group if group.index(_prefix(s)) > group.index(prefix)]
            for s in later:
                found.remove(s)
    found.append(section)


def _prefix(section: Section) -> str:
    return section.header.split(":", 1)[0].strip() if ":" in section.header else section.header


# Real paste files are a few KB (the corpus's largest is under 100 KB); past this it is the
# wrong file, and ConfigParser would take seconds and ten times the size in memory.
MAX_BYTES = 10 * 1024 * 1024


def _read_text(path: Path) -> str:
    if path.is_dir():
        raise ConfigError("is a folder, not a paste file (give the .ini file inside it)", path)
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            # A FIFO or a device would block or never end.
            raise ConfigError(
                "is not a regular file (a pipe or a device?); give a paste .ini file", path
            )
        if st.st_size > MAX_BYTES:
            raise ConfigError(
                f"is {st.st_size / 1024 / 1024:.0f} MB, too big for a paste file "
                f"(limit {MAX_BYTES // 1024 // 1024} MB; is it the right file?)",
                path,
            )
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError("no such file (check the path)", path) from None
    except PermissionError:
        raise ConfigError("permission denied (check the file's read permission)", path) from None
    except OSError as e:
        raise ConfigError(f"cannot read: {e.strerror}", path) from None
    if b"\x00" in data[:8192]:
        raise ConfigError("is a binary file, not a paste .ini file (check the path)", path, 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ConfigError("is not UTF-8 text (is it a paste .ini file?)", path, line) from None


def _split_header(header: str) -> tuple[str | None, str]:
    if ":" in header:
        prefix, name = header.split(":", 1)
        kind = _PREFIX_KIND.get(prefix)
        return kind, name.strip()
    # A bare [app]: loadwsgi._find_sections matches it only when asked for no name, which
    # loadcontext never does (it defaults the name to 'main'); so it answers to no name.
    return _PREFIX_KIND.get(header), ""


def _interpolated_defaults(
    parser: configparser.ConfigParser,
    path: Path,
    option_lines: _Lines,
    notes: list[Note],
) -> dict[str, str]:
    result = {}
    for key in parser.defaults():
        result[key] = _value(parser, "DEFAULT", key, path, option_lines, notes)
    return result


def _read_section(
    parser: configparser.ConfigParser,
    header: str,
    kind: str,
    name: str,
    path: Path,
    line: int,
    option_lines: _Lines,
    notes: list[Note],
) -> Section:
    defaults = parser.defaults()
    options: dict[str, str] = {}
    lines: dict[str, int] = {}
    additions: dict[str, str] = {}
    gets: dict[str, str] = {}
    own = parser._sections[header]  # type: ignore[attr-defined]  # keys as written, no defaults
    dropped = tuple(k for k in own if k in defaults and not k.startswith(("set ", "get ")))
    for key in parser.options(header):
        if key in defaults:
            continue  # PasteDeploy: "It's a global option (?), so skip it"
        value = _value(parser, header, key, path, option_lines, notes)
        lines[key] = option_lines.get(header, {}).get(key, line)
        if key.startswith("set "):
            additions[key[4:].strip()] = value
        elif key.startswith("get "):
            gets[key[4:].strip()] = value.strip()
        options[key] = value
    return Section(kind, name, header, path, line, options, lines, additions, gets, dropped)


def _value(
    parser: configparser.ConfigParser,
    header: str,
    key: str,
    path: Path,
    option_lines: _Lines,
    notes: list[Note],
) -> str:
    """The interpolated value, or the raw one with a note when Python 3 cannot interpolate it."""
    try:
        return parser.get(header, key)
    except (configparser.InterpolationError, ValueError) as e:
        raw = parser.get(header, key, raw=True)
        line = option_lines.get(header, {}).get(key)
        if isinstance(e, configparser.InterpolationMissingOptionError):
            code, severity = "interpolation-missing", "error"
            message = (
                f"[{header}] {key}: %({e.reference})s names no key of this section "
                "or [DEFAULT] (PasteDeploy will fail; define it in [DEFAULT])"
            )
        elif isinstance(e, configparser.InterpolationDepthError):
            code, severity = "interpolation-recursive", "error"
            message = (
                f"[{header}] {key}: interpolation refers back to itself "
                "(PasteDeploy will fail; break the loop)"
            )
        elif _BAD_PERCENT_RE.search(raw):
            code, severity = "interpolation-placeholder", "warning"
            message = (
                f"[{header}] {key} = {raw.strip()!r}: Python 3 cannot interpolate a bare "
                "'%' (PasteDeploy will fail when it loads this section; "
                "write '%%' or fill in the value)"
            )
        else:
            code, severity = "interpolation-syntax", "error"
            message = f"[{header}] {key}: bad interpolation ({e}; write '%%' for a literal %)"
        notes.append(Note(code, message, path, line, severity))
        return raw


def _scan_lines(text: str) -> tuple[dict[str, int], _Lines, _ValueLines]:
    """Line numbers of section headers and keys, following ConfigParser's own reading rules."""
    headers: dict[str, int] = {}
    options: _Lines = {}
    values: _ValueLines = {}
    section: str | None = None
    key: str | None = None
    indent = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not stripped or stripped.startswith(("#", ";")):
            continue
        cur_indent = len(raw) - len(raw.lstrip())
        if section is not None and key is not None and cur_indent > indent:
            values[section][key].append((lineno, stripped))
            continue
        indent = cur_indent
        match = _SECTION_RE.match(stripped)
        if match:
            section = match.group("header")
            headers.setdefault(section, lineno)
            options.setdefault(section, {})
            values.setdefault(section, {})
            key = None
            continue
        option = _OPTION_RE.match(stripped)
        if option and section is not None:
            key = option.group("option").rstrip()
            options[section].setdefault(key, lineno)
            values[section][key] = [(lineno, option.group("value"))]
    return headers, options, values


# -- finding the file ---------------------------------------------------------------------------
BUNDLED = ("keystone", "glance", "nova")


def locate(config: str | os.PathLike[str] | None) -> tuple[Path, str | None, str | None]:
    """Where CONFIG points: (path, entry name or None, a note for stderr or None).

    CONFIG is a path, ``path#name`` or a bundled example's name. With none given:
    ``$PASTETRACE_CONFIG``, else the one ``*paste*.ini`` in the current folder, else the
    bundled keystone example.
    """
    note = None
    if config is None:
        env = os.environ.get("PASTETRACE_CONFIG")
        if env:
            config, note = env, f"using $PASTETRACE_CONFIG={env}"
        else:
            here = sorted(Path.cwd().glob("*paste*.ini"))
            if len(here) == 1:
                config, note = str(here[0]), f"using {here[0].name} from the current folder"
            else:
                config, note = "keystone", "no config given: using the bundled keystone example"
    text = os.fspath(config)
    if text.startswith("config:"):
        text = text[len("config:") :]
    path_text, _, name = text.partition("#")
    if path_text in BUNDLED and not Path(path_text).exists():
        path, entry = _bundled(path_text)
        return path, name or entry, note
    return Path(path_text), name or None, note


def _bundled(example: str) -> tuple[Path, str]:
    """A bundled example's paste file and the entry it serves first (glance: glance-api)."""
    from pastetrace_examples import SERVICES, config_path  # type: ignore[import-untyped]

    first = next(iter(SERVICES[example].values()))
    return Path(config_path(example)), str(first[1])


def load(config: str | os.PathLike[str] | None = None) -> Deployment:
    """Read a paste file statically: nothing it names is imported or run.

    >>> from pastetrace import load
    >>> deployment = load("keystone")
    >>> deployment.get("main").kind
    'composite'
    """
    path, name, _ = locate(config)
    return Deployment(path, name)
