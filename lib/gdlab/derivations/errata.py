"""Evidence for the errata page: the chapter's statements checked as written, and corrections.

Each ``chapter_*`` derivation states a claim as the chapter prints it; it is expected to fail,
and the errata page asserts that it does, at the step named here. Each ``corrected_*`` one
states the repaired claim and must pass. The ``*_run`` functions compute plain evidence
(counterexamples, degrees, limits) and return it as data.
"""

from __future__ import annotations

import itertools
import math
from functools import cache

import sympy as sp

from ._algebra import SolutionSet, Tr, scalar_fn, vec
from ._common import M, T, beta1, eta_real, positive, t
from .core import Derivation, Premise, Step
from .rates import gd_rate
from .taylor import descent_lemma

__all__ = [
    "adagrad_norm_expectation_run",
    "adam_first_step",
    "chapter_adagrad_step_order",
    "chapter_average_claim",
    "chapter_harmonic_bound",
    "chapter_max_over_coordinates",
    "chapter_swapped_constants",
    "corrected_harmonic_bound",
    "corrected_harmonic_bound_regularised",
    "corrected_adagrad_step_order",
    "corrected_max_over_coordinates",
    "footnote2_run",
    "gd_rate_mixed_convention",
    "gd_rate_last_iterate",
    "gd_rate_without_last_iterate",
    "harmonic_run",
    "heavy_ball_schedule_run",
    "hessian_symmetry_run",
    "lion_decay_run",
    "second_moment_identity",
    "sigma_two_roles_run",
    "squared_gradients_run",
    "logistic_corollary_run",
    "newton_degenerate_run",
    "psd_not_sufficient",
    "quadratic_zero_eigenvalue",
    "sgd_first_line_run",
    "singular_newton_model",
    "smooth_not_twice_differentiable_run",
    "EXPECTED_FAILURES",
]

x, y = sp.symbols("x y", real=True)


@cache
def psd_not_sufficient() -> Derivation:
    """Definition 4.1.6: at the origin ``h = x^2 - y^4`` is stationary with a PSD Hessian, not a
    minimum."""
    h = x**2 - y**4
    at0 = ((x, y), (0, 0))
    v = vec("v")
    Hm = vec("H0")
    hy = sp.Symbol("y_0", positive=True)
    hfun = scalar_fn("h", "h(@)")
    comps = {
        v: sp.Matrix(sp.symbols("v_1 v_2", real=True)),
        Hm: sp.Matrix([[2, 0], [0, 0]]),
        hfun: lambda *a: a[0] ** 2 - a[1] ** 4,
    }
    steps = (
        Step(
            lhs=sp.ImmutableMatrix(
                [sp.Subs(sp.Derivative(h, x), *at0), sp.Subs(sp.Derivative(h, y), *at0)]
            ),
            rhs=sp.ImmutableMatrix([0, 0]),
            why="the origin is a stationary point",
        ),
        Step(
            lhs=sp.ImmutableMatrix(
                [
                    [sp.Subs(sp.Derivative(h, x, x), *at0), sp.Subs(sp.Derivative(h, x, y), *at0)],
                    [sp.Subs(sp.Derivative(h, y, x), *at0), sp.Subs(sp.Derivative(h, y, y), *at0)],
                ]
            ),
            rhs=Hm,
            why="its Hessian there",
        ),
        Step(lhs=Tr(v) * Hm * v, rel=">=", rhs=0, why="which is positive semidefinite"),
        Step(
            lhs=hfun(0, hy) - hfun(0, 0),
            rel="<",
            rhs=0,
            why=r"yet $h$ is lower at $(0, y_0)$ for every $y_0 > 0$, however small: no local "
            r"minimum",
        ),
    )
    return Derivation(
        key="psd-not-sufficient",
        title="A PSD Hessian at a stationary point is not enough",
        source="Definition 4.1.6",
        section="4.1",
        claim=r"$h(x, y) = x^2 - y^4$ has $\nabla h(0) = 0$ and $\nabla^2 h(0) \succeq 0$, but the "
        r"origin is not a local minimum",
        steps=steps,
        where=((hfun(x, y), h),),
        names={v: "v", Hm: r"\nabla^2 h(0)", hy: "y_0"},
        components=comps,
        result=(4, 4),
    )


@cache
def singular_newton_model() -> Derivation:
    """Eqs. 4.4-4.6 need ``H`` invertible: with ``H = diag(1, 0)`` the model has no minimiser."""
    H, g, delta = vec("H"), vec("g"), vec("delta")
    s = sp.Symbol("s", positive=True)
    e2 = vec("e_2")
    f_t = sp.Symbol("f_t", real=True)
    fq = scalar_fn("f_q", "f_q(@)")
    comps = {
        H: sp.Matrix([[1, 0], [0, 0]]),
        g: sp.Matrix([0, 1]),
        delta: sp.Matrix(sp.symbols("delta_1 delta_2", real=True)),
        e2: sp.Matrix([0, 1]),
        fq: lambda d: f_t + d[1] + d[0] ** 2 / 2,
    }
    steps = (
        Step(
            lhs=Tr(e2) * (g + H * delta),
            rhs=1,
            why=r"the model's gradient $\nabla f(w_t) + H_t\delta$ has second component 1 for "
            r"every "
            r"$\delta$: it never vanishes",
        ),
        Step(
            lhs=fq(-s * e2),
            rhs=f_t - s,
            why=r"and along $-e_2$ the model decreases without bound",
        ),
    )
    return Derivation(
        key="singular-newton-model",
        title="A convex quadratic model with no minimiser",
        source="Section 4.1.2, Eqs. 4.4–4.6",
        section="4.1",
        claim=r"with $H_t = \mathrm{diag}(1, 0) \succeq 0$ and $\nabla f(w_t) = (0, 1)$, "
        r"$\nabla f_q(\delta) = 0$ has no solution and $f_q$ is unbounded below",
        steps=steps,
        where=((H, sp.ImmutableMatrix([[1, 0], [0, 0]])), (g, sp.ImmutableMatrix([0, 1]))),
        names={H: "H_t", g: r"\nabla f(w_t)", delta: r"\delta", e2: "e_2", f_t: "f(w_t)"},
        components=comps,
        result=(2, 2),
    )


@cache
def quadratic_zero_eigenvalue() -> Derivation:
    """Section 4.4 with a PSD ``A``: for ``lambda_i = 0`` no step size gives ``|1 - eta lambda_i| <
    1``."""
    lam0 = sp.Symbol("lambda_0", nonnegative=True)
    steps = (
        Step(
            lhs=SolutionSet(eta_real, sp.StrictLessThan(sp.Abs(1 - eta_real * lam0), 1)),
            rhs=sp.S.EmptySet,
            why=r"the condition can never hold in a direction with $\lambda_i = 0$",
        ),
    )
    return Derivation(
        key="quadratic-zero-eigenvalue",
        title="A zero eigenvalue",
        source="Section 4.4",
        section="4.4",
        claim=r"if $A$ is only positive semidefinite, $\lvert 1 - \eta\lambda_i\rvert < 1$ fails "
        r"for every $\eta$ in a direction with $\lambda_i = 0$",
        steps=steps,
        where=((lam0, 0),),
        names={eta_real: r"\eta", lam0: r"\lambda_i"},
        components={lam0: 0},
    )


@cache
def chapter_average_claim() -> Derivation:
    """Section 4.3 calls ``v_t`` a weighted *average*: its weights sum to 1 only when
    ``eta = 1 - beta``, and then only in the limit."""
    beta = sp.Symbol("beta", nonnegative=True)
    eta = sp.Symbol("eta", positive=True)
    i = sp.Symbol("i", integer=True)
    steps = (
        Step(
            lhs=eta * sp.Sum(beta ** (t - i), (i, 0, t)),
            rhs=1,
            why="the weights of an average sum to 1",
        ),
    )
    return Derivation(
        key="chapter-average-claim",
        title="Momentum weights as an average (as stated)",
        source="Section 4.3",
        section="4.3",
        claim=r"the weights $\eta\beta^{t-i}$ of $v_t$ sum to 1",
        steps=steps,
        assume=(sp.Ge(t, 0), sp.Lt(beta, 1)),
    )


@cache
def adam_first_step() -> Derivation:
    """Adam's first step with and without bias correction, at the default ``beta1 = 0.9, beta2 =
    0.999``."""
    b2 = sp.Symbol("beta_2", nonnegative=True)
    g = sp.Symbol("g", positive=True)
    m1, v1, mh, vh = (sp.Symbol(n, positive=True) for n in ("m_1", "v_1", "mhat_1", "vhat_1"))
    comps = {m1: (1 - beta1) * g, v1: (1 - b2) * g**2, mh: g, vh: g**2}
    steps = (
        Step(
            lhs=m1 / sp.sqrt(v1),
            rhs=(1 - beta1) / sp.sqrt(1 - b2),
            why=r"uncorrected, $\epsilon = 0$",
        ),
        Step(
            rhs=sp.sqrt(10),
            why=r"at $\beta_1 = 0.9$, $\beta_2 = 0.999$: about $3.16$ times the intended size",
            assume=(sp.Eq(beta1, sp.Rational(9, 10)), sp.Eq(b2, sp.Rational(999, 1000))),
        ),
        Step(lhs=mh / sp.sqrt(vh), rhs=1, why=r"corrected: $\hat m_1 = g$, $\hat v_1 = g^2$"),
    )
    return Derivation(
        key="adam-first-step",
        title="Adam's first step",
        source="Section 4.5, Adam",
        section="4.5",
        claim=r"without bias correction Adam's first update is $(1 - \beta_1)/\sqrt{1 - \beta_2}$ "
        r"times the corrected one",
        steps=steps,
        assume=(sp.Lt(beta1, 1), sp.Lt(b2, 1)),
        where=((m1, (1 - beta1) * g), (v1, (1 - b2) * g**2)),
        names={m1: "m_1", v1: "v_1", mh: r"\hat m_1", vh: r"\hat v_1"},
        components=comps,
        result=(1, 2),
    )


@cache
def gd_rate_mixed_convention() -> Derivation:
    """Theorem 4.6.1 with the theorem's ``|f| <= M`` but Theorem 4.6.2's ``f(w_1) - f(w_{T+1}) <=
    M``."""
    d = gd_rate("theorem")
    step6 = d.steps[5]
    import dataclasses

    return dataclasses.replace(
        d.replace_step(6, dataclasses.replace(step6, rhs=M, why=step6.why.replace("$2M$", "$M$"))),
        key="gd-rate-mixed-convention",
        title="Theorem 4.6.1 with mixed conventions for M",
    )


S_, X_, H_ = sp.symbols("S X H", positive=True)
a_ = sp.Symbol("a", nonnegative=True)
sig = sp.Symbol("sigma", positive=True)


@cache
def chapter_harmonic_bound() -> Derivation:
    """Theorems 4.6.4/4.6.5: ``sum_t a_t / sum_{i<=t} a_i <= log(sigma^2 T)``; fails already at ``T
    = 1``."""
    a = scalar_fn("a", "a_{@}")
    i = sp.Symbol("i", integer=True)
    a1 = sp.Symbol("a_1", positive=True)
    steps = (
        Step(
            lhs=sp.Sum(a(t) / sp.Sum(a(i), (i, 1, t)), (t, 1, 1)),
            rhs=1,
            why=r"$T = 1$: the sum is $a_1/a_1$",
        ),
        Step(
            rel="<=",
            rhs=sp.log(sig**2),
            why=r"the chapter's bound $\log \sigma^2 T$ at $T = 1$ (with $a_1 \le \sigma^2$)",
            assume=(sp.Le(a1, sig**2),),
        ),
    )
    return Derivation(
        key="chapter-harmonic-bound",
        title="The harmonic-series bound as stated",
        source="Theorems 4.6.4 and 4.6.5",
        section="4.6",
        claim=r"$\sum_{t=1}^T a_t / \sum_{i \le t} a_i \le \log(\sigma^2 T)$ whenever $0 < a_t \le "
        r"\sigma^2$",
        steps=steps,
        assume=positive(sig),
        components={a: lambda k: a1},
        names={a1: "a_1"},
    )


@cache
def corrected_harmonic_bound() -> Derivation:
    """``a_t / S_t <= log(S_t / S_{t-1})``, so ``sum_t a_t/S_t <= 1 + log(S_T / a_1)``."""
    S = sp.Function("S")
    i = sp.Symbol("i", integer=True)
    steps = (
        Step(
            lhs=a_ / (S_ + a_),
            rel="<=",
            rhs=sp.log((S_ + a_) / S_),
            why=r"one term, $t \ge 2$: $a = a_t \ge 0$, $S = S_{t-1} > 0$ (equal at $a = 0$, and "
            r"the "
            "difference grows with $a$)",
            method=("monotone", a_),
        ),
        Step(
            lhs=sp.Sum(sp.log(S(i)) - sp.log(S(i - 1)), (i, 2, T)),
            rhs=sp.log(S(T)) - sp.log(S(1)),
            why="the logarithms telescope; the $t = 1$ term is $a_1/S_1 = 1$",
        ),
    )
    return Derivation(
        key="corrected-harmonic-bound",
        title="Harmonic-series bound, corrected",
        source="Theorem 4.6.4",
        section="4.6",
        claim=r"$\sum_{t=1}^T a_t/S_t \le 1 + \log(S_T/a_1) \le 1 + \log(\sigma^2 T / a_1)$ with "
        r"$S_t = \sum_{i \le t} a_i$, $a_1 > 0$: it depends on the ratio $\sigma^2/a_1$, not on "
        r"$\sigma^2$ alone",
        steps=steps,
        names={S_: "S", a_: "a"},
        result=(1, 1),
    )


@cache
def corrected_harmonic_bound_regularised() -> Derivation:
    """Theorem 4.6.5's sum ``sum_t a_t / (sigma^2 + S_{t-1}) <= log2(1 + S_T/sigma^2) <= log2(1 +
    T)``."""
    u = sp.Symbol("u", nonnegative=True)
    C = sp.Function("C")
    i = sp.Symbol("i", integer=True)
    steps = (
        Step(
            lhs=u,
            rel="<=",
            rhs=sp.log(1 + u) / sp.log(2),
            why=r"$u = a_t/(\sigma^2 + S_{t-1}) \in [0, 1]$ since $a_t \le \sigma^2$; concave "
            r"minus "
            "linear, zero at both ends",
            method=("concave", u),
            assume=(sp.Le(u, 1),),
        ),
        Step(
            lhs=sp.Sum(sp.log(C(i)) - sp.log(C(i - 1)), (i, 1, T)) / sp.log(2),
            rhs=(sp.log(C(T)) - sp.log(C(0))) / sp.log(2),
            why=r"with $C_t = \sigma^2 + S_t$, $\log_2(1 + u_t) = \log_2(C_t/C_{t-1})$ telescopes",
        ),
        Step(
            lhs=1 + S_ / sig**2,
            rel="<=",
            rhs=1 + T,
            why=r"$C_T/C_0 = 1 + S_T/\sigma^2$ and $S_T \le T\sigma^2$",
            assume=(sp.Le(S_, T * sig**2),),
        ),
    )
    return Derivation(
        key="corrected-harmonic-bound-regularised",
        title="Harmonic-series bound with the σ² term, corrected",
        source="Theorem 4.6.5",
        section="4.6",
        claim=r"if $0 \le a_t \le \sigma^2$ then $\sum_{t=1}^T \frac{a_t}{\sigma^2 + S_{t-1}} \le "
        r"\log_2(1 + S_T/\sigma^2) \le \log_2(1 + T)$",
        steps=steps,
        assume=positive(sig),
        names={S_: "S_T", C: "C"},
        result=(1, 1),
    )


@cache
def chapter_swapped_constants() -> Derivation:
    """Theorem 4.6.4: the proof gives ``X <= M + (L/2) H``; the statement has ``L + M H``."""
    Lp = sp.Symbol("L", positive=True)
    premise = Premise(
        "the proof's inequality $-M \\le -X + \\frac{L}{2} H$", -M, "<=", -X_ + Lp / 2 * H_
    )
    steps = (
        Step(lhs=X_, rel="<=", rhs=M + Lp * H_ / 2, why="rearranged", premises=(premise,)),
        Step(
            lhs=X_,
            rel="<=",
            rhs=Lp + M * H_,
            why="the constant in the theorem's statement",
            premises=(premise,),
        ),
    )
    return Derivation(
        key="chapter-swapped-constants",
        title="Theorem 4.6.4's constant",
        source="Theorem 4.6.4",
        section="4.6",
        claim=r"from $-M \le -X + \frac{L}{2}H$ (with $X = \sum_t \nabla_t^\top P_t\hat\nabla_t$ "
        r"and "
        r"$H$ the harmonic sum) follows $X \le M + \frac{L}{2}H$, not $X \le L + MH$",
        steps=steps,
        assume=positive(M, Lp),
        names={X_: "X", H_: "H"},
        result=(1, 1),
    )


def _max_derivation(corrected: bool) -> Derivation:
    X1, X2 = sp.symbols("X_1 X_2", nonnegative=True)
    c = sp.Symbol("c", nonnegative=True)
    premise = Premise(
        r"the proof's inequality for $d = 2$ coordinates", (X1 - c) + (X2 - c), "<=", M
    )
    rhs = M + 2 * c if corrected else M + c
    steps = (
        Step(
            lhs=sp.Max(X1, X2),
            rel="<=",
            rhs=rhs,
            why="keep one coordinate"
            if not corrected
            else r"$\max_i X_i \le \sum_i X_i$ (all $X_i \ge 0$)",
            premises=(premise,),
        ),
    )
    return Derivation(
        key="corrected-max-over-coordinates" if corrected else "chapter-max-over-coordinates",
        title="From a sum over coordinates to the largest one"
        + (" (corrected)" if corrected else ""),
        source="Theorem 4.6.5",
        section="4.6",
        claim=(
            r"$\sum_{i=1}^d (X_i - c) \le M$ gives $\max_i X_i \le M + d\,c$"
            if corrected
            else r"$\sum_{i=1}^d (X_i - c) \le M$ gives $\max_i X_i - c \le M$"
        ),
        steps=steps,
        assume=positive(M),
        names={X1: "X_1", X2: "X_2"},
    )


@cache
def chapter_max_over_coordinates() -> Derivation:
    return _max_derivation(corrected=False)


@cache
def corrected_max_over_coordinates() -> Derivation:
    return _max_derivation(corrected=True)


def _last_iterate(corrected: bool) -> Derivation:
    f1, f_last = sp.symbols("f_1 f_last", real=True)
    bounds = (sp.Le(-M / 2, f1), sp.Le(f1, M / 2))
    if corrected:
        bounds += (sp.Le(-M / 2, f_last), sp.Le(f_last, M / 2))
    steps = (
        Step(
            lhs=f1 - f_last,
            rel="<=",
            rhs=M,
            why=(
                r"$\lvert f(w_t)\rvert \le M/2$ for $t = 1, \dots, T + 1$"
                if corrected
                else r"$\lvert f(w_t)\rvert \le M/2$ for $t = 1, \dots, T$ only, as Section 4.6 "
                r"assumes"
            ),
            assume=bounds,
        ),
    )
    return Derivation(
        key="gd-rate-last-iterate" if corrected else "gd-rate-without-last-iterate",
        title="The last value in Theorem 4.6.1's telescoping sum"
        + (" (corrected)" if corrected else " (as assumed)"),
        source="Section 4.6, Theorem 4.6.1",
        section="4.6",
        claim=r"$\sum_{t=1}^T (f(w_t) - f(w_{t+1})) = f(w_1) - f(w_{T+1}) \le M$ needs a bound on "
        r"$f(w_{T+1})$, the value after the last step",
        steps=steps,
        assume=positive(M),
        names={f1: "f(w_1)", f_last: "f(w_{T+1})"},
    )


@cache
def gd_rate_without_last_iterate() -> Derivation:
    """Section 4.6 bounds ``|f(w_t)|`` for ``t = 1, ..., T``; the telescoped sum also needs
    ``f(w_{T+1})``."""
    return _last_iterate(corrected=False)


@cache
def gd_rate_last_iterate() -> Derivation:
    return _last_iterate(corrected=True)


def _step_order(corrected: bool) -> Derivation:
    X = sp.Symbol("X", nonnegative=True)
    S, a = sp.symbols("S a", positive=True)
    P_prev, P_now = 1 / sp.sqrt(S), 1 / sp.sqrt(S + a)
    rel = ">=" if corrected else "<="
    steps = (
        Step(
            lhs=X * P_prev,
            rel=rel,
            rhs=X * P_now,
            why=(
                r"$P_{\tau-1} \ge P_\tau$: the sum under the root only grows"
                if corrected
                else r"the chapter's $\nabla_\tau^\top\hat\nabla_\tau P_{\tau-1} \le "
                r"\nabla_\tau^\top\hat\nabla_\tau P_\tau$"
            ),
        ),
    )
    return Derivation(
        key="corrected-adagrad-step-order" if corrected else "chapter-adagrad-step-order",
        title="AdaGrad's step sizes only shrink"
        + (" (corrected)" if corrected else " (as stated)"),
        source="Theorem 4.6.4",
        section="4.6",
        claim=r"with $P_t = (\sum_{i \le t} \lVert\hat\nabla_i\rVert^2)^{-1/2}$, "
        r"$S = \sum_{i < \tau}\lVert\hat\nabla_i\rVert^2 > 0$, $a = "
        r"\lVert\hat\nabla_\tau\rVert^2 > 0$ and $X = \nabla_\tau^\top\hat\nabla_\tau "
        r"\ge 0$: $X P_{\tau-1} " + (r"\ge" if corrected else r"\le") + r" X P_\tau$",
        steps=steps,
        where=((sp.Symbol("P_{tau-1}"), P_prev), (sp.Symbol("P_tau"), P_now)),
        names={sp.Symbol("P_{tau-1}"): r"P_{\tau-1}", sp.Symbol("P_tau"): r"P_\tau"},
    )


@cache
def chapter_adagrad_step_order() -> Derivation:
    return _step_order(corrected=False)


@cache
def corrected_adagrad_step_order() -> Derivation:
    return _step_order(corrected=True)


#: derivations stating the chapter's claim as written, and the step at which each must fail
EXPECTED_FAILURES = {
    "descent-lemma-as-stated": 4,
    "descent-lemma-footnote-5": 4,
    "chapter-average-claim": 1,
    "gd-rate-mixed-convention": 6,
    "chapter-harmonic-bound": 2,
    "chapter-swapped-constants": 2,
    "chapter-max-over-coordinates": 1,
    "gd-rate-without-last-iterate": 1,
    "chapter-adagrad-step-order": 1,
}


def chapter_claims() -> list[Derivation]:
    """Every derivation that states a chapter claim expected to fail."""
    return [
        descent_lemma("as-stated"),
        descent_lemma("footnote-5"),
        chapter_average_claim(),
        gd_rate_mixed_convention(),
        chapter_harmonic_bound(),
        chapter_swapped_constants(),
        chapter_max_over_coordinates(),
        gd_rate_without_last_iterate(),
        chapter_adagrad_step_order(),
    ]


def corrections() -> list[Derivation]:
    """Every supporting or corrected derivation of the errata page; all must pass."""
    return [
        psd_not_sufficient(),
        singular_newton_model(),
        quadratic_zero_eigenvalue(),
        adam_first_step(),
        corrected_harmonic_bound(),
        corrected_harmonic_bound_regularised(),
        corrected_max_over_coordinates(),
        corrected_adagrad_step_order(),
        gd_rate_last_iterate(),
    ]


# --------------------------------------------------------------------------- runs


def footnote2_run() -> dict:
    """Footnote 2: the 3SAT polynomial has total degree 6; auxiliary variables bring it to 4.

    For a small formula, both polynomials are built, their degrees computed, and their zeros on
    the Boolean cube (where every real zero lies, by the ``x^2 (1 - x)^2`` terms) compared with
    the satisfying assignments.
    """
    n = 3
    clauses = [(1, 2, -3), (-1, 2, 3), (1, -2, 3), (-1, -2, -3)]
    xs = sp.symbols(f"x1:{n + 1}", real=True)

    def literal_false(lit):
        v = xs[abs(lit) - 1]
        return (1 - v) if lit > 0 else v

    boolean = sum(v**2 * (1 - v) ** 2 for v in xs)
    p6 = boolean + sum(sp.Mul(*[literal_false(lit) for lit in c]) ** 2 for c in clauses)
    ys = sp.symbols(f"y1:{len(clauses) + 1}", real=True)
    p4 = boolean + sum(
        (y - literal_false(c[0]) * literal_false(c[1])) ** 2 + (y * literal_false(c[2])) ** 2
        for y, c in zip(ys, clauses, strict=True)
    )
    rows = []
    for bits in itertools.product((0, 1), repeat=n):
        point = dict(zip(xs, bits, strict=True))
        sat = all(any((bits[abs(lit) - 1] == 1) == (lit > 0) for lit in c) for c in clauses)
        aux = {
            y: (literal_false(c[0]) * literal_false(c[1])).subs(point)
            for y, c in zip(ys, clauses, strict=True)
        }
        rows.append(
            {
                "assignment": bits,
                "satisfies": sat,
                "p6_zero": p6.subs(point) == 0,
                "p4_zero": p4.subs({**point, **aux}) == 0,
            }
        )
    return {
        "clauses": clauses,
        "degree_p6": sp.Poly(p6, *xs).total_degree(),
        "degree_p4": sp.Poly(p4, *xs, *ys).total_degree(),
        "rows": rows,
        "zeros_match": all(r["p6_zero"] == r["satisfies"] == r["p4_zero"] for r in rows),
    }


def hessian_symmetry_run() -> dict:
    """``f = xy(x^2 - y^2)/(x^2 + y^2)``: its mixed partials at 0 differ, so its Hessian is not
    symmetric."""
    h = sp.Symbol("h", real=True)
    f = x * y * (x**2 - y**2) / (x**2 + y**2)
    fx_on_axis = sp.limit((f.subs(x, h) - 0) / h, h, 0).simplify()  # f_x(0, y), f(0, y) = 0
    fy_on_axis = sp.limit((f.subs(y, h) - 0) / h, h, 0).simplify()  # f_y(x, 0), f(x, 0) = 0
    return {
        "f": f,
        "f_x(0, y)": fx_on_axis,
        "f_y(x, 0)": fy_on_axis,
        "f_xy(0, 0)": sp.diff(fx_on_axis, y),
        "f_yx(0, 0)": sp.diff(fy_on_axis, x),
    }


def smooth_not_twice_differentiable_run() -> dict:
    """``f(w) = max(w, 0)^2 / 2`` has a 1-Lipschitz gradient ``max(w, 0)`` but no second derivative
    at 0."""
    w, h = sp.symbols("w h", real=True)
    grad = sp.Max(w, 0)
    left = sp.limit((grad.subs(w, h) - grad.subs(w, 0)) / h, h, 0, "-")
    right = sp.limit((grad.subs(w, h) - grad.subs(w, 0)) / h, h, 0, "+")
    a, b = sp.symbols("a b", real=True)
    cases = []
    for sa, sb in itertools.product((1, -1), repeat=2):
        pa, pb = sp.Symbol("p", positive=True), sp.Symbol("q", positive=True)
        va, vb = sa * pa, sb * pb
        gap = sp.Abs(va - vb) - sp.Abs(sp.Max(va, 0) - sp.Max(vb, 0))
        cases.append(sp.simplify(gap))
    return {
        "gradient": grad,
        "left second derivative at 0": left,
        "right second derivative at 0": right,
        "lipschitz gaps by sign case": cases,
    }


def harmonic_run(seed: int = 0) -> list[dict]:
    """Sequences ``0 < a_t <= sigma^2`` against the chapter's ``log(sigma^2 T)`` and the
    corrections."""
    import random

    rng = random.Random(seed)
    out = []
    for T_, sigma2, scale in (
        (1, 1.0, 1.0),
        (10, 1.0, 1e-3),
        (100, 1.0, 1.0),
        (100, 0.5, 1.0),
        (1000, 2.0, 1e-2),
    ):
        a = [min(sigma2, scale * rng.uniform(0.01, 1.0) * sigma2) for _ in range(T_)]
        partial, s_reg, total = 0.0, 0.0, 0.0
        regularised = 0.0
        for k, at in enumerate(a):
            partial += at
            total += at / partial
            regularised += at / (sigma2 + (partial - at))
            s_reg = partial
            del k
        out.append(
            {
                "T": T_,
                "sigma^2": sigma2,
                "sum a_t/S_t": total,
                "log(sigma^2 T)": math.log(sigma2 * T_),
                "1 + log(S_T/a_1)": 1 + math.log(s_reg / a[0]),
                "sum a_t/(sigma^2 + S_{t-1})": regularised,
                "log2(1 + T)": math.log2(1 + T_),
            }
        )
    return out


def newton_degenerate_run(steps: int = 6) -> dict:
    """Newton's method (Eq. 4.7) near a minimum with and without a positive definite Hessian.

    On ``f(w) = w^4`` (Hessian 0 at the minimum) the Newton map is ``2w/3``: linear convergence.
    On ``f(w) = w^2/2 + w^4/4`` (Hessian 1) it is ``2w^3/(1 + 3w^2)``: faster than quadratic.
    """
    w = sp.Symbol("w", real=True)
    out = {}
    for name, f in (("w^4", w**4), ("w^2/2 + w^4/4", w**2 / 2 + w**4 / 4)):
        newton_map = sp.simplify(w - sp.diff(f, w) / sp.diff(f, w, 2))
        iterates = [sp.Rational(1, 2)]
        for _ in range(steps):
            iterates.append(sp.nsimplify(newton_map.subs(w, iterates[-1])))
        out[name] = {
            "newton map": newton_map,
            "hessian at 0": sp.diff(f, w, 2).subs(w, 0),
            "map / w at 0": sp.limit(newton_map / w, w, 0),
            "map / w^2 at 0": sp.limit(newton_map / w**2, w, 0),
            "iterates": [float(v) for v in iterates],
        }
    return out


def logistic_corollary_run(steps: int = 100_000) -> dict:
    """Corollary 4.1.5 on ``f(w) = log(1 + e^{-w})``: bounded below, ``1/4``-smooth, no
    stationary point; gradient descent with ``eta = 1/L`` sends the gradient to 0 and ``w`` to
    infinity."""
    w = sp.Symbol("w", real=True)
    f = sp.log(1 + sp.exp(-w))
    grad = sp.diff(f, w)
    hess = sp.simplify(sp.diff(f, w, 2))
    L_ = sp.maximum(hess, w, sp.S.Reals)
    grad_fn = sp.lambdify(w, grad, "math")
    lr = float(1 / L_)
    w_t, record = 0.0, []
    checkpoints = {10, 100, 1000, 10_000, steps}
    for k in range(1, steps + 1):
        w_t -= lr * grad_fn(w_t)
        if k in checkpoints:
            record.append({"t": k, "w_t": w_t, "|f'(w_t)|": abs(grad_fn(w_t))})
    return {
        "f": f,
        "f'": grad,
        "L": L_,
        "inf f": sp.limit(f, w, sp.oo),
        "stationary points": sp.solveset(sp.Eq(grad, 0), w, sp.S.Reals),
        "rows": record,
    }


def sgd_first_line_run() -> dict:
    """The first line of Theorem 4.6.2's proof, without the expectation on the left, on
    ``f(w) = w^2/2`` (``L = 1``) at ``w_t = 1`` with ``hat grad = 1 + s`` or ``1 - s``, each with
    probability 1/2.

    Returns, for each draw, the left side ``f(w_{t+1}) - f(w_t)`` minus the chapter's right side
    ``E[grad (w_{t+1} - w_t) + (L/2)|w_{t+1} - w_t|^2]`` (as a function of ``eta`` and ``s``), and
    the same with the expectation taken on the left.
    """
    h, s = sp.symbols("eta s", positive=True)
    f = lambda v: v**2 / 2  # noqa: E731 - the objective as a formula
    w_t, grad = sp.Integer(1), sp.Integer(1)
    draws = (1 + s, 1 - s)
    rhs = sum(grad * (-h * g) + (-h * g) ** 2 / 2 for g in draws) / 2
    gaps = {f"hat grad = {g}": sp.factor(f(w_t - h * g) - f(w_t) - rhs) for g in draws}
    mean_gap = sp.simplify(sum(f(w_t - h * g) - f(w_t) for g in draws) / 2 - rhs)
    return {"right side": sp.expand(rhs), "gaps": gaps, "gap in expectation": mean_gap}


def adagrad_norm_expectation_run() -> dict:
    """Theorem 4.6.4 takes the expectation of ``grad^T P_t hat grad_t`` as if ``P_t`` did not
    depend on ``hat grad_t``. In one dimension at the first step, with ``grad = 1`` and ``hat
    grad = 1 + s`` or ``1 - s`` (``0 < s < 1``, so both draws are positive), ``P_1 = 1/hat
    grad_1``."""
    s = sp.Symbol("s", positive=True)
    draws = (1 + s, 1 - s)
    grad = sp.Integer(1)
    expected_product = sp.simplify(sum(grad * g / g for g in draws) / 2)
    as_if_independent = sp.factor(grad**2 * sum(1 / g for g in draws) / 2)
    return {
        "E[grad P_1 hat grad_1]": expected_product,
        "grad^2 E[P_1]": as_if_independent,
        "gap": sp.factor(as_if_independent - expected_product),
    }


def heavy_ball_schedule_run(steps: int = 40) -> dict:
    """Section 4.3's two forms of the heavy ball under Section 4.5.1's schedules.

    Two readings of "adjustments are to the final update direction" for the velocity form
    ``v_t = beta v_{t-1} + eta grad_t, w_{t+1} = w_t - v_t``: (A) ``eta_t`` replaces ``eta``
    inside ``v_t``; (B) ``v_t = beta v_{t-1} + grad_t`` and ``w_{t+1} = w_t - eta_t v_t``, the
    rate multiplying the whole velocity. The position form ``w_{t+1} = w_t - eta_t grad_t +
    beta (w_t - w_{t-1})`` has one reading. Returns, symbolically, ``w_{t+1}`` of each velocity
    reading minus the position form's, from the same ``w_t``, ``w_{t-1}`` and gradient; and, on
    a quadratic with a cosine schedule, the largest difference between the runs, plus reading
    (B) against the position form with ``beta`` replaced by ``beta eta_t / eta_{t-1}``.
    """
    import numpy as np

    beta_, lr_now, lr_before = sp.symbols("beta eta_t eta_{t-1}", positive=True)
    w_now, w_before, g_now = sp.symbols("w_t w_{t-1} g_t", real=True)
    position = w_now - lr_now * g_now + beta_ * (w_now - w_before)
    # reading A: v_{t-1} = w_{t-1} - w_t; reading B: v_{t-1} = (w_{t-1} - w_t) / eta_{t-1}
    velocity_a = w_now - (beta_ * (w_before - w_now) + lr_now * g_now)
    velocity_b = w_now - lr_now * (beta_ * (w_before - w_now) / lr_before + g_now)
    gaps = {
        "eta_t inside v_t": sp.simplify(velocity_a - position),
        "eta_t multiplying v_t": sp.factor(velocity_b - position),
    }

    A = np.diag([1.0, 10.0])
    beta, peak = 0.9, 0.05
    rates = peak * 0.5 * (1 + np.cos(np.arange(steps) / steps * np.pi))  # eta_1..eta_T
    start = np.array([1.0, 1.0])
    paths = {}
    for name in ("A velocity", "B velocity", "position", "position, beta eta_t/eta_{t-1}"):
        w, w_prev, v, path = start.copy(), start.copy(), np.zeros(2), [start.copy()]
        for k in range(steps):
            g, lr = A @ w, rates[k]
            if name == "A velocity":
                v = beta * v + lr * g
                w_next = w - v
            elif name == "B velocity":
                v = beta * v + g
                w_next = w - lr * v
            else:
                b = beta if name == "position" else beta * lr / rates[max(k - 1, 0)]
                w_next = w - lr * g + b * (w - w_prev)
            w_prev, w = w, w_next
            path.append(w.copy())
        paths[name] = np.array(path)
    largest = lambda a, b: float(np.max(np.abs(paths[a] - paths[b])))  # noqa: E731
    return {
        "one-step gaps": gaps,
        "max |A velocity - position|": largest("A velocity", "position"),
        "max |B velocity - position|": largest("B velocity", "position"),
        "max |B velocity - position with beta eta_t/eta_{t-1}|": largest(
            "B velocity", "position, beta eta_t/eta_{t-1}"
        ),
        "rates": rates,
    }


def squared_gradients_run(n: int = 400, d: int = 3, seed: int = 0) -> dict:
    """Section 4.5: averages of squared gradients "estimate the curvature (i.e., Hessian)".

    Least squares ``f(w) = (1/2n) sum_i (x_i^T w - y_i)^2`` with labels ``y = X w* + noise``.
    At the fitted ``w``, the per-coordinate mean of the squared one-example gradients (the
    diagonal of the empirical Fisher matrix, what Adam's ``v_t`` tracks under SGD) is computed
    for noise levels 0, 0.1 and 1.0, next to the Hessian's diagonal ``mean_i x_i^2``, which does
    not depend on the labels at all.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * np.array([1.0, 3.0, 0.3])[:d]
    w_star = rng.standard_normal(d)
    noise = rng.standard_normal(n)
    hessian_diagonal = np.mean(X**2, axis=0)
    out = {"hessian diagonal": hessian_diagonal}
    for level in (0.0, 0.1, 1.0):
        y = X @ w_star + level * noise
        w_fit = np.linalg.lstsq(X, y, rcond=None)[0]
        per_example = X * (X @ w_fit - y)[:, None]  # one-example gradients
        out[f"mean squared gradient, noise {level}"] = np.mean(per_example**2, axis=0)
        out[f"full gradient at the fit, noise {level}"] = per_example.mean(axis=0)
    return out


def second_moment_identity() -> dict:
    """Eq. 4.11 / Theorem 4.6.2: ``E|g|^2 = |grad|^2 + E|g - grad|^2`` for an unbiased ``g``.

    One coordinate, ``g = grad + s`` or ``grad - s`` with probability 1/2 each: the second moment
    minus the variance is ``grad^2``, so a bound on the second moment is at least the squared
    gradient at every point of the run, and is not a variance bound (zero for exact gradients).
    """
    grad, s = sp.symbols("nabla s", real=True)
    draws = (grad + s, grad - s)
    mean = sum(draws) / 2
    second_moment = sp.expand(sum(g**2 for g in draws) / 2)
    variance = sp.expand(sum((g - mean) ** 2 for g in draws) / 2)
    return {
        "mean": sp.simplify(mean),
        "second moment": second_moment,
        "variance": variance,
        "second moment - variance": sp.simplify(second_moment - variance),
    }


def sigma_two_roles_run() -> dict:
    """Theorems 4.6.2 and 4.6.5 use ``sigma^2`` for two different assumptions.

    In Eq. 4.11 ``sigma^2`` bounds a second moment, ``E|g|^2 <= sigma^2``; the harmonic step of
    Theorem 4.6.5 needs every draw's every squared coordinate ``g(j)^2 <= sigma^2``. A gradient
    that is 0 or 2 with probability 1/2 each has ``E g^2 = 2``: ``sigma^2 = 2`` satisfies Eq. 4.11
    while the draw 2 has ``g^2 = 4 > sigma^2``; with it the regularised harmonic sum of Theorem
    4.6.5 exceeds the bound ``log2(1 + T)`` that holds when every draw obeys ``g^2 <= sigma^2``.
    """
    draws = (0.0, 2.0)
    sigma2 = sum(g * g for g in draws) / 2
    T_ = 1
    largest = max(g * g for g in draws)
    harmonic_worst = largest / (sigma2 + 0.0)  # the first term with the draw g = 2
    return {
        "E g^2": sigma2,
        "sigma^2 (Eq. 4.11)": sigma2,
        "largest g^2": largest,
        "harmonic sum at T = 1, draw 2": harmonic_worst,
        "log2(1 + T) at T = 1": math.log2(1 + T_),
    }


def lion_decay_run(steps: int = 10_000) -> dict:
    """Section 4.5's Lion without and with the paper's decoupled weight decay.

    On ``f(w) = (w - 20)^2 / 2`` from 0, Lion with ``lr = 0.01``: without decay it ends at the
    minimiser 20; with ``lambda = 0.1`` the update ``w - lr (sign(.) + lambda w)`` cannot move
    ``w`` past ``1/lambda = 10``, and approaches it (within ``10 e^{-lr lambda T}``).
    """
    from gdlab.optim import Lion, run
    from gdlab.problems import Quadratic

    problem = Quadratic([1.0], minimizer=[20.0])
    out = {}
    for decay in (0.0, 0.1):
        trace = run(Lion(0.01, weight_decay=decay), problem, [0.0], steps)
        out[f"w_T, weight_decay = {decay}"] = float(trace.iterates[-1, 0])
    return out
