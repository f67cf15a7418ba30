"""Checks for Problem 4.1.1: the steepest-descent step in the l2, l-infinity and l1 balls.

The step that minimizes the linear model ``g . delta`` over the ball ``||delta|| <= eps`` is
judged by its optimality certificate, not against one formula: it must lie in the ball and
reach the minimum value ``-eps * ||g||_*`` (the dual norm). Every optimal step passes, ties
included (the l1 ball has many optimal steps when several coordinates share the largest
``|g_i|``). For a zero gradient every feasible step is optimal, and the answer asked for is
the zero step: a division by ``||g||`` must not produce NaN.

Both conditions allow a relative error of ``RTOL`` (stated on the page), so a guard such as
``norm + 1e-12`` passes at the scales drawn. The cases start with the gradients a wrong idea
gets wrong (entries summing to zero, only non-positive or non-negative entries with a zero,
the largest ``|g_i|`` negative), small enough to be shown exactly in the feedback.
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
    at_case,
    case_note,
    compare_number,
    first_difference,
    point_note,
    symbols_for,
)

RTOL = 1e-6  # relative tolerance on the ball and on the decrease, stated on the page
NAMES = ("g", "eps")


def _step_cases(rng: np.random.Generator) -> list[dict]:
    """Gradients a wrong idea would get wrong, then random ones of several sizes and scales.

    In order: entries summing to zero (a zero test written ``g.sum() == 0``), only
    non-positive entries with a zero first (``g.max() == 0``, ``g[0] == 0``, ``argmax(g)``
    instead of ``argmax(|g|)``), only non-negative entries with a zero (``g.min() == 0``,
    ``np.prod(g) == 0``), mixed signs with the largest ``|g_i|`` negative, a single
    coordinate, random gradients at scales 1e-3 to 1e6 and with entries spanning six decades,
    a tie for the l1 ball, and the zero gradient.
    """

    def radius() -> float:
        return float(np.round(rng.uniform(0.05, 3.0), 3))

    a, b, c = (float(np.round(rng.uniform(0.5, 3.0), 2)) for _ in range(3))
    small = [
        [a, -a],
        [a, b, -(a + b)],
        [0.0, -a, -b],
        [b, 0.0, a],
        [-(a + b + 1), a, b],
        [-c],
    ]
    cases = [{"args": [{"array": g}, radius()]} for g in small]
    for d, scale in ((5, 1.0), (5, 1e-3), (10, 1e6)):
        g = rng.normal(size=d) * scale
        cases.append({"args": [{"array": g.tolist()}, radius()]})
    spread = rng.choice([-1.0, 1.0], size=7) * 10 ** rng.uniform(-3, 3, size=7)
    cases.append({"args": [{"array": spread.tolist()}, radius()]})
    tie = rng.permutation([3.0, -3.0, 1.0, 0.0])
    cases.append({"args": [{"array": tie.tolist()}, radius()]})
    cases.append({"args": [{"array": [0.0, 0.0, 0.0]}, radius()]})
    return cases


def _step_judge(norm_ord, dual_ord, ball: str):
    def judge(cases: list[dict], outputs: list[dict]) -> None:
        for index, (case, out) in enumerate(zip(cases, outputs, strict=True)):
            with at_case(index):
                _judge_step(case, out, norm_ord, dual_ord, ball)

    return judge


def _judge_step(case, out, norm_ord, dual_ord, ball: str) -> None:
    g = np.array(case["args"][0]["array"], dtype=float)
    eps = case["args"][1]
    where = f"for {case_note(case['args'], NAMES)}"
    delta = as_array(out, shape=g.shape, what=f"the step {where}")
    if not np.any(g):
        if np.any(delta):
            raise Fail(f"{where} (a zero gradient) the step should be the zero vector")
        return
    size = np.linalg.norm(delta, norm_ord)
    if size > eps * (1 + RTOL):
        raise Fail(
            f"{where} the step has {ball} norm {size:.8g}, larger than eps: outside the ball"
        )
    best = eps * np.linalg.norm(g, dual_ord)  # the largest decrease of g . delta in the ball
    decrease = -(g @ delta)
    if decrease < best * (1 - RTOL):
        if not np.any(delta):
            raise Fail(f"{where} the step is zero, but g is not: a step in the ball does better")
        raise Fail(
            f"{where} the step decreases g . delta by {decrease:.8g}, less than the best step "
            f"in the ball does (relative shortfall {1 - decrease / best:.2g}; the check "
            f"allows {RTOL:g})"
        )


def _alpha_judge(cases, value) -> None:
    symbols = symbols_for(("epsilon", "g_norm"))
    expr = as_expr(value, symbols)
    eps, g_norm = symbols["epsilon"], symbols["g_norm"]
    found = first_difference(expr, eps / g_norm, symbols, np.random.default_rng(0))
    if found is None:
        return
    point, got, _ = found
    if got is None:
        raise Fail(f"your alpha = {expr} cannot be evaluated at {point_note(point)}")
    length = float(got) * float(point[g_norm])  # ||alpha grad f|| with ||grad f|| = g_norm
    if got <= 0:
        raise Fail(f"your alpha = {expr} is not positive at {point_note(point)}")
    direction = "longer" if length > float(point[eps]) else "shorter"
    raise Fail(
        f"your alpha = {expr} gives a step {direction} than epsilon at {point_note(point)} "
        f"(its length is {length:.4g})"
    )


def _gain_judge(cases, value) -> None:
    gain = as_number(value, what="the factor")
    compare_number(gain, 10.0, "linf_gain", rtol=RTOL)


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
            hint="Call your two step functions with g = np.ones(100) and compare the "
            "decreases -g @ delta they give.",
            judge=_gain_judge,
        ),
    ),
)
