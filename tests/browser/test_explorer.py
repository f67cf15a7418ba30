"""The optimizer explorer on the built website, in Chromium with the network blocked.

The page's saved widget state is rendered by the vendored widget manager and anywidget front end
(no kernel, no CDN); every control must then work on its own: Step/Back/Play/Reset, the sliders
(driven here from the keyboard), the start point, the (lr, beta) map, the URL hash. The iterates
the page draws are also compared with gdlab.optim, as the unit tests do in Node.
"""

from __future__ import annotations

import math
import re
from urllib.parse import urlparse

import numpy as np
import pytest
from conftest import EXPLORER_PAGE as PAGE
from conftest import EXPLORER_VIEW as VIEW
from conftest import SITE, open_explorer
from conftest import explorer_settings as settings

from gdlab.optim import GD, HeavyBall, Nesterov, Newton, run
from gdlab.problems import Quadratic


def counter(explorer):
    return explorer.locator(".gdx-counter").inner_text()


def current_iterate(explorer):
    dot = explorer.locator(".gdx-contours ~ g .gdx-current").first
    return float(dot.get_attribute("cx")), float(dot.get_attribute("cy"))


def paths(explorer):
    return explorer.locator("svg path").evaluate_all("(ps) => ps.map((p) => p.getAttribute('d'))")


def test_explorer_renders_from_the_site_with_no_network(open_page, artifacts_dir):
    page, log = open_explorer(open_page)
    assert page.locator(".gdx").count() == 2  # the page's two explorers
    loaded = page.evaluate("() => performance.getEntriesByType('resource').map((e) => e.name)")
    site = urlparse(page.url).netloc
    assert all(urlparse(url).netloc in (site, "") for url in loaded if "://" in url)
    assert any(url.split("?")[0].endswith("_static/vendor/anywidget/index.js") for url in loaded)
    config = page.evaluate("() => requirejs.s.contexts._.config.paths")
    assert config["anywidget"].endswith("_static/vendor/anywidget/index")
    assert page.evaluate("() => window.__jupyter_widgets_assets_path__").endswith(
        "_static/vendor/html-manager/"
    )
    # The widget scripts are loaded only on pages with widgets.
    plain, _ = open_page("bibliography.html")
    assert plain.locator("script[src*='embed-amd'], script[src*='widgets-offline']").count() == 0
    page.locator(".gdx").first.screenshot(path=str(artifacts_dir / "explorer_static_site.png"))
    assert not log.problems(), "\n".join(log.problems())


def test_step_back_play_reset(open_page):
    page, log = open_explorer(open_page)
    explorer = page.locator(".gdx").first
    assert counter(explorer) == "t = 0 of 100"
    before = current_iterate(explorer)
    readout = explorer.locator(".gdx-status").inner_text()
    drawn = paths(explorer)
    explorer.get_by_role("button", name="Step").click()
    assert counter(explorer) == "t = 1 of 100"
    after = current_iterate(explorer)
    assert after != before  # the iterate moved on the contour plot
    assert paths(explorer) != drawn  # the drawn path now has a first segment behind the iterate
    assert explorer.locator(".gdx-status").inner_text() != readout  # and f(w_t) changed
    s = settings(page)
    expected = run(GD(lr=s["lr"]), Quadratic([1, s["kappa"]], angle=s["angle"]), s["start"], 1)
    assert s["t"] == 1
    explorer.get_by_role("button", name="Step").click()
    explorer.get_by_role("button", name="Back").click()
    assert counter(explorer) == "t = 1 of 100"
    assert current_iterate(explorer) == after
    first_step = page.evaluate(
        f"(i) => {{ const r = ({VIEW})(i).runs[0]; return [r.x[1], r.y[1]]; }}", 0
    )
    assert first_step == pytest.approx(expected.iterates[1].tolist(), rel=1e-12)
    play = explorer.get_by_role("button", name="Play")
    play.click()
    page.wait_for_function(f"() => ({VIEW})(0).settings().t >= 6")
    explorer.get_by_role("button", name="Pause").click()
    paused_at = settings(page)["t"]
    page.wait_for_timeout(300)
    assert settings(page)["t"] == paused_at
    explorer.get_by_role("button", name="Reset").click()
    assert counter(explorer) == "t = 0 of 100"
    assert explorer.get_by_role("button", name="Back").is_disabled()
    assert not log.problems(), "\n".join(log.problems())


def test_sliders_change_the_drawing_from_the_keyboard(open_page):
    page, log = open_explorer(open_page)
    explorer = page.locator(".gdx").first
    drawn = paths(explorer)
    lr_slider = explorer.get_by_label("\u03b7 (learning rate)", exact=True)
    lr_before = settings(page)["lr"]
    lr_slider.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert settings(page)["lr"] > lr_before
    assert explorer.get_by_label("\u03b7 (learning rate), exact value").input_value() == str(
        settings(page)["lr"]
    )
    assert paths(explorer) != drawn  # trajectory and curves redrawn
    ellipse = explorer.locator(".gdx-contours ellipse").first
    ry = ellipse.get_attribute("ry")
    explorer.get_by_label("\u03ba (condition number)", exact=True).focus()
    page.keyboard.press("PageDown")
    assert settings(page)["kappa"] < 100
    assert ellipse.get_attribute("ry") != ry  # the valley got wider
    # The method radio group, from the keyboard too.
    explorer.get_by_role("radio", name="GD").focus()
    page.keyboard.press("ArrowRight")
    assert settings(page)["method"] == "heavy_ball"
    # The start point: focus it and use the arrow keys.
    x0 = settings(page)["start"][0]
    explorer.locator(".gdx-start").focus()
    page.keyboard.press("ArrowRight")
    assert settings(page)["start"][0] == pytest.approx(x0 + 0.05)
    assert not log.problems(), "\n".join(log.problems())


def test_rotation_and_beta_sliders_change_the_drawing(open_page, artifacts_dir):
    page, log = open_explorer(open_page)
    explorer = page.locator(".gdx").first
    valley = explorer.locator(".gdx-contours > g").first
    transform = valley.get_attribute("transform")
    drawn = paths(explorer)
    angle = settings(page)["angle"]
    explorer.get_by_label("rotation of the valley (degrees)", exact=True).focus()
    for _ in range(5):
        page.keyboard.press("ArrowRight")
    assert settings(page)["angle"] == pytest.approx(angle + 5 * math.pi / 180)
    assert valley.get_attribute("transform") != transform  # the ellipses turned
    assert "rotate(-35)" in explorer.locator(".gdx-contours > g").first.get_attribute("transform")
    assert paths(explorer) != drawn
    # beta acts on the heavy ball (with GD shown it changes nothing drawn but the map's cross).
    explorer.get_by_role("radio", name="Heavy ball").check()
    drawn = paths(explorer)
    cursor = explorer.locator(".gdx-cursor").get_attribute("d")
    beta = settings(page)["beta"]
    explorer.get_by_label("\u03b2 (momentum)", exact=True).focus()
    for _ in range(20):
        page.keyboard.press("ArrowUp")
    assert settings(page)["beta"] == pytest.approx(beta + 0.02)
    assert paths(explorer) != drawn
    assert explorer.locator(".gdx-cursor").get_attribute("d") != cursor  # the map's cross moved
    explorer.screenshot(path=str(artifacts_dir / "explorer_heavy_ball_rotated.png"))
    assert not log.problems(), "\n".join(log.problems())


def test_all_four_methods_at_once(open_page, artifacts_dir):
    page, log = open_explorer(open_page)
    explorer = page.locator(".gdx").first
    explorer.get_by_role("radio", name="All four").check()
    explorer.get_by_role("button", name="Tuned").click()  # Nesterov's textbook lr and beta
    for _ in range(12):
        explorer.get_by_role("button", name="Step").click()
    s = settings(page)
    assert s["method"] == "all" and s["t"] == 12
    methods = page.evaluate(f"(i) => ({VIEW})(i).runs.map((r) => r.method)", 0)
    assert methods == ["gd", "heavy_ball", "nesterov", "newton"]
    # One trajectory (drawn behind its current iterate) and one status line per method.
    for method in methods:
        assert explorer.locator(f"path.gdx-past.gdx-m-{method}").count() == 1, method
    lines = explorer.locator(".gdx-status > div").all_inner_texts()
    assert [line.split(":")[0] for line in lines] == ["GD", "Heavy ball", "Nesterov", "Newton"]
    assert not explorer.locator(".gdx-diverged").count()  # all converge at these settings
    # Each run is the gdlab.optim run of its method, to rounding.
    problem = Quadratic([1, s["kappa"]], angle=s["angle"])
    optimizers = [
        GD(lr=s["lr"]),
        HeavyBall(lr=s["lr"], beta=s["beta"]),
        Nesterov(lr=s["lr"], beta=s["beta"]),
        Newton(lr=s["newton_lr"], damping=s["damping"]),
    ]
    for index, optimizer in enumerate(optimizers):
        js = page.evaluate(
            f"([i, r]) => {{ const run = ({VIEW})(i).runs[r]; "
            "return [Array.from(run.x.slice(0, 13)), Array.from(run.y.slice(0, 13))]; }",
            [0, index],
        )
        reference = run(optimizer, problem, s["start"], 12).iterates
        assert np.column_stack(js) == pytest.approx(reference, rel=1e-9, abs=1e-12), methods[index]
    explorer.screenshot(path=str(artifacts_dir / "explorer_all_four.png"))
    assert not log.problems(), "\n".join(log.problems())


def test_tab_reaches_every_control_and_keys_press_buttons(open_page):
    page, log = open_explorer(open_page)
    explorer = page.locator(".gdx").first
    explorer.get_by_role("button", name="Step").click()  # so that Back is enabled too
    # The controls a Tab should reach: every enabled control, and one radio per group (the
    # checked one: arrow keys move within the group).
    expected = page.evaluate(
        """() => {
          const root = document.querySelector('.gdx');
          const all = root.querySelectorAll('input, button, [tabindex]');
          let n = 0;
          const ids = [];
          for (const c of all) {
            c.dataset.probeId = String(n++);
            if (c.disabled || c.tabIndex < 0) continue;
            if (c.type === 'radio' && !c.checked) continue;
            ids.push(c.dataset.probeId);
          }
          return ids;
        }"""
    )
    assert len(expected) >= 20
    # Start on the element before the explorer and press Tab until focus leaves it.
    explorer.get_by_role("radio", name="GD").focus()
    page.keyboard.press("Shift+Tab")
    reached = []
    for _ in range(3 * len(expected)):
        page.keyboard.press("Tab")
        where = page.evaluate(
            "() => document.querySelector('.gdx').contains(document.activeElement)"
            " ? document.activeElement.dataset.probeId || '?' : null"
        )
        if where is None and reached:
            break
        if where is not None:
            reached.append(where)
    assert reached == expected  # every control, once each, in document order

    step = explorer.get_by_role("button", name="Step")
    step.focus()
    page.keyboard.press("Enter")
    assert settings(page)["t"] == 2
    page.keyboard.press(" ")
    assert settings(page)["t"] == 3
    explorer.get_by_role("button", name="Back").focus()
    page.keyboard.press("Enter")
    assert counter(explorer) == "t = 2 of 100"
    play = explorer.locator("button[aria-pressed]")  # Play, then Pause
    assert play.inner_text() == "Play"
    play.focus()
    page.keyboard.press(" ")
    assert play.inner_text() == "Pause"
    assert play.get_attribute("aria-pressed") == "true"
    page.wait_for_function(f"() => ({VIEW})(0).settings().t >= 5")
    page.keyboard.press(" ")  # the same button, now Pause
    assert play.get_attribute("aria-pressed") == "false"
    paused_at = settings(page)["t"]
    page.wait_for_timeout(200)
    assert settings(page)["t"] == paused_at
    explorer.get_by_role("button", name="Reset").focus()
    page.keyboard.press("Enter")
    assert counter(explorer) == "t = 0 of 100"
    # Method radios: arrow keys select; a number box: type and press Enter.
    explorer.get_by_role("radio", name="GD").focus()
    page.keyboard.press("ArrowLeft")  # wraps round to "All four"
    assert settings(page)["method"] == "all"
    box = explorer.get_by_label("steps", exact=True)
    box.focus()
    page.keyboard.press("Control+a")
    page.keyboard.type("40")
    page.keyboard.press("Enter")
    assert settings(page)["steps"] == 40
    assert counter(explorer) == "t = 0 of 40"
    assert not log.problems(), "\n".join(log.problems())


def test_every_control_is_reachable_by_keyboard(open_page):
    page, _ = open_explorer(open_page)
    unreachable = page.evaluate(
        """() => {
          const root = document.querySelector('.gdx');
          const controls = root.querySelectorAll('input, button, [tabindex]');
          const bad = [];
          for (const c of controls) {
            if (c.disabled) continue;
            c.focus();
            if (document.activeElement !== c || c.tabIndex < 0) bad.push(c.outerHTML.slice(0, 80));
            const label = c.getAttribute('aria-label') || (c.labels && c.labels.length
              ? c.labels[0].textContent : '') || c.textContent;
            if (!label.trim()) bad.push('unlabelled: ' + c.outerHTML.slice(0, 80));
          }
          return [controls.length, bad];
        }"""
    )
    count, bad = unreachable
    assert count >= 20 and not bad, bad


def test_dragging_the_start_point(open_page):
    page, _ = open_explorer(open_page)
    explorer = page.locator(".gdx").first
    handle = explorer.locator(".gdx-start")
    explorer.locator("svg.gdx-svg").first.scroll_into_view_if_needed()
    box = handle.bounding_box()
    plot = explorer.locator("svg.gdx-svg").first.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(plot["x"] + plot["width"] * 0.7, plot["y"] + plot["height"] * 0.3, steps=5)
    page.mouse.up()
    x, y = settings(page)["start"]
    assert x > 0.5 and y > 0.5  # moved to the upper right quadrant
    # The number box shows the start to 6 significant digits.
    shown = explorer.get_by_label("start w\u2080, first coordinate").input_value()
    assert float(shown) == float(f"{x:.6g}")


def test_the_rate_map_sets_lr_and_beta(open_page):
    page, log = open_explorer(open_page)
    explorer = page.locator(".gdx").first
    kappa = settings(page)["kappa"]
    target_lr_times_l, target_beta = 3.0, 0.5
    # The map's plot area in SVG units, from the frame the widget drew (ticks at lr L = 0..4).
    svg = explorer.locator("svg.gdx-mapsvg")
    frame = page.evaluate(
        f"(i) => {{ const m = ({VIEW})(i).map; "
        "return [m.x0, m.x1, m.y0, m.y1, m.width, m.height]; }",
        0,
    )
    x0, x1, y0, y1, width, height = frame
    box = svg.bounding_box()
    sx, sy = box["width"] / width, box["height"] / height
    svg.click(
        position={
            "x": (x0 + (x1 - x0) * target_lr_times_l / 4) * sx,
            "y": (y1 - (y1 - y0) * target_beta) * sy,
        }
    )
    s = settings(page)
    assert s["lr"] * kappa == pytest.approx(target_lr_times_l, abs=0.02)
    assert s["beta"] == pytest.approx(target_beta, abs=0.01)
    # The sliders follow.
    beta_box = explorer.get_by_label("\u03b2 (momentum), exact value")
    assert float(beta_box.input_value()) == pytest.approx(s["beta"])
    beta_slider = explorer.get_by_label("\u03b2 (momentum)", exact=True)
    assert int(beta_slider.input_value()) == round(s["beta"] * 1000)
    lr_slider = explorer.get_by_label("\u03b7 (learning rate)", exact=True)
    assert int(lr_slider.input_value()) == round(s["lr"] * kappa / 4 * 1000)
    # Keyboard on the map: up raises beta by 0.01.
    svg.focus()
    page.keyboard.press("ArrowUp")
    assert settings(page)["beta"] == pytest.approx(s["beta"] + 0.01)
    assert not log.problems(), "\n".join(log.problems())


def test_url_hash_round_trips(open_page, site_url):
    page, log = open_explorer(open_page)
    explorer = page.locator(".gdx").first
    explorer.get_by_role("radio", name="Nesterov").check()
    explorer.get_by_label("\u03ba (condition number), exact value").fill("250")
    explorer.get_by_label("\u03ba (condition number), exact value").press("Enter")
    explorer.get_by_role("button", name="Step").click()
    explorer.get_by_role("button", name="Step").click()
    page.wait_for_function("() => location.hash.includes('kappa:250')")
    hash_ = urlparse(page.url).fragment
    expected = (
        r"explorer=method:nesterov,kappa:250,angle:30,lr:[^,]+,beta:[^,]+,"
        r"damping:0,newton_lr:1,x0:-1.6,y0:1.1,steps:100,t:2"
    )
    assert re.fullmatch(expected, hash_), hash_
    shown = settings(page)
    drawn = paths(explorer)

    again, log2 = open_explorer(open_page, f"{PAGE}#{hash_}")
    restored = again.locator(".gdx").first
    again.wait_for_function(f"() => ({VIEW})(0).settings().kappa === 250")
    restored_settings = settings(again)
    assert restored_settings.pop("angle") == pytest.approx(shown.pop("angle"), rel=1e-12)
    assert restored_settings == shown
    assert restored.get_by_role("radio", name="Nesterov").is_checked()
    assert counter(restored) == "t = 2 of 100"
    assert paths(restored) == drawn  # the same picture
    # The second explorer on the page has its own key and was left alone.
    assert settings(again, 1)["method"] == "all"
    assert not log.problems() and not log2.problems(), log.problems() + log2.problems()


def test_divergence_is_shown_not_drawn_as_garbage(open_page, artifacts_dir):
    page, log = open_explorer(
        open_page, f"{PAGE}#explorer=method:all,kappa:1000,lr:0.0039,beta:0.3,steps:500,t:500"
    )
    explorer = page.locator(".gdx").first
    page.wait_for_function(f"() => ({VIEW})(0).settings().steps === 500")
    status = explorer.locator(".gdx-status").inner_text()
    assert re.search(r"GD: rate \u03c1 = [\d.]+ \u2014 diverged at step \d+", status), status
    assert "Heavy ball: rate" in status and "Newton: rate \u03c1 = 0" in status
    bad = [d for d in paths(explorer) if d and re.search(r"NaN|Infinity|e\+", d)]
    assert not bad, bad[:3]
    numbers = [float(v) for d in paths(explorer) if d for v in re.findall(r"-?\d+\.?\d*", d)]
    assert max(abs(v) for v in numbers) < 1e4  # clipped near the plots, nothing huge
    assert explorer.locator(".gdx-diverged").count() >= 2
    attributes = explorer.locator("svg *").evaluate_all(
        "(nodes) => nodes.flatMap((n) => Array.from(n.attributes, (a) => a.name + '=' + a.value))"
    )
    assert not [a for a in attributes if re.search(r"NaN|Infinity", a)]
    explorer.screenshot(path=str(artifacts_dir / "explorer_divergence.png"))
    assert not log.problems(), "\n".join(log.problems())


@pytest.mark.parametrize(
    ("hash_", "method"),
    [
        ("method:heavy_ball,kappa:300,angle:20,lr:0.01,beta:0.8,steps:300", "heavy_ball"),
        (
            "method:nesterov,kappa:37,angle:100,lr:0.02,beta:0.6,x0:0.4,y0:-1.3,steps:300",
            "nesterov",
        ),
        ("method:newton,kappa:1000,angle:45,newton_lr:0.8,damping:12.5,steps:100", "newton"),
        ("method:gd,kappa:1,angle:0,lr:1.9,steps:300", "gd"),
    ],
)
def test_page_iterates_match_gdlab_optim(open_page, hash_, method):
    """The iterates the built page draws (its own JavaScript, in Chromium) against gdlab.optim."""
    page, _ = open_explorer(open_page, f"{PAGE}#explorer={hash_}")
    page.wait_for_function(f"() => ({VIEW})(0).settings().method === '{method}'")
    s = settings(page)
    js = page.evaluate(
        f"(i) => {{ const r = ({VIEW})(i).runs[0]; "
        "return [Array.from(r.x.slice(0, r.count)), Array.from(r.y.slice(0, r.count))]; }",
        0,
    )
    optimizer = {
        "gd": lambda: GD(lr=s["lr"]),
        "heavy_ball": lambda: HeavyBall(lr=s["lr"], beta=s["beta"]),
        "nesterov": lambda: Nesterov(lr=s["lr"], beta=s["beta"]),
        "newton": lambda: Newton(lr=s["newton_lr"], damping=s["damping"]),
    }[method]()
    trace = run(optimizer, Quadratic([1, s["kappa"]], angle=s["angle"]), s["start"], s["steps"])
    iterates = np.column_stack(js)
    reference = trace.iterates[: len(iterates)]
    assert len(iterates) == s["steps"] + 1
    floor = 1e-6 * s["kappa"] * np.linalg.norm(s["start"])
    scale = np.maximum(np.linalg.norm(reference, axis=1), floor)
    assert np.max(np.linalg.norm(iterates - reference, axis=1) / scale) <= 1e-9
    assert math.isclose(s["angle"], float(hash_.split("angle:")[1].split(",")[0]) * math.pi / 180)


def test_phone_width(open_page, artifacts_dir):
    page, log = open_explorer(open_page, width=390, height=844)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    page.locator(".gdx").first.screenshot(path=str(artifacts_dir / "phone_explorer.png"))
    assert overflow <= 1, f"the explorer page scrolls sideways by {overflow}px at 390px"
    assert not log.problems(), "\n".join(log.problems())


def test_quadratic_model_page_embeds_the_zigzag_preset(open_page):
    page, log = open_explorer(open_page, "chapters/quadratic_model.html")
    s = settings(page)
    assert (s["method"], s["kappa"], s["lr"]) == ("gd", 50, 1.8 / 50)
    assert page.locator(".gdx").count() == 1
    link = page.locator("a[href*='optimizer_explorer.html']")
    assert link.count() >= 1
    assert (SITE / "chapters" / "optimizer_explorer.html").exists()
    assert not log.problems(), "\n".join(log.problems())
