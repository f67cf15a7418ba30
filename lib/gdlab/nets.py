"""A small fully connected tanh network in NumPy, its MSE loss, and synthetic data.

The loss is a :mod:`gdlab.problems`-style problem of the flat parameter vector ``w``: it has
``dim``, ``value(w)``, ``grad(w)``, ``hvp(w, v)`` and (for tiny networks only) ``hess(w)``, so
the optimizers and the curvature tools can use it like any other objective.

The gradient is hand-written backpropagation (Chapter 3). The exact Hessian-vector product is
forward-over-reverse differentiation, Pearlmutter's R-operator: push the directional derivative
``R{.} = d/dr (.)(w + r v) at r = 0`` through the forward pass and then through backpropagation.
It costs about two gradients and never forms the Hessian.
"""

from __future__ import annotations

import numpy as np

from gdlab import _checks

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
        """
        rng = np.random.default_rng(seed)
        w = np.empty(self.n_params)
        for w_slice, b_slice, (fan_out, fan_in) in self._slices:
            bound = 1.0 / np.sqrt(fan_in)
            w[w_slice] = rng.uniform(-bound, bound, size=fan_out * fan_in)
            w[b_slice] = rng.uniform(-bound, bound, size=fan_out)
        return w

    def layers(self, w: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Views ``[(W_1, b_1), ..., (W_L, b_L)]`` into the flat vector ``w`` (no copies)."""
        return [(w[w_slice].reshape(shape), w[b_slice]) for w_slice, b_slice, shape in self._slices]

    def forward(self, w: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Network outputs for the rows of ``X``, shape ``(n, n_out)``."""
        return self._forward(w, X)[-1]

    def _forward(self, w, X):
        """Activations ``[a_0 = X, a_1, ..., a_{L-1}, z_L]`` (the last one is the output)."""
        acts = [X]
        params = self.layers(w)
        for l, (W, b) in enumerate(params):
            z = acts[-1] @ W.T + b
            acts.append(z if l == len(params) - 1 else np.tanh(z))
        return acts


class MSELoss:
    """Mean squared error of a :class:`TanhMLP` on a fixed data set, as a function of ``w``.

    ``L(w) = 1/(2n) * sum_i ||f(x_i; w) - y_i||^2``: summed over outputs, averaged over the
    ``n`` examples. (Averaging over the outputs too would divide the loss, its gradient and
    its Hessian, hence the sharpness, by the number of outputs.)

    Parameters
    ----------
    net : TanhMLP
    X : array, shape (n, net.sizes[0])
    Y : array, shape (n, net.sizes[-1])
    """

    def __init__(self, net: TanhMLP, X, Y):
        X = _checks.finite_array("X", X, ndim=2)
        Y = _checks.finite_array("Y", Y, ndim=2)
        if X.shape[1] != net.sizes[0] or Y.shape[1] != net.sizes[-1]:
            raise ValueError(
                f"X has {X.shape[1]} columns and Y has {Y.shape[1]}; the network {net.sizes} "
                f"needs {net.sizes[0]} and {net.sizes[-1]}"
            )
        if X.shape[0] != Y.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but Y has {Y.shape[0]}")
        self.net, self.X, self.Y = net, X, Y
        self.n = X.shape[0]
        self.dim = net.n_params

    def __repr__(self) -> str:
        return f"MSELoss({self.net!r}, n={self.n})"

    def _w(self, w):
        return _checks.vector("w", w, self.dim)

    def value(self, w) -> float:
        """The loss ``L(w)``."""
        residual = self.net.forward(self._w(w), self.X) - self.Y
        return 0.5 * float(np.sum(residual**2)) / self.n

    def grad(self, w) -> np.ndarray:
        """The gradient by backpropagation."""
        return self.value_and_grad(w)[1]

    def value_and_grad(self, w) -> tuple[float, np.ndarray]:
        """``(L(w), grad L(w))`` from one forward and one backward pass."""
        w = self._w(w)
        acts = self.net._forward(w, self.X)
        residual = acts[-1] - self.Y
        g = np.empty_like(w)
        delta = residual / self.n  # dL/dz_L
        params = self.net.layers(w)
        for l in range(len(params) - 1, -1, -1):
            w_slice, b_slice, _ = self.net._slices[l]
            a_prev = acts[l]
            g[w_slice] = (delta.T @ a_prev).ravel()
            g[b_slice] = delta.sum(axis=0)
            if l > 0:
                delta = (delta @ params[l][0]) * (1.0 - a_prev**2)
        return 0.5 * float(np.sum(residual**2)) / self.n, g

    def hvp(self, w, v) -> np.ndarray:
        """Exact Hessian-vector product ``H(w) v`` by the R-operator (forward-over-reverse).

        The forward pass carries ``R{a_l}`` next to ``a_l``; backpropagation then carries
        ``R{delta_l}`` next to ``delta_l``, and ``R{grad}`` is read off like the gradient.
        """
        w = self._w(w)
        v = _checks.vector("v", v, self.dim)
        params = self.net.layers(w)
        dirs = self.net.layers(v)
        n_layers = len(params)
        # forward: a_l and R{a_l}; the inputs do not depend on w, so R{a_0} = 0 is skipped
        acts, r_acts = [self.X], [None]
        for l, ((W, b), (V, c)) in enumerate(zip(params, dirs, strict=True)):
            z = acts[-1] @ W.T + b
            r_z = acts[-1] @ V.T + c
            if l > 0:
                r_z += r_acts[-1] @ W.T
            if l == n_layers - 1:
                acts.append(z)
                r_acts.append(r_z)
            else:
                a = np.tanh(z)
                acts.append(a)
                r_acts.append((1.0 - a**2) * r_z)
        # backward: delta_l and R{delta_l}
        hv = np.empty_like(w)
        delta = (acts[-1] - self.Y) / self.n
        r_delta = r_acts[-1] / self.n
        for l in range(n_layers - 1, -1, -1):
            w_slice, b_slice, _ = self.net._slices[l]
            a_prev, r_a_prev = acts[l], r_acts[l]
            hv_W = r_delta.T @ a_prev
            if l > 0:
                hv_W += delta.T @ r_a_prev
            hv[w_slice] = hv_W.ravel()
            hv[b_slice] = r_delta.sum(axis=0)
            if l > 0:
                W, V = params[l][0], dirs[l][0]
                back = delta @ W
                r_back = r_delta @ W + delta @ V
                slope = 1.0 - a_prev**2
                delta = back * slope
                r_delta = r_back * slope - 2.0 * back * a_prev * r_a_prev
        return hv

    def hvp_fd(self, w, v, rel_step: float = 1e-5) -> np.ndarray:
        """Hessian-vector product by central differences of the gradient.

        ``(grad(w + h v) - grad(w - h v)) / (2h)`` with ``h = rel_step * max(1, ||w||) / ||v||``,
        so the parameters move by ``rel_step`` relative to their size. The error is
        ``O(h^2)`` from truncation plus ``O(eps / h)`` from rounding.
        """
        w = self._w(w)
        v = _checks.vector("v", v, self.dim)
        rel_step = _checks.positive("rel_step", rel_step)
        v_norm = np.linalg.norm(v)
        if v_norm == 0:
            return np.zeros_like(w)
        h = rel_step * max(1.0, np.linalg.norm(w)) / v_norm
        return (self.grad(w + h * v) - self.grad(w - h * v)) / (2 * h)

    def hess(self, w, rel_step: float = 1e-5, max_dim: int = 500) -> np.ndarray:
        """The full Hessian by central differences of the gradient, for tiny networks only.

        Column ``j`` is ``hvp_fd(w, e_j)``; the result is symmetrised. Refuses networks with
        more than ``max_dim`` parameters (the cost is ``2 * dim`` gradients).
        """
        w = self._w(w)
        if self.dim > max_dim:
            raise ValueError(
                f"hess builds a {self.dim} x {self.dim} matrix column by column; it is meant "
                f"for networks with at most max_dim={max_dim} parameters. Use hvp instead."
            )
        eye = np.eye(self.dim)
        H = np.column_stack([self.hvp_fd(w, eye[j], rel_step) for j in range(self.dim)])
        return (H + H.T) / 2


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
