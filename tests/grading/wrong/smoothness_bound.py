"""Hand-written wrong answers for smoothness_bound (expected: 4.1.3b and 4.1.3d pass)."""

import numpy as np


def smoothness_quadratic(A):
    return np.linalg.eigvalsh(A)[-1]  # misses a dominant negative eigenvalue


def smoothness_logistic(X):
    return np.linalg.eigvalsh(X.T @ X)[-1] / len(X)  # forgets the 1/4


def counterexample(L):
    return 10.0, 0.0  # fails (4.9) only for small L
