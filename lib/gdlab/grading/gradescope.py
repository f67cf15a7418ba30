"""The Gradescope autograder bundle: the same grader, run by Gradescope once per submission.

:func:`build_bundle` writes a folder and its zip (upload the zip as the assignment's
autograder, "Zip file upload")::

    setup.sh          installs Python and the pinned grading dependencies (once, image build)
    run_autograder    grades /autograder/submission, writes /autograder/results/results.json
    requirements.txt  the grading dependencies, pinned to the versions that built the bundle
    config.json       the exercise (or none: detected per notebook), the seed, the limits and
                      the points of the proof parts
    lib/gdlab/        the library (the grader, and what the notebooks import)

No test, reference solution or course file is in the bundle. ``run_autograder`` calls
``python -m gdlab.grading gradescope-run``, which is :func:`run_submission`: it copies every
``.ipynb`` of the submission into a scratch folder, grades them with
:func:`~gdlab.grading.batch.grade_folder` (sandboxed kernels, the grader's own judges), and
writes Gradescope's ``results.json`` for the best-scoring notebook. Whatever happens, a
``results.json`` is written.

The inputs of a submission are drawn from the bundle's seed and the Gradescope submission id,
so a regrade on Gradescope reproduces the grade.

Gradescope runs the grader as root in a Docker container, which has no Bubblewrap and
usually may not create namespaces: the sandbox falls back to mode ``plain`` and drops the
kernel to an unprivileged uid of its own, with a fresh session keyring and descriptors 0, 1
and 2 only (see :mod:`gdlab.grading.sandbox` for what that mode does not guarantee); the
container is the outer wall, and it holds one submission only.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import tempfile
import zipfile
from dataclasses import asdict, fields
from importlib import metadata
from pathlib import Path

from gdlab.grading import EXERCISES
from gdlab.grading.proof_parts import points_from_env
from gdlab.grading.sandbox import Limits

# What the grader imports, directly or in the student's kernel (pip resolves the rest).
REQUIREMENTS = ("numpy", "sympy", "mpmath", "nbformat", "nbclient", "jupyter_client")
REQUIREMENTS += ("ipykernel", "pyzmq", "matplotlib")

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, as root, when it builds the autograder image.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v python3 >/dev/null || ! python3 -c 'import ensurepip' 2>/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3 python3-venv python3-pip
fi
python3 -c 'import sys; assert sys.version_info >= (3, 11)' || {
    echo "The pinned numpy needs Python >= 3.11: choose Gradescope's Ubuntu 24.04 image." >&2
    exit 1
}
python3 -m venv /autograder/venv
/autograder/venv/bin/python -m pip install --quiet --upgrade pip
/autograder/venv/bin/python -m pip install --quiet -r requirements.txt
PYTHONPATH="$PWD/lib" /autograder/venv/bin/python -c "import gdlab.grading"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for every submission: grade the notebooks in submission/ and write
# results/results.json. AUTOGRADER_ROOT (default /autograder) is for trying it locally.
set -uo pipefail
ROOT="${AUTOGRADER_ROOT:-/autograder}"
SOURCE="$(cd "$(dirname "$0")" && pwd)"
PYTHON="$ROOT/venv/bin/python"
[ -x "$PYTHON" ] || PYTHON=python3
mkdir -p "$ROOT/results"
# the points of the proof parts, as set when the bundle was built (also in config.json)
export GDLAB_PROOF_POINTS="@PROOF_POINTS@"
PYTHONPATH="$SOURCE/lib" "$PYTHON" -m gdlab.grading gradescope-run \\
    --root "$ROOT" --config "$SOURCE/config.json"
"""


def _requirements() -> str:
    lines = []
    for name in REQUIREMENTS:
        try:
            lines.append(f"{name}=={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            lines.append(name)
    return "\n".join(lines) + "\n"


BUNDLE_ENTRIES = {"setup.sh", "run_autograder", "config.json", "requirements.txt", "lib"}


def is_bundle_folder(folder: Path) -> bool:
    """True for a folder :func:`build_bundle` wrote (and may replace): its files, no others."""
    folder = Path(folder)
    if folder.is_symlink() or not folder.is_dir():
        return False
    names = {p.name for p in folder.iterdir()}
    return {"setup.sh", "run_autograder", "config.json"} <= names <= BUNDLE_ENTRIES


def build_bundle(
    out: Path,
    exercise: str | None = None,
    seed: int | None = None,
    limits: Limits | None = None,
    proof_points: dict[str, float] | None = None,
) -> Path:
    """Write the bundle folder (``out`` without ``.zip``) and the zip ``out``; return the zip.

    ``exercise`` names the one exercise of the assignment (else each notebook's exercise is
    detected); ``seed`` fixes the grader's inputs (default: drawn now, kept in config.json).
    ``proof_points`` gives the proof parts other points than the default, as
    ``GDLAB_PROOF_POINTS`` does for ``make grade``; by default it is read from that variable
    when the bundle is built, and the bundle's ``run_autograder`` grades with it.
    """
    text = _points_text(points_from_env() if proof_points is None else proof_points)
    proof_points = points_from_env(text)  # checked: known parts, finite points >= 0
    if exercise is not None and exercise not in EXERCISES:
        raise ValueError(f"exercise must be one of {sorted(EXERCISES)}, got {exercise!r}")
    out = Path(out)
    if out.suffix != ".zip":
        raise ValueError(f"out must name a .zip file, got {str(out)!r}")
    folder = out.with_suffix("")
    if folder.exists() or folder.is_symlink():
        if not is_bundle_folder(folder):
            raise ValueError(
                f"out {str(out)!r} would replace the folder {str(folder)!r}, which is not an "
                "autograder bundle built before; choose another out"
            )
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    library = Path(__file__).resolve().parents[1]  # the gdlab package
    shutil.copytree(
        library,
        folder / "lib" / "gdlab",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.so"),
    )
    config = {
        "exercise": exercise,
        "seed": secrets.randbelow(2**31) if seed is None else int(seed),
        "limits": asdict(limits or Limits()),
        "proof_points": proof_points,
    }
    (folder / "config.json").write_text(json.dumps(config, indent=1) + "\n")
    (folder / "requirements.txt").write_text(_requirements())
    scripts = (
        ("setup.sh", SETUP_SH),
        ("run_autograder", RUN_AUTOGRADER.replace("@PROOF_POINTS@", text)),
    )
    for name, script in scripts:
        (folder / name).write_text(script)
        (folder / name).chmod(0o755)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as bundle:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                info = zipfile.ZipInfo.from_file(path, path.relative_to(folder).as_posix())
                with path.open("rb") as handle:
                    bundle.writestr(info, handle.read(), zipfile.ZIP_DEFLATED)
    return out


def _points_text(points) -> str:
    """``{"4.1.3p": 2.0}`` as ``GDLAB_PROOF_POINTS`` writes it: ``4.1.3p=2``."""
    if not isinstance(points, dict):
        raise ValueError(f"proof_points must be a dict of part -> points, got {points!r}")
    return ",".join(f"{part}={value!r}" for part, value in sorted(points.items()))


def _submission_id(root: Path) -> str:
    """Gradescope's submission id (from submission_metadata.json), or ``submission``."""
    try:
        data = json.loads((root / "submission_metadata.json").read_text())
        ident = str(data.get("id", "submission"))
    except (OSError, ValueError, AttributeError):
        ident = "submission"
    cleaned = "".join(c for c in ident if c.isalnum() or c in "-_")[:40]
    return cleaned or "submission"


def _results(score: float, output: str, tests: list | None = None) -> dict:
    return {"score": score, "output": output, "tests": tests or []}


def run_submission(root: Path, config_file: Path) -> dict:
    """Grade ``root/submission`` as Gradescope does; write and return ``results.json``."""
    from gdlab.grading.batch import grade_folder, gradescope_results

    root = Path(root)
    results_file = root / "results" / "results.json"
    results_file.parent.mkdir(parents=True, exist_ok=True)
    try:
        config = json.loads(Path(config_file).read_text())
        wanted, used = config.get("proof_points", {}), points_from_env()
        if wanted != used:
            raise ValueError(
                f"config.json gives the proof parts the points {wanted}, but this run grades "
                f"with GDLAB_PROOF_POINTS={os.environ.get('GDLAB_PROOF_POINTS', '')!r}; "
                "run the bundle's run_autograder, which sets it"
            )
        known = {f.name for f in fields(Limits)}
        limits = Limits(**{k: v for k, v in config.get("limits", {}).items() if k in known})
        notebooks = sorted(
            p
            for p in (root / "submission").rglob("*.ipynb")
            if p.is_file() and ".ipynb_checkpoints" not in p.parts
        )
        if not notebooks:
            results = _results(0.0, "No .ipynb notebook was found in the submission.")
        else:
            ident = _submission_id(root)
            with tempfile.TemporaryDirectory(prefix="gdlab-gradescope-") as scratch:
                inbox, outbox = Path(scratch) / "in", Path(scratch) / "out"
                inbox.mkdir()
                names = {}
                for number, path in enumerate(notebooks):
                    name = ident if len(notebooks) == 1 else f"{ident}_{number + 1}"
                    shutil.copyfile(path, inbox / f"{name}.ipynb")
                    names[name] = path.relative_to(root / "submission").as_posix()
                outcomes = grade_folder(
                    inbox,
                    outbox / "grades.csv",
                    seed=int(config["seed"]),
                    jobs=min(len(notebooks), os.cpu_count() or 1),
                    exercise=config.get("exercise"),
                    limits=limits,
                )
            best = max(outcomes, key=lambda o: (o.score, o.status == "ok"))
            results = gradescope_results(best)
            lines = [f"Graded {names.get(best.student, best.file)}: {results['output']}"]
            for other in outcomes:
                if other is not best:
                    lines.append(
                        f"Also graded {names.get(other.student, other.file)}: "
                        f"{other.score:g} points, {other.status} ({other.reason})"
                    )
            results["output"] = "\n".join(lines)
    except Exception as error:  # Gradescope must always get a results.json
        results = _results(0.0, f"The autograder failed: {type(error).__name__}: {error}")
    results_file.write_text(json.dumps(results, indent=1))
    return results
