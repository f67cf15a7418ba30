"""Graded proofs: a proof written as a chain of steps, each step checked with SymPy.

A student writes a proof in a notebook cell as a goal and a list of steps. Each step is a
relation (``eq``, ``le``, ``lt``) to a new expression, with a justification picked from a short
menu of named facts (:data:`FACTS`)::

    from gdlab.proofs import Proof, eq, le, f, grad, dot, norm, integral, w, w_t, s, L
    from gdlab.proofs import algebra, ftc, cauchy_schwarz, smoothness, integral_monotone

    proof = Proof(
        goal=f(w) <= f(w_t) + dot(grad(w_t), w - w_t) + L / 2 * norm(w - w_t) ** 2,
        steps=[
            eq(f(w_t) + integral(dot(grad(w_t + s * (w - w_t)), w - w_t), s), by=ftc(w_t, w)),
            ...
        ],
        part="4.1.3p",
    )

Step 1 starts from the goal's left side; each later step from the previous step's expression;
the proof is accepted when every step holds and the last expression is the goal's right side.

**How a step is checked** (:func:`check_proof`). A fact cited at the points the student names
becomes a relation ``lhs rel rhs`` (Definition 4.1.2 at ``a, b`` is
``norm(grad(a) - grad(b)) <= L * norm(a - b)``). The step must use it: ``lhs`` is replaced by a
fresh unknown ``X`` in the step, the step's slack (right minus left) must be linear in ``X``
with a coefficient proved non-negative (so replacing ``lhs`` by the larger ``rhs`` is
allowed), and once ``X`` is replaced by ``rhs`` what is left must be proved by algebra: an
identity simplified to zero, or an inequality proved by sign analysis on the stated ranges
(:mod:`gdlab.derivations._prover`, never by sampling). Vectors are checked in components
(``w = (w_1, w_2)``; ``f``, ``grad f`` and the Hessian are arbitrary functions of them) and
integrals over ``s in [0, 1]`` are normalised (constants out, integrals of known functions
done); a step that bounds an integrand must cite :data:`integral_monotone`, which lets the
checker compare integrands pointwise.

A step that does not check is also *evaluated* on concrete ``L``-smooth functions
(``f(x) = 1/2 x^T A x + b^T x + beta cos(u^T x)`` with ``|A| + |beta| |u|^2 <= L``) and values of
the symbols: a point where it is false is reported as a counterexample; a step that holds
there but does not follow from the cited facts is refused with that reason.

:func:`review` renders a proof with a verdict per step as Markdown with MathJax math.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy as sp
from sympy.core.function import AppliedUndef

from gdlab.derivations import _prover
from gdlab.derivations._algebra import latex as _latex

__all__ = [
    "FACTS",
    "SETTINGS",
    "Fact",
    "Proof",
    "ProofReport",
    "Setting",
    "Step",
    "StepVerdict",
    "algebra",
    "cauchy_schwarz",
    "check_proof",
    "dot",
    "eq",
    "f",
    "ftc",
    "given",
    "grad",
    "hess",
    "hessian_bound",
    "integral",
    "integral_monotone",
    "le",
    "lt",
    "norm",
    "quad",
    "review",
    "smoothness",
    "smoothness_bound",
    "taylor",
    "triangle",
]

DIM = 2  # components of every vector in the algebra check
QUICK_SAMPLES = 15  # points tried before a step is proved (the wider search after: 60)


# --------------------------------------------------------------------------- display objects


def vector(name: str) -> sp.Symbol:
    """A vector symbol (non-commutative, so products keep their order)."""
    return sp.Symbol(name, commutative=False)


w = vector("w")
w_t = vector("w_t")
g = vector("g")  # the gradient at w_t in Problem 4.1.1
delta = vector("delta")
L = sp.Symbol("L", positive=True)
s = sp.Symbol("s", nonnegative=True)  # the segment variable, in [0, 1]
c = sp.Symbol("c", nonnegative=True)  # Taylor's intermediate point w_t + c (w - w_t), c in [0, 1]
eps = sp.Symbol("epsilon", positive=True)
alpha = sp.Symbol("alpha", positive=True)

# Problem 4.6.3(b): Theorem 4.6.2's bound with a batch of B examples
M = sp.Symbol("M", positive=True)  # f(w_1) - min f
T = sp.Symbol("T", positive=True)  # number of iterations
B = sp.Symbol("B", positive=True)  # batch size (the notebooks declare it positive)
G = sp.Symbol("G", positive=True)  # a bound on the gradient norm
gamma = sp.Symbol("gamma_1", positive=True)  # gamma_1: one-example standard deviation
sigma_B2 = sp.Symbol("sigma_B2", positive=True)  # sigma_B^2: second moment with batch B
# Problem 4.6.3(a): the mean of B independent draws, deviations X_i = g_i - grad f(w_t)
var_B = sp.Symbol("var_B", nonnegative=True)  # E |mean_i X_i|^2, the variance gamma_B^2
sum_sq = sp.Symbol("sum_sq", nonnegative=True)  # sum_i E |X_i|^2
cross = sp.Symbol("cross", real=True)  # sum_{i != j} E[X_i^T X_j]
cross_means = sp.Symbol("cross_means", real=True)  # sum_{i != j} E[X_i]^T E[X_j]

VECTORS = {"w": w, "w_t": w_t, "g": g, "delta": delta}
SCALARS = {
    "L": L,
    "s": s,
    "c": c,
    "epsilon": eps,
    "alpha": alpha,
    "M": M,
    "T": T,
    "B": B,
    "G": G,
    "gamma_1": gamma,
    "sigma_B2": sigma_B2,
    "var_B": var_B,
    "sum_sq": sum_sq,
    "cross": cross,
    "cross_means": cross_means,
}
TEX_NAMES = {
    w: "w",
    w_t: "w_t",
    g: r"\nabla f(w_t)",
    delta: r"\delta",
    eps: r"\epsilon",
    gamma: r"\gamma_1",
    sigma_B2: r"\sigma_B^2",
    var_B: r"\mathbb{E}\lVert \tfrac1B \textstyle\sum_i X_i \rVert^2",
    sum_sq: r"\textstyle\sum_i \mathbb{E}\lVert X_i \rVert^2",
    cross: r"\textstyle\sum_{i \ne j} \mathbb{E}[X_i^\top X_j]",
    cross_means: r"\textstyle\sum_{i \ne j} \mathbb{E}[X_i]^\top \mathbb{E}[X_j]",
}


def _split(v):
    """``v = coeff * rest`` with ``coeff`` the commutative (scalar) factor of a product."""
    v = sp.factor_terms(sp.expand(v))
    if _negative_first(v):
        coeff, rest = _split(-v)
        return -coeff, rest
    if isinstance(v, sp.Mul):
        comm, noncomm = v.args_cnc()
        if noncomm:
            return sp.Mul(*comm), sp.Mul(*noncomm)
    return sp.S.One, v


def _negative_first(v) -> bool:
    """Whether ``v`` reads better negated: a negative number in front, or a sum whose first term
    (in SymPy's order of the terms without their coefficients) has a negative coefficient.
    ``u - v`` and ``v - u`` thus get one canonical sign."""
    if isinstance(v, sp.Add):
        terms = [a.as_coeff_Mul() for a in v.args]
        coeff, _ = min(terms, key=lambda cm: sp.default_sort_key(cm[1]))
        return bool(coeff < 0)
    return v.as_coeff_Mul()[0] < 0


class _Fn(sp.Function):
    """Base of the proof notation's functions: real scalars printed in the chapter's notation."""

    is_commutative = True
    is_extended_real = True

    def _latex(self, printer, exp=None):
        text = self._tex(printer)
        return text if exp is None else rf"\left({text}\right)^{{{exp}}}"


def _expanded_args(cls, args):
    new = [sp.expand(a) for a in args]
    if new != list(args):
        return cls(*new)
    return None


class ProofF(_Fn):
    """The objective ``f`` at a point."""

    nargs = 1

    @classmethod
    def eval(cls, x):
        return _expanded_args(cls, (x,))

    def _tex(self, printer):
        return f"f({printer._print(self.args[0])})"


class _PointArray(sp.Function):
    """Base of the vector- and matrix-valued functions of one point, printed ``name(x)``."""

    nargs = 1
    is_commutative = False
    _latex_name = ""

    @classmethod
    def eval(cls, x):
        return _expanded_args(cls, (x,))

    def _latex(self, printer, exp=None):
        return rf"{self._latex_name}({printer._print(self.args[0])})"


class ProofGrad(_PointArray):
    """The gradient ``grad f`` at a point (a vector)."""

    _latex_name = r"\nabla f"


class ProofHess(_PointArray):
    """The Hessian of ``f`` at a point (a symmetric matrix)."""

    _latex_name = r"\nabla^2 f"


class ProofNorm(_Fn):
    """The Euclidean norm of a vector (of a scalar: its absolute value)."""

    nargs = 1
    is_nonnegative = True

    @classmethod
    def eval(cls, v):
        if v.is_commutative:
            return sp.Abs(v)
        coeff, rest = _split(v)
        if coeff != 1:
            if coeff.is_nonnegative:
                return coeff * cls(rest)
            if coeff.is_nonpositive:
                return -coeff * cls(rest)
        if rest != v:
            return cls(rest)
        return None

    def _tex(self, printer):
        return rf"\left\lVert {printer._print(self.args[0])} \right\rVert"

    def _latex(self, printer, exp=None):
        text = self._tex(printer)
        return text if exp is None else f"{text}^{{{exp}}}"


class ProofDot(_Fn):
    """The inner product ``u^T v`` of two vectors (symmetric, bilinear in scalar factors)."""

    nargs = 2

    @classmethod
    def eval(cls, u, v):
        cu, ru = _split(u)
        cv, rv = _split(v)
        if ru == 0 or rv == 0:
            return sp.S.Zero
        a, b = sorted((ru, rv), key=_dot_order)
        if cu * cv != 1 or (a, b) != (u, v):
            return cu * cv * cls(a, b)
        return None

    def _tex(self, printer):
        u, v = (printer._print(a) for a in self.args)
        u = u if self.args[0].is_Symbol or isinstance(self.args[0], ProofGrad) else rf"({u})"
        return rf"{u}^\top {_wrap(self.args[1], v)}"


def _wrap(arg, text):
    return text if (arg.is_Symbol or isinstance(arg, ProofGrad)) else rf"\left({text}\right)"


def _dot_order(v):
    """Canonical order of the factors of a dot product, gradients first (as the chapter writes
    ``grad f(w_t)^T (w - w_t)``), then vectors, then sums."""
    rank = 0 if (isinstance(v, ProofGrad) or v == g) else (1 if v.is_Symbol else 2)
    return (rank, sp.default_sort_key(v))


class ProofQuad(_Fn):
    """The quadratic form ``v^T H v`` of a matrix (the Hessian) and a vector."""

    nargs = 2

    @classmethod
    def eval(cls, h, v):
        cv, rv = _split(v)
        if rv == 0:
            return sp.S.Zero
        if cv != 1 or rv != v:
            return cv**2 * cls(h, rv)
        return None

    def _tex(self, printer):
        h, v = self.args
        vt = _wrap(v, printer._print(v))
        return rf"{vt}^\top {printer._print(h)}\, {vt}"


class ProofIntegral(_Fn):
    """``integral_0^1 e ds``: the integral over the segment variable, from 0 to 1."""

    nargs = 2

    @classmethod
    def eval(cls, e, var):
        if not e.has(var):
            return e
        if isinstance(e, sp.Mul):
            out = [a for a in e.args if not a.has(var)]
            if out:
                return sp.Mul(*out) * cls(sp.Mul(*[a for a in e.args if a.has(var)]), var)
        return None

    def _tex(self, printer):
        e, var = self.args
        return rf"\int_0^1 {printer._print(e)} \, d{printer._print(var)}"


Eq = sp.Eq  # an equality goal: Eq(lhs, rhs)
f = ProofF
grad = ProofGrad
hess = ProofHess
norm = ProofNorm
dot = ProofDot
quad = ProofQuad


def integral(e, var=s):
    """``integral_0^1 e d(var)``."""
    return ProofIntegral(sp.sympify(e), var)


#: the notation's classes by name (the grader rebuilds them from plain data)
CLASSES = {
    cls.__name__: cls
    for cls in (ProofF, ProofGrad, ProofHess, ProofNorm, ProofDot, ProofQuad, ProofIntegral)
}


# --------------------------------------------------------------------------- facts and steps


@dataclass(frozen=True)
class Fact:
    """A fact of the menu, cited at the points a student names (``args``)."""

    name: str
    args: tuple = ()

    def __call__(self, *args):
        if self.args or FACTS[self.name].arity == 0:
            raise ValueError(f"{self.name} takes no points")
        arity = FACTS[self.name].arity
        if len(args) != arity:
            raise ValueError(f"{self.name} is cited at {arity} points, got {len(args)}")
        return Fact(self.name, tuple(sp.sympify(a) for a in args))

    def tex(self) -> str:
        entry = FACTS[self.name]
        if not self.args:
            return entry.title
        at = ", ".join(f"${_tex(a)}$" for a in self.args)
        return f"{entry.title} at {at}"


@dataclass(frozen=True)
class Step:
    """One line of a proof: ``rel expr`` (from the previous expression), and why."""

    rel: str
    expr: object
    by: tuple

    def __post_init__(self):
        if self.rel not in ("=", "<=", "<"):
            raise ValueError(f"rel must be '=', '<=' or '<', got {self.rel!r}")
        by = self.by if isinstance(self.by, (list, tuple)) else (self.by,)
        for fact in by:
            if not isinstance(fact, Fact):
                raise ValueError(f"a step is justified by facts of the menu, got {fact!r}")
            if FACTS[fact.name].arity and not fact.args:
                raise ValueError(f"cite {fact.name} at its points: {fact.name}(...)")
        object.__setattr__(self, "by", tuple(by))
        object.__setattr__(self, "expr", sp.sympify(self.expr))


def eq(expr, by=None) -> Step:
    """A step ``= expr``."""
    return Step("=", expr, by if by is not None else (algebra,))


def le(expr, by=None) -> Step:
    """A step ``<= expr``."""
    return Step("<=", expr, by if by is not None else (algebra,))


def lt(expr, by=None) -> Step:
    """A step ``< expr``."""
    return Step("<", expr, by if by is not None else (algebra,))


_GOAL_RELS = {sp.Equality: "=", sp.LessThan: "<=", sp.StrictLessThan: "<"}


@dataclass(frozen=True)
class Proof:
    """A goal (``lhs <= rhs``, ``lhs < rhs`` or ``Eq(lhs, rhs)``) and the steps from its left
    side to its right side. ``part`` names the graded part, for :func:`review`."""

    goal: object
    steps: tuple
    part: str | None = None

    def __post_init__(self):
        goal = self.goal
        if isinstance(goal, tuple) and len(goal) == 3:
            lhs, rel, rhs = goal
        elif type(goal) in _GOAL_RELS:
            lhs, rel, rhs = goal.lhs, _GOAL_RELS[type(goal)], goal.rhs
        else:
            raise ValueError(f"the goal is a relation such as a <= b or Eq(a, b), got {goal!r:.80}")
        if rel not in ("=", "<=", "<"):
            raise ValueError(f"the goal's relation must be =, <= or <, got {rel!r}")
        object.__setattr__(self, "goal", (sp.sympify(lhs), rel, sp.sympify(rhs)))
        steps = tuple(self.steps)
        for st in steps:
            if not isinstance(st, Step):
                raise ValueError(f"each step is eq(...), le(...) or lt(...), got {st!r:.80}")
        object.__setattr__(self, "steps", steps)

    def _repr_markdown_(self) -> str:
        if self.part is None or self.part not in SETTINGS:
            return review(self, None).markdown
        return review(self, SETTINGS[self.part]).markdown


@dataclass(frozen=True)
class FactEntry:
    """A fact of the menu: its title, statement (LaTeX), arity and instances."""

    title: str
    statement: str
    arity: int
    instances: Callable | None = None  # args -> list of (lhs, rel, rhs)
    kind: str = "premise"  # "premise", "algebra", "monotone", "given"
    params: tuple = ("a", "b")  # the names of the points in the statement


def _smoothness(a, b):
    return [(norm(grad(a) - grad(b)), "<=", L * norm(a - b))]


def _cauchy_schwarz(u, v):
    return [
        (dot(u, v), "<=", norm(u) * norm(v)),
        (sp.Abs(dot(u, v)), "<=", norm(u) * norm(v)),
        (-dot(u, v), "<=", norm(u) * norm(v)),
    ]


def _ftc(a, b):
    return [(f(b), "=", f(a) + integral(dot(grad(a + s * (b - a)), b - a), s))]


def _taylor(a, b):
    return [
        (f(b), "=", f(a) + dot(grad(a), b - a) + quad(hess(a + c * (b - a)), b - a) / 2),
    ]


def _hessian_bound(x, v):
    return [(quad(hess(x), v), "<=", L * norm(v) ** 2)]


def _triangle(u, v):
    return [(norm(u + v), "<=", norm(u) + norm(v))]


def _bound_49(a, b):
    return [(f(a), "<=", f(b) + dot(grad(b), a - b) + L / 2 * norm(a - b) ** 2)]


FACTS: dict[str, FactEntry] = {
    "algebra": FactEntry("algebra", "rearranging, expanding, simplifying", 0, kind="algebra"),
    "given": FactEntry("given", "the problem's hypotheses", 0, kind="given"),
    "smoothness": FactEntry(
        "Definition 4.1.2",
        r"\lVert \nabla f(a) - \nabla f(b) \rVert \le L \lVert a - b \rVert",
        2,
        _smoothness,
    ),
    "hessian_bound": FactEntry(
        "Definition 4.1.2 (Hessian form)",
        r"v^\top \nabla^2 f(x)\, v \le L \lVert v \rVert^2$"
        r" (every eigenvalue of $\nabla^2 f(x)$ lies in $[-L, L]$)",
        2,
        _hessian_bound,
        params=("x", "v"),
    ),
    "cauchy_schwarz": FactEntry(
        "Cauchy–Schwarz",
        r"\lvert u^\top v \rvert \le \lVert u \rVert \lVert v \rVert",
        2,
        _cauchy_schwarz,
        params=("u", "v"),
    ),
    "ftc": FactEntry(
        "fundamental theorem of calculus along the segment",
        r"f(b) = f(a) + \int_0^1 \nabla f(a + s(b - a))^\top (b - a)\, ds",
        2,
        _ftc,
    ),
    "taylor": FactEntry(
        "Taylor's theorem (intermediate point)",
        r"f(b) = f(a) + \nabla f(a)^\top (b - a) + \tfrac12 (b - a)^\top \nabla^2 f(a + c(b - a))"
        r"\,(b - a)$ for some $c \in [0, 1]",
        2,
        _taylor,
    ),
    "triangle": FactEntry(
        "triangle inequality",
        r"\lVert u + v \rVert \le \lVert u \rVert + \lVert v \rVert",
        2,
        _triangle,
        params=("u", "v"),
    ),
    "integral_monotone": FactEntry(
        "monotonicity of the integral",
        r"g(s) \le h(s)$ for all $s \in [0, 1]$ gives $\int_0^1 g \le \int_0^1 h",
        0,
        kind="monotone",
    ),
    "expectation_linear": FactEntry(
        "linearity of expectation",
        r"\mathbb{E}\lVert \tfrac1B \sum_i X_i \rVert^2 = \tfrac{1}{B^2}\big(\sum_i "
        r"\mathbb{E}\lVert X_i \rVert^2 + \sum_{i \ne j} \mathbb{E}[X_i^\top X_j]\big)$ "
        r"(expand the square, then $\mathbb{E}$ of a sum is the sum of the $\mathbb{E}$",
        0,
        lambda: [(var_B, "=", (sum_sq + cross) / B**2)],
        kind="premise0",
    ),
    "independence": FactEntry(
        "independence",
        r"\mathbb{E}[X_i^\top X_j] = \mathbb{E}[X_i]^\top \mathbb{E}[X_j]$ for $i \ne j$ "
        r"(independent draws)",
        0,
        lambda: [(cross, "=", cross_means)],
        kind="premise0",
    ),
    "zero_mean": FactEntry(
        "zero mean",
        r"\mathbb{E}[X_i] = \mathbb{E}[g_i] - \nabla f(w_t) = 0",
        0,
        lambda: [(cross_means, "=", 0)],
        kind="premise0",
    ),
    "smoothness_bound": FactEntry(
        "the bound (4.9)",
        r"f(a) \le f(b) + \nabla f(b)^\top (a - b) + \tfrac{L}{2} \lVert a - b \rVert^2",
        2,
        _bound_49,
    ),
}

algebra = Fact("algebra")
given = Fact("given")
smoothness = Fact("smoothness")
hessian_bound = Fact("hessian_bound")
cauchy_schwarz = Fact("cauchy_schwarz")
ftc = Fact("ftc")
taylor = Fact("taylor")
triangle = Fact("triangle")
integral_monotone = Fact("integral_monotone")
smoothness_bound = Fact("smoothness_bound")
expectation_linear = Fact("expectation_linear")
independence = Fact("independence")
zero_mean = Fact("zero_mean")


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class Setting:
    """What a graded proof may use: the facts of its menu, the givens, the expected goal."""

    part: str
    title: str
    goal: tuple  # (lhs, rel, rhs): the statement to prove
    facts: tuple  # names of the facts of the menu
    given: tuple = ()  # (lhs, rel, rhs) hypotheses
    assume: tuple = ()  # ranges of the scalars (sympy relations)
    given_ranges: tuple = ()  # scalar hypotheses the prover may assume when "given" is cited
    forbidden: dict = field(default_factory=dict)  # fact name -> why it may not be cited
    sampler: str = "smooth"  # how counterexamples are drawn


_RANGES = (sp.Le(s, 1), sp.Le(c, 1))

SETTINGS: dict[str, Setting] = {}


def _register(setting: Setting) -> Setting:
    SETTINGS[setting.part] = setting
    return setting


BOUND_49 = (f(w), "<=", f(w_t) + dot(grad(w_t), w - w_t) + L / 2 * norm(w - w_t) ** 2)

_register(
    Setting(
        part="4.1.3p",
        title="the bound (4.9) from L-smoothness",
        goal=BOUND_49,
        facts=(
            "algebra",
            "ftc",
            "taylor",
            "smoothness",
            "hessian_bound",
            "cauchy_schwarz",
            "integral_monotone",
            "triangle",
        ),
        forbidden={"smoothness_bound": "it cites (4.9), the statement you are proving"},
    )
)
_register(
    Setting(
        part="4.1.1p",
        title="no step of length at most epsilon lowers the linear model more than -epsilon |g|",
        goal=(-eps * norm(g), "<=", dot(g, delta)),
        facts=("algebra", "given", "cauchy_schwarz", "triangle"),
        given=((norm(delta), "<=", eps),),
    )
)
_register(
    Setting(
        part="4.1.1q",
        title="the step -epsilon g / |g| attains the bound (Cauchy–Schwarz is tight)",
        goal=(dot(g, -eps * g / norm(g)), "=", -eps * norm(g)),
        facts=("algebra", "given", "cauchy_schwarz"),
    )
)


_register(
    Setting(
        part="4.6.3q",
        title="the variance of the mean of B independent draws is at most gamma_1^2 / B",
        goal=(var_B, "<=", gamma**2 / B),
        facts=("algebra", "given", "expectation_linear", "independence", "zero_mean"),
        given=((sum_sq, "<=", B * gamma**2),),
        sampler="scalars",
    )
)

T_NEEDED = 4 * M * L * (G**2 + gamma**2 / B) / eps**4

_register(
    Setting(
        part="4.6.3p",
        title="T(B, epsilon) iterations make Theorem 4.6.2's bound at most epsilon^2",
        goal=(2 * sp.sqrt(M * L * sigma_B2 / T), "<=", eps**2),
        facts=("algebra", "given"),
        given=((sigma_B2, "<=", G**2 + gamma**2 / B), (T, ">=", T_NEEDED)),
        sampler="scalars",
    )
)


# --------------------------------------------------------------------------- components


class _Components:
    """Display expressions to components: vectors of ``DIM`` real symbols, ``f`` and ``grad f``
    and the Hessian arbitrary (unrelated) functions of the components."""

    def __init__(self, normalize: bool = True):
        self.normalize = normalize
        self.vectors = {
            v: sp.Matrix([sp.Symbol(f"{name}_{k}", real=True) for k in range(1, DIM + 1)])
            for name, v in VECTORS.items()
        }
        self.F = sp.Function("F", real=True)
        self.G = [sp.Function(f"G{k}", real=True) for k in range(1, DIM + 1)]
        self.H = {
            (i, j): sp.Function(f"H{i}{j}", real=True)
            for i in range(1, DIM + 1)
            for j in range(i, DIM + 1)
        }

    def __call__(self, e):
        out = self._ev(e)
        if isinstance(out, sp.MatrixBase):
            raise ValueError(f"{_short_tex(e)} is a vector where a number is needed")
        return out

    def _ev(self, e):
        if e in self.vectors:
            return self.vectors[e]
        if e.is_Atom:
            if e.is_Symbol and not e.is_commutative:
                raise ValueError(f"unknown vector {e}")
            return e
        if isinstance(e, sp.Add):
            parts = [self._ev(a) for a in e.args]
            kinds = {isinstance(p, sp.MatrixBase) for p in parts}
            if len(kinds) > 1:
                raise ValueError(f"{_short_tex(e)} adds a vector and a number")
            out = parts[0]
            for p in parts[1:]:
                out = out + p
            return out
        if isinstance(e, sp.Mul):
            out = sp.S.One
            vectors = 0
            for a in e.args:
                v = self._ev(a)
                if isinstance(v, sp.MatrixBase):
                    vectors += 1
                    if vectors > 1:
                        raise ValueError(f"{_short_tex(e)} multiplies two vectors: write dot(u, v)")
                out = v * out if isinstance(v, sp.MatrixBase) else out * v
            return out
        if isinstance(e, sp.Pow):
            base = self._ev(e.base)
            if isinstance(base, sp.MatrixBase):
                raise ValueError(f"{_short_tex(e)} is a power of a vector: use norm(v)**2")
            return base ** self._ev(e.exp)
        if isinstance(e, sp.Abs):
            return sp.Abs(self(e.args[0]))
        if isinstance(e, ProofF):
            return self.F(*self._point(e.args[0]))
        if isinstance(e, ProofGrad):
            x = self._point(e.args[0])
            return sp.Matrix([G(*x) for G in self.G])
        if isinstance(e, ProofHess):
            x = self._point(e.args[0])
            m = sp.zeros(DIM, DIM)
            for (i, j), H in self.H.items():
                m[i - 1, j - 1] = m[j - 1, i - 1] = H(*x)
            return m
        if isinstance(e, ProofNorm):
            v = self._ev(e.args[0])
            if not isinstance(v, sp.MatrixBase):
                return sp.Abs(v)
            return sp.sqrt(sp.factor_terms(sum(x**2 for x in v)))
        if isinstance(e, ProofDot):
            u, v = (self._vec(a) for a in e.args)
            return sum(a * b for a, b in zip(u, v, strict=True))
        if isinstance(e, ProofQuad):
            h, v = self._ev(e.args[0]), self._vec(e.args[1])
            if not isinstance(h, sp.MatrixBase) or h.shape != (DIM, DIM):
                raise ValueError(f"{_short_tex(e)}: quad(H, v) needs a matrix such as hess(x)")
            return (v.T * h * v)[0, 0]
        if isinstance(e, ProofIntegral):
            body, var = e.args
            raw = sp.Integral(self(body), (var, 0, 1))
            return normalize_integrals(raw) if self.normalize else raw
        if isinstance(e, AppliedUndef) and e.func.__name__.startswith("_X"):
            return e
        if e.is_Function and e.is_commutative:
            return e.func(*[self(a) for a in e.args])
        raise ValueError(f"{_short_tex(e)} is not understood here")

    def _vec(self, a):
        v = self._ev(a)
        if not isinstance(v, sp.MatrixBase):
            raise ValueError(f"{_short_tex(a)} should be a vector")
        return v

    def _point(self, a):
        return list(self._vec(a))


def normalize_integrals(e):
    """Integrals over ``[0, 1]`` in a canonical form: constants out, known integrands done."""
    if not e.has(sp.Integral):
        return e
    e = e.replace(lambda x: isinstance(x, sp.Integral), _normal_integral)
    return sp.expand(e, deep=False)


def _normal_integral(integral_):
    body, (var, lo, hi) = integral_.function, integral_.limits[0]
    out = sp.S.Zero
    for term in sp.Add.make_args(sp.expand(body, deep=False)):
        const = [a for a in sp.Mul.make_args(term) if not a.has(var)]
        rest = [a for a in sp.Mul.make_args(term) if a.has(var)]
        k, r = sp.Mul(*const), sp.Mul(*rest)
        if not r.has(var):
            out += k * r * (hi - lo)
        elif not r.has(AppliedUndef):
            out += k * sp.integrate(r, (var, lo, hi))
        else:
            out += k * sp.Integral(r, (var, lo, hi))
    return out


def _pointwise(e, var):
    """``e`` with every integral over ``var`` in [0, 1] replaced by its integrand: the integral
    over [0, 1] of the result is ``e`` (constants integrate to themselves)."""
    return e.replace(
        lambda x: isinstance(x, sp.Integral) and x.limits[0][0] == var,
        lambda x: x.function,
    )


# --------------------------------------------------------------------------- checking


@dataclass(frozen=True)
class StepVerdict:
    """The verdict on one step: ``ok``, the reason shown to the student, a counterexample."""

    index: int
    ok: bool
    how: str
    counterexample: dict | None = None
    needs: str = ""


@dataclass(frozen=True)
class ProofReport:
    proof: Proof
    steps: tuple
    chain_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.chain_error is None and all(v.ok for v in self.steps) and bool(self.steps)

    def first_failure(self) -> StepVerdict | None:
        return next((v for v in self.steps if not v.ok), None)

    def message(self) -> str:
        """What the student reads: the first failing step, its reason and counterexample."""
        bad = self.first_failure()
        if self.chain_error and self.chain_error.startswith("the goal"):
            return self.chain_error
        if bad is not None:
            st = self.proof.steps[bad.index - 1]
            text = f"step {bad.index} ({st.rel} {_plain(st.expr)}) is refused: {bad.how}"
            if bad.counterexample:
                text += f" Counterexample: {_format_point(bad.counterexample)}."
            if bad.needs:
                text += f" {bad.needs}"
            return text
        if self.chain_error:
            return self.chain_error
        return "every step checks and the chain proves the goal"


def _plain(e) -> str:
    text = sp.sstr(e)
    replacements = {
        "ProofF": "f",
        "ProofGrad": "grad",
        "ProofHess": "hess",
        "ProofNorm": "norm",
        "ProofDot": "dot",
        "ProofQuad": "quad",
        "ProofIntegral": "integral",
        "epsilon": "eps",
    }
    for a, b in replacements.items():
        text = text.replace(a, b)
    return text if len(text) <= 200 else text[:197] + "..."


def _format_point(point: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in point.items())


def _rel_ok(goal_rel: str, rels: list[str]) -> bool:
    if goal_rel == "=":
        return all(r == "=" for r in rels)
    if goal_rel == "<":
        return "<" in rels
    return True


_COMPONENTS = _Components()
_RAW = _Components(normalize=False)  # integrals kept as written, for pointwise comparison


def check_proof(proof: Proof, setting: Setting) -> ProofReport:
    """Check every step of ``proof`` in ``setting`` and that the chain proves the goal."""
    if not isinstance(proof, Proof):
        raise ValueError(f"expected a Proof, got {type(proof).__name__}")
    lhs, rel, rhs = proof.goal
    verdicts = []
    prev = lhs
    refused = False
    for k, st in enumerate(proof.steps, start=1):
        if refused:
            # after the first refused step, only a sampled point is looked for: the student
            # fixes the first failure first, and proving the rest could only spend time
            point = find_counterexample(prev, st.rel, st.expr, setting)
            how = "the step is false." if point else "not checked: an earlier step is refused."
            verdicts.append(StepVerdict(k, False, how, point))
        else:
            verdicts.append(check_step(prev, st, setting, k))
            refused = not verdicts[-1].ok
        prev = st.expr
    chain_error = _chain_error(proof, setting)
    return ProofReport(proof, tuple(verdicts), chain_error)


def _same(a, b, setting: Setting) -> bool:
    if find_counterexample(a, "=", b, setting, samples=12) is not None:
        return False
    try:
        return _zero(_COMPONENTS(a) - _COMPONENTS(b), ())
    except Exception:  # noqa: BLE001 - an expression that cannot be compared is not the same
        return False


def _chain_error(proof: Proof, setting: Setting) -> str | None:
    lhs, rel, rhs = proof.goal
    glhs, grel, grhs = setting.goal
    if not proof.steps:
        return "the proof has no steps"
    if not (_same(lhs, glhs, setting) and _same(rhs, grhs, setting)):
        return f"the goal is not the statement to prove: prove {_plain(glhs)} {grel} {_plain(grhs)}"
    if grel == "=" and rel != "=":
        return "the statement is an equality; the goal must be one too"
    if grel == "<" and rel != "<":
        return "the statement is strict (<); the goal must be too"
    rels = [st.rel for st in proof.steps]
    if not _rel_ok(grel, rels):
        shown = ", ".join(rels)
        if grel == "=":
            return f"the chain ({shown}) proves only an inequality; the statement is an equality"
        return f"the chain ({shown}) has no strict step; the statement is strict"
    last = proof.steps[-1].expr
    if not _same(last, rhs, setting):
        return f"the chain ends at {_plain(last)}, not at the goal's right side {_plain(rhs)}"
    return None


def _fail(k, how, point=None, needs=""):
    return StepVerdict(k, False, how, point, needs)


def check_step(prev, st: Step, setting: Setting, k: int = 1) -> StepVerdict:
    """Check one step ``prev st.rel st.expr`` with its cited facts in ``setting``."""
    names = [fact.name for fact in st.by]
    for name in names:
        if name in setting.forbidden:
            return _fail(k, f"the step is circular: {setting.forbidden[name]}.")
        if name not in setting.facts:
            menu = ", ".join(setting.facts)
            return _fail(k, f"{FACTS[name].title} is not in this problem's menu ({menu}).")
    # A sampled point first: a false step is refused at once, with the point that shows it.
    # A step is only ever accepted by the proof below.
    point = find_counterexample(prev, st.rel, st.expr, setting, samples=QUICK_SAMPLES)
    if point is None:
        try:
            ok, how = _prove_step(prev, st, setting)
        except Exception as error:  # noqa: BLE001 - any failure to state the step refuses it
            ok, how = False, f"the step could not be checked: {error}"
        if ok:
            return StepVerdict(k, True, how)
        # not proved: a wider search tells a false step from an unjustified one
        point = find_counterexample(prev, st.rel, st.expr, setting, seed=1)
        if point is None:
            return _fail(k, how)
    reason = _structural_reason(st, setting, prev)
    return _fail(k, "the step is false." + (f" {reason}" if reason else ""), point, _needed(st))


def _structural_reason(st: Step, setting: Setting, prev) -> str:
    """Why a false step's justification cannot work, found without proving anything."""
    slack = st.expr - prev
    for fact in st.by:
        entry = FACTS[fact.name]
        if entry.instances is None:
            continue
        instances = entry.instances(*fact.args)
        if st.rel == "=" and any(r != "=" for _, r, _ in instances):
            return _equality_from_inequality(entry.title)
        if not any(slack.has(sp.sympify(a).as_coeff_Mul()[1]) for a, _, _ in instances):
            return _unused(fact, instances[0][0])
    return ""


def _equality_from_inequality(title: str) -> str:
    return (
        f"{title} is an inequality, and this step claims an equality (=): "
        "an inequality used where an equality is claimed."
    )


def _needed(st: Step) -> str:
    if st.rel == "=":
        return "If it is a bound, write le(...) and cite the fact that gives it."
    return "A true step here needs a different expression, or a fact that gives it."


def _premises(st: Step, setting: Setting):
    """(lhs, rel, rhs, optional) for every cited fact; optional premises may go unused."""
    out = []
    for fact in st.by:
        entry = FACTS[fact.name]
        if entry.kind == "given" and not setting.given_ranges:
            out.extend((a, r, b, True, "given") for a, r, b in setting.given)
        elif entry.instances is not None:
            instances = entry.instances(*fact.args)
            out.append(("any", instances, fact))
    return out


def _prove_step(prev, st: Step, setting: Setting) -> tuple[bool, str]:
    names = {fact.name for fact in st.by}
    if "given" in names and setting.given_ranges:
        setting = dataclasses.replace(setting, assume=(*setting.assume, *setting.given_ranges))
    monotone = "integral_monotone" in names
    premises = _premises(st, setting)
    if st.rel == "=":
        for p in premises:
            if p[0] == "any" and any(r != "=" for _, r, _ in p[1]):
                return False, _equality_from_inequality(FACTS[p[2].name].title)
        if monotone:
            return False, "monotonicity of the integral gives a bound (<=), not an equality."
    slack = (st.expr - prev) if st.rel != "=" else (prev - st.expr)
    # Equalities first: replace their left sides by their right sides everywhere.
    ineqs = []
    for p in premises:
        if p[0] == "any":
            instances, fact = p[1], p[2]
            eqs = [(a, b) for a, r, b in instances if r == "="]
            if eqs:
                a, b = eqs[0]
                if not slack.has(a):
                    return False, _unused(fact, a)
                slack = slack.xreplace({a: b})
            else:
                ineqs.append((list(instances), fact))
        else:
            a, r, b, _, _ = p
            if r == "=":
                slack = slack.xreplace({a: b})
            else:
                ineqs.append(([(a, r, b)], None))
    if st.rel == "=":
        ok = _zero(_COMPONENTS(slack), (*_RANGES, *setting.assume))
        if ok:
            return True, "identity"
        return False, _why_not(names, "the two sides are not equal")
    return _prove_bound(slack, ineqs, st, setting, monotone, names)


def _unused(fact: Fact, atom) -> str:
    return (
        f"the step does not use {fact.tex()}: it has no "
        f"{_plain(atom)}. Check the points you named (a fact cited at the wrong points)."
    )


def _why_not(names, base: str) -> str:
    if names <= {"algebra"}:
        return f"{base} by algebra alone; which fact does the step use?"
    cited = ", ".join(FACTS[n].title for n in sorted(names))
    if all(FACTS[n].arity == 0 for n in names):
        return f"{base} from {cited}; which other fact does the step use?"
    return (
        f"{base} from {cited} at the points you named: check the points, "
        "or the fact the step needs."
    )


def _forms(instances):
    """Each instance ``k * atom <= rhs`` as ``(atom, kind, bound)``: ``atom <= rhs / k`` is an
    upper bound for ``k > 0``, a lower bound ``atom >= rhs / k`` for ``k < 0``."""
    out = []
    for lhs, rel, rhs in instances:
        k, atom = sp.sympify(lhs).as_coeff_Mul()
        upper = (k > 0) == (rel in ("<=", "<"))
        out.append((atom, "upper" if upper else "lower", rhs / k))
    return out


def _prove_bound(slack, ineqs, st, setting, monotone, names) -> tuple[bool, str]:
    """``slack >= 0`` (``> 0`` for ``<``) using the inequality premises ``ineqs``."""
    options = []
    for forms, fact in ineqs:
        hits = [form for form in _forms(forms) if slack.has(form[0])]
        if not hits:
            if fact is None:
                continue  # a given that this step does not use
            return False, _unused(fact, forms[0][0])
        options.append([(form, fact) for form in hits])
    first = None
    for combo in itertools.product(*options):
        ok, how = _bound_with(slack, combo, st, setting, monotone, names)
        if ok:
            return ok, how
        first = first or how
    return False, first


def _bound_with(slack, combo, st, setting, monotone, names) -> tuple[bool, str]:
    strict = st.rel == "<"
    assume = (*_RANGES, *setting.assume)
    chosen = []
    for k, ((a, kind, b), fact) in enumerate(combo):
        if not slack.has(a):
            return False, _unused(fact, a) if fact is not None else "a given is not used"
        if a.has(s):
            atom = sp.Function(f"_X{k}", real=True)(s)
        else:
            atom = sp.Dummy(f"X{k}", **({"positive": True} if a.is_positive else {"real": True}))
        slack = slack.xreplace({a: atom})
        chosen.append((atom, kind, b, fact))
    inside = any(_in_integral(slack, atom) for atom, _, _, _ in chosen)
    if inside and not monotone:
        return False, "the step bounds an integrand: cite monotonicity of the integral as well."
    if inside:
        r = _expand(_RAW(slack))
        if not _linear_in_integrals(r):
            return False, "the step multiplies integrals; bound one integral at a time."
        r = _pointwise(r, s)
    else:
        r = _expand(_COMPONENTS(slack))
    for atom, kind, b, fact in chosen:
        x = sp.Dummy("x", positive=True) if atom.is_positive else sp.Dummy("x", real=True)
        r = r.xreplace({atom: x})
        coeff = _expand(sp.diff(r, x))
        # The slack must not decrease when x moves to its bound: an upper bound on x needs
        # d(slack)/dx <= 0 (for every x in its range), a lower bound d(slack)/dx >= 0. When
        # the slack is linear in x this is the sign of its coefficient.
        if coeff.has(x) and not atom.is_positive:
            return False, f"the step is not linear in {_plain(atom)}"
        if not _nonneg(-coeff if kind == "upper" else coeff, assume):
            title = FACTS[fact.name].title if fact is not None else "the given bound"
            return False, (
                f"{title} bounds this term from the other side: the step would need it in "
                "the opposite direction."
            )
        r = _expand(r.xreplace({x: (_RAW if inside else _COMPONENTS)(b)}))
    ok = _nonneg(r, assume, strict)
    if not ok and not inside and monotone and slack.has(ProofIntegral):
        raw = _expand(_RAW(slack))
        if _linear_in_integrals(raw):
            ok = _nonneg(_pointwise(raw, s), assume, strict)
    if ok:
        return True, "follows from the facts cited" if chosen else "algebra"
    return False, _why_not(names, "the bound does not follow")


def _zero(e, assume) -> bool:
    """``e == 0``: expansion first (cheap, and enough for most steps), then the prover."""
    if e == 0 or sp.expand(e) == 0:
        return True
    if e.has(sp.Integral) and sp.expand(normalize_integrals(sp.expand(e))) == 0:
        return True
    if e.has(AppliedUndef):
        # f, grad f and the Hessian are arbitrary functions: an identity between them is a
        # rearrangement, which expansion finds; simplification would only spend time.
        return False
    return _prover.prove_zero(e, assume)[0]


def _expand(e):
    return sp.expand(e, deep=False)


def _nonneg(e, assume, strict: bool = False, split: bool = True) -> bool:
    """``e >= 0`` (``> 0``) by :func:`_prover.prove_nonneg`, with the ranges of the symbols
    that occur in ``e`` only (every extra box variable multiplies the prover's work)."""
    if (e.is_positive if strict else e.is_nonnegative) is True:
        return True
    if sp.expand(e) == 0:
        return not strict
    e = _expand(e)
    if e.is_number:
        return bool(e > 0) if strict else bool(e >= 0)
    factored = sp.factor_terms(e) if split else e
    if split and isinstance(factored, sp.Mul):
        # a product of factors each of known sign (L * |w - w_t|^2 * (1 - s)): sign by factor,
        # which keeps sums of squares intact (the prover would expand them)
        negative = sp.Mul(*[a for a in factored.args if a.is_number]) < 0
        known = True
        for a in factored.args:
            if a.is_number:
                continue
            if _nonneg(a, assume, strict, split=False):
                continue
            if _nonneg(-a, assume, strict, split=False):
                negative = not negative
                continue
            known = False
            break
        if known and not negative:
            return True
    if e.has(AppliedUndef):
        # f, grad f and the Hessian are arbitrary: only a sign SymPy sees at once (sums of
        # squares, positive factors) can be proved; sign analysis would only spend time.
        return bool(e.is_positive) if strict else bool(e.is_nonnegative)
    free = e.free_symbols
    used = tuple(a for a in assume if a.free_symbols & free)
    return _prover.prove_nonneg(e, used, strict)[0]


def _linear_in_integrals(e) -> bool:
    for term in sp.Add.make_args(e):
        factors = sp.Mul.make_args(term)
        ints = [a for a in factors if a.has(sp.Integral)]
        if len(ints) > 1 or (ints and not isinstance(ints[0], sp.Integral)):
            return False
    return True


def _in_integral(e, atom) -> bool:
    return any(
        isinstance(n, (sp.Integral, ProofIntegral)) and n.args[0].has(atom)
        for n in sp.preorder_traversal(e)
    )


# --------------------------------------------------------------------------- counterexamples


class _Smooth:
    """A concrete L-smooth function on R^2: ``1/2 x^T A x + b^T x + beta cos(u^T x)``."""

    def __init__(self, rng: random.Random, L_value: float, wave: bool, tight: bool = False):
        theta = rng.uniform(0, math.pi)
        share = rng.uniform(0.3, 1.0) if wave else 1.0
        lam = [rng.uniform(-1, 1) * L_value * share, rng.choice([-1, 1]) * L_value * share]
        if tight:  # f = +-L/2 |x|^2 + b^T x: every smoothness bound holds with equality
            lam = [lam[1], lam[1]]
        ct, st_ = math.cos(theta), math.sin(theta)
        self.A = [
            [lam[0] * ct * ct + lam[1] * st_ * st_, (lam[0] - lam[1]) * ct * st_],
            [(lam[0] - lam[1]) * ct * st_, lam[0] * st_ * st_ + lam[1] * ct * ct],
        ]
        self.b = [rng.uniform(-1, 1), rng.uniform(-1, 1)]
        if wave:
            self.u = [rng.uniform(-1, 1), rng.uniform(-1, 1)]
            n2 = self.u[0] ** 2 + self.u[1] ** 2
            self.beta = (1 - share) * L_value / max(n2, 1e-9) * rng.choice([-1, 1])
        else:
            self.u, self.beta = [0.0, 0.0], 0.0

    def _ux(self, x):
        return self.u[0] * x[0] + self.u[1] * x[1]

    def value(self, x):
        Ax = [self.A[0][0] * x[0] + self.A[0][1] * x[1], self.A[1][0] * x[0] + self.A[1][1] * x[1]]
        quad_ = 0.5 * (x[0] * Ax[0] + x[1] * Ax[1])
        return quad_ + self.b[0] * x[0] + self.b[1] * x[1] + self.beta * math.cos(self._ux(x))

    def grad(self, x):
        k = -self.beta * math.sin(self._ux(x))
        return [
            self.A[i][0] * x[0] + self.A[i][1] * x[1] + self.b[i] + k * self.u[i] for i in (0, 1)
        ]

    def hess(self, x):
        k = -self.beta * math.cos(self._ux(x))
        return [[self.A[i][j] + k * self.u[i] * self.u[j] for j in (0, 1)] for i in (0, 1)]

    def describe(self) -> str:
        A = [[round(v, 3) for v in row] for row in self.A]
        text = f"1/2 x^T A x + b^T x with A = {A}, b = {[round(v, 3) for v in self.b]}"
        if self.beta:
            u = [round(v, 3) for v in self.u]
            text += f" + {self.beta:.3g} cos(u^T x), u = {u}"
        return text


_GL_X, _GL_W = np.polynomial.legendre.leggauss(20)
_NODES = [0.5 + 0.5 * float(x) for x in _GL_X]  # Gauss-Legendre on [0, 1]
_WEIGHTS = [0.5 * float(x) for x in _GL_W]


def _num(e, env, fn: _Smooth):
    """The value of a display expression at a point (floats, 2-vectors as lists)."""
    return _compile(e)(env, fn)


def _vsum(parts):
    if isinstance(parts[0], list):
        return [sum(p[i] for p in parts) for i in (0, 1)]
    return sum(parts)


def _vmul(parts):
    scal, vec_ = 1.0, None
    for v in parts:
        if isinstance(v, list):
            vec_ = v
        else:
            scal *= v
    return [scal * x for x in vec_] if vec_ is not None else scal


@functools.lru_cache(maxsize=2048)
def _compile(e):
    """A Python closure ``(env, fn) -> value`` evaluating ``e``: built once per expression,
    since a counterexample search evaluates the same step at many points."""
    if e.is_Symbol:

        def symbol(env, fn):
            if e not in env:
                raise ValueError(f"no value for {e}")
            return env[e]

        return symbol
    if e.is_Number:
        value = float(e)
        return lambda env, fn: value
    if isinstance(e, ProofQuad):
        if not isinstance(e.args[0], ProofHess):
            raise ValueError("quad(H, v) is evaluated for H = hess(x) only")
        point, vector_ = _compile(e.args[0].args[0]), _compile(e.args[1])

        def quad_(env, fn):
            h = fn.hess(point(env, fn))
            v = vector_(env, fn)
            return sum(v[i] * h[i][j] * v[j] for i in (0, 1) for j in (0, 1))

        return quad_
    args = [_compile(a) for a in e.args]
    if isinstance(e, sp.Add):
        return lambda env, fn: _vsum([a(env, fn) for a in args])
    if isinstance(e, sp.Mul):
        return lambda env, fn: _vmul([a(env, fn) for a in args])
    if isinstance(e, sp.Pow):
        base, power = args
        return lambda env, fn: base(env, fn) ** power(env, fn)
    if isinstance(e, sp.Abs):
        return lambda env, fn: abs(args[0](env, fn))
    if isinstance(e, ProofF):
        return lambda env, fn: fn.value(args[0](env, fn))
    if isinstance(e, ProofGrad):
        return lambda env, fn: fn.grad(args[0](env, fn))
    if isinstance(e, ProofNorm):

        def norm_(env, fn):
            v = args[0](env, fn)
            return math.hypot(*v) if isinstance(v, list) else abs(v)

        return norm_
    if isinstance(e, ProofDot):

        def dot_(env, fn):
            u, v = args[0](env, fn), args[1](env, fn)
            return u[0] * v[0] + u[1] * v[1]

        return dot_
    if isinstance(e, ProofIntegral):
        body, var = args[0], e.args[1]

        def integral_(env, fn):
            inner = dict(env)
            total = 0.0
            for x, wt in zip(_NODES, _WEIGHTS, strict=True):
                inner[var] = x
                total += wt * body(inner, fn)
            return total

        return integral_
    raise ValueError(f"cannot evaluate {type(e).__name__}")


def _sample_env(rng: random.Random, setting: Setting):
    env = {}
    for v in VECTORS.values():
        env[v] = [rng.uniform(-2, 2), rng.uniform(-2, 2)]
    env[L] = rng.choice([rng.uniform(0.2, 3.0), 1.0, rng.uniform(0.1, 0.9)])
    env[s] = rng.choice([0.0, 1.0, rng.uniform(0, 1)])
    env[c] = rng.choice([0.0, 1.0, rng.uniform(0, 1)])
    env[eps] = rng.uniform(0.1, 2.0)
    env[alpha] = rng.uniform(0.1, 2.0)
    for a, _, b in setting.given:
        # make the sampled point satisfy the givens (4.1.1: |delta| <= eps)
        if a == norm(delta) and b == eps:
            n = math.hypot(*env[delta])
            scale = env[eps] * rng.choice([1.0, rng.uniform(0.2, 1.0)]) / max(n, 1e-12)
            env[delta] = [x * scale for x in env[delta]]
    return env


def _sample_scalars(rng: random.Random) -> dict:
    env = {x: rng.choice([rng.uniform(0.1, 3.0), 1.0]) for x in (M, L, G, gamma, eps)}
    env[B] = float(rng.randint(1, 64))
    need = 4 * env[M] * env[L] * (env[G] ** 2 + env[gamma] ** 2 / env[B]) / env[eps] ** 4
    env[sigma_B2] = (env[G] ** 2 + env[gamma] ** 2 / env[B]) * rng.choice([1.0, rng.random()])
    env[T] = need * rng.choice([1.0, rng.uniform(1.0, 3.0)])
    env[s] = env[c] = 0.5
    env[alpha] = 1.0
    # 4.6.3(a): independent zero-mean draws, each with E|X_i|^2 <= gamma_1^2
    env[cross_means] = env[cross] = 0.0
    env[sum_sq] = env[B] * env[gamma] ** 2 * rng.choice([1.0, rng.random()])
    env[var_B] = env[sum_sq] / env[B] ** 2
    return env


def find_counterexample(prev, rel, expr, setting: Setting, samples: int = 60, seed: int = 0):
    """A point (and an L-smooth f) where ``prev rel expr`` is false, or None."""
    rng = random.Random(seed)
    for k in range(samples):
        env = _sample_scalars(rng) if setting.sampler == "scalars" else _sample_env(rng, setting)
        # Taylor's intermediate point exists for each f, but is not the sampled c: with c in a
        # step, only quadratics (whose Hessian is constant) can show it false.
        wave = k % 3 == 1 and not (prev.has(c) or expr.has(c))
        fn = _Smooth(rng, env[L], wave=wave, tight=k % 3 == 2)
        try:
            a, b = _num(prev, env, fn), _num(expr, env, fn)
        except (ValueError, ZeroDivisionError, OverflowError, TypeError):
            continue
        if isinstance(a, list) or isinstance(b, list):
            return None
        scale = 1e-9 * (1 + abs(a) + abs(b))
        bad = (
            (rel == "=" and abs(a - b) > scale)
            or (rel == "<=" and a > b + scale)
            or (rel == "<" and a >= b - scale)
        )
        if bad:
            return _point(prev, expr, env, fn, a, b)
    return None


def _point(prev, expr, env, fn, a, b) -> dict:
    used = (prev.free_symbols | expr.free_symbols) & set(env)
    out = {}
    if prev.has(ProofF, ProofGrad, ProofHess) or expr.has(ProofF, ProofGrad, ProofHess):
        out["f(x)"] = fn.describe()
        out["L"] = f"{env[L]:.3g}"
    for sym in sorted(used, key=str):
        v = env[sym]
        out[str(sym)] = [round(x, 3) for x in v] if isinstance(v, list) else f"{v:.3g}"
    out["left side"] = f"{a:.6g}"
    out["right side"] = f"{b:.6g}"
    return out


# --------------------------------------------------------------------------- rendering


def _tex(e) -> str:
    return _latex(e, TEX_NAMES)


def _short_tex(e) -> str:
    return _plain(e)


_REL_TEX = {"=": "=", "<=": r"\le", "<": "<", ">=": r"\ge"}


@dataclass(frozen=True)
class Reviewed:
    """A proof shown back to the student: Markdown with MathJax math, and its report."""

    markdown: str
    report: ProofReport | None

    def _repr_markdown_(self) -> str:
        return self.markdown


def review(proof: Proof, setting: Setting | None = None) -> Reviewed:
    """The proof typeset, each step with its verdict (checked when ``setting`` is given)."""
    report = check_proof(proof, setting) if setting is not None else None
    lhs, rel, rhs = proof.goal
    lines = [f"**Goal:** ${_tex(lhs)} {_REL_TEX[rel]} {_tex(rhs)}$", ""]
    lines.append("| | step, because |")
    lines.append("|:-:|:--|")
    first = _tex(lhs)
    for k, st in enumerate(proof.steps, start=1):
        because = "; ".join(fact.tex() for fact in st.by)
        mark, note = "", ""
        if report is not None:
            v = report.steps[k - 1]
            mark = "✓" if v.ok else "✗"
            note = " — *checked*" if v.ok else f" — **refused:** {_md(v.how)}"
            if v.counterexample:
                note += f" Counterexample: {_md(_format_point(v.counterexample))}."
        left = f"{first} " if k == 1 else ""
        claim = f"${left}{_REL_TEX[st.rel]} {_tex(st.expr)}$"
        lines.append(f"| {k}&nbsp;{mark} | {claim}<br>by {_md(because)}{note} |")
    lines.append("")
    if report is not None:
        if report.ok:
            lines.append("**Proof accepted.**")
        else:
            lines.append(f"**Not accepted:** {_md(report.message())}")
    return Reviewed("\n".join(lines) + "\n", report)


def _md(text: str) -> str:
    return text.replace("|", "/").replace("\n", " ")


def menu(part: str) -> Reviewed:
    """The facts a part's proof may cite, with their statements (shown as Markdown)."""
    if part not in SETTINGS:
        raise ValueError(f"unknown proof part {part!r}; the parts are {', '.join(SETTINGS)}")
    setting = SETTINGS[part]
    rows = ["| fact | statement |", "|:--|:--|"]
    for name in setting.facts:
        entry = FACTS[name]
        call = name if entry.arity == 0 else f"{name}({', '.join(entry.params)})"
        if entry.kind == "given":
            statement = (
                ", ".join(f"${_tex(a)} {_REL_TEX[r]} {_tex(b)}$" for a, r, b in setting.given)
                or "none"
            )
        elif entry.kind == "algebra":
            statement = entry.statement
        else:
            statement = f"${entry.statement}$"
        rows.append(f"| `{call}` | {entry.title}: {_md(statement)} |")
    return Reviewed("\n".join(rows) + "\n", None)
