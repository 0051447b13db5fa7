"""``DiffView``: a :class:`~pastetrace.diff.Diff` as coloured lines, one block per section."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from rich.jupyter import JupyterMixin
from rich.text import Text

if TYPE_CHECKING:
    from rich.console import Console, ConsoleOptions, RenderResult

    from ..diff import Change, Diff

__all__ = ["SIGNS", "DiffView"]

# sign → (mark, style): + added, - removed, ~ changed, ↕ moved
SIGNS = {
    "added": ("+", "green"),
    "removed": ("-", "red"),
    "changed": ("~", "yellow"),
    "moved": ("↕", "blue"),
}


class DiffView(JupyterMixin):
    """Counts first, then each changed section with its changes and both files' lines.

    Every change names ``file:line`` on the side(s) it exists on, so a reader can jump to
    either file; identical files print ``no changes``.
    """

    def __init__(self, diff: Diff, *, location_style: str = "dim") -> None:
        self.diff = diff
        self.location_style = location_style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield self.summary()
        for section, changes in self.diff.by_section().items():
            yield Text()
            yield self._header(section)
            for change in changes:
                yield self.line(change)

    def summary(self) -> Text:
        """``old.ini → new.ini: 5 changes (2 added, 1 removed, 1 changed, 1 moved)``."""
        text = Text(f"{self.diff.old.name} → {self.diff.new.name}: ", style="bold")
        counts = self.diff.summary()
        if not counts["total"]:
            text.append("no changes")
            return text
        text.append(f"{counts['total']} change{'s' if counts['total'] != 1 else ''} (")
        parts = [(sign, counts[sign]) for sign in SIGNS if counts[sign]]
        for i, (sign, count) in enumerate(parts):
            text.append(f"{count} {sign}", style=SIGNS[sign][1])
            text.append(", " if i < len(parts) - 1 else ")")
        return text

    def _header(self, section: str) -> Text:
        old_line, new_line = self.diff.places.get(section, (None, None))
        text = Text(f"[{section}]", style="bold")
        where = self._where(old_line, new_line)
        if where:
            text.append(f"  {where}", style=self.location_style)
        return text

    def line(self, change: Change) -> Text:
        """``  ↕ authtoken moved from 4th to 6th  old.ini:12 → new.ini:14``."""
        mark, style = SIGNS[change.sign]
        text = Text(f"  {mark} ", style=style)
        text.append(change.message, style=style)
        if change.detail:
            text.append(f" ({change.detail})")
        where = self._where(change.old_line, change.new_line)
        if where:
            text.append(f"  {where}", style=self.location_style)
        return text

    def _where(self, old_line: int | None, new_line: int | None) -> str:
        old = _at(self.diff.old, old_line)
        new = _at(self.diff.new, new_line)
        return " → ".join(part for part in (old, new) if part)


def _at(path: Path, line: int | None) -> str:
    return f"{path.name}:{line}" if line is not None else ""
