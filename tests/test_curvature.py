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


# --- contracts the mutation run found unpinned (make mutation) --------------------------------


def diagonal_matvec(eigenvalues):
    d = np.asarray(eigenvalues, dtype=float)
    return lambda v: d * v


def test_lanczos_and_power_defaults_and_seeds_are_reproducible():
    """Pins the documented defaults (max_iter 30 / 100, tol 1e-4, min_iter 3, seed 0): a call
    with defaults equals the call that spells them out, bit for bit, and two calls agree."""
    A, _ = matrix_with_spectrum(np.linspace(0.0, 1.0, 60) ** 3, seed=2)
    matvec = lambda v: A @ v  # noqa: E731
    default = lanczos(matvec, 60)
    spelled = lanczos(matvec, 60, max_iter=30, tol=1e-4, min_iter=3, seed=0)
    assert default.n_matvecs == spelled.n_matvecs
    np.testing.assert_array_equal(default.vector, spelled.vector)
    assert lanczos(matvec, 60, tol=1e-14).n_matvecs == 30  # max_iter = 30 binds
    assert lanczos(matvec, 60, seed=1).eigenvalue != default.eigenvalue
    spectrum = np.r_[np.linspace(0.0, 0.5, 57), -0.97, 0.95, 1.0]  # |lambda_2| close to 1
    B, _ = matrix_with_spectrum(spectrum, seed=2)
    matvec = lambda v: B @ v  # noqa: E731
    slow = power_iteration(matvec, 60)
    assert slow.n_matvecs == 100 and not slow.converged
    again = power_iteration(matvec, 60, max_iter=100, tol=1e-4, seed=0)
    np.testing.assert_array_equal(slow.vector, again.vector)
    assert power_iteration(matvec, 60, seed=1).eigenvalue != slow.eigenvalue


def test_lanczos_takes_min_iter_steps_and_stops_at_tolerance_relative_to_theta():
    """Pins min_iter (a start close to the top eigenvector still takes exactly min_iter = 3
    products) and the relative stopping rule: scaling the operator by 1e-3 or 1e3 changes
    neither the number of products nor the vector, and scales the eigenvalue."""
    eigenvalues = np.linspace(0.5, 2.0, 40)
    v0 = 1e-9 * np.ones(40)
    v0[-1] = 1.0
    near = lanczos(diagonal_matvec(eigenvalues), 40, v0=v0, tol=1e-6)
    assert near.n_matvecs == 3
    reference = lanczos(diagonal_matvec(eigenvalues), 40, v0=np.ones(40), tol=1e-8)
    for scale in (1e-3, 1e3):
        scaled = lanczos(diagonal_matvec(scale * eigenvalues), 40, v0=np.ones(40), tol=1e-8)
        assert scaled.n_matvecs == reference.n_matvecs
        np.testing.assert_allclose(scaled.vector, reference.vector, rtol=0, atol=1e-12)
        assert scaled.eigenvalue == pytest.approx(scale * reference.eigenvalue, rel=1e-14)


def test_lanczos_invariant_subspace_stop_is_relative_to_theta():
    """Pins the invariant-subspace test beta_k <= 1e-12 max(1, |theta|): a start vector in
    the span of two eigenvectors of size 1e6 stops after 2 products, before min_iter."""
    A, U = matrix_with_spectrum(np.r_[1e6, 2e6, np.linspace(1.0, 2.0, 20)], seed=5)
    v0 = U[:, :2] @ [0.6, 0.8]  # rounding leaves a residual of about 1e-10 after 2 steps
    result = lanczos(lambda v: A @ v, 22, v0=v0, min_iter=5, tol=1e-14)
    assert result.n_matvecs == 2
    assert result.eigenvalue == pytest.approx(2e6, rel=1e-14)
    exact = lanczos(diagonal_matvec([3.0, 1.0, 2.0]), 3, v0=[1.0, 0.0, 0.0], min_iter=3)
    assert exact.n_matvecs == 1 and exact.eigenvalue == 3.0


def test_eigenpair_results_are_unit_vectors_with_their_residuals():
    """Pins the returned vector (unit norm, an eigenvector) and residual ||Hx - theta x||."""
    A, U = matrix_with_spectrum(np.array([0.3, 1.0, 2.0, 5.0]), seed=1)
    for solver in (lanczos, power_iteration):
        result = solver(lambda v: A @ v, 4, tol=1e-10, max_iter=500)
        assert np.linalg.norm(result.vector) == pytest.approx(1.0, abs=1e-14)
        assert abs(result.vector @ U[:, -1]) == pytest.approx(1.0, abs=1e-9)
        residual = np.linalg.norm(A @ result.vector - result.eigenvalue * result.vector)
        assert isinstance(result.residual, float)
        assert result.residual == pytest.approx(residual, rel=1e-3, abs=1e-14)


def test_power_iteration_counts_products_and_uses_the_start_vector():
    """Pins n_matvecs (1 from an exact eigenvector, max_iter when it cycles) and that the
    start vector is used: on the swap matrix (eigenvalues +-1) from e_1, ||Hv|| = 1 at every
    step and the iteration cycles until max_iter."""
    result = power_iteration(diagonal_matvec([1.0, 4.0, 2.0]), 3, v0=[0.0, 1.0, 0.0])
    assert (result.n_matvecs, result.eigenvalue, result.converged) == (1, 4.0, True)
    swap = power_iteration(lambda v: v[::-1].copy(), 2, v0=[1.0, 0.0], max_iter=10)
    assert swap.n_matvecs == 10 and not swap.converged


def test_sharpness_passes_keywords_to_the_power_method():
    """Pins sharpness(method="power", **kwargs): max_iter=1 gives the Rayleigh quotient of
    the start vector, as power_iteration does with the same arguments."""
    A, _ = matrix_with_spectrum(np.linspace(1.0, 3.0, 10), seed=3)
    one_step = sharpness(lambda v: A @ v, dim=10, method="power", max_iter=1)
    assert one_step == power_iteration(lambda v: A @ v, 10, max_iter=1).eigenvalue
    assert one_step < 3.0 - 1e-3


def test_integer_products_are_converted_to_float():
    """Pins the float64 conversion of operator outputs: an operator returning integers
    works in Lanczos (whose in-place updates need floats) and hvp_operator returns floats."""

    class IntegerHvp:
        dim = 3

        def hvp(self, w, v):
            return np.array([2, 0, 0]) * int(round(v[0])) + np.array([0, 1, 1])

    result = lanczos(lambda v: np.rint(4.0 * v).astype(int), 3, v0=[1.0, 0.0, 0.0])
    assert result.eigenvalue == pytest.approx(4.0)
    matvec, dim = hvp_operator(IntegerHvp(), np.zeros(3))
    assert dim == 3 and matvec(np.array([1.0, 0.0, 0.0])).dtype == np.float64
    bare, _ = hvp_operator(lambda v: np.array([1, 2]), dim=2)
    assert bare(np.zeros(2)).dtype == np.float64


def test_hvp_operator_for_a_problem_without_dim():
    """Pins hvp_operator on an object with hvp but no dim: w must be a finite 1-D array (named
    in the error) and dim is its length; the messages for a missing w or dim, and for an
    object that is neither, are exact."""

    class NoDim:
        def hvp(self, w, v):
            return 2.0 * np.asarray(v)

    matvec, dim = hvp_operator(NoDim(), [1.0, 2.0, 3.0])
    assert dim == 3 and matvec(np.ones(3)).tolist() == [2.0, 2.0, 2.0]
    assert hvp_operator(NoDim(), [1.0, 2.0], dim=5)[1] == 5
    with pytest.raises(ValueError, match=r"^w must have 1 dimension\(s\), got shape \(1, 2\)"):
        hvp_operator(NoDim(), [[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"^w contains NaN or inf"):
        hvp_operator(NoDim(), [1.0, np.nan])
    with pytest.raises(ValueError, match=r"^w is required when the operator is a problem"):
        hvp_operator(NoDim())
    with pytest.raises(
        ValueError, match=r"^dim is required when the operator is a bare callable v -> Hv$"
    ):
        hvp_operator(lambda v: v)
    with pytest.raises(
        ValueError, match=r"^expected a callable v -> Hv or an object with hvp\(w, v\), got float$"
    ):
        hvp_operator(3.0)


def test_hessian_vector_product_dispatch_and_dtypes():
    """Pins method="exact": problem.hvp when it exists (the Hessian is not formed), else
    problem.hess(w) @ v, as float64 even from integer outputs; the message when neither
    exists; and a problem without ``dim`` takes its dimension from w."""

    class Both:
        dim = 2
        hess_calls = 0

        def hvp(self, w, v):
            return np.array([1, 2]) * np.rint(v).astype(int)

        def hess(self, w):
            Both.hess_calls += 1
            return np.diag([1, 2])

    product = hessian_vector_product(Both(), [0.0, 0.0], [1.0, 1.0])
    assert product.tolist() == [1.0, 2.0] and product.dtype == np.float64
    assert Both.hess_calls == 0

    class HessianOnly:
        def hess(self, w):
            return np.array([[2, 1], [1, 3]])

    product = hessian_vector_product(HessianOnly(), [0.0, 0.0], [1.0, 0.0])
    assert product.tolist() == [2.0, 1.0] and product.dtype == np.float64

    class GradientOnly2:
        def grad(self, w):
            return np.asarray(w) ** 3

    with pytest.raises(
        ValueError,
        match=r"^method='exact' needs problem.hvp or problem.hess; GradientOnly2 has neither "
        r"\(use method='fd'\)$",
    ):
        hessian_vector_product(GradientOnly2(), [1.0, 1.0], [1.0, 0.0])
    fd = hessian_vector_product(GradientOnly2(), [1.0, 2.0], [1.0, 0.0], method="fd")
    np.testing.assert_allclose(fd, [3.0, 0.0], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("w_norm", [0.5, 3.0])
def test_finite_difference_step_is_relative_to_w_and_v(w_norm):
    """Pins h = rel_step * max(1, ||w||) / ||v|| and the central difference
    (grad(w + h v) - grad(w - h v)) / (2 h), written out here, with a step large enough
    (rel_step = 0.05) that a different h shows in the result."""
    rng = np.random.default_rng(7)
    problem = GradientOnly(0.5 * rng.standard_normal((10, 4)))
    w = rng.standard_normal(4)
    w *= w_norm / np.linalg.norm(w)
    v = 2.0 * rng.standard_normal(4)
    h = 0.05 * max(1.0, w_norm) / np.linalg.norm(v)
    expected = (problem.grad(w + h * v) - problem.grad(w - h * v)) / (2 * h)
    got = hessian_vector_product(problem, w, v, method="fd", rel_step=0.05)
    np.testing.assert_allclose(got, expected, rtol=1e-12)
    exact = problem.hessian_for_test(w) @ v
    assert np.linalg.norm(got - exact) > 1e-6 * np.linalg.norm(exact)  # h visibly matters


def test_hessian_top_eigenpair_passes_hvp_method_and_step_on():
    """Pins hessian_top_eigenpair's wiring: hvp="fd" with its rel_step gives exactly what the
    solver gives on those finite-difference products."""
    rng = np.random.default_rng(8)
    problem = GradientOnly(0.5 * rng.standard_normal((12, 5)))
    w = 0.3 * rng.standard_normal(5)
    got = hessian_top_eigenpair(problem, w, hvp="fd", rel_step=0.05, tol=1e-10, max_iter=300)

    def matvec(v):
        return hessian_vector_product(problem, w, v, method="fd", rel_step=0.05)

    expected = power_iteration(matvec, 5, tol=1e-10, max_iter=300)
    assert got.eigenvalue == expected.eigenvalue and got.n_matvecs == expected.n_matvecs


def test_curvature_along_path_wiring():
    """Pins curvature_along_path: method, hvp, seed and the solver's keywords reach each
    estimate; each estimate after the first starts from the previous vector (one product on a
    constant Hessian); the output dtypes hold for an empty path; the shape checks."""
    problem = Quadratic([0.5, 2.0, 7.0], seed=1)
    iterates = np.random.default_rng(0).standard_normal((5, 3))
    path = curvature_along_path(problem, iterates, tol=1e-10)
    assert path.n_matvecs[0] > 1 and np.all(path.n_matvecs[1:] == 1)  # warm starts
    capped = curvature_along_path(problem, iterates, max_iter=2)
    assert np.all(capped.n_matvecs <= 2)
    seeded = curvature_along_path(problem, iterates[:1], seed=3, tol=1e-3)
    alone = hessian_top_eigenpair(problem, iterates[0], seed=3, tol=1e-3)
    assert seeded.eigenvalues[0] == alone.eigenvalue
    default = curvature_along_path(problem, iterates[:1], tol=1e-3)
    assert (
        default.eigenvalues[0] == hessian_top_eigenpair(problem, iterates[0], tol=1e-3).eigenvalue
    )
    indefinite = Quadratic([-9.0, 1.0, 2.0], seed=1)
    assert curvature_along_path(indefinite, iterates[:1], method="lanczos", tol=1e-10).eigenvalues[
        0
    ] == pytest.approx(2.0, rel=1e-8)
    fd = curvature_along_path(GradientOnly(np.eye(3)), np.zeros((1, 3)), hvp="fd", tol=1e-10)
    assert fd.eigenvalues[0] == pytest.approx(1.0, rel=1e-8)
    empty = curvature_along_path(problem, np.full((2, 3), np.nan))
    assert empty.steps.dtype.kind == "i" and empty.n_matvecs.dtype.kind == "i"
    assert empty.converged.dtype == bool and len(empty.steps) == 0
    one = curvature_along_path(problem, np.zeros((1, 3)))
    assert one.steps.tolist() == [0]
    with pytest.raises(
        ValueError, match=r"^iterates must have shape \(steps \+ 1, 3\), got shape \(0, 3\)"
    ):
        curvature_along_path(problem, np.zeros((0, 3)))

    class NoDimGradient:
        def grad(self, w):
            return w

    with pytest.raises(ValueError, match=r"^problem.dim must be a positive integer"):
        curvature_along_path(NoDimGradient(), np.zeros((2, 3)), hvp="fd")
    with pytest.raises(ValueError, match=r"^iterates must have shape \(steps \+ 1, dim\)"):
        curvature_along_path(NoDimGradient(), np.zeros(3))


def test_the_zero_operator_converges_at_once():
    """Pins the non-strict convergence tests on the zero operator: residual 0 <= tol * 0, so
    both solvers report eigenvalue 0, converged, after one product."""
    for solver in (lanczos, power_iteration):
        result = solver(lambda v: 0.0 * v, 4)
        assert (result.eigenvalue, result.n_matvecs, result.converged) == (0.0, 1, True)
