"""Proof parts of the three exercises: a proof crosses as plain data and is checked here.

A student's :class:`gdlab.proofs.Proof` is encoded in their kernel by
:func:`gdlab.grading.transport.encode_proof` (goal, steps, cited facts; every expression a
tree of node names). :func:`decode_proof` rebuilds it in the grader's process from the
allow-list of :mod:`gdlab.grading.exprtree` with the grader's own symbols, re-evaluates each
node (exponents limited to small fractions, so nothing costly is computed) and
:func:`gdlab.proofs.check_proof` decides. A refused proof fails the part with the reason, the
counterexample when there is one, and the proof typeset with a verdict per step (the
Gradescope feedback shows the same text).

Credit: each proof part is worth :data:`DEFAULT_POINTS` points; an instructor sets other values
with the environment variable ``GDLAB_PROOF_POINTS`` (``"4.1.3p=2,4.1.1q=0.5"``), read when
:func:`with_proofs` builds the exercises.
"""

from __future__ import annotations

import dataclasses
import os

import sympy as sp

from gdlab.grading import exprtree
from gdlab.grading.core import Exercise, Fail, Part
from gdlab.grading.transport import MAX_STEPS

DEFAULT_POINTS = 1.0
_RELS = ("=", "<=", "<")
_MAX_EXPONENT = 12


def _symbols() -> dict:
    from gdlab import proofs

    return {**proofs.VECTORS, **proofs.SCALARS}


def _reevaluate(e):
    """``e`` rebuilt bottom-up with evaluation (canonical forms), refusing large exponents."""
    if not e.args:
        return e
    args = [_reevaluate(a) for a in e.args]
    if isinstance(e, sp.Pow):
        power = args[1]
        if not (power.is_Rational and abs(power.p) <= _MAX_EXPONENT and power.q <= _MAX_EXPONENT):
            raise Fail("exponents in a proof are limited to small fractions such as 2 or 1/2")
    return e.func(*args)


def _expr(tree, what: str):
    try:
        return _reevaluate(exprtree.rebuild(tree, _symbols()))
    except exprtree.ExprError as error:
        raise Fail(f"{what}: {error}") from None
    except (TypeError, ValueError, AttributeError) as error:
        raise Fail(f"{what} is not an expression the checker understands ({error})") from None


def decode_proof(data):
    """The :class:`gdlab.proofs.Proof` that ``data`` describes, or :class:`Fail` saying why not."""
    from gdlab import proofs

    if not isinstance(data, dict) or data.get("t") != "proof":
        raise Fail("the answer should be a Proof(goal=..., steps=[...])")
    goal, steps = data.get("goal"), data.get("steps")
    if not (isinstance(goal, list) and len(goal) == 3 and isinstance(steps, list)):
        raise Fail("malformed proof data")
    if len(steps) > MAX_STEPS:
        raise Fail(f"a proof has at most {MAX_STEPS} steps")
    if goal[1] not in _RELS:
        raise Fail("the goal's relation must be =, <= or <")
    decoded = []
    for k, step in enumerate(steps, start=1):
        if not (isinstance(step, list) and len(step) == 3 and isinstance(step[2], list)):
            raise Fail("malformed proof data")
        rel, tree, cited = step
        if rel not in _RELS:
            raise Fail(f"step {k}: the relation must be =, <= or <")
        facts = []
        for item in cited:
            if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], list)):
                raise Fail("malformed proof data")
            name, points = item
            if not isinstance(name, str) or name not in proofs.FACTS:
                raise Fail(f"step {k} cites an unknown fact")
            arity = proofs.FACTS[name].arity
            if len(points) != arity:
                raise Fail(f"step {k}: {name} is cited at {arity} points, got {len(points)}")
            args = tuple(_expr(p, f"step {k}, a point of {name}") for p in points)
            facts.append(proofs.Fact(name, args))
        if not facts:
            raise Fail(f"step {k} cites no fact")
        decoded.append(proofs.Step(rel, _expr(tree, f"step {k}"), tuple(facts)))
    lhs, rhs = _expr(goal[0], "the goal"), _expr(goal[2], "the goal")
    try:
        return proofs.Proof(goal=(lhs, goal[1], rhs), steps=decoded)
    except ValueError as error:
        raise Fail(str(error)) from None


def feedback(report) -> str:
    """What the student reads: the first failing step with its reason, then the proof typeset."""
    from gdlab import proofs

    typeset = proofs.review(report.proof, None)
    marks = []
    for v in report.steps:
        marks.append(f"step {v.index}: {'ok' if v.ok else 'refused'}")
    return (
        f"{report.message()}\n\nYour proof, typeset (LaTeX), with a verdict per step "
        f"({'; '.join(marks)}):\n{typeset.markdown}"
    )


def _judge(part_id: str):
    def judge(cases, value):
        from gdlab import proofs

        proof = decode_proof(value)
        report = proofs.check_proof(proof, proofs.SETTINGS[part_id])
        if not report.ok:
            raise Fail(feedback(report))

    return judge


#: (exercise, part id, answer name, title, hint)
PROOF_PARTS = (
    (
        "steepest_descent",
        "4.1.1p",
        "proof_411_bound",
        "proof: no step of length at most epsilon does better than -epsilon |g|",
        "Cauchy-Schwarz bounds |g^T delta| by |g| |delta|; then use the hypothesis |delta| <= "
        "epsilon. Start from -epsilon |g| and end at g^T delta.",
    ),
    (
        "steepest_descent",
        "4.1.1q",
        "proof_411_tight",
        "proof: the step -epsilon g / |g| attains the bound",
        "g^T g = |g|^2: simplify the inner product in one or two algebra steps.",
    ),
    (
        "smoothness_bound",
        "4.1.3p",
        "proof_49",
        "proof of (4.9) from Definition 4.1.2",
        "Write f(w) - f(w_t) as an integral of the gradient along the segment (ftc), subtract "
        "grad f(w_t)^T (w - w_t) inside it, bound the integrand with Cauchy-Schwarz and then "
        "Definition 4.1.2 at x_s and w_t, and integrate s from 0 to 1. Or use Taylor's theorem "
        "and the Hessian bound.",
    ),
    (
        "minibatch_variance",
        "4.6.3q",
        "proof_var",
        "proof: the variance of the mean of B independent draws is at most gamma_1^2 / B",
        "Expand the square of the sum (linearity of expectation): B terms E|X_i|^2 and B(B-1) "
        "cross terms. Independence and zero mean remove the cross terms; the hypothesis bounds "
        "the rest.",
    ),
    (
        "minibatch_variance",
        "4.6.3p",
        "proof_T",
        "proof: T(B, epsilon) iterations make Theorem 4.6.2's bound at most epsilon^2",
        "Both hypotheses bound a quantity under the square root; the bound does not decrease "
        "when sigma_B^2 grows or T shrinks. Replace each by its bound, then simplify.",
    ),
)


def points_from_env(text: str | None = None) -> dict[str, float]:
    """The points per proof part from ``GDLAB_PROOF_POINTS`` (``"4.1.3p=2,4.1.1q=0.5"``)."""
    text = os.environ.get("GDLAB_PROOF_POINTS", "") if text is None else text
    known = {pid for _, pid, *_ in PROOF_PARTS}
    out = {}
    for item in filter(None, (x.strip() for x in text.split(","))):
        pid, sep, value = item.partition("=")
        if not sep or pid.strip() not in known:
            raise ValueError(
                f"GDLAB_PROOF_POINTS: {item!r} is not <part>=<points> with a proof part "
                f"among {sorted(known)}"
            )
        try:
            points = float(value)
        except ValueError:
            raise ValueError(f"GDLAB_PROOF_POINTS: {value!r} is not a number") from None
        if not points >= 0 or points == float("inf"):
            raise ValueError(f"GDLAB_PROOF_POINTS: points must be finite and >= 0, got {value!r}")
        out[pid.strip()] = points
    return out


def proof_parts(exercise: str, points: dict | None = None) -> tuple[Part, ...]:
    """The proof parts of ``exercise``, worth ``points[part]`` (default :data:`DEFAULT_POINTS`)."""
    points = points_from_env() if points is None else points
    return tuple(
        Part(
            id=pid,
            answer=answer,
            kind="value",
            title=title,
            hint=hint,
            judge=_judge(pid),
            points=points.get(pid, DEFAULT_POINTS),
        )
        for name, pid, answer, title, hint in PROOF_PARTS
        if name == exercise
    )


def with_proofs(exercises, points: dict | None = None) -> tuple[Exercise, ...]:
    """The exercises with their proof parts appended."""
    return tuple(
        dataclasses.replace(ex, parts=(*ex.parts, *proof_parts(ex.name, points)))
        for ex in exercises
    )
