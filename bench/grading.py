"""Batch grader throughput: grade 50 generated submissions and print submissions per minute.

The 50 notebooks mix the three exercises: reference solutions (full marks), hand-written
wrong answers (partial marks), untouched starters, and hanging ones (a cell that loops
forever, or an answer function that never returns), graded with the default limits (10 s
per cell) and the default number of kernels (cores + 1). The process pins itself (and so
the grader and every kernel) to 2 cores where the OS allows it. Target on 2 cores: at
least 30 submissions per minute.

It then grades one notebook that prints a single 300 MB string and reports the peak
resident memory (VmHWM) of the grading worker: output past the limit must be dropped as it
arrives, not held (target: under 400 MB; the worker itself takes about 100 MB).

Usage: .venv/bin/python bench/grading.py [--jobs N] [--cores N] [--print-mb N] [--only-memory]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "grading"))

import submission_fixtures as fx  # noqa: E402

from gdlab.grading import EXERCISES  # noqa: E402
from gdlab.grading.batch import default_jobs, grade_folder  # noqa: E402
from gdlab.grading.sandbox import Limits, sandbox_mode  # noqa: E402

TARGET = 30.0  # submissions per minute on 2 cores
MIX = {"solution": 22, "wrong": 16, "starter": 6, "hangs_cell": 3, "hangs_function": 3}
HANG = "while True:\n    pass"


def _wrong(name: str):
    answers = {p.answer for p in EXERCISES[name].parts}
    wrong = fx.answers_from(fx.HERE / "wrong" / f"{name}.py")
    return fx.substitute(fx.solution(name), {k: v for k, v in wrong.items() if k in answers})


def _hangs_function(name: str):
    part = next(p for p in EXERCISES[name].parts if p.kind == "function")
    looping = f"def {part.answer}(*args, **kwargs):\n    while True:\n        pass"
    return fx.substitute(fx.solution(name), {part.answer: looping})


MAKERS = {
    "solution": fx.solution,
    "wrong": _wrong,
    "starter": fx.starter,
    "hangs_cell": lambda name: fx.add_cell(fx.solution(name), HANG, 2),
    "hangs_function": _hangs_function,
}


def generate(folder: Path) -> int:
    """Write the 50 submissions into ``folder``; return how many."""
    count = 0
    for kind, number in MIX.items():
        for k in range(number):
            name = fx.NAMES[(count + k) % len(fx.NAMES)]
            fx.write(MAKERS[kind](name), folder / f"student{count + k:02d}_{kind}.ipynb")
        count += number
    return count


MEMORY_TARGET_MB = 400.0


def _worker_peaks() -> dict[int, int]:
    """VmHWM (kB) of this process's children that are grading workers."""
    peaks = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as handle:
                status = dict(line.split(":", 1) for line in handle if ":" in line)
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read()
        except OSError:
            continue
        if int(status["PPid"]) == os.getpid() and b"worker" in cmdline and "VmHWM" in status:
            peaks[int(entry)] = int(status["VmHWM"].split()[0])
    return peaks


def worker_peak_rss(megabytes: int) -> tuple[float, str]:
    """Grade one notebook printing ``megabytes`` MB at once; the worker's peak RSS in MB."""
    scratch = Path(tempfile.mkdtemp(prefix="gdlab-grading-bench-"))
    peak = 0
    try:
        folder = scratch / "submissions"
        folder.mkdir()
        loud = fx.add_cell(fx.solution("steepest_descent"), f"print('x' * {megabytes}_000_000)", 1)
        fx.write(loud, folder / "loud.ipynb")
        result = {}

        def grade():
            result["outcomes"] = grade_folder(folder, scratch / "grades.csv", seed=1, jobs=1)

        thread = threading.Thread(target=grade)
        thread.start()
        while thread.is_alive():
            peak = max([peak, *_worker_peaks().values()])
            time.sleep(0.02)
        thread.join()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    outcome = result["outcomes"][0]
    return peak / 1024, f"{outcome.status} ({outcome.reason})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="default: cores + 1")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--print-mb", type=int, default=300, help="size of the one big print")
    parser.add_argument("--only-memory", action="store_true", help="skip the 50 submissions")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        usable = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, usable[: args.cores])  # inherited by workers and kernels
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    jobs = args.jobs or default_jobs()
    if not args.only_memory:
        throughput(jobs, cores)
    load = os.getloadavg()[0]
    peak, status = worker_peak_rss(args.print_mb)
    print(f"one notebook printing {args.print_mb} MB: {status}")
    print(f"{'worker peak RSS (MB)':30}{peak:10.1f}   < {MEMORY_TARGET_MB:g}")
    print(f"load average (1 min) before {load:.2f}, after {os.getloadavg()[0]:.2f}")


def throughput(jobs: int, cores: int) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="gdlab-grading-bench-"))
    try:
        folder = scratch / "submissions"
        folder.mkdir()
        total = generate(folder)
        load_before = os.getloadavg()
        start = time.perf_counter()
        outcomes = grade_folder(folder, scratch / "grades.csv", seed=1, jobs=jobs)
        elapsed = time.perf_counter() - start
        load_after = os.getloadavg()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if len(outcomes) != total:
        sys.exit(f"expected {total} rows, got {len(outcomes)}")
    rate = total / elapsed * 60
    statuses = Counter(o.status for o in outcomes)
    limits = Limits()
    print(
        f"grading {total} submissions ({', '.join(f'{n} {k}' for k, n in MIX.items())}); "
        f"sandbox {sandbox_mode()}, {jobs} kernels on {cores} cores, "
        f"cell timeout {limits.cell_timeout:g} s"
    )
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print(f"{'':30}{'value':>10}   target")
    print(f"{'seconds':30}{elapsed:10.1f}")
    print(f"{'submissions per minute':30}{rate:10.1f}   >= {TARGET:g}")
    print(
        f"load average (1 min) before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"(machine: {os.cpu_count()} cores)"
    )


if __name__ == "__main__":
    main()
