"""Derivations as data, and the checker that verifies every step.

A :class:`Derivation` is an ordered list of :class:`Step` s. A step states ``lhs rel rhs``;
a step without ``lhs`` continues the chain from the previous step's right side, as a printed
derivation does. Each step carries its justification (``why``), the assumptions in force
(``assume``) and, when it rests on a fact rather than on algebra, its premises: a stated fact
(:class:`Premise`, e.g. Eq. 4.9 at given points) or the result of earlier steps
(:class:`StepsResult`), possibly summed, renamed or taken in expectation.

:func:`check_step` turns a step into obligations (expressions that must be zero, non-negative
or positive, in components) and proves each with :mod:`._prover`. :func:`check` checks them all
and composes the result of the final chain.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sympy as sp

from . import _prover
from ._algebra import Evaluator, SolutionSet, expect, latex

__all__ = [
    "Cases",
    "Change",
    "Derivation",
    "DerivationError",
    "Induction",
    "Obligation",
    "Premise",
    "Report",
    "Step",
    "StepResult",
    "StepsResult",
    "chain_result",
    "check",
    "check_step",
    "obligations",
]

RELATIONS = ("=", "<=", "<", ">=", ">")
#: points tried before a proof is attempted (to reject false claims quickly, with a witness)
QUICK_SAMPLES = 8
_FLIP = {"=": "=", "<=": ">=", "<": ">", ">=": "<=", ">": "<"}


@dataclass(frozen=True)
class Premise:
    """A stated fact ``lhs rel rhs`` a step rests on, scaled by ``multiplier`` (>= 0)."""

    label: str
    lhs: Any
    rel: str
    rhs: Any
    multiplier: Any = 1


@dataclass(frozen=True)
class StepsResult:
    """The result of the chain ``first..last`` (1-based) of the same derivation, as a premise.

    Transformations, applied in this order: ``rename`` (pairs of display expressions, e.g.
    taking total expectation), ``expect`` (``E_t`` of both sides, by linearity), ``summed``
    (``(index, lower, upper)``: both sides summed), then ``multiplier``.
    """

    first: int
    last: int
    label: str = ""
    rename: tuple = ()
    expect: bool = False
    summed: tuple | None = None
    multiplier: Any = 1


@dataclass(frozen=True)
class Induction:
    """Prove ``lhs(n) = rhs(n)`` for integers ``n >= start`` by induction.

    ``rule`` gives the value at ``n`` from ``prev`` (the value at ``n - 1``); ``initial`` is the
    value at ``start - 1``. If ``lhs_defined``, the left side *is* the sequence defined by the
    rule; otherwise it is an expression that must satisfy the rule too.
    """

    var: sp.Symbol
    start: Any
    prev: sp.Symbol
    rule: Any
    initial: Any
    lhs_defined: bool = True


@dataclass(frozen=True)
class Cases:
    """Split on ``var <= at`` and ``var >= at``; the step must hold in both cases."""

    var: sp.Symbol
    at: Any


@dataclass(frozen=True)
class Change:
    """Change of variables ``old = new`` with ``var`` (declared positive) as the new variable.

    ``inverse`` expresses ``var`` in the old variables; the checker verifies it inverts the
    change and is positive under the step's assumptions, so the change covers the domain.
    """

    old: sp.Symbol
    new: Any
    var: sp.Symbol
    inverse: Any


@dataclass(frozen=True)
class Step:
    """One line of a derivation: ``lhs rel rhs``, why it holds, and what it assumes."""

    rhs: Any
    rel: str = "="
    lhs: Any = None
    why: str = "algebra"
    assume: tuple = ()
    premises: tuple = ()
    induction: Induction | None = None
    cases: Cases | None = None
    change: Change | None = None
    method: tuple | None = None  # ("monotone", x) or ("concave", x)

    def __post_init__(self):
        for side in ("lhs", "rhs"):
            value = getattr(self, side)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                object.__setattr__(self, side, sp.sympify(value))
        if self.rel not in RELATIONS:
            raise ValueError(f"rel must be one of {RELATIONS}, got {self.rel!r}")


@dataclass(frozen=True, eq=False)
class Derivation:
    """A checked derivation: steps plus what their symbols mean.

    ``names`` maps symbols to LaTeX; ``components`` maps display atoms to their components (see
    :class:`~gdlab.derivations._algebra.Evaluator`); ``random`` lists what is random given the
    past, for ``E_t``; ``where`` holds display definitions ``(lhs, rhs)`` printed above the
    table; ``result`` is the chain ``(first, last)`` whose composition is the conclusion
    (default: the last chain).
    """

    key: str
    title: str
    source: str
    section: str
    claim: str
    steps: tuple
    assume: tuple = ()
    where: tuple = ()
    names: Mapping = field(default_factory=dict)
    components: Mapping = field(default_factory=dict)
    random: frozenset = frozenset()
    result: tuple | None = None

    @property
    def label(self) -> str:
        return f"derivation-{self.key}"

    def replace_step(self, index: int, step: Step) -> Derivation:
        """A copy with step ``index`` (1-based) replaced."""
        steps = list(self.steps)
        steps[index - 1] = step
        return dataclasses.replace(self, steps=tuple(steps))

    def lhs_of(self, index: int):
        """The left side of step ``index``: its own, or the previous step's right side."""
        step = self.steps[index - 1]
        if step.lhs is not None:
            return step.lhs
        if index == 1:
            raise ValueError(f"{self.key}: step 1 has no left side")
        return self.steps[index - 2].rhs

    def tex(self, expr) -> str:
        return latex(expr, self.names)


class DerivationError(AssertionError):
    """A rendered derivation has a step that does not hold."""


@dataclass(frozen=True)
class Obligation:
    """What a step needs, in components: ``expr`` is zero / non-negative / positive."""

    expr: Any
    goal: str  # "zero", "nonneg", "pos", "true"
    assume: tuple = ()
    note: str = ""
    change: Change | None = None
    method: tuple | None = None


@dataclass(frozen=True)
class StepResult:
    index: int
    ok: bool
    how: str
    residual: Any = None
    failed: tuple = ()  # notes of the obligations not proved
    error: str | None = None
    counterexample: dict | None = None  # a point where the step is false, when one was found


@dataclass(frozen=True)
class Report:
    derivation: Derivation
    steps: tuple
    result: tuple | None
    result_error: str | None = None

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps) and self.result_error is None

    def failures(self) -> list[StepResult]:
        return [s for s in self.steps if not s.ok]

    def __str__(self) -> str:
        d = self.derivation
        lines = [f"{d.title} ({d.source}): {'verified' if self.ok else 'FAILED'}"]
        for s in self.steps:
            step = d.steps[s.index - 1]
            claim = f"{d.lhs_of(s.index)} {step.rel} {step.rhs}"
            if s.ok:
                lines.append(f"  step {s.index} ok ({s.how}): {claim}")
            else:
                lines.append(f"  step {s.index} FAILS: {claim}")
                lines.append(f"    because: {step.why}")
                lines.append(f"    residual: {s.residual}")
                lines.append(f"    {s.error or s.how}; not proved: {', '.join(s.failed)}")
                if s.counterexample:
                    lines.append(f"    counterexample: {s.counterexample}")
                assumed = [str(a) for a in (*d.assume, *step.assume)]
                lines.append(f"    assumptions: {', '.join(assumed) or 'none'}")
        if self.result_error:
            lines.append(f"  result: {self.result_error}")
        return "\n".join(lines)


# --------------------------------------------------------------------------- chains


def _compose(rels: list[str]) -> str:
    kinds = {r for r in rels if r != "="}
    if not kinds:
        return "="
    if kinds <= {"<=", "<"}:
        return "<" if "<" in kinds else "<="
    if kinds <= {">=", ">"}:
        return ">" if ">" in kinds else ">="
    raise ValueError(f"a chain mixes {sorted(kinds)}: it proves nothing")


def chain_result(d: Derivation, first: int, last: int) -> tuple:
    """``(lhs, rel, rhs)`` proved by the chain of steps ``first..last``."""
    for k in range(first + 1, last + 1):
        if d.steps[k - 1].lhs is not None:
            raise ValueError(f"{d.key}: steps {first}..{last} are not one chain (step {k})")
    rels = [d.steps[k - 1].rel for k in range(first, last + 1)]
    return d.lhs_of(first), _compose(rels), d.steps[last - 1].rhs


def default_result(d: Derivation) -> tuple[int, int]:
    if d.result is not None:
        return d.result
    start = max(k for k in range(1, len(d.steps) + 1) if d.steps[k - 1].lhs is not None)
    return start, len(d.steps)


# --------------------------------------------------------------------------- obligations


def _explicit_assumptions(ev: Evaluator, rels) -> tuple:
    out = []
    for rel in rels:
        lhs, rhs = ev(rel.lhs), ev(rel.rhs)
        if isinstance(rel, sp.Eq):
            if isinstance(lhs, sp.MatrixBase):
                out.extend(sp.Eq(a, b, evaluate=False) for a, b in zip(lhs, rhs, strict=True))
            else:
                out.append(sp.Eq(lhs, rhs, evaluate=False))
            continue
        value = rel.func(lhs, rhs)
        if value is sp.true:
            continue
        if value is sp.false:
            raise ValueError(f"assumption {rel} is false")
        out.append(value)
    return tuple(out)


def _premise_relation(d: Derivation, p) -> tuple:
    if isinstance(p, Premise):
        return p.lhs, p.rel, p.rhs, p.multiplier
    lhs, rel, rhs = chain_result(d, p.first, p.last)
    if p.rename:
        mapping = dict(p.rename)
        lhs, rhs = lhs.xreplace(mapping), rhs.xreplace(mapping)
    if p.expect:
        if rel not in ("=", "<=", ">="):
            rel = {"<": "<=", ">": ">="}[rel]
        lhs, rhs = expect(lhs, d.random), expect(rhs, d.random)
    if p.summed is not None:
        var, lo, hi = p.summed
        lhs, rhs = sp.Sum(lhs, (var, lo, hi)), sp.Sum(rhs, (var, lo, hi))
        if rel in ("<", ">"):
            rel = {"<": "<=", ">": ">="}[rel]
    return lhs, rel, rhs, p.multiplier


def _induction_obligations(d, ev, step, lhs, assume) -> list[Obligation]:
    ind = step.induction
    n, start = ind.var, sp.sympify(ind.start)
    out = []
    sides = [("right side", step.rhs)]
    if not ind.lhs_defined:
        sides.append(("left side", lhs))
    for name, side in sides:
        base = ev(side.subs(n, start)) - ev(ind.rule.subs({ind.prev: ind.initial}).subs(n, start))
        out.append(Obligation(_doit(base), "zero", assume, f"{name}: base case {n} = {start}"))
        following = ev(side) - ev(ind.rule.subs({ind.prev: side.subs(n, n - 1)}))
        out.append(Obligation(following, "zero", assume, f"{name}: step {n} - 1 to {n}"))
    return out


def _doit(e):
    if isinstance(e, sp.MatrixBase):
        return sp.Matrix(e.rows, e.cols, [_doit(v) for v in e])
    return e.doit() if isinstance(e, sp.Basic) and e.has(sp.Sum) else e


def _set_obligations(lhs_set, rel, rhs_set, assume) -> list[Obligation]:
    if rel in (">=", ">"):
        lhs_set, rhs_set, rel = rhs_set, lhs_set, _FLIP[rel]
    both = isinstance(lhs_set, sp.Interval) and isinstance(rhs_set, sp.Interval)
    if not both:
        same = lhs_set == rhs_set
        ok = same if rel in ("=", "<=") else False
        note = f"sets {'equal' if same else 'differ'}: {lhs_set} vs {rhs_set}"
        return [Obligation(sp.true if ok else sp.false, "true", assume, note)]
    if rel == "=":
        return [
            Obligation(lhs_set.start - rhs_set.start, "zero", assume, "left ends agree"),
            Obligation(lhs_set.end - rhs_set.end, "zero", assume, "right ends agree"),
            Obligation(
                sp.true
                if (lhs_set.left_open, lhs_set.right_open)
                == (rhs_set.left_open, rhs_set.right_open)
                else sp.false,
                "true",
                assume,
                "open/closed ends agree",
            ),
        ]
    start_goal = "pos" if (rhs_set.left_open and not lhs_set.left_open) else "nonneg"
    end_goal = (
        "pos" if (rel == "<" or (rhs_set.right_open and not lhs_set.right_open)) else "nonneg"
    )
    return [
        Obligation(lhs_set.start - rhs_set.start, start_goal, assume, "left end inside"),
        Obligation(rhs_set.end - lhs_set.end, end_goal, assume, "right end inside"),
    ]


def obligations(d: Derivation, index: int) -> list[Obligation]:
    """What step ``index`` (1-based) needs, in components."""
    step = d.steps[index - 1]
    ev = Evaluator(d.components)
    lhs = d.lhs_of(index)
    assume = _explicit_assumptions(ev, (*d.assume, *step.assume))
    if step.induction is not None:
        if step.rel != "=":
            return [Obligation(sp.false, "true", assume, "induction proves equalities only")]
        return _induction_obligations(d, ev, step, lhs, assume)
    if isinstance(lhs, (SolutionSet, sp.Set)) or isinstance(step.rhs, (SolutionSet, sp.Set)):
        return _set_obligations(ev(lhs), step.rel, ev(step.rhs), assume)
    rel, a, b = step.rel, lhs, step.rhs
    if rel in (">=", ">"):
        a, b, rel = b, a, _FLIP[rel]
    out: list[Obligation] = []
    premise_terms = []
    strict_from_premise = False
    for p in step.premises:
        plhs, prel, prhs, mult = _premise_relation(d, p)
        if prel in (">=", ">"):
            plhs, prhs, prel = prhs, plhs, _FLIP[prel]
        mult = sp.sympify(mult)
        if rel == "=" and prel != "=":
            return [
                Obligation(sp.false, "true", assume, "an equality cannot rest on an inequality")
            ]
        if prel == "=":
            premise_terms.append(mult * (ev(plhs) - ev(prhs)))
        else:
            premise_terms.append(mult * (ev(prhs) - ev(plhs)))
            goal = "pos" if (prel == "<" and rel == "<") else "nonneg"
            if mult != 1:
                out.append(Obligation(ev(mult), goal, assume, "premise multiplier sign"))
            strict_from_premise |= goal == "pos"
    if rel == "=":
        residual = _sub(ev(a), ev(b))
        for term in premise_terms:
            residual = _sub(residual, term)
        goal = "zero"
    else:
        residual = _sub(ev(b), ev(a))
        for term in premise_terms:
            residual = _sub(residual, term)
        goal = "pos" if (rel == "<" and not strict_from_premise) else "nonneg"
    if step.change is not None:
        c = step.change
        ok_inverse = sp.simplify(c.new.subs(c.var, c.inverse) - c.old) == 0
        out.append(
            Obligation(sp.true if ok_inverse else sp.false, "true", assume, "change inverts")
        )
        out.append(Obligation(c.inverse, "pos", assume, "change covers the domain"))
    if step.cases is not None:
        var, at = step.cases.var, ev(step.cases.at)
        for case in (var <= at, var >= at):
            out.append(
                Obligation(
                    residual, goal, (*assume, case), f"case {case}", step.change, step.method
                )
            )
    else:
        out.append(Obligation(residual, goal, assume, "main claim", step.change, step.method))
    return out


def _sub(a, b):
    if isinstance(a, sp.MatrixBase) and not isinstance(b, sp.MatrixBase) and b == 0:
        return a
    if isinstance(b, sp.MatrixBase) and not isinstance(a, sp.MatrixBase) and a == 0:
        return -b
    return a - b


# --------------------------------------------------------------------------- proving


def prove(ob: Obligation, quick: bool = False) -> tuple[bool, Any, str]:
    """Prove one obligation; returns (proved, residual, how).

    ``quick``: only an equality, and only by the exact rational zero test (see
    :func:`._prover.prove_zero`); anything else is reported as not proved.
    """
    if ob.goal == "true":
        return bool(ob.expr is sp.true), ob.expr, ob.note
    if quick and ob.goal != "zero":
        return False, ob.expr, "not proved by the quick test"
    expr, assume = ob.expr, ob.assume
    if ob.change is not None:
        c = ob.change
        expr = expr.subs(c.old, c.new) if not isinstance(expr, sp.MatrixBase) else expr
        assume = tuple(a.subs(c.old, c.new) for a in assume)
    if ob.goal == "zero":
        return _prover.prove_zero(expr, assume, quick)
    strict = ob.goal == "pos"
    if ob.method is not None:
        return _prove_by_method(expr, assume, strict, ob.method)
    return _prover.prove_nonneg(expr, assume, strict)


def _range_of(x, assume):
    lo = hi = None
    for rel in assume:
        if isinstance(rel, sp.Eq):
            continue
        if rel.lhs == x and not rel.rhs.has(x):
            if isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan)):
                lo = rel.rhs
            else:
                hi = rel.rhs
        elif rel.rhs == x and not rel.lhs.has(x):
            if isinstance(rel, (sp.GreaterThan, sp.StrictGreaterThan)):
                hi = rel.lhs
            else:
                lo = rel.lhs
    return lo, hi


def _prove_by_method(expr, assume, strict, method):
    """``monotone``: r(lo) >= 0 and r' >= 0. ``concave``: r(lo), r(hi) >= 0 and r'' <= 0."""
    kind, x = method
    assume = tuple(a for a in assume if isinstance(a, sp.core.relational.Relational))
    lo, hi = _range_of(x, assume)
    if lo is None and x.is_nonnegative:
        lo = sp.S.Zero
    rest = tuple(a for a in assume if not (a.has(x) and (a.lhs == x or a.rhs == x)))
    if lo is None or (kind == "concave" and hi is None):
        return False, expr, f"{kind}: no range for {x}"
    at_lo = sp.simplify(sp.limit(expr, x, lo, "+"))
    ok_lo, _, _ = _prover.prove_nonneg(at_lo, rest, strict)
    if kind == "monotone":
        ok_d, _, _ = _prover.prove_nonneg(sp.diff(expr, x), assume)
        return ok_lo and ok_d, expr, "value at the left end and a non-negative derivative"
    at_hi = sp.simplify(sp.limit(expr, x, hi, "-"))
    ok_hi, _, _ = _prover.prove_nonneg(at_hi, rest, strict)
    ok_dd, _, _ = _prover.prove_nonneg(-sp.diff(expr, x, 2), assume)
    return ok_lo and ok_hi and ok_dd, expr, "concave, non-negative at both ends"


def check_step(d: Derivation, index: int) -> StepResult:
    """Check step ``index`` (1-based) of ``d``."""
    step = d.steps[index - 1]
    try:
        obs = obligations(d, index)
    except Exception as error:  # noqa: BLE001 - any failure to state the step is a failure
        return StepResult(index, False, "could not be stated in components", error=repr(error))
    from ._refute import refute

    hows, failed, residual, found = [], [], None, None
    for ob in obs:
        # An identity of rational functions is proved at once by the exact zero test, which
        # the full proof below would try first anyway; sampling could not contradict it.
        quick = _quick_proof(ob)
        if quick is not None:
            hows.append(quick)
            continue
        # A few sampled points first: a false claim is rejected at once, with the point that
        # shows it. A claim is only ever accepted by a proof.
        point = refute(ob, samples=QUICK_SAMPLES) if _small(ob.expr) else None
        if point is not None:
            failed.append(ob.note)
            residual = ob.expr if residual is None else residual
            found = found or {"obligation": ob.note, **point}
            continue
        try:
            ok, res, how = prove(ob)
        except Exception as error:  # noqa: BLE001 - an obligation that errors is not proved
            ok, res, how = False, ob.expr, f"error: {error!r}"
        if ok:
            hows.append(how)
        else:
            failed.append(ob.note)
            residual = res if residual is None else residual
    how = _summary(step, hows)
    if failed:
        how = "false at a sampled point" if found else how
        return StepResult(
            index, False, how, residual=residual, failed=tuple(failed), counterexample=found
        )
    return StepResult(index, True, how)


def _quick_proof(ob: Obligation) -> str | None:
    """How ``ob`` is proved by :func:`prove` with ``quick=True``, or None."""
    if ob.goal != "zero":
        return None
    try:
        ok, _, how = prove(ob, quick=True)
    except Exception:  # noqa: BLE001 - the full route below reports what went wrong
        return None
    return how if ok else None


def _small(expr) -> bool:
    """Whether sampling is cheap next to proving (large matrices of rational functions are not)."""
    entries = list(expr) if isinstance(expr, sp.MatrixBase) else [expr]
    return sum(sp.count_ops(e) for e in entries if isinstance(e, sp.Basic)) < 300


def _summary(step: Step, hows) -> str:
    if step.induction is not None:
        return "induction: base case and step"
    if step.cases is not None:
        return "both cases"
    if step.method is not None:
        return hows[-1] if hows else step.method[0]
    if step.premises:
        return "follows from the premise" + ("s" if len(step.premises) > 1 else "")
    return hows[-1] if hows else ""


def check(d: Derivation) -> Report:
    """Check every step of ``d`` and compose its result."""
    cached = getattr(d, "_report", None)
    if cached is not None:
        return cached
    results = tuple(check_step(d, k) for k in range(1, len(d.steps) + 1))
    try:
        result = chain_result(d, *default_result(d))
        error = None
    except ValueError as exc:
        result, error = None, str(exc)
    report = Report(d, results, result, error)
    object.__setattr__(d, "_report", report)
    return report
