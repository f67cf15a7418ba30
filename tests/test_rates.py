"""gdlab.rates against independent references: eigenvalues of explicit iteration matrices."""

import numpy as np
import pytest

from gdlab import rates


def companion_radius(top_left_coefficient, lag_coefficient):
    """Spectral radius of [[a, b], [1, 0]] by numpy's general eigenvalue routine."""
    matrix = np.array([[top_left_coefficient, lag_coefficient], [1.0, 0.0]])
    return np.max(np.abs(np.linalg.eigvals(matrix)))


def test_gd_rate_is_spectral_radius_of_iteration_matrix():
    rng = np.random.default_rng(0)
    eigenvalues = rng.uniform(0.1, 10.0, size=6)
    A = np.diag(eigenvalues)
    for lr in [0.01, 0.1, 0.19, 0.25]:
        expected = np.max(np.abs(np.linalg.eigvals(np.eye(6) - lr * A)))
        assert rates.gd_rate(eigenvalues, lr) == pytest.approx(expected, rel=1e-12)


def test_stability_limit_separates_convergence_from_divergence():
    eigenvalues = [1.0, 50.0]
    limit = rates.stability_limit(50.0)
    assert limit == pytest.approx(0.04)
    assert rates.gd_rate(eigenvalues, 0.999 * limit) < 1.0
    assert rates.gd_rate(eigenvalues, 1.001 * limit) > 1.0


@pytest.mark.parametrize("kappa", [1.0, 4.0, 100.0, 1e4])
def test_optimal_gd_step_and_rate(kappa):
    L, mu = kappa, 1.0
    lr = rates.optimal_gd_lr(L, mu)
    assert rates.gd_rate([mu, L], lr) == pytest.approx(rates.optimal_gd_rate(kappa), abs=1e-12)
    # No other step on a fine grid does better.
    grid = np.linspace(1e-4, 2.0 / L, 4001)
    best = min(rates.gd_rate([mu, L], step) for step in grid)
    assert rates.optimal_gd_rate(kappa) <= best + 1e-12
    assert rates.gd_rate([mu, L], 1.0 / L) == pytest.approx(rates.gd_rate_at_inverse_L(kappa))


@pytest.mark.parametrize("kappa", [2.0, 10.0, 100.0, 1000.0])
def test_tuned_heavy_ball_rate_holds_on_whole_spectrum(kappa):
    L, mu = kappa, 1.0
    lr, beta = rates.optimal_heavy_ball(L, mu)
    target = rates.optimal_heavy_ball_rate(kappa)
    spectrum = np.linspace(mu, L, 301)
    radii = [companion_radius(1.0 + beta - lr * lam, -beta) for lam in spectrum]
    assert max(radii) == pytest.approx(target, rel=1e-6)
    assert rates.heavy_ball_rate(spectrum, lr, beta) == pytest.approx(target, rel=1e-6)
    assert target < rates.optimal_gd_rate(kappa)


def test_heavy_ball_and_nesterov_rates_match_companion_matrices():
    rng = np.random.default_rng(1)
    for _ in range(50):
        lam, lr, beta = rng.uniform(0.1, 5), rng.uniform(0.01, 0.5), rng.uniform(0, 0.99)
        hb = companion_radius(1.0 + beta - lr * lam, -beta)
        assert rates.heavy_ball_rate(lam, lr, beta) == pytest.approx(hb, rel=1e-9, abs=1e-12)
        factor = 1.0 - lr * lam
        nag = companion_radius(factor * (1.0 + beta), -factor * beta)
        assert rates.nesterov_rate(lam, lr, beta) == pytest.approx(nag, rel=1e-9, abs=1e-12)


def test_zero_momentum_reduces_to_gd():
    eigenvalues = np.array([0.5, 2.0, 7.0])
    for lr in [0.05, 0.2, 0.28]:
        assert rates.heavy_ball_rate(eigenvalues, lr, 0.0) == pytest.approx(
            rates.gd_rate(eigenvalues, lr)
        )
        assert rates.nesterov_rate(eigenvalues, lr, 0.0) == pytest.approx(
            rates.gd_rate(eigenvalues, lr)
        )


def test_iterations_to_reach():
    assert rates.iterations_to_reach(0.5, 1e-3) == pytest.approx(np.log(1e-3) / np.log(0.5))
    assert rates.iterations_to_reach(1.0, 1e-3) == float("inf")


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: rates.gd_rate([1.0], 0.0), "lr"),
        (lambda: rates.gd_rate([1.0, np.nan], 0.1), "eigenvalues"),
        (lambda: rates.heavy_ball_rate([1.0], 0.1, 1.0), "beta"),
        (lambda: rates.optimal_heavy_ball(1.0, 2.0), "mu"),
        (lambda: rates.optimal_gd_rate(0.5), "kappa"),
        (lambda: rates.stability_limit(-1.0), "L"),
    ],
)
def test_bad_input_names_the_argument(call, name):
    with pytest.raises(ValueError, match=name):
        call()


@pytest.mark.parametrize("kappa", [1.0, 10.0, 100.0, 1000.0])
def test_nesterov_strongly_convex_parameters_and_rate(kappa):
    L, mu = 3.0 * kappa, 3.0
    lr, beta = rates.nesterov_strongly_convex(L, mu)
    assert lr == pytest.approx(1.0 / L)
    assert beta == pytest.approx((np.sqrt(kappa) - 1.0) / (np.sqrt(kappa) + 1.0))
    # The largest companion-matrix radius over the spectrum sits at mu and equals 1 - 1/sqrt(k).
    spectrum = np.linspace(mu, L, 301)
    radii = []
    for lam in spectrum:
        factor = 1.0 - lr * lam
        radii.append(companion_radius(factor * (1.0 + beta), -factor * beta))
    target = rates.nesterov_strongly_convex_rate(kappa)
    assert target == pytest.approx(1.0 - 1.0 / np.sqrt(kappa))
    assert max(radii) == pytest.approx(target, rel=1e-6, abs=1e-12)
    assert np.argmax(radii) == 0


def test_nesterov_strongly_convex_repeated_root_gives_t_rate_t():
    # The scalar recurrence along lambda = mu, written out: x_{t+1} = c ((1 + b) x_t - b x_{t-1}).
    kappa = 100.0
    lr, beta = rates.nesterov_strongly_convex(kappa, 1.0)
    c = 1.0 - lr * 1.0
    x = [1.0, 1.0 * c]  # x_0 = 1, and the first step has no momentum
    for _ in range(400):
        x.append(c * ((1 + beta) * x[-1] - beta * x[-2]))
    rho = rates.nesterov_strongly_convex_rate(kappa)
    t = np.arange(len(x))
    ratio = np.abs(np.array(x)) / (rho**t)
    # x_t / rho^t is affine in t (a + b t): its second differences vanish.
    assert np.allclose(np.diff(ratio, 2), 0.0, atol=1e-9 * ratio.max())
    assert ratio[-1] > 10 * ratio[0]


def test_observed_rate_on_known_sequences():
    t = np.arange(201)
    assert rates.observed_rate(3.0 * 0.9**t) == pytest.approx(0.9, rel=1e-12)
    assert rates.observed_rate(3.0 * 0.9**t, first=10, last=20) == pytest.approx(0.9, rel=1e-12)
    # A repeated root: errors t rho^t over [t1, t2] contract by rho (t2/t1)^(1/(t2 - t1)).
    errors = (t + 1.0) * 0.8**t
    expected = 0.8 * (201.0 / 101.0) ** (1.0 / 100.0)
    assert rates.observed_rate(errors) == pytest.approx(expected, rel=1e-12)
    assert rates.observed_rate([4.0, 1.0]) == pytest.approx(0.25)
    assert rates.observed_rate([1.0, 2.0, 8.0], first=0) == pytest.approx(np.sqrt(8.0))


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: rates.observed_rate([1.0]), "errors"),
        (lambda: rates.observed_rate([1.0, 0.0]), "positive"),
        (lambda: rates.observed_rate([1.0, 0.5, 0.2], first=2, last=1), "first"),
        (lambda: rates.observed_rate([1.0, 0.5], last=5), "last"),
        (lambda: rates.nesterov_strongly_convex(1.0, 2.0), "mu"),
        (lambda: rates.nesterov_strongly_convex_rate(0.5), "kappa"),
    ],
)
def test_new_functions_name_bad_arguments(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_iterations_to_reach_every_branch():
    """Pins each branch: rate >= 1 never gets there, tolerance >= 1 needs no step (0, not -0),
    rate 0 gets anywhere in one step, and otherwise log(tolerance) / log(rate), unrounded."""
    assert rates.iterations_to_reach(1.5, 1e-3) == float("inf")
    assert rates.iterations_to_reach(0.0, 1e-3) == 1.0
    assert rates.iterations_to_reach(0.0, 0.999) == 1.0
    for rate in (0.0, 0.5, 0.999):
        for tolerance in (1.0, 1.5, 2.5):
            steps = rates.iterations_to_reach(rate, tolerance)
            assert steps == 0.0 and np.copysign(1.0, steps) == 1.0, (rate, tolerance, steps)
    assert rates.iterations_to_reach(0.5, 0.999) == pytest.approx(np.log(0.999) / np.log(0.5))
    assert rates.iterations_to_reach(0.25, 0.5) == pytest.approx(0.5, rel=1e-15)


def test_tuned_parameters_with_mu_not_one():
    """Pins kappa = L / mu in the tuned heavy ball and Nesterov parameters (the tests above
    use mu = 1, where L / mu, L * mu and L all agree)."""
    L, mu = 50.0, 2.0  # kappa = 25, sqrt(kappa) = 5
    lr, beta = rates.optimal_heavy_ball(L, mu)
    assert lr == pytest.approx(4.0 / (np.sqrt(50.0) + np.sqrt(2.0)) ** 2, rel=1e-15)
    assert beta == pytest.approx((4.0 / 6.0) ** 2, rel=1e-15)
    spectrum = np.linspace(mu, L, 201)
    radius = max(companion_radius(1.0 + beta - lr * lam, -beta) for lam in spectrum)
    assert radius == pytest.approx(4.0 / 6.0, rel=1e-6)
    lr, beta = rates.nesterov_strongly_convex(L, mu)
    assert (lr, beta) == (pytest.approx(1.0 / 50.0), pytest.approx(4.0 / 6.0))
    assert rates.optimal_gd_lr(L, mu) == pytest.approx(2.0 / 52.0, rel=1e-15)
    assert rates.optimal_gd_lr(3.0, 3.0) == pytest.approx(1.0 / 3.0, rel=1e-15)  # mu = L is fine


@pytest.mark.parametrize(
    ("errors", "first", "last", "match"),
    [
        ([1.0, 0.5, 0.25], 1, 1, "first=1, last=1"),  # first == last
        ([1.0, 0.5, 0.25], 2, 1, "first=2, last=1"),
        ([1.0, 0.5, 0.25], 0, 3, "last=3"),  # last == size
        ([0.0, 0.5, 0.25], 0, 2, "positive"),  # a zero error at first
        ([1.0, 0.5, 0.0], 0, 2, "positive"),  # and at last
    ],
)
def test_observed_rate_rejects_each_bad_window(errors, first, last, match):
    """Pins the window checks of observed_rate at their boundaries (first == last, last == n,
    a zero error at either end), each with a ValueError naming the values."""
    with pytest.raises(ValueError, match=match):
        rates.observed_rate(errors, first=first, last=last)


def test_observed_rate_window_boundaries_are_accepted():
    """Pins the accepted edges: last = n - 1 and first = last - 1 (one step)."""
    assert rates.observed_rate([1.0, 0.5, 0.125], first=1, last=2) == pytest.approx(0.25)
    assert rates.observed_rate([1.0, 0.5, 0.125], first=0, last=2) == pytest.approx(np.sqrt(0.125))
    assert rates.observed_rate([2.0, 1.0, 0.5, 0.1], first=0) == pytest.approx(0.05 ** (1 / 3))
    # default window: first = (n - 1) // 2 = 2, last = n - 1 = 4
    assert rates.observed_rate([9.0, 9.0, 1.0, 0.5, 0.125]) == pytest.approx(np.sqrt(0.125))
