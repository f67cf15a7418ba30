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
