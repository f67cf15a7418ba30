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

import random
import zlib

import numpy as np

from gdlab.grading import minibatch_variance, smoothness_bound, steepest_descent, transport
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


def feedback_seed(part_id: str) -> int:
    """The fixed seed of the instant check's inputs (the batch grader draws fresh ones)."""
    return zlib.crc32(part_id.encode())


def verdict(part_id: str, answer) -> Verdict:
    """Check ``answer`` for the part ``part_id`` in this process and return the verdict."""
    if part_id not in PARTS:
        known = ", ".join(PARTS)
        raise ValueError(f"unknown part {part_id!r}; the parts are {known}")
    _, part = PARTS[part_id]
    seed = feedback_seed(part_id)
    cases = part.cases(np.random.default_rng(seed))
    # the harvest seeds the global generators (as the grader does): give the student's back
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    try:
        result = transport.harvest(
            {part.answer: answer},
            {
                "answer": part.answer,
                "kind": part.kind,
                "cases": cases,
                "seed": seed,
            },
        )
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)  # noqa: NPY002
    return judge_part(part, cases, result)


def check(part_id: str, answer) -> None:
    """Print whether ``answer`` solves part ``part_id``, with a hint when it does not."""
    result = verdict(part_id, answer)
    _, part = PARTS[part_id]
    head = f"{part_id} ({part.title}):"
    if result.status == "pass":
        print(f"{head} pass. Well done.")
    elif result.status == "not_attempted":
        print(f"{head} not attempted yet ({result.message}).")
    else:
        message = result.message[:1].upper() + result.message[1:]
        print(f"{head} fail. {message}\nHint: {part.hint}")


__all__ = ["EXERCISES", "PARTS", "check", "verdict"]
