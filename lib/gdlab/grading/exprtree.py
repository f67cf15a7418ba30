"""Rebuild a student's SymPy answer from plain data, in the grader's process.

A symbolic answer crosses the process boundary as a nested list ``[node, *children]`` (see
:func:`gdlab.grading.transport.encode_expr`). Here every node is checked against an
allow-list before anything is built: node names, symbol names, the size of integers, the
number of nodes and the depth. Strings are never parsed as code (no ``sympify``, no
``eval``); SymPy objects are constructed with ``evaluate=False`` so that building a tree
cannot trigger a costly simplification.

Answers are compared numerically with :func:`evaluate`, an evaluator over the validated tree
in mpmath that refuses intermediate results outside a fixed range, so that a crafted tower of
powers cannot make the grader run for hours.
"""

from __future__ import annotations

import re

import mpmath
import sympy

from gdlab.grading.transport import MAX_DEPTH, MAX_NODES

ALLOWED = {
    "Symbol": 1,
    "Dummy": 1,
    "Integer": 1,
    "Rational": 2,
    "Float": 1,
    "Pi": 0,
    "Exp1": 0,
    "Add": None,
    "Mul": None,
    "Pow": 2,
    "Max": None,
    "Min": None,
    "Abs": 1,
    "log": 1,
    "exp": 1,
    "ceiling": 1,
    "floor": 1,
    "Piecewise": None,
    "ExprCondPair": 2,
    "StrictLessThan": 2,
    "LessThan": 2,
    "StrictGreaterThan": 2,
    "GreaterThan": 2,
    "And": None,
    "Or": None,
    "BooleanTrue": 0,
    "BooleanFalse": 0,
}
# What the exercise pages list as allowed (names as a student writes them).
ALLOWED_FUNCTIONS = (
    "+ - * / **",
    "sp.sqrt",
    "sp.Abs",
    "sp.Max",
    "sp.Min",
    "sp.exp",
    "sp.log",
    "sp.ceiling",
    "sp.floor",
    "sp.Piecewise (conditions with <, <=, >, >=, & and |)",
    "sp.pi",
    "sp.E",
    "sp.Rational",
)
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,30}$")
_INTEGER = re.compile(r"^-?[0-9]{1,30}$")
_FLOAT = re.compile(r"^-?(?:[0-9]+\.?[0-9]*(?:e[-+]?[0-9]+)?|inf|nan)$")
_BUILD = {
    "Add": sympy.Add,
    "Mul": sympy.Mul,
    "Pow": sympy.Pow,
    "Max": sympy.Max,
    "Min": sympy.Min,
    "Abs": sympy.Abs,
    "log": sympy.log,
    "exp": sympy.exp,
    "ceiling": sympy.ceiling,
    "floor": sympy.floor,
    "StrictLessThan": sympy.StrictLessThan,
    "LessThan": sympy.LessThan,
    "StrictGreaterThan": sympy.StrictGreaterThan,
    "GreaterThan": sympy.GreaterThan,
    "And": sympy.And,
    "Or": sympy.Or,
}
_BOOLEAN = ("StrictLessThan", "LessThan", "StrictGreaterThan", "GreaterThan", "And", "Or")
_BOOLEAN += ("BooleanTrue", "BooleanFalse")


_Boolean = sympy.logic.boolalg.Boolean


def _is_condition(node) -> bool:
    """A relational or logical node (a Symbol is also a Boolean in SymPy: not a condition)."""
    return isinstance(node, _Boolean) and not isinstance(node, sympy.Expr)


# -- the proof notation (gdlab.proofs): its functions, built by the notation's own classes ------
PROOF_NODES = {
    "ProofF": 1,
    "ProofGrad": 1,
    "ProofHess": 1,
    "ProofNorm": 1,
    "ProofDot": 2,
    "ProofQuad": 2,
    "ProofIntegral": 2,
}
ALLOWED.update(PROOF_NODES)


def _proof_node(kind):
    def build(*args, evaluate=False):
        from gdlab.proofs import CLASSES  # imported on first use: the judges do not need it

        return CLASSES[kind](*args, evaluate=evaluate)

    return build


_BUILD.update({kind: _proof_node(kind) for kind in PROOF_NODES})


class ExprError(ValueError):
    """The data does not describe an expression the grader accepts."""


def rebuild(tree, symbols: dict[str, sympy.Symbol]) -> sympy.Expr:
    """The SymPy expression that ``tree`` describes, using only the given symbols.

    ``symbols`` maps each allowed name to the grader's own symbol (with the grader's
    assumptions); any other name is refused, with a message that lists the allowed ones.
    """
    count = 0

    def build(node, depth):
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise ExprError(f"the expression has more than {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise ExprError(f"the expression is nested more than {MAX_DEPTH} levels deep")
        if not isinstance(node, list) or not node or not isinstance(node[0], str):
            raise ExprError("malformed expression data")
        kind, args = node[0], node[1:]
        if kind not in ALLOWED:
            raise ExprError(f"the expression uses {kind[:40]!r}, which is not allowed here")
        arity = ALLOWED[kind]
        if arity is not None and len(args) != arity:
            raise ExprError(f"malformed {kind} node")
        if kind in ("Symbol", "Dummy"):
            name = args[0]
            if not isinstance(name, str) or not _NAME.match(name) or name not in symbols:
                shown = name[:30] if isinstance(name, str) else "?"
                if symbols:
                    allowed = ", ".join(sorted(symbols))
                    raise ExprError(
                        f"the answer uses the symbol {shown!r}, but this part allows only "
                        f"the symbols {allowed}"
                    )
                raise ExprError(
                    f"the answer uses the symbol {shown!r}, but this part asks for a number "
                    "(no symbols)"
                )
            return symbols[name]
        if kind == "Integer":
            return sympy.Integer(_integer(args[0]))
        if kind == "Rational":
            p, q = _integer(args[0]), _integer(args[1])
            if q == 0:
                raise ExprError("a rational number with denominator 0")
            return sympy.Rational(p, q)
        if kind == "Float":
            text = args[0]
            if not isinstance(text, str) or not _FLOAT.match(text.lower()):
                raise ExprError("malformed floating-point number")
            return sympy.Float(float(text))
        if kind == "Pi":
            return sympy.pi
        if kind == "Exp1":
            return sympy.E
        if kind == "BooleanTrue":
            return sympy.true
        if kind == "BooleanFalse":
            return sympy.false
        if kind == "Piecewise":
            pairs = []
            for arg in args:
                if not isinstance(arg, list) or not arg or arg[0] != "ExprCondPair":
                    raise ExprError("malformed Piecewise node")
                count += 1
                if len(arg) != 3:
                    raise ExprError("malformed ExprCondPair node")
                expr, cond = build(arg[1], depth + 2), build(arg[2], depth + 2)
                if not isinstance(expr, sympy.Expr) or not _is_condition(cond):
                    raise ExprError("malformed Piecewise node")
                pairs.append((expr, cond))
            if not pairs:
                raise ExprError("empty Piecewise node")
            return sympy.Piecewise(*pairs, evaluate=False)
        if kind == "ExprCondPair":
            raise ExprError("a condition outside a Piecewise")
        children = [build(arg, depth + 1) for arg in args]
        if not children:
            raise ExprError(f"empty {kind} node")
        boolean_args = kind in ("And", "Or")
        for child in children:
            if _is_condition(child) != boolean_args:
                raise ExprError(f"malformed {kind} node")
        return _BUILD[kind](*children, evaluate=False)

    return build(tree, 0)


def _integer(text) -> int:
    if not isinstance(text, str) or not _INTEGER.match(text):
        raise ExprError("integers in an answer are limited to 30 digits")
    return int(text)


# -- bounded numeric evaluation -----------------------------------------------------------------

LOG_RANGE = 10_000  # |log10| of any intermediate value must stay below this


class EvalError(ArithmeticError):
    """The expression is undefined, or too large to evaluate, at the given point."""


def evaluate(expr: sympy.Expr, values: dict[sympy.Symbol, object], dps: int = 40) -> mpmath.mpf:
    """The real value of a rebuilt expression at a point, in mpmath with ``dps`` digits.

    Only the node types of :data:`ALLOWED` are understood. Raises :class:`EvalError` for a
    complex or undefined value, or when an intermediate value leaves
    ``[10**-LOG_RANGE, 10**LOG_RANGE]`` in magnitude (zero is fine).
    """
    with mpmath.workdps(dps):
        return _eval(expr, {s: mpmath.mpf(v) for s, v in values.items()})


def _truth(cond, env) -> bool:
    """The value of a Piecewise condition at a point."""
    if cond is sympy.true:
        return True
    if cond is sympy.false:
        return False
    if isinstance(cond, sympy.And):
        return all(_truth(c, env) for c in cond.args)
    if isinstance(cond, sympy.Or):
        return any(_truth(c, env) for c in cond.args)
    compare = {
        sympy.StrictLessThan: lambda a, b: a < b,
        sympy.LessThan: lambda a, b: a <= b,
        sympy.StrictGreaterThan: lambda a, b: a > b,
        sympy.GreaterThan: lambda a, b: a >= b,
    }
    for kind, test in compare.items():
        if isinstance(cond, kind):
            return bool(test(_eval(cond.lhs, env), _eval(cond.rhs, env)))
    raise EvalError(f"cannot evaluate the condition {type(cond).__name__}")


def _check(x):
    if not isinstance(x, mpmath.mpf) or not mpmath.isfinite(x):
        raise EvalError("the expression is undefined or infinite there")
    if x != 0 and abs(mpmath.log10(abs(x))) > LOG_RANGE:
        raise EvalError("the expression is too large or too small to evaluate")
    return x


def _eval(node, env):
    if node.is_Symbol:
        if node not in env:
            raise EvalError(f"no value for {node}")
        return env[node]
    if node.is_Integer or node.is_Rational:
        return _check(mpmath.mpf(node.p) / node.q)
    if node.is_Float:
        return _check(mpmath.mpf(node))
    if node is sympy.pi:
        return +mpmath.pi
    if node is sympy.E:
        return +mpmath.e
    if isinstance(node, sympy.Piecewise):
        for expr, cond in node.args:
            if _truth(cond, env):
                return _eval(expr, env)
        raise EvalError("the Piecewise has no branch for this point")
    if _is_condition(node):
        raise EvalError("a condition where a number was expected")
    args = [_eval(a, env) for a in node.args]
    if isinstance(node, sympy.Add):
        return _check(mpmath.fsum(args))
    if isinstance(node, sympy.Mul):
        total = mpmath.mpf(1)
        for a in args:
            total = _check(total * a)
        return total
    if isinstance(node, sympy.Pow):
        base, power = args
        if base == 0:
            if power <= 0:
                raise EvalError("division by zero")
            return mpmath.mpf(0)
        if abs(power * mpmath.log10(abs(base))) > LOG_RANGE:
            raise EvalError("a power too large or too small to evaluate")
        if base < 0 and power != mpmath.floor(power):
            raise EvalError("a fractional power of a negative number")
        return _check(mpmath.power(base, power))
    if isinstance(node, sympy.Max):
        return max(args)
    if isinstance(node, sympy.Min):
        return min(args)
    if isinstance(node, sympy.Abs):
        return abs(args[0])
    if isinstance(node, sympy.exp):
        if abs(args[0]) > LOG_RANGE * 2.3:
            raise EvalError("exp of a number too large to evaluate")
        return _check(mpmath.exp(args[0]))
    if isinstance(node, sympy.log):
        if args[0] <= 0:
            raise EvalError("log of a non-positive number")
        return _check(mpmath.log(args[0]))
    if isinstance(node, sympy.ceiling):
        return _check(mpmath.ceil(args[0]))
    if isinstance(node, sympy.floor):
        return _check(mpmath.floor(args[0]))
    raise EvalError(f"cannot evaluate {type(node).__name__}")
