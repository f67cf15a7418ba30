"""Hand-written wrong answers for minibatch_variance (expected: 4.6.3b and 4.6.3c pass)."""

import sympy as sp


def minibatch_grad(G, B, rng, replace=True):
    return G[rng.choice(len(G), size=B, replace=True)].mean(axis=0)  # always with replacement


B, epsilon = sp.symbols("B epsilon", positive=True)
T_iterations = 1 / (B * epsilon**4)  # misses the 1/eps^2 regime of large batches
