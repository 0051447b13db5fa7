"""Learning deployments shaped like keystone, glance and nova (Essex era).

Each example is a paste file plus the small Python package it names, written to be read top
to bottom: ``keystone/keystone-paste.ini``, ``glance/glance-api-paste.ini`` (with
``glance-registry-paste.ini``) and ``nova/api-paste.ini``. The services call each other over
real HTTP (``http.client.HTTPConnection``) at the host and port named in each file's
``[DEFAULT]``; ``SERVICES`` says which paste entry serves which ``host:port``.

    >>> from paste.deploy import loadapp
    >>> app = loadapp("config:" + str(config_path("keystone")), name="main")  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from pastetrace_examples.common.state import reset

_HERE = Path(__file__).resolve().parent

# example → entry → (paste file relative to this package, paste entry name, "host:port")
SERVICES: dict[str, dict[str, tuple[str, str, str]]] = {
    "keystone": {
        "main": ("keystone/keystone-paste.ini", "main", "127.0.0.1:5000"),
        "admin": ("keystone/keystone-paste.ini", "admin", "127.0.0.1:35357"),
    },
    "glance": {
        "api": ("glance/glance-api-paste.ini", "glance-api", "127.0.0.1:9292"),
        "registry": ("glance/glance-registry-paste.ini", "glance-registry", "127.0.0.1:9191"),
    },
    "nova": {
        "osapi_compute": ("nova/api-paste.ini", "osapi_compute", "127.0.0.1:8774"),
    },
}


def config_path(example: str, which: str | None = None) -> Path:
    """The paste file of a bundled example: ``config_path("glance", "registry")``.

    ``which`` names an entry of ``SERVICES[example]``; by default the first one.
    """
    try:
        entries = SERVICES[example]
    except KeyError:
        raise ValueError(
            f"unknown example: {example!r} (must be one of {sorted(SERVICES)})"
        ) from None
    if which is None:
        which = next(iter(entries))
    try:
        relative = entries[which][0]
    except KeyError:
        raise ValueError(
            f"unknown entry {which!r} of example {example!r} (must be one of {sorted(entries)})"
        ) from None
    return _HERE / relative


__all__ = ["SERVICES", "config_path", "reset"]
