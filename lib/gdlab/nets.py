"""A small fully connected tanh network in NumPy, its MSE loss, and synthetic data.

The loss is a :class:`gdlab.problems.Problem` of the flat parameter vector ``w``: it has
``dim``, ``value(w)``, ``grad(w)``, ``hvp(w, v)``, ``stochastic_grad`` and (for tiny networks
only) ``hess(w)``, so the optimizers and the curvature tools use it like any other objective.

The gradient is hand-written backpropagation (Chapter 3). The exact Hessian-vector product is
forward-over-reverse differentiation, Pearlmutter's R-operator: push the directional derivative
``R{.} = d/dr (.)(w + r v) at r = 0`` through the forward pass and then through backpropagation.
It costs about two gradients and never forms the Hessian.
"""

from __future__ import annotations

import numpy as np

from gdlab import _checks
from gdlab.problems import Problem

__all__ = ["TanhMLP", "MSELoss", "gaussian_clusters"]


class TanhMLP:
    """A fully connected network with tanh hidden layers, biases, and a linear output layer.

    Parameters
    ----------
    n_in, n_out : int
        Input and output sizes.
    width : int
        Units in each hidden layer.
    depth : int
        Number of hidden layers (``depth=0`` is a linear model).

    Notes
    -----
    The parameters live in one flat vector, layer by layer: the weight matrix ``W_l`` (shape
    ``(fan_out, fan_in)``, row-major) followed by the bias ``b_l``. Layer ``l`` computes
    ``z_l = a_{l-1} W_l^T + b_l`` on a batch of row vectors, with ``a_l = tanh(z_l)`` for hidden
    layers and the output ``z_L``.
    """

    def __init__(self, n_in: int, n_out: int, width: int = 32, depth: int = 2):
        n_in = _checks.positive_int("n_in", n_in)
        n_out = _checks.positive_int("n_out", n_out)
        width = _checks.positive_int("width", width)
        depth = _checks.non_negative_int("depth", depth)
        self.sizes = (n_in,) + (width,) * depth + (n_out,)
        self._slices = []
        start = 0
        for fan_in, fan_out in zip(self.sizes[:-1], self.sizes[1:], strict=True):
            w_slice = slice(start, start + fan_out * fan_in)
            b_slice = slice(w_slice.stop, w_slice.stop + fan_out)
            self._slices.append((w_slice, b_slice, (fan_out, fan_in)))
            start = b_slice.stop
        self.n_params = start

    def __repr__(self) -> str:
        return f"TanhMLP(sizes={self.sizes}, n_params={self.n_params})"

    def init(self, seed: int = 0) -> np.ndarray:
        """Seeded initial parameters: PyTorch's default ``nn.Linear`` scheme.

        Weights and biases are uniform on ``[-1/sqrt(fan_in), 1/sqrt(fan_in)]``.

        Parameters
        ----------
        seed : int, optional
            Seed of the draw (default 0).

        Returns
        -------
        ndarray, shape (n_params,)
        """
        rng = np.random.default_rng(seed)
        w = np.empty(self.n_params)
        for w_slice, b_slice, (fan_out, fan_in) in self._slices:
            bound = 1.0 / np.sqrt(fan_in)
            w[w_slice] = rng.uniform(-bound, bound, size=fan_out * fan_in)
            w[b_slice] = rng.uniform(-bound, bound, size=fan_out)
        return w

    def layers(self, w: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Views ``[(W_1, b_1), ..., (W_L, b_L)]`` into the flat vector ``w`` (no copies).

        Parameters
        ----------
        w : ndarray, shape (n_params,)
            The flat parameter vector.

        Returns
        -------
        list of (ndarray, ndarray)
            ``W_l`` of shape (fan_out, fan_in) and ``b_l`` of shape (fan_out,).
        """
        return [(w[w_slice].reshape(shape), w[b_slice]) for w_slice, b_slice, shape in self._slices]

    def forward(self, w: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Network outputs for the rows of ``X``, shape ``(n, n_out)``.

        Parameters
        ----------
        w : ndarray, shape (n_params,)
            The parameters.
        X : ndarray, shape (n, n_in)
            The inputs.

        Returns
        -------
        ndarray, shape (n, n_out)
        """
        return self._forward(w, X)[-1]

    def _forward(self, w, X):
        """Activations ``[a_0 = X, a_1, ..., a_{L-1}, z_L]`` (the last one is the output)."""
        acts = [X]
        params = self.layers(w)
        for l, (W, b) in enumerate(params):
            z = acts[-1] @ W.T
            z += b  # in place: the same numbers as `acts[-1] @ W.T + b`, one array fewer
            acts.append(z if l == len(params) - 1 else np.tanh(z, out=z))
        return acts


class MSELoss(Problem):
    """Mean squared error of a :class:`TanhMLP` on a fixed data set, as a function of ``w``.

    ``L(w) = 1/(2n) * sum_i ||f(x_i; w) - y_i||^2``: summed over outputs, averaged over the
    ``n`` examples. (Averaging over the outputs too would divide the loss, its gradient and
    its Hessian, hence the sharpness, by the number of outputs.)

    A :class:`gdlab.problems.Problem`, so ``gdlab.optim`` and ``gdlab.curvature`` take it like
    any other objective. ``hess`` is built by finite differences and only for tiny networks
    (at most ``hess_max_dim`` parameters); use ``hvp`` otherwise.

    Parameters
    ----------
    net : TanhMLP
    X : array, shape (n, net.sizes[0])
    Y : array, shape (n, net.sizes[-1])
    """

    #: Largest number of parameters for which ``hess`` builds the full matrix.
    hess_max_dim = 500

    def __init__(self, net: TanhMLP, X, Y):
        X = _checks.non_empty_array("X", X, ndim=2)
        Y = _checks.finite_array("Y", Y, ndim=2)
        if X.shape[1] != net.sizes[0] or Y.shape[1] != net.sizes[-1]:
            raise ValueError(
                f"X has {X.shape[1]} columns and Y has {Y.shape[1]}; the network {net.sizes} "
                f"needs {net.sizes[0]} and {net.sizes[-1]}"
            )
        if X.shape[0] != Y.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but Y has {Y.shape[0]}")
        self.net = net
        self.X, self.Y = X.copy(), Y.copy()
        for array in (self.X, self.Y):
            array.setflags(write=False)
        self.n = X.shape[0]
        self.dim = net.n_params
        self._tape = None  # the passes at the last point asked about; see _tape_at

    def __repr__(self) -> str:
        return f"MSELoss({self.net!r}, n={self.n})"

    def value_and_grad(self, w) -> tuple[float, np.ndarray]:
        """``(L(w), grad L(w))`` from one forward and one backward pass.

        Parameters
        ----------
        w : array_like, shape (dim,)
            The parameters.

        Returns
        -------
        value : float
        grad : ndarray, shape (dim,)
        """
        tape = self._tape_at(self._check_w(w), backward=True)
        return tape.value, tape.grad.copy()

    def stochastic_grad(self, w, batch_size, rng, replace=True) -> np.ndarray:
        """The same loss's gradient on ``batch_size`` examples drawn by ``rng`` (Section 4.2).

        Parameters
        ----------
        w : array_like, shape (dim,)
            The parameters.
        batch_size : int
            Mini-batch size, >= 1 (at most n without replacement).
        rng : numpy.random.Generator
            Draws the examples.
        replace : bool, optional
            Draw with replacement (default ``True``).

        Returns
        -------
        ndarray, shape (dim,)
        """
        w = self._check_w(w)
        batch_size = _checks.positive_int("batch_size", batch_size)
        if not replace and batch_size > self.n:
            raise ValueError(f"batch_size={batch_size} exceeds n={self.n} without replacement")
        rows = rng.choice(self.n, size=batch_size, replace=bool(replace))
        return self._value_and_grad(w, self.X[rows], self.Y[rows])[1]

    def hvp_fd(self, w, v, rel_step: float = 1e-5) -> np.ndarray:
        """Hessian-vector product by central differences of the gradient.

        ``(grad(w + h v) - grad(w - h v)) / (2h)`` with ``h = rel_step * max(1, ||w||) / ||v||``,
        so the parameters move by ``rel_step`` relative to their size. The error is
        ``O(h^2)`` from truncation plus ``O(eps / h)`` from rounding.

        Parameters
        ----------
        w : array_like, shape (dim,)
            The point.
        v : array_like, shape (dim,)
            The direction.
        rel_step : float, optional
            Relative size of the parameter change, > 0 (default ``1e-5``).

        Returns
        -------
        ndarray, shape (dim,)
        """
        w = self._check_w(w)
        v = _checks.vector("v", v, self.dim)
        rel_step = _checks.positive("rel_step", rel_step)
        v_norm = np.linalg.norm(v)
        if v_norm == 0:
            return np.zeros_like(w)
        h = rel_step * max(1.0, np.linalg.norm(w)) / v_norm
        return (self._grad(w + h * v) - self._grad(w - h * v)) / (2 * h)

    # -- the Problem interface ------------------------------------------------------------------

    def _value(self, w):
        return self._tape_at(w, backward=False).value

    def _grad(self, w):
        return self._tape_at(w, backward=True).grad.copy()

    def _tape_at(self, w, backward):
        """The forward pass on all the data at ``w`` and, if ``backward``, the backward pass.

        Kept for the last point asked about: gradient descent asks for the loss and then the
        gradient at the same point, and Lanczos asks for many Hessian-vector products at one
        point, and each of them reuses the activations, the backpropagated errors and the
        gradient instead of computing them again (the numbers are the same to the last bit).
        The key is a copy of ``w`` compared by value, so changing the caller's array in place
        is safe. Callers receive copies of the gradient, never the kept array.
        """
        tape = self._tape
        if tape is None or not np.array_equal(tape.w, w):
            acts = self.net._forward(w, self.X)
            tape = self._tape = _Tape(w.copy(), acts, _half_mean_square(acts[-1] - self.Y))
        if backward and tape.grad is None:
            tape.grad, tape.deltas, tape.backs, tape.slopes = self._backward(w, tape.acts, self.Y)
        return tape

    def _value_and_grad(self, w, X, Y):
        """Backpropagation on the examples ``(X, Y)`` (a mini-batch; not kept)."""
        acts = self.net._forward(w, X)
        return _half_mean_square(acts[-1] - Y), self._backward(w, acts, Y)[0]

    def _backward(self, w, acts, Y):
        """Backpropagation from the activations ``acts`` of the examples with targets ``Y``.

        Returns the gradient and, layer by layer, what the Hessian-vector product reuses:
        ``deltas[l] = dL/dz_l``, ``backs[l] = deltas[l] @ W_l`` and the tanh slopes
        ``slopes[l] = 1 - a_{l-1}^2`` (index ``l`` counts layers from 0; entries that do not
        exist for the first layer are None).
        """
        n_layers = len(self.net._slices)
        params = self.net.layers(w)
        g = np.empty_like(w)
        deltas, backs, slopes = [None] * n_layers, [None] * n_layers, [None] * n_layers
        delta = acts[-1] - Y
        delta /= Y.shape[0]  # dL/dz_L
        for l in range(n_layers - 1, -1, -1):
            w_slice, b_slice, shape = self.net._slices[l]
            a_prev = acts[l]
            deltas[l] = delta
            np.matmul(delta.T, a_prev, out=g[w_slice].reshape(shape))  # dL/dW_l
            np.sum(delta, axis=0, out=g[b_slice])  # dL/db_l
            if l > 0:
                backs[l] = delta @ params[l][0]
                slope = np.square(a_prev)
                slopes[l] = np.subtract(1.0, slope, out=slope)  # tanh' = 1 - tanh^2
                delta = backs[l] * slope
        return g, deltas, backs, slopes

    def _hvp(self, w, v):
        """Exact Hessian-vector product ``H(w) v`` by the R-operator (forward-over-reverse).

        The forward pass carries ``R{a_l}`` next to ``a_l``; backpropagation then carries
        ``R{delta_l}`` next to ``delta_l``, and ``R{grad}`` is read off like the gradient.
        The terms that do not depend on ``v`` (``a_l``, ``delta_l``, the tanh slopes) come
        from the kept passes at ``w`` (:meth:`_tape_at`).
        """
        tape = self._tape_at(w, backward=True)
        acts, deltas, backs, slopes = tape.acts, tape.deltas, tape.backs, tape.slopes
        params = self.net.layers(w)
        dirs = self.net.layers(v)
        n_layers = len(params)
        # forward: R{a_l}; the inputs do not depend on w, so R{a_0} = 0 is skipped
        r_acts = [None]
        for l, ((W, _), (V, c)) in enumerate(zip(params, dirs, strict=True)):
            r_z = acts[l] @ V.T + c
            if l > 0:
                r_z += r_acts[-1] @ W.T
            r_acts.append(r_z if l == n_layers - 1 else slopes[l + 1] * r_z)
        # backward: R{delta_l}
        hv = np.empty_like(w)
        r_delta = r_acts[-1] / self.n
        for l in range(n_layers - 1, -1, -1):
            w_slice, b_slice, _ = self.net._slices[l]
            hv_W = r_delta.T @ acts[l]
            if l > 0:
                hv_W += deltas[l].T @ r_acts[l]
            hv[w_slice] = hv_W.ravel()
            hv[b_slice] = r_delta.sum(axis=0)
            if l > 0:
                r_back = r_delta @ params[l][0] + deltas[l] @ dirs[l][0]
                r_delta = r_back * slopes[l] - 2.0 * backs[l] * acts[l] * r_acts[l]
        return hv

    def _hess(self, w):
        """The full Hessian, column ``j`` = ``hvp_fd(w, e_j)``, symmetrised (tiny nets only)."""
        if self.dim > self.hess_max_dim:
            raise ValueError(
                f"hess builds a {self.dim} x {self.dim} matrix from 2 * {self.dim} gradients; "
                f"it is meant for networks with at most hess_max_dim={self.hess_max_dim} "
                f"parameters. Use hvp instead."
            )
        eye = np.eye(self.dim)
        H = np.column_stack([self.hvp_fd(w, eye[j]) for j in range(self.dim)])
        return (H + H.T) / 2


class _Tape:
    """The passes of :class:`MSELoss` at one point ``w`` (see ``MSELoss._tape_at``)."""

    __slots__ = ("w", "acts", "value", "grad", "deltas", "backs", "slopes")

    def __init__(self, w, acts, value):
        self.w, self.acts, self.value = w, acts, value
        self.grad = self.deltas = self.backs = self.slopes = None


def _half_mean_square(residual):
    """``1/(2n) * sum ||r_i||^2`` over the ``n`` rows of ``residual``."""
    return 0.5 * float(np.sum(residual**2)) / residual.shape[0]


def gaussian_clusters(
    n: int = 500,
    dim: int = 20,
    n_classes: int = 10,
    spread: float = 1.0,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A seeded synthetic classification set: Gaussian clusters with one-hot targets.

    Class centres are drawn from ``N(0, I_dim)``; each point is its class centre plus
    ``N(0, spread^2 I_dim)`` noise; classes are assigned round-robin so they are balanced.
    The inputs are then standardised (each column to mean 0, standard deviation 1).

    Returns
    -------
    X : array, shape (n, dim)
    Y : array, shape (n, n_classes)
        One-hot rows.

    Parameters
    ----------
    n : int, optional
        Number of points (default 500).
    dim : int, optional
        Input dimension (default 20).
    n_classes : int, optional
        Number of classes (default 10).
    spread : float, optional
        Noise standard deviation, > 0 (default 1).
    seed : int, optional
        Seed (default 0).
    """
    n = _checks.positive_int("n", n)
    dim = _checks.positive_int("dim", dim)
    n_classes = _checks.positive_int("n_classes", n_classes)
    spread = _checks.positive("spread", spread)
    if n < 2:
        raise ValueError(f"n must be at least 2 to standardise, got {n}")
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_classes, dim))
    labels = rng.permutation(np.arange(n) % n_classes)
    X = centres[labels] + spread * rng.standard_normal((n, dim))
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    Y = np.eye(n_classes)[labels]
    return X, Y
