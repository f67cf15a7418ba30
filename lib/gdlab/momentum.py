r"""Momentum written the other way round (Section 4.3), and the unrolled velocity.

:class:`gdlab.optim.HeavyBall` and :class:`gdlab.optim.Nesterov` keep a velocity :math:`v`. The
chapter first writes heavy ball without one, in terms of the last two iterates; this module has
that *position form* of both methods, as optimizers that run with :func:`gdlab.optim.run`, so a
page can check that the two forms produce the same iterates.

Indexing. In the chapter's velocity form, :math:`v_t = \beta v_{t-1} + \eta \nabla f(w_t)` and
:math:`w_{t+1} = w_t - v_t`: :math:`v_t` is the step *from* :math:`w_t` *to* :math:`w_{t+1}`,
computed with the gradient at :math:`w_t`, so :math:`v_{t-1} = w_{t-1} - w_t` and the momentum
term of the position form is :math:`\beta(w_t - w_{t-1}) = -\beta v_{t-1}`. The forms agree when
the velocity starts at :math:`v_{-1} = 0`, which in the position form is :math:`w_{-1} = w_0`
(the first step is a plain gradient step). :func:`unrolled_velocity` writes :math:`v_t` as the
explicit sum :math:`\eta \sum_{i=0}^{t} \beta^{t-i} \nabla f(w_i)`.
:class:`HeavyBallCounterexample` is a smooth, strongly convex function on which the heavy ball,
tuned as for a quadratic, does not converge.
"""

from __future__ import annotations

import numpy as np

from gdlab import _checks
from gdlab.optim import Optimizer
from gdlab.problems import Problem

__all__ = [
    "HeavyBallCounterexample",
    "HeavyBallPositionForm",
    "NesterovConvex",
    "NesterovPositionForm",
    "average_weights",
    "heavy_ball_matrix",
    "unrolled_velocity",
]


class _PositionForm(Optimizer):
    """Shared state of the position forms: ``beta`` and the previous iterate ``w_prev``."""

    _hyperparameters = ("lr", "beta")

    def __init__(self, lr, beta=0.9, **kwargs):
        self.beta = _checks.in_unit_interval("beta", beta)
        super().__init__(lr, **kwargs)

    def _previous_iterate(self, w):
        """The stored :math:`w_{t-1}`, set to :math:`w_0` on the first step (no momentum then)."""
        first = "w_prev" not in self._state
        w_prev = self._state_array("w_prev", w.shape)
        if first:
            w_prev[...] = w  # w_{-1} = w_0
        return w_prev


class HeavyBallPositionForm(_PositionForm):
    r"""Heavy ball in the chapter's first form, with the previous iterate as state (Section 4.3).

    .. math:: w_{t+1} = w_t - \eta \nabla f(w_t) + \beta (w_t - w_{t-1}), \qquad w_{-1} = w_0

    Same iterates as :class:`gdlab.optim.HeavyBall` (see the module docstring for the indexing).
    State: ``w_prev`` (:math:`w_{t-1}`, one float per parameter).

    Parameters
    ----------
    lr : float
        :math:`\eta > 0`.
    beta : float, optional
        :math:`\beta \in [0, 1)` (default 0.9).
    batch_size, seed, replace
        See :class:`gdlab.optim.Optimizer`.
    """

    def _step(self, w, problem, lr, t, out):
        w_prev = self._previous_iterate(w)  # w_{t-1}
        g = self.gradient(w, problem)  # grad f(w_t)
        w_next = np.multiply(-lr, g, out=out)  # -eta grad f(w_t)
        w_next += self.beta * (w - w_prev)  # + beta (w_t - w_{t-1})
        w_next += w  # w_{t+1}
        w_prev[...] = w  # becomes w_{t-1} for the next step
        return w_next


class NesterovPositionForm(_PositionForm):
    r"""Nesterov's method with the previous iterate as state (Section 4.3).

    .. math::
        y_t = w_t + \beta (w_t - w_{t-1}), \qquad w_{t+1} = y_t - \eta \nabla f(y_t),
        \qquad w_{-1} = w_0

    The gradient is taken at the look-ahead point :math:`y_t`; since
    :math:`w_t - w_{t-1} = -v_{t-1}`, :math:`y_t = w_t - \beta v_{t-1}` is the look-ahead point of
    :class:`gdlab.optim.Nesterov`, and the iterates are the same. State: ``w_prev``.

    Parameters
    ----------
    lr : float
        :math:`\eta > 0`.
    beta : float, optional
        :math:`\beta \in [0, 1)` (default 0.9).
    batch_size, seed, replace
        See :class:`gdlab.optim.Optimizer`.
    """

    def _step(self, w, problem, lr, t, out):
        w_prev = self._previous_iterate(w)  # w_{t-1}
        lookahead = w + self.beta * (w - w_prev)  # y_t = w_t + beta (w_t - w_{t-1})
        g = self.gradient(lookahead, problem)  # grad f(y_t)
        w_next = np.multiply(-lr, g, out=out)  # -eta grad f(y_t)
        w_next += lookahead  # w_{t+1} = y_t - eta grad f(y_t)
        w_prev[...] = w
        return w_next


class NesterovConvex(Optimizer):
    r"""Nesterov's method for smooth convex functions: momentum :math:`\beta_t = (t-1)/(t+2)`.

    .. math::
        y_t = w_t + \frac{t - 1}{t + 2} (w_t - w_{t-1}), \qquad
        w_{t+1} = y_t - \eta \nabla f(y_t), \qquad t = 1, 2, \dots,\ w_0 = w_{-1}

    The look-ahead form of Section 4.3 with a momentum that grows towards 1 instead of a constant
    :math:`\beta`: no strong convexity is needed. With :math:`\eta = 1/L` on a convex,
    :math:`L`-smooth :math:`f` it guarantees
    :math:`f(w_T) - f^\star \le 2L\|w_0 - w^\star\|^2/(T+1)^2`, against GD's
    :math:`L\|w_0 - w^\star\|^2/(2T)` (Nesterov 1983; Su, Boyd and Candes 2016), and
    :math:`1/T^2` is the best order any first-order method can guarantee
    (:func:`gdlab.problems.worst_case_quadratic`). State: ``w_prev``.

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0` (the guarantee needs :math:`\eta \le 1/L`).
    batch_size, seed, replace
        See :class:`gdlab.optim.Optimizer`.
    """

    def _step(self, w, problem, lr, t, out):
        first = "w_prev" not in self._state
        w_prev = self._state_array("w_prev", w.shape)  # w_{t-1}
        if first:
            w_prev[...] = w  # w_{-1} = w_0 (beta_1 = 0 anyway)
        beta = (t - 1) / (t + 2)  # beta_t
        lookahead = w + beta * (w - w_prev)  # y_t
        g = self.gradient(lookahead, problem)  # grad f(y_t)
        w_next = np.multiply(-lr, g, out=out)
        w_next += lookahead  # w_{t+1} = y_t - eta grad f(y_t)
        w_prev[...] = w
        return w_next


def heavy_ball_matrix(eigenvalue, lr, beta) -> np.ndarray:
    r"""The heavy ball's 2x2 recurrence matrix along one eigendirection of a quadratic.

    Along an eigendirection with eigenvalue :math:`\lambda`, the error :math:`x_t` of the heavy
    ball obeys :math:`x_{t+1} = (1 + \beta - \eta\lambda) x_t - \beta x_{t-1}`, i.e.
    :math:`(x_{t+1}, x_t) = M (x_t, x_{t-1})` with

    .. math:: M = \begin{pmatrix} 1 + \beta - \eta\lambda & -\beta \\ 1 & 0 \end{pmatrix}.

    Its eigenvalues are the roots of :math:`z^2 - (1 + \beta - \eta\lambda) z + \beta`; its
    spectral radius sets the long-run rate. At a repeated root (Polyak's tuning at
    :math:`\lambda = \mu` and :math:`\lambda = L`) :math:`M` is a Jordan block, not normal, and
    :math:`\|M^t\|` first grows like :math:`t \rho^{t}` before it decays.

    Parameters
    ----------
    eigenvalue : float
        :math:`\lambda`, finite.
    lr : float
        :math:`\eta > 0`.
    beta : float
        :math:`\beta \in [0, 1)`.

    Returns
    -------
    ndarray, shape (2, 2)
    """
    eigenvalue = _checks.real_scalar("eigenvalue", eigenvalue)
    lr = _checks.positive("lr", lr)
    beta = _checks.in_unit_interval("beta", beta)
    return np.array([[1.0 + beta - lr * eigenvalue, -beta], [1.0, 0.0]])


def unrolled_velocity(gradients, lr, beta) -> np.ndarray:
    r"""The velocities :math:`v_t = \eta \sum_{i=0}^{t} \beta^{t-i} g_i` as explicit sums.

    The closed form of the recursion :math:`v_t = \beta v_{t-1} + \eta g_t`, :math:`v_{-1} = 0`,
    computed term by term (not by the recursion) for every t.

    Parameters
    ----------
    gradients : array_like, shape (T, d)
        :math:`g_0, \dots, g_{T-1}`, the gradients at :math:`w_0, \dots, w_{T-1}`.
    lr : float
        :math:`\eta > 0`.
    beta : float
        :math:`\beta \in [0, 1)`.

    Returns
    -------
    ndarray, shape (T, d)
        Row t is :math:`v_t`.
    """
    gradients = _checks.finite_array("gradients", gradients, ndim=2)
    lr = _checks.positive("lr", lr)
    beta = _checks.in_unit_interval("beta", beta)
    steps = gradients.shape[0]
    lags = np.arange(steps)[:, None] - np.arange(steps)[None, :]  # t - i
    weights = np.where(lags >= 0, beta ** np.maximum(lags, 0), 0.0)  # beta^(t-i) for i <= t
    return lr * weights @ gradients


def average_weights(t, beta) -> np.ndarray:
    r"""The weights of :math:`g_0, \dots, g_t` in :math:`v_t` normalised to sum to 1.

    :math:`v_t = \eta\, \frac{1 - \beta^{t+1}}{1 - \beta} \sum_{i=0}^t a_i g_i` with
    :math:`a_i = \frac{(1-\beta)\beta^{t-i}}{1-\beta^{t+1}}`: the velocity is a multiple of a
    weighted *average* of past gradients whose weights fall geometrically into the past.
    ``beta = 0`` gives all weight to :math:`g_t`.

    Parameters
    ----------
    t : int
        The last index, >= 0.
    beta : float
        Momentum in [0, 1).

    Returns
    -------
    ndarray, shape (t + 1,)
        :math:`a_0, \dots, a_t`.
    """
    t = _checks.non_negative_int("t", t)
    beta = _checks.in_unit_interval("beta", beta)
    raw = beta ** (t - np.arange(t + 1, dtype=np.float64))
    return raw / raw.sum()


class HeavyBallCounterexample(Problem):
    r"""A 1-D strongly convex, smooth function where the tuned heavy ball cycles (Section 4.3).

    Lessard, Recht and Packard (2016, Section 4.6): with :math:`\mu = 1`, :math:`L = 25`,

    .. math::
        f(x) = \begin{cases}
            \tfrac{25}{2} x^2 & x < 1 \\
            \tfrac12 x^2 + 24 x - 12 & 1 \le x < 2 \\
            \tfrac{25}{2} x^2 - 24 x + 36 & x \ge 2
        \end{cases}

    is continuously differentiable with :math:`f''(x) \in \{1, 25\}`, so every curvature lies in
    :math:`[\mu, L]` and the minimiser is :math:`x^\star = 0`. Yet the heavy ball with Polyak's
    quadratic tuning (:func:`gdlab.rates.optimal_heavy_ball`) settles into a cycle of period 3
    from many starts: the rate of Section 4.3's quadratic analysis is not a guarantee off
    quadratics.

    Attributes
    ----------
    L, mu : float
        25 and 1: the largest and smallest curvature.
    """

    L = 25.0
    mu = 1.0

    def __init__(self):
        self.dim = 1
        self.minimizer = np.zeros(1)
        self.minimizer.setflags(write=False)
        self.optimal_value = 0.0

    def _value(self, w):
        x = w[0]
        if x < 1.0:
            return 12.5 * x**2
        if x < 2.0:
            return 0.5 * x**2 + 24.0 * x - 12.0
        return 12.5 * x**2 - 24.0 * x + 36.0

    def _grad(self, w):
        x = w[0]
        if x < 1.0:
            return np.array([25.0 * x])
        if x < 2.0:
            return np.array([x + 24.0])
        return np.array([25.0 * x - 24.0])

    def _hess(self, w):
        return np.array([[1.0 if 1.0 <= w[0] < 2.0 else 25.0]])

    def __repr__(self) -> str:
        return "HeavyBallCounterexample()"
