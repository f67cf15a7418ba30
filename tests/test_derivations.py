"""Tests for gdlab.derivations: every derivation checks, and the checker can fail.

The mutation tests change one coefficient, exponent or relation in one step at a time and
require the checker to reject that step whenever the change makes it false (shown by a point
where it fails). Every mutant of every step of the 2x2 catalog runs (about 1000 mutants, a
minute); ``GDLAB_QUICK_MUTATIONS=1`` runs only each step's relation mutants and its first few
coefficient/exponent mutants.
"""

from __future__ import annotations

import os
import re

import numpy as np
import pytest
import sympy as sp

import gdlab.derivations as gd
from gdlab.derivations import errata
from gdlab.derivations._prover import prove_nonneg, prove_zero, region, sign
from gdlab.derivations._refute import counterexample
from gdlab.derivations.core import Derivation, Step, check, check_step
from gdlab.derivations.mutate import mutants

CATALOG = gd.catalog()
MUTATED = gd.catalog(large=False)
FULL = os.environ.get("GDLAB_QUICK_MUTATIONS") != "1"
FIRST_MUTANTS = 4


def _ids(ds):
    return [d.key for d in ds]


# --------------------------------------------------------------------------- every derivation


@pytest.mark.parametrize("d", CATALOG, ids=_ids(CATALOG))
def test_every_derivation_verifies(d):
    report = check(d)
    assert report.ok, str(report)
    assert report.result is not None


def test_catalog_covers_the_issue():
    keys = {d.key for d in CATALOG}
    for key in (
        "descent-lemma",
        "descent-range",
        "newton-step-2x2",
        "newton-step-3x3",
        "quadratic-eigenbasis-2",
        "quadratic-convergence",
        "quadratic-rate",
        "quadratic-best-step",
        "heavy-ball-eigenbasis",
        "heavy-ball-rate",
        "momentum-unrolled",
        "nesterov-equivalence",
        "adam-bias-correction",
        "gd-rate",
        "sgd-rate",
        "sgd-step-size",
    ):
        assert key in keys
    assert len(keys) == len(CATALOG), "derivation keys (page labels) must be unique"


def test_descent_lemma_result_is_the_lemma():
    lhs, rel, rhs = check(gd.descent_lemma()).result
    d = gd.descent_lemma()
    assert rel == "<="
    assert d.tex(lhs) == "f(w_{t+1})"
    assert r"\frac{\eta \left\lVert \nabla f(w_t) \right\rVert_2^{2}}{2}" in d.tex(rhs)


def test_footnote_5_range_is_derived_not_assumed():
    d = gd.descent_range()
    step = d.steps[1]
    assert step.rhs == sp.Interval.open(0, 2 / sp.Symbol("L", positive=True))
    assert not step.assume and not any("2/L" in str(a) for a in d.assume)
    assert check(d).ok


def test_sgd_constants():
    rate = sp.sqrt(
        sp.Symbol("M", positive=True)
        * sp.Symbol("L", positive=True)
        * sp.Symbol("sigma", positive=True) ** 2
        / sp.Symbol("T", integer=True, positive=True)
    )
    d = gd.sgd_rate()
    assert sp.simplify(d.steps[9].rhs - sp.Rational(3, 2) * rate) == 0
    s = gd.sgd_step_size()
    assert sp.simplify(s.steps[3].rhs - sp.sqrt(2) * rate) == 0
    assert check(s).ok


# --------------------------------------------------------------------------- rendering


def test_render_is_markdown_with_marks_and_no_pipes_in_math():
    for d in CATALOG:
        rendered = gd.render(d)
        md = rendered._repr_markdown_()
        assert md.count("✓") == len(d.steps)
        for row in md.splitlines():
            if row.startswith("| ") and "✓" in row:
                assert row.count("|") == 3, row  # two cells: no stray pipe inside the math
        assert "**Result**" in md
        assert rendered.ok


def test_render_one_liner():
    from gdlab.derivations import descent_lemma, render

    out = render(descent_lemma())
    assert hasattr(out, "_repr_markdown_") and "$f(w_{t+1}) \\le" in out.markdown


def test_render_summary_collapses_the_same_table_under_its_title():
    from gdlab.derivations import descent_lemma, render

    open_table = render(descent_lemma()).markdown
    collapsed = render(descent_lemma(), summary="Descent lemma: one GD step lowers f").markdown
    assert collapsed.startswith("`````{dropdown} Descent lemma: one GD step lowers f\n")
    assert collapsed.endswith("`````\n")
    assert open_table in collapsed
    for bad in ["", "two\nlines", 3]:
        with pytest.raises(ValueError, match="summary must be"):
            render(descent_lemma(), summary=bad)


def test_failing_derivation_raises_with_step_residual_and_assumptions():
    d = errata.descent_lemma("as-stated")
    with pytest.raises(gd.DerivationError) as info:
        gd.render(d)
    text = str(info.value)
    assert "step 4 FAILS" in text
    assert "residual:" in text and "assumptions:" in text and "counterexample" in text
    shown = gd.render(d, allow_failures=True)
    assert "4&nbsp;✗" in shown.markdown and "**does not hold**" in shown.markdown
    assert not shown.ok


# --------------------------------------------------------------------------- errata evidence


@pytest.mark.parametrize("d", errata.chapter_claims(), ids=_ids(errata.chapter_claims()))
def test_chapter_claims_fail_where_expected(d):
    report = check(d)
    failed = [s.index for s in report.failures()]
    assert failed == [errata.EXPECTED_FAILURES[d.key]], str(report)
    assert report.failures()[0].counterexample is not None


@pytest.mark.parametrize("d", errata.corrections(), ids=_ids(errata.corrections()))
def test_corrections_pass(d):
    assert check(d).ok, str(check(d))


def test_footnote2_degrees():
    run = errata.footnote2_run()
    assert run["degree_p6"] == 6 and run["degree_p4"] == 4 and run["zeros_match"]
    assert any(r["satisfies"] for r in run["rows"]) and not all(r["satisfies"] for r in run["rows"])


def test_runs():
    h = errata.hessian_symmetry_run()
    assert (h["f_xy(0, 0)"], h["f_yx(0, 0)"]) == (-1, 1)
    s = errata.smooth_not_twice_differentiable_run()
    assert (s["left second derivative at 0"], s["right second derivative at 0"]) == (0, 1)
    rows = errata.harmonic_run()
    assert any(r["sum a_t/S_t"] > r["log(sigma^2 T)"] for r in rows)
    assert all(r["sum a_t/S_t"] <= r["1 + log(S_T/a_1)"] + 1e-12 for r in rows)
    assert all(r["sum a_t/(sigma^2 + S_{t-1})"] <= r["log2(1 + T)"] for r in rows)


# --------------------------------------------------------------------------- mutation tests


@pytest.mark.parametrize("d", MUTATED, ids=_ids(MUTATED))
def test_mutants_of_every_step_are_rejected(d):
    for k in range(1, len(d.steps) + 1):
        ms = mutants(d, k)
        relation = [m for m in ms if m.kind == "relation"]
        changes = [m for m in ms if m.kind != "relation"]
        assert relation and changes, f"{d.key} step {k} has nothing to mutate"
        for m in relation:
            result = check_step(m.derivation, k)
            assert not result.ok, f"{d.key} step {k}: accepted {m.description}"
        refuted = 0
        for m in changes if FULL else changes[:FIRST_MUTANTS]:
            result = check_step(m.derivation, k)
            if result.counterexample is not None:
                assert not result.ok
                refuted += 1
            elif result.ok:
                # accepted: it must be a true weakening, with no point where it fails
                assert counterexample(m.derivation, k, samples=60) is None, (
                    f"{d.key} step {k}: accepted a false mutant ({m.description})"
                )
        if refuted == 0 and not FULL:
            for m in changes[FIRST_MUTANTS:]:
                result = check_step(m.derivation, k)
                if result.counterexample is not None:
                    assert not result.ok
                    refuted = 1
                    break
        assert refuted, f"{d.key} step {k}: no coefficient or exponent mutant was shown false"


def test_mutation_is_reported_on_the_mutated_step():
    d = gd.descent_lemma()
    m = next(m for m in mutants(d, 4) if m.description == "rhs: coefficient -1/2 -> -3/2")
    report = check(m.derivation)
    assert [s.index for s in report.failures()][0] == 4
    assert "-3/2" in m.description


def test_every_step_has_a_tight_or_strict_relation():
    """A non-strict step that could be tightened to strict was written weaker than it is."""
    for d in MUTATED:
        for k, step in enumerate(d.steps, start=1):
            if step.rel in ("<=", ">="):
                tight = [m for m in mutants(d, k) if m.description.endswith(("-> <", "-> >"))]
                assert tight and not any(check_step(m.derivation, k).ok for m in tight)


# --------------------------------------------------------------------------- the prover itself


def test_box_variables_are_not_zero():
    x, L = sp.Symbol("x", real=True), sp.Symbol("L", positive=True)
    reg = region([x <= 1 / L])
    (u,) = [v for v in reg.substitution[x].free_symbols if v != L]
    assert not sign(u, reg).zero and not sign(u, reg).nonpos


def test_inequality_needs_its_assumptions():
    eta, L, G = (
        sp.Symbol("eta", positive=True),
        sp.Symbol("L", positive=True),
        sp.Symbol("G", nonnegative=True),
    )
    residual = eta * (1 - L * eta) * G / 2
    assert prove_nonneg(residual, [eta <= 1 / L])[0]
    assert not prove_nonneg(residual, [eta <= 2 / L])[0]
    assert not prove_nonneg(residual, [eta <= 1 / L], strict=True)[0]
    x = sp.Symbol("x", real=True)
    assert not prove_nonneg(x * (1 - L * x), [x <= 1 / L])[0]


def test_abs_and_max_by_cases():
    lam, mu, L = (sp.Symbol(n, positive=True) for n in ("lambda", "mu", "L"))
    rate = (L - mu) / (L + mu)
    assert prove_nonneg(rate - sp.Abs(1 - 2 * lam / (L + mu)), [mu <= lam, lam <= L, mu <= L])[0]
    assert not prove_nonneg(rate - sp.Abs(1 - 2 * lam / (L + mu)), [mu <= lam, mu <= L])[0]


def test_zero_needs_an_identity():
    a, b = sp.symbols("a b", real=True)
    assert prove_zero((a + b) ** 2 - a**2 - 2 * a * b - b**2)[0]
    assert not prove_zero((a + b) ** 2 - a**2 - b**2)[0]


def test_refuter_never_accepts_and_finds_points():
    x = sp.Symbol("x", positive=True)
    d = Derivation(
        key="toy",
        title="toy",
        source="-",
        section="-",
        claim="-",
        steps=(Step(lhs=x**2, rel=">=", rhs=2 * x - 1), Step(lhs=x**2, rel=">", rhs=2 * x)),
    )
    report = check(d)
    assert report.steps[0].ok
    assert not report.steps[1].ok and report.steps[1].counterexample is not None
    assert re.search(r"value", str(report.steps[1].counterexample))


def test_newton_degenerate_run():
    run = errata.newton_degenerate_run()
    w = sp.Symbol("w", real=True)
    # By hand: w - 4w^3/(12w^2) = 2w/3, so each step keeps 2/3 of the error.
    assert sp.simplify(run["w^4"]["newton map"] - 2 * w / 3) == 0
    quartic = run["w^4"]["iterates"]
    assert all(
        abs(b / a - 2 / 3) < 1e-12 for a, b in zip(quartic[:-1], quartic[1:], strict=True) if a
    )
    assert run["w^2/2 + w^4/4"]["map / w^2 at 0"] == 0
    assert run["w^2/2 + w^4/4"]["iterates"][3] < 1e-6


def test_logistic_corollary_run():
    import math

    run = errata.logistic_corollary_run(steps=10_000)
    assert run["L"] == sp.Rational(1, 4) and run["stationary points"] == sp.S.EmptySet
    ws = [r["w_t"] for r in run["rows"]]
    grads = [r["|f'(w_t)|"] for r in run["rows"]]
    assert ws == sorted(ws) and grads == sorted(grads, reverse=True)
    # independent formula: |f'(w)| = 1/(1 + e^w)
    assert all(abs(g - 1 / (1 + math.exp(x))) < 1e-15 for x, g in zip(ws, grads, strict=True))


def test_sgd_first_line_run():
    run = errata.sgd_first_line_run()
    eta, s = sp.symbols("eta s", positive=True)
    gaps = sorted(run["gaps"].values(), key=str)
    assert {sp.expand(g) for g in gaps} == {
        sp.expand(eta * s * (1 - eta)),
        sp.expand(-eta * s * (1 - eta)),
    }
    assert run["gap in expectation"] == 0


def test_adagrad_norm_expectation_run():
    run = errata.adagrad_norm_expectation_run()
    s = sp.Symbol("s", positive=True)
    assert run["E[grad P_1 hat grad_1]"] == 1
    # (1/(1+s) + 1/(1-s))/2 = 1/(1 - s^2)
    assert sp.simplify(run["grad^2 E[P_1]"] - 1 / (1 - s**2)) == 0


def test_heavy_ball_schedule_reading_that_splits_the_two_forms():
    run = errata.heavy_ball_schedule_run()
    gaps = run["one-step gaps"]
    assert gaps["eta_t inside v_t"] == 0
    beta, eta_t, eta_prev = sp.symbols("beta eta_t eta_{t-1}", positive=True)
    w_t, w_prev = sp.symbols("w_t w_{t-1}", real=True)
    expected = beta * (eta_t / eta_prev - 1) * (w_t - w_prev)
    assert sp.simplify(gaps["eta_t multiplying v_t"] - expected) == 0
    assert run["max |A velocity - position|"] < 1e-13
    assert run["max |B velocity - position|"] > 1e-2
    assert run["max |B velocity - position with beta eta_t/eta_{t-1}|"] < 1e-13


def test_squared_gradients_track_label_noise_not_curvature():
    run = errata.squared_gradients_run()
    hessian = run["hessian diagonal"]
    low, high = run["mean squared gradient, noise 0.1"], run["mean squared gradient, noise 1.0"]
    np.testing.assert_allclose(high / low, 100.0, rtol=1e-10)  # the Hessian does not change
    assert np.all(run["mean squared gradient, noise 0.0"] < 1e-20) and np.all(hessian > 0.01)
    for level in (0.0, 0.1, 1.0):
        assert np.max(np.abs(run[f"full gradient at the fit, noise {level}"])) < 1e-12


def test_second_moment_is_variance_plus_squared_gradient():
    run = errata.second_moment_identity()
    nabla = sp.Symbol("nabla", real=True)
    assert run["second moment - variance"] == nabla**2
    assert run["mean"] == nabla


def test_sigma_two_roles_and_lion_decay():
    run = errata.sigma_two_roles_run()
    assert run["E g^2"] <= run["sigma^2 (Eq. 4.11)"] < run["largest g^2"]
    assert run["harmonic sum at T = 1, draw 2"] > run["log2(1 + T) at T = 1"]
    lion = errata.lion_decay_run()
    assert abs(lion["w_T, weight_decay = 0.0"] - 20.0) < 0.02
    assert abs(lion["w_T, weight_decay = 0.1"] - 10.0) < 0.01
