"""Diagnostics over a :class:`~pastetrace.config.Deployment`: what PasteDeploy would trip on.

Static, like the rest of the model: nothing the file names is imported. Each finding is a
:class:`Diagnostic` with a severity, a short code, a one-line message that says what to do, and
its ``file:line``. The graph is walked here (iteratively, once per section), not through
``pastetrace.graph``, so that lint stays usable on files too broken to draw.

>>> where = Path("app.ini")
>>> print(Report([Diagnostic("info", "unreached", "filter 'gzip' is never loaded", where, 9),
...               Diagnostic("error", "missing-section", "no [filter:authn]", where, 2)]))
app.ini:2: error missing-section: no [filter:authn]
app.ini:9: info unreached: filter 'gzip' is never loaded
1 error, 0 warnings, 1 info
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console, ConsoleOptions, RenderResult
from rich.jupyter import JupyterMixin
from rich.text import Text

from . import composites
from .config import APP, FILTER, INDIRECT_FACTORIES, Deployment, Note, Ref, Section

__all__ = ["ERROR", "INFO", "SCHEMA", "WARNING", "Diagnostic", "Report", "lint"]

ERROR, WARNING, INFO = "error", "warning", "info"
SCHEMA = "pastetrace.lint/1"
_SEVERITY_RANK = {ERROR: 0, WARNING: 1, INFO: 2}
_SEVERITY_STYLE = {ERROR: "bold red", WARNING: "yellow", INFO: "cyan"}
_NOTE_SECTION_RE = re.compile(r"^\[(?P<header>[^\]]+)\]")


@dataclass(frozen=True)
class Diagnostic:
    """One finding, anchored at ``file:line`` (``line`` is None when there is no better place)."""

    severity: str  # error | warning | info
    code: str  # short kebab-case id, e.g. "missing-section"
    message: str  # one line: what is wrong and what to do
    file: Path
    line: int | None
    section: str | None = None  # the header as written, e.g. "pipeline:main"

    @property
    def location(self) -> str:
        where = _display_path(self.file)
        return where if self.line is None else f"{where}:{self.line}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
            "file": str(self.file),
            "line": self.line,
            "section": self.section,
        }

    def __str__(self) -> str:
        return f"{self.location}: {self.severity} {self.code}: {self.message}"


def _sort_key(d: Diagnostic) -> tuple[str, int, int, str, str]:
    return (str(d.file), d.line or 0, _SEVERITY_RANK.get(d.severity, 3), d.code, d.message)


@dataclass
class Report(JupyterMixin):
    """Every diagnostic for one deployment, sorted by file and line; a rich renderable."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    file: Path | None = None

    def __post_init__(self) -> None:
        self.diagnostics = sorted(self.diagnostics, key=_sort_key)

    @property
    def errors(self) -> int:
        return self._count(ERROR)

    @property
    def warnings(self) -> int:
        return self._count(WARNING)

    @property
    def infos(self) -> int:
        return self._count(INFO)

    def _count(self, severity: str) -> int:
        return sum(1 for d in self.diagnostics if d.severity == severity)

    def by_code(self, code: str) -> list[Diagnostic]:
        """The diagnostics with one code (handy in tests and notebooks)."""
        return [d for d in self.diagnostics if d.code == code]

    def summary(self) -> str:
        if not self.diagnostics:
            return "no problems found"
        counts = [(self.errors, "error"), (self.warnings, "warning"), (self.infos, "info")]
        parts = [f"{n} {word}{'s' if n != 1 and word != 'info' else ''}" for n, word in counts]
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "file": str(self.file) if self.file is not None else None,
            "errors": self.errors,
            "warnings": self.warnings,
            "infos": self.infos,
            "diagnostics": [d.to_dict() for d in self.diagnostics],
        }

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for d in self.diagnostics:
            line = Text(f"{d.location}: ")
            line.append(d.severity, style=_SEVERITY_STYLE.get(d.severity, ""))
            line.append(f" {d.code}: ", style="bold")
            line.append(d.message)
            yield line
        yield Text(self.summary(), style="bold red" if self.errors else "green")

    def __str__(self) -> str:
        return "\n".join([*(str(d) for d in self.diagnostics), self.summary()])


def _display_path(path: Path) -> str:
    """The path relative to the current folder when it is inside it (shorter, still clickable)."""
    try:
        rel = os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)
    return str(path) if rel.startswith("..") else rel


def lint(deployment: Deployment) -> Report:
    """Check a deployment for what PasteDeploy would trip on at load time, and a little more."""
    linter = _Linter(deployment)
    linter.run()
    return Report(linter.found, deployment.path)


# -- the checks ------------------------------------------------------------------------------


_Key = tuple[Path, str]


def _key(section: Section) -> _Key:
    """A section's identity across files (``Section.id`` is only the header, see the report)."""
    return (section.file, section.header)


def _describe(section: Section) -> str:
    return f"{section.kind} {section.name!r}"


def _what(namespace: str) -> str:
    return "filter" if namespace == FILTER else "app"


def _headers_for(namespace: str, name: str) -> str:
    if namespace == FILTER:
        return f"[filter:{name}]"
    return f"[app:{name}], [pipeline:{name}] or [composite:{name}]"


class _Linter:
    """Holds the per-run caches (references, names) so every check stays linear."""

    def __init__(self, deployment: Deployment) -> None:
        self.d = deployment
        # Deployment.find() without a file misses when the path was given relative (config.py
        # keys its files by absolute path), so every lookup here names the main file.
        self.main_file = Path(os.path.abspath(deployment.path))
        self.found: list[Diagnostic] = []
        self.by_header = {s.header: s for s in deployment.sections}
        self._refs: dict[_Key, list[tuple[Ref, Section | None]]] = {}
        self._names: dict[tuple[str, Path], list[str]] = {}
        self._reported: set[tuple[str, object]] = set()

    def run(self) -> None:
        self.notes(self.d.notes)
        if not any(s.namespace == APP for s in self.d.sections):
            self.add(
                ERROR,
                "no-app",
                "no [app:], [composite:] or [pipeline:] section: PasteDeploy has nothing to load "
                "(is it a paste .ini file?)",
                self.d.path,
                None,
            )
        for section in self.d.sections:
            self.ambiguous(section)
            self.pipeline_keys(section)
            self.filter_app(section)
            self.factory(section, section, section.factory.line or section.line)
            self.dropped(section)
            self.composite(section)
            self.references(section)
        reached = self.reachable()
        for section in self.d.sections:
            self.indirect(section, _key(section) in reached)
        self.unreached(reached)
        self.cycles()

    def add(
        self,
        severity: str,
        code: str,
        message: str,
        file: Path,
        line: int | None,
        section: Section | None = None,
    ) -> None:
        header = section.header if section is not None else None
        self.found.append(Diagnostic(severity, code, message, file, line, header))

    # -- graph access, cached --------------------------------------------------------------
    def refs(self, section: Section) -> list[tuple[Ref, Section | None]]:
        cached = self._refs.get(_key(section))
        if cached is None:
            cached = [(ref, self.d.resolve(ref)) for ref in self.d.references(section)]
            self._refs[_key(section)] = cached
        return cached

    def names(self, namespace: str, file: Path) -> list[str]:
        key = (namespace, file)
        if key not in self._names:
            self._names[key] = self.d.names(namespace, file)
        return self._names[key]

    def edges(self, section: Section) -> Iterator[Section]:
        """What loading ``section`` loads too: its references and the section its `use` names."""
        for _, target in self.refs(section):
            if target is not None:
                yield target
        factory = section.factory
        if factory.scheme == "section" and factory.via and section.file == self.main_file:
            used = self.by_header.get(factory.via[0])
            if used is not None:
                yield used

    # -- per-section checks -----------------------------------------------------------------
    def notes(self, notes: Iterable[Note]) -> None:
        for note in notes:
            match = _NOTE_SECTION_RE.match(note.message)
            header = match.group("header") if match else None
            self.found.append(
                Diagnostic(note.severity, note.code, note.message, note.file, note.line, header)
            )

    def ambiguous(self, section: Section) -> None:
        found = self.d.find(section.namespace, section.name, section.file)
        if len(found) < 2 or section is not found[1]:
            return
        headers = " and ".join(f"[{s.header}] (line {s.line})" for s in found)
        self.add(
            ERROR,
            "ambiguous-name",
            f"{section.name!r} is ambiguous: {headers} both answer to it "
            "(PasteDeploy refuses to load it; rename one)",
            section.file,
            section.line,
            section,
        )

    def pipeline_keys(self, section: Section) -> None:
        if section.kind != "pipeline":
            return
        for key in section.extra_pipeline_keys:
            self.add(
                ERROR,
                "pipeline-extra-key",
                f"pipeline {section.name!r} has key {key!r}, but a pipeline section may only "
                "have 'pipeline' (move it to the filter or app that reads it, or to [DEFAULT])",
                section.file,
                section.line_of(key) or section.line,
                section,
            )

    def filter_app(self, section: Section) -> None:
        if section.kind == "filter-app" and section.next is None:
            self.add(
                ERROR,
                "missing-next",
                f"filter-app {section.name!r} has no 'next' key "
                "(add 'next = <app>' naming the app it wraps)",
                section.file,
                section.line,
                section,
            )

    def factory(self, section: Section, owner: Section, line: int | None) -> None:
        """Report a section's factory problem; ``owner``/``line`` place it (URIs: the pipeline)."""
        factory = section.factory
        if factory.scheme == "section" and factory.via and "cycle" not in (factory.problem or ""):
            if factory.via[0] in self.by_header:
                return  # inherited: reported on the section it uses
        where = _describe(section)
        uses = f"{where} uses {factory.spec!r}"
        if section.synthetic:
            where = uses = f"{_describe(owner)} names {factory.spec!r}"
        if factory.problem:
            code, severity, message = self._factory_problem(section, where)
            key = (code, factory.problem if code == "use-cycle" else message)
            if key in self._reported:
                return  # every section on a `use` cycle carries the same problem
            self._reported.add(key)
            self.add(severity, code, message, owner.file, line, owner)
        elif factory.missing_dist:
            dist = factory.missing_dist
            self.add(
                WARNING,
                "missing-dist",
                f"{uses}, but the {dist!r} distribution is not installed "
                f"here, so PasteDeploy cannot load it (pip install {dist})",
                owner.file,
                line,
                owner,
            )

    def _factory_problem(self, section: Section, where: str) -> tuple[str, str, str]:
        factory = section.factory
        problem = factory.problem or ""
        if section.kind == "pipeline":
            return (
                "missing-pipeline-key",
                ERROR,
                f"{where} has no 'pipeline' key (add 'pipeline = filter1 ... app')",
            )
        if "cycle" in problem:
            return "use-cycle", ERROR, f"{where}: {problem} (break the loop)"
        if factory.scheme == "none":
            return "no-factory", ERROR, f"{where}: {problem}"
        if factory.scheme == "explicit":
            return "several-factories", ERROR, f"{where} has {problem} (keep exactly one)"
        if factory.scheme == "egg":
            message = f"{where}: {factory.spec!r}: {problem} (check the name after '#')"
            return "missing-entry-point", WARNING, message
        if factory.scheme == "section" and problem.startswith("no "):
            namespace = FILTER if section.kind in ("filter", "filter-app") else APP
            message = self._missing(f"{where} uses", namespace, factory.spec, section.file)
            return "missing-section", ERROR, message
        return "bad-use", ERROR, f"{where}: use = {factory.spec!r}: {problem}"

    def dropped(self, section: Section) -> None:
        for key in section.dropped:
            lines = section.value_lines.get(key)
            self.add(
                WARNING,
                "dropped-by-default",
                f"{_describe(section)} sets {key!r}, but [DEFAULT] defines {key!r} too, so "
                f"PasteDeploy ignores this one (write 'set {key} = ...' to override it here)",
                section.file,
                lines[0][0] if lines else section.line,
                section,
            )

    def composite(self, section: Section) -> None:
        if section.kind != "composite":
            return
        classified = self.d.composite(section)
        target = section.factory.target
        for branch in self.d.branches(section):
            if not branch.dropped:
                continue
            if classified.kind == composites.CompositeKind.SELECTOR:
                reads = ", ".join(
                    repr(k) for k in (classified.selector and classified.selector.reads) or ()
                )
                message = (
                    f"composite {section.name!r} key {branch.key!r} is never used: {target} "
                    f"reads only {reads} (remove it, or move it under a key the factory reads)"
                )
                code = "unread-selector-key"
            else:
                message = (
                    f"composite {section.name!r} prefix {branch.key!r} is never used: {target} "
                    "deletes it before building the urlmap (remove it)"
                )
                code = "deleted-urlmap-prefix"
            self.add(INFO, code, message, section.file, branch.line or section.line, section)

    def references(self, section: Section) -> None:
        for ref, target in self.refs(section):
            line = ref.line or section.line
            if ref.is_uri:
                self._uri(section, ref, target, line)
                continue
            if target is not None:
                continue
            if self.d.find(ref.namespace, ref.name, ref.file):
                continue  # ambiguous: reported on the sections themselves
            other_ns = APP if ref.namespace == FILTER else FILTER
            other = self.d.find(other_ns, ref.name, ref.file)
            if other:
                self._wrong_namespace(section, ref, other[0], line)
            else:
                who = f"{self._who(section, ref)} names"
                message = self._missing(who, ref.namespace, ref.name, ref.file)
                self.add(ERROR, "missing-section", message, section.file, line, section)

    def _uri(self, section: Section, ref: Ref, target: Section | None, line: int) -> None:
        if target is None:
            self.add(
                ERROR,
                "bad-uri",
                f"{self._who(section, ref)} names {ref.name!r}, which cannot be loaded "
                "(check the file and the #name after it)",
                section.file,
                line,
                section,
            )
        elif target.synthetic and ("uri", _key(target)) not in self._reported:
            self._reported.add(("uri", _key(target)))
            self.factory(target, section, line)

    def _who(self, section: Section, ref: Ref) -> str:
        if ref.role == "branch":
            return f"composite {section.name!r} key {ref.label!r}"
        if ref.role == "pipeline":
            return f"pipeline {section.name!r}"
        return f"{_describe(section)} {ref.role}"

    def _missing(self, subject: str, namespace: str, name: str, file: Path) -> str:
        """The did-you-mean message: what is missing, the closest name, and what exists."""
        what = _what(namespace)
        known = self.names(namespace, file)
        hints = []
        close = self.d.suggest(namespace, name, file) if known else []
        if close:
            hints.append(f"did you mean {close[0]!r}?")
        if known:
            listing = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            hints.append(f"{what}s: {listing}")
        else:
            hints.append(f"the file has no {what} sections")
        return (
            f"{subject} {what} {name!r}, which has no {_headers_for(namespace, name)} section "
            f"({' '.join(hints)})"
        )

    def _wrong_namespace(self, section: Section, ref: Ref, other: Section, line: int) -> None:
        who = self._who(section, ref)
        if ref.namespace == APP:
            message = (
                f"{who} names {ref.name!r} where an app must go, but [{other.header}] is a "
                "filter (a filter goes before the app in a pipeline; end with an app, "
                "composite or pipeline)"
            )
            code = "filter-as-app"
        else:
            message = (
                f"{who} names {ref.name!r} where a filter must go, but [{other.header}] is "
                f"{'an' if other.kind[0] in 'aeiou' else 'a'} {other.kind} (only [filter:] "
                "sections can come before the app; move it to the end)"
            )
            code = "app-as-filter"
        self.add(ERROR, code, message, section.file, line, section)

    def indirect(self, section: Section, reached: bool) -> None:
        factory = section.factory
        if factory.target not in INDIRECT_FACTORIES or factory.indirect:
            return
        module, _, func = (factory.target or "").partition(":")
        key = f"{module.split('.')[0]}.{func}"
        if key in section.local_conf or key in self.d.defaults:
            return
        if reached:
            severity, tail = ERROR, "PasteDeploy will fail when it loads this section"
        else:
            severity, tail = WARNING, "nothing reaches this section, so it only fails if loaded"
        self.add(
            severity,
            "missing-indirect-key",
            f"{_describe(section)} uses {factory.target}, which reads the real factory from a "
            f"{key!r} key, and there is none (add '{key} = module:Class'; {tail})",
            section.file,
            factory.line or section.line,
            section,
        )

    # -- whole-graph checks --------------------------------------------------------------------
    def main(self) -> list[Section]:
        """The one main entry, or nothing (none, or an ambiguous one: then every entry counts)."""
        found = self.d.find(APP, self.d.default_name or "main", self.main_file)
        return found if len(found) == 1 else []

    def roots(self) -> list[Section]:
        return self.main() or self.d.entries()

    def reachable(self) -> set[_Key]:
        """Ids of the sections loading the entries would load (iterative, each edge once)."""
        seen: set[_Key] = set()
        stack = list(self.roots())
        while stack:
            section = stack.pop()
            if _key(section) in seen:
                continue
            seen.add(_key(section))
            stack.extend(t for t in self.edges(section) if _key(t) not in seen)
        return seen

    def unreached(self, reached: set[_Key]) -> None:
        """Sections no entry loads; another entry's subtree is folded into that entry's line."""
        main = self.main()
        others = [s for s in self.d.entries() if _key(s) not in reached] if main else []
        folded = {_key(other): self._subtree(other, reached) for other in others}
        hidden = {i for ids in folded.values() for i in ids} - set(folded)
        for section in self.d.sections:
            if _key(section) in reached or _key(section) in hidden:
                continue
            if section.namespace not in (APP, FILTER):
                continue
            self.add(
                INFO,
                "unreached",
                self._unreached_message(section, main, folded.get(_key(section))),
                section.file,
                section.line,
                section,
            )

    def _subtree(self, root: Section, reached: set[_Key]) -> set[_Key]:
        """Ids that ``root`` loads and the main entry does not (itself included)."""
        seen: set[_Key] = set()
        stack = [root]
        while stack:
            section = stack.pop()
            if _key(section) in seen or _key(section) in reached:
                continue
            seen.add(_key(section))
            stack.extend(self.edges(section))
        return seen

    def _unreached_message(
        self, section: Section, main: list[Section], subtree: set[_Key] | None
    ) -> str:
        what = _describe(section)
        if subtree is not None:
            more = sum(1 for f, h in subtree if f == self.main_file and h in self.by_header) - 1
            tail = f", with {more} section{'s' if more != 1 else ''} only it uses" if more else ""
            return (
                f"{what} is not reached from {main[0].kind} {main[0].name!r}: it is an entry of "
                f"its own{tail} (load it with '{section.file.name}#{section.name}')"
            )
        if main:
            return (
                f"{what} is never loaded: nothing reaches it from {main[0].kind} "
                f"{main[0].name!r} (remove it, or use it somewhere)"
            )
        if section.namespace == FILTER:
            return f"{what} is never loaded: no pipeline uses it (add it to one, or remove it)"
        return f"{what} is never loaded: only a loop refers to it (break the loop)"

    def cycles(self) -> None:
        """Reference cycles (composite → pipeline → composite), each reported once."""
        state: dict[_Key, int] = {}  # 1 = on the current path, 2 = done
        for start in self.d.sections:
            if _key(start) not in state:
                self._cycles_from(start, state)

    def _cycles_from(self, start: Section, state: dict[_Key, int]) -> None:
        path: list[Section] = [start]
        iters = [iter(self.refs(start))]
        state[_key(start)] = 1
        while iters:
            step = next(iters[-1], None)
            if step is None:
                state[_key(path.pop())] = 2
                iters.pop()
                continue
            ref, target = step
            if target is None or target.synthetic:
                continue
            mark = state.get(_key(target))
            if mark == 1:
                self._report_cycle(path, target, ref)
            elif mark is None:
                state[_key(target)] = 1
                path.append(target)
                iters.append(iter(self.refs(target)))

    def _report_cycle(self, path: list[Section], target: Section, ref: Ref) -> None:
        loop = path[next(i for i, s in enumerate(path) if s is target) :]
        names = " → ".join(s.name for s in (*loop, target))
        owner = path[-1]
        self.add(
            ERROR,
            "reference-cycle",
            f"reference cycle: {names} (PasteDeploy would recurse forever; break the loop)",
            owner.file,
            ref.line or owner.line,
            owner,
        )
