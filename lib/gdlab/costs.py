r"""Measured time and memory of Newton's step against a gradient step (Section 4.1.2).

The chapter's costs for a model with d parameters: the Hessian takes :math:`O(d^2)` memory and
solving the Newton system :math:`H_t \delta = -\nabla f(w_t)` (4.5) takes :math:`O(d^3)` time,
while a gradient step keeps :math:`O(d)` numbers. :func:`newton_costs` measures these on dense
random systems of growing size; :func:`loglog_slope` reads off the exponent.

What is measured, honestly:

- **memory** with :mod:`tracemalloc`, which sees every numpy array allocated during a step of
  :class:`gdlab.optim.Newton` (its copy of :math:`H_t`) or :class:`gdlab.optim.GD`; LAPACK's
  own workspace is not traced, so the Newton figure is a lower bound;
- **time** of ``np.linalg.solve`` (an LU factorisation, :math:`\tfrac23 d^3` flops, then two
  triangular solves), the best of several runs. Everything runs in a separate Python process
  whose BLAS is limited to ``blas_threads`` threads: with threads competing for a shared
  machine, multi-threaded timings swing by factors of ten. BLAS runs faster per flop on larger
  matrices (better use of caches and vector units), so the exponent measured on small d is
  below 3; ``gflops`` shows the rate achieved at each size.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import tracemalloc
from typing import NamedTuple

import numpy as np

from gdlab import _checks

__all__ = [
    "NewtonCosts",
    "dense_test_system",
    "loglog_slope",
    "lu_solve_flops",
    "measure_here",
    "newton_costs",
    "peak_allocation",
    "time_call",
]


def time_call(function, repeats=5) -> float:
    """The shortest wall-clock time of ``function()`` over ``repeats`` calls, in seconds.

    The minimum is the least disturbed run: other processes only ever add time.

    Parameters
    ----------
    function : callable
        Called with no arguments.
    repeats : int, optional
        Number of calls, >= 1 (default 5).

    Returns
    -------
    float
    """
    if not callable(function):
        raise ValueError(f"function must be callable, got {function!r}")
    repeats = _checks.positive_int("repeats", repeats)
    best = np.inf
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return float(best)


def peak_allocation(function) -> int:
    """The peak number of bytes allocated through Python's allocators during ``function()``.

    numpy arrays are traced; memory that a C library allocates itself (BLAS/LAPACK workspaces)
    is not. Must not be called while :mod:`tracemalloc` is already tracing.

    Parameters
    ----------
    function : callable
        Called once with no arguments.

    Returns
    -------
    int
    """
    if not callable(function):
        raise ValueError(f"function must be callable, got {function!r}")
    if tracemalloc.is_tracing():
        raise RuntimeError("tracemalloc is already tracing; peak_allocation needs it to itself")
    tracemalloc.start()
    try:
        function()
        return int(tracemalloc.get_traced_memory()[1])
    finally:
        tracemalloc.stop()


def loglog_slope(x, y) -> float:
    """The least-squares slope of log(y) against log(x): the exponent p in y ~ c x^p.

    Parameters
    ----------
    x, y : array_like, shape (k,)
        Positive values, k >= 2, with at least two different ``x``.

    Returns
    -------
    float
    """
    x = _checks.finite_array("x", x, ndim=1)
    y = _checks.finite_array("y", y, ndim=1)
    if x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must have the same length >= 2, got {x.size} and {y.size}")
    for name, values in (("x", x), ("y", y)):
        if np.any(values <= 0):
            raise ValueError(
                f"{name} must be positive for a log-log fit, got {_checks._show(values)}"
            )
    if np.all(x == x[0]):
        raise ValueError(f"x must hold at least two different values, got {_checks._show(x)}")
    log_x, log_y = np.log(x), np.log(y)
    centred = log_x - log_x.mean()
    return float(centred @ (log_y - log_y.mean()) / (centred @ centred))


def lu_solve_flops(dim) -> float:
    """Floating-point operations of an LU solve of a dense d x d system: 2/3 d^3 + 2 d^2.

    Parameters
    ----------
    dim : int
        d >= 1.

    Returns
    -------
    float
    """
    dim = _checks.positive_int("dim", dim)
    return 2.0 / 3.0 * dim**3 + 2.0 * dim**2


class _DenseQuadratic:
    """f(w) = 1/2 w^T H w - b^T w with a stored dense H: the Newton system of the measurements."""

    def __init__(self, H, b):
        self.H, self.b, self.dim = H, b, b.shape[0]

    def value(self, w):
        return 0.5 * float(w @ (self.H @ w)) - float(self.b @ w)

    def grad(self, w):
        return self.H @ w - self.b

    def hess(self, w):
        return self.H


def dense_test_system(dim, seed=0) -> tuple[np.ndarray, np.ndarray]:
    """A dense symmetric positive definite H (d x d) and a right-hand side b, built in O(d^2).

    H = 3 I + (G + G^T) / (2 sqrt(d)) with G standard Gaussian: the random part has its
    eigenvalues in about [-sqrt(2), sqrt(2)], so H is positive definite and well conditioned.

    Parameters
    ----------
    dim : int
        d >= 1.
    seed : int, optional
        Seed of G and b (default 0).

    Returns
    -------
    H : ndarray, shape (d, d)
    b : ndarray, shape (d,)
    """
    dim = _checks.positive_int("dim", dim)
    rng = np.random.default_rng(_checks.non_negative_int("seed", seed))
    G = rng.standard_normal((dim, dim))
    H = (G + G.T) / (2.0 * np.sqrt(dim))
    H[np.diag_indices(dim)] += 3.0
    return H, rng.standard_normal(dim)


class NewtonCosts(NamedTuple):
    """Measurements for each dimension d in ``dims`` (see :func:`newton_costs`)."""

    dims: np.ndarray  #: the dimensions d
    hessian_bytes: np.ndarray  #: H_t.nbytes = 8 d^2
    newton_step_bytes: np.ndarray  #: traced peak allocation of one Newton step
    gd_step_bytes: np.ndarray  #: traced peak allocation of one GD step
    solve_seconds: np.ndarray  #: best time of np.linalg.solve(H, g)
    gflops: np.ndarray  #: lu_solve_flops(d) / solve_seconds / 1e9
    blas_threads: int  #: BLAS threads used for the timings


_MEASURE = """
import json, sys
import numpy as np
from gdlab.costs import measure_here
print(json.dumps(measure_here(*json.loads(sys.argv[1]))))
"""

_THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "BLIS_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)


def measure_here(dims, repeats, seed) -> dict:
    """The measurements of :func:`newton_costs`, taken in the current process (plain lists).

    Parameters
    ----------
    dims : sequence of int
        Dimensions d to measure.
    repeats : int
        Timing repeats per dimension.
    seed : int
        Seed of the test systems.

    Returns
    -------
    dict
        Lists, one entry per dimension, under ``"hessian"``, ``"newton"`` and ``"gd"`` (bytes)
        and ``"seconds"`` (the solve time).
    """
    from gdlab.optim import GD, Newton

    result = {"hessian": [], "newton": [], "gd": [], "seconds": []}
    for d in dims:
        H, b = dense_test_system(int(d), seed)
        problem, w = _DenseQuadratic(H, b), np.zeros(int(d))
        result["hessian"].append(int(H.nbytes))
        result["newton"].append(peak_allocation(lambda p=problem, w=w: Newton().step(w, p)))
        result["gd"].append(peak_allocation(lambda p=problem, w=w: GD(lr=0.1).step(w, p)))
        result["seconds"].append(time_call(lambda H=H, b=b: np.linalg.solve(H, b), repeats))
    return result


def newton_costs(dims, repeats=3, seed=0, blas_threads=1) -> NewtonCosts:
    r"""Measure memory and solve time of a Newton step for each dimension in ``dims``.

    The measurements run in a fresh Python process whose BLAS may use ``blas_threads`` threads
    (set through the usual environment variables), so that they neither depend on nor disturb
    the caller's state.

    Parameters
    ----------
    dims : sequence of int
        Dimensions d, each >= 1.
    repeats : int
        Timing repetitions per dimension; the best is kept.
    seed : int
        Seed of the random systems (:func:`dense_test_system`).
    blas_threads : int
        Threads the BLAS may use in the measuring process.

    Returns
    -------
    NewtonCosts
    """
    dims = np.array([_checks.positive_int("dims[i]", d) for d in dims], dtype=np.int64)
    if dims.size == 0:
        raise ValueError("dims must contain at least one dimension")
    repeats = _checks.positive_int("repeats", repeats)
    seed = _checks.non_negative_int("seed", seed)
    blas_threads = _checks.positive_int("blas_threads", blas_threads)
    environment = dict(os.environ)
    environment.update({name: str(blas_threads) for name in _THREAD_VARIABLES})
    finished = subprocess.run(
        [sys.executable, "-c", _MEASURE, json.dumps([dims.tolist(), repeats, seed])],
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    if finished.returncode != 0:
        raise RuntimeError(f"the measuring process failed:\n{finished.stderr}")
    measured = json.loads(finished.stdout.strip().splitlines()[-1])
    seconds = np.array(measured["seconds"], dtype=np.float64)
    flops = np.array([lu_solve_flops(int(d)) for d in dims])
    return NewtonCosts(
        dims,
        np.array(measured["hessian"], dtype=np.int64),
        np.array(measured["newton"], dtype=np.int64),
        np.array(measured["gd"], dtype=np.int64),
        seconds,
        flops / seconds / 1e9,
        blas_threads,
    )
