"""Fixtures for the browser tests: the built site served on localhost, and Chromium with every
request that leaves localhost blocked (so a page that needs the network fails here)."""

from __future__ import annotations

import functools
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = ROOT / "_build" / "html"
ARTIFACTS = ROOT / "test-artifacts"
PROBE = Path(__file__).with_name("page_probe.js")
sys.path.insert(0, str(ROOT / "tools"))
from chromium import CHROMIUM_ARGS, find_chromium  # noqa: E402  (tools/ is not a package)


def content_pages() -> list[str]:
    """Every HTML page of the built site, as paths relative to the site root."""
    skip = {"_static", "_sources", "_images", "jupyter_execute", "_downloads"}
    return sorted(
        path.relative_to(SITE).as_posix()
        for path in SITE.rglob("*.html")
        if not skip.intersection(path.relative_to(SITE).parts) and not is_redirect(path)
    )


def is_redirect(path: Path) -> bool:
    """A stub page that only forwards the browser elsewhere (Jupyter Book's index.html)."""
    text = path.read_text(encoding="utf-8", errors="replace")
    return len(text) < 500 and 'http-equiv="Refresh"' in text


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):  # the test report is the log
        pass


@pytest.fixture(scope="session")
def site_url():
    if not (SITE / "index.html").exists():
        pytest.fail(f"no built site at {SITE}: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def chromium_path() -> str:
    path = find_chromium()
    if not path:
        pytest.fail(
            "Chromium not found: `make test` installs Debian's chromium package "
            "(or set GDLAB_CHROMIUM to a Chromium binary)"
        )
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@dataclass
class PageLog:
    """What went wrong while a page loaded."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)
    leaving: bool = False  # set by navigating(): what leaving a page cancels is not a failure

    @contextmanager
    def navigating(self):
        """While the test leaves the page (a reload, a followed link), the requests the old
        document still had open are cancelled, and Chromium reports them as
        ``net::ERR_ABORTED``: those are not failed requests. A file that is missing still is
        one: the next document that needs it asks for it again and gets an error status."""
        self.leaving = True
        try:
            yield
        finally:
            self.leaving = False

    def problems(self) -> list[str]:
        return [
            *(f"console error: {m}" for m in self.console_errors),
            *(f"page error: {m}" for m in self.page_errors),
            *(f"failed request: {m}" for m in self.failed_requests),
            *(f"request leaving localhost (blocked): {m}" for m in self.blocked_requests),
        ]


@pytest.fixture
def open_page(browser, site_url):
    """Open a site page offline; returns (page, log). Closes its context afterwards."""
    contexts = []

    def _open(relative_path: str, width: int = 1280, height: int = 900, wait_math: bool = True):
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        log = PageLog()

        def route(route_request):
            url = route_request.request.url
            if url.startswith(site_url) or url.startswith(("data:", "blob:")):
                route_request.continue_()
            else:
                log.blocked_requests.append(url)
                route_request.abort()

        context.route("**/*", route)
        context.add_init_script(path=str(PROBE))
        page = context.new_page()
        page.on(
            "console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None
        )
        page.on("pageerror", lambda e: log.page_errors.append(str(e)))

        def request_failed(request):
            if request.url in log.blocked_requests:
                return
            if log.leaving and request.failure == "net::ERR_ABORTED":
                return  # still loading (the favicon, say) when the test left the page
            log.failed_requests.append(f"{request.url} ({request.failure})")

        page.on("requestfailed", request_failed)
        page.on(
            "response",
            lambda r: (
                log.failed_requests.append(f"{r.url} (HTTP {r.status})")
                if r.status >= 400
                else None
            ),
        )
        page.goto(f"{site_url}/{relative_path}", wait_until="load")
        if wait_math:
            wait_for_mathjax(page)
        return page, log

    yield _open
    for context in contexts:
        context.close()


def reload(page, log: PageLog) -> None:
    """Reload ``page`` (opened by ``open_page``) and wait for its load event; what the reload
    cancels is not logged as failed (:meth:`PageLog.navigating`)."""
    with log.navigating():
        page.reload(wait_until="load")


def wait_for_mathjax(page, timeout_ms: int = 20000) -> None:
    """Wait until MathJax (if the page loads it) has typeset everything."""
    page.wait_for_function("() => __probe.mathDone()", timeout=timeout_ms)


@pytest.fixture(scope="session")
def artifacts_dir():
    path = ARTIFACTS / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


# -- the optimizer explorer on the built site (test_explorer.py, test_accessibility.py) -----------

EXPLORER_PAGE = "chapters/optimizer_explorer.html"
#: JavaScript: the explorer object of the i-th explorer on the page.
EXPLORER_VIEW = "(i) => document.querySelectorAll('.gdx')[i].parentElement.__gdlabExplorer"


def wait_for_widgets(page, timeout_ms: int = 20000) -> None:
    """Wait until every saved widget view has been replaced by a rendered view (if any)."""
    page.wait_for_function("() => __probe.allWidgetsRendered()", timeout=timeout_ms)


def open_explorer(open_page, path=EXPLORER_PAGE, **kwargs):
    """Open ``path`` with ``open_page`` and wait until its explorers are drawn."""
    page, log = open_page(path, **kwargs)
    wait_for_widgets(page)
    page.wait_for_function("() => document.querySelectorAll('.gdx').length > 0")
    return page, log


def explorer_settings(page, index=0):
    """The settings of the ``index``-th explorer on ``page``."""
    return page.evaluate(f"(i) => ({EXPLORER_VIEW})(i).settings()", index)
