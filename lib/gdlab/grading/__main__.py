"""Command line of the grader: ``python -m gdlab.grading grade SUBMISSIONS --out grades.csv``.

Subcommands:

``grade SUBMISSIONS [--out grades.csv] [--seed N] [--jobs N] [--exercise NAME] [limits]``
    Grade every file in the folder SUBMISSIONS (or one file). Prints one line per
    submission and a summary; writes the CSV, ``<out>.json`` and ``<out>_results/``.
    The same ``--seed`` regrades identically (the seed is in the CSV and the JSON).
``gradescope [--out gradescope_autograder.zip] [--exercise NAME] [--seed N] [limits]``
    Build the Gradescope autograder bundle: the folder ``gradescope_autograder/``
    (``setup.sh``, ``run_autograder``, ``config.json``, ``requirements.txt``, the library)
    and its zip, to upload to Gradescope.
``gradescope-run --root /autograder --config CONFIG``
    Internal (used by ``run_autograder``): grade ``ROOT/submission``, write
    ``ROOT/results/results.json``.
``worker --slot K``
    Internal (used by ``grade``): read requests ``{"file", "seed", "result"}`` one per line
    on stdin, grade each file, write its outcome to ``result``, answer ``done``.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, fields
from pathlib import Path

from gdlab.grading.sandbox import Limits


def _limits_args(parser: argparse.ArgumentParser) -> None:
    defaults = Limits()
    parser.add_argument(
        "--cell-timeout",
        type=float,
        default=defaults.cell_timeout,
        help="seconds per cell and per part's answers (default %(default)s)",
    )
    parser.add_argument(
        "--notebook-timeout",
        type=float,
        default=defaults.notebook_timeout,
        help="seconds for the whole notebook (default %(default)s)",
    )
    parser.add_argument(
        "--memory-mb",
        type=int,
        default=defaults.memory_bytes // 2**20,
        help="address-space limit of each process, MiB (default %(default)s)",
    )


def _limits(args) -> Limits:
    return Limits(
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        memory_bytes=args.memory_mb * 2**20,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m gdlab.grading",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)

    grade = sub.add_parser("grade", help="grade a folder of submitted notebooks")
    grade.add_argument("submissions", type=Path)
    grade.add_argument("--out", type=Path, default=Path("grades.csv"))
    grade.add_argument("--seed", type=int, default=None, help="seed of the inputs (regrade)")
    grade.add_argument("--jobs", type=int, default=None, help="kernels (default: cores + 1)")
    grade.add_argument("--exercise", default=None, help="exercise name (default: detect)")
    _limits_args(grade)

    bundle = sub.add_parser("gradescope", help="build the Gradescope autograder zip")
    bundle.add_argument("--out", type=Path, default=Path("gradescope_autograder.zip"))
    bundle.add_argument("--exercise", default=None, help="grade only this exercise")
    bundle.add_argument("--seed", type=int, default=None, help="seed of the inputs")
    _limits_args(bundle)

    run = sub.add_parser("gradescope-run", help=argparse.SUPPRESS)
    run.add_argument("--root", type=Path, default=Path("/autograder"))
    run.add_argument("--config", type=Path, required=True)

    worker = sub.add_parser("worker", help=argparse.SUPPRESS)
    worker.add_argument("--slot", type=int, default=0)
    worker.add_argument("--limits", default="{}")
    worker.add_argument("--hide", action="append", default=[])
    worker.add_argument("--exercise", default=None)

    args = parser.parse_args(argv)
    if args.command == "worker":
        from gdlab.grading.runner import grade_notebook

        known = {f.name for f in fields(Limits)}
        limits = Limits(**{k: v for k, v in json.loads(args.limits).items() if k in known})
        for line in sys.stdin:  # one request per line: {"file", "seed", "result"}
            job = json.loads(line)
            outcome = grade_notebook(
                Path(job["file"]),
                int(job["seed"]),
                args.exercise,
                limits,
                args.slot,
                tuple(args.hide),
            )
            Path(job["result"]).write_text(json.dumps(outcome.to_json()))
            print("done", flush=True)
        return 0
    if args.command == "gradescope":
        from gdlab.grading.gradescope import build_bundle

        path = build_bundle(args.out, args.exercise, args.seed, _limits(args))
        print(f"wrote {path.with_suffix('')}/ and {path}")
        return 0
    if args.command == "gradescope-run":
        from gdlab.grading.gradescope import run_submission

        results = run_submission(args.root, args.config)
        print(results["output"])
        return 0

    from gdlab.grading.batch import grade_folder
    from gdlab.grading.sandbox import sandbox_mode

    if not args.submissions.exists():
        parser.error(f"{args.submissions} does not exist")
    limits = _limits(args)
    print(f"sandbox: {sandbox_mode()}; limits: {asdict(limits)}", file=sys.stderr)

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
    print(
        f"graded {len(outcomes)} submissions with seed {seed}: wrote {args.out}, "
        f"{args.out.with_suffix('.json')} and {args.out.stem}_results/"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
