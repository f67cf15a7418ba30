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
    at_case,
    case_note,
    compare_number,
)
from gdlab.grading.transport import make_function

PAGE_MATRIX = np.array([[1.0, 2.0], [2.0, -3.0]])


RTOL = 1e-6  # relative tolerance of the numeric parts, stated on the page
MARGIN = 1e-9  # 4.1.3e: f(w) must exceed (4.9)'s right side by this much, relatively


def _symmetric(rng, d: int, negative_dominant: bool) -> np.ndarray:
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)))
    eig = rng.uniform(-1.0, 1.0, size=d)
    eig[0] = -rng.uniform(2.0, 5.0) if negative_dominant else rng.uniform(2.0, 5.0)
    A = Q @ np.diag(eig) @ Q.T
    return (A + A.T) / 2


def _small_symmetric(rng, negative_dominant: bool) -> np.ndarray:
    """A 2x2 integer matrix whose largest |eigenvalue| is negative (or positive)."""
    while True:
        a, c = rng.integers(-6, 7, size=2)
        b = rng.integers(1, 4)
        A = np.array([[a, b], [b, c]], dtype=float)
        eig = np.linalg.eigvalsh(A)
        dominant_negative = abs(eig[0]) > abs(eig[1])
        if abs(abs(eig[0]) - abs(eig[1])) > 0.5 and dominant_negative == negative_dominant:
            if eig[0] < 0 < eig[1] and not np.array_equal(A, PAGE_MATRIX):
                return A


def _quadratic_cases(rng):
    """Small integer matrices first (they print exactly), then random ones.

    Indefinite with a dominant negative eigenvalue (``max(eig)`` is wrong), with a dominant
    positive one (``abs(min(eig))`` is wrong), negative definite, a 1x1 matrix, and random
    indefinite matrices of sizes 3 to 6.
    """
    matrices = [
        _small_symmetric(rng, True),
        _small_symmetric(rng, False),
        -np.diag(rng.integers(1, 9, size=3).astype(float)),
        np.array([[float(rng.integers(-9, -1))]]),
        np.diag([1.0, -7.0, 3.0]),
    ]
    matrices += [_symmetric(rng, d, True) for d in (4, 6)]
    matrices.append(_symmetric(rng, 3, False))
    return [{"args": [{"array": A.tolist()}]} for A in matrices]


def _quadratic_judge(cases, outputs):
    for index, (case, out) in enumerate(zip(cases, outputs, strict=True)):
        with at_case(index):
            A = np.array(case["args"][0]["array"])
            where = f"for {case_note(case['args'], ('A',))}"
            L = as_number(out, what=f"L {where}")
            expected = np.max(np.abs(np.linalg.eigvalsh(A)))
            compare_number(L, expected, "L", where, rtol=RTOL)


def _page_judge(cases, value):
    L = as_number(value, what="L_page")
    compare_number(L, 1 + 2 * np.sqrt(2), "L_page", rtol=RTOL)


def _logistic_data(rng, n: int, d: int):
    X = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d)
    y = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    return X, y


def _logistic_cases(rng):
    """A small rounded X first (it prints exactly), then random ones."""
    small = np.round(_logistic_data(rng, 3, 2)[0], 1)
    cases = [{"args": [{"array": small.tolist()}]}]
    cases += [
        {"args": [{"array": _logistic_data(rng, n, d)[0].tolist()}]}
        for n, d in ((20, 2), (35, 4), (50, 3))
    ]
    return cases


def _logistic_judge(cases, outputs):
    for index, (case, out) in enumerate(zip(cases, outputs, strict=True)):
        with at_case(index):
            X = np.array(case["args"][0]["array"])
            where = f"for {case_note(case['args'], ('X',))}"
            L = as_number(out, what=f"L {where}")
            expected = np.linalg.eigvalsh(X.T @ X)[-1] / (4 * len(X))
            compare_number(L, expected, "L", where, rtol=RTOL)


GAP_NAMES = ("f", "grad_f", "L", "w", "w_t")
_SPEC_NAMES = {
    "quartic": "f(w) = sum(w**4)",
    "quadratic": "f(w) = 1/2 w^T A w",
    "logistic": "a logistic loss",
}


def _gap_cases(rng):
    """The quartic first (its inputs print exactly), then quadratics and logistic losses."""
    cases = []
    A = _symmetric(rng, 3, True)
    X, y = _logistic_data(rng, 30, 3)
    specs = (["quartic"], ["quadratic", A.tolist()], ["logistic", X.tolist(), y.tolist()])
    for spec in specs:
        for _ in range(2):
            w, wt = np.round(rng.normal(size=3), 2), np.round(rng.normal(size=3), 2)
            L = float(np.round(rng.uniform(0.5, 6.0), 2))
            args = [{"value_of": spec}, {"grad_of": spec}, L, {"array": w.tolist()}]
            cases.append({"args": [*args, {"array": wt.tolist()}]})
    return cases


def smoothness_gap_reference(spec, L, w, wt) -> float:
    """The grader's own right-hand side minus left-hand side of (4.9)."""
    f, grad = make_function(spec)
    return f(wt) + grad(wt) @ (w - wt) + L / 2 * np.sum((w - wt) ** 2) - f(w)


def _gap_judge(cases, outputs):
    for index, (case, out) in enumerate(zip(cases, outputs, strict=True)):
        with at_case(index):
            spec = case["args"][0]["value_of"]
            L, w, wt = (
                case["args"][2],
                np.array(case["args"][3]["array"]),
                np.array(case["args"][4]["array"]),
            )
            where = f"for {_SPEC_NAMES[spec[0]]}, {case_note(case['args'][2:], ('L', 'w', 'w_t'))}"
            gap = as_number(out, what=f"the gap {where}")
            expected = smoothness_gap_reference(spec, L, w, wt)
            scale = abs(make_function(spec)[0](w)) + abs(make_function(spec)[0](wt)) + 1.0
            if abs(gap - expected) > RTOL * scale:
                direction = "too large" if gap > expected else "too small"
                raise Fail(f"{where} you return {gap:.8g}: {direction}")


def _counter_cases(rng):
    """L over 300 decades: a fixed pair, or one right only for small or large L, fails."""
    decades = (-6, -1, 1, 3, 6, 8, 12, 50, 150, 300)
    return [{"args": [float(10 ** rng.uniform(lo, lo + 1))]} for lo in decades]


def quartic_gap(L: Fraction, w: Fraction, wt: Fraction) -> Fraction:
    """(4.9)'s right side minus f(w) for f(w) = w**4, exactly."""
    return wt**4 + 4 * wt**3 * (w - wt) + L / 2 * (w - wt) ** 2 - w**4


def _counter_judge(cases, outputs):
    for index, (case, out) in enumerate(zip(cases, outputs, strict=True)):
        with at_case(index):
            L = case["args"][0]
            where = f"for {case_note(case['args'], ('L',))}"
            if isinstance(out, dict) and out.get("t") == "array":
                pair = as_array(out, shape=(2,), what=f"the pair {where}")
            else:
                items = as_tuple(out, 2, what=f"the answer {where}")
                pair = np.array([as_number(items[0], "w"), as_number(items[1], "w_t")])
            w, wt = (Fraction(float(x)) for x in pair)
            gap = quartic_gap(Fraction(L), w, wt)
            scale = w**4 + wt**4 + Fraction(L) / 2 * (w - wt) ** 2
            if gap >= 0 or -gap <= Fraction(MARGIN) * scale:
                raise Fail(
                    f"{where} (4.9) holds at w = {float(w)!r}, w_t = {float(wt)!r}"
                    + (" (up to rounding)" if gap < 0 else "")
                )


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
            hint="Translate (4.9) term by term, then move its left side to the right; check "
            "your function on a case you can do by hand, such as f(w) = sum(w**2) with L = 2.",
            cases=_gap_cases,
            judge=_gap_judge,
        ),
        Part(
            id="4.1.3e",
            answer="counterexample",
            kind="function",
            title="a pair where (4.9) fails for f(w) = w**4",
            hint="Fix w_t = 0 and write (4.9) for this f. Your pair must break it for every "
            "L > 0, tiny and huge: how must |w| grow with L?",
            cases=_counter_cases,
            judge=_counter_judge,
        ),
    ),
)
