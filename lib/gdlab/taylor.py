r"""Taylor models, steepest-direction search and the smoothness bound (Section 4.1).

- :func:`first_order_model`, :func:`second_order_model`: the linear and quadratic Taylor models
  of an objective around :math:`w_t` (Eqs. 4.1 and 4.3), evaluated at steps :math:`\delta`.
- :func:`smoothness_bounds`: the quadratic upper bound (4.9) of an :math:`L`-smooth function and
  its mirror-image lower bound, around :math:`w_t`.
- :func:`random_unit_directions`, :func:`best_direction_cosines`: random search for the direction
  that decreases the first-order model most (the setting of Problem 4.1.1), and how close the best
  of :math:`N` random directions comes to :math:`-\nabla f / \|\nabla f\|`.
- :func:`hessian_eigenvalue_range`, :func:`gradient_lipschitz_ratios`, :func:`sampled_smoothness`:
  the two sides of Definition 4.1.2 measured at sample points.
- :func:`guaranteed_decrease`, :func:`descent_check`: the decrease the descent lemma
  (Lemma 4.1.4) guarantees per GD step, next to the decrease a run actually made;
  :func:`count_increases`: the steps at which a run went uphill (the footnote's failure).
- :func:`second_order_model_grid`: the quadratic model (4.3) of a 2-D objective on a grid, for
  contour plots.

Functions return arrays or named tuples and print nothing. A problem is any object with ``dim``,
``value``, ``grad`` and (where needed) ``hess``, as in :mod:`gdlab.problems`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gdlab import _checks

__all__ = [
    "DescentCheck",
    "SampledSmoothness",
    "SmoothnessBounds",
    "best_direction_cosines",
    "count_increases",
    "descent_check",
    "first_order_model",
    "gradient_lipschitz_ratios",
    "guaranteed_decrease",
    "hessian_eigenvalue_range",
    "random_unit_directions",
    "sampled_smoothness",
    "second_order_model",
    "second_order_model_grid",
    "smoothness_bounds",
]


def _steps(problem, delta) -> np.ndarray:
    """``delta`` as a float array of shape (dim,) or (k, dim)."""
    steps = _checks.finite_array("delta", delta)
    if steps.ndim not in (1, 2) or steps.shape[-1] != problem.dim:
        raise ValueError(
            f"delta must have shape ({problem.dim},) or (k, {problem.dim}), got shape {steps.shape}"
        )
    return steps


def first_order_model(problem, w, delta):
    r"""The linear Taylor model :math:`f(w_t) + \nabla f(w_t)^\top \delta` (Eq. 4.1, first order).

    Parameters
    ----------
    problem : object
        With ``dim``, ``value`` and ``grad``.
    w : array_like, shape (dim,)
        The expansion point :math:`w_t`.
    delta : array_like, shape (dim,) or (k, dim)
        One step or k steps :math:`\delta = w - w_t`.

    Returns
    -------
    float or ndarray of shape (k,)
    """
    w = _checks.vector("w", w, problem.dim)
    steps = _steps(problem, delta)
    model = problem.value(w) + steps @ problem.grad(w)
    return float(model) if steps.ndim == 1 else model


def second_order_model(problem, w, delta):
    r"""The quadratic Taylor model :math:`f_q(\delta)` of Eq. (4.3).

    .. math:: f_q(\delta) = f(w_t) + \nabla f(w_t)^\top \delta + \tfrac12 \delta^\top H_t \delta,
        \qquad H_t = \nabla^2 f(w_t)

    Arguments as in :func:`first_order_model`; ``problem`` also needs ``hess``.

    Parameters
    ----------
    problem : object
        With ``dim``, ``value``, ``grad`` and ``hess``.
    w : array_like, shape (dim,)
        The expansion point :math:`w_t`.
    delta : array_like, shape (dim,) or (k, dim)
        One step or k steps :math:`\delta`.

    Returns
    -------
    float or ndarray of shape (k,)
    """
    w = _checks.vector("w", w, problem.dim)
    steps = _steps(problem, delta)
    hessian = np.asarray(problem.hess(w), dtype=np.float64)
    curvature = np.einsum("...i,ij,...j->...", steps, hessian, steps)
    model = problem.value(w) + steps @ problem.grad(w) + 0.5 * curvature
    return float(model) if steps.ndim == 1 else model


def second_order_model_grid(problem, w, xlim, ylim, size=200):
    r"""The quadratic model (Eq. 4.3) of a 2-D objective around ``w`` on a ``size`` x ``size`` grid.

    Returns ``(xs, ys, model)``, each of shape (size, size), ready for ``ax.contour``:
    ``model[i, j]`` is :func:`second_order_model` at the step ``(xs[i, j], ys[i, j]) - w``.

    Parameters
    ----------
    problem : object
        A 2-D problem with ``value``, ``grad`` and ``hess``.
    w : array_like, shape (2,)
        The expansion point.
    xlim, ylim : tuple of float
        ``(low, high)`` of the grid, ``low < high``.
    size : int, optional
        Grid points per axis (default 200).

    Returns
    -------
    xs, ys, model : ndarray, shape (size, size)
    """
    w = _checks.vector("w", w, problem.dim)
    if problem.dim != 2:
        raise ValueError(f"problem must be two-dimensional, got dim={problem.dim}")
    size = _checks.positive_int("size", size)
    x_low, x_high = _checks.interval("xlim", xlim)
    y_low, y_high = _checks.interval("ylim", ylim)
    xs, ys = np.meshgrid(np.linspace(x_low, x_high, size), np.linspace(y_low, y_high, size))
    steps = np.column_stack([xs.ravel() - w[0], ys.ravel() - w[1]])
    return xs, ys, second_order_model(problem, w, steps).reshape(xs.shape)


class SmoothnessBounds(NamedTuple):
    """The quadratic envelope of an L-smooth function around w_t, at the given steps."""

    lower: np.ndarray  #: f(w_t) + grad^T delta - L/2 ||delta||^2
    tangent: np.ndarray  #: f(w_t) + grad^T delta, the first-order model
    upper: np.ndarray  #: f(w_t) + grad^T delta + L/2 ||delta||^2, the right side of (4.9)


def smoothness_bounds(problem, w, delta, L) -> SmoothnessBounds:
    r"""The bounds an :math:`L`-smooth :math:`f` obeys around :math:`w_t`, at steps :math:`\delta`.

    The upper one is Eq. (4.9), :math:`f(w_t + \delta) \le f(w_t) + \nabla f(w_t)^\top \delta +
    \frac{L}{2}\|\delta\|^2`; since every Hessian eigenvalue is also at least :math:`-L`
    (Definition 4.1.2), the same argument gives the lower bound with :math:`-\frac{L}{2}`.
    This function only evaluates the bounds; whether ``f`` respects them is for the caller to
    check.

    Parameters
    ----------
    problem : object
        With ``dim``, ``value`` and ``grad``.
    w : array_like, shape (dim,)
        The expansion point :math:`w_t`.
    delta : array_like, shape (dim,) or (k, dim)
        The steps :math:`\delta = w - w_t`.
    L : float
        The smoothness constant, > 0.

    Returns
    -------
    SmoothnessBounds
        Arrays of shape (k,) (or 0-d for a single step).
    """
    L = _checks.positive("L", L)
    steps = _steps(problem, delta)
    tangent = np.asarray(first_order_model(problem, w, steps))
    half_square = 0.5 * L * np.sum(steps * steps, axis=-1)
    return SmoothnessBounds(tangent - half_square, tangent, tangent + half_square)


# -- steepest direction by random search (Problem 4.1.1's setting) ------------------------------


def random_unit_directions(dim, count, rng) -> np.ndarray:
    """``count`` directions drawn uniformly from the unit sphere in R^dim, shape (count, dim).

    Normalised standard Gaussian vectors: their distribution is rotation invariant, hence uniform
    on the sphere.

    Parameters
    ----------
    dim : int
        Dimension, >= 1.
    count : int
        Number of directions, >= 1.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (count, dim)
    """
    dim = _checks.positive_int("dim", dim)
    count = _checks.positive_int("count", count)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {rng!r}")
    directions = rng.standard_normal((count, dim))
    norms = np.linalg.norm(directions, axis=1, keepdims=True)
    while np.any(norms == 0):  # pragma: no cover - probability zero
        zero = norms[:, 0] == 0
        directions[zero] = rng.standard_normal((int(zero.sum()), dim))
        norms = np.linalg.norm(directions, axis=1, keepdims=True)
    return directions / norms


def best_direction_cosines(gradient, counts, repeats=1, seed=0) -> np.ndarray:
    r"""How well the best of N random unit directions matches :math:`-\nabla f/\|\nabla f\|`.

    Among N directions :math:`u` drawn uniformly from the unit sphere, take the one with the
    smallest :math:`\nabla f^\top u`: the best step of length :math:`\epsilon` for the
    first-order model :math:`f(w_t) + \nabla f(w_t)^\top \delta`. Return the cosine of its angle
    with :math:`-\nabla f`, for each N in ``counts`` (nested: the first N directions of one
    draw of ``max(counts)``) and each of ``repeats`` independent draws.

    Parameters
    ----------
    gradient : array_like, shape (d,)
        :math:`\nabla f(w_t)`, not zero.
    counts : sequence of int
        Numbers of directions N, each >= 1.
    repeats : int
        Independent repetitions.
    seed : int
        Seed of the generator.

    Returns
    -------
    ndarray, shape (len(counts), repeats)
        Cosines in [-1, 1]; 1 means the direction of steepest descent itself.
    """
    gradient = _checks.finite_array("gradient", gradient, ndim=1)
    norm = np.linalg.norm(gradient)
    if norm == 0:
        raise ValueError("gradient must not be zero: at a stationary point no direction descends")
    counts = [_checks.positive_int("counts[i]", count) for count in counts]
    if not counts:
        raise ValueError("counts must contain at least one number of directions")
    repeats = _checks.positive_int("repeats", repeats)
    rng = np.random.default_rng(_checks.non_negative_int("seed", seed))
    steepest = -gradient / norm
    largest = max(counts)
    cosines = np.empty((len(counts), repeats))
    for r in range(repeats):
        alignment = random_unit_directions(gradient.size, largest, rng) @ steepest
        # smallest grad^T u among the first N = largest cosine with -grad among the first N
        best_so_far = np.maximum.accumulate(alignment)
        cosines[:, r] = best_so_far[np.asarray(counts) - 1]
    return cosines


# -- Definition 4.1.2 measured ------------------------------------------------------------------


def hessian_eigenvalue_range(problem, points) -> tuple[float, float]:
    """The smallest and largest Hessian eigenvalue over the given points, shape (k, dim).

    For an L-smooth twice-differentiable f every eigenvalue lies in [-L, L] (Definition 4.1.2),
    so the result is a lower estimate of that interval.

    Parameters
    ----------
    problem : object
        With ``dim`` and ``hess``.
    points : array_like, shape (k, dim)
        k >= 1 points.

    Returns
    -------
    lowest, highest : float
    """
    points = _checks.finite_array("points", points, ndim=2)
    if points.shape[1] != problem.dim or points.shape[0] == 0:
        raise ValueError(f"points must have shape (k, {problem.dim}), got {points.shape}")
    eigenvalues = [np.linalg.eigvalsh(problem.hess(point)) for point in points]
    return float(min(e[0] for e in eigenvalues)), float(max(e[-1] for e in eigenvalues))


def gradient_lipschitz_ratios(problem, points_a, points_b) -> np.ndarray:
    r"""The ratios :math:`\|\nabla f(a) - \nabla f(b)\| / \|a - b\|` of Eq. (4.8), pair by pair.

    An L-smooth f has every ratio at most L; the largest ratio over many pairs is a lower
    estimate of the smallest valid L. Pairs with a = b are rejected.

    Parameters
    ----------
    problem : object
        With ``dim`` and ``grad``.
    points_a, points_b : array_like, shape (k, dim)
        The pairs, row by row; no row of ``points_a`` equal to the same row of ``points_b``.

    Returns
    -------
    ndarray, shape (k,)
    """
    a = _checks.finite_array("points_a", points_a, ndim=2)
    b = _checks.finite_array("points_b", points_b, ndim=2)
    if a.shape != b.shape or a.shape[1] != problem.dim:
        raise ValueError(
            f"points_a and points_b must both have shape (k, {problem.dim}), got {a.shape} and "
            f"{b.shape}"
        )
    distances = np.linalg.norm(a - b, axis=1)
    if np.any(distances == 0):
        same = int(np.argmax(distances == 0))
        raise ValueError(
            f"every pair must consist of two different points, but points_a[{same}] == "
            f"points_b[{same}] = {_checks._show(a[same])}"
        )
    differences = np.array([problem.grad(p) - problem.grad(q) for p, q in zip(a, b, strict=True)])
    return np.linalg.norm(differences, axis=1) / distances


class SampledSmoothness(NamedTuple):
    """Both sides of Definition 4.1.2 measured at random points of a box."""

    lowest_eigenvalue: float  #: smallest Hessian eigenvalue seen
    highest_eigenvalue: float  #: largest Hessian eigenvalue seen
    largest_ratio: float  #: largest gradient ratio (4.8) over the sampled pairs


def sampled_smoothness(problem, radius, count, rng) -> SampledSmoothness:
    """Hessian eigenvalues at ``count`` points and gradient ratios over ``count`` pairs.

    Points and partners are uniform in the box :math:`[-r, r]^d`; an L-smooth f gives
    eigenvalues in [-L, L] and ratios at most L (Definition 4.1.2), so the result bounds the
    smallest valid L from below.

    Parameters
    ----------
    problem : object
        With ``dim``, ``grad`` and ``hess``.
    radius : float
        Half-width r > 0 of the box.
    count : int
        Number of points and of pairs, >= 1.
    rng : numpy.random.Generator

    Returns
    -------
    SampledSmoothness
    """
    radius = _checks.positive("radius", radius)
    count = _checks.positive_int("count", count)
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {rng!r}")
    points = radius * rng.uniform(-1, 1, size=(count, problem.dim))
    partners = radius * rng.uniform(-1, 1, size=(count, problem.dim))
    low, high = hessian_eigenvalue_range(problem, points)
    ratio = float(gradient_lipschitz_ratios(problem, points, partners).max())
    return SampledSmoothness(low, high, ratio)


# -- the descent lemma (Lemma 4.1.4) ------------------------------------------------------------


def guaranteed_decrease(grad_norm, lr, L):
    r"""The decrease :math:`\eta (1 - L\eta/2) \|\nabla f(w_t)\|^2` the descent lemma guarantees.

    Lemma 4.1.4 and its footnote: one GD step with learning rate :math:`\eta` on an
    :math:`L`-smooth function lowers f by at least this much. It is positive exactly for
    :math:`0 < \eta < 2/L`, and at least :math:`\frac{\eta}{2}\|\nabla f(w_t)\|^2` for
    :math:`\eta \le 1/L`. Vectorised over ``grad_norm`` and ``lr``.

    Parameters
    ----------
    grad_norm : float or array_like
        :math:`\|\nabla f(w_t)\| \ge 0`.
    lr : float or array_like
        :math:`\eta \ge 0`.
    L : float
        The smoothness constant, > 0.

    Returns
    -------
    float or ndarray
    """
    grad_norm = _checks.finite_array("grad_norm", grad_norm)
    if np.any(grad_norm < 0):
        raise ValueError(f"grad_norm must be non-negative (a norm), got {_checks._show(grad_norm)}")
    lr = _checks.finite_array("lr", lr)
    if np.any(lr < 0):
        raise ValueError(f"lr must be non-negative, got {_checks._show(lr)}")
    L = _checks.positive("L", L)
    result = lr * (1.0 - 0.5 * L * lr) * grad_norm**2
    return float(result) if result.ndim == 0 else result


class DescentCheck(NamedTuple):
    """Per-step decrease of a GD run next to what the descent lemma guarantees."""

    decrease: np.ndarray  #: f(w_t) - f(w_{t+1}), t = 0..T-1
    guaranteed: np.ndarray  #: eta_t (1 - L eta_t / 2) ||grad f(w_t)||^2
    half_step: np.ndarray  #: eta_t / 2 ||grad f(w_t)||^2, the lemma's bound for eta_t <= 1/L

    def holds(self, rtol: float = 1e-9, atol: float = 1e-15) -> np.ndarray:
        """Per step: decrease >= guaranteed, up to rounding in the values of f.

        Parameters
        ----------
        rtol, atol : float, optional
            Relative and absolute slack for rounding (defaults ``1e-9``, ``1e-15``).

        Returns
        -------
        ndarray of bool, shape (steps,)
        """
        return self.decrease >= self.guaranteed - rtol * np.abs(self.guaranteed) - atol


def descent_check(trace, L) -> DescentCheck:
    r"""Compare each step of a GD run (a :class:`gdlab.optim.Trace`) with Lemma 4.1.4.

    Step :math:`t` used learning rate ``trace.lrs[t]`` from :math:`w_t`, where the gradient norm
    was ``trace.grad_norms[t]``; it decreased f by ``values[t] - values[t + 1]``. Only steps
    taken before any divergence are reported.

    Parameters
    ----------
    trace : Trace
        From ``run(GD(...), problem, w0, steps)``: the lemma is about exact-gradient GD.
    L : float
        The smoothness constant, > 0.

    Returns
    -------
    DescentCheck
    """
    _checks.problem("trace", trace, ("values", "grad_norms", "lrs"))
    L = _checks.positive("L", L)
    values = np.asarray(trace.values, dtype=np.float64)
    grad_norms = np.asarray(trace.grad_norms, dtype=np.float64)
    lrs = np.asarray(trace.lrs, dtype=np.float64)
    finite = np.isfinite(values[1:]) & np.isfinite(lrs)
    taken = int(np.argmin(finite)) if not finite.all() else len(lrs)
    decrease = values[:taken] - values[1 : taken + 1]
    lrs, norms = lrs[:taken], grad_norms[:taken]
    guaranteed = np.asarray(guaranteed_decrease(norms, lrs, L), dtype=np.float64)
    return DescentCheck(decrease, guaranteed.reshape(taken), 0.5 * lrs * norms**2)


def count_increases(values, tolerance=1e-12) -> int:
    r"""The number of steps t with f(w_{t+1}) > f(w_t) + tolerance in a sequence of values.

    The tolerance keeps float64 rounding of f near its minimum from counting as an increase; a
    non-finite value after a finite one (divergence) counts as an increase.

    Parameters
    ----------
    values : array_like, shape (k,)
        :math:`f(w_0), f(w_1), \dots` (e.g. ``trace.values``).
    tolerance : float, optional
        Increases up to this size are ignored, >= 0 (default ``1e-12``).

    Returns
    -------
    int
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"values must be one-dimensional, got shape {values.shape}")
    tolerance = _checks.non_negative("tolerance", tolerance)
    before, after = values[:-1], values[1:]
    rose = (after > before + tolerance) | (np.isfinite(before) & ~np.isfinite(after))
    return int(np.sum(rose & np.isfinite(before)))
