"""Section 4.4: gradient descent on the quadratic ``f(w) = w^T A w / 2``."""

from __future__ import annotations

from functools import cache

import sympy as sp

from ._algebra import Grad, SolutionSet, Tr, scalar_fn, vec
from ._common import L, components, eta, eta_real, lam, mu, positive
from .core import Cases, Derivation, Step

__all__ = [
    "orthogonal_matrix",
    "quadratic_best_step",
    "quadratic_convergence",
    "quadratic_eigenbasis",
    "quadratic_rate",
]

kappa = sp.Symbol("kappa", positive=True)
eta_star = sp.Symbol("eta_star", positive=True)
NAMES = {eta_real: r"\eta", kappa: r"\kappa", eta_star: r"\eta^\star"}


def orthogonal_matrix(d: int) -> sp.Matrix:
    """A symbolic orthogonal ``d x d`` matrix: a rotation (``d = 2``) or a Cayley transform.

    For ``d = 3``, ``U = (I - S)(I + S)^{-1}`` with ``S`` skew-symmetric in three symbols: every
    rotation without an eigenvalue ``-1`` has this form.
    """
    if d == 2:
        th = sp.Symbol("theta", real=True)
        return sp.Matrix([[sp.cos(th), -sp.sin(th)], [sp.sin(th), sp.cos(th)]])
    if d == 3:
        a, b, c = sp.symbols("a b c", real=True)
        S = sp.Matrix([[0, -c, b], [c, 0, -a], [-b, a, 0]])
        eye = sp.eye(3)
        inv = (eye + S).adjugate() / (eye + S).det()
        return sp.Matrix(3, 3, [sp.cancel(v) for v in (eye - S) * inv])
    raise ValueError(f"d must be 2 or 3, got {d}")


@cache
def quadratic_eigenbasis(d: int = 2) -> Derivation:
    """In the eigenbasis of ``A = U Lambda U^T`` gradient descent decouples coordinate by
    coordinate."""
    U, A, Lam, Id, w, wh = (vec(n) for n in ("U", "A", "Lambda", "Id", "w", "w_hat"))
    fA = scalar_fn("f_A", "f(@)")
    u = orthogonal_matrix(d)
    lams = sp.diag(*[sp.Symbol(f"lambda_{k}", positive=True) for k in range(1, d + 1)])
    a = sp.Matrix(d, d, [sp.cancel(v) for v in u * lams * u.T])
    comps = {
        U: u,
        A: a,
        Lam: lams,
        Id: sp.eye(d),
        w: components("w", d),
        wh: Tr(U) * w,
        fA: lambda x: (x.T * a * x)[0, 0] / 2,
    }
    names = {U: "U", A: "A", Lam: r"\Lambda", Id: "I", w: "w_t", wh: r"\hat w_t"}
    steps = (
        Step(
            lhs=Tr(U) * U,
            rhs=Id,
            why=f"$U$ is orthogonal ({'a rotation' if d == 2 else 'a Cayley transform'})",
        ),
        Step(lhs=Grad(fA(w), w), rhs=A * w, why=r"$A = A^\top$"),
        Step(
            lhs=Tr(U) * (w - eta * A * w),
            rhs=(Id - eta * Lam) * wh,
            why=r"one GD step in the eigenbasis: coordinate $i$ is multiplied by $1 - "
            r"\eta\lambda_i$",
        ),
        Step(
            lhs=Tr(U) * (Id - eta * A) * U,
            rhs=Id - eta * Lam,
            why=r"the iteration matrix is diagonal in the eigenbasis",
        ),
        Step(
            lhs=fA(w),
            rhs=Tr(wh) * Lam * wh / 2,
            why=r"a sum of decoupled quadratics $\frac12\sum_i \lambda_i \hat w_i^2$",
        ),
    )
    return Derivation(
        key=f"quadratic-eigenbasis-{d}",
        title=f"Eigenbasis decoupling ({d}×{d})",
        source="Section 4.4",
        section="4.4",
        claim=r"with $A = U\Lambda U^\top$ and $\hat w = U^\top w$, gradient descent acts on each "
        r"$\hat w_i$ separately: $U^\top (I - \eta A) U = I - \eta\Lambda$",
        steps=steps,
        assume=positive(eta),
        where=((A, U * Lam * Tr(U)), (wh, Tr(U) * w)),
        names=names,
        components=comps,
        result=(4, 4),
    )


@cache
def quadratic_convergence() -> Derivation:
    """``|1 - eta lambda| < 1`` if and only if ``0 < eta < 2/lambda``; over the spectrum,
    ``2/L``."""
    steps = (
        Step(
            lhs=SolutionSet(eta_real, sp.StrictLessThan(sp.Abs(1 - eta_real * lam), 1)),
            rhs=sp.Interval.open(0, 2 / lam),
            why=r"solved for $\eta$ (both signs of $1 - \eta\lambda$)",
        ),
        Step(
            lhs=sp.Interval.open(0, 2 / L),
            rel="<=",
            rhs=SolutionSet(eta_real, sp.StrictLessThan(sp.Abs(1 - eta_real * lam), 1)),
            why=r"every eigenvalue $\lambda \le L = \lambda_{\max}$ converges when $0 < \eta < "
            r"2/L$",
            assume=(sp.Le(lam, L),),
        ),
        Step(
            lhs=SolutionSet(eta_real, sp.StrictLessThan(sp.Abs(1 - eta_real * L), 1)),
            rhs=sp.Interval.open(0, 2 / L),
            why=r"and $\lambda_{\max} = L$ itself needs $\eta < 2/L$: the condition over the "
            r"spectrum is exactly $0 < \eta < 2/L$",
        ),
    )
    return Derivation(
        key="quadratic-convergence",
        title="Convergence condition",
        source="Section 4.4",
        section="4.4",
        claim=r"$\lvert 1 - \eta\lambda_i\rvert < 1$ for all $i$ if and only if "
        r"$0 < \eta < 2/\lambda_{\max}$ (all $\lambda_i > 0$)",
        steps=steps,
        assume=positive(lam, L),
        names=NAMES,
        result=(1, 1),
    )


@cache
def quadratic_rate() -> Derivation:
    """At ``eta = 1/L`` every coordinate contracts by at most ``1 - 1/kappa``."""
    steps = (
        Step(
            lhs=sp.Abs(1 - lam / L),
            rhs=1 - lam / L,
            why=r"$\lambda \le L$",
        ),
        Step(rel="<=", rhs=1 - mu / L, why=r"$\lambda \ge \mu$; equality at $\lambda = \mu$"),
        Step(rhs=1 - 1 / kappa, why=r"$\kappa = L/\mu$"),
    )
    return Derivation(
        key="quadratic-rate",
        title="Rate at step size 1/L",
        source="Section 4.4",
        section="4.4",
        claim=r"with $\eta = 1/L$ the contraction factor $\lvert 1 - \lambda/L\rvert$ over "
        r"$\lambda \in [\mu, L]$ is at most $1 - 1/\kappa$, attained at $\lambda = \mu$",
        steps=steps,
        assume=(*positive(mu), sp.Le(mu, lam), sp.Le(lam, L)),
        names=NAMES,
        components={kappa: L / mu},
    )


@cache
def quadratic_best_step() -> Derivation:
    """The fixed step ``2/(L + mu)`` gives rate ``(kappa - 1)/(kappa + 1)``, and none does
    better."""
    rate = (kappa - 1) / (kappa + 1)
    steps = (
        Step(lhs=1 - eta_star * mu, rhs=(L - mu) / (L + mu), why=r"$\eta^\star = 2/(L + \mu)$"),
        Step(
            lhs=eta_star * L - 1, rhs=(L - mu) / (L + mu), why="the two extreme directions balance"
        ),
        Step(lhs=(L - mu) / (L + mu), rhs=rate, why=r"divide by $\mu$; $\kappa = L/\mu$"),
        Step(
            lhs=sp.Abs(1 - eta_star * lam),
            rel="<=",
            rhs=rate,
            why=r"every eigenvalue in $[\mu, L]$ contracts at least this fast (linear in "
            r"$\lambda$: "
            "the extremes are the ends)",
            assume=(sp.Le(mu, lam), sp.Le(lam, L)),
        ),
        Step(
            lhs=sp.Max(sp.Abs(1 - eta * mu), sp.Abs(1 - eta * L)),
            rel=">=",
            rhs=rate,
            why=r"no fixed $\eta > 0$ does better: below $\eta^\star$ the direction $\mu$ is "
            r"slower, "
            r"above it the direction $L$",
            cases=Cases(eta, eta_star),
        ),
    )
    return Derivation(
        key="quadratic-best-step",
        title="Best fixed step size",
        source="Section 4.4",
        section="4.4",
        claim=r"$\eta^\star = 2/(L + \mu)$ minimises $\max_{\lambda \in [\mu, L]} \lvert 1 - "
        r"\eta\lambda\rvert$, with value $(\kappa - 1)/(\kappa + 1)$",
        steps=steps,
        assume=(*positive(mu, eta), sp.Le(mu, L)),
        where=((eta_star, 2 / (L + mu)), (kappa, L / mu)),
        names=NAMES,
        components={kappa: L / mu, eta_star: 2 / (L + mu)},
        result=(5, 5),
    )
