"""Tests for gdlab.theory: each quantity against a loop, an exact Hessian or the theorem."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdlab import theory
from gdlab.noisy import NoisyGradient
from gdlab.optim import GD, SGD, AdaGradNorm, DelayedAdaGrad, run
from gdlab.problems import (
    DoubleWell,
    HiddenValley,
    Himmelblau,
    LeastSquares,
    LogisticRegression,
    Quadratic,
    Rosenbrock,
)

POLYNOMIALS = [
    DoubleWell(),
    DoubleWell(a=3.0),
    Rosenbrock(),
    Rosenbrock(a=0.5, b=10.0),
    Himmelblau(),
]


def exact_norm(problem, w):
    return float(np.max(np.abs(np.linalg.eigvalsh(problem.hess(w)))))


# -- constants -------------------------------------------------------------------------------


def test_largest_abs_value():
    assert theory.largest_abs_value([0.5, -2.0, 1.0]) == 2.0
    with pytest.raises(ValueError, match="values"):
        theory.largest_abs_value([1.0, np.nan])
    with pytest.raises(ValueError, match="values"):
        theory.largest_abs_value([])


def test_second_moment_of_a_finite_sum_with_batch_size_one():
    problem = LeastSquares(n=40, d=3, seed=1)
    w = np.array([0.3, -0.2, 0.5])
    exact = np.mean([g @ g for g in problem.example_grads(w)])  # E over one uniform example
    estimate = theory.second_moment(problem, w, 1, np.random.default_rng(0), samples=4000)
    assert abs(estimate.mean - exact) < 5 * estimate.stderr
    assert estimate.stderr < 0.05 * exact


def test_second_moment_of_gaussian_noise():
    problem = NoisyGradient(Quadratic([1.0, 2.0, 4.0], seed=0), noise=0.7)
    w = np.ones(3)
    exact = problem.grad(w) @ problem.grad(w) + 3 * 0.7**2
    estimate = theory.second_moment(problem, w, 1, np.random.default_rng(1), samples=4000)
    assert abs(estimate.mean - exact) < 5 * estimate.stderr


def test_second_moment_bad_input():
    problem = LeastSquares(n=10, d=2)
    with pytest.raises(ValueError, match="samples"):
        theory.second_moment(problem, np.zeros(2), 1, np.random.default_rng(), samples=1)
    with pytest.raises(ValueError, match="rng"):
        theory.second_moment(problem, np.zeros(2), 1, 0)


@pytest.mark.parametrize("problem", POLYNOMIALS, ids=repr)
def test_hessian_bound_covers_every_point_of_random_boxes(problem):
    rng = np.random.default_rng(0)
    for _ in range(30):
        corner = rng.uniform(-4, 4, 2)
        size = rng.uniform(0, 2, 2)
        lower, upper = corner, corner + size
        bound = theory.hessian_norm_bound(problem, lower, upper)
        points = rng.uniform(lower, upper, (200, 2))
        corners = [[x, y] for x in (lower[0], upper[0]) for y in (lower[1], upper[1])]
        worst = max(exact_norm(problem, w) for w in [*points, *corners])
        assert worst <= bound * (1 + 1e-12)


@pytest.mark.parametrize("problem", POLYNOMIALS, ids=repr)
def test_hessian_bound_at_a_point_is_within_a_factor_two(problem):
    # max(|h11|, |h22|) and |h12| are each at most ||H||, so the bound is at most 2 ||H||.
    rng = np.random.default_rng(1)
    for w in rng.uniform(-3, 3, (50, 2)):
        bound = theory.hessian_norm_bound(problem, w, w)
        assert exact_norm(problem, w) <= bound <= 2 * exact_norm(problem, w) + 1e-9


def test_hessian_bound_is_vectorised_over_boxes():
    problem = Rosenbrock()
    lower = np.array([[0.0, 0.0], [-1.0, 0.5]])
    upper = np.array([[0.5, 1.0], [1.0, 2.0]])
    vectorised = theory.hessian_norm_bound(problem, lower, upper)
    assert vectorised.shape == (2,)
    for k in range(2):
        assert vectorised[k] == theory.hessian_norm_bound(problem, lower[k], upper[k])


def test_hessian_bound_of_problems_with_a_global_L():
    for problem in [Quadratic([1.0, 7.0]), LogisticRegression(n=30, d=2), HiddenValley()]:
        assert theory.hessian_norm_bound(problem, [-1, -1], [1, 1]) == problem.L
    noisy = NoisyGradient(DoubleWell(), noise=1.0)  # unwrapped to the DoubleWell
    assert theory.hessian_norm_bound(noisy, [0, -2], [1, 2]) == 11.0  # 3 * 2^2 - 1


def test_hessian_bound_bad_input():
    class Unknown:
        dim = 2

    with pytest.raises(ValueError, match="no Hessian bound"):
        theory.hessian_norm_bound(Unknown(), [0, 0], [1, 1])
    with pytest.raises(ValueError, match="lower"):
        theory.hessian_norm_bound(Rosenbrock(), [1, 0], [0, 1])
    with pytest.raises(ValueError, match="shape"):
        theory.hessian_norm_bound(Rosenbrock(), [0, 0, 0], [1, 1, 1])


@pytest.mark.parametrize("problem", POLYNOMIALS, ids=repr)
def test_smoothness_on_path_covers_the_segments(problem):
    rng = np.random.default_rng(2)
    path = np.cumsum(rng.normal(scale=0.3, size=(20, 2)), axis=0)
    L = theory.smoothness_on_path(problem, path)
    for a, b in zip(path[:-1], path[1:], strict=True):
        for s in np.linspace(0, 1, 11):
            assert exact_norm(problem, a + s * (b - a)) <= L * (1 + 1e-12)


def test_smoothness_on_path_of_one_point_and_bad_input():
    w = np.array([0.5, 0.5])
    assert theory.smoothness_on_path(Rosenbrock(), [w]) == theory.hessian_norm_bound(
        Rosenbrock(), w, w
    )
    with pytest.raises(ValueError, match="iterates"):
        theory.smoothness_on_path(Rosenbrock(), [[0.0, np.nan]])


# -- runs ----------------------------------------------------------------------------------


def test_run_projected_equals_clipped_gd_loop():
    valley = HiddenValley(dim=3, width=0.2, seed=1)
    lr, w = 0.01, np.array([0.9, 1.5, -0.2])  # the start is projected first
    trace = theory.run_projected(GD(lr), valley, w, 300)
    reference = [np.clip(w, -1, 1)]
    for _ in range(300):
        reference.append(np.clip(reference[-1] - lr * valley.grad(reference[-1]), -1, 1))
    np.testing.assert_allclose(trace.iterates, reference, rtol=1e-13, atol=1e-15)
    assert np.all(np.abs(trace.iterates) <= 1)
    np.testing.assert_allclose(trace.values, [valley.value(w) for w in reference])
    assert trace.optimizer == "GD" and trace.lrs.shape == (300,)


def test_run_projected_bad_input():
    with pytest.raises(ValueError, match="project"):
        theory.run_projected(GD(0.1), Rosenbrock(), [0.0, 0.0], 3)
    with pytest.raises(ValueError, match="optimizer"):
        theory.run_projected("GD", HiddenValley(), [0.0, 0.0], 3)


def test_run_online_equals_a_projected_loop_over_the_rounds():
    # Adam with beta1 = 0 and no bias correction, written out here on Reddi et al.'s losses
    from gdlab.optim import Adam, AMSGrad
    from gdlab.problems import CyclicLinear
    from gdlab.schedules import InverseSqrt

    problem, beta2, lr, steps = CyclicLinear(C=3.0), 0.1, 0.4, 300
    result = theory.run_online(
        Adam(lr, beta1=0.0, beta2=beta2, bias_correction=False),
        problem,
        [1.5],  # projected to 1
        steps,
        InverseSqrt(lr),
    )
    x, v, xs, gaps = 1.0, 0.0, [1.0], []
    for t in range(1, steps + 1):
        g = 3.0 if t % 3 == 1 else -1.0
        gaps.append(g * x - g * (-1.0))  # f_t(x_t) - f_t(x*), x* = -1
        v = beta2 * v + (1 - beta2) * g * g
        x = min(1.0, max(-1.0, x - lr / math.sqrt(t) * g / (math.sqrt(v) + 1e-8)))
        xs.append(x)
    np.testing.assert_allclose(result.trace.iterates[:, 0], xs, rtol=1e-12, atol=1e-14)
    expected_regret = np.cumsum(gaps) / np.arange(1, steps + 1)
    np.testing.assert_allclose(result.average_regret, expected_regret, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(result.trace.lrs, lr / np.sqrt(np.arange(1, steps + 1)))
    # the counterexample itself: Adam ends at the worst point +1 with regret near 2/3 per round,
    # AMSGrad (same settings) near the best point -1 with a falling regret
    assert result.trace.iterates[-1, 0] > 0.9 and result.average_regret[-1] > 0.6
    amsgrad = theory.run_online(
        AMSGrad(lr, beta1=0.0, beta2=beta2), problem, [1.0], steps, InverseSqrt(lr)
    )
    assert amsgrad.trace.iterates[-1, 0] < -0.5
    assert amsgrad.average_regret[-1] < 0.7 * amsgrad.average_regret[99] < 0.5


def test_run_online_bad_input():
    from gdlab.problems import CyclicLinear

    with pytest.raises(ValueError, match="round_grad"):
        theory.run_online(GD(0.1), Rosenbrock(), [0.0, 0.0], 3)
    with pytest.raises(ValueError, match="optimizer"):
        theory.run_online("GD", CyclicLinear(), [0.0], 3)
    with pytest.raises(ValueError, match="batch_size"):
        theory.run_online(SGD(0.1, batch_size=1), CyclicLinear(), [0.0], 3)
    with pytest.raises(ValueError, match="steps"):
        theory.run_online(GD(0.1), CyclicLinear(), [0.0], 0)
    with pytest.raises(ValueError, match="schedule"):
        theory.run_online(GD(0.1), CyclicLinear(), [0.0], 3, schedule=0.1)


def test_run_recording_gradients_is_the_same_run_and_keeps_the_draws():
    problem = LeastSquares(n=20, d=3, seed=0)
    optimizer = SGD(0.05, batch_size=2, seed=7)
    plain = run(optimizer, problem, np.zeros(3), 30)
    trace, gradients = theory.run_recording_gradients(optimizer, problem, np.zeros(3), 30)
    np.testing.assert_array_equal(trace.iterates, plain.iterates)
    assert gradients.shape == (30, 3)
    np.testing.assert_allclose(
        trace.iterates[1:], trace.iterates[:-1] - 0.05 * gradients, rtol=1e-14, atol=1e-15
    )
    assert "gradient" not in vars(optimizer)  # the method is restored


def test_run_recording_gradients_restores_the_method_after_an_error():
    optimizer = GD(0.1)
    with pytest.raises(ValueError):
        theory.run_recording_gradients(optimizer, Rosenbrock(), [0.0, 0.0, 0.0], 3)
    assert "gradient" not in vars(optimizer)


# -- Theorems 4.6.1 and 4.6.2 ---------------------------------------------------------------


def test_gd_guarantee_against_loops_and_the_theorem():
    problem = DoubleWell()
    w0 = np.array([1.2, 0.05])
    trace = run(GD(0.5), problem, w0, 60)
    L = theory.smoothness_on_path(problem, trace.iterates)
    assert L <= 2.0  # so lr = 0.5 <= 1/L
    result = theory.gd_guarantee(trace, L)
    for T in (1, 5, 60):
        squared = [np.linalg.norm(problem.grad(w)) ** 2 for w in trace.iterates[:T]]
        M = max(abs(problem.value(w)) for w in trace.iterates[: T + 1])
        assert result.min_sq[T - 1] == pytest.approx(min(squared), rel=1e-12, abs=1e-300)
        assert result.mean_sq[T - 1] == pytest.approx(np.mean(squared), rel=1e-12)
        assert result.M[T - 1] == pytest.approx(M)
        assert result.bound[T - 1] == pytest.approx(4 * M * L / T)
    assert np.all(result.min_sq <= result.mean_sq) and np.all(result.mean_sq <= result.bound)


def test_gd_guarantee_rejects_a_diverged_run():
    trace = run(GD(1.0), Quadratic([1.0, 10.0]), [1.0, 1.0], 400)
    assert trace.diverged is not None
    with pytest.raises(ValueError, match="diverged"):
        theory.gd_guarantee(trace, 10.0)


def test_sgd_lr_and_bound_formulas():
    assert theory.sgd_lr(2.0, 3.0, 5.0, 100) == pytest.approx(math.sqrt(2 / (3 * 5 * 100)))
    np.testing.assert_allclose(
        theory.sgd_bound(2.0, 3.0, 5.0, [1, 100]), 2 * np.sqrt(30 / np.array([1, 100]))
    )
    np.testing.assert_allclose(theory.gd_bound([1.0, 2.0], 3.0, [4, 8]), [3.0, 3.0])
    with pytest.raises(ValueError, match="sigma2"):
        theory.sgd_lr(1.0, 1.0, 0.0, 10)


def test_sgd_guarantee_runs_each_seed_and_horizon_with_the_theorem_lr():
    problem = LogisticRegression(n=40, d=3, seed=2)
    w0 = np.zeros(3)
    result = theory.sgd_guarantee(problem, w0, problem.L, 1.5, 2.0, [5, 20], seeds=[0, 1, 2])
    assert result.mean_sq.shape == result.min_sq.shape == (3, 2)
    np.testing.assert_allclose(result.lr, [theory.sgd_lr(2.0, problem.L, 1.5, T) for T in (5, 20)])
    for s, seed in enumerate([0, 1, 2]):
        for k, T in enumerate([5, 20]):
            again = run(SGD(result.lr[k], batch_size=1, seed=seed), problem, w0, T)
            np.testing.assert_array_equal(again.iterates, result.traces[s][k].iterates)
            squared = again.grad_norms[:T] ** 2
            assert result.mean_sq[s, k] == pytest.approx(squared.mean())
            assert result.min_sq[s, k] == pytest.approx(squared.min())
    largest = max(np.max(np.abs(t.values)) for row in result.traces for t in row)
    assert result.M_measured == pytest.approx(2 * largest)
    np.testing.assert_allclose(result.bound, theory.sgd_bound(2.0, problem.L, 1.5, [5, 20]))


# -- Theorems 4.6.4 and 4.6.5 ----------------------------------------------------------------


def test_harmonic_sum_against_a_loop_and_its_log_bound():
    rng = np.random.default_rng(3)
    a = rng.exponential(size=50) ** 3
    total, expected = 0.0, []
    for t in range(50):
        total += a[t] / a[: t + 1].sum()
        expected.append(total)
    np.testing.assert_allclose(theory.harmonic_sum(a), expected, rtol=1e-13)
    assert np.all(theory.harmonic_sum(a) <= 1 + np.log(np.cumsum(a) / a[0]) + 1e-12)
    np.testing.assert_allclose(theory.harmonic_sum([0.0, 0.0, 2.0, 2.0]), [0, 0, 1, 1.5])
    with pytest.raises(ValueError, match="non-negative"):
        theory.harmonic_sum([1.0, -1.0])


@pytest.mark.parametrize(
    "problem, w0",
    [(DoubleWell(), [1.5, 0.01]), (Rosenbrock(), [-1.2, 1.0]), (Himmelblau(), [0.0, 0.0])],
    ids=repr,
)
def test_adagrad_norm_guarantee_holds_on_runs_with_exact_gradients(problem, w0):
    trace = run(AdaGradNorm(1.0), problem, w0, 500)
    L = theory.smoothness_on_path(problem, trace.iterates)
    result = theory.adagrad_norm_guarantee(trace, L)
    squared = trace.grad_norms[:500] ** 2
    np.testing.assert_allclose(result.accumulator, np.sqrt(np.cumsum(squared)), rtol=1e-12)
    np.testing.assert_allclose(result.harmonic, theory.harmonic_sum(squared), rtol=1e-12)
    np.testing.assert_allclose(result.G, np.sqrt(np.maximum.accumulate(squared)), rtol=1e-12)
    M = 2 * np.maximum.accumulate(np.abs(trace.values))[1:]
    np.testing.assert_allclose(result.M, M)
    T = np.arange(1, 501)
    np.testing.assert_allclose(
        result.bound, (M + L / 2 * result.harmonic) * result.accumulator / T, rtol=1e-12
    )
    previous = np.sqrt(np.concatenate([[0.0], np.cumsum(squared)[:-1]]))
    np.testing.assert_allclose(
        result.chapter_bound, (L + M * np.log(result.G * T)) * previous / T, rtol=1e-12
    )
    assert np.all(result.mean_sq <= result.bound)  # what the proof shows, on every horizon


def test_adagrad_diagonal_guarantee_quantities_and_the_proof_steps():
    problem = LogisticRegression(n=50, d=3, seed=4)
    sigma2 = float(np.max(np.sum(problem.X**2, axis=1)))  # >= ||grad f_i||^2 (|slope| <= 1)
    optimizer = DelayedAdaGrad(1.0, sigma2=sigma2, batch_size=1, seed=0)
    trace, drawn = theory.run_recording_gradients(optimizer, problem, np.zeros(3), 200)
    result = theory.adagrad_diagonal_guarantee(trace, problem, drawn, problem.L, sigma2)
    # reference loop
    accumulated, weighted, descent, harmonic = np.full(3, sigma2), 0.0, 0.0, np.zeros(3)
    for t in range(200):
        P = 1 / np.sqrt(accumulated)
        exact = problem.grad(trace.iterates[t])
        weighted += np.sum(exact**2 * P)
        descent += exact @ (P * drawn[t]) - problem.L / 2 * np.sum(P**2 * drawn[t] ** 2)
        harmonic += drawn[t] ** 2 / accumulated
        accumulated = accumulated + drawn[t] ** 2
    assert result.weighted[-1] == pytest.approx(weighted, rel=1e-12)
    assert result.descent[-1] == pytest.approx(descent, rel=1e-12)
    np.testing.assert_allclose(result.harmonic[-1], harmonic, rtol=1e-12)
    previous = accumulated - drawn[-1] ** 2
    M = 2 * np.max(np.abs(trace.values))
    expected = (M + problem.L / 2 * harmonic.sum()) * np.sum(np.sqrt(previous)) / 200
    assert result.bound[-1] == pytest.approx(expected, rel=1e-12)
    # the proof's deterministic steps hold on every horizon of the run
    assert np.all(result.descent <= result.drop + 1e-12)
    assert np.all(result.harmonic <= result.harmonic_bound + 1e-12)
    with pytest.raises(ValueError, match="stochastic_grads"):
        theory.adagrad_diagonal_guarantee(trace, problem, drawn[:-1], problem.L, sigma2)
