"""How long reading a paste file takes, and how cold `pastetrace graph` starts.

Run: ``.venv/bin/python benchmarks/bench_graph.py [--runs N]``. Prints a table of per-file
CPU milliseconds (``Deployment`` plus ``pastetrace.graph.build_graph``), the 5,000 / 500 section
ratio with the cost per reference (linear: the same at both sizes), and the median cold start of
``pastetrace graph FILE --format json`` against a bare ``python -c "import typer, rich"``.
"""

from __future__ import annotations

import argparse
import compileall
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pastetrace.config import Deployment

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
VENV_BIN = Path(sys.executable).parent

try:
    from pastetrace.graph import build_graph
except ImportError:  # the graph module is not there yet: measure just the reader
    build_graph = None


def generate(sections: int) -> str:
    """A paste file of about ``sections`` sections: urlmaps, composites, pipelines, apps."""
    lines = ["[DEFAULT]", "debug = false", ""]
    groups = max(1, sections // 20)
    filters_per_pipeline = [5 + (i % 16) for i in range(groups)]  # 5-20 filters
    n_filters = max(filters_per_pipeline)
    urlmap_keys = [f"/v{i} = api{i}" for i in range(groups)]
    lines += ["[composite:main]", "use = egg:Paste#urlmap", *urlmap_keys, ""]
    for f in range(n_filters):
        lines += [f"[filter:f{f}]", f"paste.filter_factory = bench.filters:f{f}", f"opt = {f}", ""]
    count = 1 + n_filters
    i = 0
    while count < sections:
        chain = " ".join(f"f{f}" for f in range(filters_per_pipeline[i % groups]))
        lines += [
            f"[composite:api{i}]",
            "use = call:nova.api.auth:pipeline_factory_v21",
            f"keystone = {chain} app{i}",
            f"noauth2 = f0 app{i}",
            "",
            f"[pipeline:pipe{i}]",
            f"pipeline = {chain}",
            f"    app{i}",
            "",
            f"[app:app{i}]",
            f"paste.app_factory = bench.apps:app{i}",
            f"root = %(here)s/{i}",
            "",
        ]
        count += 3
        i += 1
    return "\n".join(lines)


def best_ms(fn: Callable[[], object], runs: int) -> float:
    """The fastest of ``runs`` calls, in CPU milliseconds (steadier than wall time on a VM)."""
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return min(times) * 1000


def read(path: Path) -> object:
    deployment = Deployment(path)
    if build_graph is not None:
        return build_graph(deployment, strict=False)
    deployment.entries()
    return deployment


def cold_pair(first: list[str], second: list[str], runs: int) -> tuple[float, float]:
    """Median wall times (ms) of fresh processes, the two commands taking turns."""
    times: tuple[list[float], list[float]] = ([], [])
    for i in range(runs + 1):
        for command, bucket in ((first, times[0]), (second, times[1])):
            start = time.perf_counter()
            subprocess.run(command, check=True, capture_output=True)
            if i:  # the first round only warms the OS file cache
                bucket.append(time.perf_counter() - start)
    return statistics.median(times[0]) * 1000, statistics.median(times[1]) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per measurement (default 7)")
    args = parser.parse_args()
    what = "Deployment + build_graph" if build_graph is not None else "Deployment only"
    print(f"reading ({what}), best of {args.runs} runs, CPU time")
    rows: list[tuple[str, int, float]] = []
    files = sorted(p for p in CORPUS.rglob("*") if p.is_file() and p.suffix != ".md")
    for path in files:
        sections = len(Deployment(path).sections)
        rows.append(
            (
                path.relative_to(CORPUS).as_posix(),
                sections,
                best_ms(lambda p=path: read(p), args.runs),
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        generated: dict[int, tuple[float, int]] = {}
        for size in (500, 5000):
            path = Path(tmp) / f"generated-{size}.ini"
            path.write_text(generate(size), encoding="utf-8")
            deployment = Deployment(path)
            references = sum(len(deployment.references(s)) for s in deployment.sections)
            ms = best_ms(lambda p=path: read(p), max(3, args.runs // 2))
            generated[size] = (ms, references)
            rows.append((f"generated-{size}.ini", len(deployment.sections), ms))
        width = max(len(name) for name, _, _ in rows)
        print(f"{'file':<{width}}  sections        ms")
        for name, sections, ms in rows:
            print(f"{name:<{width}}  {sections:>8}  {ms:>8.2f}")
        (small, small_refs), (big, big_refs) = generated[500], generated[5000]
        print(
            f"5,000 / 500 sections: {big / small:.1f}x the time for {big_refs / small_refs:.1f}x "
            f"the references; per reference {1000 * small / small_refs:.1f} µs vs "
            f"{1000 * big / big_refs:.1f} µs ({big / big_refs / (small / small_refs):.2f}x; "
            "linear = 1.00x)"
        )

    sample = CORPUS / "nova" / "api-paste.ini"
    if not sample.exists():
        sample = ROOT / "tests" / "data" / "differential" / "basic.ini"
    # An installed package is byte-compiled by pip; an editable checkout under
    # PYTHONDONTWRITEBYTECODE would otherwise recompile pastetrace on every start.
    compileall.compile_dir(str(ROOT / "pastetrace"), quiet=1)
    bare = [sys.executable, "-c", "import typer, rich"]
    runs = max(args.runs, 15)
    for fmt in ("json", "tree"):
        graph = [str(VENV_BIN / "pastetrace"), "graph", str(sample), "--format", fmt]
        base, ours = cold_pair(bare, graph, runs)
        print(
            f"cold start, median of {runs} interleaved: python -c 'import typer, rich' "
            f"{base:.0f} ms; pastetrace graph {sample.name} --format {fmt} {ours:.0f} ms; "
            f"ratio {ours / base:.2f}x (goal ≤ 1.5x)"
        )


if __name__ == "__main__":
    main()
