"""One self-contained HTML page (no CDN, no network): the drawing and a table of sections."""

from __future__ import annotations

import html
import io
import re
import shutil
from typing import TYPE_CHECKING, Any

from ._common import display_path

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["to_html"]

_CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem;
       color: #0f172a; background: #f8fafc; }
h1 { font-size: 1.3rem; margin: 0 0 .2rem; } h2 { font-size: 1.05rem; margin-top: 2rem; }
.sub { color: #64748b; margin: 0 0 1.2rem; font-family: ui-monospace, monospace; }
.drawing { background: #fff; border: 1px solid #e2e8f0; border-radius: 8px; padding: 1rem;
           overflow: auto; }
.drawing svg { max-width: none; height: auto; }
.drawing pre { margin: 0; font: 13px/1.35 ui-monospace, "SFMono-Regular", Menlo, monospace; }
table { border-collapse: collapse; width: 100%; background: #fff; font-size: 13px; }
th, td { text-align: left; padding: .35rem .6rem; border-bottom: 1px solid #e2e8f0;
         vertical-align: top; }
th { background: #f1f5f9; position: sticky; top: 0; }
td code { font: 12px ui-monospace, monospace; }
.kind { display: inline-block; padding: 0 .4rem; border-radius: 4px; background: #e2e8f0; }
.kind-urlmap { background: #dbeafe; } .kind-composite { background: #ede9fe; }
.kind-pipeline { background: #fef3c7; } .kind-filter { background: #dcfce7; }
.kind-app { background: #e0e7ff; } .kind-missing { background: #fee2e2; }
.notes { color: #64748b; font-size: 12px; }
"""


def to_html(graph: nx.DiGraph, *, title: str | None = None) -> str:
    """The page: inline SVG when Graphviz ``dot`` is installed, else the rich tree as HTML."""
    config = display_path(graph.graph.get("config", ""))
    title = title or f"pastetrace: {config}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f"<h1>{html.escape(title)}</h1>\n"
        f'<p class="sub">{html.escape(config)} · schema {html.escape(_schema(graph))}</p>\n'
        f'<div class="drawing">\n{_drawing(graph)}\n</div>\n'
        f"<h2>Sections</h2>\n{_table(graph)}\n"
        "</body>\n</html>\n"
    )


def _schema(graph: nx.DiGraph) -> str:
    from ..graph import SCHEMA

    return str(graph.graph.get("schema", SCHEMA))


def _drawing(graph: nx.DiGraph) -> str:
    if shutil.which("dot") is not None:
        from .dot import render_image, to_dot

        svg = render_image(to_dot(graph), "svg").decode("utf-8")
        return _strip_prolog(svg)
    return _tree_html(graph)


def _strip_prolog(svg: str) -> str:
    """Drop the XML declaration, DOCTYPE and comments: inline SVG starts at ``<svg``."""
    start = svg.find("<svg")
    return svg[start:] if start >= 0 else svg


def _tree_html(graph: nx.DiGraph) -> str:
    from rich.console import Console

    from .tree import DeploymentTree

    console = Console(record=True, width=120, file=io.StringIO(), color_system="truecolor")
    console.print(DeploymentTree(graph))
    page = console.export_html(inline_styles=True, code_format="{code}")
    return f"<pre>{page}</pre>"


def _table(graph: nx.DiGraph) -> str:
    """One row per section (filter uses of one section are one row)."""
    rows: dict[str, dict[str, Any]] = {}
    for node, data in graph.nodes(data=True):
        key = str(data.get("section") or node)
        rows.setdefault(key, data)
    body = "\n".join(_row(section, data) for section, data in rows.items())
    head = "".join(f"<th>{h}</th>" for h in ("section", "kind", "factory", "target", "line"))
    return f"<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n</table>"


def _row(section: str, data: dict[str, Any]) -> str:
    kind = str(data.get("kind", ""))
    notes = [str(n) for n in data.get("notes") or ()]
    if data.get("problem"):
        notes.insert(0, str(data["problem"]))
    note_html = "".join(f'<div class="notes">{html.escape(n)}</div>' for n in notes)
    cells = [
        f"<code>{html.escape(section)}</code>{note_html}",
        f'<span class="kind kind-{re.sub(r"[^a-z-]", "", kind)}">{html.escape(kind)}</span>',
        f"<code>{html.escape(str(data.get('factory') or ''))}</code>",
        f"<code>{html.escape(str(data.get('target') or ''))}</code>",
        html.escape(str(data.get("line") or "")),
    ]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"
