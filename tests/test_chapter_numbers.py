"""_ext/chapter_numbers.py: the chapter's numbers on equations, theorem boxes and exercises.

The helpers are tested directly; a small Sphinx build (MyST, sphinx-proof, sphinx-exercise and the
extension, as in the book) checks the rendered HTML.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))

import chapter_numbers  # noqa: E402


def test_chapter_tag_is_found_and_removed():
    assert chapter_numbers.chapter_tag(r"a = b \tag{4.9}") == ("4.9", "a = b")
    assert chapter_numbers.chapter_tag(r"a = b \tag*{4.10}") == ("4.10", "a = b")
    assert chapter_numbers.chapter_tag("a = b") == (None, "a = b")
    two = r"a \tag{1} \\ b \tag{2}"
    assert chapter_numbers.chapter_tag(two) == (None, two)


def test_label_name():
    assert chapter_numbers.label_name("eq-adagrad-norm-rate") == "adagrad norm rate"
    assert chapter_numbers.label_name("eq:plain") == "plain"
    assert chapter_numbers.label_name("decoupled") == "decoupled"


def test_numbered_title_is_split():
    assert chapter_numbers.numbered_title("Lemma 4.1.4 (Descent lemma)") == (
        "Lemma",
        "4.1.4",
        " (Descent lemma)",
    )
    assert chapter_numbers.numbered_title("Lemma 4.1.4", kind="lemma") == ("Lemma", "4.1.4", "")
    assert chapter_numbers.numbered_title("Lemma 4.1.4", kind="theorem") is None
    assert chapter_numbers.numbered_title("Descent lemma") is None


PAGE = r"""
# Page

$$
w_{t+1} = w_t - \eta \nabla f(w_t) \tag{4.2}
$$ (eq-4-2)

$$
a = b
$$ (eq-plain)

```{prf:lemma} Lemma 4.1.4 (Descent lemma for $L$-smooth $f$)
:label: descent-lemma
:nonumber:

Body.
```

```{prf:definition} Smoothness
:label: numbered-definition

Body.
```

```{exercise} Problem 4.1.1 (Steepest direction)
:label: problem-4-1-1
:nonumber:

Show it.
```

```{exercise} A numbered part
:label: part-one

Do it.
```

```{figure} pic.png
:name: fig-named

A figure the chapter does not number.
```

```{figure} pic.png
:name: fig-chapter

The second figure of the chapter.
```

Refs: {eq}`eq-4-2`, {eq}`eq-plain`, {prf:ref}`descent-lemma`, {prf:ref}`my text <descent-lemma>`,
{ref}`problem-4-1-1`.

Figures: {numref}`fig-named`, {numref}`fig-chapter`, {numref}`the picture <fig-named>`.
"""

OTHER = r"""
# Other

From elsewhere: {eq}`eq-4-2` and {prf:ref}`descent-lemma`.

$$
c = d
$$ (eq-other)

```{exercise} Another part
:label: part-other

Do it.
```

```{figure} pic.png
:name: fig-other

A figure on another page.
```

Figures from elsewhere: {numref}`fig-named`, {numref}`fig-chapter`, {eq}`eq-other`.
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from sphinx.application import Sphinx

    source = tmp_path_factory.mktemp("src")
    (source / "conf.py").write_text(
        "extensions = ['myst_parser', 'sphinx_proof', 'sphinx_exercise', 'chapter_numbers']\n"
        "myst_enable_extensions = ['dollarmath', 'amsmath']\n"
        "numfig = True\nmath_numfig = True\n"
        "numfig_format = {'figure': 'Figure %s'}\n"
        "chapter_figure_numbers = {'fig-chapter': '4.2'}\n"
    )
    (source / "pic.png").write_bytes(PNG)
    (source / "index.md").write_text("# Index\n\n```{toctree}\npage\nother\n```\n")
    (source / "page.md").write_text(PAGE)
    (source / "other.md").write_text(OTHER)
    out = tmp_path_factory.mktemp("out")
    app = Sphinx(
        str(source), str(source), str(out), str(out / ".doctrees"), "html",
        status=None, warningiserror=True, freshenv=True,
    )  # fmt: skip
    app.build()
    return {name: (out / f"{name}.html").read_text() for name in ("page", "other")}


#: A 1x1 PNG, so the figures have an image.
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


def test_tagged_equation_shows_the_chapter_number_once(built):
    page = built["page"]
    assert re.search(r'class="eqno">\(4\.2\)', page)
    assert r"\tag" not in page  # MathJax would print a second number
    # An untagged labelled equation is named after its label, not given a running number.
    assert re.search(r'class="eqno">\(plain\)', page)
    assert re.search(r'class="eqno">\(other\)', built["other"])
    for html in built.values():
        assert not re.search(r'class="eqno">\(\d+\)', html)


def test_references_show_the_chapter_numbers(built):
    page, other = text_of(built["page"]), text_of(built["other"])
    assert "Refs: (4.2), (plain), Lemma 4.1.4, my text, Problem 4.1.1." in page
    assert "From elsewhere: (4.2) and Lemma 4.1.4." in other


def test_only_the_chapters_figures_are_numbered(built):
    page, other = text_of(built["page"]), text_of(built["other"])
    assert "Figure 4.2 The second figure of the chapter." in page
    assert "Fig." not in page + other and not re.search(r"Figure \d+ ", page + other)
    assert "Figures: this figure, Figure 4.2, the picture." in page
    assert "Figures from elsewhere: the figure on Page, Figure 4.2, (other)." in other


def test_numbered_boxes_restart_on_every_page(built):
    page, other = text_of(built["page"]), text_of(built["other"])
    assert "Exercise 1 (A numbered part)" in page
    assert "Exercise 1 (Another part)" in other
    assert "Exercise 2" not in other


def test_box_titles_show_the_chapter_numbers(built):
    page = text_of(built["page"])
    assert r"Lemma 4.1.4 (Descent lemma for \(L\)-smooth \(f\))" in page
    assert "Lemma (Lemma" not in page
    assert "Definition 1 (Smoothness)" in page  # a numbered box is left alone
    assert "Problem 4.1.1 (Steepest direction)" in page
    assert "Exercise (Problem" not in page
