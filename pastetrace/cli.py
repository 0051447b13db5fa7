"""The ``pastetrace`` command: parse arguments, call the API, print one thing, exit.

Every command builds its output through the public API; this module only chooses the
console, prints, writes ``-o`` files and maps errors to exit codes (0 done, 1 lint errors,
2 bad input: one line on stderr, no traceback unless ``--debug``).
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from .errors import PastetraceError

__all__ = ["app", "main"]

app = typer.Typer(
    name="pastetrace",
    help="See how a request travels through a PasteDeploy application.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


@dataclass
class Environment:
    """Where output goes; tests replace these (as httpie's ``Environment``)."""

    stdout: Console
    stderr: Console


def _default_env() -> Environment:
    return Environment(Console(), Console(stderr=True))


env = _default_env()
_debug = False

T = TypeVar("T")


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
        env.stderr.print(
            f"[red]{type(error).__name__}[/red]: {error}",
            highlight=False,
            markup=True,
            soft_wrap=True,
        )
        raise typer.Exit(2) from None


def say(note: str | None) -> None:
    """A note for the user on stderr (e.g. which configuration was picked)."""
    if note:
        env.stderr.print(f"[dim]pastetrace: {note}[/dim]", highlight=False, soft_wrap=True)


def write_output(data: str | bytes, output: Path | None) -> None:
    """Write to ``-o`` atomically (nothing half-written), or to stdout."""
    if output is None:
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
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


def run(fn: Callable[[], T]) -> T:
    with reporting():
        return fn()


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
    from .graph import build_graph
    from .render import render_graph

    with reporting():
        deployment, entry = _load(config, name)
        result = render_graph(build_graph(deployment, entry), format.value)
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
