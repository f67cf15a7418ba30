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
import hashlib
import json
import os
import re
import secrets
import select
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from gdlab.grading import EXERCISES
from gdlab.grading.runner import Outcome, display_name, submission_seed
from gdlab.grading.sandbox import Limits, allocate_uid, kill_uid, remove_tree, sandbox_mode

WORKER_MARGIN = 60.0  # seconds a worker may take beyond the notebook and harvest budgets
NAME_BYTES = 200  # longest results file name (without .json) before it is shortened


def submissions(folder: Path, skip: tuple[Path, ...] = ()) -> list[Path]:
    """Every visible entry under ``folder`` that is not a folder, subfolders included,
    except ``skip``.

    Regular files, and also what cannot be graded (a symbolic link, dangling or not, a FIFO),
    so that it gets its row with a status. Names starting with a dot (``.DS_Store``,
    ``.ipynb_checkpoints/``) are skipped, files and folders alike; so is every path in
    ``skip`` and everything under a folder in ``skip`` (the grader's own outputs when
    ``--out`` is inside the folder). Symbolic links to folders are not followed. The walk
    keeps its own stack (no recursion), so a deep chain of folders cannot stop it. ``folder``
    may also be a single file, to regrade one submission.
    """
    folder = Path(folder)
    if folder.is_file():
        return [folder]
    skip = {Path(p).resolve() for p in skip}
    found, stack = [], [folder]
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            resolved = path.parent.resolve() / path.name
            if resolved in skip or any(s in resolved.parents for s in skip):
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(path)
            else:
                found.append(path)
    return sorted(found, key=lambda p: os.fsencode(p.relative_to(folder).as_posix()))


def output_paths(out: Path) -> tuple[Path, ...]:
    """What ``grade --out out`` writes: the CSV, its partial copy, the JSON, the results."""
    out = Path(out)
    partial = out.with_name(out.name + ".partial")
    return out, partial, out.with_suffix(".json"), out.with_name(out.stem + "_results")


def student_id(path: Path, folder: Path) -> str:
    """The student id of a submission: its path below ``folder`` without the suffix.

    ``submissions/ada.ipynb`` is ``ada``; ``submissions/group 2/ada.ipynb`` (a learning
    system's export with one folder per student) is ``group 2/ada``. Bytes of the name that
    are not UTF-8 are shown escaped (``\\xff``).
    """
    path, folder = Path(path), Path(folder)
    if folder.is_file() or path == folder:
        return display_name(path.stem)
    relative = path.relative_to(folder)
    return display_name(relative.with_name(relative.stem).as_posix())


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


def _failed(job: _Job, seed: int, exercise, reason: str) -> Outcome:
    return Outcome(
        student=job.student,
        file=job.file,
        exercise=exercise,
        status="grader_error",
        reason=reason,
        seed=submission_seed(seed, job.student),
    )


def _file_name(path: Path, student: str) -> str:
    """The file column: the path below the submissions folder (the student id's folders)."""
    folders = student.rsplit("/", 1)[0] + "/" if "/" in student else ""
    return folders + display_name(Path(path).name)


class ProtocolError(Exception):
    """A worker wrote something on its answer pipe that is not the answer to its job."""


def frame(token: str, payload: bytes) -> bytes:
    """One answer of a worker: a header with the job's token and the length, then the JSON."""
    return b"GDLAB-ANSWER %s %d\n" % (token.encode("ascii"), len(payload)) + payload


@dataclass
class _Job:
    number: int
    path: Path
    student: str
    file: str
    root: Path  # the sandbox folder of the submission (the worker creates it)
    uid: int | None  # the kernel's uid, this submission's only
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    started: float = 0.0

    def sweep(self) -> None:
        """Kill what is left of this submission's kernel and remove its folder."""
        kill_uid(self.uid)
        remove_tree(self.root)


# The worker process (tests may replace it, to play a worker that breaks the protocol).
WORKER_COMMAND = [sys.executable, "-m", "gdlab.grading", "worker"]


class _Worker:
    """A long-lived worker process (imports paid once) that grades one file per request.

    Requests go to its stdin, one JSON line each. Its answers come back on a pipe of their
    own (``--answer-fd``), framed (:func:`frame`) with the job's token; the worker's stdout
    and stderr go to ``/dev/null``, and no kernel holds a descriptor of that pipe.
    """

    def __init__(self, limits: Limits, exercise):
        read_fd, write_fd = os.pipe()
        command = [*WORKER_COMMAND, "--answer-fd", str(write_fd)]
        command += ["--limits", json.dumps(asdict(limits))]
        if exercise:
            command += ["--exercise", exercise]
        try:
            self.proc = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(write_fd,),
                env=_worker_env(),
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
        os.set_blocking(read_fd, False)
        self.answers = read_fd
        self.buffer = bytearray()
        self.job: _Job | None = None

    def send(self, job: _Job, seed: int) -> None:
        request = {"file": os.fsdecode(job.path), "student": job.student, "seed": seed}
        request.update(token=job.token, root=str(job.root), uid=job.uid)
        job.started = time.monotonic()
        self.job = job
        self.proc.stdin.write((json.dumps(request) + "\n").encode())
        self.proc.stdin.flush()

    def read(self) -> bytes | None:
        """The answer to the current job if it is complete, None if more is to come;
        :class:`ProtocolError` for anything else, EOFError if the worker is gone."""
        try:
            data = os.read(self.answers, 1 << 16)
        except BlockingIOError:
            return None
        if not data:
            raise EOFError
        self.buffer += data
        if self.job is None:
            raise ProtocolError("the worker wrote while it had no job")
        end = self.buffer.find(b"\n", 0, HEADER_BYTES)
        if end < 0:
            if len(self.buffer) >= HEADER_BYTES:
                raise ProtocolError("the worker's answer has no header")
            return None
        match = ANSWER_HEADER.fullmatch(bytes(self.buffer[: end + 1]))
        if match is None or match[1].decode() != self.job.token:
            raise ProtocolError("the worker's answer is not for its job")
        size = int(match[2])
        if size > MAX_ANSWER_BYTES:
            raise ProtocolError(f"the worker's answer is too long ({size} bytes)")
        if len(self.buffer) < end + 1 + size:
            return None
        if len(self.buffer) > end + 1 + size:
            raise ProtocolError("the worker wrote more than its answer")
        payload = bytes(self.buffer[end + 1 :])
        self.buffer.clear()
        return payload

    def kill(self) -> None:
        """Kill the worker (its process group; its kernels die with it, see the sandbox)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except OSError:
            self.proc.kill()
        self.proc.wait()
        self.close()

    def close(self) -> None:
        if self.answers is not None:
            os.close(self.answers)
            self.answers = None


HEADER_BYTES = 80
ANSWER_HEADER = re.compile(rb"GDLAB-ANSWER ([0-9a-f]{32}) ([0-9]{1,9})\n")
MAX_ANSWER_BYTES = 64 * 2**20


def _outcome(payload: bytes, job: _Job) -> Outcome:
    outcome = Outcome.from_json(json.loads(payload))
    if outcome.file != job.file or outcome.student != job.student:
        raise ProtocolError("the worker answered for another file")
    return outcome


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

    Every file gets exactly one row, whatever happens to the others: a worker that dies,
    overruns its deadline or answers out of protocol is killed and replaced, what is left of
    the kernel it was running (processes of the submission's uid, its sandbox folder) is
    removed, and only the row of the file it was grading says so (``grader_error``). The CSV
    and the JSON are written even if the batch itself stops on an error.
    ``out`` is replaced if it exists (the command line asks for ``--overwrite`` first).
    """
    folder, out = Path(folder).resolve(), Path(out).resolve()
    limits = limits or Limits()
    seed = secrets.randbelow(2**31) if seed is None else int(seed)
    jobs = max(1, jobs or default_jobs())
    results_dir = out.with_name(out.stem + "_results")
    files = submissions(folder, skip=output_paths(out))
    outcomes: dict[int, Outcome] = {}
    workers: dict[int, _Worker] = {}
    deadline = worker_deadline(limits)

    def record(job: _Job, outcome: Outcome) -> None:
        outcomes[job.number] = outcome
        if progress:
            progress(outcome)

    def fail(slot: int, reason: str) -> None:
        worker = workers.pop(slot)
        job, worker.job = worker.job, None
        worker.kill()
        if job is not None:
            job.sweep()
            record(job, _failed(job, seed, exercise, reason))

    scratch = Path(tempfile.mkdtemp(prefix="gdlab-batch-"))
    os.chmod(scratch, 0o711)  # a kernel in mode plain reaches its own folder, nothing else
    pending: list[_Job] = []
    try:
        for number, path in enumerate(files):
            student = student_id(path, folder)
            file = _file_name(path, student)
            pending.append(_Job(number, path, student, file, scratch / f"{number}", None))
        while pending or workers:
            for slot in range(min(jobs, len(files))):
                if not pending:
                    break
                if slot in workers and workers[slot].job is not None:
                    continue
                if slot not in workers or workers[slot].proc.poll() is not None:
                    if slot in workers:
                        fail(slot, "the grader's worker died")
                    workers[slot] = _Worker(limits, exercise)
                job = pending.pop(0)
                job.uid = allocate_uid()
                workers[slot].send(job, seed)
            if not pending and not any(w.job for w in workers.values()):
                break
            streams = {w.answers: slot for slot, w in workers.items()}
            ready, _, _ = select.select(list(streams), [], [], 0.1)
            for stream in ready:
                slot = streams[stream]
                worker = workers[slot]
                try:
                    payload = worker.read()
                except EOFError:
                    fail(slot, "the grader's worker died")
                    continue
                except ProtocolError as error:
                    fail(slot, f"the grader's worker answered out of protocol: {error}")
                    continue
                if payload is None:
                    continue
                job, worker.job = worker.job, None
                try:
                    outcome = _outcome(payload, job)
                except (ValueError, TypeError, KeyError, ProtocolError) as error:
                    worker.job = job
                    fail(slot, f"the grader's worker answered out of protocol: {error}")
                    continue
                remove_tree(job.root)  # the worker removed it already, unless it failed to
                record(job, outcome)
            for slot, worker in list(workers.items()):
                if worker.job and time.monotonic() - worker.job.started > deadline:
                    fail(slot, "the grader's worker ran out of time")
    finally:
        for slot in list(workers):
            worker = workers.pop(slot)
            if worker.job is not None or worker.proc.poll() is not None:
                job, worker.job = worker.job, None
                worker.kill()
                if job is not None:
                    job.sweep()
                continue
            worker.proc.stdin.close()
            try:
                worker.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                worker.kill()
            worker.close()
        remove_tree(scratch)
        rows = []
        for number, path in enumerate(files):
            if number in outcomes:
                rows.append(outcomes[number])
                continue
            try:
                student = student_id(path, folder)
            except Exception:
                student = display_name(str(path))
            job = _Job(number, path, student, _file_name(path, student), scratch, None)
            rows.append(_failed(job, seed, exercise, "not graded: the batch stopped early"))
        rows.sort(key=lambda o: (o.student, o.file))
        write_outputs(rows, out, results_dir, seed, limits)
    return rows


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


def results_names(outcomes: list[Outcome]) -> list[str]:
    """The results file of each outcome, relative to the results folder, all different.

    The student id, or the file name when several files share the id; a name that another
    file already has (ignoring case, as macOS and Windows do) gets a hash of its file's path,
    and a part of a name too long for the file system is cut and given that hash.
    """
    ids = Counter(o.student for o in outcomes)
    taken, names = set(), []
    for o in outcomes:
        digest = hashlib.sha256(o.file.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        base = o.student if ids[o.student] == 1 else o.file
        parts = []
        for part in base.split("/"):
            raw = part.encode("utf-8", "surrogatepass")
            if len(raw) > NAME_BYTES:
                part = raw[: NAME_BYTES - 20].decode("utf-8", "ignore") + "-" + digest
            parts.append(part)
        name = "/".join(parts)
        if name.lower() in taken:
            name = f"{name}-{digest}"
        taken.add(name.lower())
        names.append(name + ".json")
    return names


def write_outputs(outcomes: list[Outcome], out: Path, results_dir: Path, seed, limits) -> None:
    """The CSV (atomically), the full JSON and one Gradescope results file per submission.

    The CSV and the JSON come first; a results file that cannot be written is named in the
    JSON's ``results_errors`` and does not stop the others.
    """
    columns = part_columns(outcomes)
    header = ["student", "file", "exercise", "status", "reason", *columns]
    header += ["score", "max_score", "seed", "seconds"]
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".partial")
    with temporary.open("w", newline="", encoding="utf-8", errors="backslashreplace") as handle:
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
    names = results_names(outcomes)
    run = {
        "seed": seed,
        "sandbox": sandbox_mode(),
        "limits": asdict(limits),
        "outcomes": [dict(o.to_json(), results=n) for o, n in zip(outcomes, names, strict=True)],
        "results_errors": [],
    }
    written, errors = set(), run["results_errors"]
    for o, name in zip(outcomes, names, strict=True):
        path = results_dir / name
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(gradescope_results(o), indent=1))
            written.add(path.resolve())
        except OSError as error:
            errors.append(f"{name}: {error.strerror or error}")
    try:
        for stale in results_dir.rglob("*.json"):  # of an earlier run that this one replaces
            if stale.resolve() not in written:
                stale.unlink()
    except OSError as error:
        errors.append(f"removing stale results: {error.strerror or error}")
    out.with_suffix(".json").write_text(json.dumps(run, indent=1))


def _number(x: float) -> str:
    return f"{x:g}"
