"""The printable PDF (`make pdf`, tools/make_pdf.py): `_build/pdf/companion.pdf`.

Read with pypdf (text, bookmarks, links, structure) and poppler's pdfimages (image resolution);
what it must contain is taken from `_toc.yml` and the built site's pages, never from the tool
that made it. The download button is checked on the built site in Chromium.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import unicodedata

import pytest
import yaml
from bs4 import BeautifulSoup
from conftest import ROOT, SITE

sys.path.insert(0, str(ROOT / "tools"))

from make_pdf import LEFT_OUT  # noqa: E402  (which pages are left out is the tool's policy)

PDF = ROOT / "_build" / "pdf" / "companion.pdf"
SITE_PDF = SITE / "_downloads" / "companion.pdf"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def toc_pages() -> list[tuple[str, int]]:
    """(docname, depth) of every page of _toc.yml in order, the left-out ones removed."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [(toc["root"], 0)]

    def walk(entries, depth):
        for entry in entries:
            if "file" in entry:
                pages.append((entry["file"], depth))
            walk(entry.get("sections", []), depth + 1)

    for part in toc.get("parts", []):
        walk(part.get("chapters", []), 0)
    walk(toc.get("chapters", []), 0)
    return [(name, depth) for name, depth in pages if name not in LEFT_OUT]


def _normal(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())


def _squash(text: str) -> str:
    """Text with no whitespace at all: PDF extraction breaks lines and words differently."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@functools.cache
def site_page(docname: str) -> BeautifulSoup:
    soup = BeautifulSoup((SITE / f"{docname}.html").read_text(encoding="utf-8"), "html.parser")
    article = soup.select_one("article.bd-article")
    for node in article.select("a.headerlink"):
        node.decompose()
    return article


def plain_pieces(node) -> list[str]:
    """The node's text outside math, as pieces (math is typeset in the PDF, so its text
    differs from the TeX in the HTML)."""
    copy = BeautifulSoup(str(node), "html.parser")
    for math in copy.select(".math"):
        math.replace_with("\x00")
    return [piece for piece in (_normal(p) for p in copy.get_text(" ").split("\x00")) if piece]


@functools.cache
def reader():
    from pypdf import PdfReader

    if not PDF.exists():
        pytest.fail(f"no PDF at {PDF}: run `make pdf` first")
    return PdfReader(str(PDF))


@functools.cache
def page_texts() -> list[str]:
    # Layout mode: the plain mode drops the text of MathJax's (Type 3) fonts.
    return [page.extract_text(extraction_mode="layout") or "" for page in reader().pages]


@functools.cache
def prose_texts() -> list[str]:
    """Plain-mode text: the prose without MathJax's glyphs, which layout mode interleaves with
    the words around inline math (a superscript can land between two words of a sentence)."""
    return [page.extract_text() or "" for page in reader().pages]


def without_page_number(text: str, number: int) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(line for line in lines if line.strip() != str(number))


def outline_entries(outline=None, depth=0):
    """(depth, title, page number) of every bookmark, in order."""
    outline = reader().outline if outline is None else outline
    entries = []
    for item in outline:
        if isinstance(item, list):
            entries.extend(outline_entries(item, depth + 1))
        else:
            entries.append((depth, _normal(item.title), reader().get_destination_page_number(item)))
    return entries


def page_bookmarks() -> list[tuple[int, str, int]]:
    """The bookmarks of the pages of _toc.yml: the first at each page's depth that carries its
    title (a page's own sections are nested deeper)."""
    return [entry for entry in outline_entries() if entry[0] <= max(d for _, d in toc_pages())]


def page_ranges() -> dict[str, range]:
    """The PDF pages (0-based) each page of _toc.yml spans, from its bookmark to the next."""
    starts = []
    entries = outline_entries()
    cursor = 0
    for docname, depth in toc_pages():
        title = _normal(site_page(docname).find("h1").get_text(" "))
        while not (entries[cursor][0] == depth and entries[cursor][1] == title):
            cursor += 1
        starts.append((docname, entries[cursor][2]))
        cursor += 1
    ends = [start for _, start in starts[1:]] + [len(reader().pages) - 1]
    return {
        name: range(start, max(end, start + 1))
        for (name, start), end in zip(starts, ends, strict=True)
    }


def test_pdf_opens_tagged_with_selectable_text():
    pdf = reader()
    assert len(pdf.pages) >= 2 * len(toc_pages())  # title, contents and every page
    assert PDF.stat().st_size < 20e6
    root = pdf.trailer["/Root"]
    assert bool(root["/MarkInfo"]["/Marked"])  # a tagged PDF, with its structure tree
    assert "/StructTreeRoot" in root
    assert pdf.metadata.title == yaml.safe_load((ROOT / "_config.yml").read_text())["title"]
    assert "Gradient-based Optimization" in page_texts()[0]  # the title page
    assert "Contents" in page_texts()[1]


def test_one_bookmark_per_toc_page_in_order():
    expected = [
        (depth, _normal(site_page(name).find("h1").get_text(" "))) for name, depth in toc_pages()
    ]
    found = [(depth, title) for depth, title, _ in outline_entries()]
    # The pages' bookmarks, in order, at their depth in _toc.yml (sections nest below).
    position = 0
    for entry in expected:
        assert entry in found[position:], f"no bookmark {entry} after bookmark {position}"
        position = found.index(entry, position) + 1
    top = [title for depth, title, _ in outline_entries() if depth == 0]
    assert top == [title for depth, title in expected if depth == 0]
    # The left-out pages are not in the PDF.
    for name in LEFT_OUT:
        title = _normal(site_page(name).find("h1").get_text(" "))
        assert all(title != t for _, t in found), title


def test_left_out_pages_and_the_instructor_guide_are_not_printed():
    assert "exercises/instructor_guide" in LEFT_OUT
    text = _squash("".join(page_texts()))
    guide = site_page("exercises/instructor_guide")
    for paragraph in guide.find_all("p")[:5]:
        for piece in plain_pieces(paragraph):
            if len(piece) > 40:
                assert _squash(piece) not in text, piece


def test_exercises_print_problems_and_hints_but_no_reference_solution():
    from test_exercises import solution_lines

    text = _squash(" ".join(page_texts()))
    for name, lines in solution_lines().items():
        ranges = page_ranges()[f"exercises/{name}"]
        exercise = _squash(" ".join(prose_texts()[i] for i in ranges))
        hints = site_page(f"exercises/{name}").select("div.admonition.dropdown")
        assert hints, name
        for hint in hints:  # printed open: their text, not only their title
            for paragraph in hint.find_all("p")[1:]:
                for piece in plain_pieces(paragraph):
                    # Punctuation next to math can land on another line of the extracted text.
                    words = piece.strip(" .,;:()")
                    assert _squash(words) in exercise, f"{name}: hint {words!r} not printed"
        leaked = [line for line in lines if _squash(line) in text]
        assert not leaked, f"{name}: {leaked[:3]}"


def test_text_has_every_section_title_theorem_and_equation_number_in_order():
    text = _squash("\n".join(page_texts()[2:]))  # after the title page and the contents
    position = 0
    checked = 0
    for docname, _ in toc_pages():
        article = site_page(docname)
        for node in article.select(
            "h1, h2, h3, h4, div.proof > p.admonition-title, span.eqno, "
            "div.admonition.exercise > p.admonition-title"
        ):
            if node.find_parent("details", class_="gdlab-claims") or node.find_parent(
                "details", class_="hide"
            ):
                continue
            if node.name.startswith("h") and _is_claims_heading(node):
                continue
            for piece in plain_pieces(node):
                found = text.find(_squash(piece), position)
                assert found >= 0, f"{docname}: {piece!r} missing (or out of order)"
                position = found + len(_squash(piece))
                checked += 1
    assert checked > 100


def _is_claims_heading(heading) -> bool:
    """The heading of a section that holds only the collapsed "How this page is checked"."""
    section = heading.find_parent("section")
    others = [c for c in section.find_all(recursive=False) if c is not heading]
    return bool(others) and all(
        c.name == "details" and "gdlab-claims" in c.get("class", []) for c in others
    )


def test_theorem_numbers_are_the_chapters():
    text = _normal(" ".join(page_texts()))
    # sphinx-proof shows the chapter's numbers (chapter_numbers extension), e.g. Lemma 4.1.4.
    numbers = re.findall(r"(?:Lemma|Theorem|Definition|Corollary) 4\.\d+(?:\.\d+)?", text)
    assert len(numbers) >= 5, numbers


def test_no_blank_page():
    blank = [
        index + 1
        for index, (page, text) in enumerate(zip(reader().pages, page_texts(), strict=True))
        if not without_page_number(text, index + 1).strip() and not page.images
    ]
    assert not blank, f"blank pages: {blank}"


@functools.cache
def page_words() -> list[tuple[float, str, list[str]]]:
    """Per page, from poppler's word boxes: how far down the text reaches (0 at the top, 1 at
    the bottom; the footer left out), the page's first words, and the footer's words (the
    bottom 40 points, where the page number is printed)."""
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext not found: `make test` installs Debian's poppler-utils")
    boxes = subprocess.run(
        ["pdftotext", "-bbox", str(PDF), "-"], capture_output=True, text=True, check=True
    ).stdout
    out = []
    page = r'<page width="[\d.]+" height="([\d.]+)">(.*?)</page>'
    word = r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)</word>'
    for height, body in re.findall(page, boxes, re.S):
        words = [(float(y) / float(height), text) for y, text in re.findall(word, body)]
        footer_top = 1 - 40 / float(height)
        body_words = [(y, text) for y, text in words if y < footer_top]
        out.append(
            (
                max((y for y, _ in body_words), default=0.0),
                " ".join(text for _, text in body_words[:6]),
                [text for y, text in words if y >= footer_top],
            )
        )
    return out


def test_a_long_table_does_not_leave_the_page_before_it_half_empty():
    # a derivation table (header "step, because") used to jump whole to the next page when it
    # did not fit, leaving up to half a page blank after its title; it must break between rows
    fills = page_words()
    gaps = [
        (number + 1, round(fills[number - 1][0], 2))
        for number, (_, first_words, _) in enumerate(fills)
        if number > 0 and "step, because" in first_words and fills[number - 1][0] < 0.8
    ]
    assert not gaps, f"(page, fill of the page before) where a table starts a page: {gaps}"


def test_pages_are_numbered():
    # the footer of every page holds its number and nothing else (read from the word boxes:
    # pypdf's layout text can put a tall matrix's bracket glyphs on the footer's line)
    footers = [footer for _, _, footer in page_words()]
    wrong = [(n, f) for n, f in enumerate(footers, start=1) if f != [str(n)]]
    assert len(footers) == len(reader().pages) and not wrong, wrong[:5]


def test_math_is_typeset_not_raw_tex():
    text = "\n".join(page_texts())
    raw = re.findall(
        r"\\(?:frac|nabla|eta|sqrt|mathbb|left|right|top|lambda|begin)\b|\\\(|\\\[", text
    )
    assert not raw, raw[:10]
    dollars = re.findall(r"\$[^$\n]{1,60}\$", text)
    assert not dollars, dollars[:10]
    # MathJax's glyphs as text: the chapter's gradient and step size.
    assert text.count("∇") > 50
    assert text.count("η") > 50


def test_contents_has_page_numbers_that_match_the_bookmarks():
    """Every bookmark is listed in the contents, in the same order, with its page number. The
    entries are matched in order, not by title: every section page has a "Key points"."""
    first_page = min(page for _, _, page in page_bookmarks())
    assert first_page >= 2  # the title page, then the contents
    listed = []
    for text in page_texts()[1:first_page]:
        for line in text.splitlines():
            match = re.fullmatch(r"\s*(.*?)[\s.]*?(\d+)\s*", line)
            if match and match.group(1):
                listed.append((_squash(match.group(1)), int(match.group(2))))
    position = 0
    for _, title, page in page_bookmarks():
        titles = [entry for entry, _ in listed[position:]]
        assert _squash(title) in titles, f"{title!r} not in the contents after entry {position}"
        position += titles.index(_squash(title))
        assert listed[position][1] == page + 1, title
        position += 1
    assert len(listed) > len(toc_pages())  # the pages' sections are listed too


def test_internal_links_lead_somewhere_in_the_document():
    internal = 0
    for page in reader().pages:
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            action = annotation.get("/A")
            destination = annotation.get("/Dest")
            if destination is None and action is not None and action.get("/S") == "/GoTo":
                destination = action["/D"]
            if destination is not None:
                internal += 1
                name = str(destination)
                assert name in reader().named_destinations, name
    # The contents alone link to every page and section.
    assert internal >= len(toc_pages())


def test_explorer_pages_carry_a_still_and_the_web_address():
    ranges = page_ranges()
    with_widgets = 0
    for docname, _ in toc_pages():
        widgets = len(site_page(docname).find_all("script", type=WIDGET_VIEW))
        if not widgets:
            continue
        with_widgets += 1
        pages = [reader().pages[i] for i in ranges[docname]]
        text = _normal(" ".join(page_texts()[i] for i in ranges[docname]))
        assert text.count("A still of the optimizer explorer") == widgets, docname
        assert f"{docname}.md" in _squash(text) or f"{docname}.html" in _squash(text), docname
        images = sum(len(page.images) for page in pages)
        assert images >= widgets, docname
    assert with_widgets >= 2  # the explorer page and the sections that embed an explorer


def test_no_empty_collapsed_boxes():
    text = _squash(" ".join(page_texts()))
    prose = _squash(" ".join(site_page(name).get_text(" ") for name, _ in toc_pages()))
    # A closed <details> prints only its summary: the site's labels show up no more often
    # than the pages' prose mentions them.
    for label in ("Show code cell source", "Show code cell output", "Click to show"):
        assert text.count(_squash(label)) <= prose.count(_squash(label)) - _summaries(label)
    assert _squash("How this page is checked") not in text


def _summaries(label: str) -> int:
    """How often ``label`` is a <summary> in the pages (they are all left out or opened)."""
    return sum(
        _normal(summary.get_text(" ")).count(label)
        for name, _ in toc_pages()
        for summary in site_page(name).find_all("summary")
    )


def test_figures_are_at_print_resolution():
    if shutil.which("pdfimages") is None:
        pytest.fail("pdfimages not found: `make test` installs Debian's poppler-utils")
    listing = subprocess.run(
        ["pdfimages", "-list", str(PDF)], capture_output=True, text=True, check=True
    ).stdout.splitlines()[2:]
    resolutions = []
    for line in listing:
        fields = line.split()
        if fields[2] == "image":  # not the soft masks
            resolutions.append(min(int(fields[12]), int(fields[13])))
    assert resolutions
    low = [r for r in resolutions if r < 150]
    assert not low, f"{len(low)} of {len(resolutions)} images under 150 ppi: {sorted(low)[:10]}"


def test_site_offers_the_pdf_next_to_the_page_downloads(open_page):
    assert SITE_PDF.read_bytes()[:5] == b"%PDF-"
    assert SITE_PDF.stat().st_size == PDF.stat().st_size
    page, log = open_page("chapters/momentum.html")
    page.locator(".dropdown-download-buttons button.dropdown-toggle").click()
    menu = page.locator(".dropdown-download-buttons .dropdown-menu")
    button = menu.locator("a.btn-download-companion-pdf-button")
    assert button.is_visible()
    assert menu.locator("a.btn-download-notebook-button").is_visible()  # next to the .ipynb
    href = button.get_attribute("href")
    assert href == "../_downloads/companion.pdf"
    response = page.request.get(page.url.rsplit("/", 2)[0] + "/_downloads/companion.pdf")
    assert response.ok and response.body()[:5] == b"%PDF-"
    assert not log.problems(), "\n".join(log.problems())


def test_pdf_button_is_hidden_when_no_pdf_was_built(browser, site_url):
    sys.path.insert(0, str(ROOT / "_ext"))
    from pdf_download import _FLAG_OFF

    context = browser.new_context()
    try:
        context.route(
            re.compile(r".*/_static/companion-pdf\.js(\?.*)?$"),
            lambda route: route.fulfill(body=_FLAG_OFF, content_type="text/javascript"),
        )
        page = context.new_page()
        page.goto(f"{site_url}/chapters/momentum.html")
        page.locator(".dropdown-download-buttons button.dropdown-toggle").click()
        menu = page.locator(".dropdown-download-buttons .dropdown-menu")
        assert menu.locator("a.btn-download-notebook-button").is_visible()
        assert menu.locator("a.btn-download-companion-pdf-button").count() == 1
        assert not menu.locator("a.btn-download-companion-pdf-button").is_visible()
    finally:
        context.close()
