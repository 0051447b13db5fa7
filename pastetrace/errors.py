"""pastetrace's exceptions: a leaf module, so every other module can import it.

The hierarchy::

    PastetraceError          anything pastetrace reports to a user (CLI: one line, exit 2)
    ├── ConfigError          a paste file that cannot be read or resolved (has file:line)
    ├── UsageError           arguments that make no sense together
    └── RenderError          an output that cannot be produced (e.g. no Graphviz `dot`)
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["ConfigError", "PastetraceError", "RenderError", "UsageError"]


class PastetraceError(Exception):
    """Base of every error pastetrace reports; its message is one line that says what to do."""


class ConfigError(PastetraceError):
    """A configuration that cannot be read, with the place it went wrong."""

    def __init__(self, message: str, file: str | Path | None = None, line: int | None = None):
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        super().__init__(str(self))

    def __str__(self) -> str:
        if self.file is None:
            return self.message
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message}"


class UsageError(PastetraceError):
    """Arguments or options that cannot work together."""


class RenderError(PastetraceError):
    """An output format that cannot be produced here."""
