"""Shared by the JupyterLab and Notebook 7 tests: a Jupyter server on localhost and its page.

Both front ends are the same JupyterLab components, so starting the server, opening a page that
may reach only that server, accepting the kernel dialog and running a cell are written once here.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def jupyter_server(app: str, root: Path, log_path: Path, token: str = "", env=None):
    """Run ``jupyter <app>`` (``lab`` or ``notebook``) on ``root``; yield its URL once it answers.

    The server is stopped afterwards (killed if it does not exit within 20 s); a server that
    exits or does not answer within 60 s fails the test, pointing at ``log_path``.
    """
    port = free_port()
    command = [
        str(Path(sys.executable).with_name("jupyter")), app, "--no-browser",
        f"--port={port}", "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={token}",
        "--ServerApp.password=", f"--notebook-dir={root}",
    ]  # fmt: skip
    if os.geteuid() == 0:
        command.append("--allow-root")
    log = log_path.open("w")
    server = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})}
    )
    url = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"token {token}"} if token else {}
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(
                    urllib.request.Request(f"{url}/api/status", headers=headers), timeout=2
                )
                break
            except OSError:
                if server.poll() is not None:
                    pytest.fail(f"jupyter {app} exited with {server.returncode}; see {log_path}")
                if time.monotonic() > deadline:
                    pytest.fail(f"jupyter {app} did not start within 60 s; see {log_path}")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)
        log.close()


def server_page(browser, url: str, height: int = 1000):
    """A Chromium page that may reach only the server at ``url``.

    Returns ``(context, page, errors, blocked)``: the errors the page throws and the URLs of the
    requests that were refused.
    """
    context = browser.new_context(viewport={"width": 1280, "height": height})
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


def wait_for_kernel(page, panel: str, dialog_timeout: int = 5000) -> None:
    """Accept the kernel dialog if one is shown (the venv's Python 3); wait for an idle kernel."""
    page.wait_for_selector(f"{panel} .jp-CodeCell", timeout=60000)
    select = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        select.wait_for(timeout=dialog_timeout)
        select.click()
    except PlaywrightTimeout:
        pass
    page.wait_for_selector(
        f"{panel} .jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=60000
    )


def run_cell(page, panel: str, index: int, count: int) -> None:
    """Run code cell ``index`` (from 0) with Shift+Enter; wait for execution count ``count``."""
    cell = page.locator(panel).locator(".jp-CodeCell").nth(index)
    cell.locator(".cm-content").click()
    page.keyboard.press("Shift+Enter")
    prompt = cell.locator(".jp-InputPrompt")
    deadline = time.monotonic() + 60
    while f"[{count}]" not in prompt.inner_text() and time.monotonic() < deadline:
        time.sleep(0.25)
    assert f"[{count}]" in prompt.inner_text(), f"cell {index} did not run: {cell.inner_text()}"
    errors = cell.locator("[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
    assert not any("Error" in text for text in errors), errors
