"""Tests for gdlab.schedules, against the formulas of Section 4.5.1 written here."""

from __future__ import annotations

import math

import numpy as np
import pytest

from gdlab import schedules


def chapter_cosine(t, T):
    """Section 4.5.1: eta_t = (1 + cos((t - 1) pi / T)) / 2 for 1 <= t <= T + 1."""
    return 0.5 * (1 + math.cos((t - 1) * math.pi / T))


def test_cosine_is_the_chapters_formula_for_unit_peak():
    T = 17
    schedule = schedules.Cosine(1.0, T)
    for t in range(1, T + 2):
        assert schedule(t) == pytest.approx(chapter_cosine(t, T), rel=1e-14, abs=1e-16)


def test_cosine_endpoints_monotone_and_clamped():
    lr_max, lr_min, T = 0.3, 0.01, 1000
    schedule = schedules.Cosine(lr_max, T, lr_min=lr_min)
    assert schedule(1) == pytest.approx(lr_max, rel=1e-15)
    assert schedule(T + 1) == pytest.approx(lr_min, rel=1e-15)
    values = schedule(np.arange(1, T + 50))
    assert np.all(np.diff(values) <= 0)
    np.testing.assert_allclose(values[T:], lr_min, rtol=1e-15)  # held at lr_min after T + 1
    np.testing.assert_allclose(
        values[: T + 1],
        [lr_min + (lr_max - lr_min) * chapter_cosine(t, T) for t in range(1, T + 2)],
        rtol=1e-13,
    )


def test_warmup_cosine():
    lr_max, lr_min, T, warmup = 0.5, 0.05, 40, 8
    schedule = schedules.WarmupCosine(lr_max, T, warmup, lr_min=lr_min)
    t = np.arange(1, T + 10)
    values = schedule(t)
    np.testing.assert_allclose(values[:warmup], lr_max * np.arange(1, warmup + 1) / warmup)
    assert schedule(warmup) == lr_max
    assert schedule(T + 1) == pytest.approx(lr_min, rel=1e-15)
    assert np.all(np.diff(values[:warmup]) > 0) and np.all(np.diff(values[warmup - 1 :]) <= 0)
    # the decay part: a half cosine from lr_max at t = warmup to lr_min at t = T + 1
    for k in range(warmup, T + 2):
        phase = (k - warmup) / (T + 1 - warmup)
        expected = lr_min + (lr_max - lr_min) * 0.5 * (1 + math.cos(math.pi * phase))
        assert schedule(k) == pytest.approx(expected, rel=1e-14)
    np.testing.assert_allclose(values[T:], lr_min, rtol=1e-15)


def test_warmup_of_one_step_is_cosine():
    t = np.arange(1, 30)
    np.testing.assert_allclose(
        schedules.WarmupCosine(0.2, 25, 1, lr_min=0.02)(t),
        schedules.Cosine(0.2, 25, lr_min=0.02)(t),
        rtol=1e-14,
    )


def test_step_decay_values():
    schedule = schedules.StepDecay(0.8, drop=0.5, every=3)
    expected = [0.8, 0.8, 0.8, 0.4, 0.4, 0.4, 0.2, 0.2, 0.2, 0.1]
    np.testing.assert_allclose(schedule(np.arange(1, 11)), expected, rtol=1e-15)
    assert schedules.StepDecay(1.0, every=10)(25) == pytest.approx(0.01)


def test_constant():
    schedule = schedules.Constant(0.1)
    assert schedule(1) == 0.1 and schedule(10**9) == 0.1
    np.testing.assert_array_equal(schedule(np.array([1, 5, 9])), [0.1, 0.1, 0.1])


@pytest.mark.parametrize(
    "schedule",
    [
        schedules.Constant(0.1),
        schedules.StepDecay(0.1, every=5),
        schedules.Cosine(0.1, 20),
        schedules.WarmupCosine(0.1, 20, 5),
        schedules.InverseSqrt(0.1),
    ],
    ids=lambda s: type(s).__name__,
)
def test_scalar_gives_float_and_array_is_vectorised(schedule):
    t = np.arange(1, 30)
    values = schedule(t)
    assert isinstance(values, np.ndarray) and values.shape == t.shape
    assert all(isinstance(schedule(int(k)), float) for k in t)
    np.testing.assert_array_equal(values, [schedule(int(k)) for k in t])
    assert isinstance(schedule(np.int64(3)), float)
    assert schedule(t.reshape(29, 1)).shape == (29, 1)


@pytest.mark.parametrize(
    "schedule",
    [
        schedules.Constant(0.1),
        schedules.StepDecay(0.1, every=5),
        schedules.Cosine(0.1, 20),
        schedules.WarmupCosine(0.1, 20, 5),
        schedules.InverseSqrt(0.1),
    ],
    ids=lambda s: type(s).__name__,
)
@pytest.mark.parametrize("t", [0, -1, 1.5, 2.0, np.array([1, 0]), np.array([1.0, 2.0]), True, "3"])
def test_bad_step_raises(schedule, t):
    with pytest.raises(ValueError, match="t must"):
        schedule(t)


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: schedules.Constant(0.0), "lr"),
        (lambda: schedules.Constant(float("nan")), "lr"),
        (lambda: schedules.StepDecay(-0.1, every=3), "lr"),
        (lambda: schedules.StepDecay(0.1, drop=1.5, every=3), "drop"),
        (lambda: schedules.StepDecay(0.1, drop=0.0, every=3), "drop"),
        (lambda: schedules.StepDecay(0.1, every=0), "every"),
        (lambda: schedules.Cosine(0.1, T=0), "T"),
        (lambda: schedules.Cosine(0.1, T=2.5), "T"),
        (lambda: schedules.Cosine(0.0, T=10), "lr_max"),
        (lambda: schedules.Cosine(0.1, T=10, lr_min=-0.1), "lr_min"),
        (lambda: schedules.Cosine(0.1, T=10, lr_min=0.2), "lr_min"),
        (lambda: schedules.WarmupCosine(0.1, T=0, warmup=1), "T"),
        (lambda: schedules.WarmupCosine(0.1, T=10, warmup=0), "warmup"),
        (lambda: schedules.WarmupCosine(0.1, T=10, warmup=11), "warmup"),
        (lambda: schedules.WarmupCosine(0.1, T=10, warmup=2, lr_min=1.0), "lr_min"),
        (lambda: schedules.InverseSqrt(0.0), "lr"),
        (lambda: schedules.InverseSqrt(-1.0), "lr"),
    ],
)
def test_bad_arguments_raise_naming_them(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_repr():
    assert repr(schedules.Cosine(0.1, 100)) == "Cosine(lr_max=0.1, T=100, lr_min=0.0)"
    assert repr(schedules.StepDecay(0.1, every=30)) == "StepDecay(lr=0.1, drop=0.1, every=30)"
    assert repr(schedules.WarmupCosine(1.0, 50, 5)) == (
        "WarmupCosine(lr_max=1.0, T=50, warmup=5, lr_min=0.0)"
    )
    assert repr(schedules.Constant(0.5)) == "Constant(lr=0.5)"


def test_inverse_sqrt_is_lr_over_root_t():
    schedule = schedules.InverseSqrt(0.3)
    for t in (1, 4, 9, 100):
        assert schedule(t) == pytest.approx(0.3 / math.sqrt(t), rel=1e-15)
    assert repr(schedule) == "InverseSqrt(lr=0.3)"


def test_boundary_parameters_are_accepted():
    """Pins the closed ends of the parameter ranges: drop = 1 (no decay), lr_min = lr_max
    (a flat cosine) and warmup = T are valid, each giving the schedule its formula says."""
    t = np.arange(1, 13)
    np.testing.assert_array_equal(schedules.StepDecay(0.5, drop=1.0, every=3)(t), 0.5)
    np.testing.assert_allclose(schedules.Cosine(0.3, T=10, lr_min=0.3)(t), 0.3, rtol=1e-15)
    flat = schedules.WarmupCosine(0.3, T=10, warmup=2, lr_min=0.3)(t)
    np.testing.assert_allclose(flat, [0.15] + [0.3] * 11, rtol=1e-15)
    full_warmup = schedules.WarmupCosine(2.0, T=10, warmup=10, lr_min=0.5)(t)
    np.testing.assert_allclose(full_warmup, [0.2 * k for k in range(1, 11)] + [0.5, 0.5])


def test_warmup_peak_is_exactly_lr_max():
    """Pins the warm-up branch at t = warmup (``t <= warmup``): the peak is lr_max bit for bit.
    For these values the cosine branch would give lr_max - 1 ulp there (0.9061385527067805)."""
    lr_max, lr_min, warmup = 0.9061385527067806, 0.38301318686369706, 27
    schedule = schedules.WarmupCosine(lr_max, T=60, warmup=warmup, lr_min=lr_min)
    assert schedule(warmup) == lr_max
    assert schedule(np.array([warmup]))[0] == lr_max
