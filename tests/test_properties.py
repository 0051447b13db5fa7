"""Property tests: random and mutated paste files raise nothing but ``PastetraceError``, quickly.

Each generated file goes through ``Deployment``, ``build_graph`` (strict and not), ``lint`` and
every text renderer of ``render_graph``. The number of inputs run is counted in ``RUN`` and
printed at the end of the module (``pytest -s``).
"""

from __future__ import annotations

import io
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from pastetrace.config import Deployment
from pastetrace.errors import PastetraceError
from pastetrace.graph import build_graph
from pastetrace.lint import lint
from pastetrace.render import FORMATS, render_graph

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"  # as conftest.CORPUS

RUN: Counter[str] = Counter()
TEXT_FORMATS = [f for f in FORMATS if f not in ("svg", "png")]  # no Graphviz subprocess
SETTINGS = settings(
    max_examples=120,
    deadline=2000,  # ms per input: a hang or a quadratic blow-up fails the test
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    derandomize=True,  # the same inputs on every run (CI must not flake)
)


@pytest.fixture(scope="module", autouse=True)
def report() -> Iterator[None]:
    """Print how many generated inputs each test ran."""
    yield
    print(f"\nproperty inputs run: {sum(RUN.values())} {dict(RUN)}")


def exercise(text: str, kind: str) -> None:
    """Every static entry point on ``text``: only PastetraceError may come out."""
    RUN[kind] += 1
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "paste.ini"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            deployment = Deployment(path)
        except PastetraceError:
            return
        str(lint(deployment))
        for strict in (True, False):
            try:
                graph = build_graph(deployment, strict=strict)
            except PastetraceError:
                continue
            for fmt in TEXT_FORMATS:
                result = render_graph(graph, fmt)
                if not isinstance(result, (str, bytes)):
                    Console(file=io.StringIO(), width=100).print(result)


# -- random files -----------------------------------------------------------------------------
PREFIXES = ["app", "application", "composite", "composit", "pipeline", "filter", "filter-app"]
PREFIXES += ["server", "DEFAULT", "sql", ""]
NAMES = st.sampled_from(["main", "api", "auth", "a", "b", "c", "Main", " x ", "", "é", "%(here)s"])
KEYS = st.sampled_from(
    [
        "use",
        "pipeline",
        "next",
        "filter-with",
        "paste.app_factory",
        "paste.filter_factory",
        "paste.composite_factory",
        "set x",
        "get y",
        "/",
        "/v1",
        "/v2.0",
        "domain foo.com port 80 /x",
        "noauth",
        "keystone",
        "not_found_app",
        "here",
        "x",
    ]
)
VALUES = st.one_of(
    st.sampled_from(
        [
            "egg:Paste#urlmap",
            "egg:Paste",
            "egg:NoSuch#x",
            "call:m:f",
            "call:m:C.f",
            "config:other.ini#x",
            "config:paste.ini",
            "config:",
            "main",
            "auth api",
            "a b c",
            "auth auth main",
            "%(here)s",
            "%(x)s",
            "%(x",
            "%%",
            "%",
            "%SERVICE%",
            "nova.api.openstack.urlmap:urlmap_factory",
            "nova.api.auth:pipeline_factory_v21",
            "glance.api:root_app_factory",
        ]
    ),
    st.text(max_size=20),
)


@st.composite
def paste_files(draw: st.DrawFn) -> str:
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        prefix = draw(st.sampled_from(PREFIXES))
        name = draw(NAMES)
        header = prefix if prefix in ("DEFAULT", "sql") or not name else f"{prefix}:{name}"
        lines.append(f"[{header}]")
        for _ in range(draw(st.integers(0, 4))):
            indent = draw(st.sampled_from(["", "", " ", "\t"]))
            delimiter = draw(st.sampled_from([" = ", "=", ": ", " :", " "]))
            lines.append(f"{indent}{draw(KEYS)}{delimiter}{draw(VALUES)}")
            if draw(st.booleans()):
                lines.append(f"    {draw(VALUES)}")  # a continuation line
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", "# comment", "; c", "junk", "[", "]"])))
    return "\n".join(lines) + draw(st.sampled_from(["", "\n", "\r\n"]))


class TestRandomFiles:
    """Files built from paste's pieces at random."""

    @SETTINGS
    @given(paste_files())
    def test_only_pastetrace_errors(self, text: str) -> None:
        """Random sections, keys, values, indentation and delimiters never crash."""
        exercise(text, "random")

    @settings(SETTINGS, max_examples=60)
    @given(st.text(max_size=300))
    def test_any_text(self, text: str) -> None:
        """Any unicode text (surrogates included) never crashes the reader."""
        exercise(text, "text")


# -- mutated corpus files ---------------------------------------------------------------------
def _corpus() -> list[str]:
    if not CORPUS.is_dir():
        return []
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md")
    return [p.read_text(encoding="utf-8") for p in files]


CORPUS_TEXTS = _corpus()
GARBAGE = st.sampled_from(
    ["[", "]]", "[app:", "%(", "%", "=", ":", "\x00", "\ufeff", "  ", "\t= x", "[DEFAULT]", "é"]
)


@st.composite
def mutated(draw: st.DrawFn) -> str:
    lines = draw(st.sampled_from(CORPUS_TEXTS)).splitlines()
    for _ in range(draw(st.integers(1, 6))):
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        op = draw(st.sampled_from(["delete", "duplicate", "swap", "mangle", "garbage"]))
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "swap":
            j = draw(st.integers(0, len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "mangle":  # rename a word: a section or a reference goes missing
            words = lines[i].split()
            if words:
                k = draw(st.integers(0, len(words) - 1))
                words[k] = words[k][::-1] + draw(st.sampled_from(["", "x", "_", ":"]))
                lines[i] = " ".join(words)
        else:
            lines.insert(i, draw(GARBAGE) + draw(st.text(max_size=5)))
    return "\n".join(lines) + "\n"


@pytest.mark.corpus
@pytest.mark.skipif(not CORPUS_TEXTS, reason="../shared/corpus not found")
class TestMutatedCorpus:
    """Real files with lines deleted, duplicated, swapped, names mangled, garbage inserted."""

    @settings(SETTINGS, max_examples=150)
    @given(mutated())
    def test_only_pastetrace_errors(self, text: str) -> None:
        """Every mutation ends in a result or a PastetraceError."""
        exercise(text, "corpus")
