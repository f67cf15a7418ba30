"""gdlab.widgets: the explorer's JavaScript against gdlab.optim and gdlab.rates; its Python side.

The JavaScript simulation core (``lib/gdlab/static/explorer_core.js``) runs in Node; its iterates
are compared with :func:`gdlab.optim.run` on a grid of settings (every method, Nesterov and
damped Newton included) to 1e-9 relative. The browser tests (tests/browser/test_explorer.py) run
the same comparison on the widget's module as the built website loads it, in Chromium.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import anywidget
import numpy as np
import pytest
import yaml

from gdlab import rates, widgets
from gdlab.optim import GD, HeavyBall, Nesterov, Newton, run
from gdlab.problems import Quadratic
from gdlab.widgets import Explorer, tuned_settings

ROOT = Path(__file__).resolve().parents[1]
STATIC = ROOT / "lib" / "gdlab" / "static"
CORE = STATIC / "explorer_core.js"
NODE = shutil.which("node")


@pytest.fixture
def node_present():
    """Node.js runs the explorer's JS core; `make test` installs Debian's nodejs if missing."""
    if NODE is None:
        pytest.fail("Node.js is not installed: run `make system-deps` (installs Debian's nodejs)")


needs_node = pytest.mark.usefixtures("node_present")

# Reads {"calls": [[function name, args...], ...]} on stdin, writes the results as JSON.
DRIVER = """
import * as core from %s;
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const out = JSON.parse(input).calls.map(([name, ...args]) => {
    const result = core[name](...args);
    if (name !== "simulate") return result;
    const n = result.count;
    return {
      iterates: Array.from({ length: n }, (_, i) => [result.x[i], result.y[i]]),
      values: Array.from(result.f.slice(0, n)),
      diverged: result.diverged,
    };
  });
  process.stdout.write(JSON.stringify(out));
});
"""


def call_js(calls, tmp_path_factory=None):
    """Evaluate [name, *args] calls of explorer_core.js in one Node process."""
    script = DRIVER % json.dumps(CORE.as_uri())
    completed = subprocess.run(
        [NODE, "--input-type=module", "-e", script],
        input=json.dumps({"calls": calls}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def python_run(method, s):
    problem = Quadratic([1.0, s["kappa"]], angle=s["angle"])
    optimizer = {
        "gd": lambda: GD(lr=s["lr"]),
        "heavy_ball": lambda: HeavyBall(lr=s["lr"], beta=s["beta"]),
        "nesterov": lambda: Nesterov(lr=s["lr"], beta=s["beta"]),
        "newton": lambda: Newton(lr=s["newton_lr"], damping=s["damping"]),
    }[method]()
    return run(optimizer, problem, s["start"], s["steps"])


def grid():
    """Settings for the consistency test: every method, conditioning from 1 to 1000, rotations,
    step sizes inside and outside the stable range, momentum, Newton's step and damping."""
    cases = []
    problems = itertools.product(
        [1.0, 7.5, 100.0, 1000.0], [0.0, 0.4, 2.5], [(-1.6, 1.1), (0.3, -1.9)]
    )
    for kappa, angle, start in problems:
        base = dict(kappa=kappa, angle=angle, start=list(start), damping=0.0, newton_lr=1.0)
        for lr_times_l in [0.3, 1.0, 1.7, 2.3]:  # 2.3 > 2: GD diverges
            for method, beta in itertools.product(["gd", "heavy_ball", "nesterov"], [0, 0.5, 0.9]):
                if method != "gd" or beta == 0:
                    cases.append((method, {**base, "lr": lr_times_l / kappa, "beta": beta,
                                           "steps": 200}))  # fmt: skip
        for newton_lr, damping in [(1.0, 0.0), (0.7, 0.0), (1.0, 3.0), (0.5, 250.0), (2.2, 0.5)]:
            cases.append(("newton", {**base, "lr": 0.1, "beta": 0.0, "damping": damping,
                                     "newton_lr": newton_lr, "steps": 60}))  # fmt: skip
    return cases


@needs_node
def test_javascript_simulation_matches_gdlab_optim():
    cases = grid()
    assert {method for method, _ in cases} == set(widgets.METHODS)
    results = call_js([["simulate", s, method] for method, s in cases])
    worst = 0.0
    diverged_cases = 0
    for (method, s), js in zip(cases, results, strict=True):
        trace = python_run(method, s)
        count = len(js["iterates"])
        iterates = np.array(js["iterates"])
        reference = trace.iterates[:count]
        assert np.isfinite(reference).all(), (method, s)
        # Relative to the size of the iterate. An iterate that is 0 in exact arithmetic (GD with
        # lr = 1/L at kappa = 1, undamped Newton) is rounding noise in both, of size about
        # kappa * eps * |w_0|: the scale has a floor of 1e-6 kappa |w_0|, i.e. an absolute
        # tolerance of 1e-15 kappa |w_0| (a few units in the last place, times kappa).
        floor = 1e-6 * s["kappa"] * np.linalg.norm(s["start"])
        scale = np.maximum(np.linalg.norm(reference, axis=1), floor)
        error = np.linalg.norm(iterates - reference, axis=1) / scale
        worst = max(worst, float(error.max()))
        assert error.max() <= 1e-9, (method, s, float(error.max()))
        value_scale = np.maximum(trace.values[:count], 1e-12 * trace.values[0])
        assert np.all(np.abs(np.array(js["values"]) - trace.values[:count]) <= 1e-9 * value_scale)
        # A run stops exactly where the reference first leaves the ball of radius 1e6.
        norms = np.linalg.norm(trace.iterates, axis=1)
        beyond = ~np.isfinite(norms) | (norms > 1e6)
        if js["diverged"] is None:
            assert count == s["steps"] + 1 and not beyond.any(), (method, s)
        else:
            diverged_cases += 1
            assert js["diverged"] == count == int(np.argmax(beyond)), (method, s)
    assert diverged_cases > 10  # the grid does exercise divergence
    assert worst < 1e-9


@needs_node
def test_javascript_rates_match_gdlab_rates():
    settings = [
        dict(kappa=k, lr=m / k, beta=b, damping=d, newton_lr=n)
        for k, m, b, d, n in itertools.product(
            [1.0, 30.0, 1000.0], [0.2, 1.0, 2.5], [0.0, 0.6, 0.95], [0.0, 4.0], [1.0, 0.6]
        )
    ]
    methods = list(widgets.METHODS)
    calls = [["directionRates", s, m] for s in settings for m in methods]
    calls += [["heavyBallRate", s["kappa"], s["lr"], s["beta"]] for s in settings]
    calls += [["tuned", k, m] for k in [1.0, 10.0, 1000.0] for m in methods]
    out = iter(call_js(calls))
    for s in settings:
        eigenvalues = np.array([1.0, s["kappa"]])
        for method in methods:
            per_direction = next(out)
            if method == "gd":
                expected = np.abs(rates.gd_factors(eigenvalues, s["lr"]))
                assert max(per_direction) == pytest.approx(rates.gd_rate(eigenvalues, s["lr"]))
            elif method == "heavy_ball":
                expected = [rates.heavy_ball_rate(lam, s["lr"], s["beta"]) for lam in eigenvalues]
            elif method == "nesterov":
                expected = [rates.nesterov_rate(lam, s["lr"], s["beta"]) for lam in eigenvalues]
            else:
                expected = np.abs(1 - s["newton_lr"] * eigenvalues / (eigenvalues + s["damping"]))
            assert per_direction == pytest.approx(expected, rel=1e-12, abs=1e-12), (method, s)
    for s in settings:
        expected = rates.heavy_ball_rate([1.0, s["kappa"]], s["lr"], s["beta"])
        assert next(out) == pytest.approx(expected, rel=1e-12, abs=1e-12)
    for kappa in [1.0, 10.0, 1000.0]:
        for method in methods:
            assert next(out) == pytest.approx(tuned_settings(method, kappa), rel=1e-12)


def test_newton_rate_is_measured_on_the_eigen_coordinates():
    """The damped-Newton factor used by the widget, checked on gdlab.optim's iterates."""
    explorer = Explorer(method="newton", kappa=40.0, angle=0.3, damping=5.0, newton_lr=0.8)
    trace = explorer.trace()
    hat = np.array([explorer.problem.to_eigenbasis(w) for w in trace.iterates[:6]])
    factors = hat[1:] / hat[:-1]
    expected = 1 - 0.8 * np.array([1.0, 40.0]) / (np.array([1.0, 40.0]) + 5.0)
    assert np.allclose(factors, expected, rtol=1e-9)
    assert explorer.rate() == pytest.approx(np.max(np.abs(expected)))


@needs_node
def test_url_hash_round_trip_and_sanitising():
    full = dict(method="nesterov", kappa=123.456, angle=0.7, lr=0.0123456789, beta=0.87,
                damping=2.5, newton_lr=0.9, start=[-1.25, 0.333], steps=250, t=17)  # fmt: skip
    hostile = "method:evil,kappa:1e9,angle:-30,lr:-1,beta:2,x0:5,y0:nan,steps:1e7,t:-3,junk:1"
    out = call_js([
        ["encodeSettings", full],
        ["decodeSettings", "method:gd,kappa:50,angle:90,lr:0.02,x0:0.5,y0:-0.5,t:3"],
        ["decodeSettings", hostile],
        ["writeHash", "#section-2&other=1", "explorer", "method:gd,kappa:10"],
        ["writeHash", "#explorer=method:gd&other=1", "explorer", "method:all"],
        ["readHash", "#a=1&explorer=method:heavy_ball,kappa:3&b=2", "explorer"],
        ["readHash", "#other=1", "explorer"],
    ])  # fmt: skip
    encoded, simple, sanitised, written, replaced, read, missing = out
    assert encoded.startswith("method:nesterov,kappa:123.456,angle:")
    (decoded,) = call_js([["decodeSettings", encoded]])
    assert decoded.pop("angle") == pytest.approx(0.7, rel=1e-12)
    assert decoded == {k: v for k, v in full.items() if k != "angle"}
    assert simple == dict(method="gd", kappa=50, angle=pytest.approx(math.pi / 2), lr=0.02,
                          start=[0.5, -0.5], t=3)  # fmt: skip
    # Malformed entries are dropped, numbers clamped into the explorer's ranges.
    assert sanitised == dict(kappa=1000, angle=0, beta=0.999, steps=1000, t=0)
    assert written == "#section-2&other=1&explorer=method:gd,kappa:10"
    assert replaced == "#explorer=method:all&other=1"
    assert read == "method:heavy_ball,kappa:3"
    assert missing is None


def test_module_is_the_core_followed_by_the_view():
    esm = widgets.explorer_esm()
    core = CORE.read_text(encoding="utf-8")
    view = (STATIC / "explorer.js").read_text(encoding="utf-8")
    assert esm.startswith(core)
    assert 'from "./explorer_core.js"' not in esm
    assert view.split('} from "./explorer_core.js";', 1)[1] in esm
    assert "export default { render }" in esm
    assert Explorer._esm == esm
    assert "gdx" in Explorer._css


@needs_node
def test_module_parses_as_javascript(tmp_path):
    module = tmp_path / "explorer.mjs"
    module.write_text(widgets.explorer_esm(), encoding="utf-8")
    completed = subprocess.run([NODE, "--check", str(module)], capture_output=True, text=True,
                               check=False)  # fmt: skip
    assert completed.returncode == 0, completed.stderr


# -- the Python side --------------------------------------------------------------------------


def test_trace_and_rate_are_gdlab_computations():
    explorer = Explorer(method="heavy_ball", kappa=100.0, angle=0.5, lr=0.02, beta=0.7,
                        start=[1.0, -0.5], steps=40)  # fmt: skip
    reference = run(HeavyBall(lr=0.02, beta=0.7), Quadratic([1.0, 100.0], angle=0.5),
                    [1.0, -0.5], 40)  # fmt: skip
    np.testing.assert_array_equal(explorer.trace().iterates, reference.iterates)
    assert explorer.rate() == rates.heavy_ball_rate([1.0, 100.0], 0.02, 0.7)
    assert explorer.trace("gd").optimizer == "GD"
    explorer.method = "all"
    with pytest.raises(ValueError, match="method"):
        explorer.trace()  # "all" is not one method
    assert explorer.trace("newton").optimizer == "Newton"


def test_tuned_settings():
    assert tuned_settings("gd", 100.0) == {"lr": rates.optimal_gd_lr(100.0, 1.0)}
    lr, beta = rates.optimal_heavy_ball(100.0, 1.0)
    assert tuned_settings("heavy_ball", 100.0) == {"lr": lr, "beta": beta}
    assert tuned_settings("nesterov", 100.0) == {"lr": 0.01, "beta": pytest.approx(9 / 11)}
    assert tuned_settings("newton", 5.0) == {"newton_lr": 1.0, "damping": 0.0}
    explorer = Explorer(method="heavy_ball", kappa=100.0).tune()
    assert (explorer.lr, explorer.beta) == (lr, beta)
    assert explorer.rate() == pytest.approx(rates.optimal_heavy_ball_rate(100.0), rel=1e-6)
    explorer = Explorer(method="all", kappa=100.0, damping=3.0).tune()
    assert (explorer.lr, explorer.damping) == (0.01, 0.0)
    for method in widgets.METHODS:
        assert explorer.rate(method) < 1  # all four converge at the "all" tuned settings
    with pytest.raises(ValueError, match="method"):
        tuned_settings("adam", 10.0)
    with pytest.raises(ValueError, match="kappa"):
        tuned_settings("gd", 0.5)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("method", "sgd"),
        ("kappa", 0.5),
        ("kappa", 2000.0),
        ("angle", -0.1),
        ("lr", 0.0),
        ("lr", float("nan")),
        ("beta", 1.0),
        ("newton_lr", 3.0),
        ("damping", -1.0),
        ("start", [0.0, 3.0]),
        ("start", [0.0]),
        ("steps", 0),
        ("steps", 5000),
        ("t", -1),
        ("hash_key", "a b"),
    ],
)
def test_bad_settings_fail_naming_the_setting(name, value):
    with pytest.raises(ValueError, match=name):
        Explorer(**{name: value})
    explorer = Explorer()
    with pytest.raises(ValueError, match=name):
        setattr(explorer, name, value)


def test_t_follows_steps():
    explorer = Explorer(steps=50, t=40)
    assert explorer.t == 40
    explorer.steps = 20
    assert explorer.t == 20
    explorer.t = 100
    assert explorer.t == 20
    assert explorer.settings()["start"] == [-1.6, 1.1]


def test_use_step_draws_your_step_and_follows_the_settings():
    def my_heavy_ball(w, problem, lr, beta, state):
        previous = state.get("previous", w)
        state["previous"] = w
        return w - lr * problem.grad(w) + beta * (w - previous)

    explorer = Explorer(method="heavy_ball", kappa=50.0, steps=30).tune()
    assert explorer.use_step(my_heavy_ball, label="mine") is explorer
    assert explorer.user_label == "mine"
    path = np.array(explorer.user_path)
    np.testing.assert_allclose(path, explorer.trace().iterates, rtol=1e-12, atol=1e-15)
    assert explorer.user_settings["lr"] == explorer.lr
    # Moving a setting (as the sliders do) re-runs the step for the new settings.
    explorer.lr = 0.01
    assert explorer.user_settings["lr"] == 0.01
    np.testing.assert_allclose(explorer.user_path, explorer.trace().iterates, rtol=1e-12,
                               atol=1e-15)  # fmt: skip
    explorer.start = [0.5, 0.5]
    assert explorer.user_path[0] == [0.5, 0.5]
    explorer.clear_step()
    assert explorer.user_path == [] and explorer.user_label == ""
    with pytest.raises(ValueError, match="use_step"):
        explorer.user_trace()


def test_use_step_passes_only_the_arguments_named_and_stops_at_divergence():
    seen = {}

    def plain_gd(w, problem, lr, **extra):
        seen.update(extra)
        return w - 3.0 * lr * problem.grad(w)  # three times too large: diverges

    explorer = Explorer(method="gd", kappa=10.0, lr=0.19, steps=400)
    explorer.use_step(plain_gd)
    assert set(seen) == {"beta", "damping", "newton_lr", "t", "state"}
    path = np.array(explorer.user_path)
    assert 3 < len(path) < 401
    assert np.isfinite(path).all() and np.linalg.norm(path[-1]) <= 1e6

    explorer.use_step(lambda w, problem: w)  # no hyperparameters at all
    assert len(explorer.user_path) == 401
    with pytest.raises(ValueError, match="callable"):
        explorer.use_step("not a function")
    with pytest.raises(ValueError, match="shape"):
        explorer.use_step(lambda w, problem: 0.0)


# -- serving anywidget's front end from the site -----------------------------------------------


def test_vendored_anywidget_front_end_matches_the_python_package():
    vendored = ROOT / "assets" / "vendor" / "anywidget" / "index.js"
    versions = (ROOT / "assets" / "vendor" / "VERSIONS.txt").read_text(encoding="utf-8")
    assert f"anywidget@{anywidget.__version__} " in versions
    assert (ROOT / "assets" / "vendor" / "anywidget" / "LICENSE").exists()
    # The wheel ships the same AMD bundle for the classic notebook: byte-identical.
    wheel_copy = Path(anywidget.__file__).parent / "nbextension" / "index.js"
    assert vendored.read_bytes() == wheel_copy.read_bytes()
    assert 'define(["@jupyter-widgets/base"]' in vendored.read_text(encoding="utf-8")
    assert Explorer()._view_module_version == f"~{'.'.join(anywidget.__version__.split('.')[:2])}.*"


def test_widget_scripts_load_in_order_and_only_on_widget_pages():
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config["sphinx"]["config"]
    scripts = list(sphinx["nb_ipywidgets_js"])
    assert scripts == [
        "vendor/requirejs/require.js",
        "js/widgets-offline.js",
        "vendor/html-manager/embed-amd.js",
    ]
    static = ROOT / sphinx["html_static_path"][0]
    assert static.name != "_static"  # else Jupyter Book would add every script to every page
    for script in scripts:
        assert (static / script).exists(), script


def test_presets_are_the_named_views():
    # Polyak's heavy ball on kappa = 100: lr = 4 / (sqrt(L) + sqrt(mu))^2, beta = ((10-1)/(10+1))^2.
    momentum = Explorer(preset="momentum")
    assert (momentum.method, momentum.kappa, momentum.hash_key) == ("heavy_ball", 100.0, "momentum")
    assert momentum.lr == pytest.approx(4 / 11**2, rel=1e-15)
    assert momentum.beta == pytest.approx((9 / 11) ** 2, rel=1e-15)
    nesterov = Explorer(preset="nesterov")
    assert (nesterov.lr, nesterov.beta) == (pytest.approx(0.01), pytest.approx(9 / 11))
    compare = Explorer(preset="compare")
    assert compare.method == "all" and (compare.lr, compare.damping) == (0.01, 0.0)
    assert all(compare.rate(method) < 1 for method in widgets.METHODS)
    descent = Explorer(preset="descent")
    assert (descent.method, descent.lr * descent.kappa) == ("gd", pytest.approx(1.0))
    zigzag = Explorer(preset="zigzag")
    assert zigzag.lr * zigzag.kappa == pytest.approx(1.8)
    assert zigzag.start == [-1.8, 1.2] and zigzag.angle == pytest.approx(np.pi / 7)
    # GD's steep factor 1 - lr L = -0.8: each step overshoots and flips the steep coordinate.
    steep = np.array([zigzag.problem.to_eigenbasis(w)[1] for w in zigzag.trace().iterates[:6]])
    assert np.all(steep[1:] * steep[:-1] < 0)
    newton = Explorer(preset="newton")
    assert np.linalg.norm(newton.trace().iterates[1]) < 1e-12  # one step to the minimiser


def test_preset_keyword_arguments_override_and_the_step_follows_kappa():
    wide = Explorer(preset="momentum", kappa=400, steps=200)
    assert (wide.kappa, wide.steps) == (400.0, 200)
    assert wide.lr == pytest.approx(4 / 21**2, rel=1e-15)  # tuned for kappa = 400
    assert wide.beta == pytest.approx((19 / 21) ** 2, rel=1e-15)
    mine = Explorer(preset="momentum", kappa=400, lr=0.001, hash_key="mine")
    assert mine.lr == 0.001 and mine.hash_key == "mine"
    assert mine.beta == pytest.approx((19 / 21) ** 2, rel=1e-15)
    assert Explorer(preset="descent", kappa=1000).lr == pytest.approx(1e-3)
    assert Explorer(preset="zigzag", method="heavy_ball").method == "heavy_ball"
    # The saved widget state carries the preset's values (what a built page shows).
    state = Explorer(preset="nesterov").get_state()
    assert (state["method"], state["lr"], state["hash_key"]) == ("nesterov", 0.01, "nesterov")
    with pytest.raises(ValueError, match="preset"):
        Explorer(preset="adam")
    with pytest.raises(ValueError, match="kappa"):
        Explorer(preset="momentum", kappa=5000)


# -- what a screen reader hears (the explorer's live region) ----------------------------------

ANNOUNCE = """
import * as core from %s;
const out = JSON.parse(process.argv[1]).map((s) => {
  const shown = s.method === "all" ? core.METHODS : [s.method];
  const runs = shown.map((m) => core.simulate(s, m));
  const rates = Object.fromEntries(shown.map((m) => [m, core.directionRates(s, m)]));
  return core.announcement(s, runs, rates);
});
process.stdout.write(JSON.stringify(out));
"""


def spoken(v, digits=2):
    """The announcement's number format: `digits` significant digits, exponent form if tiny."""
    if v == 0:
        return "0"
    if 1e-3 <= abs(v) < 1e5:
        return f"{float(f'{v:.{digits}g}'):g}"
    mantissa, exponent = f"{v:.{digits - 1}e}".split("e")
    return f"{mantissa}e{int(exponent)}"


@needs_node
def test_announcement_states_method_step_gap_and_rate_from_gdlab():
    base = dict(kappa=100.0, angle=math.pi / 6, lr=0.015, beta=0.5, damping=0.0, newton_lr=1.0,
                start=[-1.6, 1.1], steps=100)  # fmt: skip
    cases = [
        {**base, "method": "gd", "t": 12},
        {**base, "method": "gd", "kappa": 10.0, "lr": 2 / 11, "t": 60},
        {**base, "method": "all", "t": 3},
        {**base, "method": "gd", "lr": 0.03, "t": 100},  # beyond 2/L: diverges
    ]
    script = ANNOUNCE % json.dumps(CORE.as_uri())
    completed = subprocess.run([NODE, "--input-type=module", "-e", script, json.dumps(cases)],
                               capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    gd12, gd60, everything, diverged = json.loads(completed.stdout)
    problem = Quadratic([1.0, 100.0], angle=math.pi / 6)
    trace = python_run("gd", {**base, "steps": 100})
    rate = rates.gd_rate(problem.eigenvalues, 0.015)
    assert gd12 == f"GD, step 12 of 100, f \u2212 f* = {spoken(trace.values[12])}, rate 0.985"
    fast = python_run("gd", {**base, "kappa": 10.0, "lr": 2 / 11, "steps": 60})
    assert gd60 == f"GD, step 60 of 100, f \u2212 f* = {spoken(fast.values[60])}, rate 0.818"
    assert re.fullmatch(r"\d\.\de-\d+", spoken(fast.values[60]))  # tiny: "3.2e-4" form
    assert spoken(rate, 3) == "0.985"
    clauses = everything.split(": ", 1)[1].split("; ")
    assert everything.startswith("All four, step 3 of 100: ")
    assert [c.split(",")[0] for c in clauses] == ["GD", "Heavy ball", "Nesterov", "Newton"]
    # Newton lands on w* in one step: f - f* is rounding noise (not comparable digit for digit)
    newton = re.fullmatch(r"Newton, f \u2212 f\* = (\S+), rate 0", clauses[3])
    assert newton and float(newton.group(1)) < 1e-25, clauses[3]
    # The explorer stops a run at its first iterate farther than 1e6 from w* (HUGE in the core).
    blown = python_run("gd", {**base, "lr": 0.03, "steps": 100})
    first = int(np.argmax(np.linalg.norm(blown.iterates, axis=1) > 1e6))
    assert first > 0
    assert diverged == f"GD, step 100 of 100, diverged at step {first}, rate 2"
