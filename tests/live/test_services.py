"""The real nova, glance and cinder, assembled live in this process (pip install -r
requirements-live.txt). Each load is timed; the times are attached to the test report."""

from __future__ import annotations

import importlib.util
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import pytest
from webob import Request

from pastetrace.assemble import LiveApp, assemble
from pastetrace.config import Deployment
from pastetrace.trace import Recorder

CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus"
IDENTITY = {
    "X-Identity-Status": "Confirmed",
    "X-User-Id": "pastetrace",
    "X-Project-Id": "0123456789abcdef0123456789abcdef",
    "X-Roles": "admin,member,reader",
}


def _paste_file(project: str, name: str) -> Path:
    """The file the wheel installed under ``<venv>/etc``, else the corpus copy (identical)."""
    for path in (Path(sys.prefix) / "etc" / project / name, CORPUS / project / name):
        if path.is_file():
            return path
    pytest.skip(f"no {project} paste file in {sys.prefix}/etc/{project} or the corpus")


def _load(project: str, file: str, name: str, **options: Any) -> tuple[LiveApp, float]:
    if importlib.util.find_spec(project) is None:
        pytest.skip(f"{project} is not installed (pip install -r requirements-live.txt)")
    start = time.perf_counter()
    live = assemble(Deployment(_paste_file(project, file)), name, **options)
    return live, time.perf_counter() - start


def _get(live: LiveApp, path: str, **headers: str) -> Any:
    """One request; real services warn (deprecations) at request time too."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return Request.blank(path, headers=headers).get_response(live.app)


@pytest.fixture(scope="module")
def nova() -> tuple[LiveApp, float]:
    return _load("nova", "api-paste.ini", "osapi_compute")


@pytest.fixture(scope="module")
def glance() -> tuple[LiveApp, float]:
    # The keystone flavor needs a keystone: its authtoken is stubbed, as cinder's is.
    return _load("glance", "glance-api-paste.ini", "glance-api-keystone", stub=["authtoken"])


@pytest.fixture(scope="module")
def cinder() -> tuple[LiveApp, float]:
    return _load("cinder", "api-paste.ini", "osapi_volume", stub=["authtoken"])


def test_nova_loads_with_real_layers(nova: tuple[LiveApp, float], record_property: Any) -> None:
    live, seconds = nova
    record_property("load_seconds", round(seconds, 3))
    assert live.adapters == ["nova"]
    assert not live.standins(), [(layer.node_id, layer.reason) for layer in live.standins()]
    assert len(live.layers) == 45
    assert _get(live, "/v2.1").status_int == 200
    assert _get(live, "/").status_int == 200


def test_nova_servers_stop_at_authtoken_without_keystone(nova: tuple[LiveApp, float]) -> None:
    live, _ = nova
    request = Request.blank("/v2.1/servers")
    recorder = Recorder.start(request.environ)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        response = request.get_response(live.app)
    assert response.status_int == 500  # keystonemiddleware: MissingAuthPlugin, via faultwrap
    sections = [span.section for span in recorder.trace().spans]
    assert "filter:authtoken" in sections and "app:osapi_compute_app_v21" not in sections


def test_glance_loads_with_real_layers(glance: tuple[LiveApp, float], record_property: Any) -> None:
    live, seconds = glance
    record_property("load_seconds", round(seconds, 3))
    assert [layer.section.name for layer in live.standins()] == ["authtoken"]
    # The entry glance-api-keystone runs the keystone flavor's pipeline, as glance-api does.
    filters = [layer.section.name for layer in live.layers if layer.kind == "filter"]
    assert filters == [
        "cors",
        "http_proxy_to_wsgi",
        "versionnegotiation",
        "osprofiler",
        "authtoken",
        "context",
    ]
    assert len(live.layers) == 12
    assert _get(live, "/").status_int == 300
    assert _get(live, "/healthcheck").status_int == 200
    # The keystone flavor's context filter refuses a request without an identity...
    assert _get(live, "/v2/nothere").status_int == 401
    # ...and with one (what authtoken would have set) the v2 router answers for the path.
    assert _get(live, "/v2/nothere", **IDENTITY).status_int == 404


def test_cinder_loads_with_a_real_database(
    cinder: tuple[LiveApp, float], record_property: Any
) -> None:
    live, seconds = cinder
    record_property("load_seconds", round(seconds, 3))
    assert [layer.section.name for layer in live.standins()] == ["authtoken"]
    assert len(live.layers) == 20
    assert _get(live, "/").status_int == 300
    assert _get(live, "/healthcheck").status_int == 200
    response = _get(live, "/v3/0123456789abcdef0123456789abcdef/volumes", **IDENTITY)
    assert response.status_int == 200
    assert response.json == {"volumes": []}


def test_loading_again_in_the_same_process_works(
    nova: tuple[LiveApp, float], glance: tuple[LiveApp, float], cinder: tuple[LiveApp, float]
) -> None:
    again, seconds = _load("nova", "api-paste.ini", "osapi_compute")
    assert not again.standins() and seconds < 30
    assert _get(again, "/v2.1").status_int == 200
    assert _get(cinder[0], "/").status_int == 300
    assert _get(glance[0], "/").status_int == 300
