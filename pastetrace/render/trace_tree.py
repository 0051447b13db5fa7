"""The replayed request as a story in the terminal: one tree node per layer, a waterfall bar each.

>>> from rich.console import Console
>>> from pastetrace.trace import RequestInfo, ResponseInfo, Span, Trace
>>> span = Span("filter:auth", "filter", status="401 Unauthorized", answered=True,
...             duration_ns=2_000_000, own_ns=2_000_000)
>>> trace = Trace(RequestInfo("GET", "/"), ResponseInfo("401 Unauthorized"), [span])
>>> console = Console(width=60, color_system=None)
>>> console.print(TraceWaterfall(trace))
GET /                             total      own  0  2.00 ms
└─ filter:auth                   2.00 ms  2.00 ms ▕████████▏
     answered 401 Unauthorized itself — did not call the
       next layer
← 401 Unauthorized
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.console import Console, ConsoleOptions, RenderResult
from rich.jupyter import JupyterMixin
from rich.text import Text

from pastetrace.render.trace_text import (
    answer_text,
    change_text,
    exception_text,
    format_ns,
    handled_text,
    log_text,
    raised_word,
    route_text,
    shorten,
    time_window,
    visible_changes,
)
from pastetrace.trace import LogInfo, Span, Trace

__all__ = ["TraceWaterfall"]

_BRANCH, _LAST, _PIPE, _SPACE = "├─ ", "└─ ", "│  ", "   "
_TIME_WIDTH = 8  # "12.34 ms"
_CHANGE_STYLES = {"added": "green", "changed": "yellow", "removed": "red"}


@dataclass
class _Line:
    """One line of the story: a guide prefix, its text, and a timing cell for span headers."""

    prefix: str
    text: Text
    timing: Text | None = None


class TraceWaterfall(JupyterMixin):
    """A :class:`~pastetrace.trace.Trace` as a tree in call order with a timing waterfall.

    Each layer shows what it changed on the way in, its children, then what it did on the way
    out (answered, response headers, exceptions). Long detail lines wrap under their layer.

    Args:
        trace: the trace to draw.
        show_environ: also show the environ keys most layers touch (``wsgi.*``, ``webob.*``,
            the routing results), which are hidden by default as noise.
        show_debug: also show DEBUG log records; by default a layer counts them in one line
            (libraries such as Routes log every match at DEBUG).
        width: the width to draw at; by default the console's.
    """

    def __init__(
        self,
        trace: Trace,
        *,
        show_environ: bool = False,
        show_debug: bool = False,
        width: int | None = None,
    ):
        self.trace = trace
        self.show_environ = show_environ
        self.show_debug = show_debug
        self.width = width

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = min(self.width or options.max_width, options.max_width)
        bar_width = max(8, min(24, width // 7))
        for line in self._lines(bar_width):
            yield from _layout(console, line, width)

    # -- gathering the lines

    def _lines(self, bar_width: int) -> list[_Line]:
        trace = self.trace
        start, end = time_window(trace.spans)
        self._scale = _Scale(start, end, bar_width)
        request = trace.request
        target = request.path + (f"?{request.query}" if request.query else "")
        heading = Text(f"{'total':>{_TIME_WIDTH}} {'own':>{_TIME_WIDTH}}  0")
        heading.append(f"{format_ns(end - start):>{bar_width + 1}}")
        lines = [_Line("", Text.assemble((f"{request.method} {target}", "bold")), heading)]
        lines += [_Line("  ", _header_text(k, v)) for k, v in request.headers]
        roots = [s for s in trace.spans if s.parent is None]
        for i, root in enumerate(roots):
            lines += self._span_lines(root, "", i == len(roots) - 1)
        lines += self._response_lines()
        return lines

    def _span_lines(self, span: Span, guides: str, last: bool) -> list[_Line]:
        children = self.trace.children(span)
        own = guides + (_SPACE if last else _PIPE)
        detail = own + ("│ " if children else "  ")
        lines = [
            _Line(guides + (_LAST if last else _BRANCH), self._title(span), self._timing(span))
        ]
        lines += [_Line(detail, text) for text in self._inward(span)]
        for i, child in enumerate(children):
            lines += self._span_lines(child, own, i == len(children) - 1)
        outward = self._outward(span)
        if children and outward:  # "↩" sits on the children's guide: this closes the layer
            outward[0] = Text("↩ ").append_text(outward[0])
            lines.append(_Line(own, outward.pop(0)))
        lines += [_Line(own + "  ", text) for text in outward]
        return lines

    def _title(self, span: Span) -> Text:
        title = Text()
        if not span.section.startswith(f"{span.kind}:"):
            title.append(f"{span.kind} ", "dim")
        title.append(span.section, "bold")
        if span.factory:
            title.append(f"  {span.factory}", "dim")
        return title

    def _inward(self, span: Span) -> list[Text]:
        """What the layer is and did before calling down: stand-in, entry path, request changes."""
        texts: list[Text] = []
        if span.standin:
            texts.append(Text(f"stand-in: {span.standin_reason or 'no reason recorded'}", "yellow"))
        parent = self._parent(span)
        entry = (span.script_name, span.path_info)
        if parent is not None and entry != (parent.script_name, parent.path_info):
            texts.append(_entry_text(span))
        for change in visible_changes(span, show_environ=self.show_environ, out=False):
            texts.append(Text(change_text(change), _CHANGE_STYLES[change.op]))
        if span.route is not None:
            texts.append(Text(route_text(span.route), "cyan"))
        texts += [Text(f"note: {note}", "dim italic") for note in span.notes]
        shown = [log for log in span.logs if self.show_debug or log.level != "DEBUG"]
        texts += [_log_line(log) for log in shown]
        hidden = len(span.logs) - len(shown)
        if hidden:
            records = "record" if hidden == 1 else "records"
            texts.append(Text(f"{hidden} DEBUG log {records} (-v shows them)", "dim"))
        return texts

    def _outward(self, span: Span) -> list[Text]:
        """What the layer did on the way back up: answer, response headers, exceptions."""
        texts: list[Text] = []
        answer = answer_text(span)
        if answer:
            texts.append(Text(answer, "bold"))
        handled = handled_text(self.trace, span)
        if handled:
            texts.append(Text(handled, "red"))
        elif not span.answered and span.status and span.status != self._child_status(span):
            texts.append(Text(f"status {self._child_status(span) or '—'} → {span.status}"))
        for change in visible_changes(span, show_environ=self.show_environ, out=True):
            texts.append(Text(change_text(change), _CHANGE_STYLES[change.op]))
        if span.exception is not None:
            words = raised_word(self.trace, span)
            texts.append(Text(f"{words} {exception_text(span.exception)}", "red"))
        return texts

    def _child_status(self, span: Span) -> str | None:
        statuses = [c.status for c in self.trace.children(span) if c.status]
        return statuses[-1] if statuses else None

    def _parent(self, span: Span) -> Span | None:
        if span.parent is None:
            return None
        return next((s for s in self.trace.spans if s.index == span.parent), None)

    def _timing(self, span: Span) -> Text:
        text = Text(f"{format_ns(span.duration_ns):>{_TIME_WIDTH}} ")
        text.append(f"{format_ns(span.own_ns):>{_TIME_WIDTH}} ", "dim")
        return text.append_text(self._scale.bar(span))

    def _response_lines(self) -> list[_Line]:
        response = self.trace.response
        style = "bold red" if (response.status or "").startswith(("4", "5")) else "bold green"
        lines = [_Line("", Text(f"← {response.status or 'no response'}", style))]
        lines += [_Line("  ", _header_text(k, v)) for k, v in response.headers]
        if response.body_length:
            more = " (preview truncated)" if response.body_truncated else ""
            body = f"body: {response.body_length} bytes{more}: {shorten(response.body, 60)}"
            lines.append(_Line("  ", Text(body, "dim")))
        return lines


class _Scale:
    """Maps span times onto a bar of ``width`` cells between the trace's first and last time."""

    def __init__(self, start: int, end: int, width: int) -> None:
        self.start, self.span, self.width = start, max(end - start, 1), width

    def bar(self, span: Span) -> Text:
        if span.duration_ns is None:
            return Text("▕" + "·" * self.width + "▏", "dim")
        first = int((span.start_ns - self.start) * self.width / self.span)
        first = min(max(first, 0), self.width - 1)
        last = round((span.start_ns + span.duration_ns - self.start) * self.width / self.span)
        last = min(max(last, first + 1), self.width)
        style = "red" if span.exception else "yellow" if span.standin else "magenta"
        if span.answered and not span.exception:
            style = "bold " + style
        text = Text("▕" + " " * first, "dim")
        text.append("█" * (last - first), style)
        return text.append(" " * (self.width - last) + "▏", "dim")


def _log_line(log: LogInfo) -> Text:
    """One record as ``INFO nova.rpc: message``: DEBUG dim, WARNING and above coloured."""
    style = _LOG_STYLES.get(log.level, "")
    return Text(log_text(log), style)


_LOG_STYLES = {"DEBUG": "dim", "WARNING": "yellow", "ERROR": "red", "CRITICAL": "bold red"}


def _entry_text(span: Span) -> Text:
    return Text(
        f"enters with SCRIPT_NAME={span.script_name!r} PATH_INFO={span.path_info!r}", "blue"
    )


def _header_text(name: str, value: str) -> Text:
    return Text.assemble((f"{name}: ", "dim"), shorten(value, 80))


def _layout(console: Console, line: _Line, width: int) -> list[Text]:
    """A span header keeps to one line with its timing at the right; details wrap below."""
    room = max(width - len(line.prefix), 10)
    if line.timing is not None:
        left = line.text.copy()
        left.truncate(max(room - line.timing.cell_len - 1, 4), overflow="ellipsis", pad=True)
        return [Text(line.prefix, "dim").append_text(left).append(" ").append_text(line.timing)]
    wrapped = line.text.wrap(console, room - 2 if line.prefix else room)
    out: list[Text] = []
    for i, part in enumerate(wrapped):
        guide = line.prefix if i == 0 else line.prefix + ("  " if line.prefix else "  ")
        part.rstrip()
        out.append(Text(guide, "dim").append_text(part))
    return out
