"""Tracing a running deployment: :func:`loadapp` for servers, a paste filter for paste files.

``pastetrace.loadapp`` takes what ``paste.deploy.loadapp`` takes and returns the same
application, assembled by :func:`pastetrace.assemble.assemble` with a tracing layer around
every object the paste file creates. A root layer decides per request whether to trace:

- a request carrying the trigger header (``X-Pastetrace: 1``), or
- a request drawn by the sampling rate (``sample=0.01``: one in a hundred).

Only those get a :class:`~pastetrace.trace.Recorder`; every other request passes each layer
at the cost of one dict lookup. A traced request is written, once its body is closed, as the
replay JSON (``Trace.to_dict()``) to ``trace_dir``, one file per request, and read back with
``pastetrace show FILE``. Writing (and the optional OTLP export) never raises into the server:
failures are logged on the ``pastetrace.live`` logger.

The trigger header is honoured from any client: strip it at the edge of a public endpoint,
or give ``header=None`` to trace by sampling only.

For sites that can only edit the paste file, :func:`filter_factory` is a paste filter::

    [filter:pastetrace]
    use = egg:pastetrace#trace
    trace_dir = /var/tmp/pastetrace
    sample = 0.01

    [pipeline:main]
    pipeline = pastetrace authtoken ... app

A filter cannot wrap the sections PasteDeploy created around it, so its trace has two spans:
its own, and one for everything below it, with the Routes route matched below when the
environ shows one. Serve the app through :func:`loadapp` for a span per layer.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import queue
import random
import secrets
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ConfigError, PastetraceError, UsageError
from .trace import (
    RECORDER_KEY,
    LayerInfo,
    Recorder,
    ResponseInfo,
    Trace,
    TraceMiddleware,
)

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from .assemble import LiveApp

__all__ = [
    "DEFAULT_HEADER",
    "TRACE_ID_HEADER",
    "TracingRoot",
    "default_trace_dir",
    "filter_factory",
    "loadapp",
    "read_trace",
]

DEFAULT_HEADER = "X-Pastetrace"
TRACE_ID_HEADER = "X-Pastetrace-Trace"  # on traced responses: the name of the trace file
_OFF = frozenset({"", "0", "false", "no", "off"})
_BODY_LIMIT = 4096  # bytes of the response body kept in a trace, as replay keeps
_EXPORT_QUEUE = 100  # traces waiting for the OTLP exporter; more are dropped (and logged)

log = logging.getLogger("pastetrace.live")


def default_trace_dir() -> Path:
    """``pastetrace-traces`` in the system's temp folder."""
    return Path(tempfile.gettempdir()) / "pastetrace-traces"


def loadapp(
    uri: str,
    name: str | None = None,
    relative_to: str | None = None,
    global_conf: Mapping[str, str] | None = None,
    *,
    trace_dir: str | os.PathLike[str] | None = None,
    sample: float = 0.0,
    header: str | None = DEFAULT_HEADER,
    otlp: str | None = None,
    standins: bool = False,
) -> TracingRoot:
    """``paste.deploy.loadapp`` with a tracing layer around every object the file creates.

    ``uri`` is ``config:path`` (with ``#name`` if wanted); a relative path is taken from
    ``relative_to`` as PasteDeploy does (from the current folder when it is not given).
    ``global_conf`` overrides the file's ``[DEFAULT]``, as with PasteDeploy.

    Args:
        trace_dir: where traced requests are written (default :func:`default_trace_dir`).
        sample: the share of requests traced without the header, from 0.0 to 1.0.
        header: the request header that asks for a trace (None: sampling only).
        otlp: an OTLP/HTTP collector (``http://host:4318``) each trace is also sent to.
        standins: serve pastetrace's stand-ins for factories that fail, instead of raising.

    Raises:
        ConfigError: a factory could not be imported or failed (each one listed), unless
            ``standins`` is true; or the file cannot be read.
        UsageError: a URI other than ``config:``, or a sampling rate outside 0..1.
    """
    from .assemble import assemble
    from .config import Deployment

    path, entry = _config_path(uri, relative_to)
    deployment = Deployment(path)
    if global_conf:
        # PasteDeploy's get_context: the caller's global_conf overrides [DEFAULT].
        deployment.defaults.update({str(k): str(v) for k, v in global_conf.items()})
    live = assemble(deployment, name or entry, real=True)
    if not standins:
        _check_real(live)
    return TracingRoot(
        live.app, trace_dir=trace_dir, sample=sample, header=header, otlp=otlp, live=live
    )


def filter_factory(global_conf: Mapping[str, str], **local_conf: str) -> Callable[[Any], Any]:
    """The ``paste.filter_factory`` behind ``egg:pastetrace#trace``.

    Options (all optional): ``trace_dir``, ``sample``, ``header`` (empty: sampling only),
    ``otlp``. Inside an app served by :func:`loadapp` the filter steps aside, so a trace
    never gets its layers twice.
    """
    unknown = sorted(set(local_conf) - {"trace_dir", "sample", "header", "otlp"})
    if unknown:
        raise UsageError(
            f"[filter:pastetrace] unknown option {unknown[0]!r} "
            "(options: trace_dir, sample, header, otlp)"
        )
    try:
        sample = float(local_conf.get("sample", "0") or "0")
    except ValueError:
        raise UsageError(
            f"[filter:pastetrace] sample = {local_conf['sample']!r}: give a number from 0 to 1"
        ) from None
    header = local_conf.get("header", DEFAULT_HEADER).strip() or None
    options: dict[str, Any] = {
        "trace_dir": local_conf.get("trace_dir") or None,
        "sample": sample,
        "header": header,
        "otlp": local_conf.get("otlp") or None,
    }
    _check_sample(sample)

    def make(app: WSGIApplication) -> WSGIApplication:
        below = TraceMiddleware(app, LayerInfo(_name_of(app), "app"))
        mine = TraceMiddleware(
            below, LayerInfo("filter:pastetrace", "filter", "egg:pastetrace#trace"), owner=app
        )
        return TracingRoot(mine, untraced=app, **options)

    return make


def read_trace(path: str | os.PathLike[str]) -> Trace:
    """A trace saved by :func:`loadapp`, the paste filter or ``replay --format json``.

    Raises:
        PastetraceError: the file cannot be read, is not JSON, or is not a pastetrace trace.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as e:
        raise PastetraceError(f"cannot read {path}: {e.strerror or e}") from None
    except UnicodeDecodeError:
        raise PastetraceError(f"{path}: not a text file (expected a trace's JSON)") from None
    try:
        data = json.loads(text)
    except ValueError as e:
        where = f"{path}:{e.lineno}" if isinstance(e, json.JSONDecodeError) else str(path)
        raise PastetraceError(f"{where}: not valid JSON ({e}); is it a trace file?") from None
    try:
        return Trace.from_dict(data)
    except PastetraceError as e:
        raise PastetraceError(f"{path}: {e}") from None


class TracingRoot:
    """The outermost layer: picks the requests to trace and writes each trace once it ends.

    Args:
        app: the traced application (its layers record only when a recorder is present).
        untraced: what untraced requests are sent to (default ``app``).
        live: the assembled application, kept for inspection (``.live.layers``).
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        trace_dir: str | os.PathLike[str] | None = None,
        sample: float = 0.0,
        header: str | None = DEFAULT_HEADER,
        otlp: str | None = None,
        untraced: WSGIApplication | None = None,
        live: LiveApp | None = None,
    ) -> None:
        _check_sample(sample)
        self._app = app
        self._untraced = app if untraced is None else untraced
        self._key = "HTTP_" + header.upper().replace("-", "_") if header else None
        self._sample = sample
        self.trace_dir = Path(trace_dir) if trace_dir is not None else default_trace_dir()
        self.live = live
        self._exporter = _Exporter(otlp) if otlp else None

    @property
    def app(self) -> WSGIApplication:
        """The traced application."""
        return self._app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        # The untraced path is what every request pays: keep it to a lookup or two.
        key = self._key
        asked = key is not None and key in environ and _asks(environ[key])
        if not asked and not (self._sample and random.random() < self._sample):
            return self._untraced(environ, start_response)
        if RECORDER_KEY in environ:  # traced by someone outside (a replay, an outer root)
            return self._untraced(environ, start_response)
        return self._traced(environ, start_response, "header" if asked else "sampled")

    def _traced(
        self, environ: WSGIEnvironment, start_response: StartResponse, why: str
    ) -> Iterable[bytes]:
        wall = time.time_ns()
        recorder = Recorder.start(environ)
        request = _Request(self, recorder, wall, why)

        def traced_start_response(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None
        ) -> Any:
            request.status, request.headers = status, list(headers)
            headers = [*headers, (TRACE_ID_HEADER, request.file_name)]
            if exc_info is None:
                return start_response(status, headers)
            return start_response(status, headers, exc_info)

        try:
            body = self._app(environ, traced_start_response)
        except BaseException as exc:
            request.finish(exc)
            raise
        return _Body(body, request)

    def save(self, trace: Trace, file_name: str) -> Path | None:
        """Write ``trace`` into ``trace_dir`` atomically; log (never raise) on failure."""
        target = self.trace_dir / file_name
        tmp: str | None = None
        try:
            self.trace_dir.mkdir(parents=True, exist_ok=True)
            # One compact line: without ``indent`` json uses its C encoder, several times
            # faster on the request path; ``pastetrace show FILE -f json`` pretty-prints it.
            data = json.dumps(trace.to_dict(), ensure_ascii=False, separators=(",", ":"))
            fd, tmp = tempfile.mkstemp(prefix=f".{file_name}.", dir=self.trace_dir)
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(data + "\n")
            os.replace(tmp, target)
        except Exception:
            log.exception("pastetrace: cannot write the trace %s", target)
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
            return None
        return target

    def export(self, trace: Trace, start_unix_ns: int) -> None:
        """Queue ``trace`` for the OTLP collector, when one was given."""
        if self._exporter is not None:
            self._exporter.put(trace, start_unix_ns)


class _Request:
    """One traced request: its recorder, what the client was answered, and its file name."""

    def __init__(self, root: TracingRoot, recorder: Recorder, wall: int, why: str) -> None:
        self.root = root
        self.recorder = recorder
        self.wall = wall
        self.why = why
        stamp = datetime.fromtimestamp(wall / 1e9, tz=timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
        self.file_name = f"{stamp}-{secrets.token_hex(4)}.json"
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.preview = bytearray()
        self.length = 0
        self.done = False

    def seen(self, chunk: bytes) -> None:
        self.length += len(chunk)
        room = _BODY_LIMIT - len(self.preview)
        if room > 0:
            self.preview += chunk[:room]

    def finish(self, exc: BaseException | None = None) -> None:
        """Collect the trace and hand it on; runs once, and never raises."""
        if self.done:
            return
        self.done = True
        try:
            response = ResponseInfo(
                status=self.status,
                headers=self.headers,
                body=bytes(self.preview).decode("utf-8", errors="replace"),
                body_length=self.length,
                body_truncated=self.length > len(self.preview),
            )
            trace = self.recorder.trace(response)
            stamp = datetime.fromtimestamp(self.wall / 1e9, tz=timezone.utc).isoformat()
            trace.notes.append(f"recorded live at {stamp} ({self.why})")
            if exc is not None:
                trace.notes.append(
                    f"the exception escaped every layer: {type(exc).__name__}: {exc}"
                )
            self.root.save(trace, self.file_name)
            self.root.export(trace, self.wall)
        except Exception:
            log.exception("pastetrace: cannot record the trace %s", self.file_name)


class _Body:
    """The response body of a traced request: counted on the way out, the trace kept on close."""

    __slots__ = ("_body", "_iter", "_request")

    def __init__(self, body: Iterable[bytes], request: _Request) -> None:
        self._body = body
        self._iter: Iterator[bytes] | None = None
        self._request = request

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        if self._iter is None:
            self._iter = iter(self._body)
        chunk = next(self._iter)
        self._request.seen(chunk)
        return chunk

    def close(self) -> None:
        close = getattr(self._body, "close", None)
        try:
            if close is not None:
                close()
        finally:
            self._request.finish()


class _Exporter:
    """Sends traces to an OTLP collector from one daemon thread, so requests never wait."""

    def __init__(self, endpoint: str) -> None:
        from .otel import _proto

        _proto()  # a missing extra fails at load time, not on each traced request
        self._endpoint = endpoint
        self._queue: queue.Queue[tuple[Trace, int]] = queue.Queue(_EXPORT_QUEUE)
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def put(self, trace: Trace, start_unix_ns: int) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="pastetrace-otlp", daemon=True
                )
                self._thread.start()
        try:
            self._queue.put_nowait((trace, start_unix_ns))
        except queue.Full:
            log.warning("pastetrace: OTLP queue full, a trace was not exported")

    def _run(self) -> None:
        from .otel import export_otlp

        while True:
            trace, start = self._queue.get()
            try:
                export_otlp(trace, self._endpoint, start_unix_ns=start)
            except Exception:
                log.exception("pastetrace: OTLP export to %s failed", self._endpoint)
            finally:
                self._queue.task_done()

    def join(self) -> None:
        """Wait until every queued trace was sent or failed (for tests and shutdown)."""
        self._queue.join()


# -- helpers ----------------------------------------------------------------------------------


def _config_path(uri: str, relative_to: str | None) -> tuple[Path, str | None]:
    scheme, sep, rest = str(uri).partition(":")
    if not sep or scheme.lower() != "config":
        hint = f"config:{uri}" if not sep else f"config:{rest}"
        raise UsageError(
            f"pastetrace.loadapp({uri!r}): only config: URIs can be traced (e.g. {hint!r})"
        )
    path_text, _, name = rest.partition("#")
    path = Path(path_text)
    if not path.is_absolute():
        path = Path(relative_to or os.getcwd()) / path
    if not path.is_file():
        raise ConfigError(f"no paste file at {path} (from {uri!r})")
    return path, name or None


def _check_real(live: LiveApp) -> None:
    """Raise when a factory did not work: a server must not silently serve stand-ins."""
    failed = [layer for layer in live.standins() if layer.reason != "stubbed"]
    if not failed:
        return
    seen: list[str] = []
    for layer in failed:
        stage = f"{layer.stage}: " if layer.stage else ""
        text = f"[{layer.section.header}] {stage}{layer.reason}"
        if text not in seen:
            seen.append(text)
    count = f"{len(seen)} factor{'y' if len(seen) == 1 else 'ies'}"
    raise ConfigError(
        f"{count} failed: {'; '.join(seen)} "
        "(fix them, or pass standins=True to serve pastetrace's stand-ins)",
        live.deployment.path,
    )


def _asks(value: object) -> bool:
    """A trigger header's value asks for a trace unless it is empty, 0, false, no or off."""
    return str(value).strip().lower() not in _OFF


def _check_sample(sample: float) -> None:
    if not 0.0 <= sample <= 1.0:
        raise UsageError(f"sample = {sample!r}: give a share of requests from 0.0 to 1.0")


def _name_of(app: object) -> str:
    """``module.Class`` (or ``module.function``) of the app below the filter."""
    named = app if isinstance(app, (type, types.FunctionType, types.MethodType)) else type(app)
    module = getattr(named, "__module__", None) or "?"
    return f"{module}.{getattr(named, '__qualname__', type(app).__qualname__)}"
