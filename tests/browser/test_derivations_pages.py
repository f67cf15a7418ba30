"""The Checked derivations and Errata pages in Chromium, offline: every derivation's table is
there under its label, its math is typeset by the vendored MathJax, and wide tables do not make
the page scroll sideways on a phone."""

from __future__ import annotations

import pytest

import gdlab.derivations as gd

DERIVATIONS = "chapters/derivations.html"
ERRATA = "chapters/errata.html"

TABLE_MATH = """() => {
  const tables = Array.from(document.querySelectorAll('article table'));
  const cells = tables.flatMap(t => Array.from(t.querySelectorAll('td')));
  return {
    tables: tables.length,
    math: tables.reduce((n, t) => n + t.querySelectorAll('mjx-container').length, 0),
    rawDollars: cells.filter(c => c.textContent.includes('$')).map(c => c.textContent.slice(0, 80)),
    verified: cells.filter(c => /^\\d+\\s*✓$/.test(c.textContent.trim())).length,
    failed: cells.filter(c => c.textContent.includes('does not hold')).length,
  };
}"""


def test_every_derivation_is_shown_under_its_label(open_page):
    page, log = open_page(DERIVATIONS)
    for d in gd.catalog():
        assert page.locator(f"[id='{d.label}']").count() == 1, d.label
    found = page.evaluate(TABLE_MATH)
    steps = sum(len(d.steps) for d in gd.catalog())
    assert found["tables"] >= len(gd.catalog())
    assert found["verified"] >= steps, found
    assert found["math"] >= steps, found
    assert not found["rawDollars"], found["rawDollars"][:3]
    assert not log.problems(), "\n".join(log.problems())


def test_errata_tables_show_failing_and_verified_steps(open_page):
    page, log = open_page(ERRATA)
    found = page.evaluate(TABLE_MATH)
    assert found["failed"] >= 1 and found["verified"] >= 1, found
    assert not found["rawDollars"], found["rawDollars"][:3]
    assert not log.problems(), "\n".join(log.problems())


@pytest.mark.parametrize("path", [DERIVATIONS, ERRATA])
def test_phone_width_has_no_horizontal_scroll(open_page, path):
    page, log = open_page(path, width=390, height=844)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 1, f"{path} scrolls sideways by {overflow}px at 390px width"
    assert not log.problems(), "\n".join(log.problems())
