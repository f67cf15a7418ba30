"""Systematic mutations of a step, to show that the checker can fail.

For a step, :func:`mutants` changes one thing at a time in the step's own expressions (its right
side, and its left side when it has one): each numeric coefficient ``c`` becomes ``c + 1`` and
``c - 1`` (sum limits and indices included; a term without a number has the coefficient 1,
which becomes 2 and 1/2), each exponent ``e`` becomes ``e + 1``, and the
relation is tightened or reversed (``=`` to ``<`` and ``>``, ``<=`` to ``<`` and ``>``, ``<`` to
``>=``). A mutant that weakens a true inequality is still true; the tests use
:func:`~gdlab.derivations._refute.counterexample` to tell the false mutants, which the checker
must reject, from those.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import sympy as sp
from sympy.matrices import MatrixBase

from .core import Derivation, Step

__all__ = ["Mutant", "mutants"]

_RELATION_MUTANTS = {
    "=": ("<", ">"),
    "<=": ("<", ">"),
    "<": (">=",),
    ">=": (">", "<"),
    ">": ("<=",),
}


@dataclass(frozen=True)
class Mutant:
    kind: str  # "coefficient", "exponent" or "relation"
    description: str
    derivation: Derivation
    index: int


def _positions(expr, path=(), in_exponent=False):
    """Yield (path, node, kind) for every numeric coefficient and every exponent."""
    if isinstance(expr, MatrixBase):
        for k, entry in enumerate(expr):
            yield from _positions(entry, (*path, ("entry", k)), in_exponent)
        return
    if not isinstance(expr, sp.Basic):
        return
    if isinstance(expr, sp.Number):
        if not in_exponent:
            yield path, expr, "coefficient"
        return
    if isinstance(expr, sp.Pow):
        yield path, expr, "exponent"
        yield from _positions(expr.base, (*path, 0), in_exponent)
        return
    if isinstance(expr, (sp.Derivative, sp.Subs)):
        yield from _positions(expr.args[0], (*path, 0), in_exponent)
        return
    if isinstance(expr, sp.Add) and not in_exponent:
        for k, arg in enumerate(expr.args):
            if not arg.is_number and arg.as_coeff_Mul()[0] == 1:
                yield (*path, k), arg, "implicit"
    for k, arg in enumerate(expr.args):
        yield from _positions(arg, (*path, k), in_exponent)


def _replace(expr, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(head, tuple):
        entries = list(expr)
        entries[head[1]] = _replace(entries[head[1]], rest, new)
        return type(expr)(expr.rows, expr.cols, entries)
    args = list(expr.args)
    args[head] = _replace(args[head], rest, new)
    return expr.func(*args)


def _expression_mutants(expr):
    """(kind, description, new expression) for each change of one coefficient or exponent.

    Terms written without a number have the implicit coefficient 1, changed to 2; so has a
    whole side that is a single product or symbol."""
    positions = list(_positions(expr))
    if isinstance(expr, sp.Basic) and not isinstance(expr, (sp.Add, sp.Number, sp.Set)):
        if not isinstance(expr, MatrixBase) and expr.as_coeff_Mul()[0] == 1:
            positions.append(((), expr, "implicit"))
    for path, node, kind in positions:
        if kind == "implicit":
            changes = [
                (2 * node, f"implicit coefficient 1 -> 2 on {node}"),
                (node / 2, f"implicit coefficient 1 -> 1/2 on {node}"),
            ]
            kind = "coefficient"
        elif kind == "coefficient":
            changes = [
                (node + 1, f"coefficient {node} -> {node + 1}"),
                (node - 1, f"coefficient {node} -> {node - 1}"),
            ]
        else:
            base, exp = node.args
            changes = [(sp.Pow(base, exp + 1), f"exponent {exp} -> {exp + 1} on {base}")]
        for new_node, text in changes:
            try:
                new = _replace(expr, path, new_node)
            except (TypeError, ValueError, AttributeError):
                continue
            if new != expr:
                yield kind, text, new


def mutants(d: Derivation, index: int) -> list[Mutant]:
    """Every single-change mutant of step ``index`` (1-based) of ``d``."""
    step: Step = d.steps[index - 1]
    out = []
    for side in ("rhs", "lhs"):
        expr = getattr(step, side)
        if expr is None:
            continue
        for kind, text, new in _expression_mutants(expr):
            changed = dataclasses.replace(step, **{side: new})
            out.append(Mutant(kind, f"{side}: {text}", d.replace_step(index, changed), index))
    for rel in _RELATION_MUTANTS[step.rel]:
        changed = dataclasses.replace(step, rel=rel)
        out.append(
            Mutant(
                "relation", f"relation {step.rel} -> {rel}", d.replace_step(index, changed), index
            )
        )
    return out
