"""The ``pastetrace`` command: parse arguments, call the API, print one thing, exit.

Every command builds its output through the public API; this module only chooses the
console, prints, writes ``-o`` files and maps errors to exit codes (0 done, 1 lint errors,
2 bad input: one line on stderr, no traceback unless ``--debug``).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from .errors import PastetraceError

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["app", "main"]

app = typer.Typer(
    name="pastetrace",
    help="See how a request travels through a PasteDeploy application.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


class Environment:
    """Where output goes; tests replace these (as httpie's ``Environment``).

    The consoles are made on first use: a command that prints plain text (JSON, DOT...)
    never imports ``rich.console``, which keeps start-up short.
    """

    def __init__(self, stdout: Console | None = None, stderr: Console | None = None) -> None:
        self._stdout = stdout
        self._stderr = stderr

    @property
    def stdout(self) -> Console:
        if self._stdout is None:
            from rich.console import Console

            self._stdout = Console()
        return self._stdout

    @property
    def stderr(self) -> Console:
        if self._stderr is None:
            from rich.console import Console

            self._stderr = Console(stderr=True)
        return self._stderr

    @property
    def plain_stdout(self) -> bool:
        """True when nothing replaced stdout: text can go to ``sys.stdout`` as it is."""
        return self._stdout is None


env = Environment()
_debug = False


@app.callback()
def _options(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
) -> None:
    global _debug
    _debug = debug


@contextmanager
def reporting() -> Iterator[None]:
    """Turn a PastetraceError into one line on stderr and exit 2 (traceback with --debug)."""
    try:
        yield
    except PastetraceError as error:
        if _debug:
            raise
        from rich.markup import escape

        env.stderr.print(
            f"[red]{type(error).__name__}[/red]: {escape(str(error))}",
            highlight=False,
            markup=True,
            soft_wrap=True,
        )
        raise typer.Exit(2) from None


def say(note: str | None) -> None:
    """A note for the user on stderr (e.g. which configuration was picked)."""
    if note:
        from rich.markup import escape

        env.stderr.print(f"[dim]pastetrace: {escape(note)}[/dim]", highlight=False, soft_wrap=True)


def write_output(data: str | bytes, output: Path | None) -> None:
    """Write to ``-o`` atomically (nothing half-written), or to stdout."""
    if output is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        elif env.plain_stdout:
            sys.stdout.write(data if data.endswith("\n") else data + "\n")
            sys.stdout.flush()
        else:
            env.stdout.print(data, markup=False, highlight=False, soft_wrap=True, end="")
            if not data.endswith("\n"):
                env.stdout.print()
        return
    tmp = output.with_name(f".{output.name}.pastetrace-tmp")
    try:
        if isinstance(data, bytes):
            tmp.write_bytes(data)
        else:
            tmp.write_text(data, encoding="utf-8")
        os.replace(tmp, output)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise PastetraceError(f"cannot write {output}: {e.strerror}") from None


ConfigArg = Annotated[
    str | None,
    typer.Argument(
        help="Paste file, path#name, or a bundled example (keystone, glance, nova).",
        show_default=False,
    ),
]
NameOpt = Annotated[str | None, typer.Option("--name", "-n", help="Entry to load (default: main).")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
]


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return app(args=argv, prog_name="pastetrace")


class GraphFormat(str, Enum):
    tree = "tree"
    dot = "dot"
    svg = "svg"
    png = "png"
    mermaid = "mermaid"
    json = "json"
    html = "html"


def _load(config: str | None, name: str | None) -> tuple[Any, str | None]:
    from .config import Deployment, locate

    path, entry, note = locate(config)
    say(note)
    return Deployment(path, entry), name or entry


def emit(result: Any, output: Path | None) -> None:
    """Print a renderable, or write text/bytes to stdout or ``-o``."""
    if isinstance(result, (str, bytes)):
        write_output(result, output)
        return
    if output is None:
        env.stdout.print(result)
        return
    from rich.console import Console

    capture = Console(width=env.stdout.width, color_system=None, record=True, file=io.StringIO())
    capture.print(result)
    write_output(capture.export_text(), output)


@app.command()
def graph(
    config: ConfigArg = None,
    name: NameOpt = None,
    format: Annotated[GraphFormat, typer.Option("--format", "-f", help="Output format.")] = (
        GraphFormat.tree
    ),
    output: OutputOpt = None,
) -> None:
    """Draw the application tree of a paste file (static: imports nothing it names)."""
    from .digraph import DiGraph
    from .graph import build_graph
    from .render import render_graph

    with reporting():
        deployment, entry = _load(config, name)
        result = render_graph(build_graph(deployment, entry, graph_class=DiGraph), format.value)
        emit(result, output)


@app.command()
def lint(config: ConfigArg = None) -> None:
    """Report what PasteDeploy would trip on, with file:line (exit 1 on errors)."""
    from .lint import lint as lint_deployment

    with reporting():
        deployment, _ = _load(config, None)
        report = lint_deployment(deployment)
        env.stdout.print(report)
    if report.errors:
        raise typer.Exit(1)


class TraceFormat(str, Enum):
    tree = "tree"
    json = "json"
    mermaid = "mermaid"
    dot = "dot"
    svg = "svg"
    png = "png"
    html = "html"


SetupOpt = Annotated[
    str | None,
    typer.Option("--setup", help="module:function that prepares the process before creation."),
]
ConfOpt = Annotated[
    Path | None,
    typer.Option("--conf", help="The service's own config file (nova.conf...) for its adapter."),
]
VerboseOpt = Annotated[
    bool,
    typer.Option(
        "--verbose", "-v", help="Tree: also the environ keys every layer touches, DEBUG logs."
    ),
]
HeaderOpt = Annotated[
    list[str] | None,
    typer.Option("--header", "-H", help="Request header 'Name: value' (repeatable)."),
]


def _pairs(values: list[str] | None, option: str) -> dict[str, str]:
    """``KEY=VALUE`` options (``--select``, ``--set``) as a dict."""
    from .errors import UsageError

    result = {}
    for value in values or []:
        key, sep, val = value.partition("=")
        if not sep or not key:
            raise UsageError(f"{option} takes KEY=VALUE, not {value!r}")
        result[key.strip()] = val.strip()
    return result


@app.command()
def replay(
    method: Annotated[str, typer.Argument(help="HTTP method, e.g. GET.")],
    path: Annotated[str, typer.Argument(help="Path with query string, e.g. /v2.0/tokens?x=1.")],
    config: Annotated[
        str | None, typer.Option("--config", "-c", help="Paste file, path#name or example.")
    ] = None,
    name: NameOpt = None,
    header: HeaderOpt = None,
    data: Annotated[
        str | None, typer.Option("--data", "-d", help="Request body, or @FILE.")
    ] = None,
    json_body: Annotated[
        str | None, typer.Option("--json", help="JSON request body (sets Content-Type).")
    ] = None,
    stub: Annotated[
        list[str] | None,
        typer.Option("--stub", help="Replace this filter by a pass-through (repeatable)."),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="COMPOSITE=KEY: the pipeline-selector branch to take."),
    ] = None,
    set_: Annotated[
        list[str] | None, typer.Option("--set", help="KEY=VALUE added to the global conf.")
    ] = None,
    execute: Annotated[
        bool, typer.Option("--execute", help="Run controller actions for unsafe methods.")
    ] = False,
    timeout: Annotated[
        float | None, typer.Option("--timeout", help="Give up after SECONDS.")
    ] = None,
    otlp: Annotated[
        str | None,
        typer.Option("--otlp", help="Also send the trace to an OTLP/HTTP collector (URL)."),
    ] = None,
    setup: SetupOpt = None,
    conf: ConfOpt = None,
    format: Annotated[TraceFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TraceFormat.tree
    ),
    output: OutputOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Send a synthetic request through the traced application, layer by layer."""
    from .render.traces import render_trace
    from .replay import parse_header, read_data
    from .replay import replay as run_replay

    with reporting():
        headers = [parse_header(h) for h in header or []]
        body = read_data(data) if data is not None else None
        live = _assembled(config, name, stub, select, set_, setup, conf)
        trace = run_replay(
            live,
            method,
            path,
            headers=headers,
            data=body,
            json=json_body,
            execute=True if execute else None,
            timeout=timeout,
        )
        if otlp:
            from .otel import export_otlp

            export_otlp(trace, otlp)
        graph_obj = None
        if format.value in ("dot", "svg", "png", "html"):
            from .digraph import DiGraph
            from .graph import build_graph

            graph_obj = build_graph(live.deployment, live.name, strict=False, graph_class=DiGraph)
        emit(render_trace(trace, format.value, graph=graph_obj, verbose=verbose), output)


class RoutesFormat(str, Enum):
    table = "table"
    json = "json"


def _assembled(
    config: str | None,
    name: str | None,
    stub: list[str] | None = None,
    select: list[str] | None = None,
    set_: list[str] | None = None,
    setup: str | None = None,
    conf: Path | None = None,
) -> Any:
    from .assemble import assemble

    selects, settings = _pairs(select, "--select"), _pairs(set_, "--set")  # before loading
    deployment, entry = _load(config, name)
    return assemble(
        deployment,
        entry,
        stub=stub or (),
        select=selects,
        settings=settings,
        setup=setup,
        conf=conf,
    )


@app.command()
def routes(
    config: ConfigArg = None,
    name: NameOpt = None,
    app_section: Annotated[
        str | None, typer.Option("--app", help="Only this app or filter section.")
    ] = None,
    glob: Annotated[str | None, typer.Option("--glob", help="Only paths matching PATTERN.")] = None,
    method: Annotated[
        str | None, typer.Option("--method", help="Only routes that allow METHOD.")
    ] = None,
    mapper: Annotated[
        str | None,
        typer.Option("--mapper", help="module:attr of a routes.Mapper (no paste file needed)."),
    ] = None,
    format: Annotated[RoutesFormat, typer.Option("--format", "-f")] = RoutesFormat.table,
    output: OutputOpt = None,
    setup: SetupOpt = None,
    conf: ConfOpt = None,
) -> None:
    """List the Routes of every app (and routing filter), in the order Routes tries them."""
    import json

    from rich.console import Group
    from rich.text import Text

    from .routes import RouteTable, filter_routes, mapper_from_spec, route_table, routes_of

    with reporting():
        if mapper is not None:
            table = filter_routes(route_table(mapper_from_spec(mapper)), glob, method)
            if format is RoutesFormat.json:
                emit(json.dumps(RouteTable(table, title=mapper).to_dict(), indent=2), output)
            else:
                emit(RouteTable(table, title=mapper), output)
            return
        live = _assembled(config, name, setup=setup, conf=conf)
        found = [
            r
            for r in routes_of(live)
            if app_section is None or app_section in (r.section.header, r.section.name)
        ]
        filtered: set[str] = set()  # sections whose routes the filters all left out
        for entry in found:
            kept = filter_routes(entry.routes, glob, method)
            if entry.routes and not kept:
                filtered.add(entry.section.header)
            entry.routes = kept
        if format is RoutesFormat.json:
            data = {
                "schema": "pastetrace.routes/1",
                "config": str(live.deployment.path),
                "entry": live.name,
                "apps": [r.to_dict() for r in found],
            }
            emit(json.dumps(data, indent=2), output)
            return
        parts: list[Any] = []
        for entry in found:
            if entry.routes:
                parts.append(entry.table())
                continue
            why = entry.reason or "no routes"
            if entry.section.header in filtered:
                why = "no route matches --glob/--method"
            style = "yellow" if entry.standin else "dim"
            parts.append(Text(f"[{entry.section.header}]: {why}", style=style))
        emit(Group(*parts) if parts else Text("no app sections"), output)


@app.command()
def resolve(
    method: Annotated[str, typer.Argument(help="HTTP method, e.g. GET.")],
    path: Annotated[str, typer.Argument(help="Request path, e.g. /v2.1/servers.")],
    config: Annotated[
        str | None, typer.Option("--config", "-c", help="Paste file, path#name or example.")
    ] = None,
    name: NameOpt = None,
    header: HeaderOpt = None,
    select: Annotated[
        list[str] | None,
        typer.Option("--select", help="COMPOSITE=KEY: the pipeline-selector branch to take."),
    ] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    mapper: Annotated[
        str | None,
        typer.Option("--mapper", help="module:attr of a routes.Mapper (no paste file needed)."),
    ] = None,
    setup: SetupOpt = None,
    conf: ConfOpt = None,
) -> None:
    """Where a request goes, from urlmap prefix to controller action, without running it."""
    import json

    from .replay import parse_header
    from .routes import mapper_from_spec, match
    from .routes import resolve as resolve_request

    with reporting():
        headers = dict(parse_header(h) for h in header or [])
        selects = _pairs(select, "--select")  # before loading
        result: Any
        if mapper is not None:
            result = match(mapper_from_spec(mapper), method, path)
        else:
            live = _assembled(config, name, setup=setup, conf=conf)
            result = resolve_request(live, method, path, headers=headers, select=selects)
        emit(json.dumps(result.to_dict(), indent=2) if json_out else result, None)


@app.command()
def show(
    file: Annotated[
        Path,
        typer.Argument(
            help="A trace saved by pastetrace.loadapp, the paste filter or replay --format json.",
            show_default=False,
        ),
    ],
    format: Annotated[TraceFormat, typer.Option("--format", "-f", help="Output format.")] = (
        TraceFormat.tree
    ),
    output: OutputOpt = None,
    verbose: VerboseOpt = False,
) -> None:
    """Render a saved trace as replay renders it."""
    from .live import read_trace
    from .render.traces import render_trace

    with reporting():
        emit(render_trace(read_trace(file), format.value, verbose=verbose), output)


class DiffFormat(str, Enum):
    tree = "tree"
    json = "json"
    dot = "dot"
    svg = "svg"
    png = "png"
    mermaid = "mermaid"


@app.command()
def diff(
    old: Annotated[str, typer.Argument(help="The old paste file (path or bundled example).")],
    new: Annotated[str, typer.Argument(help="The new paste file (path or bundled example).")],
    format: Annotated[DiffFormat, typer.Option("--format", "-f", help="Output format.")] = (
        DiffFormat.tree
    ),
    output: OutputOpt = None,
) -> None:
    """What changed between two paste files: entries, prefixes, filters, factories, settings."""
    from .diff import diff as diff_deployments
    from .render.diffs import GRAPH_FORMATS, render_diff

    with reporting():
        before, _ = _load(old, None)
        after, _ = _load(new, None)
        result = diff_deployments(before, after)
        graphs: dict[str, Any] = {}
        if format.value in GRAPH_FORMATS:
            from .digraph import DiGraph
            from .graph import build_graph

            graphs = {
                "old_graph": build_graph(before, strict=False, graph_class=DiGraph),
                "new_graph": build_graph(after, strict=False, graph_class=DiGraph),
            }
        emit(render_diff(result, format.value, **graphs), output)
