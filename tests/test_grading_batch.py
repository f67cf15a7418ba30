"""The batch grader end to end: reference solutions, starters and wrong answers, as .ipynb.

One batch run (two parallel kernels) grades nine notebooks generated from the MyST starters;
the tests read its CSV and JSON files.
"""

import csv
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from nbclient import NotebookClient

from gdlab.grading import EXERCISES
from gdlab.grading.runner import submission_seed

HERE = Path(__file__).resolve().parent / "grading"
sys.path.insert(0, str(HERE))

import submission_fixtures as fx  # noqa: E402
from test_grading import EXPECTED_WRONG  # noqa: E402

SEED = 12345
LIBRARY = str(Path(__file__).resolve().parents[1] / "lib")


def grade(folder: Path, out: Path, *extra: str, env=None) -> subprocess.CompletedProcess:
    """Run the documented command, as ``make grade`` does (``env``: extra variables)."""
    env = dict(os.environ, PYTHONPATH=LIBRARY, **(env or {}))
    command = [sys.executable, "-m", "gdlab.grading", "grade", str(folder), "--out", str(out)]
    return subprocess.run(
        command + list(extra), env=env, capture_output=True, text=True, timeout=600, check=True
    )


def read_rows(csv_path: Path) -> dict[str, dict]:
    with csv_path.open() as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submissions")
    for name in fx.NAMES:
        fx.write(fx.solution(name), folder / f"{name}_solution.ipynb")
        fx.write(fx.starter(name), folder / f"{name}_starter.ipynb")
        wrong = fx.answers_from(HERE / "wrong" / f"{name}.py")
        answers = {k: v for k, v in wrong.items() if k in {p.answer for p in EXERCISES[name].parts}}
        fx.write(fx.substitute(fx.solution(name), answers), folder / f"{name}_wrong.ipynb")
    out = tmp_path_factory.mktemp("out") / "grades.csv"
    result = grade(folder, out, "--seed", str(SEED), "--jobs", "2")
    return folder, out, read_rows(out), result


def test_one_row_per_submission(graded):
    folder, out, rows, _ = graded
    assert sorted(rows) == sorted(p.stem for p in folder.iterdir())
    with out.open() as handle:
        header = next(csv.reader(handle))
    parts = [p.id for e in EXERCISES.values() for p in e.parts]
    assert header == [
        "student",
        "file",
        "exercise",
        "status",
        "reason",
        *parts,
        "score",
        "max_score",
        "seed",
        "seconds",
    ]


@pytest.mark.parametrize("name", fx.NAMES)
def test_reference_solutions_get_full_marks(graded, name):
    row = graded[2][f"{name}_solution"]
    assert row["status"] == "ok", row["reason"]
    assert row["exercise"] == name
    assert float(row["score"]) == float(row["max_score"]) == EXERCISES[name].max_points


@pytest.mark.parametrize("name", fx.NAMES)
def test_starters_get_zero_not_attempted(graded, name):
    row = graded[2][f"{name}_starter"]
    assert (row["status"], float(row["score"])) == ("not_attempted", 0.0)


@pytest.mark.parametrize("name", fx.NAMES)
def test_wrong_answers_get_exactly_the_expected_partial_scores(graded, name):
    row = graded[2][f"{name}_wrong"]
    assert row["status"] == "ok", row["reason"]
    for part in EXERCISES[name].parts:
        assert float(row[part.id]) == float(EXPECTED_WRONG[part.id]), part.id
    expected = sum(EXPECTED_WRONG[p.id] for p in EXERCISES[name].parts)
    assert float(row["score"]) == expected


def test_seed_is_recorded_and_per_submission(graded):
    _, out, rows, result = graded
    run = json.loads(out.with_suffix(".json").read_text())
    assert run["seed"] == SEED
    for student, row in rows.items():
        assert int(row["seed"]) == submission_seed(SEED, student)
    assert f"seed {SEED}" in result.stdout


def test_gradescope_results_per_submission(graded):
    _, out, rows, _ = graded
    for student, row in rows.items():
        data = json.loads((out.parent / "grades_results" / f"{student}.json").read_text())
        assert set(data) == {"score", "output", "tests"}
        assert data["score"] == float(row["score"])
        exercise = EXERCISES[row["exercise"]]
        assert [t["name"] for t in data["tests"]] == [p.id for p in exercise.parts]
        for test in data["tests"]:
            assert set(test) == {"name", "score", "max_score", "output", "visibility"}
            assert test["score"] == float(row[test["name"]])


def test_regrade_with_the_same_seed_repeats_the_grade(graded, tmp_path):
    folder, _, rows, _ = graded
    out = tmp_path / "again.csv"
    grade(folder / "minibatch_variance_wrong.ipynb", out, "--seed", str(SEED))
    again = read_rows(out)["minibatch_variance_wrong"]
    before = rows["minibatch_variance_wrong"]
    for key in ("status", "score", "seed", "4.6.3a", "4.6.3b", "4.6.3c", "4.6.3d"):
        assert again[key] == before[key]


def _execute_plainly(nb) -> list[str]:
    """Run a notebook as the book build does (a normal kernel); the text it prints."""
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    return [o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs]


@pytest.mark.parametrize("name", fx.NAMES)
def test_starter_runs_cleanly_and_says_not_attempted(name):
    printed = "".join(_execute_plainly(fx.starter(name)))
    assert printed.count("not attempted yet") == len(EXERCISES[name].parts)
    assert ": fail." not in printed


def test_solution_notebook_passes_its_own_checks():
    printed = "".join(_execute_plainly(fx.solution("minibatch_variance")))
    assert printed.count("pass. Well done.") == len(EXERCISES["minibatch_variance"].parts)


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_grade_writes_the_csv_json_and_results(tmp_path):
    folder = tmp_path / "submissions"
    fx.write(fx.solution("smoothness_bound"), folder / "ada.ipynb")
    (folder / "notes.txt").write_text("not a notebook")
    out = tmp_path / "out" / "grades.csv"
    root = Path(LIBRARY).parent
    command = ["make", "-s", "grade", f"SUBMISSIONS={folder}", f"OUT={out}", "SEED=5"]
    subprocess.run(command, cwd=root, check=True, capture_output=True, timeout=600)
    rows = read_rows(out)
    full = f"{EXERCISES['smoothness_bound'].max_points:g}"  # 5 parts and the proof of (4.9)
    assert (rows["ada"]["status"], rows["ada"]["score"]) == ("ok", full)
    assert rows["notes"]["status"] == "invalid_notebook"
    assert json.loads(out.with_suffix(".json").read_text())["seed"] == 5
    assert sorted(p.name for p in (out.parent / "grades_results").iterdir()) == [
        "ada.json",
        "notes.json",
    ]


def test_csv_cells_that_a_spreadsheet_would_run_as_formulas_are_quoted(tmp_path):
    from gdlab.grading.batch import write_outputs
    from gdlab.grading.runner import Outcome
    from gdlab.grading.sandbox import Limits

    names = ["=HYPERLINK(1)", "+1", "-1", "@SUM(A1)", "plain"]
    outcomes = [
        Outcome(student=n, file=n + ".ipynb", exercise=None, status="invalid_notebook",
                reason="=cmd|' /C calc'!A0", seed=1)
        for n in names
    ]  # fmt: skip
    out = tmp_path / "grades.csv"
    write_outputs(outcomes, out, tmp_path / "results", seed=1, limits=Limits())
    rows = list(csv.DictReader(out.open()))
    assert [r["student"] for r in rows] == ["'=HYPERLINK(1)", "'+1", "'-1", "'@SUM(A1)", "plain"]
    assert all(r["reason"].startswith("'=") for r in rows)
    run = json.loads((tmp_path / "grades.json").read_text())
    assert [o["student"] for o in run["outcomes"]] == names  # the JSON keeps the text as it was
