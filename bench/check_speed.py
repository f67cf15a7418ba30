"""How long the instant check takes per part, on the reference solutions (moved from a test).

``check(part_id, answer)`` draws the part's inputs, runs the answer on them and judges the
result in the student's kernel; the exercise pages promise an answer in well under a second.
This prints, per part, the shortest and the median wall time of ``verdict`` over a few runs,
and the CPU time of the shortest, against the 1 s target. This was a timed assert in
tests/test_grading.py, which a loaded machine can fail: measured on 2 cores with a mutation run
and other builds going, part 4.6.3a took 0.69 s at best and 1.02 s median wall time for 0.11 s
of CPU time.

Usage: .venv/bin/python bench/check_speed.py [--repeats N]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import time
from pathlib import Path

from gdlab.grading import PARTS, verdict

ROOT = Path(__file__).resolve().parents[1]
SOLUTIONS = ROOT / "tests" / "grading" / "solutions"
TARGET = 1.0  # seconds per check


def _load(path: Path):
    spec = importlib.util.spec_from_file_location("solution_" + path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    solutions = {}
    print(f"{'part':<8}{'best s':>9}{'median s':>10}{'CPU s':>8}  status")
    slow = []
    for part_id, (exercise, part) in PARTS.items():
        if exercise.name not in solutions:
            solutions[exercise.name] = _load(SOLUTIONS / f"{exercise.name}.py")
        answer = getattr(solutions[exercise.name], part.answer)
        walls, cpus = [], []
        for _ in range(args.repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            result = verdict(part_id, answer)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        best = min(range(len(walls)), key=walls.__getitem__)
        if walls[best] >= TARGET:
            slow.append(part_id)
        print(
            f"{part_id:<8}{walls[best]:9.3f}{statistics.median(walls):10.3f}{cpus[best]:8.3f}"
            f"  {result.status}"
        )
    print(f"target: every check under {TARGET:.0f} s; over it: {', '.join(slow) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
