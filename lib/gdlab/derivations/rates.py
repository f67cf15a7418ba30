"""Section 4.6: the proof algebra of Theorems 4.6.1 (GD) and 4.6.2 (SGD)."""

from __future__ import annotations

from functools import cache

import sympy as sp

from ._algebra import Expect, Norm, Tr, scalar_fn, vec
from ._common import F, L, M, T, components, eta, positive, sigma, smoothness, t
from .core import Change, Derivation, Step, StepsResult

__all__ = ["gd_rate", "sgd_rate", "sgd_step_size"]

_D = 3
f_seq = scalar_fn("f_seq", "f(w_{@})")
gsq = scalar_fn("gsq", r"\lVert \nabla_{@} \rVert_2^2")
Ef_seq = scalar_fn("Ef_seq", r"\mathbb{E} f(w_{@})")
Egsq = scalar_fn("Egsq", r"\mathbb{E}\lVert \nabla_{@} \rVert_2^2")
B = scalar_fn("B", "B(@)")

_BOUNDS = {
    "section": (M / 2, "$\\lvert f(w_t)\\rvert \\le M/2$ (Section 4.6)"),
    "theorem": (M, "$\\lvert f(w_t)\\rvert \\le M$ (Theorem 4.6.1's own definition of $M$)"),
}


def _range(expr, bound) -> tuple:
    return (sp.Le(-bound, expr), sp.Le(expr, bound))


@cache
def gd_rate(convention: str = "section") -> Derivation:
    """Theorem 4.6.1 with ``eta = 1/L``: the average squared gradient is at most ``2LM/T``.

    ``convention="section"`` reads ``M`` as in Section 4.6 (``|f(w_t)| <= M/2``) and gives
    ``2LM/T``; ``convention="theorem"`` reads it as the theorem does (``|f(w_t)| <= M``) and
    gives the chapter's ``4LM/T``.
    """
    bound, bound_text = _BOUNDS[convention]
    g, w, wn = vec("g"), vec("w"), vec("w_next")
    names = {g: r"\nabla_t", w: "w_t", wn: "w_{t+1}"}
    comps = {g: components("g", _D), w: components("w", _D), wn: w - eta * g}
    per_step = {F(wn): f_seq(t + 1), F(w): f_seq(t), Norm(g) ** 2: gsq(t)}
    total = 2 * bound
    steps = (
        Step(
            lhs=F(wn) - F(w),
            rel="<=",
            rhs=Tr(g) * (wn - w) + L / 2 * Norm(wn - w) ** 2,
            why="$L$-smoothness, Eq. 4.10",
            premises=(smoothness(wn, w, g, "Eq. 4.10"),),
        ),
        Step(
            rhs=-eta * Norm(g) ** 2 + L / 2 * eta**2 * Norm(g) ** 2,
            why=r"algorithm: $w_{t+1} - w_t = -\eta\nabla_t$",
        ),
        Step(rhs=-(Norm(g) ** 2) / (2 * L), why=r"$\eta = 1/L$", assume=(sp.Eq(eta, 1 / L),)),
        Step(
            lhs=sp.Sum(f_seq(t) - f_seq(t + 1), (t, 1, T)),
            rhs=f_seq(1) - f_seq(T + 1),
            why="the sum telescopes",
        ),
        Step(
            lhs=sp.Sum(gsq(t), (t, 1, T)) / (2 * L),
            rel="<=",
            rhs=f_seq(1) - f_seq(T + 1),
            why="sum the per-step decrease",
            premises=(
                StepsResult(1, 3, "at each $t$", rename=tuple(per_step.items()), summed=(t, 1, T)),
            ),
        ),
        Step(
            rel="<=",
            rhs=total,
            why=f"{bound_text} at $t = 1$ and $t = T + 1$",
            assume=(*_range(f_seq(1), bound), *_range(f_seq(T + 1), bound)),
        ),
        Step(
            lhs=sp.Sum(gsq(t), (t, 1, T)) / T,
            rel="<=",
            rhs=2 * L * total / T,
            why="divide by $T/(2L)$",
            premises=(StepsResult(5, 6, multiplier=2 * L / T),),
        ),
    )
    key = "gd-rate" if convention == "section" else "gd-rate-theorem-convention"
    return Derivation(
        key=key,
        title="Theorem 4.6.1: gradient descent" + ("" if convention == "section" else " (|f| ≤ M)"),
        source="Theorem 4.6.1",
        section="4.6",
        claim=(
            r"with $\eta = 1/L$, $\frac1T\sum_{t=1}^T \lVert\nabla_t\rVert_2^2 \le "
            + ("2LM/T" if convention == "section" else "4LM/T")
            + "$, and the smallest $\\lVert\\nabla_\\tau\\rVert_2^2$ is at most the average"
        ),
        steps=steps,
        assume=positive(L, eta, M),
        where=((wn, w - eta * g),),
        names=names,
        components=comps,
    )


@cache
def sgd_rate() -> Derivation:
    """Theorem 4.6.2's algebra: ``E[(1/T) sum |grad|^2] <= M/(T eta) + eta L sigma^2 / 2``."""
    g, gh, w, wn = vec("g"), vec("g_hat"), vec("w"), vec("w_next")
    Efn, Q = sp.Symbol("Ef_next", real=True), sp.Symbol("Q", nonnegative=True)
    names = {g: r"\nabla_t", gh: r"\hat\nabla_t", w: "w_t", wn: "w_{t+1}"}
    comps = {
        g: components("g", _D),
        gh: components("h", _D),
        w: components("w", _D),
        wn: w - eta * gh,
        Expect(gh): components("m", _D),
        Expect(Norm(gh) ** 2): Q,
        Expect(F(wn)): Efn,
    }
    total_expectation = {Expect(F(wn)): Ef_seq(t + 1), F(w): Ef_seq(t), Norm(g) ** 2: Egsq(t)}
    rate = sp.sqrt(M * L * sigma**2 / T)
    steps = (
        Step(
            lhs=F(wn),
            rel="<=",
            rhs=F(w) + Tr(g) * (wn - w) + L / 2 * Norm(wn - w) ** 2,
            why="$L$-smoothness, Eq. 4.10 (the chapter's label says $\\beta$-smoothness)",
            premises=(smoothness(wn, w, g, "Eq. 4.10"),),
        ),
        Step(
            rhs=F(w) - eta * Tr(g) * gh + L / 2 * eta**2 * Norm(gh) ** 2,
            why=r"algorithm: $w_{t+1} - w_t = -\eta\hat\nabla_t$",
        ),
        Step(
            lhs=Expect(F(wn)),
            rel="<=",
            rhs=F(w) - eta * Tr(g) * Expect(gh) + L / 2 * eta**2 * Expect(Norm(gh) ** 2),
            why=r"take $\mathbb{E}_t$, the expectation given $w_t$ (monotone and linear; $w_t$ "
            r"and $\nabla_t$ are fixed)",
            premises=(StepsResult(1, 2, expect=True),),
        ),
        Step(
            rhs=F(w) - eta * Norm(g) ** 2 + L / 2 * eta**2 * Expect(Norm(gh) ** 2),
            why="unbiased gradient",
            assume=(sp.Eq(Expect(gh), g),),
        ),
        Step(
            rel="<=",
            rhs=F(w) - eta * Norm(g) ** 2 + L / 2 * eta**2 * sigma**2,
            why="second-moment bound, Eq. 4.11 read as $\\le$",
            assume=(sp.Le(Expect(Norm(gh) ** 2), sigma**2),),
        ),
        Step(
            lhs=eta * sp.Sum(Egsq(t), (t, 1, T)),
            rel="<=",
            rhs=Ef_seq(1) - Ef_seq(T + 1) + T * L * eta**2 * sigma**2 / 2,
            why="take the total expectation and sum; the values telescope",
            premises=(
                StepsResult(
                    3,
                    5,
                    "total expectation",
                    rename=tuple(total_expectation.items()),
                    summed=(t, 1, T),
                ),
            ),
        ),
        Step(
            rel="<=",
            rhs=M + T * L * eta**2 * sigma**2 / 2,
            why="$\\lvert f\\rvert \\le M/2$ at $t = 1$ and $t = T + 1$",
            assume=(*_range(Ef_seq(1), M / 2), *_range(Ef_seq(T + 1), M / 2)),
        ),
        Step(
            lhs=sp.Sum(Egsq(t), (t, 1, T)) / T,
            rel="<=",
            rhs=M / (T * eta) + eta * L * sigma**2 / 2,
            why=r"divide by $T\eta$",
            premises=(StepsResult(6, 7, multiplier=1 / (T * eta)),),
        ),
        Step(
            rhs=sp.Add(rate, rate / 2, evaluate=False),
            why=r"the chapter's step $\eta = \sqrt{M / (L\sigma^2 T)}$",
            assume=(sp.Eq(eta, sp.sqrt(M / (L * sigma**2 * T))),),
        ),
        Step(rhs=sp.Rational(3, 2) * rate, why="algebra"),
        Step(
            lhs=sp.Rational(3, 2) * rate,
            rel="<",
            rhs=2 * rate,
            why="the chapter's final constant 2 is looser than the $3/2$ its algebra gives",
        ),
    )
    return Derivation(
        key="sgd-rate",
        title="Theorem 4.6.2: stochastic gradient descent",
        source="Theorem 4.6.2",
        section="4.6",
        claim=r"with $\eta = \sqrt{M/(L\sigma^2 T)}$, $\mathbb{E}\big[\frac1T\sum_t "
        r"\lVert\nabla_t\rVert_2^2\big] \le \frac32\sqrt{ML\sigma^2/T}$ (the chapter states 2)",
        steps=steps,
        assume=positive(L, eta, M, sigma),
        where=((wn, w - eta * gh),),
        names=names,
        components=comps,
        random=frozenset({gh, wn}),
        result=(8, 10),
    )


@cache
def sgd_step_size() -> Derivation:
    """Which ``eta`` minimises Theorem 4.6.2's bound, and its constant against the chapter's."""
    eta_star, eta_ch = sp.Symbol("eta_star", positive=True), sp.Symbol("eta_c", positive=True)
    x = sp.Symbol("x", positive=True)
    names = {eta_star: r"\eta^\star", eta_ch: r"\eta_{\mathrm{ch}}"}
    bound = lambda v: M / (T * v) + v * L * sigma**2 / 2  # noqa: E731 - the bound as a formula
    comps = {
        B: bound,
        eta_star: sp.sqrt(2 * M / (L * sigma**2 * T)),
        eta_ch: sp.sqrt(M / (L * sigma**2 * T)),
    }
    rate = sp.sqrt(M * L * sigma**2 / T)
    steps = (
        Step(
            lhs=sp.Derivative(B(eta), eta),
            rhs=-M / (T * eta**2) + L * sigma**2 / 2,
            why="differentiate",
        ),
        Step(
            lhs=-M / (T * eta_star**2) + L * sigma**2 / 2,
            rhs=0,
            why=r"the derivative vanishes at $\eta^\star$",
        ),
        Step(
            lhs=B(eta),
            rel=">=",
            rhs=B(eta_star),
            why=r"for every $\eta > 0$ ($B(x\eta^\star) - B(\eta^\star)$ is a square over $x$)",
            change=Change(eta, x * comps[eta_star], x, eta / comps[eta_star]),
        ),
        Step(rhs=sp.sqrt(2) * rate, why=r"value at $\eta^\star$"),
        Step(lhs=B(eta_ch), rhs=sp.Rational(3, 2) * rate, why="value at the chapter's step"),
        Step(
            lhs=B(eta_ch) / B(eta_star),
            rhs=3 * sp.sqrt(2) / 4,
            why=r"the chapter's step costs a factor $3/(2\sqrt2) \approx 1.061$",
        ),
        Step(
            lhs=eta_star,
            rhs=sp.sqrt(2) * eta_ch,
            why=r"the best step is $\sqrt2$ times the chapter's",
        ),
    )
    return Derivation(
        key="sgd-step-size",
        title="The step size that minimises Theorem 4.6.2's bound",
        source="Theorem 4.6.2",
        section="4.6",
        claim=r"$B(\eta) = \frac{M}{T\eta} + \frac{\eta L\sigma^2}{2}$ is minimised by "
        r"$\eta^\star = \sqrt{2M/(L\sigma^2 T)}$, giving $\sqrt2\,\sqrt{ML\sigma^2/T}$ against "
        r"$\frac32\sqrt{ML\sigma^2/T}$ at the chapter's $\eta_{\mathrm{ch}} = \sqrt{M/(L\sigma^2 "
        r"T)}$",
        steps=steps,
        assume=positive(L, eta, M, sigma),
        where=(
            (B(eta), bound(eta)),
            (eta_star, comps[eta_star]),
            (eta_ch, comps[eta_ch]),
        ),
        names=names,
        components=comps,
        result=(3, 4),
    )
