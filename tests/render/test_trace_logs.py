"""Log records and exception origins in every trace format."""

from __future__ import annotations

from rich.console import Console

from pastetrace.render.trace_dot import trace_to_dot
from pastetrace.render.trace_html import trace_to_html
from pastetrace.render.trace_mermaid import trace_to_mermaid
from pastetrace.render.trace_tree import TraceWaterfall
from pastetrace.trace import ExceptionInfo, LogInfo, RequestInfo, ResponseInfo, Span, Trace

CAST = LogInfo("INFO", "nova.rpc", "cast to scheduler: run_instance", "/x/compute.py", 42)
CHECK = LogInfo("DEBUG", "nova.api", "checking <quota>", None, None)


def logged_trace() -> Trace:
    outer = Span("filter:auth", "filter", status="202 Accepted", duration_ns=10, own_ns=5)
    app = Span(
        "app:compute",
        "app",
        index=1,
        parent=0,
        depth=1,
        status="202 Accepted",
        answered=True,
        duration_ns=5,
        own_ns=5,
        logs=[CHECK, CAST],
    )
    return Trace(RequestInfo("POST", "/servers"), ResponseInfo("202 Accepted"), [outer, app])


def text_of(trace: Trace, **options: bool) -> str:
    console = Console(width=120, color_system=None, record=True)
    console.print(TraceWaterfall(trace, **options))
    return console.export_text()


class TestLogsInEveryFormat:
    def test_waterfall_has_a_line_per_record_under_its_span(self) -> None:
        """The waterfall prints ``LEVEL logger: message`` under the span that logged."""
        lines = text_of(logged_trace(), show_debug=True).splitlines()
        app = next(i for i, line in enumerate(lines) if "app:compute" in line)
        assert "INFO nova.rpc: cast to scheduler: run_instance" in "\n".join(lines[app:])
        assert "DEBUG nova.api: checking <quota>" in "\n".join(lines[app:])

    def test_debug_records_are_counted_by_default(self) -> None:
        """By default DEBUG records are one count line; INFO and above are shown."""
        text = text_of(logged_trace())
        assert "INFO nova.rpc: cast to scheduler: run_instance" in text
        assert "DEBUG nova.api" not in text
        assert "1 DEBUG log record (-v shows them)" in text

    def test_debug_records_are_dim(self) -> None:
        """DEBUG lines are styled dim in the waterfall; INFO lines are not."""
        console = Console(width=120, color_system="standard", force_terminal=True, record=True)
        console.print(TraceWaterfall(logged_trace(), show_debug=True))
        ansi = console.export_text(styles=True)
        assert "\x1b[2mDEBUG nova.api" in ansi
        assert "\x1b[2mINFO nova.rpc" not in ansi

    def test_mermaid_has_a_note(self) -> None:
        """Mermaid shows the records as a note by the span's participant."""
        text = trace_to_mermaid(logged_trace())
        assert "Note right of L1: DEBUG nova.api#58; checking #60;quota#62;" in text
        assert "INFO nova.rpc#58; cast to scheduler#58; run_instance" in text

    def test_dot_label_and_tooltip(self) -> None:
        """DOT names the records in the node label and tooltip."""
        text = trace_to_dot(logged_trace())
        assert "INFO nova.rpc: cast to scheduler: run_instance" in text
        assert "tooltip=" in text

    def test_html_has_a_table_and_a_marker(self) -> None:
        """The HTML report has a log table in the layer and a marker on its timeline row."""
        page = trace_to_html(logged_trace())
        assert "<h3>Log records</h3>" in page
        assert "cast to scheduler: run_instance" in page and "compute.py:42" in page
        assert 'title="2 log records">✎2</span>' in page
        assert "<quota>" not in page

    def test_json_carries_them(self) -> None:
        """The JSON has each span's records."""
        assert logged_trace().to_dict()["spans"][1]["logs"][1]["logger"] == "nova.rpc"


class TestExceptionOrigin:
    def test_waterfall_uses_exception_from(self) -> None:
        """'let through' and 'raised' come from exception_from, not from matching messages."""
        exc = ExceptionInfo("ValueError", "boom")
        outer = Span("filter:relay", "filter", exception=exc, exception_from=1, duration_ns=2)
        other = ExceptionInfo("ValueError", "boom")
        inner = Span(
            "app:boom", "app", index=1, parent=0, depth=1, exception=other, exception_from=1
        )
        trace = Trace(RequestInfo("GET", "/"), ResponseInfo(None), [outer, inner])
        text = text_of(trace)
        assert "let through ValueError: boom" in text
        assert "raised ValueError: boom" in text
        # A layer that raised an exception equal to its child's is still the raiser.
        outer.exception_from = 0
        assert "let through" not in text_of(trace)
