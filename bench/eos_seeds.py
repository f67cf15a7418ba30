"""The edge-of-stability conditions (issue 9, point 4) for several seeds.

Runs ``gdlab.experiments.edge_of_stability(seed=s, flow_lr=None)`` (the page's experiment
without the gradient-flow run, which the conditions do not use) for each seed and prints, per
seed and step size, the numbers the conditions are about: the starting sharpness over ``2/eta``,
the crossing step, the median of sharpness / (2/eta) over the second half, the final loss over
the loss at the crossing, and the number of loss increases after the crossing; then the
conditions violated. Run from the repository root (seeds 0 to 7 unless given):

    .venv/bin/python bench/eos_seeds.py [SEED ...]
"""

from __future__ import annotations

import sys

from gdlab.experiments import edge_of_stability, eos_failures, eos_statistics


def main(seeds):
    print(
        "seed  2/eta  start/(2/eta)  crossing step  median S/(2/eta)  final/crossing loss"
        "  increases  CPU s"
    )
    failing = {}
    for seed in seeds:
        result = edge_of_stability(seed=seed, flow_lr=None)
        for run in result.runs:
            s = eos_statistics(run)
            crossing = "never" if s["crossing_step"] is None else f"{s['crossing_step']}"
            loss_ratio = "-" if s["loss_ratio"] is None else f"{s['loss_ratio']:.3f}"
            print(
                f"{seed:4d}  {s['threshold']:5.0f}  {s['initial_ratio']:13.2f}  {crossing:>13s}"
                f"  {s['median_ratio']:16.3f}  {loss_ratio:>19s}"
                f"  {s['increases_after_crossing']:9d}  {result.cpu_seconds:5.1f}"
            )
        failures = eos_failures(result)
        if failures:
            failing[seed] = failures
    print("conditions: start < 0.6, crossing later for smaller eta, median in [0.95, 1.10],")
    print("            final/crossing loss < 0.2, increases >= 50")
    print(f"violated: {failing or 'none'} (seeds {', '.join(map(str, seeds))})")


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or list(range(8)))
