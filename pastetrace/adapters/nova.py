"""nova: parse its config with no files, a fake messaging transport, then ``nova.rpc.init``.

Without the transport, building the compute API router fails on ``TRANSPORT is not None``
in ``nova/rpc.py``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from . import Adapter, oslo

__all__ = ["ADAPTER", "NovaAdapter"]


class NovaAdapter(Adapter):
    """nova-api's process preparation, as ``nova.api.openstack.wsgi_app`` does it."""

    name = "nova"

    def before_resolve(self, live: Any, conf: Path | None) -> None:
        oslo.use_conf(self.name)
        oslo.unparse()

    def setup(self, live: Any, conf: Path | None) -> None:
        oslo.use_conf(self.name)
        config = importlib.import_module("nova.config")
        rpc = importlib.import_module("nova.rpc")
        config.parse_args(
            ["nova-api"],
            default_config_files=oslo.config_files(conf),
            configure_db=False,
            init_rpc=False,
        )
        oslo.fake_transport()
        rpc.init(oslo.conf_object())


ADAPTER = NovaAdapter()
