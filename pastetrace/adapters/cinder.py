"""cinder: versioned objects, config, a fake transport, and an embedded SQLite database.

Building the volume API asks the database for the minimum service versions, so cinder gets
an SQLite file created with its own schema migrations (``db_sync``) in a temporary folder,
once per process; later replays reach the real controllers with real, empty data.
"""

from __future__ import annotations

import atexit
import importlib
import shutil
import tempfile
from pathlib import Path
from typing import Any

from . import Adapter, oslo

__all__ = ["ADAPTER", "CinderAdapter"]


class CinderAdapter(Adapter):
    """cinder-api's process preparation, as ``cinder.wsgi.wsgi`` does it, plus a database."""

    name = "cinder"

    def __init__(self) -> None:
        self.database: Path | None = None

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
        """Point cinder at a fresh SQLite file, unless the user's config names a database."""
        conf = oslo.conf_object()
        if self.database is not None:
            conf.set_override("connection", f"sqlite:///{self.database}", group="database")
            return
        if _from_user_file(conf, "connection", "database"):
            return
        folder = Path(tempfile.mkdtemp(prefix="pastetrace-cinder-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        database = folder / "cinder.sqlite"
        conf.set_override("connection", f"sqlite:///{database}", group="database")
        importlib.import_module("cinder.db.migration").db_sync()
        self.database = database


def _from_user_file(conf: Any, name: str, group: str) -> bool:
    """Whether the option's value came from a config file the user gave."""
    try:
        location = conf.get_location(name, group)
    except Exception:  # an older oslo.config without get_location: assume not
        return False
    return bool(location is not None and location.location.name == "user")


ADAPTER = CinderAdapter()
