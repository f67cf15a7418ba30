"""Command line of the grader: ``python -m gdlab.grading grade SUBMISSIONS --out grades.csv``.

Subcommands:

``grade SUBMISSIONS [--out grades.csv] [--overwrite] [--seed N] [--jobs N] [--exercise NAME]
[limits]``
    Grade every file in the folder SUBMISSIONS, subfolders included (or one file). Prints
    one line per submission and a summary; writes the CSV, ``<out>.json`` and
    ``<out>_results/``. The same ``--seed`` regrades identically (the seed is in the CSV and
    the JSON). An existing ``--out`` is replaced only with ``--overwrite``. Bad arguments
    (a missing or empty folder, an ``--out`` that cannot be written, a bad number) stop it
    before any grading, with exit status 2 and a message naming the value.
``gradescope [--out gradescope_autograder.zip] [--exercise NAME] [--seed N] [limits]``
    Build the Gradescope autograder bundle: the folder ``gradescope_autograder/``
    (``setup.sh``, ``run_autograder``, ``config.json``, ``requirements.txt``, the library)
    and its zip, to upload to Gradescope. The points of the proof parts are those of
    ``GDLAB_PROOF_POINTS`` when the bundle is built (kept in ``config.json``).
``gradescope-run --root /autograder --config CONFIG``
    Internal (used by ``run_autograder``): grade ``ROOT/submission``, write
    ``ROOT/results/results.json``.
``worker --answer-fd FD``
    Internal (used by ``grade``): read requests ``{"file", "student", "seed", "token",
    "root", "uid"}`` one per line on stdin, grade each file and write its outcome, framed
    with the request's token, on descriptor FD (never on stdout, which a kernel could reach).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from dataclasses import asdict, fields
from pathlib import Path

from gdlab.grading.sandbox import Limits

MIN_MEMORY_MB = (
    1024  # measured: at 700 MiB of address space the kernel dies importing numpy; 1000 works
)


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 1 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number of seconds >= 1, got {text!r}")
    return value


def _memory_mb(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < MIN_MEMORY_MB:
        raise argparse.ArgumentTypeError(
            f"must be an integer >= {MIN_MEMORY_MB} (MiB; a kernel needs that much), got {text!r}"
        )
    return value


def _exercise(text: str) -> str:
    from gdlab.grading import EXERCISES

    if text not in EXERCISES:
        known = ", ".join(EXERCISES)
        raise argparse.ArgumentTypeError(f"unknown exercise {text!r}; the exercises are {known}")
    return text


def check_grade_paths(submissions: Path, out: Path, overwrite: bool) -> str | None:
    """Why ``grade SUBMISSIONS --out OUT`` cannot run (a message naming the value), or None.

    Checked before any grading, so that no run is lost at the end for want of a writable
    ``--out``. Creates ``out``'s folder if needed.
    """
    from gdlab.grading.batch import output_paths
    from gdlab.grading.batch import submissions as listed

    if not submissions.exists():
        return f"the submissions folder {str(submissions)!r} does not exist"
    if out.suffix.lower() != ".csv":
        return f"--out must name a .csv file, got {str(out)!r}"
    if out.is_dir():
        return (
            f"--out {str(out)!r} is a folder; give a file name such as {str(out / 'grades.csv')!r}"
        )
    results = out.with_name(out.stem + "_results")
    existing = [p for p in (out, out.with_suffix(".json"), results) if p.exists()]
    if existing and not overwrite:
        return (
            f"--out {str(out)!r}: {str(existing[0])!r} already exists; pass --overwrite to "
            "replace it (make grade OVERWRITE=1), or choose another --out"
        )
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out.parent, prefix=".gdlab-probe-"):
            pass
    except (FileExistsError, NotADirectoryError):
        return f"cannot write --out {str(out)!r}: a part of its folder is a file, not a folder"
    except OSError as error:
        return f"cannot write --out {str(out)!r}: {error.strerror or error}"
    if not listed(submissions, skip=output_paths(out)):
        return (
            f"no file to grade in {str(submissions)!r} "
            "(the folder is empty, or holds only hidden files and the grader's own outputs)"
        )
    return None


def _limits_args(parser: argparse.ArgumentParser) -> None:
    defaults = Limits()
    parser.add_argument(
        "--cell-timeout",
        type=_seconds,
        default=defaults.cell_timeout,
        help="seconds per cell and per part's answers (default %(default)s)",
    )
    parser.add_argument(
        "--notebook-timeout",
        type=_seconds,
        default=defaults.notebook_timeout,
        help="seconds for the whole notebook (default %(default)s)",
    )
    parser.add_argument(
        "--memory-mb",
        type=_memory_mb,
        default=defaults.memory_bytes // 2**20,
        help="address-space limit of each process, MiB (default %(default)s)",
    )


def _limits(args) -> Limits:
    return Limits(
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        memory_bytes=args.memory_mb * 2**20,
    )


def _worker(args) -> int:
    """Grade the files the batch sends, one request per line; answer on ``--answer-fd``."""
    import os

    from gdlab.grading.batch import frame
    from gdlab.grading.runner import Outcome, grade_notebook, submission_seed

    answers = os.dup(args.answer_fd)  # close-on-exec: no kernel inherits the answer pipe
    os.close(args.answer_fd)
    known = {f.name for f in fields(Limits)}
    limits = Limits(**{k: v for k, v in json.loads(args.limits).items() if k in known})
    for line in sys.stdin.buffer:
        job = json.loads(line)
        path, student = Path(job["file"]), job["student"]
        try:
            outcome = grade_notebook(
                path,
                int(job["seed"]),
                args.exercise,
                limits,
                student,
                root=Path(job["root"]),
                uid=job.get("uid"),
            )
        except Exception as error:  # a bug of the grader costs this row only
            folders = student.rsplit("/", 1)[0] + "/" if "/" in student else ""
            outcome = Outcome(
                student,
                folders + os.fsencode(path.name).decode("utf-8", "backslashreplace"),
                args.exercise,
                "grader_error",
                f"{type(error).__name__}: {str(error)[:200]}",
                submission_seed(int(job["seed"]), student),
            )
        data = memoryview(frame(job["token"], json.dumps(outcome.to_json()).encode()))
        while data:
            data = data[os.write(answers, data) :]
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gdlab.grading",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    grade = sub.add_parser("grade", help="grade a folder of submitted notebooks")
    grade.add_argument("submissions", type=Path, help="folder of submissions (or one file)")
    grade.add_argument("--out", type=Path, default=Path("grades.csv"), help="the CSV to write")
    grade.add_argument("--overwrite", action="store_true", help="replace an existing --out")
    grade.add_argument("--seed", type=_seed, default=None, help="seed of the inputs (regrade)")
    grade.add_argument(
        "--jobs", type=_positive_int, default=None, help="kernels (default: cores + 1)"
    )
    grade.add_argument("--exercise", type=_exercise, help="exercise name (default: detect)")
    _limits_args(grade)

    bundle = sub.add_parser("gradescope", help="build the Gradescope autograder zip")
    bundle.add_argument("--out", type=Path, default=Path("gradescope_autograder.zip"))
    bundle.add_argument("--exercise", type=_exercise, help="grade only this exercise")
    bundle.add_argument("--seed", type=_seed, default=None, help="seed of the inputs")
    _limits_args(bundle)

    run = sub.add_parser("gradescope-run", help=argparse.SUPPRESS)
    run.add_argument("--root", type=Path, default=Path("/autograder"))
    run.add_argument("--config", type=Path, required=True)

    worker = sub.add_parser("worker", help=argparse.SUPPRESS)
    worker.add_argument("--answer-fd", type=int, required=True)
    worker.add_argument("--limits", default="{}")
    worker.add_argument("--exercise", default=None)

    args = parser.parse_args(argv)
    if args.command == "worker":
        return _worker(args)
    if args.command == "gradescope":
        from gdlab.grading.gradescope import build_bundle

        try:
            path = build_bundle(args.out, args.exercise, args.seed, _limits(args))
        except ValueError as error:
            bundle.error(str(error))
        except OSError as error:
            bundle.error(f"cannot write --out {str(args.out)!r}: {error.strerror or error}")
        print(f"wrote {path.with_suffix('')}/ and {path}")
        return 0
    if args.command == "gradescope-run":
        from gdlab.grading.gradescope import run_submission

        results = run_submission(args.root, args.config)
        print(results["output"])
        return 0

    from gdlab.grading.batch import grade_folder, output_paths, student_id, submissions
    from gdlab.grading.sandbox import sandbox_choice

    problem = check_grade_paths(args.submissions, args.out, args.overwrite)
    if problem:
        grade.error(problem)
    limits = _limits(args)
    files = submissions(args.submissions, skip=output_paths(args.out))
    ids = [student_id(f, args.submissions) for f in files]
    for same in sorted({i for i in ids if ids.count(i) > 1}):
        names = ", ".join(f.name for f, i in zip(files, ids, strict=True) if i == same)
        print(f"note: {names} share the student id {same!r}; each gets its row", file=sys.stderr)
    mode, why = sandbox_choice()
    print(f"sandbox: {mode}; limits: {asdict(limits)}", file=sys.stderr)
    if why:
        print(
            f"warning: graded in the plain sandbox because {why}; see the instructor guide for "
            "what it cannot guarantee",
            file=sys.stderr,
        )

    def show(o):
        print(
            f"{o.student:<30} {o.status:<16} {o.score:g}/{o.max_score:g}  {o.reason}",
            file=sys.stderr,
        )

    outcomes = grade_folder(
        args.submissions,
        args.out,
        seed=args.seed,
        jobs=args.jobs,
        exercise=args.exercise,
        limits=limits,
        progress=show,
    )
    seed = json.loads(args.out.with_suffix(".json").read_text())["seed"]
    results = args.out.with_name(args.out.stem + "_results")
    print(
        f"graded {len(outcomes)} submissions with seed {seed}: wrote {args.out}, "
        f"{args.out.with_suffix('.json')} and {results}/"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
