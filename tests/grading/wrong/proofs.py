"""Wrong proofs, modelled on students' mistakes: each must be refused, with its reason.

``CATALOGUE`` lists ``(key, mistake, proof, step, reason)``: ``step`` is the first step the
checker must refuse (``None``: every step holds but the chain does not prove the goal) and
``reason`` a phrase the student must read in the feedback.
"""

from sympy import Abs, sqrt

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
    cross,
    delta,
    dot,
    eps,
    eq,
    expectation_linear,
    f,
    ftc,
    g,
    given,
    grad,
    hess,
    hessian_bound,
    independence,
    integral,
    integral_monotone,
    le,
    lt,
    norm,
    quad,
    s,
    sigma_B2,
    smoothness,
    smoothness_bound,
    sum_sq,
    taylor,
    triangle,
    var_B,
    w,
    w_t,
    zero_mean,
)
from gdlab.proofs import gamma as gamma_1

D = w - w_t
x_s = w_t + s * D
xi = w_t + c * D
A = f(w_t) + dot(grad(w_t), D)  # the linear model
GOAL_49 = f(w) <= A + L / 2 * norm(D) ** 2
DG = grad(x_s) - grad(w_t)

S1 = eq(f(w_t) + integral(dot(grad(x_s), D), s), by=ftc(w_t, w))
S2 = eq(A + integral(dot(DG, D), s), by=algebra)
S3 = le(A + integral(norm(DG) * norm(D), s), by=[cauchy_schwarz(DG, D), integral_monotone])
S4 = le(A + integral(L * s * norm(D) ** 2, s), by=[smoothness(x_s, w_t), integral_monotone])
S5 = eq(A + L / 2 * norm(D) ** 2, by=algebra)


def p49(*steps):
    return Proof(goal=GOAL_49, steps=list(steps), part="4.1.3p")


GOAL_411 = -eps * norm(g) <= dot(g, delta)


def p411(*steps, goal=GOAL_411):
    return Proof(goal=goal, steps=list(steps), part="4.1.1p")


def p411q(*steps):
    return Proof(
        goal=Eq(dot(g, -eps * g / norm(g)), -eps * norm(g)), steps=list(steps), part="4.1.1q"
    )


K = G**2 + gamma_1**2 / B
GOAL_463 = 2 * sqrt(M * L * sigma_B2 / T) <= eps**2


def p463(*steps):
    return Proof(goal=GOAL_463, steps=list(steps), part="4.6.3p")


T_OK = 4 * M * L * K / eps**4
SQ = eq((sum_sq + cross) / B**2, by=expectation_linear)


def pvar(*steps):
    return Proof(goal=var_B <= gamma_1**2 / B, steps=list(steps), part="4.6.3q")


CATALOGUE = [
    # ---- (4.9), the integral route
    (
        "49-dropped-square",
        "a dropped square",
        p49(S1, S2, S3, S4, eq(A + L / 2 * norm(D))),
        5,
        "false",
    ),
    (
        "49-L-not-L/2",
        "L where L/2 is needed",
        p49(S1, S2, S3, S4, eq(A + L * norm(D) ** 2)),
        5,
        "false",
    ),
    (
        "49-integral-of-s",
        "the integral of s taken as 1",
        p49(S1, S2, S3, S4, eq(A + L * norm(D) ** 2, by=algebra)),
        5,
        "false",
    ),
    (
        "49-ftc-no-gradient-at-wt",
        "FTC with the gradient at w_t instead of along the segment",
        p49(eq(f(w_t) + integral(dot(grad(w_t), D), s), by=ftc(w_t, w)), S2, S3, S4, S5),
        1,
        "false",
    ),
    (
        "49-ftc-wrong-points",
        "FTC cited at the wrong points",
        p49(eq(f(w_t) + integral(dot(grad(x_s), D), s), by=ftc(w, w_t)), S2, S3, S4, S5),
        1,
        "points you named",
    ),
    (
        "49-ftc-as-inequality",
        "an inequality used where an equality is claimed",
        p49(eq(f(w_t) + integral(dot(grad(x_s), D), s), by=smoothness(x_s, w_t)), S2, S3, S4, S5),
        1,
        "equality is claimed",
    ),
    (
        "49-ftc-by-algebra",
        "FTC claimed as algebra",
        p49(eq(f(w_t) + integral(dot(grad(x_s), D), s), by=algebra), S2, S3, S4, S5),
        1,
        "which fact",
    ),
    (
        "49-cs-as-equality",
        "Cauchy–Schwarz used in an equality",
        p49(S1, S2, eq(A + integral(norm(DG) * norm(D), s), by=[cauchy_schwarz(DG, D)]), S4, S5),
        3,
        "equality is claimed",
    ),
    (
        "49-cs-no-monotone",
        "a bound inside an integral without monotonicity of the integral",
        p49(S1, S2, le(A + integral(norm(DG) * norm(D), s), by=cauchy_schwarz(DG, D)), S4, S5),
        3,
        "monotonicity of the integral",
    ),
    (
        "49-cs-wrong-points",
        "Cauchy–Schwarz cited at the wrong points",
        p49(
            S1,
            S2,
            le(
                A + integral(norm(DG) * norm(D), s),
                by=[cauchy_schwarz(grad(w), D), integral_monotone],
            ),
            S4,
            S5,
        ),
        3,
        "wrong points",
    ),
    (
        "49-cs-wrong-direction",
        "Cauchy–Schwarz in the wrong direction",
        p49(
            S1,
            S2,
            le(A - integral(norm(DG) * norm(D), s), by=[cauchy_schwarz(DG, D), integral_monotone]),
            le(A - integral(L * s * norm(D) ** 2, s), by=[smoothness(x_s, w_t), integral_monotone]),
        ),
        3,
        "false",
    ),
    (
        "49-smoothness-without-s",
        "Lipschitz bound at the segment point without the factor s",
        p49(
            S1,
            S2,
            S3,
            le(A + integral(L * norm(D) ** 2, s), by=[smoothness(x_s, w_t), integral_monotone]),
            S5,
        ),
        5,
        "false",
    ),
    (
        "49-smoothness-wrong-points",
        "Definition 4.1.2 at the wrong points",
        p49(
            S1,
            S2,
            S3,
            le(A + integral(L * s * norm(D) ** 2, s), by=[smoothness(w, w_t), integral_monotone]),
            S5,
        ),
        4,
        "wrong points",
    ),
    (
        "49-smoothness-as-equality",
        "the Lipschitz bound written as an equality",
        p49(S1, S2, S3, eq(A + integral(L * s * norm(D) ** 2, s), by=[smoothness(x_s, w_t)]), S5),
        4,
        "equality is claimed",
    ),
    (
        "49-smoothness-uncited",
        "the Lipschitz bound used without citing it",
        p49(S1, S2, S3, le(A + integral(L * s * norm(D) ** 2, s), by=integral_monotone), S5),
        4,
        "does not follow",
    ),
    (
        "49-circular",
        "a circular step that cites the goal",
        p49(le(A + L / 2 * norm(D) ** 2, by=smoothness_bound(w, w_t))),
        1,
        "circular",
    ),
    (
        "49-square-inside",
        "the norm squared inside the Lipschitz bound",
        p49(
            S1,
            S2,
            S3,
            le(
                A + integral(L * s**2 * norm(D) ** 2, s),
                by=[smoothness(x_s, w_t), integral_monotone],
            ),
            eq(A + L / 3 * norm(D) ** 2),
        ),
        4,
        "false",
    ),
    (
        "49-lost-linear-term",
        "the linear term dropped when splitting the integral",
        p49(S1, eq(f(w_t) + integral(dot(DG, D), s), by=algebra), S3, S4, S5),
        2,
        "false",
    ),
    (
        "49-sign-of-linear-term",
        "the linear term's sign flipped",
        p49(S1, eq(f(w_t) - dot(grad(w_t), D) + integral(dot(DG, D), s), by=algebra), S3, S4, S5),
        2,
        "false",
    ),
    (
        "49-stops-early",
        "the chain stops before the goal's right side",
        p49(S1, S2, S3),
        None,
        "not at the goal's right side",
    ),
    (
        "49-wrong-goal",
        "the goal with L/2 replaced by L",
        Proof(
            goal=f(w) <= A + L * norm(D) ** 2,
            steps=[S1, S2, S3, S4, eq(A + L * norm(D) ** 2 / 2)],
            part="4.1.3p",
        ),
        None,
        "not the statement",
    ),
    (
        "49-strict",
        "a strict step that only holds with <=",
        p49(
            S1,
            S2,
            S3,
            lt(A + integral(L * s * norm(D) ** 2, s), by=[smoothness(x_s, w_t), integral_monotone]),
            S5,
        ),
        4,
        "false",
    ),
    (
        "49-triangle-instead",
        "the triangle inequality where Cauchy–Schwarz is needed",
        p49(
            S1,
            S2,
            le(A + integral(norm(DG) * norm(D), s), by=[triangle(DG, D), integral_monotone]),
            S4,
            S5,
        ),
        3,
        "wrong points",
    ),
    # ---- (4.9), the Taylor route
    (
        "49t-no-half",
        "Taylor's remainder without the 1/2",
        p49(
            eq(A + quad(hess(xi), D), by=taylor(w_t, w)),
            le(A + L * norm(D) ** 2, by=hessian_bound(xi, D)),
        ),
        1,
        "false",
    ),
    (
        "49t-hessian-at-wt",
        "the Hessian at w_t, not at the intermediate point",
        p49(
            eq(A + quad(hess(w_t), D) / 2, by=taylor(w_t, w)),
            le(A + L / 2 * norm(D) ** 2, by=hessian_bound(w_t, D)),
        ),
        1,
        "false",
    ),
    (
        "49t-hessian-as-equality",
        "the Hessian bound written as an equality",
        p49(
            eq(A + quad(hess(xi), D) / 2, by=taylor(w_t, w)),
            eq(A + L / 2 * norm(D) ** 2, by=hessian_bound(xi, D)),
        ),
        2,
        "equality is claimed",
    ),
    (
        "49t-hessian-wrong-points",
        "the Hessian bound at the wrong point",
        p49(
            eq(A + quad(hess(xi), D) / 2, by=taylor(w_t, w)),
            le(A + L / 2 * norm(D) ** 2, by=hessian_bound(w, D)),
        ),
        2,
        "wrong points",
    ),
    (
        "49t-L-squared",
        "L squared in the Hessian bound",
        p49(
            eq(A + quad(hess(xi), D) / 2, by=taylor(w_t, w)),
            le(A + L**2 / 2 * norm(D) ** 2, by=hessian_bound(xi, D)),
        ),
        2,
        "false",
    ),
    (
        "49t-taylor-uncited",
        "Taylor's theorem used without citing it",
        p49(
            eq(A + quad(hess(xi), D) / 2, by=algebra),
            le(A + L / 2 * norm(D) ** 2, by=hessian_bound(xi, D)),
        ),
        1,
        "which fact",
    ),
    (
        "49t-taylor-reversed",
        "Taylor's theorem expanded around w instead of w_t",
        p49(
            eq(A + quad(hess(xi), D) / 2, by=taylor(w, w_t)),
            le(A + L / 2 * norm(D) ** 2, by=hessian_bound(xi, D)),
        ),
        1,
        "points you named",
    ),
    # ---- 4.1.1: the bound
    (
        "411-cs-wrong-direction",
        "Cauchy–Schwarz in the wrong direction",
        p411(
            le(-norm(g) * norm(delta), by=given),
            le(dot(g, delta) - 2 * norm(g) * norm(delta), by=cauchy_schwarz(g, delta)),
            le(dot(g, delta)),
        ),
        2,
        "false",
    ),
    (
        "411-given-wrong-side",
        "the hypothesis |delta| <= eps used the wrong way",
        p411(
            le(-norm(g) * norm(delta), by=algebra), le(dot(g, delta), by=cauchy_schwarz(-g, delta))
        ),
        1,
        "which fact",
    ),
    (
        "411-equality-claimed",
        "Cauchy–Schwarz claimed as an equality",
        p411(le(-norm(g) * norm(delta), by=given), eq(dot(g, delta), by=cauchy_schwarz(-g, delta))),
        2,
        "equality is claimed",
    ),
    (
        "411-no-eps",
        "the bound proved without epsilon",
        p411(le(-norm(g), by=given), le(dot(g, delta), by=cauchy_schwarz(-g, delta))),
        1,
        "false",
    ),
    (
        "411-cs-uncited",
        "Cauchy–Schwarz used without citing it",
        p411(le(-norm(g) * norm(delta), by=given), le(dot(g, delta), by=algebra)),
        2,
        "which fact",
    ),
    (
        "411-cs-wrong-points",
        "Cauchy–Schwarz cited at the wrong points",
        p411(le(-norm(g) * norm(delta), by=given), le(dot(g, delta), by=cauchy_schwarz(g, g))),
        2,
        "wrong points",
    ),
    (
        "411-strict",
        "a strict inequality that fails for delta = -eps g/|g|",
        p411(lt(-norm(g) * norm(delta), by=given), le(dot(g, delta), by=cauchy_schwarz(-g, delta))),
        1,
        "false",
    ),
    (
        "411-abs-dropped",
        "the absolute value dropped the wrong way",
        p411(
            le(-norm(g) * norm(delta), by=given),
            le(-Abs(dot(g, delta)), by=cauchy_schwarz(g, delta)),
            eq(dot(g, delta), by=algebra),
        ),
        3,
        "false",
    ),
    (
        "411-triangle",
        "the triangle inequality in place of Cauchy–Schwarz",
        p411(le(-norm(g) * norm(delta), by=given), le(dot(g, delta), by=triangle(g, delta))),
        2,
        "wrong points",
    ),
    (
        "411-squared-norm",
        "a square on the norm of g",
        p411(
            le(-(norm(g) ** 2) * norm(delta), by=given),
            le(dot(g, delta), by=cauchy_schwarz(-g, delta)),
            goal=-eps * norm(g) ** 2 <= dot(g, delta),
        ),
        2,
        "not the statement",
    ),
    # ---- 4.1.1: tightness
    (
        "411q-norm-not-squared",
        "|g|^2 / |g| taken as 1",
        p411q(eq(-eps * norm(g) ** 2 / norm(g), by=algebra), eq(-eps, by=algebra)),
        2,
        "false",
    ),
    ("411q-sign", "the sign of the step lost", p411q(eq(eps * norm(g), by=algebra)), 1, "false"),
    # ---- 4.6.3(b)
    (
        "463-1/B-not-1/B^2",
        "1/B where the bound needs gamma_1^2/B (a square lost)",
        p463(
            le(2 * sqrt(M * L * (G**2 + gamma_1**2 / B**2) / T), by=given),
            le(2 * sqrt(M * L * (G**2 + gamma_1**2 / B**2) * eps**4 / (4 * M * L * K))),
            eq(eps**2),
        ),
        1,
        "false",
    ),
    (
        "463-eps-squared",
        "epsilon^2 where epsilon^4 is needed",
        p463(
            le(2 * sqrt(M * L * K / T), by=given),
            le(2 * sqrt(M * L * K * eps**2 / (4 * M * L * K)), by=given),
            eq(eps, by=algebra),
        ),
        2,
        "false",
    ),
    (
        "463-given-uncited",
        "the hypothesis on T used without citing it",
        p463(
            le(2 * sqrt(M * L * K / T), by=given),
            le(2 * sqrt(M * L * K * eps**4 / (4 * M * L * K)), by=algebra),
            eq(eps**2, by=algebra),
        ),
        2,
        "which fact",
    ),
    (
        "463-no-2",
        "the factor 2 of Theorem 4.6.2 dropped",
        p463(
            le(sqrt(M * L * K / T), by=given),
            le(sqrt(M * L * K * eps**4 / (4 * M * L * K)), by=given),
            eq(eps**2 / 2, by=algebra),
        ),
        1,
        "false",
    ),
    # ---- 4.6.3(a)
    (
        "463a-cross-terms",
        "cross terms dropped without independence",
        pvar(SQ, eq(sum_sq / B**2), le(B * gamma_1**2 / B**2, by=given), eq(gamma_1**2 / B)),
        2,
        "which fact",
    ),
    (
        "463a-1/B",
        "1/B instead of 1/B^2 for the square of the mean",
        pvar(
            eq((sum_sq + cross) / B, by=expectation_linear),
            eq(sum_sq / B, by=[independence, zero_mean]),
            le(B * gamma_1**2 / B, by=given),
            eq(gamma_1**2 / B),
        ),
        1,
        "false",
    ),
    (
        "463a-no-zero-mean",
        "independence without zero mean",
        pvar(
            SQ,
            eq(sum_sq / B**2, by=independence),
            le(B * gamma_1**2 / B**2, by=given),
            eq(gamma_1**2 / B),
        ),
        2,
        "which other fact",
    ),
    (
        "463a-given-as-equality",
        "the hypothesis E|X_i|^2 <= gamma_1^2 used as an equality",
        pvar(SQ, eq(sum_sq / B**2, by=[independence, zero_mean]), eq(gamma_1**2 / B, by=given)),
        3,
        "false",
    ),
]
