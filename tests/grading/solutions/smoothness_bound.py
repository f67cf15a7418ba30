"""Reference solution of exercises/smoothness_bound.md (Problem 4.1.3). Not published."""

import numpy as np


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
