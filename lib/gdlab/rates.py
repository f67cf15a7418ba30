"""Convergence rates on the quadratic model (Section 4.4) and their tuned step sizes.

On f(w) = 1/2 (w - w*)^T A (w - w*) every method of Sections 4.1-4.3 is a linear recurrence that
decouples along the eigenvectors of A. Each function here returns the per-step contraction factor
of the error (the spectral radius of the recurrence), so that ``||w_t - w*|| ~ rate**t``.

Functions take eigenvalues as scalars or arrays and are vectorised; no function prints.
"""

from __future__ import annotations

import numpy as np

from gdlab import _checks


def _eigenvalues(eigenvalues) -> np.ndarray:
    return np.atleast_1d(_checks.non_empty_array("eigenvalues", eigenvalues))


def gd_factors(eigenvalues, lr: float) -> np.ndarray:
    r"""Per-eigendirection GD factor ``1 - lr * lambda_i`` (Section 4.4).

    Along eigenvector i the error obeys ``hat_w_i(t+1) = (1 - eta lambda_i) hat_w_i(t)``.

    Parameters
    ----------
    eigenvalues : float or array_like
        Eigenvalues :math:`\lambda_i` of A (at least one; any shape, finite).
    lr : float
        The step size :math:`\eta > 0`.

    Returns
    -------
    ndarray
        ``1 - lr * eigenvalues``, at least 1-D.
    """
    lr = _checks.positive("lr", lr)
    return 1.0 - lr * _eigenvalues(eigenvalues)


def gd_rate(eigenvalues, lr: float) -> float:
    r"""Spectral radius ``max_i |1 - lr lambda_i|`` of GD's iteration matrix ``I - lr A``.

    GD converges on the quadratic iff this is < 1, i.e. ``0 < lr < 2 / lambda_max`` (Section 4.4).

    Parameters
    ----------
    eigenvalues : float or array_like
        Eigenvalues :math:`\lambda_i` of A (at least one; any shape, finite).
    lr : float
        The step size :math:`\eta > 0`.

    Returns
    -------
    float
    """
    return float(np.max(np.abs(gd_factors(eigenvalues, lr))))


def stability_limit(L: float) -> float:
    """The largest stable constant step ``2 / L`` (Section 4.4; footnote 5 of Lemma 4.1.4).

    Parameters
    ----------
    L : float
        The largest eigenvalue (smoothness constant), > 0.

    Returns
    -------
    float
    """
    return 2.0 / _checks.positive("L", L)


def optimal_gd_lr(L: float, mu: float) -> float:
    r"""The constant step minimising ``gd_rate`` on eigenvalues in [mu, L]: ``2 / (L + mu)``.

    Parameters
    ----------
    L, mu : float
        Largest and smallest eigenvalue, :math:`0 < \mu \le L`.

    Returns
    -------
    float
    """
    L, mu = _L_and_mu(L, mu)
    return 2.0 / (L + mu)


def optimal_gd_rate(kappa: float) -> float:
    r"""GD's rate at the optimal step: ``(kappa - 1) / (kappa + 1)``.

    Parameters
    ----------
    kappa : float
        The condition number :math:`\kappa = L/\mu \ge 1`.

    Returns
    -------
    float
    """
    kappa = _condition_number(kappa)
    return (kappa - 1.0) / (kappa + 1.0)


def gd_rate_at_inverse_L(kappa: float) -> float:
    r"""GD's rate at ``lr = 1/L``: ``1 - 1/kappa`` (Section 4.4).

    Parameters
    ----------
    kappa : float
        The condition number :math:`\kappa = L/\mu \ge 1`.

    Returns
    -------
    float
    """
    return 1.0 - 1.0 / _condition_number(kappa)


def optimal_heavy_ball(L: float, mu: float) -> tuple[float, float]:
    r"""Polyak's tuned heavy-ball parameters on eigenvalues in [mu, L].

    Returns ``(lr, beta)`` with ``lr = 4 / (sqrt(L) + sqrt(mu))**2`` and
    ``beta = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))**2``; the rate is then
    ``(sqrt(kappa) - 1) / (sqrt(kappa) + 1)`` (Section 4.3).

    Parameters
    ----------
    L, mu : float
        Largest and smallest eigenvalue, :math:`0 < \mu \le L`.

    Returns
    -------
    lr, beta : float
    """
    L, mu = _L_and_mu(L, mu)
    root_kappa = np.sqrt(L / mu)
    lr = 4.0 / (np.sqrt(L) + np.sqrt(mu)) ** 2
    beta = ((root_kappa - 1.0) / (root_kappa + 1.0)) ** 2
    return float(lr), float(beta)


def optimal_heavy_ball_rate(kappa: float) -> float:
    r"""Heavy ball's rate at its tuned parameters: ``(sqrt(kappa) - 1) / (sqrt(kappa) + 1)``.

    Parameters
    ----------
    kappa : float
        The condition number :math:`\kappa = L/\mu \ge 1`.

    Returns
    -------
    float
    """
    root_kappa = np.sqrt(_condition_number(kappa))
    return float((root_kappa - 1.0) / (root_kappa + 1.0))


def nesterov_strongly_convex(L: float, mu: float) -> tuple[float, float]:
    r"""Nesterov's constant-momentum parameters for eigenvalues (curvatures) in [mu, L].

    Returns ``(lr, beta)`` with ``lr = 1 / L`` and ``beta = (sqrt(kappa) - 1) / (sqrt(kappa) + 1)``,
    the textbook choice for mu-strongly convex, L-smooth functions (Section 4.3; Nesterov, 2004).

    Parameters
    ----------
    L, mu : float
        Largest and smallest eigenvalue, :math:`0 < \mu \le L`.

    Returns
    -------
    lr, beta : float
    """
    L, mu = _L_and_mu(L, mu)
    root_kappa = np.sqrt(L / mu)
    return float(1.0 / L), float((root_kappa - 1.0) / (root_kappa + 1.0))


def nesterov_strongly_convex_rate(kappa: float) -> float:
    r"""Nesterov's rate at :func:`nesterov_strongly_convex` on a quadratic: ``1 - 1/sqrt(kappa)``.

    The flattest direction (eigenvalue mu) has a repeated root there, so its error decays like
    ``t * rate**t``, not ``rate**t``; the steepest (eigenvalue L) is gone after one step.

    Parameters
    ----------
    kappa : float
        The condition number :math:`\kappa = L/\mu \ge 1`.

    Returns
    -------
    float
    """
    return float(1.0 - 1.0 / np.sqrt(_condition_number(kappa)))


def observed_rate(errors, first: int | None = None, last: int | None = None) -> float:
    """The per-step contraction measured on a run, ``(errors[last] / errors[first])**(1/k)``.

    With ``k = last - first``: the geometric mean of ``errors[t + 1] / errors[t]`` over
    ``first <= t < last``, e.g. of ``||w_t - w*||``, to compare with a method's predicted rate.
    For an error ``c * rate**t`` it is ``rate``; for ``c * t * rate**t`` (a repeated root) it is
    ``rate * (last / first)**(1/k)``, slightly above ``rate``.

    Parameters
    ----------
    errors : array_like, shape (n,)
        A sequence of positive numbers.
    first, last : int, optional
        Indices with ``0 <= first < last < n``; by default the second half,
        ``first = (n - 1) // 2`` and ``last = n - 1``.

    Returns
    -------
    float
    """
    errors = _checks.finite_array("errors", errors, ndim=1)
    size = errors.size
    if size < 2:
        raise ValueError(f"errors must hold at least 2 values, got {size}")
    last = size - 1 if last is None else _checks.non_negative_int("last", last)
    first = (size - 1) // 2 if first is None else _checks.non_negative_int("first", first)
    if not first < last < size:
        raise ValueError(f"need 0 <= first < last < {size}, got first={first}, last={last}")
    if errors[first] <= 0 or errors[last] <= 0:
        raise ValueError(
            f"errors must be positive at first and last, got {errors[first]} and {errors[last]}"
        )
    return float((errors[last] / errors[first]) ** (1.0 / (last - first)))


def _largest_root_modulus(trace, determinant) -> np.ndarray:
    """Largest |z| over the roots of ``z^2 - trace z + determinant`` (vectorised)."""
    discriminant = np.lib.scimath.sqrt(trace**2 - 4.0 * determinant)
    return np.maximum(np.abs((trace + discriminant) / 2), np.abs((trace - discriminant) / 2))


def heavy_ball_rate(eigenvalues, lr: float, beta: float) -> float:
    r"""Spectral radius of heavy ball on a quadratic (Section 4.3).

    Along eigenvector i, ``w_{t+1} = (1 + beta - lr lambda_i) w_t - beta w_{t-1}``: the 2x2
    companion matrix has characteristic polynomial ``z^2 - (1 + beta - lr lambda_i) z + beta``.

    Parameters
    ----------
    eigenvalues : float or array_like
        Eigenvalues :math:`\lambda_i` of A (at least one; any shape, finite).
    lr : float
        The step size :math:`\eta > 0`.
    beta : float
        Momentum in [0, 1).

    Returns
    -------
    float
    """
    lr, beta = _checks.positive("lr", lr), _checks.in_unit_interval("beta", beta)
    trace = 1.0 + beta - lr * _eigenvalues(eigenvalues)
    return float(np.max(_largest_root_modulus(trace, beta)))


def nesterov_rate(eigenvalues, lr: float, beta: float) -> float:
    r"""Spectral radius of Nesterov's method on a quadratic (Section 4.3).

    The look-ahead update gives ``w_{t+1} = (1 - lr lambda_i)((1 + beta) w_t - beta w_{t-1})``:
    characteristic polynomial ``z^2 - (1 - lr lambda_i)(1 + beta) z + (1 - lr lambda_i) beta``.

    Parameters
    ----------
    eigenvalues : float or array_like
        Eigenvalues :math:`\lambda_i` of A (at least one; any shape, finite).
    lr : float
        The step size :math:`\eta > 0`.
    beta : float
        Momentum in [0, 1).

    Returns
    -------
    float
    """
    lr, beta = _checks.positive("lr", lr), _checks.in_unit_interval("beta", beta)
    factor = 1.0 - lr * _eigenvalues(eigenvalues)
    return float(np.max(_largest_root_modulus(factor * (1.0 + beta), factor * beta)))


def iterations_to_reach(rate: float, tolerance: float) -> float:
    """Steps t with ``rate**t <= tolerance``: ``log(tolerance) / log(rate)`` (inf if rate >= 1).

    Parameters
    ----------
    rate : float
        Per-step contraction factor, >= 0.
    tolerance : float
        Target factor, > 0.

    Returns
    -------
    float
        Not rounded; ``inf`` if ``rate >= 1``, 0 if ``tolerance >= 1``.
    """
    rate = _checks.non_negative("rate", rate)
    tolerance = _checks.positive("tolerance", tolerance)
    if rate >= 1.0:
        return float("inf")
    if rate == 0.0 or tolerance >= 1.0:
        return 1.0 if tolerance < 1.0 else 0.0
    return float(np.log(tolerance) / np.log(rate))


def _condition_number(kappa) -> float:
    kappa = _checks.real_scalar("kappa", kappa)
    if kappa < 1.0:
        raise ValueError(f"kappa must be >= 1, got {kappa}")
    return kappa


def _L_and_mu(L, mu) -> tuple[float, float]:
    L, mu = _checks.positive("L", L), _checks.positive("mu", mu)
    if mu > L:
        raise ValueError(f"mu must not exceed L, got mu={mu} > L={L}")
    return L, mu
