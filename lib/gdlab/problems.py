"""Test objectives with exact values, gradients, Hessians and Hessian-vector products.

Every objective is a :class:`Problem`: ``value(w)``, ``grad(w)``, ``hess(w)``, ``hvp(w, v)``,
plus ``minimizer`` and ``optimal_value`` when they are known (``None`` otherwise).

- :class:`Quadratic`: f(w) = 1/2 (w - w*)^T A (w - w*), the model of Section 4.4.
- :class:`Rosenbrock`: the curved valley, a classic test of Newton's method (4.7).
- :class:`FiniteSum` and its subclasses :class:`LeastSquares` and :class:`LogisticRegression`:
  averages L(w) = 1/n sum_i f_i(w) over examples, with minibatch gradients (Section 4.2).
- :class:`DoubleWell` and :class:`Himmelblau`: non-convex functions of two variables with
  minima, maxima and saddles (Figure 4.1, Definition 4.1.6); ``stationary_points()`` lists them.
- :class:`HiddenValley`: a smooth "needle in a haystack" on the box [-1, 1]^dim (Figure 4.2).
- :class:`CyclicLinear`: the online linear losses on [-1, 1] on which Adam fails to converge
  (Reddi et al. 2018; Section 4.6.4).

All arithmetic is vectorised float64 numpy. Bad arguments raise ``ValueError`` naming the
argument (see :mod:`gdlab._checks`). Arrays stored on an object (``A``, ``X``, ``minimizer``...)
are read-only so that a page cannot change a problem by accident.
"""

from __future__ import annotations

import abc
import functools
import math
from typing import NamedTuple

import numpy as np

from gdlab import _checks

__all__ = [
    "CyclicLinear",
    "DoubleWell",
    "FiniteSum",
    "HiddenValley",
    "Himmelblau",
    "LeastSquares",
    "LogisticRegression",
    "Problem",
    "Quadratic",
    "Rosenbrock",
    "StationaryPoint",
    "worst_case_quadratic",
]


def _read_only(array) -> np.ndarray:
    """A private float64 copy of ``array`` that cannot be written to."""
    frozen = np.array(array, dtype=np.float64)
    frozen.setflags(write=False)
    return frozen


def _format_array(array: np.ndarray) -> str:
    return np.array2string(np.asarray(array), precision=4, threshold=8, separator=", ")


class StationaryPoint(NamedTuple):
    """A point where the gradient vanishes (Definition 4.1.6), and what kind of point it is.

    Attributes
    ----------
    point : ndarray, shape (dim,)
        The stationary point.
    kind : str
        ``"minimum"``, ``"maximum"`` or ``"saddle"``, read from the signs of the Hessian's
        eigenvalues there.
    """

    point: np.ndarray
    kind: str


class Problem(abc.ABC):
    """An objective f: R^dim -> R with exact derivatives.

    The public methods check ``w`` (a finite vector of length ``dim``) and then call the
    subclass's ``_value``, ``_grad``, ``_hess`` (and optionally ``_hvp``) on a float64 array.

    Attributes
    ----------
    dim : int
        Number of variables.
    minimizer : ndarray or None
        A global minimizer, or None when it is unknown, not unique, or does not exist.
    optimal_value : float or None
        The global minimum value f(w*), or None when unknown or f is unbounded below.
    """

    dim: int
    minimizer: np.ndarray | None = None
    optimal_value: float | None = None

    def value(self, w) -> float:
        """f(w).

        Parameters
        ----------
        w : array_like, shape (dim,)
            The point, finite.

        Returns
        -------
        float
        """
        return float(self._value(self._check_w(w)))

    def grad(self, w) -> np.ndarray:
        """The gradient of f at w, shape (dim,): the first-order term of the Taylor series (4.1).

        Parameters
        ----------
        w : array_like, shape (dim,)
            The point, finite.
        """
        return self._grad(self._check_w(w))

    def hess(self, w) -> np.ndarray:
        """The Hessian of f at w, shape (dim, dim): the second-order term of (4.1).

        Parameters
        ----------
        w : array_like, shape (dim,)
            The point, finite.
        """
        return self._hess(self._check_w(w))

    def hvp(self, w, v) -> np.ndarray:
        """The exact Hessian-vector product (nabla^2 f(w)) v, shape (dim,).

        Parameters
        ----------
        w : array_like, shape (dim,)
            The point, finite.
        v : array_like, shape (dim,)
            The direction, finite.
        """
        w = self._check_w(w)
        v = _checks.vector("v", v, self.dim)
        return self._hvp(w, v)

    def _check_w(self, w) -> np.ndarray:
        return _checks.vector("w", w, self.dim)

    @abc.abstractmethod
    def _value(self, w: np.ndarray) -> float: ...

    @abc.abstractmethod
    def _grad(self, w: np.ndarray) -> np.ndarray: ...

    @abc.abstractmethod
    def _hess(self, w: np.ndarray) -> np.ndarray: ...

    def _hvp(self, w: np.ndarray, v: np.ndarray) -> np.ndarray:
        return self._hess(w) @ v

    def __repr__(self) -> str:
        return f"{type(self).__name__}(dim={self.dim})"


# --------------------------------------------------------------------------------------------
# Quadratics (Section 4.4)
# --------------------------------------------------------------------------------------------


def _haar_orthogonal(dim: int, rng: np.random.Generator) -> np.ndarray:
    """A random orthogonal matrix, uniform (Haar) on O(dim).

    QR of a Gaussian matrix, with the columns of Q multiplied by the signs of diag(R): without
    that fix the distribution depends on the QR routine's sign convention and is not uniform.
    """
    gaussian = rng.standard_normal((dim, dim))
    q, r = np.linalg.qr(gaussian)
    signs = np.sign(np.diag(r))
    signs[signs == 0] = 1.0
    return q * signs


def _rotation(angle: float) -> np.ndarray:
    cos, sin = math.cos(angle), math.sin(angle)
    return np.array([[cos, -sin], [sin, cos]])


class Quadratic(Problem):
    """The quadratic f(w) = 1/2 (w - w*)^T A (w - w*) with A = U diag(eigenvalues) U^T.

    Section 4.4's model (there with w* = 0): gradient A (w - w*), Hessian A. In the eigenbasis,
    hat-w = U^T (w - w*), it decouples into f = 1/2 sum_i lambda_i hat-w_i^2, and GD multiplies
    each hat-w_i by (1 - eta lambda_i) per step.

    Parameters
    ----------
    eigenvalues : array_like, shape (dim,)
        Eigenvalues of A, finite, any sign (negative or zero ones give saddles and flat
        directions). The i-th eigenvalue belongs to the i-th column of U.
    angle : float, optional
        Only for dim = 2: U is the rotation by ``angle`` radians, so ``angle=pi/2`` swaps the
        axes. A ValueError for any other dim.
    seed : int, optional
        U is a random orthogonal matrix, uniform (Haar), drawn reproducibly from ``seed``.
        Give at most one of ``angle`` and ``seed``; with neither, U = I.
    minimizer : array_like, shape (dim,), optional
        The centre w*, zeros by default. It is the stationary point in every case and a
        minimizer when A is positive semidefinite.

    Attributes
    ----------
    A : ndarray, shape (dim, dim)
        The symmetric matrix A, the (constant) Hessian.
    eigenvalues : ndarray, shape (dim,)
        Eigenvalues of A in ascending order.
    eigenvectors : ndarray, shape (dim, dim)
        Orthonormal eigenvectors of A as columns, in the order of ``eigenvalues``.
    L : float
        max_i |lambda_i|, the smallest smoothness constant of Definition 4.1.2 (4.8): every
        Hessian eigenvalue lies in [-L, L].
    mu : float
        The smallest eigenvalue (negative when A is indefinite).
    condition_number : float
        kappa = L / mu (Section 4.4) when mu > 0, else inf.
    center : ndarray, shape (dim,)
        w*, the unique stationary point when A is invertible.
    minimizer : ndarray or None
        ``center`` when A is positive semidefinite (then one of the minimizers if some
        eigenvalue is 0); None when some eigenvalue is negative: f is unbounded below.
    optimal_value : float or None
        0.0 when A is positive semidefinite, else None.
    """

    def __init__(self, eigenvalues, angle=None, seed=None, minimizer=None):
        eigenvalues = _checks.finite_array("eigenvalues", eigenvalues, ndim=1)
        dim = eigenvalues.size
        if dim == 0:
            raise ValueError("eigenvalues must contain at least one value, got an empty array")
        if angle is not None and seed is not None:
            raise ValueError(
                f"give at most one of angle and seed, got angle={angle!r} and seed={seed!r}"
            )
        if angle is not None:
            angle = _checks.real_scalar("angle", angle)
            if dim != 2:
                raise ValueError(
                    f"angle={angle} rotates a 2-D eigenbasis, but eigenvalues has {dim} entries;"
                    " use seed=... for a random eigenbasis"
                )
            basis = _rotation(angle)
        elif seed is not None:
            seed = _checks.non_negative_int("seed", seed)
            basis = _haar_orthogonal(dim, np.random.default_rng(seed))
        else:
            basis = np.eye(dim)
        matrix = (basis * eigenvalues) @ basis.T
        self._set_up((matrix + matrix.T) / 2, eigenvalues, basis, minimizer)

    @classmethod
    def from_matrix(cls, A, minimizer=None) -> Quadratic:
        r"""The quadratic 1/2 (w - w*)^T A (w - w*) for a given symmetric finite matrix ``A``.

        Parameters
        ----------
        A : array_like, shape (dim, dim)
            Symmetric (up to rounding) and finite; its eigenvalues may have any sign.
        minimizer : array_like, shape (dim,), optional
            The centre :math:`w^\star` (default 0).

        Returns
        -------
        Quadratic
        """
        matrix = _checks.symmetric_matrix("A", A)
        if matrix.size == 0:
            raise ValueError("A must be at least 1 x 1, got shape (0, 0)")
        eigenvalues, eigenvectors = np.linalg.eigh(matrix)
        quadratic = cls.__new__(cls)
        quadratic._set_up(matrix, eigenvalues, eigenvectors, minimizer)
        return quadratic

    def _set_up(self, matrix, eigenvalues, eigenvectors, minimizer) -> None:
        self.dim = int(matrix.shape[0])
        center = (
            np.zeros(self.dim)
            if minimizer is None
            else _checks.vector("minimizer", minimizer, self.dim)
        )
        order = np.argsort(eigenvalues, kind="stable")
        self.A = _read_only(matrix)
        self.eigenvalues = _read_only(eigenvalues[order])
        self.eigenvectors = _read_only(eigenvectors[:, order])
        self.center = _read_only(center)
        self.L = float(np.max(np.abs(self.eigenvalues)))
        self.mu = float(self.eigenvalues[0])
        self.condition_number = self.L / self.mu if self.mu > 0 else math.inf
        positive_semidefinite = self.mu >= 0
        self.minimizer = self.center if positive_semidefinite else None
        self.optimal_value = 0.0 if positive_semidefinite else None

    def jacobi_preconditioned(self) -> Quadratic:
        """The quadratic GD sees after diagonal (Jacobi) preconditioning with D = diag(A).

        Preconditioning GD by D (Section 4.4.1), w <- w - eta D^{-1} grad f(w), is plain GD on
        u = D^{1/2} w, a quadratic with Hessian D^{-1/2} A D^{-1/2}; its condition number says
        how much a per-coordinate step helps. It is 1 for a diagonal A and unchanged when
        diag(A) is a multiple of I. The minimizer moves to D^{1/2} w*.

        Raises
        ------
        ValueError
            If a diagonal entry of A is not positive (no such rescaling exists).
        """
        diagonal = np.diag(self.A)
        if np.any(diagonal <= 0):
            raise ValueError(
                "diag(A) must be positive for Jacobi preconditioning, "
                f"got {_format_array(diagonal)}"
            )
        scale = 1.0 / np.sqrt(diagonal)
        matrix = self.A * np.outer(scale, scale)
        return Quadratic.from_matrix((matrix + matrix.T) / 2, minimizer=self.center / scale)

    def to_eigenbasis(self, w) -> np.ndarray:
        """hat-w = U^T (w - w*), the decoupled coordinates of Section 4.4.

        Parameters
        ----------
        w : array_like, shape (dim,)
            The point, finite.

        Returns
        -------
        ndarray, shape (dim,)
        """
        w = self._check_w(w)
        return self.eigenvectors.T @ (w - self.center)

    def _value(self, w):
        offset = w - self.center
        return 0.5 * offset @ (self.A @ offset)

    def _grad(self, w):
        return self.A @ (w - self.center)

    def _hess(self, w):
        return np.array(self.A)

    def _hvp(self, w, v):
        return self.A @ v

    def __repr__(self) -> str:
        text = (
            f"Quadratic(dim={self.dim}, eigenvalues={_format_array(self.eigenvalues)}, "
            f"L={self.L:.4g}, mu={self.mu:.4g}, condition_number={self.condition_number:.4g}"
        )
        if np.any(self.center != 0):
            text += f", center={_format_array(self.center)}"
        return text + ")"


# --------------------------------------------------------------------------------------------
# Rosenbrock
# --------------------------------------------------------------------------------------------


class Rosenbrock(Problem):
    """Rosenbrock's banana f(x, y) = (a - x)^2 + b (y - x^2)^2, in two variables.

    A narrow curved valley along y = x^2: GD (4.2) crawls along it while Newton's method (4.7)
    follows it. The unique minimizer is (a, a^2), with value 0.

    Parameters
    ----------
    a : float
        Position of the minimizer along x.
    b : float
        Steepness of the valley walls, > 0.
    """

    def __init__(self, a=1.0, b=100.0):
        self.a = _checks.real_scalar("a", a)
        self.b = _checks.positive("b", b)
        self.dim = 2
        self.minimizer = _read_only([self.a, self.a**2])
        self.optimal_value = 0.0

    def _value(self, w):
        x, y = w
        return (self.a - x) ** 2 + self.b * (y - x**2) ** 2

    def _grad(self, w):
        x, y = w
        valley_offset = y - x**2
        return np.array(
            [-2.0 * (self.a - x) - 4.0 * self.b * x * valley_offset, 2.0 * self.b * valley_offset]
        )

    def _hess(self, w):
        x, y = w
        cross = -4.0 * self.b * x
        return np.array(
            [[2.0 - 4.0 * self.b * y + 12.0 * self.b * x**2, cross], [cross, 2.0 * self.b]]
        )

    def __repr__(self) -> str:
        return f"Rosenbrock(a={self.a:g}, b={self.b:g})"


# --------------------------------------------------------------------------------------------
# Finite sums (Section 4.2)
# --------------------------------------------------------------------------------------------


def _check_data(X, y) -> tuple[np.ndarray, np.ndarray]:
    features = _checks.finite_array("X", X, ndim=2)
    targets = _checks.finite_array("y", y, ndim=1)
    if features.shape[0] == 0 or features.shape[1] == 0:
        raise ValueError(f"X must have at least one row and one column, got shape {features.shape}")
    if targets.shape[0] != features.shape[0]:
        raise ValueError(
            f"X and y must have the same number of examples, got X of shape {features.shape}"
            f" and y of shape {targets.shape}"
        )
    return features, targets


class FiniteSum(Problem):
    """An average over n examples, L(w) = 1/n sum_i f_i(w) (Section 4.2).

    Each example loss depends on w through a linear prediction,
    f_i(w) = loss(x_i^T w, y_i) + ridge/2 ||w||^2, so that value, gradient and Hessian are
    exact averages computed in one matrix product. The ridge term is put into every f_i so the
    finite sum stays exact: every minibatch gradient (Section 4.2's g_t) is an unbiased
    estimate of the full gradient.

    Subclasses define the scalar loss and its first two derivatives in the prediction.

    Parameters
    ----------
    X : array_like, shape (n, dim)
        Finite features, at least one row and one column.
    y : array_like, shape (n,)
        Finite targets.
    ridge : float
        The ridge coefficient, >= 0.

    Attributes
    ----------
    n : int
        Number of examples.
    X : ndarray, shape (n, dim)
        Features, one example per row.
    y : ndarray, shape (n,)
        Targets.
    ridge : float
        Coefficient of the ridge (weight-decay) term ridge/2 ||w||^2, >= 0.
    """

    def __init__(self, X, y, ridge):
        self.X = _read_only(X)
        self.y = _read_only(y)
        self.n, self.dim = (int(size) for size in self.X.shape)
        self.ridge = _checks.non_negative("ridge", ridge)

    @staticmethod
    @abc.abstractmethod
    def _loss(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Per-example loss as a function of the prediction x_i^T w."""

    @staticmethod
    @abc.abstractmethod
    def _loss_slope(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """First derivative of the loss in the prediction."""

    @staticmethod
    @abc.abstractmethod
    def _loss_curvature(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """Second derivative of the loss in the prediction."""

    def example_values(self, w, indices=None) -> np.ndarray:
        """The example losses f_i(w) for i in ``indices`` (all n by default), shape (k,).

        Parameters
        ----------
        w : array_like, shape (dim,)
            The point, finite.
        indices : array_like of int, optional
            Example indices in [0, n).
        """
        w = self._check_w(w)
        rows = self._check_indices(indices)
        predictions = self.X[rows] @ w
        return self._loss(predictions, self.y[rows]) + 0.5 * self.ridge * (w @ w)

    def example_grads(self, w, indices=None) -> np.ndarray:
        """The example gradients nabla f_i(w) for i in ``indices`` as rows, shape (k, dim).

        Parameters
        ----------
        w : array_like, shape (dim,)
            The point, finite.
        indices : array_like of int, optional
            Example indices in [0, n).
        """
        w = self._check_w(w)
        rows = self._check_indices(indices)
        features = self.X[rows]
        slopes = self._loss_slope(features @ w, self.y[rows])
        return slopes[:, None] * features + self.ridge * w

    def minibatch_gradient(self, w, indices) -> np.ndarray:
        """g(w) = 1/B sum_{i in S} nabla f_i(w), Section 4.2's minibatch gradient, shape (dim,).

        ``indices`` lists the B examples of the minibatch S; repeats count as often as they
        appear.

        Parameters
        ----------
        w : array_like, shape (dim,)
            The point, finite.
        indices : array_like of int
            The B >= 1 example indices in [0, n).

        Returns
        -------
        ndarray, shape (dim,)
        """
        w = self._check_w(w)
        rows = self._check_indices(indices)
        if rows.size == 0:
            raise ValueError("indices must contain at least one example index, got an empty array")
        return self._minibatch_gradient(w, rows)

    def stochastic_grad(self, w, batch_size, rng, replace=True) -> np.ndarray:
        """The minibatch gradient over ``batch_size`` indices drawn uniformly at random.

        The indices come from ``rng.choice(n, batch_size, replace=replace)``, so the result is an
        unbiased estimate of ``grad(w)`` (Section 4.2) and reproducible given the state of
        ``rng``. Without replacement ``batch_size`` must be at most ``n``; with
        ``batch_size = n`` it is then the full gradient.

        Parameters
        ----------
        w : array_like, shape (dim,)
        batch_size : int
            Minibatch size B >= 1.
        rng : numpy.random.Generator
            Source of randomness, e.g. ``np.random.default_rng(seed)``.
        replace : bool
            Draw with replacement (i.i.d. indices) or without.
        """
        w = self._check_w(w)
        batch_size = _checks.positive_int("batch_size", batch_size)
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                f"rng must be a numpy Generator such as np.random.default_rng(0), got {rng!r}"
            )
        if not isinstance(replace, (bool, np.bool_)):
            raise ValueError(f"replace must be True or False, got {replace!r}")
        if not replace and batch_size > self.n:
            raise ValueError(
                f"batch_size={batch_size} exceeds the number of examples n={self.n};"
                " without replacement batch_size must be at most n"
            )
        rows = rng.choice(self.n, size=batch_size, replace=bool(replace))
        return self._minibatch_gradient(w, rows)

    def _check_indices(self, indices):
        if indices is None:
            return slice(None)
        rows = np.asarray(indices)
        if rows.ndim != 1:
            raise ValueError(f"indices must be a 1-D array of integers, got shape {rows.shape}")
        if rows.size == 0:
            return rows.astype(np.intp)
        if rows.dtype.kind not in "iu":
            raise ValueError(f"indices must be integers, got dtype {rows.dtype}: {rows!r}")
        if rows.min() < 0 or rows.max() >= self.n:
            raise ValueError(
                f"indices must lie in [0, n) = [0, {self.n}), got values from {rows.min()}"
                f" to {rows.max()}"
            )
        return rows

    def _minibatch_gradient(self, w, rows):
        features = self.X[rows]
        slopes = self._loss_slope(features @ w, self.y[rows])
        return features.T @ slopes / len(slopes) + self.ridge * w

    def _value(self, w):
        return np.mean(self._loss(self.X @ w, self.y)) + 0.5 * self.ridge * (w @ w)

    def _grad(self, w):
        return self.X.T @ self._loss_slope(self.X @ w, self.y) / self.n + self.ridge * w

    def _hess(self, w):
        curvatures = self._loss_curvature(self.X @ w, self.y)
        data_hessian = (self.X.T * curvatures) @ self.X / self.n
        return (data_hessian + data_hessian.T) / 2 + self.ridge * np.eye(self.dim)

    def _hvp(self, w, v):
        curvatures = self._loss_curvature(self.X @ w, self.y)
        return self.X.T @ (curvatures * (self.X @ v)) / self.n + self.ridge * v

    def __repr__(self) -> str:
        return f"{type(self).__name__}(n={self.n}, dim={self.dim}, ridge={self.ridge:g})"


class LeastSquares(FiniteSum):
    """Least squares, f_i(w) = 1/2 (x_i^T w - y_i)^2 + ridge/2 ||w||^2, averaged over examples.

    A quadratic (Section 4.4) with A = X^T X / n + ridge I, written as a finite sum so that
    SGD (Section 4.2) has examples to sample.

    Parameters
    ----------
    X : array_like, shape (n, d), optional
        Features. When None, synthetic data are drawn: X has i.i.d. standard normal entries
        and y = X w_true + noise * standard normal, with w_true standard normal.
    y : array_like, shape (n,), optional
        Targets; required exactly when X is given.
    n, d, noise, seed :
        Size, noise level and seed of the synthetic data; ignored when X is given.
    ridge : float
        Ridge coefficient, >= 0.

    Attributes
    ----------
    true_weights : ndarray or None
        w_true of the synthetic data; None for caller data.
    L, mu : float
        Largest and smallest eigenvalue of the constant Hessian X^T X / n + ridge I: the
        smoothness constant (4.8) and the strong-convexity constant.
    condition_number : float
        L / mu when mu > 0, else inf.
    minimizer : ndarray
        The exact minimizer, from the normal equations when ridge > 0 and from
        ``np.linalg.lstsq`` (the minimum-norm minimizer) when ridge = 0.
    optimal_value : float
        The value at ``minimizer``.
    """

    def __init__(self, X=None, y=None, *, n=200, d=5, noise=0.1, seed=0, ridge=0.0):
        if X is None:
            if y is not None:
                raise ValueError("y was given without X; pass both X and y, or neither")
            n = _checks.positive_int("n", n)
            d = _checks.positive_int("d", d)
            noise = _checks.non_negative("noise", noise)
            rng = np.random.default_rng(_checks.non_negative_int("seed", seed))
            X = rng.standard_normal((n, d))
            true_weights = rng.standard_normal(d)
            y = X @ true_weights + noise * rng.standard_normal(n)
            self.true_weights = _read_only(true_weights)
        else:
            if y is None:
                raise ValueError("X was given without y; pass both X and y, or neither")
            X, y = _check_data(X, y)
            self.true_weights = None
        super().__init__(X, y, ridge)
        gram = self.X.T @ self.X / self.n
        gram_eigenvalues = np.linalg.eigvalsh(gram)
        self.L = float(gram_eigenvalues[-1]) + self.ridge
        # The Gram matrix is PSD: a negative smallest eigenvalue is rounding error.
        self.mu = max(float(gram_eigenvalues[0]), 0.0) + self.ridge
        self.condition_number = self.L / self.mu if self.mu > 0 else math.inf
        if self.ridge > 0:
            minimizer = np.linalg.solve(
                gram + self.ridge * np.eye(self.dim), self.X.T @ self.y / self.n
            )
        else:
            minimizer = np.linalg.lstsq(self.X, self.y, rcond=None)[0]
        self.minimizer = _read_only(minimizer)
        self.optimal_value = float(self._value(self.minimizer))

    @staticmethod
    def _loss(predictions, targets):
        return 0.5 * (predictions - targets) ** 2

    @staticmethod
    def _loss_slope(predictions, targets):
        return predictions - targets

    @staticmethod
    def _loss_curvature(predictions, targets):
        return np.ones_like(predictions)


def _sigmoid(t: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-t)) without overflow: exp(-log(1 + exp(-t)))."""
    return np.exp(-np.logaddexp(0.0, -t))


class LogisticRegression(FiniteSum):
    """Logistic regression, f_i(w) = log(1 + exp(-s_i x_i^T w)) + ridge/2 ||w||^2.

    Labels are y_i in {0, 1} and s_i = 2 y_i - 1 in {-1, +1}. The loss is computed as
    ``np.logaddexp(0, -s_i x_i^T w)``, so it is exact and warning-free even for huge |w|.

    The Hessian is X^T diag(sigma_i (1 - sigma_i)) X / n + ridge I with sigma_i = sigma(x_i^T w).
    Since sigma (1 - sigma) <= 1/4, with equality at w = 0, the smallest smoothness constant
    (Definition 4.1.2) is exactly L = lambda_max(X^T X) / (4 n) + ridge = lambda_max(hess(0)).

    Parameters
    ----------
    X : array_like, shape (n, d), optional
        Features. When None, synthetic data are drawn: standard normal features, a standard
        normal w_true, and labels y_i ~ Bernoulli(sigma(x_i^T w_true)). The random labels
        disagree with w_true on some examples, so when n is much larger than d the classes are
        not linearly separable and a minimizer exists.
    y : array_like, shape (n,), optional
        Labels in {0, 1}; required exactly when X is given.
    n, d, seed :
        Size and seed of the synthetic data; ignored when X is given.
    ridge : float
        Ridge coefficient, >= 0.

    Attributes
    ----------
    true_weights : ndarray or None
        w_true of the synthetic data; None for caller data.
    L : float
        lambda_max(X^T X) / (4 n) + ridge, the exact smoothness constant.
    mu : float
        ``ridge``: the infimum over w of the Hessian's smallest eigenvalue (the data term's
        curvature vanishes as |w| grows).
    minimizer, optimal_value : ndarray, float, or None
        When ridge > 0, computed on first access by damped Newton's method (4.7) until the
        gradient norm is at most 1e-12 (or rounding stops progress). None when ridge = 0: a
        minimizer need not exist (separable data).
    """

    def __init__(self, X=None, y=None, *, n=200, d=5, seed=0, ridge=0.0):
        if X is None:
            if y is not None:
                raise ValueError("y was given without X; pass both X and y, or neither")
            n = _checks.positive_int("n", n)
            d = _checks.positive_int("d", d)
            rng = np.random.default_rng(_checks.non_negative_int("seed", seed))
            X = rng.standard_normal((n, d))
            true_weights = rng.standard_normal(d)
            y = (rng.random(n) < _sigmoid(X @ true_weights)).astype(np.float64)
            self.true_weights = _read_only(true_weights)
        else:
            if y is None:
                raise ValueError("X was given without y; pass both X and y, or neither")
            X, y = _check_data(X, y)
            bad_labels = np.unique(y[(y != 0) & (y != 1)])
            if bad_labels.size:
                raise ValueError(
                    f"y must contain only the labels 0 and 1, got other values "
                    f"{_format_array(bad_labels)}"
                )
            self.true_weights = None
        super().__init__(X, y, ridge)
        self.L = float(np.linalg.eigvalsh(self.X.T @ self.X)[-1]) / (4 * self.n) + self.ridge
        self.mu = self.ridge

    @functools.cached_property
    def minimizer(self) -> np.ndarray | None:
        if self.ridge == 0:
            return None
        return _read_only(self._newton_minimize())

    @functools.cached_property
    def optimal_value(self) -> float | None:
        return None if self.minimizer is None else float(self._value(self.minimizer))

    def _newton_minimize(self, tolerance=1e-12, max_steps=100) -> np.ndarray:
        # Backtracking on ||grad||^2, for which the Newton direction is a descent direction
        # (its slope is -2 ||grad||^2); near the optimum the gradient norm, unlike the value,
        # is still resolved in float64.
        w = np.zeros(self.dim)
        gradient = self._grad(w)
        for _ in range(max_steps):
            gradient_norm_sq = gradient @ gradient
            if gradient_norm_sq <= tolerance**2:
                break
            direction = np.linalg.solve(self._hess(w), gradient)
            step = 1.0
            while step > 1e-10:
                candidate = w - step * direction
                candidate_gradient = self._grad(candidate)
                if candidate_gradient @ candidate_gradient <= (1 - 1e-4 * step) * gradient_norm_sq:
                    break
                step /= 2
            else:
                break
            w, gradient = candidate, candidate_gradient
        return w

    @staticmethod
    def _loss(predictions, targets):
        signs = 2.0 * targets - 1.0
        return np.logaddexp(0.0, -signs * predictions)

    @staticmethod
    def _loss_slope(predictions, targets):
        signs = 2.0 * targets - 1.0
        return -signs * _sigmoid(-signs * predictions)

    @staticmethod
    def _loss_curvature(predictions, targets):
        # sigma(t) (1 - sigma(t)) = exp(-log(1 + e^-t) - log(1 + e^t)), finite for every t.
        return np.exp(-np.logaddexp(0.0, predictions) - np.logaddexp(0.0, -predictions))


# --------------------------------------------------------------------------------------------
# Non-convex examples in two variables (Figure 4.1, Definition 4.1.6)
# --------------------------------------------------------------------------------------------


def _newton_stationary_point(problem: Problem, start, max_steps=50) -> np.ndarray:
    """Newton's method (4.7) on grad f = 0 from ``start``; converges to the nearby stationary
    point of any kind when started close enough."""
    w = np.array(start, dtype=np.float64)
    for _ in range(max_steps):
        step = np.linalg.solve(problem._hess(w), problem._grad(w))
        w = w - step
        if np.linalg.norm(step) <= 1e-15 * (1 + np.linalg.norm(w)):
            break
    return w


class DoubleWell(Problem):
    """f(x, y) = a x^2 / 2 + y^4 / 4 - y^2 / 2: two wells separated by a saddle.

    Gradient (a x, y^3 - y); stationary points: a saddle at the origin (Hessian diag(a, -1))
    and two global minima at (0, +1) and (0, -1) (Hessian diag(a, 2)) with value -1/4. GD from
    the y = 0 line converges to the saddle; from anywhere else it reaches a minimum.

    Parameters
    ----------
    a : float
        Curvature along x, > 0.

    Attributes
    ----------
    minimizer : None
        The global minimum is attained at two points; see ``stationary_points()``.
    optimal_value : float
        -1/4.
    """

    def __init__(self, a=1.0):
        self.a = _checks.positive("a", a)
        self.dim = 2
        self.minimizer = None
        self.optimal_value = -0.25

    def stationary_points(self) -> list[StationaryPoint]:
        """All stationary points (Definition 4.1.6) with their kind.

        Returns
        -------
        list of StationaryPoint
        """
        return [
            StationaryPoint(_read_only([0.0, 0.0]), "saddle"),
            StationaryPoint(_read_only([0.0, 1.0]), "minimum"),
            StationaryPoint(_read_only([0.0, -1.0]), "minimum"),
        ]

    def _value(self, w):
        x, y = w
        return 0.5 * self.a * x**2 + 0.25 * y**4 - 0.5 * y**2

    def _grad(self, w):
        x, y = w
        return np.array([self.a * x, y**3 - y])

    def _hess(self, w):
        y = w[1]
        return np.array([[self.a, 0.0], [0.0, 3.0 * y**2 - 1.0]])

    def __repr__(self) -> str:
        return f"DoubleWell(a={self.a:g})"


# Approximate locations, refined by Newton's method at construction.
_HIMMELBLAU_STARTS = (
    ((3.0, 2.0), "minimum"),
    ((-2.805118, 3.131312), "minimum"),
    ((-3.779310, -3.283186), "minimum"),
    ((3.584428, -1.848126), "minimum"),
    ((-0.270845, -0.923039), "maximum"),
    ((0.086677, 2.884254), "saddle"),
    ((-3.073026, -0.081353), "saddle"),
    ((3.385154, 0.073852), "saddle"),
    ((-0.127961, -1.953715), "saddle"),
)


class Himmelblau(Problem):
    """Himmelblau's function f(x, y) = (x^2 + y - 11)^2 + (x + y^2 - 7)^2.

    Four global minima with value 0 (one at (3, 2)), one local maximum near (-0.27, -0.92) and
    four saddles: a picture of Figure 4.1's non-convex landscape, where GD stops at whichever
    stationary point its basin leads to.

    Attributes
    ----------
    minimizer : None
        The global minimum is attained at four points; see ``stationary_points()``.
    optimal_value : float
        0.0.
    """

    def __init__(self):
        self.dim = 2
        self.minimizer = None
        self.optimal_value = 0.0
        self._stationary_points = tuple(
            StationaryPoint(_read_only(_newton_stationary_point(self, start)), kind)
            for start, kind in _HIMMELBLAU_STARTS
        )

    def stationary_points(self) -> list[StationaryPoint]:
        """All nine stationary points (Definition 4.1.6), found by Newton's method to ~1e-15.

        Returns
        -------
        list of StationaryPoint
        """
        return list(self._stationary_points)

    def _value(self, w):
        x, y = w
        return (x**2 + y - 11.0) ** 2 + (x + y**2 - 7.0) ** 2

    def _grad(self, w):
        x, y = w
        first, second = x**2 + y - 11.0, x + y**2 - 7.0
        return np.array([4.0 * x * first + 2.0 * second, 2.0 * first + 4.0 * y * second])

    def _hess(self, w):
        x, y = w
        first, second = x**2 + y - 11.0, x + y**2 - 7.0
        cross = 4.0 * (x + y)
        return np.array(
            [[4.0 * first + 8.0 * x**2 + 2.0, cross], [cross, 4.0 * second + 8.0 * y**2 + 2.0]]
        )

    def __repr__(self) -> str:
        return "Himmelblau()"


# --------------------------------------------------------------------------------------------
# The hidden valley (Section 4.6.1, Figure 4.2)
# --------------------------------------------------------------------------------------------


def _solve_bump_equation(target: float, beyond_peak: bool) -> float:
    """The root q of q exp(-q^2 / 2) = target (0 < target < exp(-1/2)).

    The left side rises on [0, 1] to its peak exp(-1/2) and falls after, so there are two
    roots; ``beyond_peak`` picks the one > 1. Bisection to float64 resolution.
    """

    def bump(q):
        return q * math.exp(-0.5 * q * q)

    low, high = (1.0, 2.0) if beyond_peak else (0.0, 1.0)
    while beyond_peak and bump(high) > target:
        low, high = high, 2 * high
    for _ in range(200):
        middle = 0.5 * (low + high)
        if middle in (low, high):
            break
        if (bump(middle) > target) == beyond_peak:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


class HiddenValley(Problem):
    """A smooth "needle in a haystack" on the box [-1, 1]^dim (Section 4.6.1, Figure 4.2).

    f(w) = slope * sum_i w_i - depth * exp(-||w - c||^2 / (2 width^2)).

    Away from the centre c the gradient is the constant slope * (1, ..., 1): beyond
    ``valley_radius`` it differs from that constant by less than 1e-8 relative, so value and
    gradient queries there reveal nothing about where c is. Inside, the Gaussian dip holds a
    single local minimum, ``valley_minimizer``, the needle. Projected GD,
    w <- project(w - eta grad(w)), from a typical start slides straight to the corner
    (-1, ..., -1) and never sees the valley; in high dimension the valley is a vanishing
    fraction of the box, and locating it takes exp(Omega(dim)) queries.

    The function is L-smooth (Definition 4.1.2) with L = depth / width^2: the Hessian is
    depth g / width^2 (I - r r^T / width^2) with r = w - c and g = exp(-|r|^2 / (2 width^2)),
    whose largest |eigenvalue| is depth / width^2, attained at the centre. A small width gives
    a sharp, hard-to-find needle and a large L.

    Parameters
    ----------
    dim : int
        Dimension.
    slope : float
        Size of the constant gradient per coordinate, > 0.
    depth : float
        Depth of the Gaussian dip, > 0.
    width : float
        Standard deviation of the dip, > 0.
    center : array_like, shape (dim,), optional
        c, inside the box; by default a point drawn uniformly from [-0.5, 0.5]^dim with ``seed``.
    seed : int
        Seed for the default centre.

    Attributes
    ----------
    center : ndarray
        c.
    L : float
        depth / width^2.
    valley_minimizer : ndarray
        The unique local minimum, at c - q width (1, ..., 1) / sqrt(dim) where
        q exp(-q^2/2) = slope sqrt(dim) width / depth, q < 1. This requires
        slope sqrt(dim) width / depth < exp(-1/2); otherwise the dip has no minimum and the
        constructor raises ValueError.
    valley_radius : float
        Distance from c beyond which |grad f - slope 1| < 1e-8 |slope 1|.
    corner : ndarray
        (-1, ..., -1), where projected GD ends from a typical start.
    minimizer, optimal_value : None
        On R^dim the function is unbounded below; on the box the global minimum is at the
        corner or in the valley depending on ``center`` and ``depth``. The object of
        Section 4.6.1 is the stationary point, ``valley_minimizer``.
    """

    def __init__(self, dim=2, slope=1.0, depth=2.0, width=0.05, center=None, seed=0):
        self.dim = _checks.positive_int("dim", dim)
        self.slope = _checks.positive("slope", slope)
        self.depth = _checks.positive("depth", depth)
        self.width = _checks.positive("width", width)
        if center is None:
            rng = np.random.default_rng(_checks.non_negative_int("seed", seed))
            center = rng.uniform(-0.5, 0.5, size=self.dim)
        else:
            center = _checks.vector("center", center, self.dim)
            if np.any(np.abs(center) > 1):
                raise ValueError(
                    f"center must lie in the box [-1, 1]^{self.dim}, got {_format_array(center)}"
                )
        self.center = _read_only(center)
        # Gradient zero at distance q * width along -(1, ..., 1) needs q exp(-q^2/2) = ratio.
        ratio = self.slope * math.sqrt(self.dim) * self.width / self.depth
        if ratio >= math.exp(-0.5):
            raise ValueError(
                f"slope * sqrt(dim) * width / depth = {ratio:.4g} must be below exp(-1/2) = "
                f"{math.exp(-0.5):.4g} for the valley to hold a local minimum (got slope="
                f"{self.slope:g}, dim={self.dim}, width={self.width:g}, depth={self.depth:g})"
            )
        offset = _solve_bump_equation(ratio, beyond_peak=False) * self.width
        self.valley_minimizer = _read_only(self.center - offset / math.sqrt(self.dim))
        self.valley_radius = _solve_bump_equation(1e-8 * ratio, beyond_peak=True) * self.width
        self.L = self.depth / self.width**2
        self.corner = _read_only(-np.ones(self.dim))
        self.minimizer = None
        self.optimal_value = None

    def project(self, w) -> np.ndarray:
        """The Euclidean projection of w onto the box [-1, 1]^dim (clipping).

        Parameters
        ----------
        w : array_like, shape (dim,)
            The point, finite.

        Returns
        -------
        ndarray, shape (dim,)
        """
        return np.clip(self._check_w(w), -1.0, 1.0)

    def valley_volume_fraction(self) -> float:
        """The fraction of the box [-1, 1]^dim within ``valley_radius`` of the centre.

        The volume of a dim-ball of radius r, pi^(dim/2) r^dim / Gamma(dim/2 + 1), over the
        box's volume 2^dim (Section 4.6.1): the chance that a uniformly random query sees the
        valley at all, assuming the ball lies inside the box. It falls exponentially with dim,
        so a search by random queries needs about 1 / fraction of them.
        """
        d, r = self.dim, self.valley_radius
        return math.exp(0.5 * d * math.log(math.pi) + d * math.log(r / 2) - math.lgamma(d / 2 + 1))

    def in_valley(self, w) -> bool:
        """True when w lies within ``valley_radius`` of the centre, inside the dip.

        Parameters
        ----------
        w : array_like, shape (dim,)
            The point, finite.

        Returns
        -------
        bool
        """
        return bool(np.linalg.norm(self._check_w(w) - self.center) < self.valley_radius)

    def _dip(self, offset):
        return self.depth * np.exp(-(offset @ offset) / (2.0 * self.width**2))

    def _value(self, w):
        offset = w - self.center
        return self.slope * np.sum(w) - self._dip(offset)

    def _grad(self, w):
        offset = w - self.center
        return self.slope + self._dip(offset) / self.width**2 * offset

    def _hess(self, w):
        offset = w - self.center
        outer = np.outer(offset, offset) / self.width**2
        return self._dip(offset) / self.width**2 * (np.eye(self.dim) - outer)

    def _hvp(self, w, v):
        offset = w - self.center
        return self._dip(offset) / self.width**2 * (v - offset * (offset @ v) / self.width**2)

    def __repr__(self) -> str:
        return (
            f"HiddenValley(dim={self.dim}, slope={self.slope:g}, depth={self.depth:g}, "
            f"width={self.width:g}, center={_format_array(self.center)})"
        )


def worst_case_quadratic(dim, L, mu=0.0) -> Quadratic:
    r"""Nesterov's worst-case quadratic for first-order methods (the lower bounds of Section 4.3).

    .. math::
        f(w) = \frac{L - \mu}{8} \left(w^\top T w - 2 w_1\right) + \frac{\mu}{2}\|w\|^2,
        \qquad T = \operatorname{tridiag}(-1, 2, -1) \in \mathbb R^{d \times d},

    returned in the form :math:`\tfrac12 (w - w^\star)^\top A (w - w^\star)` with
    :math:`A = \tfrac{L - \mu}{4} T + \mu I` (eigenvalues in :math:`(\mu, L)`) and
    :math:`w^\star = A^{-1} \tfrac{L - \mu}{4} e_1` (the two differ by a constant). Started at
    :math:`w_0 = 0`, a method whose iterates stay in
    :math:`w_0 + \operatorname{span}\{\nabla f(w_0), \dots, \nabla f(w_{t-1})\}` (GD, the heavy
    ball, Nesterov) has :math:`w_t` zero beyond its first :math:`t` coordinates, because each
    product with the tridiagonal :math:`A` reaches one coordinate further. Hence
    :math:`\|w_t - w^\star\| \ge \|w^\star_{t+1:d}\|`, whatever the method. For
    :math:`\mu > 0` and large :math:`d`,
    :math:`w^\star_i \approx q^i` with :math:`q = (\sqrt\kappa - 1)/(\sqrt\kappa + 1)`, which gives
    the lower bound :math:`\|w_t - w^\star\| \gtrsim q^t \|w^\star\|`: no first-order method
    beats the tuned heavy ball's rate on every quadratic (Nesterov 2004, Theorem 2.1.13). For
    :math:`\mu = 0` and :math:`d = 2t + 1`,
    :math:`f(w_t) - f^\star \ge 3L\|w_0 - w^\star\|^2 / (32 (t+1)^2)` (Theorem 2.1.7).

    Parameters
    ----------
    dim : int
        :math:`d \ge 1`.
    L : float
        The upper end of the spectrum, > 0.
    mu : float, optional
        The lower end, :math:`0 \le \mu < L` (default 0: smooth, not strongly convex).

    Returns
    -------
    Quadratic
        With ``minimizer`` :math:`w^\star` and start :math:`w_0 = 0`.
    """
    dim = _checks.positive_int("dim", dim)
    L = _checks.positive("L", L)
    mu = _checks.non_negative("mu", mu)
    if not mu < L:
        raise ValueError(f"mu must be smaller than L, got mu={mu}, L={L}")
    scale = (L - mu) / 4.0
    A = mu * np.eye(dim)
    A += scale * (2.0 * np.eye(dim) - np.eye(dim, k=1) - np.eye(dim, k=-1))
    b = np.zeros(dim)
    b[0] = scale
    return Quadratic.from_matrix(A, minimizer=np.linalg.solve(A, b))


# --------------------------------------------------------------------------------------------
# An online convex problem on which Adam fails (Section 4.6.4)
# --------------------------------------------------------------------------------------------


class CyclicLinear(Problem):
    r"""Reddi, Kale and Kumar's (2018) counterexample: linear losses on :math:`[-1, 1]`, in turn.

    Round :math:`t` (counted from 1) brings the loss

    .. math::
        f_t(x) = \begin{cases} C x, & t \bmod 3 = 1, \\ -x, & \text{otherwise,} \end{cases}
        \qquad x \in [-1, 1],\ C > 2 .

    Over a period of three rounds the losses add up to :math:`(C - 2)x`, so the best fixed
    point is :math:`x^\star = -1`. The large gradient :math:`C` comes once in three rounds; an
    adaptive method that divides each step by a short average of squared gradients (Adam with a
    small :math:`\beta_2`) shrinks that step as much as the two small ones and drifts to
    :math:`x = +1`, the worst point; AMSGrad does not (Section 4.6.4).

    As a :class:`Problem` this is the *average* loss over a period, :math:`f(x) = (C - 2)x / 3`,
    minimised at ``minimizer = [-1]`` on the box; :meth:`round_grad` gives the loss of one
    round, which :func:`gdlab.theory.run_online` feeds to an optimizer.

    Parameters
    ----------
    C : float, optional
        The large gradient, > 2 (default 3).
    """

    def __init__(self, C=3.0):
        self.C = _checks.positive("C", C)
        if not self.C > 2:
            raise ValueError(f"C must be > 2 (else -1 is not the best point), got {self.C}")
        self.dim = 1
        self.minimizer = _read_only(np.array([-1.0]))
        self.optimal_value = -(self.C - 2.0) / 3.0

    def round_slope(self, t) -> float:
        """The gradient of round ``t``'s loss: :math:`C` if :math:`t \bmod 3 = 1`, else -1.

        Parameters
        ----------
        t : int
            The round, >= 1.

        Returns
        -------
        float
        """
        t = _checks.positive_int("t", t)
        return self.C if t % 3 == 1 else -1.0

    def round_value(self, w, t) -> float:
        """The loss :math:`f_t(w)` of round ``t`` (>= 1) at ``w``, shape (1,)."""
        return self.round_slope(t) * float(self._check_w(w)[0])

    def round_grad(self, w, t) -> np.ndarray:
        """The gradient of round ``t``'s loss at ``w`` (it does not depend on ``w``), shape (1,)."""
        self._check_w(w)
        return np.array([self.round_slope(t)])

    def project(self, w) -> np.ndarray:
        """The projection of w onto the feasible set :math:`[-1, 1]` (clipping), shape (1,)."""
        return np.clip(self._check_w(w), -1.0, 1.0)

    def _value(self, w):
        return (self.C - 2.0) / 3.0 * w[0]

    def _grad(self, w):
        return np.array([(self.C - 2.0) / 3.0])

    def _hess(self, w):
        return np.zeros((1, 1))

    def __repr__(self) -> str:
        return f"CyclicLinear(C={self.C:g})"
