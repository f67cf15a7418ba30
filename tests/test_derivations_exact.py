"""Tests for gdlab.derivations._exact: the prover's exact fast paths.

``unit_interval_sign`` decides the sign of a univariate rational function on [0, 1] from the
roots of its numerator; it must answer exactly what the four ``solveset`` calls it replaces
answered, and decline (``None``, so the prover falls back) whenever it cannot be sure.
``rational_zero`` must never call a non-identity zero.
"""

from __future__ import annotations

import random

import pytest
import sympy as sp

from gdlab.derivations import _prover
from gdlab.derivations._exact import rational_zero, unit_interval_sign
from gdlab.derivations._prover import NEG, NONNEG, NONPOS, POS, Region, Sign, sign

s = sp.Symbol("s", nonnegative=True)
half, third = sp.Rational(1, 2), sp.Rational(1, 3)

# (expr, open at 0, open at 1) -> (pos, nonneg, neg, nonpos)
CASES = [
    (s + 1, False, False, (True, True, False, False)),
    (s, False, False, (False, True, False, False)),  # root at the closed end 0
    (s, True, False, (True, True, False, False)),  # root at the open end 0
    (1 - s, False, True, (True, True, False, False)),  # root at the open end 1
    (s * (1 - s), False, False, (False, True, False, False)),
    (s * (1 - s), True, True, (True, True, False, False)),
    (s - third, False, False, (False, False, False, False)),  # simple root inside: both signs
    ((s - third) ** 2, False, False, (False, True, False, False)),  # double root inside
    (-((3 * s - 1) ** 2), True, True, (False, False, False, True)),
    (s**2 - half, False, False, (False, False, False, False)),  # irrational root inside
    ((s**2 - half) ** 2, False, False, (False, True, False, False)),  # irrational double root
    ((s - third) * (s - third - sp.Rational(1, 10**6)), False, False, (False,) * 4),
    ((s - third) ** 2 * (s - half) ** 2 + 1, False, False, (True, True, False, False)),
    (s**2 - 2, False, False, (False, False, True, True)),  # roots outside only
    (1 / s, True, False, (True, True, False, False)),  # pole at the open end
    ((s - 2) / (s + 1), False, False, (False, False, True, True)),
    ((s - third) ** 2 / (s + 1), False, False, (False, True, False, False)),
    # roots 1e-9 from an end (an isolating interval would need ~1e9 refinement steps)
    ((s - 1) * (s - 1 + sp.Rational(1, 10**9)) ** 2, False, False, (False, False, False, True)),
    (s * (s - sp.Rational(1, 10**9)) * (s - 1), True, True, (False,) * 4),
    (-s * (s - sp.Rational(1, 10**9)) ** 2, True, True, (False, False, False, True)),
    ((s**2 - half) ** 2 * (s - 1), False, True, (False, False, False, True)),
    (s**3 * (3 * s - 1) ** 3 * (s**2 - third) ** 2, False, False, (False,) * 4),
    # roots of s: s = u^L with L the lcm of the root orders, on the same interval
    (sp.sqrt(s) - 1, False, True, (False, False, True, True)),  # heavy_ball_rate's residual
    (sp.sqrt(s) - 1, False, False, (False, False, False, True)),
    (sp.sqrt(s) - s, False, False, (False, True, False, False)),
    (sp.sqrt(s) - s, True, True, (True, True, False, False)),
    (s ** sp.Rational(1, 3) - half, False, False, (False,) * 4),
    (1 / sp.sqrt(s) - 1, True, True, (True, True, False, False)),
    (s ** sp.Rational(2, 3) - sp.sqrt(s) + 1, False, False, (True, True, False, False)),
    # positive although its quartic numerator dips close to 0 (the solveset route missed it)
    (
        (s * (s - sp.Rational(4, 5)) ** 2 * (s - sp.Rational(3, 10)) + sp.Rational(1, 25))
        / ((3 - s) * (s + sp.Rational(1, 5))),
        True,
        True,
        (True, True, False, False),
    ),
]


@pytest.mark.parametrize(("expr", "open0", "open1", "expected"), CASES)
def test_unit_interval_sign_cases(expr, open0, open1, expected):
    assert unit_interval_sign(expr, s, open0, open1) == expected


@pytest.mark.parametrize(
    ("expr", "open0", "open1"),
    [
        (1 / s, False, False),  # pole at the closed end
        (1 / (s - half), True, True),  # pole inside
        ((2 * s - 1) / (4 * s - 2), False, False),  # removable, but undefined at 1/2
        (1 / (1 + 1 / (s - half)), False, False),  # undefined at 1/2 although together hides it
        (sp.sqrt(s + 1) - half, False, False),  # not a rational function of s or of a root
        (sp.sqrt(s) + sp.sqrt(s + 1), False, False),
        (1 / sp.sqrt(s), False, False),  # pole at the closed end, after s = u^2
        (sp.exp(s) - 2, False, False),
        (s - sp.sqrt(2) / 2, False, False),  # irrational coefficient
        (s - sp.pi / 4, False, False),
        (sp.Float(0.5) * s - 0.25, False, False),
        (s * sp.Symbol("t", positive=True), False, False),  # not univariate
    ],
)
def test_unit_interval_sign_declines(expr, open0, open1):
    assert unit_interval_sign(expr, s, open0, open1) is None


def _solveset_sign(expr, open0, open1):
    box = sp.Interval(0, 1, open0, open1)
    found = []
    for rel in (expr > 0, expr >= 0, expr < 0, expr <= 0):
        found.append(box.is_subset(sp.solveset(rel, s, sp.S.Reals)) is True)
    return tuple(found)


def _oracle(num, open0, open1):
    """The sign of ``num`` on the interval, from its exact real roots (CRootOf) and
    multiplicities (``num / den`` has its sign when ``den > 0`` on [0, 1])."""
    roots = {}
    for r in sp.real_roots(sp.Poly(num, s)):
        roots[r] = roots.get(r, 0) + 1
    inside = [r for r in roots if 0 < r < 1]
    if any(roots[r] % 2 for r in inside):
        return (False,) * 4  # a sign change inside
    x = next(x for x in (sp.Rational(k, 97) for k in range(1, 97)) if num.subs(s, x) != 0)
    positive = num.subs(s, x) > 0
    zero = bool(inside) or (0 in roots and not open0) or (1 in roots and not open1)
    return (positive and not zero, positive, not positive and not zero, not positive)


def test_unit_interval_sign_on_random_rational_functions():
    """Exact on random rational functions (checked against their exact real roots), and at
    least as strong as the four solveset calls it replaces, which miss some (e.g. a quartic
    numerator that stays positive)."""
    rng = random.Random(4)
    decided = compared = 0
    for _ in range(30):
        roots = [sp.Rational(rng.randint(-2, 12), 10) for _ in range(rng.randint(1, 3))]
        num = sp.Mul(*[(s - r) ** rng.randint(1, 2) for r in roots]) * rng.choice([1, -1])
        num += rng.choice([0, 0, sp.Rational(rng.randint(-3, 3), 50)])
        den = rng.choice([1, s + 2, s**2 + 1, (s + sp.Rational(1, 5)) * (3 - s)])  # > 0
        expr, ends = num / den, (rng.random() < 0.5, rng.random() < 0.5)
        fast = unit_interval_sign(expr, s, *ends)
        assert fast is not None, expr
        assert fast == _oracle(sp.expand(num), *ends), (expr, ends)
        if sp.degree(sp.expand(num), s) <= 2:  # solveset takes up to seconds on the others
            old = _solveset_sign(expr, *ends)
            assert all(f or not o for f, o in zip(fast, old, strict=True)), (expr, ends)
            compared += 1
        decided += fast != (False,) * 4
    assert decided >= 5 and compared >= 5


def test_prover_sign_uses_the_exact_method_and_still_falls_back(monkeypatch):
    calls = []
    exact = _prover.unit_interval_sign

    def spy(*args):
        calls.append(args)
        return exact(*args)

    monkeypatch.setattr(_prover, "unit_interval_sign", spy)
    _prover._unit_sign.cache_clear()

    def box():
        return Region(units={s: (False, False)})

    assert sign(s**2 - s + 1, box()) == POS  # irreducible over QQ: reaches the univariate step
    assert calls and calls[-1][0] == s**2 - s + 1
    assert not sign(s**2 - s + sp.Rational(1, 5), box()).decided  # two roots inside
    # not rational in s: the exact method declines and solveset decides, as before
    assert unit_interval_sign(sp.sqrt(s + 1) - 2, s, False, False) is None
    assert _prover._unit_sign(sp.sqrt(s + 1) - 2, s, False, False) == NEG
    assert _prover._unit_sign(sp.sqrt(s + 1) - 1, s, True, False) == POS
    assert _prover._unit_sign(sp.sqrt(s + 1) - 1, s, False, False) == NONNEG
    assert _prover._unit_sign(s - 1, s, False, False) == NONPOS
    assert _prover._unit_sign(s - sp.Rational(3, 2), s, False, False) == Sign(
        *[False, False, True, True]
    )


# --------------------------------------------------------------------------- zero test


a, b = sp.symbols("a b", real=True)
t = sp.Symbol("t", real=True)
F = sp.Function("F")


@pytest.mark.parametrize(
    "expr",
    [
        (a + b) ** 2 - a**2 - 2 * a * b - b**2,
        1 / (1 / a + 1 / b) - a * b / (a + b),
        (a**3 - b**3) / (a - b) - (a**2 + a * b + b**2),
        (a + 1) ** -3 * (a**2 + 2 * a + 1) * sp.cos(t) - sp.cos(t) / (a + 1),
        sp.sin(t) * (F(a) + 1) ** 2 - sp.sin(t) * (F(a) ** 2 + 2 * F(a) + 1),
        # sin^2 + cos^2 = 1, as the 2x2 eigenbasis (a rotation) needs it
        sp.sin(t) ** 2 + sp.cos(t) ** 2 - 1,
        a * sp.sin(t) ** 3 + a * sp.sin(t) * sp.cos(t) ** 2 - a * sp.sin(t),
        1 / (sp.sin(t) ** 2 + sp.cos(t) ** 2) - 1,
        (sp.cos(t) * a - sp.sin(t) * b) ** 2 + (sp.sin(t) * a + sp.cos(t) * b) ** 2 - a**2 - b**2,
        sp.sin(a) ** 4 - sp.cos(a) ** 4 - (sp.sin(a) ** 2 - sp.cos(a) ** 2) + 0 * sp.sin(t),
    ],
)
def test_rational_zero_proves_identities(expr):
    assert expr != 0
    assert rational_zero(expr)


def test_rational_zero_proves_the_cayley_transform_orthogonal():
    from gdlab.derivations.quadratic import orthogonal_matrix

    u = orthogonal_matrix(3)
    assert all(rational_zero(e) for e in u.T * u - sp.eye(3))
    assert not rational_zero((u.T * u - sp.eye(3))[0, 0] + a * 10**-9)


@pytest.mark.parametrize(
    "expr",
    [
        (a + b) ** 2 - a**2 - b**2,
        a / b - b / a,
        sp.sin(2 * t) - 2 * sp.sin(t) * sp.cos(t),  # true, but sin(2t) is another atom: declined
        sp.sin(t) ** 2 - sp.cos(t) ** 2,
        sp.sin(t) ** 2 + sp.cos(a) ** 2 - 1,  # different arguments
        # 1/2 where defined, and defined nowhere: its denominator reduces to 0
        (sp.sin(t) ** 2 + sp.cos(t) ** 2 - 1) / (2 * sp.sin(t) ** 2 + 2 * sp.cos(t) ** 2 - 2),
        sp.sqrt(a) * sp.sqrt(b) - sp.sqrt(a * b),  # not an identity for negative a, b
        1 / (a - b),
        sp.oo * a + b,
        sp.Rational(1, 10**30),
    ],
)
def test_rational_zero_never_calls_a_nonzero_zero(expr):
    assert not rational_zero(expr)


def test_rational_zero_gives_up_on_a_blown_up_denominator(monkeypatch):
    from gdlab.derivations import _exact

    x = sp.symbols("x0:6", real=True)
    fractions = sp.Add(*[1 / (1 + v) for v in x])
    expr = fractions - sp.together(fractions)
    assert expr != 0 and rational_zero(expr)
    monkeypatch.setattr(_exact, "_MAX_TERMS", 50)
    assert not rational_zero(expr)  # declined past the size bound: cancel decides it
    assert _prover.prove_zero(expr)[0]


def test_rational_zero_respects_noncommuting_factors():
    A, B = sp.symbols("A B", commutative=False)
    assert not rational_zero(A * B - B * A)
    assert not rational_zero(a * (A * B - B * A))


def test_prove_zero_still_falls_back_to_simplify():
    beta = sp.Symbol("beta", positive=True)
    n = sp.Symbol("n", integer=True, positive=True)
    expr = -beta * (1 - beta ** (n - 1)) + beta - beta**n  # adam_bias_correction's step 1
    assert not rational_zero(expr)
    assert _prover.prove_zero(expr)[0]
    assert _prover.prove_zero(sp.sin(2 * t) - 2 * sp.sin(t) * sp.cos(t))[0]
    assert not _prover.prove_zero(sp.sin(t) ** 2 - sp.cos(t) ** 2)[0]


# --------------------------------------------------------------------------- early stop


def test_goal_stops_once_nonnegativity_is_proved(monkeypatch):
    """A sum of non-negative terms is non-negative: the goal ">= 0" needs no factoring
    (newton_step(3) step 7, a squared norm, spent 1 s factoring in search of a strict sign)."""
    calls = []
    factor = _prover._factor

    def spy(expr):
        calls.append(expr)
        return factor(expr)

    monkeypatch.setattr(_prover, "_factor", spy)
    x, y = sp.symbols("x y", real=True)
    squares = (x * y - 3 * x + 2) ** 2 / (x**2 + 1) + (x + y - 1) ** 2 / (y**2 + 2)  # not expanded
    assert _prover.prove_nonneg(squares)[0]
    assert calls == []
    assert not _prover.prove_nonneg(squares, strict=True)[0]  # the full search, which factors
    assert calls


def test_an_early_partial_sign_is_not_memoised():
    expr = s**2 + (s - 1) ** 2  # > 0 on [0, 1], but each term alone only >= 0
    reg = Region(units={s: (False, False)})
    assert sign(expr, reg, enough=_prover._need_nonneg) == NONNEG
    assert sign(expr, reg) == POS
    assert sign(expr, reg, enough=_prover._need_nonneg) == POS  # the full answer, memoised


# --------------------------------------------------------------------------- quick proofs


def test_quick_zero_proof_is_the_first_step_of_the_full_one():
    identity = (a + b) ** 2 - a**2 - 2 * a * b - b**2
    assert _prover.prove_zero(identity, quick=True) == _prover.prove_zero(identity)
    assert _prover.prove_zero(identity, quick=True)[2] == "simplifies to 0"
    trig = sp.sin(2 * t) - 2 * sp.sin(t) * sp.cos(t)  # simplify proves it, the quick test not
    assert not _prover.prove_zero(trig, quick=True)[0] and _prover.prove_zero(trig)[0]
    matrix = sp.Matrix([identity, trig])
    assert not _prover.prove_zero(matrix, quick=True)[0] and _prover.prove_zero(matrix)[0]


def test_identities_proved_by_the_exact_test_are_not_sampled(monkeypatch):
    import gdlab.derivations as gd
    from gdlab.derivations import _refute
    from gdlab.derivations.core import check_step
    from gdlab.derivations.mutate import mutants

    calls = []
    refute = _refute.refute

    def spy(ob, *args, **kwargs):
        calls.append(ob.note)
        return refute(ob, *args, **kwargs)

    monkeypatch.setattr(_refute, "refute", spy)
    d = gd.quadratic_eigenbasis(2)
    result = check_step(d, 4)  # U^T (I - eta A) U = I - eta Lambda: a rotation, sin^2 + cos^2
    assert result.ok and result.how == "identity, entry by entry" and calls == []
    wrong = next(m for m in mutants(d, 4) if m.kind != "relation")
    result = check_step(wrong.derivation, 4)
    assert not result.ok and result.counterexample is not None and calls  # still sampled
    calls.clear()
    assert check_step(gd.descent_lemma(), 4).ok and calls  # an inequality: sampled first
