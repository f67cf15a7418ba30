"""`make lab`'s promise: in JupyterLab the MyST pages open as notebooks and `gdlab` imports.

Starts JupyterLab from the project's venv (as `make lab` does) on a free localhost port and drives
it with Chromium, the network blocked as in the other browser tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    port = _free_port()
    command = [
        str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser",
        f"--port={port}", "--ServerApp.ip=127.0.0.1", "--ServerApp.token=",
        "--ServerApp.password=", f"--notebook-dir={ROOT}",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    runtime = tmp_path_factory.mktemp("jupyter-runtime")
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)}
    log = (tmp_path_factory.mktemp("lab") / "lab.log").open("w")
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}; see {log.name}")
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail(f"JupyterLab did not start within 60 s; see {log.name}")
    yield url
    server.terminate()
    server.wait(timeout=20)
    log.close()


def test_page_opens_as_a_notebook_and_gdlab_imports(browser, lab_url, artifacts_dir):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    blocked = []
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(lab_url)
            else (blocked.append(route.request.url), route.abort())
        ),
    )
    page = context.new_page()
    try:
        page.goto(f"{lab_url}/lab/tree/chapters/quadratic_model.md")
        # Opened with the Jupytext notebook view (not the text editor): cells are rendered.
        page.wait_for_selector(".jp-NotebookPanel .jp-CodeCell", timeout=60000)
        page.wait_for_function(
            "() => document.querySelectorAll('.jp-NotebookPanel .jp-Cell').length >= 3",
            timeout=30000,
        )
        # A first visit may ask which kernel to use: the default is the venv's Python 3.
        select = page.locator(".jp-Dialog .jp-mod-accept")
        try:
            select.wait_for(timeout=10000)
            select.click()
        except PlaywrightTimeout:
            pass
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60000)
        # Run the setup cell (it imports gdlab) and wait for its execution count.
        first = page.locator(".jp-NotebookPanel .jp-CodeCell").first
        first.locator(".cm-content").click()
        page.keyboard.press("Shift+Enter")
        prompt = first.locator(".jp-InputPrompt")
        deadline = time.monotonic() + 60
        while "[1]" not in prompt.inner_text() and time.monotonic() < deadline:
            time.sleep(0.25)
        assert "[1]" in prompt.inner_text(), f"setup cell did not run: {prompt.inner_text()!r}"
        stderr = "[data-mime-type='application/vnd.jupyter.stderr']"
        errors = first.locator(stderr).all_inner_texts()
        assert not any("Error" in text for text in errors), errors
    finally:
        page.screenshot(path=str(artifacts_dir / "jupyterlab_quadratic_model.png"))
        context.close()
