r"""Stochastic gradients for problems that have no examples to sample (Section 4.6.3).

Theorem 4.6.2 needs only an unbiased gradient estimate :math:`\hat\nabla_t` with a bounded second
moment (Eq. 4.11), not a finite sum. :class:`NoisyGradient` turns any problem into such an
oracle by adding independent Gaussian noise to its exact gradient, so SGD can run on the
non-convex two-variable examples of :mod:`gdlab.problems` too. :func:`stationary_gap` is the
noise floor that SGD and the heavy ball (Section 4.3) settle at on a quadratic with such noise.
"""

from __future__ import annotations

import numpy as np

from gdlab import _checks

__all__ = ["NoisyGradient", "stationary_gap"]


class NoisyGradient:
    r"""``problem`` with a stochastic gradient: the exact gradient plus Gaussian noise.

    One draw is :math:`\hat\nabla = \nabla f(w) + \text{noise}\cdot\xi` with
    :math:`\xi \sim N(0, I_d)`, so :math:`\mathbb{E}\hat\nabla = \nabla f(w)` and
    :math:`\mathbb{E}\|\hat\nabla\|^2 = \|\nabla f(w)\|^2 + d\,\text{noise}^2`. A mini-batch of
    size ``batch_size`` is the average of that many independent draws.

    Everything else (``value``, ``grad``, ``hess``, ``hvp``, ``dim``, ``L``, ``minimizer``...) is
    the wrapped problem's, which stays available as ``base``.

    Parameters
    ----------
    problem : Problem
        Any object with ``dim`` and ``grad(w)``.
    noise : float
        The standard deviation of each coordinate of the noise, >= 0.
    """

    def __init__(self, problem, noise):
        if not callable(getattr(problem, "grad", None)) or not hasattr(problem, "dim"):
            raise ValueError(f"problem must have dim and grad(w), got {problem!r}")
        self.base = problem
        self.noise = _checks.non_negative("noise", noise)

    def __getattr__(self, name):
        # Only called for attributes not found on the wrapper itself.
        if name == "base":  # not yet set (e.g. during unpickling): avoid infinite recursion
            raise AttributeError(name)
        return getattr(self.base, name)

    def stochastic_grad(self, w, batch_size, rng, replace=True) -> np.ndarray:
        """The exact gradient plus the average of ``batch_size`` independent noise draws.

        ``replace`` is accepted for compatibility with finite sums and has no effect: the draws
        are always independent.

        Parameters
        ----------
        w : array_like, shape (dim,)
            The point.
        batch_size : int
            Number of noise draws averaged, >= 1.
        rng : numpy.random.Generator
            Draws the noise.
        replace : bool, optional
            Ignored.

        Returns
        -------
        ndarray, shape (dim,)
        """
        batch_size = _checks.positive_int("batch_size", batch_size)
        if not isinstance(rng, np.random.Generator):
            raise ValueError(
                f"rng must be a numpy Generator such as np.random.default_rng(0), got {rng!r}"
            )
        gradient = np.asarray(self.base.grad(w), dtype=np.float64)
        draws = rng.standard_normal((batch_size, gradient.shape[0]))
        return gradient + self.noise * draws.mean(axis=0)

    def __repr__(self) -> str:
        return f"NoisyGradient({self.base!r}, noise={self.noise:g})"


def stationary_gap(eigenvalues, lr, beta=0.0, noise=1.0, batch_size=1) -> float:
    r"""The noise floor :math:`\lim_t \mathbb E f(w_t) - f^\star` of the heavy ball (or SGD).

    On the quadratic :math:`f(w) = \tfrac12 \sum_i \lambda_i \hat w_i^2` with the gradient
    estimate of :class:`NoisyGradient` (exact gradient plus independent noise of variance
    :math:`\sigma^2/B` per coordinate), the heavy ball
    :math:`w_{t+1} = w_t - \eta \hat\nabla_t + \beta (w_t - w_{t-1})` forgets its start and each
    eigen-coordinate settles at the variance

    .. math::
        \operatorname{Var} \hat w_i = \frac{\eta \sigma^2}{B}\,
        \frac{1 + \beta}{\lambda_i (1 - \beta) \bigl(2(1 + \beta) - \eta\lambda_i\bigr)},

    the stationary solution of the Lyapunov equation of the 2x2 recurrence
    (:func:`gdlab.momentum.heavy_ball_matrix`). The floor is
    :math:`\sum_i \tfrac{\lambda_i}{2} \operatorname{Var} \hat w_i`. For :math:`\beta = 0` this
    is SGD's :math:`\sum_i \eta\sigma^2 / (2B (2 - \eta\lambda_i))`; for small
    :math:`\eta\lambda_i` the heavy ball's floor is SGD's at the step :math:`\eta/(1 - \beta)`.

    Parameters
    ----------
    eigenvalues : array_like, shape (d,)
        :math:`\lambda_i > 0`.
    lr : float
        :math:`\eta > 0`, below the stability limit :math:`2(1 + \beta)/\lambda_{\max}`.
    beta : float, optional
        :math:`\beta \in [0, 1)`; 0 (default) is SGD.
    noise : float, optional
        :math:`\sigma \ge 0`, the standard deviation of one draw's noise per coordinate.
    batch_size : int, optional
        :math:`B \ge 1`, the number of draws averaged.

    Returns
    -------
    float
    """
    eigenvalues = _checks.positive_array("eigenvalues", eigenvalues)
    lr = _checks.positive("lr", lr)
    beta = _checks.in_unit_interval("beta", beta)
    noise = _checks.non_negative("noise", noise)
    batch_size = _checks.positive_int("batch_size", batch_size)
    limit = 2 * (1 + beta) / float(np.max(eigenvalues))
    if not lr < limit:
        raise ValueError(
            f"lr must be below the stability limit 2(1 + beta)/lambda_max = {limit:.6g} for a "
            f"noise floor to exist, got lr={lr}"
        )
    variance = (
        lr * noise**2 / batch_size * (1 + beta)
        / (eigenvalues * (1 - beta) * (2 * (1 + beta) - lr * eigenvalues))
    )  # fmt: skip
    return float(np.sum(eigenvalues / 2 * variance))
