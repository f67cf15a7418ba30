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
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import jupytext
import nbformat
import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]
EXPLORER_PAGE = "chapters/optimizer_explorer.md"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def notebook7(tmp_path_factory):
    """(url, token) of a Notebook 7 server on the project; stopped (and killed if need be) after."""
    port = _free_port()
    token = secrets.token_hex(16)
    command = [
        str(Path(sys.executable).with_name("jupyter")), "notebook", "--no-browser",
        f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
        "--ServerApp.password=", f"--notebook-dir={ROOT}",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    settings = tmp_path_factory.mktemp("notebook7-user-settings")
    docmanager = settings / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True)
    (docmanager / "plugin.jupyterlab-settings").write_text(json.dumps({"autosave": False}))
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(tmp_path_factory.mktemp("notebook7-runtime")),
        "JUPYTERLAB_SETTINGS_DIR": str(settings),
        "JUPYTERLAB_WORKSPACES_DIR": str(tmp_path_factory.mktemp("notebook7-workspaces")),
    }
    page_digest = _digest(ROOT / EXPLORER_PAGE)
    log = (tmp_path_factory.mktemp("notebook7") / "notebook7.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            request = urllib.request.Request(
                f"{url}/api/status", headers={"Authorization": f"token {token}"}
            )
            try:
                urllib.request.urlopen(request, timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"Notebook 7 exited with {server.returncode}; see {log.name}")
                if time.monotonic() > deadline:
                    pytest.fail(f"Notebook 7 did not start within 60 s; see {log.name}")
                time.sleep(0.5)
        yield url, token
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()
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


def _notebook7_page(browser, url):
    """A Chromium page that may reach only the Notebook 7 server; the page errors it throws."""
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    blocked = []

    def route(route_request):
        if route_request.request.url.startswith(url):
            route_request.continue_()
        else:
            blocked.append(route_request.request.url)
            route_request.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(error.stack or str(error)))
    return context, page, errors, blocked


def _unexpected(errors: list[str]) -> list[str]:
    return [error for error in errors if not UPSTREAM_STARTUP_ERROR.match(error)]


PANEL = ".jp-NotebookPanel"


def _wait_for_kernel(page) -> None:
    """Accept the kernel dialog if one is shown (the venv's Python 3); wait for an idle kernel."""
    page.wait_for_selector(f"{PANEL} .jp-CodeCell", timeout=60000)
    select = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        select.wait_for(timeout=5000)
        select.click()
    except PlaywrightTimeout:
        pass
    page.wait_for_selector(
        f"{PANEL} .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60000
    )


def _run_cell(page, index: int, count: int) -> None:
    """Run code cell ``index`` (from 0) with Shift+Enter; wait for execution count ``count``."""
    cell = page.locator(PANEL).locator(".jp-CodeCell").nth(index)
    cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    prompt = cell.locator(".jp-InputPrompt")
    deadline = time.monotonic() + 60
    while f"[{count}]" not in prompt.inner_text() and time.monotonic() < deadline:
        time.sleep(0.25)
    assert f"[{count}]" in prompt.inner_text(), f"cell {index} did not run: {cell.inner_text()}"
    errors = cell.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    assert not any("Error" in text for text in errors), errors


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
    context, page, errors, blocked = _notebook7_page(browser, url)
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
        _wait_for_kernel(page)
        assert page.locator(f"{PANEL} .jp-CodeCell").count() >= 3
        # The page's setup cell (imports gdlab), then its explorer cell.
        _run_cell(page, 0, 1)
        _run_cell(page, 1, 2)
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
    context, page, errors, blocked = _notebook7_page(browser, url)
    try:
        page.goto(f"{url}/notebooks/{live_page}?token={token}")
        _wait_for_kernel(page)

        # The widget renders from the kernel's model, through the anywidget extension.
        _run_cell(page, 0, 1)
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
        _run_cell(page, 1, 2)
        printed = page.locator(PANEL).locator(".jp-CodeCell").nth(1).locator(".jp-OutputArea")
        assert printed.inner_text().strip() == "kernel: t = 2"
        assert "#" not in page.url  # with a kernel, the page address is left alone
        explorer.screenshot(path=str(artifacts_dir / "notebook7_explorer_widget.png"))
        assert not _unexpected(errors), json.dumps(errors)
        assert not blocked, blocked
    finally:
        page.screenshot(path=str(artifacts_dir / "notebook7_explorer.png"))
        context.close()
