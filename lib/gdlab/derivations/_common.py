"""Symbols and facts shared by several derivations."""

from __future__ import annotations

import sympy as sp

from ._algebra import Norm, Tr, scalar_fn, vec, vector_fn
from .core import Premise

# Scalars. Positivity is part of the symbol; ranges are stated as assumptions.
eta = sp.Symbol("eta", positive=True)
#: the step size as a free real variable, for solution sets (nothing assumed about its sign)
eta_real = sp.Symbol("eta_real", real=True)
L = sp.Symbol("L", positive=True)
mu = sp.Symbol("mu", positive=True)
lam = sp.Symbol("lambda", positive=True)
beta = sp.Symbol("beta", nonnegative=True)
beta1 = sp.Symbol("beta_1", nonnegative=True)
M = sp.Symbol("M", positive=True)
sigma = sp.Symbol("sigma", positive=True)
T = sp.Symbol("T", integer=True, positive=True)
t = sp.Symbol("t", integer=True)
i = sp.Symbol("i", integer=True)

# The loss as a function of a vector, and its gradient as a vector-valued function.
F = scalar_fn("f", "f(@)")
GradF = vector_fn("gradf", r"\nabla f(@)")


def positive(*symbols) -> tuple:
    """Display ``x > 0`` for symbols declared positive (kept unevaluated, so it prints)."""
    return tuple(sp.StrictGreaterThan(x, 0, evaluate=False) for x in symbols)


def components(name: str, d: int) -> sp.Matrix:
    """A column of ``d`` real symbols ``name_1 .. name_d``."""
    return sp.Matrix([sp.Symbol(f"{name}_{k}", real=True) for k in range(1, d + 1)])


def smoothness(w, v, grad_v, label: str = "L-smoothness, Eq. 4.9") -> Premise:
    """Eq. 4.9 at the points ``w`` and ``v``: ``f(w) <= f(v) + grad^T (w - v) + L/2 |w - v|^2``."""
    return Premise(label, F(w), "<=", F(v) + Tr(grad_v) * (w - v) + L / 2 * Norm(w - v) ** 2)


__all__ = [
    "F",
    "GradF",
    "L",
    "M",
    "T",
    "beta",
    "beta1",
    "components",
    "eta",
    "eta_real",
    "i",
    "lam",
    "positive",
    "mu",
    "sigma",
    "smoothness",
    "t",
    "vec",
]
