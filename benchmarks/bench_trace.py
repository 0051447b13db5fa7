"""The per-layer cost of pastetrace's tracing next to one OpenTelemetry WSGI span per layer.

Run: ``.venv/bin/python benchmarks/bench_trace.py [--quick] [--layers 10 50] [--gc] [--cpu]``
(needs ``benchmarks/requirements.txt`` for the OpenTelemetry rows; without it they are skipped).

A pipeline of N pass-through filters over a tiny app, all plain WSGI callables: each filter adds
one request header to the environ and one response header on the way out; the app answers
``200 OK`` with a one-item list body. Every filter and the app get one wrapper of the variant,
so a pipeline of N filters has N + 1 wrapped layers, and the per-layer cost is
``(variant - bare) / (N + 1)``. One request = a copy of a prebuilt environ, the call with a
no-op ``start_response``, the body consumed and closed; no webob in the loop.

Variants, all in the same process and run, interleaved batch by batch:

- ``bare``: the pipeline as it is.
- ``wrapped, untraced``: a :class:`~pastetrace.trace.TraceMiddleware` around every layer, no
  recorder in the environ (what every request pays once a tree is wrapped).
- ``pastetrace timing``: :class:`~pastetrace.trace.TimingMiddleware` layers and
  ``Recorder.start(environ)`` per request.
- ``pastetrace timing + trace()``: the same, plus ``recorder.trace()`` (the spans built).
- ``pastetrace full``: ``TraceMiddleware`` layers, ``Recorder.start(environ)`` per request and
  ``recorder.trace()`` at the end: the whole cost a user pays for a trace.
- ``OpenTelemetry``: one ``opentelemetry.instrumentation.wsgi.OpenTelemetryMiddleware`` per
  layer, an SDK ``TracerProvider`` with a ``SimpleSpanProcessor`` into an
  ``InMemorySpanExporter`` (cleared between batches, outside the timed region). The meter
  provider is the default no-op one.

Each figure is the median over batches of (batch time / requests in the batch), timed with
``time.perf_counter_ns``; each batch is sized to take about ``--batch-ms`` milliseconds for its
variant, after warm-up batches. The garbage collector is collected before and disabled during
each timed batch (as ``timeit`` does) unless ``--gc`` is given. ``--cpu`` times with
``time.thread_time_ns`` instead (this thread's CPU time), steadier on a shared, busy machine.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from pastetrace.trace import LayerInfo, Recorder, TimingMiddleware, TraceMiddleware

try:
    from opentelemetry.instrumentation.wsgi import OpenTelemetryMiddleware
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
except ImportError:  # pragma: no cover - the OpenTelemetry rows are then skipped
    OpenTelemetryMiddleware = None

App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

BASE_ENVIRON: dict[str, Any] = {
    "REQUEST_METHOD": "GET",
    "SCRIPT_NAME": "",
    "PATH_INFO": "/v3/projects",
    "QUERY_STRING": "limit=10",
    "SERVER_NAME": "localhost",
    "SERVER_PORT": "80",
    "SERVER_PROTOCOL": "HTTP/1.1",
    "REMOTE_ADDR": "127.0.0.1",
    "HTTP_HOST": "localhost",
    "HTTP_ACCEPT": "application/json",
    "HTTP_USER_AGENT": "bench_trace",
    "HTTP_X_AUTH_TOKEN": "gAAAAABbench",
    "wsgi.version": (1, 0),
    "wsgi.url_scheme": "http",
    "wsgi.input": None,
    "wsgi.errors": sys.stderr,
    "wsgi.multithread": False,
    "wsgi.multiprocess": False,
    "wsgi.run_once": False,
}


# --------------------------------------------------------------------------- the pipeline


def tiny_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


class HeaderFilter:
    """A pass-through filter: one request header in, one response header out."""

    def __init__(self, app: App, index: int) -> None:
        self.app = app
        self.key = f"HTTP_X_FILTER_{index}"
        self.header = (f"X-Filter-{index}", "seen")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ[self.key] = "1"
        header = self.header

        def filter_start_response(status: str, headers: list[Any], exc_info: Any = None) -> Any:
            headers.append(header)
            return start_response(status, headers, exc_info)

        return self.app(environ, filter_start_response)


def build(n: int, wrap: Callable[[App, LayerInfo], App] | None) -> App:
    """N filters over the app; ``wrap`` (if any) goes around the app and every filter."""
    app: App = tiny_app
    if wrap is not None:
        app = wrap(app, LayerInfo(section="app:tiny", kind="app", factory="bench:tiny_app"))
    for i in reversed(range(n)):
        app = HeaderFilter(app, i)
        if wrap is not None:
            app = wrap(app, LayerInfo(section=f"filter:f{i}", kind="filter", factory="bench:f"))
    return app


def start_response(status: str, headers: list[Any], exc_info: Any = None) -> Callable[..., None]:
    return _write


def _write(data: bytes) -> None:
    pass


# --------------------------------------------------------------------------- one request each


def plain_request(app: App) -> Callable[[], Any]:
    def request() -> Any:
        body = app(dict(BASE_ENVIRON), start_response)
        for _ in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()

    return request


def recorded_request(app: App, *, trace: bool) -> Callable[[], Any]:
    def request() -> Any:
        environ = dict(BASE_ENVIRON)
        recorder = Recorder.start(environ)
        body = app(environ, start_response)
        for _ in body:
            pass
        close = getattr(body, "close", None)
        if close is not None:
            close()
        return recorder.trace() if trace else recorder

    return request


class Variant:
    def __init__(
        self, name: str, request: Callable[[], Any], reset: Callable[[], None] | None = None
    ) -> None:
        self.name = name
        self.request = request
        self.reset = reset
        self.count = 1
        self.samples: list[float] = []  # ns per request, one per batch


def variants(n: int) -> tuple[list[Variant], Callable[[], None]]:
    """The variants for N filters, and a check that each one does what it claims."""
    bare = build(n, None)
    untraced = build(n, lambda app, layer: TraceMiddleware(app, layer))
    timing = build(n, lambda app, layer: TimingMiddleware(app, layer))
    full = build(n, lambda app, layer: TraceMiddleware(app, layer))
    out = [
        Variant("bare", plain_request(bare)),
        Variant("wrapped, untraced", plain_request(untraced)),
        Variant("pastetrace timing", recorded_request(timing, trace=False)),
        Variant("pastetrace timing + trace()", recorded_request(timing, trace=True)),
        Variant("pastetrace full", recorded_request(full, trace=True)),
    ]
    exporter = None
    if OpenTelemetryMiddleware is not None:
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        otel = build(n, lambda app, layer: OpenTelemetryMiddleware(app, tracer_provider=provider))
        out.append(Variant("OpenTelemetry", plain_request(otel), exporter.clear))

    def check() -> None:
        layers = n + 1
        headers: list[Any] = []
        body = untraced(dict(BASE_ENVIRON), _keep(headers))
        assert list(body) == [b"ok"] and len(headers) == 2 + n, headers
        assert len(out[2].request().trace().spans) == layers
        assert len(out[3].request().spans) == layers
        trace = out[4].request()
        assert len(trace.spans) == layers and trace.spans[0].headers_added == {"X-Filter-0": "1"}
        assert trace.spans[0].response_headers_added == {"X-Filter-0": "seen"}
        if exporter is not None:
            exporter.clear()
            out[5].request()
            assert len(exporter.get_finished_spans()) == layers
            exporter.clear()

    return out, check


def _keep(into: list[Any]) -> Callable[..., Any]:
    def keep(status: str, headers: list[Any], exc_info: Any = None) -> Any:
        into.extend(headers)
        return _write

    return keep


# --------------------------------------------------------------------------- timing


CLOCK = time.perf_counter_ns


def batch(variant: Variant, count: int, keep_gc: bool) -> int:
    """Nanoseconds for ``count`` requests of ``variant``."""
    request = variant.request
    if variant.reset is not None:
        variant.reset()
    gc.collect()
    if not keep_gc:
        gc.disable()
    try:
        clock = CLOCK
        t0 = clock()
        for _ in range(count):
            request()
        return clock() - t0
    finally:
        gc.enable()


def calibrate(variant: Variant, target_ns: int, keep_gc: bool) -> None:
    count = 1
    while True:
        elapsed = batch(variant, count, keep_gc)
        if elapsed >= target_ns / 4:
            variant.count = max(1, round(count * target_ns / elapsed))
            return
        count *= 4


def measure(vs: list[Variant], batches: int, warmup: int, target_ns: int, keep_gc: bool) -> None:
    for v in vs:
        calibrate(v, target_ns, keep_gc)
    for round_ in range(warmup + batches):
        for v in vs:  # interleaved, so drift hits every variant alike
            elapsed = batch(v, v.count, keep_gc)
            if round_ >= warmup:
                v.samples.append(elapsed / v.count)


def report(n: int, vs: list[Variant]) -> dict[str, float]:
    layers = n + 1
    med = {v.name: statistics.median(v.samples) for v in vs}
    bare = med["bare"]
    per_layer = {name: (ns - bare) / layers for name, ns in med.items()}
    otel = per_layer.get("OpenTelemetry")
    print(f"\nN = {n} filters + app = {layers} wrapped layers")
    head = f"{'variant':<30} {'µs/request':>11} {'±IQR':>7} {'µs/layer':>9} {'× OTel/layer':>13}"
    print(head)
    print("-" * len(head))
    for v in vs:
        q = statistics.quantiles(v.samples, n=4) if len(v.samples) > 1 else [0, 0, 0]
        iqr = (q[2] - q[0]) / 1000
        layer = "" if v.name == "bare" else f"{per_layer[v.name] / 1000:9.3f}"
        ratio = "" if v.name == "bare" or not otel else f"{per_layer[v.name] / otel:13.3f}"
        print(f"{v.name:<30} {med[v.name] / 1000:11.2f} {iqr:7.2f} {layer:>9} {ratio:>13}")
    return per_layer


def versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for dist in ("pastetrace", "opentelemetry-sdk", "opentelemetry-instrumentation-wsgi"):
        try:
            parts.append(f"{dist} {version(dist)}")
        except PackageNotFoundError:
            parts.append(f"{dist} (not installed)")
    return ", ".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer, shorter batches (~10 s)")
    parser.add_argument("--layers", type=int, nargs="+", default=[10, 50], metavar="N")
    parser.add_argument("--batches", type=int, help="timed batches per variant (default 25)")
    parser.add_argument("--batch-ms", type=float, help="target length of a batch (default 40)")
    parser.add_argument("--gc", action="store_true", help="keep the GC enabled while timing")
    parser.add_argument("--cpu", action="store_true", help="time with thread_time_ns")
    args = parser.parse_args(argv)
    global CLOCK
    CLOCK = time.thread_time_ns if args.cpu else time.perf_counter_ns
    batches = args.batches or (7 if args.quick else 25)
    batch_ms = args.batch_ms or (10.0 if args.quick else 40.0)
    warmup = 1 if args.quick else 3

    print(f"machine: {platform.platform()}, {platform.machine()}, {os.cpu_count()} CPUs")
    print(f"python: {platform.python_implementation()} {platform.python_version()}")
    print(f"versions: {versions()}")
    print(
        f"method: median of {batches} interleaved batches of ~{batch_ms:g} ms per variant "
        f"after {warmup} warm-up round(s), clock {CLOCK.__name__}; "
        f"gc {'enabled' if args.gc else 'collected, then off'} while timing; "
        "per layer = (variant - bare) / wrapped layers"
    )
    if OpenTelemetryMiddleware is None:
        print("OpenTelemetry not installed: pip install -r benchmarks/requirements.txt")

    verdicts = []
    for n in args.layers:
        vs, check = variants(n)
        check()
        measure(vs, batches, warmup, int(batch_ms * 1e6), args.gc)
        per_layer = report(n, vs)
        timing = per_layer["pastetrace timing"] / 1000
        verdicts.append(
            f"N={n}: timing {timing:.3f} µs/layer (goal ≤ 1): {'met' if timing <= 1 else 'MISSED'}"
        )
        otel = per_layer.get("OpenTelemetry")
        if otel:
            ratio = per_layer["pastetrace full"] / otel
            verdicts.append(
                f"N={n}: full / OpenTelemetry per layer {ratio:.3f} (goal ≤ 0.1): "
                f"{'met' if ratio <= 0.1 else 'MISSED'}"
            )
    print()
    print("\n".join(verdicts))
    return 0


if __name__ == "__main__":
    sys.exit(main())
