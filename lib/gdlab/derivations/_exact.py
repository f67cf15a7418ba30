"""Exact decision procedures that are faster than SymPy's general-purpose ones.

Both are exact (no sampling, no floating point) and answer only when they can decide; the
prover falls back to ``cancel``/``simplify`` and ``solveset`` otherwise.

- :func:`rational_zero`: whether an expression is identically zero as a rational function of
  its atoms, by evaluating it bottom-up as a fraction of sparse polynomials over ZZ (no gcd, no
  global expansion of the unexpanded matrix products the checker builds).
- :func:`unit_interval_sign`: the sign of a univariate rational function with rational
  coefficients (of ``s`` or of a root of ``s``) on ``[0, 1]`` (either end open), from the
  number of real roots of its numerator's factors inside (Sturm sequences over QQ) and its
  value at an exact rational point.
"""

from __future__ import annotations

import math

import sympy as sp
from sympy.polys.domains import ZZ
from sympy.polys.orderings import lex
from sympy.polys.polyerrors import PolynomialError
from sympy.polys.rings import PolyRing

__all__ = ["rational_zero", "unit_interval_sign"]

#: terms a numerator or denominator may reach in the zero test before it gives up
_MAX_TERMS = 20_000
_SPECIAL = (sp.S.Infinity, sp.S.NegativeInfinity, sp.S.ComplexInfinity, sp.S.NaN)


class _Undecided(Exception):
    """The fast procedure does not apply; the caller falls back to the general one."""


# --------------------------------------------------------------------------- zero test


def _opaque(node) -> bool:
    """An atom of the rational function: anything but +, *, integer powers and rationals."""
    if node.is_Rational or node.is_Add or node.is_Mul:
        return False
    return not (node.is_Pow and node.exp.is_Integer)


def rational_zero(expr) -> bool:
    """Whether ``expr`` is identically zero as a rational function of its atoms.

    ``expr`` is read as a tree of sums, products and integer powers over rational numbers and
    *atoms* (symbols, function values, non-integer powers, other numbers). The tree is
    evaluated bottom-up as a pair (numerator, denominator) of polynomials over ZZ in the atoms,
    and the claim holds iff the numerator is the zero polynomial (every denominator is a
    product of non-zero polynomials). The atoms are independent indeterminates, except that
    ``sin(x)`` and ``cos(x)`` of the same ``x`` satisfy ``sin(x)^2 + cos(x)^2 = 1``: the
    numerator is then reduced modulo these relations (a Groebner basis in lex order with the
    sines first, their leading terms ``sin(x)^2`` being coprime), and the claim holds iff the
    remainder is zero while no inverted polynomial reduces to zero. Missing a relation can only
    miss an identity, never invent one, so ``True`` is a proof that ``expr == 0`` wherever it is
    defined and ``False`` means "not decided here". Used before ``cancel`` and ``simplify`` in
    the prover's equality test, at a fraction of their cost.
    """
    expr = sp.sympify(expr)
    if not isinstance(expr, sp.Expr) or not expr.is_commutative or expr.has(*_SPECIAL):
        return False
    found = []
    for node in sp.preorder_traversal(expr):
        if _opaque(node) and node not in found:
            found.append(node)
    if not found:
        return expr == 0
    trig: dict = {}
    for node in found:
        if isinstance(node, (sp.sin, sp.cos)):
            trig.setdefault(node.args[0], {})[type(node)] = node
    pairs = [(p[sp.sin], p[sp.cos]) for p in trig.values() if len(p) == 2]
    first = [sine for sine, _ in pairs]
    order = first + [node for node in found if node not in first]
    atoms = {node: k for k, node in enumerate(order)}
    ring = PolyRing([sp.Dummy(f"g{k}") for k in range(len(atoms))], ZZ, lex)
    gens = ring.gens
    one, memo, inverted = ring.one, {}, []

    def convert(node):
        done = memo.get(node)
        if done is not None:
            return done
        if node in atoms:
            out = (gens[atoms[node]], one)
        elif node.is_Rational:
            out = (ring(int(node.p)), ring(int(node.q)))  # integer coefficients: faster
        elif node.is_Add or node.is_Mul:
            if not node.is_commutative:
                raise _Undecided
            parts = [convert(a) for a in node.args]
            num, den = parts[0]
            for n, d in parts[1:]:
                if node.is_Mul:
                    num, den = num * n, den * d
                elif d == den:
                    num = num + n
                else:
                    q, r = den.div(d)
                    if not r:
                        num = num + n * q
                    else:
                        q, r = d.div(den)
                        if not r:
                            num, den = num * q + n, d
                        else:
                            num, den = num * d + n * den, den * d
            out = (num, den)
        else:  # an integer power
            n, d = convert(node.base)
            k = int(node.exp)
            if k < 0:
                if not n:
                    raise _Undecided  # 1/0: leave it to the general test
                inverted.append(n)
                n, d, k = d, n, -k
            out = (n**k, d**k)
        if len(out[0]) + len(out[1]) > _MAX_TERMS:
            raise _Undecided  # denominators multiplied without gcd: leave it to cancel
        memo[node] = out
        return out

    try:
        num, _ = convert(expr)
    except (_Undecided, RecursionError):
        return False
    if not num:
        return True
    if not pairs:
        return False
    basis = [gens[atoms[s]] ** 2 + gens[atoms[c]] ** 2 - 1 for s, c in pairs]
    return not num.rem(basis) and all(p.rem(basis) for p in inverted)


# --------------------------------------------------------------------------- univariate sign


def _poly(expr, s):
    try:
        p = sp.Poly(expr, s)
    except PolynomialError:
        raise _Undecided from None
    if not (p.domain.is_ZZ or p.domain.is_QQ):
        raise _Undecided
    return p.to_field()


def _vanishes_on(p: sp.Poly, open0: bool, open1: bool) -> bool:
    """Whether the polynomial ``p`` has a root in the interval from 0 to 1 (ends as given)."""
    if p.is_zero:
        return True
    at0, at1 = p.eval(0) == 0, p.eval(1) == 0
    interior = p.sqf_part().count_roots(0, 1) - at0 - at1
    return interior > 0 or (at0 and not open0) or (at1 and not open1)


def _roots_inside(p: sp.Poly) -> int:
    """The number of distinct roots of ``p`` in the open interval (0, 1) (Sturm sequences)."""
    sqf = p.sqf_part()
    return sqf.count_roots(0, 1) - (sqf.eval(0) == 0) - (sqf.eval(1) == 0)


def _odd_part(p: sp.Poly) -> sp.Poly:
    """The product of the square-free factors of ``p`` of odd multiplicity: where ``p`` changes
    sign."""
    out = sp.Poly(1, *p.gens, domain=p.domain)
    for factor, multiplicity in p.sqf_list()[1]:
        if multiplicity % 2:
            out *= factor
    return out


def _clear_roots(expr, s):
    """Write ``s = u^L`` so that every power ``s^(p/q)`` becomes ``u^(pL/q)``, an integer power.

    ``u -> u^L`` maps [0, 1] onto itself, increasing, with 0 and 1 fixed, so the ends keep
    their kind and a sign proved for ``u`` is proved for ``s``; and ``(u^L)^(p/q) = u^(pL/q)``
    for ``u >= 0``.
    """
    roots = {
        node
        for node in sp.preorder_traversal(expr)
        if node.is_Pow and node.base == s and node.exp.is_Rational and not node.exp.is_Integer
    }
    if not roots:
        return expr, s
    power = math.lcm(*(int(node.exp.q) for node in roots))
    u = sp.Dummy("u", nonnegative=True)
    mapping = {node: u ** (node.exp * power) for node in roots}
    mapping[s] = u**power
    return expr.xreplace(mapping), u


def unit_interval_sign(expr, s, open0: bool, open1: bool):
    """The sign of ``expr`` on the interval from 0 to 1 in ``s`` (each end open or closed).

    Returns ``(pos, nonneg, neg, nonpos)``, each proved exactly, or ``None`` when the method
    does not apply: ``expr`` is not a rational function of ``s`` (or of a root ``s^(1/q)``) with
    rational coefficients, is identically zero, or has a denominator (anywhere in its tree) that
    vanishes on the interval.

    With ``expr = p / q`` and ``q`` free of roots on the interval, ``expr`` is continuous there.
    It takes both signs iff ``p`` has a root of odd multiplicity inside (0, 1) (counted by Sturm
    sequences over QQ on the product of the odd-multiplicity square-free factors of ``p``).
    Otherwise its sign on (0, 1) is the one at an exact rational point that is not a root of
    ``p``, so by continuity ``expr >= 0`` (or ``<= 0``) on the interval; it is ``> 0`` iff
    moreover ``p`` has no root in the interval (ends included when closed).
    """
    expr = sp.sympify(expr)
    if expr.free_symbols != {s}:
        return None
    expr, s = _clear_roots(expr, s)
    try:
        for node in sp.preorder_traversal(expr):
            if node.is_Pow and node.exp.is_negative:
                if _vanishes_on(_poly(sp.fraction(sp.together(node.base))[0], s), open0, open1):
                    raise _Undecided  # a pole (or an undefined point) on the interval
        num, den = sp.fraction(sp.together(expr))
        p, q = _poly(num, s), _poly(den, s)
        if p.is_zero or _vanishes_on(q, open0, open1):
            return None
    except _Undecided:
        return None
    if _roots_inside(_odd_part(p)):
        return (False, False, False, False)  # p, and so expr, changes sign inside
    # p keeps one sign on (0, 1) (zero at its roots of even multiplicity) and q has no root
    # there: read both at a point that is not a root of p (one of deg + 1 points is not).
    points = (sp.Rational(k, p.degree() + 2) for k in range(1, p.degree() + 2))
    x = next(x for x in points if p.eval(x) != 0)
    positive = (p.eval(x) > 0) == (q.eval(x) > 0)
    zero_inside = (
        _roots_inside(p) > 0 or (p.eval(0) == 0 and not open0) or (p.eval(1) == 0 and not open1)
    )
    nonneg, nonpos = positive, not positive
    return (nonneg and not zero_inside, nonneg, nonpos and not zero_inside, nonpos)
