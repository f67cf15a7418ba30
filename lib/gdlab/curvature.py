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

For any objective (Section 4.7's "estimate the local smoothness"):

- :func:`hessian_vector_product`: ``H(w) v`` exactly (``problem.hvp`` or ``problem.hess``) or by
  central differences of ``problem.grad``, two gradients and no second derivatives.
- :func:`hessian_top_eigenpair`: the power method (or Lanczos) on those products at one point.
- :func:`curvature_along_path`: the same estimate at the iterates of a run, each call
  warm-started from the previous eigenvector.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from gdlab import _checks

__all__ = [
    "CurvaturePath",
    "EigResult",
    "NonFiniteProductError",
    "curvature_along_path",
    "hessian_top_eigenpair",
    "hessian_vector_product",
    "hvp_operator",
    "lanczos",
    "power_iteration",
    "sharpness",
]


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

    Parameters
    ----------
    problem : object or callable
        An object with ``hvp(w, v)`` (and usually ``dim``), or a callable ``v -> Hv``.
    w : array_like, shape (dim,), optional
        The point of the Hessian; required for an object with ``hvp``.
    dim : int, optional
        The dimension; required for a bare callable.

    Returns
    -------
    matvec : callable
        ``v -> Hv`` as a float64 array.
    dim : int
    """
    if hasattr(problem, "hvp"):
        if w is None:
            raise ValueError("w is required when the operator is a problem with hvp(w, v)")
        if hasattr(problem, "dim"):
            w = _checks.vector("w", w, problem.dim)
        else:
            w = _checks.finite_array("w", w, ndim=1)
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


class NonFiniteProductError(ValueError):
    """A Hessian-vector product came back with NaN or inf (e.g. at a point of a diverged run).

    Raised by :func:`lanczos` and :func:`power_iteration`; a ``ValueError``. Callers that scan a
    run (:func:`curvature_along_path`, :func:`gdlab.experiments.gd_with_sharpness`) catch it and
    treat the point like a non-finite iterate.
    """


def _checked(matvec, dim):
    """``matvec`` wrapped so that a wrong shape or a NaN/inf result is named, not propagated."""
    _checks.function("matvec", matvec)

    def checked_matvec(v):
        result = np.asarray(matvec(v), dtype=np.float64)
        if result.shape != (dim,):
            raise ValueError(
                f"matvec must return an array of shape ({dim},), got shape {result.shape}"
            )
        if not np.all(np.isfinite(result)):
            raise NonFiniteProductError(
                f"matvec returned NaN or inf (is the point finite?): {_checks._show(result)}"
            )
        return result

    return checked_matvec


def _start_vector(v0, dim, seed):
    if v0 is None:
        v0 = np.random.default_rng(seed).standard_normal(dim)
    v0 = _checks.vector("v0", v0, dim)
    norm = np.linalg.norm(v0)
    if norm == 0:
        raise ValueError(f"v0 must be non-zero, got {_checks._show(v0)}")
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

    Returns
    -------
    EigResult

    Raises
    ------
    NonFiniteProductError
        If ``matvec`` returns NaN or inf.
    """
    dim = _checks.positive_int("dim", dim)
    max_iter = min(_checks.positive_int("max_iter", max_iter), dim)
    min_iter = min(_checks.positive_int("min_iter", min_iter), max_iter)
    tol = _checks.positive("tol", tol)
    matvec = _checked(matvec, dim)
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

    Parameters
    ----------
    matvec : callable
        ``v -> H v`` for a symmetric ``H`` of size ``dim``.
    dim : int
        The size of ``H``, >= 1.
    v0 : array_like, shape (dim,), optional
        Non-zero start vector; random if omitted.
    max_iter : int, optional
        At most this many matvecs (default 100).
    tol : float, optional
        Relative residual at which to stop, > 0 (default ``1e-4``).
    seed : int, optional
        Seed of the random start vector (default 0).

    Returns
    -------
    EigResult

    Raises
    ------
    NonFiniteProductError
        If ``matvec`` returns NaN or inf.
    """
    dim = _checks.positive_int("dim", dim)
    max_iter = _checks.positive_int("max_iter", max_iter)
    tol = _checks.positive("tol", tol)
    matvec = _checked(matvec, dim)
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


# --------------------------------------------------------------------------------------------
# Any objective: Hessian-vector products, the top eigenpair, and its value along a run
# --------------------------------------------------------------------------------------------

_HVP_METHODS = ("exact", "fd")


def hessian_vector_product(problem, w, v, method: str = "exact", rel_step: float = 1e-5):
    """The Hessian-vector product ``H(w) v`` of an objective, exact or by finite differences.

    Parameters
    ----------
    problem : object with ``grad(w)``, and ``hvp(w, v)`` or ``hess(w)`` for ``method="exact"``
    w, v : array, shape (dim,)
    method : {"exact", "fd"}
        ``"exact"`` uses ``problem.hvp(w, v)`` when it exists, else ``problem.hess(w) @ v``.
        ``"fd"`` uses the central difference of the gradient along ``v``,

        ``(grad(w + h v) - grad(w - h v)) / (2 h)``,  ``h = rel_step * max(1, ||w||) / ||v||``,

        two gradient evaluations (the cost of Section 3.4.1's product, without differentiating
        twice). Its error is ``O(h^2)`` from truncation plus ``O(eps / h)`` from rounding.
    rel_step : float
        The parameters move by ``rel_step`` relative to their size (``"fd"`` only).

    Returns
    -------
    ndarray, shape (dim,)
    """
    if method not in _HVP_METHODS:
        raise ValueError(f"method must be 'exact' or 'fd', got {method!r}")
    w = np.asarray(w, dtype=np.float64)
    dim = int(getattr(problem, "dim", w.shape[0] if w.ndim == 1 else 0))
    w = _checks.vector("w", w, dim)
    v = _checks.vector("v", v, dim)
    if method == "exact":
        if hasattr(problem, "hvp"):
            return np.asarray(problem.hvp(w, v), dtype=np.float64)
        if hasattr(problem, "hess"):
            return np.asarray(problem.hess(w), dtype=np.float64) @ v
        raise ValueError(
            f"method='exact' needs problem.hvp or problem.hess; {type(problem).__name__} has"
            " neither (use method='fd')"
        )
    rel_step = _checks.positive("rel_step", rel_step)
    v_norm = float(np.linalg.norm(v))
    if v_norm == 0:
        return np.zeros(dim)
    h = rel_step * max(1.0, float(np.linalg.norm(w))) / v_norm
    forward = np.asarray(problem.grad(w + h * v), dtype=np.float64)
    backward = np.asarray(problem.grad(w - h * v), dtype=np.float64)
    return (forward - backward) / (2 * h)


def hessian_top_eigenpair(
    problem,
    w,
    *,
    method: str = "power",
    hvp: str = "exact",
    rel_step: float = 1e-5,
    **kwargs,
) -> EigResult:
    """The top eigenpair of ``H(w)`` from Hessian-vector products alone (Section 4.7).

    Parameters
    ----------
    problem : object with ``dim`` and ``grad`` (and ``hvp`` or ``hess`` for ``hvp="exact"``)
    w : array, shape (dim,)
    method : {"power", "lanczos"}
        ``"power"``: the power method, :func:`power_iteration`. It converges to the eigenvalue
        of largest *magnitude*, so ``abs(result.eigenvalue)`` estimates the local smoothness
        ``max_i |lambda_i(H(w))|`` of Definition 4.1.2, the ``L`` that the step-size rule
        ``eta < 2/L`` of Lemma 4.1.4 needs near ``w``. ``"lanczos"``: :func:`lanczos`, the
        largest (signed) eigenvalue, the sharpness.
    hvp : {"exact", "fd"}
        How each product is computed; see :func:`hessian_vector_product`.
    rel_step : float
        Finite-difference step for ``hvp="fd"``.
    **kwargs
        Passed on: ``v0`` (warm start), ``max_iter``, ``tol``, ``seed``.

    Returns
    -------
    EigResult
    """
    if method not in ("power", "lanczos"):
        raise ValueError(f"method must be 'power' or 'lanczos', got {method!r}")
    if hvp not in _HVP_METHODS:
        raise ValueError(f"hvp must be 'exact' or 'fd', got {hvp!r}")
    dim = _checks.positive_int("problem.dim", getattr(problem, "dim", None))
    w = _checks.vector("w", w, dim)

    def matvec(v):
        return hessian_vector_product(problem, w, v, method=hvp, rel_step=rel_step)

    solver = power_iteration if method == "power" else lanczos
    return solver(matvec, dim, **kwargs)


class CurvaturePath(NamedTuple):
    """The top Hessian eigenvalue measured at the iterates of a run.

    Attributes
    ----------
    steps : ndarray of int
        The iterate indices ``t`` that were measured.
    eigenvalues : ndarray
        The estimate at each of them (signed; see :func:`hessian_top_eigenpair`).
    n_matvecs : ndarray of int
        Hessian-vector products spent at each of them.
    converged : ndarray of bool
        Whether each estimate met its tolerance.
    """

    steps: np.ndarray
    eigenvalues: np.ndarray
    n_matvecs: np.ndarray
    converged: np.ndarray


def curvature_along_path(
    problem,
    iterates,
    *,
    every: int = 1,
    method: str = "power",
    hvp: str = "exact",
    seed: int = 0,
    **kwargs,
) -> CurvaturePath:
    """:func:`hessian_top_eigenpair` at iterates ``0, every, 2 * every, ...`` of a run.

    Each estimate starts from the previous eigenvector (a warm start): consecutive iterates
    have nearby Hessians, so after the first point a few products usually suffice. Iterates
    that are not finite (a diverged run), or whose Hessian-vector products are not, end the
    path.

    Parameters
    ----------
    problem : as for :func:`hessian_top_eigenpair`
    iterates : array, shape (steps + 1, dim)
        E.g. ``trace.iterates`` from :func:`gdlab.optim.run`.
    every : int
    method, hvp, seed, **kwargs
        As for :func:`hessian_top_eigenpair` (``max_iter``, ``tol``, ``rel_step``).

    Returns
    -------
    CurvaturePath
    """
    iterates = np.asarray(iterates, dtype=np.float64)
    dim = getattr(problem, "dim", None)
    if iterates.ndim != 2 or iterates.shape[0] == 0 or (dim and iterates.shape[1] != dim):
        raise ValueError(
            f"iterates must have shape (steps + 1, {dim or 'dim'}), got shape {iterates.shape}"
        )
    every = _checks.positive_int("every", every)
    steps, values, counts, flags = [], [], [], []
    v0 = None
    for t in range(0, iterates.shape[0], every):
        if not np.all(np.isfinite(iterates[t])):
            break
        try:
            result = hessian_top_eigenpair(
                problem, iterates[t], method=method, hvp=hvp, v0=v0, seed=seed, **kwargs
            )
        except NonFiniteProductError:
            break
        v0 = result.vector
        steps.append(t)
        values.append(result.eigenvalue)
        counts.append(result.n_matvecs)
        flags.append(result.converged)
    return CurvaturePath(
        np.array(steps, dtype=int),
        np.array(values, dtype=np.float64),
        np.array(counts, dtype=int),
        np.array(flags, dtype=bool),
    )
