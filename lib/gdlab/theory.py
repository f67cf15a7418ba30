r"""The convergence theorems of Section 4.6, measured on runs: their constants and their bounds.

Each theorem bounds the gradient norms of a run by a handful of constants: the smoothness
:math:`L` (Definition 4.1.2, Eq. 4.10), the bound :math:`M` on :math:`|f(w_t)|`, the second
moment :math:`\sigma^2` of the stochastic gradient (Eq. 4.11) and a gradient bound :math:`G`.
This module computes those constants from a problem and a run (never guesses them), and returns
each theorem's left-hand sides and right-hand sides for every horizon :math:`T` of a run.

Indexing
    The chapter numbers the iterates :math:`w_1, w_2, \dots`; a :class:`gdlab.optim.Trace`
    stores them from row 0. So the chapter's :math:`w_t` is ``trace.iterates[t - 1]``, its
    :math:`\|\nabla_t\|` is ``trace.grad_norms[t - 1]``, and a run of ``steps`` steps holds
    :math:`w_1, \dots, w_{T+1}` for every horizon :math:`T \le` ``steps``. Arrays returned here
    are indexed by horizon: entry ``k`` belongs to :math:`T = k + 1`.

The two meanings of M
    The section assumes :math:`|f(w_t)| \le M/2`, and the proofs of Theorems 4.6.2, 4.6.4 and
    4.6.5 use it as :math:`f(w_1) - f(w_{T+1}) \le M`. Theorem 4.6.1 instead defines
    :math:`M` as the largest :math:`|f(w_t)|` (so its proof has :math:`2M`). Each function below
    says which one it uses; both are computed from the iterates the run visits, as Theorem
    4.6.1's statement allows.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gdlab import _checks
from gdlab.optim import SGD, Optimizer, Trace, run
from gdlab.problems import DoubleWell, Himmelblau, Rosenbrock

__all__ = [
    "AdaGradDiagonalGuarantee",
    "AdaGradNormGuarantee",
    "Estimate",
    "GDGuarantee",
    "adagrad_diagonal_guarantee",
    "adagrad_norm_guarantee",
    "gd_bound",
    "gd_guarantee",
    "harmonic_sum",
    "hessian_norm_bound",
    "largest_abs_value",
    "OnlineRun",
    "run_online",
    "run_projected",
    "run_recording_gradients",
    "second_moment",
    "SGDGuarantee",
    "sgd_bound",
    "sgd_guarantee",
    "sgd_lr",
    "smoothness_on_path",
]


# --------------------------------------------------------------------------------------------
# The constants: M, sigma^2, L
# --------------------------------------------------------------------------------------------


def largest_abs_value(values) -> float:
    r"""The largest :math:`|f(w_t)|` over the given values (Theorem 4.6.1's :math:`M`).

    Twice this is the smallest :math:`M` with :math:`|f(w_t)| \le M/2` (the section's
    boundedness assumption). Raises ``ValueError`` if a value is not finite (a diverged run).

    Parameters
    ----------
    values : array_like
        Finite values :math:`f(w_t)`, at least one (e.g. ``trace.values``).

    Returns
    -------
    float
    """
    values = _checks.finite_array("values", values, ndim=1)
    if values.size == 0:
        raise ValueError("values must contain at least one value, got an empty array")
    return float(np.max(np.abs(values)))


def _running_abs_max(values: np.ndarray) -> np.ndarray:
    return np.maximum.accumulate(np.abs(values))


class Estimate(NamedTuple):
    """A Monte-Carlo estimate and its standard error.

    Attributes
    ----------
    mean : float
        The sample mean.
    stderr : float
        Its standard error, the sample standard deviation over the square root of the count.
    """

    mean: float
    stderr: float


def second_moment(problem, w, batch_size, rng, samples=1000, replace=True) -> Estimate:
    r"""Estimate :math:`\mathbb{E}\|\hat\nabla\|^2` at ``w`` (Eq. 4.11) from stochastic gradients.

    Draws ``problem.stochastic_grad(w, batch_size, rng, replace)`` independently ``samples``
    times and returns the mean of the squared norms with its standard error
    (sample standard deviation over :math:`\sqrt{\text{samples}}`).

    Parameters
    ----------
    problem : object
        A finite sum with ``stochastic_grad(w, batch_size, rng, replace)``.
    w : array_like, shape (problem.dim,)
        The point.
    batch_size : int
        Mini-batch size B >= 1.
    rng : numpy.random.Generator
        Draws the mini-batches.
    samples : int, optional
        Number of independent draws (default 1000).
    replace : bool, optional
        Draw each mini-batch with replacement (default ``True``).

    Returns
    -------
    Estimate
        ``(mean, stderr)``.
    """
    batch_size = _checks.positive_int("batch_size", batch_size)
    samples = _checks.positive_int("samples", samples)
    if samples < 2:
        raise ValueError(f"samples must be at least 2 for a standard error, got {samples}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy Generator, got {rng!r}")
    squared = np.empty(samples)
    for k in range(samples):
        g = np.asarray(problem.stochastic_grad(w, batch_size, rng, replace=replace))
        squared[k] = g @ g
    return Estimate(float(squared.mean()), float(squared.std(ddof=1) / np.sqrt(samples)))


def _square_range(low: np.ndarray, high: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The range of x^2 for x in [low, high], elementwise."""
    top = np.maximum(low**2, high**2)
    bottom = np.where((low <= 0) & (high >= 0), 0.0, np.minimum(low**2, high**2))
    return bottom, top


def _largest_abs(low: np.ndarray, high: np.ndarray) -> np.ndarray:
    return np.maximum(np.abs(low), np.abs(high))


def hessian_norm_bound(problem, lower, upper) -> np.ndarray | float:
    r"""An upper bound on :math:`\|\nabla^2 f(w)\|_2` over the box ``lower <= w <= upper``.

    For a problem with a global smoothness constant (an attribute ``L``: quadratics, least
    squares, logistic regression, the hidden valley) this is ``problem.L``. For the two-variable
    polynomials :class:`~gdlab.problems.DoubleWell`, :class:`~gdlab.problems.Rosenbrock` and
    :class:`~gdlab.problems.Himmelblau`, whose Hessians are unbounded on the plane, it is a
    rigorous bound on the box: each Hessian entry is monotone in :math:`x`, :math:`x^2`,
    :math:`y` or :math:`y^2`, so its largest absolute value on the box is attained at an end of
    those ranges, and for a symmetric 2x2 matrix
    :math:`\|H\|_2 = |h_{11} + h_{22}|/2 + \sqrt{(h_{11} - h_{22})^2/4 + h_{12}^2}
    \le \max(|h_{11}|, |h_{22}|) + |h_{12}|`.

    ``lower`` and ``upper`` may be arrays of shape (k, 2) (k boxes at once); the result then has
    shape (k,).

    Parameters
    ----------
    problem : object
        A problem with an attribute ``L``, or a ``DoubleWell``, ``Rosenbrock`` or ``Himmelblau``.
    lower, upper : array_like, shape (2,) or (k, 2)
        Corners of the box(es), ``lower <= upper`` coordinate-wise.

    Returns
    -------
    float or ndarray, shape (k,)
    """
    while hasattr(problem, "base"):
        problem = problem.base  # a wrapper such as gdlab.noisy.NoisyGradient
    global_L = getattr(problem, "L", None)
    lower = np.asarray(lower, dtype=np.float64)
    upper = np.asarray(upper, dtype=np.float64)
    if lower.shape != upper.shape or lower.shape[-1:] != (problem.dim,):
        raise ValueError(
            f"lower and upper must have the same shape (..., {problem.dim}), got "
            f"{lower.shape} and {upper.shape}"
        )
    if not (np.all(np.isfinite(lower)) and np.all(np.isfinite(upper))):
        raise ValueError("lower and upper must be finite (did the run diverge?)")
    if np.any(lower > upper):
        raise ValueError("lower must not exceed upper in any coordinate")
    if global_L is not None:
        return float(global_L) if lower.ndim == 1 else np.full(lower.shape[0], float(global_L))
    x_low, y_low = lower[..., 0], lower[..., 1]
    x_high, y_high = upper[..., 0], upper[..., 1]
    x2_low, x2_high = _square_range(x_low, x_high)
    y2_low, y2_high = _square_range(y_low, y_high)
    if isinstance(problem, DoubleWell):
        # H = diag(a, 3 y^2 - 1)
        bound = np.maximum(problem.a, _largest_abs(3 * y2_low - 1, 3 * y2_high - 1))
    elif isinstance(problem, Rosenbrock):
        # h11 = 2 - 4b y + 12b x^2, h12 = -4b x, h22 = 2b
        b = problem.b
        h11 = _largest_abs(
            2 - 4 * b * y_high + 12 * b * x2_low, 2 - 4 * b * y_low + 12 * b * x2_high
        )
        bound = np.maximum(h11, 2 * b) + 4 * b * _largest_abs(x_low, x_high)
    elif isinstance(problem, Himmelblau):
        # h11 = 12 x^2 + 4 y - 42, h22 = 12 y^2 + 4 x - 26, h12 = 4 (x + y)
        h11 = _largest_abs(12 * x2_low + 4 * y_low - 42, 12 * x2_high + 4 * y_high - 42)
        h22 = _largest_abs(12 * y2_low + 4 * x_low - 26, 12 * y2_high + 4 * x_high - 26)
        bound = np.maximum(h11, h22) + 4 * _largest_abs(x_low + y_low, x_high + y_high)
    else:
        raise ValueError(
            f"no Hessian bound is known for {problem!r}: it has no global L attribute and is "
            "not DoubleWell, Rosenbrock or Himmelblau"
        )
    return float(bound) if np.ndim(bound) == 0 else bound


def smoothness_on_path(problem, iterates) -> float:
    r"""A smoothness constant valid on every segment :math:`[w_t, w_{t+1}]` of a path.

    The descent-lemma step of Theorems 4.6.1-4.6.5 uses the quadratic upper bound (4.10) only
    between consecutive iterates, and along the segment from :math:`w_t` to :math:`w_{t+1}` it
    holds with any :math:`L \ge \sup_{\text{segment}} \|\nabla^2 f\|`. Each segment lies in the
    box spanned by its end points, so the maximum of :func:`hessian_norm_bound` over those boxes
    is such an :math:`L` for the whole run. (A single iterate gives the bound at that point.)

    Parameters
    ----------
    problem : object
        As for :func:`hessian_norm_bound`.
    iterates : array_like, shape (k, 2)
        The path, k >= 1 finite points (e.g. ``trace.iterates``).

    Returns
    -------
    float
    """
    points = _checks.finite_array("iterates", iterates, ndim=2)
    if points.shape[0] == 0 or points.shape[1] != problem.dim:
        raise ValueError(f"iterates must have shape (k >= 1, {problem.dim}), got {points.shape}")
    if points.shape[0] == 1:
        return float(np.max(hessian_norm_bound(problem, points, points)))
    low = np.minimum(points[:-1], points[1:])
    high = np.maximum(points[:-1], points[1:])
    return float(np.max(hessian_norm_bound(problem, low, high)))


# --------------------------------------------------------------------------------------------
# Runs the theorems need: projected (Algorithm 2 on a box) and with the stochastic gradients kept
# --------------------------------------------------------------------------------------------


def run_projected(optimizer: Optimizer, problem, w0, steps) -> Trace:
    r"""Like :func:`gdlab.optim.run`, but each iterate is projected back onto the feasible set.

    :math:`w_{t+1} = \Pi_K(\text{step}(w_t))` with ``problem.project`` as :math:`\Pi_K`
    (Algorithm 2 starts from :math:`w_1 \in K`; on the hidden valley of Section 4.6.1
    :math:`K = [-1, 1]^d`). The start is projected too. Returns a :class:`~gdlab.optim.Trace`.

    Parameters
    ----------
    optimizer : Optimizer
    problem : object
        A problem with ``project(w)`` (e.g. :class:`~gdlab.problems.HiddenValley`).
    w0 : array_like, shape (problem.dim,)
        The start, projected before the first step.
    steps : int
        Number of steps, >= 0.

    Returns
    -------
    Trace
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a gdlab.optim.Optimizer, got {optimizer!r}")
    if not callable(getattr(problem, "project", None)):
        raise ValueError(f"problem must have a project(w) method, got {problem!r}")
    steps = _checks.non_negative_int("steps", steps)
    w = problem.project(_checks.vector("w0", w0, problem.dim))
    optimizer.reset()
    iterates = np.empty((steps + 1, problem.dim))
    values = np.empty(steps + 1)
    grad_norms = np.empty(steps + 1)
    lrs = np.full(steps, optimizer.lr)
    iterates[0], values[0] = w, problem.value(w)
    grad_norms[0] = np.linalg.norm(problem.grad(w))
    for t in range(1, steps + 1):
        w = problem.project(optimizer.step(w, problem))
        iterates[t], values[t] = w, problem.value(w)
        grad_norms[t] = np.linalg.norm(problem.grad(w))
    for array in (iterates, values, grad_norms, lrs):
        array.setflags(write=False)
    return Trace(iterates, values, grad_norms, lrs, type(optimizer).__name__)


class OnlineRun(NamedTuple):
    """A projected run on an online problem (:func:`run_online`).

    Attributes
    ----------
    trace : Trace
        Iterates :math:`x_1, \\dots, x_{T+1}` (``trace.iterates[t - 1]`` is :math:`x_t`), the
        average loss ``problem.value`` at each, and the learning rates used.
    losses : ndarray, shape (T,)
        :math:`f_t(x_t)`, the loss of round ``t`` at the point played in it.
    average_regret : ndarray, shape (T,)
        :math:`\\frac1T \\sum_{t \\le T} (f_t(x_t) - f_t(x^\\star))` for each horizon ``T``,
        against the fixed point ``problem.minimizer``.
    """

    trace: Trace
    losses: np.ndarray
    average_regret: np.ndarray


def run_online(optimizer: Optimizer, problem, w0, steps, schedule=None) -> OnlineRun:
    r"""Online projected optimisation: round ``t`` shows the optimizer the loss :math:`f_t`.

    :math:`x_{t+1} = \Pi_K(	ext{step}(x_t))` where the step sees ``problem.round_grad(x, t)``
    as its gradient and ``problem.project`` is :math:`\Pi_K`, the setting of Reddi et al.'s
    counterexample (:class:`gdlab.problems.CyclicLinear`, Section 4.6.4). The start is projected.

    Parameters
    ----------
    optimizer : Optimizer
        Any :mod:`gdlab.optim` method with exact gradients (``batch_size=None``).
    problem : object
        With ``dim``, ``value``, ``grad``, ``round_grad(w, t)``, ``round_value(w, t)``,
        ``project(w)`` and ``minimizer``.
    w0 : array_like, shape (problem.dim,)
        The start :math:`x_1`.
    steps : int
        Number of rounds T >= 1.
    schedule : callable, optional
        ``schedule(t) -> lr`` (e.g. :class:`gdlab.schedules.InverseSqrt`), else ``optimizer.lr``.

    Returns
    -------
    OnlineRun
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a gdlab.optim.Optimizer, got {optimizer!r}")
    for name in ("round_grad", "round_value", "project"):
        if not callable(getattr(problem, name, None)):
            raise ValueError(
                f"problem must have a {name} method (an online problem), got {problem!r}"
            )
    if optimizer.batch_size is not None:
        raise ValueError(
            f"optimizer must use exact gradients (batch_size=None), got batch_size="
            f"{optimizer.batch_size}"
        )
    if schedule is not None and not callable(schedule):
        raise ValueError(f"schedule must be callable as schedule(t), got {schedule!r}")
    steps = _checks.positive_int("steps", steps)
    w = problem.project(_checks.vector("w0", w0, problem.dim))
    best = np.asarray(problem.minimizer, dtype=np.float64)
    optimizer.reset()
    iterates = np.empty((steps + 1, problem.dim))
    values = np.empty(steps + 1)
    grad_norms = np.empty(steps + 1)
    lrs = np.empty(steps)
    losses = np.empty(steps)
    gaps = np.empty(steps)
    iterates[0], values[0] = w, problem.value(w)
    grad_norms[0] = np.linalg.norm(problem.grad(w))
    for t in range(1, steps + 1):
        lrs[t - 1] = optimizer.lr if schedule is None else schedule(t)
        losses[t - 1] = problem.round_value(w, t)
        gaps[t - 1] = losses[t - 1] - problem.round_value(best, t)
        w = problem.project(optimizer.step(w, _Round(problem, t), lr=lrs[t - 1]))
        iterates[t], values[t] = w, problem.value(w)
        grad_norms[t] = np.linalg.norm(problem.grad(w))
    regret = np.cumsum(gaps) / np.arange(1, steps + 1)
    for array in (iterates, values, grad_norms, lrs, losses, regret):
        array.setflags(write=False)
    trace = Trace(iterates, values, grad_norms, lrs, type(optimizer).__name__)
    return OnlineRun(trace, losses, regret)


class _Round:
    """Round ``t`` of an online problem, as the problem an optimizer steps on."""

    def __init__(self, problem, t):
        self.problem, self.t, self.dim = problem, t, problem.dim

    def value(self, w):
        return self.problem.round_value(w, self.t)

    def grad(self, w):
        return self.problem.round_grad(w, self.t)


def run_recording_gradients(
    optimizer: Optimizer, problem, w0, steps, schedule=None
) -> tuple[Trace, np.ndarray]:
    r""":func:`gdlab.optim.run`, also returning the gradients the optimizer used.

    Returns ``(trace, gradients)``: ``gradients[t - 1]`` is the (stochastic) gradient
    :math:`\hat\nabla_t` the optimizer drew at step :math:`t`, shape (steps, dim). The run is
    the same as ``run(optimizer, problem, w0, steps, schedule)``, draw for draw.

    Parameters
    ----------
    optimizer, problem, w0, steps, schedule
        As for :func:`gdlab.optim.run`.

    Returns
    -------
    trace : Trace
    gradients : ndarray, shape (steps, dim)
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a gdlab.optim.Optimizer, got {optimizer!r}")
    recorded: list[np.ndarray] = []
    draw = optimizer.gradient

    def recording(w, problem_):
        g = draw(w, problem_)
        recorded.append(np.array(g, dtype=np.float64))
        return g

    optimizer.gradient = recording  # an instance attribute, shadowing the method for this run
    try:
        trace = run(optimizer, problem, w0, steps, schedule)
    finally:
        del optimizer.gradient
    gradients = np.array(recorded).reshape(len(recorded), problem.dim)
    gradients.setflags(write=False)
    return trace, gradients


# --------------------------------------------------------------------------------------------
# Theorem 4.6.1 (GD) and Theorem 4.6.2 (SGD)
# --------------------------------------------------------------------------------------------


def gd_bound(M, L, T):
    r"""Theorem 4.6.1's bound :math:`4ML/T`, with :math:`M` the largest :math:`|f(w_t)|`.

    Vectorised over ``M`` and ``T``.

    Parameters
    ----------
    M : float or array_like
        Largest :math:`|f(w_t)|`, >= 0.
    L : float
        Smoothness constant, > 0.
    T : float or array_like
        Horizons, each > 0 (real values give a smooth curve for plots).

    Returns
    -------
    float or ndarray
        :math:`4ML/T`, broadcast over ``M`` and ``T``.
    """
    M = _checks.finite_array("M", M)
    if np.any(M < 0):
        raise ValueError(f"M must be non-negative (a largest |f(w_t)|), got {_checks._show(M)}")
    L = _checks.positive("L", L)
    T = _checks.positive_array("T", T)
    return 4.0 * M * L / T


class GDGuarantee(NamedTuple):
    r"""Theorem 4.6.1 on one run of GD with lr = 1/L, for every horizon T = 1, ..., steps.

    Attributes
    ----------
    T : ndarray of int
    min_sq : ndarray
        :math:`\min_{t \le T} \|\nabla_t\|^2`.
    mean_sq : ndarray
        :math:`\frac1T \sum_{t \le T} \|\nabla_t\|^2`.
    M : ndarray
        The largest :math:`|f(w_t)|` over :math:`w_1, \dots, w_{T+1}` (Theorem 4.6.1's M).
    bound : ndarray
        :math:`4 M L / T`.
    """

    T: np.ndarray
    min_sq: np.ndarray
    mean_sq: np.ndarray
    M: np.ndarray
    bound: np.ndarray


def _squared_gradient_norms(trace: Trace) -> np.ndarray:
    _checks.instance("trace", trace, Trace, "a gdlab.optim.Trace (the result of run)")
    if trace.diverged is not None:
        raise ValueError(f"trace diverged at row {trace.diverged}; the theorems assume it did not")
    steps = trace.lrs.shape[0]
    if steps == 0:
        raise ValueError(f"trace must have at least one step, got {trace!r}")
    return np.asarray(trace.grad_norms[:steps], dtype=np.float64) ** 2


def gd_guarantee(trace: Trace, L) -> GDGuarantee:
    r"""Both sides of Theorem 4.6.1 for every horizon of a GD run.

    .. math:: \min_{t \le T} \|\nabla_t\|^2 \le \frac1T \sum_{t=1}^T \|\nabla_t\|^2
        \le \frac{4ML}{T}

    The run should be GD with :math:`\eta = 1/L` and ``L`` valid on the path (see
    :func:`smoothness_on_path`); this function only evaluates the two sides.

    Parameters
    ----------
    trace : Trace
        A GD run that did not diverge, with at least one step.
    L : float
        The smoothness constant, > 0.

    Returns
    -------
    GDGuarantee
        One entry per horizon :math:`T = 1, \dots, \text{steps}`.
    """
    L = _checks.positive("L", L)
    squared = _squared_gradient_norms(trace)
    T = np.arange(1, squared.size + 1)
    M = _running_abs_max(np.asarray(trace.values, dtype=np.float64))[1:]  # over w_1..w_{T+1}
    return GDGuarantee(
        T=T,
        min_sq=np.minimum.accumulate(squared),
        mean_sq=np.cumsum(squared) / T,
        M=M,
        bound=gd_bound(M, L, T),
    )


def sgd_lr(M, L, sigma2, T) -> float:
    r"""Theorem 4.6.2's step size :math:`\eta = \sqrt{M / (L \sigma^2 T)}` (M with |f| <= M/2).

    Parameters
    ----------
    M : float
        Bound with :math:`|f| \le M/2`, > 0.
    L : float
        Smoothness constant, > 0.
    sigma2 : float
        Bound :math:`\sigma^2 > 0` on the second moment of the stochastic gradient.
    T : int
        Horizon, >= 1.

    Returns
    -------
    float
    """
    M, L = _checks.positive("M", M), _checks.positive("L", L)
    sigma2, T = _checks.positive("sigma2", sigma2), _checks.positive_int("T", T)
    return float(np.sqrt(M / (L * sigma2 * T)))


def sgd_bound(M, L, sigma2, T):
    r"""Theorem 4.6.2's bound :math:`2\sqrt{M L \sigma^2 / T}` (M with |f| <= M/2).

    Vectorised over ``T``.

    Parameters
    ----------
    M, L, sigma2 : float
        As for :func:`sgd_lr`, each > 0.
    T : float or array_like
        Horizons, each > 0 (real values give a smooth curve for plots).

    Returns
    -------
    float or ndarray
    """
    M, L = _checks.positive("M", M), _checks.positive("L", L)
    sigma2 = _checks.positive("sigma2", sigma2)
    return 2.0 * np.sqrt(M * L * sigma2 / _checks.positive_array("T", T))


class SGDGuarantee(NamedTuple):
    r"""Theorem 4.6.2 on SGD runs with the theorem's step size, one run per (seed, horizon).

    Attributes
    ----------
    T : ndarray of int, shape (h,)
        The horizons.
    lr : ndarray, shape (h,)
        :math:`\eta_T = \sqrt{M / (L \sigma^2 T)}`.
    min_sq, mean_sq : ndarray, shape (seeds, h)
        :math:`\min_{t \le T} \|\nabla_t\|^2` and :math:`\frac1T \sum_{t \le T}
        \|\nabla_t\|^2` (exact gradients) of each run.
    bound : ndarray, shape (h,)
        :math:`2 \sqrt{M L \sigma^2 / T}`.
    M_used, sigma2, L : float
        The constants the step sizes and the bound were computed with.
    M_measured : float
        Twice the largest :math:`|f(w_t)|` over every iterate of every run: the assumption
        :math:`|f(w_t)| \le M/2` held on these runs exactly when ``M_measured <= M_used``.
    traces : tuple of tuple of Trace
        ``traces[s][k]``: the run with seed ``seeds[s]`` and horizon ``T[k]``.
    """

    T: np.ndarray
    lr: np.ndarray
    min_sq: np.ndarray
    mean_sq: np.ndarray
    bound: np.ndarray
    M_used: float
    sigma2: float
    L: float
    M_measured: float
    traces: tuple


def sgd_guarantee(problem, w0, L, sigma2, M, horizons, seeds, batch_size=1) -> SGDGuarantee:
    r"""Run SGD with Theorem 4.6.2's step size for every horizon and seed; both sides.

    For each horizon :math:`T` and seed, SGD (:class:`gdlab.optim.SGD` with ``batch_size`` and
    that seed) runs :math:`T` steps with :math:`\eta = \sqrt{M/(L\sigma^2 T)}` from ``w0``.
    ``M`` uses the section's convention :math:`|f(w_t)| \le M/2`. The function does not check
    the assumptions; compare ``M_measured`` with ``M_used`` and estimate :math:`\sigma^2` along
    the runs (:func:`second_moment`) to do so.

    Parameters
    ----------
    problem : object
        A finite sum (``stochastic_grad``).
    w0 : array_like, shape (problem.dim,)
        The start of every run.
    L, sigma2, M : float
        The theorem's constants, each > 0.
    horizons : sequence of int
        Horizons T >= 1 (non-empty).
    seeds : sequence of int
        Seeds of the mini-batch draws, one run per seed and horizon (non-empty).
    batch_size : int, optional
        Mini-batch size (default 1).

    Returns
    -------
    SGDGuarantee
    """
    L, sigma2 = _checks.positive("L", L), _checks.positive("sigma2", sigma2)
    M = _checks.positive("M", M)
    for name, value in (("horizons", horizons), ("seeds", seeds)):
        if not isinstance(value, (list, tuple, range, np.ndarray)) or len(value) == 0:
            raise ValueError(f"{name} must be a non-empty sequence, got {_checks._show(value)}")
    horizons = [_checks.positive_int("horizons[i]", T) for T in horizons]
    seeds = [_checks.non_negative_int("seeds[i]", seed) for seed in seeds]
    batch_size = _checks.positive_int("batch_size", batch_size)
    w0 = _checks.vector("w0", w0, problem.dim)
    lrs = np.array([sgd_lr(M, L, sigma2, T) for T in horizons])
    min_sq = np.empty((len(seeds), len(horizons)))
    mean_sq = np.empty_like(min_sq)
    largest, traces = 0.0, []
    for s, seed in enumerate(seeds):
        row = []
        for k, (T, lr) in enumerate(zip(horizons, lrs, strict=True)):
            trace = run(SGD(lr=lr, batch_size=batch_size, seed=seed), problem, w0, T)
            squared = _squared_gradient_norms(trace)
            min_sq[s, k], mean_sq[s, k] = squared.min(), squared.mean()
            largest = max(largest, largest_abs_value(trace.values))
            row.append(trace)
        traces.append(tuple(row))
    return SGDGuarantee(
        T=np.array(horizons),
        lr=lrs,
        min_sq=min_sq,
        mean_sq=mean_sq,
        bound=sgd_bound(M, L, sigma2, horizons),
        M_used=M,
        sigma2=sigma2,
        L=L,
        M_measured=2.0 * largest,
        traces=tuple(traces),
    )


# --------------------------------------------------------------------------------------------
# Theorems 4.6.4 and 4.6.5 (AdaGrad)
# --------------------------------------------------------------------------------------------


def harmonic_sum(a) -> np.ndarray:
    r"""Running sums :math:`\sum_{t \le T} a_t / \sum_{i \le t} a_i` for ``T = 1, 2, ...``.

    The "harmonic series" step of Theorem 4.6.4's proof. For :math:`a_t \ge 0` with
    :math:`a_1 > 0` each entry is at most :math:`1 + \log(\sum_{i \le T} a_i / a_1)`, because
    :math:`a_t / S_t \le \log(S_t / S_{t-1})` for :math:`t \ge 2`. Terms with
    :math:`\sum_{i \le t} a_i = 0` count as 0.

    Parameters
    ----------
    a : array_like, shape (T,)
        Non-negative terms :math:`a_1, \dots, a_T`.

    Returns
    -------
    ndarray, shape (T,)
    """
    a = _checks.finite_array("a", a, ndim=1)
    if np.any(a < 0):
        raise ValueError(f"a must be non-negative, got {_checks._show(a)}")
    partial = np.cumsum(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(partial > 0, a / partial, 0.0)
    return np.cumsum(terms)


class AdaGradNormGuarantee(NamedTuple):
    r"""Theorem 4.6.4 on one run of scalar AdaGrad with exact gradients, for every T.

    Attributes
    ----------
    T : ndarray of int
    min_sq, mean_sq : ndarray
        :math:`\min_{t \le T} \|\nabla_t\|^2` and :math:`\frac1T \sum_{t \le T}
        \|\nabla_t\|^2`.
    M : ndarray
        Twice the largest :math:`|f(w_t)|` over :math:`w_1, \dots, w_{T+1}`.
    G : ndarray
        :math:`\max_{t \le T} \|\nabla_t\|`.
    accumulator : ndarray
        :math:`b_T = (\sum_{t \le T} \|\nabla_t\|^2)^{1/2}`, the page's reading of
        :math:`\|\hat\nabla^2_{1:T}\|`.
    harmonic : ndarray
        :math:`H_T = \sum_{t \le T} \|\nabla_t\|^2 / b_t^2`, which the proof bounds by
        :math:`\log GT`.
    bound : ndarray
        What the proof establishes: :math:`(M/\eta + \tfrac{L\eta}{2} H_T)\, b_T / T`.
    chapter_bound : ndarray
        The statement as printed, :math:`(L + M \log(GT))\, b_{T-1} / T` with
        :math:`b_0 = 0`: L and M trade places with the proof's last line, and
        :math:`\log(GT)` is negative when :math:`GT < 1`.
    """

    T: np.ndarray
    min_sq: np.ndarray
    mean_sq: np.ndarray
    M: np.ndarray
    G: np.ndarray
    accumulator: np.ndarray
    harmonic: np.ndarray
    bound: np.ndarray
    chapter_bound: np.ndarray


def adagrad_norm_guarantee(trace: Trace, L, lr=1.0) -> AdaGradNormGuarantee:
    r"""Both sides of Theorem 4.6.4 for a run of scalar AdaGrad with exact gradients.

    The run should be :class:`gdlab.optim.AdaGradNorm` with ``lr`` (the theorem: 1), ``eps=0``,
    ``initial_accumulator=0`` and no ``batch_size``, so that :math:`\hat\nabla_t = \nabla_t`
    and :math:`P_t = \eta\, (\sum_{i \le t} \|\nabla_i\|^2)^{-1/2}`. The proof then gives, for
    every :math:`T`,

    .. math::
        \sum_{t \le T} P_t \|\nabla_t\|^2 \le f(w_1) - f(w_{T+1})
        + \frac{L}{2} \sum_{t \le T} P_t^2 \|\nabla_t\|^2 \le M + \frac{L\eta^2}{2} H_T,

    and since :math:`P_t \ge P_T`, the average of :math:`\|\nabla_t\|^2` is at most
    :math:`(M/\eta + L\eta H_T/2)\, b_T / T`.

    Parameters
    ----------
    trace : Trace
        The AdaGradNorm run (not diverged, at least one step).
    L : float
        Smoothness constant, > 0.
    lr : float, optional
        The run's :math:`\eta > 0` (default 1).

    Returns
    -------
    AdaGradNormGuarantee
    """
    L, lr = _checks.positive("L", L), _checks.positive("lr", lr)
    squared = _squared_gradient_norms(trace)
    T = np.arange(1, squared.size + 1)
    M = 2.0 * _running_abs_max(np.asarray(trace.values, dtype=np.float64))[1:]
    G = np.sqrt(np.maximum.accumulate(squared))
    partial = np.cumsum(squared)
    accumulator = np.sqrt(partial)
    harmonic = harmonic_sum(squared)
    previous = np.sqrt(np.concatenate([[0.0], partial[:-1]]))  # b_{T-1}
    with np.errstate(divide="ignore"):
        chapter = (L + M * np.log(G * T)) * previous / T
    return AdaGradNormGuarantee(
        T=T,
        min_sq=np.minimum.accumulate(squared),
        mean_sq=np.cumsum(squared) / T,
        M=M,
        G=G,
        accumulator=accumulator,
        harmonic=harmonic,
        bound=(M / lr + 0.5 * L * lr * harmonic) * accumulator / T,
        chapter_bound=chapter,
    )


class AdaGradDiagonalGuarantee(NamedTuple):
    r"""Theorem 4.6.5 on one run of :class:`gdlab.optim.DelayedAdaGrad`, for every T.

    Attributes
    ----------
    T : ndarray of int
    mean_sq : ndarray
        :math:`\frac1T \sum_{t \le T} \|\nabla_t\|^2` (exact gradients).
    M : ndarray
        Twice the largest :math:`|f(w_t)|` over :math:`w_1, \dots, w_{T+1}`.
    descent : ndarray
        :math:`\sum_{t \le T} (\nabla_t^\top P_t \hat\nabla_t
        - \tfrac L2 \hat\nabla_t^\top P_t^2 \hat\nabla_t)`, which the descent lemma bounds
        by :math:`f(w_1) - f(w_{T+1})` on every run.
    drop : ndarray
        :math:`f(w_1) - f(w_{T+1})`.
    weighted : ndarray
        :math:`\sum_{t \le T} \sum_j \nabla_t(j)^2 P_t(j)`, the quantity whose expectation
        the proof bounds by :math:`M + \tfrac{L\eta^2}{2} \mathbb{E} \sum_j H_j`.
    harmonic : ndarray, shape (steps, dim)
        :math:`H_j(T) = \sum_{t \le T} \hat\nabla_t(j)^2 / (\sigma^2 + \sum_{i<t}
        \hat\nabla_i(j)^2)`.
    harmonic_bound : ndarray, shape (steps, dim)
        :math:`2 \log(1 + \sum_{t \le T} \hat\nabla_t(j)^2 / \sigma^2)`, a bound on
        :math:`H_j(T)` whenever every :math:`\hat\nabla_t(j)^2 \le \sigma^2`.
    bound : ndarray
        The chapter's route with the constants its proof produces:
        :math:`(M + \tfrac{L\eta^2}{2} \sum_j H_j(T)) \sum_j P_T(j)^{-1} / T`.
    """

    T: np.ndarray
    mean_sq: np.ndarray
    M: np.ndarray
    descent: np.ndarray
    drop: np.ndarray
    weighted: np.ndarray
    harmonic: np.ndarray
    harmonic_bound: np.ndarray
    bound: np.ndarray


def adagrad_diagonal_guarantee(
    trace: Trace, problem, stochastic_grads, L, sigma2, lr=1.0
) -> AdaGradDiagonalGuarantee:
    r"""The quantities of Theorem 4.6.5's proof on one run of diagonal AdaGrad.

    The run is :class:`gdlab.optim.DelayedAdaGrad` with ``lr`` and ``sigma2``, so
    :math:`P_t(j) = \eta\, (\sigma^2 + \sum_{i<t} \hat\nabla_i(j)^2)^{-1/2}`;
    ``stochastic_grads`` are the gradients it drew (from :func:`run_recording_gradients`), and
    the exact gradients :math:`\nabla_t` are recomputed with ``problem.grad``.

    Parameters
    ----------
    trace : Trace
        The DelayedAdaGrad run (not diverged, at least one step).
    problem : object
        The problem it ran on.
    stochastic_grads : array_like, shape (steps, dim)
        The gradients it drew.
    L : float
        Smoothness constant, > 0.
    sigma2 : float
        The run's :math:`\sigma^2 > 0`.
    lr : float, optional
        The run's :math:`\eta > 0` (default 1).

    Returns
    -------
    AdaGradDiagonalGuarantee
    """
    L, lr = _checks.positive("L", L), _checks.positive("lr", lr)
    sigma2 = _checks.positive("sigma2", sigma2)
    squared = _squared_gradient_norms(trace)
    steps = squared.size
    drawn = _checks.finite_array("stochastic_grads", stochastic_grads, ndim=2)
    if drawn.shape != (steps, problem.dim):
        raise ValueError(
            f"stochastic_grads must have shape ({steps}, {problem.dim}), got {drawn.shape}"
        )
    exact = np.array([problem.grad(w) for w in trace.iterates[:steps]])
    drawn_sq = drawn**2
    before = sigma2 + np.cumsum(drawn_sq, axis=0) - drawn_sq  # sigma^2 + sum_{i<t}
    P = lr / np.sqrt(before)
    T = np.arange(1, steps + 1)
    values = np.asarray(trace.values, dtype=np.float64)
    step_terms = np.sum(exact * P * drawn, axis=1) - 0.5 * L * np.sum(P**2 * drawn_sq, axis=1)
    harmonic = np.cumsum(drawn_sq / before, axis=0)
    M = 2.0 * _running_abs_max(values)[1:]
    return AdaGradDiagonalGuarantee(
        T=T,
        mean_sq=np.cumsum(squared) / T,
        M=M,
        descent=np.cumsum(step_terms),
        drop=values[0] - values[1:],
        weighted=np.cumsum(np.sum(exact**2 * P, axis=1)),
        harmonic=harmonic,
        harmonic_bound=2.0 * np.log1p(np.cumsum(drawn_sq, axis=0) / sigma2),
        bound=(M + 0.5 * L * lr**2 * harmonic.sum(axis=1)) * np.sum(1.0 / P, axis=1) / T,
    )
