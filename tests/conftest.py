"""Shared test helpers: the real corpus at ``../shared/corpus`` and the ``dot`` marker."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
# Never collected (--doctest-modules would import it): the static reader must not import it.
collect_ignore = ["poison_pkg"]
_MISSING = "../shared/corpus not found: the real paste files live there (see README)"


def corpus_files() -> list[pytest.ParameterSet]:
    """Every paste file of the corpus (all but the notes), as params with relative-path ids."""
    if not CORPUS.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=_MISSING), id="no-corpus")]
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md")
    return [pytest.param(p, id=p.relative_to(CORPUS).as_posix()) for p in files]


@pytest.fixture
def corpus() -> Path:
    """The corpus folder, or a skip that says where it should be."""
    if not CORPUS.is_dir():
        pytest.skip(_MISSING)
    return CORPUS


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip ``@pytest.mark.dot`` tests, saying why, when Graphviz ``dot`` is not installed."""
    if shutil.which("dot") is not None:
        return
    skip = pytest.mark.skip(reason="needs the Graphviz `dot` binary on PATH (not found)")
    for item in items:
        if item.get_closest_marker("dot") is not None:
            item.add_marker(skip)
