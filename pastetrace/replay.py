"""Replay a synthetic request through an assembled application and return its :class:`Trace`.

The request is built with WebOb as Pyramid's ``prequest`` does; every layer the configuration
created is already wrapped in a tracing layer by :func:`pastetrace.assemble.assemble`, so a
replay is: put a recorder into the environ, call the root application, read the whole body,
and collect the spans.

Safety: a method other than GET, HEAD or OPTIONS never runs a real controller action unless
``execute`` is true. Routes-based apps are stopped after Routes has matched the route: the
trace shows the route and the note "not executed". The bundled learning deployments keep
everything in memory, so they execute by default.
"""

from __future__ import annotations

import json as jsonlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import UsageError
from .trace import (
    RECORDER_KEY,
    LogInfo,
    Recorder,
    ResponseInfo,
    TimingMiddleware,
    Trace,
    TraceMiddleware,
)
from .transport import call_wsgi

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication
    from webob import Request

    from .assemble import LiveApp
    from .config import Deployment

__all__ = ["SAFE_METHODS", "build_request", "parse_header", "read_data", "replay"]

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
NOT_EXECUTED = "202 Not Executed"


def parse_header(text: str) -> tuple[str, str]:
    """``'Name: value'`` → ``('Name', 'value')``, as curl's and httpie's ``-H`` take it."""
    name, sep, value = text.partition(":")
    if not sep or not name.strip() or " " in name.strip():
        raise UsageError(f"bad header {text!r} (write it as 'Name: value')")
    return name.strip(), value.strip()


def read_data(data: str) -> bytes:
    """A request body: the text itself, or the bytes of a file given as ``@FILE``."""
    if not data.startswith("@"):
        return data.encode("utf-8")
    path = Path(data[1:])
    try:
        return path.read_bytes()
    except OSError as e:
        raise UsageError(f"cannot read the body from {path}: {e.strerror}") from None


def build_request(
    method: str,
    path: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    data: bytes | None = None,
    json: str | Any | None = None,
) -> Request:
    """A WebOb request as a client would send it (query string, headers, Host, body)."""
    from webob import Request

    if not path.startswith("/"):
        raise UsageError(f"the path must start with '/': {path!r}")
    host = next((value for name, value in headers if name.lower() == "host"), None)
    # base_url sets HTTP_HOST, SERVER_NAME and SERVER_PORT together, as a server bound to
    # that name would; urlmap's domain keys read them.
    base_url = f"http://{host}" if host else None
    request = Request.blank(path, method=method.upper(), base_url=base_url)
    for name, value in headers:
        if name.lower() != "host":
            request.headers[name] = value
    if json is not None:
        text = json if isinstance(json, str) else jsonlib.dumps(json)
        try:
            jsonlib.loads(text)
        except ValueError as e:
            raise UsageError(f"--json is not valid JSON: {e}") from None
        request.body = text.encode("utf-8")
        request.content_type = "application/json"
    elif data is not None:
        request.body = data
    return request


def replay(
    target: LiveApp | Deployment | str | Path | None,
    method: str,
    path: str,
    *,
    headers: Sequence[tuple[str, str]] = (),
    data: bytes | None = None,
    json: str | Any | None = None,
    execute: bool | None = None,
    services: Mapping[str, Callable[[], WSGIApplication]] | None = None,
    timeout: float | None = None,
    **assemble_options: Any,
) -> Trace:
    """Send one synthetic request through the traced application and return its trace.

    ``target`` is an assembled :class:`~pastetrace.assemble.LiveApp`, or anything
    :func:`pastetrace.assemble.assemble` takes (then ``assemble_options`` go to it).
    ``execute`` defaults to true for the bundled in-memory examples only. ``services`` maps
    ``host:port`` to the apps that calls to that address reach in-process; by default the
    bundled examples serve each other.
    """
    live = _live(target, assemble_options)
    request = build_request(method, path, headers=headers, data=data, json=json)
    if execute is None:
        execute = _is_bundled(live.deployment.path)
    if services is None:
        services = bundled_services(live) if _is_bundled(live.deployment.path) else {}
    recorder = Recorder.start(request.environ)
    guard = nullcontext() if execute else _routes_guard()
    with guard, _routing(services, recorder), _capture_logs(recorder) as threads:
        status, headerlist, body, escaped = _run(live.app, request.environ, timeout, threads)
    running = recorder.open_sections()
    trace = recorder.trace(ResponseInfo.from_body(status, headerlist, body) if status else None)
    if escaped is not None:
        trace.notes.append(_describe(escaped, running))
    if not execute and request.method not in SAFE_METHODS:
        trace.notes.append(
            f"{request.method} is not a safe method: controller actions were not executed "
            "(give --execute to run them)"
        )
    return trace


def _live(target: Any, options: Mapping[str, Any]) -> LiveApp:
    from .assemble import LiveApp, assemble

    if isinstance(target, LiveApp):
        return target
    return assemble(target, **options)


def _is_bundled(path: Path) -> bool:
    import pastetrace_examples  # type: ignore[import-untyped]  # ours

    root = Path(pastetrace_examples.__file__).resolve().parent
    return root in Path(path).resolve().parents


def bundled_services(live: LiveApp) -> dict[str, Callable[[], WSGIApplication]]:
    """Every entry of the bundled examples, by ``host:port``, assembled on first use."""
    from pastetrace_examples import SERVICES

    here = (Path(live.deployment.path).resolve(), live.name)
    result: dict[str, Callable[[], WSGIApplication]] = {}
    root = Path(live.deployment.path).resolve().parents[1]
    for entries in SERVICES.values():
        for relative, name, address in entries.values():
            path = (root / relative).resolve()
            if (path, name) == here:
                result[address] = _lazy(lambda: live.app)
            else:
                result[address] = _lazy(_assembler(path, name))
    return result


def _assembler(path: Path, name: str) -> Callable[[], WSGIApplication]:
    def build() -> WSGIApplication:
        from .assemble import assemble
        from .config import Deployment

        app: WSGIApplication = assemble(Deployment(path), name).app
        return app

    return build


def _lazy(build: Callable[[], WSGIApplication]) -> Callable[[], WSGIApplication]:
    cache: list[WSGIApplication] = []

    def get() -> WSGIApplication:
        if not cache:
            cache.append(build())
        return cache[0]

    return get


@contextmanager
def _routing(
    services: Mapping[str, Callable[[], WSGIApplication]], recorder: Recorder
) -> Iterator[None]:
    if not services:
        yield
        return
    from .transport import routed

    with routed(services, recorder):
        yield


def _run(
    app: WSGIApplication,
    environ: dict[str, Any],
    timeout: float | None,
    threads: set[int] | None = None,
) -> tuple[str | None, list[tuple[str, str]], bytes, BaseException | None]:
    """Call the app like a server would; an exception escaping it is returned, not raised.

    The ident of the thread that runs the app is added to ``threads`` (whose logs are kept).
    """
    result: dict[str, Any] = {}

    def call() -> None:
        if threads is not None:
            threads.add(threading.get_ident())
        result["value"] = call_wsgi(app, environ)

    if timeout is None:
        call()
        return result["value"]  # type: ignore[no-any-return]
    worker = threading.Thread(target=call, name="pastetrace-replay", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        return None, [], b"", TimeoutError(f"no answer after {timeout:g} s (--timeout)")
    return result["value"]  # type: ignore[no-any-return]


def _describe(exc: BaseException, running: list[str]) -> str:
    message = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, TimeoutError):
        return message + (f" (still running in [{running[-1]}])" if running else "")
    return f"the exception escaped every layer: {message}"


# -- log records: each one attached to the span of the layer that was running -----------------


class _SpanLogHandler(logging.Handler):
    """Hands each record of the replay's thread to the recorder, which finds the running span."""

    def __init__(self, recorder: Recorder, threads: set[int]) -> None:
        super().__init__(logging.DEBUG)
        self.recorder = recorder
        self.threads = threads

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread not in self.threads:
            return
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not break the replay
            message = f"{record.msg!r} % {record.args!r} (formatting failed)"
        self.recorder.log(
            LogInfo(
                level=record.levelname,
                logger=record.name,
                message=message,
                file=record.pathname or None,
                line=record.lineno or None,
            )
        )


class _AsBefore(logging.Filter):
    """Keeps the root logger's other handlers seeing only what they saw before the replay.

    The replay lowers the root level to DEBUG; a record below the old level that reached the
    root only because of that is dropped for them.
    """

    def __init__(self, level: int) -> None:
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= self.level:
            return True
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None and logger.parent is not None:  # stop at the root
            if logger.level:
                return record.levelno >= logger.level
            logger = logger.parent
        return False


@contextmanager
def _capture_logs(recorder: Recorder) -> Iterator[set[int]]:
    """For one replay only: a handler on the root logger at DEBUG, then everything restored.

    Yields the set of thread idents whose records are kept (the replay's thread, and the
    worker that runs the app under a timeout).
    """
    root = logging.getLogger()
    threads = {threading.get_ident()}
    handler = _SpanLogHandler(recorder, threads)
    saved = root.level
    others = list(root.handlers)
    as_before = _AsBefore(saved)
    for other in others:
        other.addFilter(as_before)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield threads
    finally:
        root.setLevel(saved)
        root.removeHandler(handler)
        for other in others:
            other.removeFilter(as_before)
        handler.close()


# -- the safety guard: stop Routes-based apps after matching, before the action runs ----------


@contextmanager
def _routes_guard() -> Iterator[None]:
    """For the duration of a replay, stop unsafe methods between Routes' match and the action."""
    from routes.middleware import RoutesMiddleware

    original = RoutesMiddleware.__call__

    def guarded(self: Any, environ: dict[str, Any], start_response: Any) -> Any:
        inner = self.app
        self.app = _Guard(inner)
        try:
            return original(self, environ, start_response)
        finally:
            self.app = inner

    RoutesMiddleware.__call__ = guarded
    try:
        yield
    finally:
        RoutesMiddleware.__call__ = original


class _Guard:
    """Runs the routed app only for safe methods or when the route leads to another layer."""

    def __init__(self, app: WSGIApplication) -> None:
        self._app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        args = environ.get("wsgiorg.routing_args")
        match = args[1] if isinstance(args, tuple) and len(args) > 1 else None
        controller = match.get("controller") if isinstance(match, dict) else None
        passes_on = isinstance(controller, TraceMiddleware | TimingMiddleware)
        if method in SAFE_METHODS or not match or passes_on:
            return self._app(environ, start_response)
        action = match.get("action") if isinstance(match, dict) else None
        what = f"{_name(controller)}.{action}" if action else _name(controller)
        note = f"not executed: {method} without --execute would run {what}"
        recorder = environ.get(RECORDER_KEY)
        if isinstance(recorder, Recorder):
            recorder.note(note)
        body = (note + "\n").encode("utf-8")
        start_response(
            NOT_EXECUTED,
            [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                ("X-Pastetrace-Not-Executed", what),
            ],
        )
        return [body]


def _name(controller: object) -> str:
    inner = getattr(controller, "controller", None)
    target = inner if inner is not None and not isinstance(controller, str) else controller
    if isinstance(target, str) or target is None:
        return str(target)
    cls = type(target)
    return f"{cls.__module__}.{cls.__qualname__}"
