"""Tests for gdlab.optim.DelayedAdaGrad (Theorem 4.6.5's P_t), against a loop written here."""

from __future__ import annotations

import numpy as np
import pytest

from gdlab import optim
from gdlab.problems import LeastSquares, Quadratic

QUAD = Quadratic([1.0, 10.0], angle=0.4, minimizer=[1.0, -2.0])
W0 = np.array([3.0, 1.5])


def reference_run(problem, w0, lr, sigma2, steps, gradients=None):
    """P_t = diag(sigma2 + sum_{i<t} g_i^2)^(-1/2), w_{t+1} = w_t - lr P_t g_t, as a plain loop."""
    w = np.array(w0, dtype=float)
    accumulated = np.full(w.shape, sigma2)
    iterates = [w.copy()]
    for t in range(steps):
        g = problem.grad(w) if gradients is None else gradients[t]
        w = w - lr * g / np.sqrt(accumulated)
        accumulated = accumulated + g**2
        iterates.append(w.copy())
    return np.array(iterates)


def test_matches_reference_with_exact_gradients():
    trace = optim.run(optim.DelayedAdaGrad(0.7, sigma2=2.0), QUAD, W0, 40)
    np.testing.assert_allclose(trace.iterates, reference_run(QUAD, W0, 0.7, 2.0, 40), rtol=1e-12)


def test_first_step_uses_sigma_only_and_state_holds_the_sum_so_far():
    optimizer = optim.DelayedAdaGrad(0.5, sigma2=4.0)
    g1 = QUAD.grad(W0)
    w1 = optimizer.step(W0, QUAD)
    np.testing.assert_allclose(w1, W0 - 0.5 * g1 / 2.0, rtol=1e-15)  # P_1 = I / sigma
    np.testing.assert_allclose(optimizer.state["G"], 4.0 + g1**2, rtol=1e-15)
    g2 = QUAD.grad(w1)
    w2 = optimizer.step(w1, QUAD)
    np.testing.assert_allclose(w2, w1 - 0.5 * g2 / np.sqrt(4.0 + g1**2), rtol=1e-14)


def test_stochastic_run_matches_reference_on_the_drawn_gradients():
    problem = LeastSquares(n=30, d=3, seed=2)
    optimizer = optim.DelayedAdaGrad(1.0, sigma2=5.0, batch_size=1, seed=3)
    rng = np.random.default_rng(3)  # the optimizer's generator, replayed
    w, drawn, iterates = np.zeros(3), [], [np.zeros(3)]
    for _ in range(25):
        drawn.append(problem.stochastic_grad(iterates[-1], 1, rng))
        w = optimizer.step(w, problem)
        iterates.append(w)
    np.testing.assert_allclose(
        np.array(iterates), reference_run(problem, np.zeros(3), 1.0, 5.0, 25, drawn), rtol=1e-12
    )


def test_step_never_grows_per_coordinate():
    trace = optim.run(optim.DelayedAdaGrad(1.0, sigma2=1.0), QUAD, W0, 30)
    gradients = np.array([QUAD.grad(w) for w in trace.iterates[:-1]])
    multiplier = np.abs(np.diff(trace.iterates, axis=0)) / np.abs(gradients)
    assert np.all(np.diff(multiplier, axis=0) <= 1e-15)


def test_state_size_repr_and_bad_input():
    assert optim.DelayedAdaGrad(0.1, sigma2=1.0).state_size(7) == 7
    assert repr(optim.DelayedAdaGrad(0.1, sigma2=2.0)) == "DelayedAdaGrad(lr=0.1, sigma2=2.0)"
    for bad in (0.0, -1.0, float("nan")):
        with pytest.raises(ValueError, match="sigma2"):
            optim.DelayedAdaGrad(0.1, sigma2=bad)
    with pytest.raises(ValueError, match="lr"):
        optim.DelayedAdaGrad(0.0, sigma2=1.0)


def test_does_not_modify_the_iterate():
    w = W0.copy()
    optim.DelayedAdaGrad(0.1, sigma2=1.0).step(w, QUAD)
    np.testing.assert_array_equal(w, W0)
