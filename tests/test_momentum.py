"""gdlab.momentum: the position forms against gdlab.optim's velocity forms and written-out loops."""

from __future__ import annotations

import numpy as np
import pytest

from gdlab import momentum
from gdlab.optim import GD, HeavyBall, Nesterov, run
from gdlab.problems import LeastSquares, Quadratic, Rosenbrock

VALLEY = Quadratic([1.0, 25.0], angle=0.3, minimizer=[0.5, -1.0])
W0 = np.array([2.0, 1.0])


def position_form_loop(problem, w0, lr, beta, steps, nesterov=False):
    """The chapter's w-form written out with an explicit w_{-1} = w_0."""
    previous, current, path = w0.copy(), w0.copy(), [w0.copy()]
    for _ in range(steps):
        point = current + beta * (current - previous) if nesterov else current
        step = -lr * problem.grad(point) + (0 if nesterov else beta * (current - previous))
        new = (point if nesterov else current) + step
        previous, current = current, new
        path.append(current.copy())
    return np.array(path)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_heavy_ball_position_form_matches_loop_and_velocity_form(beta):
    lr, steps = 0.03, 60
    position = run(momentum.HeavyBallPositionForm(lr, beta), VALLEY, W0, steps)
    velocity = run(HeavyBall(lr, beta), VALLEY, W0, steps)
    loop = position_form_loop(VALLEY, W0, lr, beta, steps)
    assert np.allclose(position.iterates, loop, rtol=1e-13, atol=1e-13)
    assert np.allclose(position.iterates, velocity.iterates, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("beta", [0.0, 0.5, 0.9])
def test_nesterov_position_form_matches_loop_and_velocity_form(beta):
    lr, steps = 0.03, 60
    position = run(momentum.NesterovPositionForm(lr, beta), VALLEY, W0, steps)
    velocity = run(Nesterov(lr, beta), VALLEY, W0, steps)
    loop = position_form_loop(VALLEY, W0, lr, beta, steps, nesterov=True)
    assert np.allclose(position.iterates, loop, rtol=1e-13, atol=1e-13)
    assert np.allclose(position.iterates, velocity.iterates, rtol=1e-10, atol=1e-10)


def test_position_forms_on_a_non_quadratic_and_stochastically():
    problem = Rosenbrock(b=5.0)
    start = np.array([-1.0, 1.0])
    a = run(momentum.HeavyBallPositionForm(0.01, 0.8), problem, start, 40)
    b = run(HeavyBall(0.01, 0.8), problem, start, 40)
    assert np.allclose(a.iterates, b.iterates, rtol=1e-11, atol=1e-12)
    data = LeastSquares(n=50, d=3, seed=2)
    a = run(momentum.HeavyBallPositionForm(0.05, 0.7, batch_size=5, seed=3), data, np.zeros(3), 30)
    b = run(HeavyBall(0.05, 0.7, batch_size=5, seed=3), data, np.zeros(3), 30)
    assert np.allclose(a.iterates, b.iterates, rtol=1e-11, atol=1e-12)


def test_position_form_state_and_reset():
    optimizer = momentum.HeavyBallPositionForm(0.1, 0.5)
    w1 = optimizer.step(W0, VALLEY)
    assert np.array_equal(optimizer.state["w_prev"], W0)
    optimizer.step(w1, VALLEY)
    assert np.array_equal(optimizer.state["w_prev"], w1)
    optimizer.reset()
    assert optimizer.state == {} and optimizer.t == 0
    assert optimizer.state_size(10) == 10
    with pytest.raises(ValueError, match="beta"):
        momentum.NesterovPositionForm(0.1, beta=1.0)


def test_unrolled_velocity_matches_the_recursion():
    rng = np.random.default_rng(0)
    gradients = rng.standard_normal((12, 3))
    lr, beta = 0.2, 0.7
    v, expected = np.zeros(3), []
    for g in gradients:
        v = beta * v + lr * g
        expected.append(v.copy())
    assert np.allclose(momentum.unrolled_velocity(gradients, lr, beta), expected, rtol=1e-13)
    assert np.allclose(momentum.unrolled_velocity(gradients, lr, 0.0), lr * gradients)


def test_average_weights_sum_to_one_and_decay_geometrically():
    weights = momentum.average_weights(5, 0.5)
    assert weights.sum() == pytest.approx(1.0)
    assert np.allclose(weights[1:] / weights[:-1], 2.0)  # newer gradients weigh beta^-1 more
    assert np.array_equal(momentum.average_weights(3, 0.0), [0.0, 0.0, 0.0, 1.0])
    rng = np.random.default_rng(1)
    gradients = rng.standard_normal((6, 2))
    lr, beta = 0.3, 0.6
    scale = lr * (1 - beta**6) / (1 - beta)
    average = momentum.average_weights(5, beta) @ gradients
    assert np.allclose(momentum.unrolled_velocity(gradients, lr, beta)[-1], scale * average)


def test_counterexample_is_smooth_strongly_convex_with_the_stated_constants():
    problem = momentum.HeavyBallCounterexample()
    xs = np.linspace(-3.0, 4.0, 701)
    values = np.array([problem.value([x]) for x in xs])
    grads = np.array([problem.grad([x])[0] for x in xs])
    # Gradient = derivative of the value (central differences, away from the two kinks).
    h = 1e-6
    for x in [-2.0, 0.3, 1.5, 2.7]:
        numeric = (problem.value([x + h]) - problem.value([x - h])) / (2 * h)
        assert numeric == pytest.approx(problem.grad([x])[0], rel=1e-7)
    # Value and gradient continuous at the kinks x = 1 and x = 2.
    for kink in [1.0, 2.0]:
        below, above = np.nextafter(kink, -np.inf), kink
        assert problem.value([below]) == pytest.approx(problem.value([above]), rel=1e-12)
        assert problem.grad([below])[0] == pytest.approx(problem.grad([above])[0], rel=1e-12)
    # Gradient slopes between grid points lie in [mu, L] = [1, 25]: strongly convex and smooth.
    slopes = np.diff(grads) / np.diff(xs)
    assert slopes.min() >= 1.0 - 1e-9 and slopes.max() <= 25.0 + 1e-9
    assert values.min() >= 0.0 and problem.value([0.0]) == 0.0
    assert problem.hess([1.5])[0, 0] == 1.0 and problem.hess([0.0])[0, 0] == 25.0


def test_tuned_heavy_ball_cycles_on_the_counterexample():
    problem = momentum.HeavyBallCounterexample()
    lr, beta = 1.0 / 9.0, 4.0 / 9.0  # Polyak's tuning for mu = 1, L = 25, written out
    # The 3-cycle a -> b -> c -> a with a < 0 (piece 25x), b >= 2 (piece 25x - 24), 0 <= c < 1
    # (piece 25x), from the heavy ball's update, as a linear system solved here:
    # b = a - lr 25 a + beta (a - c); c = b - lr (25 b - 24) + beta (b - a);
    # a = c - lr 25 c + beta (c - b).
    k = 1 - 25 * lr + beta
    system = np.array([[k, -1.0, -beta], [-beta, k, -1.0], [-1.0, -beta, k]])
    rhs = np.array([0.0, -24 * lr, 0.0])
    a, b, c = np.linalg.solve(system, rhs)
    assert a < 0 and b >= 2 and 0 <= c < 1
    trace = run(HeavyBall(lr=lr, beta=beta), problem, [3.3], 600)
    tail = trace.iterates[-3:, 0]
    cycle = np.array([a, b, c])
    assert any(np.allclose(np.roll(cycle, shift), tail, atol=1e-9) for shift in range(3))
    # GD and Nesterov (1/L, (sqrt(kappa) - 1)/(sqrt(kappa) + 1)) converge from the same start.
    assert abs(run(GD(lr=2 / 26), problem, [3.3], 600).iterates[-1, 0]) < 1e-9
    nesterov = run(Nesterov(lr=1 / 25, beta=2 / 3), problem, [3.3], 600)
    assert abs(nesterov.iterates[-1, 0]) < 1e-9
