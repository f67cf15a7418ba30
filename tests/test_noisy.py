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
