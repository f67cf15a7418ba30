"""Tests of gdlab.problems against independent references: finite differences, numpy's linear
algebra, explicit loops over examples, closed-form stationary points and published values."""

import math
import warnings

import numpy as np
import pytest

from gdlab import problems
from gdlab.problems import (
    DoubleWell,
    FiniteSum,
    HiddenValley,
    Himmelblau,
    LeastSquares,
    LogisticRegression,
    Problem,
    Quadratic,
    Rosenbrock,
)

STEP = 1e-6


def _caller_regression_data():
    rng = np.random.default_rng(123)
    X = rng.standard_normal((40, 3)) * np.array([1.0, 3.0, 0.2])
    y = X @ np.array([0.5, -1.0, 2.0]) + 0.3 * rng.standard_normal(40)
    return X, y


def _caller_classification_data():
    rng = np.random.default_rng(7)
    X = rng.standard_normal((60, 4))
    y = (rng.random(60) < 0.5).astype(int)
    return X, y


PROBLEMS = {
    "quadratic-2d": Quadratic([1.0, 10.0]),
    "quadratic-2d-rotated": Quadratic([0.5, 4.0], angle=0.3, minimizer=[1.0, -2.0]),
    "quadratic-2d-saddle": Quadratic([-1.0, 2.0], angle=0.7),
    "quadratic-10d": Quadratic(np.linspace(0.1, 10.0, 10), seed=1),
    "quadratic-10d-indefinite": Quadratic(
        np.linspace(-3.0, 5.0, 10), seed=2, minimizer=np.ones(10)
    ),
    "quadratic-from-matrix": Quadratic.from_matrix(
        [[2.0, 0.5, 0.0], [0.5, 1.0, -0.3], [0, -0.3, 4]]
    ),
    "rosenbrock": Rosenbrock(),
    "rosenbrock-mild": Rosenbrock(a=0.5, b=10.0),
    "least-squares": LeastSquares(),
    "least-squares-ridge": LeastSquares(ridge=0.1),
    "least-squares-caller-data": LeastSquares(*_caller_regression_data()),
    "logistic": LogisticRegression(),
    "logistic-ridge": LogisticRegression(n=100, d=10, seed=3, ridge=0.05),
    "logistic-caller-data": LogisticRegression(*_caller_classification_data()),
    "double-well": DoubleWell(),
    "double-well-steep": DoubleWell(a=3.0),
    "himmelblau": Himmelblau(),
    "hidden-valley": HiddenValley(),
    "hidden-valley-10d": HiddenValley(dim=10, width=0.1, seed=4),
}

FINITE_SUMS = {name: p for name, p in PROBLEMS.items() if isinstance(p, FiniteSum)}


def _test_points(problem, count=4, seed=0):
    """Random points where the interesting curvature is: near the centre of a hidden valley."""
    rng = np.random.default_rng(seed)
    if isinstance(problem, HiddenValley):
        return [
            problem.center + problem.width * rng.standard_normal(problem.dim) for _ in range(count)
        ]
    return [rng.standard_normal(problem.dim) for _ in range(count)]


def _central_difference_gradient(function, w):
    """Central differences of a scalar function, one coordinate at a time (the reference)."""
    gradient = np.zeros(len(w))
    for i in range(len(w)):
        e = np.zeros(len(w))
        e[i] = STEP
        gradient[i] = (function(w + e) - function(w - e)) / (2 * STEP)
    return gradient


def _central_difference_jacobian(vector_function, w):
    columns = []
    for i in range(len(w)):
        e = np.zeros(len(w))
        e[i] = STEP
        columns.append((vector_function(w + e) - vector_function(w - e)) / (2 * STEP))
    return np.column_stack(columns)


def _assert_relatively_close(actual, expected, rtol):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape
    error = np.linalg.norm(actual - expected)
    assert error <= rtol * max(1.0, np.linalg.norm(expected)), (error, actual, expected)


# ------------------------------------------------------------------------------------------
# Derivatives of every problem
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("problem", PROBLEMS.values(), ids=PROBLEMS.keys())
def test_grad_matches_finite_differences_of_value(problem):
    for w in _test_points(problem):
        reference = _central_difference_gradient(problem.value, w)
        _assert_relatively_close(problem.grad(w), reference, rtol=1e-6)


@pytest.mark.parametrize("problem", PROBLEMS.values(), ids=PROBLEMS.keys())
def test_hess_matches_finite_differences_of_grad(problem):
    for w in _test_points(problem, seed=1):
        reference = _central_difference_jacobian(problem.grad, w)
        hessian = problem.hess(w)
        _assert_relatively_close(hessian, reference, rtol=1e-6)
        np.testing.assert_allclose(hessian, hessian.T, rtol=0, atol=1e-12 * np.abs(hessian).max())


@pytest.mark.parametrize("problem", PROBLEMS.values(), ids=PROBLEMS.keys())
def test_hvp_matches_hess_times_vector(problem):
    rng = np.random.default_rng(2)
    for w in _test_points(problem, seed=2):
        v = rng.standard_normal(problem.dim)
        _assert_relatively_close(problem.hvp(w, v), problem.hess(w) @ v, rtol=1e-12)


@pytest.mark.parametrize("problem", PROBLEMS.values(), ids=PROBLEMS.keys())
def test_interface_types_and_shapes(problem):
    w = _test_points(problem, count=1)[0]
    assert isinstance(problem, Problem)
    assert isinstance(problem.dim, int)
    assert type(problem.value(w)) is float
    assert problem.grad(w).shape == (problem.dim,)
    assert problem.hess(w).shape == (problem.dim, problem.dim)
    assert problem.grad(list(w)).dtype == np.float64
    assert type(problem).__name__ in repr(problem)
    if problem.minimizer is not None:
        assert problem.minimizer.shape == (problem.dim,)
        assert problem.value(problem.minimizer) == pytest.approx(problem.optimal_value, abs=1e-12)
        assert np.linalg.norm(problem.grad(problem.minimizer)) < 1e-9


@pytest.mark.parametrize("problem", PROBLEMS.values(), ids=PROBLEMS.keys())
def test_wrong_shaped_w_is_rejected(problem):
    for bad in (np.zeros(problem.dim + 1), np.zeros((problem.dim, 1)), "abc"):
        for method in (problem.value, problem.grad, problem.hess):
            with pytest.raises(ValueError, match=r"\bw\b"):
                method(bad)
        with pytest.raises(ValueError, match=r"\bw\b"):
            problem.hvp(bad, np.zeros(problem.dim))
    with pytest.raises(ValueError, match=r"\bv\b"):
        problem.hvp(np.zeros(problem.dim), np.zeros(problem.dim + 1))
    with pytest.raises(ValueError, match=r"\bw\b"):
        problem.value(np.full(problem.dim, np.nan))


def test_stored_arrays_are_read_only():
    quadratic = Quadratic([1.0, 2.0])
    with pytest.raises(ValueError):
        quadratic.A[0, 0] = 5.0
    hessian = quadratic.hess([0.0, 0.0])
    hessian[0, 0] = 5.0  # a fresh copy: the problem is unchanged
    assert quadratic.A[0, 0] == 1.0
    X, y = _caller_regression_data()
    least_squares = LeastSquares(X, y)
    X[0, 0] = 1e6  # the problem kept its own copy
    assert least_squares.X[0, 0] != 1e6


# ------------------------------------------------------------------------------------------
# Quadratic
# ------------------------------------------------------------------------------------------


def test_quadratic_spectrum_matches_eigh():
    quadratic = Quadratic([3.0, -1.0, 0.5, 7.0], seed=5)
    reference_values, reference_vectors = np.linalg.eigh(quadratic.A)
    np.testing.assert_allclose(quadratic.eigenvalues, reference_values, atol=1e-12)
    np.testing.assert_allclose(quadratic.eigenvalues, [-1.0, 0.5, 3.0, 7.0], atol=1e-12)
    # Eigenvectors agree up to sign (distinct eigenvalues).
    overlaps = np.abs(reference_vectors.T @ quadratic.eigenvectors)
    np.testing.assert_allclose(overlaps, np.eye(4), atol=1e-10)
    np.testing.assert_allclose(
        quadratic.A @ quadratic.eigenvectors,
        quadratic.eigenvectors * quadratic.eigenvalues,
        atol=1e-12,
    )


def test_quadratic_without_rotation_is_diagonal_in_given_order():
    quadratic = Quadratic([10.0, 1.0])
    np.testing.assert_array_equal(quadratic.A, np.diag([10.0, 1.0]))
    np.testing.assert_array_equal(quadratic.eigenvalues, [1.0, 10.0])
    np.testing.assert_array_equal(np.abs(quadratic.eigenvectors), [[0.0, 1.0], [1.0, 0.0]])


def test_quadratic_angle_rotates_the_eigenbasis():
    np.testing.assert_allclose(Quadratic([1.0, 10.0], angle=0.0).A, np.diag([1.0, 10.0]))
    np.testing.assert_allclose(
        Quadratic([1.0, 10.0], angle=np.pi / 2).A, np.diag([10.0, 1.0]), atol=1e-12
    )
    angle = 0.4
    rotated = Quadratic([1.0, 10.0], angle=angle)
    # The first eigenvector is the x axis rotated counter-clockwise by angle.
    direction = np.array([np.cos(angle), np.sin(angle)])
    np.testing.assert_allclose(rotated.A @ direction, 1.0 * direction, atol=1e-12)
    normal = np.array([-np.sin(angle), np.cos(angle)])
    np.testing.assert_allclose(rotated.A @ normal, 10.0 * normal, atol=1e-12)


def test_quadratic_seeded_eigenbasis_is_orthogonal_and_reproducible():
    eigenvalues = np.linspace(1.0, 5.0, 6)
    first, again, other = (Quadratic(eigenvalues, seed=s) for s in (11, 11, 12))
    U = first.eigenvectors
    np.testing.assert_allclose(U.T @ U, np.eye(6), atol=1e-12)
    np.testing.assert_array_equal(first.A, again.A)
    assert not np.allclose(first.A, other.A)


def test_quadratic_seeded_eigenbasis_is_haar_distributed():
    # Without the sign fix, LAPACK's QR makes U[0, 0] always negative; Haar makes it symmetric.
    samples = np.array(
        [Quadratic([1.0, 2.0, 3.0], seed=seed).eigenvectors[0, 0] for seed in range(400)]
    )
    standard_error = samples.std() / np.sqrt(len(samples))
    assert abs(samples.mean()) < 4 * standard_error
    # Haar: a fixed unit vector's squared coordinate in U has mean 1/d.
    assert np.mean(samples**2) == pytest.approx(1 / 3, abs=4 * np.std(samples**2) / 20)


def test_quadratic_constants():
    quadratic = Quadratic([8.0, 0.5, 2.0], seed=0)
    assert quadratic.L == pytest.approx(8.0)
    assert quadratic.mu == pytest.approx(0.5)
    assert quadratic.condition_number == pytest.approx(16.0)
    assert quadratic.optimal_value == 0.0
    np.testing.assert_array_equal(quadratic.minimizer, np.zeros(3))


def test_indefinite_quadratic_has_no_minimizer_but_a_center():
    center = np.array([1.0, -1.0])
    saddle = Quadratic([-3.0, 1.0], angle=0.2, minimizer=center)
    assert saddle.L == pytest.approx(3.0)
    assert saddle.mu == pytest.approx(-3.0)
    assert saddle.condition_number == math.inf
    assert saddle.minimizer is None
    assert saddle.optimal_value is None
    np.testing.assert_array_equal(saddle.center, center)
    np.testing.assert_allclose(saddle.grad(center), 0.0, atol=1e-15)


def test_semidefinite_quadratic_has_infinite_condition_number():
    flat = Quadratic([0.0, 2.0])
    assert flat.mu == 0.0
    assert flat.condition_number == math.inf
    assert flat.optimal_value == 0.0
    assert flat.value([5.0, 0.0]) == 0.0  # the flat direction is all minimizers


def test_quadratic_minimizer_has_zero_gradient():
    minimizer = np.array([1.0, 2.0, -3.0, 0.5])
    quadratic = Quadratic([1.0, 2.0, 3.0, 4.0], seed=3, minimizer=minimizer)
    np.testing.assert_array_equal(quadratic.minimizer, minimizer)
    np.testing.assert_allclose(quadratic.grad(minimizer), 0.0, atol=1e-14)
    assert quadratic.value(minimizer) == 0.0
    assert quadratic.value(minimizer + 1.0) > 0.0


def test_quadratic_from_matrix_round_trip():
    rng = np.random.default_rng(0)
    B = rng.standard_normal((5, 5))
    A = B + B.T
    center = rng.standard_normal(5)
    quadratic = Quadratic.from_matrix(A, minimizer=center)
    np.testing.assert_allclose(quadratic.A, A, atol=1e-15)
    np.testing.assert_allclose(quadratic.eigenvalues, np.linalg.eigvalsh(A), atol=1e-12)
    rebuilt = Quadratic.from_matrix(Quadratic([2.0, 9.0], angle=1.1).A)
    np.testing.assert_allclose(rebuilt.eigenvalues, [2.0, 9.0], atol=1e-12)
    w = rng.standard_normal(5)
    assert quadratic.value(w) == pytest.approx(0.5 * (w - center) @ A @ (w - center), rel=1e-12)


def test_quadratic_eigenbasis_coordinates_decouple_the_value():
    quadratic = Quadratic([0.5, 2.0, 6.0], seed=8, minimizer=[1.0, 0.0, -1.0])
    w = np.array([0.3, -2.0, 1.5])
    w_hat = quadratic.to_eigenbasis(w)
    # Section 4.4: f = 1/2 sum_i lambda_i hat-w_i^2.
    assert quadratic.value(w) == pytest.approx(0.5 * np.sum(quadratic.eigenvalues * w_hat**2))
    np.testing.assert_allclose(quadratic.eigenvectors @ w_hat + quadratic.center, w, atol=1e-14)


def test_jacobi_preconditioning_is_gd_with_diag_a_in_rescaled_coordinates():
    quadratic = Quadratic([0.5, 3.0, 40.0], seed=2, minimizer=[1.0, -2.0, 0.5])
    rescaled = quadratic.jacobi_preconditioned()
    diagonal = np.diag(quadratic.A)
    # Its spectrum is that of D^{-1} A, computed here as a non-symmetric eigenproblem.
    reference = np.sort(np.linalg.eigvals(quadratic.A / diagonal[:, None]).real)
    np.testing.assert_allclose(rescaled.eigenvalues, reference, rtol=1e-10)
    assert np.all(np.diag(rescaled.A) == pytest.approx(1.0, abs=1e-12))
    # f(w) = f_rescaled(D^{1/2} w), and preconditioned GD on f is plain GD on the rescaled f.
    rng = np.random.default_rng(5)
    w = rng.standard_normal(3)
    assert rescaled.value(np.sqrt(diagonal) * w) == pytest.approx(quadratic.value(w), rel=1e-12)
    lr, u = 0.3, np.sqrt(diagonal) * w
    for _ in range(5):
        w = w - lr * quadratic.grad(w) / diagonal
        u = u - lr * rescaled.grad(u)
    np.testing.assert_allclose(u, np.sqrt(diagonal) * w, rtol=1e-10)


def test_jacobi_preconditioning_helps_only_axis_aligned_valleys():
    aligned = Quadratic([1.0, 100.0], angle=0.0).jacobi_preconditioned()
    rotated = Quadratic([1.0, 100.0], angle=np.pi / 4).jacobi_preconditioned()
    np.testing.assert_allclose(aligned.A, np.eye(2), atol=1e-15)
    assert aligned.condition_number == pytest.approx(1.0)
    # diag(A) = 50.5 I for a 45-degree rotation: the rescaling is a multiple of I.
    assert rotated.condition_number == pytest.approx(100.0, rel=1e-12)
    with pytest.raises(ValueError, match="diag"):
        Quadratic.from_matrix([[0.0, 1.0], [1.0, 2.0]]).jacobi_preconditioned()


def test_quadratic_bad_arguments():
    with pytest.raises(ValueError, match="angle"):
        Quadratic([1.0, 2.0, 3.0], angle=0.5)
    with pytest.raises(ValueError, match="angle"):
        Quadratic([1.0], angle=0.5)
    with pytest.raises(ValueError, match="angle.*seed"):
        Quadratic([1.0, 2.0], angle=0.5, seed=1)
    for bad in ([1.0, np.nan], [np.inf, 1.0], [], [[1.0, 2.0]]):
        with pytest.raises(ValueError, match="eigenvalues"):
            Quadratic(bad)
    with pytest.raises(ValueError, match="minimizer"):
        Quadratic([1.0, 2.0], minimizer=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="seed"):
        Quadratic([1.0, 2.0], seed=-1)
    with pytest.raises(ValueError, match="A"):
        Quadratic.from_matrix([[1.0, 2.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="A"):
        Quadratic.from_matrix([[1.0, np.nan], [np.nan, 1.0]])
    with pytest.raises(ValueError, match="A"):
        Quadratic.from_matrix(np.ones((2, 3)))


# ------------------------------------------------------------------------------------------
# Rosenbrock
# ------------------------------------------------------------------------------------------


def test_rosenbrock_minimizer():
    rosenbrock = Rosenbrock(a=2.0, b=50.0)
    np.testing.assert_array_equal(rosenbrock.minimizer, [2.0, 4.0])
    assert rosenbrock.optimal_value == 0.0
    assert rosenbrock.value([2.0, 4.0]) == 0.0
    np.testing.assert_array_equal(rosenbrock.grad([2.0, 4.0]), [0.0, 0.0])
    assert np.all(np.linalg.eigvalsh(rosenbrock.hess([2.0, 4.0])) > 0)
    assert rosenbrock.value([0.0, 0.0]) == pytest.approx(4.0)
    with pytest.raises(ValueError, match="b"):
        Rosenbrock(b=0.0)


# ------------------------------------------------------------------------------------------
# Finite sums
# ------------------------------------------------------------------------------------------


def _reference_example_losses(problem, w):
    """f_i(w) from the textbook formulas, one example at a time."""
    values, gradients, hessian = [], [], np.zeros((problem.dim, problem.dim))
    for x_i, y_i in zip(problem.X, problem.y, strict=True):
        prediction = float(x_i @ w)
        if isinstance(problem, LeastSquares):
            values.append(0.5 * (prediction - y_i) ** 2)
            gradients.append((prediction - y_i) * x_i)
            hessian += np.outer(x_i, x_i)
        else:
            sign = 2 * y_i - 1
            values.append(math.log1p(math.exp(-sign * prediction)))
            gradients.append(-sign * x_i / (1 + math.exp(sign * prediction)))
            probability = 1 / (1 + math.exp(-prediction))
            hessian += probability * (1 - probability) * np.outer(x_i, x_i)
    ridge = problem.ridge
    values = np.array(values) + 0.5 * ridge * (w @ w)
    gradients = np.array(gradients) + ridge * w
    hessian = hessian / problem.n + ridge * np.eye(problem.dim)
    return values, gradients, hessian


@pytest.mark.parametrize("problem", FINITE_SUMS.values(), ids=FINITE_SUMS.keys())
def test_finite_sum_is_the_average_of_example_losses(problem):
    w = np.random.default_rng(5).standard_normal(problem.dim)
    values, gradients, hessian = _reference_example_losses(problem, w)
    np.testing.assert_allclose(problem.example_values(w), values, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(problem.example_grads(w), gradients, rtol=1e-12, atol=1e-14)
    assert problem.value(w) == pytest.approx(np.mean(values), rel=1e-12)
    np.testing.assert_allclose(problem.grad(w), gradients.mean(axis=0), rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(problem.hess(w), hessian, rtol=1e-10, atol=1e-13)
    indices = np.array([3, 0, 3, problem.n - 1])
    np.testing.assert_allclose(problem.example_values(w, indices), values[indices], rtol=1e-12)
    np.testing.assert_allclose(problem.example_grads(w, indices), gradients[indices], rtol=1e-12)
    np.testing.assert_allclose(
        problem.minibatch_gradient(w, indices), gradients[indices].mean(axis=0), rtol=1e-12
    )


@pytest.mark.parametrize("problem", FINITE_SUMS.values(), ids=FINITE_SUMS.keys())
def test_stochastic_grad_of_whole_dataset_without_replacement_is_the_gradient(problem):
    w = np.random.default_rng(6).standard_normal(problem.dim)
    rng = np.random.default_rng(0)
    full_batch = problem.stochastic_grad(w, problem.n, rng, replace=False)
    np.testing.assert_allclose(full_batch, problem.grad(w), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("problem", FINITE_SUMS.values(), ids=FINITE_SUMS.keys())
def test_stochastic_grad_is_unbiased(problem):
    w = np.random.default_rng(7).standard_normal(problem.dim)
    rng = np.random.default_rng(1)
    samples = np.array([problem.stochastic_grad(w, 4, rng) for _ in range(3000)])
    standard_errors = samples.std(axis=0) / np.sqrt(len(samples))
    assert np.all(np.abs(samples.mean(axis=0) - problem.grad(w)) < 4 * standard_errors)


@pytest.mark.parametrize("replace", [True, False])
def test_stochastic_grad_is_reproducible_and_uses_rng_choice(replace):
    problem = LeastSquares()
    w = np.ones(problem.dim)
    first = problem.stochastic_grad(w, 10, np.random.default_rng(3), replace=replace)
    again = problem.stochastic_grad(w, 10, np.random.default_rng(3), replace=replace)
    other = problem.stochastic_grad(w, 10, np.random.default_rng(4), replace=replace)
    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first, other)
    indices = np.random.default_rng(3).choice(problem.n, 10, replace=replace)
    np.testing.assert_allclose(first, problem.minibatch_gradient(w, indices), rtol=1e-14)


def test_least_squares_minimizer_matches_lstsq():
    X, y = _caller_regression_data()
    problem = LeastSquares(X, y)
    reference = np.linalg.lstsq(X, y, rcond=None)[0]
    np.testing.assert_allclose(problem.minimizer, reference, rtol=1e-10)
    residual = X @ reference - y
    assert problem.optimal_value == pytest.approx(0.5 * np.mean(residual**2), rel=1e-12)
    gram_eigenvalues = np.linalg.eigvalsh(X.T @ X / len(y))
    assert problem.L == pytest.approx(gram_eigenvalues[-1])
    assert problem.mu == pytest.approx(gram_eigenvalues[0])
    assert problem.condition_number == pytest.approx(gram_eigenvalues[-1] / gram_eigenvalues[0])
    assert problem.true_weights is None


def test_ridge_least_squares_minimizer_matches_augmented_lstsq():
    X, y = _caller_regression_data()
    ridge = 0.3
    n, d = X.shape
    problem = LeastSquares(X, y, ridge=ridge)
    # 1/(2n) ||Xw - y||^2 + ridge/2 ||w||^2 = 1/(2n) ||[X; sqrt(n ridge) I] w - [y; 0]||^2.
    augmented_X = np.vstack([X, np.sqrt(n * ridge) * np.eye(d)])
    augmented_y = np.concatenate([y, np.zeros(d)])
    reference = np.linalg.lstsq(augmented_X, augmented_y, rcond=None)[0]
    np.testing.assert_allclose(problem.minimizer, reference, rtol=1e-10)
    gram_eigenvalues = np.linalg.eigvalsh(X.T @ X / n)
    assert problem.L == pytest.approx(gram_eigenvalues[-1] + ridge)
    assert problem.mu == pytest.approx(gram_eigenvalues[0] + ridge)


def test_least_squares_synthetic_data():
    problem = LeastSquares(n=500, d=3, noise=0.01, seed=2)
    assert problem.X.shape == (500, 3) and problem.y.shape == (500,)
    np.testing.assert_allclose(problem.minimizer, problem.true_weights, atol=0.01)
    np.testing.assert_array_equal(problem.X, LeastSquares(n=500, d=3, noise=0.01, seed=2).X)
    assert not np.allclose(problem.X, LeastSquares(n=500, d=3, noise=0.01, seed=3).X)
    noiseless = LeastSquares(n=50, d=4, noise=0.0)
    assert noiseless.optimal_value == pytest.approx(0.0, abs=1e-25)


@pytest.mark.parametrize("ridge", [0.0, 0.2])
def test_logistic_smoothness_constant_is_the_hessian_norm_at_zero(ridge):
    problem = LogisticRegression(ridge=ridge)
    assert problem.L == pytest.approx(np.linalg.eigvalsh(problem.hess(np.zeros(problem.dim)))[-1])
    X = problem.X
    assert problem.L == pytest.approx(np.linalg.norm(X, 2) ** 2 / (4 * problem.n) + ridge)
    for w in _test_points(problem, count=10):
        assert np.linalg.norm(problem.hess(3 * w), 2) <= problem.L * (1 + 1e-12)
    assert problem.mu == ridge


def test_logistic_ridge_minimizer_by_newton():
    problem = LogisticRegression(n=100, d=10, seed=3, ridge=0.05)
    minimizer = problem.minimizer
    assert np.linalg.norm(problem.grad(minimizer)) < 1e-10
    assert problem.optimal_value == pytest.approx(problem.value(minimizer))
    rng = np.random.default_rng(0)
    for _ in range(20):
        assert problem.value(minimizer + 0.01 * rng.standard_normal(10)) > problem.optimal_value
    assert LogisticRegression().minimizer is None
    assert LogisticRegression().optimal_value is None


def test_logistic_synthetic_data_are_noisy_labels_of_a_linear_rule():
    problem = LogisticRegression(n=400, d=3, seed=5)
    assert set(np.unique(problem.y)) == {0.0, 1.0}
    agreement = np.mean((problem.X @ problem.true_weights > 0) == (problem.y == 1))
    assert 0.6 < agreement < 1.0  # informative but not separable by the true rule
    np.testing.assert_array_equal(problem.y, LogisticRegression(n=400, d=3, seed=5).y)


def test_logistic_huge_weights_give_no_warnings():
    problem = LogisticRegression(ridge=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for scale in (1e3, 1e8, -1e8, 1e150):
            w = scale * np.linspace(-1.0, 1.0, problem.dim)
            predictions = problem.X @ w
            signs = 2 * problem.y - 1
            value = problem.value(w)
            # log(1 + exp(-t)) = max(0, -t) up to log 2 for huge |t|.
            expected = np.mean(np.maximum(0.0, -signs * predictions)) + 0.05 * (w @ w)
            assert value == pytest.approx(expected, rel=1e-6)
            assert np.all(np.isfinite(problem.grad(w)))
            assert np.all(np.isfinite(problem.hess(w)))
            assert np.all(np.isfinite(problem.example_values(w)))
            assert np.all(np.isfinite(problem.example_grads(w)))


def test_finite_sum_bad_data():
    X, y = _caller_regression_data()
    for cls in (LeastSquares, LogisticRegression):
        bad_X = X.copy()
        bad_X[3, 1] = np.nan
        with pytest.raises(ValueError, match="X"):
            cls(bad_X, (y > 0).astype(float))
        bad_y = (y > 0).astype(float)
        bad_y[5] = np.nan
        with pytest.raises(ValueError, match="y"):
            cls(X, bad_y)
        with pytest.raises(ValueError, match="X.*y"):
            cls(X, (y[:-1] > 0).astype(float))
        with pytest.raises(ValueError, match="y"):
            cls(X)
        with pytest.raises(ValueError, match="X"):
            cls(y=y)
        with pytest.raises(ValueError, match="ridge"):
            cls(X, (y > 0).astype(float), ridge=-1.0)
        with pytest.raises(ValueError, match="n"):
            cls(n=0)
        with pytest.raises(ValueError, match="X"):
            cls(X[:, 0], y)
    with pytest.raises(ValueError, match=r"y.*2\.|y.*-1\."):
        LogisticRegression(X, np.where(y > 0, 2.0, -1.0))
    with pytest.raises(ValueError, match=r"y.*0\.5"):
        LogisticRegression(X, np.full(len(y), 0.5))


def test_finite_sum_bad_sampling_arguments():
    problem = LeastSquares(n=20, d=3)
    w = np.zeros(3)
    rng = np.random.default_rng(0)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="batch_size"):
            problem.stochastic_grad(w, bad, rng)
    with pytest.raises(ValueError, match=r"batch_size=21.*n=20"):
        problem.stochastic_grad(w, 21, rng, replace=False)
    assert problem.stochastic_grad(w, 21, rng, replace=True).shape == (3,)
    with pytest.raises(ValueError, match="rng"):
        problem.stochastic_grad(w, 5, 0)
    with pytest.raises(ValueError, match=r"\bw\b"):
        problem.stochastic_grad(np.zeros(4), 5, rng)
    for bad_indices in ([20], [-1], [0.5], [[0, 1]], [True, False]):
        with pytest.raises(ValueError, match="indices"):
            problem.example_grads(w, bad_indices)
    with pytest.raises(ValueError, match="indices"):
        problem.minibatch_gradient(w, [])


# ------------------------------------------------------------------------------------------
# Non-convex examples: stationary points
# ------------------------------------------------------------------------------------------


def _kind_from_hessian(hessian):
    eigenvalues = np.linalg.eigvalsh(hessian)
    if np.all(eigenvalues > 0):
        return "minimum"
    if np.all(eigenvalues < 0):
        return "maximum"
    assert np.any(eigenvalues > 0) and np.any(eigenvalues < 0)
    return "saddle"


@pytest.mark.parametrize("problem", [DoubleWell(), DoubleWell(a=0.2), Himmelblau()])
def test_stationary_points_have_zero_gradient_and_the_right_kind(problem):
    points = problem.stationary_points()
    for point, kind in points:
        assert np.linalg.norm(_central_difference_gradient(problem.value, point)) < 1e-6
        assert np.linalg.norm(problem.grad(point)) < 1e-10
        fd_hessian = _central_difference_jacobian(problem.grad, point)
        assert _kind_from_hessian(fd_hessian) == kind
        if kind == "minimum":
            assert problem.value(point) == pytest.approx(problem.optimal_value, abs=1e-12)
    minimum_values = [problem.value(p) for p, kind in points if kind == "minimum"]
    assert min(minimum_values) == pytest.approx(problem.optimal_value, abs=1e-12)


def test_double_well_stationary_points():
    problem = DoubleWell(a=2.0)
    found = {(tuple(point), kind) for point, kind in problem.stationary_points()}
    assert found == {((0.0, 0.0), "saddle"), ((0.0, 1.0), "minimum"), ((0.0, -1.0), "minimum")}
    assert problem.value([0.0, 1.0]) == -0.25
    assert problem.optimal_value == -0.25
    assert problem.minimizer is None


def test_himmelblau_stationary_points_match_published_values():
    problem = Himmelblau()
    kinds = [kind for _, kind in problem.stationary_points()]
    assert kinds.count("minimum") == 4 and kinds.count("maximum") == 1
    assert kinds.count("saddle") == 4
    published_minima = [
        (3.0, 2.0),
        (-2.805118, 3.131312),
        (-3.779310, -3.283186),
        (3.584428, -1.848126),
    ]
    minima = [point for point, kind in problem.stationary_points() if kind == "minimum"]
    for reference in published_minima:
        assert min(np.linalg.norm(m - reference) for m in minima) < 1e-5
    (maximum,) = [point for point, kind in problem.stationary_points() if kind == "maximum"]
    np.testing.assert_allclose(maximum, [-0.270845, -0.923039], atol=1e-5)
    assert problem.value(maximum) == pytest.approx(181.617, abs=1e-3)


def test_himmelblau_has_no_other_stationary_points():
    # Newton from a grid of starts over [-6, 6]^2 finds only the listed points.
    problem = Himmelblau()
    listed = np.array([point for point, _ in problem.stationary_points()])
    for x in np.linspace(-6.0, 6.0, 9):
        for y in np.linspace(-6.0, 6.0, 9):
            w = np.array([x, y])
            for _ in range(100):
                w = w - np.linalg.solve(problem.hess(w), problem.grad(w))
            if np.linalg.norm(problem.grad(w)) < 1e-8:
                assert np.min(np.linalg.norm(listed - w, axis=1)) < 1e-8


# ------------------------------------------------------------------------------------------
# Hidden valley
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "problem", [HiddenValley(), HiddenValley(dim=10, width=0.1, seed=4), HiddenValley(slope=0.3)]
)
def test_hidden_valley_gradient_is_constant_outside_the_valley(problem):
    rng = np.random.default_rng(0)
    constant = problem.slope * np.ones(problem.dim)
    for distance_factor in (1.0001, 1.5, 3.0):
        for _ in range(20):
            direction = rng.standard_normal(problem.dim)
            direction /= np.linalg.norm(direction)
            w = problem.center + distance_factor * problem.valley_radius * direction
            assert not problem.in_valley(w)
            relative_change = np.linalg.norm(problem.grad(w) - constant) / np.linalg.norm(constant)
            assert relative_change < 1e-8
    # Just inside, the dip is still (barely) visible: the radius is not overly generous.
    w = problem.center + 0.9 * problem.valley_radius * direction
    assert problem.in_valley(w)
    assert np.linalg.norm(problem.grad(w) - constant) / np.linalg.norm(constant) > 1e-8


def test_hidden_valley_has_a_single_local_minimum_near_the_center():
    problem = HiddenValley()
    minimizer = problem.valley_minimizer
    assert np.linalg.norm(problem.grad(minimizer)) < 1e-10
    assert np.all(np.linalg.eigvalsh(problem.hess(minimizer)) > 0)
    assert np.linalg.norm(minimizer - problem.center) < problem.width
    assert problem.in_valley(minimizer)
    # Newton from points in the valley's core reaches the same point.
    rng = np.random.default_rng(1)
    for _ in range(10):
        w = minimizer + 0.3 * problem.width * rng.standard_normal(2)
        for _ in range(50):
            w = w - np.linalg.solve(problem.hess(w), problem.grad(w))
        np.testing.assert_allclose(w, minimizer, atol=1e-12)


@pytest.mark.parametrize("dim", [1, 2, 3])
def test_hidden_valley_smoothness_constant(dim):
    problem = HiddenValley(dim=dim, width=0.1, seed=dim)
    assert problem.L == pytest.approx(problem.depth / problem.width**2)
    axis = np.linspace(-4 * problem.width, 4 * problem.width, 41 if dim < 3 else 17)
    grid = np.stack(np.meshgrid(*[axis] * dim), axis=-1).reshape(-1, dim) + problem.center
    norms = [np.linalg.norm(problem.hess(w), 2) for w in grid]
    assert max(norms) <= problem.L * (1 + 1e-12)
    assert max(norms) >= 0.999 * problem.L  # attained at the centre, which is on the grid
    assert np.linalg.norm(problem.hess(problem.center), 2) == pytest.approx(problem.L)


def test_projected_gd_slides_to_the_corner():
    problem = HiddenValley(dim=10, width=0.1, seed=4)
    rng = np.random.default_rng(2)
    lr = 1 / problem.L
    for _ in range(5):
        w = rng.uniform(-1, 1, problem.dim)
        visited_valley = False
        for _ in range(5000):
            w = problem.project(w - lr * problem.grad(w))
            visited_valley |= problem.in_valley(w)
            if np.array_equal(w, problem.corner):
                break
        np.testing.assert_array_equal(w, -np.ones(problem.dim))
        assert not visited_valley


def test_projected_gd_in_two_dimensions_mostly_misses_the_valley():
    problem = HiddenValley()
    rng = np.random.default_rng(3)
    lr = 1 / problem.L
    ended_at_corner = 0
    starts = 20
    for _ in range(starts):
        w = rng.uniform(-1, 1, 2)
        for _ in range(2000):
            w = problem.project(w - lr * problem.grad(w))
        ended_at_corner += np.array_equal(w, problem.corner)
    assert ended_at_corner >= 0.7 * starts


def test_hidden_valley_volume_fraction():
    # Closed forms in two and three dimensions: pi r^2 / 4 and (4/3) pi r^3 / 8.
    flat = HiddenValley(dim=2, seed=0)
    assert flat.valley_volume_fraction() == pytest.approx(
        math.pi * flat.valley_radius**2 / 4, rel=1e-12
    )
    solid = HiddenValley(dim=3, seed=0)
    assert solid.valley_volume_fraction() == pytest.approx(
        4 / 3 * math.pi * solid.valley_radius**3 / 8, rel=1e-12
    )
    # The hit frequency of uniformly random queries (the ball lies inside the box here).
    rng = np.random.default_rng(11)
    queries = rng.uniform(-1, 1, size=(200_000, 2))
    hits = np.linalg.norm(queries - flat.center, axis=1) < flat.valley_radius
    fraction = flat.valley_volume_fraction()
    assert abs(hits.mean() - fraction) < 4 * math.sqrt(fraction / queries.shape[0])
    dims = [2, 5, 10, 20]
    fractions = [HiddenValley(dim=d, seed=0).valley_volume_fraction() for d in dims]
    for earlier, later in zip(fractions, fractions[1:], strict=False):
        assert later < earlier / 10


def test_hidden_valley_projection_and_arguments():
    problem = HiddenValley(center=[0.2, -0.1])
    np.testing.assert_array_equal(problem.center, [0.2, -0.1])
    np.testing.assert_array_equal(problem.project([2.0, -0.5]), [1.0, -0.5])
    np.testing.assert_array_equal(problem.project([-3.0, 0.5]), [-1.0, 0.5])
    assert np.all(np.abs(HiddenValley(dim=5, seed=9).center) <= 0.5)
    np.testing.assert_array_equal(HiddenValley(seed=9).center, HiddenValley(seed=9).center)
    assert problem.minimizer is None and problem.optimal_value is None
    with pytest.raises(ValueError, match="center"):
        HiddenValley(center=[1.5, 0.0])
    with pytest.raises(ValueError, match="center"):
        HiddenValley(center=[0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="width"):
        HiddenValley(width=0.0)
    with pytest.raises(ValueError, match="slope"):
        HiddenValley(slope=100.0)  # too steep for the dip to hold a minimum
    with pytest.raises(ValueError, match="dim"):
        HiddenValley(dim=0)
    with pytest.raises(ValueError, match=r"\bw\b"):
        problem.project([0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match=r"\bw\b"):
        problem.in_valley([0.0])


def test_module_exports():
    for name in problems.__all__:
        assert hasattr(problems, name)


def test_cyclic_linear_rounds_average_and_projection():
    problem = problems.CyclicLinear(C=3.0)
    slopes = [problem.round_slope(t) for t in range(1, 7)]
    assert slopes == [3.0, -1.0, -1.0, 3.0, -1.0, -1.0]
    w = np.array([0.4])
    # one period of losses adds up to (C - 2) w; the Problem is their average
    period = sum(problem.round_value(w, t) for t in (1, 2, 3))
    assert period == pytest.approx((3.0 - 2.0) * 0.4, rel=1e-15)
    assert problem.value(w) == pytest.approx(period / 3, rel=1e-15)
    np.testing.assert_array_equal(problem.round_grad(w, 4), [3.0])
    np.testing.assert_array_equal(problem.grad(w), [1.0 / 3.0])
    np.testing.assert_array_equal(problem.project([2.5]), [1.0])
    np.testing.assert_array_equal(problem.project([-7.0]), [-1.0])
    np.testing.assert_array_equal(problem.minimizer, [-1.0])
    assert problem.optimal_value == problem.value(problem.minimizer)


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: problems.CyclicLinear(C=2.0), "C"),
        (lambda: problems.CyclicLinear(C=-3.0), "C"),
        (lambda: problems.CyclicLinear().round_slope(0), "t"),
        (lambda: problems.CyclicLinear().round_grad([0.0, 1.0], 1), "w"),
    ],
)
def test_cyclic_linear_bad_input(make, name):
    with pytest.raises(ValueError, match=name):
        make()
