"""Reference solution of exercises/steepest_descent.md (Problem 4.1.1). Not published."""

import numpy as np
import sympy as sp

from gdlab.proofs import Eq, Proof, cauchy_schwarz, delta, dot, eps, eq, g, given, le, norm


def steepest_step_l2(g, eps):
    """The minimizer of g @ delta over ||delta||_2 <= eps: -eps g / ||g||_2."""
    g = np.asarray(g, dtype=float)
    norm = np.linalg.norm(g)
    if norm == 0:
        return np.zeros_like(g)
    return -eps * g / norm


epsilon, g_norm = sp.symbols("epsilon g_norm", positive=True)
alpha = epsilon / g_norm


def steepest_step_linf(g, eps):
    """The sign step -eps sign(g) (signSGD, Lion): every coordinate moves by eps."""
    return -eps * np.sign(np.asarray(g, dtype=float))


def steepest_step_l1(g, eps):
    """The coordinate step: move the coordinate with the largest |g_i| by eps."""
    g = np.asarray(g, dtype=float)
    delta = np.zeros_like(g)
    if np.any(g):
        i = np.argmax(np.abs(g))
        delta[i] = -eps * np.sign(g[i])
    return delta


linf_gain = 10.0


# The proof parts: the bound (4.1.1p) by Cauchy–Schwarz at (-g, delta) and the hypothesis, and
# the step -eps g / |g| that attains it (4.1.1q). tests/grading/solutions/proofs.py has a second
# route for the bound (Cauchy–Schwarz in absolute value).
proof_411_bound = Proof(
    goal=-eps * norm(g) <= dot(g, delta),
    steps=[
        le(-norm(g) * norm(delta), by=given),
        le(dot(g, delta), by=cauchy_schwarz(-g, delta)),
    ],
    part="4.1.1p",
)

proof_411_tight = Proof(
    goal=Eq(dot(g, -eps * g / norm(g)), -eps * norm(g)),
    steps=[eq(-eps * norm(g) ** 2 / norm(g)), eq(-eps * norm(g))],
    part="4.1.1q",
)
