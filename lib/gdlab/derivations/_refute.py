"""Look for a counterexample to an obligation by evaluating it at sampled points.

This never proves anything; the checker does not use it. It explains a failure (a point where
the claim is false) and lets the mutation tests tell a false mutant from a weakened true one.
Points are drawn on the same box the prover uses, endpoints included, so tight spots are hit.
"""

from __future__ import annotations

import hashlib
import math
import random

import sympy as sp
from sympy.core.function import AppliedUndef

from . import _prover

__all__ = ["counterexample", "refute"]

_TOL = 1e-15


def _random_function(name: str):
    """A fixed smooth function of any number of arguments, seeded by its name."""
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    rng = random.Random(seed)
    coeffs = [(rng.uniform(0.5, 2), rng.uniform(-2, 2), rng.uniform(0, 3)) for _ in range(3)]

    def f(*args):
        x = sum((k + 1.3) * float(a) for k, a in enumerate(args))
        return sum(a * math.sin(b * x + c) for a, b, c in coeffs) + 0.1 * x * x

    return f


def _value(sym, rng: random.Random, positive_bias: bool = False):
    if sym.is_integer:
        low = 1 if sym.is_positive else (0 if sym.is_nonnegative else -3)
        return rng.randint(max(low, 0) if low >= 0 else low, 6)
    if sym.is_positive:
        return rng.choice([rng.lognormvariate(0, 1), rng.uniform(1e-3, 0.1), rng.uniform(0.5, 3)])
    if sym.is_nonnegative:
        return rng.choice([0.0, rng.lognormvariate(0, 1), rng.uniform(0, 0.2)])
    return rng.choice([rng.gauss(0, 1.5), 0.0, rng.uniform(-3, 3)])


def _evaluate(expr, values: dict):
    # Exact rationals in, 30 digits out: rounding can never pass for a counterexample.
    e = expr.xreplace({k: sp.Rational(v) for k, v in values.items()})
    if e.has(sp.Sum):
        e = e.doit()
    e = e.replace(
        lambda x: isinstance(x, AppliedUndef) and all(a.is_number for a in x.args),
        lambda x: sp.Rational(_random_function(type(x).__name__)(*x.args)),
    )
    return complex(sp.N(e, 30))


def refute(ob, samples: int = 40, seed: int = 0) -> dict | None:
    """A point where ``ob`` fails, or None if none was found in ``samples`` tries."""
    if ob.goal == "true":
        return None if ob.expr is sp.true else {"reason": ob.note}
    try:
        reg = _prover.region(ob.assume)
    except ValueError:
        return None
    expr = ob.expr
    entries = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    boxed = [reg.apply(e) for e in entries]
    rng = random.Random(seed)
    free = set()
    for e in boxed:
        free |= e.free_symbols
    for _ in range(samples):
        values = {}
        for sym in sorted(free, key=str):
            if sym in reg.units:
                open0, open1 = reg.units[sym]
                lo, hi = (1e-3 if open0 else 0.0), (1 - 1e-3 if open1 else 1.0)
                values[sym] = rng.choice([lo, hi, rng.uniform(lo, hi)])
            else:
                values[sym] = _value(sym, rng)
        for e in boxed:
            try:
                v = _evaluate(e, values)
            except (TypeError, ValueError, ZeroDivisionError, OverflowError, RecursionError):
                continue
            if not math.isfinite(v.real) or abs(v.imag) > 1e-9 * (1 + abs(v.real)):
                if ob.goal == "zero" and math.isfinite(abs(v)) and abs(v) > _TOL:
                    return _report(values, reg, v)
                continue
            x = v.real
            scale = 1 + abs(x)
            bad = (
                (ob.goal == "zero" and abs(x) > _TOL * scale)
                or (ob.goal == "nonneg" and x < -_TOL * scale)
                or (ob.goal == "pos" and x <= _TOL * scale)
            )
            if bad:
                return _report(values, reg, v)
    return None


def _report(values, reg, v) -> dict:
    point = {}
    for original, image in reg.substitution.items():
        try:
            point[str(original)] = float(
                image.xreplace({k: sp.Float(x) for k, x in values.items()})
            )
        except TypeError:
            continue
    for k, x in values.items():
        if not isinstance(k, sp.Dummy):
            point[str(k)] = x
    point["value"] = v.real if abs(v.imag) < 1e-12 else v
    return point


def counterexample(d, index: int, samples: int = 40) -> dict | None:
    """A point where some obligation of step ``index`` fails, or None."""
    from .core import obligations

    try:
        obs = obligations(d, index)
    except Exception:  # noqa: BLE001 - a step that cannot be stated has no counterexample
        return None
    for ob in obs:
        found = refute(ob, samples)
        if found is not None:
            return {"obligation": ob.note, **found}
    return None
