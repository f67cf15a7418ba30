"""Checks for Problem 4.1.1: the steepest-descent step in the l2, l-infinity and l1 balls.

The step that minimizes the linear model ``g . delta`` over the ball ``||delta|| <= eps`` is
judged by its optimality certificate, not against one formula: it must lie in the ball and
reach the minimum value ``-eps * ||g||_*`` (the dual norm). Every optimal step passes, ties
included (the l1 ball has many optimal steps when several coordinates share the largest
``|g_i|``). For a zero gradient every feasible step is optimal, and the answer asked for is
the zero step: a division by ``||g||`` must not produce NaN.
"""

from __future__ import annotations

import numpy as np

from gdlab.grading.core import (
    Exercise,
    Fail,
    Part,
    as_array,
    as_expr,
    as_number,
    case_note,
    same_expression,
    symbols_for,
)

TOL = 1e-7
NAMES = ("g", "eps")


def _step_cases(rng: np.random.Generator) -> list[dict]:
    """Random gradients of several sizes and scales, a tie, and a zero gradient."""
    cases = []
    for d, scale in ((2, 1.0), (5, 1e-6), (10, 1e6), (7, 1.0)):
        g = rng.normal(size=d) * scale
        cases.append({"args": [{"array": g.tolist()}, float(rng.uniform(0.01, 3.0))]})
    tie = rng.permutation([3.0, -3.0, 1.0, 0.0])
    cases.append({"args": [{"array": tie.tolist()}, float(rng.uniform(0.1, 1.0))]})
    cases.append({"args": [{"array": [0.0, 0.0, 0.0]}, 0.5]})
    return cases


def _step_judge(norm_ord, dual_ord, ball: str):
    def judge(cases: list[dict], outputs: list[dict]) -> None:
        for case, out in zip(cases, outputs, strict=True):
            g = np.array(case["args"][0]["array"])
            eps = case["args"][1]
            where = f"for {case_note(case['args'], NAMES)}"
            delta = as_array(out, shape=g.shape, what=f"the step {where}")
            if not np.any(g):
                if np.any(delta):
                    raise Fail(f"{where} (a zero gradient) the step should be the zero vector")
                continue
            size = np.linalg.norm(delta, norm_ord)
            if size > eps * (1 + TOL):
                raise Fail(f"{where} the step has {ball} norm {size:.6g} > eps: outside the ball")
            best = -eps * np.linalg.norm(g, dual_ord)
            if g @ delta > best + TOL * abs(best):
                raise Fail(
                    f"{where} the linear model decreases by {-(g @ delta):.6g}, "
                    f"but the best step in the ball decreases it by {-best:.6g}"
                )

    return judge


def _alpha_judge(cases, value) -> None:
    symbols = symbols_for(("epsilon", "g_norm"))
    expr = as_expr(value, symbols)
    expected = symbols["epsilon"] / symbols["g_norm"]
    if not same_expression(expr, expected, symbols, np.random.default_rng(0)):
        raise Fail(f"alpha = {expr} does not give a step of length epsilon along -grad f")


def _gain_judge(cases, value) -> None:
    gain = as_number(value, what="the factor")
    if not np.isclose(gain, 10.0, rtol=1e-6):
        raise Fail(f"the factor {gain:.6g} is not right")


EXERCISE = Exercise(
    name="steepest_descent",
    problem="4.1.1",
    parts=(
        Part(
            id="4.1.1a",
            answer="steepest_step_l2",
            kind="function",
            title="steepest step in the l2 ball",
            hint="Write g . delta = ||g|| ||delta|| cos(theta): which direction and which "
            "length make it most negative? Return the zero step when g = 0.",
            cases=_step_cases,
            judge=_step_judge(2, 2, "l2"),
        ),
        Part(
            id="4.1.1b",
            answer="alpha",
            kind="value",
            title="the multiplier alpha as a SymPy expression",
            hint="delta = -alpha * grad f must have length exactly epsilon.",
            judge=_alpha_judge,
            symbols=("epsilon", "g_norm"),
        ),
        Part(
            id="4.1.1c",
            answer="steepest_step_linf",
            kind="function",
            title="steepest step in the l-infinity ball",
            hint="In the l-infinity ball each coordinate moves independently within "
            "[-eps, eps]: minimize g_i * delta_i coordinate by coordinate.",
            cases=_step_cases,
            judge=_step_judge(np.inf, 1, "l-infinity"),
        ),
        Part(
            id="4.1.1d",
            answer="steepest_step_l1",
            kind="function",
            title="steepest step in the l1 ball",
            hint="The l1 ball's corners are +-eps e_i. A linear function is minimized at a "
            "corner: which coordinate pays off most?",
            cases=_step_cases,
            judge=_step_judge(1, np.inf, "l1"),
        ),
        Part(
            id="4.1.1e",
            answer="linf_gain",
            kind="value",
            title="how much more the sign step decreases the model",
            hint="The decrease is eps times the dual norm of g: ||g||_1 for the l-infinity "
            "ball, ||g||_2 for the l2 ball.",
            judge=_gain_judge,
        ),
    ),
)
