"""Display algebra: how a derivation's expressions look, and what they mean in components.

A step is written once, in the chapter's notation: vectors and matrices are non-commutative
SymPy symbols (``g`` printed as ``\\nabla f(w_t)``), norms, transposes and function values are
unevaluated functions that print as LaTeX. The checker never reasons about that notation
directly: :class:`Evaluator` turns an expression into *components* (a symbolic gradient
``(g_1, g_2, g_3)``, a symbolic symmetric matrix, an undefined function of the components),
and only those are simplified or bounded. What is printed is therefore exactly what is checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import reduce

import sympy as sp
from sympy.matrices import MatrixBase
from sympy.matrices.expressions import MatAdd, MatMul, MatrixExpr
from sympy.printing.latex import LatexPrinter

__all__ = [
    "Det",
    "Evaluator",
    "Expect",
    "Grad",
    "Norm",
    "SolutionSet",
    "Tr",
    "entrywise",
    "expect",
    "latex",
    "scalar_fn",
    "vec",
    "vector_fn",
]


def vec(name: str) -> sp.Symbol:
    """A vector or matrix symbol: non-commutative, so products keep their order."""
    return sp.Symbol(name, commutative=False)


class Norm(sp.Function):
    """Euclidean norm of a vector expression, printed as ``\\lVert x \\rVert_2``."""

    nargs = 1
    is_commutative = True
    is_real = True
    is_nonnegative = True

    def _latex(self, printer, exp=None):
        text = rf"\left\lVert {printer._print(self.args[0])} \right\rVert_2"
        return text if exp is None else f"{text}^{{{exp}}}"


class Tr(sp.Function):
    """Transpose of a vector or matrix expression, printed as ``x^\\top``."""

    nargs = 1

    def _latex(self, printer, exp=None):
        arg = self.args[0]
        inner = printer._print(arg)
        if not (arg.is_Symbol or isinstance(arg, AppliedFn)):
            inner = rf"\left({inner}\right)"
        text = inner + r"^\top"
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"


class Det(sp.Function):
    """Determinant of a matrix expression."""

    nargs = 1
    is_commutative = True

    def _latex(self, printer, exp=None):
        arg = self.args[0]
        inner = printer._print(arg)
        text = rf"\det {inner}" if arg.is_Symbol else rf"\det\left({inner}\right)"
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"


class Expect(sp.Function):
    """A conditional expectation ``E_t[x]`` (Section 4.6.3): linear, atomic otherwise."""

    nargs = 1

    def _latex(self, printer, exp=None):
        text = rf"\mathbb{{E}}_t\left[{printer._print(self.args[0])}\right]"
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"


class Grad(sp.Function):
    """Gradient of a scalar expression with respect to a vector symbol: ``\\nabla_x e``."""

    nargs = 2

    def _latex(self, printer, exp=None):
        expr, wrt = self.args
        return rf"\nabla_{{{printer._print(wrt)}}} {printer._print(expr)}"


class SolutionSet(sp.Function):
    """``{x in R : condition}``; its components are what ``solveset`` returns."""

    nargs = 2
    is_commutative = True

    def _latex(self, printer, exp=None):
        var, cond = self.args
        return (
            rf"\left\{{ {printer._print(var)} \in \mathbb{{R}} : {printer._print(cond)} \right\}}"
        )


class AppliedFn(sp.Function):
    """Base of named functions made by :func:`scalar_fn` and :func:`vector_fn`."""

    _tex = "?"

    def _latex(self, printer, exp=None):
        args = ", ".join(printer._print(a) for a in self.args)
        text = self._tex.replace("@", args)
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"


def scalar_fn(name: str, tex: str) -> type:
    """A real-valued function symbol. ``tex`` has ``@`` where the arguments go: ``"f(@)"``."""
    return type(name, (AppliedFn,), {"_tex": tex, "is_commutative": True, "nargs": None})


def vector_fn(name: str, tex: str) -> type:
    """A vector-valued function symbol (non-commutative), e.g. the gradient ``\\nabla f(@)``."""
    return type(name, (AppliedFn,), {"_tex": tex, "is_commutative": False, "nargs": None})


def expect(expr: sp.Expr, random: frozenset) -> sp.Expr:
    """Push ``E_t`` through ``expr`` by linearity: deterministic factors come out.

    ``random`` holds the symbols that are random given the past (e.g. the stochastic gradient
    and the next iterate). A product with a random part becomes the deterministic factors
    times ``E_t`` of the random part; the random part itself stays atomic.
    """
    if not expr.has(*random):
        return expr
    if isinstance(expr, sp.Add):
        return sp.Add(*[expect(a, random) for a in expr.args])
    if isinstance(expr, sp.Mul):
        comm, noncomm = expr.args_cnc()
        det = [f for f in comm if not f.has(*random)]
        rnd = [f for f in comm if f.has(*random)]
        hits = [k for k, f in enumerate(noncomm) if f.has(*random)]
        if hits and hits != list(range(hits[0], hits[-1] + 1)):
            raise ValueError(f"cannot take E_t of {expr}: random factors are not adjacent")
        if hits:
            before, inner, after = (
                noncomm[: hits[0]],
                noncomm[hits[0] : hits[-1] + 1],
                noncomm[hits[-1] + 1 :],
            )
            core = Expect(sp.Mul(*rnd, *inner))
            return sp.Mul(*det, *before, core, *after)
        return sp.Mul(*det, Expect(sp.Mul(*rnd)), *noncomm)
    return Expect(expr)


Components = Mapping[object, object]


class Evaluator:
    """Turn a display expression into components.

    ``components`` maps a display atom (a vector symbol, a display scalar such as
    ``kappa``, an ``Expect(...)`` term) to its value, which may itself be a display
    expression; and maps a function class (from :func:`scalar_fn`) to a callable on the
    evaluated arguments. A function without an entry becomes an undefined SymPy function
    of the flattened components, i.e. an arbitrary function.
    """

    def __init__(self, components: Components | None = None):
        self.components = dict(components or {})
        self._undef: dict[str, type] = {}

    def undefined(self, name: str) -> type:
        if name not in self._undef:
            self._undef[name] = sp.Function(name, real=True)
        return self._undef[name]

    def __call__(self, expr):
        return _scalarize(self._eval(expr))

    def _eval(self, e):
        comps = self.components
        if isinstance(e, MatrixBase):
            return entrywise(e, self)
        if isinstance(e, (sp.Basic,)) and not isinstance(e, type) and e in comps:
            value = comps[e]
            if isinstance(value, (sp.Basic, MatrixBase)) and value is not e:
                return self._eval(value)
            return value
        if isinstance(e, (int, float)):
            return sp.sympify(e)
        if isinstance(e, MatrixExpr):
            if isinstance(e, MatMul):
                return reduce(_mul, [self._eval(a) for a in e.args])
            if isinstance(e, MatAdd):
                return reduce(_add, [self._eval(a) for a in e.args])
            return self._eval(e.as_explicit())
        if e.is_Atom:
            return e
        if isinstance(e, sp.Add):
            return reduce(_add, [self._eval(a) for a in e.args])
        if isinstance(e, sp.Mul):
            return reduce(_mul, [self._eval(a) for a in e.args])
        if isinstance(e, sp.Pow):
            base, exp = self._eval(e.base), self._eval(e.exp)
            if isinstance(base, MatrixBase):
                if exp == -1:
                    return base.adjugate() / base.det()
                if exp.is_Integer and exp > 0:
                    return base**exp
                raise ValueError(f"unsupported matrix power {e}")
            return base**exp
        if isinstance(e, Norm):
            x = self._eval(e.args[0])
            return sp.sqrt(sum(v**2 for v in x)) if isinstance(x, MatrixBase) else sp.Abs(x)
        if isinstance(e, Tr):
            x = self._eval(e.args[0])
            return x.T if isinstance(x, MatrixBase) else x
        if isinstance(e, Det):
            return self._eval(e.args[0]).det()
        if isinstance(e, Grad):
            expr, wrt = e.args
            value = _scalarize(self._eval(expr))
            return sp.Matrix([sp.diff(value, x) for x in self._eval(wrt)])
        if isinstance(e, Expect):
            raise KeyError(f"no components given for {e}")
        if isinstance(e, SolutionSet):
            var, cond = e.args
            if cond in (sp.true, sp.false):
                return sp.S.Reals if cond is sp.true else sp.S.EmptySet
            cond = cond.func(self(cond.lhs), self(cond.rhs))
            return sp.solveset(cond, var, sp.S.Reals)
        if isinstance(e, AppliedFn):
            args = [self._eval(a) for a in e.args]
            handler = comps.get(type(e))
            if handler is not None:
                return handler(*args)
            flat = []
            for a in args:
                flat.extend(a) if isinstance(a, MatrixBase) else flat.append(a)
            return self.undefined(type(e).__name__)(*flat)
        if isinstance(e, sp.Derivative):
            return sp.diff(self(e.expr), *e.variables)
        if isinstance(e, sp.Subs):
            return sp.Subs(self(e.expr), e.variables, e.point).doit()
        if isinstance(e, sp.Sum):
            return sp.Sum(self(e.function), *e.limits)
        if isinstance(e, sp.Tuple):
            return sp.Tuple(*[self(a) for a in e.args])
        if isinstance(e, sp.core.relational.Relational):
            return e.func(self(e.lhs), self(e.rhs))
        return e.func(*[self(a) for a in e.args])


def entrywise(matrix, f):
    """``f`` applied to every entry. (``Matrix.applyfunc`` evaluates ``f`` once per distinct
    entry, and SymPy treats some distinct ``Subs`` objects as equal: it must not be used here.)"""
    return sp.Matrix(matrix.rows, matrix.cols, [f(v) for v in matrix])


def _scalarize(x):
    if isinstance(x, MatrixBase) and x.shape == (1, 1):
        return x[0, 0]
    return x


def _mul(a, b):
    return _scalarize(_scalarize(a) * _scalarize(b))


def _add(a, b):
    a, b = _scalarize(a), _scalarize(b)
    if isinstance(a, MatrixBase) != isinstance(b, MatrixBase):
        matrix, scalar = (a, b) if isinstance(a, MatrixBase) else (b, a)
        if scalar == 0:
            return matrix
        raise ValueError(f"cannot add a matrix and a scalar: {a} + {b}")
    return a + b


class _Printer(LatexPrinter):
    """SymPy's LaTeX printer, with no ``|`` anywhere (the output goes into Markdown tables)."""

    def _as_ordered_terms(self, expr, order=None):
        """Reading order: a leading ``1`` in ``1 - x``, values such as ``f(w_t)`` early, and
        positive terms before negative ones (otherwise SymPy's order)."""
        terms = list(super()._as_ordered_terms(expr, order=order))
        if not isinstance(expr, sp.Add):
            return terms
        any_negative = any(t.could_extract_minus_sign() for t in terms)

        def rank(term):
            negative = 1 if term.could_extract_minus_sign() else 0
            if term.is_number:
                return (negative, 0 if (any_negative and not negative) else 3)
            coeff, rest = term.as_coeff_Mul()
            if coeff in (1, -1) and (rest.is_Symbol or isinstance(rest, AppliedFn)):
                return (negative, 1)
            return (negative, 2)

        return sorted(terms, key=rank)

    def _print_Abs(self, expr, exp=None):
        text = rf"\left\lvert {self._print(expr.args[0])} \right\rvert"
        return text if exp is None else f"{text}^{{{exp}}}"

    def _print_Interval(self, i):
        left = "(" if i.left_open else "["
        right = ")" if i.right_open else "]"
        return rf"\left{left}{self._print(i.start)}, {self._print(i.end)}\right{right}"

    def _print_Subs(self, subs):
        expr, old, new = subs.args
        latex_expr = self._print(expr)
        pairs = ", ".join(
            f"{self._print(o)} = {self._print(n)}" for o, n in zip(old, new, strict=True)
        )
        return rf"\left. {latex_expr} \right\rvert_{{{pairs}}}"

    def _print_EmptySet(self, e):
        return r"\emptyset"


def latex(expr, names: Mapping | None = None) -> str:
    """LaTeX of a display expression, vector symbols named by ``names``."""
    printer = _Printer({"symbol_names": dict(names or {})})
    return printer.doprint(expr)


Handler = Callable[..., object]
