"""glance: its config is parsed after every import (the resolve stage) and before creation.

glance modules register command-line options when imported, so parsing first would make a
later import fail with ``ArgsAlreadyParsedError``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from . import Adapter, oslo

__all__ = ["ADAPTER", "GlanceAdapter"]


class GlanceAdapter(Adapter):
    """glance-api's process preparation, minus stores and workers."""

    name = "glance"

    def before_resolve(self, live: Any, conf: Path | None) -> None:
        oslo.use_conf(self.name)
        oslo.unparse()

    def setup(self, live: Any, conf: Path | None) -> None:
        oslo.use_conf(self.name)
        config = importlib.import_module("glance.common.config")
        config.set_config_defaults()
        config.parse_args(args=[], default_config_files=oslo.config_files(conf))
        _flavor_from_entry(live.name)


def _flavor_from_entry(entry: str) -> None:
    """glance-api loads ``glance-api-<flavor>`` for ``[paste_deploy] flavor``; match it.

    Its pipeline factory reads the same option, so the entry ``glance-api-keystone`` runs the
    ``keystone`` pipeline only when the flavor says so. A flavor set in ``--conf`` wins.
    """
    prefix = "glance-api-"
    conf = oslo.conf_object()
    if entry.startswith(prefix) and not conf.paste_deploy.flavor:
        conf.set_override("flavor", entry[len(prefix) :], group="paste_deploy")


ADAPTER = GlanceAdapter()
