"""Section 4.1: the descent lemma (Lemma 4.1.4), footnote 5's range, and the Newton step."""

from __future__ import annotations

from functools import cache

import sympy as sp

from ._algebra import Det, Grad, Norm, SolutionSet, Tr, scalar_fn, vec
from ._common import F, L, components, eta, eta_real, positive, smoothness
from .core import Derivation, Premise, Step

__all__ = ["descent_lemma", "descent_range", "newton_step"]

_D = 3  # vector form: a gradient with three symbolic components


def _gd_symbols(d: int = _D, step=eta):
    g, w, wn = vec("g"), vec("w"), vec("w_next")
    names = {g: r"\nabla f(w_t)", w: "w_t", wn: "w_{t+1}", step: r"\eta"}
    comps = {g: components("g", d), w: components("w", d), wn: w - step * g}
    return g, w, wn, names, comps


#: a step size with no sign assumed, for the lemma as the chapter states it
eta_any = sp.Symbol("eta_any", real=True)


@cache
def descent_lemma(variant: str = "checked") -> Derivation:
    """Lemma 4.1.4: ``f(w_{t+1}) <= f(w_t) - (eta/2) |grad f(w_t)|^2`` for ``0 < eta <= 1/L``.

    ``variant="as-stated"`` assumes only ``eta <= 1/L``, as the lemma is printed;
    ``variant="footnote-5"`` assumes ``0 < eta < 2/L``. Both fail at step 4 (see the errata).
    """
    if variant not in ("checked", "as-stated", "footnote-5"):
        raise ValueError(f"unknown variant {variant!r}")
    h = eta_any if variant == "as-stated" else eta
    bound = sp.Le(h, 1 / L) if variant != "footnote-5" else sp.Lt(h, 2 / L)
    g, w, wn, names, comps = _gd_symbols(step=h)
    steps = (
        Step(
            lhs=F(wn),
            rel="<=",
            rhs=F(w) + Tr(g) * (-h * g) + L / 2 * Norm(h * g) ** 2,
            why=r"L-smoothness, Eq. 4.9 at $w = w_{t+1}$, $w' = w_t$, "
            r"with $w_{t+1} - w_t = -\eta \nabla f(w_t)$",
            premises=(smoothness(wn, w, g),),
        ),
        Step(
            rhs=F(w) - h * Norm(g) ** 2 + L * h**2 / 2 * Norm(g) ** 2,
            why=r"$g^\top g = \lVert g \rVert_2^2$ and $\lVert \eta g \rVert_2 = \eta \lVert g "
            r"\rVert_2$",
        ),
        Step(rhs=F(w) - h * (1 - L * h / 2) * Norm(g) ** 2, why="factor out $\\eta$"),
        Step(
            rel="<=",
            rhs=F(w) - h / 2 * Norm(g) ** 2,
            why=r"$1 - L\eta/2 \ge 1/2$ when $\eta \le 1/L$, and $\eta \lVert \nabla f(w_t) "
            r"\rVert_2^2 \ge 0$",
            assume=(bound,),
        ),
    )
    return Derivation(
        key="descent-lemma" if variant == "checked" else f"descent-lemma-{variant}",
        title="Descent lemma",
        source="Lemma 4.1.4",
        section="4.1",
        claim=r"one gradient step with $0 < \eta \le 1/L$ lowers an $L$-smooth $f$ by at least "
        r"$\frac{\eta}{2}\lVert \nabla f(w_t) \rVert_2^2$",
        steps=steps,
        assume=positive(L, eta) if variant != "as-stated" else positive(L),
        where=((wn, w - h * g),),
        names=names,
        components=comps,
    )


@cache
def descent_range() -> Derivation:
    """Footnote 5: the step decreases ``f`` for every ``eta`` in ``(0, 2/L)``, and no other."""
    g, w, wn, names, comps = _gd_symbols()
    G = sp.Symbol("G", positive=True)
    names = {**names, G: r"\lVert \nabla f(w_t) \rVert_2^2", eta_real: r"\eta"}
    q = scalar_fn("q", "q(@)")
    x = vec("x")
    names[x] = "w"
    comps_q = {
        **comps,
        q: lambda xs: L / 2 * sum(v**2 for v in xs),
        x: components("x", _D),
    }
    grad_q = L * x
    steps = (
        Step(
            lhs=F(wn),
            rel="<=",
            rhs=F(w) - eta * (1 - L * eta / 2) * Norm(g) ** 2,
            why=r"steps 1–3 of Lemma 4.1.4, which use no bound on $\eta$",
            premises=(
                Premise(
                    "Eq. 4.9",
                    F(wn),
                    "<=",
                    F(w) + Tr(g) * (wn - w) + L / 2 * Norm(wn - w) ** 2,
                ),
            ),
        ),
        Step(
            lhs=SolutionSet(
                eta_real, sp.StrictGreaterThan(eta_real * (1 - L * eta_real / 2) * G, 0)
            ),
            rhs=sp.Interval.open(0, 2 / L),
            why=r"the guaranteed decrease is positive exactly on this set when "
            r"$\nabla f(w_t) \ne 0$ (solved, not assumed)",
        ),
        Step(
            lhs=q(x - eta * grad_q) - q(x),
            rhs=-eta * (1 - L * eta / 2) * Norm(grad_q) ** 2,
            why=r"on $q(w) = \frac{L}{2}\lVert w \rVert_2^2$ (which is $L$-smooth) step 1 holds "
            r"with equality, so no $\eta$ outside $(0, 2/L)$ guarantees descent",
        ),
    )
    return Derivation(
        key="descent-range",
        title="Descent for every step size below 2/L",
        source="Lemma 4.1.4, footnote 5",
        section="4.1",
        claim=r"a gradient step lowers $f$ whenever $0 < \eta < 2/L$ and "
        r"$\nabla f(w_t) \ne 0$, and this range cannot be widened",
        steps=steps,
        assume=positive(L),
        where=((wn, w - eta * g),),
        names=names,
        components=comps_q,
        result=(1, 1),
    )


@cache
def newton_step(d: int = 2) -> Derivation:
    """Eqs. 4.3-4.7: the minimiser of the quadratic model is ``-H^{-1} grad``.

    ``H`` is a symbolic symmetric positive definite ``d x d`` matrix, written through its
    Cholesky factor ``R`` (lower triangular, positive diagonal): every such ``H`` is ``R R^T``.
    """
    if d not in (2, 3):
        raise ValueError(f"d must be 2 or 3, got {d}")
    g, H, R, delta, star, zero = (vec(n) for n in ("g", "H", "R", "delta", "delta_star", "zero"))
    f_t = sp.Symbol("f_t", real=True)
    fq = scalar_fn("f_q", "f_q(@)")
    r = sp.zeros(d, d)
    for a in range(d):
        for b in range(a + 1):
            r[a, b] = (
                sp.Symbol(f"r_{a + 1}{b + 1}", positive=True)
                if a == b
                else sp.Symbol(f"r_{a + 1}{b + 1}", real=True)
            )
    h = r * r.T
    gc = components("g", d)
    comps = {
        g: gc,
        H: h,
        R: r,
        delta: components("delta", d),
        star: -(h.adjugate() / h.det()) * gc,
        zero: sp.zeros(d, 1),
        fq: lambda x: f_t + (gc.T * x)[0, 0] + (x.T * h * x)[0, 0] / 2,
    }
    names = {
        g: r"\nabla f(w_t)",
        H: "H_t",
        R: "R",
        delta: r"\delta",
        star: r"\delta^\star",
        zero: r"\mathbf{0}",
        f_t: "f(w_t)",
    }
    steps = (
        Step(
            lhs=Grad(fq(delta), delta),
            rhs=g + H * delta,
            why=r"differentiate Eq. 4.3; $H_t = H_t^\top$ (Eq. 4.4)",
        ),
        Step(
            lhs=g + H * star,
            rhs=zero,
            why=r"$\delta^\star = -H_t^{-1} \nabla f(w_t)$ solves $H_t \delta = -\nabla f(w_t)$ "
            "(Eqs. 4.5, 4.6)",
        ),
        Step(
            lhs=Det(H),
            rel=">",
            rhs=0,
            why=r"$H_t = R R^\top$ with $R$ triangular, positive diagonal: the solution is unique",
        ),
        Step(
            lhs=fq(star),
            rhs=f_t - Tr(g) * H**-1 * g / 2,
            why=r"the model's value at $\delta^\star$",
        ),
        Step(
            lhs=fq(delta) - fq(star),
            rhs=Tr(delta - star) * H * (delta - star) / 2,
            why="complete the square",
        ),
        Step(rhs=Norm(Tr(R) * (delta - star)) ** 2 / 2, why=r"$H_t = R R^\top$"),
        Step(rel=">=", rhs=0, why=r"a squared norm: $\delta^\star$ is the global minimiser"),
    )
    return Derivation(
        key=f"newton-step-{d}x{d}",
        title=f"Newton step ({d}×{d})",
        source="Eqs. 4.3–4.7",
        section="4.1",
        claim=r"the quadratic model's gradient vanishes only at $\delta^\star = -H_t^{-1}\nabla "
        r"f(w_t)$, its global minimiser, where it equals $f(w_t) - \frac{1}{2}\nabla f(w_t)^\top "
        r"H_t^{-1} \nabla f(w_t)$",
        steps=steps,
        where=(
            (fq(delta), f_t + Tr(g) * delta + Tr(delta) * H * delta / 2),
            (star, -(H**-1) * g),
            (H, R * Tr(R)),
        ),
        names=names,
        components=comps,
    )
