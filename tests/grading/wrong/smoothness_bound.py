"""Hand-written wrong answers for smoothness_bound (expected: 4.1.3b and 4.1.3d pass)."""

import numpy as np

from gdlab.proofs import (
    L,
    Proof,
    c,
    dot,
    eq,
    f,
    grad,
    hess,
    hessian_bound,
    le,
    norm,
    quad,
    taylor,
    w,
    w_t,
)


def smoothness_quadratic(A):
    return np.linalg.eigvalsh(A)[-1]  # misses a dominant negative eigenvalue


def smoothness_logistic(X):
    return np.linalg.eigvalsh(X.T @ X)[-1] / len(X)  # forgets the 1/4


def counterexample(L):
    return 10.0, 0.0  # fails (4.9) only for small L


xi = w_t + c * (w - w_t)

# (4.9) by Taylor's theorem with the 1/2 of the remainder dropped: step 1 is false.
proof_49 = Proof(
    goal=f(w) <= f(w_t) + dot(grad(w_t), w - w_t) + L / 2 * norm(w - w_t) ** 2,
    steps=[
        eq(f(w_t) + dot(grad(w_t), w - w_t) + quad(hess(xi), w - w_t), by=taylor(w_t, w)),
        le(
            f(w_t) + dot(grad(w_t), w - w_t) + L / 2 * norm(w - w_t) ** 2,
            by=hessian_bound(xi, w - w_t),
        ),
    ],
    part="4.1.3p",
)
