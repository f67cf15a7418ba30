"""Checks for Problem 4.6.3: mini-batch gradients, their variance, and SGD's iteration count.

The sampler is judged statistically on a few thousand draws made with a generator the
grader seeds: the mean must match the full gradient and the mean squared deviation must
match ``gamma_1^2 / B`` (with replacement) or ``gamma_1^2 / B * (n - B) / (n - 1)`` (without),
within six standard errors, so a correct sampler fails with probability below 1e-8 and a
regrade with the same seed repeats the same draws. Which batches occur is checked too (with
replacement a batch of two repeats a row one time in n, without replacement never), and where
the randomness comes from: twin calls with the same ``rng`` seed under different global random
states must agree, calls with different seeds must not. ``variance_curve`` is judged the same
way, each variance against the exact standard error of its estimate (:func:`estimator_sd`).

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
    at_case,
    describe,
    first_difference,
    symbols_for,
)

DRAWS = 2000
TWIN_DRAWS = 20  # draws per call in the cases that test where the randomness comes from
Z = 6.0  # standard errors allowed


def _per_example_grads(rng, n: int, d: int) -> np.ndarray:
    return rng.normal(size=(n, d)) * rng.uniform(0.5, 2.0, size=d) + rng.normal(size=d)


def gamma1_sq(G: np.ndarray) -> float:
    """The variance of a one-example gradient: mean of ||g_i - mean g||^2."""
    return float(np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1)))


def estimator_sd(G: np.ndarray, B: int) -> float:
    """The standard deviation of ``||mean of B rows drawn with replacement - mean(G)||^2``.

    Exact, from the moments of the centred rows ``X_i``: with ``S = mean X_i X_i^T``,
    ``E||Xbar||^4 = (B m4 + B (B - 1) ((tr S)^2 + 2 tr S^2)) / B^4`` where
    ``m4 = mean ||X_i||^4``, and ``E||Xbar||^2 = tr S / B``.
    """
    X = G - G.mean(axis=0)
    S = X.T @ X / len(X)
    m4 = float(np.mean(np.sum(X**2, axis=1) ** 2))
    second = (B * m4 + B * (B - 1) * (np.trace(S) ** 2 + 2 * np.trace(S @ S))) / B**4
    return float(np.sqrt(max(second - (np.trace(S) / B) ** 2, 0.0)))


def _twin_seeds(seeds: list[int]) -> list[tuple[int, int]]:
    """(rng seed, global seed) of three calls: a seed, the same under another global random
    state, another seed under the first global state."""
    return [(seeds[0], seeds[2]), (seeds[0], seeds[3]), (seeds[1], seeds[2])]


def _sampler_cases(rng):
    """Statistical cases (mean, variance, which batches occur), then twins for the rng.

    With n = 10 rows: B = 2 without replacement (a batch never repeats a row), the whole data
    set without replacement, B = 2 with replacement (a batch repeats a row one time in n), B = 4
    both ways, B = 1, and B = 15 > n with replacement. Then three calls of TWIN_DRAWS
    draws per scheme: the same ``rng`` seed under two different global random states (the
    draws must be identical) and another seed (they must differ).
    """
    G = _per_example_grads(rng, 10, 3)
    cases = []
    # (B, replace, draws): fewer draws where the check is exact or the effect is large
    plan = ((2, False, 1000), (10, False, 50), (2, True, 1000), (4, True, DRAWS))
    plan += ((4, False, DRAWS), (1, True, 1000), (15, True, 200))
    for B, replace, draws in plan:
        args = [{"array": G.tolist()}, B, {"rng": int(rng.integers(2**31))}]
        cases.append({"args": args, "kwargs": {"replace": replace}, "repeat": draws})
    for replace in (True, False):
        seeds = [int(x) for x in rng.integers(2**31, size=4)]
        for rng_seed, global_seed in _twin_seeds(seeds):
            args = [{"array": G.tolist()}, 3, {"rng": rng_seed}]
            cases.append(
                {
                    "args": args,
                    "kwargs": {"replace": replace},
                    "repeat": TWIN_DRAWS,
                    "global_seed": global_seed,
                    "twin": True,
                }
            )
    return cases


def _sampler_judge(cases, outputs):
    plain = [(i, c, o) for i, (c, o) in enumerate(zip(cases, outputs, strict=True))]
    for index, case, out in plain:
        with at_case(index):
            if case.get("twin"):
                continue
            _judge_draws(case, out)
    twins = [(i, c, o) for i, c, o in plain if c.get("twin")]
    for start in range(0, len(twins), 3):
        with at_case(twins[start][0]):
            _judge_twins(twins[start : start + 3])


def _scheme(case) -> tuple[np.ndarray, int, bool, str]:
    G = np.array(case["args"][0]["array"])
    B, replace = case["args"][1], case["kwargs"]["replace"]
    how = "with" if replace else "without"
    return G, B, replace, f"for B = {B} {how} replacement (n = {len(G)} rows)"


def _judge_draws(case, out) -> None:
    G, B, replace, where = _scheme(case)
    n, d = G.shape
    repeat = case["repeat"]
    if isinstance(out, dict) and out.get("t") == "error":
        extra = ": with replacement B may exceed n" if B > n else ""
        raise Fail(f"{where} the function {describe(out)}{extra}")
    draws = as_array(out, what=f"the mini-batch gradient {where}")
    if draws.shape != (repeat, d):
        raise Fail(f"{where} each call should return a vector of shape ({d},)")
    mean = G.mean(axis=0)
    if B == n and not replace:
        if not np.allclose(draws, mean, rtol=1e-9, atol=1e-12):
            raise Fail(f"{where} every batch is the whole data set: expected the full gradient")
        return
    if B in (1, 2):
        # every draw must be the average of B rows; count the batches that repeat a row
        pairs = (G[:, None, :] + G[None, :, :]) / 2 if B == 2 else G[:, None, :]
        flat = pairs.reshape(-1, d)
        distance = np.abs(draws[:, None, :] - flat[None]).max(axis=2)
        match = distance.argmin(axis=1)
        if np.any(distance[np.arange(repeat), match] > 1e-9 * (1 + np.abs(G).max())):
            what = "one of the rows of G" if B == 1 else "the average of two rows of G"
            raise Fail(f"{where} each draw should be {what}")
        if B == 2:
            repeats = int(np.sum(match // n == match % n))
            if not replace and repeats:
                raise Fail(
                    f"{where} {repeats} of {repeat} batches use the same row twice: "
                    "without replacement a row appears at most once per batch"
                )
            expected, sd = repeat / n, np.sqrt(repeat * (1 / n) * (1 - 1 / n))
            if replace and abs(repeats - expected) > Z * sd:
                raise Fail(
                    f"{where} {repeats} of {repeat} batches use the same row twice, far from "
                    f"the {expected:.0f} expected when each row is drawn independently"
                )
    se_mean = draws.std(axis=0) / np.sqrt(repeat) + 1e-12
    if np.any(np.abs(draws.mean(axis=0) - mean) > Z * se_mean):
        raise Fail(f"{where} the average of many draws is not the full gradient: biased")
    sq = np.sum((draws - mean) ** 2, axis=1)
    theory = gamma1_sq(G) / B * ((n - B) / (n - 1) if not replace else 1.0)
    if abs(sq.mean() - theory) > Z * sq.std() / np.sqrt(repeat) + 1e-12:
        direction = "too large" if sq.mean() > theory else "too small"
        raise Fail(
            f"{where} the mean of ||g_B - grad f||^2 over {repeat} draws is {sq.mean():.4g}, "
            f"{direction} for this sampling scheme: check how the batch is sampled"
        )


def _judge_twins(twins) -> None:
    (_, case, out), (_, _, same_rng), (_, _, other_rng) = twins
    _, _, _, where = _scheme(case)
    draws = [as_array(o, what=f"the mini-batch gradient {where}") for o in (out, same_rng)]
    other = as_array(other_rng, what=f"the mini-batch gradient {where}")
    if draws[0].shape != draws[1].shape or not np.array_equal(draws[0], draws[1]):
        raise Fail(
            f"{where} two generators made with the same seed gave different batches once "
            "numpy's global random state changed: draw with the `rng` you are given (not "
            "np.random, the random module or a generator of your own)"
        )
    if other.shape == draws[0].shape and np.array_equal(other, draws[0]):
        raise Fail(
            f"{where} generators with different seeds gave the same batches: draw with the "
            "`rng` you are given (not np.random, the random module or a generator of your own)"
        )


def _variance_bound_judge(cases, value):
    symbols = symbols_for(("gamma_1", "B"))
    expr = as_expr(value, symbols)
    expected = symbols["gamma_1"] ** 2 / symbols["B"]
    if first_difference(expr, expected, symbols, np.random.default_rng(1)) is None:
        return
    growth = []
    for name in ("gamma_1", "B"):
        power = _power_law(expr, symbols, name)
        if power is None:
            growth.append(f"not as a power of {name}")
        else:
            growth.append(f"like {name}**{power:.3g}")
    raise Fail(
        f"your gamma_B^2 = {expr} is not the variance of the average of B independent draws "
        f"(yours grows {growth[0]} and {growth[1]})"
    )


def _power_law(expr, symbols, name: str) -> float | None:
    """The exponent k of ``expr ~ symbol**k`` at fixed other symbols, if it is one."""
    base = {s: sympy.Float(1.3) for s in symbols.values()}
    logs = []
    for x in (1e3, 1e6, 1e9):
        point = {**base, symbols[name]: sympy.Float(x)}
        try:
            value = exprtree.evaluate(expr, point)
        except exprtree.EvalError:
            return None
        if value <= 0:
            return None
        logs.append(float(sympy.log(sympy.Float(value))) / np.log(10))
    first, second = logs[1] - logs[0], logs[2] - logs[1]
    if abs(first - second) > 1e-3 * max(1.0, abs(first)):
        return None
    return round(second / 3, 3)


CURVE_BATCHES = [1, 2, 4, 8, 16]
CURVE_DRAWS = 1000


def _curve_cases(rng):
    """n = 8 rows and batch sizes up to 16: without replacement B = 8 has no variance and
    B = 16 is impossible. Three calls: a seed, the same seed under another global random
    state (must repeat), another seed (must differ)."""
    G = _per_example_grads(rng, 8, 3)
    seeds = [int(x) for x in rng.integers(2**31, size=4)]
    cases = []
    for rng_seed, global_seed in _twin_seeds(seeds):
        args = [{"array": G.tolist()}, CURVE_BATCHES, {"rng": rng_seed}]
        kwargs = {"n_draws": CURVE_DRAWS}
        cases.append({"args": args, "kwargs": kwargs, "global_seed": global_seed})
    return cases


def _curve_result(out, what: str):
    if isinstance(out, dict) and out.get("t") == "error":
        raise Fail(
            f"your variance_curve {describe(out)} for batch sizes {CURVE_BATCHES} and "
            f"n = 8 rows (with replacement a batch may be larger than n)"
        )
    variances, slope = as_tuple(out, 2, what=f"variance_curve's result{what}")
    variances = as_array(variances, shape=(len(CURVE_BATCHES),), what="the variances")
    return variances, as_number(slope, what="the slope")


def _curve_judge(cases, outputs):
    G = np.array(cases[0]["args"][0]["array"])
    with at_case(0):
        variances, slope = _curve_result(outputs[0], "")
    with at_case(1):
        again, _ = _curve_result(outputs[1], "")
        if not np.array_equal(variances, again):
            raise Fail(
                "two generators made with the same seed gave different variances once numpy's "
                "global random state changed: draw with the `rng` you are given, in "
                "minibatch_grad too (not np.random, the random module or a generator of your own)"
            )
    with at_case(2):
        other, _ = _curve_result(outputs[2], "")
        if np.array_equal(variances, other):
            raise Fail(
                "generators with different seeds gave exactly the same variances: estimate "
                "them from batches drawn with the `rng` you are given"
            )
    with at_case(0):
        for B, v in zip(CURVE_BATCHES, variances, strict=True):
            theory = gamma1_sq(G) / B
            sd = estimator_sd(G, B) / np.sqrt(CURVE_DRAWS)
            if v <= 0 or abs(v - theory) > Z * sd:
                direction = "too large" if v > theory else "too small"
                raise Fail(
                    f"your variance for B = {B}, {v:.4g}, is {direction} for batches drawn with "
                    f"replacement (the check allows {Z:g} standard errors of an average over "
                    f"{CURVE_DRAWS} draws)"
                )
        fitted = np.polyfit(np.log(CURVE_BATCHES), np.log(variances), 1)[0]
        if not np.isclose(slope, fitted, rtol=1e-6, atol=1e-6):
            raise Fail(
                f"the slope {slope:.4g} is not the least-squares slope of your "
                "(log B, log variance) points"
            )


T_SYMBOLS = ("B", "epsilon", "M", "L", "gamma_1")
_CONSTANTS = {"M": 3.0, "L": 2.0, "gamma_1": 0.7}
# B = eps**(-a), past the crossover at a = 2 and far beyond; B = 10 fixed is the first curve
_EXPONENTS = (0.0, 1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0)


def _iterations_judge(cases, value):
    symbols = symbols_for(T_SYMBOLS)
    expr = as_expr(value, symbols)
    B, eps = symbols["B"], symbols["epsilon"]
    if B not in expr.free_symbols or eps not in expr.free_symbols:
        raise Fail(f"your T = {expr} should depend on both B and epsilon")
    expected = 1 / eps**2 + 1 / (B * eps**4)
    consts = {symbols[k]: v for k, v in _CONSTANTS.items()}
    curves = [lambda e: 10.0] + [lambda e, a=a: e ** (-a) for a in _EXPONENTS]
    for curve in curves:
        ratios = []
        for e in (sympy.Float("1e-40", 50), sympy.Float("1e-80", 50)):
            point = {**consts, eps: e, B: max(curve(e), sympy.Integer(1))}
            try:
                got = exprtree.evaluate(expr, point)
            except exprtree.EvalError as error:
                raise Fail(
                    f"your T = {expr} cannot be evaluated for small epsilon: {error}"
                ) from None
            want = exprtree.evaluate(expected, point)
            ratios.append(got / want)
        if min(ratios) <= 0:
            raise Fail(f"your T = {expr} should be a positive number of iterations")
        if abs(ratios[1] / ratios[0] - 1) > 0.01:
            raise Fail(
                f"your T = {expr} grows differently from the right answer as epsilon -> 0 "
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
            hint="Draw the row indices with the generator rng you are given, honouring "
            "replace, then average those rows.",
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
            hint="Estimate each variance from n_draws batches drawn with rng and with "
            "replacement (your minibatch_grad does it); np.polyfit gives the slope.",
            cases=_curve_cases,
            judge=_curve_judge,
        ),
        Part(
            id="4.6.3d",
            answer="T_iterations",
            kind="value",
            title="the iteration count T(B, epsilon), up to constant factors",
            hint="Redo the proof of Theorem 4.6.2 with the variance of part (b) and a step "
            "size eta <= 1/L. Which term wins for small B, and which for large B?",
            judge=_iterations_judge,
            symbols=T_SYMBOLS,
        ),
    ),
)
