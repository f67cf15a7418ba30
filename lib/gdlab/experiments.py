"""The edge-of-stability experiment (Section 4.7; Cohen et al., ICLR 2021), and its plots.

Full-batch gradient descent on :class:`gdlab.nets.MSELoss` at a few step sizes ``eta``,
recording the loss at every step and the sharpness ``lambda_max(H)`` every few steps (warm-started
Lanczos on exact Hessian-vector products), plus one run with a small step standing in for
gradient flow. The runner returns arrays and prints nothing; :func:`eos_statistics` reduces a run
to the numbers the page asserts; the ``plot_*`` helpers draw on a given axes.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import joblib
import numpy as np

from gdlab import _checks
from gdlab.curvature import NonFiniteProductError, lanczos
from gdlab.nets import MSELoss, TanhMLP, gaussian_clusters
from gdlab.optim import GD

__all__ = [
    "SharpnessTrace",
    "EoSResult",
    "gd_with_sharpness",
    "edge_of_stability",
    "eos_problem",
    "eos_statistics",
    "eos_failures",
    "eos_table",
    "plot_loss",
    "plot_sharpness",
    "plot_sharpness_vs_time",
    "plot_loss_window",
]

#: Default step sizes, chosen so that ``2/eta`` = 6, 8, 10.
DEFAULT_LRS = (2 / 6, 2 / 8, 2 / 10)


class SharpnessTrace(NamedTuple):
    """One gradient-descent run.

    Attributes
    ----------
    lr : float
        The step size ``eta``.
    losses : ndarray, shape (steps + 1,)
        ``L(w_t)`` for ``t = 0, ..., steps``.
    sharpness_steps : ndarray of int
        The steps ``t`` at which the sharpness was measured (``0, every, 2 * every, ...``).
    sharpness : ndarray
        ``lambda_max(H(w_t))`` at those steps.
    n_hvps : int
        Hessian-vector products spent on the sharpness.
    """

    lr: float
    losses: np.ndarray
    sharpness_steps: np.ndarray
    sharpness: np.ndarray
    n_hvps: int

    @property
    def threshold(self) -> float:
        """The stability threshold ``2/eta`` of the quadratic model (Section 4.4)."""
        return 2.0 / self.lr


class EoSResult(NamedTuple):
    """The experiment: GD runs at several step sizes and a small-step (gradient-flow) run.

    Attributes
    ----------
    runs : tuple of SharpnessTrace
        One per step size, in the order given.
    flow : SharpnessTrace or None
        The small-step run standing in for gradient flow.
    settings : dict
        Every setting needed to reproduce the result.
    cpu_seconds : float
        CPU time spent, summed over the processes that ran it (see ``jobs`` in
        :func:`edge_of_stability`).
    """

    runs: tuple
    flow: SharpnessTrace | None
    settings: dict
    cpu_seconds: float


def gd_with_sharpness(
    problem,
    w0,
    lr: float,
    steps: int,
    every: int = 10,
    tol: float = 1e-3,
    max_iter: int = 20,
    seed: int = 0,
) -> SharpnessTrace:
    """Full-batch GD ``w_{t+1} = w_t - eta grad L(w_t)`` (Eq. 4.2), tracking the sharpness.

    The update is :class:`gdlab.optim.GD`'s; this loop adds the measurements, which
    :func:`gdlab.optim.run` does not make.

    Parameters
    ----------
    problem : object with ``dim``, ``value(w)``, ``grad(w)`` and ``hvp(w, v)``
    w0 : array
    lr : float
        The step size ``eta``.
    steps : int
    every : int
        Measure the sharpness at steps ``0, every, 2 * every, ...``.
    tol, max_iter : float, int
        Passed to :func:`gdlab.curvature.lanczos`; each call starts from the previous top
        eigenvector, which typically needs only a few Hessian-vector products.
    seed : int
        Seed of the first Lanczos start vector.

    Notes
    -----
    The run stops early (the remaining losses are NaN) if the loss becomes non-finite.

    Returns
    -------
    SharpnessTrace
    """
    lr = _checks.positive("lr", lr)
    steps = _checks.positive_int("steps", steps)
    every = _checks.positive_int("every", every)
    w = _checks.vector("w0", w0, problem.dim).copy()
    w_next = np.empty_like(w)
    gd = GD(lr=lr)

    def hvp_at_w(u):  # reads the name w when called, so always the current iterate
        return problem.hvp(w, u)

    losses = np.full(steps + 1, np.nan)
    measured = np.arange(0, steps + 1, every)
    sharp = np.full(measured.shape, np.nan)
    v, n_hvps = None, 0
    with np.errstate(over="ignore", invalid="ignore"):  # a divergent run ends with inf/NaN
        for t in range(steps + 1):
            losses[t] = problem.value(w) if np.isfinite(w).all() else np.nan
            if not np.isfinite(losses[t]):
                break
            if t % every == 0:
                try:
                    result = lanczos(
                        hvp_at_w, problem.dim, v0=v, tol=tol, max_iter=max_iter, seed=seed
                    )
                except NonFiniteProductError:  # sharpness stays NaN, as for a diverged loss
                    break
                sharp[t // every], v = result.eigenvalue, result.vector
                n_hvps += result.n_matvecs
            if t < steps:
                gd.step(w, problem, out=w_next)
                w, w_next = w_next, w
    return SharpnessTrace(lr, losses, measured, sharp, n_hvps)


def eos_problem(
    width: int = 32, depth: int = 3, n: int = 300, spread: float = 2.0, seed: int = 0
) -> tuple[MSELoss, np.ndarray]:
    """The experiment's loss and initial point ``(problem, w0)``; see :func:`edge_of_stability`.

    ``n`` points from :func:`gdlab.nets.gaussian_clusters` (20-D, 10 classes, noise ``spread``),
    a :class:`gdlab.nets.TanhMLP` with ``depth`` hidden layers of ``width`` units, and its
    :class:`gdlab.nets.MSELoss`; ``seed`` draws both the data and ``w0``.

    Parameters
    ----------
    width : int, optional
        Hidden units per layer (default 32).
    depth : int, optional
        Hidden layers (default 3).
    n : int, optional
        Number of data points (default 300).
    spread : float, optional
        Cluster noise (default 2).
    seed : int, optional
        Seed of the data and of ``w0`` (default 0).

    Returns
    -------
    problem : MSELoss
    w0 : ndarray, shape (problem.dim,)
    """
    X, Y = gaussian_clusters(n=n, dim=20, n_classes=10, spread=spread, seed=seed)
    net = TanhMLP(20, 10, width=width, depth=depth)
    return MSELoss(net, X, Y), net.init(seed)


def edge_of_stability(
    lrs=DEFAULT_LRS,
    steps: int = 4000,
    flow_lr: float | None = 0.04,
    flow_time: float = 400.0,
    flow_every: int = 50,
    width: int = 32,
    depth: int = 3,
    n: int = 300,
    spread: float = 2.0,
    seed: int = 0,
    every: int = 10,
    jobs: int | None = None,
) -> EoSResult:
    """Reproduce the edge of stability on a small tanh network.

    Data: :func:`gdlab.nets.gaussian_clusters` (``n`` points in 20-D, 10 classes, noise
    ``spread``). Network: :class:`gdlab.nets.TanhMLP` with ``depth`` hidden layers of ``width``.
    Loss: :class:`gdlab.nets.MSELoss`. The same ``seed`` draws the data and the initialisation,
    and every run starts from the same ``w0``.

    The defaults (``n=300``, ``width=32``) keep each matrix product small (``n * width^2``
    multiply-adds, under half a million), where OpenBLAS stays on one thread. Larger products
    get several threads, which on a small shared machine can spin idle and multiply the CPU
    time: ``width=48, n=500`` was measured 8-10 times slower than with one thread.

    Each step size in ``lrs`` gets ``steps`` GD steps with the sharpness every ``every`` steps.
    The gradient-flow stand-in is GD with the small step ``flow_lr`` up to time
    ``eta * t = flow_time``, with the sharpness every ``flow_every`` steps. (``flow_lr=None``
    skips it.)

    Parameters
    ----------
    lrs : sequence of float, optional
        The GD step sizes, each > 0 (default 1/3, 1/4, 1/5); may be empty if ``flow_lr`` is given.
    steps : int, optional
        GD steps per step size (default 4000).
    flow_lr : float or None, optional
        Step of the gradient-flow stand-in, > 0, or ``None`` to skip it (default 0.04).
    flow_time : float, optional
        Its time horizon ``eta * t`` (default 400).
    flow_every : int, optional
        Its sharpness interval in steps (default 50).
    width, depth, n, spread, seed
        As for :func:`eos_problem`.
    every : int, optional
        Sharpness interval of the GD runs in steps (default 10).
    jobs : int or None, optional
        Worker processes for the runs, which are independent of each other: ``None`` (default)
        uses every CPU core this process may use (at most one per run), ``1`` runs them one
        after the other in this process. Every run is deterministic, so the result is the same
        to the last bit whatever ``jobs`` is; only the wall-clock time changes. The workers are
        joblib's (loky), which need no ``if __name__ == "__main__"`` guard in scripts.

    Returns
    -------
    EoSResult
    """
    if not isinstance(lrs, (list, tuple, np.ndarray)):
        raise ValueError(f"lrs must be a sequence of step sizes, got {lrs!r}")
    lrs = tuple(_checks.positive("lrs[i]", lr) for lr in lrs)
    steps = _checks.positive_int("steps", steps)
    if flow_lr is not None:
        flow_lr = _checks.positive("flow_lr", flow_lr)
    elif not lrs:
        raise ValueError("lrs is empty and flow_lr is None: there is nothing to run")
    if jobs is not None:
        jobs = _checks.positive_int("jobs", jobs)
    start = time.process_time()
    problem, w0 = eos_problem(width=width, depth=depth, n=n, spread=spread, seed=seed)
    net = problem.net
    plan = [(lr, steps, every) for lr in lrs]
    if flow_lr is not None:
        flow_steps = int(round(_checks.positive("flow_time", flow_time) / flow_lr))
        plan.append((flow_lr, flow_steps, flow_every))
    traces, worker_seconds = _run_all(problem, w0, plan, seed, jobs)
    runs, flow = tuple(traces[: len(lrs)]), (traces[-1] if flow_lr is not None else None)
    settings = dict(
        lrs=lrs,
        steps=steps,
        every=every,
        flow_lr=flow_lr,
        flow_time=flow_time,
        flow_every=flow_every,
        width=width,
        depth=depth,
        n=n,
        spread=spread,
        seed=seed,
        sizes=net.sizes,
        n_params=net.n_params,
    )
    return EoSResult(runs, flow, settings, time.process_time() - start + worker_seconds)


def _timed_run(problem, w0, lr, steps, every, seed):
    """:func:`gd_with_sharpness` and the CPU seconds it took in the process that ran it."""
    start = time.process_time()
    trace = gd_with_sharpness(problem, w0, lr, steps, every=every, seed=seed)
    return trace, time.process_time() - start


def _run_all(problem, w0, plan, seed, jobs):
    """Run ``plan`` (``(lr, steps, every)`` per run) on ``jobs`` processes, longest first.

    Returns the traces in the order of ``plan`` and the CPU seconds spent in worker processes
    (0 when everything ran here).
    """
    available = joblib.cpu_count() if jobs is None else jobs
    workers = max(1, min(available, len(plan)))
    if workers == 1:
        return [_timed_run(problem, w0, *run, seed)[0] for run in plan], 0.0
    # the longest runs (most steps) start first, so the last to finish ends as early as it can
    order = sorted(range(len(plan)), key=lambda k: -plan[k][1])
    done = joblib.Parallel(n_jobs=workers, backend="loky")(
        joblib.delayed(_timed_run)(problem, w0, *plan[k], seed) for k in order
    )
    traces = [None] * len(plan)
    for k, (trace, _) in zip(order, done, strict=True):
        traces[k] = trace
    return traces, sum(seconds for _, seconds in done)


def eos_statistics(run: SharpnessTrace) -> dict:
    """The numbers that say whether a run trained at the edge of stability.

    Returns a dict with

    - ``initial_ratio``: sharpness at step 0 divided by ``2/eta``;
    - ``crossing_step``: first measured step with sharpness >= ``2/eta`` (None if never);
    - ``median_ratio``: median of sharpness / (2/eta) over the second half of training;
    - ``loss_at_crossing``, ``final_loss`` and ``loss_ratio`` = final / at crossing;
    - ``increases_after_crossing``: number of steps ``t >= crossing`` with ``L_{t+1} > L_t``;
    - ``peak_ratio``: the largest sharpness / (2/eta) measured after the crossing, and
      ``peak_step`` where it occurred;
    - ``settle_steps``: steps from that peak until the ratio is first back below 1.1;
    - ``loss_jump``: the largest loss after the crossing divided by the loss at the crossing.

    The crossing-related entries are None (0 for the count) when the sharpness never crosses.

    Parameters
    ----------
    run : SharpnessTrace
        One run of :func:`gd_with_sharpness`.

    Returns
    -------
    dict
    """
    _checks.instance("run", run, SharpnessTrace, "a SharpnessTrace (from gd_with_sharpness)")
    ratio = run.sharpness * run.lr / 2.0
    steps = len(run.losses) - 1
    above = np.nonzero(ratio >= 1.0)[0]
    crossing = int(run.sharpness_steps[above[0]]) if above.size else None
    second_half = run.sharpness_steps >= steps / 2
    stats = dict(
        lr=run.lr,
        threshold=run.threshold,
        initial_ratio=float(ratio[0]),
        crossing_step=crossing,
        median_ratio=float(np.median(ratio[second_half])),
        final_loss=float(run.losses[-1]),
        loss_at_crossing=None,
        loss_ratio=None,
        increases_after_crossing=0,
        peak_ratio=None,
        peak_step=None,
        settle_steps=None,
        loss_jump=None,
    )
    if crossing is not None:
        after = run.losses[crossing:]
        stats["loss_at_crossing"] = float(run.losses[crossing])
        stats["loss_ratio"] = float(run.losses[-1] / run.losses[crossing])
        stats["increases_after_crossing"] = int(np.sum(np.diff(after) > 0))
        stats["loss_jump"] = float(np.nanmax(after) / run.losses[crossing])
        peak = above[0] + int(np.nanargmax(ratio[above[0] :]))
        stats["peak_ratio"] = float(ratio[peak])
        stats["peak_step"] = int(run.sharpness_steps[peak])
        settled = np.nonzero(ratio[peak:] < 1.1)[0]
        if settled.size:
            stats["settle_steps"] = int(run.sharpness_steps[peak + settled[0]]) - stats["peak_step"]
    return stats


def eos_failures(
    result: EoSResult,
    max_initial_ratio: float = 0.6,
    median_range: tuple[float, float] = (0.95, 1.10),
    max_loss_ratio: float = 0.2,
    min_increases: int = 50,
) -> list[str]:
    """The edge-of-stability conditions that a result violates (an empty list if none).

    For every step size: the sharpness starts below ``max_initial_ratio * 2/eta``; it crosses
    ``2/eta``; its median over the second half lies in ``median_range * 2/eta``; the final loss is
    below ``max_loss_ratio`` times the loss at the crossing, with at least ``min_increases``
    step-to-step increases after the crossing. Across step sizes: smaller ``eta`` crosses later.

    Parameters
    ----------
    result : EoSResult
        From :func:`edge_of_stability`.
    max_initial_ratio : float, optional
        Default 0.6.
    median_range : tuple of float, optional
        Default (0.95, 1.1).
    max_loss_ratio : float, optional
        Default 0.2.
    min_increases : int, optional
        Default 50.

    Returns
    -------
    list of str
        One line per violated condition, naming the step size.
    """
    _checks.instance("result", result, EoSResult, "an EoSResult (from edge_of_stability)")
    failures = []
    stats = [eos_statistics(run) for run in result.runs]
    for s in stats:
        name = f"eta = {s['lr']:.4g}"
        if not s["initial_ratio"] < max_initial_ratio:
            failures.append(f"{name}: initial sharpness ratio {s['initial_ratio']:.3f}")
        if s["crossing_step"] is None:
            failures.append(f"{name}: sharpness never reached 2/eta")
            continue
        if not median_range[0] <= s["median_ratio"] <= median_range[1]:
            failures.append(f"{name}: median ratio {s['median_ratio']:.3f} outside {median_range}")
        if not s["loss_ratio"] < max_loss_ratio:
            failures.append(f"{name}: final / crossing loss {s['loss_ratio']:.3f}")
        if not s["increases_after_crossing"] >= min_increases:
            failures.append(f"{name}: only {s['increases_after_crossing']} loss increases")
    crossed = [s for s in stats if s["crossing_step"] is not None]
    by_lr = sorted(crossed, key=lambda s: -s["lr"])
    for big, small in zip(by_lr[:-1], by_lr[1:], strict=False):
        if not small["crossing_step"] > big["crossing_step"]:
            failures.append(
                f"eta = {small['lr']:.4g} crossed at step {small['crossing_step']}, not after "
                f"eta = {big['lr']:.4g} (step {big['crossing_step']})"
            )
    return failures


def eos_table(result: EoSResult) -> str:
    """The numbers behind :func:`eos_failures`'s conditions, one row per step size (Markdown).

    Columns: ``eta``, ``2/eta``, the starting sharpness over ``2/eta``, the crossing step, the
    median of sharpness / (2/eta) over the second half, the final loss over the loss at the
    crossing, and the loss increases after the crossing; each header states the condition
    (with :func:`eos_failures`'s default bounds). A run that never crosses shows "never" and "-".

    Parameters
    ----------
    result : EoSResult
        From :func:`edge_of_stability`.

    Returns
    -------
    str
        A Markdown table.
    """
    _checks.instance("result", result, EoSResult, "an EoSResult (from edge_of_stability)")
    header = (
        r"| $\eta$ | $2/\eta$ | start: $S/(2/\eta)$ (< 0.6) | crossing step "
        r"(later for smaller $\eta$) | median $S/(2/\eta)$, second half (0.95 to 1.10) "
        r"| final loss / loss at crossing (< 0.2) | loss increases after crossing (at least 50) |"
    )
    rows = [header, "|" + "---:|" * 7]
    for run in result.runs:
        s = eos_statistics(run)
        crossed = s["crossing_step"] is not None
        crossing = str(s["crossing_step"]) if crossed else "never"
        loss_ratio = f"{s['loss_ratio']:.3f}" if crossed else "-"
        rows.append(
            f"| {s['lr']:.4g} | {s['threshold']:.4g} | {s['initial_ratio']:.2f} | {crossing} "
            f"| {s['median_ratio']:.3f} | {loss_ratio} | {s['increases_after_crossing']} |"
        )
    return "\n".join(rows)


# ---------------------------------------------------------------------------------------------
# plots: each takes ax=None (a new figure) and returns the axes


def _axes(ax):
    """The given axes, or a new figure's (like :mod:`gdlab.plotting`)."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


def _label(run):
    return rf"$\eta = 2/{run.threshold:.3g}$"


def plot_loss(result: EoSResult, ax=None):
    """Training loss against step for each step size (log scale).

    Parameters
    ----------
    result : EoSResult
        From :func:`edge_of_stability`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
    """
    _checks.instance("result", result, EoSResult, "an EoSResult (from edge_of_stability)")
    ax = _axes(ax)
    for run in result.runs:
        ax.plot(np.arange(len(run.losses)), run.losses, lw=1, label=_label(run))
    ax.set_yscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("training loss")
    ax.legend()
    return ax


def plot_sharpness(result: EoSResult, ax=None):
    """Sharpness against step for each step size, with its ``2/eta`` as a dashed line.

    Parameters
    ----------
    result : EoSResult
        From :func:`edge_of_stability`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
    """
    _checks.instance("result", result, EoSResult, "an EoSResult (from edge_of_stability)")
    ax = _axes(ax)
    for run in result.runs:
        (line,) = ax.plot(run.sharpness_steps, run.sharpness, lw=1, label=_label(run))
        ax.axhline(run.threshold, color=line.get_color(), ls="--", lw=1)
    highest = max(np.nanmax(run.sharpness) for run in result.runs)
    ax.set_ylim(0, max(1.15 * max(run.threshold for run in result.runs), 1.05 * highest))
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"sharpness $\lambda_{\max}$")
    return ax


def plot_sharpness_vs_time(result: EoSResult, ax=None):
    """Sharpness against time ``eta * t``: the GD runs and the gradient-flow stand-in.

    Parameters
    ----------
    result : EoSResult
        From :func:`edge_of_stability`.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
    """
    _checks.instance("result", result, EoSResult, "an EoSResult (from edge_of_stability)")
    ax = _axes(ax)
    horizon = result.flow.lr * (len(result.flow.losses) - 1) if result.flow else np.inf
    for run in result.runs:
        keep = run.lr * run.sharpness_steps <= horizon
        (line,) = ax.plot(
            run.lr * run.sharpness_steps[keep], run.sharpness[keep], lw=1, label=_label(run)
        )
        ax.axhline(run.threshold, color=line.get_color(), ls="--", lw=1)
    if result.flow is not None:
        flow = result.flow
        ax.plot(
            flow.lr * flow.sharpness_steps,
            flow.sharpness,
            color="black",
            lw=1.5,
            label=rf"gradient flow ($\eta = {flow.lr:.3g}$)",
        )
    ax.set_xlabel(r"time $\eta\, t$")
    ax.set_ylabel(r"sharpness $\lambda_{\max}$")
    ax.legend()
    return ax


def plot_loss_window(run: SharpnessTrace, start: int, stop: int, ax=None):
    """One run's loss over steps ``start..stop``, with the steps where it went up marked.

    A dot at step ``t`` means ``L(w_{t+1}) > L(w_t)``.

    Parameters
    ----------
    run : SharpnessTrace
        One run of :func:`gd_with_sharpness`.
    start, stop : int
        The window of steps, ``start < stop``.
    ax : matplotlib Axes, optional
        Where to draw; a new figure when omitted.

    Returns
    -------
    matplotlib Axes
    """
    _checks.instance("run", run, SharpnessTrace, "a SharpnessTrace (from gd_with_sharpness)")
    ax = _axes(ax)
    start = _checks.non_negative_int("start", start)
    stop = min(_checks.positive_int("stop", stop), len(run.losses) - 1)
    if stop <= start:
        raise ValueError(f"stop must exceed start, got start={start}, stop={stop}")
    steps = np.arange(start, stop + 1)
    losses = run.losses[start : stop + 1]
    (line,) = ax.plot(steps, losses, lw=1, label=_label(run))
    up = np.nonzero(np.diff(losses) > 0)[0]
    ax.plot(steps[up], losses[up], "o", ms=3, color="C3", label="next step is higher")
    ax.set_xlabel("step $t$")
    ax.set_ylabel("training loss")
    ax.legend()
    return ax
