r"""Stochastic gradients for problems that have no examples to sample (Section 4.6.3).

Theorem 4.6.2 needs only an unbiased gradient estimate :math:`\hat\nabla_t` with a bounded second
moment (Eq. 4.11), not a finite sum. :class:`NoisyGradient` turns any problem into such an
oracle by adding independent Gaussian noise to its exact gradient, so SGD can run on the
non-convex two-variable examples of :mod:`gdlab.problems` too.
"""

from __future__ import annotations

import numpy as np

from gdlab import _checks

__all__ = ["NoisyGradient"]


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
