"""Tests for gdlab.curvature: Lanczos and power iteration on operators with known spectra."""

import numpy as np
import pytest

from gdlab.curvature import hvp_operator, lanczos, power_iteration, sharpness
from gdlab.nets import MSELoss, TanhMLP, gaussian_clusters


def matrix_with_spectrum(eigenvalues, seed=0):
    """A random rotation of diag(eigenvalues), with the rotation's columns."""
    d = len(eigenvalues)
    U, _ = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))
    return (U * eigenvalues) @ U.T, U


class QuarticProblem:
    """f(w) = 1/2 w^T A w + 1/4 sum_i c_i w_i^4: Hessian A + 3 diag(c w^2), known exactly."""

    def __init__(self, A, c):
        self.A, self.c, self.dim = A, c, len(c)

    def value(self, w):
        return 0.5 * w @ self.A @ w + 0.25 * np.sum(self.c * w**4)

    def grad(self, w):
        return self.A @ w + self.c * w**3

    def hess(self, w):
        return self.A + np.diag(3 * self.c * w**2)

    def hvp(self, w, v):
        return self.A @ v + 3 * self.c * w**2 * v


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lanczos_finds_the_top_eigenpair_of_a_known_spectrum(seed):
    rng = np.random.default_rng(seed)
    eigenvalues = np.concatenate([[5.0], rng.uniform(-1.0, 3.0, 199)])
    A, U = matrix_with_spectrum(eigenvalues, seed)
    result = lanczos(lambda v: A @ v, 200, tol=1e-10, max_iter=60, seed=seed)
    assert result.converged
    assert result.eigenvalue == pytest.approx(5.0, rel=1e-10)
    assert abs(result.vector @ U[:, 0]) == pytest.approx(1.0, abs=1e-8)
    # the residual it reports is the true one
    true_residual = np.linalg.norm(A @ result.vector - result.eigenvalue * result.vector)
    assert result.residual == pytest.approx(true_residual, rel=1e-3, abs=1e-12)


def test_nearly_repeated_top_eigenvalue_slows_power_iteration_not_lanczos():
    rng = np.random.default_rng(0)
    eigenvalues = np.concatenate([[1.0, 0.99], rng.uniform(0.0, 0.9, 298)])
    A, _ = matrix_with_spectrum(eigenvalues)
    matvec = lambda v: A @ v  # noqa: E731
    power = power_iteration(matvec, 300, max_iter=20, tol=1e-12)
    krylov = lanczos(matvec, 300, max_iter=20, tol=1e-12)
    assert power.n_matvecs == krylov.n_matvecs == 20
    assert 1.0 - power.eigenvalue > 1e-3  # still visibly low after 20 products
    assert not power.converged
    assert 1.0 - krylov.eigenvalue < 1e-5  # Lanczos is not
    assert krylov.eigenvalue <= 1.0 + 1e-12  # a Ritz value never overshoots
    # with enough iterations power iteration gets there too
    assert power_iteration(matvec, 300, max_iter=2000, tol=1e-9).eigenvalue == pytest.approx(
        1.0, rel=1e-6
    )


def test_warm_start_from_the_eigenvector_stops_at_once():
    A, U = matrix_with_spectrum(np.linspace(0.0, 2.0, 50))
    cold = lanczos(lambda v: A @ v, 50, tol=1e-8)
    warm = lanczos(lambda v: A @ v, 50, v0=U[:, -1] + 1e-6 * U[:, 0], tol=1e-8, min_iter=1)
    assert warm.eigenvalue == pytest.approx(2.0, rel=1e-10)
    assert warm.n_matvecs <= 2 < cold.n_matvecs


def test_lanczos_stops_on_an_invariant_subspace():
    # rank 2: the Krylov space is exhausted after two products, and the answer is exact
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 40))
    A = 3.0 * np.outer(a, a) / (a @ a) + np.outer(b, b) / (b @ b)
    result = lanczos(lambda v: A @ v, 40, max_iter=30, tol=1e-14)
    assert result.n_matvecs <= 3
    assert result.eigenvalue == pytest.approx(np.linalg.eigvalsh(A)[-1], rel=1e-12)


def test_lanczos_takes_the_largest_not_the_largest_in_magnitude():
    A, _ = matrix_with_spectrum(np.concatenate([[-10.0, 2.0], np.linspace(-1, 1, 48)]))
    assert lanczos(lambda v: A @ v, 50, tol=1e-10).eigenvalue == pytest.approx(2.0, rel=1e-9)
    # power iteration converges to the eigenvalue of largest magnitude (documented)
    assert power_iteration(lambda v: A @ v, 50, max_iter=500).eigenvalue == pytest.approx(
        -10.0, rel=1e-6
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_sharpness_of_a_problem_matches_eigvalsh_of_its_exact_hessian(seed):
    rng = np.random.default_rng(seed)
    A, _ = matrix_with_spectrum(rng.uniform(-0.5, 2.0, 30), seed)
    problem = QuarticProblem(A, c=rng.uniform(0.5, 1.5, 30))
    w = rng.standard_normal(30)
    expected = np.linalg.eigvalsh(problem.hess(w))[-1]
    assert sharpness(problem, w, tol=1e-10) == pytest.approx(expected, rel=1e-9)
    assert sharpness(problem, w, method="power", max_iter=5000, tol=1e-10) == pytest.approx(
        expected, rel=1e-6
    )
    # a bare callable works too
    assert sharpness(lambda v: problem.hvp(w, v), dim=30, tol=1e-10) == pytest.approx(
        expected, rel=1e-9
    )


def test_sharpness_of_a_tiny_network_matches_its_finite_difference_hessian():
    X, Y = gaussian_clusters(n=20, dim=3, n_classes=2, seed=1)
    problem = MSELoss(TanhMLP(3, 2, width=4, depth=2), X, Y)
    w = problem.net.init(1)
    expected = np.linalg.eigvalsh(problem.hess(w))[-1]
    assert sharpness(problem, w, tol=1e-9, max_iter=problem.dim) == pytest.approx(
        expected, rel=1e-7
    )


def test_operator_argument_checks():
    with pytest.raises(ValueError, match="dim is required"):
        hvp_operator(lambda v: v)
    with pytest.raises(ValueError, match="w is required"):
        hvp_operator(QuarticProblem(np.eye(2), np.ones(2)))
    with pytest.raises(ValueError, match="callable"):
        hvp_operator(3.0)
    with pytest.raises(ValueError, match="method"):
        sharpness(lambda v: v, dim=3, method="arnoldi")
    with pytest.raises(ValueError, match="non-zero"):
        lanczos(lambda v: v, 3, v0=np.zeros(3))
    with pytest.raises(ValueError, match="v0"):
        lanczos(lambda v: v, 3, v0=np.ones(4))
