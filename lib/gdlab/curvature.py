"""The top eigenvalue of a Hessian from Hessian-vector products alone.

The sharpness ``lambda_max(H(w))`` is the curvature that the quadratic model of Section 4.4
compares with ``2/eta``. For a network the Hessian is too large to form, but ``v -> H v`` is
cheap (about two gradients, see :meth:`gdlab.nets.MSELoss.hvp`), and Krylov methods need only
that. Two are here:

- :func:`lanczos`: builds an orthonormal basis of the Krylov space ``span{v, Hv, ..., H^{k-1}v}``
  and takes the largest eigenvalue of ``H`` restricted to it. Its error depends on the gap
  between the top eigenvalue and the rest of the spectrum *as a fraction of the spread of the
  spectrum*, so it copes with nearly repeated top eigenvalues.
- :func:`power_iteration`: repeats ``v <- Hv / ||Hv||``. Its error shrinks like
  ``(lambda_2 / lambda_1)^(2k)``, so it crawls when the top two eigenvalues nearly coincide.

Both take an operator given as a callable ``v -> Hv``, or as ``(problem, w)`` for any object with
``hvp(w, v)`` (and ``dim``), and accept a start vector so a training loop can warm-start each
estimate from the previous eigenvector.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gdlab import _checks

__all__ = ["EigResult", "lanczos", "power_iteration", "sharpness", "hvp_operator"]


class EigResult(NamedTuple):
    """An estimate of the top eigenpair of a symmetric operator.

    Attributes
    ----------
    eigenvalue : float
        The estimate of the largest eigenvalue.
    vector : ndarray
        The unit-norm estimate of its eigenvector (use it to warm-start the next call).
    n_matvecs : int
        Operator applications (Hessian-vector products) used.
    residual : float
        ``||H x - eigenvalue * x||`` for the returned vector ``x``; an eigenvalue of ``H``
        lies within ``residual`` of the estimate.
    converged : bool
        Whether the residual met the tolerance.
    """

    eigenvalue: float
    vector: np.ndarray
    n_matvecs: int
    residual: float
    converged: bool


def hvp_operator(problem, w=None, dim: int | None = None):
    """Return ``(matvec, dim)`` for a callable ``v -> Hv`` or an object with ``hvp(w, v)``.

    ``dim`` is read from ``problem.dim`` when not given (and from ``len(w)`` as a fallback).
    """
    if hasattr(problem, "hvp"):
        if w is None:
            raise ValueError("w is required when the operator is a problem with hvp(w, v)")
        w = np.asarray(w, dtype=np.float64)
        if dim is None:
            dim = getattr(problem, "dim", w.shape[0])
        return (lambda v: np.asarray(problem.hvp(w, v), dtype=np.float64)), int(dim)
    if callable(problem):
        if dim is None:
            raise ValueError("dim is required when the operator is a bare callable v -> Hv")
        return (lambda v: np.asarray(problem(v), dtype=np.float64)), int(dim)
    raise ValueError(
        f"expected a callable v -> Hv or an object with hvp(w, v), got {type(problem).__name__}"
    )


def _start_vector(v0, dim, seed):
    if v0 is None:
        v0 = np.random.default_rng(seed).standard_normal(dim)
    v0 = _checks.vector("v0", v0, dim)
    norm = np.linalg.norm(v0)
    if norm == 0:
        raise ValueError("v0 must be non-zero")
    return v0 / norm


def lanczos(
    matvec,
    dim: int,
    v0=None,
    max_iter: int = 30,
    tol: float = 1e-4,
    min_iter: int = 3,
    seed: int = 0,
) -> EigResult:
    """Largest eigenvalue of a symmetric operator by Lanczos with full reorthogonalisation.

    Parameters
    ----------
    matvec : callable
        ``v -> H v`` for a symmetric ``H`` of size ``dim``.
    dim : int
    v0 : array, optional
        Start vector (a warm start: the previous top eigenvector); random if omitted.
    max_iter : int
        At most this many matvecs (the Krylov dimension).
    tol : float
        Stop once the Ritz residual ``beta_k |s_k|`` is at most ``tol * |theta|``, where
        ``theta`` is the top Ritz value and ``s`` its eigenvector of the tridiagonal matrix.
    min_iter : int
        Take at least this many steps, so that a start vector close to a lower eigenvector
        does not stop the iteration before the top of the spectrum is seen.
    seed : int
        Seed of the random start vector.

    Notes
    -----
    The three-term recurrence ``beta_j q_{j+1} = H q_j - alpha_j q_j - beta_{j-1} q_{j-1}``
    builds ``Q^T H Q = T`` (tridiagonal). In floating point the ``q_j`` lose orthogonality once a
    Ritz value converges and copies of it appear ("ghost" eigenvalues); re-orthogonalising each
    new vector against all previous ones (twice: "twice is enough") prevents it. The cost,
    ``O(k^2 dim)``, is negligible next to the Hessian-vector products for ``k <= 50``.
    """
    dim = _checks.positive_int("dim", dim)
    max_iter = min(_checks.positive_int("max_iter", max_iter), dim)
    min_iter = min(_checks.positive_int("min_iter", min_iter), max_iter)
    tol = _checks.positive("tol", tol)
    Q = np.empty((max_iter + 1, dim))
    Q[0] = _start_vector(v0, dim, seed)
    alpha, beta = [], []
    theta, s, residual = 0.0, np.ones(1), np.inf
    k = 0
    for k in range(1, max_iter + 1):
        r = matvec(Q[k - 1])
        alpha.append(float(Q[k - 1] @ r))
        for _ in range(2):
            r -= Q[:k].T @ (Q[:k] @ r)
        beta_k = float(np.linalg.norm(r))
        T = np.diag(alpha) + np.diag(beta, 1) + np.diag(beta, -1)
        evals, evecs = np.linalg.eigh(T)
        theta, s = float(evals[-1]), evecs[:, -1]
        residual = beta_k * abs(s[-1])
        invariant = beta_k <= 1e-12 * max(1.0, abs(theta))
        if invariant or (k >= min_iter and residual <= tol * max(abs(theta), 1e-300)):
            break
        beta.append(beta_k)
        Q[k] = r / beta_k
    vector = s @ Q[:k]
    vector /= np.linalg.norm(vector)
    return EigResult(theta, vector, k, float(residual), bool(residual <= tol * abs(theta)))


def power_iteration(
    matvec,
    dim: int,
    v0=None,
    max_iter: int = 100,
    tol: float = 1e-4,
    seed: int = 0,
) -> EigResult:
    """Eigenvalue of largest magnitude by power iteration, for comparison with :func:`lanczos`.

    Repeats ``v <- Hv / ||Hv||`` and reports the Rayleigh quotient ``v^T H v``. Stops when the
    residual ``||Hv - (v^T H v) v||`` is at most ``tol * |v^T H v|`` or after ``max_iter``
    matvecs. It finds the top eigenvalue only when that is also the largest in magnitude
    (true for positive semi-definite ``H``, and for a network Hessian whose negative
    eigenvalues are small).
    """
    dim = _checks.positive_int("dim", dim)
    max_iter = _checks.positive_int("max_iter", max_iter)
    tol = _checks.positive("tol", tol)
    v = _start_vector(v0, dim, seed)
    rayleigh, residual, n_matvecs = 0.0, np.inf, 0
    while n_matvecs < max_iter:
        hv = matvec(v)
        n_matvecs += 1
        rayleigh = float(v @ hv)
        residual = float(np.linalg.norm(hv - rayleigh * v))
        norm = np.linalg.norm(hv)
        if residual <= tol * abs(rayleigh) or norm == 0:
            break
        v = hv / norm
    return EigResult(rayleigh, v, n_matvecs, residual, bool(residual <= tol * abs(rayleigh)))


def sharpness(problem, w=None, *, method: str = "lanczos", dim: int | None = None, **kwargs):
    """The sharpness ``lambda_max(H(w))``: the top eigenvalue of the Hessian at ``w``.

    Parameters
    ----------
    problem : object with ``hvp(w, v)`` (and ``dim``), or a callable ``v -> Hv``
    w : array
        The point (ignored for a bare callable).
    method : {"lanczos", "power"}
    dim : int, optional
        Needed only for a bare callable.
    **kwargs
        Passed to :func:`lanczos` or :func:`power_iteration` (``v0``, ``max_iter``, ``tol``...).

    Returns
    -------
    float
    """
    matvec, dim = hvp_operator(problem, w, dim)
    if method == "lanczos":
        return lanczos(matvec, dim, **kwargs).eigenvalue
    if method == "power":
        return power_iteration(matvec, dim, **kwargs).eigenvalue
    raise ValueError(f"method must be 'lanczos' or 'power', got {method!r}")
