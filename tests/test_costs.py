"""gdlab.costs: timers, allocation tracing and the log-log slope, against known quantities."""

from __future__ import annotations

import time
import tracemalloc

import numpy as np
import pytest

from gdlab import costs


def test_loglog_slope_recovers_exact_power_laws():
    x = np.array([2.0, 4.0, 8.0, 16.0])
    for power in (-1.0, 0.5, 2.0, 3.0):
        assert costs.loglog_slope(x, 7.0 * x**power) == pytest.approx(power, abs=1e-12)
    with pytest.raises(ValueError, match="positive"):
        costs.loglog_slope([1.0, 2.0], [1.0, 0.0])
    with pytest.raises(ValueError, match="length"):
        costs.loglog_slope([1.0], [1.0])


class FakeClock:
    """A stand-in for the time module whose perf_counter advances only when a call "runs"."""

    def __init__(self):
        self.now, self.readings = 100.0, 0

    def perf_counter(self):
        self.readings += 1
        return self.now

    def run_for(self, seconds):
        self.now += seconds


def test_time_call_returns_the_shortest_run(monkeypatch):
    """Pins time_call to the minimum over ``repeats`` timed calls, on a fake clock: the machine's
    load cannot change the figures (with real sleeps, a loaded machine stretched the 0 s call
    past the bound)."""
    clock = FakeClock()
    monkeypatch.setattr(costs, "time", clock)
    durations = iter([0.02, 0.005, 0.01])
    best = costs.time_call(lambda: clock.run_for(next(durations)), repeats=3)
    assert best == pytest.approx(0.005, abs=1e-12)
    assert clock.readings == 6  # one start and one stop reading per call
    with pytest.raises(ValueError, match="callable"):
        costs.time_call(3)


def test_time_call_measures_real_time():
    """Pins that time_call reads a real clock: a 20 ms sleep takes at least 20 ms (load only
    adds time, so the bound holds on any machine)."""
    assert costs.time_call(lambda: time.sleep(0.02), repeats=2) >= 0.02


def test_peak_allocation_sees_numpy_arrays():
    size = 1000
    peak = costs.peak_allocation(lambda: np.ones((size, size)))
    assert 8 * size * size <= peak < 8 * size * size + 100_000
    tracemalloc.start()
    try:
        with pytest.raises(RuntimeError, match="already tracing"):
            costs.peak_allocation(lambda: None)
    finally:
        tracemalloc.stop()


def test_lu_flops_and_dense_system():
    assert costs.lu_solve_flops(3) == pytest.approx(2 / 3 * 27 + 18)
    H, b = costs.dense_test_system(50, seed=1)
    assert H.shape == (50, 50) and b.shape == (50,)
    assert np.allclose(H, H.T)
    eigenvalues = np.linalg.eigvalsh(H)
    assert 1.0 < eigenvalues[0] and eigenvalues[-1] < 5.0


def test_newton_costs_memory_is_quadratic_and_gd_memory_linear():
    dims = [128, 256, 512]
    result = costs.newton_costs(dims, repeats=2)
    assert list(result.dims) == dims
    assert np.array_equal(result.hessian_bytes, 8 * np.array(dims) ** 2)
    # Newton copies H_t: at least 8 d^2 bytes; a GD step allocates a few vectors of d floats
    assert np.all(result.newton_step_bytes >= result.hessian_bytes)
    assert np.all(result.gd_step_bytes < 64 * np.array(dims) + 10_000)
    assert costs.loglog_slope(dims, result.newton_step_bytes) == pytest.approx(2.0, abs=0.1)
    assert np.all(result.solve_seconds > 0)
    assert np.allclose(
        result.gflops, [costs.lu_solve_flops(d) for d in dims] / result.solve_seconds / 1e9
    )
    assert result.blas_threads == 1


def test_newton_costs_bad_input():
    with pytest.raises(ValueError, match="dims"):
        costs.newton_costs([])
    with pytest.raises(ValueError, match="dims"):
        costs.newton_costs([0])
