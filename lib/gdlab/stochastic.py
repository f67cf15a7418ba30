r"""Mini-batch gradients as random variables (Section 4.2), and a landscape for SGD's noise.

- :func:`minibatch_gradients`: many independent draws of the mini-batch gradient
  :math:`g_t(w) = \frac1B \sum_{i \in S_t} \nabla f_i(w)` at one point, sampled exactly as
  :meth:`gdlab.problems.FiniteSum.stochastic_grad` samples them.
- :func:`mean_test`: is the mean of the draws the full gradient? A normal-theory confidence
  interval per coordinate, simultaneous over coordinates (Bonferroni).
- :func:`per_example_variance`, :func:`empirical_variance`, :func:`minibatch_variance`: the spread
  :math:`\mathbb E\|g - \nabla L\|^2` of single-example and mini-batch gradients (Problem 4.6.3).
- :func:`variance_standard_error`: the sampling error of :func:`empirical_variance`, to compare a
  measured variance with its formula honestly.
- :func:`anisotropic_least_squares`: a least-squares finite sum with badly scaled features, on
  which gradient descent needs many epochs (for SGD against GD at equal cost).
- :func:`clip_by_norm`: gradient clipping, a common biased modification of :math:`g_t`.
- :class:`SharpFlatSum`: a one-dimensional finite sum whose examples all vanish at a sharp and at a
  flat minimum, and :func:`linear_stability_exponent`, which predicts whether GD or SGD with a
  given learning rate can stay at a minimum (Section 4.2's remark on flat minima).

Functions print nothing and return arrays or named tuples.
"""

from __future__ import annotations

import statistics
from typing import NamedTuple

import numpy as np

from gdlab import _checks
from gdlab.problems import LeastSquares, Problem

__all__ = [
    "MeanTest",
    "SharpFlatSum",
    "anisotropic_least_squares",
    "clip_by_norm",
    "empirical_variance",
    "linear_stability_exponent",
    "mean_square_factor",
    "mean_test",
    "minibatch_gradients",
    "minibatch_variance",
    "per_example_variance",
    "variance_standard_error",
]


def _check_rng(rng) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise ValueError(
            f"rng must be a numpy Generator such as np.random.default_rng(0), got {rng!r}"
        )
    return rng


def minibatch_gradients(problem, w, batch_size, draws, rng, replace=True) -> np.ndarray:
    r"""``draws`` independent mini-batch gradients at ``w``, shape (draws, dim).

    Each draw picks a mini-batch :math:`S` of ``batch_size`` example indices with
    ``rng.choice(n, batch_size, replace=replace)``, the sampling of
    :meth:`~gdlab.problems.FiniteSum.stochastic_grad`, and averages the example gradients
    :math:`\nabla f_i(w)`, which are computed once.

    Parameters
    ----------
    problem : FiniteSum
        With ``n``, ``dim`` and ``example_grads(w)``.
    w : array_like, shape (dim,)
    batch_size : int
        B >= 1 (at most n without replacement).
    draws : int
        Number of independent mini-batches.
    rng : numpy.random.Generator
    replace : bool
        Sample with replacement (i.i.d. indices) or without.

    Returns
    -------
    ndarray, shape (draws, dim)
    """
    w = _checks.vector("w", w, problem.dim)
    batch_size = _checks.positive_int("batch_size", batch_size)
    draws = _checks.positive_int("draws", draws)
    rng = _check_rng(rng)
    if not isinstance(replace, (bool, np.bool_)):
        raise ValueError(f"replace must be True or False, got {replace!r}")
    if not replace and batch_size > problem.n:
        raise ValueError(
            f"batch_size={batch_size} exceeds n={problem.n}; without replacement B must be <= n"
        )
    example_grads = problem.example_grads(w)
    out = np.empty((draws, problem.dim))
    for k in range(draws):
        rows = rng.choice(problem.n, size=batch_size, replace=bool(replace))
        out[k] = example_grads[rows].mean(axis=0)
    return out


class MeanTest(NamedTuple):
    """Confidence intervals for the mean of random vectors, compared with a reference vector."""

    mean: np.ndarray  #: sample mean, per coordinate
    standard_error: np.ndarray  #: sample standard deviation / sqrt(draws)
    lower: np.ndarray  #: mean - z * standard_error
    upper: np.ndarray  #: mean + z * standard_error
    z_scores: np.ndarray  #: (mean - reference) / standard_error
    critical_value: float  #: z, the normal quantile used
    covered: bool  #: every coordinate's interval contains the reference


def mean_test(samples, reference, confidence=0.99) -> MeanTest:
    """Do the samples' means agree with ``reference``? Simultaneous normal confidence intervals.

    Each coordinate gets the interval mean +- z SE with SE the standard error of the mean; z is
    the normal quantile at 1 - (1 - confidence) / (2 d), so that all d intervals hold together
    with probability at least ``confidence`` (Bonferroni). Valid for many independent draws
    (central limit theorem).

    Parameters
    ----------
    samples : array_like, shape (draws, d)
        Independent draws, draws >= 2.
    reference : array_like, shape (d,)
        The value the mean is compared with (e.g. the full gradient).
    confidence : float
        In (0, 1).

    Returns
    -------
    MeanTest
    """
    samples = _checks.finite_array("samples", samples, ndim=2)
    draws, dim = samples.shape
    if draws < 2:
        raise ValueError(f"samples must contain at least 2 draws, got {draws}")
    reference = _checks.vector("reference", reference, dim)
    confidence = _checks.real_scalar("confidence", confidence)
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence}")
    mean = samples.mean(axis=0)
    standard_error = samples.std(axis=0, ddof=1) / np.sqrt(draws)
    z = statistics.NormalDist().inv_cdf(1.0 - (1.0 - confidence) / (2.0 * dim))
    lower, upper = mean - z * standard_error, mean + z * standard_error
    with np.errstate(divide="ignore", invalid="ignore"):
        z_scores = (mean - reference) / standard_error
    covered = bool(np.all((lower <= reference) & (reference <= upper)))
    return MeanTest(mean, standard_error, lower, upper, z_scores, float(z), covered)


def per_example_variance(problem, w) -> float:
    r"""The spread of single-example gradients about their mean, at ``w``.

    :math:`\frac1n\sum_i\|\nabla f_i(w) - \nabla L(w)\|^2`.

    This is :math:`\mathbb E\|g - \nabla L(w)\|^2` for a mini-batch of one example drawn
    uniformly (the :math:`\gamma_1^2` of Problem 4.6.3 at this point).

    Parameters
    ----------
    problem : FiniteSum
        With ``dim`` and ``example_grads(w)``.
    w : array_like, shape (dim,)

    Returns
    -------
    float
    """
    w = _checks.vector("w", w, problem.dim)
    example_grads = problem.example_grads(w)
    deviations = example_grads - example_grads.mean(axis=0)
    return float(np.mean(np.sum(deviations**2, axis=1)))


def empirical_variance(samples, reference) -> float:
    r"""The mean squared distance of the draws from ``reference``.

    :math:`\frac1K \sum_k \|g_k - \nabla L\|^2` for draws :math:`g_k` (rows of ``samples``).

    Parameters
    ----------
    samples : array_like, shape (K, d)
        K >= 1 draws :math:`g_k`.
    reference : array_like, shape (d,)
        :math:`\nabla L` (e.g. the full gradient).

    Returns
    -------
    float
    """
    samples = _checks.non_empty_array("samples", samples, ndim=2)
    reference = _checks.vector("reference", reference, samples.shape[1])
    return float(np.mean(np.sum((samples - reference) ** 2, axis=1)))


def minibatch_variance(single_example_variance, batch_size, n=None, replace=True) -> float:
    r"""The variance :math:`\mathbb E\|g - \nabla L\|^2` of a mini-batch gradient of size B.

    ``single_example_variance / B`` for i.i.d. (with replacement) sampling; without replacement
    from n examples, the classical finite-population factor :math:`(n - B)/(n - 1)` multiplies
    it (zero at B = n, when the mini-batch is the whole data set). Why the first holds is
    Problem 4.6.3 (a).

    Parameters
    ----------
    single_example_variance : float
        The variance of a one-example gradient, >= 0 (see :func:`per_example_variance`).
    batch_size : int
        B >= 1 (at most n without replacement).
    n : int, optional
        Number of examples; required when ``replace=False``.
    replace : bool, optional
        Sampling with replacement (default ``True``).

    Returns
    -------
    float
    """
    variance = _checks.non_negative("single_example_variance", single_example_variance)
    batch_size = _checks.positive_int("batch_size", batch_size)
    if replace:
        return variance / batch_size
    if n is None:
        raise ValueError("n (the number of examples) is required when replace=False")
    n = _checks.positive_int("n", n)
    if batch_size > n:
        raise ValueError(f"batch_size={batch_size} exceeds n={n} without replacement")
    if n == 1:
        return 0.0
    return variance / batch_size * (n - batch_size) / (n - 1)


def variance_standard_error(samples, reference) -> float:
    r"""The standard error of :func:`empirical_variance`.

    The empirical variance is the mean of the K numbers :math:`\|g_k - \nabla L\|^2`; its
    standard error is their sample standard deviation divided by :math:`\sqrt K`.

    Parameters
    ----------
    samples : array_like, shape (K, d)
        K >= 2 draws.
    reference : array_like, shape (d,)

    Returns
    -------
    float
    """
    samples = _checks.finite_array("samples", samples, ndim=2)
    if samples.shape[0] < 2:
        raise ValueError(f"samples must contain at least 2 draws, got {samples.shape[0]}")
    reference = _checks.vector("reference", reference, samples.shape[1])
    squared_distances = np.sum((samples - reference) ** 2, axis=1)
    return float(squared_distances.std(ddof=1) / np.sqrt(samples.shape[0]))


def anisotropic_least_squares(
    n, d, condition_number=100.0, noise=0.1, weight_scale=3.0, seed=0
) -> LeastSquares:
    r"""Least squares with features of geometrically decreasing scale (a finite sum, Section 4.2).

    Features :math:`x_{ij} = s_j z_{ij}` with :math:`z_{ij}` standard normal and scales
    :math:`s_j^2` log-spaced from 1 down to ``1 / condition_number``, so the Hessian
    :math:`X^\top X / n` is close to :math:`\operatorname{diag}(s_j^2)` and its condition number
    close to ``condition_number``; targets :math:`y_i = x_i^\top w_\text{true} + \text{noise}\,
    \varepsilon_i` with :math:`w_\text{true} \sim N(0, \text{weight\_scale}^2 I)`.

    Parameters
    ----------
    n : int
        Number of examples, >= d.
    d : int
        Dimension, >= 1.
    condition_number : float, optional
        Target condition number of the Hessian, >= 1 (default 100).
    noise : float, optional
        Standard deviation of the target noise, >= 0 (default 0.1).
    weight_scale : float, optional
        Standard deviation of the true weights, >= 0 (default 3).
    seed : int, optional
        Seed of the data (default 0).

    Returns
    -------
    LeastSquares
        Without ridge; its ``minimizer`` and ``optimal_value`` are exact.
    """
    n = _checks.positive_int("n", n)
    d = _checks.positive_int("d", d)
    if n < d:
        raise ValueError(
            f"n must be at least d for a Hessian X^T X / n of full rank, got n={n} < d={d}"
        )
    condition_number = _checks.positive("condition_number", condition_number)
    if condition_number < 1:
        raise ValueError(f"condition_number must be >= 1, got {condition_number}")
    noise = _checks.non_negative("noise", noise)
    weight_scale = _checks.non_negative("weight_scale", weight_scale)
    rng = np.random.default_rng(_checks.non_negative_int("seed", seed))
    scales = np.sqrt(np.logspace(0.0, -np.log10(condition_number), d))
    X = rng.standard_normal((n, d)) * scales
    true_weights = weight_scale * rng.standard_normal(d)
    y = X @ true_weights + noise * rng.standard_normal(n)
    return LeastSquares(X, y)


def clip_by_norm(gradients, max_norm) -> np.ndarray:
    """Rescale each row whose Euclidean norm exceeds ``max_norm`` to that norm (gradient clipping).

    Clipping shortens only the long draws, so the mean of clipped draws is in general not the
    mean of the draws: a biased estimate of the gradient.

    Parameters
    ----------
    gradients : array_like, shape (d,) or (K, d)
        One gradient or K of them (rows).
    max_norm : float
        The clipping threshold, > 0.

    Returns
    -------
    ndarray
        Same shape as ``gradients``.
    """
    gradients = _checks.finite_array("gradients", gradients)
    max_norm = _checks.positive("max_norm", max_norm)
    rows = np.atleast_2d(gradients)
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    scale = np.minimum(1.0, max_norm / np.maximum(norms, np.finfo(float).tiny))
    clipped = rows * scale
    return clipped.reshape(gradients.shape)


# -- a landscape with a sharp and a flat minimum ------------------------------------------------


class SharpFlatSum(Problem):
    r"""A 1-D finite sum whose n examples all have the same two minima, one sharp and one flat.

    .. math::
        L(w) = \frac1n \sum_{i=1}^n f_i(w), \qquad f_i(w) = c_i\, \phi(w), \qquad
        \phi(w) = -\frac1k \log\left(e^{-k q_s(w)} + e^{-k q_f(w)}\right)

    with the two parabolas :math:`q_s(w) = \frac{a}{2}(w - w_s)^2` (sharp) and
    :math:`q_f(w) = \frac{b}{2}(w - w_f)^2` (flat), and positive example weights :math:`c_i` of
    mean 1. :math:`\phi` is a smooth minimum of the two: each parabola near its own centre, a
    rounded ridge where they cross. Every example vanishes in slope at the same two points, the
    stationary points of :math:`\phi` next to :math:`w_s` and :math:`w_f` (within about
    :math:`e^{-k q}` of them): as in an over-parameterised model that fits every example,
    mini-batch gradients are exactly zero at both minima, and SGD's noise there comes only from
    the curvatures :math:`c_i \phi''` differing between examples.

    Parameters
    ----------
    weights : array_like, shape (n,)
        The example weights :math:`c_i > 0`; they are divided by their mean.
    sharp_curvature, flat_curvature : float
        a and b, > 0.
    sharp_center, flat_center : float
        :math:`w_s \ne w_f`.
    softness : float
        k > 0; larger k makes the ridge between the basins sharper.

    Attributes
    ----------
    n : int
    weights : ndarray
        The normalised :math:`c_i`.
    sharp_minimizer, flat_minimizer : ndarray, shape (1,)
        The two minima of :math:`L`, found by Newton's method on :math:`\phi'`.
    minimizer, optimal_value : None, float
        Two minima, so no single minimizer; ``optimal_value`` is the smaller minimum value.
    """

    def __init__(
        self,
        weights,
        sharp_curvature=20.0,
        flat_curvature=1.0,
        sharp_center=-1.0,
        flat_center=2.0,
        softness=2.0,
    ):
        weights = _checks.finite_array("weights", weights, ndim=1)
        if weights.size == 0 or np.any(weights <= 0):
            raise ValueError(
                f"weights must be a non-empty array of positive numbers, got {weights}"
            )
        self.weights = weights / weights.mean()
        self.weights.setflags(write=False)
        self.n = int(weights.size)
        self.dim = 1
        self.a = _checks.positive("sharp_curvature", sharp_curvature)
        self.b = _checks.positive("flat_curvature", flat_curvature)
        self.sharp_center = _checks.real_scalar("sharp_center", sharp_center)
        self.flat_center = _checks.real_scalar("flat_center", flat_center)
        if self.sharp_center == self.flat_center:
            raise ValueError("sharp_center and flat_center must differ")
        self.k = _checks.positive("softness", softness)
        self.sharp_minimizer = self._stationary_point(self.sharp_center)
        self.flat_minimizer = self._stationary_point(self.flat_center)
        self.minimizer = None
        self.optimal_value = min(self.value(self.sharp_minimizer), self.value(self.flat_minimizer))

    # phi and its derivatives, vectorised over w (a float array)
    def _parts(self, w):
        """min(q_s, q_f), the sum of exp(-k (q - min)) over both wells, and the softmax weights."""
        u = 0.5 * self.a * (w - self.sharp_center) ** 2
        v = 0.5 * self.b * (w - self.flat_center) ** 2
        low = np.minimum(u, v)
        p_sharp = np.exp(-self.k * (u - low))
        p_flat = np.exp(-self.k * (v - low))
        total = p_sharp + p_flat
        return low, total, p_sharp / total, p_flat / total

    def phi(self, w):
        """The shared shape phi(w) (vectorised).

        Parameters
        ----------
        w : float or array_like
            Point(s) of the real line.

        Returns
        -------
        float or ndarray
        """
        w = np.asarray(w, dtype=np.float64)
        low, total, _, _ = self._parts(w)
        return low - np.log(total) / self.k

    def phi_slope(self, w):
        """phi'(w) = p_s q_s' + p_f q_f' with the softmax weights p (vectorised).

        Parameters
        ----------
        w : float or array_like
            Point(s) of the real line.

        Returns
        -------
        float or ndarray
        """
        w = np.asarray(w, dtype=np.float64)
        _, _, p_s, p_f = self._parts(w)
        return p_s * self.a * (w - self.sharp_center) + p_f * self.b * (w - self.flat_center)

    def phi_curvature(self, w):
        """phi''(w) = p_s a + p_f b - k p_s p_f (q_s' - q_f')^2 (vectorised).

        Parameters
        ----------
        w : float or array_like
            Point(s) of the real line.

        Returns
        -------
        float or ndarray
        """
        w = np.asarray(w, dtype=np.float64)
        _, _, p_s, p_f = self._parts(w)
        slope_s, slope_f = self.a * (w - self.sharp_center), self.b * (w - self.flat_center)
        return p_s * self.a + p_f * self.b - self.k * p_s * p_f * (slope_s - slope_f) ** 2

    def _stationary_point(self, start):
        w = float(start)
        for _ in range(100):
            step = float(self.phi_slope(w) / self.phi_curvature(w))
            w -= step
            if abs(step) <= 1e-15 * (1 + abs(w)):
                break
        point = np.array([w])
        point.setflags(write=False)
        return point

    def example_curvatures(self, w) -> np.ndarray:
        """The second derivatives f_i''(w) = c_i phi''(w) of the n examples, shape (n,).

        Parameters
        ----------
        w : array_like, shape (1,)
            The point.

        Returns
        -------
        ndarray, shape (n,)
        """
        w = self._check_w(w)
        return self.weights * float(self.phi_curvature(w[0]))

    def example_grads(self, w) -> np.ndarray:
        """The example gradients f_i'(w) = c_i phi'(w) as rows, shape (n, 1).

        Parameters
        ----------
        w : array_like, shape (1,)
            The point.

        Returns
        -------
        ndarray, shape (n, 1)
        """
        w = self._check_w(w)
        return (self.weights * float(self.phi_slope(w[0])))[:, None]

    def stochastic_grad(self, w, batch_size, rng, replace=True) -> np.ndarray:
        """The mini-batch gradient over ``rng.choice(n, batch_size, replace=replace)``.

        Parameters
        ----------
        w : array_like, shape (1,)
            The point.
        batch_size : int
            Mini-batch size, >= 1 (at most n without replacement).
        rng : numpy.random.Generator
            Draws the examples.
        replace : bool, optional
            Draw with replacement (default ``True``).

        Returns
        -------
        ndarray, shape (1,)
        """
        w = self._check_w(w)
        batch_size = _checks.positive_int("batch_size", batch_size)
        rng = _check_rng(rng)
        if not replace and batch_size > self.n:
            raise ValueError(f"batch_size={batch_size} exceeds n={self.n} without replacement")
        rows = rng.choice(self.n, size=batch_size, replace=bool(replace))
        return np.array([self.weights[rows].mean() * float(self.phi_slope(w[0]))])

    def _value(self, w):
        return float(self.phi(w[0]))  # the weights have mean 1

    def _grad(self, w):
        return np.array([float(self.phi_slope(w[0]))])

    def _hess(self, w):
        return np.array([[float(self.phi_curvature(w[0]))]])

    def __repr__(self) -> str:
        return (
            f"SharpFlatSum(n={self.n}, sharp_curvature={self.a:g}, flat_curvature={self.b:g}, "
            f"sharp_center={self.sharp_center:g}, flat_center={self.flat_center:g}, "
            f"softness={self.k:g})"
        )


def _stability_factors(curvatures, lr, batch_size) -> np.ndarray:
    """The per-step factors 1 - eta h of GD (one, with the mean curvature) or of SGD (one each)."""
    curvatures = _checks.finite_array("curvatures", curvatures, ndim=1)
    if curvatures.size == 0:
        raise ValueError("curvatures must not be empty")
    lr = _checks.positive("lr", lr)
    if batch_size is None:
        return np.array([1.0 - lr * curvatures.mean()])
    if batch_size == 1 and not isinstance(batch_size, bool):
        return 1.0 - lr * curvatures
    raise ValueError(f"batch_size must be None (GD) or 1, got {batch_size!r}")


def linear_stability_exponent(curvatures, lr, batch_size=None) -> float:
    r"""The average log growth of :math:`|w_t - w^\star|` per step near a minimum.

    Close to a minimum :math:`w^\star` where every example gradient vanishes, a step with the
    mini-batch :math:`S` multiplies the distance to :math:`w^\star` by
    :math:`1 - \eta\, \bar h_S` with :math:`\bar h_S` the mean curvature of the examples in
    :math:`S`. Over many steps the distance behaves like :math:`e^{\lambda t}` with
    :math:`\lambda = \mathbb E \log|1 - \eta\, \bar h_S|`: the iterate stays (locally) when
    :math:`\lambda < 0` and is pushed away when :math:`\lambda > 0`.

    Parameters
    ----------
    curvatures : array_like, shape (n,)
        The example curvatures :math:`h_i = f_i''(w^\star)`.
    lr : float
        :math:`\eta > 0`.
    batch_size : None or 1
        ``None`` for GD (:math:`\bar h_S = \bar h`, every step the same), 1 for SGD with one
        example drawn uniformly per step (the expectation is then an exact average over examples).

    Returns
    -------
    float
        :math:`\lambda`; ``-inf`` if some factor is exactly 0.
    """
    factors = _stability_factors(curvatures, lr, batch_size)
    with np.errstate(divide="ignore"):
        return float(np.mean(np.log(np.abs(factors))))


def mean_square_factor(curvatures, lr, batch_size=None) -> float:
    r"""The factor :math:`\mathbb E (1 - \eta\, \bar h_S)^2` of the mean squared distance per step.

    Near a minimum where every example gradient vanishes, :math:`\mathbb E (w_t - w^\star)^2`
    is multiplied by this factor at every step, so SGD is *mean-square* stable exactly when it
    is below 1: the criterion of Wu et al. (2018). Since
    :math:`\mathbb E (1 - \eta h)^2 = (1 - \eta \bar h)^2 + \eta^2 \operatorname{Var} h`, it
    implies GD's condition :math:`|1 - \eta \bar h| < 1`, and by Jensen's inequality
    (:math:`\mathbb E \log|X| \le \tfrac12 \log \mathbb E X^2`) it implies
    :func:`linear_stability_exponent` < 0 (almost-sure stability); neither converse holds.

    Parameters
    ----------
    curvatures : array_like, shape (n,)
        The example curvatures :math:`h_i`.
    lr : float
        :math:`\eta > 0`.
    batch_size : None or 1
        ``None`` for GD (the factor is :math:`(1 - \eta \bar h)^2`), 1 for SGD with one example
        drawn uniformly per step (an exact average over the examples).

    Returns
    -------
    float
        The factor, >= 0.
    """
    factors = _stability_factors(curvatures, lr, batch_size)
    return float(np.mean(factors**2))
