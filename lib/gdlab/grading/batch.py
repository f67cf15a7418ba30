"""Grade a folder of submissions in parallel; write the CSV and the per-student JSON.

Submissions are graded by ``jobs`` worker processes (``python -m gdlab.grading worker``),
each grading one file at a time and paying its imports once. Every file has a hard
wall-clock limit, so nothing one notebook does (or one grader bug it triggers) can stop the
batch: a worker that dies or overruns is killed and replaced, and the file still gets a row,
with status ``grader_error``. Each worker's kernels run under an unprivileged uid of their
own (see :mod:`gdlab.grading.sandbox`).

Outputs, for ``--out grades.csv``:

- ``grades.csv``: one row per submission, sorted by student id: ``student, file, exercise,
  status, reason, <one column per part>, score, max_score, seed, seconds``;
- ``grades.json``: the run (seed, limits, sandbox mode) and every outcome in full;
- ``grades_results/<student>.json``: Gradescope's ``results.json`` for each submission.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import select
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from gdlab.grading import EXERCISES
from gdlab.grading.runner import Outcome, submission_seed
from gdlab.grading.sandbox import Limits, sandbox_mode

WORKER_MARGIN = 60.0  # seconds a worker may take beyond the notebook and harvest budgets
SYSTEM_DIRS = ("/usr", "/etc", "/bin", "/lib", "/proc", "/dev", "/sys", "/var")


def submissions(folder: Path, skip: tuple[Path, ...] = ()) -> list[Path]:
    """Every visible regular file under ``folder``, subfolders included, except ``skip``.

    Names starting with a dot (``.DS_Store``, ``.ipynb_checkpoints/``) are skipped, files and
    folders alike; so is every path in ``skip`` and everything under a folder in ``skip`` (the
    grader's own outputs when ``--out`` is inside the folder). ``folder`` may also be a single
    file, to regrade one submission.
    """
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    skip = {Path(p).resolve() for p in skip}
    found = []
    for path in folder.rglob("*"):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts) or not path.is_file():
            continue
        resolved = path.resolve()
        if resolved in skip or any(s in resolved.parents for s in skip):
            continue
        found.append(path)
    return sorted(found, key=lambda p: p.relative_to(folder).as_posix())


def output_paths(out: Path) -> tuple[Path, ...]:
    """What ``grade --out out`` writes: the CSV, its partial copy, the JSON, the results."""
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    return out, partial, out.with_suffix(".json"), out.with_name(out.stem + "_results")


def student_id(path: Path, folder: Path) -> str:
    """The student id of a submission: its path below ``folder`` without the suffix.

    ``submissions/ada.ipynb`` is ``ada``; ``submissions/group 2/ada.ipynb`` (a learning
    system's export with one folder per student) is ``group 2/ada``.
    """
    path, folder = Path(path), Path(folder)
    if folder.is_file() or path == folder:
        return path.stem
    relative = path.relative_to(folder)
    return relative.with_name(relative.stem).as_posix()


def default_jobs() -> int:
    """Kernels graded at once: one per usable core, plus one.

    A kernel is often idle (starting, waiting for the grader, sleeping in a student's
    cell), so one more than the cores keeps them busy: about 40 instead of 32 submissions
    per minute on 2 cores in ``bench/grading.py``.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) + 1


def worker_deadline(limits: Limits) -> float:
    """The hard limit on one worker: notebook, restarts, harvest of the largest exercise."""
    parts = max(len(e.parts) for e in EXERCISES.values())
    return limits.notebook_timeout + limits.cell_timeout * (parts + 2) + WORKER_MARGIN


def gradescope_results(outcome: Outcome) -> dict:
    """Gradescope's ``results.json`` for one outcome."""
    tests = []
    for v in outcome.verdicts:
        text = {"pass": "passed", "not_attempted": f"not attempted: {v.message}"}.get(
            v.status, f"failed: {v.message}"
        )
        tests.append(
            {
                "name": v.part,
                "score": v.points,
                "max_score": v.max_points,
                "output": text,
                "visibility": "visible",
            }
        )
    return {
        "score": outcome.score,
        "output": f"status: {outcome.status} ({outcome.reason}); seed {outcome.seed}",
        "tests": tests,
    }


def _failed(path: Path, student: str, seed: int, exercise, reason: str) -> Outcome:
    return Outcome(
        student=student,
        file=_file_name(path, student),
        exercise=exercise,
        status="grader_error",
        reason=reason,
        seed=submission_seed(seed, student),
    )


def _file_name(path: Path, student: str) -> str:
    """The file column: the path below the submissions folder (the student id's folders)."""
    folders = student.rsplit("/", 1)[0] + "/" if "/" in student else ""
    return folders + Path(path).name


def _read_result(result_file: Path, path: Path, student: str, seed, exercise, line) -> Outcome:
    try:
        outcome = Outcome.from_json(json.loads(result_file.read_text()))
        if outcome.file != _file_name(path, student) or outcome.student != student:
            raise ValueError("result for another file")
        return outcome
    except Exception as error:
        what = "the grader's worker died" if not line else "no result"
        return _failed(path, student, seed, exercise, f"{what}: {type(error).__name__}")


class _Worker:
    """A long-lived worker process (imports paid once) that grades one file per request."""

    def __init__(self, slot: int, limits: Limits, hide: tuple[str, ...], exercise):
        command = [sys.executable, "-m", "gdlab.grading", "worker", "--slot", str(slot)]
        command += ["--limits", json.dumps(asdict(limits))]
        command += [arg for h in hide for arg in ("--hide", h)]
        if exercise:
            command += ["--exercise", exercise]
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=_worker_env(),
            text=True,
            bufsize=1,
        )
        self.job = None  # (path, student id, result file, started)

    def send(self, path: Path, student: str, seed: int, result_file: Path) -> None:
        request = {"file": str(path), "student": student, "seed": seed}
        request["result"] = str(result_file)
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        self.job = (path, student, result_file, time.monotonic())

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait()


def grade_folder(
    folder: Path,
    out: Path,
    seed: int | None = None,
    jobs: int | None = None,
    exercise: str | None = None,
    limits: Limits | None = None,
    progress: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Grade every file under ``folder``; write ``out`` (CSV), its JSON and results folder.

    ``out`` is replaced if it exists (the command line asks for ``--overwrite`` first).
    """
    folder, out = Path(folder).resolve(), Path(out).resolve()
    limits = limits or Limits()
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    jobs = max(1, jobs or default_jobs())
    results_dir = out.with_name(out.stem + "_results")
    files = submissions(folder, skip=output_paths(out))
    watched = folder.parent if folder.is_file() else folder
    hide = tuple(str(p) for p in {watched, out.parent} if _hideable(p))
    outcomes: list[Outcome] = []
    workers: dict[int, _Worker] = {}
    pending = list(enumerate(files))
    with tempfile.TemporaryDirectory(prefix="gdlab-batch-") as scratch:
        try:
            while pending or any(w.job for w in workers.values()):
                for slot in range(min(jobs, len(files))):
                    worker = workers.get(slot)
                    if pending and (worker is None or worker.job is None):
                        if worker is None or worker.proc.poll() is not None:
                            worker = workers[slot] = _Worker(slot, limits, hide, exercise)
                        number, path = pending.pop(0)
                        student = student_id(path, folder)
                        worker.send(path, student, seed, Path(scratch) / f"{number}.json")
                busy = {w.proc.stdout: w for w in workers.values() if w.job}
                ready, _, _ = select.select(list(busy), [], [], 0.1)
                for stream in ready:
                    worker = busy[stream]
                    line = stream.readline()
                    path, student, result_file, _ = worker.job
                    worker.job = None
                    if not line:  # the worker died mid-job
                        worker.kill()
                    outcome = _read_result(result_file, path, student, seed, exercise, line)
                    outcomes.append(outcome)
                    if progress:
                        progress(outcomes[-1])
                for worker in workers.values():
                    if worker.job and time.monotonic() - worker.job[3] > worker_deadline(limits):
                        path, student, _, _ = worker.job
                        worker.job = None
                        worker.kill()
                        reason = "the grader's worker ran out of time"
                        outcomes.append(_failed(path, student, seed, exercise, reason))
                        if progress:
                            progress(outcomes[-1])
        finally:
            for worker in workers.values():
                if worker.proc.poll() is None:
                    worker.proc.stdin.close()
                    try:
                        worker.proc.wait(timeout=10)
                    except subprocess.TimeoutExpired:
                        worker.kill()
    outcomes.sort(key=lambda o: (o.student, o.file))
    write_outputs(outcomes, out, results_dir, seed, limits)
    return outcomes


def _hideable(path: Path) -> bool:
    text = str(path)
    return text != "/" and not any(d == text or d.startswith(text + "/") for d in SYSTEM_DIRS)


def _worker_env() -> dict[str, str]:
    env = dict(os.environ)
    library = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([library, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def part_columns(outcomes: list[Outcome]) -> list[str]:
    """Part ids of the exercises present, in exercise order."""
    present = {o.exercise for o in outcomes}
    return [p.id for e in EXERCISES.values() if e.name in present for p in e.parts]


def spreadsheet_safe(text: str) -> str:
    """``text`` for a CSV cell, with a leading ``'`` when a spreadsheet would read it as a formula.

    File names and reasons come from students; a cell starting with ``=``, ``+``, ``-``, ``@``, a
    tab or a carriage return is run as a formula by Excel and LibreOffice (CSV injection). The
    JSON outputs keep the text unchanged.
    """
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_outputs(outcomes: list[Outcome], out: Path, results_dir: Path, seed, limits) -> None:
    """The CSV (atomically), the full JSON and one Gradescope results file per submission."""
    columns = part_columns(outcomes)
    header = ["student", "file", "exercise", "status", "reason", *columns]
    header += ["score", "max_score", "seed", "seconds"]
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".partial")
    with temporary.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for o in outcomes:
            points = {v.part: v.points for v in o.verdicts}
            text = [o.student, o.file, o.exercise or "", o.status, o.reason]
            row = [spreadsheet_safe(cell) for cell in text]
            row += [_number(points[c]) if c in points else "" for c in columns]
            row += [_number(o.score), _number(o.max_score), o.seed, o.seconds]
            writer.writerow(row)
    temporary.replace(out)
    run = {
        "seed": seed,
        "sandbox": sandbox_mode(),
        "limits": asdict(limits),
        "outcomes": [o.to_json() for o in outcomes],
    }
    out.with_suffix(".json").write_text(json.dumps(run, indent=1))
    results_dir.mkdir(parents=True, exist_ok=True)
    stems = [o.student for o in outcomes]
    written = set()
    for o in outcomes:
        name = o.student if stems.count(o.student) == 1 else o.file
        path = results_dir / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(gradescope_results(o), indent=1))
        written.add(path.resolve())
    for stale in results_dir.rglob("*.json"):  # of an earlier run that this one replaces
        if stale.resolve() not in written:
            stale.unlink()


def _number(x: float) -> str:
    return f"{x:g}"
