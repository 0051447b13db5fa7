"""What tracing a running deployment costs: bare PasteDeploy against ``pastetrace.loadapp``.

Run: ``.venv/bin/python benchmarks/bench_live.py [--quick] [--rounds 60] [--batch 50]``

The bundled keystone example is loaded three times in one process:

- ``bare``: ``paste.deploy.loadapp`` (what a server runs today);
- ``untraced``: ``pastetrace.loadapp`` and a request without the header (one dict lookup per
  layer, plus the root's header check);
- ``traced``: ``pastetrace.loadapp`` and ``X-Pastetrace: 1``: a recorder, a span per layer and
  one JSON file written (atomically) per request into a temporary folder.

Requests: ``GET /`` (the version document: urlmap → pipeline → app) and ``POST /v2.0/tokens``
(urlmap → pipeline of four filters → Routes app that issues a token). One request is a copy of
a prebuilt environ (with a fresh ``wsgi.input``), the call with a no-op ``start_response``, the
body consumed and closed, as a WSGI server does; no HTTP server in the loop. Each figure is the
median over rounds of (batch time / requests); each round times one batch per variant in a
shuffled order, so load from other processes falls on all variants alike. A second bare copy
shows how far two identical apps differ on this machine (the noise floor). The garbage
collector is collected before and disabled during each timed batch, as ``timeit`` does.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from paste.deploy import loadapp as paste_loadapp
from pastetrace_examples import config_path, reset
from webob import Request

import pastetrace
from pastetrace.live import TracingRoot
from pastetrace.trace import LayerInfo, TraceMiddleware

URI = "config:" + str(config_path("keystone"))
DEMO_AUTH = {"auth": {"passwordCredentials": {"username": "demo", "password": "secrete"}}}
BARE = "bare (paste.deploy.loadapp)"
REQUESTS = {
    "GET /": ("GET", "/", None),
    "POST /v2.0/tokens": ("POST", "/v2.0/tokens", json.dumps(DEMO_AUTH).encode()),
}


def prepared(
    method: str, path: str, body: bytes | None, traced: bool
) -> Callable[[], dict[str, Any]]:
    """A function returning a fresh environ for the request (copied, new wsgi.input)."""
    headers = {"X-Pastetrace": "1"} if traced else {}
    request = Request.blank(path, method=method, headers=headers)
    if body is not None:
        request.body = body
        request.content_type = "application/json"
    base = dict(request.environ)
    data = body or b""

    def make() -> dict[str, Any]:
        environ = dict(base)
        environ["wsgi.input"] = io.BytesIO(data)
        return environ

    return make


def _start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    return None


def one(app: Any, environ: dict[str, Any]) -> None:
    """Call ``app`` as a server does: consume the body, then close it."""
    body = app(environ, _start_response)
    try:
        for _ in body:
            pass
    finally:
        close = getattr(body, "close", None)
        if close is not None:
            close()


def timed_batch(app: Any, make: Callable[[], dict[str, Any]], n: int) -> float:
    """Nanoseconds per request over ``n`` requests (environs built outside the timing)."""
    environs = [make() for _ in range(n)]
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter_ns()
        for environ in environs:
            one(app, environ)
        elapsed = time.perf_counter_ns() - start
    finally:
        gc.enable()
    return elapsed / n


def layer_cost(rng: random.Random, n: int = 200_000) -> str:
    """What one untraced layer and the root cost in isolation, around a trivial app."""

    def tiny(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return [b""]

    wrapped = TraceMiddleware(tiny, LayerInfo("app:tiny", "app"))
    root = TracingRoot(wrapped, trace_dir=tempfile.gettempdir())
    environ = prepared("GET", "/", None, False)()
    times: dict[str, list[float]] = {"bare": [], "layer": [], "root + layer": []}
    apps = {"bare": tiny, "layer": wrapped, "root + layer": root}
    order = list(apps)
    for _ in range(7):
        rng.shuffle(order)
        for name in order:
            app = apps[name]
            gc.disable()
            start = time.perf_counter_ns()
            for _ in range(n):
                app(environ, _start_response)
            times[name].append((time.perf_counter_ns() - start) / n)
            gc.enable()
    bare, layer, both = (min(times[k]) for k in ("bare", "layer", "root + layer"))
    return (
        f"in isolation (min of 7 x {n:,} calls): a trivial app {bare:.0f} ns; an untraced "
        f"TraceMiddleware adds {layer - bare:.0f} ns; the TracingRoot's check adds "
        f"{both - layer:.0f} ns"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--batch", type=int, default=50, help="requests per timed batch")
    args = parser.parse_args(argv)
    rounds = 15 if args.quick else args.rounds

    trace_dir = Path(tempfile.mkdtemp(prefix="pastetrace-bench-"))
    try:
        ours = pastetrace.loadapp(URI, trace_dir=trace_dir)
        variants: dict[str, tuple[Any, bool]] = {
            BARE: (paste_loadapp(URI), False),
            "bare again (noise floor)": (paste_loadapp(URI), False),
            "pastetrace.loadapp, untraced": (ours, False),
            "pastetrace.loadapp, traced (+ file)": (ours, True),
        }
        print(
            f"Python {platform.python_version()} on {platform.machine()}, "
            f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
            f"{rounds} rounds of one {args.batch}-request batch per variant, shuffled\n"
        )
        header = (
            f"{'request':<18} {'variant':<36} {'median µs':>10} {'× bare':>7} "
            f"{'min µs':>8} {'× bare':>7}"
        )
        print(header)
        print("-" * len(header))
        rng = random.Random(1)
        for label, (method, path, body) in REQUESTS.items():
            makers = {
                v: prepared(method, path, body, traced) for v, (_, traced) in variants.items()
            }
            order = list(variants)
            for v in order:  # warm-up
                timed_batch(variants[v][0], makers[v], args.batch)
            results: dict[str, list[float]] = {v: [] for v in variants}
            for _ in range(rounds):
                rng.shuffle(order)
                for v in order:
                    reset()  # keystone's in-memory token store, outside the timing
                    results[v].append(timed_batch(variants[v][0], makers[v], args.batch))
                for f in trace_dir.iterdir():  # keep the folder small, outside the timing
                    f.unlink()
            base, floor = statistics.median(results[BARE]), min(results[BARE])
            for v, values in results.items():
                med, low = statistics.median(values), min(values)
                print(
                    f"{label:<18} {v:<36} {med / 1000:>10.1f} {med / base:>7.2f} "
                    f"{low / 1000:>8.1f} {low / floor:>7.2f}"
                )
            print()
        print(layer_cost(rng))
    finally:
        shutil.rmtree(trace_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
