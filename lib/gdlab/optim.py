r"""The chapter's optimizers (Sections 4.1-4.5 and 4.6.4) and the ``run`` loop.

Every optimizer is a small object with explicit state. ``step(w, problem)`` reads the iterate
:math:`w_t`, asks ``problem`` for a gradient, updates the state in place and returns a new array
:math:`w_{t+1}`; the code of each ``_step`` mirrors the chapter's update equations line by line,
with the chapter's symbols in the comments. ``run`` repeats ``step`` and returns a :class:`Trace`.

A problem is any object with ``dim``, ``value(w)``, ``grad(w)``, ``hess(w)`` (Newton only) and,
for mini-batch gradients, ``stochastic_grad(w, batch_size, rng, replace=True)``.

Conventions shared by every optimizer:

- ``batch_size=None`` uses the exact gradient :math:`\nabla f(w_t)`; an integer uses the
  mini-batch gradient :math:`g_t` of Section 4.2 instead, so every method can run stochastically.
- An optimizer never modifies the iterate or the gradient it is given, and never keeps a reference
  to either: a problem may return an internal buffer from ``grad``.
- Each step writes into one array, named ``w_next`` in the code: a new array, or ``out`` if given.
  It serves as scratch space for the update and ends up holding :math:`w_{t+1}`; state arrays are
  updated in place, so a step allocates nothing else of size d (Nesterov also allocates its
  look-ahead point, Newton its linear solve).
"""

from __future__ import annotations

import copy
import dataclasses

import numpy as np

from gdlab import _checks

__all__ = [
    "GD",
    "SGD",
    "AdaGrad",
    "AdaGradNorm",
    "Adam",
    "AdamW",
    "AMSGrad",
    "DelayedAdaGrad",
    "HeavyBall",
    "Lion",
    "Nesterov",
    "Newton",
    "Optimizer",
    "RMSprop",
    "SingularHessianError",
    "Trace",
    "run",
]


class SingularHessianError(ValueError):
    r"""The Newton system :math:`(H_t + \text{damping}\, I)\, \delta = \nabla f(w_t)` is singular.

    Raised when the matrix is exactly singular, or numerically singular: its smallest
    :math:`|\lambda|` is below about ``1e-12`` times its largest. A ``ValueError``.
    """


def _checked_gradient(gradient, w: np.ndarray, source: str) -> np.ndarray:
    """``gradient`` as float64, or a ValueError if its shape is not that of ``w``."""
    gradient = np.asarray(gradient, dtype=np.float64)
    if gradient.shape != w.shape:
        raise ValueError(
            f"{source} must return an array of the shape of w, {w.shape}, got shape "
            f"{gradient.shape}"
        )
    return gradient


class Optimizer:
    """Base class: gradient access, explicit state, the step counter and ``reset``.

    Parameters
    ----------
    lr : float
        The learning rate :math:`\\eta > 0`.
    batch_size : int or None, optional
        ``None`` (default) uses the exact gradient ``problem.grad(w)``. An integer ``B`` uses the
        mini-batch gradient :math:`g_t` of Section 4.2,
        ``problem.stochastic_grad(w, B, self.rng, replace=self.replace)``.
    seed : int or None, optional
        Seed of ``self.rng``, the generator that draws mini-batches; ``reset()`` re-seeds it, so
        a run is reproducible.
    replace : bool, optional
        Whether a mini-batch is drawn with replacement (default ``True``).

    Attributes
    ----------
    t : int
        Number of steps taken since construction or the last ``reset()``.
    state : dict of str to ndarray
        A copy of the per-parameter state (empty before the first step).
    rng : numpy.random.Generator
        The mini-batch generator.
    """

    #: Names of the constructor's method-specific arguments, in order (for ``__repr__``).
    _hyperparameters: tuple[str, ...] = ("lr",)

    def __init__(self, lr, *, batch_size=None, seed=None, replace=True):
        self.lr = _checks.positive("lr", lr)
        if batch_size is not None:
            batch_size = _checks.positive_int("batch_size", batch_size)
        self.batch_size = batch_size
        self.seed = None if seed is None else _checks.non_negative_int("seed", seed)
        if not isinstance(replace, (bool, np.bool_)):
            raise ValueError(f"replace must be True or False, got {replace!r}")
        self.replace = bool(replace)
        self.reset()

    # -- public interface ------------------------------------------------------------------------

    def reset(self) -> None:
        """Forget all state, set ``t = 0`` and re-seed ``rng`` from ``seed``."""
        self.t = 0
        self._state: dict[str, np.ndarray] = {}
        self._work: dict[str, np.ndarray] = {}
        self.rng = np.random.default_rng(self.seed)

    def gradient(self, w, problem) -> np.ndarray:
        """The gradient the method uses at ``w``: exact, or a mini-batch one if ``batch_size``.

        Parameters
        ----------
        w : ndarray, shape (d,)
            The point.
        problem : object
            Provides ``grad``, and ``stochastic_grad`` when ``batch_size`` is set.

        Returns
        -------
        ndarray, shape (d,)
        """
        if self.batch_size is None:
            return _checked_gradient(problem.grad(w), w, "problem.grad(w)")
        stochastic_grad = getattr(problem, "stochastic_grad", None)
        if stochastic_grad is None:
            raise ValueError(
                f"batch_size={self.batch_size} needs a problem with stochastic_grad (a finite "
                f"sum), got {_checks._show(problem)}; use batch_size=None for the exact gradient"
            )
        return _checked_gradient(
            stochastic_grad(w, self.batch_size, self.rng, replace=self.replace),
            w,
            "problem.stochastic_grad(w, ...)",
        )

    def step(self, w, problem, lr=None, out=None) -> np.ndarray:
        r"""Take one step from ``w`` and return the new iterate :math:`w_{t+1}`.

        Parameters
        ----------
        w : array_like, shape (d,)
            The current iterate :math:`w_t` (not modified).
        problem : object
            Provides ``grad`` (and ``stochastic_grad``, ``hess`` where the method needs them).
        lr : float, optional
            The learning rate :math:`\eta_t` for this step only, overriding ``self.lr``; this is
            how a schedule acts. ``0`` is allowed (a schedule may decay to zero).
        out : ndarray, optional
            A float64 array of shape (d,), not overlapping ``w``, to write :math:`w_{t+1}` into
            and return; by default a new array. ``run`` passes the next row of its trace, so a run
            allocates nothing per step beyond what the problem does.

        Returns
        -------
        ndarray, shape (d,)
            :math:`w_{t+1}` (``out`` if given).
        """
        lr = self.lr if lr is None else _checks.non_negative("lr", lr)
        w = np.asarray(w, dtype=np.float64)
        if out is not None and not (
            isinstance(out, np.ndarray)
            and out.shape == w.shape
            and out.dtype == np.float64
            and not np.may_share_memory(out, w)
        ):
            raise ValueError(
                f"out must be a float64 array of shape {w.shape} not overlapping w, got "
                f"{_checks._show(out)}"
            )
        t = self.t + 1  # the chapter counts steps from t = 1
        w_next = self._step(w, problem, lr, t, out)
        self.t = t
        return w_next

    @property
    def state(self) -> dict[str, np.ndarray]:
        """A snapshot (copies) of the state arrays, by the chapter's names (``v``, ``m``, ...)."""
        return {name: array.copy() for name, array in self._state.items()}

    def state_size(self, dim) -> int:
        """Number of floats of optimizer state for a run in dimension ``dim``.

        Measured, not declared: a fresh copy of this optimizer takes one step on probe problems of
        dimension 1, 2 and 3 and the sizes of its state arrays are counted. The count is affine in
        the dimension (per-parameter arrays plus scalars), so it is extrapolated to ``dim``
        without allocating anything of that size.

        Parameters
        ----------
        dim : int
            The dimension d >= 1.

        Returns
        -------
        int
        """
        dim = _checks.positive_int("dim", dim)
        s1, s2, s3 = (self._measured_state_size(n) for n in (1, 2, 3))
        per_parameter = s2 - s1
        if s3 - s2 != per_parameter:  # pragma: no cover - guards against a non-affine state
            raise RuntimeError(f"state size is not affine in the dimension: {s1}, {s2}, {s3}")
        return per_parameter * dim + (s1 - per_parameter)

    def __repr__(self) -> str:
        parts = [f"{name}={getattr(self, name)!r}" for name in self._hyperparameters]
        if self.batch_size is not None and "batch_size" not in self._hyperparameters:
            parts.append(f"batch_size={self.batch_size!r}")
        if self.seed is not None:
            parts.append(f"seed={self.seed!r}")
        if not self.replace:
            parts.append("replace=False")
        return f"{type(self).__name__}({', '.join(parts)})"

    # -- for subclasses --------------------------------------------------------------------------

    def _step(self, w: np.ndarray, problem, lr: float, t: int, out) -> np.ndarray:
        raise NotImplementedError

    def _state_array(self, name: str, shape: tuple[int, ...], fill: float = 0.0) -> np.ndarray:
        """The state array ``name``, created as ``fill`` (e.g. :math:`v_0 = 0`) on first use."""
        array = self._state.get(name)
        if array is None:
            array = self._state[name] = np.full(shape, fill, dtype=np.float64)
        elif array.shape != shape:
            raise ValueError(
                f"w has shape {shape} but the optimizer's state {name!r} has shape "
                f"{array.shape}; call reset() before optimizing a problem of another dimension"
            )
        return array

    def _scratch(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """A private work buffer, reused across steps (workspace, not state)."""
        array = self._work.get(name)
        if array is None or array.shape != shape:
            array = self._work[name] = np.empty(shape, dtype=np.float64)
        return array

    def _measured_state_size(self, dim: int) -> int:
        probe = copy.copy(self)
        probe.reset()  # rebinds the state dicts: this optimizer's own state is untouched
        probe.step(np.zeros(dim), _Probe(dim))
        return sum(array.size for array in probe._state.values())


class _Probe:
    """f(w) = ||w - 1||^2 / 2: the problem ``state_size`` steps on."""

    def __init__(self, dim: int):
        self.dim = dim

    def value(self, w):
        return 0.5 * float(np.sum((w - 1.0) ** 2))

    def grad(self, w):
        return w - 1.0

    def stochastic_grad(self, w, batch_size, rng, replace=True):
        return self.grad(w)

    def hess(self, w):
        return np.eye(self.dim)

    def hvp(self, w, v):
        return np.asarray(v, dtype=np.float64)


# -- first-order methods -------------------------------------------------------------------------


class GD(Optimizer):
    r"""Gradient descent, Eq. (4.2).

    .. math:: w_{t+1} = w_t - \eta \nabla f(w_t)

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0`; on an :math:`L`-smooth function GD descends for
        :math:`\eta < 2/L` (Lemma 4.1.4).
    batch_size, seed, replace
        See :class:`Optimizer`. With a ``batch_size``, this is :class:`SGD`.
    """

    def _step(self, w, problem, lr, t, out):
        g = self.gradient(w, problem)  # grad f(w_t)
        w_next = np.multiply(lr, g, out=out)  # eta grad f(w_t)
        return np.subtract(w, w_next, out=w_next)  # w_{t+1} = w_t - eta grad f(w_t)


class SGD(GD):
    r"""Stochastic gradient descent (Section 4.2): GD on the mini-batch gradient.

    .. math::
        g_t(w_t) = \frac{1}{B} \sum_{i \in S_t} \nabla f_i(w_t), \qquad
        w_{t+1} = w_t - \eta\, g_t(w_t)

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0`.
    batch_size : int
        The mini-batch size :math:`B` (required).
    seed : int or None, optional
        Seed of the mini-batch generator; ``reset()`` re-seeds it.
    replace : bool, optional
        Draw the mini-batch :math:`S_t` with replacement (default) or without.
    """

    _hyperparameters = ("lr", "batch_size")

    def __init__(self, lr, batch_size, seed=None, replace=True):
        if batch_size is None:
            raise ValueError("batch_size must be a positive integer for SGD, got None")
        super().__init__(lr, batch_size=batch_size, seed=seed, replace=replace)


class HeavyBall(Optimizer):
    r"""Heavy-ball momentum, velocity form (Section 4.3).

    .. math::
        v_t = \beta v_{t-1} + \eta \nabla f(w_t), \qquad w_{t+1} = w_t - v_t, \qquad v_0 = 0

    equivalently :math:`w_{t+1} = w_t - \eta \nabla f(w_t) + \beta (w_t - w_{t-1})` with
    :math:`w_{-1} = w_0`. The velocity :math:`v_t = \eta \sum_{i \le t} \beta^{t-i} \nabla f(w_i)`
    is a weighted sum of past gradients. State: ``v`` (one float per parameter).

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0`.
    beta : float, optional
        The momentum coefficient :math:`\beta \in [0, 1)` (default 0.9); ``beta=0`` is GD.
    batch_size, seed, replace
        See :class:`Optimizer`.
    """

    _hyperparameters = ("lr", "beta")

    def __init__(self, lr, beta=0.9, **kwargs):
        self.beta = _checks.in_unit_interval("beta", beta)
        super().__init__(lr, **kwargs)

    def _step(self, w, problem, lr, t, out):
        v = self._state_array("v", w.shape)  # v_{t-1}
        g = self.gradient(w, problem)  # grad f(w_t)
        w_next = np.multiply(lr, g, out=out)  # eta grad f(w_t)
        v *= self.beta  # beta v_{t-1}
        v += w_next  # v_t = beta v_{t-1} + eta grad f(w_t)
        return np.subtract(w, v, out=w_next)  # w_{t+1} = w_t - v_t


class Nesterov(Optimizer):
    r"""Nesterov accelerated gradient (Section 4.3).

    .. math::
        v_t = \beta v_{t-1} + \eta \nabla f(w_t - \beta v_{t-1}), \qquad
        w_{t+1} = w_t - v_t, \qquad v_0 = 0

    The gradient is taken at the look-ahead point :math:`w_t - \beta v_{t-1}`, where momentum is
    about to carry the iterate. State: ``v`` (one float per parameter).

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0`.
    beta : float, optional
        The momentum coefficient :math:`\beta \in [0, 1)` (default 0.9).
    batch_size, seed, replace
        See :class:`Optimizer`.
    """

    _hyperparameters = ("lr", "beta")

    def __init__(self, lr, beta=0.9, **kwargs):
        self.beta = _checks.in_unit_interval("beta", beta)
        super().__init__(lr, **kwargs)

    def _step(self, w, problem, lr, t, out):
        v = self._state_array("v", w.shape)  # v_{t-1}
        lookahead = np.multiply(-self.beta, v)  # -beta v_{t-1}
        lookahead += w  # w_t - beta v_{t-1}
        g = self.gradient(lookahead, problem)  # grad f(w_t - beta v_{t-1})
        w_next = np.multiply(lr, g, out=out)  # eta grad f(w_t - beta v_{t-1})
        v *= self.beta  # beta v_{t-1}
        v += w_next  # v_t = beta v_{t-1} + eta grad f(w_t - beta v_{t-1})
        return np.subtract(w, v, out=w_next)  # w_{t+1} = w_t - v_t


# -- Newton's method -----------------------------------------------------------------------------


class Newton(Optimizer):
    r"""Newton's method, Eqs. (4.6)-(4.7), with an optional step size and damping.

    .. math::
        w_{t+1} = w_t - \eta\, (H_t + \text{damping}\, I)^{-1} \nabla f(w_t),
        \qquad H_t = \nabla^2 f(w_t)

    ``lr=1`` and ``damping=0`` is Eq. (4.7); on a quadratic with an invertible Hessian it lands on
    the stationary point in one step. The system is solved with ``np.linalg.solve``; the inverse is
    never formed.

    An indefinite :math:`H_t` is allowed: the step is taken exactly as Eq. (4.7) says. It goes to
    the stationary point of the local quadratic model, which is then a saddle, so the step may go
    uphill (Section 4.1.2: "the Newton step may not even be a descent direction"). ``damping``
    larger than the most negative eigenvalue makes the system positive definite.

    Parameters
    ----------
    lr : float, optional
        The step size :math:`\eta > 0` (default 1).
    damping : float, optional
        Added to the Hessian's diagonal, :math:`\ge 0` (default 0).
    batch_size, seed, replace
        See :class:`Optimizer`. A ``batch_size`` makes the gradient stochastic; the Hessian
        ``problem.hess(w)`` is always exact.

    Raises
    ------
    SingularHessianError
        From ``step`` when :math:`H_t + \text{damping}\, I` is singular or numerically singular
        (smallest :math:`|\lambda|` below about ``1e-12`` times the largest). The test is cheap: a
        probe vector is solved together with the gradient (one factorisation), which bounds the
        smallest :math:`|\lambda|` from above; the largest is bounded from below by the diagonal
        and the Frobenius norm, so a matrix is only flagged when it really is that ill-conditioned.
    """

    _hyperparameters = ("lr", "damping")

    #: Relative size of the smallest |eigenvalue| below which the system counts as singular.
    singular_tol = 1e-12

    def __init__(self, lr=1.0, damping=0.0, **kwargs):
        self.damping = _checks.non_negative("damping", damping)
        super().__init__(lr, **kwargs)

    def _step(self, w, problem, lr, t, out):
        g = self.gradient(w, problem)  # grad f(w_t)
        H = np.array(problem.hess(w), dtype=np.float64)  # H_t (a copy: damping is added in place)
        if H.shape != (w.size, w.size):
            raise ValueError(
                f"problem.hess(w) must return a {w.size} x {w.size} matrix, got shape {H.shape}"
            )
        if self.damping:
            H.flat[:: H.shape[0] + 1] += self.damping  # H_t + damping I
        delta = self._solve(H, g, w, t)  # (H_t + damping I)^{-1} grad f(w_t), Eq. (4.6)
        delta *= lr  # eta (H_t + damping I)^{-1} grad f(w_t)
        return np.subtract(w, delta, out=out)  # w_{t+1}, Eq. (4.7)

    def _solve(self, H, g, w, t):
        """Solve ``H x = g``, raising SingularHessianError on a (numerically) singular ``H``."""
        d = g.shape[0]
        z = self._work.get("probe")
        if z is None or z.shape != (d,):
            z = self._work["probe"] = np.random.default_rng(0).standard_normal(d)
        try:
            with np.errstate(all="ignore"):
                x = np.linalg.solve(H, np.column_stack((g, z)))
        except np.linalg.LinAlgError:
            raise SingularHessianError(self._singular_message(w, t, 0.0)) from None
        delta, h_inv_z = x[:, 0], x[:, 1]
        with np.errstate(all="ignore"):
            # ||z|| / ||H^{-1} z|| >= min |lambda| for any z; likewise with (g, delta)
            smallest = _scaled_norm(z) / _scaled_norm(h_inv_z)
            if np.any(g):
                smallest = min(smallest, _scaled_norm(g) / _scaled_norm(delta))
            # max |lambda| >= max |H_ii| and >= ||H||_F / sqrt(d)
            largest = max(np.max(np.abs(np.diagonal(H))), _scaled_norm(H) / np.sqrt(d))
            ratio = smallest / largest if largest > 0 else 0.0
        if not np.all(np.isfinite(x)):
            ratio = np.nan
        if not ratio >= self.singular_tol:  # also catches NaN
            raise SingularHessianError(self._singular_message(w, t, ratio))
        return np.ascontiguousarray(delta)

    def _singular_message(self, w, t, ratio):
        matrix = "H_t + damping I" if self.damping else "the Hessian H_t"
        if ratio == 0:
            detail = "np.linalg.solve found it exactly singular"
        elif not np.isfinite(ratio):
            detail = "the solution of the system is not finite"
        else:
            detail = f"smallest |eigenvalue| at most {ratio:.1e} times the largest"
        return (
            f"Newton step {t} at iterate w_t = {_checks._show(w)}: {matrix} is singular or "
            f"numerically singular ({detail}). Use Newton(damping=...) "
            f"with damping > 0 (e.g. a small fraction of the largest eigenvalue) to regularise "
            f"the system"
        )


def _scaled_norm(a) -> float:
    """The 2-norm (Frobenius for a matrix) computed on ``a / max|a|``, so that squaring entries
    near 1e200 does not overflow, nor entries near 1e-200 underflow, to a wrong 0 or inf."""
    scale = np.max(np.abs(a))
    if not scale > 0 or not np.isfinite(scale):
        return float(scale) if np.isfinite(scale) else np.inf
    return float(scale * np.linalg.norm(a / scale))


# -- adaptive methods (Section 4.5, Theorem 4.6.4) -----------------------------------------------


class AdaGrad(Optimizer):
    r"""Diagonal AdaGrad (Section 4.5).

    .. math::
        G_t = G_{t-1} + g_t \odot g_t, \qquad
        w_{t+1} = w_t - \frac{\eta}{\sqrt{G_t} + \epsilon} \odot g_t,
        \qquad G_0 = \texttt{initial\_accumulator}

    The per-coordinate step :math:`\eta / (\sqrt{G_t} + \epsilon)` never grows. State: ``G``.

    ``initial_accumulator`` :math:`= \sigma^2` gives the :math:`\sigma^2 I` offset of
    Theorem 4.6.5, where
    :math:`P_t = \mathrm{diag}(\sum_{i=1}^{t-1} \hat\nabla_i^2 + \sigma^2)^{-1/2}`.
    The two differ in one term: the theorem's :math:`P_t` leaves out the current gradient (so it is
    independent of :math:`\hat\nabla_t` given the past, as the proof needs), while this update, like
    Duchi et al. and PyTorch, includes :math:`g_t \odot g_t` in :math:`G_t`. Under the theorem's
    assumption :math:`\sigma^2 \ge \|\hat\nabla_t\|^2` the two accumulators are within a factor 2,
    :math:`\sigma^2 + \sum_{i<t} \le \sigma^2 + \sum_{i \le t} \le 2(\sigma^2 + \sum_{i<t})`
    coordinatewise, so the steps agree up to a factor :math:`\sqrt 2`.

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0`.
    eps : float, optional
        :math:`\epsilon` (default ``1e-8``); must be > 0 unless ``initial_accumulator > 0``, since a
        coordinate whose gradients are all zero would divide 0 by 0.
    initial_accumulator : float, optional
        :math:`G_0 \ge 0` for every coordinate (default 0).
    batch_size, seed, replace
        See :class:`Optimizer`.
    """

    _hyperparameters = ("lr", "eps", "initial_accumulator")

    def __init__(self, lr, eps=1e-8, initial_accumulator=0.0, **kwargs):
        self.eps = _checks.non_negative("eps", eps)
        self.initial_accumulator = _checks.non_negative("initial_accumulator", initial_accumulator)
        if self.eps == 0 and self.initial_accumulator == 0:
            raise ValueError(
                "eps must be positive when initial_accumulator is 0 (a coordinate with zero "
                f"gradients would divide 0 by 0), got eps={self.eps}"
            )
        super().__init__(lr, **kwargs)

    def _step(self, w, problem, lr, t, out):
        G = self._state_array("G", w.shape, self.initial_accumulator)  # G_{t-1}
        g = self.gradient(w, problem)  # g_t
        w_next = np.multiply(g, g, out=out)  # g_t ⊙ g_t
        G += w_next  # G_t = G_{t-1} + g_t ⊙ g_t
        np.sqrt(G, out=w_next)  # sqrt(G_t)
        w_next += self.eps  # sqrt(G_t) + eps
        np.divide(g, w_next, out=w_next)  # g_t / (sqrt(G_t) + eps)
        w_next *= lr  # eta g_t / (sqrt(G_t) + eps)
        return np.subtract(w, w_next, out=w_next)  # w_{t+1}


class AdaGradNorm(Optimizer):
    r"""AdaGrad with one scalar step size: the :math:`P_t` of Theorem 4.6.4.

    .. math::
        b_t^2 = b_{t-1}^2 + \|g_t\|^2, \qquad
        w_{t+1} = w_t - \frac{\eta}{\sqrt{b_t^2} + \epsilon}\, g_t,
        \qquad b_0^2 = \texttt{initial\_accumulator}

    The theorem writes :math:`P_t = \|\hat\nabla^2_{1:t}\|^{-1} I`. Its proof's harmonic-series
    step, :math:`\hat\nabla_t^\top P_t^2 \hat\nabla_t
    = \|\hat\nabla_t\|^2 / \|\hat\nabla^2_{1:t}\|^2
    = \|\hat\nabla_t\|^2 / \sum_{i \le t} \|\hat\nabla_i\|^2`, fixes the reading
    :math:`\|\hat\nabla^2_{1:t}\|^2 = \sum_{i \le t} \|\hat\nabla_i\|^2`, so
    :math:`P_t = (\sum_{i \le t} \|\hat\nabla_i\|^2)^{-1/2} I`: the case ``eps=0``,
    ``initial_accumulator=0``, ``lr=1``. The step :math:`\eta / (b_t + \epsilon)` never grows.
    State: ``b2``, a single float.

    If :math:`\sqrt{b_t^2} + \epsilon = 0` (every gradient so far exactly zero, ``eps=0`` and
    ``initial_accumulator=0``) the division 0/0 is skipped: the step is zero, as :math:`g_t = 0`.

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0`.
    eps : float, optional
        :math:`\epsilon \ge 0` (default 0, as in the theorem).
    initial_accumulator : float, optional
        :math:`b_0^2 \ge 0` (default 0).
    batch_size, seed, replace
        See :class:`Optimizer`.
    """

    _hyperparameters = ("lr", "eps", "initial_accumulator")

    def __init__(self, lr, eps=0.0, initial_accumulator=0.0, **kwargs):
        self.eps = _checks.non_negative("eps", eps)
        self.initial_accumulator = _checks.non_negative("initial_accumulator", initial_accumulator)
        super().__init__(lr, **kwargs)

    def _step(self, w, problem, lr, t, out):
        b2 = self._state_array("b2", (), self.initial_accumulator)  # b_{t-1}^2
        g = self.gradient(w, problem)  # g_t
        b2 += np.dot(g, g)  # b_t^2 = b_{t-1}^2 + ||g_t||^2
        denominator = np.sqrt(b2) + self.eps  # sqrt(b_t^2) + eps
        # If the denominator is 0, then g_1 = ... = g_t = 0: skip 0/0, the step is zero.
        scale = lr / denominator if denominator > 0 else 0.0  # eta / (sqrt(b_t^2) + eps)
        w_next = np.multiply(scale, g, out=out)  # eta g_t / (sqrt(b_t^2) + eps)
        return np.subtract(w, w_next, out=w_next)  # w_{t+1}


class DelayedAdaGrad(Optimizer):
    r"""Diagonal AdaGrad with the preconditioner of Theorem 4.6.5, built from past gradients only.

    .. math::
        P_t = \mathrm{diag}\Big(\sum_{i=1}^{t-1} \hat\nabla_i \odot \hat\nabla_i
        + \sigma^2\Big)^{-1/2}, \qquad w_{t+1} = w_t - \eta\, P_t \hat\nabla_t

    (Algorithm 4 with the theorem's :math:`P_t`; the theorem has :math:`\eta = 1`). Unlike
    :class:`AdaGrad`, the accumulator used at step :math:`t` leaves out :math:`\hat\nabla_t`, so
    :math:`P_t` is fixed before :math:`\hat\nabla_t` is drawn: the conditional independence the
    proof of Theorem 4.6.5 uses. The accumulator is updated after the step. State: ``G``
    (one float per parameter), holding :math:`\sigma^2 + \sum_{i \le t} \hat\nabla_i^2` after
    step :math:`t`.

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0` (the theorem: 1).
    sigma2 : float
        :math:`\sigma^2 > 0`, the theorem's bound on :math:`\|\hat\nabla_t\|^2`; it is also the
        initial accumulator, so the first step is :math:`\eta\, \hat\nabla_1 / \sigma`.
    batch_size, seed, replace
        See :class:`Optimizer`.
    """

    _hyperparameters = ("lr", "sigma2")

    def __init__(self, lr, sigma2, **kwargs):
        self.sigma2 = _checks.positive("sigma2", sigma2)
        super().__init__(lr, **kwargs)

    def _step(self, w, problem, lr, t, out):
        G = self._state_array("G", w.shape, self.sigma2)  # sigma^2 + sum_{i<t} grad_i^2
        g = self.gradient(w, problem)  # hat-grad_t
        w_next = np.sqrt(G, out=out)  # P_t^{-1} = sqrt(sigma^2 + sum_{i<t} grad_i^2)
        np.divide(g, w_next, out=w_next)  # P_t hat-grad_t
        w_next *= lr  # eta P_t hat-grad_t
        G += np.multiply(g, g, out=self._scratch("g2", w.shape))  # for P_{t+1}: sum_{i<=t}
        return np.subtract(w, w_next, out=w_next)  # w_{t+1} = w_t - eta P_t hat-grad_t


class RMSprop(Optimizer):
    r"""RMSprop (Section 4.5): an exponential average of squared gradients.

    .. math::
        s_t = \gamma s_{t-1} + (1 - \gamma)(g_t \odot g_t), \qquad
        w_{t+1} = w_t - \frac{\eta}{\sqrt{s_t} + \epsilon} \odot g_t, \qquad s_0 = 0

    State: ``s`` (one float per parameter).

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0`.
    gamma : float, optional
        The decay :math:`\gamma \in [0, 1)` (default 0.9).
    eps : float, optional
        :math:`\epsilon > 0` (default ``1e-8``).
    batch_size, seed, replace
        See :class:`Optimizer`.
    """

    _hyperparameters = ("lr", "gamma", "eps")

    def __init__(self, lr, gamma=0.9, eps=1e-8, **kwargs):
        self.gamma = _checks.in_unit_interval("gamma", gamma)
        self.eps = _checks.positive("eps", eps)
        super().__init__(lr, **kwargs)

    def _step(self, w, problem, lr, t, out):
        s = self._state_array("s", w.shape)  # s_{t-1}
        g = self.gradient(w, problem)  # g_t
        w_next = np.multiply(g, g, out=out)  # g_t ⊙ g_t
        w_next *= 1.0 - self.gamma  # (1 - gamma)(g_t ⊙ g_t)
        s *= self.gamma  # gamma s_{t-1}
        s += w_next  # s_t = gamma s_{t-1} + (1 - gamma)(g_t ⊙ g_t)
        np.sqrt(s, out=w_next)  # sqrt(s_t)
        w_next += self.eps  # sqrt(s_t) + eps
        np.divide(g, w_next, out=w_next)  # g_t / (sqrt(s_t) + eps)
        w_next *= lr  # eta g_t / (sqrt(s_t) + eps)
        return np.subtract(w, w_next, out=w_next)  # w_{t+1}


class _AdamMoments(Optimizer):
    """The moment updates and the bias-corrected direction shared by Adam and AdamW."""

    def __init__(self, lr, beta1, beta2, eps, weight_decay, **kwargs):
        self.beta1 = _checks.in_unit_interval("beta1", beta1)
        self.beta2 = _checks.in_unit_interval("beta2", beta2)
        self.eps = _checks.positive("eps", eps)
        self.weight_decay = _checks.non_negative("weight_decay", weight_decay)
        super().__init__(lr, **kwargs)

    def _direction(self, g, t, out, bias_correction=True):
        r"""Update the moments with :math:`g_t` and return the direction of the step.

        The direction :math:`\hat m_t / (\sqrt{\hat v_t} + \epsilon)` is written into ``out``
        (a new array if ``None``).
        """
        m = self._state_array("m", g.shape)  # m_{t-1}
        v = self._state_array("v", g.shape)  # v_{t-1}
        out = np.multiply(1.0 - self.beta1, g, out=out)  # (1 - beta1) g_t
        m *= self.beta1  # beta1 m_{t-1}
        m += out  # m_t = beta1 m_{t-1} + (1 - beta1) g_t
        np.multiply(g, g, out=out)  # g_t ⊙ g_t
        out *= 1.0 - self.beta2  # (1 - beta2)(g_t ⊙ g_t)
        v *= self.beta2  # beta2 v_{t-1}
        v += out  # v_t = beta2 v_{t-1} + (1 - beta2)(g_t ⊙ g_t)
        # Bias correction ("not shown" in the chapter): m̂_t = m_t / c1, v̂_t = v_t / c2. Then
        # m̂_t / (sqrt(v̂_t) + eps) = (sqrt(c2) / c1) m_t / (sqrt(v_t) + eps sqrt(c2)), exactly.
        c1 = 1.0 - self.beta1**t if bias_correction else 1.0  # 1 - beta1^t
        root_c2 = np.sqrt(1.0 - self.beta2**t) if bias_correction else 1.0  # sqrt(1 - beta2^t)
        np.sqrt(v, out=out)  # sqrt(v_t)
        out += self.eps * root_c2  # sqrt(c2) (sqrt(v̂_t) + eps)
        np.divide(m, out, out=out)  # m_t / (sqrt(c2) (sqrt(v̂_t) + eps))
        out *= root_c2 / c1  # m̂_t / (sqrt(v̂_t) + eps)
        return out


class Adam(_AdamMoments):
    r"""Adam (Section 4.5), with bias correction and optional L2 weight decay in the gradient.

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)(g_t \odot g_t), \qquad m_0 = v_0 = 0,

        \hat m_t = \frac{m_t}{1 - \beta_1^t}, \qquad \hat v_t = \frac{v_t}{1 - \beta_2^t},
        \qquad w_{t+1} = w_t - \frac{\eta}{\sqrt{\hat v_t} + \epsilon} \odot \hat m_t

    The chapter shows the update with :math:`m_t, v_t` and says bias correction is "not shown";
    ``bias_correction=False`` gives the update exactly as printed. ``weight_decay`` :math:`=\lambda`
    is L2 regularisation in the gradient, :math:`g_t \leftarrow g_t + \lambda w_t`, so the decay
    also enters :math:`v_t` and is rescaled by :math:`1/\sqrt{\hat v_t}`: the coupling that
    :class:`AdamW` removes. State: ``m`` and ``v`` (two floats per parameter).

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0`.
    beta1, beta2 : float, optional
        Moment decays in :math:`[0, 1)` (defaults 0.9, 0.999).
    eps : float, optional
        :math:`\epsilon > 0` (default ``1e-8``).
    weight_decay : float, optional
        L2 coefficient :math:`\lambda \ge 0` added to the gradient (default 0).
    bias_correction : bool, optional
        Divide the moments by :math:`1 - \beta^t` (default ``True``).
    batch_size, seed, replace
        See :class:`Optimizer`.
    """

    _hyperparameters = ("lr", "beta1", "beta2", "eps", "weight_decay", "bias_correction")

    def __init__(
        self,
        lr,
        beta1=0.9,
        beta2=0.999,
        eps=1e-8,
        weight_decay=0.0,
        bias_correction=True,
        **kwargs,
    ):
        if not isinstance(bias_correction, (bool, np.bool_)):
            raise ValueError(f"bias_correction must be True or False, got {bias_correction!r}")
        self.bias_correction = bool(bias_correction)
        super().__init__(lr, beta1, beta2, eps, weight_decay, **kwargs)

    def _step(self, w, problem, lr, t, out):
        g = self.gradient(w, problem)  # g_t
        if self.weight_decay:
            decay = np.multiply(self.weight_decay, w, out=self._scratch("g", w.shape))  # lambda w_t
            g = np.add(g, decay, out=decay)  # g_t <- g_t + lambda w_t (L2 in the gradient)
        w_next = self._direction(g, t, out, self.bias_correction)  # m̂_t / (sqrt(v̂_t) + eps)
        w_next *= lr  # eta m̂_t / (sqrt(v̂_t) + eps)
        return np.subtract(w, w_next, out=w_next)  # w_{t+1}


class AdamW(_AdamMoments):
    r"""AdamW: Adam with decoupled weight decay (Section 4.5).

    The moments are Adam's, computed from :math:`g_t` alone; the decay acts on the parameters:

    .. math::
        w_{t+1} = w_t - \eta \left( \frac{\hat m_t}{\sqrt{\hat v_t} + \epsilon}
        + \lambda w_t \right)

    exactly as the chapter writes it (the decay is multiplied by :math:`\eta`, as in PyTorch).
    From the same state, AdamW's step is Adam's step without decay minus :math:`\eta\lambda w_t`.
    State: ``m`` and ``v`` (two floats per parameter).

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0`.
    beta1, beta2 : float, optional
        Moment decays in :math:`[0, 1)` (defaults 0.9, 0.999).
    eps : float, optional
        :math:`\epsilon > 0` (default ``1e-8``).
    weight_decay : float, optional
        The decay rate :math:`\lambda \ge 0` (default 0.01).
    batch_size, seed, replace
        See :class:`Optimizer`.
    """

    _hyperparameters = ("lr", "beta1", "beta2", "eps", "weight_decay")

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01, **kwargs):
        super().__init__(lr, beta1, beta2, eps, weight_decay, **kwargs)

    def _step(self, w, problem, lr, t, out):
        g = self.gradient(w, problem)  # g_t
        w_next = self._direction(g, t, out)  # m̂_t / (sqrt(v̂_t) + eps)
        if self.weight_decay:
            decay = np.multiply(self.weight_decay, w, out=self._scratch("decay", w.shape))
            w_next += decay  # m̂_t / (sqrt(v̂_t) + eps) + lambda w_t
        w_next *= lr  # eta (m̂_t / (sqrt(v̂_t) + eps) + lambda w_t)
        return np.subtract(w, w_next, out=w_next)  # w_{t+1}


class AMSGrad(Optimizer):
    r"""AMSGrad (Reddi, Kale and Kumar 2018, Algorithm 2): Adam whose denominator never shrinks.

    Section 4.6.4 remarks that adaptive methods may fail to converge even on convex losses; the
    counterexample of Reddi et al. is Adam's, and AMSGrad is their repair. The moments are
    Adam's (Section 4.5) without bias correction, and the step divides by the running maximum
    :math:`\hat v_t` of :math:`v_t`:

    .. math::
        m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1 - \beta_2)(g_t \odot g_t),

        \hat v_t = \max(\hat v_{t-1}, v_t), \qquad
        w_{t+1} = w_t - \frac{\eta}{\sqrt{\hat v_t} + \epsilon} \odot m_t,
        \qquad m_0 = v_0 = \hat v_0 = 0

    so each coordinate's effective step :math:`\eta_t / (\sqrt{\hat v_t} + \epsilon)` can only
    shrink when :math:`\eta_t` does (as AdaGrad's, whose proof uses exactly that). With the
    maximum removed this is ``Adam(lr, beta1, beta2, eps, bias_correction=False)``. The paper's
    projection onto a feasible set is not part of the step; :func:`gdlab.theory.run_online`
    applies it. State: ``m``, ``v`` and ``v_max`` (three floats per parameter).

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0` (the paper uses :math:`\eta_t = \eta/\sqrt t`:
        :class:`gdlab.schedules.InverseSqrt`).
    beta1, beta2 : float, optional
        Moment decays in :math:`[0, 1)` (defaults 0.9, 0.999).
    eps : float, optional
        :math:`\epsilon > 0` (default ``1e-8``; the paper has none).
    batch_size, seed, replace
        See :class:`Optimizer`.
    """

    _hyperparameters = ("lr", "beta1", "beta2", "eps")

    def __init__(self, lr, beta1=0.9, beta2=0.999, eps=1e-8, **kwargs):
        self.beta1 = _checks.in_unit_interval("beta1", beta1)
        self.beta2 = _checks.in_unit_interval("beta2", beta2)
        self.eps = _checks.positive("eps", eps)
        super().__init__(lr, **kwargs)

    def _step(self, w, problem, lr, t, out):
        m = self._state_array("m", w.shape)  # m_{t-1}
        v = self._state_array("v", w.shape)  # v_{t-1}
        v_max = self._state_array("v_max", w.shape)  # v̂_{t-1}
        g = self.gradient(w, problem)  # g_t
        w_next = np.multiply(1.0 - self.beta1, g, out=out)  # (1 - beta1) g_t
        m *= self.beta1  # beta1 m_{t-1}
        m += w_next  # m_t = beta1 m_{t-1} + (1 - beta1) g_t
        np.multiply(g, g, out=w_next)  # g_t ⊙ g_t
        w_next *= 1.0 - self.beta2  # (1 - beta2)(g_t ⊙ g_t)
        v *= self.beta2  # beta2 v_{t-1}
        v += w_next  # v_t = beta2 v_{t-1} + (1 - beta2)(g_t ⊙ g_t)
        np.maximum(v_max, v, out=v_max)  # v̂_t = max(v̂_{t-1}, v_t)
        np.sqrt(v_max, out=w_next)  # sqrt(v̂_t)
        w_next += self.eps  # sqrt(v̂_t) + eps
        np.divide(m, w_next, out=w_next)  # m_t / (sqrt(v̂_t) + eps)
        w_next *= lr  # eta m_t / (sqrt(v̂_t) + eps)
        return np.subtract(w, w_next, out=w_next)  # w_{t+1}


class Lion(Optimizer):
    r"""Lion, evolved sign momentum (Section 4.5).

    .. math::
        u_t = \operatorname{sign}(\beta_1 m_{t-1} + (1 - \beta_1) g_t), \qquad
        m_t = \beta_2 m_{t-1} + (1 - \beta_2) g_t, \qquad
        w_{t+1} = w_t - \eta (u_t + \lambda w_t), \qquad m_0 = 0

    With ``weight_decay=0`` every coordinate moves by exactly :math:`\eta` (or 0 where the
    argument of the sign is exactly 0). State: ``m`` (one float per parameter, no :math:`v_t`).

    Parameters
    ----------
    lr : float
        The learning rate :math:`\eta > 0`.
    beta1 : float, optional
        Interpolation for the update direction, in :math:`[0, 1)` (default 0.9).
    beta2 : float, optional
        Momentum decay, in :math:`[0, 1)` (default 0.99).
    weight_decay : float, optional
        Decoupled decay :math:`\lambda \ge 0` (default 0; the chapter's update has none).
    batch_size, seed, replace
        See :class:`Optimizer`.
    """

    _hyperparameters = ("lr", "beta1", "beta2", "weight_decay")

    def __init__(self, lr, beta1=0.9, beta2=0.99, weight_decay=0.0, **kwargs):
        self.beta1 = _checks.in_unit_interval("beta1", beta1)
        self.beta2 = _checks.in_unit_interval("beta2", beta2)
        self.weight_decay = _checks.non_negative("weight_decay", weight_decay)
        super().__init__(lr, **kwargs)

    def _step(self, w, problem, lr, t, out):
        m = self._state_array("m", w.shape)  # m_{t-1}
        g = self.gradient(w, problem)  # g_t
        scratch = self._scratch("scratch", w.shape)
        w_next = np.multiply(1.0 - self.beta1, g, out=out)  # (1 - beta1) g_t
        w_next += np.multiply(self.beta1, m, out=scratch)  # beta1 m_{t-1} + (1 - beta1) g_t
        np.sign(w_next, out=w_next)  # u_t = sign(beta1 m_{t-1} + (1 - beta1) g_t)
        m *= self.beta2  # beta2 m_{t-1}
        m += np.multiply(1.0 - self.beta2, g, out=scratch)  # m_t = beta2 m_{t-1} + (1 - beta2) g_t
        if self.weight_decay:
            w_next += np.multiply(self.weight_decay, w, out=scratch)  # u_t + lambda w_t
        w_next *= lr  # eta (u_t + lambda w_t)
        return np.subtract(w, w_next, out=w_next)  # w_{t+1}


# -- the run loop --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class Trace:
    """The record of a run: arrays indexed by step, read-only.

    Attributes
    ----------
    iterates : ndarray, shape (steps + 1, d)
        :math:`w_0, w_1, \\dots`; rows after a divergence are NaN.
    values : ndarray, shape (steps + 1,)
        :math:`f(w_t)`.
    grad_norms : ndarray, shape (steps + 1,)
        :math:`\\|\\nabla f(w_t)\\|` of the exact gradient, also for stochastic methods.
    lrs : ndarray, shape (steps,)
        The learning rate used by step :math:`t = 1, \\dots, \\text{steps}` (NaN if not taken).
    optimizer : str
        The optimizer's class name.
    """

    iterates: np.ndarray
    values: np.ndarray
    grad_norms: np.ndarray
    lrs: np.ndarray
    optimizer: str

    @property
    def diverged(self) -> int | None:
        """First index whose iterate or value is not finite, or ``None``."""
        bad = ~(np.isfinite(self.iterates).all(axis=1) & np.isfinite(self.values))
        return int(np.argmax(bad)) if bad.any() else None

    def distances_to(self, point) -> np.ndarray:
        """:math:`\\|w_t - w^\\star\\|` for every iterate: the error against a known minimiser.

        Parameters
        ----------
        point : array_like, shape (d,)
            The reference point, e.g. ``problem.minimizer``; finite.

        Returns
        -------
        ndarray, shape (steps + 1,)
            NaN after a divergence.
        """
        point = _checks.vector("point", point, self.iterates.shape[1])
        return np.linalg.norm(self.iterates - point, axis=1)

    def coordinate_steps(self) -> np.ndarray:
        """:math:`|w_{t+1,i} - w_{t,i}|`: how far each step moved each coordinate.

        Divided by the step's learning rate this is the effective step of an adaptive method
        (Section 4.5): 1 for every coordinate of Lion's sign update and of Adam's first step.

        Returns
        -------
        ndarray, shape (steps, d)
        """
        return np.abs(np.diff(self.iterates, axis=0))

    def __repr__(self) -> str:
        steps, dim = self.lrs.shape[0], self.iterates.shape[1]
        return (
            f"Trace(optimizer={self.optimizer!r}, steps={steps}, dim={dim}, "
            f"final_value={self.values[-1]:.6g}, diverged={self.diverged})"
        )


def run(optimizer: Optimizer, problem, w0, steps, schedule=None) -> Trace:
    """Run ``optimizer`` from ``w0`` for ``steps`` steps and record the trajectory.

    Calls ``optimizer.reset()`` first, so runs are reproducible. Step ``t = 1, ..., steps`` uses
    ``lr = schedule(t)`` if a schedule is given (the chapter counts iterations from 1), else
    ``optimizer.lr``.

    A run that diverges (e.g. GD with :math:`\\eta > 2/L`) is not an error: the trace shows the
    inf/NaN values, and once an iterate is not finite the problem is no longer called and the
    remaining rows are NaN. No floating-point warnings are emitted.

    Parameters
    ----------
    optimizer : Optimizer
    problem : object
        With ``dim``, ``value``, ``grad`` (and what the optimizer needs).
    w0 : array_like, shape (problem.dim,)
        The initial point.
    steps : int
        Number of steps, >= 0.
    schedule : callable, optional
        ``schedule(t) -> lr`` for ``t >= 1``, e.g. from :mod:`gdlab.schedules`.

    Returns
    -------
    Trace
    """
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a gdlab.optim.Optimizer, got {optimizer!r}")
    _checks.problem("problem", problem, ("dim", "value", "grad"))
    if optimizer.batch_size is not None and not hasattr(problem, "stochastic_grad"):
        raise ValueError(
            f"optimizer has batch_size={optimizer.batch_size}, which needs a problem with "
            f"stochastic_grad (a finite sum); got {_checks._show(problem)}"
        )
    w = _checks.vector("w0", w0, problem.dim)
    steps = _checks.non_negative_int("steps", steps)
    if schedule is not None and not callable(schedule):
        raise ValueError(f"schedule must be callable as schedule(t), got {schedule!r}")
    optimizer.reset()
    iterates = np.full((steps + 1, problem.dim), np.nan)
    values = np.full(steps + 1, np.nan)
    grad_norms = np.full(steps + 1, np.nan)
    lrs = np.full(steps, np.nan)
    with np.errstate(all="ignore"):
        iterates[0] = w
        values[0] = problem.value(w)
        grad_norms[0] = np.linalg.norm(problem.grad(w))
        for t in range(1, steps + 1):
            lr = (
                optimizer.lr
                if schedule is None
                else _checks.non_negative(f"schedule({t})", schedule(t))
            )
            w = optimizer.step(w, problem, lr=lr, out=iterates[t])  # written into the trace
            lrs[t - 1] = lr
            if not np.isfinite(w).all():
                break
            values[t] = problem.value(w)
            grad_norms[t] = np.linalg.norm(problem.grad(w))
    for array in (iterates, values, grad_norms, lrs):
        array.setflags(write=False)
    return Trace(iterates, values, grad_norms, lrs, type(optimizer).__name__)
