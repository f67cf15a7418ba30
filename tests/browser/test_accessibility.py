"""WCAG 2.1 AA on every page of the built site, in Chromium with the network blocked.

- axe-core (vendored from npm at a pinned version: tests/browser/vendor/axe-core/, MPL-2.0,
  refreshed by tools/vendor_axe.sh) with the WCAG 2.0 and 2.1 level A and AA rules
  (:data:`WCAG_TAGS`) on every page, in the theme's light and dark mode: no violation.
- Figures: every ``<img>`` has a text alternative that is not empty, not a file name or hash,
  and not the same as another image's on the page.
- Math: MathJax's assistive MathML is in the page and in the accessibility tree.
- The optimizer explorer: names that match the visible labels, a polite live region that
  announces the state after each step or slider change, plots with a text summary and a table of
  the last iterates on request, Play under ``prefers-reduced-motion``, the start point not nested
  in another control, a visible focus indicator; driven with the keyboard only, and read back from
  the accessibility tree Chromium exposes (Playwright's ARIA snapshot).
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import EXPLORER_PAGE as EXPLORER
from conftest import EXPLORER_VIEW as VIEW
from conftest import ROOT, SITE, content_pages, open_explorer, reload, wait_for_widgets
from conftest import explorer_settings as settings

sys.path.insert(0, str(ROOT / "tests"))
from test_widgets import spoken  # noqa: E402  (the live region's number format)

PAGES = content_pages()
VENDOR = Path(__file__).with_name("vendor") / "axe-core"
AXE_VERSION = "4.14.1"
#: The rule set: every axe rule tagged WCAG 2.0 or 2.1, level A or AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
MODES = ["light", "dark"]


# -- axe ----------------------------------------------------------------------------------------


def axe_source() -> str:
    return (VENDOR / "axe.min.js").read_text(encoding="utf-8")


def run_axe(page) -> dict:
    """Run axe on the page with the WCAG A/AA rules; returns its version and the violations.

    The script is evaluated with ``define``/``module`` hidden: on widget pages require.js is
    loaded, and axe's bundled libraries would otherwise register themselves as AMD modules.
    """
    return page.evaluate(
        """async ([source, tags]) => {
          (new Function('define', 'module', 'exports', source))(undefined, undefined, undefined);
          const result = await window.axe.run(document, {
            runOnly: {type: 'tag', values: tags},
            resultTypes: ['violations'],
          });
          return {
            version: window.axe.version,
            violations: result.violations.map((v) => ({
              id: v.id,
              impact: v.impact,
              nodes: v.nodes.map((n) => ({
                target: n.target.join(' '),
                html: n.html.slice(0, 160),
                summary: (n.failureSummary || '').slice(0, 300),
              })),
            })),
          };
        }""",
        [axe_source(), WCAG_TAGS],
    )


def set_mode(page, log, mode: str) -> None:
    """Switch the theme (pydata-sphinx-theme) to light or dark as its own switcher does."""
    page.evaluate(
        "(mode) => { localStorage.setItem('mode', mode); localStorage.setItem('theme', mode); }",
        mode,
    )
    page.emulate_media(color_scheme=mode)
    reload(page, log)
    page.wait_for_function("() => __probe.mathDone()", timeout=20000)
    assert page.evaluate("() => document.documentElement.dataset.theme") == mode


def test_vendored_axe_is_the_pinned_version():
    versions = (VENDOR / "VERSIONS.txt").read_text(encoding="utf-8").split("\n")
    assert versions[0] == f"axe-core@{AXE_VERSION}  license: MPL-2.0"
    digest = hashlib.sha256((VENDOR / "axe.min.js").read_bytes()).hexdigest()
    assert versions[1].split()[0] == digest, "axe.min.js differs from the one VERSIONS.txt names"
    assert (VENDOR / "LICENSE").read_text(encoding="utf-8").startswith("Mozilla Public License")
    assert f"axe v{AXE_VERSION}" in axe_source()[:100]


def test_axe_finds_violations_on_a_page_that_has_them(open_page):
    """The harness can fail: an image without alt and a nameless button are reported."""
    page, _ = open_page("bibliography.html")
    page.evaluate(
        """() => {
          const main = document.querySelector('main') || document.body;
          const img = document.createElement('img');
          img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
          main.append(img, document.createElement('button'));
        }"""
    )
    result = run_axe(page)
    assert result["version"] == AXE_VERSION
    found = {v["id"] for v in result["violations"]}
    assert {"image-alt", "button-name"} <= found, found


def violation_table(violations) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {len(v['nodes'])} node(s), e.g. {v['nodes'][0]['target']}"
        f" {v['nodes'][0]['html']!r}\n    {v['nodes'][0]['summary']}"
        for v in violations
    )


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", PAGES)
def test_no_wcag_a_aa_violations(open_page, path, mode):
    page, log = open_page(path)
    wait_for_widgets(page)  # nothing still loading when the page is reloaded in the mode
    set_mode(page, log, mode)
    wait_for_widgets(page)
    result = run_axe(page)
    assert result["version"] == AXE_VERSION
    assert not result["violations"], f"{path} ({mode}):\n" + violation_table(result["violations"])
    assert not log.problems(), "\n".join(log.problems())


# -- figures ------------------------------------------------------------------------------------

FILE_NAME = re.compile(r"(\.(png|jpe?g|gif|svg|webp)\b)|(^|/)_images/|\b[0-9a-f]{16,}\b", re.I)


def image_alt_problems(html: str) -> list[str]:
    """Images whose alt text is missing, empty, a file name or hash, or (in the page's content)
    the same as another's. The theme's logo is there twice, for light and dark mode, with one
    alt text: a duplicate is looked for among the article's images only."""
    soup = BeautifulSoup(html, "html.parser")
    problems, seen = [], {}
    article = soup.find("article")
    content = set(map(id, article.find_all("img"))) if article else set()
    for img in soup.find_all("img"):
        src = img.get("src", "")
        alt = img.get("alt")
        if alt is None or not alt.strip():
            problems.append(f"{src}: empty or missing alt")
        elif FILE_NAME.search(alt) or alt.strip() == src or alt.strip() == Path(src).name:
            problems.append(f"{src}: alt is a file name: {alt!r}")
        elif id(img) not in content:
            continue
        elif alt.strip() in seen:
            problems.append(f"{src}: same alt as {seen[alt.strip()]}: {alt!r}")
        else:
            seen[alt.strip()] = src
    return problems


def test_the_figure_check_rejects_file_names_hashes_and_duplicates():
    html = (
        '<img src="logo.svg" alt="Home"><img src="logo-dark.svg" alt="Home"><article>'
        '<img src="../_images/5efec8a1b2c3d4e5f6a7b8c9d0e1f2a3.png" '
        'alt="../_images/5efec8a1b2c3d4e5f6a7b8c9d0e1f2a3.png">'
        '<img src="a.png" alt="">'
        '<img src="b.png">'
        '<img src="c.png" alt="5efec8a1b2c3d4e5f6a7">'
        '<img src="d.png" alt="Two curves: GD falls slowly, the heavy ball fast.">'
        '<img src="e.png" alt="Two curves: GD falls slowly, the heavy ball fast.">'
        "</article>"
    )
    problems = image_alt_problems(html)
    assert len(problems) == 5, problems
    assert not any("logo" in p for p in problems)
    assert image_alt_problems('<img src="d.png" alt="The loss falls ten times per step.">') == []


@pytest.mark.parametrize("path", PAGES)
def test_every_image_has_a_real_text_alternative(path):
    problems = image_alt_problems((SITE / path).read_text(encoding="utf-8"))
    assert not problems, f"{path}:\n" + "\n".join(problems)


# -- math ---------------------------------------------------------------------------------------


def test_display_math_is_readable_by_screen_readers(open_page):
    """MathJax's assistive MathML (vendored, offline) is in the DOM and the accessibility tree."""
    page, log = open_page(EXPLORER)
    display = page.locator("mjx-container[display='true']").first
    display.wait_for()
    # The visual rendering is hidden from assistive technology; the MathML copy is not.
    assert display.locator("mjx-assistive-mml math").count() == 1
    mathml = display.locator("mjx-assistive-mml math").evaluate("(m) => m.outerHTML")
    assert "<mi>f</mi>" in mathml and "<mi>κ</mi>" in mathml, mathml[:300]
    assert display.locator("mjx-math").first.get_attribute("aria-hidden") == "true"
    snapshot = page.locator("article").aria_snapshot()
    assert "- math" in snapshot, snapshot[:2000]
    assert not log.problems(), "\n".join(log.problems())


# -- the optimizer explorer -----------------------------------------------------------------------


def live_text(explorer) -> str:
    return explorer.locator("[aria-live]").inner_text().strip()


def tab_to(page, explorer, name: str, limit: int = 60, back: bool = False) -> None:
    """Press Tab (Shift+Tab with `back`) until the focused control's text starts with `name`."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if back else "Tab")
        focused = page.evaluate(
            "() => { const a = document.activeElement; return (a.getAttribute('aria-label')"
            " || (a.labels && a.labels[0] ? a.labels[0].textContent : a.textContent)).trim(); }"
        )
        if focused.startswith(name):
            return
    raise AssertionError(f"Tab never reached a control named {name!r}")


def test_explorer_announces_each_step_and_change_in_one_polite_live_region(open_page):
    from gdlab.optim import GD, run
    from gdlab.problems import Quadratic
    from gdlab.rates import gd_rate

    page, log = open_explorer(open_page)
    explorer = page.locator(".gdx").first
    # One live region per explorer, polite and atomic: the visible status is not live (a second
    # live region would read every change twice).
    assert explorer.locator("[aria-live], [role=status], output").count() == 1
    region = explorer.locator("[aria-live]")
    assert region.get_attribute("aria-live") == "polite"
    assert region.get_attribute("role") == "status"
    assert region.get_attribute("aria-atomic") == "true"
    # Keyboard only: Tab from the method radios to Step, press Enter twice.
    explorer.get_by_role("radio", name="GD").focus()
    tab_to(page, explorer, "Step")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    s = settings(page)
    problem = Quadratic([1, s["kappa"]], angle=s["angle"])
    trace = run(GD(lr=s["lr"]), problem, s["start"], 2)
    rate = gd_rate(problem.eigenvalues, s["lr"])
    expected = f"GD, step 2 of 100, f \u2212 f* = {spoken(trace.values[2])}, rate {spoken(rate, 3)}"
    assert live_text(explorer) == expected
    assert expected.endswith("rate 0.985")  # the page's explorer: GD at lr 0.015, kappa 100
    # A slider moved from the keyboard: the sentence follows (new rate, same step).
    explorer.get_by_label("\u03b7 (learning rate)", exact=True).focus()
    page.keyboard.press("ArrowRight")
    s = settings(page)
    rate = gd_rate(problem.eigenvalues, s["lr"])
    assert live_text(explorer).startswith("GD, step 2 of 100, f \u2212 f* = ")
    assert live_text(explorer).endswith(f"rate {spoken(rate, 3)}")
    assert not log.problems(), "\n".join(log.problems())


def test_explorer_accessibility_tree_after_two_steps(open_page, artifacts_dir):
    """What a screen reader gets from Chromium: names that match the visible labels, the plots
    as images with a text summary, the live region's sentence."""
    page, log = open_explorer(open_page)
    explorer = page.locator(".gdx").first
    step = explorer.get_by_role("button", name="Step")
    step.focus()
    page.keyboard.press("Enter")
    page.keyboard.press(" ")
    tree = explorer.aria_snapshot()
    assert explorer.get_by_role("button", name="Play").get_attribute("aria-pressed") == "false"
    table_button = explorer.get_by_role("button", name="Table of iterates")
    assert table_button.get_attribute("aria-expanded") == "false"
    (artifacts_dir.parent / "explorer_aria_snapshot.yml").write_text(tree, encoding="utf-8")
    for line in [
        '- radio "GD" [checked]',
        '- slider "\u03ba (condition number)"',
        '- spinbutton "\u03ba (condition number), exact value"',
        '- slider "\u03b2 (momentum)"',
        '- spinbutton "start w\u2080, first coordinate"',
        '- spinbutton "steps"',
        '- button "\u25c0 Back"',
        '- button "Step \u25b6"',
        '- button "Play"',  # not pressed (the snapshot shows [pressed] only when true)
        '- button "Reset"',
        '- button "Tuned \u03b7, \u03b2"',
        '- button "Table of iterates"',  # collapsed (the snapshot shows [expanded] when true)
        '- group "contour plot and start point"',
        '- slider "start point: arrow keys move it"',
    ]:
        # (a name with a colon is quoted in the YAML: '- slider "start point: ..."')
        assert line in tree or f"- '{line[2:]}'" in tree, f"{line!r} not in the tree:\n{tree}"
    assert re.search(r"- status: GD, step 2 of 100, f − f\* = [\d.e-]+, rate 0\.985", tree), tree
    # The unused control says so in words (its description), not by fading alone.
    beta = explorer.get_by_label("\u03b2 (momentum)", exact=True)
    assert (
        page.evaluate(
            "(el) => document.getElementById(el.getAttribute('aria-describedby')).textContent",
            beta.element_handle(),
        )
        == "not used by GD"
    )
    # The plots: images whose names describe what they show now.
    images = explorer.get_by_role("img")
    names = [images.nth(i).get_attribute("aria-label") for i in range(images.count())]
    assert len(names) == 4, names
    assert names[0].startswith("Contour plot: elliptical level sets of f around the minimiser")
    assert "after 2 steps GD at (" in names[0]
    assert re.match(
        r"f\(wₜ\) − f\* against t on a log scale: GD from [\d.]+ at t = 0 to [\d.e-]+ at t = 2$",
        names[1],
    ), names[1]
    assert names[2].startswith(
        "Eigen-coordinates against t on a log scale, from t = 0 to t = 2: GD: flat"
    )
    assert names[3].startswith(
        "Heavy ball's rate over η from 0 to 4/L and β from 0 to 1, κ = 100: "
    )
    assert names[3].endswith("fastest, rate 0.818, at Polyak's optimum η = 0.0331, β = 0.669")
    assert not log.problems(), "\n".join(log.problems())


def test_explorer_start_point_is_not_inside_another_control_or_image(open_page):
    page, _ = open_explorer(open_page)
    handle = page.locator(".gdx .gdx-start").first
    ancestors = handle.evaluate(
        """(el) => { const out = [];
           for (let n = el.parentElement; n && !n.classList.contains('gdx'); n = n.parentElement) {
             const role = n.getAttribute('role'); if (role) out.push(role);
             if (n.matches('a, button, input, select, textarea, [tabindex]')) out.push('focusable');
           } return out; }"""
    )
    assert ancestors == ["group"], ancestors  # only the plot's group; no image, no control


def test_explorer_table_of_the_last_iterates_on_request(open_page):
    from gdlab.optim import GD, run
    from gdlab.problems import Quadratic

    page, log = open_explorer(open_page)
    explorer = page.locator(".gdx").first
    table = explorer.locator(".gdx-table")
    assert table.is_hidden()
    explorer.get_by_role("radio", name="GD").focus()
    tab_to(page, explorer, "Table of iterates")
    page.keyboard.press("Enter")
    button = explorer.get_by_role("button", name="Table of iterates")
    assert button.get_attribute("aria-expanded") == "true"
    assert table.is_visible() and button.get_attribute("aria-controls") == table.get_attribute("id")
    tab_to(page, explorer, "Step", back=True)
    for _ in range(14):
        page.keyboard.press("Enter")
    s = settings(page)
    trace = run(GD(lr=s["lr"]), Quadratic([1, s["kappa"]], angle=s["angle"]), s["start"], 14)
    assert table.locator("caption").inner_text() == "The last iterates up to t = 14 (of 100)"
    headers = table.locator("thead th").all_inner_texts()
    assert headers == ["method", "t", "w\u2081", "w\u2082", "f(w\u209c) \u2212 f*"]
    rows = [r.locator("th, td").all_inner_texts() for r in table.locator("tbody tr").all()]
    assert [int(r[1]) for r in rows] == list(range(5, 15))  # the last ten
    for method, t, w1, w2, gap in rows:
        assert method == "GD"
        assert float(w1) == pytest.approx(trace.iterates[int(t)][0], rel=1e-5)
        assert float(w2) == pytest.approx(trace.iterates[int(t)][1], rel=1e-5)
        assert float(gap) == pytest.approx(trace.values[int(t)], rel=1e-3)
    tab_to(page, explorer, "Table of iterates")  # forward to the table button, and close it
    page.keyboard.press("Enter")
    assert table.is_hidden() and button.get_attribute("aria-expanded") == "false"
    assert not log.problems(), "\n".join(log.problems())


def test_explorer_play_respects_prefers_reduced_motion(open_page):
    page, log = open_explorer(open_page)
    page.emulate_media(reduced_motion="reduce")
    explorer = page.locator(".gdx").first
    play = explorer.get_by_role("button", name="Play")
    play.focus()
    page.keyboard.press("Enter")
    # No animation: the last step is shown at once, and Play is not left running.
    assert settings(page)["t"] == 100
    assert play.get_attribute("aria-pressed") == "false"
    assert live_text(explorer).startswith("GD, step 100 of 100, ")
    page.keyboard.press("Enter")  # again: still no animation, nothing scheduled
    page.wait_for_timeout(200)
    assert settings(page)["t"] == 100
    assert page.evaluate(f"(i) => ({VIEW})(i).playing", 0) is None
    # Without the preference, Play animates (tests/browser/test_explorer.py checks the frames).
    page.emulate_media(reduced_motion="no-preference")
    explorer.get_by_role("button", name="Reset").click()
    play.click()
    page.wait_for_function(f"() => ({VIEW})(0).settings().t >= 3")
    assert settings(page)["t"] < 100
    explorer.get_by_role("button", name="Pause").click()
    assert not log.problems(), "\n".join(log.problems())


@pytest.mark.parametrize("mode", MODES)
def test_explorer_focus_is_always_visible(open_page, mode):
    """Every control the Tab key reaches shows a focus indicator of at least 2 px."""
    page, log = open_explorer(open_page)
    wait_for_widgets(page)
    set_mode(page, log, mode)
    wait_for_widgets(page)
    page.wait_for_function("() => document.querySelectorAll('.gdx').length > 0")
    explorer = page.locator(".gdx").first
    explorer.get_by_role("radio", name="GD").focus()
    page.keyboard.press("Shift+Tab")
    seen, invisible = 0, []
    for _ in range(80):
        page.keyboard.press("Tab")
        state = page.evaluate(
            """() => {
              const a = document.activeElement;
              if (!document.querySelector('.gdx').contains(a)) return null;
              const cs = getComputedStyle(a);
              const outline = cs.outlineStyle !== 'none' ? parseFloat(cs.outlineWidth) : 0;
              const ring = a instanceof SVGElement && !(a instanceof SVGSVGElement)
                ? parseFloat(cs.strokeWidth) : 0;
              return {what: a.outerHTML.slice(0, 80), outline, ring,
                      visible: a.getBoundingClientRect().width > 0};
            }"""
        )
        if state is None:
            if seen:
                break
            continue
        seen += 1
        # an outline of >= 2 px, or for the start point (an SVG shape) a ring thicker than its
        # 2 px resting stroke
        if not (state["outline"] >= 2 or state["ring"] >= 3) or not state["visible"]:
            invisible.append(state)
    assert seen >= 20, seen
    assert not invisible, invisible
    assert not log.problems(), "\n".join(log.problems())
