"""Tests for gdlab.experiments: the GD-with-sharpness loop, the statistics, the EoS conditions.

At the edge of stability the dynamics are chaotic (rounding changes the loss in the second
digit), so the experiment is tested through statistics (medians, counts, crossings), never
through exact values; exact comparisons are made only on a quadratic, where GD is linear.
"""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from gdlab.experiments import (
    DEFAULT_LRS,
    EoSResult,
    SharpnessTrace,
    edge_of_stability,
    eos_failures,
    eos_statistics,
    eos_table,
    gd_with_sharpness,
    plot_loss,
    plot_loss_window,
    plot_sharpness,
    plot_sharpness_vs_time,
)


class Quadratic:
    """f(w) = 1/2 w^T diag(lams) w, written out here as an independent reference."""

    def __init__(self, lams):
        self.lams = np.asarray(lams, dtype=float)
        self.dim = len(self.lams)

    def value(self, w):
        return 0.5 * np.sum(self.lams * w**2)

    def grad(self, w):
        return self.lams * w

    def hvp(self, w, v):
        return self.lams * v


# --- the loop, where it is exact --------------------------------------------------------------


def test_gd_on_a_quadratic_follows_the_closed_form_of_section_4_4():
    problem = Quadratic([4.0, 1.0, 0.25])
    w0 = np.array([1.0, -2.0, 3.0])
    lr, steps = 0.3, 40
    trace = gd_with_sharpness(problem, w0, lr, steps, every=5, tol=1e-10)
    t = np.arange(steps + 1)[:, None]
    expected = 0.5 * np.sum(problem.lams * (w0 * (1 - lr * problem.lams) ** t) ** 2, axis=1)
    np.testing.assert_allclose(trace.losses, expected, rtol=1e-12)
    np.testing.assert_array_equal(trace.sharpness_steps, np.arange(0, steps + 1, 5))
    np.testing.assert_allclose(trace.sharpness, 4.0, rtol=1e-10)
    assert trace.threshold == pytest.approx(2 / 0.3)
    assert trace.n_hvps >= len(trace.sharpness)


def test_gd_above_two_over_the_sharpness_diverges_and_stops():
    problem = Quadratic([4.0, 1.0])
    with np.errstate(over="ignore", invalid="ignore"):
        trace = gd_with_sharpness(problem, np.ones(2), lr=0.75, steps=3000, tol=1e-8)
    # |1 - 0.75 * 4| = 2: the loss is multiplied by 4 per step until it overflows
    assert trace.losses[1] / trace.losses[0] == pytest.approx((4 * 4 + 0.0625) / 5)
    assert np.isnan(trace.losses[-1])
    assert not np.all(np.isfinite(trace.losses))


def test_loop_argument_checks():
    problem = Quadratic([1.0, 2.0])
    with pytest.raises(ValueError, match="lr"):
        gd_with_sharpness(problem, np.ones(2), lr=-0.1, steps=5)
    with pytest.raises(ValueError, match="w0"):
        gd_with_sharpness(problem, np.ones(3), lr=0.1, steps=5)


# --- the statistics on hand-made traces -------------------------------------------------------


def make_trace(lr, sharpness, losses, every=10):
    sharpness = np.asarray(sharpness, dtype=float)
    return SharpnessTrace(
        lr, np.asarray(losses, dtype=float), np.arange(len(sharpness)) * every, sharpness, 0
    )


def test_statistics_of_a_hand_made_trace():
    lr = 0.5  # 2/eta = 4
    sharpness = [1.0, 2.0, 4.0, 4.2, 3.9, 4.1, 4.0]  # measured at steps 0, 10, ..., 60
    losses = np.linspace(1.0, 0.1, 61)
    losses[30:] += 0.03 * (np.arange(31) % 2)  # a zig-zag after step 30: 15 increases
    stats = eos_statistics(make_trace(lr, sharpness, losses))
    assert stats["initial_ratio"] == 0.25
    assert stats["crossing_step"] == 20
    assert stats["median_ratio"] == pytest.approx(np.median([4.2, 3.9, 4.1, 4.0]) / 4)
    assert stats["loss_at_crossing"] == losses[20]
    assert stats["loss_ratio"] == pytest.approx(losses[-1] / losses[20])
    assert stats["increases_after_crossing"] == 15
    assert stats["peak_ratio"] == pytest.approx(1.05) and stats["peak_step"] == 30
    assert stats["settle_steps"] == 0  # 1.05 is already below 1.1
    assert stats["loss_jump"] == pytest.approx(1.0)  # the loss never exceeds its crossing value


def test_peak_settling_and_jump_statistics():
    lr = 0.5  # 2/eta = 4
    sharpness = [1.0, 4.1, 5.0, 5.6, 4.8, 4.3, 4.1, 4.0]
    losses = np.linspace(1.0, 0.1, 71)
    losses[25] = 3 * losses[10]  # a spike after the crossing at step 10
    stats = eos_statistics(make_trace(lr, sharpness, losses))
    assert stats["crossing_step"] == 10
    assert stats["peak_ratio"] == pytest.approx(1.4) and stats["peak_step"] == 30
    assert stats["settle_steps"] == 20  # 5.6 at step 30, first below 4.4 at step 50
    assert stats["loss_jump"] == pytest.approx(3.0)


def test_table_rows_carry_the_statistics_of_each_run():
    losses = np.linspace(1.0, 0.1, 61)
    losses[30:] += 0.03 * (np.arange(31) % 2)  # 15 increases after step 30
    crossing = make_trace(0.5, [1.0, 2.0, 4.0, 4.4, 4.0, 4.4, 4.0], losses)  # crosses at 20
    never = make_trace(0.25, [2.0, 3.0, 4.0, 4.0, 4.0, 4.0, 4.0], np.linspace(1.0, 0.5, 61))
    lines = eos_table(EoSResult((crossing, never), None, {}, 0.0)).splitlines()
    assert len(lines) == 4 and lines[1] == "|---:|---:|---:|---:|---:|---:|---:|"
    cells = [[c.strip() for c in line.strip("|").split("|")] for line in lines]
    assert all(len(row) == 7 for row in cells)
    # by hand: start 1/4; median of 4.4, 4.0, 4.4, 4.0 over 4; final 0.1 over 0.7 at step 20
    assert cells[2] == ["0.5", "4", "0.25", "20", "1.050", "0.143", "15"]
    assert cells[3] == ["0.25", "8", "0.25", "never", "0.500", "-", "0"]


def test_statistics_when_the_sharpness_never_crosses():
    stats = eos_statistics(make_trace(0.1, [1.0, 2.0, 3.0], np.linspace(1, 0.5, 21)))
    assert stats["crossing_step"] is None and stats["loss_ratio"] is None
    assert stats["peak_ratio"] is None and stats["settle_steps"] is None
    assert stats["increases_after_crossing"] == 0


def test_failures_name_each_violated_condition():
    losses = np.linspace(1.0, 0.5, 61)  # monotone, and only halves
    early = make_trace(0.5, [3.0, 4.5, 4.0, 4.0, 4.0, 4.0, 4.0], losses)  # starts at 0.75
    late = make_trace(0.25, [1.0, 9.0, 8.0, 8.0, 8.0, 8.0, 8.0], losses)  # crosses too soon
    never = make_trace(0.1, [1.0] * 7, losses)
    failures = eos_failures(EoSResult((early, late, never), None, {}, 0.0))
    text = "\n".join(failures)
    assert "eta = 0.5: initial sharpness ratio 0.750" in text
    assert "eta = 0.5: final / crossing loss" in text
    assert "eta = 0.5: only 0 loss increases" in text
    assert "eta = 0.1: sharpness never reached 2/eta" in text
    assert "eta = 0.25 crossed at step 10, not after eta = 0.5 (step 10)" in text
    assert not any("median" in f for f in failures)


def edge_run(lr, cross_step, *, start=0.25, plateau=1.0, settle=0.1, zigzag=True, steps=400):
    """A hand-made run meeting every condition at ``lr``, unless told otherwise.

    The sharpness rises from ``start`` * 2/eta to 2/eta at ``cross_step``, then holds at
    ``plateau`` * 2/eta; the loss falls from 1 to ``settle`` times its value at the crossing,
    zig-zagging after it (an increase every other step) if ``zigzag``.
    """
    threshold = 2.0 / lr
    measured = np.arange(0, steps + 1, 10)
    rise = start + (1.0 - start) * measured / cross_step
    after = np.where(measured == cross_step, 1.0, plateau)  # crosses, then holds the plateau
    sharpness = threshold * np.where(measured < cross_step, rise, after)
    t = np.arange(steps + 1)
    at_cross = 0.5
    losses = np.where(
        t <= cross_step,
        1.0 - (1.0 - at_cross) * t / cross_step,
        at_cross * settle ** ((t - cross_step) / (steps - cross_step)),
    )
    if zigzag:
        losses = losses + np.where((t > cross_step) & (t % 2 == 1), 0.02 * losses, 0.0)
    return SharpnessTrace(lr, losses, measured, sharpness, 0)


def failures_of(*runs):
    return eos_failures(EoSResult(runs, None, {}, 0.0))


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        (dict(start=0.75), "eta = 0.5: initial sharpness ratio 0.750"),
        (dict(plateau=0.9), "eta = 0.5: median ratio 0.900 outside (0.95, 1.1)"),
        (dict(plateau=1.2), "eta = 0.5: median ratio 1.200 outside (0.95, 1.1)"),
        (dict(settle=0.5), "eta = 0.5: final / crossing loss 0.500"),
        (dict(zigzag=False), "eta = 0.5: only 0 loss increases"),
        (dict(cross_step=250), "eta = 0.25 crossed at step 200, not after eta = 0.5 (step 250)"),
    ],
    ids=["initial", "median-low", "median-high", "loss", "increases", "order"],
)
def test_each_eos_condition_fires_alone_on_a_run_built_to_break_it(broken, expected):
    """Pins every condition of eos_failures: a pair of runs meeting all of them passes, and
    breaking one condition in the eta = 0.5 run gives exactly that one failure."""
    fine = edge_run(0.25, cross_step=200)
    assert failures_of(edge_run(0.5, cross_step=100), fine) == []
    assert failures_of(edge_run(0.5, **{"cross_step": 100, **broken}), fine) == [expected]


def test_a_real_gd_run_below_the_edge_fails_only_the_crossing_condition():
    """Pins the 'never reached 2/eta' condition on a real run: GD on a quadratic whose
    sharpness (4) stays at 0.4 of 2/eta = 10, next to a hand-made run that meets every one."""
    below = gd_with_sharpness(Quadratic([4.0, 1.0]), np.ones(2), lr=0.2, steps=400, tol=1e-10)
    assert failures_of(edge_run(0.5, cross_step=100), below) == [
        "eta = 0.2: sharpness never reached 2/eta"
    ]


# --- the experiment itself: statistics, for several seeds -------------------------------------


@pytest.fixture(scope="module")
def default_result():
    return edge_of_stability()


def test_default_experiment_meets_every_condition(default_result):
    result = default_result
    assert eos_failures(result) == []
    assert [run.lr for run in result.runs] == list(DEFAULT_LRS)
    assert result.settings["sizes"] == (20, 32, 32, 32, 10)
    for run in result.runs:
        assert len(run.losses) == 4001 and np.all(np.isfinite(run.losses))
        # sharpness keeps within a few per cent of 2/eta at the edge: no long excursions
        stats = eos_statistics(run)
        half = run.sharpness_steps >= 2000
        assert np.quantile(run.sharpness[half] / run.threshold, 0.9) < 1.2
        assert stats["crossing_step"] < 2000
    # the page promises this fits in the build's budget (60 s)
    assert result.cpu_seconds < 60


def test_gradient_flow_sharpens_past_every_ceiling(default_result):
    flow = default_result.flow
    top = max(run.threshold for run in default_result.runs)
    assert flow.sharpness[0] < 0.5 * top
    assert flow.sharpness[-1] > 1.2 * top
    assert flow.lr * flow.sharpness.max() < 1.0  # the small step never sees its own edge
    # the ceiling binds GD and not the flow: at the time the flow ends, every GD run sits
    # at its 2/eta while the flow is above all of them
    horizon = flow.lr * (len(flow.losses) - 1)
    for run in default_result.runs:
        at = np.searchsorted(run.lr * run.sharpness_steps, horizon)
        assert run.sharpness[at] < flow.sharpness[-1]


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_other_seeds_meet_every_condition(seed):
    # with seed 0 (the test above) five seeds: each draws new data and a new initialisation;
    # the experiment is the page's, only without the gradient-flow run, which no condition uses.
    # bench/eos_seeds.py prints the values behind the conditions (seeds 0 to 7 all pass).
    result = edge_of_stability(seed=seed, flow_lr=None)
    assert result.settings["steps"] == 4000 and result.settings["lrs"] == DEFAULT_LRS
    assert eos_failures(result) == []


def test_the_small_step_run_is_a_faithful_stand_in_for_gradient_flow():
    # halving the small step changes the sharpness curve (against time eta * t) by < 1 %
    a = edge_of_stability(lrs=(), flow_lr=0.04, flow_time=150, flow_every=50).flow
    b = edge_of_stability(lrs=(), flow_lr=0.02, flow_time=150, flow_every=100).flow
    np.testing.assert_allclose(a.lr * a.sharpness_steps, b.lr * b.sharpness_steps)
    np.testing.assert_allclose(a.sharpness, b.sharpness, rtol=0.01)
    assert a.sharpness[-1] > 2 * a.sharpness[0]  # over a stretch where it does sharpen


def test_the_runs_give_the_same_result_to_the_last_bit_in_one_process_or_in_several():
    # the runs are independent and deterministic: jobs only changes the wall-clock time
    settings = dict(lrs=(0.5, 0.3), steps=80, every=10, flow_lr=0.05, flow_time=5.0, flow_every=20)
    alone = edge_of_stability(jobs=1, **settings)
    shared = edge_of_stability(jobs=2, **settings)
    for a, b in zip((*alone.runs, alone.flow), (*shared.runs, shared.flow), strict=True):
        assert a.lr == b.lr and a.n_hvps == b.n_hvps
        assert a.losses.tobytes() == b.losses.tobytes()
        assert a.sharpness.tobytes() == b.sharpness.tobytes()
    assert [run.lr for run in shared.runs] == [0.5, 0.3] and shared.flow.lr == 0.05
    # the CPU time of the worker processes is counted
    assert shared.cpu_seconds >= 0.5 * alone.cpu_seconds > 0


# --- the plots --------------------------------------------------------------------------------


def test_plot_helpers_draw_on_the_given_axes_and_return_them():
    lrs = (0.5, 0.25)
    runs = tuple(
        make_trace(lr, np.linspace(1, 2.2 / lr, 11), np.linspace(1, 0.1, 101)) for lr in lrs
    )
    flow = make_trace(0.05, np.linspace(1, 12, 11), np.linspace(1, 0.1, 101), every=100)
    result = EoSResult(runs, flow, {}, 0.0)
    fig, axes = plt.subplots(1, 3)
    assert plot_loss(result, ax=axes[0]) is axes[0]
    assert plot_sharpness(result, ax=axes[1]) is axes[1]
    assert plot_sharpness_vs_time(result, ax=axes[2]) is axes[2]
    assert len(axes[0].lines) == 2 and axes[0].get_yscale() == "log"
    dashed = [line for line in axes[1].lines if line.get_linestyle() == "--"]
    assert sorted(line.get_ydata()[0] for line in dashed) == [4.0, 8.0]
    assert axes[1].get_ylim()[1] > 8.0
    assert len(axes[2].lines) == 2 + 2 + 1  # two runs, two ceilings, the flow
    # the GD curves stop where the flow stops (time 50)
    assert max(line.get_xdata().max() for line in axes[2].lines[:1]) <= 50
    plt.close(fig)
    ax = plot_loss(result)  # ax=None makes a new figure
    assert ax.figure is not fig and len(ax.lines) == 2
    plt.close("all")


def test_loss_window_marks_exactly_the_steps_before_an_increase():
    losses = np.array([5.0, 4.0, 4.5, 3.0, 3.5, 3.2, 2.0])
    run = make_trace(0.5, [1.0], losses)
    ax = plot_loss_window(run, 1, 6)
    line, dots = ax.lines
    np.testing.assert_array_equal(line.get_xdata(), np.arange(1, 7))
    np.testing.assert_array_equal(dots.get_xdata(), [1, 3])  # 4 -> 4.5 and 3 -> 3.5
    with pytest.raises(ValueError, match="stop"):
        plot_loss_window(run, 4, 2)
    plt.close("all")
