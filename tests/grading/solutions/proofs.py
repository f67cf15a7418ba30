"""Second routes of the graded proof parts (never published on the site).

The first route of each part is in the exercise's solution file (substituted into the notebook by
answer name): (4.9) by the fundamental theorem of calculus in ``smoothness_bound.py``, Problem
4.1.1's bound by Cauchy–Schwarz at ``(-g, delta)`` in ``steepest_descent.py``. Here: (4.9) by
Taylor's theorem with the Hessian bound, and the bound by Cauchy–Schwarz in absolute value at
``(g, delta)``.
"""

from gdlab.proofs import (
    L,
    Proof,
    algebra,
    c,
    cauchy_schwarz,
    delta,
    dot,
    eps,
    eq,
    f,
    g,
    given,
    grad,
    hess,
    hessian_bound,
    le,
    norm,
    quad,
    s,
    taylor,
    w,
    w_t,
)

x_s = w_t + s * (w - w_t)  # the point of the segment at s
xi = w_t + c * (w - w_t)  # Taylor's intermediate point

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

proof_411_abs = Proof(
    goal=-eps * norm(g) <= dot(g, delta),
    steps=[
        le(-norm(g) * norm(delta), by=given),
        le(-abs(dot(g, delta)), by=cauchy_schwarz(g, delta)),
        le(dot(g, delta), by=algebra),
    ],
    part="4.1.1p",
)
