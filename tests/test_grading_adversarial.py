"""Attacks on the batch grader: each notebook gets the right status and score, the batch
finishes with one row each, and the grader's host is left as it was.

All attacks are graded in one batch run with short limits (3 s per cell, 20 s per notebook),
with the grader's temporary files in a folder of their own so that the test can see that
nothing is left behind.
"""

import csv
import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gdlab.grading.sandbox import UID_BASE, sandbox_mode

HERE = Path(__file__).resolve().parent / "grading"
sys.path.insert(0, str(HERE))

import attacks  # noqa: E402
from test_grading_batch import grade  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
GRADING_PACKAGE = ROOT / "lib" / "gdlab" / "grading"
SKIP_DIRS = {".venv", ".git", "_build", ".jupyter_cache", "__pycache__", ".pytest_cache"}
SKIP_DIRS |= {".ruff_cache", "test-artifacts"}
NAMESPACES = sandbox_mode() == "bwrap"  # the allow-list sandbox


def _digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*.py")):
        h.update(path.name.encode() + path.read_bytes())
    return h.hexdigest()


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Size and modification time of every file of the checkout (caches and builds aside)."""
    files = {}
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in names:
            stat = os.stat(os.path.join(folder, name))
            files[os.path.join(folder, name)] = (stat.st_size, stat.st_mtime_ns)
    return files


def _sleepers() -> list[str]:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines() if line.startswith("sleep 424")]


def _sandbox_processes() -> list[str]:
    """Processes running as a sandbox uid (the kernels' unprivileged users)."""
    ps = subprocess.run(["ps", "-eo", "uid=,args="], capture_output=True, text=True).stdout
    found = []
    for line in ps.splitlines():
        uid, _, args = line.strip().partition(" ")
        if uid.isdigit() and (int(uid) >= UID_BASE or int(uid) == 65534):
            found.append(line)
    return found


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacks")
    out = tmp_path_factory.mktemp("out") / "grades.csv"
    grader_tmp = tmp_path_factory.mktemp("grader_tmp")
    host_paths = {
        "csv": str(out),
        "results": str(out.parent / "grades_results" / "tampered.json"),
        "submissions": str(folder / "planted.ipynb"),
        "solutions": str(HERE / "solutions" / "steepest_descent.py"),
        "checkout": str(ROOT / "planted_by_attack.txt"),
        "home": str(Path.home() / "planted_by_attack.txt"),
        "host_tmp": f"/tmp/planted_by_attack_{os.getpid()}.txt",
    }
    expected = attacks.build(folder, host_paths=host_paths, namespaces=NAMESPACES)
    before = _digest(GRADING_PACKAGE), _digest(HERE), _snapshot(ROOT)
    sandbox_before = _sandbox_processes()
    result = grade(
        folder,
        out,
        "--seed",
        "99",
        "--jobs",
        "2",
        "--cell-timeout",
        "3",
        "--notebook-timeout",
        "20",
        env={"TMPDIR": str(grader_tmp)},
    )
    with out.open() as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    after = _digest(GRADING_PACKAGE), _digest(HERE), _snapshot(ROOT)
    return {
        "folder": folder,
        "out": out,
        "rows": rows,
        "expected": expected,
        "digests": (before, after),
        "host_paths": host_paths,
        "grader_tmp": grader_tmp,
        "sandbox_processes": (sandbox_before, _sandbox_processes()),
        "result": result,
    }


def test_every_file_gets_exactly_one_row(attacked):
    files = sorted(p.stem for p in attacked["folder"].iterdir())
    assert sorted(attacked["rows"]) == files
    assert set(attacked["expected"]) == set(files)


ATTACKS = sorted(attacks.ATTACKS + attacks.INVALID + (attacks.NAMESPACE_ONLY if NAMESPACES else []))


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_gets_the_right_status_and_score(attacked, attack):
    row = attacked["rows"][attack]
    status, score, parts = attacked["expected"][attack]
    assert row["status"] == status, row["reason"]
    assert float(row["score"]) == score, row
    for part, points in parts.items():
        assert float(row[part]) == points, part
    assert row["reason"]


def test_grader_files_are_untouched(attacked):
    before, after = attacked["digests"]
    assert before[:2] == after[:2]  # the grading package, the tests and reference solutions
    changed = {p for p in before[2].keys() | after[2].keys() if before[2].get(p) != after[2].get(p)}
    assert changed == set()  # nothing in the checkout created, changed or removed
    for name, path in attacked["host_paths"].items():
        if name not in ("csv", "solutions"):
            assert not Path(path).exists(), path
    outputs = [attacked["out"], attacked["out"].with_suffix(".json")]
    outputs += sorted((attacked["out"].parent / "grades_results").iterdir())
    for path in outputs:
        assert attacks.MARKER not in path.read_text(), path


def test_grader_leaves_no_temporary_files(attacked):
    assert list(attacked["grader_tmp"].iterdir()) == []


def test_no_process_outlives_its_notebook(attacked):
    if not NAMESPACES:
        pytest.skip("without PID namespaces a process that calls setsid can escape")
    before, after = attacked["sandbox_processes"]
    assert (_sleepers(), before, after) == ([], [], [])


def test_reasons_name_the_cell_or_part(attacked):
    rows = attacked["rows"]
    assert "cell" in rows["hang_loop"]["reason"]
    # In the namespace sandbox check() is a stub; elsewhere the check cell itself hangs first.
    assert ("4.1.1c" if NAMESPACES else "cell 7") in rows["function_hangs"]["reason"]
    assert "4.1.1a" in rows["forge_channel"]["reason"]
    assert rows["essay"]["reason"] == "not a .ipynb file"
    assert "memory" in rows["memory_hog"]["reason"]
    assert "the notebook ran out of time" in rows["slow_notebook"]["reason"]
