"""tools/make_pdf.py without a browser: which pages, in which order, and how links are rewritten.

The printed PDF itself is checked in tests/browser/test_pdf.py (after `make pdf`)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import make_pdf  # noqa: E402

TOC = """
format: jb-book
root: home
parts:
  - caption: One
    chapters:
      - file: a/first
      - file: a/second
        sections:
          - file: a/second_part
  - caption: Two
    chapters:
      - file: exercises/instructor_guide
      - file: b/last
"""


def test_pages_follow_the_toc_with_depth_and_part(tmp_path):
    (tmp_path / "_toc.yml").write_text(TOC)
    pages = make_pdf.book_pages(tmp_path)
    assert [(p.docname, p.depth, p.part) for p in pages] == [
        ("home", 0, None),
        ("a/first", 0, "One"),
        ("a/second", 0, "One"),
        ("a/second_part", 1, "One"),
        ("b/last", 0, "Two"),  # the instructor guide is left out
    ]


def test_the_real_toc_leaves_out_only_the_left_out_pages():
    toc = (ROOT / "_toc.yml").read_text()
    files = [line.split("file:")[1].strip() for line in toc.splitlines() if "file:" in line]
    names = [page.docname for page in make_pdf.book_pages()]
    assert names == [yaml.safe_load(toc)["root"]] + [f for f in files if f not in make_pdf.LEFT_OUT]
    assert "exercises/instructor_guide" not in names


def test_links_between_pages_become_links_inside_the_document():
    docnames = {"chapters/momentum": "p-m", "chapters/errata": "p-e", "intro": "p-i"}
    config = {"repository": {"url": "https://example.org/repo", "branch": "main"}}

    def rewrite(href):
        return make_pdf._rewrite_href(href, "chapters", "p-m", docnames, config)

    assert rewrite("#equation-hb") == "#p-m--equation-hb"
    assert rewrite("errata.html#lion") == "#p-e--lion"
    assert rewrite("errata.html") == "#p-e"
    assert rewrite("../intro.html#conventions") == "#p-i--conventions"
    assert rewrite("https://arxiv.org/abs/1") == "https://arxiv.org/abs/1"
    # A page that is not printed: its web address.
    guide = rewrite("../exercises/instructor_guide.html")
    assert guide == "https://example.org/repo/blob/main/exercises/instructor_guide.md"


def test_web_address_prefers_the_site_url():
    config = {"html": {"baseurl": "https://site.example/book/"}, "repository": {"url": "x"}}
    assert make_pdf.web_address(config, "chapters/momentum") == (
        "https://site.example/book/chapters/momentum.html"
    )


def test_dollar_math_left_as_text_is_handed_to_mathjax():
    soup = BeautifulSoup(
        "<article><p>rate $O(1/k^2)$ and $x$.</p><pre>cost $5 and $6</pre></article>",
        "html.parser",
    )
    make_pdf._typeset_dollar_math(soup, soup.article)
    spans = soup.select("p span.math")
    assert [span.string for span in spans] == ["\\(O(1/k^2)\\)", "\\(x\\)"]
    assert soup.p.get_text() == "rate \\(O(1/k^2)\\) and \\(x\\)."
    assert soup.pre.string == "cost $5 and $6"  # code is left alone
