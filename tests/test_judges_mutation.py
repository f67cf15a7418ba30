"""Each branch of each exercise judge, reached by a wrong answer given as plain data.

The judges (gdlab.grading.steepest_descent, smoothness_bound, minibatch_variance) are called
directly: the part's own cases, drawn from a fixed seed, and the answer's outputs encoded by
gdlab.grading.transport exactly as the grader's harvest does. For every judged part there is a
right answer (passes, also when it differs from the reference by more than rounding, where
the judge accepts any optimal answer) and wrong answers that reach each way of failing, each
named by the message it must produce. gdlab.grading.judging.judge_part is driven with
harvested results as plain dicts. The mutation run (make mutation, group "judges") counts
which changes to the judges these tests notice.
"""

from __future__ import annotations

import signal
import threading

import numpy as np
import pytest
import sympy as sp

from gdlab.grading import PARTS, transport
from gdlab.grading import judging as judging_module
from gdlab.grading.core import Fail, Part, Verdict
from gdlab.grading.judging import judge_part, not_attempted_reason


def judge(part_id: str, answer, seed: int = 0) -> str | None:
    """The judge's message for ``answer`` (None when it passes), on plain data only."""
    _, part = PARTS[part_id]
    if part.kind == "function":
        cases = part.cases(np.random.default_rng(seed))
        data = [transport.call_case(answer, case) for case in cases]
    else:
        cases, data = [], transport.encode(answer)
    try:
        part.judge(cases, data)
    except Fail as failure:
        return str(failure)
    return None


def fails_with(part_id: str, answer, words: str, seed: int = 0) -> None:
    message = judge(part_id, answer, seed)
    assert message is not None, f"{part_id} accepted a wrong answer"
    assert words in message, message


# -- Problem 4.1.1: steepest-descent steps ------------------------------------------------------


def l2_step(g, eps):
    norm = np.linalg.norm(g)
    return np.zeros_like(g) if norm == 0 else -eps * g / norm


def linf_step(g, eps):
    return -eps * np.sign(g)


def l1_step(g, eps):
    step = np.zeros_like(g)
    if np.any(g):
        i = int(np.argmax(np.abs(g)))
        step[i] = -eps * np.sign(g[i])
    return step


def l1_step_split_over_ties(g, eps):
    """Optimal too: the l1 budget shared by every coordinate with the largest |g_i|."""
    step = np.zeros_like(g)
    if np.any(g):
        top = np.abs(g) == np.abs(g).max()
        step[top] = -eps * np.sign(g[top]) / top.sum()
    return step


def scaled(step, factor):
    return lambda g, eps: factor * step(g, eps)


def nonzero_for_zero_gradient(step):
    """Right for g != 0; for g = 0 a feasible non-zero step (optimal, but not the asked one)."""

    def answer(g, eps):
        if not np.any(g):
            out = np.zeros_like(g)
            out[0] = eps / 2
            return out
        return step(g, eps)

    return answer


STEPS = {"4.1.1a": l2_step, "4.1.1c": linf_step, "4.1.1d": l1_step}


@pytest.mark.parametrize("part_id", list(STEPS))
def test_steepest_step_judges_accept_optimal_steps(part_id):
    """Pins that an optimal step passes each ball's judge, also 1e-9 inside the boundary."""
    assert judge(part_id, STEPS[part_id]) is None
    assert judge(part_id, scaled(STEPS[part_id], 1 - 1e-9)) is None
    assert judge(part_id, scaled(STEPS[part_id], 1 + 1e-9)) is None  # within TOL = 1e-7


def test_l1_judge_accepts_every_optimal_step_at_a_tie():
    """Pins judging by optimality: splitting the l1 budget over tied coordinates passes."""
    assert judge("4.1.1d", l1_step_split_over_ties) is None


@pytest.mark.parametrize("part_id", list(STEPS))
def test_steepest_step_judges_reject_each_kind_of_wrong_step(part_id):
    """Pins each failure branch of the step judge for each ball: a non-zero step for a zero
    gradient (a finite answer, so the zero-gradient check itself must catch it), a step 1e-5
    outside the ball, a step 1e-5 short of the best decrease, and a wrong shape."""
    step = STEPS[part_id]
    fails_with(part_id, nonzero_for_zero_gradient(step), "should be the zero vector")
    fails_with(part_id, scaled(step, 1 + 1e-5), "outside the ball")
    fails_with(part_id, scaled(step, 1 - 1e-5), "the best step in the ball decreases it")
    fails_with(part_id, lambda g, eps: step(g, eps)[:-1], "should have shape")
    fails_with(part_id, lambda g, eps: -step(g, eps), "the best step in the ball decreases it")


def test_linf_judge_uses_the_l1_dual_norm():
    """Pins 4.1.1c's optimal value -eps ||g||_1: the l2 step lies in the l-infinity ball but
    decreases the model only by eps ||g||_2, so it must fail (with the l2 dual norm it would
    pass); likewise the l1 corner step."""
    fails_with("4.1.1c", l2_step, "the best step in the ball decreases it")
    fails_with("4.1.1c", l1_step, "the best step in the ball decreases it")


def test_l1_and_l2_judges_use_their_dual_norms():
    """Pins 4.1.1d's dual norm (max |g_i|) and 4.1.1a's (||g||_2): each ball's step, scaled
    into the other ball, is feasible there and not optimal."""
    fails_with("4.1.1d", lambda g, eps: l2_step(g, eps) / np.sqrt(len(g)), "decreases it")
    fails_with("4.1.1a", lambda g, eps: l1_step(g, eps), "decreases it")
    fails_with("4.1.1a", lambda g, eps: linf_step(g, eps) / np.sqrt(len(g)), "decreases it")


def test_alpha_judge_accepts_equivalent_forms_and_rejects_others():
    """Pins 4.1.1b: alpha = epsilon / ||g|| in any equivalent form; other forms fail."""
    epsilon, g_norm = sp.symbols("epsilon g_norm", positive=True)
    assert judge("4.1.1b", epsilon / g_norm) is None
    assert judge("4.1.1b", 2 * epsilon / (2 * g_norm)) is None
    for wrong in (epsilon * g_norm, g_norm / epsilon, epsilon / g_norm**2, epsilon):
        fails_with("4.1.1b", wrong, "does not give a step of length epsilon")


def test_gain_judge_tolerance():
    """Pins 4.1.1e's tolerance: 10 to 1e-8 passes, 10 off by 1e-4 relative fails, and so do
    values an order of magnitude away in either direction and halfway (6)."""
    assert judge("4.1.1e", 10.0) is None
    assert judge("4.1.1e", 10.0 * (1 + 1e-8)) is None
    for wrong in (10.0 * (1 + 1e-4), 10.0 * (1 - 1e-4), 6.0, 14.0, 1.0, 100.0):
        fails_with("4.1.1e", wrong, "is not right")
    fails_with("4.1.1e", "ten", "should be a number")


# -- Problem 4.1.3: smoothness constants --------------------------------------------------------


def test_quadratic_smoothness_judge():
    """Pins 4.1.3a: L = max |eigenvalue| of A passes; the largest signed eigenvalue (wrong
    on the negative-dominant cases), 1e-5 off, and the spectral radius doubled fail."""

    def right(A):
        return np.max(np.abs(np.linalg.eigvalsh(A)))

    assert judge("4.1.3a", right) is None
    assert judge("4.1.3a", lambda A: right(A) * (1 + 1e-8)) is None
    fails_with("4.1.3a", lambda A: np.linalg.eigvalsh(A)[-1], "that is not the smallest L")
    fails_with("4.1.3a", lambda A: right(A) * (1 + 1e-5), "that is not the smallest L")
    fails_with("4.1.3a", lambda A: 2 * right(A), "that is not the smallest L")
    fails_with("4.1.3a", lambda A: [right(A), 0.0], "should be a single number")


def test_page_matrix_judge():
    """Pins 4.1.3b: 1 + 2 sqrt(2) (the larger |eigenvalue| of [[1, 2], [2, -3]]) passes;
    the other eigenvalue's size, the trace and 1e-5 off fail."""
    assert judge("4.1.3b", 1 + 2 * np.sqrt(2)) is None
    assert judge("4.1.3b", (1 + 2 * np.sqrt(2)) * (1 + 1e-8)) is None
    for wrong in (2 * np.sqrt(2) - 1, -2.0, 3.0, (1 + 2 * np.sqrt(2)) * (1 + 1e-5)):
        fails_with("4.1.3b", wrong, "is not the smallest smoothness constant")


def test_logistic_smoothness_judge():
    """Pins 4.1.3c: lambda_max(X^T X) / (4n) passes; without the 4, without the n, with the
    smallest eigenvalue, or 1e-5 off, it fails."""

    def right(X):
        return np.linalg.eigvalsh(X.T @ X)[-1] / (4 * len(X))

    assert judge("4.1.3c", right) is None
    fails_with("4.1.3c", lambda X: 4 * right(X), "expected a different value")
    fails_with("4.1.3c", lambda X: right(X) * len(X), "expected a different value")
    fails_with("4.1.3c", lambda X: np.linalg.eigvalsh(X.T @ X)[0] / (4 * len(X)), "different")
    fails_with("4.1.3c", lambda X: right(X) * (1 + 1e-5), "expected a different value")


def gap(f, grad_f, L, w, w_t):
    return f(w_t) + grad_f(w_t) @ (w - w_t) + L / 2 * np.sum((w - w_t) ** 2) - f(w)


def test_smoothness_gap_judge():
    """Pins 4.1.3d against the grader's own (4.9) gap: the gap passes; its negative, the gap
    without the L/2 term, with L instead of L/2, and 1e-5 relative off fail."""
    assert judge("4.1.3d", gap) is None
    fails_with("4.1.3d", lambda *a: -gap(*a), "is a different number")
    fails_with(
        "4.1.3d",
        lambda f, grad_f, L, w, w_t: gap(f, grad_f, 0.0, w, w_t),
        "is a different number",
    )
    fails_with(
        "4.1.3d",
        lambda f, grad_f, L, w, w_t: gap(f, grad_f, 2 * L, w, w_t),
        "is a different number",
    )
    fails_with("4.1.3d", lambda *a: gap(*a) * (1 + 1e-5), "is a different number")


def test_counterexample_judge():
    """Pins 4.1.3e: (w, w_t) = (2 sqrt(L), 0) breaks (4.9) for w**4 and passes, as an array or
    a tuple; pairs where (4.9) holds, NaN (rejected when decoded), a pair beyond 1e100 and a
    wrong shape fail."""
    assert judge("4.1.3e", lambda L: np.array([2 * np.sqrt(L), 0.0])) is None
    assert judge("4.1.3e", lambda L: (2 * np.sqrt(L), 0.0)) is None
    fails_with("4.1.3e", lambda L: (0.1 * np.sqrt(L), 0.0), "(4.9) holds")
    fails_with("4.1.3e", lambda L: (0.0, 0.0), "(4.9) holds")
    fails_with("4.1.3e", lambda L: (np.nan, 0.0), "contains NaN or inf")
    fails_with("4.1.3e", lambda L: (1e101, 0.0), "not a pair of moderate finite numbers")
    fails_with("4.1.3e", lambda L: np.array([1.0, 2.0, 3.0]), "should have shape (2,)")
    fails_with("4.1.3e", lambda L: (1.0, 2.0, None), "should be a tuple of 2 items")
    fails_with("4.1.3e", lambda L: (1.0, None), "should be a number")
    fails_with("4.1.3e", lambda L: 1.0, "should be a tuple of 2 items")


def test_counterexample_judge_boundary_is_exact():
    """Pins the strict test gap < 0 in exact arithmetic: at w_t = 0, w = sqrt(L/2) the gap of
    (4.9) for w**4 is exactly 0 when L = 2 (w = 1), so (4.9) holds and the pair fails; the
    next float above 1 breaks it."""
    _, part = PARTS["4.1.3e"]
    cases = [{"args": [2.0]}]
    with pytest.raises(Fail, match="holds"):
        part.judge(cases, [transport.encode((1.0, 0.0))])
    part.judge(cases, [transport.encode((np.nextafter(1.0, 2.0), 0.0))])


# -- Problem 4.6.3: mini-batch gradients --------------------------------------------------------


def minibatch(G, B, rng, replace=True):
    return G[rng.choice(len(G), size=B, replace=replace)].mean(axis=0)


def test_sampler_judge_accepts_a_right_sampler():
    """Pins 4.6.3a on a correct sampler (with and without replacement)."""
    assert judge("4.6.3a", minibatch) is None


def test_sampler_judge_rejects_each_kind_of_wrong_sampler():
    """Pins each failure of 4.6.3a: always with replacement (B = n without replacement must be
    the full gradient), a biased draw, a draw with the variance of B = 1, a B = 1 draw that is
    not one of the rows, the wrong shape."""
    fails_with(
        "4.6.3a",
        lambda G, B, rng, replace=True: (
            minibatch(G, B, rng, True) if B == len(G) else minibatch(G, B, rng, replace)
        ),
        "every batch is the whole data set",
    )
    fails_with(
        "4.6.3a",
        lambda G, B, rng, replace=True: minibatch(G, B, rng, True),
        "the variance over",
    )
    fails_with(
        "4.6.3a",
        lambda G, B, rng, replace=True: minibatch(G, B, rng, replace) + 0.1,
        "biased",
    )
    fails_with(
        "4.6.3a",
        lambda G, B, rng, replace=True: (
            G.mean(axis=0) if B == len(G) and not replace else minibatch(G, 1, rng)
        ),
        "the variance over",
    )
    fails_with(
        "4.6.3a",
        lambda G, B, rng, replace=True: (
            0.5 * (minibatch(G, 1, rng) + minibatch(G, 1, rng))
            if B == 1
            else minibatch(G, B, rng, replace)
        ),
        "one of the per-example gradients",
    )
    fails_with(
        "4.6.3a",
        lambda G, B, rng, replace=True: minibatch(G, B, rng, replace)[:-1],
        "should return a vector of shape",
    )


def test_variance_bound_judge():
    """Pins 4.6.3b: gamma_1^2 / B passes in any form; gamma_1 / B and gamma_1^2 / B^2 fail."""
    gamma_1, B = sp.symbols("gamma_1 B", positive=True)
    assert judge("4.6.3b", gamma_1**2 / B) is None
    assert judge("4.6.3b", (gamma_1 / sp.sqrt(B)) ** 2) is None
    for wrong in (gamma_1 / B, gamma_1**2 / B**2, gamma_1**2, B * gamma_1**2):
        fails_with("4.6.3b", wrong, "is not the variance of the average of B draws")


def variance_curve(G, batches, rng, n_draws=2000):
    mean = G.mean(axis=0)
    variances = [
        np.mean([np.sum((minibatch(G, B, rng) - mean) ** 2) for _ in range(n_draws)])
        for B in batches
    ]
    slope = np.polyfit(np.log(batches), np.log(variances), 1)[0]
    return np.array(variances), float(slope)


def test_variance_curve_judge():
    """Pins 4.6.3c: a right curve passes; variances off by a factor 2, non-positive ones, a
    slope that is not the fit of the answer's own data, and the wrong tuple fail."""
    assert judge("4.6.3c", variance_curve) is None

    def twice(G, batches, rng):
        variances, slope = variance_curve(G, batches, rng)
        return 2 * variances, slope

    def zero_first(G, batches, rng):
        variances, slope = variance_curve(G, batches, rng)
        variances[0] = 0.0
        return variances, slope

    def other_slope(G, batches, rng):
        variances, slope = variance_curve(G, batches, rng)
        return variances, slope + 0.01

    fails_with("4.6.3c", twice, "far from gamma_1^2 / B")
    fails_with("4.6.3c", zero_first, "far from gamma_1^2 / B")
    fails_with("4.6.3c", other_slope, "not the least-squares slope")
    fails_with("4.6.3c", lambda G, batches, rng: variance_curve(G, batches, rng)[0], "2 items")


def test_variance_curve_judge_rejects_a_slope_far_from_minus_one():
    """Pins the last check of 4.6.3c, |slope + 1| <= 0.15, with made-up variances within 30%
    of gamma_1^2 / B at every B: slope -0.9 passes, slope -0.83 fails."""
    _, part = PARTS["4.6.3c"]
    cases = part.cases(np.random.default_rng(0))
    G = np.array(cases[0]["args"][0]["array"])
    batches = np.array(cases[0]["args"][1], dtype=float)
    gamma1_sq = float(np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1)))
    theory = gamma1_sq / batches
    near = theory * 0.85 * batches**0.1  # slope -0.9; every ratio to theory in [0.85, 1.2]
    slope = float(np.polyfit(np.log(batches), np.log(near), 1)[0])
    part.judge(cases, [transport.encode((near, slope))])
    far = theory * 0.72 * batches**0.17  # slope -0.83; every ratio in [0.72, 1.3]
    slope = float(np.polyfit(np.log(batches), np.log(far), 1)[0])
    with pytest.raises(Fail, match="far from the theory"):
        part.judge(cases, [transport.encode((far, slope))])


def test_iteration_count_judge_branches():
    """Pins the branches of 4.6.3d not reached by tests/test_grading.py: an answer without B
    or without epsilon, a negative count, an expression that cannot be evaluated at small
    epsilon."""
    B, e = sp.symbols("B epsilon", positive=True)
    assert judge("4.6.3d", 1 / e**2 + 1 / (B * e**4)) is None
    fails_with("4.6.3d", 1 / e**4, "should depend on both B and epsilon")
    fails_with("4.6.3d", B + 1, "should depend on both B and epsilon")
    fails_with("4.6.3d", -1 / e**2 - 1 / (B * e**4), "should be a positive number")
    fails_with("4.6.3d", 1 / (B * e**4) + 1 / e**3, "grows differently")


# -- judging.judge_part: not attempted, pass, fail, malformed, too slow -------------------------


def part_with(judge_fn, kind="function") -> Part:
    return Part("x.1", "answer", kind, "a test part", "a hint", judge_fn, lambda rng: [{}])


def accept(cases, answers):
    return None


def reject(cases, answers):
    raise Fail("wrong")


def test_not_attempted_reasons():
    """Pins each not-attempted case: not defined, still None (value, or a non-callable for a
    function part), a function returning None on every case or raising NotImplementedError;
    and that one real output makes it attempted."""
    fn, value = part_with(accept), part_with(accept, "value")
    none, num = {"t": "none"}, {"t": "num", "v": 1.0}
    todo = {"t": "error", "type": "NotImplementedError", "msg": ""}
    assert not_attempted_reason(fn, {"found": False}) == "`answer` is not defined"
    assert not_attempted_reason(fn, "garbage") == "`answer` is not defined"
    assert not_attempted_reason(value, {"found": True, "value": none}) == "`answer` is still None"
    assert not_attempted_reason(value, {"found": True, "value": num}) is None
    not_callable = {"found": True, "callable": False, "value": none}
    assert not_attempted_reason(fn, not_callable) == "`answer` is still None"
    for outputs in ([none, none], [todo], [none, todo]):
        result = {"found": True, "callable": True, "outputs": outputs}
        assert not_attempted_reason(fn, result) == "`answer` still returns None"
    for outputs in ([none, num], [], [{"t": "error", "type": "ValueError"}], ["x"]):
        assert not_attempted_reason(fn, {"found": True, "outputs": outputs}) is None


def test_judge_part_verdicts():
    """Pins judge_part's verdicts: pass with full points, fail with the judge's message,
    a value given for a function part, incomplete outputs, and a judge that crashes."""
    ok = judge_part(part_with(accept), [{}], {"found": True, "outputs": [{"t": "num", "v": 1}]})
    assert (ok.status, ok.points, ok.max_points, ok.message) == ("pass", 1.0, 1.0, "")
    bad = judge_part(part_with(reject), [{}], {"found": True, "outputs": [{"t": "num", "v": 1}]})
    assert (bad.status, bad.points, bad.message) == ("fail", 0.0, "wrong")
    value = {"found": True, "callable": False, "value": {"t": "num", "v": 3}}
    verdict = judge_part(part_with(accept), [{}], value)
    assert verdict.status == "fail"
    assert verdict.message == "`answer` should be a function, but it is the number 3"
    missing = judge_part(part_with(accept), [{}, {}], {"found": True, "outputs": [{"t": "x"}]})
    assert (missing.status, missing.message) == ("fail", "the answers for this part are incomplete")
    odd = judge_part(part_with(accept), [{}], {"found": True, "outputs": {"t": "x"}})
    assert odd.message == "the answers for this part are incomplete"

    def crash(cases, answers):
        raise KeyError("v")

    crashed = judge_part(part_with(crash), [{}], {"found": True, "outputs": [{"t": "x"}]})
    assert (crashed.status, crashed.message) == (
        "fail",
        "the answer could not be checked (KeyError)",
    )
    passed_value = judge_part(part_with(accept, "value"), [], {"found": True, "value": {"t": "x"}})
    assert passed_value.status == "pass"
    seen = []
    judge_part(part_with(lambda c, a: seen.append(a), "value"), [], {"found": True, "value": 7})
    assert seen == [7]  # a value part's judge gets the value itself


def test_judge_part_time_limit(monkeypatch):
    """Pins the judge time limit: a judge longer than JUDGE_SECONDS fails as too costly in the
    main thread, the previous SIGALRM handler is restored, and off the main thread (where no
    alarm can be set) the same judge runs to the end."""
    import time

    monkeypatch.setattr(judging_module, "JUDGE_SECONDS", 0.05)

    def slow(cases, answers):
        time.sleep(0.5)

    result = {"found": True, "outputs": [{"t": "num", "v": 1}]}
    before = signal.getsignal(signal.SIGALRM)
    verdict = judge_part(part_with(slow), [{}], result)
    assert (verdict.status, verdict.message) == ("fail", "the answer is too costly to check")
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
    fast = judge_part(part_with(accept), [{}], result)
    assert fast.status == "pass"
    off_main = []
    thread = threading.Thread(
        target=lambda: off_main.append(judge_part(part_with(slow), [{}], result))
    )
    thread.start()
    thread.join()
    assert off_main[0].status == "pass"


# -- what every judge shares: one output per case, answers named in the messages ---------------

FUNCTION_PARTS = [p for p, (_, part) in PARTS.items() if part.kind == "function"]


RIGHT = {
    "4.1.1a": l2_step,
    "4.1.1c": linf_step,
    "4.1.1d": l1_step,
    "4.1.3a": lambda A: np.max(np.abs(np.linalg.eigvalsh(A))),
    "4.1.3c": lambda X: np.linalg.eigvalsh(X.T @ X)[-1] / (4 * len(X)),
    "4.1.3d": gap,
    "4.1.3e": lambda L: (2 * np.sqrt(L), 0.0),
    "4.6.3a": minibatch,
}


@pytest.mark.parametrize("part_id", list(RIGHT))
def test_judges_refuse_a_different_number_of_outputs(part_id):
    """Pins zip(..., strict=True) in every judge with several cases: right outputs for all
    cases but the last are an error (judge_part reports it as incomplete before), never a
    silent pass on the cases given."""
    _, part = PARTS[part_id]
    cases = part.cases(np.random.default_rng(0))
    outputs = [transport.call_case(RIGHT[part_id], case) for case in cases]
    part.judge(cases, outputs)
    with pytest.raises(ValueError, match="zip"):
        part.judge(cases, outputs[:-1])


@pytest.mark.parametrize(
    ("part_id", "answer", "start"),
    [
        ("4.1.1a", lambda g, eps: "a step", "the step for g = "),
        ("4.1.1e", "ten", "the factor should be a number"),
        ("4.1.3a", lambda A: "L", "L should be a number"),
        ("4.1.3b", "L", "L_page should be a number"),
        ("4.1.3c", lambda X: "L", "L should be a number"),
        ("4.1.3d", lambda *a: "gap", "the gap should be a number"),
        ("4.1.3e", lambda L: ("w", 0.0), "w should be a number"),
        ("4.1.3e", lambda L: (0.0, "w_t"), "w_t should be a number"),
        ("4.1.3e", lambda L: "pair", "the answer for L = "),
        ("4.6.3a", lambda G, B, rng, replace=True: "g", "the mini-batch gradient for B = 4"),
        ("4.6.3c", lambda G, batches, rng: "curve", "variance_curve's result should be a tuple"),
        ("4.6.3c", lambda G, batches, rng: ([1.0], -1.0), "the variances should have shape"),
        ("4.6.3c", lambda G, batches, rng: (np.ones(6), "s"), "the slope should be a number"),
    ],
)
def test_judge_messages_name_the_answer(part_id, answer, start):
    """Pins the name each judge gives a malformed answer at the start of its message."""
    message = judge(part_id, answer)
    assert message is not None and message.startswith(start), message


def gap_case(spec, L, w, w_t):
    args = [{"value_of": spec}, {"grad_of": spec}, L, {"array": w}, {"array": w_t}]
    return {"args": args}


def test_gap_judge_tolerances():
    """Pins 4.1.3d's tolerance, rtol 1e-7 with atol 1e-9: 1e-8 relative off passes; at w = w_t
    (gap exactly 0) an answer 5e-9 off fails and 5e-10 off passes."""
    assert judge("4.1.3d", lambda *a: gap(*a) * (1 + 1e-8)) is None
    _, part = PARTS["4.1.3d"]
    cases = [gap_case(["quartic"], 2.0, [0.5, 1.0, -1.0], [0.5, 1.0, -1.0])]
    part.judge(cases, [transport.encode(5e-10)])
    with pytest.raises(Fail, match="is a different number"):
        part.judge(cases, [transport.encode(5e-9)])
    part.judge(cases, [transport.encode(0.0)])


def test_judge_messages_show_the_case():
    """Pins the case shown with a failure: the gap judge names f, w and w_t; the counter judge
    names L and the pair; the quadratic judge the eigenvalues of A."""
    _, part = PARTS["4.1.3d"]
    cases = [gap_case(["quartic"], 2.0, [0.5, 1.0, -1.0], [0.25, 0.0, 2.0])]
    with pytest.raises(Fail) as info:
        part.judge(cases, [transport.encode(123.0)])
    assert str(info.value).startswith("for f = quartic, L = 2, w = [ 0.5 1. -1. ], w_t = [0.25")
    message = judge("4.1.3e", lambda L: (0.0, 0.5))
    assert message.startswith("for L = ") and "(4.9) holds at w = 0, w_t = 0.5" in message
    message = judge("4.1.3e", lambda L: (1e101, 0.0))
    assert message.startswith("for L = ") and "the pair [1.e+101 0.e+000]" in message
    message = judge("4.1.3a", lambda A: 0.0)
    assert message.startswith("for A with eigenvalues [")


def test_counterexample_judge_is_exact_at_the_boundary_and_the_size_limit():
    """Pins the 1e100 size limit (1e100 itself is accepted) and that a pair where (4.9) holds,
    also with equality (w = w_t: gap 0), fails."""
    _, part = PARTS["4.1.3e"]
    part.judge([{"args": [2.0]}], [transport.encode((1e100, 0.0))])
    with pytest.raises(Fail, match="holds"):
        part.judge([{"args": [2.5]}], [transport.encode((1.0, 0.0))])  # 1.25 - 1 > 0: holds
    with pytest.raises(Fail, match="holds"):
        part.judge([{"args": [1.0]}], [transport.encode((0.5, 0.5))])  # w = w_t: gap 0


def test_quartic_gap_is_the_right_side_of_4_9_minus_f():
    """Pins quartic_gap(L, w, w_t) = w_t^4 + 4 w_t^3 (w - w_t) + L/2 (w - w_t)^2 - w^4 exactly."""
    from fractions import Fraction

    from gdlab.grading.smoothness_bound import quartic_gap

    for L, w, wt in ((3, 2, 1), (Fraction(1, 3), Fraction(-5, 2), Fraction(7, 4)), (10, 0, 3)):
        L, w, wt = Fraction(L), Fraction(w), Fraction(wt)
        assert quartic_gap(L, w, wt) == wt**4 + 4 * wt**3 * (w - wt) + L / 2 * (w - wt) ** 2 - w**4
    assert quartic_gap(Fraction(3), Fraction(2), Fraction(1)) == Fraction(-19, 2)


def test_case_generators_follow_their_design():
    """Pins the cases the judges are fair on: the quadratics are indefinite, the first three
    (2x2, 4x4, 6x6) with a dominant negative eigenvalue in [-5, -2], then a 3x3 positive
    dominant one, then diag(1, -7, 3); the others lie in [-1, 1]. Logistic X is 20x2, 35x4,
    50x3. The gap cases: quadratic, logistic, quartic twice each, in R^3, L in [0.5, 6]. The
    counterexample's L: one per decade range [0.1, 1), [10, 100), [1e3, 1e4), [1e6, 1e7)."""
    rng = np.random.default_rng(11)
    _, quadratic = PARTS["4.1.3a"]
    cases = quadratic.cases(rng)
    eigs = [np.linalg.eigvalsh(np.array(c["args"][0]["array"])) for c in cases]
    assert [len(e) for e in eigs] == [2, 4, 6, 3, 3]
    for e in eigs[:3]:
        assert -5 <= e[0] <= -2 and np.all(np.abs(e[1:]) <= 1)
    assert all(e[1:].min() < e[1:].max() for e in eigs[1:3])  # drawn, not all equal
    assert 2 <= eigs[3][-1] <= 5 and np.all(np.abs(eigs[3][:-1]) <= 1)
    np.testing.assert_allclose(eigs[4], [-7.0, 1.0, 3.0])
    assert any(np.any(e[1:] < 0) for e in eigs[:3]) and any(np.any(e[1:] > 0) for e in eigs[:3])
    _, logistic = PARTS["4.1.3c"]
    shapes = [np.array(c["args"][0]["array"]).shape for c in logistic.cases(rng)]
    assert shapes == [(20, 2), (35, 4), (50, 3)]
    _, gaps = PARTS["4.1.3d"]
    cases = gaps.cases(rng)
    assert [c["args"][0]["value_of"][0] for c in cases] == ["quadratic"] * 2 + ["logistic"] * 2 + [
        "quartic"
    ] * 2
    assert all(0.5 <= c["args"][2] <= 6.0 and len(c["args"][3]["array"]) == 3 for c in cases)
    assert len(cases[2]["args"][0]["value_of"][1]) == 30  # 30 logistic examples
    quad = np.linalg.eigvalsh(np.array(cases[0]["args"][0]["value_of"][1]))
    assert -5 <= quad[0] <= -2
    _, counter = PARTS["4.1.3e"]
    Ls = [c["args"][0] for c in counter.cases(rng)]
    for L, low in zip(Ls, (0.1, 10.0, 1e3, 1e6), strict=True):
        assert low <= L < 10 * low


def test_judge_part_not_attempted_verdict_and_value_cases():
    """Pins the whole not-attempted Verdict (part id, status, reason, 0 of the part's points)
    and that a value part's judge receives the grader's cases."""
    part = Part("x.2", "answer", "value", "t", "h", accept, lambda rng: [], points=2.5)
    verdict = judge_part(part, [], {"found": False})
    assert verdict == Verdict("x.2", "not_attempted", "`answer` is not defined", 0.0, 2.5)
    seen = []
    value_part = part_with(lambda c, a: seen.append(c), "value")
    judge_part(value_part, [{"k": 1}], {"found": True, "value": {"t": "num", "v": 1}})
    assert seen == [[{"k": 1}]]
    passed = judge_part(part, [], {"found": True, "value": {"t": "num", "v": 1}})
    assert (passed.points, passed.max_points) == (2.5, 2.5)


def test_judge_part_verdicts_carry_the_part_and_its_points():
    """Pins every field of each Verdict judge_part returns (part id, status, message, points,
    max points) for a part worth 2.5 points: pass, a failure, a value given for a function, a
    crash and a timeout."""
    import time

    def slow(cases, answers):
        time.sleep(0.5)

    def crash(cases, answers):
        raise KeyError("v")

    def part(judge_fn):
        return Part("x.3", "answer", "function", "t", "h", judge_fn, lambda rng: [{}], 2.5)

    outputs = {"found": True, "outputs": [{"t": "num", "v": 1.0}]}
    assert judge_part(part(accept), [{}], outputs) == Verdict("x.3", "pass", "", 2.5, 2.5)
    assert judge_part(part(reject), [{}], outputs) == Verdict("x.3", "fail", "wrong", 0.0, 2.5)
    crashed = "the answer could not be checked (KeyError)"
    assert judge_part(part(crash), [{}], outputs) == Verdict("x.3", "fail", crashed, 0.0, 2.5)
    value = {"found": True, "callable": False, "value": {"t": "num", "v": 3}}
    message = "`answer` should be a function, but it is the number 3"
    assert judge_part(part(accept), [{}], value) == Verdict("x.3", "fail", message, 0.0, 2.5)
    unknown = judge_part(part(accept), [{}], {"found": True, "callable": False})
    assert unknown.message == "`answer` should be a function, but it is something else"
    saved = judging_module.JUDGE_SECONDS
    judging_module.JUDGE_SECONDS = 0.05
    try:
        costly = "the answer is too costly to check"
        assert judge_part(part(slow), [{}], outputs) == Verdict("x.3", "fail", costly, 0.0, 2.5)
    finally:
        judging_module.JUDGE_SECONDS = saved


def test_sampler_and_iteration_messages_say_which_case():
    """Pins the case named in 4.6.3a's messages (B and with/without replacement) and 4.6.3d's
    explanation of a wrong growth rate."""
    message = judge("4.6.3a", lambda G, B, rng, replace=True: minibatch(G, B, rng, True))
    assert message.startswith("for B = 4 without replacement the variance over 2000 draws")
    message = judge("4.6.3a", lambda G, B, rng, replace=True: minibatch(G, B, rng, replace) + 1)
    assert message.startswith("for B = 4 with replacement the average of many draws")
    B, e = sp.symbols("B epsilon", positive=True)
    message = judge("4.6.3d", 1 / (B * e**4) + 1 / e**3)
    assert message.endswith(
        "grows differently from the right answer as epsilon -> 0 in some regime of batch "
        "sizes (think of B = 1 and of very large B)"
    )


def test_step_cases_follow_their_design():
    """Pins 4.1.1's cases: gradients in R^2, R^5 (scaled by 1e-6), R^10 (by 1e6), R^7, a tie
    (3, -3, 1, 0 in some order) and the zero gradient in R^3 with eps = 0.5; eps in [0.01, 3]
    for the random ones and [0.1, 1] for the tie."""
    _, part = PARTS["4.1.1a"]
    for seed in range(3):
        cases = part.cases(np.random.default_rng(seed))
        gs = [np.array(c["args"][0]["array"]) for c in cases]
        eps = [c["args"][1] for c in cases]
        assert [len(g) for g in gs] == [2, 5, 10, 7, 4, 3]
        norms = [np.linalg.norm(g) / np.sqrt(len(g)) for g in gs[:4]]
        assert 0.05 < norms[0] < 5 and 5e-8 < norms[1] < 5e-6 and 5e4 < norms[2] < 5e6
        assert 0.05 < norms[3] < 5
        assert all(0.01 <= e <= 3.0 for e in eps[:4]) and 0.1 <= eps[4] <= 1.0
        assert sorted(gs[4].tolist()) == [-3.0, 0.0, 1.0, 3.0]
        assert gs[5].tolist() == [0.0, 0.0, 0.0] and eps[5] == 0.5


def test_gain_judge_rejects_a_relative_error_of_5e_6():
    """Pins 4.1.1e's rtol = 1e-6 (numpy's default, 1e-5, would accept 5e-6)."""
    fails_with("4.1.1e", 10.0 * (1 + 5e-6), "is not right")
