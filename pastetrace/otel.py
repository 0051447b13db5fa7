"""Send a :class:`~pastetrace.trace.Trace` to an OpenTelemetry collector over OTLP/HTTP.

One OpenTelemetry span per layer, named and attributed by the HTTP semantic conventions::

    GET /v2.0/tokens                 SERVER    the request as a whole (the outermost layer)
    ├── GET pipeline:public_api      INTERNAL  a layer that only passed the request on
    │   └── POST /v2.0/tokens        INTERNAL  the layer that matched a Routes route
    └── GET http://127.0.0.1:35357   CLIENT    an in-process call to another service

The message is built with ``opentelemetry-proto`` and posted as protobuf to
``{endpoint}/v1/traces``; the OpenTelemetry SDK is not used, because its spans take their
ids, parents and timestamps from a live tracer, while a trace here is already finished and
has its own. ``opentelemetry-proto`` is an optional extra: ``pip install 'pastetrace[otlp]'``.
"""

from __future__ import annotations

import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import PastetraceError, RenderError
from .trace import REMOTE_KIND, Span, Trace

if TYPE_CHECKING:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )
    from opentelemetry.proto.common.v1.common_pb2 import KeyValue

__all__ = ["TRACES_PATH", "export_otlp", "span_name", "to_otlp"]

TRACES_PATH = "/v1/traces"
_INSTALL = "pip install 'pastetrace[otlp]'"


def span_name(trace: Trace, span: Span) -> str:
    """``METHOD route`` for a service's first layer and the layer that routed, else
    ``METHOD section``; an in-process call to another service keeps its own ``METHOD URL``."""
    return _Services(trace).name(span)


def to_otlp(
    trace: Trace,
    *,
    service_name: str = "pastetrace",
    start_unix_ns: int | None = None,
    trace_id: bytes | None = None,
) -> ExportTraceServiceRequest:
    """The ``ExportTraceServiceRequest`` for ``trace`` (one span per layer).

    Args:
        start_unix_ns: wall-clock time of the trace's zero (``Span.start_ns`` counts from it);
            by default the trace is placed so that its last span ends now.
        trace_id: 16 bytes; random by default.
    """
    pb = _proto()
    ids = [secrets.token_bytes(8) for _ in trace.spans]
    if start_unix_ns is None:
        ends = [s.start_ns + (s.duration_ns or 0) for s in trace.spans]
        start_unix_ns = time.time_ns() - max(ends, default=0)
    tid = trace_id if trace_id is not None else secrets.token_bytes(16)
    services = _Services(trace)
    spans = []
    for span in trace.spans:
        start = start_unix_ns + span.start_ns
        message = pb.trace.Span(
            trace_id=tid,
            span_id=ids[span.index],
            name=services.name(span),
            kind=_kind(pb, trace, span),
            start_time_unix_nano=start,
            end_time_unix_nano=start + (span.duration_ns or 0),
            attributes=_attributes(pb, services, span),
        )
        if span.parent is not None:
            message.parent_span_id = ids[span.parent]
        if span.exception is not None:
            event_attrs = {
                "exception.type": span.exception.type,
                "exception.message": span.exception.message,
                "code.file.path": span.exception.file,
                "code.line.number": span.exception.line,
            }
            message.events.append(
                pb.trace.Span.Event(
                    time_unix_nano=message.end_time_unix_nano,
                    name="exception",
                    attributes=_key_values(pb, event_attrs),
                )
            )
        code = _status_code(span.status)
        if span.exception is not None or (code is not None and code >= 500):
            why = span.exception.type if span.exception is not None else span.status
            message.status.code = pb.trace.Status.STATUS_CODE_ERROR
            message.status.message = why or ""
        spans.append(message)
    resource = pb.resource.Resource(
        attributes=_key_values(
            pb, {"service.name": service_name, "telemetry.sdk.name": "pastetrace"}
        )
    )
    scope = pb.common.InstrumentationScope(name="pastetrace", version=_version())
    request: ExportTraceServiceRequest = pb.collector.ExportTraceServiceRequest(
        resource_spans=[
            pb.trace.ResourceSpans(
                resource=resource,
                scope_spans=[pb.trace.ScopeSpans(scope=scope, spans=spans)],
            )
        ]
    )
    return request


def export_otlp(
    trace: Trace,
    endpoint: str,
    *,
    service_name: str = "pastetrace",
    timeout: float = 5,
    start_unix_ns: int | None = None,
) -> None:
    """Post ``trace`` to an OTLP/HTTP collector (``http://host:4318``, or its ``/v1/traces``).

    Raises:
        RenderError: ``opentelemetry-proto`` is not installed (says what to install).
        PastetraceError: the collector could not be reached or refused the spans.
    """
    body = to_otlp(
        trace, service_name=service_name, start_unix_ns=start_unix_ns
    ).SerializeToString()
    url = endpoint.rstrip("/")
    if not url.endswith(TRACES_PATH):
        url += TRACES_PATH
    if not url.startswith(("http://", "https://")):
        raise PastetraceError(f"--otlp {endpoint}: give an http:// or https:// URL")
    request = urllib.request.Request(
        url, data=body, method="POST", headers={"Content-Type": "application/x-protobuf"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read()
    except urllib.error.HTTPError as e:
        raise PastetraceError(f"OTLP export to {url} refused: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise PastetraceError(f"OTLP export to {url} failed: {reason}") from None


# -- helpers ----------------------------------------------------------------------------------


class _Proto:
    """The generated protobuf modules, imported on first use (an optional extra)."""

    def __init__(self) -> None:
        try:
            from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
            from opentelemetry.proto.common.v1 import common_pb2
            from opentelemetry.proto.resource.v1 import resource_pb2
            from opentelemetry.proto.trace.v1 import trace_pb2
        except ImportError:
            raise RenderError(
                f"OTLP export needs the opentelemetry-proto package: {_INSTALL}"
            ) from None
        self.collector = trace_service_pb2
        self.common = common_pb2
        self.resource = resource_pb2
        self.trace = trace_pb2


_PROTO: list[_Proto] = []


def _proto() -> _Proto:
    if not _PROTO:
        _PROTO.append(_Proto())
    return _PROTO[0]


class _Services:
    """Which service each span belongs to: the trace's own, or one called in-process.

    Spans come in call order, so a parent is always seen before its children.
    """

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self.root: dict[int, int] = {}  # span index → index of its service's first layer
        self.method: dict[int, str] = {}  # service root → the method it was called with
        self.path: dict[int, str] = {}  # service root → the path it was called with
        self.route: dict[int, str] = {}  # service root → the innermost route matched in it
        for span in trace.spans:
            parent = trace.spans[span.parent] if span.parent is not None else None
            if parent is None or parent.kind == REMOTE_KIND:
                self.root[span.index] = span.index
                method, path = trace.request.method, trace.request.path
                if parent is not None:
                    method, _, url = parent.section.partition(" ")
                    path = urlsplit(url).path or "/"
                self.method[span.index], self.path[span.index] = method, path
            else:
                self.root[span.index] = self.root[parent.index]
            template = self.template(span)
            if template is not None and span.kind != REMOTE_KIND:
                self.route[self.root[span.index]] = template  # later (inner) matches win

    def template(self, span: Span) -> str | None:
        """The full path of the route ``span`` matched, if it matched one."""
        return _route_template(span, self.path[self.root[span.index]])

    def name(self, span: Span) -> str:
        if span.kind == REMOTE_KIND:
            return span.section
        root = self.root[span.index]
        route = self.template(span)
        if route is None and root == span.index:
            route = self.route.get(root)
        return f"{self.method[root]} {route or span.section}"


def _kind(pb: _Proto, trace: Trace, span: Span) -> Any:
    if span.kind == REMOTE_KIND:
        return pb.trace.Span.SPAN_KIND_CLIENT
    if span.parent is None or trace.spans[span.parent].kind == REMOTE_KIND:
        return pb.trace.Span.SPAN_KIND_SERVER
    return pb.trace.Span.SPAN_KIND_INTERNAL


def _attributes(pb: _Proto, services: _Services, span: Span) -> list[KeyValue]:
    root = services.root[span.index]
    own_route = services.template(span)
    values: dict[str, object] = {
        "http.request.method": services.method[root],
        "url.path": services.path[root],
        "url.query": (services.trace.request.query if root == 0 else None) or None,
        "http.route": own_route or (services.route.get(root) if root == span.index else None),
        "http.response.status_code": _status_code(span.status),
        "pastetrace.section": span.section,
        "pastetrace.kind": span.kind,
        "pastetrace.factory": span.factory,
        "pastetrace.standin": span.standin,
        "pastetrace.answered": span.answered,
        "pastetrace.script_name": span.script_name,
        "pastetrace.path_info": span.path_info,
    }
    if span.standin_reason:
        values["pastetrace.standin_reason"] = span.standin_reason
    if span.route is not None:
        values["pastetrace.route.name"] = span.route.name
        values["pastetrace.route.controller"] = span.route.controller
        values["pastetrace.route.action"] = span.route.action
    if span.notes:
        values["pastetrace.notes"] = list(span.notes)
    return _key_values(pb, values)


def _key_values(pb: _Proto, values: Mapping[str, object]) -> list[KeyValue]:
    """Attributes as OTLP ``KeyValue``s; None values are left out, as the SDK does."""
    result = []
    for key, value in values.items():
        if value is None:
            continue
        result.append(pb.common.KeyValue(key=key, value=_any_value(pb, value)))
    return result


def _any_value(pb: _Proto, value: object) -> Any:
    if isinstance(value, bool):
        return pb.common.AnyValue(bool_value=value)
    if isinstance(value, int):
        return pb.common.AnyValue(int_value=value)
    if isinstance(value, Sequence) and not isinstance(value, str):
        items = [pb.common.AnyValue(string_value=str(v)) for v in value]
        return pb.common.AnyValue(array_value=pb.common.ArrayValue(values=items))
    return pb.common.AnyValue(string_value=str(value))


def _route_template(span: Span, path: str) -> str | None:
    """The route's path as the client sees it: the prefix above the layer plus the Routes path.

    The prefix is the service's request path less the layer's PATH_INFO (not its SCRIPT_NAME:
    Routes' ``path_info`` catch-alls leave SCRIPT_NAME and PATH_INFO overlapping).
    """
    if span.route is None or span.route.path is None:
        return None
    if span.path_info and path.endswith(span.path_info):
        prefix = path[: len(path) - len(span.path_info)]
    else:
        prefix = span.script_name
    route = span.route.path if span.route.path.startswith("/") else "/" + span.route.path
    return prefix.rstrip("/") + route


def _status_code(status: str | None) -> int | None:
    head = (status or "").split(" ", 1)[0]
    return int(head) if head.isdigit() else None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("pastetrace")
    except PackageNotFoundError:
        return "0"
