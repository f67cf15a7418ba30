"""Reference solution of exercises/minibatch_variance.md (Problem 4.6.3). Not published."""

import numpy as np
import sympy as sp

from gdlab.proofs import (
    G,
    L,
    M,
    Proof,
    T,
    cross,
    eq,
    expectation_linear,
    given,
    independence,
    le,
    sigma_B2,
    sum_sq,
    var_B,
    zero_mean,
)


def minibatch_grad(G, B, rng, replace=True):
    """The average of B rows of G drawn with or without replacement."""
    G = np.asarray(G, dtype=float)
    rows = rng.choice(len(G), size=B, replace=replace)
    return G[rows].mean(axis=0)


gamma_1, B = sp.symbols("gamma_1 B", positive=True)
gamma_B_sq = gamma_1**2 / B


def variance_curve(G, batch_sizes, rng, n_draws=1000):
    """Empirical E||g_B - grad f||^2 per batch size, and the slope of its log-log line."""
    G = np.asarray(G, dtype=float)
    full = G.mean(axis=0)
    variances = []
    for b in batch_sizes:
        draws = np.array([minibatch_grad(G, b, rng) for _ in range(n_draws)])
        variances.append(np.mean(np.sum((draws - full) ** 2, axis=1)))
    variances = np.array(variances)
    slope = np.polyfit(np.log(batch_sizes), np.log(variances), 1)[0]
    return variances, slope


epsilon = sp.Symbol("epsilon", positive=True)
T_iterations = 1 / epsilon**2 + 1 / (B * epsilon**4)


# The proof part (4.6.3q): the variance of the mean of B independent draws is gamma_1^2 / B.
proof_var = Proof(
    goal=var_B <= gamma_1**2 / B,
    steps=[
        eq((sum_sq + cross) / B**2, by=expectation_linear),
        eq(sum_sq / B**2, by=[independence, zero_mean]),
        le(B * gamma_1**2 / B**2, by=given),
        eq(gamma_1**2 / B),
    ],
    part="4.6.3q",
)

# The proof part (4.6.3p): T(B, epsilon) iterations make Theorem 4.6.2's bound at most eps^2.
proof_T = Proof(
    goal=2 * sp.sqrt(M * L * sigma_B2 / T) <= epsilon**2,
    steps=[
        le(2 * sp.sqrt(M * L * (G**2 + gamma_1**2 / B) / T), by=given),
        le(
            2
            * sp.sqrt(
                M * L * (G**2 + gamma_1**2 / B) * epsilon**4 / (4 * M * L * (G**2 + gamma_1**2 / B))
            ),
            by=given,
        ),
        eq(epsilon**2),
    ],
    part="4.6.3p",
)
