"""Tests for pastetrace.render.trace_mermaid: the sequence diagram of a real trace."""

from __future__ import annotations

import re

from pastetrace.render.trace_mermaid import escape_mermaid, trace_to_mermaid

from .trace_fixtures import error_trace, normal_trace, standin_trace, unauthorized_trace


def participants(text: str) -> list[tuple[str, str]]:
    return re.findall(r"^    participant (L\d+) as (.*)$", text, flags=re.M)


class TestTraceToMermaid:
    def test_one_participant_per_layer_in_call_order(self) -> None:
        """Each layer is one participant, numbered in first-call order, after the client."""
        trace = normal_trace()
        text = trace_to_mermaid(trace)
        assert text.startswith("sequenceDiagram\n    participant client\n")
        expected = [(f"L{i}", escape_mermaid(s.section)) for i, s in enumerate(trace.spans)]
        assert participants(text) == expected

    def test_calls_down_and_returns_up(self) -> None:
        """Calls carry the path each layer received; returns carry the status."""
        text = trace_to_mermaid(normal_trace())
        assert "    client->>L0: GET /v2.1/servers/42" in text
        assert "    L3->>L4: GET /servers/42 (SCRIPT_NAME /v2.1)" in text
        assert "    L4-->>L3: 200 OK" in text
        assert text.endswith("    L0-->>client: 200 OK")

    def test_changes_and_route_are_notes(self) -> None:
        """Request changes go right of the layer; its response changes left; the route too."""
        text = trace_to_mermaid(normal_trace())
        assert "Note right of L2: + header X-Identity-Status#58; Confirmed<br/>" in text
        assert "Note right of L4: route server#58; GET /servers/{id} → " in text
        assert "Note left of L1: + response header X-Openstack-Request-Id#58; req-1234" in text

    def test_answer_note_for_401(self) -> None:
        """The layer that answered gets a note over it and returns the 401 to the client."""
        text = trace_to_mermaid(unauthorized_trace())
        assert len(participants(text)) == 1
        assert (
            "    Note over L0: answered 401 Unauthorized itself — did not call the next layer"
        ) in text
        assert "    L0-->>client: 401 Unauthorized" in text

    def test_exceptions_cross_back_and_are_handled(self) -> None:
        """A raise returns as a crossed arrow; the catcher's note says what it turned it into."""
        text = trace_to_mermaid(error_trace())
        assert "    L2--xL1: ValueError" in text
        assert "    L1--xL0: ValueError" in text
        assert "Note over L2: ValueError#58; database is gone (" in text
        assert "Note over L0: turned ValueError from app#58;boom into 500" in text
        assert text.endswith("    L0-->>client: 500 Internal Server Error")

    def test_standin_note(self) -> None:
        """A stand-in says so in the note beside it."""
        assert "Note right of L0: stand-in#58; cannot import" in trace_to_mermaid(standin_trace())

    def test_every_statement_is_one_line_without_raw_separators(self) -> None:
        """Labels never carry a raw ';' or '#' that Mermaid would read as syntax."""
        for line in trace_to_mermaid(normal_trace()).splitlines()[1:]:
            label = line.split(": ", 1)[1] if ": " in line else ""
            assert ";" not in label.replace("#59;", "").replace("#58;", "").replace("#35;", "")


class TestEscapeMermaid:
    def test_escapes_syntax_characters(self) -> None:
        """Colons, semicolons, hashes, angle brackets and quotes become entity codes."""
        assert escape_mermaid('<script>a:b;"#"</script>') == (
            "#60;script#62;a#58;b#59;#quot;#35;#quot;#60;/script#62;"
        )

    def test_newlines_fold_into_one_line(self) -> None:
        """A multi-line value cannot start a new Mermaid statement."""
        assert escape_mermaid("a\nNote over X: b") == "a Note over X#58; b"
