"""Hand-written wrong answers for steepest_descent (expected: only 4.1.1c passes)."""

import numpy as np
import sympy as sp


def steepest_step_l2(g, eps):
    return -eps * g / np.linalg.norm(g)  # NaN for a zero gradient


epsilon, g_norm = sp.symbols("epsilon g_norm", positive=True)
alpha = epsilon * g_norm


def steepest_step_l1(g, eps):
    return -eps * np.sign(g)  # the l-infinity step: outside the l1 ball


linf_gain = 100.0
