"""How each kind of composite routes a request: a small table of known factories plus a shape rule.

A composite's factory is called as ``factory(loader, global_conf, **local_conf)`` and decides what
its keys mean. Paste's urlmap reads them as URL prefixes; OpenStack's auth pipeline factories read
them as whole pipelines, one per auth strategy or flavor, and pick one at run time. pastetrace
cannot run the factory in static mode, so it classifies the composite by its factory target:

* a known **urlmap** → one branch per prefix, in Paste's match order;
* a known **selector** → one branch per key, each an ordered pipeline, with the default key;
* anything else whose values are whitespace lists of names (the *shape rule*) → a selector;
* anything else → an edge to every value that names a section, labelled with its key.

To teach pastetrace a new factory, add a line to :data:`URLMAPS` or :data:`SELECTORS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

__all__ = [
    "SELECTORS",
    "URLMAPS",
    "Branch",
    "CompositeKind",
    "Selector",
    "UrlmapFlavor",
    "branches",
    "classify",
    "parse_path_expression",
    "urlmap_match_order",
]

# Keys PasteDeploy or the factory itself consume; never routes.
_RESERVED_KEYS = frozenset(
    {"use", "not_found_app", "paste.composite_factory", "paste.composit_factory"}
)


@dataclass(frozen=True)
class UrlmapFlavor:
    """A factory that builds a Paste-style urlmap, and what it does beyond Paste."""

    note: str | None = None
    dropped_prefixes: tuple[str, ...] = ()
    wildcard_plus: bool = False  # nova: ``/v2.1/+`` needs something after the slash


@dataclass(frozen=True)
class Selector:
    """A factory that picks one of its keys (a pipeline) at run time."""

    chooses_by: str
    default_key: str | None
    # Keys the factory ever reads; None means "any key" (flavor-style selectors).
    reads: tuple[str, ...] | None = None
    nolimit_suffix: bool = False


_NOVA_URLMAP = UrlmapFlavor(
    note="nova's urlmap: '/+' keys need something after the slash; picks a version from the "
    "Accept / Content-Type 'version=' parameter; sniffs '.json'/'.xml' suffixes",
    wildcard_plus=True,
)

URLMAPS: dict[str, UrlmapFlavor] = {
    "paste.urlmap:urlmap_factory": UrlmapFlavor(),
    # pastetrace's own learning deployments (examples/): Paste's semantics, written out.
    "pastetrace_examples.common.urlmap:urlmap_factory": UrlmapFlavor(),
    "nova.api.openstack.urlmap:urlmap_factory": _NOVA_URLMAP,
    "cinder.api.openstack.urlmap:urlmap_factory": _NOVA_URLMAP,
    "glance.api:root_app_factory": UrlmapFlavor(),
    "manila.api:root_app_factory": UrlmapFlavor(),
    "magnum.api:root_app_factory": UrlmapFlavor(),
    "cinder.api:root_app_factory": UrlmapFlavor(
        note="cinder's root_app_factory deletes the /v1 and /v2 keys before building the urlmap",
        dropped_prefixes=("/v1", "/v2"),
    ),
    "trove.common.wsgi:versioned_urlmap": UrlmapFlavor(
        note="trove wraps the urlmap in a VersionedURLMap (Accept header versions)"
    ),
}

_AUTH_STRATEGY = Selector(
    chooses_by="auth_strategy option", default_key="keystone", nolimit_suffix=True
)
_FLAVOR = Selector(chooses_by="[paste_deploy] flavor option", default_key="default")

SELECTORS: dict[str, Selector] = {
    "pastetrace_examples.nova.auth:pipeline_factory": _AUTH_STRATEGY,
    "nova.api.auth:pipeline_factory_v21": Selector(
        chooses_by="always 'keystone'", default_key="keystone", reads=("keystone",)
    ),
    "nova.api.auth:pipeline_factory": _AUTH_STRATEGY,
    "glance.api:pipeline_factory": _FLAVOR,
    "heat.api:pipeline_factory": _FLAVOR,
    "cinder.api.middleware.auth:pipeline_factory": _AUTH_STRATEGY,
    "manila.api.middleware.auth:pipeline_factory": _AUTH_STRATEGY,
    "neutron.auth:pipeline_factory": Selector(
        chooses_by="auth_strategy option", default_key="keystone"
    ),
    "designate.api.middleware:auth_pipeline_factory": Selector(
        chooses_by="[service:api] auth_strategy option", default_key="keystone"
    ),
}


class CompositeKind:
    URLMAP = "urlmap"
    SELECTOR = "selector"
    UNKNOWN = "composite"


@dataclass(frozen=True)
class Branch:
    """One way through a composite.

    ``names`` is the list of sections the branch runs through: one app for a urlmap prefix or
    an unknown composite key, filters then an app for a selector branch.
    """

    key: str
    label: str
    names: tuple[str, ...]
    line: int | None = None
    default: bool = False
    dropped: bool = False
    domain: str | None = None
    path: str = ""


@dataclass(frozen=True)
class Classified:
    kind: str
    urlmap: UrlmapFlavor | None = None
    selector: Selector | None = field(default=None)


def classify(target: str | None, local_conf: Mapping[str, str]) -> Classified:
    """Decide what kind of composite a factory target builds (urlmap, selector or unknown)."""
    if target in URLMAPS:
        return Classified(CompositeKind.URLMAP, urlmap=URLMAPS[target])
    if target in SELECTORS:
        return Classified(CompositeKind.SELECTOR, selector=SELECTORS[target])
    routing = _routing_items(local_conf)
    if routing and all(k.startswith("/") or " port " in f" {k} " for k, _ in routing):
        return Classified(CompositeKind.URLMAP, urlmap=UrlmapFlavor(note="guessed from its keys"))
    if routing and any(len(v.split()) > 1 for _, v in routing):
        guess = Selector(chooses_by="unknown (factory not in pastetrace's table)", default_key=None)
        return Classified(CompositeKind.SELECTOR, selector=guess)
    return Classified(CompositeKind.UNKNOWN)


def _routing_items(local_conf: Mapping[str, str]) -> list[tuple[str, str]]:
    return [(k, v) for k, v in local_conf.items() if k not in _RESERVED_KEYS]


def parse_path_expression(key: str) -> tuple[str | None, str]:
    """Paste's ``parse_path_expression`` and normalisation: (domain or None, path).

    ``domain foo.com port 8080 /x`` → ('foo.com:8080', '/x'); ``//`` collapses, a trailing
    ``/`` is stripped, so ``/`` becomes ``''``.
    """
    words = key.split()
    domain = port = None
    path_words: list[str] = []
    it = iter(words)
    for word in it:
        if word == "domain":
            domain = next(it, None)
        elif word == "port":
            port = next(it, None)
        else:
            path_words.append(word)
    path = " ".join(path_words)
    if port and domain:
        domain = f"{domain}:{port}"
    elif port:
        domain = f"*:{port}"
    if path.startswith(("http://", "https://")):
        rest = path.split("://", 1)[1]
        domain, _, tail = rest.partition("/")
        path = "/" + tail
    while "//" in path:
        path = path.replace("//", "/")
    return domain, path.rstrip("/")


def urlmap_match_order(keys: list[str]) -> list[str]:
    """Paste's ``URLMap.sort_apps``: by domain (domain-less last), longest path first.

    Ties sort by path, as Paste's sort of ``((domain, path), app)`` tuples does.
    """

    def sort_key(key: str) -> tuple[str, int, str]:
        domain, path = parse_path_expression(key)
        return (domain or "\xff", -len(path), path)

    return sorted(keys, key=sort_key)


LineOf = Callable[[str], "int | None"]


def branches(kind: Classified, local_conf: Mapping[str, str], line_of: LineOf) -> list[Branch]:
    """The branches of a composite, in the order the composite tries them."""
    items = _routing_items(local_conf)
    if kind.kind == CompositeKind.URLMAP:
        return _urlmap_branches(kind.urlmap or UrlmapFlavor(), dict(items), line_of)
    if kind.kind == CompositeKind.SELECTOR:
        return _selector_branches(kind.selector, items, line_of)
    return [
        Branch(key=k, label=k, names=(v.strip(),), line=line_of(k))
        for k, v in items
        if v.strip() and len(v.split()) == 1
    ]


def _urlmap_branches(flavor: UrlmapFlavor, items: dict[str, str], line_of: LineOf) -> list[Branch]:
    result = []
    for key in urlmap_match_order(list(items)):
        domain, path = parse_path_expression(key)
        dropped = path in flavor.dropped_prefixes
        result.append(
            Branch(
                key=key,
                label=key.strip(),
                names=(items[key].strip(),),
                line=line_of(key),
                dropped=dropped,
                domain=domain,
                path=path,
            )
        )
    return result


def _selector_branches(
    selector: Selector | None, items: list[tuple[str, str]], line_of: LineOf
) -> list[Branch]:
    default = selector.default_key if selector else None
    reads = selector.reads if selector else None
    return [
        Branch(
            key=k,
            label=k,
            names=tuple(v.split()),
            line=line_of(k),
            default=(k == default),
            dropped=reads is not None and k not in reads,
        )
        for k, v in items
        if v.split()
    ]
