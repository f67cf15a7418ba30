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


def test_the_bundle_grades_the_proof_parts_with_the_points_set_when_it_was_built(tmp_path):
    # an instructor sets GDLAB_PROOF_POINTS for `make grade`; the bundle built with it set must
    # give Gradescope the same points (it used to grade every proof part at the default 1 point)
    out = tmp_path / "bundle" / "gradescope_autograder.zip"
    command = [sys.executable, "-m", "gdlab.grading", "gradescope", "--out", str(out)]
    command += ["--exercise", "steepest_descent", "--seed", str(SEED), "--cell-timeout", "5"]
    env = dict(os.environ, PYTHONPATH=LIBRARY, GDLAB_PROOF_POINTS="4.1.1p=3,4.1.1q=0.5")
    subprocess.run(command, env=env, check=True, capture_output=True, timeout=120)
    with zipfile.ZipFile(out) as archive:
        assert json.loads(archive.read("config.json"))["proof_points"] == {
            "4.1.1p": 3.0,
            "4.1.1q": 0.5,
        }
    results = _autograder(
        tmp_path, out, {"steepest_descent.ipynb": fx.solution("steepest_descent")}
    )
    max_score = {t["name"]: t["max_score"] for t in results["tests"]}
    assert max_score["4.1.1p"] == 3 and max_score["4.1.1q"] == 0.5
    proofs = {"4.1.1p", "4.1.1q"}
    others = sum(p.points for p in EXERCISES["steepest_descent"].parts if p.id not in proofs)
    assert results["score"] == others + 3.5


def test_a_bundle_run_with_other_points_than_its_config_says_so(bundle, tmp_path):
    # run_submission refuses to grade with points its config.json does not name
    from gdlab.grading.gradescope import run_submission

    root = tmp_path / "autograder"
    (root / "submission").mkdir(parents=True)
    fx.write(fx.solution("steepest_descent"), root / "submission" / "s.ipynb")
    with zipfile.ZipFile(bundle) as archive:
        config = tmp_path / "config.json"
        config.write_bytes(archive.read("config.json"))
    os.environ["GDLAB_PROOF_POINTS"] = "4.1.1p=2"
    try:
        results = run_submission(root, config)
    finally:
        del os.environ["GDLAB_PROOF_POINTS"]
    assert results["score"] == 0 and "GDLAB_PROOF_POINTS='4.1.1p=2'" in results["output"]
