"""pastetrace: see how a request travels through a PasteDeploy application.

Read a paste file statically (nothing it names is imported), draw it, check it:

>>> import pastetrace
>>> deployment = pastetrace.load("keystone")          # a path, path#name, or a bundled example
>>> [entry.header for entry in deployment.entries()]
['composite:main', 'composite:admin']
>>> graph = pastetrace.build_graph(deployment, "main")
>>> sorted({kind for _, kind in graph.nodes(data="kind")})
['app', 'filter', 'pipeline', 'urlmap']
>>> print(pastetrace.render_graph(graph, "mermaid").splitlines()[0])
flowchart LR
>>> pastetrace.lint(deployment).errors
0

Assemble it for real (factories imported and called, a tracing layer around every object),
list its routes, and replay a request through it:

>>> live = pastetrace.assemble(deployment, "main")
>>> trace = pastetrace.replay(live, "POST", "/v2.0/tokens",
...     json={"auth": {"passwordCredentials": {"username": "demo", "password": "secrete"}}})
>>> trace.response.status
'200 OK'
>>> [span.section for span in trace.spans][:3]
['composite:main', 'pipeline:public_api', 'filter:token_auth']

Every result renders in a terminal (rich), in Jupyter (``_repr_mimebundle_``) and as
dot / svg / mermaid / json / html through :func:`render_graph` and :func:`render_trace`.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, PastetraceError, RenderError, UsageError

if TYPE_CHECKING:
    from .assemble import LiveApp as LiveApp
    from .assemble import assemble as assemble
    from .config import Deployment as Deployment
    from .config import Section as Section
    from .config import load as load
    from .graph import build_graph as build_graph
    from .lint import Report as Report
    from .lint import lint as lint
    from .live import loadapp as loadapp
    from .render import render_graph as render_graph
    from .render.traces import render_trace as render_trace
    from .replay import replay as replay
    from .trace import Span as Span
    from .trace import Trace as Trace

__all__ = [
    "ConfigError",
    "Deployment",
    "LiveApp",
    "PastetraceError",
    "RenderError",
    "Report",
    "Section",
    "Span",
    "Trace",
    "UsageError",
    "assemble",
    "build_graph",
    "lint",
    "load",
    "loadapp",
    "render_graph",
    "render_trace",
    "replay",
]

# Imported on first use: `pastetrace graph` must start fast, and networkx, graphviz, webob,
# routes and PasteDeploy are only needed by the parts that use them.
_LAZY = {
    "LiveApp": "assemble",
    "assemble": "assemble",
    "Deployment": "config",
    "Section": "config",
    "load": "config",
    "loadapp": "live",
    "build_graph": "graph",
    "Report": "lint",
    "lint": "lint",
    "render_graph": "render",
    "render_trace": "render.traces",
    "replay": "replay",
    "Span": "trace",
    "Trace": "trace",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'pastetrace' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """Keeps the verbs: importing ``pastetrace.lint`` must not make ``pastetrace.lint`` a module.

    Python binds a submodule as an attribute of its package when it is first imported; with
    lazy verbs that would replace the function ``lint`` by the module ``lint`` (likewise
    ``assemble`` and ``replay``). The submodules stay importable by their full names.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LAZY and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
