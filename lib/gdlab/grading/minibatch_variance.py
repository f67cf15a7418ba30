"""Checks for Problem 4.6.3: mini-batch gradients, their variance, and SGD's iteration count.

The sampler is judged statistically on a few thousand draws made with a generator the
grader seeds: the mean must match the full gradient and the mean squared deviation must
match ``gamma_1^2 / B`` (with replacement) or ``gamma_1^2 / B * (n - B) / (n - 1)`` (without),
within six standard errors, so a correct sampler fails with probability below 1e-8 and a
regrade with the same seed repeats the same draws.

The iteration count ``T(B, eps)`` is graded up to constant factors: along several curves
``B = eps**(-a)`` with ``eps -> 0`` the ratio of the answer to ``1/eps**2 + 1/(B eps**4)``
must settle to a positive constant. Equivalent forms (a max instead of a sum, other
constants, the constants M, L, gamma_1 written out) pass; a wrong power of B or eps, or a
missing regime, makes the ratio run off to 0 or infinity.
"""

from __future__ import annotations

import numpy as np
import sympy

from gdlab.grading import exprtree
from gdlab.grading.core import (
    Exercise,
    Fail,
    Part,
    as_array,
    as_expr,
    as_number,
    as_tuple,
    same_expression,
    symbols_for,
)

DRAWS = 2000
Z = 6.0  # standard errors allowed


def _per_example_grads(rng, n: int, d: int) -> np.ndarray:
    return rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d) + rng.normal(size=d)


def gamma1_sq(G: np.ndarray) -> float:
    """The variance of a one-example gradient: mean of ||g_i - mean g||^2."""
    return float(np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1)))


def _sampler_cases(rng):
    G = _per_example_grads(rng, 10, 3)
    cases = []
    for B, replace in ((4, True), (4, False), (1, True), (10, False)):
        args = [{"array": G.tolist()}, B, {"rng": int(rng.integers(2**31))}]
        cases.append({"args": args, "kwargs": {"replace": replace}, "repeat": DRAWS})
    return cases


def _sampler_judge(cases, outputs):
    for case, out in zip(cases, outputs, strict=True):
        G = np.array(case["args"][0]["array"])
        B, replace = case["args"][1], case["kwargs"]["replace"]
        n, d = G.shape
        how = "with" if replace else "without"
        where = f"for B = {B} {how} replacement"
        draws = as_array(out, what=f"the mini-batch gradient {where}")
        if draws.shape != (DRAWS, d):
            raise Fail(f"{where} each call should return a vector of shape ({d},)")
        mean = G.mean(axis=0)
        if B == n and not replace:
            if not np.allclose(draws, mean, rtol=1e-9, atol=1e-12):
                raise Fail(f"{where} every batch is the whole data set: expected the full gradient")
            continue
        if B == 1 and not np.all(
            np.min(np.abs(draws[:, None, :] - G[None]).max(axis=2), axis=1) < 1e-9
        ):
            raise Fail(f"{where} each draw should be one of the per-example gradients")
        se_mean = draws.std(axis=0) / np.sqrt(DRAWS) + 1e-12
        if np.any(np.abs(draws.mean(axis=0) - mean) > Z * se_mean):
            raise Fail(f"{where} the average of many draws is not the full gradient: biased")
        sq = np.sum((draws - mean) ** 2, axis=1)
        theory = gamma1_sq(G) / B * ((n - B) / (n - 1) if not replace else 1.0)
        if abs(sq.mean() - theory) > Z * sq.std() / np.sqrt(DRAWS) + 1e-12:
            raise Fail(
                f"{where} the variance over {DRAWS} draws is {sq.mean():.4g}, far from "
                f"{theory:.4g}: check how the batch is sampled"
            )


def _variance_bound_judge(cases, value):
    symbols = symbols_for(("gamma_1", "B"))
    expr = as_expr(value, symbols)
    expected = symbols["gamma_1"] ** 2 / symbols["B"]
    if not same_expression(expr, expected, symbols, np.random.default_rng(1)):
        raise Fail(f"gamma_B^2 = {expr} is not the variance of the average of B draws")


CURVE_BATCHES = [1, 2, 4, 8, 16, 32]


def _curve_cases(rng):
    G = _per_example_grads(rng, 200, 3)
    args = [{"array": G.tolist()}, CURVE_BATCHES, {"rng": int(rng.integers(2**31))}]
    return [{"args": args}]


def _curve_judge(cases, outputs):
    G = np.array(cases[0]["args"][0]["array"])
    variances, slope = as_tuple(outputs[0], 2, what="variance_curve's result")
    variances = as_array(variances, shape=(len(CURVE_BATCHES),), what="the variances")
    slope = as_number(slope, what="the slope")
    theory = gamma1_sq(G) / np.array(CURVE_BATCHES)
    if np.any(variances <= 0) or np.any(np.abs(variances / theory - 1) > 0.3):
        raise Fail(f"the empirical variances are far from gamma_1^2 / B = {np.round(theory, 4)}")
    fitted = np.polyfit(np.log(CURVE_BATCHES), np.log(variances), 1)[0]
    if not np.isclose(slope, fitted, rtol=1e-6, atol=1e-6):
        raise Fail(f"the slope {slope:.4g} is not the least-squares slope of your log-log data")
    if abs(slope + 1) > 0.15:
        raise Fail(f"the slope {slope:.4g} is far from the theory")


T_SYMBOLS = ("B", "epsilon", "M", "L", "gamma_1")
_CONSTANTS = {"M": 3.0, "L": 2.0, "gamma_1": 0.7}
_EXPONENTS = (0.0, 1.0, 2.0, 3.0, 4.0)  # B = eps**(-a); B = 10 fixed is the first curve


def _iterations_judge(cases, value):
    symbols = symbols_for(T_SYMBOLS)
    expr = as_expr(value, symbols)
    B, eps = symbols["B"], symbols["epsilon"]
    if B not in expr.free_symbols or eps not in expr.free_symbols:
        raise Fail(f"T = {expr} should depend on both B and epsilon")
    expected = 1 / eps**2 + 1 / (B * eps**4)
    consts = {symbols[k]: v for k, v in _CONSTANTS.items()}
    curves = [lambda e: 10.0] + [lambda e, a=a: e ** (-a) for a in _EXPONENTS]
    for curve in curves:
        ratios = []
        for e in (sympy.Float("1e-60", 50), sympy.Float("1e-120", 50)):
            point = {**consts, eps: e, B: max(curve(e), sympy.Integer(1))}
            try:
                got = exprtree.evaluate(expr, point)
            except exprtree.EvalError as error:
                raise Fail(f"T = {expr} cannot be evaluated for small epsilon: {error}") from None
            want = exprtree.evaluate(expected, point)
            ratios.append(got / want)
        if min(ratios) <= 0:
            raise Fail(f"T = {expr} should be a positive number of iterations")
        if abs(ratios[1] / ratios[0] - 1) > 0.01:
            raise Fail(
                f"T = {expr} grows differently from the right answer as epsilon -> 0 "
                "in some regime of batch sizes (think of B = 1 and of very large B)"
            )


EXERCISE = Exercise(
    name="minibatch_variance",
    problem="4.6.3",
    parts=(
        Part(
            id="4.6.3a",
            answer="minibatch_grad",
            kind="function",
            title="a mini-batch gradient, with and without replacement",
            hint="Draw B row indices with rng.choice(n, size=B, replace=replace) and "
            "average those rows.",
            cases=_sampler_cases,
            judge=_sampler_judge,
        ),
        Part(
            id="4.6.3b",
            answer="gamma_B_sq",
            kind="value",
            title="the variance bound gamma_B^2",
            hint="The B draws are independent: the variance of a sum of independent "
            "vectors is the sum of the variances.",
            judge=_variance_bound_judge,
            symbols=("gamma_1", "B"),
        ),
        Part(
            id="4.6.3c",
            answer="variance_curve",
            kind="function",
            title="the empirical variance and its log-log slope",
            hint="For each B, average ||g_B - grad f||^2 over n_draws draws; then fit a line "
            "to (log B, log variance) with np.polyfit.",
            cases=_curve_cases,
            judge=_curve_judge,
        ),
        Part(
            id="4.6.3d",
            answer="T_iterations",
            kind="value",
            title="the iteration count T(B, epsilon), up to constant factors",
            hint="Redo the proof of Theorem 4.6.2 with variance gamma_1^2 / B and a step "
            "size eta <= 1/L. Which term wins for small B, and which for large B?",
            judge=_iterations_judge,
            symbols=T_SYMBOLS,
        ),
    ),
)
