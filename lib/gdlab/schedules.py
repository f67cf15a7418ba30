r"""Learning-rate schedules (Section 4.5.1).

A schedule is a callable ``schedule(t)`` giving :math:`\eta_t` for the steps ``t = 1, 2, ...``
(the chapter counts iterations from 1). ``t`` may be an int or an integer array; an array gives an
array, so ``schedule(np.arange(1, T + 2))`` tabulates a whole schedule. Pass a schedule to
:func:`gdlab.optim.run`, which uses ``lr = schedule(t)`` at step ``t``.
"""

from __future__ import annotations

import numbers

import numpy as np

from gdlab import _checks

__all__ = ["Constant", "Cosine", "InverseSqrt", "Schedule", "StepDecay", "WarmupCosine"]


class Schedule:
    """Base class: validates ``t`` and returns a float for an int, an array for an array."""

    _parameters: tuple[str, ...] = ()

    def __call__(self, t):
        r"""The learning rate :math:`\eta_t` at step ``t``.

        Parameters
        ----------
        t : int or array_like of int
            Step(s), each >= 1 (the chapter counts iterations from 1).

        Returns
        -------
        float or ndarray
            A float for an int ``t``, an array of the shape of ``t`` for an array.
        """
        steps = _steps(t)
        # always evaluated on an array, so that schedule(k) == schedule(array)[i] bit for bit
        values = np.asarray(self._value(steps.reshape(-1)), dtype=np.float64)
        return float(values[0]) if steps.ndim == 0 else values.reshape(steps.shape)

    def _value(self, t: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def __repr__(self) -> str:
        parts = ", ".join(f"{name}={getattr(self, name)!r}" for name in self._parameters)
        return f"{type(self).__name__}({parts})"


def _steps(t) -> np.ndarray:
    """``t`` as an int64 array of steps >= 1, or a ValueError naming ``t``."""
    if isinstance(t, (bool, np.bool_)):
        raise ValueError(f"t must be an integer step >= 1, got {t!r}")
    if isinstance(t, numbers.Integral):
        steps = np.asarray(int(t), dtype=np.int64)
    else:
        steps = np.asarray(t)
        if steps.dtype.kind not in "iu":
            raise ValueError(
                f"t must be an integer step >= 1 or an integer array, got {_checks._show(t)}"
            )
        steps = steps.astype(np.int64)
    if steps.size and steps.min() < 1:
        raise ValueError(
            f"t must be >= 1 (the chapter counts steps from t = 1), got {_checks._show(t)}"
        )
    return steps


def _half_cosine(lr_max: float, lr_min: float, fraction: np.ndarray) -> np.ndarray:
    """lr_min + (lr_max - lr_min) * (1 + cos(pi * fraction)) / 2, for fraction in [0, 1]."""
    return lr_min + (lr_max - lr_min) * 0.5 * (1.0 + np.cos(np.pi * fraction))


class Constant(Schedule):
    r"""A constant learning rate, :math:`\eta_t = \texttt{lr}`.

    Parameters
    ----------
    lr : float
        The learning rate, > 0.
    """

    _parameters = ("lr",)

    def __init__(self, lr):
        self.lr = _checks.positive("lr", lr)

    def _value(self, t):
        return np.full(t.shape, self.lr)


class InverseSqrt(Schedule):
    r"""The decay :math:`\eta_t = \texttt{lr} / \sqrt t` of the adaptive methods' analyses.

    Reddi et al.'s (2018) counterexample to Adam and their AMSGrad use it (Section 4.6.4).

    Parameters
    ----------
    lr : float
        The learning rate at ``t = 1``, > 0.
    """

    _parameters = ("lr",)

    def __init__(self, lr):
        self.lr = _checks.positive("lr", lr)

    def _value(self, t):
        return self.lr / np.sqrt(t)


class StepDecay(Schedule):
    r"""Step decay: :math:`\eta_t = \texttt{lr} \cdot \texttt{drop}^{\lfloor (t-1)/\texttt{every}
    \rfloor}`, e.g. "reduced by a factor of 10 at certain epochs" (Section 4.7).

    Parameters
    ----------
    lr : float
        The initial learning rate, > 0.
    drop : float, optional
        The factor applied every ``every`` steps, in (0, 1] (default 0.1).
    every : int
        The number of steps between drops (keyword, required).
    """

    _parameters = ("lr", "drop", "every")

    def __init__(self, lr, drop=0.1, *, every):
        self.lr = _checks.positive("lr", lr)
        self.drop = _checks.positive("drop", drop)
        if self.drop > 1:
            raise ValueError(f"drop must lie in (0, 1], got {self.drop}")
        self.every = _checks.positive_int("every", every)

    def _value(self, t):
        return self.lr * self.drop ** ((t - 1) // self.every)


class Cosine(Schedule):
    r"""The cosine schedule of Section 4.5.1, between ``lr_max`` and ``lr_min``.

    .. math::
        \eta_t = \eta_{\min} + (\eta_{\max} - \eta_{\min}) \cdot
        \frac{1}{2}\left(1 + \cos\left(\frac{t-1}{T}\pi\right)\right), \qquad 1 \le t \le T+1

    so :math:`\eta_1 = \eta_{\max}` and :math:`\eta_{T+1} = \eta_{\min}`; the chapter's formula is
    the case ``lr_max=1``, ``lr_min=0``. The chapter defines the schedule only up to
    :math:`t = T+1`; after that it is held at ``lr_min`` (rather than rising again with the
    cosine).

    Parameters
    ----------
    lr_max : float
        The initial learning rate, > 0.
    T : int
        The length of the decay, >= 1.
    lr_min : float, optional
        The final learning rate, in [0, lr_max] (default 0).
    """

    _parameters = ("lr_max", "T", "lr_min")

    def __init__(self, lr_max, T, lr_min=0.0):
        self.lr_max = _checks.positive("lr_max", lr_max)
        self.T = _checks.positive_int("T", T)
        self.lr_min = _checks.non_negative("lr_min", lr_min)
        if self.lr_min > self.lr_max:
            raise ValueError(f"lr_min must be <= lr_max = {self.lr_max}, got {self.lr_min}")

    def _value(self, t):
        t = np.minimum(t, self.T + 1)  # held at lr_min after t = T + 1
        return _half_cosine(self.lr_max, self.lr_min, (t - 1) / self.T)


class WarmupCosine(Schedule):
    r"""Linear warm-up to ``lr_max``, then the cosine of :class:`Cosine` down to ``lr_min``.

    .. math::
        \eta_t = \begin{cases}
        \eta_{\max}\, t / \text{warmup}, & 1 \le t \le \text{warmup} \\
        \eta_{\min} + (\eta_{\max} - \eta_{\min}) \frac{1}{2}\left(1 + \cos\left(
        \frac{t - \text{warmup}}{T + 1 - \text{warmup}} \pi\right)\right),
        & \text{warmup} \le t \le T+1
        \end{cases}

    The two pieces agree at ``t = warmup`` (both give ``lr_max``); :math:`\eta_{T+1} = \eta_{\min}`
    and the schedule is held at ``lr_min`` after that. ``warmup=1`` is :class:`Cosine`.

    Parameters
    ----------
    lr_max : float
        The peak learning rate, > 0.
    T : int
        The schedule reaches ``lr_min`` at ``t = T + 1``; >= ``warmup``.
    warmup : int
        The number of warm-up steps, in [1, T].
    lr_min : float, optional
        The final learning rate, in [0, lr_max] (default 0).
    """

    _parameters = ("lr_max", "T", "warmup", "lr_min")

    def __init__(self, lr_max, T, warmup, lr_min=0.0):
        self.lr_max = _checks.positive("lr_max", lr_max)
        self.T = _checks.positive_int("T", T)
        self.warmup = _checks.positive_int("warmup", warmup)
        if self.warmup > self.T:
            raise ValueError(f"warmup must be <= T = {self.T}, got {self.warmup}")
        self.lr_min = _checks.non_negative("lr_min", lr_min)
        if self.lr_min > self.lr_max:
            raise ValueError(f"lr_min must be <= lr_max = {self.lr_max}, got {self.lr_min}")

    def _value(self, t):
        warm = self.lr_max * t / self.warmup  # linear warm-up
        decay = np.clip(t, self.warmup, self.T + 1)  # held at lr_min after t = T + 1
        fraction = (decay - self.warmup) / (self.T + 1 - self.warmup)
        return np.where(t <= self.warmup, warm, _half_cosine(self.lr_max, self.lr_min, fraction))
