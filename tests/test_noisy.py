"""Tests for gdlab.noisy: unbiasedness, the second moment and delegation."""

from __future__ import annotations

import numpy as np
import pytest

from gdlab.noisy import NoisyGradient
from gdlab.problems import DoubleWell, Quadratic

W = np.array([0.7, -0.4])


def test_draw_is_gradient_plus_scaled_standard_normal():
    problem = NoisyGradient(DoubleWell(), noise=0.3)
    rng, replay = np.random.default_rng(5), np.random.default_rng(5)
    g = problem.stochastic_grad(W, 1, rng)
    np.testing.assert_allclose(g, DoubleWell().grad(W) + 0.3 * replay.standard_normal(2))


def test_batch_is_the_average_of_independent_draws():
    problem = NoisyGradient(DoubleWell(), noise=2.0)
    rng, replay = np.random.default_rng(9), np.random.default_rng(9)
    g = problem.stochastic_grad(W, 4, rng)
    draws = replay.standard_normal((4, 2))
    np.testing.assert_allclose(g, DoubleWell().grad(W) + 2.0 * draws.mean(axis=0), rtol=1e-14)


def test_unbiased_with_the_stated_second_moment():
    problem = NoisyGradient(Quadratic([1.0, 3.0], angle=0.2), noise=0.5)
    rng = np.random.default_rng(0)
    draws = np.array([problem.stochastic_grad(W, 1, rng) for _ in range(20000)])
    exact = problem.grad(W)
    stderr = draws.std(axis=0, ddof=1) / np.sqrt(len(draws))
    assert np.all(np.abs(draws.mean(axis=0) - exact) < 5 * stderr)
    squared = np.sum(draws**2, axis=1)
    expected = exact @ exact + 2 * 0.5**2  # ||grad||^2 + d noise^2
    assert abs(squared.mean() - expected) < 5 * squared.std(ddof=1) / np.sqrt(len(squared))


def test_zero_noise_is_the_exact_gradient_and_attributes_are_delegated():
    base = Quadratic([1.0, 3.0], angle=0.2)
    problem = NoisyGradient(base, noise=0.0)
    np.testing.assert_array_equal(
        problem.stochastic_grad(W, 3, np.random.default_rng(0)), base.grad(W)
    )
    assert problem.dim == 2 and problem.L == base.L and problem.base is base
    assert problem.value(W) == base.value(W)
    np.testing.assert_array_equal(problem.hess(W), base.hess(W))
    assert "noise=0" in repr(problem)
    with pytest.raises(AttributeError):
        _ = problem.no_such_attribute


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: NoisyGradient(DoubleWell(), noise=-1.0), "noise"),
        (lambda: NoisyGradient("not a problem", noise=1.0), "problem"),
        (
            lambda: NoisyGradient(DoubleWell(), 1.0).stochastic_grad(W, 0, np.random.default_rng()),
            "batch_size",
        ),
        (lambda: NoisyGradient(DoubleWell(), 1.0).stochastic_grad(W, 1, 0), "rng"),
    ],
)
def test_bad_input(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_stationary_gap_solves_the_lyapunov_equation():
    from scipy.linalg import solve_discrete_lyapunov

    from gdlab.noisy import stationary_gap

    eigenvalues = np.array([0.5, 2.0, 9.0])
    for lr, beta, noise, batch in [(0.1, 0.0, 1.0, 1), (0.05, 0.9, 0.3, 4), (0.2, 0.5, 2.0, 2)]:
        expected = 0.0
        for lam in eigenvalues:
            M = np.array([[1 + beta - lr * lam, -beta], [1.0, 0.0]])
            Q = np.diag([lr**2 * noise**2 / batch, 0.0])  # the noise enters through -eta xi
            expected += lam / 2 * solve_discrete_lyapunov(M, Q)[0, 0]
        assert stationary_gap(eigenvalues, lr, beta, noise, batch) == pytest.approx(expected)


def test_stationary_gap_is_what_long_runs_average():
    from gdlab.noisy import stationary_gap
    from gdlab.optim import HeavyBall, run

    problem = NoisyGradient(Quadratic([1.0, 10.0], angle=0.4), noise=0.5)
    for lr, beta in [(0.05, 0.0), (0.01, 0.9)]:
        values = [
            run(HeavyBall(lr, beta, batch_size=1, seed=s), problem, [0.0, 0.0], 3000).values[500:]
            for s in range(4)
        ]
        measured = np.mean(values)
        assert measured == pytest.approx(stationary_gap([1.0, 10.0], lr, beta, 0.5), rel=0.1)


def test_stationary_gap_rejects_an_unstable_step_and_bad_values():
    from gdlab.noisy import stationary_gap

    with pytest.raises(ValueError, match="lr must be below"):
        stationary_gap([1.0, 10.0], 0.2, 0.0)  # 2/10 = 0.2 is the edge
    assert np.isfinite(stationary_gap([1.0, 10.0], 0.39, 0.99))  # 2(1 + beta)/10 = 0.398
    with pytest.raises(ValueError, match="eigenvalues"):
        stationary_gap([0.0, 1.0], 0.1)
    with pytest.raises(ValueError, match="noise"):
        stationary_gap([1.0], 0.1, noise=-1.0)
    with pytest.raises(ValueError, match="batch_size"):
        stationary_gap([1.0], 0.1, batch_size=0)
