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


@pytest.mark.parametrize(
    "eigenvalues",
    [
        np.r_[np.geomspace(1e-3, 1.0, 100), 1e6, 1e5, 1e4],  # three huge, well separated
        np.r_[np.linspace(0.0, 1.0, 100), 1e4, 1e4 * (1 - 1e-6)],  # a near-double top
    ],
    ids=["wide", "clustered"],
)
def test_lanczos_basis_stays_orthonormal(eigenvalues):
    """Pins the re-orthogonalisation ("twice is enough"): the Lanczos vectors, read off the
    matvec calls, are orthonormal to 1e-13. After one Gram-Schmidt pass they drift by 4e-11
    (clustered) and 1e-9 (wide): the new residual is a small difference of large vectors."""
    A, _ = matrix_with_spectrum(eigenvalues, seed=0)
    seen = []

    def matvec(v):
        seen.append(np.array(v))
        return A @ v

    result = lanczos(matvec, len(eigenvalues), max_iter=30, tol=1e-14)
    Q = np.array(seen)
    assert len(Q) == result.n_matvecs >= 5
    assert np.max(np.abs(Q @ Q.T - np.eye(len(Q)))) < 1e-13
    assert result.eigenvalue == pytest.approx(eigenvalues.max(), rel=1e-12)


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


# --- any objective: Hessian-vector products, top eigenpair, along a path ---------------------

from gdlab.curvature import (  # noqa: E402
    curvature_along_path,
    hessian_top_eigenpair,
    hessian_vector_product,
)
from gdlab.optim import GD, run  # noqa: E402
from gdlab.problems import LeastSquares, LogisticRegression, Quadratic, Rosenbrock  # noqa: E402


class GradientOnly:
    """An objective known only through its gradient: f(w) = sum_i cosh(a_i . w).

    Hessian sum_i cosh(a_i . w) a_i a_i^T, written here for the test only.
    """

    def __init__(self, A):
        self.A, self.dim = A, A.shape[1]

    def grad(self, w):
        return self.A.T @ np.sinh(self.A @ w)

    def hessian_for_test(self, w):
        return (self.A.T * np.cosh(self.A @ w)) @ self.A


def small_problems():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 6)) + 0.5
    y = (rng.random(60) < 0.5).astype(float)
    return [
        (Quadratic([0.5, 2.0, 7.0], seed=1), rng.standard_normal(3)),
        (Rosenbrock(), np.array([-0.7, 1.3])),
        (LeastSquares(n=40, d=4, seed=2), rng.standard_normal(4)),
        (LogisticRegression(X, y, ridge=0.01), 0.3 * rng.standard_normal(6)),
    ]


@pytest.mark.parametrize("index", range(4))
def test_hessian_vector_products_match_the_exact_hessian(index):
    problem, w = small_problems()[index]
    rng = np.random.default_rng(index)
    H = problem.hess(w)
    for _ in range(3):
        v = rng.standard_normal(problem.dim)
        expected = H @ v
        scale = np.linalg.norm(expected)
        exact = hessian_vector_product(problem, w, v)
        fd = hessian_vector_product(problem, w, v, method="fd")
        assert np.allclose(exact, expected, rtol=0, atol=1e-12 * scale)
        assert np.linalg.norm(fd - expected) <= 1e-7 * scale


def test_finite_difference_product_needs_only_the_gradient():
    rng = np.random.default_rng(0)
    problem = GradientOnly(0.5 * rng.standard_normal((30, 8)))
    w, v = 0.3 * rng.standard_normal(8), rng.standard_normal(8)
    expected = problem.hessian_for_test(w) @ v
    fd = hessian_vector_product(problem, w, v, method="fd")
    assert np.linalg.norm(fd - expected) <= 1e-8 * np.linalg.norm(expected)
    # the error shrinks like h^2 until rounding takes over: a 10x larger step is ~100x worse
    coarse = hessian_vector_product(problem, w, v, method="fd", rel_step=1e-3)
    ratio = np.linalg.norm(coarse - expected) / np.linalg.norm(
        hessian_vector_product(problem, w, v, method="fd", rel_step=1e-4) - expected
    )
    assert 50 < ratio < 200
    assert np.all(hessian_vector_product(problem, w, np.zeros(8), method="fd") == 0)
    with pytest.raises(ValueError, match="neither"):
        hessian_vector_product(problem, w, v)


def test_exact_product_falls_back_to_the_hessian_matrix():
    class HessianOnly:
        dim = 3

        def hess(self, w):
            return np.diag([1.0, 2.0, 3.0]) * (1 + w @ w)

    w, v = np.array([1.0, 0.0, 1.0]), np.array([1.0, 1.0, 1.0])
    assert np.allclose(hessian_vector_product(HessianOnly(), w, v), [3.0, 6.0, 9.0])


@pytest.mark.parametrize("index", range(4))
@pytest.mark.parametrize("hvp", ["exact", "fd"])
def test_power_method_finds_the_largest_magnitude_eigenvalue(index, hvp):
    problem, w = small_problems()[index]
    eigenvalues = np.linalg.eigvalsh(problem.hess(w))
    largest_magnitude = eigenvalues[np.argmax(np.abs(eigenvalues))]
    result = hessian_top_eigenpair(problem, w, hvp=hvp, max_iter=5000, tol=1e-9)
    assert result.converged
    assert result.eigenvalue == pytest.approx(largest_magnitude, rel=1e-7)
    lanczos_result = hessian_top_eigenpair(problem, w, method="lanczos", hvp=hvp, tol=1e-10)
    assert lanczos_result.eigenvalue == pytest.approx(eigenvalues[-1], rel=1e-7)


def test_power_method_on_an_indefinite_hessian_returns_the_local_smoothness():
    # Rosenbrock at (0, 1): Hessian diag(2 - 400, 200), so max |lambda| = 398 (Definition 4.1.2)
    # comes from the negative eigenvalue; Lanczos returns the largest one, 200.
    problem, w = Rosenbrock(), np.array([0.0, 1.0])
    power = hessian_top_eigenpair(problem, w, max_iter=200, tol=1e-10)
    assert power.eigenvalue == pytest.approx(-398.0, rel=1e-9)
    assert hessian_top_eigenpair(problem, w, method="lanczos").eigenvalue == pytest.approx(200.0)


def test_power_method_on_a_network_matches_its_hessian_built_from_exact_products():
    X, Y = gaussian_clusters(n=30, dim=4, n_classes=3, seed=2)
    problem = MSELoss(TanhMLP(4, 3, width=6, depth=2), X, Y)
    w = problem.net.init(2)
    eye = np.eye(problem.dim)
    H = np.column_stack([problem.hvp(w, e) for e in eye])
    expected = np.linalg.eigvalsh((H + H.T) / 2)
    largest_magnitude = expected[np.argmax(np.abs(expected))]
    for hvp in ("exact", "fd"):
        result = hessian_top_eigenpair(problem, w, hvp=hvp, max_iter=20000, tol=1e-8)
        assert result.eigenvalue == pytest.approx(largest_magnitude, rel=1e-6)


def test_curvature_along_a_gd_run_matches_eigvalsh_at_each_iterate():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((80, 5)) + 1.0
    y = (rng.random(80) < 1 / (1 + np.exp(-X @ rng.standard_normal(5)))).astype(float)
    problem = LogisticRegression(X, y, ridge=1e-3)
    trace = run(GD(lr=1 / problem.L), problem, np.zeros(5), steps=60)
    path = curvature_along_path(problem, trace.iterates, every=7, max_iter=2000, tol=1e-10)
    assert list(path.steps) == list(range(0, 61, 7))
    expected = [np.linalg.eigvalsh(problem.hess(trace.iterates[t]))[-1] for t in path.steps]
    assert np.allclose(path.eigenvalues, expected, rtol=1e-8)
    assert path.eigenvalues[0] == pytest.approx(problem.L, rel=1e-8)  # at w = 0: exactly L
    assert path.converged.all()
    # warm starts: later points need fewer products than the cold first one
    assert np.all(path.n_matvecs[1:] < path.n_matvecs[0])


def test_curvature_along_a_diverged_run_stops_at_the_first_non_finite_iterate():
    problem = Quadratic([1.0, 4.0])
    trace = run(GD(lr=1.0), problem, np.array([1.0, 1.0]), steps=2000)  # 1 - 4 = -3: diverges
    first_non_finite = int(np.argmax(~np.isfinite(trace.iterates).all(axis=1)))
    assert first_non_finite > 0  # |w_t| ~ 3^t overflows after about 650 steps
    path = curvature_along_path(problem, trace.iterates, every=100, tol=1e-10)
    assert path.steps[-1] < first_non_finite <= path.steps[-1] + 100
    assert np.allclose(path.eigenvalues, 4.0)


def test_curvature_argument_checks():
    problem = Quadratic([1.0, 2.0])
    w = np.zeros(2)
    with pytest.raises(ValueError, match="method"):
        hessian_vector_product(problem, w, w, method="autodiff")
    with pytest.raises(ValueError, match="method"):
        hessian_top_eigenpair(problem, w, method="arnoldi")
    with pytest.raises(ValueError, match="hvp"):
        hessian_top_eigenpair(problem, w, hvp="complex-step")
    with pytest.raises(ValueError, match="v"):
        hessian_vector_product(problem, w, np.ones(3))
    with pytest.raises(ValueError, match="rel_step"):
        hessian_vector_product(problem, w, w, method="fd", rel_step=0.0)
    with pytest.raises(ValueError, match="iterates"):
        curvature_along_path(problem, np.zeros(2))
    with pytest.raises(ValueError, match="every"):
        curvature_along_path(problem, np.zeros((3, 2)), every=0)
