"""What changed between two paste files: :func:`diff` → :class:`Diff`, a list of :class:`Change`.

Static, like ``graph``: both files are read with :class:`~pastetrace.config.Deployment` and
nothing they name is imported. Sections are matched by name within their namespace (app-like
sections vs filters), not by header text, so ``[composite:x]`` ↔ ``[composite: x]`` is one
section and ``[app:x]`` → ``[pipeline:x]`` is a kind change, not a removal and an addition.

Filter lists (pipelines and selector branches) are compared with :class:`difflib.SequenceMatcher`:
a filter that leaves the longest common subsequence and comes back elsewhere is *moved*, so an
insertion moves nothing else.

>>> from pathlib import Path
>>> import tempfile
>>> folder = Path(tempfile.mkdtemp())
>>> _ = (folder / "old.ini").write_text(
...     "[pipeline:main]\\npipeline = a b c app\\n[app:app]\\nuse = call:m:app\\n")
>>> _ = (folder / "new.ini").write_text(
...     "[pipeline:main]\\npipeline = b c a app\\n[app:app]\\nuse = call:m:app2\\n")
>>> from pastetrace.config import Deployment
>>> for change in diff(Deployment(folder / "old.ini"), Deployment(folder / "new.ini")).changes:
...     print(change.kind, change.message)
filter-moved a moved from 1st to 3rd
factory-changed factory call:m:app → call:m:app2
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import composites
from .config import Deployment, Section

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["DEFAULT", "SCHEMA", "Change", "Diff", "diff", "ordinal", "union_graph"]

SCHEMA = "pastetrace.diff/1"
DEFAULT = "DEFAULT"  # the `section` of changes to the global conf

# How each change kind is shown: added (+), removed (-), moved (↕), anything else changed (~).
_SIGN_BY_SUFFIX = (("-added", "added"), ("-removed", "removed"), ("-moved", "moved"))
_KEY = tuple[str, str]  # (namespace, name): how sections are matched


@dataclass(frozen=True)
class Change:
    """One difference: ``what`` (a filter, prefix, key, setting...) in ``section`` went from
    ``old`` to ``new``; lines point into the old and the new file."""

    kind: str
    section: str  # the header as written (the new one when both sides have the section)
    what: str
    old: str | None = None
    new: str | None = None
    old_line: int | None = None
    new_line: int | None = None
    detail: str | None = None
    branch: str | None = None  # the selector key whose filter list changed

    @property
    def sign(self) -> str:
        """``added``, ``removed``, ``moved`` or ``changed``: how the change is coloured."""
        return next(
            (sign for suffix, sign in _SIGN_BY_SUFFIX if self.kind.endswith(suffix)), "changed"
        )

    @property
    def message(self) -> str:
        """The change as one sentence, e.g. ``authtoken moved from 4th to 6th``."""
        return _MESSAGES.get(self.kind, _generic)(self)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "message": self.message}


@dataclass(frozen=True)
class Diff:
    """Every change from ``old`` to ``new``, grouped by section (``DEFAULT`` first)."""

    old: Path
    new: Path
    changes: tuple[Change, ...]
    # header → (line in the old file, line in the new file) of each section that changed
    places: Mapping[str, tuple[int | None, int | None]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def by_section(self) -> dict[str, list[Change]]:
        """Changes per section, in the order the sections were compared."""
        groups: dict[str, list[Change]] = {}
        for change in self.changes:
            groups.setdefault(change.section, []).append(change)
        return groups

    def summary(self) -> dict[str, int]:
        """How many changes of each sign (added, removed, changed, moved) and in all."""
        signs = Counter(change.sign for change in self.changes)
        counts = {sign: signs[sign] for sign in ("added", "removed", "changed", "moved")}
        return {**counts, "total": len(self.changes)}

    def counts(self) -> dict[str, int]:
        """How many changes of each kind, sorted by kind."""
        return dict(sorted(Counter(change.kind for change in self.changes).items()))

    def of_kind(self, *kinds: str) -> list[Change]:
        return [change for change in self.changes if change.kind in kinds]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``schema``, both paths, counts and the changes grouped by section."""
        return {
            "schema": SCHEMA,
            "old": str(self.old),
            "new": str(self.new),
            "summary": self.summary(),
            "counts": self.counts(),
            "sections": [
                {
                    "section": section,
                    "old_line": self.places.get(section, (None, None))[0],
                    "new_line": self.places.get(section, (None, None))[1],
                    "changes": [change.to_dict() for change in changes],
                }
                for section, changes in self.by_section().items()
            ],
        }

    def __rich__(self) -> Any:
        from .render.diff_tree import DiffView

        return DiffView(self)


def diff(old: Deployment, new: Deployment) -> Diff:
    """Compare two deployments: entries, sections, factories, routing, filters and settings."""
    changes: list[Change] = list(_defaults(old, new))
    places: dict[str, tuple[int | None, int | None]] = {}
    old_sections, new_sections = _by_key(old), _by_key(new)
    old_entries, new_entries = _entries(old), _entries(new)
    for key in _ordered_keys(old_sections, new_sections):
        before, after = old_sections.get(key), new_sections.get(key)
        found = list(_entry_changes(key, old_entries, new_entries, before, after))
        found.extend(_section_changes(old, new, before, after))
        if found:
            header = found[0].section
            places[header] = (before.line if before else None, after.line if after else None)
            changes.extend(found)
    return Diff(old.path, new.path, tuple(changes), places)


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``22nd``.

    >>> [ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 101)]
    ['1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '22nd', '101st']
    """
    if 10 <= n % 100 <= 20:
        return f"{n}th"
    return f"{n}{ {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th') }"


# -- matching -------------------------------------------------------------------------------
def _by_key(deployment: Deployment) -> dict[_KEY, Section]:
    """The main file's sections by (namespace, name); the first wins, as PasteDeploy's does."""
    result: dict[_KEY, Section] = {}
    for section in deployment.sections:
        result.setdefault((section.namespace, section.name), section)
    return result


def _ordered_keys(old: Mapping[_KEY, Section], new: Mapping[_KEY, Section]) -> list[_KEY]:
    """New file order, then the sections only the old file has (in its order)."""
    return [*new, *(key for key in old if key not in new)]


def _entries(deployment: Deployment) -> dict[str, Section]:
    """The names ``loadapp(config#name)`` can load without another section using them."""
    return {section.name: section for section in deployment.entries()}


# -- [DEFAULT] --------------------------------------------------------------------------------
def _defaults(old: Deployment, new: Deployment) -> Iterator[Change]:
    before, after = _global_conf(old), _global_conf(new)
    old_lines, new_lines = _default_lines(old.path), _default_lines(new.path)
    for key, change in _dict_changes(before, after):
        yield Change(
            f"setting-{change}",
            DEFAULT,
            key,
            before.get(key),
            after.get(key),
            old_lines.get(key),
            new_lines.get(key),
        )


def _global_conf(deployment: Deployment) -> dict[str, str]:
    """``[DEFAULT]`` without ``here``/``__file__``, which only say where the file is."""
    return {
        key: _portable(deployment, value)
        for key, value in deployment.defaults.items()
        if key not in ("here", "__file__")
    }


def _default_lines(path: Path) -> dict[str, int]:
    # Deployment keeps no lines for [DEFAULT]; re-scan with the reader's own line scanner.
    from .config import _read_text, _scan_lines

    _, options, _ = _scan_lines(_read_text(path))
    return options.get(DEFAULT, {})


def _portable(deployment: Deployment, value: str) -> str:
    """A value with this file's own path written back as ``%(here)s`` (files in two folders)."""
    value = value.replace(str(deployment.path), "%(__file__)s")
    return value.replace(str(deployment.path.parent), "%(here)s")


def _dict_changes(old: Mapping[str, str], new: Mapping[str, str]) -> Iterator[tuple[str, str]]:
    """(key, added|removed|changed), new order first, then removed keys."""
    for key, value in new.items():
        if key not in old:
            yield key, "added"
        elif old[key] != value:
            yield key, "changed"
    for key in old:
        if key not in new:
            yield key, "removed"


# -- entries ----------------------------------------------------------------------------------
def _entry_changes(
    key: _KEY,
    old_entries: Mapping[str, Section],
    new_entries: Mapping[str, Section],
    before: Section | None,
    after: Section | None,
) -> Iterator[Change]:
    name = key[1]
    was = old_entries.get(name) if before is not None and old_entries.get(name) is before else None
    now = new_entries.get(name) if after is not None and new_entries.get(name) is after else None
    present = after or before
    header = present.header if present is not None else name
    if was is None and now is not None:
        yield Change("entry-added", header, name, None, now.header, None, now.line)
    elif was is not None and now is None:
        detail = None if after is None else "still a section, now used by another one"
        yield Change("entry-removed", header, name, was.header, None, was.line, None, detail)
    elif was is not None and now is not None and was.kind != now.kind:
        yield Change("entry-retargeted", header, name, was.header, now.header, was.line, now.line)


# -- one section --------------------------------------------------------------------------------
def _section_changes(
    old: Deployment, new: Deployment, before: Section | None, after: Section | None
) -> Iterator[Change]:
    if before is None and after is not None:
        yield Change(
            "section-added", after.header, after.kind, None, after.header, None, after.line
        )
        return
    if after is None and before is not None:
        yield Change(
            "section-removed", before.header, before.kind, before.header, None, before.line
        )
        return
    assert before is not None and after is not None
    if before.kind != after.kind:
        yield Change(
            "kind-changed",
            after.header,
            "kind",
            before.kind,
            after.kind,
            before.line,
            after.line,
            f"{_shape(old, before)} → {_shape(new, after)}",
        )
    else:
        yield from _factory_change(before, after)
        yield from _routing_changes(old, new, before, after)
    yield from _setting_changes(old, new, before, after)


def _shape(deployment: Deployment, section: Section) -> str:
    """What a section does, in a few words, for a kind change."""
    if section.kind == "pipeline":
        return "pipeline " + " ".join(ref.name for ref in section.pipeline)
    if section.kind == "composite":
        kind = deployment.composite(section).kind
        return f"{kind} ({section.factory.spec})"
    return f"{section.kind} ({section.factory.spec or 'no factory'})"


def _factory_change(before: Section, after: Section) -> Iterator[Change]:
    if before.kind == "pipeline":
        return
    old, new = before.factory, after.factory
    if (old.spec, old.target) == (new.spec, new.target):
        return
    detail = None
    if old.target != new.target:
        was, now = _target(old.target, old.missing_dist), _target(new.target, new.missing_dist)
        detail = f"target {was} → {now}"
    yield Change(
        "factory-changed",
        after.header,
        "factory",
        old.spec or None,
        new.spec or None,
        old.line or before.line,
        new.line or after.line,
        detail,
    )


def _target(target: str | None, missing_dist: str | None) -> str:
    if target:
        return target
    return f"unresolved ({missing_dist} not installed)" if missing_dist else "unresolved"


# -- routing: pipelines, urlmaps, selectors, other composites ----------------------------------
def _routing_changes(
    old: Deployment, new: Deployment, before: Section, after: Section
) -> Iterator[Change]:
    if before.kind == "pipeline":
        yield from _chain_changes(
            after.header,
            [(ref.name, ref.line) for ref in before.pipeline],
            [(ref.name, ref.line) for ref in after.pipeline],
            None,
        )
        return
    if before.kind != "composite":
        return
    old_kind, new_kind = old.composite(before).kind, new.composite(after).kind
    if old_kind != new_kind:
        # A different kind of composite: its old keys go, its new keys come.
        yield from _keys_only(old_kind, old, before, removed=True, header=after.header)
        yield from _keys_only(new_kind, new, after, removed=False, header=after.header)
    elif new_kind == composites.CompositeKind.URLMAP:
        yield from _urlmap_changes(old, new, before, after)
    elif new_kind == composites.CompositeKind.SELECTOR:
        yield from _selector_changes(old, new, before, after)
    else:
        yield from _unknown_changes(old, new, before, after)


def _chain_changes(
    header: str,
    old: Sequence[tuple[str, int | None]],
    new: Sequence[tuple[str, int | None]],
    branch: str | None,
) -> Iterator[Change]:
    """Filters added, removed and moved (LCS), then the app at the end."""
    old_filters, new_filters = list(old[:-1]), list(new[:-1])
    old_names, new_names = [n for n, _ in old_filters], [n for n, _ in new_filters]
    removed, added = _lcs_edits(old_names, new_names)
    moved = _pair_moves(old_names, new_names, removed, added)
    for i, j in moved:
        name = old_filters[i][0]
        yield Change(
            "filter-moved",
            header,
            name,
            str(i + 1),
            str(j + 1),
            old_filters[i][1],
            new_filters[j][1],
            branch=branch,
        )
    moved_old, moved_new = {i for i, _ in moved}, {j for _, j in moved}
    for j in added:
        if j not in moved_new:
            name, line = new_filters[j]
            detail = _neighbours(new, j)
            yield Change("filter-added", header, name, None, str(j + 1), None, line, detail, branch)
    for i in removed:
        if i not in moved_old:
            name, line = old_filters[i]
            yield Change("filter-removed", header, name, str(i + 1), None, line, None, None, branch)
    if old and new and old[-1][0] != new[-1][0]:
        yield Change(
            "app-retargeted",
            header,
            "app",
            old[-1][0],
            new[-1][0],
            old[-1][1],
            new[-1][1],
            None,
            branch,
        )


def _lcs_edits(old: list[str], new: list[str]) -> tuple[list[int], list[int]]:
    """Indexes of ``old`` outside the longest common subsequence, and of ``new``."""
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    removed: list[int] = []
    added: list[int] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag in ("delete", "replace"):
            removed.extend(range(i1, i2))
        if tag in ("insert", "replace"):
            added.extend(range(j1, j2))
    return removed, added


def _pair_moves(
    old: Sequence[str], new: Sequence[str], removed: list[int], added: list[int]
) -> list[tuple[int, int]]:
    """A name that left the common subsequence at i and came back at j is one move."""
    free = list(added)
    pairs = []
    for i in removed:
        j = next((j for j in free if new[j] == old[i]), None)
        if j is not None:
            free.remove(j)
            pairs.append((i, j))
    return pairs


def _neighbours(chain: Sequence[tuple[str, int | None]], j: int) -> str | None:
    after = chain[j - 1][0] if j > 0 else None
    before = chain[j + 1][0] if j + 1 < len(chain) else None
    if after and before:
        return f"between {after} and {before}"
    if after:
        return f"after {after}"
    if before:
        return f"before {before}"
    return None


def _urlmap_changes(
    old: Deployment, new: Deployment, before: Section, after: Section
) -> Iterator[Change]:
    old_branches = _by_path(old.branches(before))
    new_branches = _by_path(new.branches(after))
    for path, branch in new_branches.items():
        was = old_branches.get(path)
        if was is None:
            yield Change(
                "prefix-added", after.header, branch.label, None, branch.names[0], None, branch.line
            )
        elif was.names[0] != branch.names[0]:
            yield Change(
                "prefix-retargeted",
                after.header,
                branch.label,
                was.names[0],
                branch.names[0],
                was.line,
                branch.line,
            )
    for path, was in old_branches.items():
        if path not in new_branches:
            yield Change("prefix-removed", after.header, was.label, was.names[0], None, was.line)


def _by_path(
    branches: Iterable[composites.Branch],
) -> dict[tuple[str | None, str], composites.Branch]:
    """Prefixes by what Paste matches on: ``/v2/`` and ``/v2`` are one prefix."""
    return {(branch.domain, branch.path): branch for branch in branches}


def _selector_changes(
    old: Deployment, new: Deployment, before: Section, after: Section
) -> Iterator[Change]:
    old_branches = {b.key: b for b in old.branches(before)}
    new_branches = {b.key: b for b in new.branches(after)}
    for key, branch in new_branches.items():
        was = old_branches.get(key)
        if was is None:
            yield Change(
                "branch-added", after.header, key, None, " ".join(branch.names), None, branch.line
            )
            continue
        yield from _chain_changes(
            after.header,
            [(name, was.line) for name in was.names],
            [(name, branch.line) for name in branch.names],
            key,
        )
    for key, was in old_branches.items():
        if key not in new_branches:
            yield Change("branch-removed", after.header, key, " ".join(was.names), None, was.line)


def _unknown_changes(
    old: Deployment, new: Deployment, before: Section, after: Section
) -> Iterator[Change]:
    old_refs = {ref.label or "": ref for ref in old.branch_refs(before)}
    new_refs = {ref.label or "": ref for ref in new.branch_refs(after)}
    for key, ref in new_refs.items():
        was = old_refs.get(key)
        if was is None:
            yield Change("key-added", after.header, key, None, ref.name, None, ref.line)
        elif was.name != ref.name:
            yield Change(
                "key-retargeted", after.header, key, was.name, ref.name, was.line, ref.line
            )
    for key, was in old_refs.items():
        if key not in new_refs:
            yield Change("key-removed", after.header, key, was.name, None, was.line)


def _keys_only(
    kind: str, deployment: Deployment, section: Section, *, removed: bool, header: str
) -> Iterator[Change]:
    """Every key of one side, as all added or all removed (the composite changed kind)."""
    prefix = {
        composites.CompositeKind.URLMAP: "prefix",
        composites.CompositeKind.SELECTOR: "branch",
    }.get(kind, "key")
    for branch in deployment.branches(section):
        value = " ".join(branch.names)
        if removed:
            yield Change(f"{prefix}-removed", header, branch.label, value, None, branch.line)
        else:
            yield Change(f"{prefix}-added", header, branch.label, None, value, None, branch.line)


# -- settings ---------------------------------------------------------------------------------
def _setting_changes(
    old: Deployment, new: Deployment, before: Section, after: Section
) -> Iterator[Change]:
    was, now = _settings(old, before), _settings(new, after)
    for key, change in _dict_changes(was, now):
        yield Change(
            f"setting-{change}",
            after.header,
            key,
            was.get(key),
            now.get(key),
            before.line_of(key) if key in was else None,
            after.line_of(key) if key in now else None,
        )


def _settings(deployment: Deployment, section: Section) -> dict[str, str]:
    """What the factory is given besides its routing: local conf, ``next``, ``filter-with``,
    ``set`` additions to the global conf."""
    local = dict(section.local_conf)
    if section.kind == "composite":
        for key in _routing_keys(deployment, section):
            local.pop(key, None)
    if section.next is not None:
        local["next"] = section.next.name
    if section.filter_with is not None:
        local["filter-with"] = section.filter_with.name
    for key, value in section.global_additions.items():
        local[f"set {key}"] = value
    return {key: _portable(deployment, value.strip()) for key, value in local.items()}


def _routing_keys(deployment: Deployment, section: Section) -> set[str]:
    kind = deployment.composite(section).kind
    if kind == composites.CompositeKind.UNKNOWN:
        return {ref.label for ref in deployment.branch_refs(section) if ref.label is not None}
    # not_found_app is no branch: a new one shows as a changed setting.
    return {branch.key for branch in deployment.branches(section)}


# -- messages ---------------------------------------------------------------------------------
def _generic(change: Change) -> str:
    return f"{change.what}: {change.old} → {change.new}"


def _position(text: str | None) -> str:
    return ordinal(int(text)) if text and text.isdigit() else str(text)


def _in_branch(change: Change) -> str:
    return f" in branch {change.branch}" if change.branch is not None else ""


_MESSAGES: dict[str, Callable[[Change], str]] = {
    "section-added": lambda c: f"[{c.new}] added ({c.what})",
    "section-removed": lambda c: f"[{c.old}] removed ({c.what})",
    "kind-changed": lambda c: f"{c.old} → {c.new}",
    "entry-added": lambda c: f"entry {c.what} added ([{c.new}])",
    "entry-removed": lambda c: f"entry {c.what} removed (was [{c.old}])",
    "entry-retargeted": lambda c: f"entry {c.what}: [{c.old}] → [{c.new}]",
    "factory-changed": lambda c: f"factory {c.old} → {c.new}",
    "prefix-added": lambda c: f"prefix {c.what} → {c.new} added",
    "prefix-removed": lambda c: f"prefix {c.what} → {c.old} removed",
    "prefix-retargeted": lambda c: f"prefix {c.what}: {c.old} → {c.new}",
    "branch-added": lambda c: f"key {c.what} added: {c.new}",
    "branch-removed": lambda c: f"key {c.what} removed (was {c.old})",
    "key-added": lambda c: f"key {c.what} → {c.new} added",
    "key-removed": lambda c: f"key {c.what} → {c.old} removed",
    "key-retargeted": lambda c: f"key {c.what}: {c.old} → {c.new}",
    "filter-added": lambda c: f"filter {c.what} added as {_position(c.new)}{_in_branch(c)}",
    "filter-removed": lambda c: f"filter {c.what} removed (was {_position(c.old)}){_in_branch(c)}",
    "filter-moved": lambda c: (
        f"{c.what} moved from {_position(c.old)} to {_position(c.new)}{_in_branch(c)}"
    ),
    "app-retargeted": lambda c: f"app {c.old} → {c.new}{_in_branch(c)}",
    "setting-added": lambda c: f"{c.what} = {c.new} added",
    "setting-removed": lambda c: f"{c.what} = {c.old} removed",
    "setting-changed": lambda c: f"{c.what}: {c.old} → {c.new}",
}


# -- the union of both graphs (for dot and mermaid) ---------------------------------------------
def union_graph(diff: Diff, old_graph: nx.DiGraph, new_graph: nx.DiGraph) -> nx.DiGraph:
    """Both deployment graphs in one, each node and edge with ``diff`` = ``added``, ``removed``,
    ``changed``, ``moved`` or ``same``.

    Nodes are matched by section name within its namespace, and filter uses by their pipeline
    (or selector key), name and occurrence, not by position: an inserted filter does not make
    every later one a different node.
    """
    old_ids, new_ids = _stable_ids(old_graph), _stable_ids(new_graph)
    changed, moved = _marked(diff)
    graph = type(new_graph)()  # the inputs' class: networkx's, or the command line's light one
    clusters: dict[str, dict[str, Any]] = {}
    for side, source, ids in (("removed", old_graph, old_ids), ("added", new_graph, new_ids)):
        boxes = _merge_clusters(clusters, source, ids)
        for node, data in source.nodes(data=True):
            key = ids[node]
            attrs = _node_data(data, boxes)
            graph.add_node(key, **attrs, diff="same" if key in graph else side)
        for u, v, data in source.edges(data=True):
            a, b = ids[u], ids[v]
            status = side
            if graph.has_edge(a, b):
                same = _edge_label(graph.edges[a, b]) == _edge_label(data)
                status = "same" if same else "changed"
            graph.add_edge(a, b, **data, diff=status)
    for key, data in graph.nodes(data=True):
        if data["diff"] != "same":
            continue
        if data.get("owner") is None and data.get("section") in changed:
            data["diff"] = "changed"
        elif any(key.startswith(prefix) for prefix in moved):
            data["diff"] = "moved"
    graph.graph.update(
        schema=SCHEMA,
        config=f"{diff.old.name} → {diff.new.name}",
        entries=[new_ids[n] for n in new_graph.graph.get("entries", [])],
        clusters=clusters,
    )
    return graph


def _edge_label(data: Mapping[str, Any]) -> str:
    from .graph import edge_label

    return edge_label(data)


def _stable_ids(graph: nx.DiGraph) -> dict[str, str]:
    """Node id → an id that survives edits: ``app/name``, ``filter/name``, and filter uses as
    ``<owner>/<filter>/<occurrence>``."""
    ids: dict[str, str] = {}
    for node, data in graph.nodes(data=True):
        if data.get("owner") is None:
            ids[node] = _section_id(data, node)
    counts: Counter[str] = Counter()
    uses = [(n, d) for n, d in graph.nodes(data=True) if d.get("owner") is not None]
    uses.sort(key=lambda item: (str(item[1]["owner"]), int(item[1].get("order") or 0)))
    for node, data in uses:
        base = f"{_owner_id(graph, ids, str(data['owner']))}/{data.get('name') or node}"
        ids[node] = f"{base}/{counts[base]}"
        counts[base] += 1
    return ids


def _section_id(data: Mapping[str, Any], node: str) -> str:
    kind = data.get("kind")
    space = {"filter": "filter", "missing": "missing", "route": "route"}.get(str(kind), "app")
    return f"{space}/{data.get('name') if data.get('name') is not None else node}"


def _owner_id(graph: nx.DiGraph, ids: Mapping[str, str], owner: str) -> str:
    """A pipeline, a selector key (``app/api#keystone``) or a ``filter-with`` wrapper."""
    meta = graph.graph.get("clusters", {}).get(owner, {})
    if meta.get("kind") == "branch":
        parent = str(meta.get("parent"))
        return f"{ids.get(parent, parent)}#{meta.get('label')}"
    if meta.get("kind") == "filter-with":
        section = owner.removesuffix("#filter-with")
        return f"{ids.get(section, section)}#filter-with"
    return ids.get(owner, owner)


def _merge_clusters(
    clusters: dict[str, dict[str, Any]], graph: nx.DiGraph, ids: Mapping[str, str]
) -> dict[str, str]:
    """Add one graph's boxes under stable ids; return its box id → stable id."""
    boxes = {cid: _owner_id(graph, ids, cid) for cid in graph.graph.get("clusters", {})}
    for cid, meta in graph.graph.get("clusters", {}).items():
        parent = meta.get("parent")
        clusters[boxes[cid]] = {**meta, "parent": boxes.get(parent, ids.get(parent, parent))}
    return boxes


def _node_data(data: Mapping[str, Any], boxes: Mapping[str, str]) -> dict[str, Any]:
    result = {key: value for key, value in data.items() if key != "diff"}
    for attr in ("cluster", "owner"):
        value = result.get(attr)
        if value is not None:
            result[attr] = boxes.get(str(value), str(value))
    return result


def _marked(diff: Diff) -> tuple[set[str], set[str]]:
    """Headers of sections that are on both sides but changed; and the stable-id
    prefixes of moved filter uses (``app/<pipeline>/<filter>/``)."""
    whole = {"section-added", "section-removed", "entry-added", "entry-removed"}
    changed = {c.section for c in diff.changes if c.kind not in whole}
    moved = set()
    for change in diff.of_kind("filter-moved"):
        owner = "app/" + change.section.split(":", 1)[-1].strip()
        if change.branch is not None:
            owner += f"#{change.branch}"
        moved.add(f"{owner}/{change.what}/")
    return changed, moved
