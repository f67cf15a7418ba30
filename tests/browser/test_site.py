"""Every page of the built site, opened in Chromium with the network blocked.

For each page: no console errors, no failed requests, nothing requested from another host; all
math typeset by the vendored MathJax; every image loaded; every widget rendered. A full-page
screenshot of each page is saved under test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlparse

import pytest
from bs4 import BeautifulSoup
from conftest import SITE, content_pages, reload, wait_for_widgets

PAGES = content_pages()
TOC_PAGES = ["intro.html", "chapters/quadratic_model.html", "bibliography.html"]


def test_site_has_the_toc_pages():
    missing = [page for page in TOC_PAGES if page not in PAGES]
    assert not missing, f"pages missing from the built site: {missing}"


def test_site_root_opens_the_landing_page(open_page):
    page, log = open_page("index.html", wait_math=False)
    page.wait_for_url("**/intro.html")
    assert "Gradient-based optimization" in page.title()
    assert not log.problems(), "\n".join(log.problems())


def test_a_request_cut_short_by_the_tests_reload_is_no_failure_but_a_missing_file_is(open_page):
    # A full run failed an axe test on "_static/favicon.svg (net::ERR_ABORTED)": the favicon
    # was still loading when the test reloaded the page in dark mode, and the reload cancelled
    # it. Here a request that is never answered is open when the page is reloaded.
    page, log = open_page("chapters/glossary.html")
    page.route("**/never-answered.svg", lambda route: None)
    with page.expect_request("**/never-answered.svg"):
        page.evaluate("() => { fetch('never-answered.svg').catch(() => {}); }")
    reload(page, log)
    assert log.problems() == []
    with page.expect_response("**/no-such-file.svg"):
        page.evaluate("() => { fetch('no-such-file.svg'); }")
    assert [p for p in log.problems() if "no-such-file.svg (HTTP 404)" in p], log.problems()


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_offline(open_page, artifacts_dir, path):
    page, log = open_page(path)
    wait_for_widgets(page)

    math = page.evaluate("() => __probe.math()")
    prose = page.evaluate("() => __probe.prose()")
    broken_images = page.evaluate("() => __probe.brokenImages()")
    empty_widgets = page.evaluate("() => __probe.emptyWidgets()")
    name = re.sub(r"[^A-Za-z0-9]+", "_", path.removesuffix(".html"))
    page.screenshot(path=str(artifacts_dir / f"{name}.png"), full_page=True)

    assert not log.problems(), "\n".join(log.problems())
    assert not math["errors"], f"MathJax errors: {math['errors']}"
    assert not math["untypeset"], f"math left as raw TeX: {math['untypeset'][:5]}"
    raw = re.findall(r"\$\$|\\\(|\\\[|\\begin\{", prose)
    assert not raw, f"raw TeX delimiters in the text: {raw[:5]}"
    assert not broken_images, f"images that did not load: {broken_images}"
    assert empty_widgets == 0, f"{empty_widgets} widget output(s) rendered empty"


def _ids(html_path: Path, cache: dict) -> set[str]:
    if html_path not in cache:
        soup = BeautifulSoup(html_path.read_text(encoding="utf-8"), "html.parser")
        cache[html_path] = {tag["id"] for tag in soup.find_all(id=True)} | {
            tag["name"] for tag in soup.find_all("a", attrs={"name": True})
        }
    return cache[html_path]


def test_internal_links_and_anchors_resolve():
    """Every relative link of every page points to a file of the site, and its #anchor exists."""
    broken, ids = [], {}
    for relative in PAGES:
        source = SITE / relative
        soup = BeautifulSoup(source.read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all(["a", "link", "script", "img"]):
            target = tag.get("href") or tag.get("src")
            if not target or urlparse(target).scheme or target.startswith(("//", "mailto:")):
                continue
            file_part, anchor = urldefrag(target)
            file_part = urlparse(file_part).path
            if not file_part:
                file_path = source
            elif file_part.startswith("/"):  # root-relative, as on the 404 page
                file_path = (SITE / unquote(file_part).lstrip("/")).resolve()
            else:
                file_path = (source.parent / unquote(file_part)).resolve()
            if file_path.is_dir():
                file_path = file_path / "index.html"
            if not file_path.exists():
                broken.append(f"{relative}: {target} (no such file)")
            elif anchor and file_path.suffix == ".html" and anchor not in _ids(file_path, ids):
                broken.append(f"{relative}: {target} (no element with id {anchor!r})")
    assert not broken, "\n".join(broken[:30])


def test_pages_load_nothing_from_other_hosts():
    """No page references a script or stylesheet on another host (the CDN defaults are replaced)."""
    offenders = []
    for relative in PAGES:
        soup = BeautifulSoup((SITE / relative).read_text(encoding="utf-8"), "html.parser")
        for tag in soup.find_all("script", src=True) + soup.find_all("link", rel="stylesheet"):
            url = tag.get("src") or tag.get("href")
            if urlparse(url).scheme in {"http", "https"} or url.startswith("//"):
                offenders.append(f"{relative}: {url}")
    assert not offenders, "\n".join(offenders)


@pytest.mark.parametrize("path", ["intro.html", "chapters/quadratic_model.html"])
def test_phone_width_has_no_horizontal_scroll(open_page, artifacts_dir, path):
    page, log = open_page(path, width=390, height=844)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    name = re.sub(r"[^A-Za-z0-9]+", "_", path.removesuffix(".html"))
    page.screenshot(path=str(artifacts_dir / f"phone_{name}.png"), full_page=False)
    assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at 390px width"
    assert not log.problems(), "\n".join(log.problems())


def test_search_works_offline(open_page):
    page, log = open_page("search.html?q=condition", wait_math=False)
    page.wait_for_selector("#search-results ul.search li", timeout=20000)
    hits = page.locator("#search-results ul.search li a").all_inner_texts()
    assert any("quadratic" in hit.lower() for hit in hits), hits
    assert not log.problems(), "\n".join(log.problems())
