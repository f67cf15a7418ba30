"""`make notebook`'s promise: in Notebook 7 the MyST pages open as notebooks, the explorer live.

Starts Notebook 7 (`jupyter notebook`) from the project's venv on a free localhost port with a
token, and drives it with Chromium, the network blocked as in the other browser tests. The server
gets its own user-settings and workspaces folders with autosave off, so the run cannot rewrite a
page in `chapters/` (checked afterwards) and does not depend on the user's own Jupyter settings:
what it shows is what `make setup` installs (the Jupytext default viewer in overrides.json).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupyter_ui import jupyter_server, run_cell, server_page, wait_for_kernel

ROOT = Path(__file__).resolve().parents[2]
EXPLORER_PAGE = "chapters/optimizer_explorer.md"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory):
    """(url, token) of a Notebook 7 server on the project; stopped (and killed if need be) after."""
    token = secrets.token_hex(16)
    settings = tmp_path_factory.mktemp("notebook7-user-settings")
    docmanager = settings / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True)
    (docmanager / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    env = {
        "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("notebook7-runtime")),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path_factory.mktemp("notebook7-workspaces")),
    }
    page_digest = _digest(ROOT / EXPLORER_PAGE)
    log = tmp_path_factory.mktemp("notebook7") / "notebook7.log"
    with jupyter_server("notebook", ROOT, log, token=token, env=env) as url:
        yield url, token
    assert _digest(ROOT / EXPLORER_PAGE) == page_digest, f"the test run changed {EXPLORER_PAGE}"


# Notebook 7.6.5 itself throws this while starting, with every federated extension disabled too
# (`disabledExtensions` in page_config.json): JupyterLab's shortcuts plugin, bundled in
# notebook_core.js, resets its own settings schema on another plugin's late settings load before
# its own entry is in the registry. The page works regardless. Only this exact error is let
# through: anything else thrown by the page fails the test.
UPSTREAM_STARTUP_ERROR = re.compile(
    r"^TypeError: Cannot read properties of undefined \(reading 'schema'\)\n"
    r"\s+at \S+/static/notebook/notebook_core\.[0-9a-f]+\.js\S*\n"
)


def _unexpected(errors: list[str]) -> list[str]:
    return [error for error in errors if not UPSTREAM_STARTUP_ERROR.match(error)]


PANEL = ".jp-NotebookPanel"


def _assert_drawn(explorer) -> None:
    """The explorer's plots are SVGs with a size and with the level sets and runs drawn in them."""
    svgs = explorer.locator("svg.gdx-svg")
    assert svgs.count() >= 2  # the contour plot and log(f - f*) against t, at least
    for index in range(svgs.count()):
        box = svgs.nth(index).bounding_box()
        assert box and box["width"] > 50 and box["height"] > 50, box
    contour = svgs.first
    assert contour.locator("ellipse").count() > 0
    trajectories = contour.locator("path.gdx-future")
    assert trajectories.count() >= 1
    drawn = trajectories.evaluate_all("(ps) => ps.map((p) => p.getAttribute('d') || '')")
    assert all(len(d) > 20 and not re.search(r"NaN|Infinity", d) for d in drawn), drawn


def test_page_opens_as_a_notebook_with_a_live_explorer(browser, notebook7, artifacts_dir):
    url, token = notebook7
    context, page, errors, blocked = server_page(browser, url)
    try:
        # The file browser's link to a page: Notebook 7 sends it to its notebook view, and the
        # Jupytext Notebook viewer (not the text editor) opens it.
        page.goto(f"{url}/tree/{EXPLORER_PAGE}?token={token}")
        page.wait_for_selector(f"{PANEL} .jp-CodeCell, .jp-FileEditor", timeout=60000)
        assert page.locator(".jp-FileEditor").count() == 0, (
            "the page opened in the text editor: no Jupytext Notebook default viewer "
            "(overrides.json, written by make setup)"
        )
        assert page.url.split("?")[0] == f"{url}/notebooks/{EXPLORER_PAGE}"
        wait_for_kernel(page, PANEL)
        assert page.locator(f"{PANEL} .jp-CodeCell").count() >= 3
        # The page's setup cell (imports gdlab), then its explorer cell.
        run_cell(page, PANEL, 0, 1)
        run_cell(page, PANEL, 1, 2)
        explorer = page.locator(".jp-OutputArea-output .gdx")
        explorer.wait_for(timeout=60000)
        view = "() => document.querySelector('.gdx').parentElement.__gdlabExplorer"
        assert page.evaluate(f"() => ({view})().live") is True
        assert explorer.locator(".gdx-counter").inner_text() == "t = 0 of 100"
        _assert_drawn(explorer)
        assert not _unexpected(errors), json.dumps(errors)
        assert not blocked, blocked
    finally:
        page.screenshot(path=str(artifacts_dir / "notebook7_optimizer_explorer_page.png"))
        context.close()


LIVE_CELLS = [
    "from gdlab.widgets import Explorer\n\nexplorer = Explorer()\nexplorer",
    'print(f"kernel: t = {explorer.t}")',
]


@pytest.fixture
def live_page():
    """A MyST notebook under the server's root (in _build, which git ignores) with LIVE_CELLS."""
    folder = ROOT / "_build" / "notebook7-tests"
    folder.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in LIVE_CELLS]
    path = folder / "explorer_live.md"
    jupytext.write(notebook, path, fmt="md:myst")
    yield path.relative_to(ROOT).as_posix()
    path.unlink(missing_ok=True)


def test_explorer_is_live_in_notebook7(browser, notebook7, live_page, artifacts_dir):
    url, token = notebook7
    context, page, errors, blocked = server_page(browser, url)
    try:
        page.goto(f"{url}/notebooks/{live_page}?token={token}")
        wait_for_kernel(page, PANEL)

        # The widget renders from the kernel's model, through the anywidget extension.
        run_cell(page, PANEL, 0, 1)
        explorer = page.locator(".jp-OutputArea-output .gdx")
        explorer.wait_for(timeout=60000)
        view = "() => document.querySelector('.gdx').parentElement.__gdlabExplorer"
        assert page.evaluate(f"() => ({view})().live") is True
        counter = explorer.locator(".gdx-counter")
        steps = page.evaluate(f"() => ({view})().settings().steps")
        assert counter.inner_text() == f"t = 0 of {steps}"
        _assert_drawn(explorer)

        # Step advances the counter and the drawing, by mouse and from the keyboard.
        step = explorer.get_by_role("button", name="Step")
        step.click()
        assert counter.inner_text() == f"t = 1 of {steps}"
        step.focus()
        page.keyboard.press("Enter")  # the button's, not the notebook's command mode
        assert counter.inner_text() == f"t = 2 of {steps}"
        assert explorer.locator("svg.gdx-svg").first.locator("path.gdx-past").count() >= 1

        # The kernel sees the new t.
        run_cell(page, PANEL, 1, 2)
        printed = page.locator(PANEL).locator(".jp-CodeCell").nth(1).locator(".jp-OutputArea")
        assert printed.inner_text().strip() == "kernel: t = 2"
        assert "#" not in page.url  # with a kernel, the page address is left alone
        explorer.screenshot(path=str(artifacts_dir / "notebook7_explorer_widget.png"))
        assert not _unexpected(errors), json.dumps(errors)
        assert not blocked, blocked
    finally:
        page.screenshot(path=str(artifacts_dir / "notebook7_explorer.png"))
        context.close()
