# ruff: noqa: E501 (a table of answer sources, one per line, reads best unwrapped)
"""Wrong and right answers for every part, written as students write them.

Each entry is ``(label, source, expected)``: ``source`` is the code a student puts in the
answer cell (it defines the part's answer name, helpers inside), and ``expected`` is a phrase
the feedback of a wrong answer must contain (None for a right answer). The wrong answers are
modelled on real mistakes and reach the branches of each judge; the right ones are the forms
the statement allows. ``tests/test_judges_catalogue.py`` grades every entry with ``check()``
and with the batch grader's judging path, and expects the same verdict from both.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

PRELUDE = """\
import numpy as np
import sympy as sp

epsilon, g_norm = sp.symbols("epsilon g_norm", positive=True)
gamma_1, B = sp.symbols("gamma_1 B", positive=True)
M, L = sp.symbols("M L", positive=True)
"""

L2 = "def steepest_step_l2(g, eps):\n    g = np.asarray(g, dtype=float)\n"
LINF = "def steepest_step_linf(g, eps):\n    g = np.asarray(g, dtype=float)\n"
L1 = "def steepest_step_l1(g, eps):\n    g = np.asarray(g, dtype=float)\n"
QUAD = "def smoothness_quadratic(A):\n    A = np.asarray(A, dtype=float)\n"
LOGI = "def smoothness_logistic(X):\n    X = np.asarray(X, dtype=float)\n"
GAP = (
    "def smoothness_gap(f, grad_f, L, w, w_t):\n"
    "    w, w_t = np.asarray(w, dtype=float), np.asarray(w_t, dtype=float)\n"
)
COUNTER = "def counterexample(L):\n"
SAMPLER = "def minibatch_grad(G, B, rng, replace=True):\n    G = np.asarray(G, dtype=float)\n"
CURVE = (
    "def variance_curve(G, batch_sizes, rng, n_draws=1000):\n"
    "    G = np.asarray(G, dtype=float)\n"
    "    full = G.mean(axis=0)\n"
)
FIT = "    return v, np.polyfit(np.log(batch_sizes), np.log(v), 1)[0]\n"
T = "T_iterations = "

NOT_OPTIMAL = "less than the best step"
OUTSIDE = "outside the ball"
ZERO_STEP = "the step is zero, but g is not"
WORSE = (OUTSIDE, NOT_OPTIMAL)
RNG = "draw with the `rng` you are given"

CATALOGUE: dict[str, dict[str, list]] = {
    "4.1.1a": {
        "wrong": [
            ("zero test g.sum() != 0", L2 + "    if g.sum() != 0:\n        return -eps * g / np.linalg.norm(g)\n    return np.zeros_like(g)", ZERO_STEP),
            ("zero test g.max() == 0", L2 + "    if g.max() == 0:\n        return np.zeros_like(g)\n    return -eps * g / np.linalg.norm(g)", ZERO_STEP),
            ("forgets to normalise", L2 + "    return -eps * g", WORSE),
            ("forgets eps", L2 + "    n = np.linalg.norm(g)\n    return -g / n if n else 0 * g", WORSE),
            ("NaN for a zero gradient", L2 + "    return -eps * g / np.linalg.norm(g)", "NaN"),
            ("the l1 normalisation", L2 + "    s = np.abs(g).sum()\n    return -eps * g / s if s else 0 * g", NOT_OPTIMAL),
            ("the sign step scaled", L2 + "    return -eps * np.sign(g) / np.sqrt(len(g))", NOT_OPTIMAL),
            ("uphill", L2 + "    n = np.linalg.norm(g)\n    return eps * g / n if n else 0 * g", WORSE),
        ],
        "right": [
            ("reference", L2 + "    n = np.linalg.norm(g)\n    return np.zeros_like(g) if n == 0 else -eps * g / n", None),
            ("the common guard", L2 + "    return -eps * g / (np.linalg.norm(g) + 1e-12)", None),
            ("sqrt of g @ g", L2 + "    n = np.sqrt(g @ g)\n    if n > 0:\n        return -eps * g / n\n    return 0.0 * g", None),
            ("np.divide with where", L2 + "    n = np.linalg.norm(g)\n    return np.divide(-eps * g, n, out=np.zeros_like(g), where=n > 0)", None),
            ("a list", L2 + "    n = float(np.linalg.norm(g))\n    return [(-eps * x / n if n else 0.0) for x in g]", None),
            ("rescaled first", L2 + "    if not g.any():\n        return np.zeros_like(g)\n    u = g / np.abs(g).max()\n    return -eps * u / np.linalg.norm(u)", None),
        ],
    },
    "4.1.1b": {
        "wrong": [
            ("a cap", "alpha = sp.Min(epsilon / g_norm, 20)", "shorter than epsilon"),
            ("times instead of over", "alpha = epsilon * g_norm", ("a step longer", "a step shorter")),
            ("squared norm", "alpha = epsilon / g_norm**2", ("a step longer", "a step shorter")),
            ("inverted", "alpha = g_norm / epsilon", ("a step longer", "a step shorter")),
            ("negative", "alpha = -epsilon / g_norm", "not positive"),
            ("a root of a difference", "alpha = sp.sqrt(g_norm - epsilon) / g_norm", "cannot be evaluated"),
            ("another symbol", 'alpha = sp.Symbol("eps") / g_norm', "allows only the symbols epsilon, g_norm"),
            ("a string", 'alpha = "epsilon / g_norm"', "SymPy expression"),
        ],
        "right": [
            ("reference", "alpha = epsilon / g_norm", None),
            ("a power", "alpha = epsilon * g_norm**-1", None),
            ("exp of logs", "alpha = sp.exp(sp.log(epsilon) - sp.log(g_norm))", None),
            ("sqrt of a square", "alpha = sp.sqrt(epsilon**2 / g_norm**2)", None),
            ("an Abs", "alpha = epsilon / sp.Abs(g_norm)", None),
            ("a float factor", "alpha = 1.0 * epsilon / g_norm", None),
            ("an unevaluated Max", "alpha = sp.Max(epsilon / g_norm, 0)", None),
        ],
    },
    "4.1.1c": {
        "wrong": [
            ("zero test g.sum() == 0", LINF + "    if g.sum() == 0:\n        return np.zeros_like(g)\n    return -eps * np.sign(g)", ZERO_STEP),
            ("zero test g.max() == 0", LINF + "    if g.max() == 0:\n        return np.zeros_like(g)\n    return -eps * np.sign(g)", ZERO_STEP),
            ("the l2 step", LINF + "    n = np.linalg.norm(g)\n    return -eps * g / n if n else 0 * g", NOT_OPTIMAL),
            ("scaled by the largest entry", LINF + "    m = np.abs(g).max()\n    return -eps * g / m if m else 0 * g", NOT_OPTIMAL),
            ("forgets eps", LINF + "    return -np.sign(g)", WORSE),
            ("uphill", LINF + "    return eps * np.sign(g)", WORSE),
            ("never zero", LINF + "    return np.where(g > 0, -eps, eps)", "zero vector"),
        ],
        "right": [
            ("reference", LINF + "    return -eps * np.sign(g)", None),
            ("nested where", LINF + "    return np.where(g > 0, -eps, np.where(g < 0, eps, 0.0))", None),
            ("clip", LINF + "    return np.clip(-g * 1e300, -eps, eps)", None),
            ("copysign with a mask", LINF + "    return -eps * np.copysign(1.0, g) * (g != 0)", None),
            ("a loop", LINF + "    return [(-eps if x > 0 else eps if x < 0 else 0.0) for x in g]", None),
        ],
    },
    "4.1.1d": {
        "wrong": [
            ("the l-infinity step", L1 + "    return -eps * np.sign(g)", OUTSIDE),
            ("argmax of g", L1 + "    d = np.zeros_like(g)\n    if g.any():\n        d[np.argmax(g)] = -eps\n    return d", NOT_OPTIMAL),
            ("forgets the sign", L1 + "    d = np.zeros_like(g)\n    if g.any():\n        d[np.argmax(np.abs(g))] = -eps\n    return d", WORSE),
            ("argmin of g", L1 + "    d = np.zeros_like(g)\n    if g.any():\n        i = np.argmin(g)\n        d[i] = -eps * np.sign(g[i])\n    return d", (*WORSE, ZERO_STEP)),
            ("the l1-normalised gradient", L1 + "    s = np.abs(g).sum()\n    return -eps * g / s if s else 0 * g", NOT_OPTIMAL),
            ("NaN for a zero gradient", L1 + "    return -eps * g / np.linalg.norm(g, 1)", (*WORSE, "NaN")),
        ],
        "right": [
            ("reference", L1 + "    d = np.zeros_like(g)\n    if g.any():\n        i = np.argmax(np.abs(g))\n        d[i] = -eps * np.sign(g[i])\n    return d", None),
            ("split over ties", L1 + "    if not g.any():\n        return np.zeros_like(g)\n    top = np.abs(g) == np.abs(g).max()\n    return -eps * np.sign(g) * top / top.sum()", None),
            ("a row of the identity", L1 + "    i = int(np.argmax(np.abs(g)))\n    return -eps * np.sign(g[i]) * np.eye(len(g))[i]", None),
            ("the last of the ties", L1 + "    i = len(g) - 1 - int(np.argmax(np.abs(g)[::-1]))\n    d = np.zeros(len(g))\n    d[i] = -eps * np.sign(g[i])\n    return d", None),
            ("a list", L1 + "    i = max(range(len(g)), key=lambda k: abs(g[k]))\n    return [(-eps * np.sign(g[k]) if k == i else 0.0) for k in range(len(g))]", None),
        ],
    },
    "4.1.1e": {
        "wrong": [
            ("the squared ratio", "linf_gain = 100.0", "too large"),
            ("inverted", "linf_gain = 0.1", "too small"),
            ("the fourth root", "linf_gain = 100 ** 0.25", "too small"),
            ("no gain", "linf_gain = 1", "too small"),
            ("rounded", "linf_gain = 9.9999", "close: give more digits or the exact value"),
            ("a string", 'linf_gain = "10"', "should be a number"),
        ],
        "right": [
            ("an int", "linf_gain = 10", None),
            ("a float", "linf_gain = 10.0", None),
            ("computed", "linf_gain = np.ones(100).sum() / np.linalg.norm(np.ones(100))", None),
            ("SymPy", "linf_gain = sp.Integer(100) / sp.sqrt(100)", None),
            ("a 0-d array", "linf_gain = np.array(10.0)", None),
            ("float32", "linf_gain = np.float32(10)", None),
        ],
    },
    "4.1.3a": {
        "wrong": [
            ("largest eigenvalue", QUAD + "    return np.linalg.eigvalsh(A)[-1]", "too small"),
            ("|smallest eigenvalue|", QUAD + "    return abs(np.linalg.eigvalsh(A)[0])", "too small"),
            ("Frobenius norm", QUAD + "    return np.linalg.norm(A)", "too large"),
            ("largest entry", QUAD + "    return np.abs(A).max()", "L = "),
            ("trace", QUAD + "    return np.trace(A)", "too small"),
            ("half of it", QUAD + "    return np.max(np.abs(np.linalg.eigvalsh(A))) / 2", "too small"),
        ],
        "right": [
            ("reference", QUAD + "    return np.max(np.abs(np.linalg.eigvalsh(A)))", None),
            ("spectral norm", QUAD + "    return np.linalg.norm(A, 2)", None),
            ("eigvals", QUAD + "    return float(np.abs(np.linalg.eigvals(A)).max())", None),
            ("both ends", QUAD + "    e = np.linalg.eigvalsh(A)\n    return max(-e[0], e[-1])", None),
            ("singular values", QUAD + "    return np.linalg.svd(A, compute_uv=False)[0]", None),
            ("via A @ A", QUAD + "    return np.sqrt(np.linalg.eigvalsh(A @ A)[-1])", None),
        ],
    },
    "4.1.3b": {
        "wrong": [
            ("too few digits", "L_page = 3.8284", "close: give more digits or the exact value"),
            ("the largest eigenvalue", "L_page = -1 + 2 * np.sqrt(2)", "too small"),
            ("the negative eigenvalue", "L_page = -1 - 2 * np.sqrt(2)", "too small"),
            ("Frobenius norm", "L_page = np.linalg.norm(np.array([[1.0, 2.0], [2.0, -3.0]]))", "too large"),
            ("largest entry", "L_page = 3", "too small"),
            ("a string", 'L_page = "3.828"', "should be a number"),
        ],
        "right": [
            ("numpy", "L_page = 1 + 2 * np.sqrt(2)", None),
            ("exact", "import sympy as sp\n\nL_page = 1 + sp.sqrt(8)", None),
            ("eight digits", "L_page = 3.8284271", None),
            ("computed", "L_page = np.max(np.abs(np.linalg.eigvalsh(np.array([[1.0, 2.0], [2.0, -3.0]]))))", None),
            ("a SymPy float", 'L_page = sp.Float("3.82842712474619")', None),
            ("from the quadratic formula", "L_page = abs((-2 - sp.sqrt(4 + 4 * 7)) / 2)", None),
        ],
    },
    "4.1.3c": {
        "wrong": [
            ("forgets the 1/4", LOGI + "    return np.linalg.eigvalsh(X.T @ X)[-1] / len(X)", "too large"),
            ("forgets the 1/n", LOGI + "    return np.linalg.eigvalsh(X.T @ X)[-1] / 4", "too large"),
            ("trace", LOGI + "    return np.trace(X.T @ X) / (4 * len(X))", "too large"),
            ("smallest eigenvalue", LOGI + "    return np.linalg.eigvalsh(X.T @ X)[0] / (4 * len(X))", "too small"),
            ("1/2 for the sigmoid's slope", LOGI + "    return np.linalg.eigvalsh(X.T @ X)[-1] / (2 * len(X))", "too large"),
            ("largest squared row norm", LOGI + "    return np.max(np.sum(X**2, axis=1)) / 4", "L = "),
        ],
        "right": [
            ("reference", LOGI + "    return np.linalg.eigvalsh(X.T @ X)[-1] / (4 * len(X))", None),
            ("spectral norm", LOGI + "    return np.linalg.norm(X, 2) ** 2 / (4 * len(X))", None),
            ("singular values", LOGI + "    return np.linalg.svd(X, compute_uv=False)[0] ** 2 / 4 / X.shape[0]", None),
            ("the Gram matrix", LOGI + "    return np.linalg.eigvalsh(X @ X.T)[-1] / (4 * len(X))", None),
            ("the Hessian at w = 0", LOGI + "    s = 1 / (1 + np.exp(0.0))\n    H = sum(s * (1 - s) * np.outer(x, x) for x in X) / len(X)\n    return np.linalg.eigvalsh(H)[-1]", None),
        ],
    },
    "4.1.3d": {
        "wrong": [
            ("sign flipped", GAP + "    return f(w) - (f(w_t) + grad_f(w_t) @ (w - w_t) + L / 2 * (w - w_t) @ (w - w_t))", "too"),
            ("no 1/2", GAP + "    return f(w_t) + grad_f(w_t) @ (w - w_t) + L * (w - w_t) @ (w - w_t) - f(w)", "too large"),
            ("gradient at w", GAP + "    return f(w_t) + grad_f(w) @ (w - w_t) + L / 2 * (w - w_t) @ (w - w_t) - f(w)", "too"),
            ("norm not squared", GAP + "    return f(w_t) + grad_f(w_t) @ (w - w_t) + L / 2 * np.linalg.norm(w - w_t) - f(w)", "too"),
            ("w and w_t swapped", GAP + "    return f(w) + grad_f(w) @ (w_t - w) + L / 2 * (w - w_t) @ (w - w_t) - f(w_t)", "too"),
            ("forgets f(w)", GAP + "    return f(w_t) + grad_f(w_t) @ (w - w_t) + L / 2 * (w - w_t) @ (w - w_t)", "too"),
        ],
        "right": [
            ("reference", GAP + "    d = w - w_t\n    return f(w_t) + grad_f(w_t) @ d + L / 2 * d @ d - f(w)", None),
            ("np.dot", GAP + "    d = w - w_t\n    return f(w_t) + np.dot(grad_f(w_t), d) + 0.5 * L * np.dot(d, d) - f(w)", None),
            ("norm squared", GAP + "    return f(w_t) + grad_f(w_t) @ (w - w_t) + L / 2 * np.linalg.norm(w - w_t) ** 2 - f(w)", None),
            ("sums", GAP + "    d = w - w_t\n    return float(f(w_t) + np.sum(grad_f(w_t) * d) + L * np.sum(d * d) / 2 - f(w))", None),
            ("right minus left", GAP + "    right = f(w_t) + grad_f(w_t) @ (w - w_t) + L / 2 * ((w - w_t) ** 2).sum()\n    return right - f(w)", None),
        ],
    },
    "4.1.3e": {
        "wrong": [
            ("a constant pair", COUNTER + "    return 3000.0, 0.0", "(4.9) holds"),
            ("a small constant", COUNTER + "    return 10.0, 0.0", "(4.9) holds"),
            ("w = L", COUNTER + "    return float(L), 0.0", "(4.9) holds"),
            ("the boundary", COUNTER + "    return float(np.sqrt(L / 2)), 0.0", "(4.9) holds"),
            ("w = w_t", COUNTER + "    return float(np.sqrt(L)), float(np.sqrt(L))", "(4.9) holds"),
            ("one number", COUNTER + "    return float(np.sqrt(L))", "tuple of 2 items"),
        ],
        "right": [
            ("reference", COUNTER + "    return float(np.sqrt(L)), 0.0", None),
            ("L + 1", COUNTER + "    return L + 1.0, 0.0", None),
            ("w_t = 1", COUNTER + "    return 1 + 2 * float(np.sqrt(L)), 1.0", None),
            ("w = 0", COUNTER + "    return 0.0, float(np.sqrt(L))", None),
            ("an array", COUNTER + "    return np.array([2 * np.sqrt(L), 0.0])", None),
            ("a list", COUNTER + "    return [np.sqrt(2 * L) + 1, 0]", None),
        ],
    },
    "4.6.3a": {
        "wrong": [
            ("np.random.choice", SAMPLER + "    return G[np.random.choice(len(G), size=B, replace=replace)].mean(axis=0)", RNG),
            ("always with replacement", SAMPLER + "    return G[rng.choice(len(G), size=B, replace=True)].mean(axis=0)", "same row twice"),
            ("always without replacement", SAMPLER + "    return G[rng.choice(len(G), size=B, replace=False)].mean(axis=0)", ("too small for this sampling scheme", "same row twice")),
            ("replace flipped", SAMPLER + "    return G[rng.choice(len(G), size=B, replace=not replace)].mean(axis=0)", "replacement"),
            ("a generator of its own", "OWN = np.random.default_rng(0)\n\n\n" + SAMPLER + "    return G[OWN.choice(len(G), size=B, replace=replace)].mean(axis=0)", RNG),
            ("never the last row", SAMPLER + "    return G[rng.integers(0, len(G) - 1, size=B)].mean(axis=0)", ("same row twice", "biased")),
            ("the sum", SAMPLER + "    return G[rng.choice(len(G), size=B, replace=replace)].sum(axis=0)", "the average of two rows"),
            ("the first B rows", SAMPLER + "    return G[:B].mean(axis=0)", "biased"),
            ("a float batch size", SAMPLER + "    return G[rng.choice(len(G), size=B / 1, replace=replace)].mean(axis=0)", "raised TypeError"),
            ("the mean over the wrong axis", SAMPLER + "    return G[rng.choice(len(G), size=B, replace=replace)].mean(axis=1)", "each call should return a vector of shape (3,)"),
            ("a Gaussian stand-in", SAMPLER + "    n, B = len(G), int(B)\n    shrink = 1.0 if replace else np.sqrt((n - B) / (n - 1))\n    return G.mean(axis=0) + rng.normal(size=G.shape[1]) * G.std(axis=0) / np.sqrt(B) * shrink", "each draw should be the average of two rows of G"),
            ("off by one without replacement", SAMPLER + "    n = len(G)\n    rows = rng.integers(0, n, size=B) if replace else rng.permutation(n - 1)[:B]\n    return G[rows].mean(axis=0)", ("biased", "every batch is the whole data set")),
            ("at most n - 1 rows", SAMPLER + "    n = len(G)\n    rows = rng.choice(n, size=B if replace else min(B, n - 1), replace=replace)\n    return G[rows].mean(axis=0)", "every batch is the whole data set"),
            ("duplicates removed", SAMPLER + "    return G[np.unique(rng.choice(len(G), size=B, replace=replace))].mean(axis=0)", "too small for this sampling scheme"),
            ("the random module", SAMPLER + "    import random\n    n = len(G)\n    rows = [random.randrange(n) for _ in range(B)] if replace else random.sample(range(n), B)\n    return G[rows].mean(axis=0)", RNG),
        ],
        "right": [
            ("reference", SAMPLER + "    return G[rng.choice(len(G), size=B, replace=replace)].mean(axis=0)", None),
            ("integers and a permutation", SAMPLER + "    n = len(G)\n    rows = rng.integers(0, n, size=B) if replace else rng.permutation(n)[:B]\n    return G[rows].mean(axis=0)", None),
            ("choice of rows", SAMPLER + "    return rng.choice(G, size=B, replace=replace).mean(axis=0)", None),
            ("a multinomial", SAMPLER + "    n = len(G)\n    if replace:\n        counts = rng.multinomial(B, np.full(n, 1 / n))\n        return counts @ G / B\n    return G[rng.choice(n, B, replace=False)].mean(axis=0)", None),
            ("one at a time", SAMPLER + "    left = list(range(len(G)))\n    rows = []\n    for _ in range(B):\n        k = int(rng.integers(len(left)))\n        rows.append(left[k])\n        if not replace:\n            left.pop(k)\n    return G[rows].mean(axis=0)", None),
            ("permuted", SAMPLER + "    n = len(G)\n    if replace:\n        return G[rng.integers(n, size=B)].sum(axis=0) / B\n    return G[rng.permuted(np.arange(n))[:B]].mean(axis=0)", None),
        ],
    },
    "4.6.3b": {
        "wrong": [
            ("gamma_1 not squared", "gamma_B_sq = gamma_1 / B", "like gamma_1**1"),
            ("B squared", "gamma_B_sq = gamma_1**2 / B**2", "like B**-2"),
            ("times B", "gamma_B_sq = gamma_1**2 * B", "like B**1"),
            ("the standard deviation's rate", "gamma_B_sq = gamma_1**2 / sp.sqrt(B)", "like B**-0.5"),
            ("no B", "gamma_B_sq = gamma_1**2", "not the variance"),
            ("B - 1", "gamma_B_sq = gamma_1**2 / (B - 1)", "not the variance"),
        ],
        "right": [
            ("reference", "gamma_B_sq = gamma_1**2 / B", None),
            ("a square", "gamma_B_sq = (gamma_1 / sp.sqrt(B)) ** 2", None),
            ("a power", "gamma_B_sq = gamma_1**2 * B**-1", None),
            ("exp of logs", "gamma_B_sq = sp.exp(2 * sp.log(gamma_1) - sp.log(B))", None),
            ("a product", "gamma_B_sq = gamma_1 * gamma_1 / B", None),
            ("an Abs", "gamma_B_sq = sp.Abs(gamma_1) ** 2 / B", None),
        ],
    },
    "4.6.3c": {
        "wrong": [
            ("without replacement", CURVE + "    v = np.array([np.mean([np.sum((G[rng.choice(len(G), b, replace=False)].mean(axis=0) - full) ** 2) for _ in range(n_draws)]) for b in batch_sizes])\n" + FIT, "variance_curve raised ValueError"),
            ("no sampling", CURVE + "    gamma_sq = np.mean(np.sum((G - full) ** 2, axis=1))\n    v = gamma_sq / np.array(batch_sizes, dtype=float)\n" + FIT, "different seeds gave exactly the same variances"),
            ("np.random", CURVE + "    v = np.array([np.mean([np.sum((G[np.random.randint(0, len(G), b)].mean(axis=0) - full) ** 2) for _ in range(n_draws)]) for b in batch_sizes])\n" + FIT, RNG),
            ("a fixed slope", CURVE + "    v = np.array([np.mean([np.sum((G[rng.integers(0, len(G), b)].mean(axis=0) - full) ** 2) for _ in range(n_draws)]) for b in batch_sizes])\n    return v, -1.0", "least-squares slope"),
            ("the standard deviation", CURVE + "    v = np.array([np.sqrt(np.mean([np.sum((G[rng.integers(0, len(G), b)].mean(axis=0) - full) ** 2) for _ in range(n_draws)])) for b in batch_sizes])\n" + FIT, "variance for B = "),
            ("divides by B again", CURVE + "    v = np.array([np.mean([np.sum((G[rng.integers(0, len(G), b)].mean(axis=0) - full) ** 2) for _ in range(n_draws)]) / b for b in batch_sizes])\n" + FIT, "too small"),
            ("one draw per B", CURVE + "    v = np.array([np.sum((G[rng.integers(0, len(G), b)].mean(axis=0) - full) ** 2) for b in batch_sizes])\n" + FIT, "variance for B = "),
        ],
        "right": [
            ("reference", CURVE + "    v = np.array([np.mean([np.sum((G[rng.choice(len(G), b)].mean(axis=0) - full) ** 2) for _ in range(n_draws)]) for b in batch_sizes])\n" + FIT, None),
            ("vectorised", CURVE + "    v = []\n    for b in batch_sizes:\n        rows = rng.integers(0, len(G), size=(n_draws, b))\n        v.append(np.mean(np.sum((G[rows].mean(axis=1) - full) ** 2, axis=1)))\n    v = np.array(v)\n" + FIT, None),
            ("np.var of the draws", CURVE + "    v = np.array([np.var([G[rng.integers(0, len(G), b)].mean(axis=0) for _ in range(n_draws)], axis=0).sum() for b in batch_sizes])\n" + FIT, None),
            ("log2 axes", CURVE + "    v = np.array([np.mean([np.sum((rng.choice(G, b).mean(axis=0) - full) ** 2) for _ in range(n_draws)]) for b in batch_sizes])\n    return v, np.polyfit(np.log2(batch_sizes), np.log2(v), 1)[0]", None),
            ("a multinomial and norms", CURVE + "    n = len(G)\n    v = np.array([np.mean([np.linalg.norm(rng.multinomial(b, np.full(n, 1 / n)) @ G / b - full) ** 2 for _ in range(n_draws)]) for b in batch_sizes])\n" + FIT, None),
            ("a list and a hand-made fit", CURVE + "    v = [np.mean([np.sum((G[rng.integers(0, len(G), b)].mean(axis=0) - full) ** 2) for _ in range(n_draws)]) for b in batch_sizes]\n    x, y = np.log(batch_sizes), np.log(v)\n    slope = np.sum((x - x.mean()) * (y - y.mean())) / np.sum((x - x.mean()) ** 2)\n    return v, slope", None),
        ],
    },
    "4.6.3d": {
        "wrong": [
            ("an extra sqrt(B)", T + "1 / epsilon**2 + 1 / (B * epsilon**4) + sp.sqrt(B)", "grows differently"),
            ("an extra B eps^2", T + "1 / epsilon**2 + 1 / (B * epsilon**4) + B * epsilon**2", "grows differently"),
            ("small batches only", T + "1 / (B * epsilon**4)", "grows differently"),
            ("Min instead of Max", T + "sp.Min(1 / epsilon**2, 1 / (B * epsilon**4))", "grows differently"),
            ("no batch at all", T + "1 / epsilon**4", "should depend on both B and epsilon"),
            ("B squared", T + "1 / epsilon**2 + 1 / (B**2 * epsilon**4)", "grows differently"),
            ("an exponential", T + "1 / epsilon**2 + 1 / (B * epsilon**4) + sp.exp(1 / epsilon)", "cannot be evaluated for small epsilon"),
            ("a sign slip", T + "1 / (B * epsilon**4) - 1 / epsilon**2", "should be a positive number of iterations"),
            ("regimes swapped", T + "sp.Piecewise((1 / epsilon**2, B * epsilon**2 < 1), (1 / (B * epsilon**4), True))", "grows differently"),
            ("another symbol", T + 'sp.Symbol("d") / epsilon**2', "allows only the symbols"),
        ],
        "right": [
            ("reference", T + "1 / epsilon**2 + 1 / (B * epsilon**4)", None),
            ("a max", T + "sp.Max(1 / epsilon**2, 1 / (B * epsilon**4))", None),
            ("a ceiling", T + "sp.ceiling(1 / epsilon**2 + 1 / (B * epsilon**4))", None),
            ("two regimes", T + "sp.Piecewise((1 / (B * epsilon**4), B * epsilon**2 < 1), (1 / epsilon**2, True))", None),
            ("the constants", T + "4 * M * L / epsilon**2 + 9 * M * L * gamma_1**2 / (B * epsilon**4)", None),
            ("one fraction", T + "(B * epsilon**2 + 1) / (B * epsilon**4)", None),
            ("a floor plus one", T + "sp.floor(2 / epsilon**2 + 3 / (B * epsilon**4)) + 1", None),
        ],
    },
}  # fmt: skip

# What must never appear in a hint or a failure message: the answers of the value parts.
ANSWERS = {
    "4.1.1b": ("epsilon/g_norm", "epsilon / g_norm", "eps / ||g||", "eps/||g||"),
    "4.1.1e": ("10.0", "linf_gain = 10", "factor 10", "factor of 10", "gain is 10"),
    "4.1.3b": ("3.828", "1 + 2*sqrt(2)", "1 + 2 sqrt(2)", "2*sqrt(2)"),
    "4.6.3b": ("gamma_1^2 / B", "gamma_1^2/B", "gamma_1**2/B", "gamma_1**2 / B"),
    "4.6.3d": ("1/eps^2", "1/(B eps^4)", "B*epsilon**4", "1/epsilon**2"),
    "4.1.3d": ("L/2 ||w - w_t||^2", "L / 2", "grad_f(w_t) . (w - w_t)"),
}


def namespace_of(source: str) -> dict:
    """Run an answer's source as a notebook cell would, after the notebook's imports."""
    namespace: dict = {"__name__": "student"}
    exec(compile(PRELUDE + source, "<answer>", "exec"), namespace)  # noqa: S102
    return namespace


def variants(kind: str):
    """``(part_id, label, source, expected)`` for every wrong or right entry."""
    return [
        (part_id, label, source, expected)
        for part_id, table in CATALOGUE.items()
        for label, source, expected in table[kind]
    ]


__all__ = ["ANSWERS", "CATALOGUE", "PRELUDE", "namespace_of", "np", "sp", "variants"]
