"""`make lab`'s promise: in JupyterLab the MyST pages open as notebooks and `gdlab` imports.

Starts JupyterLab from the project's venv (as `make lab` does) on a free localhost port and drives
it with Chromium, the network blocked as in the other browser tests.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from jupyter_ui import jupyter_server, run_cell, server_page, wait_for_kernel

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    """URL of a JupyterLab server on the project (no token), as `make lab` starts it."""
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    log = tmp_path_factory.mktemp("lab") / "lab.log"
    with jupyter_server("lab", ROOT, log, env={"JUPYTER_RUNTIME_DIR": str(runtime)}) as url:
        yield url


def test_page_opens_as_a_notebook_and_gdlab_imports(browser, lab_url, artifacts_dir):
    context, page, _, _ = server_page(browser, lab_url, height=900)
    try:
        page.goto(f"{lab_url}/lab/tree/chapters/quadratic_model.md")
        # Opened with the Jupytext notebook view (not the text editor): cells are rendered.
        page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=60000)
        page.wait_for_function(
            "() => document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length >= 3",
            timeout=30000,
        )
        # A first visit may ask which kernel to use: the default is the venv's Python 3.
        wait_for_kernel(page, ".jp-NotebookPanel", dialog_timeout=10000)
        # Run the setup cell (it imports gdlab) and wait for its execution count.
        run_cell(page, ".jp-NotebookPanel", 0, 1)
    finally:
        page.screenshot(path=str(artifacts_dir / "jupyterlab_quadratic_model.png"))
        context.close()


# The notebook shown (JupyterLab keeps the other open tabs' panels in the page, hidden).
PANEL = ".jp-NotebookPanel:visible"


LIVE_CELLS = [
    # 0: the explorer, live (the kernel holds the same settings)
    "from gdlab.widgets import Explorer\n\n"
    'explorer = Explorer(method="heavy_ball", kappa=100).tune()\n'
    "explorer",
    # 1: what the kernel sees after the reader pressed Step
    'print(f"kernel: t = {explorer.t}, lr = {explorer.lr!r}")',
    # 2: your own step: a correct heavy ball
    "def my_heavy_ball(w, problem, lr, beta, state):\n"
    '    previous = state.get("previous", w)\n'
    '    state["previous"] = w\n'
    "    return w - lr * problem.grad(w) + beta * (w - previous)\n\n\n"
    'explorer.use_step(my_heavy_ball, label="my heavy ball");',
    # 3: a wrong one: the momentum term forgotten
    'explorer.use_step(lambda w, problem, lr: w - lr * problem.grad(w), label="no momentum");',
]


@pytest.fixture
def live_notebook():
    """A notebook under the Lab's root (in _build, which git ignores) with LIVE_CELLS."""
    folder = ROOT / "_build" / "lab-tests"
    folder.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in LIVE_CELLS]
    path = folder / "explorer_live.ipynb"
    nbformat.write(notebook, path)
    yield path.relative_to(ROOT).as_posix()
    path.unlink(missing_ok=True)


def _gap(text: str) -> tuple[float, float]:
    """The gap and the largest gap from the explorer's line about your step."""
    match = re.search(r"gap .* = (\S+) at t = \d+, largest so far (\S+)", text)
    assert match, text
    return float(match[1]), float(match[2])


def test_explorer_is_live_in_jupyterlab(browser, lab_url, live_notebook, artifacts_dir):
    context, page, errors, _ = server_page(browser, lab_url)
    try:
        # A workspace of its own: the default one reopens the other test's tabs.
        page.goto(f"{lab_url}/lab/workspaces/explorer-live/tree/{live_notebook}")
        wait_for_kernel(page, PANEL)

        # The widget renders from the kernel's model, through the anywidget Lab extension.
        run_cell(page, PANEL, 0, 1)
        explorer = page.locator(".jp-OutputArea-output .gdx")
        explorer.wait_for(timeout=60000)
        view = "() => document.querySelector('.gdx').parentElement.__gdlabExplorer"
        assert page.evaluate(f"() => ({view})().live") is True
        counter = explorer.locator(".gdx-counter")
        assert counter.inner_text() == "t = 0 of 100"
        assert explorer.locator(".gdx-contours ellipse").count() == 12
        assert explorer.locator("path.gdx-future.gdx-m-heavy_ball").count() == 1
        assert explorer.get_by_role("radio", name="Heavy ball").is_checked()

        # Step works, and the kernel sees it.
        explorer.get_by_role("button", name="Step").click()
        assert counter.inner_text() == "t = 1 of 100"
        # From the keyboard too: Enter on a focused button is the button's, not the notebook's
        # (whose command mode would take it to enter the cell's editor).
        explorer.get_by_role("button", name="Step").focus()
        page.keyboard.press("Enter")
        assert counter.inner_text() == "t = 2 of 100"
        assert explorer.locator("path.gdx-past.gdx-m-heavy_ball").count() == 1
        run_cell(page, PANEL, 1, 2)
        printed = page.locator(PANEL).locator(".jp-CodeCell").nth(1).locator(".jp-OutputArea")
        lr = page.evaluate(f"() => ({view})().settings().lr")
        assert printed.inner_text().strip() == f"kernel: t = 2, lr = {lr!r}"
        assert "#" not in page.url  # with a kernel, the page address is left alone

        # use_step: your trajectory over the reference, and the gap between them.
        run_cell(page, PANEL, 2, 3)
        user_line = explorer.locator(".gdx-user")
        page.wait_for_function(
            "() => document.querySelector('.gdx-user').textContent.includes('gap')"
        )
        assert user_line.inner_text().startswith("my heavy ball (dashed) against Heavy ball")
        gap, largest = _gap(user_line.inner_text())
        assert gap < 1e-12 and largest < 1e-12  # the same iterates, to rounding
        contour = explorer.locator("svg.gdx-svg").first
        assert contour.locator("path.gdx-past.gdx-user-path").count() == 1  # drawn up to t
        # Moving a slider in the browser re-runs your step in the kernel for the new settings.
        user_lr_before = page.evaluate(f"() => ({view})().model.get('user_settings').lr")
        explorer.get_by_label("\u03b7 (learning rate)", exact=True).focus()
        page.keyboard.press("ArrowRight")
        new_lr = page.evaluate(f"() => ({view})().settings().lr")
        assert new_lr > user_lr_before
        page.wait_for_function(
            f"() => ({view})().model.get('user_settings').lr === {new_lr!r}", timeout=30000
        )
        page.wait_for_function(
            "() => document.querySelector('.gdx-user').textContent.includes('gap')"
        )
        gap, largest = _gap(user_line.inner_text())
        assert largest < 1e-12
        # A wrong step shows a gap that grows.
        run_cell(page, PANEL, 3, 4)
        page.wait_for_function(
            "() => document.querySelector('.gdx-user').textContent.startsWith('no momentum')"
        )
        for _ in range(8):
            explorer.get_by_role("button", name="Step").click()
        gap, largest = _gap(user_line.inner_text())
        assert gap > 1e-3 and largest >= gap
        paths = explorer.locator("path.gdx-user-path")
        assert paths.count() >= 2  # in the contour plot and in the f - f* plot
        assert not [
            d
            for d in paths.evaluate_all("(ps) => ps.map((p) => p.getAttribute('d'))")
            if re.search(r"NaN|Infinity", d or "")
        ]
        explorer.screenshot(path=str(artifacts_dir / "jupyterlab_explorer_use_step.png"))
        assert not errors, json.dumps(errors)
    finally:
        page.screenshot(path=str(artifacts_dir / "jupyterlab_explorer.png"))
        context.close()
