"""A replayed request as a Mermaid sequence diagram: who called whom, who changed and answered.

>>> from pastetrace.trace import RequestInfo, ResponseInfo, Span, Trace
>>> span = Span("filter:auth", "filter", path_info="/a;b", status="401 Unauthorized",
...             answered=True)
>>> trace = Trace(RequestInfo("GET", "/a;b"), ResponseInfo("401 Unauthorized"), [span])
>>> print(trace_to_mermaid(trace))
sequenceDiagram
    participant client
    participant L0 as filter#58;auth
    client->>L0: GET /a#59;b
    Note over L0: answered 401 Unauthorized itself — did not call the next layer
    L0-->>client: 401 Unauthorized
"""

from __future__ import annotations

from pastetrace.render.trace_text import (
    answer_text,
    change_text,
    exception_text,
    handled_text,
    log_text,
    route_text,
    visible_changes,
)
from pastetrace.trace import Span, Trace

__all__ = ["escape_mermaid", "trace_to_mermaid"]

_CLIENT = "client"
_INDENT = "    "
# Characters that end or confuse a Mermaid statement, written as Mermaid entity codes.
_ENTITIES = {"#": "#35;", ";": "#59;", ":": "#58;", "<": "#60;", ">": "#62;", '"': "#quot;"}
_MAX_NOTE_LINES = 8


def escape_mermaid(text: str) -> str:
    """Text safe inside a Mermaid label: one line, entity codes for ``# ; : < > "``.

    >>> escape_mermaid('a: <b> "c" #1;\\nnext')
    'a#58; #60;b#62; #quot;c#quot; #35;1#59; next'
    """
    flat = " ".join(text.split())
    return "".join(_ENTITIES.get(char, char) for char in flat)


def trace_to_mermaid(trace: Trace) -> str:
    """The trace as ``sequenceDiagram`` text; one participant per layer, in first-call order."""
    ids = _participants(trace)
    lines = ["sequenceDiagram", f"{_INDENT}participant {_CLIENT}"]
    for section, pid in ids.items():
        lines.append(f"{_INDENT}participant {pid} as {escape_mermaid(section)}")
    for root in (s for s in trace.spans if s.parent is None):
        lines += _calls(trace, root, _CLIENT, ids)
    return "\n".join(lines)


def _participants(trace: Trace) -> dict[str, str]:
    """Section → participant id; a layer called twice is still one participant."""
    ids: dict[str, str] = {}
    for span in trace.spans:
        ids.setdefault(span.section, f"L{len(ids)}")
    return ids


def _calls(trace: Trace, span: Span, caller: str, ids: dict[str, str]) -> list[str]:
    me = ids[span.section]
    path = span.path_info or "/"
    if span.script_name:
        path += f" (SCRIPT_NAME {span.script_name})"
    lines = [f"{_INDENT}{caller}->>{me}: {escape_mermaid(f'{trace.request.method} {path}')}"]
    inward = [change_text(c, 40) for c in visible_changes(span, out=False)]
    if span.standin:
        inward.insert(0, f"stand-in: {span.standin_reason or 'no reason recorded'}")
    if span.route is not None:
        inward.append(route_text(span.route))
    inward += [f"note: {note}" for note in span.notes]
    lines += _note(f"right of {me}", inward)
    for child in trace.children(span):
        lines += _calls(trace, child, me, ids)
    lines += _note(f"over {me}", [t for t in (answer_text(span), handled_text(trace, span)) if t])
    lines += _note(f"right of {me}", [log_text(log, 60) for log in span.logs])
    lines += _note(f"left of {me}", [change_text(c, 40) for c in visible_changes(span, out=True)])
    if span.exception is not None:
        lines += _note(f"over {me}", [exception_text(span.exception)])
        return [*lines, f"{_INDENT}{me}--x{caller}: {escape_mermaid(span.exception.type)}"]
    return [*lines, f"{_INDENT}{me}-->>{caller}: {escape_mermaid(span.status or 'no response')}"]


def _note(where: str, texts: list[str]) -> list[str]:
    if not texts:
        return []
    if len(texts) > _MAX_NOTE_LINES:
        texts = [*texts[: _MAX_NOTE_LINES - 1], f"… and {len(texts) - _MAX_NOTE_LINES + 1} more"]
    body = "<br/>".join(escape_mermaid(text) for text in texts)
    return [f"{_INDENT}Note {where}: {body}"]
