"""The shipped example notebook runs (nbclient, a kernel on this interpreter) and its
rendered audit output is screenshot in headless Chromium, next to a notebook's own styles."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys
from collections.abc import Iterator

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "notebook" / "audit.ipynb"

#: What a notebook page has around an output: the scoped report must not restyle it.
_HOST = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><style>"
    "body{font-family:serif;background:#fafafa;margin:0}"
    ".jp-Cell{border:1px solid #ddd;margin:12px;padding:8px;background:#fff}"
    "h2.host{color:#0a7}</style></head><body><h2 class='host'>Notebook cell output</h2>"
    "<div class='jp-Cell'>{output}</div><h2 class='host'>Next cell</h2></body></html>"
)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # A kernel spec for this interpreter in a temporary Jupyter path, so the notebook runs on
    # this environment whatever kernels the machine has, with this checkout's sources first.
    jupyter = tmp_path_factory.mktemp("jupyter")
    spec = jupyter / "kernels" / "equilens-test"
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(
        json.dumps({"argv": argv, "display_name": "equilens test", "language": "python"}),
        encoding="utf-8",
    )
    saved = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = str(jupyter)
    try:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), *sys.path])}
        nb = nbformat.read(NOTEBOOK, as_version=4)
        client = nbclient.NotebookClient(nb, timeout=300, kernel_name="equilens-test")
        client.execute(env=env)
        yield nb
    finally:
        if saved is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = saved


@pytest.mark.slow
def test_example_notebook_runs(executed: object) -> None:
    cells = [c for c in executed.cells if c.cell_type == "code"]  # type: ignore[attr-defined]
    for cell in cells:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.source
    log_html = cells[0].outputs[0]["data"]["text/html"]
    assert log_html.startswith('<div class="equilens-nb">') and 'id="summary"' in log_html
    assert cells[2].outputs[0]["data"]["image/svg+xml"].startswith("<svg")
    assert "difference_ci_low" in cells[1].outputs[0]["data"]["text/html"]


@pytest.mark.slow
def test_screenshot_of_the_rendered_output(executed: object, tmp_path: pathlib.Path) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium)")
    cells = [c for c in executed.cells if c.cell_type == "code"]  # type: ignore[attr-defined]
    page = tmp_path / "notebook.html"
    page.write_text(
        _HOST.replace("{output}", cells[0].outputs[0]["data"]["text/html"]), encoding="utf-8"
    )
    shot = pathlib.Path(os.environ.get("EQUILENS_SCREENSHOT", tmp_path / "notebook.png"))
    subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1200,1600",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 20_000
