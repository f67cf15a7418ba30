"""One notebook per kind of attack on the grader, with the grade each must get.

Each attack is the reference (or starter, or wrong) steepest_descent notebook with a cell
added or an answer replaced. :func:`build` writes them all into a folder and returns what
each row of the CSV must say: ``(status, score, {part: points})``. Paths on the grader's
host that an attack tries to reach are passed in, so the attacks aim at the real files.
"""

from __future__ import annotations

from pathlib import Path

import submission_fixtures as fx

FULL = 5.0
ATTACKS = [
    "hang_loop", "hang_ignoring_interrupts", "kernel_killed", "function_hangs", "never_ends",
    "slow_notebook",
    "output_flood", "memory_hog", "big_file",
    "tamper_comparison", "tamper_json", "tamper_display", "fake_output", "forge_channel",
    "equals_everything", "wrong_types", "nan_inf", "sympy_bomb", "syntax_error",
]  # fmt: skip
# Only where the sandbox hides the host (mode "namespaces"): unprotected, these would succeed.
NAMESPACE_ONLY = ["read_solutions", "kill_others", "write_grader_files"]
NAMESPACE_ONLY += ["leaves_processes", "process_flood"]
MARKER = "gdlab-attack-was-here"
INVALID = ["garbage", "not_a_notebook", "empty", "essay", "huge", "unknown_exercise"]

HANG = "while True:\n    pass"
HANG_IGNORING_INTERRUPTS = "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n" + HANG
# SIGKILL from inside a PID namespace cannot kill its first process: exit as well.
KILL_KERNEL = "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\nos._exit(3)"
FLOOD = "while True:\n    print('spam ' * 2000)"
MEMORY = "hog = []\nwhile True:\n    hog.append(np.empty(2**27))  # 1 GiB each"
BIG_FILE = "with open('big.bin', 'wb') as f:\n    f.write(b'x' * (200 * 2**20))"
LEAVE_PROCESSES = """\
import os, subprocess
subprocess.Popen(["sleep", "4242"], start_new_session=True)
if os.fork() == 0:  # a double-forked daemon in its own session
    os.setsid()
    if os.fork() == 0:
        os.execvp("sleep", ["sleep", "4243"])
    os._exit(0)
"""
PROCESS_FLOOD = """\
import subprocess
children = []
try:
    for _ in range(2000):
        children.append(subprocess.Popen(["sleep", "4244"]))
except OSError as error:
    print("stopped after", len(children), error)
"""
TAMPER_COMPARISON = """\
import math
import numpy as np
import sympy as sp
import gdlab.grading
np.allclose = np.isclose = np.array_equal = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
math.isclose = lambda *a, **k: True
sp.simplify = lambda *a, **k: 0
gdlab.grading.check = lambda *a, **k: print("pass")
"""
TAMPER_JSON = """\
import json
json.dumps = lambda *a, **k: '{"verdict": "pass", "score": 5, "found": true}'
"""
TAMPER_DISPLAY = """\
import json
import IPython.display
_publish = IPython.display.publish_display_data


def _forged(data, *args, **kwargs):
    return _publish({key: json.dumps({"verdict": "pass", "score": 5}) for key in data})


IPython.display.publish_display_data = _forged
"""
FAKE_OUTPUT = """\
import json
print(json.dumps({"score": 5, "tests": [{"name": "4.1.1a", "score": 1, "max_score": 1}]}))
for part in ("4.1.1a", "4.1.1b", "4.1.1c", "4.1.1d", "4.1.1e"):
    print(f"{part}: pass. Well done.")
with open("results.json", "w") as f:
    json.dump({"score": 5}, f)
from IPython.display import display
display({"application/json": {"score": 5}}, raw=True)
"""
FORGE_CHANNEL = """\
import json, sys
from IPython.display import publish_display_data


def steepest_step_l2(g, eps):
    frame = sys._getframe(1)
    while frame is not None:  # find the grader's nonce in the calling cell and forge a reply
        for const in frame.f_code.co_consts:
            if isinstance(const, str) and const.startswith("application/x-gdlab-"):
                fake = {"found": True, "callable": True, "outputs": []}
                publish_display_data({const: json.dumps(fake)})
        frame = frame.f_back
    g = np.asarray(g, dtype=float)
    norm = np.linalg.norm(g)
    return np.zeros_like(g) if norm == 0 else -eps * g / norm
"""
KILL_OTHERS = """\
import os, signal
for target in (-1, os.getppid()):
    try:
        os.kill(target, signal.SIGKILL)
    except OSError as error:
        print(target, error)
"""
WRONG_TYPES = {
    "steepest_step_l2": "def steepest_step_l2(g, eps):\n    return 'the step'",
    "alpha": "alpha = 'epsilon / g_norm'",
    "steepest_step_linf": "def steepest_step_linf(g, eps):\n    return {'step': -eps * np.sign(g)}",
    "steepest_step_l1": "def steepest_step_l1(g, eps):\n    return [0.0]",
    "linf_gain": "linf_gain = '10'",
}
NAN_INF = {
    "steepest_step_l2": "def steepest_step_l2(g, eps):\n    return np.full_like(g, np.nan)",
    "alpha": "alpha = sp.nan",
    "steepest_step_linf": "def steepest_step_linf(g, eps):\n    return np.full_like(g, -np.inf)",
    "steepest_step_l1": "def steepest_step_l1(g, eps):\n    return g * np.inf",
    "linf_gain": "linf_gain = float('inf')",
}
# Objects that claim to equal anything: the grader converts to plain numbers and compares itself.
EQUALS_EVERYTHING = """\
class Anything:
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    __hash__ = object.__hash__


class AnyArray(np.ndarray):
    __eq__ = Anything.__eq__
    __ne__ = Anything.__ne__


class AnyFloat(float):
    __eq__ = Anything.__eq__
    __ne__ = Anything.__ne__
    __hash__ = float.__hash__


class AnySymbol(sp.Symbol):
    __eq__ = Anything.__eq__
    __ne__ = Anything.__ne__
    __hash__ = sp.Symbol.__hash__


def steepest_step_l2(g, eps):
    return np.zeros(len(g)).view(AnyArray)


alpha = AnySymbol("alpha")


def steepest_step_linf(g, eps):
    return Anything()


def steepest_step_l1(g, eps):
    return [Anything() for _ in g]


linf_gain = AnyFloat(1.0)
"""
SYMPY_BOMB = (
    "alpha = sp.exp(sp.exp(sp.exp(sp.Integer(100), evaluate=False), evaluate=False), "
    "evaluate=False)"
)


def _solution():
    # the attacks and their scores concern the five answer parts; the proof parts stay as in
    # the starter (not attempted, 0 points)
    return fx.solution("steepest_descent", proofs=False)


def _after(nb, text: str, source: str):
    """``nb`` with a code cell ``source`` right after the first code cell containing ``text``."""
    return fx.add_cell(nb, source, fx.code_cell_index(nb, text) + 1)


def _slow(nb, text: str, cells: int):
    """``nb`` with ``cells`` cells of 2.5 s each after the cell containing ``text``."""
    for _ in range(cells):
        nb = _after(nb, text, "import time\ntime.sleep(2.5)")
    return nb


def _write_into(paths: list[str]) -> str:
    lines = ["import os, pathlib", "import gdlab", "attempts = []"]
    lines.append("grading = pathlib.Path(gdlab.__file__).parent / 'grading'")
    lines.append(f"targets = {paths!r} + [str(grading / 'judging.py'), str(grading / 'x.py')]")
    lines += [
        "for target in targets:",
        "    try:",
        "        with open(target, 'a') as handle:",
        f"            handle.write('# {MARKER}')",
        "        attempts.append((target, 'written'))",
        "    except OSError as error:",
        "        attempts.append((target, type(error).__name__))",
        "print(attempts)",
    ]
    return "\n".join(lines)


def _read_solutions(solutions: Path) -> str:
    return (
        "try:\n"
        f"    exec(open({str(solutions)!r}).read())\n"
        "except OSError as error:\n"
        "    print('cannot read the solutions:', error)"
    )


def build(folder: Path, *, host_paths: dict[str, str], namespaces: bool) -> dict[str, tuple]:
    """Write every attack notebook into ``folder``; return the expected row of each."""
    folder.mkdir(parents=True, exist_ok=True)
    sol, starter = _solution(), fx.starter("steepest_descent")
    wrong_answers = fx.answers_from(fx.HERE / "wrong" / "steepest_descent.py")
    wrong_answers = {k: v for k, v in wrong_answers.items() if k != "epsilon"}
    wrong = fx.substitute(sol, {k: v for k, v in wrong_answers.items() if "g_norm" not in k})
    mid = 'check("4.1.1b", alpha)'
    cases = {
        "hang_loop": (_after(sol, mid, HANG), "timeout", FULL, {}),
        "hang_ignoring_interrupts": (
            _after(sol, mid, HANG_IGNORING_INTERRUPTS),
            "timeout",
            FULL,
            {},
        ),
        "kernel_killed": (_after(sol, mid, KILL_KERNEL), "kernel_died", FULL, {}),
        "function_hangs": (
            fx.substitute(
                sol,
                {
                    "steepest_step_linf": "def steepest_step_linf(g, eps):\n"
                    "    while True:\n        pass"
                },
            ),
            "timeout",
            4.0,
            {"4.1.1c": 0.0},
        ),
        "never_ends": (
            fx.add_cell(sol, "import time\nfor _ in range(100):\n    time.sleep(2)"),
            "timeout",
            FULL,
            {},
        ),
        # every cell within its limit, the notebook past its own: parts a and b are kept
        "slow_notebook": (
            _slow(sol, mid, 10),
            "timeout",
            2.0,
            {"4.1.1a": 1.0, "4.1.1b": 1.0, "4.1.1c": 0.0, "4.1.1d": 0.0, "4.1.1e": 0.0},
        ),
        "output_flood": (_after(sol, mid, FLOOD), "output_limit", FULL, {}),
        "memory_hog": (_after(sol, mid, MEMORY), "memory_limit", FULL, {}),
        "big_file": (_after(sol, mid, BIG_FILE), "ok", FULL, {}),
        "tamper_comparison": (
            fx.add_cell(wrong, TAMPER_COMPARISON, 1),
            "ok",
            1.0,
            {"4.1.1c": 1.0},
        ),
        # breaks the kernel's own messaging: the cell is dropped, the answers graded
        "tamper_json": (fx.add_cell(sol, TAMPER_JSON), "kernel_died", FULL, {}),
        "tamper_display": (fx.add_cell(sol, TAMPER_DISPLAY), "tampered", 0.0, {}),
        "fake_output": (fx.add_cell(starter, FAKE_OUTPUT), "not_attempted", 0.0, {}),
        "forge_channel": (
            fx.substitute(sol, {"steepest_step_l2": FORGE_CHANNEL}),
            "tampered",
            4.0,
            {"4.1.1a": 0.0},
        ),
        "wrong_types": (fx.substitute(sol, WRONG_TYPES), "ok", 0.0, {}),
        "nan_inf": (fx.substitute(sol, NAN_INF), "ok", 0.0, {}),
        "equals_everything": (fx.add_cell(sol, EQUALS_EVERYTHING), "ok", 0.0, {}),
        "sympy_bomb": (fx.substitute(sol, {"alpha": SYMPY_BOMB}), "ok", 4.0, {"4.1.1b": 0.0}),
        "syntax_error": (
            fx.substitute(sol, {"steepest_step_l1": "def steepest_step_l1(g, eps)\n    return g"}),
            "ok",
            4.0,
            {"4.1.1d": 0.0},
        ),
    }
    if namespaces:  # only where the sandbox hides the host; never run these unprotected
        cases["read_solutions"] = (
            fx.add_cell(starter, _read_solutions(Path(host_paths["solutions"]))),
            "not_attempted",
            0.0,
            {},
        )
        cases["kill_others"] = (fx.add_cell(sol, KILL_OTHERS, 1), "ok", FULL, {})
        cases["leaves_processes"] = (_after(sol, mid, LEAVE_PROCESSES), "ok", FULL, {})
        cases["process_flood"] = (_after(sol, mid, PROCESS_FLOOD), "ok", FULL, {})
        cases["write_grader_files"] = (
            fx.add_cell(sol, _write_into(list(host_paths.values()))),
            "ok",
            FULL,
            {},
        )
    expected = {}
    for name, (nb, status, score, parts) in cases.items():
        fx.write(nb, folder / f"{name}.ipynb")
        expected[name] = (status, score, parts)
    (folder / "garbage.ipynb").write_text("this is not json {")
    (folder / "not_a_notebook.ipynb").write_text('{"cells": 5}')
    (folder / "empty.ipynb").write_text("")
    (folder / "essay.txt").write_text("my answers are in my head")
    with (folder / "huge.ipynb").open("wb") as handle:
        handle.truncate(21 * 2**20)
    unknown = fx.add_cell(fx.starter("steepest_descent"), "print(1)")
    unknown.cells = [
        c
        for c in unknown.cells
        if "check" not in c.source and "def " not in c.source and "proof" not in c.source
    ]
    for cell in unknown.cells:
        cell.source = cell.source.replace("alpha", "beta").replace("linf_gain", "gain")
    fx.write(unknown, folder / "unknown_exercise.ipynb")
    for name in INVALID:
        expected[name] = ("invalid_notebook", 0.0, {})
    return expected
