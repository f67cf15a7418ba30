"""The features readers expect from the website, checked on the built site."""

from __future__ import annotations

import json
from pathlib import Path

import jupytext
import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import SITE

ROOT = Path(__file__).resolve().parents[2]


def soup(relative: str) -> BeautifulSoup:
    return BeautifulSoup((SITE / relative).read_text(encoding="utf-8"), "html.parser")


def notebook_pages() -> list[str]:
    """Pages of the book whose source has code cells (they are executed notebooks)."""
    pages = []
    for source in sorted((ROOT / "chapters").glob("*.md")) + sorted(ROOT.glob("exercises/*.md")):
        notebook = jupytext.read(source)
        if any(cell.cell_type == "code" for cell in notebook.cells):
            pages.append(source.relative_to(ROOT).with_suffix("").as_posix())
    return pages


@pytest.mark.parametrize("page", notebook_pages())
def test_download_buttons_offer_the_notebook_and_the_source(page):
    html = soup(f"{page}.html")
    links = {a["href"] for a in html.select(".dropdown-download-buttons a[href]")}
    ipynb = next((link for link in links if link.endswith(".ipynb")), None)
    md = next((link for link in links if link.endswith(".md")), None)
    assert ipynb and md, f"{page}: download menu has {sorted(links)}"
    base = (SITE / page).parent
    notebook = nbformat.read((base / ipynb).resolve(), as_version=4)
    nbformat.validate(notebook)
    executed = [cell for cell in notebook.cells if cell.cell_type == "code" and cell.outputs]
    assert executed, f"{page}: the downloadable notebook has no outputs"
    assert (base / md).resolve().read_text(encoding="utf-8").startswith("---")


@pytest.mark.parametrize("page", notebook_pages())
def test_launch_buttons_point_at_the_repository(page):
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repository = config["repository"]["url"].removeprefix("https://github.com/")
    links = [a["href"] for a in soup(f"{page}.html").select(".dropdown-launch-buttons a[href]")]
    binder = [link for link in links if link.startswith(config["launch_buttons"]["binderhub_url"])]
    colab = [link for link in links if link.startswith(config["launch_buttons"]["colab_url"])]
    hub = [link for link in links if link.startswith(config["launch_buttons"]["jupyterhub_url"])]
    assert binder and colab and hub, f"{page}: launch links {links}"
    assert repository in binder[0] and f"{page}.md" in binder[0]
    # Colab cannot open MyST .md: it gets the .ipynb twin (tools/make_notebooks.py).
    assert colab[0].endswith(f"{repository}/blob/notebooks/{page}.ipynb"), colab[0]


def test_favicon_and_logo_are_served():
    html = soup("intro.html")
    icon = html.find("link", rel="icon")
    assert icon and (SITE / icon["href"]).is_file()
    logos = html.select("img.logo__image")
    assert logos and all((SITE / img["src"]).is_file() for img in logos)


def test_not_found_page(open_page):
    page, log = open_page("404.html")
    assert "Page not found" in page.inner_text("article")
    with log.navigating():
        page.click("article a[href$='intro.html']")
        page.wait_for_url("**/intro.html", wait_until="load")
    assert not log.problems(), "\n".join(log.problems())


def test_execution_status_lists_every_notebook_page():
    table = soup("chapters/execution_status.html").find("table")
    assert table is not None, "the {nb-exec-table} was not rendered"
    rows = {tr.find("td").get_text(strip=True): tr for tr in table.select("tbody tr")}
    for page in notebook_pages():
        assert page in rows, f"{page} missing from the execution table: {sorted(rows)}"
        assert "✅" in rows[page].get_text(), f"{page} did not execute successfully"


def test_search_index_covers_every_page():
    index_text = (SITE / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(index_text[index_text.index("(") + 1 : index_text.rindex(")")])
    for page in notebook_pages():
        assert page in index["docnames"], f"{page} is not in the search index"
