"""cinder: versioned objects, config, a fake transport, and an embedded SQLite database.

Building the volume API asks the database for the minimum service versions, so cinder gets
an SQLite file created with its own schema migrations (``db_sync``) in a temporary folder,
once per process; later replays reach the real controllers with real, empty data.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from . import Adapter, oslo

__all__ = ["ADAPTER", "CinderAdapter"]


class CinderAdapter(Adapter):
    """cinder-api's process preparation, as ``cinder.wsgi.wsgi`` does it, plus a database."""

    name = "cinder"

    def __init__(self) -> None:
        self.databases: dict[str, Path] = {}

    def before_resolve(self, live: Any, conf: Path | None) -> None:
        oslo.use_conf(self.name)
        oslo.unparse()
        importlib.import_module("cinder.objects").register_all()

    def setup(self, live: Any, conf: Path | None) -> None:
        oslo.use_conf(self.name)
        oslo.parse("cinder", conf)
        importlib.import_module("cinder.common.config").set_middleware_defaults()
        oslo.fake_transport()
        importlib.import_module("cinder.rpc").init(oslo.conf_object())
        self._database()

    def _database(self) -> None:
        """A fresh SQLite file built by cinder's migrations, unless the user names one."""

        def sync() -> None:
            importlib.import_module("cinder.db.migration").db_sync()

        oslo.sqlite_databases(self.name, ["database"], self.databases, sync)


ADAPTER = CinderAdapter()
