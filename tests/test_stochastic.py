"""gdlab.stochastic against references written here: explicit loops, exact enumeration, finite
differences."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from gdlab import stochastic
from gdlab.optim import GD, SGD, run
from gdlab.problems import LeastSquares, LogisticRegression

DATA = LeastSquares(n=30, d=3, seed=4, noise=0.5)
W = np.array([0.3, -0.4, 1.0])


def test_minibatch_gradients_use_the_same_draws_as_stochastic_grad():
    for replace in (True, False):
        draws = stochastic.minibatch_gradients(
            DATA, W, 4, 5, np.random.default_rng(9), replace=replace
        )
        rng = np.random.default_rng(9)
        expected = [DATA.stochastic_grad(W, 4, rng, replace=replace) for _ in range(5)]
        assert np.allclose(draws, expected, rtol=1e-13)


def test_minibatch_gradients_without_replacement_of_everything_is_the_gradient():
    draws = stochastic.minibatch_gradients(DATA, W, DATA.n, 3, np.random.default_rng(0), False)
    assert np.allclose(draws, DATA.grad(W), rtol=1e-12)
    with pytest.raises(ValueError, match="exceeds"):
        stochastic.minibatch_gradients(DATA, W, DATA.n + 1, 3, np.random.default_rng(0), False)
    with pytest.raises(ValueError, match="Generator"):
        stochastic.minibatch_gradients(DATA, W, 2, 3, rng=0)


def test_exact_expectation_over_all_batches_is_the_gradient():
    """Enumerating every ordered pair of examples: the mean of g over B = 2 is grad L."""
    small = LogisticRegression(n=6, d=2, seed=1, ridge=0.1)
    w = np.array([0.5, -1.0])
    pairs = list(itertools.product(range(6), repeat=2))
    mean = np.mean([small.minibatch_gradient(w, np.array(p)) for p in pairs], axis=0)
    assert np.allclose(mean, small.grad(w), rtol=1e-12)


def test_per_example_variance_and_minibatch_variance_by_enumeration():
    small = LeastSquares(n=5, d=2, seed=3)
    w = np.array([1.0, 2.0])
    full = small.grad(w)
    single = stochastic.per_example_variance(small, w)
    per_example = [small.minibatch_gradient(w, np.array([i])) for i in range(5)]
    assert single == pytest.approx(np.mean([np.sum((g - full) ** 2) for g in per_example]))
    for B in (1, 2, 3):
        with_replacement = [
            np.sum((small.minibatch_gradient(w, np.array(s)) - full) ** 2)
            for s in itertools.product(range(5), repeat=B)
        ]
        without = [
            np.sum((small.minibatch_gradient(w, np.array(s)) - full) ** 2)
            for s in itertools.permutations(range(5), B)
        ]
        assert stochastic.minibatch_variance(single, B) == pytest.approx(np.mean(with_replacement))
        assert stochastic.minibatch_variance(single, B, n=5, replace=False) == pytest.approx(
            np.mean(without)
        )
    assert stochastic.minibatch_variance(single, 5, n=5, replace=False) == 0.0
    with pytest.raises(ValueError, match="n"):
        stochastic.minibatch_variance(single, 2, replace=False)


def test_empirical_variance_formula():
    samples = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert stochastic.empirical_variance(samples, np.zeros(2)) == pytest.approx(1.0)
    assert stochastic.empirical_variance(samples, np.array([0.5, 0.5])) == pytest.approx(0.5)


def test_mean_test_covers_the_true_mean_and_rejects_a_shifted_one():
    rng = np.random.default_rng(0)
    samples = rng.normal(loc=[1.0, -2.0, 0.0], scale=[1.0, 3.0, 0.5], size=(4000, 3))
    result = stochastic.mean_test(samples, [1.0, -2.0, 0.0], confidence=0.99)
    assert result.covered
    assert result.critical_value == pytest.approx(2.935, abs=1e-3)  # 1 - 0.01 / 6 quantile
    assert np.allclose(result.standard_error, samples.std(axis=0, ddof=1) / np.sqrt(4000))
    assert np.allclose(
        result.upper - result.lower, 2 * result.critical_value * result.standard_error
    )
    shifted = stochastic.mean_test(samples, [1.0, -2.0, 0.1])
    assert not shifted.covered and abs(shifted.z_scores[2]) > 10
    with pytest.raises(ValueError, match="confidence"):
        stochastic.mean_test(samples, [0.0, 0.0, 0.0], confidence=1.0)


def test_clip_by_norm():
    rows = np.array([[3.0, 4.0], [0.3, 0.4], [0.0, 0.0]])
    clipped = stochastic.clip_by_norm(rows, 1.0)
    assert np.allclose(clipped, [[0.6, 0.8], [0.3, 0.4], [0.0, 0.0]])
    assert np.allclose(stochastic.clip_by_norm(np.array([3.0, 4.0]), 2.5), [1.5, 2.0])


WEIGHTS = [0.1] * 5 + [1.9] * 5


def test_sharp_flat_sum_derivatives_match_finite_differences():
    problem = stochastic.SharpFlatSum(WEIGHTS)
    h = 1e-6
    for w in (-1.3, -0.6, 0.4, 1.0, 2.5):
        x = np.array([w])
        slope = (problem.value(x + h) - problem.value(x - h)) / (2 * h)
        curvature = (problem.grad(x + h)[0] - problem.grad(x - h)[0]) / (2 * h)
        assert problem.grad(x)[0] == pytest.approx(slope, rel=1e-6, abs=1e-8)
        assert problem.hess(x)[0, 0] == pytest.approx(curvature, rel=1e-6, abs=1e-6)


def test_sharp_flat_sum_minima_interpolate_every_example():
    problem = stochastic.SharpFlatSum(WEIGHTS)
    assert problem.weights.mean() == pytest.approx(1.0)
    for point, curvature in ((problem.sharp_minimizer, 20.0), (problem.flat_minimizer, 1.0)):
        assert np.all(np.abs(problem.example_grads(point)) < 1e-12)
        assert problem.hess(point)[0, 0] == pytest.approx(curvature, rel=1e-3)
        assert np.allclose(problem.example_curvatures(point), problem.weights * curvature, 1e-3)
    assert problem.sharp_minimizer[0] == pytest.approx(-1.0, abs=1e-3)
    assert problem.flat_minimizer[0] == pytest.approx(2.0, abs=1e-3)
    rng = np.random.default_rng(0)
    assert problem.stochastic_grad(problem.flat_minimizer, 3, rng) == pytest.approx(0.0, abs=1e-12)


def test_sharp_flat_sum_stochastic_grad_is_a_minibatch_average():
    problem = stochastic.SharpFlatSum([1.0, 2.0, 3.0])
    w = np.array([0.5])
    rows = np.random.default_rng(5).choice(3, size=2, replace=True)
    expected = problem.example_grads(w)[rows].mean()
    assert problem.stochastic_grad(w, 2, np.random.default_rng(5))[0] == pytest.approx(expected)
    with pytest.raises(ValueError, match="weights"):
        stochastic.SharpFlatSum([1.0, -1.0])
    with pytest.raises(ValueError, match="differ"):
        stochastic.SharpFlatSum([1.0], sharp_center=1.0, flat_center=1.0)


def test_linear_stability_exponent_by_hand():
    curvatures = np.array([0.5, 1.5])
    lr = 0.5
    assert stochastic.linear_stability_exponent(curvatures, lr) == pytest.approx(np.log(0.5))
    expected = (np.log(0.75) + np.log(0.25)) / 2
    assert stochastic.linear_stability_exponent(curvatures, lr, batch_size=1) == pytest.approx(
        expected
    )
    with pytest.raises(ValueError, match="batch_size"):
        stochastic.linear_stability_exponent(curvatures, lr, batch_size=2)
    assert stochastic.linear_stability_exponent(curvatures, 1.0) == -np.inf  # factor 1 - 1 * 1


def test_stability_exponent_predicts_gd_staying_and_sgd_leaving_the_sharp_minimum():
    problem = stochastic.SharpFlatSum(WEIGHTS)
    lr = 0.08
    sharp = problem.example_curvatures(problem.sharp_minimizer)
    assert stochastic.linear_stability_exponent(sharp, lr) < 0
    assert stochastic.linear_stability_exponent(sharp, lr, batch_size=1) > 0
    start = problem.sharp_minimizer + 0.01
    gd = run(GD(lr), problem, start, 300)
    assert abs(gd.iterates[-1, 0] - problem.sharp_minimizer[0]) < 1e-8
    sgd = run(SGD(lr, batch_size=1, seed=0), problem, start, 300)
    assert abs(sgd.iterates[-1, 0] - problem.flat_minimizer[0]) < 1e-6


def test_variance_standard_error_matches_the_chi_square_formula():
    # For g ~ N(0, sigma^2 I_d), ||g||^2 = sigma^2 chi^2_d has variance 2 d sigma^4, so the
    # standard error of the mean of K draws is sqrt(2 d) sigma^2 / sqrt(K).
    rng = np.random.default_rng(3)
    d, sigma, draws = 4, 0.5, 40_000
    samples = sigma * rng.standard_normal((draws, d))
    expected = np.sqrt(2 * d) * sigma**2 / np.sqrt(draws)
    error = stochastic.variance_standard_error(samples, np.zeros(d))
    assert error == pytest.approx(expected, rel=0.05)
    with pytest.raises(ValueError, match="2 draws"):
        stochastic.variance_standard_error(samples[:1], np.zeros(d))


def test_anisotropic_least_squares_has_the_requested_conditioning():
    problem = stochastic.anisotropic_least_squares(20_000, 6, condition_number=50.0, seed=1)
    assert isinstance(problem, LeastSquares) and (problem.n, problem.dim) == (20_000, 6)
    # The Gram matrix of n samples estimates diag(s^2); its eigenvalues within a few percent.
    expected = np.logspace(0.0, -np.log10(50.0), 6)
    gram_eigenvalues = np.linalg.eigvalsh(problem.X.T @ problem.X / problem.n)
    assert np.allclose(np.sort(gram_eigenvalues), np.sort(expected), rtol=0.08)
    assert 40 < problem.condition_number < 62
    residuals = problem.X @ problem.minimizer - problem.y
    assert np.std(residuals) == pytest.approx(0.1, rel=0.05)
    with pytest.raises(ValueError, match="condition_number"):
        stochastic.anisotropic_least_squares(10, 2, condition_number=0.5)


def test_mean_square_factor_by_hand_and_by_enumerating_every_sequence():
    # Wu et al.'s counterexample to "SGD's condition is stronger than GD's": h = {1.1, 3.4}, eta 1.
    curvatures, lr = np.array([1.1, 3.4]), 1.0
    assert stochastic.mean_square_factor(curvatures, lr) == pytest.approx(1.25**2)
    assert stochastic.mean_square_factor(curvatures, lr, 1) == pytest.approx((0.01 + 5.76) / 2)
    # E (w_t / w_0)^2 over all 2^8 equally likely example sequences is the factor to the 8th.
    factors = 1 - lr * curvatures
    squares = [np.prod(factors[list(s)] ** 2) for s in itertools.product([0, 1], repeat=8)]
    assert np.mean(squares) == pytest.approx(stochastic.mean_square_factor(curvatures, lr, 1) ** 8)
    # Almost surely stable (the log criterion), mean-square unstable, GD unstable.
    assert stochastic.linear_stability_exponent(curvatures, lr, 1) == pytest.approx(
        (np.log(0.1) + np.log(2.4)) / 2
    )
    with pytest.raises(ValueError, match="batch_size"):
        stochastic.mean_square_factor(curvatures, lr, batch_size=3)
    with pytest.raises(ValueError, match="lr"):
        stochastic.mean_square_factor(curvatures, -1.0)
    with pytest.raises(ValueError, match="curvatures"):
        stochastic.mean_square_factor([], 1.0)


def test_mean_square_stability_implies_both_other_criteria():
    rng = np.random.default_rng(3)
    for _ in range(200):
        curvatures = rng.uniform(0.0, 5.0, size=rng.integers(1, 6))
        lr = rng.uniform(0.01, 1.0)
        if stochastic.mean_square_factor(curvatures, lr, 1) < 1:
            assert stochastic.mean_square_factor(curvatures, lr) < 1  # GD stable
            assert stochastic.linear_stability_exponent(curvatures, lr, 1) < 0
        # Jensen: E log|X| <= log E X^2 / 2 always.
        assert (
            stochastic.linear_stability_exponent(curvatures, lr, 1)
            <= 0.5 * np.log(stochastic.mean_square_factor(curvatures, lr, 1)) + 1e-12
        )
