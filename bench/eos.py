"""Benchmark of the edge-of-stability experiment and of its building blocks.

Prints the CPU time of ``gdlab.experiments.edge_of_stability()`` at its default settings (the
page runs exactly this), and the per-call CPU cost of the loss gradient, the exact
Hessian-vector product (R-operator) and the finite-difference one, on the experiment's network
and data. Run from the repository root:

    .venv/bin/python bench/eos.py
"""

from __future__ import annotations

import time

import numpy as np

from gdlab.curvature import lanczos
from gdlab.experiments import edge_of_stability, eos_failures, eos_problem, eos_statistics


def per_call(fn, min_seconds=0.5):
    """CPU seconds per call of ``fn()``, best of three batches of at least ``min_seconds``."""
    fn()
    calls, start = 0, time.process_time()
    while time.process_time() - start < min_seconds / 3:
        fn()
        calls += 1
    best = np.inf
    for _ in range(3):
        start = time.process_time()
        for _ in range(calls):
            fn()
        best = min(best, (time.process_time() - start) / calls)
    return best


def main():
    result = edge_of_stability()
    s = result.settings
    print(
        f"edge_of_stability(): {result.cpu_seconds:.1f} s CPU for {len(s['lrs'])} runs x "
        f"{s['steps']} steps + gradient flow ({s['flow_time']:g} / {s['flow_lr']:g} = "
        f"{round(s['flow_time'] / s['flow_lr'])} steps); network {s['sizes']}, "
        f"{s['n_params']} parameters, n = {s['n']}"
    )
    for run in (*result.runs, result.flow):
        print(
            f"  eta = {run.lr:.4f}: {len(run.sharpness)} Lanczos calls, {run.n_hvps} HVPs "
            f"({run.n_hvps / len(run.sharpness):.1f} per call)"
        )
    for run in result.runs:
        st = eos_statistics(run)
        print(
            f"  2/eta = {run.threshold:4.1f}: start {st['initial_ratio']:.2f}, crossing step "
            f"{st['crossing_step']}, median {st['median_ratio']:.3f}, loss ratio "
            f"{st['loss_ratio']:.3f}, increases {st['increases_after_crossing']}"
        )
    print(f"  conditions violated: {eos_failures(result) or 'none'}")

    problem, w = eos_problem(
        width=s["width"], depth=s["depth"], n=s["n"], spread=s["spread"], seed=s["seed"]
    )
    v = np.random.default_rng(0).standard_normal(problem.dim)
    costs = {
        "value": per_call(lambda: problem.value(w)),
        "value_and_grad": per_call(lambda: problem.value_and_grad(w)),
        "hvp (exact, R-operator)": per_call(lambda: problem.hvp(w, v)),
        "hvp_fd (central differences)": per_call(lambda: problem.hvp_fd(w, v)),
        "lanczos, cold start, tol 1e-3": per_call(
            lambda: lanczos(lambda u: problem.hvp(w, u), problem.dim, tol=1e-3)
        ),
    }
    grad = costs["value_and_grad"]
    print("per-call CPU cost at the initialisation:")
    for name, cost in costs.items():
        print(f"  {name:32s} {cost * 1e3:8.3f} ms  ({cost / grad:5.2f} x gradient)")
    exact, fd = problem.hvp(w, v), problem.hvp_fd(w, v)
    print(f"  |hvp_fd - hvp| / |hvp| = {np.linalg.norm(fd - exact) / np.linalg.norm(exact):.1e}")


if __name__ == "__main__":
    main()
