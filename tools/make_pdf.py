"""Print the built website as one PDF: ``_build/pdf/companion.pdf``.

The route (measured; see the commit that chose it): the pages of ``_build/html`` (``make book``)
are gathered, in the order of ``_toc.yml``, into one print document next to the site, which
Debian's Chromium prints once through Playwright's ``page.pdf``. One document gives, with no
joining: page numbers that run through the book, internal links (every ``href`` between pages
becomes an in-document anchor), bookmarks from the headings, a tagged PDF and selectable text,
math typeset by the site's own MathJax. The table of contents gets its page numbers from a first
print: pypdf reads where each heading's named destination landed, the numbers are filled in and
the document is printed again (the second print is checked to put every heading on the same page).

Each interactive explorer is replaced by a still of its default view, screenshotted from the
built site in Chromium, with a line that gives the page's web address. Collapsed content never
prints as an empty box: hidden code cells and the "How this page is checked" ledgers are left
out, every other dropdown prints open. No network is used: the site is served on localhost and
every other request is blocked.

Usage: python tools/make_pdf.py [--site _build/html] [--out _build/pdf/companion.pdf]
"""

from __future__ import annotations

import argparse
import base64
import functools
import html
import io
import logging
import posixpath
import re
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import yaml
from bs4 import BeautifulSoup, Tag
from chromium import CHROMIUM_ARGS, find_chromium

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
OUT = ROOT / "_build" / "pdf" / "companion.pdf"
# Where the PDF is published on the site (the download button links here) and the flag script
# that shows the button; _ext/pdf_download.py writes the "not built" version at every book build.
SITE_PDF = "_downloads/companion.pdf"
FLAG_SCRIPT = "_static/companion-pdf.js"
PRINT_CSS = "_static/companion-print.css"
WORK_DIR = "_pdf"  # the print document, inside the site so its relative paths resolve

# Pages of _toc.yml that are not for the paper version, and why.
LEFT_OUT = {
    "exercises/instructor_guide": "the grading workflow, for instructors only",
    "chapters/execution_status": "the build's own execution report",
}

# Explorer stills are taken at this scale: an explorer about 800 px wide becomes 1600 px, about
# 230 ppi across the 17.4 cm it fills on A4 (3x: 300 ppi, but 0.7 MB more per still).
STILL_SCALE = 2
MARGIN = {"top": "18mm", "bottom": "20mm", "left": "18mm", "right": "18mm"}
FOOTER = (
    '<div style="width:100%;font-size:9px;font-family:sans-serif;color:#555;'
    'text-align:center;"><span class="pageNumber"></span></div>'
)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
STILL_CSS = (
    ".bd-header, .bd-header-article, .bd-sidebar-primary, .bd-sidebar-secondary, .skip-link "
)
STILL_CSS += "{ display: none !important; }"
# Dollar math left in text (bibliography entries render the .bib's $...$ as text).
DOLLAR_MATH = re.compile(r"\$([^$\n]+)\$")


@dataclass
class BookPage:
    """One page of the PDF, in the order of ``_toc.yml``."""

    docname: str
    depth: int  # 0 for a chapter of the table of contents, 1 for its sections, ...
    part: str | None  # the caption of the part the page is in
    title: str = ""
    anchor: str = ""
    sections: list[tuple[str, str]] = field(default_factory=list)  # (anchor, title) of its h2s
    body: str = ""
    widgets: int = 0


def book_pages(root: Path = ROOT) -> list[BookPage]:
    """The pages of ``_toc.yml`` in order, without those in ``LEFT_OUT``."""
    from sphinx_external_toc.parsing import parse_toc_yaml

    site_map = parse_toc_yaml(root / "_toc.yml")
    pages: list[BookPage] = []

    def walk(docname: str, depth: int, part: str | None) -> None:
        if docname not in LEFT_OUT:
            pages.append(BookPage(docname, depth, part))
        is_root = docname == site_map.root.docname
        for subtree in site_map[docname].subtrees:
            for item in subtree.items:
                if isinstance(item, str):  # a page (URL entries are not pages)
                    # The root's subtrees are the parts; below them, sections nest.
                    if is_root:
                        walk(item, 0, subtree.caption)
                    else:
                        walk(item, depth + 1, part)

    walk(site_map.root.docname, 0, None)
    return pages


def book_config(root: Path = ROOT) -> dict:
    return yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))


def web_address(config: dict, docname: str) -> str:
    """The page's address on the web: under ``html.baseurl`` when the site URL is set, else the
    page's source in the repository (from ``repository.url`` and ``repository.branch``)."""
    base = (config.get("html") or {}).get("baseurl")
    if base:
        return f"{base.rstrip('/')}/{docname}.html"
    repository = config.get("repository") or {}
    url = repository.get("url", "").rstrip("/")
    branch = repository.get("branch", "main")
    path = repository.get("path_to_book", "")
    source = posixpath.join(path, docname) if path else docname
    return f"{url}/blob/{branch}/{source}.md"


def slug(docname: str) -> str:
    return "p-" + re.sub(r"[^A-Za-z0-9]+", "-", docname)


# ---------------------------------------------------------------------------------------------
# Gathering the pages


def _site_path(page_dir: str, url: str) -> str:
    """A relative URL of a page in ``page_dir`` as a path from the site root."""
    return posixpath.normpath(posixpath.join(page_dir, url)).lstrip("/")


def gather(page: BookPage, site: Path, docnames: dict[str, str], config: dict) -> None:
    """Read the page's built HTML into ``page.body``, ready for the print document."""
    path = site / f"{page.docname}.html"
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run `make book` first")
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article")
    if article is None:
        raise ValueError(f"{path} has no <article class='bd-article'>: not a page of the book")
    page_dir = posixpath.dirname(page.docname)
    prefix = slug(page.docname)

    # Navigation and interaction chrome that has no meaning on paper.
    for node in article.select("a.headerlink, .copybtn, button, .thebe-launch-button"):
        node.decompose()
    # Collapsed sections: the claims ledger and hidden code are left out (as on the site,
    # where they are closed); a hidden output too. Every other dropdown prints open.
    for node in article.select("details.gdlab-claims"):
        heading_section = node.find_parent("section")
        node.decompose()
        if heading_section is not None and _only_heading_left(heading_section):
            heading_section.decompose()
    for node in article.select("details.hide"):
        node.decompose()
    for node in article.select("details"):
        node["open"] = ""
    for node in article.select(".toggle-hidden"):
        node["class"] = [c for c in node.get("class", []) if c != "toggle-hidden"]

    # Widgets: a placeholder the stills replace (see ``explorer_stills``).
    for index, script in enumerate(article.find_all("script", type=WIDGET_VIEW)):
        figure = soup.new_tag("figure", attrs={"class": "pdf-still", "data-widget": str(index)})
        script.replace_with(figure)
        page.widgets += 1
    for script in article.find_all("script"):
        script.decompose()

    _typeset_dollar_math(soup, article)

    # Headings: the page's title is a top-level bookmark; a section of _toc.yml is nested
    # under its chapter by moving its headings down one level.
    h1 = article.find("h1")
    if h1 is None:
        raise ValueError(f"{page.docname} has no title (<h1>)")
    page.title = _text(h1)
    # The contents point at headings (a section can start at the foot of a page whose heading
    # is moved on to the next, with what follows it).
    page.anchor = f"{prefix}--title"
    h1["id"] = "title"
    if page.depth:
        for heading in article.find_all(re.compile(r"^h[1-6]$")):
            level = int(heading.name[1])
            heading.name = f"h{min(level + page.depth, 6)}"

    # Ids and links: every id gets the page's prefix, so links between pages become links
    # inside the document; links to pages not in the PDF go to their web address.
    for node in article.find_all(id=True):
        node["id"] = f"{prefix}--{node['id']}"
    for link in article.find_all("a", href=True):
        link["href"] = _rewrite_href(link["href"], page_dir, prefix, docnames, config)
    for node in article.find_all(["img", "source"], src=True):
        src = node["src"]
        if not urlsplit(src).scheme and not src.startswith("/"):
            node["src"] = "/" + _site_path(page_dir, src)
    for node in article.find_all(srcset=True):
        del node["srcset"]

    for section in article.find_all("section"):
        heading = section.find(re.compile(r"^h[1-6]$"), recursive=False)
        if heading is not None and heading.name == f"h{2 + page.depth}" and section.get("id"):
            heading["id"] = f"{section['id']}--title"
            page.sections.append((heading["id"], _text(heading)))

    body = "".join(str(child) for child in article.children)
    page.body = (
        f'<section class="pdf-page pdf-depth-{page.depth}" id="{prefix}" '
        f'data-docname="{html.escape(page.docname)}">{body}</section>'
    )


def _typeset_dollar_math(soup: BeautifulSoup, article: Tag) -> None:
    """Give MathJax the ``$...$`` left as text outside code and math (the bibliography shows
    the .bib file's titles as written, dollars included)."""
    for text in list(article.find_all(string=DOLLAR_MATH)):
        if text.find_parent(["pre", "code", "script", "style"]) or text.find_parent(class_="math"):
            continue
        pieces = DOLLAR_MATH.split(str(text))
        nodes = []
        for index, piece in enumerate(pieces):
            if index % 2:
                span = soup.new_tag("span", attrs={"class": "math notranslate nohighlight"})
                span.string = f"\\({piece}\\)"
                nodes.append(span)
            elif piece:
                nodes.append(piece)
        text.replace_with(*nodes)


def _only_heading_left(section: Tag) -> bool:
    """A section that holds only its heading (its content was left out)."""
    children = [c for c in section.children if isinstance(c, Tag)]
    return len(children) == 1 and re.fullmatch(r"h[1-6]", children[0].name) is not None


def _text(node: Tag) -> str:
    return " ".join(node.get_text(" ").split())


def _rewrite_href(
    href: str, page_dir: str, prefix: str, docnames: dict[str, str], config: dict
) -> str:
    if href.startswith("#"):
        return f"#{prefix}--{href[1:]}" if len(href) > 1 else f"#{prefix}"
    if urlsplit(href).scheme or href.startswith(("//", "mailto:")):
        return href
    target, fragment = urldefrag(href)
    path = _site_path(page_dir, target)
    if path.endswith(".html"):
        docname = path[: -len(".html")]
        if docname in docnames:
            anchor = docnames[docname]
            return f"#{anchor}--{fragment}" if fragment else f"#{anchor}"
        if docname in ("index", ""):
            return f"#{docnames[next(iter(docnames))]}"
        if docname in LEFT_OUT:
            address = web_address(config, docname)
            return address
    # Anything else of the site (a download, the index, the search page): the web version.
    base = (config.get("html") or {}).get("baseurl")
    if base:
        return f"{base.rstrip('/')}/{path}" + (f"#{fragment}" if fragment else "")
    return (config.get("repository") or {}).get("url", href)


# ---------------------------------------------------------------------------------------------
# The print document


def _head_links(site: Path, docname: str) -> str:
    """The stylesheets and the MathJax set-up of a built page, as links from the print document."""
    soup = BeautifulSoup((site / f"{docname}.html").read_text(encoding="utf-8"), "html.parser")
    page_dir = posixpath.dirname(docname)
    parts = []
    for link in soup.head.find_all("link", rel="stylesheet"):
        parts.append(f'<link rel="stylesheet" href="/{_site_path(page_dir, link["href"])}">')
    for script in soup.head.find_all("script"):
        text = script.string or ""
        if "window.MathJax" in text:
            parts.append(f"<script>{text}</script>")
        elif "mathjax" in script.get("src", ""):
            parts.append(f'<script defer src="/{_site_path(page_dir, script["src"])}"></script>')
    return "\n".join(parts)


def title_page(config: dict) -> str:
    title = html.escape(config.get("title", "Companion"))
    author = html.escape(config.get("author", ""))
    copyright_ = html.escape(str(config.get("copyright", "")))
    repository = html.escape((config.get("repository") or {}).get("url", ""))
    base = (config.get("html") or {}).get("baseurl")
    web = html.escape(base or repository)
    return (
        '<div class="pdf-title-page" role="doc-cover">'
        f'<p class="pdf-title">{title}</p>'
        '<p class="pdf-subtitle">A companion to Chapter 4, '
        "“Gradient-based Optimization and its Analysis”</p>"
        f'<p class="pdf-author">{author}</p>'
        '<p class="pdf-edition">The printable edition of the companion website: every page '
        "executed, its interactive explorers shown as stills. Explore them on the web: "
        f'<a href="{web}">{web}</a></p>'
        f'<p class="pdf-copyright">© {copyright_} {author}</p>'
        "</div>"
    )


def contents(pages: list[BookPage], numbers: dict[str, int] | None) -> str:
    """The table of contents; ``numbers`` maps anchors to page numbers (None: placeholders)."""

    def number(anchor: str) -> str:
        return str(numbers[anchor]) if numbers else "000"

    rows = []
    part = None
    for page in pages:
        if page.part != part and page.part:
            rows.append(f'<li class="pdf-toc-part">{html.escape(page.part)}</li>')
            part = page.part
        rows.append(
            f'<li class="pdf-toc-page pdf-toc-depth-{page.depth}">'
            f'<a href="#{page.anchor}"><span class="pdf-toc-title">{html.escape(page.title)}'
            f'</span><span class="pdf-toc-number">{number(page.anchor)}</span></a></li>'
        )
        for anchor, title in page.sections:
            rows.append(
                f'<li class="pdf-toc-section pdf-toc-depth-{page.depth}">'
                f'<a href="#{anchor}"><span class="pdf-toc-title">{html.escape(title)}'
                f'</span><span class="pdf-toc-number">{number(anchor)}</span></a></li>'
            )
    return (
        '<nav class="pdf-toc" aria-label="Contents"><p class="pdf-toc-heading">Contents</p>'
        f"<ol>{''.join(rows)}</ol></nav>"
    )


def document(head: str, config: dict, pages: list[BookPage], numbers) -> str:
    title = html.escape(config.get("title", "Companion"))
    body = "\n".join(page.body for page in pages)
    return (
        '<!DOCTYPE html>\n<html lang="en" data-theme="light" data-mode="light">'
        f'<head><meta charset="utf-8"><title>{title}</title>{head}'
        f'<link rel="stylesheet" href="/{PRINT_CSS}"></head>'
        f'<body class="pdf-book"><main class="bd-article">{title_page(config)}'
        f"{contents(pages, numbers)}{body}</main></body></html>"
    )


# ---------------------------------------------------------------------------------------------
# Chromium


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


class SiteServer:
    """The built site on localhost, for as long as the ``with`` block lasts."""

    def __init__(self, site: Path):
        handler = functools.partial(_QuietHandler, directory=str(site))
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def chromium_path() -> str:
    path = find_chromium()
    if not path:
        raise SystemExit("Chromium not found: install Debian's chromium (make system-deps)")
    return path


def _offline(context, site_url: str) -> None:
    def route(request_route):
        url = request_route.request.url
        if url.startswith(site_url) or url.startswith(("data:", "blob:")):
            request_route.continue_()
        else:
            request_route.abort()

    context.route("**/*", route)


WIDGETS_RENDERED = """() => Array.from(document.querySelectorAll(
    'script[type="application/vnd.jupyter.widget-view+json"]')).every(tag => {
        const view = tag.previousElementSibling;
        return view && view.classList.contains('widget-subarea') && view.children.length > 0
               && view.getBoundingClientRect().height >= 5;
    })"""


def explorer_stills(browser, site_url: str, page: BookPage) -> list[tuple[bytes, bool]]:
    """PNG stills of the page's widgets in their default view, in page order, from the built
    site; the flag says whether the widget is the optimizer explorer."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 1000}, device_scale_factor=STILL_SCALE
    )
    try:
        _offline(context, site_url)
        tab = context.new_page()
        tab.goto(f"{site_url}/{page.docname}.html", wait_until="load")
        tab.wait_for_function(WIDGETS_RENDERED, timeout=60000)
        # Two animation frames: the explorer draws its first view after it is attached.
        tab.evaluate(
            "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        views = tab.locator(f'script[type="{WIDGET_VIEW}"]')
        count = views.count()
        if count != page.widgets:
            raise RuntimeError(
                f"{page.docname}: {count} widgets on the site, {page.widgets} in its HTML"
            )
        # The theme's sticky header would lie over an element scrolled into view.
        tab.add_style_tag(content=STILL_CSS)
        stills = []
        for index in range(count):
            view = tab.locator(f".widget-subarea:has(+ script[type='{WIDGET_VIEW}'])").nth(index)
            explorer = view.locator(".gdx")
            is_explorer = explorer.count() > 0
            target = explorer.first if is_explorer else view
            target.scroll_into_view_if_needed()
            stills.append((target.screenshot(type="png", animations="disabled"), is_explorer))
        return stills
    finally:
        context.close()


def _still_html(png: bytes, is_explorer: bool, address: str, title: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    what = "the optimizer explorer" if is_explorer else "an interactive widget"
    alt = f"A still of {what} on the page “{title}”, in its default view."
    return (
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
        f'<figcaption class="pdf-still-note">A still of {what} in its default view; it is '
        f'interactive on the web: <a href="{html.escape(address)}">{html.escape(address)}</a>'
        "</figcaption>"
    )


PDF_OPTIONS = {
    "format": "A4",
    "margin": MARGIN,
    "print_background": True,
    "display_header_footer": True,
    "header_template": "<span></span>",
    "footer_template": FOOTER,
}
# Chromium titles a bookmark of a heading that wraps with its first line twice: the titles are
# set again from the headings, in document order (math as the text of its MathML).
HEADING_TITLES = """() => Array.from(document.querySelectorAll(
    '.pdf-page h1, .pdf-page h2, .pdf-page h3, .pdf-page h4, .pdf-page h5, .pdf-page h6'))
    .map(heading => {
        const copy = heading.cloneNode(true);
        copy.querySelectorAll('mjx-container').forEach(math => {
            const mml = math.querySelector('mjx-assistive-mml');
            math.replaceWith(document.createTextNode(mml ? mml.textContent : ''));
        });
        return copy.textContent.replace(/\\s+/g, ' ').trim();
    })"""
FILL_CONTENTS = """(numbers) => {
    for (const [anchor, number] of Object.entries(numbers)) {
        document.querySelector(`.pdf-toc a[href="#${anchor}"] .pdf-toc-number`)
            .textContent = String(number);
    }
}"""


def print_book(browser, site_url: str, path: str, anchors: list[str]) -> tuple[bytes, list[str]]:
    """Print the document at ``path`` twice in one tab: the first print tells on which page
    each anchor lands, the contents get those numbers, the second print is the book. Returns
    the PDF and the headings' titles in document order."""
    context = browser.new_context(viewport={"width": 1000, "height": 1400})
    try:
        _offline(context, site_url)
        tab = context.new_page()
        tab.emulate_media(media="print")
        tab.goto(f"{site_url}/{path}", wait_until="load")
        tab.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=60000
        )
        tab.evaluate("() => MathJax.startup.promise.then(() => document.fonts.ready)")
        # The draft needs no tags, no outline and no pictures (hidden, they keep their place):
        # only where the named destinations land.
        draft_style = tab.add_style_tag(content="img { visibility: hidden !important; }")
        numbers = heading_pages(tab.pdf(**PDF_OPTIONS), anchors)
        draft_style.evaluate("(style) => style.remove()")
        for _attempt in range(3):
            tab.evaluate(FILL_CONTENTS, numbers)
            pdf = tab.pdf(**PDF_OPTIONS, outline=True, tagged=True)
            printed = heading_pages(pdf, anchors)
            if printed == numbers:
                return pdf, tab.evaluate(HEADING_TITLES)
            numbers = printed
        raise RuntimeError("the page numbers of the contents do not settle")
    finally:
        context.close()


def heading_pages(pdf: bytes, anchors: list[str]) -> dict[str, int]:
    """The 1-based page of each anchor's named destination in ``pdf``."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(pdf))
    destinations = {name.lstrip("/"): dest for name, dest in reader.named_destinations.items()}
    found = {}
    for anchor in anchors:
        destination = destinations.get(anchor)
        if destination is None:
            raise RuntimeError(f"no destination for #{anchor} in the printed document")
        found[anchor] = reader.get_destination_page_number(destination) + 1
    return found


# ---------------------------------------------------------------------------------------------


def build(site: Path = SITE, out: Path = OUT, root: Path = ROOT, publish_to_site=True) -> dict:
    """Write the PDF (and copy it into the site unless told not to); returns figures for the
    report: pages, bytes, seconds."""
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    if not (site / "index.html").exists():
        raise SystemExit(f"no built site at {site}: run `make book` first")
    config = book_config(root)
    pages = book_pages(root)
    docnames = {page.docname: slug(page.docname) for page in pages}
    for page in pages:
        gather(page, site, docnames, config)
    head = _head_links(site, pages[0].docname)
    work = site / WORK_DIR
    work.mkdir(exist_ok=True)
    document_path = work / "companion.html"

    with SiteServer(site) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            for page in pages:
                if not page.widgets:
                    continue
                stills = explorer_stills(browser, server.url, page)
                soup = BeautifulSoup(page.body, "html.parser")
                address = web_address(config, page.docname)
                for figure, (png, is_explorer) in zip(
                    soup.select("figure.pdf-still"), stills, strict=True
                ):
                    figure.clear()
                    figure.append(
                        BeautifulSoup(
                            _still_html(png, is_explorer, address, page.title), "html.parser"
                        )
                    )
                page.body = str(soup)

            anchors = [page.anchor for page in pages] + [
                anchor for page in pages for anchor, _ in page.sections
            ]
            document_path.write_text(document(head, config, pages, None), encoding="utf-8")
            pdf, titles = print_book(
                browser, server.url, f"{WORK_DIR}/{document_path.name}", anchors
            )
            browser_cpu = _descendants_cpu_seconds()
        finally:
            browser.close()
            shutil.rmtree(work, ignore_errors=True)

    pdf = finish(pdf, titles, config)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(pdf)
    if publish_to_site:
        publish(site, out)
    from pypdf import PdfReader

    return {
        "pages": len(PdfReader(io.BytesIO(pdf)).pages),
        "bytes": len(pdf),
        "seconds": time.perf_counter() - start,
        "browser_cpu_seconds": browser_cpu,
    }


def _descendants_cpu_seconds() -> float:
    """CPU time used so far by this process's descendants (Playwright's driver, Chromium and its
    renderers, counting the exited ones their parents reaped): the build's cost in Chromium,
    whatever else the machine runs."""
    import psutil

    total = 0.0
    for process in psutil.Process().children(recursive=True):
        try:
            times = process.cpu_times()
        except psutil.Error:
            continue
        total += times.user + times.system + times.children_user + times.children_system
    return total


def finish(pdf: bytes, titles: list[str], config: dict) -> bytes:
    """Bookmark titles from the headings, the outline shown on opening, the author."""
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    # Chromium's trailer undercounts its objects; pypdf says so, and reads the file right.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    items = []

    def walk(item):
        while item is not None:
            item = item.get_object()
            items.append(item)
            walk(item.get("/First"))
            item = item.get("/Next")

    walk(writer.root_object["/Outlines"].get_object().get("/First"))
    if len(items) != len(titles):
        raise RuntimeError(f"{len(items)} bookmarks for {len(titles)} headings")
    for item, title in zip(items, titles, strict=True):
        item[NameObject("/Title")] = TextStringObject(title)
    writer.root_object[NameObject("/PageMode")] = NameObject("/UseOutlines")
    writer.add_metadata(
        {
            "/Author": str(config.get("author", "")),
            "/Subject": "Companion to Chapter 4, Gradient-based Optimization and its Analysis",
        }
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def publish(site: Path, pdf: Path) -> None:
    """Copy the PDF into the site and switch its download button on."""
    target = site / SITE_PDF
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(pdf, target)
    sys.path.insert(0, str(ROOT / "_ext"))
    from pdf_download import write_flag

    write_flag(site, built=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=SITE)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    figures = build(args.site, args.out)
    print(
        f"PDF written: {args.out} ({figures['pages']} pages, "
        f"{figures['bytes'] / 1e6:.1f} MB, {figures['seconds']:.0f} s)"
    )


if __name__ == "__main__":
    main()
