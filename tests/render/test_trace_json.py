"""Tests for pastetrace.render.trace_json: the replay JSON written and read back."""

from __future__ import annotations

import json

from pastetrace.render.trace_json import trace_to_json
from pastetrace.trace import SCHEMA, Trace

from .trace_fixtures import error_trace, normal_trace, standin_trace, unauthorized_trace


class TestTraceToJson:
    def test_round_trips_through_from_dict(self) -> None:
        """Every fixture trace reads back equal, routes and exceptions included."""
        for trace in (normal_trace(), unauthorized_trace(), error_trace(), standin_trace()):
            assert Trace.from_dict(json.loads(trace_to_json(trace))) == trace

    def test_schema_first_and_indented(self) -> None:
        """The schema leads; two-space indent; a final newline."""
        text = trace_to_json(normal_trace())
        assert text.startswith('{\n  "schema": "' + SCHEMA + '",\n  "request": {')
        assert text.endswith("}\n")

    def test_key_order_is_stable(self) -> None:
        """The same trace always gives the same text, so saved traces diff cleanly."""
        trace = unauthorized_trace()
        assert trace_to_json(trace) == trace_to_json(
            Trace.from_dict(json.loads(trace_to_json(trace)))
        )

    def test_text_kept_as_written(self) -> None:
        """Header values such as ``<script>`` and non-ASCII stay readable, not escaped."""
        text = trace_to_json(normal_trace())
        assert '"<script>alert(1)</script>"' in text
