"""The grader's command line against an instructor's mistakes and awkward folders.

Bad arguments stop ``python -m gdlab.grading grade`` before any grading, with exit status 2
and a message naming the bad value (never a traceback, never a half-written grade file).
Awkward folders (subfolders, spaces, unicode, an upper-case suffix, two files with one
student id, hidden files, ``--out`` inside the folder) still give exactly one row per file.
The ``results.json`` files follow Gradescope's documented format, and the check cells of the
exercise notebooks leave the student's namespace as it was.
"""

import contextlib
import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gdlab.grading import EXERCISES
from gdlab.grading.__main__ import main
from gdlab.grading.batch import gradescope_results, student_id, submissions
from gdlab.grading.core import Verdict
from gdlab.grading.runner import Outcome

HERE = Path(__file__).resolve().parent / "grading"
sys.path.insert(0, str(HERE))

import submission_fixtures as fx  # noqa: E402
from test_grading import EXPECTED_WRONG  # noqa: E402

LIBRARY = str(Path(__file__).resolve().parents[1] / "lib")

# Gradescope's results.json (gradescope-autograders.readthedocs.io, "Autograder
# Specifications", output format): every key is optional, a score is needed on the top level
# or on every test.
RESULT_KEYS = {
    "score",
    "execution_time",
    "output",
    "output_format",
    "test_output_format",
    "test_name_format",
    "visibility",
    "stdout_visibility",
    "extra_data",
    "tests",
    "leaderboard",
}
TEST_KEYS = {
    "score",
    "max_score",
    "status",
    "name",
    "name_format",
    "number",
    "output",
    "output_format",
    "tags",
    "visibility",
    "extra_data",
}
VISIBILITIES = {"hidden", "after_due_date", "after_published", "visible"}


def gradescope_problems(results: dict) -> list[str]:
    """What in ``results`` breaks Gradescope's documented format (empty when it is valid)."""

    def number(x):
        return isinstance(x, int | float) and not isinstance(x, bool)

    problems = [f"unknown key {k!r}" for k in set(results) - RESULT_KEYS]
    tests = results.get("tests", [])
    if not isinstance(tests, list):
        return [*problems, "tests is not a list"]
    if "score" in results and not number(results["score"]):
        problems.append("score is not a number")
    if "score" not in results and not all("score" in t for t in tests):
        problems.append("no score on the top level nor on every test")
    for key in ("output", "visibility"):
        if key in results and not isinstance(results[key], str):
            problems.append(f"{key} is not text")
    if results.get("visibility", "visible") not in VISIBILITIES:
        problems.append(f"visibility {results['visibility']!r}")
    for test in tests:
        if not isinstance(test, dict):
            problems.append("a test is not an object")
            continue
        problems += [f"test key {k!r}" for k in set(test) - TEST_KEYS]
        problems += [
            f"test {k} not a number" for k in ("score", "max_score") if not number(test.get(k, 0))
        ]
        problems += [
            f"test {k} not text" for k in ("name", "output") if not isinstance(test.get(k, ""), str)
        ]
        if test.get("visibility", "visible") not in VISIBILITIES:
            problems.append(f"test visibility {test['visibility']!r}")
        if test.get("status", "passed") not in {"passed", "failed"}:
            problems.append(f"test status {test['status']!r}")
        if number(test.get("score")) and number(test.get("max_score")):
            if not 0 <= test["score"] <= test["max_score"]:
                problems.append(f"test {test.get('name')}: score outside [0, max_score]")
    if "score" in results and tests and all(number(t.get("score")) for t in tests):
        if abs(sum(t["score"] for t in tests) - results["score"]) > 1e-9:
            problems.append("score is not the sum of the tests' scores")
    return problems


def test_the_validator_rejects_what_gradescope_would():
    good = {"score": 1.0, "output": "x", "tests": [{"name": "a", "score": 1, "max_score": 1}]}
    assert gradescope_problems(good) == []
    bad = [
        {"score": "1", "tests": []},
        {"tests": [{"name": "a"}]},
        {"score": 1, "tests": [{"score": 2, "max_score": 1}]},
        {"score": 1, "tests": [{"score": 1, "visibility": "students"}]},
        {"score": 1, "tests": [{"score": 1, "status": "ok"}]},
        {"score": 1, "max_points": 3},
        {"score": 2, "tests": [{"score": 1, "max_score": 1}]},
    ]
    for results in bad:
        assert gradescope_problems(results), results


def test_results_json_follows_gradescope_format_for_every_status():
    verdicts = [
        Verdict("4.1.1a", "pass", "", 1.0, 1.0),
        Verdict("4.1.1b", "fail", "wrong value", 0.0, 1.0),
        Verdict("4.1.1c", "not_attempted", "still None", 0.0, 1.0),
    ]
    for outcome in (
        Outcome("ada", "ada.ipynb", "steepest_descent", "ok", "1 of 3", 7, verdicts),
        Outcome("bob", "bob.txt", None, "invalid_notebook", "not a .ipynb file", 8),
    ):
        results = gradescope_results(outcome)
        assert gradescope_problems(results) == [], results
        assert results["score"] == outcome.score


def run_main(argv: list[str], capsys) -> tuple[int, str]:
    """``main(argv)``: the exit status and what it printed on stderr."""
    try:
        status = main(argv)
    except SystemExit as stop:
        status = stop.code
    return status, capsys.readouterr().err


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "submissions"
    fx.write(fx.starter("smoothness_bound"), path / "ada.ipynb")
    return path


def _unwritable(tmp_path: Path) -> Path:
    if os.geteuid() == 0:  # root writes anywhere on a normal file system, not in /proc
        return Path("/proc/gdlab-grades/grades.csv")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    return locked / "grades.csv"


@pytest.mark.parametrize(
    "case",
    [
        "missing_folder",
        "empty_folder",
        "hidden_only",
        "out_below_a_file",
        "out_unwritable",
        "out_not_csv",
        "out_is_a_folder",
        "out_exists",
        "out_json_exists",
        "seed_text",
        "seed_negative",
        "jobs_zero",
        "exercise_unknown",
        "cell_timeout_negative",
        "notebook_timeout_text",
        "memory_too_small",
    ],
)
def test_bad_arguments_stop_before_grading_with_a_message_naming_the_value(
    case, folder, tmp_path, capsys
):
    out = tmp_path / "out" / "grades.csv"
    args = [str(folder), "--out", str(out)]
    empty = tmp_path / "empty"
    empty.mkdir()
    (tmp_path / "a_file").write_text("x")
    setup = {
        "missing_folder": ([str(tmp_path / "nowhere"), "--out", str(out)], "nowhere"),
        "empty_folder": ([str(empty), "--out", str(out)], "empty"),
        "out_below_a_file": (
            [str(folder), "--out", str(tmp_path / "a_file" / "g.csv")],
            "a_file",
        ),
        "out_unwritable": ([str(folder), "--out", str(_unwritable(tmp_path))], "grades.csv"),
        "out_not_csv": ([str(folder), "--out", str(tmp_path / "grades.json")], "grades.json"),
        "out_is_a_folder": ([str(folder), "--out", str(empty)], "empty"),
        "seed_text": ([*args, "--seed", "abc"], "'abc'"),
        "seed_negative": ([*args, "--seed", "-5"], "'-5'"),
        "jobs_zero": ([*args, "--jobs", "0"], "'0'"),
        "exercise_unknown": ([*args, "--exercise", "gradient_descent"], "'gradient_descent'"),
        "cell_timeout_negative": ([*args, "--cell-timeout", "-1"], "'-1'"),
        "notebook_timeout_text": ([*args, "--notebook-timeout", "long"], "'long'"),
        "memory_too_small": ([*args, "--memory-mb", "10"], "'10'"),
    }
    if case == "hidden_only":
        (empty / ".DS_Store").write_text("x")
        fx.write(fx.starter("smoothness_bound"), empty / ".ipynb_checkpoints" / "a.ipynb")
        argv, named = [str(empty), "--out", str(out)], "empty"
    elif case == "out_exists":
        out.parent.mkdir()
        out.write_text("student,score\nbob,5\n")
        argv, named = args, "--overwrite"
    elif case == "out_json_exists":  # e.g. a student's file next to --out
        out.parent.mkdir()
        out.with_suffix(".json").write_text("{}")
        argv, named = args, "grades.json"
    else:
        argv, named = setup[case]
    status, err = run_main(["grade", *argv], capsys)
    assert status == 2, err
    assert named in err and "error:" in err and "Traceback" not in err
    if case == "out_exists":
        assert out.read_text() == "student,score\nbob,5\n"  # the earlier grades are kept
    elif case == "out_json_exists":
        assert out.with_suffix(".json").read_text() == "{}" and not out.exists()
    else:
        assert not out.exists()
    assert not out.with_name("grades_results").exists()


def test_gradescope_bundle_rejects_bad_arguments(tmp_path, capsys):
    out = str(tmp_path / "bundle.zip")
    for extra, named in ((["--exercise", "nope"], "'nope'"), (["--seed", "x"], "'x'")):
        status, err = run_main(["gradescope", "--out", out, *extra], capsys)
        assert status == 2 and named in err
    assert not Path(out).exists()


def test_gradescope_bundle_never_replaces_a_folder_it_did_not_build(tmp_path, capsys):
    precious = tmp_path / "course"
    precious.mkdir()
    (precious / "roster.csv").write_text("ada\n")
    status, err = run_main(["gradescope", "--out", str(tmp_path / "course.zip")], capsys)
    assert status == 2 and "'" + str(precious) + "'" in err and "Traceback" not in err
    assert (precious / "roster.csv").read_text() == "ada\n"
    assert not (tmp_path / "course.zip").exists()
    out = tmp_path / "bundle.zip"
    for _ in range(2):  # an earlier bundle is replaced
        assert run_main(["gradescope", "--out", str(out), "--seed", "3"], capsys)[0] == 0
    assert json.loads((tmp_path / "bundle" / "config.json").read_text())["seed"] == 3
    for bad, named in (("bundle.tar", "'bundle.tar'"), ("/proc/gdlab/b.zip", "/proc/gdlab")):
        status, err = run_main(["gradescope", "--out", bad], capsys)
        assert status == 2 and named in err and "Traceback" not in err


def test_submissions_are_found_in_subfolders_skipping_hidden_and_own_outputs(tmp_path):
    root = tmp_path / "subs"
    for name in ("ada.ipynb", "group 1/bob.ipynb", "notes.txt", ".DS_Store", ".git/x.ipynb"):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("x")
    (root / ".ipynb_checkpoints").mkdir()
    (root / ".ipynb_checkpoints" / "ada-checkpoint.ipynb").write_text("x")
    out = root / "grades.csv"
    for own in ("grades.csv", "grades.json", "grades.csv.partial", "grades_results/ada.json"):
        (root / own).parent.mkdir(parents=True, exist_ok=True)
        (root / own).write_text("x")
    from gdlab.grading.batch import output_paths

    found = [p.relative_to(root).as_posix() for p in submissions(root, output_paths(out))]
    assert found == ["ada.ipynb", "group 1/bob.ipynb", "notes.txt"]
    assert [student_id(root / f, root) for f in found] == ["ada", "group 1/bob", "notes"]
    assert student_id(root / "ada.ipynb", root / "ada.ipynb") == "ada"


def _grade(folder: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=LIBRARY)
    command = [sys.executable, "-m", "gdlab.grading", "grade", str(folder), "--out", str(out)]
    return subprocess.run(
        command + list(extra), env=env, capture_output=True, text=True, timeout=600
    )


def _rows(path: Path) -> list[dict]:
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def awkward(tmp_path_factory):
    """A folder an instructor might really have, graded twice with one seed (``--out``
    inside it, the second time with ``--overwrite``)."""
    root = tmp_path_factory.mktemp("awkward") / "submissions"
    # the proof of (4.9) left as in the starter: the scores below are the five answer parts
    solution = fx.solution("smoothness_bound", proofs=False)
    starter = fx.starter("smoothness_bound")
    files = {
        "ada.ipynb": solution,
        "bob smith.ipynb": starter,
        "zoë ñandú.ipynb": solution,
        "CARL.IPYNB": solution,
        "dan.ipynb": starter,
        "dan.txt": None,
        "group 2/eve.ipynb": solution,
        ".ipynb_checkpoints/ada-checkpoint.ipynb": starter,
    }
    foreign = fx.solution("smoothness_bound", proofs=False)  # metadata naming no usable kernel
    foreign.metadata = {
        "kernelspec": {"name": "julia-1.9", "display_name": "Julia", "language": "julia"},
        "language_info": {"name": "julia"},
        "gdlab": {"exercise": "no_such_exercise", "score": 100},
    }
    files["fay.ipynb"] = foreign
    for name, nb in files.items():
        if nb is None:
            (root / name).write_text("my answers are in the notebook")
        else:
            fx.write(nb, root / name)
    out = root / "grades.csv"
    first = _grade(root, out, "--seed", "99", "--jobs", "2")
    rows_first = _rows(out)
    (out.with_name("grades_results") / "gone.json").write_text("{}")  # a stale result
    second = _grade(root, out, "--seed", "99", "--jobs", "2", "--overwrite")
    return root, out, first, rows_first, second, _rows(out)


def test_awkward_folder_gets_one_row_per_file(awkward):
    root, out, first, rows, second, _ = awkward
    assert first.returncode == 0, first.stderr
    expected = {
        "ada": ("ada.ipynb", "ok", "5"),
        "bob smith": ("bob smith.ipynb", "not_attempted", "0"),
        "zoë ñandú": ("zoë ñandú.ipynb", "ok", "5"),
        "CARL": ("CARL.IPYNB", "ok", "5"),
        "dan": ("dan.ipynb", "not_attempted", "0"),
        "group 2/eve": ("group 2/eve.ipynb", "ok", "5"),
        "fay": ("fay.ipynb", "ok", "5"),  # its kernelspec and metadata are ignored
    }
    got = {(r["student"], r["file"]): (r["status"], r["score"]) for r in rows}
    for student, (file, status, score) in expected.items():
        assert got.pop((student, file)) == (status, score), student
    assert got == {("dan", "dan.txt"): ("invalid_notebook", "0")}  # nothing else: no outputs
    assert "dan.ipynb, dan.txt share the student id 'dan'" in first.stderr


def test_columns_are_those_the_guide_documents(awkward):
    _, out, _, _, _, _ = awkward
    with out.open(newline="") as handle:
        header = next(csv.reader(handle))
    parts = [p.id for p in EXERCISES["smoothness_bound"].parts]
    documented = ["student", "file", "exercise", "status", "reason", *parts]
    assert header == [*documented, "score", "max_score", "seed", "seconds"]
    guide = (Path(LIBRARY).parent / "exercises" / "instructor_guide.md").read_text()
    for column in ("student", "file", "exercise", "status", "reason", "score", "seed"):
        assert f"| `{column}`" in guide, column


def test_every_row_has_a_gradescope_results_file(awkward):
    _, out, _, rows, _, _ = awkward
    results = out.with_name("grades_results")
    found = sorted(p.relative_to(results).as_posix() for p in results.rglob("*.json"))
    assert found == sorted(
        ["ada.json", "bob smith.json", "zoë ñandú.json", "CARL.json"]
        + ["dan.ipynb.json", "dan.txt.json", "group 2/eve.json", "fay.json"]
    )  # the stale gone.json of the first run was removed by the second
    for path in results.rglob("*.json"):
        data = json.loads(path.read_text())
        assert gradescope_problems(data) == [], path


def test_existing_grades_need_overwrite_and_regrade_gives_the_same_scores(awkward):
    _, _, _, rows_first, second, rows_second = awkward
    assert second.returncode == 0, second.stderr

    def scores(rows):
        return [{k: v for k, v in r.items() if k != "seconds"} for r in rows]

    assert scores(rows_second) == scores(rows_first)


@pytest.mark.parametrize("name", fx.NAMES)
def test_check_cells_print_a_verdict_and_add_no_names(name):
    """Each check cell prints its verdict and leaves the namespace as it was (its latency is
    measured by bench/check_speed.py, not asserted here: it failed at load 15 with 0.92 s)."""
    wrong = fx.answers_from(HERE / "wrong" / f"{name}.py")
    answers = {p.answer for p in EXERCISES[name].parts}
    wrong_nb = fx.substitute(fx.solution(name), {k: v for k, v in wrong.items() if k in answers})
    failing = sum(not EXPECTED_WRONG[p.id] for p in EXERCISES[name].parts)
    for nb, expected in (
        (fx.starter(name), "not attempted yet"),
        (fx.solution(name), "pass. Well done."),
        (wrong_nb, None),
    ):
        namespace: dict = {}
        fails = 0
        for cell in (c for c in nb.cells if c.cell_type == "code"):
            before = dict(namespace)
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                exec(cell.source, namespace)
            if not cell.source.startswith("check("):
                continue
            # Python itself adds __warningregistry__ where a student's function warns
            added = namespace.keys() - before.keys() - {"__warningregistry__"}
            assert not added and before.keys() <= namespace.keys(), cell.source
            assert all(namespace[k] is before[k] for k in before), cell.source
            text = printed.getvalue()
            if expected:
                assert expected in text, text
            elif ": fail." in text:  # the failing case, then the hint
                fails += 1
                case, hint = text.split("fail.", 1)[1].split("\nHint: ")
                assert len(case.strip()) > 10 and len(hint.strip()) > 10, text
            else:
                assert "pass. Well done." in text, text
        if expected is None:
            assert fails == failing


def test_guide_documents_every_grade_option(capsys):
    with pytest.raises(SystemExit):
        main(["grade", "--help"])
    options = {
        word.rstrip(",") for word in capsys.readouterr().out.split() if word.startswith("--")
    }
    options -= {"--help"}
    guide = (Path(LIBRARY).parent / "exercises" / "instructor_guide.md").read_text()
    assert options and all(f"`{option}" in guide for option in options), options
    assert (
        "OVERWRITE=1" in guide and "OVERWRITE=1" in (Path(LIBRARY).parent / "Makefile").read_text()
    )


def test_check_leaves_the_global_random_generators_as_they_were(capsys):
    import random

    import numpy as np

    from gdlab.grading import check

    solution = fx.answers_from(HERE / "solutions" / "minibatch_variance.py")["minibatch_grad"]
    namespace = {"np": np}
    exec(solution, namespace)
    random.seed(11)
    np.random.seed(11)  # noqa: NPY002 (the legacy API a student may use)
    expected = (random.random(), np.random.random())  # noqa: NPY002
    random.seed(11)
    np.random.seed(11)  # noqa: NPY002
    check("4.6.3a", namespace["minibatch_grad"])
    assert "pass" in capsys.readouterr().out
    assert (random.random(), np.random.random()) == expected  # noqa: NPY002


def test_a_fallback_to_the_plain_sandbox_is_said_with_its_reason(monkeypatch):
    """Without bwrap the grader runs kernels in the weaker plain sandbox; it must say so and
    why, not fall back silently (the instructor guide lists what plain cannot guarantee)."""
    from gdlab.grading import sandbox

    monkeypatch.delenv("GDLAB_SANDBOX", raising=False)
    monkeypatch.setattr(sandbox.shutil, "which", lambda name: None)
    mode, why = sandbox.sandbox_choice()
    if sys.platform.startswith("linux") and os.geteuid() == 0:
        assert (mode, why) == (
            "plain",
            "bwrap was not found (Debian package bubblewrap; make system-deps)",
        )
    else:
        assert mode == "plain" and why
    monkeypatch.setenv("GDLAB_SANDBOX", "plain")
    assert sandbox.sandbox_choice() == ("plain", "GDLAB_SANDBOX=plain was set")


def test_the_grade_cli_warns_when_it_grades_in_plain(tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "empty.ipynb").write_text("{}")
    env = dict(os.environ, GDLAB_SANDBOX="plain")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "gdlab.grading",
            "grade",
            str(folder),
            "--out",
            str(tmp_path / "g.csv"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    assert "sandbox: plain" in run.stderr
    assert "warning: graded in the plain sandbox because GDLAB_SANDBOX=plain was set" in run.stderr
