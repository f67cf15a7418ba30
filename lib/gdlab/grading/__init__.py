"""Graded exercises: instant checks in Jupyter and a sandboxed batch grader.

In a notebook, pass your answer explicitly::

    from gdlab.grading import check
    check("4.1.1a", steepest_step_l2)

``check`` prints ``pass``, ``fail`` with the failing case and a hint, or ``not attempted``.
It runs your function in your own kernel and is feedback only. The instructor's batch grader
(``python -m gdlab.grading grade SUBMISSIONS_DIR --out grades.csv``) never trusts it: it
runs each notebook in a sandboxed kernel, calls the functions on inputs it draws itself, and
judges the plain data that comes back in its own process. See ``exercises/instructor_guide.md``.

Modules: :mod:`~gdlab.grading.core` (parts, verdicts), one module per exercise
(:mod:`~gdlab.grading.steepest_descent`, :mod:`~gdlab.grading.smoothness_bound`,
:mod:`~gdlab.grading.minibatch_variance`), :mod:`~gdlab.grading.transport` (answers to plain
data), :mod:`~gdlab.grading.exprtree` (SymPy trees from an allow-list),
:mod:`~gdlab.grading.judging`, :mod:`~gdlab.grading.sandbox`, :mod:`~gdlab.grading.runner`,
:mod:`~gdlab.grading.batch`, :mod:`~gdlab.grading.gradescope`.
"""

from __future__ import annotations

import json
import random
import sys
import time
import zlib

import numpy as np

from gdlab.grading import (
    judging,
    minibatch_variance,
    smoothness_bound,
    steepest_descent,
    transport,
)
from gdlab.grading.core import Exercise, Part, Verdict
from gdlab.grading.judging import judge_part
from gdlab.grading.proof_parts import with_proofs

EXERCISES: dict[str, Exercise] = {
    ex.name: ex
    for ex in with_proofs(  # each exercise's proof parts (gdlab.grading.proof_parts) appended
        (steepest_descent.EXERCISE, smoothness_bound.EXERCISE, minibatch_variance.EXERCISE)
    )
}
PARTS: dict[str, tuple[Exercise, Part]] = {
    part.id: (ex, part) for ex in EXERCISES.values() for part in ex.parts
}
SLOW_FRACTION = 0.5  # a passing answer that uses more of the grader's limit gets a warning
CHECK_ALL_SEED = 2024  # check_all's inputs: drawn as the batch grader draws them


def feedback_seed(part_id: str) -> int:
    """The fixed seed of the instant check's inputs (the batch grader draws fresh ones)."""
    return zlib.crc32(part_id.encode())


def part_seconds() -> float:
    """The batch grader's time for the answers of one part (``Limits.cell_timeout``)."""
    from gdlab.grading.sandbox import Limits

    return float(Limits().cell_timeout)


def _part(part_id: str) -> tuple[Exercise, Part]:
    if part_id not in PARTS:
        known = ", ".join(PARTS)
        raise ValueError(f"unknown part {part_id!r}; the parts are {known}")
    return PARTS[part_id]


def inputs(part_id: str) -> list[tuple[list, dict]]:
    """The inputs of the instant check for ``part_id``, as ``(args, kwargs)`` per case.

    A failing check names its case: ``args, kwargs = inputs("4.1.3a")[2]`` gives it back,
    so that ``smoothness_quadratic(*args, **kwargs)`` reproduces the failure.
    """
    _, part = _part(part_id)
    cases = part.cases(np.random.default_rng(feedback_seed(part_id)))
    return [
        (
            [transport.decode_arg(a) for a in case.get("args", [])],
            {k: transport.decode_arg(v) for k, v in case.get("kwargs", {}).items()},
        )
        for case in cases
    ]


class _TooSlow(KeyboardInterrupt):
    """Raised in the answer when it runs past the grader's limit (as the grader's interrupt)."""


def _grader_time_limit(seconds: float):
    """Interrupt the code inside after ``seconds``, as the batch grader interrupts a cell.

    Uses SIGALRM in the main thread (where a notebook runs its cells); elsewhere no limit.
    The alarm repeats every half second in case the answer swallows the interrupt.
    """
    return judging._time_limit(seconds, error=_TooSlow, repeat=0.5)


def _harvest(namespace: dict, part: Part, cases: list[dict], seed: int, limit: float):
    """The answers of one part as the batch grader collects them: ``(result, seconds)``.

    ``result`` is the plain data after a JSON round trip, or ``{"timeout": True}``.
    The student's global random generators are given back afterwards.
    """
    request = {"answer": part.answer, "kind": part.kind, "cases": cases, "seed": seed}
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    start = time.perf_counter()
    try:
        with _grader_time_limit(limit):
            result = transport.harvest(namespace, request)
            payload = json.dumps(result, allow_nan=False)
    except _TooSlow:
        return {"timeout": True}, time.perf_counter() - start
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)  # noqa: NPY002
    return json.loads(payload), time.perf_counter() - start


def _too_slow(part: Part, limit: float) -> Verdict:
    message = (
        f"too slow for the grader: `{part.answer}` did not finish within the {limit:g} s "
        "the grader allows for one part, and was interrupted"
    )
    return Verdict(part.id, "fail", message, 0.0, part.points)


def _timed_verdict(part_id: str, answer) -> tuple[Verdict, float]:
    _, part = _part(part_id)
    cases = part.cases(np.random.default_rng(feedback_seed(part_id)))
    limit = part_seconds()
    result, seconds = _harvest({part.answer: answer}, part, cases, feedback_seed(part_id), limit)
    if result.get("timeout"):
        return _too_slow(part, limit), seconds
    return judge_part(part, cases, result), seconds


def verdict(part_id: str, answer) -> Verdict:
    """Check ``answer`` for the part ``part_id`` in this process and return the verdict.

    The answer runs under the batch grader's time limit for one part
    (``Limits.cell_timeout``); past it, the verdict is a failure "too slow for the grader".
    """
    return _timed_verdict(part_id, answer)[0]


# -- answers reassigned after their check ----------------------------------------------------

_CHECKED: dict[str, tuple[int, object]] = {}  # part id -> (namespace id, fingerprint)
_WARNED: dict[str, object] = {}  # part id -> the fingerprint a warning was printed for
_HOOKED: set[int] = set()


def _fingerprint(value):
    """What identifies an answer's content: a function's code, a value's plain data."""
    code = getattr(value, "__code__", None)
    if code is not None:
        return ("function", code.co_code, repr(code.co_consts), repr(value.__defaults__))
    try:
        return ("value", json.dumps(transport.encode(value), sort_keys=True))
    except Exception:
        return ("object", id(value))


def _remember(part: Part, answer, namespace: dict | None) -> str | None:
    """Record what was checked; a note when it is not what the name holds now."""
    if namespace is None:
        return None
    _CHECKED[part.id] = (id(namespace), _fingerprint(answer))
    _watch(namespace)
    if part.answer in namespace and _fingerprint(namespace[part.answer]) != _fingerprint(answer):
        return (
            f"Note: you checked something other than the current `{part.answer}`; the grader "
            f"grades `{part.answer}` as it is at the end of the notebook."
        )
    return None


def _changed_since_check(namespace: dict) -> list[str]:
    """The answer names checked in ``namespace`` that hold something else now."""
    changed = []
    for part_id, (space, fingerprint) in _CHECKED.items():
        _, part = PARTS[part_id]
        if space == id(namespace) and part.answer in namespace:
            if _fingerprint(namespace[part.answer]) != fingerprint:
                changed.append(part_id)
    return changed


def _watch(namespace: dict) -> None:
    """In IPython, warn after any cell that reassigns an answer checked before."""
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or shell.user_ns is not namespace or id(shell) in _HOOKED:
        return
    _HOOKED.add(id(shell))

    def after_cell(result=None):
        for part_id in _changed_since_check(shell.user_ns):
            _, part = PARTS[part_id]
            now = _fingerprint(shell.user_ns[part.answer])
            if _WARNED.get(part_id) == now:
                continue
            _WARNED[part_id] = now
            print(
                f"Warning: `{part.answer}` was checked ({part_id}) and has been assigned "
                "again since: the grader grades its final value. Run its check again, and "
                "check_all() at the end of the notebook."
            )

    shell.events.register("post_run_cell", after_cell)


def _caller_namespace(depth: int = 2) -> dict | None:
    try:
        return sys._getframe(depth).f_globals
    except (AttributeError, ValueError):
        return None


def check(part_id: str, answer) -> None:
    """Print whether ``answer`` solves part ``part_id``, with a hint when it does not.

    The answer runs under the batch grader's time limit for one part. A failure names its
    input; the instant check's inputs are ``inputs(part_id)``.
    """
    result, seconds = _timed_verdict(part_id, answer)
    _, part = PARTS[part_id]
    head = f"{part_id} ({part.title}):"
    if result.status == "pass":
        print(f"{head} pass. Well done.")
    elif result.status == "not_attempted":
        print(f"{head} not attempted yet ({result.message}).")
    else:
        message = result.message[:1].upper() + result.message[1:]
        if result.case is not None:
            message += (
                f"\nReproduce: args, kwargs = gdlab.grading.inputs({part_id!r})[{result.case}]; "
                f"{part.answer}(*args, **kwargs)"
            )
        print(f"{head} fail. {message}\nHint: {part.hint}")
    limit = part_seconds()
    if result.status == "pass" and seconds > SLOW_FRACTION * limit:
        print(
            f"Warning: this took {seconds:.1f} s of the {limit:g} s the grader allows for one "
            "part; on a busy grading machine it may be too slow for the grader."
        )
    note = _remember(part, answer, _caller_namespace())
    if note:
        print(note)


# -- the whole notebook, as the grader sees it ---------------------------------------------------


def detect(namespace: dict) -> Exercise | None:
    """The exercise whose answer names ``namespace`` defines most (ties: none)."""
    counts = {
        name: sum(part.answer in namespace for part in ex.parts) for name, ex in EXERCISES.items()
    }
    best = max(counts.values())
    winners = [name for name, count in counts.items() if count == best]
    return EXERCISES[winners[0]] if best and len(winners) == 1 else None


def grade_namespace(namespace: dict, exercise: str, seed: int = CHECK_ALL_SEED) -> list[Verdict]:
    """Every part of ``exercise`` graded from the names in ``namespace``, as the batch grader
    grades a notebook's final state: its inputs (drawn from ``seed`` the same way), the same
    harvest, the same per-part time limit and the same judge."""
    if exercise not in EXERCISES:
        raise ValueError(f"unknown exercise {exercise!r}; the exercises are {', '.join(EXERCISES)}")
    limit = part_seconds()
    verdicts = []
    for number, part in enumerate(EXERCISES[exercise].parts):
        cases = part.cases(np.random.default_rng([seed, number]))
        result, _ = _harvest(namespace, part, cases, seed, limit)
        if result.get("timeout"):
            verdicts.append(_too_slow(part, limit))
        else:
            verdicts.append(judge_part(part, cases, result))
    return verdicts


def check_all(exercise: str | None = None) -> None:
    """Re-check every answer of this notebook by its final value, as the grader will.

    Run it in the last cell: it reads the answers by name from the notebook (a name assigned
    again after its check is graded by its last value, as in the batch grade), draws fresh
    inputs, applies the grader's time limit per part and prints one line per part and the
    score.
    """
    namespace = _caller_namespace() or {}
    chosen = EXERCISES.get(exercise) if exercise else detect(namespace)
    if chosen is None:
        names = ", ".join(EXERCISES)
        raise ValueError(f"cannot tell which exercise this is; pass one of {names}")
    changed = set(_changed_since_check(namespace))
    verdicts = grade_namespace(namespace, chosen.name)
    for v in verdicts:
        _, part = PARTS[v.part]
        line = {"pass": "pass", "not_attempted": f"not attempted ({v.message})"}.get(
            v.status, f"fail. {v.message[:1].upper() + v.message[1:]}"
        )
        print(f"{v.part} ({part.title}): {line}")
        if v.part in changed:
            print(
                f"  Warning: `{part.answer}` was assigned again after its check; this is "
                "its final value, the one the grader grades."
            )
    score = sum(v.points for v in verdicts)
    print(
        f"Score on these inputs: {score:g} of {chosen.max_points:g} "
        "(the grader draws inputs of its own)."
    )


__all__ = [
    "EXERCISES",
    "PARTS",
    "check",
    "check_all",
    "grade_namespace",
    "inputs",
    "verdict",
]
