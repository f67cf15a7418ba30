"""gdlab.taylor against references written here: explicit formulas, exact quadratics, loops."""

from __future__ import annotations

import numpy as np
import pytest

from gdlab import taylor
from gdlab.optim import GD, run
from gdlab.problems import LogisticRegression, Quadratic, Rosenbrock


class Cubic:
    """f(w) = sum(w^3) / 3 + w^T w / 2: gradient w^2 + w, Hessian diag(2 w + 1)."""

    dim = 3

    def value(self, w):
        return float(np.sum(w**3) / 3 + w @ w / 2)

    def grad(self, w):
        return w**2 + w

    def hess(self, w):
        return np.diag(2 * w + 1)


W = np.array([0.3, -0.2, 0.5])


def test_first_order_model_matches_formula_for_one_and_many_steps():
    problem = Cubic()
    delta = np.array([0.1, 0.2, -0.3])
    expected = problem.value(W) + problem.grad(W) @ delta
    assert taylor.first_order_model(problem, W, delta) == pytest.approx(expected, rel=1e-14)
    many = np.array([delta, 2 * delta, np.zeros(3)])
    values = taylor.first_order_model(problem, W, many)
    assert values.shape == (3,)
    assert values[2] == pytest.approx(problem.value(W))


def test_second_order_model_is_exact_on_a_quadratic():
    problem = Quadratic([-2.0, 1.0, 5.0], seed=3, minimizer=[1.0, 0.0, -1.0])
    rng = np.random.default_rng(0)
    steps = rng.standard_normal((6, 3))
    exact = [problem.value(W + s) for s in steps]
    assert np.allclose(taylor.second_order_model(problem, W, steps), exact, rtol=1e-12)


def test_second_order_model_error_is_third_order():
    problem = Cubic()
    direction = np.array([1.0, -1.0, 2.0])
    errors = [
        abs(problem.value(W + h * direction) - taylor.second_order_model(problem, W, h * direction))
        for h in (1e-1, 1e-2)
    ]
    # the neglected term is sum(delta^3)/3: shrinks by 1000 when h shrinks by 10
    assert errors[0] / errors[1] == pytest.approx(1000, rel=1e-6)


def test_smoothness_bounds_on_a_quadratic_with_eigenvalues_in_minus_L_L():
    problem = Quadratic([-3.0, 0.5, 3.0], seed=1)
    rng = np.random.default_rng(2)
    steps = rng.standard_normal((50, 3))
    bounds = taylor.smoothness_bounds(problem, W, steps, problem.L)
    values = np.array([problem.value(W + s) for s in steps])
    assert np.all(bounds.lower <= values + 1e-12)
    assert np.all(values <= bounds.upper + 1e-12)
    # along the top eigenvector the upper bound is attained exactly
    top = problem.eigenvectors[:, -1]
    tight = taylor.smoothness_bounds(problem, W, top, problem.L)
    assert float(tight.upper) == pytest.approx(problem.value(W + top), rel=1e-12)


def test_random_unit_directions_are_unit_and_isotropic():
    rng = np.random.default_rng(0)
    directions = taylor.random_unit_directions(3, 20000, rng)
    assert directions.shape == (20000, 3)
    assert np.allclose(np.linalg.norm(directions, axis=1), 1.0)
    # uniform on the sphere: mean 0, covariance I / 3
    assert np.allclose(directions.mean(axis=0), 0.0, atol=0.02)
    assert np.allclose(np.cov(directions.T), np.eye(3) / 3, atol=0.01)


def test_best_direction_cosines_match_a_brute_force_search():
    gradient = np.array([1.0, -2.0, 0.5])
    counts = [1, 5, 50, 500]
    cosines = taylor.best_direction_cosines(gradient, counts, repeats=2, seed=7)
    rng = np.random.default_rng(7)
    for r in range(2):
        directions = taylor.random_unit_directions(3, 500, rng)
        for row, count in enumerate(counts):
            best = directions[np.argmin(directions[:count] @ gradient)]
            expected = -best @ gradient / np.linalg.norm(gradient)
            assert cosines[row, r] == pytest.approx(expected, rel=1e-12)
    assert np.all(np.diff(cosines, axis=0) >= 0)  # more directions never do worse


def test_best_direction_cosines_bad_input():
    with pytest.raises(ValueError, match="stationary"):
        taylor.best_direction_cosines(np.zeros(2), [10])
    with pytest.raises(ValueError, match="counts"):
        taylor.best_direction_cosines(np.ones(2), [0])
    with pytest.raises(ValueError, match="counts"):
        taylor.best_direction_cosines(np.ones(2), [])


def test_hessian_range_and_lipschitz_ratios_on_logistic_regression():
    problem = LogisticRegression(n=100, d=3, seed=0)
    rng = np.random.default_rng(1)
    points = rng.standard_normal((20, 3))
    low, high = taylor.hessian_eigenvalue_range(problem, np.vstack([points, np.zeros(3)]))
    assert 0 <= low <= high
    assert high == pytest.approx(problem.L, rel=1e-12)  # attained at w = 0
    ratios = taylor.gradient_lipschitz_ratios(problem, points, rng.standard_normal((20, 3)))
    assert ratios.shape == (20,)
    assert np.all(ratios <= problem.L * (1 + 1e-12))


def test_lipschitz_ratio_of_a_quadratic_along_an_eigenvector_is_the_eigenvalue():
    problem = Quadratic([1.0, 4.0], angle=0.7)
    a = np.array([[0.2, 0.1]])
    b = a + 0.5 * problem.eigenvectors[:, 1]
    assert taylor.gradient_lipschitz_ratios(problem, a, b)[0] == pytest.approx(4.0, rel=1e-12)
    with pytest.raises(ValueError, match="different"):
        taylor.gradient_lipschitz_ratios(problem, a, a)


def test_guaranteed_decrease_formula_and_sign():
    L = 4.0
    assert taylor.guaranteed_decrease(2.0, 0.25, L) == pytest.approx(0.25 * 0.5 * 4.0)
    lrs = np.array([0.1, 0.5, 0.6])
    decrease = taylor.guaranteed_decrease(1.0, lrs, L)
    assert decrease[0] > 0 and decrease[1] == 0 and decrease[2] < 0  # 2/L = 0.5
    # for lr <= 1/L it is at least lr/2 * grad^2 (Lemma 4.1.4)
    for lr in np.linspace(0.01, 1 / L, 7):
        assert taylor.guaranteed_decrease(3.0, lr, L) >= lr / 2 * 9.0 - 1e-12
    with pytest.raises(ValueError, match="lr"):
        taylor.guaranteed_decrease(1.0, -0.1, L)


def test_descent_check_on_a_quadratic_run():
    problem = Quadratic([1.0, 10.0], angle=0.4, minimizer=[1.0, -1.0])
    trace = run(GD(lr=0.08), problem, np.array([3.0, 2.0]), 25)
    check = taylor.descent_check(trace, problem.L)
    assert check.decrease.shape == check.guaranteed.shape == check.half_step.shape == (25,)
    assert np.allclose(check.decrease, trace.values[:-1] - trace.values[1:])
    expected = 0.08 * (1 - 10 * 0.08 / 2) * trace.grad_norms[:-1] ** 2
    assert np.allclose(check.guaranteed, expected)
    assert check.holds().all()
    assert np.all(check.guaranteed >= check.half_step)  # lr = 0.08 <= 1/L


def test_descent_check_stops_at_divergence_and_shows_ascent_above_2_over_L():
    problem = Rosenbrock(b=10.0)
    trace = run(GD(lr=0.5), problem, np.array([-1.0, 1.5]), 40)
    assert trace.diverged is not None
    check = taylor.descent_check(trace, L=10.0)
    assert len(check.decrease) < 40
    assert np.all(np.isfinite(check.decrease))
    above = Quadratic([1.0, 10.0])
    top = run(GD(lr=0.21), above, np.array([0.0, 1.0]), 5)
    check = taylor.descent_check(top, above.L)
    # along the top eigenvector f goes up every step, exactly as much as the bound allows
    assert np.all(check.decrease < 0) and np.all(check.guaranteed < 0)
    assert np.allclose(check.decrease, check.guaranteed, rtol=1e-12)


def test_second_order_model_grid_matches_the_formula_at_grid_points():
    problem = Rosenbrock(b=10.0)
    w = np.array([-0.8, 0.3])
    xs, ys, model = taylor.second_order_model_grid(problem, w, (-1.0, 1.0), (0.0, 2.0), size=5)
    assert xs.shape == ys.shape == model.shape == (5, 5)
    assert xs[0, 0] == -1.0 and xs[0, -1] == 1.0 and ys[0, 0] == 0.0 and ys[-1, 0] == 2.0
    g, H = problem.grad(w), problem.hess(w)
    for i, j in [(0, 0), (2, 3), (4, 1)]:
        delta = np.array([xs[i, j], ys[i, j]]) - w
        expected = problem.value(w) + g @ delta + 0.5 * delta @ H @ delta
        assert model[i, j] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match="two-dimensional"):
        taylor.second_order_model_grid(Cubic(), W, (0, 1), (0, 1))


def test_sampled_smoothness_of_a_quadratic_stays_within_its_eigenvalues():
    # Hessian eigenvalues of a quadratic are its eigenvalues everywhere; the gradient ratio
    # ||A (a - b)|| / ||a - b|| lies between the smallest and largest |eigenvalue|.
    problem = Quadratic([-3.0, 0.5, 2.0], seed=4)
    result = taylor.sampled_smoothness(problem, 5.0, 300, np.random.default_rng(0))
    assert result.lowest_eigenvalue == pytest.approx(-3.0, abs=1e-12)
    assert result.highest_eigenvalue == pytest.approx(2.0, abs=1e-12)
    assert 2.0 < result.largest_ratio <= 3.0 + 1e-12
    with pytest.raises(ValueError, match="radius"):
        taylor.sampled_smoothness(problem, 0.0, 10, np.random.default_rng(0))


def test_count_increases_counts_rises_beyond_the_tolerance_and_divergence():
    values = [5.0, 4.0, 4.0 + 1e-14, 4.5, 3.0, np.inf, np.nan]
    # rises: 4 -> 4 + 1e-14 is within tolerance; 4 + 1e-14 -> 4.5 counts; 3 -> inf counts.
    assert taylor.count_increases(values) == 2
    assert taylor.count_increases(values, tolerance=0.0) == 3
    assert taylor.count_increases([1.0]) == 0
    with pytest.raises(ValueError, match="tolerance"):
        taylor.count_increases(values, tolerance=-1.0)
