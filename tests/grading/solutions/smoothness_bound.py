"""Reference solution of exercises/smoothness_bound.md (Problem 4.1.3). Not published."""

import numpy as np

from gdlab.proofs import (
    L,
    Proof,
    algebra,
    c,
    cauchy_schwarz,
    dot,
    eq,
    f,
    ftc,
    grad,
    integral,
    integral_monotone,
    le,
    norm,
    s,
    smoothness,
    w,
    w_t,
)


def smoothness_quadratic(A):
    """The largest |eigenvalue| of the symmetric matrix A."""
    return np.max(np.abs(np.linalg.eigvalsh(A)))


L_page = 1 + 2 * np.sqrt(2)


def smoothness_logistic(X):
    """lambda_max(X^T X) / (4 n): the Hessian at w = 0, its largest value."""
    X = np.asarray(X, dtype=float)
    return np.linalg.eigvalsh(X.T @ X)[-1] / (4 * len(X))


def smoothness_gap(f, grad_f, L, w, w_t):
    """Right side of (4.9) minus f(w): non-negative exactly when (4.9) holds."""
    step = np.asarray(w, dtype=float) - np.asarray(w_t, dtype=float)
    return f(w_t) + grad_f(w_t) @ step + L / 2 * step @ step - f(w)


def counterexample(L):
    """With w_t = 0, w**4 > L/2 w**2 as soon as w**2 > L/2: take w = sqrt(L)."""
    return float(np.sqrt(L)), 0.0


# The proof part (4.1.3p): (4.9) by the fundamental theorem of calculus along the segment.
# tests/grading/solutions/proofs.py has a second route (Taylor's theorem and the Hessian bound).
x_s = w_t + s * (w - w_t)
xi = w_t + c * (w - w_t)

proof_49 = Proof(
    goal=f(w) <= f(w_t) + dot(grad(w_t), w - w_t) + L / 2 * norm(w - w_t) ** 2,
    steps=[
        eq(f(w_t) + integral(dot(grad(x_s), w - w_t), s), by=ftc(w_t, w)),
        eq(
            f(w_t) + dot(grad(w_t), w - w_t) + integral(dot(grad(x_s) - grad(w_t), w - w_t), s),
            by=algebra,
        ),
        le(
            f(w_t)
            + dot(grad(w_t), w - w_t)
            + integral(norm(grad(x_s) - grad(w_t)) * norm(w - w_t), s),
            by=[cauchy_schwarz(grad(x_s) - grad(w_t), w - w_t), integral_monotone],
        ),
        le(
            f(w_t) + dot(grad(w_t), w - w_t) + integral(L * s * norm(w - w_t) ** 2, s),
            by=[smoothness(x_s, w_t), integral_monotone],
        ),
        eq(f(w_t) + dot(grad(w_t), w - w_t) + L / 2 * norm(w - w_t) ** 2, by=algebra),
    ],
    part="4.1.3p",
)
