"""Exact decision procedures that are faster than SymPy's general-purpose ones.

Both are exact (no sampling, no floating point) and answer only when they can decide; the
prover falls back to ``cancel``/``simplify`` and ``solveset`` otherwise.

- :func:`rational_zero`: whether an expression is identically zero as a rational function of
  its atoms, by evaluating it bottom-up as a fraction of sparse polynomials over ZZ (no gcd, no
  global expansion of the unexpanded matrix products the checker builds).
- :func:`unit_interval_sign`: the sign of a univariate rational function with rational
  coefficients (of ``s`` or of a root of ``s``) on ``[0, 1]`` (either end open), from the real
  roots of its numerator, isolated over QQ, and its value at exact rational points between
  them.
"""

from __future__ import annotations

import math

import sympy as sp
from sympy.polys.domains import ZZ
from sympy.polys.orderings import lex
from sympy.polys.polyerrors import PolynomialError
from sympy.polys.rings import PolyRing

__all__ = ["rational_zero", "unit_interval_sign"]

#: refinement steps allowed to separate isolating intervals from 0, 1 and each other
_MAX_REFINE = 200
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


def _interior_roots(p: sp.Poly) -> list:
    """Disjoint isolating intervals ``[a, b]`` (rational, ``0 < a <= b < 1``, sorted, with gaps
    between them) of the distinct real roots of ``p`` strictly inside (0, 1)."""
    sqf = p.sqf_part()
    at0, at1 = sqf.eval(0) == 0, sqf.eval(1) == 0
    found = []
    for (a, b), _ in sqf.intervals(inf=0, sup=1):
        a, b = sp.Rational(a), sp.Rational(b)
        if a == b and (a == 0 and at0 or a == 1 and at1):
            continue  # an exact root at an end: decided by the caller
        found.append([a, b])
    found.sort()

    def refine(iv):
        if iv[0] == iv[1]:
            raise _Undecided  # cannot shrink a point; only possible at 0 or 1, handled above
        a, b = sqf.refine_root(iv[0], iv[1], steps=1)
        iv[0], iv[1] = sp.Rational(a), sp.Rational(b)

    for iv in found:
        steps = 0
        while iv[0] <= 0 or iv[1] >= 1:
            refine(iv)
            steps += 1
            if steps > _MAX_REFINE:
                raise _Undecided
    for left, right in zip(found, found[1:], strict=False):
        steps = 0
        while left[1] >= right[0]:
            for iv in (left, right):
                if iv[0] != iv[1]:
                    refine(iv)
            steps += 1
            if steps > _MAX_REFINE:
                raise _Undecided
    return found


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

    The numerator's distinct roots inside (0, 1) are isolated by rational intervals (Sturm
    sequences over QQ); between consecutive roots, and between the ends and the first and last
    root, ``expr`` has one sign, read at an exact rational point. ``expr`` is continuous on the
    interval, so it is ``>= 0`` there iff it is positive at every such point, and ``> 0`` iff
    moreover its numerator has no root in the interval (ends included when closed).
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
        roots = _interior_roots(p)
    except _Undecided:
        return None
    ends = [sp.S.Zero, *(x for iv in roots for x in iv), sp.S.One]
    points = [(ends[k] + ends[k + 1]) / 2 for k in range(0, len(ends), 2)]
    signs = []
    for x in points:
        px, qx = p.eval(x), q.eval(x)
        if px == 0 or qx == 0:  # pragma: no cover - excluded by the isolation above
            return None
        signs.append((px > 0) == (qx > 0))
    zero_inside = bool(roots) or (p.eval(0) == 0 and not open0) or (p.eval(1) == 0 and not open1)
    nonneg, nonpos = all(signs), not any(signs)
    return (nonneg and not zero_inside, nonneg, nonpos and not zero_inside, nonpos)
