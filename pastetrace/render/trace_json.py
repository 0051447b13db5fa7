"""A replayed request as the replay JSON of design.md, ready to save and to read back.

>>> from pastetrace.trace import RequestInfo, ResponseInfo, Trace
>>> text = trace_to_json(Trace(RequestInfo("GET", "/"), ResponseInfo("200 OK")))
>>> text.splitlines()[:2]
['{', '  "schema": "pastetrace.trace/1",']
"""

from __future__ import annotations

import json

from pastetrace.trace import Trace

__all__ = ["trace_to_json"]


def trace_to_json(trace: Trace) -> str:
    """``Trace.to_dict()`` as indented JSON; keys keep the model's order, so diffs stay small.

    Non-ASCII text is written as is (UTF-8), and the text ends with a newline, as files do.
    """
    return json.dumps(trace.to_dict(), indent=2, ensure_ascii=False) + "\n"
