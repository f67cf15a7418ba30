"""Benchmark one step of each gdlab optimizer against an in-place numpy lower bound.

Run as ``.venv/bin/python bench/optim_step.py`` (under a minute). For each method it times
``w = optimizer.step(w, problem, out=spare)`` (two buffers alternating, as ``run`` writes into its
trace) and ``w = optimizer.step(w, problem)`` (a new array per step) at d = 10^6 on a diagonal
quadratic f(w) = sum(a * w**2) / 2, and next to them a hand-written loop doing the same arithmetic
with preallocated buffers and in-place numpy calls (the lower bound). Both sides compute the
gradient ``a * w`` into a buffer: the problem's ``grad`` writes into its own buffer and returns it
(optimizers never modify nor keep the gradient they are given), so the ratio measures the
optimizer, not the problem. Each figure is the fastest of many warm single steps, interleaved.

Newton's method is excluded at d = 10^6 (its d x d Hessian would need 8 TB); it is timed at
d = 1000 on a dense positive definite quadratic against ``np.linalg.solve`` on the same matrix.
"""

from __future__ import annotations

import os

# One BLAS thread: on a small shared machine, threaded LAPACK makes the Newton timings erratic.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import copy  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from gdlab import optim  # noqa: E402

D = 10**6
NEWTON_D = 1000
LR = 1e-3
TARGET = 1.5


class DiagonalQuadratic:
    """f(w) = sum(a * w**2) / 2; ``grad`` writes a * w into an internal buffer."""

    def __init__(self, a):
        self.a = a
        self.dim = a.shape[0]
        self._g = np.empty_like(a)

    def value(self, w):
        return 0.5 * float(np.dot(self.a * w, w))

    def grad(self, w):
        return np.multiply(self.a, w, out=self._g)


class DenseQuadratic:
    """f(w) = w^T A w / 2 with a dense positive definite A."""

    def __init__(self, A):
        self.A = A
        self.dim = A.shape[0]

    def value(self, w):
        return 0.5 * float(w @ self.A @ w)

    def grad(self, w):
        return self.A @ w

    def hess(self, w):
        return self.A


def best_times(loops, samples):
    """Fastest warm single step of each ``loop`` over ``samples`` tries, the loops interleaved.

    Each try runs one untimed step (so the loop's own arrays are in cache, as in a run) and times
    the next one. The minimum is the estimate least disturbed by other processes on a busy
    machine; both sides of every comparison are measured the same way.
    """
    for loop in loops:
        loop(2)  # warm up: first-touch allocation, state creation
    best = [np.inf] * len(loops)
    for _ in range(samples):
        for i, loop in enumerate(loops):
            loop(1)
            start = time.perf_counter()
            loop(1)
            best[i] = min(best[i], time.perf_counter() - start)
    return best


def optimizer_loop(optimizer, problem, w0):
    """``w = optimizer.step(w, problem, out=spare)``, alternating two buffers as ``run`` does."""
    w, spare = w0.copy(), np.empty_like(w0)

    def loop(steps, w=w, spare=spare):
        for _ in range(steps):
            w_next = optimizer.step(w, problem, out=spare)
            w, spare = w_next, w

    return loop


def allocating_loop(optimizer, problem, w0):
    """``w = optimizer.step(w, problem)``: each step returns a new array."""

    def loop(steps):
        w = w0
        for _ in range(steps):
            w = optimizer.step(w, problem)

    return loop


# -- the in-place lower bounds, one per method ---------------------------------------------------


def bound_gd(a, w0):
    w, g = w0.copy(), np.empty_like(w0)

    def loop(steps, w=w, g=g):
        for _ in range(steps):
            np.multiply(a, w, out=g)  # grad
            g *= LR  # eta grad
            w -= g  # w - eta grad

    return loop


def bound_heavy_ball(a, w0, beta=0.9):
    w, g, v = w0.copy(), np.empty_like(w0), np.zeros_like(w0)

    def loop(steps, w=w, g=g, v=v):
        for _ in range(steps):
            np.multiply(a, w, out=g)
            g *= LR
            v *= beta
            v += g
            w -= v

    return loop


def bound_gd_second_buffer(a, w0):
    """GD writing w_{t+1} into a second buffer, as ``step`` must (it never overwrites w_t)."""
    w, g, w_next = w0.copy(), np.empty_like(w0), np.empty_like(w0)

    def loop(steps, w=w, g=g, w_next=w_next):
        for _ in range(steps):
            np.multiply(a, w, out=g)
            np.multiply(g, LR, out=w_next)
            np.subtract(w, w_next, out=w_next)
            w, w_next = w_next, w

    return loop


def bound_heavy_ball_second_buffer(a, w0, beta=0.9):
    w, g, v, w_next = w0.copy(), np.empty_like(w0), np.zeros_like(w0), np.empty_like(w0)

    def loop(steps, w=w, g=g, v=v, w_next=w_next):
        for _ in range(steps):
            np.multiply(a, w, out=g)
            np.multiply(g, LR, out=w_next)
            v *= beta
            v += w_next
            np.subtract(w, v, out=w_next)
            w, w_next = w_next, w

    return loop


def bound_adagrad_norm_second_buffer(a, w0):
    w, g, w_next = w0.copy(), np.empty_like(w0), np.empty_like(w0)
    b2 = [0.0]

    def loop(steps, w=w, g=g, w_next=w_next):
        for _ in range(steps):
            np.multiply(a, w, out=g)
            b2[0] += float(np.dot(g, g))
            np.multiply(g, LR / np.sqrt(b2[0]), out=w_next)
            np.subtract(w, w_next, out=w_next)
            w, w_next = w_next, w

    return loop


def bound_nesterov(a, w0, beta=0.9):
    w, g, v, y = w0.copy(), np.empty_like(w0), np.zeros_like(w0), np.empty_like(w0)

    def loop(steps, w=w, g=g, v=v, y=y):
        for _ in range(steps):
            np.multiply(v, -beta, out=y)  # look-ahead point
            y += w
            np.multiply(a, y, out=g)
            g *= LR
            v *= beta
            v += g
            w -= v

    return loop


def bound_adagrad(a, w0, eps=1e-8):
    w, g, G, buf = w0.copy(), np.empty_like(w0), np.zeros_like(w0), np.empty_like(w0)

    def loop(steps, w=w, g=g, G=G, buf=buf):
        for _ in range(steps):
            np.multiply(a, w, out=g)
            np.multiply(g, g, out=buf)
            G += buf
            np.sqrt(G, out=buf)
            buf += eps
            np.divide(g, buf, out=buf)
            buf *= LR
            w -= buf

    return loop


def bound_adagrad_norm(a, w0):
    w, g = w0.copy(), np.empty_like(w0)
    b2 = [0.0]

    def loop(steps, w=w, g=g):
        for _ in range(steps):
            np.multiply(a, w, out=g)
            b2[0] += float(np.dot(g, g))
            g *= LR / np.sqrt(b2[0])
            w -= g

    return loop


def bound_rmsprop(a, w0, gamma=0.9, eps=1e-8):
    w, g, s, buf = w0.copy(), np.empty_like(w0), np.zeros_like(w0), np.empty_like(w0)

    def loop(steps, w=w, g=g, s=s, buf=buf):
        for _ in range(steps):
            np.multiply(a, w, out=g)
            np.multiply(g, g, out=buf)
            buf *= 1 - gamma
            s *= gamma
            s += buf
            np.sqrt(s, out=buf)
            buf += eps
            np.divide(g, buf, out=buf)
            buf *= LR
            w -= buf

    return loop


def bound_adam(a, w0, l2=0.0, decoupled=0.0, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam; ``l2`` adds lambda w to the gradient (Adam), ``decoupled`` decays w (AdamW)."""
    w, g, m, v = w0.copy(), np.empty_like(w0), np.zeros_like(w0), np.zeros_like(w0)
    buf = np.empty_like(w0)
    t = [0]

    def loop(steps, w=w, g=g, m=m, v=v, buf=buf):
        for _ in range(steps):
            t[0] += 1
            np.multiply(a, w, out=g)
            if l2:
                np.multiply(w, l2, out=buf)
                g += buf  # g + lambda w
            np.multiply(g, 1 - beta1, out=buf)
            m *= beta1
            m += buf
            np.multiply(g, g, out=buf)
            buf *= 1 - beta2
            v *= beta2
            v += buf
            c1, root_c2 = 1 - beta1 ** t[0], np.sqrt(1 - beta2 ** t[0])
            np.sqrt(v, out=buf)
            buf += eps * root_c2
            np.divide(m, buf, out=buf)
            buf *= LR * root_c2 / c1
            if decoupled:
                w *= 1 - LR * decoupled  # w - eta lambda w
            w -= buf

    return loop


def bound_amsgrad(a, w0, beta1=0.9, beta2=0.999, eps=1e-8):
    """AMSGrad: Adam's moments without bias correction, divided by the running max of v."""
    w, g, m, v = w0.copy(), np.empty_like(w0), np.zeros_like(w0), np.zeros_like(w0)
    v_max, buf = np.zeros_like(w0), np.empty_like(w0)

    def loop(steps, w=w, g=g, m=m, v=v, v_max=v_max, buf=buf):
        for _ in range(steps):
            np.multiply(a, w, out=g)
            np.multiply(g, 1 - beta1, out=buf)
            m *= beta1
            m += buf
            np.multiply(g, g, out=buf)
            buf *= 1 - beta2
            v *= beta2
            v += buf
            np.maximum(v_max, v, out=v_max)
            np.sqrt(v_max, out=buf)
            buf += eps
            np.divide(m, buf, out=buf)
            buf *= LR
            w -= buf

    return loop


def bound_lion(a, w0, beta1=0.9, beta2=0.99):
    w, g, m, buf = w0.copy(), np.empty_like(w0), np.zeros_like(w0), np.empty_like(w0)

    def loop(steps, w=w, g=g, m=m, buf=buf):
        for _ in range(steps):
            np.multiply(a, w, out=g)
            np.multiply(m, beta1, out=buf)
            g *= 1 - beta1
            buf += g  # beta1 m + (1 - beta1) g
            np.sign(buf, out=buf)
            m *= beta2
            g *= (1 - beta2) / (1 - beta1)
            m += g  # beta2 m + (1 - beta2) g
            buf *= LR
            w -= buf

    return loop


def bound_newton(A, w0):
    w, g = w0.copy(), np.empty_like(w0)

    def loop(steps, w=w, g=g):
        for _ in range(steps):
            np.matmul(A, w, out=g)
            w -= np.linalg.solve(A, g)

    return loop


def main():
    rng = np.random.default_rng(0)
    a = rng.uniform(0.1, 1.0, D)
    w0 = rng.standard_normal(D)
    problem = DiagonalQuadratic(a)
    cases = [
        ("GD", optim.GD(LR), bound_gd(a, w0)),
        ("HeavyBall", optim.HeavyBall(LR, beta=0.9), bound_heavy_ball(a, w0)),
        ("Nesterov", optim.Nesterov(LR, beta=0.9), bound_nesterov(a, w0)),
        ("AdaGrad", optim.AdaGrad(LR), bound_adagrad(a, w0)),
        ("AdaGradNorm", optim.AdaGradNorm(LR), bound_adagrad_norm(a, w0)),
        ("RMSprop", optim.RMSprop(LR), bound_rmsprop(a, w0)),
        ("Adam", optim.Adam(LR), bound_adam(a, w0)),
        ("Adam (L2 decay)", optim.Adam(LR, weight_decay=0.01), bound_adam(a, w0, l2=0.01)),
        ("AdamW", optim.AdamW(LR, weight_decay=0.01), bound_adam(a, w0, decoupled=0.01)),
        ("AMSGrad", optim.AMSGrad(LR), bound_amsgrad(a, w0)),
        ("Lion", optim.Lion(LR), bound_lion(a, w0)),
    ]

    samples = 60
    rows = []
    for name, optimizer, bound in cases:
        loops = [
            optimizer_loop(optimizer, problem, w0),
            bound,
            allocating_loop(copy.deepcopy(optimizer), problem, w0),
        ]
        t_opt, t_bound, t_alloc = best_times(loops, samples)
        rows.append((name, t_opt, t_bound, t_alloc))

    # Newton at d = 1000 on a dense SPD matrix, against np.linalg.solve on the same matrix.
    Q = np.linalg.qr(rng.standard_normal((NEWTON_D, NEWTON_D)))[0]
    A = (Q * np.geomspace(1.0, 100.0, NEWTON_D)) @ Q.T
    A = (A + A.T) / 2
    w0_newton = rng.standard_normal(NEWTON_D)
    dense = DenseQuadratic(A)
    loops = [
        optimizer_loop(optim.Newton(lr=1.0), dense, w0_newton),
        bound_newton(A, w0_newton),
        allocating_loop(optim.Newton(lr=1.0), dense, w0_newton),
    ]
    rows.append((f"Newton (d={NEWTON_D})", *best_times(loops, 30)))

    # Where a gap remains: a bound that, like step(), writes w_{t+1} into a second buffer.
    second = []
    for name, optimizer, bound in [
        ("GD", optim.GD(LR), bound_gd_second_buffer(a, w0)),
        ("HeavyBall", optim.HeavyBall(LR, beta=0.9), bound_heavy_ball_second_buffer(a, w0)),
        ("AdaGradNorm", optim.AdaGradNorm(LR), bound_adagrad_norm_second_buffer(a, w0)),
    ]:
        t_opt, t_bound = best_times([optimizer_loop(optimizer, problem, w0), bound], samples)
        second.append((name, t_opt, t_bound))

    print(f"One optimizer step at d = {D:,}: the fastest of {samples} warm single steps.")
    print(f"Newton is excluded at d = {D:,} (its Hessian alone would take 8 TB); it is timed")
    print(f"at d = {NEWTON_D} against np.linalg.solve on the same matrix.")
    print("optimizer: w = opt.step(w, problem, out=spare), two buffers alternating as in run();")
    print("bound: the same arithmetic in place with preallocated buffers;")
    print("new array: w = opt.step(w, problem), which allocates w_{t+1} each step.")
    print()
    header = (
        f"{'method':<20} {'optimizer steps/s':>18} {'bound steps/s':>14} {'ratio':>6}"
        f" {'new array steps/s':>18} {'ratio':>6}"
    )
    print(header)
    print("-" * len(header))
    for name, t_opt, t_bound, t_alloc in rows:
        flag = "" if t_opt / t_bound <= TARGET else f"  ratio > {TARGET}"
        print(
            f"{name:<20} {1 / t_opt:>18.1f} {1 / t_bound:>14.1f} {t_opt / t_bound:>6.2f}"
            f" {1 / t_alloc:>18.1f} {t_alloc / t_bound:>6.2f}{flag}"
        )
    print()
    print("The cheapest methods do so little arithmetic that one more 8 MB array in the working")
    print("set shows (L3 cache). step() never overwrites w_t, so it touches a, w_t, g and w_{t+1}")
    print("where the in-place bound touches a, w and g. The same bound writing w_{t+1} into a")
    print("second buffer instead:")
    print()
    header = f"{'method':<20} {'optimizer steps/s':>18} {'2-buffer bound':>14} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    for name, t_opt, t_bound in second:
        print(f"{name:<20} {1 / t_opt:>18.1f} {1 / t_bound:>14.1f} {t_opt / t_bound:>6.2f}")


if __name__ == "__main__":
    main()
