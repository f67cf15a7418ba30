"""_ext/companion.py's accessibility fixes that need no browser: figure alt text from captions,
named sidebar toggles, bibliography roles (the built site is checked in
tests/browser/test_accessibility.py)."""

from __future__ import annotations

import sys
from pathlib import Path

from docutils import nodes

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))

import companion  # noqa: E402


def _figure(*caption_children, alt=None):
    image = nodes.image(uri="../_images/5efec8a1b2c3d4e5f6a7.png")
    if alt is not None:
        image["alt"] = alt
    return nodes.figure("", image, nodes.caption("", "", *caption_children)), image


def test_glued_figure_without_alt_gets_its_caption_with_math_as_text():
    figure, image = _figure(
        nodes.Text("GD at "),
        nodes.math("", r"\eta = \frac{1}{L}"),
        nodes.Text(": the error falls like "),
        nodes.math("", r"\rho^{t}"),
        nodes.Text("."),
    )
    doc = nodes.document(None, None)
    doc += figure
    companion._figure_alt_from_caption(None, doc, "page")
    assert image["alt"] == "GD at η = (1)/(L): the error falls like ρ^t."


def test_file_name_alt_is_replaced_and_a_written_alt_is_kept():
    doc = nodes.document(None, None)
    figure, by_name = _figure(nodes.Text("Two paths."), alt="../_images/5efec8a1b2c3d4e5f6a7.png")
    written, kept = _figure(nodes.Text("Two paths."), alt="The heavy ball spirals in.")
    doc += [figure, written]
    companion._figure_alt_from_caption(None, doc, "page")
    assert by_name["alt"] == "Two paths."
    assert kept["alt"] == "The heavy ball spirals in."


def test_sidebar_summary_gets_a_hidden_name_and_named_ones_are_left():
    html = (
        '<ul><li class="toctree-l1 has-children"><a href="t.html">4.7 Theory and practice</a>'
        '<details><summary><span class="toctree-toggle" role="presentation"><i></i></span>'
        "</summary><ul><li>child</li></ul></details></li>"
        '<li class="has-children"><details><summary><p class="caption">Part</p></summary>'
        "</details></li></ul>"
    )
    out = companion._name_summaries(html)
    assert out.count("visually-hidden") == 1
    assert "Show or hide the sections of 4.7 Theory and practice</span></summary>" in out


def test_bibliography_entries_become_list_items_and_toggles_are_named_by_their_text():
    context = {
        "body": '<div role="list"><div class="citation" role="doc-biblioentry">A</div></div>'
        '<details class="admonition hide above-input"><summary aria-label="Toggle hidden content">'
        '<p class="collapsed admonition-title">Show code cell source</p></summary></details>'
    }
    companion._fix_body_markup(None, "bibliography", "page.html", context, None)
    assert 'role="doc-biblioentry"' not in context["body"]
    assert context["body"].count('role="listitem"') == 1
    assert "<summary>" in context["body"] and "aria-label" not in context["body"]


def test_the_same_figure_shown_elsewhere_without_a_figure_gets_the_figures_alt():
    class Env:
        companion_figure_alts: dict = {}

    class App:
        env = Env()

    source = nodes.document(None, None)
    figure, _ = _figure(nodes.Text("GD at three step sizes: the sharpness climbs to "),
                        nodes.math("", r"2/\eta"), nodes.Text("."))  # fmt: skip
    source += figure
    companion._figure_alt_from_caption(App, source, "edge_of_stability")
    reuse = nodes.document(None, None)
    bare = nodes.image(uri="../_images/5efec8a1b2c3d4e5f6a7.png")  # {glue} of that figure
    other = nodes.image(uri="../_images/0123456789abcdef0123.png")  # an unrelated image
    reuse += [bare, other]
    companion._alt_from_same_figure(App, reuse, "theory_vs_practice")
    assert bare["alt"] == "GD at three step sizes: the sharpness climbs to 2/η."
    assert "alt" not in other  # nothing to take it from: the page test reports it


def test_tex_as_text_keeps_groups_and_reads_symbols():
    assert companion.tex_as_text(r"a_i \propto \beta^{t-i}") == "a_i ∝ β^(t-i)"
    assert companion.tex_as_text(r"\pm L \le \|\nabla f(w)\|") == "± L ≤ ‖∇ f(w)‖"
    assert companion.tex_as_text(r"\left(1 - \eta\lambda\right)^{t}") == "(1 - ηλ)^t"
