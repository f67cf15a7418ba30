"""Tests for gdlab.tuning: sweeps against runs made here, step sizes against the update formulas."""

from __future__ import annotations

import numpy as np
import pytest

from gdlab import schedules, tuning
from gdlab.optim import GD, AdaGrad, RMSprop, run
from gdlab.problems import Quadratic

QUAD = Quadratic([1.0, 10.0], angle=0.3, minimizer=[1.0, -1.0])
W0 = np.array([2.0, 2.0])


def test_lr_grid_has_exact_end_points_and_count():
    grid = tuning.lr_grid(1e-3, 1.0, per_decade=2)
    assert len(grid) == 7 and grid[0] == pytest.approx(1e-3) and grid[-1] == pytest.approx(1.0)
    np.testing.assert_allclose(grid[1:] / grid[:-1], np.sqrt(10))
    assert len(tuning.lr_grid(0.1, 0.1)) == 1
    with pytest.raises(ValueError, match="high"):
        tuning.lr_grid(1.0, 0.1)


def test_final_gap():
    trace = run(GD(0.1), QUAD, W0, 10)
    assert tuning.final_gap(trace, 0.0) == trace.values[-1]
    blown_up = run(GD(0.5), QUAD, W0, 2000)
    assert tuning.final_gap(blown_up) == np.inf


def test_sweep_scores_every_lr_with_its_own_run_and_flags_divergence():
    lrs = [0.25, 0.01, 0.1, 0.19, 0.21]  # 2/L = 0.2; sorted by the sweep
    sweep = tuning.lr_sweep(lambda lr: GD(lr), QUAD, W0, 100, lrs)
    np.testing.assert_array_equal(sweep.lrs, sorted(lrs))
    for lr, score, trace in zip(sweep.lrs, sweep.scores, sweep.traces, strict=True):
        again = run(GD(lr), QUAD, W0, 100)
        np.testing.assert_array_equal(trace.iterates, again.iterates)
        expected = again.values[-1] if np.isfinite(again.values[-1]) else np.inf
        assert score == expected
    np.testing.assert_array_equal(sweep.diverged, sweep.lrs > 0.2)
    assert sweep.best_lr == 0.1 and sweep.best_is_interior
    assert sweep.best_trace is sweep.traces[sweep.best]


def test_sweep_with_custom_score_and_schedule():
    sweep = tuning.lr_sweep(
        lambda lr: GD(lr),
        QUAD,
        W0,
        50,
        [0.01, 0.1],
        score=lambda trace: -trace.values[-1],  # prefer the worst: the smallest lr
        schedule_for=lambda lr: schedules.Cosine(lr, T=50),
    )
    assert sweep.best_lr == 0.01 and not sweep.best_is_interior
    np.testing.assert_allclose(sweep.traces[1].lrs, schedules.Cosine(0.1, 50)(np.arange(1, 51)))


def test_sweep_floor_makes_solved_runs_tie_and_the_smallest_lr_win():
    lrs = [0.05, 0.1, 0.15]
    unfloored = tuning.lr_sweep(lambda lr: GD(lr), QUAD, W0, 2000, lrs)
    floored = tuning.lr_sweep(lambda lr: GD(lr), QUAD, W0, 2000, lrs, floor=1e-12)
    # every run reaches far below 1e-12 (GD contracts by at most 0.95 per step here)
    finals = np.array([run(GD(lr), QUAD, W0, 2000).values[-1] for lr in lrs])
    assert np.all(finals < 1e-20)
    np.testing.assert_array_equal(unfloored.scores, finals)
    np.testing.assert_array_equal(floored.scores, [1e-12] * 3)
    assert floored.best_lr == 0.05
    assert unfloored.best_lr == lrs[int(np.argmin(finals))]


def test_sweep_bad_input():
    with pytest.raises(ValueError, match="lrs"):
        tuning.lr_sweep(lambda lr: GD(lr), QUAD, W0, 5, [0.1, -0.1])
    with pytest.raises(ValueError, match="Optimizer"):
        tuning.lr_sweep(lambda lr: lr, QUAD, W0, 5, [0.1])
    with pytest.raises(ValueError, match="floor"):
        tuning.lr_sweep(lambda lr: GD(lr), QUAD, W0, 5, [0.1], floor=float("nan"))


def test_effective_lrs_of_gd_adagrad_and_rmsprop():
    gd = run(GD(0.07), QUAD, W0, 20)
    np.testing.assert_allclose(tuning.effective_lrs(gd, QUAD), 0.07, rtol=1e-10)

    lr, eps = 0.3, 1e-8
    adagrad = run(AdaGrad(lr, eps=eps), QUAD, W0, 20)
    gradients = np.array([QUAD.grad(w) for w in adagrad.iterates[:-1]])
    expected = lr / (np.sqrt(np.cumsum(gradients**2, axis=0)) + eps)
    np.testing.assert_allclose(tuning.effective_lrs(adagrad, QUAD), expected, rtol=1e-9)

    gamma = 0.9
    rmsprop = run(RMSprop(0.01, gamma=gamma, eps=eps), QUAD, W0, 20)
    gradients = np.array([QUAD.grad(w) for w in rmsprop.iterates[:-1]])
    s, expected = np.zeros(2), []
    for g in gradients:
        s = gamma * s + (1 - gamma) * g**2
        expected.append(0.01 / (np.sqrt(s) + eps))
    np.testing.assert_allclose(tuning.effective_lrs(rmsprop, QUAD), expected, rtol=1e-9)


def test_effective_lrs_is_nan_after_divergence():
    trace = run(GD(0.5), QUAD, W0, 2000)
    ratios = tuning.effective_lrs(trace, QUAD)
    assert ratios.shape == (2000, 2) and np.isnan(ratios[-1]).all()
