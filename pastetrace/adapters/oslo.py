"""Steps shared by oslo.config / oslo.messaging projects (nova, glance, cinder).

All of them keep their options on the one process-wide ``oslo_config.cfg.CONF``. Once it is
parsed, registering a command-line option raises ``ArgsAlreadyParsedError``, and importing a
module may register one; so before a project's factories are imported the object is put back
to unparsed (:func:`unparse`) and parsed again afterwards (:func:`parse`), with no command
line and no config files unless the user gave one.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

__all__ = ["config_files", "conf_object", "fake_transport", "parse", "unparse"]

FAKE_TRANSPORT = "fake://"


def conf_object() -> Any:
    """The process-wide ``oslo_config.cfg.CONF``."""
    return importlib.import_module("oslo_config.cfg").CONF


def config_files(conf: Path | None) -> list[str]:
    """The config files to parse: the user's, or none (never the system's /etc files)."""
    return [str(conf)] if conf is not None else []


def unparse() -> None:
    """Let imports register command-line options again (a no-op when never parsed)."""
    conf = conf_object()
    if getattr(conf, "_args", None) is not None:
        conf.clear()


def parse(project: str, conf: Path | None, **kwargs: Any) -> None:
    """Parse ``CONF`` for ``project`` with no arguments."""
    conf_object()([], project=project, default_config_files=config_files(conf), **kwargs)


def fake_transport() -> None:
    """Register oslo.messaging's transport options and point them at the fake driver."""
    messaging = importlib.import_module("oslo_messaging")
    conf = conf_object()
    conf.register_opts(messaging.transport._transport_opts)
    conf.set_override("transport_url", FAKE_TRANSPORT)
