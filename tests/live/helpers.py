"""Helpers shared by the real-service tests: installed paste files, timed loads, identity.

The real services come from ``requirements-live.txt``; a test module of a service that is not
importable is skipped with the reason. Each service keeps its tests in its own module, because
loading one changes process-global state (oslo.config's ``cfg.CONF``, oslo.messaging).
"""

from __future__ import annotations

import importlib.util
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pastetrace.assemble import LiveApp, assemble
from pastetrace.config import Deployment
from pastetrace.replay import replay
from pastetrace.trace import Span, Trace

PROJECT_ID = "0123456789abcdef0123456789abcdef"
# What keystonemiddleware's authtoken puts into the environ for a valid token: with authtoken
# stubbed, these headers let the request through the services' context filters.
IDENTITY = [
    ("X-Identity-Status", "Confirmed"),
    ("X-User-Id", "pastetrace"),
    ("X-Project-Id", PROJECT_ID),
    ("X-Tenant-Id", PROJECT_ID),
    ("X-Roles", "admin,member,reader"),
]


def paste_file(project: str, name: str) -> Path:
    """The paste file the project's wheel installed under ``<venv>/etc/<project>``."""
    path = Path(sys.prefix) / "etc" / project / name
    if not path.is_file():
        pytest.skip(f"{path} not found (pip install -r requirements-live.txt installs it)")
    return path


def skip_unless_installed(project: str) -> None:
    """Skip the whole calling module, saying why, when ``project`` is not importable."""
    if importlib.util.find_spec(project) is None:
        pytest.skip(
            f"{project} is not installed (pip install -r requirements-live.txt)",
            allow_module_level=True,
        )


def require(project: str) -> None:
    """Skip, saying why, when ``project`` is not importable."""
    if importlib.util.find_spec(project) is None:
        pytest.skip(f"{project} is not installed (pip install -r requirements-live.txt)")


@dataclass
class Loaded:
    """An assembled real service and how long assembling it took."""

    live: LiveApp
    seconds: float


def load(project: str, file: str, name: str, **options: Any) -> Loaded:
    """Assemble ``name`` from the project's installed paste file, timed."""
    require(project)
    path = paste_file(project, file)
    start = time.perf_counter()
    live = assemble(Deployment(path), name, **options)
    return Loaded(live, time.perf_counter() - start)


@contextmanager
def quiet() -> Iterator[None]:
    """Real services warn at request time too (deprecations in oslo and webob use)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def run(live: LiveApp, method: str, path: str, **options: Any) -> Trace:
    """One replay through the real service, its request-time deprecation warnings ignored."""
    with quiet():
        return replay(live, method, path, **options)


def span(trace: Trace, section: str) -> Span:
    """The first span of ``section`` (a header such as ``filter:authtoken``)."""
    found = [s for s in trace.spans if s.section == section]
    assert found, f"no span for [{section}] in {[s.section for s in trace.spans]}"
    return found[0]


def sections(trace: Trace) -> list[str]:
    """The sections the request passed, in call order."""
    return [s.section for s in trace.spans]


def report(what: str, loaded: Loaded, **facts: Any) -> None:
    """Print a load time and facts (seen with ``pytest -s``)."""
    extra = "".join(f", {k}={v}" for k, v in facts.items())
    print(f"\n[live] {what}: loaded in {loaded.seconds:.2f} s{extra}")
