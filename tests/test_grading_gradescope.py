"""The Gradescope bundle: built by the documented command, run locally by its own
``run_autograder`` against a fake /autograder layout (source, submission, results)."""

import json
import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from gdlab.grading import EXERCISES

HERE = Path(__file__).resolve().parent / "grading"
sys.path.insert(0, str(HERE))

import submission_fixtures as fx  # noqa: E402
from test_grading_cli import gradescope_problems  # noqa: E402

LIBRARY = str(Path(__file__).resolve().parents[1] / "lib")
SEED = 2024


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    out = tmp_path_factory.mktemp("bundle") / "gradescope_autograder.zip"
    command = [sys.executable, "-m", "gdlab.grading", "gradescope", "--out", str(out)]
    command += ["--exercise", "steepest_descent", "--seed", str(SEED), "--cell-timeout", "5"]
    env = dict(os.environ, PYTHONPATH=LIBRARY)
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    return out


def test_bundle_has_the_gradescope_layout_and_no_solutions(bundle):
    with zipfile.ZipFile(bundle) as archive:
        names = archive.namelist()
        modes = {i.filename: i.external_attr >> 16 for i in archive.infolist()}
        config = json.loads(archive.read("config.json"))
        text = b"".join(archive.read(n) for n in names)
    assert {"setup.sh", "run_autograder", "config.json", "requirements.txt"} <= set(names)
    for script in ("setup.sh", "run_autograder"):
        assert modes[script] & stat.S_IXUSR, script
    assert "lib/gdlab/grading/judging.py" in names
    assert not [n for n in names if n.startswith("tests") or "solution" in n]
    reference = fx.answers_from(HERE / "solutions" / "steepest_descent.py")
    assert reference["steepest_step_l1"].encode() not in text  # no reference answer shipped
    assert config["exercise"] == "steepest_descent" and config["seed"] == SEED
    assert config["limits"]["cell_timeout"] == 5


def _autograder(tmp_path: Path, bundle: Path, notebooks: dict[str, object]) -> dict:
    """Unzip into a fake /autograder, add the submission, run ``run_autograder``."""
    root = tmp_path / "autograder"
    (root / "source").mkdir(parents=True)
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(root / "source")
    for script in ("setup.sh", "run_autograder"):
        (root / "source" / script).chmod(0o755)
    venv_python = root / "venv" / "bin" / "python"  # setup.sh would make a venv here
    venv_python.parent.mkdir(parents=True)
    venv_python.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    venv_python.chmod(0o755)
    (root / "submission").mkdir()
    for name, nb in notebooks.items():
        fx.write(nb, root / "submission" / name)
    (root / "submission_metadata.json").write_text(json.dumps({"id": 123456, "users": []}))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["AUTOGRADER_ROOT"] = str(root)
    subprocess.run([str(root / "source" / "run_autograder")], env=env, check=True, timeout=300)
    results = json.loads((root / "results" / "results.json").read_text())
    assert gradescope_problems(results) == [], results  # Gradescope's documented format
    return results


def test_run_autograder_gives_full_marks_to_the_reference_solution(bundle, tmp_path):
    results = _autograder(
        tmp_path, bundle, {"steepest_descent.ipynb": fx.solution("steepest_descent")}
    )
    parts = [p.id for p in EXERCISES["steepest_descent"].parts]
    assert results["score"] == EXERCISES["steepest_descent"].max_points
    assert [t["name"] for t in results["tests"]] == parts
    assert all(t["score"] == t["max_score"] for t in results["tests"])
    assert "status: ok" in results["output"]


def test_run_autograder_grades_every_notebook_and_keeps_the_best(bundle, tmp_path):
    from test_grading import EXPECTED_WRONG

    wrong = fx.answers_from(HERE / "wrong" / "steepest_descent.py")
    answers = {p.answer for p in EXERCISES["steepest_descent"].parts}
    notebooks = {
        "draft/starter.ipynb": fx.starter("steepest_descent"),
        "final.ipynb": fx.substitute(
            fx.solution("steepest_descent"), {k: v for k, v in wrong.items() if k in answers}
        ),
    }
    results = _autograder(tmp_path, bundle, notebooks)
    expected = sum(EXPECTED_WRONG[p] for p in (t["name"] for t in results["tests"]))
    assert results["score"] == expected == 2  # 4.1.1c, and 4.1.1q (the wrong file has no proof)
    assert results["output"].startswith("Graded final.ipynb")
    assert "Also graded draft/starter.ipynb: 0 points, not_attempted" in results["output"]


def test_run_autograder_without_a_notebook_still_writes_results(bundle, tmp_path):
    results = _autograder(tmp_path, bundle, {})
    assert results["score"] == 0 and "No .ipynb notebook" in results["output"]
