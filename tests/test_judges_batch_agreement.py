"""Issue 17's examples through the real batch grader: the grade agrees with ``check()``.

Six notebooks (per exercise, one with the issue's wrong answers and one with right answers in
forms the old judges refused or never tried) are graded by ``python -m gdlab.grading grade``
in its sandbox; every part's points must be what ``check()`` says in this process.
"""

import sys
from pathlib import Path

import pytest

from gdlab.grading import EXERCISES, PARTS, verdict

HERE = Path(__file__).resolve().parent / "grading"
sys.path.insert(0, str(HERE))

import submission_fixtures as fx  # noqa: E402
from catalogue import CATALOGUE, namespace_of  # noqa: E402
from test_grading_batch import grade, read_rows  # noqa: E402

CHOSEN = {  # notebook -> {part: catalogue label}
    "steepest_descent_issue_wrong": {
        "4.1.1a": "zero test g.sum() != 0",
        "4.1.1b": "a cap",
        "4.1.1c": "zero test g.sum() == 0",
        "4.1.1d": "argmax of g",
        "4.1.1e": "rounded",
    },
    "steepest_descent_issue_right": {
        "4.1.1a": "the common guard",
        "4.1.1b": "exp of logs",
        "4.1.1c": "clip",
        "4.1.1d": "split over ties",
        "4.1.1e": "SymPy",
    },
    "smoothness_bound_issue_wrong": {
        "4.1.3a": "largest eigenvalue",
        "4.1.3b": "too few digits",
        "4.1.3c": "forgets the 1/4",
        "4.1.3d": "no 1/2",
        "4.1.3e": "a constant pair",
    },
    "smoothness_bound_issue_right": {
        "4.1.3a": "spectral norm",
        "4.1.3b": "exact",
        "4.1.3c": "spectral norm",
        "4.1.3d": "np.dot",
        "4.1.3e": "w = 0",
    },
    "minibatch_variance_issue_wrong": {
        "4.6.3a": "np.random.choice",
        "4.6.3b": "B squared",
        "4.6.3c": "no sampling",
        "4.6.3d": "an extra sqrt(B)",
    },
    "minibatch_variance_issue_right": {
        "4.6.3a": "integers and a permutation",
        "4.6.3b": "exp of logs",
        "4.6.3c": "vectorised",
        "4.6.3d": "two regimes",
    },
}


def _entry(part_id: str, label: str) -> tuple[str, bool]:
    for kind in ("wrong", "right"):
        for name, source, _ in CATALOGUE[part_id][kind]:
            if name == label:
                return source, kind == "right"
    raise KeyError((part_id, label))


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    folder = tmp_path_factory.mktemp("issue17")
    for student, chosen in CHOSEN.items():
        exercise = student.rsplit("_issue_", 1)[0]
        answers = {PARTS[p][1].answer: _entry(p, label)[0] for p, label in chosen.items()}
        fx.write(fx.substitute(fx.solution(exercise), answers), folder / f"{student}.ipynb")
    out = tmp_path_factory.mktemp("out") / "grades.csv"
    grade(folder, out, "--seed", "2017", "--jobs", "2")
    return read_rows(out)


@pytest.mark.parametrize("student", list(CHOSEN))
def test_the_batch_grade_agrees_with_check(graded, student):
    row = graded[student]
    exercise = student.rsplit("_issue_", 1)[0]
    assert (row["status"], row["exercise"]) == ("ok", exercise), row["reason"]
    for part in EXERCISES[exercise].parts:
        if part.id not in CHOSEN[student]:  # a proof part: the reference proof, full credit
            assert float(row[part.id]) == part.points, part.id
            continue
        source, right = _entry(part.id, CHOSEN[student][part.id])
        instant = verdict(part.id, namespace_of(source)[part.answer])
        assert instant.passed == right, (part.id, instant.message)
        assert float(row[part.id]) == (1.0 if right else 0.0), part.id
