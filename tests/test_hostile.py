"""Hostile and broken input through the real CLI: one clear line, the right exit, nothing written.

Exit codes (design.md): ``graph`` exits 2 on anything it cannot draw; ``lint`` exits 1 when it
finds errors in a file it could read, and 2 when the file cannot be read at all (not text, not
an ini file, duplicates ConfigParser refuses, a folder, a pipe, a file too big).
"""

from __future__ import annotations

import os
import stat
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner, Result

from pastetrace import cli
from pastetrace.cli import app
from pastetrace.errors import PastetraceError

EGG = "use = egg:Paste#urlmap"  # resolved from metadata (or known): never a factory problem


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wide consoles without colour, so a message or a diagnostic stays on one line."""
    monkeypatch.setattr(
        cli,
        "env",
        cli.Environment(
            Console(width=400, color_system=None),
            Console(stderr=True, width=400, color_system=None),
        ),
    )


def invoke(*args: str, debug: bool = False) -> Result:
    return CliRunner().invoke(app, [*(["--debug"] if debug else []), *args])


@dataclass(frozen=True)
class Case:
    """A bad file, the one line ``graph`` prints, and what ``lint`` does with it."""

    id: str
    text: str | bytes
    graph: str  # "{p}" is the file's path
    lint_exit: int
    lint: str  # the stderr line (exit 2) or a diagnostic line on stdout (exit 1)


NO_APP = "has no app, composite or pipeline section, so there is nothing to draw"
NO_APP_LINT = (
    "{p}: error no-app: no [app:], [composite:] or [pipeline:] section: PasteDeploy has "
    "nothing to load (is it a paste .ini file?)"
)
CYCLE = (
    f"[composite:main]\n{EGG}\n/ = p\n\n[pipeline:p]\npipeline = f main\n\n"
    "[filter:f]\nuse = call:m:f\n"
)

CASES = [
    Case(
        "empty",
        "",
        f"ConfigError: {{p}}: {NO_APP} (is it a paste .ini file?)",
        1,
        NO_APP_LINT,
    ),
    Case(
        "binary",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
        "ConfigError: {p}:1: is a binary file, not a paste .ini file (check the path)",
        2,
        "ConfigError: {p}:1: is a binary file, not a paste .ini file (check the path)",
    ),
    Case(
        "latin-1",
        "[app:main]\nuse = call:m:f\nname = caf\xe9\n".encode("latin-1"),
        "ConfigError: {p}:3: is not UTF-8 text (is it a paste .ini file?)",
        2,
        "ConfigError: {p}:3: is not UTF-8 text (is it a paste .ini file?)",
    ),
    Case(
        "no-sections",
        "[DEFAULT]\ndebug = true\n\n[sql]\nconnection = sqlite://\n",
        f"ConfigError: {{p}}: {NO_APP} (is it a paste .ini file?)",
        1,
        NO_APP_LINT,
    ),
    Case(
        "duplicate-section",
        "[app:main]\nuse = call:m:a\n\n[app:main]\nuse = call:m:b\n",
        "ConfigError: {p}:4: section [app:main] appears twice (PasteDeploy refuses duplicates; "
        "merge or rename one)",
        2,
        "ConfigError: {p}:4: section [app:main] appears twice (PasteDeploy refuses duplicates; "
        "merge or rename one)",
    ),
    Case(
        "duplicate-key",
        "[app:main]\nuse = call:m:a\nuse = call:m:b\n",
        "ConfigError: {p}:3: key 'use' appears twice in [app:main] (PasteDeploy refuses "
        "duplicates; keep one)",
        2,
        "ConfigError: {p}:3: key 'use' appears twice in [app:main] (PasteDeploy refuses "
        "duplicates; keep one)",
    ),
    Case(
        "missing-header",
        "use = call:m:a\n[app:main]\n",
        "ConfigError: {p}:1: the file does not start with a [section] header (is it a paste "
        ".ini file?)",
        2,
        "ConfigError: {p}:1: the file does not start with a [section] header (is it a paste "
        ".ini file?)",
    ),
    Case(
        "unterminated-interpolation",
        "[app:main]\nuse = call:m:a\nfoo = %(x\n",
        "ConfigError: {p}:3: [app:main] foo: bad interpolation (bad interpolation variable "
        "reference '%(x'; write '%%' for a literal %)",
        1,
        "{p}:3: error interpolation-syntax: [app:main] foo: bad interpolation (bad "
        "interpolation variable reference '%(x'; write '%%' for a literal %)",
    ),
    Case(
        "recursive-interpolation",
        "[DEFAULT]\na = %(b)s\nb = %(a)s\n\n[app:main]\nuse = call:m:a\n",
        "ConfigError: {p}:2: [DEFAULT] a: interpolation refers back to itself (PasteDeploy will "
        "fail; break the loop)",
        1,
        "{p}:2: error interpolation-recursive: [DEFAULT] a: interpolation refers back to itself "
        "(PasteDeploy will fail; break the loop)",
    ),
    Case(
        "missing-interpolation",
        "[app:main]\nuse = call:m:a\nfoo = %(missing)s\n",
        "ConfigError: {p}:3: [app:main] foo: %(missing)s names no key of this section or "
        "[DEFAULT] (PasteDeploy will fail; define it in [DEFAULT])",
        1,
        "{p}:3: error interpolation-missing: [app:main] foo: %(missing)s names no key of this "
        "section or [DEFAULT] (PasteDeploy will fail; define it in [DEFAULT])",
    ),
    Case(
        "missing-section",
        "[pipeline:main]\npipeline = auth api\n\n[filter:auth]\nuse = call:m:auth\n\n"
        "[app:app]\nuse = call:m:app\n",
        "ConfigError: {p}:2: pipeline 'main' names app 'api', which has no [app:api] (or "
        "composite/pipeline) section (did you mean 'app'? apps: app, main)",
        1,
        "{p}:2: error missing-section: pipeline 'main' names app 'api', which has no "
        "[app:api], [pipeline:api] or [composite:api] section (did you mean 'app'? apps: app, "
        "main)",
    ),
    Case(
        "reference-cycle",
        CYCLE,
        "ConfigError: {p}:6: pipeline 'p' leads back to [composite:main]: a cycle "
        "[composite:main] → [pipeline:p] → [composite:main] (PasteDeploy would recurse "
        "forever; break the loop)",
        1,
        "{p}:6: error reference-cycle: reference cycle: main → p → main (PasteDeploy would "
        "recurse forever; break the loop)",
    ),
    Case(
        "use-cycle",
        "[pipeline:main]\npipeline = a\n\n[app:a]\nuse = b\n\n[app:b]\nuse = a\n",
        "ConfigError: {p}:5: [app:a] use = b: 'use =' goes round in a cycle: b → a → b (break "
        "the loop)",
        1,
        "{p}:5: error use-cycle: app 'a': 'use =' goes round in a cycle: b → a → b (break the "
        "loop)",
    ),
    Case(
        "app-as-filter",
        "[pipeline:main]\npipeline = other api\n\n[app:other]\nuse = call:m:o\n\n"
        "[app:api]\nuse = call:m:a\n",
        "ConfigError: {p}:2: pipeline 'main' names 'other' as a filter, but [app:other] is an "
        "app (only the last name of a pipeline is an app; add a [filter:...] section or move "
        "it last)",
        1,
        "{p}:2: error app-as-filter: pipeline 'main' names 'other' where a filter must go, but "
        "[app:other] is an app (only [filter:] sections can come before the app; move it to "
        "the end)",
    ),
    Case(
        "config-missing-file",
        "[app:main]\nuse = config:nothere.ini\n",
        "ConfigError: {p}:2: [app:main] use = config:nothere.ini: cannot read 'nothere.ini': "
        "no such file (check the path)",
        1,
        "{p}:2: error bad-use: app 'main': use = 'config:nothere.ini': cannot read "
        "'nothere.ini': no such file (check the path)",
    ),
    Case(
        "config-itself",
        "[app:main]\nuse = config:app.ini\n",
        "ConfigError: {p}:2: [app:main] use = config:app.ini: 'config:app.ini' points back to "
        "itself (name another file or section)",
        1,
        "{p}:2: error bad-use: app 'main': use = 'config:app.ini': 'config:app.ini' points "
        "back to itself (name another file or section)",
    ),
]


def write(tmp_path: Path, content: str | bytes) -> Path:
    folder = tmp_path / "conf"
    folder.mkdir()
    path = folder / "app.ini"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def assert_refused(result: Result, expected: str, out: Path | None = None) -> None:
    """Exit 2, exactly ``expected`` as the one line on stderr, no traceback, no output."""
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [expected]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    if out is not None:
        assert list(out.parent.iterdir()) == [], "nothing written next to -o, not even a temp"


def graph_refuses(path: Path, expected: str, tmp_path: Path) -> None:
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    out = out_dir / "graph.txt"
    assert_refused(invoke("graph", str(path), "-o", str(out)), expected, out)


class TestCatalogue:
    """Each broken file: one line with file:line and what to do; graph exits 2, lint 1 or 2."""

    @pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
    def test_graph(self, case: Case, tmp_path: Path) -> None:
        """graph -o prints the one expected line, exits 2 and writes nothing."""
        path = write(tmp_path, case.text)
        graph_refuses(path, case.graph.format(p=path), tmp_path)

    @pytest.mark.parametrize("fmt", ["json", "dot", "mermaid", "html"])
    def test_graph_every_format(self, fmt: str, tmp_path: Path) -> None:
        """The format does not change the refusal (checked before anything is rendered)."""
        path = write(tmp_path, CYCLE)
        out = tmp_path / f"graph.{fmt}"
        result = invoke("graph", str(path), "-f", fmt, "-o", str(out))
        assert result.exit_code == 2 and len(result.stderr.splitlines()) == 1
        assert not out.exists()

    @pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
    def test_lint(self, case: Case, tmp_path: Path) -> None:
        """lint exits 2 with the one line when unreadable, else 1 with the diagnostic."""
        path = write(tmp_path, case.text)
        result = invoke("lint", str(path))
        expected = case.lint.format(p=path)
        assert result.exit_code == case.lint_exit, result.output
        assert "Traceback" not in result.output
        if case.lint_exit == 2:
            assert_refused(result, expected)
        else:
            assert expected in result.stdout.splitlines()
            assert result.stderr == ""

    @pytest.mark.parametrize("command", ["graph", "lint"])
    def test_debug_shows_the_traceback(self, command: str, tmp_path: Path) -> None:
        """With --debug the ConfigError escapes with its traceback instead of the one line."""
        path = write(tmp_path, "[app:main]\nuse = call:m:a\nuse = call:m:b\n")
        result = invoke(command, str(path), debug=True)
        assert isinstance(result.exception, PastetraceError)
        assert result.exc_info is not None and result.exc_info[2] is not None


class TestNotAnError:
    """What static commands accept on purpose."""

    def test_egg_not_installed(self, tmp_path: Path) -> None:
        """An egg: of a missing distribution is drawn with a note; lint warns and exits 0."""
        path = write(tmp_path, "[app:main]\nuse = egg:NoSuchDist123#main\n")
        out = tmp_path / "graph.txt"
        result = invoke("graph", str(path), "-o", str(out))
        assert result.exit_code == 0, result.output
        assert "egg distribution 'NoSuchDist123' is not installed here" in out.read_text()
        result = invoke("lint", str(path))
        assert result.exit_code == 0, result.output
        assert (
            f"{path}:2: warning missing-dist: app 'main' uses 'egg:NoSuchDist123#main', but the "
            "'NoSuchDist123' distribution is not installed here, so PasteDeploy cannot load it "
            "(pip install NoSuchDist123)"
        ) in result.stdout.splitlines()


class TestUnreadable:
    """Files that are not there, not files, or not readable."""

    @pytest.mark.parametrize("command", ["graph", "lint"])
    def test_no_such_file(self, command: str, tmp_path: Path) -> None:
        """A missing path says so."""
        path = tmp_path / "nope.ini"
        assert_refused(
            invoke(command, str(path)), f"ConfigError: {path}: no such file (check the path)"
        )

    @pytest.mark.parametrize("command", ["graph", "lint"])
    def test_folder(self, command: str, tmp_path: Path) -> None:
        """A folder given as the file says to give the file inside it."""
        folder = tmp_path / "etc.ini"
        folder.mkdir()
        expected = (
            f"ConfigError: {folder}: is a folder, not a paste file (give the .ini file inside it)"
        )
        assert_refused(invoke(command, str(folder)), expected)

    @pytest.mark.parametrize("command", ["graph", "lint"])
    def test_fifo_does_not_block(self, command: str, tmp_path: Path) -> None:
        """A named pipe is refused without being opened (opening it would wait for a writer)."""
        fifo = tmp_path / "paste.ini"
        os.mkfifo(fifo)

        def unblock() -> None:  # if pastetrace opened the pipe, let it go so the test fails
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
            except OSError:
                pass

        timer = threading.Timer(5, unblock)
        timer.start()
        try:
            result = invoke(command, str(fifo))
        finally:
            timer.cancel()
        expected = (
            f"ConfigError: {fifo}: is not a regular file (a pipe or a device?); "
            "give a paste .ini file"
        )
        assert_refused(result, expected)

    @pytest.mark.parametrize("command", ["graph", "lint"])
    def test_chmod_000(self, command: str, tmp_path: Path) -> None:
        """A file without read permission says to check it."""
        path = write(tmp_path, f"[composite:main]\n{EGG}\n")
        path.chmod(0)
        try:
            if os.access(path, os.R_OK):
                pytest.skip(
                    "running as root: chmod 000 does not stop reads (see the simulated test)"
                )
            expected = f"ConfigError: {path}: permission denied (check the file's read permission)"
            assert_refused(invoke(command, str(path)), expected)
        finally:
            path.chmod(stat.S_IRUSR | stat.S_IWUSR)

    @pytest.mark.parametrize("command", ["graph", "lint"])
    def test_permission_denied_simulated(
        self, command: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Even as root: a read that fails with EACCES gives the same line."""
        path = write(tmp_path, f"[composite:main]\n{EGG}\n")
        real = Path.read_bytes

        def denied(self: Path) -> bytes:
            if self == path:
                raise PermissionError(13, "Permission denied", str(self))
            return real(self)

        monkeypatch.setattr(Path, "read_bytes", denied)
        expected = f"ConfigError: {path}: permission denied (check the file's read permission)"
        assert_refused(invoke(command, str(path)), expected)


def chain(n: int) -> str:
    """``n`` urlmaps, each mounting the next at ``/``, and an app at the bottom."""
    parts = [f"[composite:main]\n{EGG}\n/ = c1\n"]
    parts += [f"[composite:c{i}]\n{EGG}\n/ = c{i + 1}\n" for i in range(1, n)]
    parts.append(f"[app:c{n}]\nuse = call:m:app\n")
    return "\n".join(parts)


class TestBig:
    """Big files end quickly, in bounded memory, without RecursionError."""

    @pytest.mark.parametrize("command", ["graph", "lint"])
    def test_50_mb_is_refused_at_once(self, command: str, tmp_path: Path) -> None:
        """A 50 MB file is refused from its size, before it is read."""
        path = tmp_path / "big.ini"
        line = b"k = " + b"x" * 95 + b"\n"
        with path.open("wb") as f:
            f.write(b"[app:main]\nuse = call:m:a\n")
            f.write(line * (50 * 1024 * 1024 // len(line) + 1))
        started = time.perf_counter()
        result = (
            invoke(command, str(path), "-o", str(tmp_path / "o"))
            if command == "graph"
            else invoke(command, str(path))
        )
        elapsed = time.perf_counter() - started
        expected = (
            f"ConfigError: {path}: is 50 MB, too big for a paste file (limit 10 MB; is it the "
            "right file?)"
        )
        assert_refused(result, expected)
        assert elapsed < 2, f"took {elapsed:.1f} s"
        assert not (tmp_path / "o").exists()

    def test_5_mb_is_read_in_seconds(self, tmp_path: Path) -> None:
        """A file under the limit (5 MB of keys) is read and linted in seconds."""
        path = tmp_path / "big.ini"
        line = "k{} = " + "x" * 90 + "\n"
        with path.open("w", encoding="utf-8") as f:
            f.write("[app:main]\nuse = call:m:app\n")
            f.writelines(line.format(i) for i in range(5 * 1024 * 1024 // len(line)))
        started = time.perf_counter()
        result = invoke("lint", str(path))
        assert result.exit_code == 0, result.output
        assert time.perf_counter() - started < 20

    @pytest.mark.parametrize("n", [1000, 5000])
    @pytest.mark.parametrize("fmt", ["tree", "json"])
    def test_nested_composites(self, n: int, fmt: str, tmp_path: Path) -> None:
        """Thousands of nested urlmaps are drawn (the tree cut at a depth) in seconds."""
        path = tmp_path / "deep.ini"
        path.write_text(chain(n), encoding="utf-8")
        out = tmp_path / "out"
        started = time.perf_counter()
        result = invoke("graph", str(path), "-f", fmt, "-o", str(out))
        assert result.exit_code == 0, result.output
        assert time.perf_counter() - started < 30
        text = out.read_text()
        if fmt == "tree":
            assert "… deeper than 32 levels (see --format json, dot or mermaid)" in text
        else:
            assert f'"app:c{n}"' in text

    @pytest.mark.parametrize("n", [1000, 5000])
    def test_nested_composites_lint(self, n: int, tmp_path: Path) -> None:
        """lint walks thousands of nested urlmaps without recursion."""
        path = tmp_path / "deep.ini"
        path.write_text(chain(n), encoding="utf-8")
        started = time.perf_counter()
        result = invoke("lint", str(path))
        assert result.exit_code == 0, result.output
        assert time.perf_counter() - started < 30
