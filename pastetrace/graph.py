"""A :class:`~pastetrace.config.Deployment` → a ``networkx.DiGraph`` of the way requests flow.

Static: nothing the file names is imported. Apps, composites, pipelines and filter-apps are one
node per section (id = the header, ``pipeline:public_api``); a filter is one node per *use*
(``pipeline:main/2:filter:proxy-logging``), so swift's ``proxy-logging`` twice is two nodes.
Edges point the way a request travels: urlmap → app (``label`` = prefix, ``order`` = Paste's
match order), selector → first node of each branch (``label`` = key), and pipelines as ordered
chains: ``pipeline`` → filter 0 → filter 1 → … → app.

Layers: ``build_graph(..., layers=[f])`` calls ``f(graph, deployment)`` once the static graph is
built; the routes layer adds ``route`` nodes under an app that way, and every renderer walks
out-edges by ``order``, so new kinds of node show up without changes here.

>>> from pastetrace.config import load
>>> graph = build_graph(load("keystone"))
>>> graph.graph["schema"]
'pastetrace.graph/1'
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import composites
from ._bulk import collector_paused
from .config import APP, FILTER, Deployment, Ref, Section
from .errors import ConfigError

if TYPE_CHECKING:
    import networkx as nx

__all__ = [
    "SCHEMA",
    "Layer",
    "build_graph",
    "chain",
    "edge_label",
    "entry_nodes",
    "ordered_successors",
]

SCHEMA = "pastetrace.graph/1"

Layer = Callable[["nx.DiGraph", Deployment], None]

# Edge kinds that continue a pipeline or a selector branch (as opposed to routing out of it).
CHAIN_KINDS = frozenset({"pipeline", "next"})


@collector_paused()
def build_graph(
    deployment: Deployment,
    name: str | None = None,
    *,
    strict: bool = True,
    layers: Iterable[Layer] = (),
    graph_class: Callable[[], Any] | None = None,
) -> nx.DiGraph:
    """The graph of ``name`` (or of every entry of the file), linear in the file's size.

    Args:
        graph_class: what to build; a ``networkx.DiGraph`` by default. The command line
            passes :class:`pastetrace.digraph.DiGraph`, which needs no networkx import.

    Raises:
        ConfigError: with ``strict``, at the first missing reference or cycle reachable from the
            roots (a ``use =`` that leads nowhere included) or a value PasteDeploy cannot
            interpolate; without it they become ``missing`` nodes and ``cycle: True`` edges.
    """
    if graph_class is None:
        import networkx as nx

        graph_class = nx.DiGraph
    roots = [deployment.get(name)] if name is not None else deployment.entries()
    if not roots:
        raise ConfigError(
            "has no app, composite or pipeline section, so there is nothing to draw "
            "(is it a paste .ini file?)",
            deployment.path,
        )
    if strict:
        _check_notes(deployment)
    graph = graph_class()
    builder = _Builder(deployment, graph, strict)
    entries = [builder.walk(root) for root in roots]
    for node in entries:
        graph.nodes[node]["entry"] = True
    builder.assign_terminal_apps()
    graph.graph.update(
        schema=SCHEMA,
        config=str(deployment.path),
        entries=entries,
        clusters=builder.clusters,
    )
    for layer in layers:
        layer(graph, deployment)
    return graph


# -- helpers for renderers --------------------------------------------------------------------
def ordered_successors(graph: nx.DiGraph, node: str) -> list[tuple[str, dict[str, Any]]]:
    """Out-edges of ``node`` in the order a request meets them (``order``, then insertion)."""
    succ = graph.succ[node]
    items = list(succ.items())
    return sorted(items, key=lambda item: _order_key(item[1]))


def _order_key(data: Mapping[str, Any]) -> int:
    order = data.get("order")
    return order if isinstance(order, int) else 1 << 30


def edge_label(data: Mapping[str, Any]) -> str:
    """An edge's label; several prefixes/keys leading to one node are joined."""
    labels = data.get("labels")
    if labels:
        return ", ".join(str(label) for label in labels)
    label = data.get("label")
    return "" if label is None else str(label)


def entry_nodes(graph: nx.DiGraph) -> list[str]:
    """The nodes where requests arrive, main first."""
    return list(graph.graph.get("entries", []))


def chain(graph: nx.DiGraph, first: str) -> list[str]:
    """One pipeline or selector branch from its ``first`` node: filter instances, then the node
    they hand the request to (usually an app; absent when the chain is cut by a cycle)."""
    nodes = [first]
    while graph.nodes[nodes[-1]].get("owner") is not None:
        nxt = next(
            (
                succ
                for succ, data in ordered_successors(graph, nodes[-1])
                if data.get("kind") in CHAIN_KINDS and not data.get("cycle")
            ),
            None,
        )
        if nxt is None:
            break
        nodes.append(nxt)
    return nodes


# -- the builder ------------------------------------------------------------------------------
@dataclass
class _Link:
    """An edge from a node to another section, found when a section is expanded."""

    source: str
    ref: Ref
    referrer: str  # "pipeline 'main'", for messages
    attrs: dict[str, Any]


@dataclass
class _Frame:
    section: Section
    links: Iterator[_Link]


@dataclass
class _Builder:
    deployment: Deployment
    graph: nx.DiGraph
    strict: bool
    arrival: dict[str, str] = field(default_factory=dict)  # section id → node a request enters
    done: set[str] = field(default_factory=set)
    on_stack: dict[str, int] = field(default_factory=dict)
    stack: list[_Frame] = field(default_factory=list)
    clusters: dict[str, dict[str, Any]] = field(default_factory=dict)

    # Iterative depth-first walk: files with thousands of nested sections must not hit the
    # recursion limit, and a cycle is an edge back to a section still on the stack.
    def walk(self, root: Section) -> str:
        if root.id not in self.done:
            self._enter(root)
            while self.stack:
                frame = self.stack[-1]
                link = next(frame.links, None)
                if link is None:
                    self.stack.pop()
                    del self.on_stack[frame.section.id]
                    continue
                self._follow(link)
        return self.arrival[root.id]

    def _enter(self, section: Section) -> None:
        self.done.add(section.id)
        self.on_stack[section.id] = len(self.stack)
        links = list(self._expand(section))
        self.stack.append(_Frame(section, iter(links)))

    def _follow(self, link: _Link) -> None:
        target = self._resolve(link)
        if target is None:
            return
        if target.id in self.on_stack:
            self._cycle(link, target)
            return
        if target.id not in self.done:
            self._enter(target)
        self._edge(link.source, self.arrival[target.id], **link.attrs)

    def _resolve(self, link: _Link) -> Section | None:
        ref = link.ref
        target = self.deployment.resolve(ref)
        if target is not None:
            return target
        message = self._missing_message(link)
        if self.strict:
            raise ConfigError(message, ref.file, ref.line)
        node = f"missing:{ref.name}"
        if node in self.graph:  # keep the first referrer's message
            self._edge(link.source, node, **link.attrs)
            return None
        self._add_missing(node, ref, message, cluster=None)
        self._edge(link.source, node, **link.attrs)
        return None

    def _missing_message(self, link: _Link) -> str:
        ref, dep = link.ref, self.deployment
        if ref.is_uri:
            return f"{link.referrer} names {ref.name!r}, which cannot be resolved"
        here = dep.find(ref.namespace, ref.name, ref.file)
        if len(here) > 1:
            headers = ", ".join(f"[{s.header}] line {s.line}" for s in here)
            return f"{link.referrer} names {ref.name!r}, which is ambiguous: {headers} (rename one)"
        other_ns = APP if ref.namespace == FILTER else FILTER
        other = dep.find(other_ns, ref.name, ref.file)
        if other and ref.namespace == FILTER:
            return (
                f"{link.referrer} names {ref.name!r} as a filter, but [{other[0].header}] is an "
                "app (only the last name of a pipeline is an app; add a [filter:...] section "
                "or move it last)"
            )
        if other:
            return (
                f"{link.referrer} names {ref.name!r} as its app, but [{other[0].header}] is a "
                "filter (a pipeline must end with an app, composite or pipeline)"
            )
        if ref.namespace == FILTER:
            what, header = "filter", f"[filter:{ref.name}]"
        else:
            what, header = "app", f"[app:{ref.name}] (or composite/pipeline)"
        hints = []
        close = dep.suggest(ref.namespace, ref.name, ref.file)
        if close:
            hints.append(f"did you mean {close[0]!r}?")
        known = dep.names(ref.namespace, ref.file)
        kinds = "filters" if ref.namespace == FILTER else "apps"
        if known:
            hints.append(
                f"{kinds}: " + ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
            )
        else:
            hints.append(f"the file has no {kinds}")
        hint = " ".join(hints)
        return f"{link.referrer} names {what} {ref.name!r}, which has no {header} section ({hint})"

    def _cycle(self, link: _Link, target: Section) -> None:
        path = [f.section.header for f in self.stack[self.on_stack[target.id] :]]
        loop = " → ".join(f"[{h}]" for h in (*path, target.header))
        if self.strict:
            raise ConfigError(
                f"{link.referrer} leads back to [{target.header}]: a cycle {loop} "
                "(PasteDeploy would recurse forever; break the loop)",
                link.ref.file,
                link.ref.line,
            )
        self._edge(link.source, self.arrival[target.id], cycle=True, **link.attrs)

    def _edge(self, source: str, target: str, **attrs: Any) -> None:
        """Add an edge; a second prefix or key to the same node is kept in ``labels``."""
        existing = self.graph.succ[source].get(target) if source in self.graph else None
        if existing is None:
            self.graph.add_edge(source, target, **attrs)
            return
        labels = existing.setdefault("labels", [existing.get("label")])
        labels.append(attrs.get("label"))
        if existing.get("dropped") and not attrs.get("dropped"):
            del existing["dropped"]  # reachable through a prefix the factory keeps

    # -- expanding one section into nodes and outgoing links ---------------------------------
    def _expand(self, section: Section) -> Iterator[_Link]:
        node = self._section_node(section)
        self.arrival[section.id] = node
        if section.filter_with is not None:
            yield from self._wrap(section, section.filter_with)
        if section.kind == "pipeline":
            yield from self._pipeline(section)
        elif section.kind == "composite":
            yield from self._composite(section)
        elif section.kind == "filter-app" and section.next is not None:
            yield _Link(
                section.id,
                section.next,
                f"filter-app {section.name!r}",
                {"kind": "next", "label": None, "order": 1},
            )

    def _check_use(self, section: Section) -> None:
        """Strict: ``use =`` naming a missing section or file, or itself, is a missing reference."""
        factory = section.factory
        if not (self.strict and factory.problem and factory.scheme in ("config", "section")):
            return
        cycle = "cycle" in factory.problem  # inherited along the loop, unlike other problems
        if cycle or not factory.via:  # else the problem is the used section's, not the `use =`
            raise ConfigError(
                f"[{section.header}] use = {factory.spec}: {factory.problem}"
                + (" (break the loop)" if cycle else ""),
                section.file,
                factory.line or section.line,
            )

    def _add_missing(self, node: str, ref: Ref, message: str, **attrs: Any) -> None:
        """A node for a name that leads nowhere (non-strict graphs, for lint and pictures)."""
        self.graph.add_node(
            node,
            kind="missing",
            section=None,
            factory=None,
            target=None,
            line=ref.line,
            file=str(ref.file),
            name=ref.name,
            entry=False,
            notes=[],
            problem=message,
            **attrs,
        )

    def _section_node(self, section: Section) -> str:
        self._check_use(section)
        kind = section.kind
        attrs: dict[str, Any] = {}
        notes = _factory_notes(section)
        if kind == "composite":
            classified = self.deployment.composite(section)
            if classified.kind == composites.CompositeKind.URLMAP:
                kind = "urlmap"
                if classified.urlmap is not None and classified.urlmap.note:
                    notes.append(classified.urlmap.note)
            else:
                selector = classified.selector
                attrs["composite_kind"] = "selector" if selector is not None else "unknown"
                if selector is not None:
                    attrs["default_branch"] = selector.default_key
                    notes.append(f"chooses one key at run time: {selector.chooses_by}")
        if kind == "pipeline" and section.extra_pipeline_keys:
            keys = ", ".join(section.extra_pipeline_keys)
            notes.append(f"keys other than 'pipeline' are an error in a pipeline: {keys}")
        is_cluster = kind == "pipeline" or attrs.get("composite_kind") == "selector"
        cluster = section.id if is_cluster else None
        if cluster is not None:
            self.clusters[cluster] = {"label": section.header, "parent": None, "kind": kind}
        self.graph.add_node(
            section.id,
            **_common(section),
            kind=kind,
            entry=False,
            cluster=cluster,
            notes=notes,
            **attrs,
        )
        return section.id

    def _wrap(self, section: Section, ref: Ref) -> Iterator[_Link]:
        """``filter-with``: PasteDeploy returns the filter wrapped around the section."""
        owner = f"{section.id}#filter-with"
        self.clusters[owner] = {"label": "filter-with", "parent": None, "kind": "filter-with"}
        node = self._filter_instance(ref, owner, 0, f"[{section.header}] filter-with")
        self.arrival[section.id] = node
        self._edge(node, section.id, kind="next", label="filter-with", order=1)
        return iter(())

    def _pipeline(self, section: Section) -> Iterator[_Link]:
        referrer = f"pipeline {section.name!r}"
        yield from self._chain(section.id, section.id, section.pipeline, referrer, first={})

    def _chain(
        self,
        source: str,
        owner: str,
        refs: Iterable[Ref],
        referrer: str,
        first: dict[str, Any],
    ) -> Iterator[_Link]:
        """Filters as instances owned by ``owner``, then a link to the app that ends the chain."""
        refs = list(refs)
        for i, ref in enumerate(refs):
            attrs: dict[str, Any] = {"kind": "next", "label": None, "order": i}
            if i == 0:
                attrs = {"kind": "pipeline", "label": None, "order": 0, **first}
            if i == len(refs) - 1:
                yield _Link(source, ref, referrer, attrs)
                return
            node = self._filter_instance(ref, owner, i, referrer)
            self._edge(source, node, **attrs)
            source = node

    def _filter_instance(self, ref: Ref, owner: str, order: int, referrer: str) -> str:
        target = self.deployment.resolve(ref)
        header = target.header if target is not None else f"filter:{ref.name}"
        node = f"{owner}/{order}:{header}"
        if target is None:
            message = self._missing_message(_Link(owner, ref, referrer, {}))
            if self.strict:
                raise ConfigError(message, ref.file, ref.line)
            self._add_missing(node, ref, message, cluster=owner, order=order, owner=owner)
            return node
        self._check_use(target)
        notes = _factory_notes(target)
        if target.filter_with is not None:
            notes.append("'filter-with' on a filter section is ignored here")
        self.graph.add_node(
            node,
            **_common(target),
            kind="filter",
            entry=False,
            cluster=owner,
            notes=notes,
            order=order,
            owner=owner,
            ref_line=ref.line,
        )
        return node

    def _composite(self, section: Section) -> Iterator[_Link]:
        classified = self.deployment.composite(section)
        if classified.kind == composites.CompositeKind.SELECTOR:
            yield from self._selector(section)
            return
        is_urlmap = classified.kind == composites.CompositeKind.URLMAP
        kind = "urlmap" if is_urlmap else "composite"
        referrer = f"{'urlmap' if is_urlmap else 'composite'} {section.name!r}"
        if is_urlmap:
            branches = self.deployment.branches(section)
            for i, branch in enumerate(branches):
                ref = Ref(
                    branch.names[0], APP, "branch", section.file, branch.line, branch.label, i
                )
                attrs: dict[str, Any] = {"kind": kind, "label": branch.label, "order": i}
                if branch.dropped:
                    attrs["dropped"] = True
                yield _Link(section.id, ref, f"{referrer} {branch.label!r}", attrs)
            not_found = section.local_conf.get("not_found_app")
            if not_found and not_found.strip():
                line = section.line_of("not_found_app")
                ref = Ref(not_found.strip(), APP, "branch", section.file, line, "not_found_app")
                attrs = {"kind": "not-found", "label": "not_found_app", "order": len(branches)}
                yield _Link(section.id, ref, f"{referrer} not_found_app", attrs)
            return
        for i, ref in enumerate(self.deployment.branch_refs(section)):
            attrs = {"kind": kind, "label": ref.label, "order": i}
            yield _Link(section.id, ref, f"{referrer} key {ref.label!r}", attrs)

    def _selector(self, section: Section) -> Iterator[_Link]:
        for i, branch in enumerate(self.deployment.branches(section)):
            owner = f"{section.id}#{branch.key}"
            self.clusters[owner] = {"label": branch.key, "parent": section.id, "kind": "branch"}
            first: dict[str, Any] = {"kind": "composite", "label": branch.key, "order": i}
            if branch.default:
                first["default"] = True
            if branch.dropped:
                first["dropped"] = True
            last = len(branch.names) - 1
            refs = [
                Ref(n, FILTER if j < last else APP, "branch", section.file, branch.line, None, j)
                for j, n in enumerate(branch.names)
            ]
            referrer = f"composite {section.name!r} key {branch.key!r}"
            yield from self._chain(section.id, owner, refs, referrer, first=first)

    def assign_terminal_apps(self) -> None:
        """An app only one pipeline or branch ends in is drawn inside that cluster."""
        graph = self.graph
        for node, data in graph.nodes(data=True):
            if data.get("kind") not in ("app", "missing") or data.get("cluster") is not None:
                continue
            preds = graph.pred[node]
            if len(preds) != 1 or data.get("entry"):
                continue
            ((pred, edge),) = preds.items()
            if edge.get("kind") in CHAIN_KINDS:
                data["cluster"] = graph.nodes[pred].get("cluster")


def _check_notes(deployment: Deployment) -> None:
    """Strict: the first value PasteDeploy cannot interpolate (``%(missing)s``, a loop)."""
    for note in sorted(deployment.notes, key=lambda n: (str(n.file), n.line or 0)):
        if note.severity == "error":
            raise ConfigError(note.message, note.file, note.line)


def _common(section: Section) -> dict[str, Any]:
    factory = section.factory
    spec = None if section.kind == "pipeline" else (factory.spec or None)
    return {
        "section": section.header,
        "factory": spec,
        "target": factory.target,
        "line": section.line,
        "file": str(section.file),
        "name": section.name,
    }


def _factory_notes(section: Section) -> list[str]:
    factory = section.factory
    notes = []
    if factory.indirect:
        notes.append(f"indirect factory: the real class is {factory.indirect}")
    if factory.missing_dist:
        known = " (entry point known to pastetrace)" if factory.source == "known" else ""
        notes.append(f"egg distribution {factory.missing_dist!r} is not installed here{known}")
    if factory.problem and section.kind != "pipeline":
        notes.append(f"factory problem: {factory.problem}")
    elif factory.problem:
        notes.append(factory.problem)
    return notes
