"""Checks for Problem 4.1.3: smoothness constants, the bound (4.9), and a counterexample.

The smallest L for ``f(w) = 1/2 w^T A w`` is the largest ``|eigenvalue|`` of A, not the
largest eigenvalue: the matrices drawn here are indefinite with a dominant negative
eigenvalue. For logistic regression ``f(w) = (1/n) sum log(1 + exp(-y_i x_i^T w))`` the
Hessian is at most ``X^T X / (4n)``, with equality at ``w = 0``, so the smallest L is
``lambda_max(X^T X) / (4n)``. The counterexample is checked in exact rational arithmetic.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from gdlab.grading.core import (
    Exercise,
    Fail,
    Part,
    as_array,
    as_number,
    as_tuple,
    case_note,
    short,
)
from gdlab.grading.transport import make_function

PAGE_MATRIX = np.array([[1.0, 2.0], [2.0, -3.0]])


def _symmetric(rng, d: int, negative_dominant: bool) -> np.ndarray:
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    eig = rng.uniform(-1.0, 1.0, size=d)
    eig[0] = -rng.uniform(2.0, 5.0) if negative_dominant else rng.uniform(2.0, 5.0)
    A = Q @ np.diag(eig) @ Q.T
    return (A + A.T) / 2


def _quadratic_cases(rng):
    cases = [{"args": [{"array": _symmetric(rng, d, True).tolist()}]} for d in (2, 4, 6)]
    cases.append({"args": [{"array": _symmetric(rng, 3, False).tolist()}]})
    cases.append({"args": [{"array": np.diag([1.0, -7.0, 3.0]).tolist()}]})
    return cases


def _quadratic_judge(cases, outputs):
    for case, out in zip(cases, outputs, strict=True):
        A = np.array(case["args"][0]["array"])
        L = as_number(out, what="L")
        expected = np.max(np.abs(np.linalg.eigvalsh(A)))
        if not np.isclose(L, expected, rtol=1e-6):
            raise Fail(
                f"for A with eigenvalues {short(np.linalg.eigvalsh(A))} you return L = {L:.6g}; "
                "that is not the smallest L"
            )


def _page_judge(cases, value):
    L = as_number(value, what="L_page")
    if not np.isclose(L, 1 + 2 * np.sqrt(2), rtol=1e-6):
        raise Fail(f"L_page = {L:.6g} is not the smallest smoothness constant of this quadratic")


def _logistic_data(rng, n: int, d: int):
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d)
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return X, y


def _logistic_cases(rng):
    return [
        {"args": [{"array": _logistic_data(rng, n, d)[0].tolist()}]}
        for n, d in ((20, 2), (35, 4), (50, 3))
    ]


def _logistic_judge(cases, outputs):
    for case, out in zip(cases, outputs, strict=True):
        X = np.array(case["args"][0]["array"])
        L = as_number(out, what="L")
        expected = np.linalg.eigvalsh(X.T @ X)[-1] / (4 * len(X))
        if not np.isclose(L, expected, rtol=1e-6):
            raise Fail(
                f"for X of shape {X.shape} you return L = {L:.6g}; expected a different value"
            )


GAP_NAMES = ("f", "grad_f", "L", "w", "w_t")


def _gap_cases(rng):
    cases = []
    A = _symmetric(rng, 3, True)
    X, y = _logistic_data(rng, 30, 3)
    specs = (["quadratic", A.tolist()], ["logistic", X.tolist(), y.tolist()], ["quartic"])
    for spec in specs:
        for _ in range(2):
            w, wt = rng.normal(size=3), rng.normal(size=3)
            L = float(rng.uniform(0.5, 6.0))
            args = [{"value_of": spec}, {"grad_of": spec}, L, {"array": w.tolist()}]
            cases.append({"args": [*args, {"array": wt.tolist()}]})
    return cases


def smoothness_gap_reference(spec, L, w, wt) -> float:
    """The grader's own right-hand side minus left-hand side of (4.9)."""
    f, grad = make_function(spec)
    return f(wt) + grad(wt) @ (w - wt) + L / 2 * np.sum((w - wt) ** 2) - f(w)


def _gap_judge(cases, outputs):
    for case, out in zip(cases, outputs, strict=True):
        spec = case["args"][0]["value_of"]
        L, w, wt = (
            case["args"][2],
            np.array(case["args"][3]["array"]),
            np.array(case["args"][4]["array"]),
        )
        gap = as_number(out, what="the gap")
        expected = smoothness_gap_reference(spec, L, w, wt)
        if not np.isclose(gap, expected, rtol=1e-7, atol=1e-9):
            raise Fail(
                f"for f = {spec[0]}, L = {L:.4g}, w = {short(w)}, w_t = {short(wt)} "
                f"you return {gap:.6g}; the right side of (4.9) minus f(w) is a different number"
            )


def _counter_cases(rng):
    return [{"args": [float(10 ** rng.uniform(lo, lo + 1))]} for lo in (-1, 1, 3, 6)]


def quartic_gap(L: Fraction, w: Fraction, wt: Fraction) -> Fraction:
    """(4.9)'s right side minus f(w) for f(w) = w**4, exactly."""
    return wt**4 + 4 * wt**3 * (w - wt) + L / 2 * (w - wt) ** 2 - w**4


def _counter_judge(cases, outputs):
    for case, out in zip(cases, outputs, strict=True):
        L = case["args"][0]
        where = f"for {case_note(case['args'], ('L',))}"
        if isinstance(out, dict) and out.get("t") == "array":
            pair = as_array(out, shape=(2,), what=f"the pair {where}")
        else:
            items = as_tuple(out, 2, what=f"the answer {where}")
            pair = np.array([as_number(items[0], "w"), as_number(items[1], "w_t")])
        if not np.all(np.isfinite(pair)) or np.max(np.abs(pair)) > 1e100:
            raise Fail(f"{where} the pair {short(pair)} is not a pair of moderate finite numbers")
        w, wt = (Fraction(float(x)) for x in pair)
        if quartic_gap(Fraction(L), w, wt) >= 0:
            raise Fail(f"{where} (4.9) holds at w = {float(w):.6g}, w_t = {float(wt):.6g}")


EXERCISE = Exercise(
    name="smoothness_bound",
    problem="4.1.3",
    parts=(
        Part(
            id="4.1.3a",
            answer="smoothness_quadratic",
            kind="function",
            title="the smallest L of a quadratic",
            hint="The Hessian of 1/2 w^T A w is A. L-smoothness bounds every eigenvalue "
            "in absolute value, negative ones included.",
            cases=_quadratic_cases,
            judge=_quadratic_judge,
        ),
        Part(
            id="4.1.3b",
            answer="L_page",
            kind="value",
            title="L of the quadratic on this page",
            hint="Find both eigenvalues of the 2x2 matrix (trace and determinant help).",
            judge=_page_judge,
        ),
        Part(
            id="4.1.3c",
            answer="smoothness_logistic",
            kind="function",
            title="the smallest L of logistic regression",
            hint="The Hessian is (1/n) sum s_i (1 - s_i) x_i x_i^T with s_i a sigmoid value. "
            "How large can s (1 - s) be, and where is that reached?",
            cases=_logistic_cases,
            judge=_logistic_judge,
        ),
        Part(
            id="4.1.3d",
            answer="smoothness_gap",
            kind="function",
            title="the bound (4.9) as a number",
            hint="Return f(w_t) + grad_f(w_t) . (w - w_t) + L/2 ||w - w_t||^2 - f(w); it is "
            ">= 0 exactly when (4.9) holds at this pair.",
            cases=_gap_cases,
            judge=_gap_judge,
        ),
        Part(
            id="4.1.3e",
            answer="counterexample",
            kind="function",
            title="a pair where (4.9) fails for f(w) = w**4",
            hint="Take w_t = 0: the bound says w**4 <= L/2 w**2. How large must |w| be "
            "to break it, as a function of L?",
            cases=_counter_cases,
            judge=_counter_judge,
        ),
    ),
)
