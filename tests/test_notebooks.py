"""The learning notebooks run top to bottom on a real Jupyter kernel and show what they promise.

Each notebook in ``examples/notebooks`` is executed once with ``nbclient`` on an IPython
kernel started from *this* interpreter (``sys.executable``): the kernelspec is written to a
temporary folder and only that folder is searched, so a ``python3`` kernel installed elsewhere
(another venv, ``~/.local/share/jupyter``) can never be picked up, and a fresh CI venv needs
nothing but the packages. Cells are found by their ``tags`` metadata.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[1] / "examples" / "notebooks"
NAMES = ["keystone", "glance", "nova"]
KERNEL = "python3"

# Jupyter's libraries warn about their own migrations (jupyter_core: "Jupyter is migrating its
# paths to use standard platformdirs"; zmq/tornado event-loop notices on some versions). They
# are not about pastetrace, and filterwarnings = error would turn them into failures.
pytestmark = [
    pytest.mark.filterwarnings("ignore:Jupyter is migrating its paths:DeprecationWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:jupyter_client.*"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:zmq.*"),
    pytest.mark.filterwarnings("ignore::RuntimeWarning:zmq.*"),
]


def read(name: str) -> dict[str, Any]:
    """The committed notebook as plain JSON (no nbformat needed)."""
    data: dict[str, Any] = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text("utf-8"))
    return data


class TestCommitted:
    """What is committed: clean notebooks a learner opens without a stale picture."""

    @pytest.mark.parametrize("name", NAMES)
    def test_has_no_outputs(self, name: str) -> None:
        """Outputs are stripped: every code cell is unexecuted and empty."""
        for cell in read(name)["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None

    @pytest.mark.parametrize("name", NAMES)
    def test_runs_on_python3(self, name: str) -> None:
        assert read(name)["metadata"]["kernelspec"]["name"] == KERNEL

    def test_one_notebook_per_service(self) -> None:
        assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(NAMES)


# -- executed on a real kernel --------------------------------------------------------------


@pytest.fixture(scope="module")
def jupyter_path(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data folder whose ``python3`` kernel runs this interpreter, first on JUPYTER_PATH.

    JUPYTER_PATH is searched before the user's and the system's folders, so no other
    ``python3`` kernelspec can win; nbclient then starts (and shuts down) its own kernels.
    """
    pytest.importorskip("nbclient", reason="the notebook tests need nbclient (test group)")
    pytest.importorskip("ipykernel", reason="the notebook tests need ipykernel (test group)")
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    spec.joinpath("kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "pastetrace tests", "language": "python"})
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("JUPYTER_PATH", str(root))
        yield root


def execute(name: str, cwd: Path) -> Any:
    """Run every cell of one notebook; a cell that raises fails the test with its traceback."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(
        nb, timeout=120, kernel_name=KERNEL, resources={"metadata": {"path": str(cwd)}}
    )
    client.execute()
    return nb


class _Executed(dict):  # type: ignore[type-arg]
    """Notebook name → the notebook after execution, each run once on first use."""

    def __init__(self, tmp_path_factory: pytest.TempPathFactory) -> None:
        super().__init__()
        self._tmp = tmp_path_factory

    def __missing__(self, name: str) -> Any:
        self[name] = execute(name, self._tmp.mktemp(name))
        return self[name]


@pytest.fixture(scope="module")
def executed(jupyter_path: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _Executed(tmp_path_factory)


def tagged(nb: Any, tag: str) -> Any:
    (cell,) = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    return cell


def text_of(cell: Any) -> str:
    """What a reader sees as text: streams, and the text/plain of results and displays."""
    parts = []
    for out in cell.outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.data.get("text/plain", ""))
    return "".join(parts)


def mimetypes_of(cell: Any) -> set[str]:
    return {
        mimetype
        for out in cell.outputs
        if out.output_type in ("execute_result", "display_data")
        for mimetype in out.data
    }


class TestExecuted:
    @pytest.mark.parametrize("name", NAMES)
    def test_no_error_outputs(self, executed: dict[str, Any], name: str) -> None:
        """Every cell ran, none left an error or wrote to stderr."""
        nb = executed[name]
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            assert cell.execution_count is not None
            for out in cell.outputs:
                assert out.output_type != "error", f"{out.ename}: {out.evalue}"
                assert out.get("name") != "stderr", out.text

    @pytest.mark.parametrize("name", NAMES)
    def test_graph_cell_displays_a_picture(self, executed: dict[str, Any], name: str) -> None:
        """The deployment is drawn: SVG from dot, or rich's HTML without it."""
        found = mimetypes_of(tagged(executed[name], "graph"))
        assert found & {"image/svg+xml", "text/html"}
        assert "text/plain" in found

    @pytest.mark.parametrize("name", NAMES)
    def test_routes_and_resolve_render(self, executed: dict[str, Any], name: str) -> None:
        """The route table and the resolution are rich renderables shown as HTML."""
        nb = executed[name]
        assert "text/html" in mimetypes_of(tagged(nb, "routes"))
        assert "text/html" in mimetypes_of(tagged(nb, "resolve"))

    @pytest.mark.parametrize("name", NAMES)
    def test_one_layers_changes_are_listed(self, executed: dict[str, Any], name: str) -> None:
        text = text_of(tagged(executed[name], "changes"))
        assert text.count("\n") >= 2 and ("+ " in text or "~ " in text)

    def test_keystone_token_replay(self, executed: dict[str, Any]) -> None:
        """POST /v2.0/tokens: 200 OK through every filter; the report is embedded as HTML."""
        cell = tagged(executed["keystone"], "replay-token")
        text = text_of(cell)
        assert "200 OK" in text and "filter:token_auth" in text
        assert "text/html" in mimetypes_of(cell)
        assert "TokenController.authenticate" in text

    def test_keystone_validation_on_admin(self, executed: dict[str, Any]) -> None:
        text = text_of(tagged(executed["keystone"], "replay-validate"))
        assert "200 OK" in text and "filter:crud_extension" in text
        assert "validate_token" in text

    def test_glance_create_shows_the_registry(self, executed: dict[str, Any]) -> None:
        """The registry's layers appear inside the api's trace, under the http calls."""
        nb = executed["glance"]
        assert "app:registryapp" in text_of(tagged(nb, "replay-create"))
        assert "201 Created" in text_of(tagged(nb, "replay-create"))
        calls = text_of(tagged(nb, "calls"))
        assert "app:registryapp → create" in calls
        assert calls.count("app:registryapp → update") == 2

    def test_nova_boot_calls_glance_and_casts(self, executed: dict[str, Any]) -> None:
        """POST /servers: keystone validates, glance describes the image, run_instance is cast."""
        nb = executed["nova"]
        boot = text_of(tagged(nb, "replay-boot"))
        assert "202 Accepted" in boot
        # Deep layers' labels are shortened to fit 100 columns: match their start.
        assert "http HEAD http://127.0.0.1:9292" in boot
        assert "ImagesController.meta" in boot
        assert "pastetrace_examples.glance.registry" in boot  # the registry's route, inside
        assert "filter:authtoken" in boot
        assert text_of(tagged(nb, "cast")).startswith("scheduler run_instance")

    def test_nova_snapshot(self, executed: dict[str, Any]) -> None:
        text = text_of(tagged(executed["nova"], "replay-snapshot"))
        assert "202 Accepted" in text and "http POST http://127.0.0.1:9292/v1/images" in text
