"""Proof methods for one obligation: an expression that must be zero, non-negative or positive.

Nothing here samples. An equality is proved by an exact zero test of rational functions
(:func:`._exact.rational_zero`), else by simplifying to zero. An inequality is proved by

1. mapping the assumed ranges onto a box: a symbol with two bounds becomes
   ``lo + (hi - lo) * s`` with ``s`` in ``[0, 1]``; with one bound, ``lo + u`` or ``hi - u`` with
   ``u >= 0`` (the image always covers the assumed region, so a proof on the box is a proof);
2. removing ``Abs``/``Max``/``Min`` by their sign, or by the cases their definition allows;
3. sign analysis: SymPy's assumptions, products and powers of signed factors, sums of signed
   terms, ``p - q`` with ``p, q >= 0`` signed like ``p^2 - q^2``, a factor linear in a box
   variable signed by its two endpoints, and a factor in one box variable: exactly from the
   real roots of a rational function (:func:`._exact.unit_interval_sign`), else by ``solveset``
   over its interval.

When none of these applies the obligation is reported as not proved, with its residual.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import sympy as sp
from sympy.core.function import AppliedUndef
from sympy.core.relational import Relational

from ._exact import rational_zero, unit_interval_sign

__all__ = ["Region", "Sign", "prove_nonneg", "prove_zero", "region", "sign", "sum_normal"]


# --------------------------------------------------------------------------- signs


@dataclass(frozen=True)
class Sign:
    """What is proved about the sign of an expression."""

    pos: bool = False
    nonneg: bool = False
    neg: bool = False
    nonpos: bool = False

    def __or__(self, other: Sign) -> Sign:
        return Sign(
            self.pos or other.pos,
            self.nonneg or other.nonneg or self.pos or other.pos,
            self.neg or other.neg,
            self.nonpos or other.nonpos or self.neg or other.neg,
        )

    @property
    def zero(self) -> bool:
        return self.nonneg and self.nonpos

    @property
    def decided(self) -> bool:
        return self.pos or self.neg or self.zero

    def flip(self) -> Sign:
        return Sign(self.neg, self.nonpos, self.pos, self.nonneg)


UNKNOWN = Sign()
ZERO = Sign(nonneg=True, nonpos=True)
POS = Sign(pos=True, nonneg=True)
NEG = Sign(neg=True, nonpos=True)
NONNEG = Sign(nonneg=True)
NONPOS = Sign(nonpos=True)


def _mul_sign(a: Sign, b: Sign) -> Sign:
    if a.zero or b.zero:
        return ZERO
    pos = (a.pos and b.pos) or (a.neg and b.neg)
    neg = (a.pos and b.neg) or (a.neg and b.pos)
    nonneg = pos or (a.nonneg and b.nonneg) or (a.nonpos and b.nonpos)
    nonpos = neg or (a.nonneg and b.nonpos) or (a.nonpos and b.nonneg)
    return Sign(pos, nonneg, neg, nonpos)


def _add_sign(signs: list[Sign]) -> Sign:
    nonneg = all(s.nonneg for s in signs)
    nonpos = all(s.nonpos for s in signs)
    return Sign(
        nonneg and any(s.pos for s in signs),
        nonneg,
        nonpos and any(s.neg for s in signs),
        nonpos,
    )


@dataclass
class Region:
    """The box a claim is checked on: unit variables in [0, 1], slack variables >= 0."""

    units: dict = field(default_factory=dict)  # symbol -> (open at 0, open at 1)
    substitution: dict = field(default_factory=dict)  # original symbol -> box expression
    equalities: dict = field(default_factory=dict)  # symbol -> value (from Eq assumptions)
    atoms: dict = field(default_factory=dict)  # non-symbol atom -> stand-in symbol
    notes: list = field(default_factory=list)
    # sign() results on this region, by (expression, depth, units at the time)
    signs: dict = field(default_factory=dict, repr=False, compare=False)

    def apply(self, expr):
        expr = substitute_equalities(expr, self.equalities)
        expr = _subs(expr, self.atoms)
        return _subs(expr, self.substitution)


def substitute_equalities(expr, equalities):
    """Substitute ``symbol = value`` assumptions until nothing changes (values may nest)."""
    for _ in range(8):
        new = _subs(expr, equalities)
        if new == expr:
            return new
        expr = new
    return expr


def _subs(expr, mapping):
    if not mapping:
        return expr
    if isinstance(expr, sp.MatrixBase):
        return sp.Matrix(expr.rows, expr.cols, [_subs(e, mapping) for e in expr])
    return expr.xreplace(mapping) if all(k.is_Symbol for k in mapping) else expr.subs(mapping)


def sign(expr, region: Region | None = None, depth: int = 0, enough=None) -> Sign:
    """Prove what can be proved about the sign of ``expr`` on ``region``'s box.

    ``enough`` (a predicate on :class:`Sign`) stops the search at this level once what the
    caller needs is proved; the result may then be weaker than the full analysis. The facts
    only accumulate, so a predicate that is true of the early result is true of the full one.
    """
    region = region or Region()
    expr = sp.sympify(expr)
    if depth > 12:
        return UNKNOWN
    # The result depends only on the expression, the depth (the recursion is cut at 12) and
    # the box variables; the same sub-expressions recur across the attempts below.
    key = (expr, depth, tuple(region.units.items()))
    found = region.signs.get(key)
    if found is None:
        done = _decided if enough is None else (lambda s: s.decided or enough(s))
        found = _sign(expr, region, depth, done)
        if enough is None:  # an early, partial answer is not memoised
            region.signs[key] = found
    return found


def _decided(s: Sign) -> bool:
    return s.decided


@lru_cache(maxsize=1024)
def _factor(expr):
    return sp.factor(expr)


def _sign(expr, region: Region, depth: int, done) -> Sign:
    if expr.is_number:
        if expr.is_zero:
            return ZERO
        if expr.is_positive:
            return POS
        if expr.is_negative:
            return NEG
        return UNKNOWN
    found = UNKNOWN
    if expr.is_positive:
        found |= POS
    elif expr.is_nonnegative:
        found |= NONNEG
    if expr.is_negative:
        found |= NEG
    elif expr.is_nonpositive:
        found |= NONPOS
    if done(found):
        return found
    if isinstance(expr, sp.Mul):
        total = POS
        for factor in expr.args:
            total = _mul_sign(total, sign(factor, region, depth + 1))
        found |= total
    elif isinstance(expr, sp.Pow):
        found |= _pow_sign(expr, region, depth)
    elif isinstance(expr, sp.Add):
        found |= _add_sign([sign(t, region, depth + 1) for t in expr.args])
        if not done(found):
            found |= _two_term_sign(expr, region, depth)
        if not done(found):
            found |= _linear_unit_sign(expr, region, depth)
        if not done(found):
            factored = _factor(expr)
            if factored != expr and not isinstance(factored, sp.Add):
                found |= sign(factored, region, depth + 1)
        if not done(found):
            num, den = sp.fraction(sp.together(expr))
            if den != 1:
                found |= _mul_sign(
                    sign(num, region, depth + 1), _inverse(sign(den, region, depth + 1))
                )
        if not done(found):
            found |= _univariate_sign(expr, region)
    return found


def _inverse(s: Sign) -> Sign:
    return Sign(s.pos, s.pos, s.neg, s.neg)


def _pow_sign(expr: sp.Pow, region: Region, depth: int) -> Sign:
    base, exp = expr.args
    sb = sign(base, region, depth + 1)
    if exp.is_integer and exp.is_even:
        if exp.is_positive:
            return POS if (sb.pos or sb.neg) else NONNEG
        return POS if (sb.pos or sb.neg) else UNKNOWN
    if exp.is_integer and exp.is_odd:
        return sb if exp.is_positive else _inverse(sb) | Sign(neg=sb.neg, nonpos=sb.neg)
    if sb.pos:
        return POS
    if sb.nonneg and exp.is_positive:
        return NONNEG
    return UNKNOWN


def _two_term_sign(expr: sp.Add, region: Region, depth: int) -> Sign:
    """``p - q`` with ``p, q >= 0`` has the sign of ``p^2 - q^2``."""
    if len(expr.args) != 2:
        return UNKNOWN
    a, b = expr.args
    sa, sb = sign(a, region, depth + 1), sign(b, region, depth + 1)
    if sa.nonneg and sb.nonpos:
        p, q = a, -b
    elif sb.nonneg and sa.nonpos:
        p, q = b, -a
    else:
        return UNKNOWN
    if not any(isinstance(x, sp.Pow) and not x.exp.is_integer for x in sp.preorder_traversal(expr)):
        return UNKNOWN
    diff = sp.expand(p**2 - q**2)
    if diff == expr:
        return UNKNOWN
    return sign(diff, region, depth + 1)


def _linear_unit_sign(expr, region: Region, depth: int) -> Sign:
    """A function linear in a box variable takes its extremes at the two endpoints."""
    for s, (open0, open1) in region.units.items():
        if not expr.has(s):
            continue
        poly = sp.expand(expr)
        if sp.diff(poly, s, 2) != 0 or poly.has(sp.Abs):
            continue
        at0 = sign(poly.subs(s, 0), region, depth + 1)
        at1 = sign(poly.subs(s, 1), region, depth + 1)
        ok0 = at0.pos or (open0 and at0.nonneg)
        ok1 = at1.pos or (open1 and at1.nonneg)
        neg0 = at0.neg or (open0 and at0.nonpos)
        neg1 = at1.neg or (open1 and at1.nonpos)
        return Sign(
            pos=ok0 and ok1 and (at0.pos or at1.pos),
            nonneg=at0.nonneg and at1.nonneg,
            neg=neg0 and neg1 and (at0.neg or at1.neg),
            nonpos=at0.nonpos and at1.nonpos,
        )
    return UNKNOWN


def _univariate_sign(expr, region: Region) -> Sign:
    free = expr.free_symbols
    if len(free) != 1:
        return UNKNOWN
    (s,) = free
    if s not in region.units:
        return UNKNOWN
    return _unit_sign(expr, s, *region.units[s])


@lru_cache(maxsize=2048)
def _unit_sign(expr, s, open0: bool, open1: bool) -> Sign:
    """The sign of ``expr``, a function of ``s`` alone, on ``s``'s interval: exactly from the
    roots of a rational function, else by ``solveset`` over the interval."""
    exact = unit_interval_sign(expr, s, open0, open1)
    if exact is not None:
        return Sign(*exact)
    box = sp.Interval(0, 1, open0, open1)
    found = UNKNOWN
    for rel, fact in ((expr > 0, POS), (expr >= 0, NONNEG), (expr < 0, NEG), (expr <= 0, NONPOS)):
        try:
            solved = sp.solveset(rel, s, sp.S.Reals)
        except (NotImplementedError, ValueError, TypeError):
            continue
        if box.is_subset(solved) is True:
            found |= fact
    return found


# --------------------------------------------------------------------------- regions


def _bounds_of(rel: Relational, region: Region) -> list:
    """Ways to read ``rel`` as (symbol, 'lower'|'upper', bound, strict), best first."""
    if isinstance(rel, sp.Eq):
        return []
    strict = isinstance(rel, (sp.StrictLessThan, sp.StrictGreaterThan))
    if isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan)):
        big, small = rel.lhs, rel.rhs
    else:
        big, small = rel.rhs, rel.lhs
    # big - small >= 0 (or > 0)
    out = []
    if small.is_Symbol and not big.has(small):
        out.append((small, "upper", big, strict))
    if big.is_Symbol and not small.has(big):
        out.append((big, "lower", small, strict))
    if out:
        return out
    diff = _factor(big - small)
    keep, flip = [], False
    for f in sp.Mul.make_args(diff):
        s = sign(f, region)
        if s.pos:
            continue
        if s.neg:
            flip = not flip
            continue
        keep.append(f)
    if len(keep) != 1:
        return []
    core = -keep[0] if flip else keep[0]
    for x in sorted(core.free_symbols, key=str, reverse=True):
        coeff = sp.diff(core, x)
        if coeff.has(x) or coeff == 0:
            continue
        rest = sp.expand(core - coeff * x)
        cs = sign(coeff, region)
        if cs.pos:
            out.append((x, "lower", sp.simplify(-rest / coeff), strict))
        elif cs.neg:
            out.append((x, "upper", sp.simplify(-rest / coeff), strict))
    return out


def _box_symbol(name: str, strict: bool, integer: bool = False) -> sp.Symbol:
    # Never pass positive=False: with nonnegative=True it would mean "zero".
    kind = {"positive": True} if strict else {"nonnegative": True}
    if integer:
        kind["integer"] = True
    return sp.Dummy(name, **kind)


def _assign_bounds(readings, reg: Region) -> dict:
    """Give each assumption to one symbol, at most one lower and one upper bound per symbol,
    with no circular dependency between bounds (depth-first search over the readings)."""

    def acyclic(bounds) -> bool:
        deps = {x: set().union(*(v.free_symbols for v, _ in e.values())) for x, e in bounds.items()}
        seen, done = set(), set()

        def visit(x) -> bool:
            if x in done:
                return True
            if x in seen:
                return False
            seen.add(x)
            ok = all(visit(y) for y in deps.get(x, ()) if y in deps)
            done.add(x)
            return ok

        return all(visit(x) for x in deps)

    def search(k, bounds):
        if k == len(readings):
            return bounds
        rel, options = readings[k]
        for x, kind, value, strict in options:
            if kind in bounds.get(x, {}):
                continue
            trial = {y: dict(e) for y, e in bounds.items()}
            trial.setdefault(x, {})[kind] = (value, strict)
            if acyclic(trial):
                found = search(k + 1, trial)
                if found is not None:
                    return found
        reg.notes.append(f"assumption {rel} not used: no free, acyclic reading")
        return search(k + 1, bounds)

    return search(0, {})


def region(assumptions, expr_symbols=()) -> Region:
    """Map the assumed ranges onto a box (see the module docstring)."""
    reg = Region()
    for rel in assumptions:
        if rel is sp.true:
            continue
        if isinstance(rel, sp.Eq):
            lhs, rhs = rel.lhs, rel.rhs
            if isinstance(lhs, sp.MatrixBase):
                for a, b in zip(lhs, rhs, strict=True):
                    reg.equalities[a] = b
            else:
                reg.equalities[lhs] = rhs
            continue
    readings = []
    for rel in assumptions:
        if rel is sp.true or isinstance(rel, sp.Eq):
            continue
        rel = substitute_equalities(rel, reg.equalities)
        if rel is sp.true:
            continue
        if rel is sp.false:
            raise ValueError("the assumptions contradict each other")
        for atom in sorted(rel.atoms(AppliedUndef), key=str):
            if atom not in reg.atoms:
                reg.atoms[atom] = sp.Dummy(f"a{len(reg.atoms)}", real=True)
        rel = rel.xreplace(reg.atoms)
        options = _bounds_of(rel, reg)
        if not options:
            raise ValueError(f"cannot read the assumption {rel} as a bound on one symbol")
        readings.append((rel, options))
    bounds = _assign_bounds(readings, reg)
    for x, entry in bounds.items():
        if len(entry) == 1 and ("lower" not in entry) and (x.is_nonnegative or x.is_positive):
            entry["lower"] = (sp.S.Zero, bool(x.is_positive))
    pending = dict(bounds)
    k = 0
    while pending:
        free_in_bounds = set()
        for entry in pending.values():
            for value, _ in entry.values():
                free_in_bounds |= value.free_symbols
        ready = [x for x in pending if x not in free_in_bounds]
        if not ready:
            raise ValueError(f"circular bounds among {sorted(map(str, pending))}")
        x = sorted(ready, key=str)[0]
        entry = pending.pop(x)
        lo, hi = entry.get("lower"), entry.get("upper")
        if lo and hi:
            s = _box_symbol(f"s{k}", strict=lo[1])
            reg.units[s] = (lo[1], hi[1])
            image = lo[0] + (hi[0] - lo[0]) * s
        else:
            bound = (lo or hi)[0]
            u = _box_symbol(
                f"u{k}", strict=(lo or hi)[1], integer=bool(x.is_integer and bound.is_integer)
            )
            image = lo[0] + u if lo else hi[0] - u
        k += 1
        for y in list(reg.substitution):
            reg.substitution[y] = reg.substitution[y].xreplace({x: image})
        reg.substitution[x] = image
    return reg


# --------------------------------------------------------------------------- proofs


def sum_normal(expr):
    """Merge finite sums over the same index: peel end terms so the limits agree, then add."""
    expr = sp.expand(expr)
    groups: dict = {}
    rest = []
    for term in sp.Add.make_args(expr):
        sums = [f for f in sp.Mul.make_args(term) if isinstance(f, sp.Sum)]
        if len(sums) != 1 or len(sums[0].limits) != 1:
            rest.append(term)
            continue
        (s,) = sums
        coeff = term / s
        (i, lo, hi) = s.limits[0]
        groups.setdefault(0, []).append((coeff, s.function, i, lo, hi))
    out = list(rest)
    for items in groups.values():
        i0 = sp.Dummy("i", integer=True)
        norm = [(c, f.xreplace({i: i0}), lo, hi) for c, f, i, lo, hi in items]
        lo0 = max((lo for _, _, lo, _ in norm), key=lambda v: _offset(v, norm[0][2]))
        hi0 = min((hi for _, _, _, hi in norm), key=lambda v: _offset(v, norm[0][3]))
        total = sp.S.Zero
        for c, f, lo, hi in norm:
            k_lo, k_hi = sp.simplify(lo0 - lo), sp.simplify(hi - hi0)
            if not (k_lo.is_Integer and k_hi.is_Integer and k_lo >= 0 and k_hi >= 0):
                return expr
            for j in range(int(k_lo)):
                out.append(c * f.xreplace({i0: lo + j}))
            for j in range(int(k_hi)):
                out.append(c * f.xreplace({i0: hi - j}))
            total += c * f
        summand = sp.simplify(sp.powsimp(sp.expand(total), force=False))
        if summand != 0:
            out.append(sp.Sum(summand, (i0, lo0, hi0)))
    return sp.Add(*out)


def normalize_sums(e):
    """Merge sums over equal ranges; evaluate what SymPy can (telescoping, constants)."""
    e = sum_normal(e)
    if e.has(sp.Sum):
        done = e.doit()
        if not done.has(sp.Piecewise):
            e = sum_normal(done)
    return e


def _offset(value, reference):
    diff = sp.simplify(value - reference)
    return diff if diff.is_number else 0


@lru_cache(maxsize=1024)
def _zero(e) -> bool:
    if e == 0 or rational_zero(e):
        return True
    for attempt in (sp.cancel, sp.expand, sp.simplify):
        try:
            if attempt(e) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError):  # pragma: no cover
            continue
    return False


def _eliminate_known_abs(e, reg: Region):
    """Replace ``Abs(x)`` (and ``Max``/``Min``) whose argument signs are proved."""
    changed = True
    while changed:
        changed = False
        for node in sp.preorder_traversal(e):
            if isinstance(node, sp.Abs):
                s = sign(node.args[0], reg)
                if s.nonneg or s.nonpos:
                    e = e.xreplace({node: node.args[0] if s.nonneg else -node.args[0]})
                    changed = True
                    break
    return e


def prove_zero(expr, assumptions=(), quick: bool = False) -> tuple[bool, object, str]:
    """Prove ``expr == 0`` (entrywise for a matrix). Returns (proved, residual, how).

    ``quick`` tries only the exact rational zero test on ``expr`` itself, the first test of the
    full method (no ``cancel``/``simplify``, no assumed ranges): what it proves, the full method
    proves in the same way, and what it does not prove is reported as not proved.
    """
    if isinstance(expr, sp.MatrixBase):
        results = []
        for e in expr:
            results.append(prove_zero(e, assumptions, quick))
            if quick and not results[-1][0]:
                return False, expr, "not proved by the quick test"
        ok = all(r[0] for r in results)
        residual = sp.Matrix(expr.shape[0], expr.shape[1], [r[1] for r in results])
        return ok, residual, "identity, entry by entry"
    reg = region(assumptions)
    e = sp.sympify(expr)
    e = substitute_equalities(e, reg.equalities)
    if e.has(sp.Sum):
        e = e.doit() if not _has_symbolic_sum(e) else normalize_sums(e)
    if quick:
        if e == 0 or rational_zero(e):  # what _zero(e) tries first
            return True, sp.S.Zero, "simplifies to 0"
        return False, e, "not proved by the quick test"
    if _zero(e):
        return True, sp.S.Zero, "simplifies to 0"
    boxed = _eliminate_known_abs(reg.apply(e), reg)
    if _zero(boxed):
        return True, sp.S.Zero, "simplifies to 0 on the assumed ranges"
    return False, e, "does not simplify to 0"


def _has_symbolic_sum(e) -> bool:
    return any(
        isinstance(s, sp.Sum)
        and any(not (lim[1].is_number and lim[2].is_number) for lim in s.limits)
        for s in sp.preorder_traversal(e)
    )


def _need_pos(s: Sign) -> bool:
    return s.pos


def _need_nonneg(s: Sign) -> bool:
    return s.nonneg


def _goal(e, strict: bool, reg: Region, depth: int = 0) -> bool:
    e = _eliminate_known_abs(e, reg)
    node = next(
        (n for n in sp.preorder_traversal(e) if isinstance(n, (sp.Abs, sp.Max, sp.Min))),
        None,
    )
    if node is None or depth > 6:
        need = _need_pos if strict else _need_nonneg
        return need(sign(e, reg, enough=need))
    d = sp.Dummy("d")
    linear = e.xreplace({node: d})
    coeff = sp.diff(linear, d)
    if coeff.has(d):
        return False
    sc = sign(coeff, reg)
    if isinstance(node, sp.Abs):
        options, kind = [node.args[0], -node.args[0]], "max"
    else:
        options, kind = list(node.args), ("max" if isinstance(node, sp.Max) else "min")
    lower_bounds = (kind == "max" and sc.nonneg) or (kind == "min" and sc.nonpos)
    upper_bounds = (kind == "max" and sc.nonpos) or (kind == "min" and sc.nonneg)
    results = (_goal(linear.xreplace({d: o}), strict, reg, depth + 1) for o in options)
    if lower_bounds:
        return any(results)
    if upper_bounds:
        return all(results)
    return False


def prove_nonneg(expr, assumptions=(), strict: bool = False) -> tuple[bool, object, str]:
    """Prove ``expr >= 0`` (``> 0`` if strict) under ``assumptions``; never by sampling."""
    reg = region(assumptions)
    e = sp.sympify(expr)
    e = substitute_equalities(e, reg.equalities)
    if e.has(sp.Sum):
        e = e.doit() if not _has_symbolic_sum(e) else normalize_sums(e)
    e = sp.expand(e) if e.is_polynomial() else e
    boxed = reg.apply(e)
    if _goal(boxed, strict, reg):
        return True, e, "sign analysis on the assumed ranges"
    simplified = sp.simplify(boxed)
    if simplified != boxed and _goal(simplified, strict, reg):
        return True, e, "sign analysis on the assumed ranges"
    return False, e, "sign not proved"
