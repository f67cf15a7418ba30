"""Section 4.3: momentum. Heavy ball (velocity form, unrolled, tuned on a quadratic) and
Nesterov."""

from __future__ import annotations

from functools import cache

import sympy as sp
from sympy.matrices.expressions import MatMul

from ._algebra import Det, Tr, scalar_fn, vec
from ._common import GradF, L, beta, components, eta, i, lam, mu, positive, t
from .core import Derivation, Induction, Step
from .quadratic import orthogonal_matrix

__all__ = [
    "heavy_ball_eigenbasis",
    "heavy_ball_rate",
    "heavy_ball_velocity",
    "momentum_unrolled",
    "nesterov_equivalence",
]

_D = 3
grad_i = scalar_fn("grad_i", r"\nabla f(w_{@})")


@cache
def heavy_ball_velocity() -> Derivation:
    """The velocity form ``v_t = beta v_{t-1} + eta grad, w_{t+1} = w_t - v_t`` is the heavy
    ball."""
    w, wp, g, vp, v = (vec(n) for n in ("w", "w_prev", "g", "v_prev", "v"))
    comps = {
        w: components("w", _D),
        wp: components("p", _D),
        g: components("g", _D),
        vp: wp - w,
        v: beta * vp + eta * g,
    }
    names = {w: "w_t", wp: "w_{t-1}", g: r"\nabla f(w_t)", vp: "v_{t-1}", v: "v_t"}
    steps = (
        Step(
            lhs=w - v, rhs=w - beta * vp - eta * g, why=r"$v_t = \beta v_{t-1} + \eta\nabla f(w_t)$"
        ),
        Step(
            rhs=w - eta * g + beta * (w - wp),
            why=r"$v_{t-1} = w_{t-1} - w_t$, from the previous update $w_t = w_{t-1} - v_{t-1}$",
        ),
    )
    return Derivation(
        key="heavy-ball-velocity",
        title="Velocity form of the heavy ball",
        source="Section 4.3",
        section="4.3",
        claim=r"$w_{t+1} = w_t - v_t$ with $v_t = \beta v_{t-1} + \eta\nabla f(w_t)$ is the "
        r"heavy-ball "
        r"update $w_{t+1} = w_t - \eta\nabla f(w_t) + \beta(w_t - w_{t-1})$",
        steps=steps,
        where=((v, beta * vp + eta * g), (vp, wp - w)),
        names=names,
        components=comps,
    )


@cache
def momentum_unrolled() -> Derivation:
    """``v_t`` is a weighted *sum* of past gradients; its weights add up to ``eta (1 -
    beta^{t+1})/(1 - beta)``."""
    v = scalar_fn("v", "v_{@}")
    prev = sp.Symbol("v_prev")
    s_prev = sp.Symbol("S_prev")
    weights = eta * sp.Sum(beta ** (t - i), (i, 0, t))
    steps = (
        Step(
            lhs=v(t),
            rhs=eta * sp.Sum(beta ** (t - i) * grad_i(i), (i, 0, t)),
            why=r"unroll the velocity (each coordinate; $v_{-1} = 0$)",
            induction=Induction(t, 0, prev, beta * prev + eta * grad_i(t), 0),
        ),
        Step(
            lhs=weights,
            rhs=eta * (1 - beta ** (t + 1)) / (1 - beta),
            why="the weights form a geometric series",
            induction=Induction(t, 0, s_prev, beta * s_prev + eta, 0, lhs_defined=False),
        ),
    )
    return Derivation(
        key="momentum-unrolled",
        title="Momentum as a weighted sum of past gradients",
        source="Section 4.3",
        section="4.3",
        claim=r"$v_t = \eta\sum_{i=0}^{t} \beta^{t-i}\nabla f(w_i)$, whose weights sum to "
        r"$\eta(1 - \beta^{t+1})/(1 - \beta)$, not to 1",
        steps=steps,
        assume=(sp.Ge(t, 0), sp.Lt(beta, 1)),
        names={prev: "v_{t-1}", s_prev: "S_{t-1}"},
        result=(1, 1),
    )


@cache
def nesterov_equivalence() -> Derivation:
    """Nesterov's look-ahead form equals the re-parameterised form in the look-ahead point
    ``y_t``."""
    d = 2
    w, vp, y, v, wn, yn = (vec(n) for n in ("w", "v_prev", "y", "v", "w_next", "y_next"))
    gfuns = [sp.Function(f"g{k}", real=True) for k in range(1, d + 1)]
    comps = {
        w: components("w", d),
        vp: components("v", d),
        y: w - beta * vp,
        v: beta * vp + eta * GradF(w - beta * vp),
        wn: w - v,
        yn: wn - beta * v,
        GradF: lambda x: sp.Matrix([g(*x) for g in gfuns]),
    }
    names = {w: "w_t", vp: "v_{t-1}", y: "y_t", v: "v_t", wn: "w_{t+1}", yn: "y_{t+1}"}
    steps = (
        Step(
            lhs=wn,
            rhs=w - beta * vp - eta * GradF(w - beta * vp),
            why=r"NAG as in the chapter: $w_{t+1} = w_t - v_t$, gradient at the look-ahead point",
        ),
        Step(rhs=y - eta * GradF(y), why=r"$y_t = w_t - \beta v_{t-1}$"),
        Step(lhs=yn, rhs=wn - beta * v, why=r"the next look-ahead point, by definition"),
        Step(rhs=wn + beta * (wn - w), why=r"$v_t = w_t - w_{t+1}$"),
        Step(
            lhs=yn,
            rhs=y - eta * GradF(y) - beta * v,
            why=r"the same update written in $y$ alone, with $v_t = \beta v_{t-1} + \eta\nabla "
            r"f(y_t)$ "
            "(the form PyTorch's `nesterov=True` stores)",
        ),
    )
    return Derivation(
        key="nesterov-equivalence",
        title="Nesterov: look-ahead and re-parameterised forms",
        source="Section 4.3",
        section="4.3",
        claim=r"with $y_t = w_t - \beta v_{t-1}$, NAG is $w_{t+1} = y_t - \eta\nabla f(y_t)$, "
        r"$y_{t+1} = w_{t+1} + \beta(w_{t+1} - w_t)$: a gradient step from the look-ahead point, "
        r"then an extrapolation",
        steps=steps,
        where=((y, w - beta * vp), (v, beta * vp + eta * GradF(y)), (wn, w - v)),
        names=names,
        components=comps,
        result=(1, 2),
    )


@cache
def heavy_ball_eigenbasis() -> Derivation:
    """On ``f = w^T A w / 2`` the heavy ball decouples along eigenvectors into 2x2 recurrences."""
    U, A, Lam, w, wp, wh, whp = (
        vec(n) for n in ("U", "A", "Lambda", "w", "w_prev", "w_hat", "w_hat_prev")
    )
    u = orthogonal_matrix(2)
    lams = sp.diag(sp.Symbol("lambda_1", positive=True), sp.Symbol("lambda_2", positive=True))
    x0, x1 = sp.symbols("x_t x_tm1", real=True)
    Mlam = sp.ImmutableMatrix([[1 + beta - eta * lam, -beta], [1, 0]])
    comps = {
        U: u,
        A: u * lams * u.T,
        Lam: lams,
        w: components("w", 2),
        wp: components("p", 2),
        wh: Tr(U) * w,
        whp: Tr(U) * wp,
    }
    names = {
        U: "U",
        A: "A",
        Lam: r"\Lambda",
        w: "w_t",
        wp: "w_{t-1}",
        wh: r"\hat w_t",
        whp: r"\hat w_{t-1}",
        x0: "x_t",
        x1: "x_{t-1}",
    }
    steps = (
        Step(
            lhs=Tr(U) * (w - eta * A * w + beta * (w - wp)),
            rhs=wh - eta * Lam * wh + beta * (wh - whp),
            why=r"heavy ball with $\nabla f(w) = Aw$, in the eigenbasis $\hat w = U^\top w$",
        ),
        Step(
            lhs=sp.ImmutableMatrix([x0 - eta * lam * x0 + beta * (x0 - x1), x0]),
            rhs=MatMul(Mlam, sp.ImmutableMatrix([x0, x1]), evaluate=False),
            why=r"one coordinate $x = \hat w_i$ with eigenvalue $\lambda = \lambda_i$, as a 2×2 "
            r"recurrence",
        ),
    )
    return Derivation(
        key="heavy-ball-eigenbasis",
        title="Heavy ball on a quadratic: one 2×2 recurrence per eigenvalue",
        source="Section 4.3 with Section 4.4",
        section="4.3",
        claim=r"along each eigenvector the heavy ball is the linear recurrence "
        r"$(x_{t+1}, x_t) = M_\lambda (x_t, x_{t-1})$",
        steps=steps,
        where=((A, U * Lam * Tr(U)), (wh, Tr(U) * w)),
        names=names,
        components=comps,
        result=(2, 2),
    )


@cache
def heavy_ball_rate() -> Derivation:
    """Tuned heavy ball: every eigenvalue in ``[mu, L]`` gives spectral radius ``(sqrt k - 1)/(sqrt
    k + 1)``."""
    z = sp.Symbol("z")
    Mv, Id = vec("M_lambda"), vec("Id")
    kappa = sp.Symbol("kappa", positive=True)
    D = sp.Symbol("D", nonnegative=True)
    root = sp.Symbol("z_root")
    p = 1 + beta - eta * lam
    disc = sp.Symbol("Delta")
    tuned_eta = 4 / (sp.sqrt(L) + sp.sqrt(mu)) ** 2
    tuned_beta = ((sp.sqrt(L) - sp.sqrt(mu)) / (sp.sqrt(L) + sp.sqrt(mu))) ** 2
    comps = {
        Mv: sp.Matrix([[p, -beta], [1, 0]]),
        Id: sp.eye(2),
        kappa: L / mu,
        disc: p**2 - 4 * beta,
        root: (p + sp.I * sp.sqrt(D)) / 2,
    }
    names = {
        Mv: r"M_\lambda",
        Id: "I",
        kappa: r"\kappa",
        D: r"\lvert\Delta\rvert",
        disc: r"\Delta",
        root: "z",
    }
    tuned = (sp.Eq(eta, tuned_eta), sp.Eq(beta, tuned_beta))
    in_range = (sp.Le(mu, lam), sp.Le(lam, L))
    steps = (
        Step(
            lhs=Det(z * Id - Mv),
            rhs=z**2 - p * z + beta,
            why="characteristic polynomial of $M_\\lambda$",
        ),
        Step(
            lhs=disc,
            rhs=eta**2 * (lam - mu) * (lam - L),
            why="its discriminant, at the tuned $(\\eta, \\beta)$",
        ),
        Step(rel="<=", rhs=0, why="for $\\mu \\le \\lambda \\le L$", assume=in_range),
        Step(
            lhs=sp.Abs(root) ** 2,
            rhs=beta,
            why=r"so the roots $z, \bar z$ are complex conjugates and $\lvert z\rvert^2 = z\bar z$ "
            r"is "
            r"the constant term",
            assume=(*in_range, sp.Eq(D, -disc)),
        ),
        Step(
            lhs=sp.sqrt(beta),
            rhs=(sp.sqrt(kappa) - 1) / (sp.sqrt(kappa) + 1),
            why=r"the spectral radius of $M_\lambda$, the same for every $\lambda \in [\mu, L]$",
        ),
        Step(
            lhs=beta,
            rel="<",
            rhs=1,
            why=r"the tuned $\beta$ lies in $[0, 1)$, as Section 4.3 requires",
        ),
    )
    return Derivation(
        key="heavy-ball-rate",
        title="Tuned heavy ball: rate (√κ − 1)/(√κ + 1)",
        source="Section 4.3 with Section 4.4",
        section="4.3",
        claim=r"with $\eta = 4/(\sqrt{L} + \sqrt{\mu})^2$ and $\beta = \left(\frac{\sqrt{L} - "
        r"\sqrt{\mu}}{\sqrt{L} + \sqrt{\mu}}\right)^2$, every eigenvalue $\lambda \in [\mu, L]$ "
        r"gives "
        r"roots of modulus $\sqrt\beta = \frac{\sqrt\kappa - 1}{\sqrt\kappa + 1}$",
        steps=steps,
        assume=(*positive(mu), sp.Le(mu, L), *tuned),
        where=(
            (Mv, sp.ImmutableMatrix([[p, -beta], [1, 0]])),
            (disc, p**2 - 4 * beta),
            (kappa, L / mu),
        ),
        names=names,
        components=comps,
        result=(5, 5),
    )
