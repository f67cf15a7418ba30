"""Learning-rate sweeps and measured step sizes (Sections 4.5 and 4.7).

Section 4.7: "the learning rate is treated as a critical hyperparameter, often tuned via trial and
error". :func:`lr_sweep` is that trial and error made explicit: it runs one method at every
learning rate of a grid and keeps every trace, so a page can report the whole sweep and not only
the winner. :func:`effective_lrs` reads off the step size a method actually took, per
coordinate, from a trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from gdlab import _checks
from gdlab.optim import Optimizer, Trace, run

__all__ = ["Sweep", "effective_lrs", "final_gap", "lr_grid", "lr_sweep"]


def lr_grid(low, high, per_decade=4) -> np.ndarray:
    """Learning rates from ``low`` to ``high`` (both included), ``per_decade`` per factor of 10.

    The count is rounded so that the end points are exact: ``lr_grid(1e-3, 1, 2)`` has 7 values.

    Parameters
    ----------
    low, high : float
        End points, ``0 < low <= high``.
    per_decade : int, optional
        Values per factor of 10 (default 4).

    Returns
    -------
    ndarray
        Geometrically spaced, ascending.
    """
    low, high = _checks.positive("low", low), _checks.positive("high", high)
    if high < low:
        raise ValueError(f"high must be >= low, got low={low}, high={high}")
    per_decade = _checks.positive_int("per_decade", per_decade)
    if high == low:
        return np.array([low])
    count = max(2, round(np.log10(high / low) * per_decade) + 1)
    return np.geomspace(low, high, count)


def final_gap(trace: Trace, optimal_value=0.0) -> float:
    r"""``f(w_T) - optimal_value`` of the last iterate, or ``inf`` if the run diverged.

    Parameters
    ----------
    trace : Trace
    optimal_value : float, optional
        :math:`f^\star` (default 0).

    Returns
    -------
    float
    """
    _checks.problem("trace", trace, ("values", "diverged"))
    optimal_value = _checks.real_scalar("optimal_value", optimal_value)
    value = float(trace.values[-1])
    if trace.diverged is not None or not np.isfinite(value):
        return float("inf")
    return value - optimal_value


class Sweep(NamedTuple):
    """The outcome of :func:`lr_sweep`.

    Attributes
    ----------
    lrs : ndarray
        The learning rates tried, ascending.
    scores : ndarray
        The score of each run (lower is better; ``inf`` for a diverged run).
    diverged : ndarray of bool
        Runs whose last value is not finite or is above their first value.
    traces : tuple of Trace
        Every run, in the order of ``lrs``.
    best : int
        Index of the lowest score (the smallest lr among ties).
    """

    lrs: np.ndarray
    scores: np.ndarray
    diverged: np.ndarray
    traces: tuple
    best: int

    @property
    def best_lr(self) -> float:
        """The learning rate with the lowest score, ``lrs[best]``."""
        return float(self.lrs[self.best])

    @property
    def best_trace(self) -> Trace:
        """The run at :attr:`best_lr`, ``traces[best]``."""
        return self.traces[self.best]

    @property
    def best_is_interior(self) -> bool:
        """Whether the best lr is not at an end of the grid (else: widen the grid)."""
        return 0 < self.best < len(self.lrs) - 1


def lr_sweep(
    make_optimizer: Callable[[float], Optimizer],
    problem,
    w0,
    steps,
    lrs,
    score: Callable[[Trace], float] | None = None,
    schedule_for: Callable[[float], Callable] | None = None,
    floor: float | None = None,
) -> Sweep:
    """Run ``make_optimizer(lr)`` for every ``lr`` and score each run.

    Parameters
    ----------
    make_optimizer : callable
        ``lr -> Optimizer``, e.g. ``lambda lr: Adam(lr=lr)``.
    problem, w0, steps
        As for :func:`gdlab.optim.run`.
    lrs : array_like
        Positive learning rates (sorted ascending here).
    score : callable, optional
        ``trace -> float``, lower is better. Default: :func:`final_gap` against
        ``problem.optimal_value`` (0 when unknown). Non-finite scores count as ``inf``.
    schedule_for : callable, optional
        ``lr -> schedule``: run each lr under a schedule that peaks at it (e.g.
        ``lambda lr: Cosine(lr, T=steps)``).
    floor : float, optional
        Scores below ``floor`` count as ``floor``: runs that all solved the problem to rounding
        level then tie, and the smallest lr among them wins (e.g. ``floor=1e-12`` with the
        default final-gap score).

    Returns
    -------
    Sweep
    """
    _checks.function("make_optimizer", make_optimizer)
    for name, value in (("score", score), ("schedule_for", schedule_for)):
        if value is not None:
            _checks.function(name, value)
    grid = np.sort(_checks.finite_array("lrs", lrs, ndim=1))
    if grid.size == 0 or np.any(grid <= 0):
        raise ValueError(f"lrs must be a non-empty array of positive numbers, got {grid}")
    if floor is not None:
        floor = _checks.real_scalar("floor", floor)
    if score is None:
        optimal = getattr(problem, "optimal_value", None)
        optimal = 0.0 if optimal is None else optimal

        def score(trace):
            return final_gap(trace, optimal)

    traces, scores, diverged = [], [], []
    for lr in grid:
        optimizer = make_optimizer(float(lr))
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"make_optimizer must return an Optimizer, got {optimizer!r}")
        schedule = None if schedule_for is None else schedule_for(float(lr))
        trace = run(optimizer, problem, w0, steps, schedule)
        value = float(score(trace))
        if floor is not None:
            value = max(value, floor)
        traces.append(trace)
        scores.append(value if np.isfinite(value) else np.inf)
        last = trace.values[-1]
        diverged.append(bool(not np.isfinite(last) or last > trace.values[0]))
    scores = np.array(scores)
    return Sweep(grid, scores, np.array(diverged), tuple(traces), int(np.argmin(scores)))


def effective_lrs(trace: Trace, problem) -> np.ndarray:
    r"""The step size taken per coordinate: :math:`|w_{t+1,i} - w_{t,i}| / |\nabla f(w_t)_i|`.

    For a method whose step is a per-coordinate multiple of the exact gradient (GD, AdaGrad,
    RMSprop, all without ``batch_size``), this is the multiple :math:`\eta_{t,i}` it used.
    Shape (steps, dim); NaN where the gradient coordinate is 0 or the run diverged.

    Parameters
    ----------
    trace : Trace
        A run on ``problem``.
    problem : object
        Provides ``dim`` and ``grad``.

    Returns
    -------
    ndarray, shape (steps, dim)
    """
    _checks.problem("trace", trace, ("iterates", "lrs"))
    _checks.problem("problem", problem, ("dim", "grad"))
    steps = trace.lrs.shape[0]
    iterates = np.asarray(trace.iterates, dtype=np.float64)
    with np.errstate(all="ignore"):
        gradients = np.array(
            [
                problem.grad(w) if np.all(np.isfinite(w)) else np.full(problem.dim, np.nan)
                for w in iterates[:steps]
            ]
        ).reshape(steps, problem.dim)
        moved = np.abs(np.diff(iterates, axis=0))
        ratio = moved / np.abs(gradients)
    return np.where(np.isfinite(ratio), ratio, np.nan)
