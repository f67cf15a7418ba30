"""The batch grader's worker protocol: nothing a kernel prints or writes reaches it (issue 12,
failure 1; issue 19, failure 2), a worker out of protocol costs only its own job's row, and a
killed worker takes its kernel with it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import sandbox_probe as probe  # noqa: E402
import submission_fixtures as fx  # noqa: E402
from attacks import FLOOD  # noqa: E402

from gdlab.grading import EXERCISES, batch  # noqa: E402
from gdlab.grading.sandbox import Limits  # noqa: E402

SHELL = """\
!echo hi
import os
os.system("echo checking my environment; python --version")
os.write(1, b"done\\n")
os.write(2, b"done\\n")
"""
# A fake answer on every descriptor the kernel holds, then a correct notebook.
EVERY_DESCRIPTOR = """\
import os
fake = b'done\\nGDLAB-ANSWER ' + b'0' * 32 + b' 2\\n{}\\n{"status": "ok"}\\n'
for fd in range(1024):
    try:
        os.write(fd, fake)
    except OSError:
        pass
"""


def _shell_batch(folder: Path) -> None:
    fx.write(fx.add_cell(fx.solution("steepest_descent"), SHELL, 1), folder / "a_shell.ipynb")
    fx.write(fx.solution("steepest_descent"), folder / "b_good.ipynb")
    fx.write(fx.solution("smoothness_bound"), folder / "c_good.ipynb")


@pytest.mark.parametrize("jobs", [["--jobs", "1"], []], ids=["jobs1", "default_jobs"])
def test_shell_commands_cost_no_one_their_grade(tmp_path, jobs):
    _shell_batch(tmp_path / "subs")
    probe.grade(tmp_path / "subs", tmp_path / "g.csv", "--seed", "3", *jobs)
    rows = probe.rows(tmp_path / "g.csv")
    assert sorted(rows) == ["a_shell.ipynb", "b_good.ipynb", "c_good.ipynb"]
    exercise = {"a_shell.ipynb": "steepest_descent", "b_good.ipynb": "steepest_descent"}
    exercise["c_good.ipynb"] = "smoothness_bound"
    for name, row in rows.items():
        full = fx.full_score(exercise[name])
        assert (row["status"], row["score"]) == ("ok", full), (name, row["reason"])


def test_writes_to_every_descriptor_change_no_row(tmp_path):
    folder = tmp_path / "subs"
    writer = fx.add_cell(fx.solution("steepest_descent"), EVERY_DESCRIPTOR, 1)
    fx.write(writer, folder / "a_writer.ipynb")
    fx.write(fx.solution("steepest_descent"), folder / "b_good.ipynb")
    fx.write(fx.solution("minibatch_variance"), folder / "c_good.ipynb")
    probe.grade(folder, tmp_path / "g.csv", "--seed", "4", "--jobs", "1")
    rows = probe.rows(tmp_path / "g.csv")
    assert sorted(rows) == ["a_writer.ipynb", "b_good.ipynb", "c_good.ipynb"]
    for name in ("b_good.ipynb", "c_good.ipynb"):
        row = rows[name]
        assert (row["status"], row["score"]) == ("ok", row["max_score"]), row
    assert rows["a_writer.ipynb"]["status"] != "grader_error", rows["a_writer.ipynb"]


def test_kernel_starts_with_only_descriptors_0_1_2(tmp_path):
    """The launcher closes everything but 0, 1 and 2 before the kernel starts, even a
    descriptor its parent left inheritable."""
    from gdlab.grading.sandbox import Sandbox

    sandbox = Sandbox(Limits())
    try:
        connection = sandbox.conn / "kernel.json"
        connection.write_text("{}")
        command = sandbox.command(str(connection))
        inner = sandbox.root / ("inner.json" if sandbox.mode == "bwrap" else "launch.json")
        config = json.loads(inner.read_text())
        show = "import os; print(sorted(int(f) for f in os.listdir('/proc/self/fd')))"
        config["argv"] = [config["argv"][0], "-c", show]
        inner.write_text(json.dumps(config))
        leak_read, leak_write = os.pipe()
        os.set_inheritable(leak_write, True)
        result = subprocess.run(
            command,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=60,
            pass_fds=(leak_write,),
        )
        os.close(leak_read)
        os.close(leak_write)
    finally:
        sandbox.cleanup()
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[0, 1, 2, 3]"  # 3: the listing's own descriptor


DESCRIPTORS = """\
import os
links = {}
for name in os.listdir("/proc/self/fd"):
    try:
        links[int(name)] = os.readlink(f"/proc/self/fd/{name}")
    except OSError:
        pass  # the listing's own descriptor, closed by now
ipykernel = {links[1], links[2]}  # ipykernel's own pipes, which it reads into messages
pipes = {fd: link for fd, link in links.items() if link.startswith("pipe:")}
sinks = sorted(fd for fd, link in pipes.items() if link not in ipykernel)
print(links[0], sorted({link.split(":")[0] for link in links.values()}), len(sinks))
for fd in sinks:  # the original 1 and 2, which ipykernel keeps: 1 MiB would block if undrained
    os.write(fd, b"z" * 2**20)
print("drained")
"""


def test_kernel_output_goes_to_a_drained_sink_and_holds_no_file():
    texts, _ = probe.run_cells([DESCRIPTORS])
    first, second = texts[0].splitlines()
    assert first == "/dev/null ['/dev/null', 'anon_inode', 'pipe', 'socket'] 2"
    assert second == "drained"


FAKE_WORKER = """\
import json, os, sys
from pathlib import Path
from gdlab.grading.batch import frame
from gdlab.grading.runner import grade_notebook

fd = int(sys.argv[sys.argv.index("--answer-fd") + 1])
for line in sys.stdin.buffer:
    job = json.loads(line)
    if "liar" in job["file"]:
        os.write(fd, b"done\\n")  # out of protocol: no frame, no token
        continue
    if "dies" in job["file"]:
        os._exit(3)
    outcome = grade_notebook(
        Path(job["file"]), job["seed"], None, None, job["student"],
        root=Path(job["root"]), uid=job["uid"],
    )
    os.write(fd, frame(job["token"], json.dumps(outcome.to_json()).encode()))
"""


def test_worker_out_of_protocol_is_replaced_and_costs_only_its_row(tmp_path, monkeypatch):
    script = tmp_path / "fake_worker.py"
    script.write_text(FAKE_WORKER)
    monkeypatch.setattr(batch, "WORKER_COMMAND", [sys.executable, str(script), "worker"])
    folder = tmp_path / "subs"
    fx.write(fx.solution("steepest_descent"), folder / "a_liar.ipynb")
    fx.write(fx.solution("steepest_descent"), folder / "b_dies.ipynb")
    fx.write(fx.solution("smoothness_bound"), folder / "c_good.ipynb")
    outcomes = batch.grade_folder(folder, tmp_path / "g.csv", seed=5, jobs=1)
    got = {o.file: (o.status, o.score, o.reason) for o in outcomes}
    assert got["a_liar.ipynb"][:2] == ("grader_error", 0)
    assert "out of protocol" in got["a_liar.ipynb"][2]
    assert got["b_dies.ipynb"][:2] == ("grader_error", 0)
    assert "died" in got["b_dies.ipynb"][2]
    assert got["c_good.ipynb"][:2] == ("ok", EXERCISES["smoothness_bound"].max_points)


HANGS_WITH_A_CHILD = """\
import subprocess, time
subprocess.Popen(["sleep", "4251"])
time.sleep(1000)
"""


def _sleepers(marker: str) -> list[str]:
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines() if line.startswith(f"sleep {marker}")]


def test_a_killed_worker_takes_its_kernel_and_folder_with_it(tmp_path, monkeypatch):
    grader_tmp = tmp_path / "tmp"
    grader_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(grader_tmp))
    monkeypatch.setattr("tempfile.tempdir", None)
    monkeypatch.setattr(batch, "worker_deadline", lambda limits: 12.0)
    folder = tmp_path / "subs"
    hangs = fx.add_cell(fx.solution("steepest_descent"), HANGS_WITH_A_CHILD, 1)
    fx.write(hangs, folder / "a_hangs.ipynb")
    fx.write(fx.solution("smoothness_bound"), folder / "b_good.ipynb")
    limits = Limits(cell_timeout=100, notebook_timeout=200)
    outcomes = batch.grade_folder(folder, tmp_path / "g.csv", seed=6, jobs=1, limits=limits)
    got = {o.file: (o.status, o.score, o.reason) for o in outcomes}
    assert got["a_hangs.ipynb"] == ("grader_error", 0, "the grader's worker ran out of time")
    assert got["b_good.ipynb"][:2] == ("ok", EXERCISES["smoothness_bound"].max_points)
    assert _sleepers("4251") == []
    assert list(grader_tmp.iterdir()) == []


def test_worker_protocol_is_documented():
    guide = (probe.ROOT / "exercises" / "instructor_guide.md").read_text()
    assert "answer pipe" in guide and "token" in guide


# -- after a flood, a kernel slow to answer must not cost the later cells their answers ----------


def test_after_a_flood_a_slow_kernel_costs_no_later_cell_its_answer(tmp_path, monkeypatch):
    # After a cell prints past the output limit, the grader used to test the kernel after every
    # later cell with a trivial request answered within two seconds. On a busy machine a reply
    # can take longer: the cell was then taken for stuck, the kernel restarted without it, and
    # the answer it defined was lost (4.1.1c "not defined", seen in a full run under load).
    # Here the kernel never answers that request in time: only the cells that were interrupted
    # may be judged by it.
    from gdlab.grading import runner

    async def too_slow(self):
        return False

    monkeypatch.setattr(runner.NotebookRun, "responsive", too_slow)
    nb = fx.solution("steepest_descent", proofs=False)
    nb = fx.add_cell(nb, FLOOD, fx.code_cell_index(nb, 'check("4.1.1b", alpha)') + 1)
    path = tmp_path / "flood.ipynb"
    fx.write(nb, path)
    outcome = runner.grade_notebook(path, seed=1, exercise="steepest_descent")
    assert outcome.status == "output_limit", (outcome.reason, outcome.events)
    scores = {v.part: v.points for v in outcome.verdicts}
    answers = ("4.1.1a", "4.1.1b", "4.1.1c", "4.1.1d", "4.1.1e")
    assert [scores[p] for p in answers] == [1.0] * 5, [
        (v.part, v.message) for v in outcome.verdicts
    ]


# -- a flood is stopped by an interrupt, with no restart ---------------------------------------


def test_a_flood_is_stopped_by_an_interrupt_and_the_kernel_keeps_its_names():
    # A kernel that printed tens of MB at once used to be killed (its message was dropped), or
    # to answer too late and be taken for stuck: either way it was restarted and its cells
    # replayed. With the output in bounded pieces the grader counts it past the limit and
    # interrupts the cell; the kernel is not restarted.
    import asyncio

    from gdlab.grading import runner

    run = runner.NotebookRun(["kept = 41", FLOOD, "kept += 1"], Limits(cell_timeout=10))

    async def execute_and_ask():
        try:
            await run.execute_all()
            return await run._execute(-1, "assert kept == 42", 10), run.client.error_names
        finally:
            await run.stop()
            run.sandbox.cleanup()

    result, errors = asyncio.run(execute_and_ask())
    assert (result, errors) == ("ok", [])
    assert run.events == ["output_limit: cell 2 printed too much"]
    assert run.restarts == 0 and not run.killed_for_output
    assert run.good == [0, 1, 2]
