"""nova: parse its config with no files, a fake messaging transport, then ``nova.rpc.init``.

Without the transport, building the compute API router fails on ``TRANSPORT is not None``
in ``nova/rpc.py``. The API and main databases are SQLite files built by nova's own
migrations, so ``GET /v2.1/servers`` reaches ``ServersController.index`` and answers from
real, empty tables.
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

    def __init__(self) -> None:
        self.databases: dict[str, Path] = {}

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
        # nova.api.openstack.wsgi_app does this at import: controllers use the versioned
        # objects (BuildRequestList, InstanceList...) through nova.objects' registry.
        importlib.import_module("nova.objects").register_all()
        oslo.sqlite_databases(self.name, ["api_database", "database"], self.databases, _sync)
        if not self.databases:  # the user's config file names the databases
            _configure_engines()


def _configure_engines() -> None:
    """What ``nova.config.parse_args(configure_db=True)`` does: engines read the options."""
    conf = oslo.conf_object()
    importlib.import_module("nova.db.api.api").configure(conf)
    importlib.import_module("nova.db.main.api").configure(conf)


def _sync() -> None:
    _configure_engines()
    migration = importlib.import_module("nova.db.migration")
    migration.db_sync(database="api")
    migration.db_sync(database="main")


ADAPTER = NovaAdapter()
