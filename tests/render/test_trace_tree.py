"""Tests for pastetrace.render.trace_tree: the waterfall read at a fixed width, as text."""

from __future__ import annotations

from rich.console import Console

from pastetrace.render.trace_tree import TraceWaterfall
from pastetrace.trace import Trace

from .trace_fixtures import (
    deep_trace,
    error_trace,
    normal_trace,
    pin_times,
    standin_trace,
    unauthorized_trace,
)

UNAUTHORIZED = """\
GET /servers/42                                                     total      own  0        1.00 ms
  Host: localhost:80
└─ filter:authtoken  egg:demo#authtoken                            1.00 ms  1.00 ms ▕██████████████▏
     answered 401 Unauthorized itself — did not call the next layer
     + response header Content-Type: text/plain
     + response header WWW-Authenticate: Keystone uri=x
← 401 Unauthorized
  Content-Type: text/plain
  WWW-Authenticate: Keystone uri=x
  Content-Length: 23
  body: 23 bytes: authentication required
"""


def render(trace: Trace, width: int = 100, **options: bool) -> str:
    console = Console(width=width, color_system=None, record=True)
    console.print(TraceWaterfall(trace, **options))
    return console.export_text()


def assert_in_order(text: str, expected: list[str]) -> None:
    """Each expected fragment appears on a later line than the one before it."""
    lines = text.splitlines()
    at = -1
    for fragment in expected:
        found = [i for i, line in enumerate(lines) if fragment in line and i > at]
        assert found, f"{fragment!r} not found after line {at}:\n{text}"
        at = found[0]


class TestTraceWaterfall:
    def test_answered_401_exact_text(self) -> None:
        """A filter that answers 401 is one node saying so, with its headers and the response."""
        assert render(pin_times(unauthorized_trace())) == UNAUTHORIZED

    def test_normal_trace_tells_the_story_in_order(self) -> None:
        """Request, each layer's changes in call order, the route, and the way back up."""
        text = render(normal_trace())
        assert_in_order(
            text,
            [
                "GET /v2.1/servers/42",
                "X-Note: <script>alert(1)</script>",
                "└─ pipeline:api",
                "└─ filter:request_id  egg:demo#request_id",
                "+ environ openstack.request_id: req-1234",
                "└─ filter:authtoken",
                "+ header X-User-Id: u-42",
                "- header X-Service-Token (was svc)",
                "└─ filter:prefix",
                "~ environ PATH_INFO: /v2.1/servers/42 → /servers/42",
                "~ environ SCRIPT_NAME: '' → /v2.1",
                "└─ app:osapi  nova.api.openstack.compute:APIRouterV21",
                "enters with SCRIPT_NAME='/v2.1' PATH_INFO='/servers/42'",
                "route server: GET /servers/{id} →",
                "ServersController.show(id=42)",
                "answered 200 OK",
                "↩ + response header X-Openstack-Request-Id: req-1234",
                "← 200 OK",
                "body: 9 bytes: server 42",
            ],
        )
        assert "did not call the next layer" not in text  # the app is the last layer anyway

    def test_span_lines_carry_timing_at_the_right(self) -> None:
        """Every layer's line ends with total, own and a bar inside ▕…▏."""
        trace = normal_trace()
        heads = [line for line in render(trace).splitlines() if line.rstrip().endswith("▏")]
        assert len(heads) == len(trace.spans)
        assert all(" ms" in line or " µs" in line for line in heads)

    def test_exception_turned_into_500(self) -> None:
        """The raiser, the layer that let it through, and the one that made it a 500."""
        assert_in_order(
            render(error_trace()),
            [
                "└─ app:boom",
                "raised ValueError: database is gone (tests/render/trace_fixtures.py:",
                "↩ let through ValueError: database is gone",
                "↩ turned ValueError from app:boom into 500 Internal Server Error",
                "← 500 Internal Server Error",
            ],
        )

    def test_standin_says_why(self) -> None:
        """A stand-in layer names itself as one, with the reason it could not be created."""
        text = render(standin_trace())
        assert_in_order(
            text, ["└─ filter:sizelimit", "stand-in: cannot import oslo_middleware", "app:osapi"]
        )

    def test_noise_hidden_unless_asked(self) -> None:
        """wsgi.* keys and the routing results are noise by default and shown on request."""
        assert "wsgi.input" not in render(normal_trace())
        full = render(normal_trace(), show_environ=True)
        assert "~ environ wsgi.input" in full
        assert "+ environ wsgiorg.routing_args" in full

    def test_twelve_layers_fit_width_100(self) -> None:
        """A nova-shaped trace keeps each layer on one line with its timing, within 100 columns."""
        trace = deep_trace()
        lines = render(trace).splitlines()
        assert len(trace.spans) == 12
        assert max(len(line) for line in lines) <= 100
        heads = [line for line in lines if line.rstrip().endswith("▏")]
        assert len(heads) == 12
        assert "filter:keystonecontext" in heads[-2]

    def test_width_option_narrows_output(self) -> None:
        """``width`` caps the drawing below the console's width."""
        console = Console(width=120, color_system=None, record=True)
        console.print(TraceWaterfall(normal_trace(), width=70))
        assert max(len(line) for line in console.export_text().splitlines()) <= 70

    def test_jupyter_bundle_has_text_and_html(self) -> None:
        """In a notebook the waterfall shows as HTML with a plain-text fallback."""
        bundle = TraceWaterfall(pin_times(unauthorized_trace()))._repr_mimebundle_([], [])
        assert "filter:authtoken" in bundle["text/plain"]
        assert "text/html" in bundle
