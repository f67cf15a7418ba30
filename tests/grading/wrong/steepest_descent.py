"""Hand-written wrong answers for steepest_descent (expected: 4.1.1c, 4.1.1q pass)."""

import numpy as np
import sympy as sp

from gdlab.proofs import Proof, delta, dot, eps, g, given, le, norm


def steepest_step_l2(g, eps):
    return -eps * g / np.linalg.norm(g)  # NaN for a zero gradient


epsilon, g_norm = sp.symbols("epsilon g_norm", positive=True)
alpha = epsilon * g_norm


def steepest_step_l1(g, eps):
    return -eps * np.sign(g)  # the l-infinity step: outside the l1 ball


linf_gain = 100.0


# The bound with Cauchy–Schwarz used but not cited: step 2 does not follow by algebra alone.
proof_411_bound = Proof(
    goal=-eps * norm(g) <= dot(g, delta),
    steps=[le(-norm(g) * norm(delta), by=given), le(dot(g, delta))],
    part="4.1.1p",
)
