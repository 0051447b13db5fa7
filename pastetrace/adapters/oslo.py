"""Steps shared by oslo.config / oslo.messaging projects (nova, glance, cinder).

Each project binds ``CONF = cfg.CONF`` when its modules are imported, and two projects on one
object collide (glance and cinder both register ``public_endpoint``, differently). So each
project gets its own ``ConfigOpts``, installed as ``cfg.CONF`` before its modules are imported
(:func:`use_conf`). Shared libraries (keystonemiddleware, oslo.concurrency...) register their
options once, on whichever object was ``cfg.CONF`` when they were first imported; a project's
object borrows those from the others when it is asked for one it lacks.

Once parsed, registering a command-line option raises ``ArgsAlreadyParsedError`` and importing
a module may register one; so before a project's factories are imported its object is put
back to unparsed (:func:`unparse`) and parsed again afterwards (:func:`parse`), with no command
line and no config files unless the user gave one. ``cfg.CONF`` stays the last project's.
"""

from __future__ import annotations

import atexit
import importlib
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "conf_object",
    "config_files",
    "fake_transport",
    "parse",
    "sqlite_databases",
    "unparse",
    "use_conf",
]

FAKE_TRANSPORT = "fake://"
_PROJECT_CONF: dict[str, Any] = {}
_ALL: list[Any] = []  # every object a project uses, plus the original cfg.CONF


def _cfg() -> Any:
    return importlib.import_module("oslo_config.cfg")


def use_conf(project: str) -> Any:
    """Install ``project``'s own ``ConfigOpts`` as ``cfg.CONF`` (made on first use) and return it.

    A project imported before pastetrace first saw it is bound to the original object already,
    so it keeps that one.
    """
    cfg = _cfg()
    if not _ALL:
        _ALL.append(cfg.CONF)
    conf = _PROJECT_CONF.get(project)
    if conf is None:
        conf = _ALL[0] if project in sys.modules else _project_conf(cfg)
        _PROJECT_CONF[project] = conf
        if not any(c is conf for c in _ALL):  # ConfigOpts is a Mapping: `in` compares contents
            _ALL.append(conf)
    cfg.CONF = conf
    return conf


def _project_conf(cfg: Any) -> Any:
    class ProjectConf(cfg.ConfigOpts):  # type: ignore[misc]
        """One project's options, borrowing shared libraries' options from the others."""

        def _get_group(self, group_or_name: Any, autocreate: bool = False) -> Any:
            try:
                return super()._get_group(group_or_name, autocreate)
            except cfg.NoSuchGroupError:
                if not _borrow(self, None, getattr(group_or_name, "name", group_or_name)):
                    raise
                return super()._get_group(group_or_name, autocreate)

        def _get_opt_info(self, opt_name: str, group: Any = None) -> Any:
            try:
                return super()._get_opt_info(opt_name, group)
            except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
                if not _borrow(self, opt_name, getattr(group, "name", group)):
                    raise
                return super()._get_opt_info(opt_name, group)

        def _do_get(self, name: str, group: Any = None, namespace: Any = None) -> Any:
            if group is None and name not in self._groups and name not in self._opts:
                _borrow(self, None, name)
            return super()._do_get(name, group, namespace)

    return ProjectConf()


def _borrow(conf: Any, opt_name: str | None, group: str | None) -> bool:
    """Copy an option (or a whole group when ``opt_name`` is None) from another object."""
    cfg = _cfg()
    for other in _ALL:
        if other is conf:
            continue
        if group is None:
            info = other._opts.get(opt_name)
            if info is not None:
                conf.register_opt(info["opt"])
                return True
            continue
        source = other._groups.get(group)
        if source is None:
            continue
        if group not in conf._groups:
            conf.register_group(cfg.OptGroup(group, title=source.title, help=source.help))
        wanted = [opt_name] if opt_name is not None else list(source._opts)
        infos = [source._opts[n] for n in wanted if n in source._opts]
        if opt_name is not None and not infos:
            continue
        for info in infos:
            conf.register_opt(info["opt"], group=group)
        return True
    return False


def conf_object() -> Any:
    """The current ``oslo_config.cfg.CONF`` (the last project's object after :func:`use_conf`)."""
    return _cfg().CONF


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


def sqlite_databases(
    project: str,
    groups: Sequence[str],
    made: dict[str, Path],
    sync: Callable[[], None],
) -> None:
    """Point each ``[group] connection`` at an SQLite file built by the project's migrations.

    Services that read their database while building a router, or in every request, then
    work with no server, on real, empty data. A connection from the user's config file wins.
    ``made`` keeps the files of earlier loads in this process (migrations run once).
    """
    conf = conf_object()
    if any(_from_user_file(conf, "connection", group) for group in groups):
        return
    if not made:
        folder = Path(tempfile.mkdtemp(prefix=f"pastetrace-{project}-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        made.update({group: folder / f"{group}.sqlite" for group in groups})
        _point(conf, made)
        sync()
        return
    _point(conf, made)


def _point(conf: Any, databases: dict[str, Path]) -> None:
    for group, path in databases.items():
        conf.set_override("connection", f"sqlite:///{path}", group=group)


def _from_user_file(conf: Any, name: str, group: str) -> bool:
    """Whether the option's value came from a config file the user gave."""
    try:
        location = conf.get_location(name, group)
    except Exception:  # an older oslo.config without get_location: assume not
        return False
    return bool(location is not None and location.location.name == "user")
