"""Every file in the submissions folder gets exactly one row and its own feedback file, whatever
its name (issue 12, failures 2 and 3), and the table and the JSON are written even when the
batch stops (a crash costs only the rows it touches)."""

import json
import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import sandbox_probe as probe  # noqa: E402
import submission_fixtures as fx  # noqa: E402

from gdlab.grading import batch  # noqa: E402

LONG = "L" * 249  # with .ipynb: a 255-byte name, the longest the file system takes


@pytest.fixture(scope="module")
def awkward(tmp_path_factory):
    root = tmp_path_factory.mktemp("names")
    folder = root / "subs"
    folder.mkdir()
    solution, starter = fx.solution("steepest_descent"), fx.starter("steepest_descent")
    fx.write(solution, Path(os.fsdecode(bytes(folder) + b"/\xff\xfe-ada.ipynb")))
    fx.write(starter, folder / "dan.ipynb")
    fx.write(solution, folder / "dan.ipynb.ipynb")
    (folder / "dan.txt").write_text("my answers are in the notebook")
    fx.write(solution, folder / f"{LONG}.ipynb")
    (folder / f"{LONG}.txt").write_text("notes")
    (folder / "x.ipynb").symlink_to(folder / "no-such-file.ipynb")
    out = root / "out" / "grades.csv"
    result = probe.grade(folder, out, "--seed", "8", "--jobs", "2", check=False)
    return folder, out, result


def test_every_file_gets_exactly_one_row_and_the_run_succeeds(awkward):
    folder, out, result = awkward
    assert result.returncode == 0, result.stderr
    rows = probe.rows(out)
    assert sorted(rows) == sorted(
        ["\\xff\\xfe-ada.ipynb", "dan.ipynb", "dan.ipynb.ipynb", "dan.txt"]
        + [f"{LONG}.ipynb", f"{LONG}.txt", "x.ipynb"]
    )
    full = fx.full_score("steepest_descent")
    expected = {
        "\\xff\\xfe-ada.ipynb": ("\\xff\\xfe-ada", "ok", full),
        "dan.ipynb": ("dan", "not_attempted", "0"),
        "dan.ipynb.ipynb": ("dan.ipynb", "ok", full),
        "dan.txt": ("dan", "invalid_notebook", "0"),
        f"{LONG}.ipynb": (LONG, "ok", full),
        f"{LONG}.txt": (LONG, "invalid_notebook", "0"),
        "x.ipynb": ("x", "invalid_notebook", "0"),
    }
    for name, (student, status, score) in expected.items():
        assert (rows[name]["student"], rows[name]["status"], rows[name]["score"]) == (
            student,
            status,
            score,
        ), rows[name]["reason"]
    assert rows["x.ipynb"]["reason"] == "a symbolic link to a missing file, not a file"


def test_every_row_has_its_own_feedback_file(awkward):
    _, out, _ = awkward
    run = json.loads(out.with_suffix(".json").read_text())
    names = [o["results"] for o in run["outcomes"]]
    assert len(names) == 7 and len({n.lower() for n in names}) == 7
    assert run["results_errors"] == []
    results = out.with_name("grades_results")
    written = sorted(p.relative_to(results).as_posix() for p in results.rglob("*.json"))
    assert written == sorted(names)
    for name in names:
        assert len(name.encode()) <= 255, name
    for outcome in run["outcomes"]:  # each file's results hold its own score
        data = json.loads((results / outcome["results"]).read_text())
        assert data["score"] == outcome["score"], outcome["file"]


def test_results_names_never_collide_and_fit_the_file_system():
    from gdlab.grading.runner import Outcome

    files = [("dan", "dan.ipynb"), ("dan", "dan.txt"), ("dan.ipynb", "dan.ipynb.ipynb")]
    files += [("Eve", "Eve.ipynb"), ("eve", "eve.ipynb"), ("g/" + "é" * 200, "g/long.ipynb")]
    outcomes = [Outcome(s, f, None, "ok", "", 0) for s, f in files]
    names = batch.results_names(outcomes)
    assert len({n.lower() for n in names}) == len(names)
    assert all(len(part.encode()) <= 255 for n in names for part in n.split("/"))
    assert names[:2] == ["dan.ipynb.json", "dan.txt.json"]
    assert names[2].startswith("dan.ipynb-") and names[2].endswith(".json")


def test_table_and_json_are_written_when_the_batch_stops(tmp_path):
    folder = tmp_path / "subs"
    for name in ("a", "b", "c"):
        fx.write(fx.starter("steepest_descent"), folder / f"{name}.ipynb")
    out = tmp_path / "g.csv"

    def stop(outcome):
        raise KeyboardInterrupt  # the instructor presses Ctrl-C after the first row

    with pytest.raises(KeyboardInterrupt):
        batch.grade_folder(folder, out, seed=1, jobs=1, progress=stop)
    rows = probe.rows(out)
    assert sorted(rows) == ["a.ipynb", "b.ipynb", "c.ipynb"]
    statuses = sorted(row["status"] for row in rows.values())
    assert statuses == ["grader_error", "grader_error", "not_attempted"]
    run = json.loads(out.with_suffix(".json").read_text())
    assert len(run["outcomes"]) == 3


def test_cleanup_of_a_3000_deep_folder_chain(tmp_path):
    from gdlab.grading.sandbox import Limits, Sandbox

    sandbox = Sandbox(Limits())  # its cleanup, as the runner calls it after each row
    top = sandbox.root
    fd = os.open(sandbox.work, os.O_RDONLY)
    for _ in range(3000):  # relative to the last folder: the path is too long to name
        os.mkdir("d", dir_fd=fd)
        next_fd = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = next_fd
    os.close(fd)
    sandbox.cleanup()
    assert not top.exists()
