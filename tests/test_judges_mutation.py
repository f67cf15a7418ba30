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
    """Pins that an optimal step passes each ball's judge, also 1e-9 and 9e-7 (just within
    RTOL = 1e-6) off the boundary on either side."""
    assert judge(part_id, STEPS[part_id]) is None
    assert judge(part_id, scaled(STEPS[part_id], 1 - 1e-9)) is None
    assert judge(part_id, scaled(STEPS[part_id], 1 + 1e-9)) is None  # within RTOL = 1e-6
    assert judge(part_id, scaled(STEPS[part_id], 1 + 9e-7)) is None
    assert judge(part_id, scaled(STEPS[part_id], 1 - 9e-7)) is None


def test_l1_judge_accepts_every_optimal_step_at_a_tie():
    """Pins judging by optimality: splitting the l1 budget over tied coordinates passes."""
    assert judge("4.1.1d", l1_step_split_over_ties) is None


@pytest.mark.parametrize("part_id", list(STEPS))
def test_steepest_step_judges_reject_each_kind_of_wrong_step(part_id):
    """Pins each failure branch of the step judge for each ball: a non-zero step for a zero
    gradient (a finite answer, so the zero-gradient check itself must catch it), a step 2e-6
    outside the ball (RTOL = 1e-6), a step 2e-6 short of the best decrease, the zero step for a
    non-zero gradient, the opposite step, NaN, and a wrong shape."""
    step = STEPS[part_id]
    fails_with(part_id, nonzero_for_zero_gradient(step), "(a zero gradient) the step should be")
    fails_with(part_id, scaled(step, 1 + 2e-6), "larger than eps: outside the ball")
    fails_with(part_id, scaled(step, 1 - 2e-6), "less than the best step in the ball does")
    fails_with(
        part_id, scaled(step, 1 - 2e-6), "(relative shortfall 2e-06; the check allows 1e-06)"
    )
    fails_with(part_id, scaled(step, 0.0), "the step is zero, but g is not")
    fails_with(part_id, lambda g, eps: -step(g, eps), "less than the best step in the ball does")
    fails_with(part_id, lambda g, eps: step(g, eps) * np.nan, "contains NaN or inf")
    fails_with(part_id, lambda g, eps: step(g, eps)[:-1], "should have shape")


def test_linf_judge_uses_the_l1_dual_norm():
    """Pins 4.1.1c's optimal value -eps ||g||_1: the l2 step lies in the l-infinity ball but
    decreases the model only by eps ||g||_2, so it must fail (with the l2 dual norm it would
    pass); likewise the l1 corner step."""
    fails_with("4.1.1c", l2_step, "less than the best step in the ball does")
    fails_with("4.1.1c", l1_step, "less than the best step in the ball does")


def test_l1_and_l2_judges_use_their_dual_norms():
    """Pins 4.1.1d's dual norm (max |g_i|) and 4.1.1a's (||g||_2): each ball's step, scaled
    into the other ball, is feasible there and not optimal."""
    fails_with("4.1.1d", lambda g, eps: l2_step(g, eps) / np.sqrt(len(g)), "less than the best")
    fails_with("4.1.1a", lambda g, eps: l1_step(g, eps), "less than the best")
    fails_with("4.1.1a", lambda g, eps: linf_step(g, eps) / np.sqrt(len(g)), "less than the best")


def test_alpha_judge_accepts_equivalent_forms_and_rejects_others():
    """Pins 4.1.1b: alpha = epsilon / ||g|| in any equivalent form; other forms fail, each
    with its message: a step longer or shorter than epsilon (with its length at the first
    sample point that tells them apart), a non-positive alpha, an alpha that cannot be
    evaluated."""
    epsilon, g_norm = sp.symbols("epsilon g_norm", positive=True)
    assert judge("4.1.1b", epsilon / g_norm) is None
    assert judge("4.1.1b", 2 * epsilon / (2 * g_norm)) is None
    for wrong in (epsilon * g_norm, g_norm / epsilon, epsilon / g_norm**2, epsilon):
        fails_with("4.1.1b", wrong, "gives a step")
    fails_with(
        "4.1.1b",
        epsilon * g_norm,
        "gives a step longer than epsilon at epsilon = 2.66, g_norm = 1.3 (its length is 4.478)",
    )
    fails_with(
        "4.1.1b",
        epsilon / g_norm**2,
        "gives a step shorter than epsilon at epsilon = 2.66, g_norm = 1.3 (its length is 2.046)",
    )
    fails_with("4.1.1b", -epsilon / g_norm, "your alpha = -epsilon/g_norm is not positive at")
    fails_with("4.1.1b", 0 * epsilon, "is not positive at")
    fails_with("4.1.1b", sp.sqrt(epsilon - 100 * g_norm) / g_norm, "cannot be evaluated at")


def test_gain_judge_tolerance():
    """Pins 4.1.1e's tolerance and messages: 10 to 1e-8 (and to 9e-7) passes; 10 off by 1e-4
    relative is "close" (give more digits); 2e-3 off and values an order of magnitude away
    say too large or too small."""
    assert judge("4.1.1e", 10.0) is None
    assert judge("4.1.1e", 10.0 * (1 + 1e-8)) is None
    assert judge("4.1.1e", 10.0 * (1 - 9e-7)) is None
    for wrong in (10.0 * (1 + 1e-4), 10.0 * (1 - 1e-4), 10.0 * (1 + 9e-4)):
        fails_with("4.1.1e", wrong, "is close: give more digits or the exact value")
    for wrong in (10.0 * (1 + 2e-3), 14.0, 100.0):
        fails_with("4.1.1e", wrong, "is too large")
    for wrong in (10.0 * (1 - 2e-3), 6.0, 1.0, -10.0):
        fails_with("4.1.1e", wrong, "is too small")
    assert judge("4.1.1e", 14.0) == "linf_gain = 14 is too large"
    fails_with("4.1.1e", "ten", "the factor should be a number")
    fails_with("4.1.1e", float("nan"), "the factor is nan, not a finite number")


# -- Problem 4.1.3: smoothness constants --------------------------------------------------------


def test_quadratic_smoothness_judge():
    """Pins 4.1.3a: L = max |eigenvalue| of A passes; the largest signed eigenvalue (wrong
    on the negative-dominant cases), |smallest eigenvalue| (wrong on the positive-dominant
    ones), 1e-5 off (close), and the spectral radius doubled fail."""

    def right(A):
        return np.max(np.abs(np.linalg.eigvalsh(A)))

    assert judge("4.1.3a", right) is None
    assert judge("4.1.3a", lambda A: right(A) * (1 + 1e-8)) is None
    fails_with("4.1.3a", lambda A: np.linalg.eigvalsh(A)[-1], "is too small")
    fails_with("4.1.3a", lambda A: abs(np.linalg.eigvalsh(A)[0]), "is too small")
    fails_with("4.1.3a", lambda A: right(A) * (1 + 1e-5), "is close: give more digits")
    fails_with("4.1.3a", lambda A: 2 * right(A), "is too large")
    fails_with("4.1.3a", lambda A: [right(A), 0.0], "should be a single number")


def test_page_matrix_judge():
    """Pins 4.1.3b: 1 + 2 sqrt(2) (the larger |eigenvalue| of [[1, 2], [2, -3]]) passes;
    the other eigenvalue's size, the trace and 1e-5 off fail; a non-number is named L_page."""
    assert judge("4.1.3b", 1 + 2 * np.sqrt(2)) is None
    assert judge("4.1.3b", (1 + 2 * np.sqrt(2)) * (1 + 1e-8)) is None
    for wrong in (2 * np.sqrt(2) - 1, -2.0, 3.0):
        fails_with("4.1.3b", wrong, "is too small")
    fails_with("4.1.3b", 5.0, "L_page = 5 is too large")
    fails_with("4.1.3b", (1 + 2 * np.sqrt(2)) * (1 + 1e-5), "L_page = 3.82846")
    fails_with("4.1.3b", (1 + 2 * np.sqrt(2)) * (1 + 1e-5), "is close")


def test_logistic_smoothness_judge():
    """Pins 4.1.3c: lambda_max(X^T X) / (4n) passes; without the 4, without the n, with the
    smallest eigenvalue, or 1e-5 off, it fails."""

    def right(X):
        return np.linalg.eigvalsh(X.T @ X)[-1] / (4 * len(X))

    assert judge("4.1.3c", right) is None
    fails_with("4.1.3c", lambda X: 4 * right(X), "is too large")
    fails_with("4.1.3c", lambda X: right(X) * len(X), "is too large")
    fails_with("4.1.3c", lambda X: np.linalg.eigvalsh(X.T @ X)[0] / (4 * len(X)), "too small")
    fails_with("4.1.3c", lambda X: right(X) * (1 + 1e-5), "is close")


def gap(f, grad_f, L, w, w_t):
    return f(w_t) + grad_f(w_t) @ (w - w_t) + L / 2 * np.sum((w - w_t) ** 2) - f(w)


def test_smoothness_gap_judge():
    """Pins 4.1.3d against the grader's own (4.9) gap: the gap passes; its negative, the gap
    without the L/2 term, with L instead of L/2, and 1e-5 relative off fail, saying too large
    or too small."""
    assert judge("4.1.3d", gap) is None
    fails_with("4.1.3d", lambda *a: -gap(*a), "you return")
    fails_with(
        "4.1.3d",
        lambda f, grad_f, L, w, w_t: gap(f, grad_f, 0.0, w, w_t),
        ": too small",
    )
    fails_with(
        "4.1.3d",
        lambda f, grad_f, L, w, w_t: gap(f, grad_f, 2 * L, w, w_t),
        ": too large",
    )
    fails_with("4.1.3d", lambda *a: gap(*a) * (1 + 1e-5), "you return")
    fails_with("4.1.3d", lambda *a: gap(*a) + 1e-3, ": too large")
    fails_with("4.1.3d", lambda *a: gap(*a) - 1e-3, ": too small")


def test_counterexample_judge():
    """Pins 4.1.3e: (w, w_t) = (2 sqrt(L), 0) breaks (4.9) for w**4 and passes, as an array or
    a tuple; pairs where (4.9) holds, a fixed pair (right only for small L), NaN (rejected when
    decoded), items that are not numbers and a wrong shape fail."""
    assert judge("4.1.3e", lambda L: np.array([2 * np.sqrt(L), 0.0])) is None
    assert judge("4.1.3e", lambda L: (2 * np.sqrt(L), 0.0)) is None
    assert judge("4.1.3e", lambda L: (2 * np.sqrt(L), [0.0])) is None  # a 1-element item
    fails_with("4.1.3e", lambda L: (0.1 * np.sqrt(L), 0.0), "(4.9) holds")
    fails_with("4.1.3e", lambda L: (0.0, 0.0), "(4.9) holds at w = 0.0, w_t = 0.0")
    fails_with("4.1.3e", lambda L: (1e101, 0.0), "(4.9) holds at w = 1e+101")  # L ~ 8.6e300
    fails_with("4.1.3e", lambda L: (np.nan, 0.0), "contains NaN or inf")
    fails_with("4.1.3e", lambda L: (2 * np.sqrt(L), float("inf")), "contains NaN or inf")
    fails_with("4.1.3e", lambda L: np.array([1.0, 2.0, 3.0]), "should have shape (2,)")
    fails_with("4.1.3e", lambda L: (1.0, 2.0, None), "should be a tuple of 2 items")
    fails_with("4.1.3e", lambda L: (1.0, None), "should be a number")
    fails_with("4.1.3e", lambda L: 1.0, "should be a tuple of 2 items")


def test_counterexample_judge_boundary_is_exact():
    """Pins the exact test with its margin: f(w) must exceed (4.9)'s right side by MARGIN =
    1e-9 of the scale w**4 + w_t**4 + L/2 (w - w_t)**2. At L = 2, w_t = 0 the gap of (4.9) for
    w**4 is exactly 0 at w = 1 (holds, no "rounding" note); at w = 1 + d it is about -2 d on a
    scale of about 2, so d = 5e-10 and the next float above 1 fail "up to rounding" and
    d = 2e-9 passes."""
    _, part = PARTS["4.1.3e"]
    cases = [{"args": [2.0]}]
    with pytest.raises(Fail, match=r"holds at w = 1\.0, w_t = 0\.0$"):
        part.judge(cases, [transport.encode((1.0, 0.0))])
    for w in (np.nextafter(1.0, 2.0), 1 + 5e-10):
        with pytest.raises(Fail, match=r"\(up to rounding\)$"):
            part.judge(cases, [transport.encode((w, 0.0))])
    part.judge(cases, [transport.encode((1 + 2e-9, 0.0))])


# -- Problem 4.6.3: mini-batch gradients --------------------------------------------------------


def minibatch(G, B, rng, replace=True):
    return G[rng.choice(len(G), size=B, replace=replace)].mean(axis=0)


def test_sampler_judge_accepts_a_right_sampler():
    """Pins 4.6.3a on a correct sampler (with and without replacement)."""
    assert judge("4.6.3a", minibatch) is None


def test_sampler_judge_rejects_each_kind_of_wrong_sampler():
    """Pins each failure of 4.6.3a, each reached by a sampler right everywhere else: always
    with replacement (a B = 2 batch without replacement repeats a row), always without (B = 2
    with replacement never repeats one), with replacement only for B = n (not the full
    gradient), the wrong scheme only at B = 4 (variance too large / too small), a bias only at
    B = 4, a B = 1 draw that is not a row, a B = 2 draw that is not the average of two rows, an
    error only for B > n (the message says B may exceed n), the wrong shape, and a result that
    is not an array."""

    def only(condition, wrong):
        def answer(G, B, rng, replace=True):
            if condition(B, replace, len(G)):
                return wrong(G, B, rng, replace)
            return minibatch(G, B, rng, replace)

        return answer

    def raise_value_error(G, B, rng, replace=True):
        raise ValueError("B > n")

    always_with = only(lambda B, r, n: True, lambda G, B, rng, r: minibatch(G, B, rng, True))
    always_without = only(lambda B, r, n: True, lambda G, B, rng, r: minibatch(G, B, rng, False))
    at_4_with = only(lambda B, r, n: B == 4, lambda G, B, rng, r: minibatch(G, B, rng, True))
    at_4_without = only(lambda B, r, n: B == 4, lambda G, B, rng, r: minibatch(G, B, rng, False))
    fails_with(
        "4.6.3a",
        always_with,
        "for B = 2 without replacement (n = 10 rows) 95 of 1000 batches use the same row "
        "twice: without replacement a row appears at most once per batch",
    )
    fails_with(
        "4.6.3a",
        always_without,
        "for B = 2 with replacement (n = 10 rows) 0 of 1000 batches use the same row twice, "
        "far from the 100 expected when each row is drawn independently",
    )
    fails_with(
        "4.6.3a",
        only(lambda B, r, n: B == n, lambda G, B, rng, r: minibatch(G, B, rng, True)),
        "for B = 10 without replacement (n = 10 rows) every batch is the whole data set",
    )
    fails_with("4.6.3a", at_4_with, "for B = 4 without replacement (n = 10 rows) the mean of")
    fails_with("4.6.3a", at_4_with, "too large for this sampling scheme")
    fails_with("4.6.3a", at_4_without, "for B = 4 with replacement (n = 10 rows) the mean of")
    fails_with("4.6.3a", at_4_without, "too small for this sampling scheme")
    fails_with(
        "4.6.3a",
        only(lambda B, r, n: B == 4, lambda G, B, rng, r: minibatch(G, B, rng, r) + 0.1),
        "the average of many draws is not the full gradient: biased",
    )
    fails_with(
        "4.6.3a",
        only(
            lambda B, r, n: B == 1,
            lambda G, B, rng, r: 0.5 * (minibatch(G, 1, rng) + minibatch(G, 1, rng)),
        ),
        "for B = 1 with replacement (n = 10 rows) each draw should be one of the rows of G",
    )
    fails_with(
        "4.6.3a",
        only(lambda B, r, n: B == 2, lambda G, B, rng, r: minibatch(G, B, rng, r) + 1e-6),
        "each draw should be the average of two rows of G",
    )
    fails_with(
        "4.6.3a",
        only(lambda B, r, n: B > n, raise_value_error),
        "for B = 15 with replacement (n = 10 rows) the function raised ValueError: B > n: with "
        "replacement B may exceed n",
    )
    message = judge("4.6.3a", only(lambda B, r, n: B == 4, raise_value_error))
    assert message.endswith("the function raised ValueError: B > n"), message
    fails_with(
        "4.6.3a",
        lambda G, B, rng, replace=True: minibatch(G, B, rng, replace)[:-1],
        "each call should return a vector of shape (3,)",
    )
    fails_with("4.6.3a", lambda G, B, rng, replace=True: "g", "should be a numpy array")


def test_sampler_judge_checks_where_the_randomness_comes_from():
    """Pins the twin cases of 4.6.3a, for each scheme: a sampler drawing from np.random (same
    rng seed, other global state: different batches) and one drawing from a generator of its
    own seeded once per call sequence (different rng seeds: the same batches) fail, each with
    its own message, though both are right statistically."""
    state = {}

    def own(G, B, rng, replace=True):
        if state.get("rng") is not rng:  # a new case: the answer restarts its own generator
            state["rng"], state["own"] = rng, np.random.default_rng(12345)
        return minibatch(G, B, state["own"], replace)

    def global_state(G, B, rng, replace=True):
        return G[np.random.choice(len(G), size=B, replace=replace)].mean(axis=0)  # noqa: NPY002

    def without_only(wrong):
        def answer(G, B, rng, replace=True):
            return minibatch(G, B, rng, replace) if replace else wrong(G, B, rng, replace)

        return answer

    same = "two generators made with the same seed gave different batches once numpy's global"
    other = "generators with different seeds gave the same batches: draw with the `rng`"
    fails_with("4.6.3a", global_state, "for B = 3 with replacement (n = 10 rows) " + same)
    fails_with("4.6.3a", own, "for B = 3 with replacement (n = 10 rows) " + other)
    fails_with("4.6.3a", without_only(global_state), "for B = 3 without replacement (n = 10")
    fails_with("4.6.3a", without_only(global_state), same)
    state.clear()
    fails_with("4.6.3a", without_only(own), "for B = 3 without replacement (n = 10 rows) " + other)


def test_variance_bound_judge():
    """Pins 4.6.3b: gamma_1^2 / B passes in any form; gamma_1 / B and gamma_1^2 / B^2 fail,
    the message giving the answer's power of gamma_1 and of B, or saying it is no power."""
    gamma_1, B = sp.symbols("gamma_1 B", positive=True)
    assert judge("4.6.3b", gamma_1**2 / B) is None
    assert judge("4.6.3b", (gamma_1 / sp.sqrt(B)) ** 2) is None
    for wrong in (gamma_1 / B, gamma_1**2 / B**2, gamma_1**2, B * gamma_1**2):
        fails_with("4.6.3b", wrong, "is not the variance of the average of B independent draws")
    fails_with("4.6.3b", gamma_1 / B, "(yours grows like gamma_1**1 and like B**-1)")
    fails_with("4.6.3b", gamma_1**2 / B**2, "(yours grows like gamma_1**2 and like B**-2)")
    fails_with("4.6.3b", gamma_1**2 / sp.sqrt(B), "like B**-0.5)")
    fails_with(
        "4.6.3b",
        -(gamma_1**2) / B,
        "(yours grows not as a power of gamma_1 and not as a power of B)",
    )
    fails_with("4.6.3b", gamma_1**2 * sp.log(B) / B, "like gamma_1**2 and not as a power of B")


def variance_curve(G, batches, rng, n_draws=1000):
    mean = G.mean(axis=0)
    variances = [
        np.mean([np.sum((minibatch(G, B, rng) - mean) ** 2) for _ in range(n_draws)])
        for B in batches
    ]
    slope = np.polyfit(np.log(batches), np.log(variances), 1)[0]
    return np.array(variances), float(slope)


def test_variance_curve_judge():
    """Pins 4.6.3c: a right curve passes; variances off by a factor 2, non-positive ones, a
    slope that is not the fit of the answer's own data, without replacement (B = 16 > n
    raises), from the global random state or from a generator of its own, and the wrong
    tuple fail."""
    assert judge("4.6.3c", variance_curve) is None

    def twice(G, batches, rng, n_draws=1000):
        variances, slope = variance_curve(G, batches, rng, n_draws)
        return 2 * variances, slope

    def zero_first(G, batches, rng, n_draws=1000):
        variances, slope = variance_curve(G, batches, rng, n_draws)
        variances[0] = 0.0
        return variances, slope

    def other_slope(G, batches, rng, n_draws=1000):
        variances, slope = variance_curve(G, batches, rng, n_draws)
        return variances, slope + 0.01

    def without(G, batches, rng, n_draws=1000):
        mean = G.mean(axis=0)
        variances = [np.sum((minibatch(G, B, rng, False) - mean) ** 2) for B in batches]
        return np.array(variances), -1.0

    def global_state(G, batches, rng, n_draws=1000):
        seed = np.random.randint(2**31)  # noqa: NPY002
        return variance_curve(G, batches, np.random.default_rng(seed), n_draws)

    def own(G, batches, rng, n_draws=1000):
        return variance_curve(G, batches, np.random.default_rng(7), n_draws)

    fails_with("4.6.3c", twice, "your variance for B = 1, 9.167, is too large for batches")
    fails_with("4.6.3c", twice, "(the check allows 6 standard errors of an average over 1000")
    fails_with("4.6.3c", zero_first, "your variance for B = 1, 0, is too small for batches")
    fails_with("4.6.3c", other_slope, "not the least-squares slope")
    fails_with(
        "4.6.3c",
        without,
        "your variance_curve raised ValueError: Cannot take a larger sample than population "
        "when replace is False for batch sizes [1, 2, 4, 8, 16] and n = 8 rows",
    )
    fails_with("4.6.3c", global_state, "two generators made with the same seed gave different")
    fails_with("4.6.3c", own, "generators with different seeds gave exactly the same variances")
    fails_with(
        "4.6.3c",
        lambda G, batches, rng, n_draws=1000: variance_curve(G, batches, rng)[0],
        "2 items",
    )


def curve_outputs(variances, slope):
    """4.6.3c's three outputs for made-up variances: a twin that repeats them, another seed
    that does not."""
    return [transport.encode((v, slope)) for v in (variances, variances, variances * 1.001)]


def test_variance_curve_judge_allows_six_standard_errors():
    """Pins the per-variance check of 4.6.3c, |v - gamma_1^2 / B| <= Z sd / sqrt(draws) with
    Z = 6 and sd the exact estimator_sd: made-up variances 5.9 standard errors above (or
    below) theory at every B pass with their fitted slope; 6.1 above at one B fails."""
    from gdlab.grading.minibatch_variance import CURVE_DRAWS, estimator_sd

    _, part = PARTS["4.6.3c"]
    cases = part.cases(np.random.default_rng(0))
    G = np.array(cases[0]["args"][0]["array"])
    batches = np.array(cases[0]["args"][1])
    gamma1_sq = float(np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1)))
    theory = gamma1_sq / batches
    se = np.array([estimator_sd(G, int(B)) for B in batches]) / np.sqrt(CURVE_DRAWS)
    for k in (5.9, -5.9):
        near = theory + k * se
        slope = float(np.polyfit(np.log(batches), np.log(near), 1)[0])
        part.judge(cases, curve_outputs(near, slope))
    for index in range(len(batches)):
        far = theory.copy()
        far[index] += 6.1 * se[index]
        slope = float(np.polyfit(np.log(batches), np.log(far), 1)[0])
        with pytest.raises(Fail, match=f"for B = {batches[index]}, .* is too large"):
            part.judge(cases, curve_outputs(far, slope))


def test_estimator_sd_is_the_standard_deviation_of_the_squared_deviation():
    """Pins estimator_sd against a direct enumeration: for 3 rows and B = 2 with replacement
    the 9 equally likely batches give ||mean - mean(G)||^2 exactly; their standard deviation
    must match."""
    from itertools import product

    from gdlab.grading.minibatch_variance import estimator_sd

    G = np.array([[1.0, 0.0], [0.0, 2.0], [-1.0, 1.0]])
    for B in (1, 2, 3):
        values = [
            np.sum((G[list(rows)].mean(axis=0) - G.mean(axis=0)) ** 2)
            for rows in product(range(3), repeat=B)
        ]
        assert estimator_sd(G, B) == pytest.approx(np.std(values), rel=1e-12)


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
    function part), a function returning None on every case (without printing) or raising
    NotImplementedError on every case; and that one real output, a mix of the two, or a None
    that printed makes it attempted."""
    fn, value = part_with(accept), part_with(accept, "value")
    none, num = {"t": "none"}, {"t": "num", "v": 1.0}
    printed = {"t": "none", "printed": True}
    todo = {"t": "error", "type": "NotImplementedError", "msg": ""}
    assert not_attempted_reason(fn, {"found": False}) == "`answer` is not defined"
    assert not_attempted_reason(fn, "garbage") == "`answer` is not defined"
    assert not_attempted_reason(value, {"found": True, "value": none}) == "`answer` is still None"
    assert not_attempted_reason(value, {"found": True, "value": num}) is None
    not_callable = {"found": True, "callable": False, "value": none}
    assert not_attempted_reason(fn, not_callable) == "`answer` is still None"
    returned_none = (
        "`answer` returned None on every input: did you print instead of return, "
        "or is the starter's `return None` still there?"
    )
    for outputs in ([none, none], [none]):
        result = {"found": True, "callable": True, "outputs": outputs}
        assert not_attempted_reason(fn, result) == returned_none
    for outputs in ([todo], [todo, todo]):
        result = {"found": True, "callable": True, "outputs": outputs}
        reason = "`answer` raised NotImplementedError on every input"
        assert not_attempted_reason(fn, result) == reason
    for outputs in ([none, num], [], [{"t": "error", "type": "ValueError"}], ["x"]):
        assert not_attempted_reason(fn, {"found": True, "outputs": outputs}) is None
    for outputs in ([none, todo], [printed, printed], [none, printed], [todo, num]):
        assert not_attempted_reason(fn, {"found": True, "outputs": outputs}) is None


def test_printing_instead_of_returning_is_a_failure():
    """Pins printed_instead_of_returning: a function that returned None on every input and
    printed on one of them fails with the print-instead-of-return message (worth 0 points);
    one real output among them goes to the judge instead."""
    printed, none = {"t": "none", "printed": True}, {"t": "none"}
    message = (
        "`answer` printed something and returned None on every input: "
        "return the value instead of printing it"
    )
    for outputs in ([printed], [none, printed]):
        verdict = judge_part(
            part_with(accept), [{}] * len(outputs), {"found": True, "outputs": outputs}
        )
        assert (verdict.status, verdict.message, verdict.points) == ("fail", message, 0.0)
    mixed = {"found": True, "outputs": [printed, {"t": "num", "v": 1}]}
    assert judge_part(part_with(accept), [{}, {}], mixed).status == "pass"
    assert judge_part(part_with(reject), [{}, {}], mixed).message == "wrong"


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
        ("4.1.3a", lambda A: "L", "L for A = np.array([[-6.0, 3.0], [3.0, 3.0]]) should be a"),
        ("4.1.3b", "L", "L_page should be a number"),
        ("4.1.3c", lambda X: "L", "L for X = np.array([[0.3, -0.3], [1.3, 0.2], [-1.1, 0.8]])"),
        ("4.1.3d", lambda *a: "gap", "the gap for f(w) = sum(w**4), L = 2.74, w = np.array("),
        ("4.1.3e", lambda L: ("w", 0.0), "w should be a number"),
        ("4.1.3e", lambda L: (0.0, "w_t"), "w_t should be a number"),
        ("4.1.3e", lambda L: "pair", "the answer for L = "),
        ("4.6.3a", lambda G, B, rng, replace=True: "g", "the mini-batch gradient for B = 2 "),
        ("4.6.3c", lambda G, b, rng, n_draws: "curve", "variance_curve's result should be a tuple"),
        ("4.6.3c", lambda G, b, rng, n_draws: ([1.0], -1.0), "the variances should have shape"),
        ("4.6.3c", lambda G, b, rng, n_draws: (np.ones(5), "s"), "the slope should be a number"),
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
    """Pins 4.1.3d's tolerance, RTOL = 1e-6 times the scale |f(w)| + |f(w_t)| + 1: 1e-8
    relative off passes; at w = w_t = (0.5, 1, -1) (gap exactly 0, f = 2.0625, scale 5.125)
    an answer 5.1e-6 off passes and 5.15e-6 off fails, either way."""
    assert judge("4.1.3d", lambda *a: gap(*a) * (1 + 1e-8)) is None
    _, part = PARTS["4.1.3d"]
    cases = [gap_case(["quartic"], 2.0, [0.5, 1.0, -1.0], [0.5, 1.0, -1.0])]
    part.judge(cases, [transport.encode(0.0)])
    for sign, word in ((1, "too large"), (-1, "too small")):
        part.judge(cases, [transport.encode(sign * 5.1e-6)])
        with pytest.raises(Fail, match=word):
            part.judge(cases, [transport.encode(sign * 5.15e-6)])
    near = [gap_case(["quartic"], 2.0, [0.5, 1.0, -1.0], [0.25, 0.0, 2.0])]  # f(w_t) = 16.0039
    # f(w_t) + grad f(w_t) . (w - w_t) + L/2 ||w - w_t||^2 - f(w), term by term
    expected = (0.25**4 + 16.0) + (4 * 0.25**3 * 0.25 + 0.0 + 4 * 8.0 * -3.0)
    expected += 1.0 * (0.25**2 + 1.0 + 3.0**2) - 2.0625
    scale = 2.0625 + 0.25**4 + 16.0 + 1.0  # |f(w)| + |f(w_t)| + 1
    part.judge(near, [transport.encode(expected + 0.99e-6 * scale)])
    with pytest.raises(Fail, match="too large"):
        part.judge(near, [transport.encode(expected + 1.01e-6 * scale)])


def test_judge_messages_show_the_case():
    """Pins the case shown with a failure, exactly when small enough to copy: the gap judge
    names f (for each kind of function), L, w and w_t; the counter judge names L and the
    pair; the quadratic judge A, or its shape when it is large; and the failing case's index
    (Fail.case) for the instant check."""
    _, part = PARTS["4.1.3d"]
    cases = [gap_case(["quartic"], 2.0, [0.5, 1.0, -1.0], [0.25, 0.0, 2.0])]
    with pytest.raises(Fail) as info:
        part.judge(cases, [transport.encode(123.0)])
    assert str(info.value) == (
        "for f(w) = sum(w**4), L = 2.0, w = np.array([0.5, 1.0, -1.0]), "
        "w_t = np.array([0.25, 0.0, 2.0]) you return 123: too large"
    )
    assert info.value.case == 0
    drawn = part.cases(np.random.default_rng(0))
    for index, name in ((2, "f(w) = 1/2 w^T A w"), (4, "a logistic loss")):
        with pytest.raises(Fail) as info:
            part.judge(drawn[index:], [transport.encode(1e6)] * len(drawn[index:]))
        assert str(info.value).startswith(f"for {name}, L = "), str(info.value)
    message = judge("4.1.3e", lambda L: (0.0, 0.5))
    assert message == "for L = 10.989388423533011 (4.9) holds at w = 0.0, w_t = 0.5"
    message = judge("4.1.3a", lambda A: 0.0)
    assert message == "for A = np.array([[-6.0, 3.0], [3.0, 3.0]]) L = 0 is too small"
    _, quadratic = PARTS["4.1.3a"]
    cases = quadratic.cases(np.random.default_rng(0))
    radius = [np.max(np.abs(np.linalg.eigvalsh(c["args"][0]["array"]))) for c in cases]
    outputs = [transport.encode(r) for r in radius]
    outputs[6] = transport.encode(0.5)
    with pytest.raises(Fail) as info:
        quadratic.judge(cases, outputs)
    assert str(info.value) == "for A of shape (6, 6) L = 0.5 is too small"
    assert info.value.case == 6


def test_counterexample_judge_is_exact_for_huge_pairs_and_at_equality():
    """Pins the exact rational arithmetic (the judge has no size limit any more): pairs of
    1e100 and 1e300 are judged exactly (in floats w**4 overflows) and pass, and a pair where
    (4.9) holds, also with equality (w = w_t: gap 0), fails."""
    _, part = PARTS["4.1.3e"]
    part.judge([{"args": [2.0]}], [transport.encode((1e100, 0.0))])
    part.judge([{"args": [1e300]}], [transport.encode((1e300, -1e300))])
    with pytest.raises(Fail, match="holds"):
        part.judge([{"args": [1e300]}], [transport.encode((1e140, 0.0))])  # w**2 < L / 2
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
    """Pins the cases the judges are fair on. 4.1.3a: a 2x2 integer indefinite matrix with a
    dominant negative eigenvalue (never the page's matrix), one with a dominant positive one,
    a negative definite -diag of integers 1..8, a 1x1 matrix in [-9, -2], diag(1, -7, 3), then
    4x4 and 6x6 with a dominant negative eigenvalue in [-5, -2] (the others in [-1, 1]) and a
    3x3 with a dominant positive one in [2, 5]. 4.1.3c: a 3x2 X rounded to 0.1, then 20x2,
    35x4, 50x3. 4.1.3d: quartic, quadratic, logistic twice each, in R^3 with w, w_t rounded
    to 0.01, L in [0.5, 6] rounded to 0.01, 30 logistic examples, the quadratic's A with a
    dominant negative eigenvalue. 4.1.3e: one L per decade range starting at 1e-6, 0.1, 10,
    1e3, 1e6, 1e8, 1e12, 1e50, 1e150, 1e300."""
    from gdlab.grading.smoothness_bound import PAGE_MATRIX

    for seed in (0, 11):
        rng = np.random.default_rng(seed)
        _, quadratic = PARTS["4.1.3a"]
        matrices = [np.array(c["args"][0]["array"]) for c in quadratic.cases(rng)]
        eigs = [np.linalg.eigvalsh(A) for A in matrices]
        assert [len(e) for e in eigs] == [2, 2, 3, 1, 3, 4, 6, 3]
        for A, e, negative in ((matrices[0], eigs[0], True), (matrices[1], eigs[1], False)):
            assert np.array_equal(A, np.round(A)) and np.array_equal(A, A.T)
            assert e[0] < 0 < e[1] and abs(abs(e[0]) - abs(e[1])) > 0.5
            assert (abs(e[0]) > abs(e[1])) == negative
            assert 1 <= A[0, 1] <= 3 and np.all(np.abs(np.diag(A)) <= 6)
        assert not np.array_equal(matrices[0], PAGE_MATRIX)
        third = np.diag(matrices[2])
        assert np.array_equal(matrices[2], np.diag(third))
        assert np.all((-8 <= third) & (third <= -1)) and np.array_equal(third, np.round(third))
        assert -9 <= matrices[3][0, 0] <= -2 and matrices[3][0, 0] == round(matrices[3][0, 0])
        np.testing.assert_array_equal(matrices[4], np.diag([1.0, -7.0, 3.0]))
        for e in eigs[5:7]:
            assert -5 <= e[0] <= -2 and np.all(np.abs(e[1:]) <= 1)
            assert e[1:].min() < e[1:].max()  # drawn, not all equal
        assert 2 <= eigs[7][-1] <= 5 and np.all(np.abs(eigs[7][:-1]) <= 1)
        _, logistic = PARTS["4.1.3c"]
        xs = [np.array(c["args"][0]["array"]) for c in logistic.cases(rng)]
        assert [X.shape for X in xs] == [(3, 2), (20, 2), (35, 4), (50, 3)]
        np.testing.assert_array_equal(xs[0], np.round(xs[0], 1))
        assert not np.array_equal(xs[1], np.round(xs[1], 1))
        _, gaps = PARTS["4.1.3d"]
        cases = gaps.cases(rng)
        kinds = [c["args"][0]["value_of"][0] for c in cases]
        assert kinds == ["quartic"] * 2 + ["quadratic"] * 2 + ["logistic"] * 2
        assert all(c["args"][1]["grad_of"] == c["args"][0]["value_of"] for c in cases)
        for c in cases:
            L, w, wt = c["args"][2], c["args"][3]["array"], c["args"][4]["array"]
            assert 0.5 <= L <= 6.0 and L == round(L, 2)
            assert len(w) == len(wt) == 3 and w == np.round(w, 2).tolist() == w
            assert wt == np.round(wt, 2).tolist()
        assert len(cases[4]["args"][0]["value_of"][1]) == 30  # 30 logistic examples
        assert sorted(set(cases[4]["args"][0]["value_of"][2])) == [-1.0, 1.0]
        quad = np.linalg.eigvalsh(np.array(cases[2]["args"][0]["value_of"][1]))
        assert -5 <= quad[0] <= -2 and np.all(np.abs(quad[1:]) <= 1)
        _, counter = PARTS["4.1.3e"]
        Ls = [c["args"][0] for c in counter.cases(rng)]
        lows = (1e-6, 0.1, 10.0, 1e3, 1e6, 1e8, 1e12, 1e50, 1e150, 1e300)
        for L, low in zip(Ls, lows, strict=True):
            assert low <= L <= 10 * low * (1 + 1e-12)


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
    """Pins the case named in 4.6.3a's messages (B, with/without replacement, n) and 4.6.3d's
    explanation of a wrong growth rate."""
    message = judge("4.6.3a", lambda G, B, rng, replace=True: minibatch(G, B, rng, True))
    assert message.startswith("for B = 2 without replacement (n = 10 rows) 95 of 1000 batches")
    message = judge(
        "4.6.3a",
        lambda G, B, rng, replace=True: minibatch(G, B, rng, replace) + (B == 4),
    )
    assert message.startswith("for B = 4 with replacement (n = 10 rows) the average of many")
    B, e = sp.symbols("B epsilon", positive=True)
    message = judge("4.6.3d", 1 / (B * e**4) + 1 / e**3)
    assert message.endswith(
        "grows differently from the right answer as epsilon -> 0 in some regime of batch "
        "sizes (think of B = 1 and of very large B)"
    )


def test_step_cases_follow_their_design():
    """Pins 4.1.1's cases: first the gradients a wrong idea gets wrong, with a, b, c drawn in
    [0.5, 3] and rounded to 0.01: [a, -a] (sums to zero), [a, b, -(a + b)], [0, -a, -b]
    (non-positive with a zero first), [b, 0, a] (non-negative with a zero), [-(a + b + 1), a,
    b] (the largest |g_i| negative), [-c]; then random gradients in R^5 (scale 1), R^5 (scale
    1e-3), R^10 (scale 1e6), R^7 with entries spanning 1e-3 to 1e3, a tie (3, -3, 1, 0 in some
    order) and the zero gradient in R^3. Every eps in [0.05, 3], rounded to 0.001."""
    _, part = PARTS["4.1.1a"]
    for seed in range(3):
        cases = part.cases(np.random.default_rng(seed))
        gs = [np.array(c["args"][0]["array"]) for c in cases]
        eps = [c["args"][1] for c in cases]
        assert [len(g) for g in gs] == [2, 3, 3, 3, 3, 1, 5, 5, 10, 7, 4, 3]
        a, b = gs[1][0], gs[1][1]
        c = -gs[5][0]
        for x in (a, b, c):
            assert 0.5 <= x <= 3.0 and x == round(x, 2)
        assert gs[0].tolist() == [a, -a]
        assert gs[1].tolist() == [a, b, -(a + b)]
        assert gs[2].tolist() == [0.0, -a, -b]
        assert gs[3].tolist() == [b, 0.0, a]
        assert gs[4].tolist() == [-(a + b + 1), a, b]
        norms = [np.linalg.norm(g) / np.sqrt(len(g)) for g in gs[6:9]]
        assert 0.2 < norms[0] < 5 and 2e-4 < norms[1] < 5e-3 and 2e5 < norms[2] < 5e6
        assert np.all((1e-3 <= np.abs(gs[9])) & (np.abs(gs[9]) <= 1e3))
        assert np.abs(gs[9]).max() / np.abs(gs[9]).min() > 10
        assert all(0.05 <= e <= 3.0 and e == round(e, 3) for e in eps)
        assert sorted(gs[10].tolist()) == [-3.0, 0.0, 1.0, 3.0]
        assert gs[11].tolist() == [0.0, 0.0, 0.0]


def test_gain_judge_rejects_a_relative_error_of_5e_6():
    """Pins 4.1.1e's rtol = 1e-6 (numpy's default, 1e-5, would accept 5e-6)."""
    fails_with("4.1.1e", 10.0 * (1 + 5e-6), "(the check needs a relative error below 1e-06)")


def test_counterexample_margin_scale():
    """Pins the scale of 4.1.3e's margin, w**4 + w_t**4 + L/2 (w - w_t)**2, off w_t = 0: at
    L = 2, w_t = 1/2 and w just above w_t the gap of (4.9) is about -0.5 (w - w_t)**2 on a
    scale of about 1/8, so w = 0.50001581147 (-gap 1.00001 MARGIN times the scale) passes and
    w = 0.50001581131 (0.99999 times) fails up to rounding."""
    _, part = PARTS["4.1.3e"]
    cases = [{"args": [2.0]}]
    part.judge(cases, [transport.encode((0.5000158114673933, 0.5))])
    with pytest.raises(Fail, match=r"\(up to rounding\)$"):
        part.judge(cases, [transport.encode((0.5000158113092793, 0.5))])


@pytest.mark.parametrize(
    ("part_id", "index"),
    [("4.1.3a", 3), ("4.1.3c", 2), ("4.1.3d", 4), ("4.1.3e", 7), ("4.1.1a", 9), ("4.6.3a", 5)],
)
def test_failures_carry_the_index_of_the_failing_case(part_id, index):
    """Pins Fail.case (at_case in each judge's loop), which the instant check uses to hand the
    student the failing input: right outputs everywhere but at one case."""
    _, part = PARTS[part_id]
    cases = part.cases(np.random.default_rng(0))
    right = RIGHT[part_id]
    request = {"answer": "answer", "kind": "function", "cases": cases, "seed": 0}
    outputs = transport.harvest({"answer": right}, request)["outputs"]
    outputs[index] = transport.encode("wrong")
    with pytest.raises(Fail) as info:
        part.judge(cases, outputs)
    assert info.value.case == index


def test_twin_failures_carry_the_index_of_their_first_twin():
    """Pins Fail.case for 4.6.3a's twin checks (the first twin of the failing scheme: 7 with
    replacement, 10 without) and for 4.6.3c's three calls (0 for the variances and the slope,
    1 for the same-seed twin, 2 for the other seed)."""
    _, sampler = PARTS["4.6.3a"]
    cases = sampler.cases(np.random.default_rng(0))
    request = {"answer": "answer", "kind": "function", "cases": cases, "seed": 0}
    outputs = transport.harvest({"answer": minibatch}, request)["outputs"]
    for first in (7, 10):
        changed = list(outputs)
        changed[first + 1] = changed[first + 2]  # the same seed now gives other batches
        with pytest.raises(Fail, match="same seed gave different batches") as info:
            sampler.judge(cases, changed)
        assert info.value.case == first
    _, curve = PARTS["4.6.3c"]
    cases = curve.cases(np.random.default_rng(0))
    request = {"answer": "answer", "kind": "function", "cases": cases, "seed": 0}
    good = transport.harvest({"answer": variance_curve}, request)["outputs"]
    curve.judge(cases, good)
    for index, changed in (
        (1, [good[0], good[2], good[2]]),
        (2, [good[0], good[1], good[0]]),
        (0, [transport.encode((np.ones(5), -1.0))] * 2 + [good[2]]),
        (0, [transport.encode(("x", -1.0))] + good[1:]),
        (1, [good[0], transport.encode("x"), good[2]]),
        (2, [good[0], good[1], transport.encode("x")]),
    ):
        with pytest.raises(Fail) as info:
            curve.judge(cases, changed)
        assert info.value.case == index, str(info.value)


def test_logistic_judge_message_names_the_case():
    """Pins 4.1.3c's whole message: the X of the failing case, then L and the direction."""
    message = judge("4.1.3c", lambda X: 100.0)
    assert message == (
        "for X = np.array([[0.3, -0.3], [1.3, 0.2], [-1.1, 0.8]]) L = 100 is too large"
    )


def test_not_attempted_reason_without_the_callable_field():
    """Pins the default of result["callable"] (True: a function part's result may omit it):
    None on every input is then not attempted, and a real output is judged; and that
    printed_instead_of_returning reads only a dict."""
    from gdlab.grading.judging import printed_instead_of_returning

    fn = part_with(accept)
    none = {"t": "none"}
    reason = not_attempted_reason(fn, {"found": True, "outputs": [none, none]})
    assert reason is not None and reason.startswith("`answer` returned None on every input")
    todo = {"t": "error", "type": "NotImplementedError"}
    reason = not_attempted_reason(fn, {"found": True, "outputs": [todo]})
    assert reason == "`answer` raised NotImplementedError on every input"
    assert printed_instead_of_returning(fn, "garbage") is None
    assert printed_instead_of_returning(fn, None) is None


def test_sampler_and_curve_cases_follow_their_design():
    """Pins 4.6.3a's cases: one G (10 x 3) for all; (B, replace, draws) = (2, no, 1000),
    (10, no, 50), (2, yes, 1000), (4, yes, 2000), (4, no, 2000), (1, yes, 1000), (15, yes,
    200), each with its own rng seed below 2**31; then per scheme (with, without) three twin
    calls of B = 3 and 20 draws: (seed s0, global g2), (s0, g3), (s1, g2) from four seeds
    below 2**31. 4.6.3c: n = 8 rows, batches [1, 2, 4, 8, 16], n_draws 1000, the same twin
    pattern."""
    for seed in range(3):
        rng = np.random.default_rng(seed)
        cases = PARTS["4.6.3a"][1].cases(rng)
        G = cases[0]["args"][0]["array"]
        assert np.array(G).shape == (10, 3) and all(c["args"][0]["array"] == G for c in cases)
        plan = [(c["args"][1], c["kwargs"]["replace"], c["repeat"]) for c in cases[:7]]
        assert plan == [
            (2, False, 1000),
            (10, False, 50),
            (2, True, 1000),
            (4, True, 2000),
            (4, False, 2000),
            (1, True, 1000),
            (15, True, 200),
        ]
        assert not any(c.get("twin") or "global_seed" in c for c in cases[:7])
        seeds = [c["args"][2]["rng"] for c in cases]
        assert all(0 <= s < 2**31 for s in seeds) and len(set(seeds[:7])) == 7
        for first, replace in ((7, True), (10, False)):
            twins = cases[first : first + 3]
            assert all(
                c["twin"] is True
                and c["repeat"] == 20
                and c["args"][1] == 3
                and c["kwargs"] == {"replace": replace}
                for c in twins
            )
            (s0, g2), (s0b, g3), (s1, g2b) = [
                (c["args"][2]["rng"], c["global_seed"]) for c in twins
            ]
            assert s0 == s0b and g2 == g2b and len({s0, s1, g2, g3}) == 4
            assert all(0 <= s < 2**31 for s in (s0, s1, g2, g3))
        assert len(cases) == 13
        curve = PARTS["4.6.3c"][1].cases(rng)
        assert len(curve) == 3
        assert np.array(curve[0]["args"][0]["array"]).shape == (8, 3)
        assert all(c["args"][1] == [1, 2, 4, 8, 16] for c in curve)
        assert all(c["kwargs"] == {"n_draws": 1000} for c in curve)
        (s0, g2), (s0b, g3), (s1, g2b) = [(c["args"][2]["rng"], c["global_seed"]) for c in curve]
        assert s0 == s0b and g2 == g2b and len({s0, s1, g2, g3}) == 4
