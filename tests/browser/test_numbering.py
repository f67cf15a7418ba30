"""The built site numbers only with the chapter's scheme (4.x) and names everything else.

The landing page promises the chapter's numbers: Eq. 4.9 here is Eq. 4.9 in the chapter. Sphinx's
own counters run through the whole book ("(26)", "Fig. 27"), so every page of ``_build/html`` is
checked: equation numbers and equation links, figure captions and ``{numref}`` links, and
numbered theorem and exercise boxes (which may only count 1, 2, 3... within their page). Reads the
HTML only (no browser), after ``make book``.
"""

from __future__ import annotations

import re
from collections import defaultdict

import pytest
from bs4 import BeautifulSoup
from conftest import SITE, content_pages

PAGES = content_pages()

#: "(4.9)", "(4.10)" or a name ("(HB)", "(adagrad norm rate)"), never "(26)".
EQUATION = re.compile(r"^\((4(\.\d+)+|[^\d()][^()]*)\)$")
#: The chapter's figures.
CHAPTER_FIGURE = re.compile(r"^(Figure|Table|Listing) 4(\.\d+)+$")
RUNNING_FIGURE = re.compile(r"\b(Fig\.|Figure|Table|Listing)\s+(?!4\.)\d+\b")


def _soup(path: str) -> BeautifulSoup:
    return BeautifulSoup((SITE / path).read_text(encoding="utf-8"), "html.parser")


def _main(soup: BeautifulSoup):
    return soup.find("main") or soup.find("article") or soup


def numbering_problems(path: str) -> list[str]:
    """Every number on the page that is not the chapter's, with what it is."""
    soup = _soup(path)
    main = _main(soup)
    problems = []
    for anchor in main.select("a.headerlink"):
        anchor.decompose()  # the permalink's "#" is not part of a number
    for eqno in main.select("span.eqno"):
        text = eqno.get_text().strip()
        if not EQUATION.match(text):
            problems.append(f"equation number {text!r}")
    for link in main.select('a[href*="#equation-"]'):
        text = link.get_text().strip()
        if re.fullmatch(r"\(\d+\)", text):
            problems.append(f"equation reference {text!r} -> {link['href']}")
    per_kind = defaultdict(list)
    for caption in main.select("span.caption-number"):
        text = caption.get_text().strip()
        kind, _, number = text.partition(" ")
        if kind in {"Fig.", "Figure", "Table", "Listing"}:
            if not CHAPTER_FIGURE.match(text):
                problems.append(f"caption number {text!r}")
        elif number.strip():  # a numbered theorem or exercise box: 1, 2, 3... on this page
            per_kind[kind].append(number.strip())
    for title in main.select("p.admonition-title"):
        match = re.match(r"^\s*(Exercise)\s+(\d+)\b", title.get_text())
        if match and not title.select("span.caption-number"):
            per_kind[match.group(1)].append(match.group(2))
    for kind, numbers in per_kind.items():
        if numbers != [str(i) for i in range(1, len(numbers) + 1)]:
            problems.append(f"{kind} boxes numbered {numbers} (not 1, 2, 3... on this page)")
    for link in main.select("a.reference"):
        text = link.get_text().strip()
        if RUNNING_FIGURE.fullmatch(text):
            problems.append(f"figure reference {text!r} -> {link.get('href')}")
    return problems


def test_the_site_has_pages_with_chapter_numbers():
    """The check below must see numbers at all: the 4.1 page shows (4.1)...(4.9)."""
    text = " ".join(_soup(p).get_text() for p in PAGES if p.endswith("taylor_expansion.html"))
    assert "(4.9)" in text and "Figure 4.1" in text


@pytest.mark.parametrize("path", PAGES)
def test_page_numbers_only_with_the_chapters_scheme(path):
    assert numbering_problems(path) == []
