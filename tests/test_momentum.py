"""gdlab.momentum: the position forms against gdlab.optim's velocity forms and written-out loops."""

from __future__ import annotations

import numpy as np
import pytest

from gdlab import momentum
from gdlab.optim import GD, HeavyBall, Nesterov, run
from gdlab.problems import LeastSquares, Quadratic, Rosenbrock, worst_case_quadratic

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


def test_nesterov_convex_matches_a_loop_written_here():
    problem = Rosenbrock(b=5.0)
    trace = run(momentum.NesterovConvex(lr=0.01), problem, [-1.0, 1.0], 50)
    w_prev = w = np.array([-1.0, 1.0])
    for t in range(1, 51):
        y = w + (t - 1) / (t + 2) * (w - w_prev)
        w_prev, w = w, y - 0.01 * problem.grad(y)
        assert np.allclose(trace.iterates[t], w, rtol=0, atol=1e-13)
    # The first step has no momentum: it is a GD step.
    assert np.allclose(trace.iterates[1], run(GD(0.01), problem, [-1.0, 1.0], 1).iterates[1])


def test_nesterov_convex_keeps_its_guarantee_and_gd_keeps_its_own():
    # f(w_T) - f* <= 2 L ||w0 - w*||^2 / (T + 1)^2 (Nesterov) and L ||w0 - w*||^2 / (2T) (GD)
    # at every T, on convex quadratics with eigenvalues down to 0 (not strongly convex).
    rng = np.random.default_rng(0)
    for seed in range(5):
        eigenvalues = np.concatenate([[0.0, 1.0], rng.uniform(0, 1, 18) ** 3])
        problem = Quadratic(eigenvalues, seed=seed, minimizer=rng.standard_normal(20))
        w0 = rng.standard_normal(20)
        radius = np.sum((w0 - problem.minimizer) ** 2)
        t = np.arange(1, 301)
        nag = run(momentum.NesterovConvex(lr=1.0), problem, w0, 300).values[1:]
        gd = run(GD(lr=1.0), problem, w0, 300).values[1:]
        assert np.all(nag <= 2 * radius / (t + 1) ** 2)
        assert np.all(gd <= radius / (2 * t))
    with pytest.raises(ValueError, match="lr"):
        momentum.NesterovConvex(lr=0.0)


def test_worst_case_quadratic_matches_nesterovs_closed_forms():
    problem = worst_case_quadratic(9, L=2.0)
    tridiagonal = 2 * np.eye(9) - np.eye(9, k=1) - np.eye(9, k=-1)
    assert np.allclose(problem.A, 0.5 * tridiagonal, rtol=0, atol=1e-15)
    # mu = 0: w*_i = 1 - i / (d + 1) (Nesterov 2004, Eq. 2.1.12), f(0) - f* = L/8 * d/(d+1).
    assert np.allclose(problem.minimizer, 1 - np.arange(1, 10) / 10, rtol=0, atol=1e-12)
    assert problem.value(np.zeros(9)) == pytest.approx(2.0 / 8 * 9 / 10)
    assert 0 < problem.mu and problem.L < 2.0
    # mu > 0: eigenvalues in (mu, L); far from the end w*_i ~ q^i, q = (sqrt k - 1)/(sqrt k + 1).
    strong = worst_case_quadratic(400, L=100.0, mu=1.0)
    assert 1.0 < strong.mu and strong.L < 100.0
    q = (10 - 1) / (10 + 1)
    assert np.allclose(strong.minimizer[:40], q ** np.arange(1, 41), rtol=1e-9)
    for bad in [dict(dim=0, L=1.0), dict(dim=3, L=-1.0), dict(dim=3, L=1.0, mu=1.0)]:
        with pytest.raises(ValueError):
            worst_case_quadratic(**bad)


def test_first_order_iterates_reach_one_coordinate_per_gradient():
    problem = worst_case_quadratic(41, L=1.0, mu=0.01)
    w0 = np.zeros(41)
    for optimizer in [GD(1.0), HeavyBall(0.5, 0.8), Nesterov(1.0, 0.8),
                      momentum.NesterovConvex(1.0)]:  # fmt: skip
        iterates = run(optimizer, problem, w0, 30).iterates
        for t in range(31):
            # zero to rounding (A w* = b holds to about 1e-16) beyond coordinate t
            assert np.all(np.abs(iterates[t, t:]) < 1e-12), (optimizer, t)
            # so no method gets closer than the tail of w* it has not reached
            tail = np.linalg.norm(problem.minimizer[t:])
            assert np.linalg.norm(iterates[t] - problem.minimizer) >= tail - 1e-12
    # mu = 0 and d = 2T + 1: f(w_T) - f* >= 3 L ||w0 - w*||^2 / (32 (T + 1)^2) (Theorem 2.1.7).
    for horizon in (5, 20, 60):
        convex = worst_case_quadratic(2 * horizon + 1, L=1.0)
        radius = np.sum(convex.minimizer**2)
        for optimizer in [GD(1.0), momentum.NesterovConvex(1.0)]:
            gap = run(optimizer, convex, np.zeros(convex.dim), horizon).values[-1]
            assert gap >= 3 * radius / (32 * (horizon + 1) ** 2)


def test_heavy_ball_matrix_steps_the_error_and_is_a_jordan_block_at_polyaks_tuning():
    lr, beta, lam = 0.03, 0.8, 25.0
    M = momentum.heavy_ball_matrix(lam, lr, beta)
    trace = run(HeavyBall(lr=lr, beta=beta), Quadratic([lam]), [1.0], 10).iterates[:, 0]
    state = np.array([trace[0], trace[0]])  # (x_0, x_{-1}), x_{-1} = x_0
    for t in range(10):
        state = M @ state
        assert state[0] == pytest.approx(trace[t + 1], rel=1e-12, abs=1e-15)
    polyak_lr, polyak_beta = 4 / (np.sqrt(100) + 1) ** 2, ((10 - 1) / (10 + 1)) ** 2
    at_L = momentum.heavy_ball_matrix(100.0, polyak_lr, polyak_beta)
    assert np.allclose(np.linalg.eigvals(at_L), -np.sqrt(polyak_beta), atol=1e-6)
    assert not np.allclose(at_L @ at_L.T, at_L.T @ at_L)  # not normal
    assert np.linalg.norm(np.linalg.matrix_power(at_L, 5), 2) > 1  # grows before it decays
    with pytest.raises(ValueError, match="beta"):
        momentum.heavy_ball_matrix(1.0, 0.1, 1.0)
    with pytest.raises(ValueError, match="eigenvalue"):
        momentum.heavy_ball_matrix(np.nan, 0.1, 0.5)
