"""Reference proofs of the graded proof parts (never published on the site).

Two routes for (4.9) (the integral form of the fundamental theorem of calculus, and Taylor's
theorem with the Hessian bound) and two for Problem 4.1.1's bound (Cauchy–Schwarz as
``u^T v <= |u| |v|`` at ``(-g, delta)``, and in absolute value at ``(g, delta)``).
"""

from sympy import sqrt

from gdlab.proofs import (
    B,
    Eq,
    G,
    L,
    M,
    Proof,
    T,
    algebra,
    c,
    cauchy_schwarz,
    delta,
    dot,
    eps,
    eq,
    f,
    ftc,
    g,
    given,
    grad,
    hess,
    hessian_bound,
    integral,
    integral_monotone,
    le,
    norm,
    quad,
    s,
    sigma_B2,
    smoothness,
    taylor,
    w,
    w_t,
)
from gdlab.proofs import (
    gamma as gamma_1,
)

x_s = w_t + s * (w - w_t)  # the point of the segment at s
xi = w_t + c * (w - w_t)  # Taylor's intermediate point

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

proof_49_taylor = Proof(
    goal=f(w) <= f(w_t) + dot(grad(w_t), w - w_t) + L / 2 * norm(w - w_t) ** 2,
    steps=[
        eq(
            f(w_t) + dot(grad(w_t), w - w_t) + quad(hess(xi), w - w_t) / 2,
            by=taylor(w_t, w),
        ),
        le(
            f(w_t) + dot(grad(w_t), w - w_t) + L / 2 * norm(w - w_t) ** 2,
            by=hessian_bound(xi, w - w_t),
        ),
    ],
    part="4.1.3p",
)

proof_411 = Proof(
    goal=-eps * norm(g) <= dot(g, delta),
    steps=[
        le(-norm(g) * norm(delta), by=given),
        le(dot(g, delta), by=cauchy_schwarz(-g, delta)),
    ],
    part="4.1.1p",
)

proof_411_abs = Proof(
    goal=-eps * norm(g) <= dot(g, delta),
    steps=[
        le(-norm(g) * norm(delta), by=given),
        le(-abs(dot(g, delta)), by=cauchy_schwarz(g, delta)),
        le(dot(g, delta), by=algebra),
    ],
    part="4.1.1p",
)

proof_411_tight = Proof(
    goal=Eq(dot(g, -eps * g / norm(g)), -eps * norm(g)),
    steps=[
        eq(-eps * norm(g) ** 2 / norm(g), by=algebra),
        eq(-eps * norm(g), by=algebra),
    ],
    part="4.1.1q",
)

proof_463 = Proof(
    goal=2 * sqrt(M * L * sigma_B2 / T) <= eps**2,
    steps=[
        le(2 * sqrt(M * L * (G**2 + gamma_1**2 / B) / T), by=given),
        le(
            2
            * sqrt(
                M * L * (G**2 + gamma_1**2 / B) * eps**4 / (4 * M * L * (G**2 + gamma_1**2 / B))
            ),
            by=given,
        ),
        eq(eps**2, by=algebra),
    ],
    part="4.6.3p",
)
