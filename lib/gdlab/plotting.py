"""Plotting helpers shared by the pages.

Every function takes ``ax=None`` (a new figure is made when omitted), sets its range from the
data it is given, and returns the axes. Nothing here changes matplotlib's global style: a page sets
its style once, in its setup cell (``plt.rcParams.update(plotting.style())`` gives matplotlib's
own cycle the same series styles).

Series are told apart by more than colour: the helpers that draw one series per call
(:func:`trajectory`, :func:`suboptimality`) give the k-th series on an axes the k-th of
:func:`series_style`: a colour of the Okabe-Ito palette (:data:`PALETTE`, distinguishable with
the common colour-vision deficiencies), a line style and a marker. Keyword arguments a page passes
(``color=...``) win.
"""

from __future__ import annotations

import numpy as np

from gdlab import _checks

#: Okabe & Ito's colour-universal-design palette (blue, vermillion, bluish green, reddish purple,
#: orange, sky blue, yellow, black): distinguishable with protanopia, deuteranopia and tritanopia.
PALETTE = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
)
#: Line styles and markers paired with :data:`PALETTE`, so series differ without colour too.
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1, 1, 1, 1, 1)), (0, (8, 2)), (0, (1, 3)), "-")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
# Lines the helpers drew carry this gid, so the next series on the same axes gets the next style.
_SERIES_GID = "gdlab-series"


def series_style(index: int) -> dict:
    """The ``index``-th series style: colour, line style and marker (cycling after 8).

    Parameters
    ----------
    index : int
        Position of the series on its axes, >= 0.

    Returns
    -------
    dict
        ``{"color", "linestyle", "marker"}``, to pass to ``ax.plot``.
    """
    if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
        raise ValueError(f"index must be an integer >= 0, got {_checks._show(index)}")
    k = int(index) % len(PALETTE)
    return {"color": PALETTE[k], "linestyle": LINESTYLES[k], "marker": MARKERS[k]}


def style() -> dict:
    """matplotlib rcParams whose property cycle is :func:`series_style`'s (for a setup cell).

    Returns
    -------
    dict
        ``{"axes.prop_cycle": ...}``; use ``plt.rcParams.update(style())`` or
        ``plt.style.context(style())``.
    """
    from cycler import cycler

    styles = [series_style(k) for k in range(len(PALETTE))]
    return {
        "axes.prop_cycle": cycler(
            color=[s["color"] for s in styles],
            linestyle=[s["linestyle"] for s in styles],
            marker=[s["marker"] for s in styles],
        ),
        "lines.markersize": 4,
    }


def _next_style(ax, kwargs, points: int | None = None) -> dict:
    """Fill the series style into ``kwargs`` (keys a caller set win).

    With ``points`` (a long curve), a marker every ``points // 10`` points, not on every one.
    """
    index = sum(1 for line in ax.get_lines() if line.get_gid() == _SERIES_GID)
    chosen = series_style(index)
    if "c" not in kwargs:
        kwargs.setdefault("color", chosen["color"])
    if "ls" not in kwargs:
        kwargs.setdefault("linestyle", chosen["linestyle"])
    kwargs.setdefault("marker", chosen["marker"])
    if points is not None and points > 20:
        kwargs.setdefault("markevery", max(1, points // 10))
    kwargs.setdefault("gid", _SERIES_GID)
    return kwargs


def _axes(ax):
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


def _iterates(trace_or_points, name="trace_or_points") -> np.ndarray:
    raw = getattr(trace_or_points, "iterates", trace_or_points)
    try:
        points = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"{name} must be a Trace or a (k, 2) array of points, got {_checks._show(raw)}"
        ) from None
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(
            f"{name} must be a Trace or a (k, 2) array of points, got shape {points.shape}"
        )
    return points


def plot_range(*point_sets, margin: float = 0.15, square: bool = False):
    """Axis limits ``(xlim, ylim)`` covering the finite points of every set, with a margin.

    Parameters
    ----------
    *point_sets : Trace or array_like, shape (k, 2)
        At least one trace of a 2-D run or array of points. Non-finite rows (the tail of a
        diverged run) are ignored; if no finite point is left the range is centred on 0.
    margin : float, optional
        Padding on each side as a fraction of the span, >= 0 (default 0.15).
    square : bool, optional
        Give both axes the larger of the two spans (default ``False``).

    Returns
    -------
    xlim, ylim : tuple of float
        ``(low, high)`` for each axis.
    """
    if not point_sets:
        raise ValueError("point_sets must hold at least one trace or (k, 2) array, got none")
    margin = _checks.non_negative("margin", margin)
    finite = [
        p[np.all(np.isfinite(p), axis=1)]
        for p in (_iterates(points, f"point_sets[{i}]") for i, points in enumerate(point_sets))
    ]
    points = np.vstack([p for p in finite if len(p)] or [np.zeros((1, 2))])
    low, high = points.min(axis=0), points.max(axis=0)
    span = np.maximum(high - low, 1e-3)
    if square:
        span[:] = span.max()
        centre = (low + high) / 2
        low, high = centre - span / 2, centre + span / 2
    pad = margin * span
    return (low[0] - pad[0], high[0] + pad[0]), (low[1] - pad[1], high[1] + pad[1])


def contours(
    problem, ax=None, xlim=(-1.0, 1.0), ylim=(-1.0, 1.0), levels=15, resolution=150, **kwargs
):
    """Contour lines of a 2-D problem's ``value`` on a grid, spaced geometrically above the minimum.

    Geometric spacing shows both the steep walls and the flat floor of an ill-conditioned valley.

    Parameters
    ----------
    problem : object
        A 2-D problem with ``value(w)``, e.g. from :mod:`gdlab.problems`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    xlim, ylim : tuple of float, optional
        ``(low, high)`` of the grid and of the axes, ``low < high`` (default ``(-1, 1)``).
    levels : int, optional
        Number of contour lines (default 15).
    resolution : int, optional
        Grid points per axis (default 150).
    **kwargs
        Passed to ``ax.contour`` (default ``cmap="viridis"``, ``linewidths=0.8``).

    Returns
    -------
    matplotlib Axes
    """
    _checks.problem("problem", problem, ("dim",))
    if problem.dim != 2:
        raise ValueError(f"problem must be 2-D to draw contours, got dim={problem.dim}")
    _checks.problem("problem", problem, ("dim", "value"))
    xlim, ylim = _checks.interval("xlim", xlim), _checks.interval("ylim", ylim)
    levels = _checks.positive_int("levels", levels)
    resolution = _checks.positive_int("resolution", resolution)
    ax = _axes(ax)
    xs, ys = np.linspace(*xlim, resolution), np.linspace(*ylim, resolution)
    grid_x, grid_y = np.meshgrid(xs, ys)
    points = np.column_stack([grid_x.ravel(), grid_y.ravel()])
    values = np.array([problem.value(p) for p in points]).reshape(grid_x.shape)
    floor = values.min()
    heights = values - floor
    top = max(np.percentile(heights, 95), 1e-12)
    smallest = max(top * 1e-4, heights[heights > 0].min() if np.any(heights > 0) else 1e-12)
    level_values = floor + np.geomspace(smallest, top, levels)
    kwargs.setdefault("cmap", "viridis")
    kwargs.setdefault("linewidths", 0.8)
    ax.contour(grid_x, grid_y, values, levels=level_values, **kwargs)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal", adjustable="box")
    return ax


def trajectory(trace_or_points, ax=None, label=None, **kwargs):
    """The path of 2-D iterates (a trace from ``gdlab.optim.run`` or a (k, 2) array).

    Parameters
    ----------
    trace_or_points : Trace or array_like, shape (k, 2)
        The iterates; the first is marked with a square.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    label : str, optional
        Legend label of the path.
    **kwargs
        Passed to ``ax.plot`` (default: the next :func:`series_style` on ``ax``, small markers).

    Returns
    -------
    matplotlib Axes
    """
    points = _iterates(trace_or_points)
    ax = _axes(ax)
    _next_style(ax, kwargs)  # a marker on every iterate: the steps are what the path shows
    kwargs.setdefault("markersize", 3)
    kwargs.setdefault("linewidth", 1.2)
    line = ax.plot(points[:, 0], points[:, 1], label=label, **kwargs)[0]
    ax.plot(*points[0], marker="s", color=line.get_color(), markersize=6)
    return ax


def contours_with_paths(problem, traces, labels=None, ax=None, margin=0.15, **kwargs):
    """Contours of ``problem`` framed around the given trajectories, with each path drawn on top.

    Parameters
    ----------
    problem : object
        A 2-D problem; its ``minimizer``, if it has one, is marked with a star.
    traces : sequence of Trace or (k, 2) arrays
        The paths to draw (at least one).
    labels : sequence of str, optional
        One legend label per trace.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    margin : float, optional
        As for :func:`plot_range` (default 0.15).
    **kwargs
        Passed to :func:`contours`.

    Returns
    -------
    matplotlib Axes
    """
    if not isinstance(traces, (list, tuple)) or not traces:
        raise ValueError(f"traces must be a non-empty list of traces, got {_checks._show(traces)}")
    if labels is not None and len(labels) != len(traces):
        raise ValueError(
            f"labels must have one entry per trace ({len(traces)}), got {len(labels)}: {labels!r}"
        )
    labels = labels or [None] * len(traces)
    xlim, ylim = plot_range(*traces, margin=margin, square=True)
    ax = contours(problem, ax=ax, xlim=xlim, ylim=ylim, **kwargs)
    for trace, label in zip(traces, labels, strict=True):
        trajectory(trace, ax=ax, label=label)
    minimizer = getattr(problem, "minimizer", None)
    if minimizer is not None:
        ax.plot(*minimizer, marker="*", color="black", markersize=12, linestyle="none")
    if any(labels):
        ax.legend(loc="best", fontsize="small")
    return ax


def suboptimality(trace, ax=None, optimal_value=0.0, label=None, **kwargs):
    r"""``f(w_t) - f*`` against ``t`` on a log scale (non-finite and non-positive gaps are cut).

    Parameters
    ----------
    trace : Trace or array_like, shape (steps + 1,)
        A run, or its values :math:`f(w_t)`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    optimal_value : float, optional
        :math:`f^\star` (default 0).
    label : str, optional
        Legend label.
    **kwargs
        Passed to ``ax.semilogy`` (default: the next :func:`series_style` on ``ax``).

    Returns
    -------
    matplotlib Axes
    """
    raw = getattr(trace, "values", trace)
    try:
        values = np.asarray(raw, dtype=float)
    except (TypeError, ValueError):
        values = None
    if values is None or values.ndim != 1:
        raise ValueError(
            f"trace must be a Trace or a 1-D array of values, got {_checks._show(raw)}"
        )
    optimal_value = _checks.real_scalar("optimal_value", optimal_value)
    gap = values - optimal_value
    with np.errstate(invalid="ignore"):
        gap = np.where(np.isfinite(gap) & (gap > 0), gap, np.nan)
    ax = _axes(ax)
    _next_style(ax, kwargs, len(gap))
    ax.semilogy(np.arange(len(gap)), gap, label=label, **kwargs)
    ax.set_xlabel("iteration $t$")
    ax.set_ylabel(r"$f(w_t) - f^\star$")
    return ax


def rate_line(rate, steps, start=1.0, ax=None, label=None, **kwargs):
    """The geometric reference ``start * rate**t`` for ``t = 0..steps`` on a log axis.

    Parameters
    ----------
    rate : float
        The per-step factor, >= 0 (e.g. from :mod:`gdlab.rates`).
    steps : int
        The last ``t``, >= 1.
    start : float, optional
        The value at ``t = 0``, > 0 (default 1).
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.
    label : str, optional
        Legend label.
    **kwargs
        Passed to ``ax.semilogy`` (default a thin black dashed line).

    Returns
    -------
    matplotlib Axes
    """
    rate = _checks.non_negative("rate", rate)
    steps = _checks.positive_int("steps", steps)
    start = _checks.positive("start", start)
    ax = _axes(ax)
    kwargs.setdefault("linestyle", "--")
    kwargs.setdefault("color", "black")
    kwargs.setdefault("linewidth", 1.0)
    t = np.arange(steps + 1)
    ax.semilogy(t, start * rate**t, label=label, **kwargs)
    return ax
