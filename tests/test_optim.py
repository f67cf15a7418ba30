"""Tests for gdlab.optim, against references written here from the chapter's formulas."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from gdlab import optim, schedules

# -- independent test problems -------------------------------------------------------------------


class Quadratic:
    """f(w) = (w - w*)^T A (w - w*) / 2 from an explicit matrix A and centre w*."""

    def __init__(self, A, w_star):
        self.A = np.array(A, dtype=float)
        self.w_star = np.array(w_star, dtype=float)
        self.dim = self.w_star.shape[0]

    def value(self, w):
        e = w - self.w_star
        return 0.5 * e @ self.A @ e

    def grad(self, w):
        return self.A @ (w - self.w_star)

    def hess(self, w):
        return self.A.copy()

    def hvp(self, w, v):
        return self.A @ v


class FiniteSum:
    """Least squares f(w) = (1/2n) sum_i (x_i^T w - y_i)^2, with mini-batch gradients."""

    def __init__(self, n=40, d=3, seed=0):
        rng = np.random.default_rng(seed)
        self.X = rng.standard_normal((n, d))
        self.y = rng.standard_normal(n)
        self.n, self.dim = n, d

    def value(self, w):
        r = self.X @ w - self.y
        return 0.5 * r @ r / self.n

    def grad(self, w):
        return self.X.T @ (self.X @ w - self.y) / self.n

    def hess(self, w):
        return self.X.T @ self.X / self.n

    def hvp(self, w, v):
        return self.X.T @ (self.X @ v) / self.n

    def stochastic_grad(self, w, batch_size, rng, replace=True):
        idx = rng.choice(self.n, size=batch_size, replace=replace)
        X, y = self.X[idx], self.y[idx]
        return X.T @ (X @ w - y) / batch_size


def rotation(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s], [s, c]])


def spd(eigenvalues, seed=0):
    """A symmetric matrix Q diag(eigenvalues) Q^T with a random orthogonal Q, and Q."""
    d = len(eigenvalues)
    Q = np.linalg.qr(np.random.default_rng(seed).standard_normal((d, d)))[0]
    return (Q * np.asarray(eigenvalues, dtype=float)) @ Q.T, Q


A2 = rotation(0.4) @ np.diag([1.0, 10.0]) @ rotation(0.4).T  # L = 10, mu = 1
W_STAR = np.array([1.0, -2.0])
W0 = np.array([3.0, 1.5])
QUAD = Quadratic(A2, W_STAR)


def every_optimizer(**kwargs):
    """One instance of each method, with hyperparameters that converge on QUAD."""
    return [
        optim.GD(0.05, **kwargs),
        optim.HeavyBall(0.05, beta=0.8, **kwargs),
        optim.Nesterov(0.05, beta=0.8, **kwargs),
        optim.Newton(lr=0.5, damping=0.1, **kwargs),
        optim.AdaGrad(0.5, **kwargs),
        optim.AdaGradNorm(1.0, **kwargs),
        optim.RMSprop(0.01, **kwargs),
        optim.Adam(0.05, weight_decay=0.01, **kwargs),
        optim.AdamW(0.05, **kwargs),
        optim.AMSGrad(0.05, **kwargs),
        optim.Lion(0.01, weight_decay=0.01, **kwargs),
    ]


IDS = [type(o).__name__ for o in every_optimizer()]


def record(optimizer, problem, w0, steps):
    """Iterates, gradients (at the iterates, computed here) and state snapshots of a manual run."""
    ws, grads, states = [np.asarray(w0, dtype=float)], [], []
    for _ in range(steps):
        grads.append(problem.grad(ws[-1]))
        ws.append(optimizer.step(ws[-1], problem))
        states.append(optimizer.state)
    return np.array(ws), np.array(grads), states


# -- GD and SGD ----------------------------------------------------------------------------------


def test_gd_on_quadratic_equals_matrix_power():
    lr, steps = 0.15, 40
    trace = optim.run(optim.GD(lr), QUAD, W0, steps)
    M = np.eye(2) - lr * A2
    for t in range(steps + 1):
        expected = np.linalg.matrix_power(M, t) @ (W0 - W_STAR) + W_STAR
        np.testing.assert_allclose(trace.iterates[t], expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(trace.values, [QUAD.value(w) for w in trace.iterates], rtol=1e-12)
    np.testing.assert_allclose(
        trace.grad_norms, np.linalg.norm((trace.iterates - W_STAR) @ A2, axis=1), rtol=1e-12
    )
    np.testing.assert_array_equal(trace.lrs, np.full(steps, lr))
    assert trace.optimizer == "GD" and trace.diverged is None


def test_sgd_full_batch_without_replacement_equals_gd():
    problem = FiniteSum(n=30)
    w0 = np.array([0.5, -1.0, 2.0])
    sgd = optim.run(optim.SGD(0.3, batch_size=30, seed=1, replace=False), problem, w0, 25)
    gd = optim.run(optim.GD(0.3), problem, w0, 25)
    np.testing.assert_allclose(sgd.iterates, gd.iterates, rtol=1e-12, atol=1e-14)


def test_sgd_reproducible_with_seed_and_seeds_differ():
    problem = FiniteSum()
    w0 = np.zeros(3)
    first = optim.run(optim.SGD(0.1, batch_size=4, seed=7), problem, w0, 20)
    again = optim.run(optim.SGD(0.1, batch_size=4, seed=7), problem, w0, 20)
    other = optim.run(optim.SGD(0.1, batch_size=4, seed=8), problem, w0, 20)
    np.testing.assert_array_equal(first.iterates, again.iterates)
    assert not np.allclose(first.iterates[1:], other.iterates[1:])


def test_sgd_step_is_minus_lr_times_the_minibatch_gradient():
    problem = FiniteSum()
    w = np.array([1.0, 2.0, -1.0])
    sgd = optim.SGD(0.2, batch_size=5, seed=3)
    g = problem.stochastic_grad(w, 5, np.random.default_rng(3))  # the same draw
    np.testing.assert_allclose(sgd.step(w, problem), w - 0.2 * g, rtol=1e-14)


@pytest.mark.parametrize("optimizer", every_optimizer(batch_size=5, seed=2), ids=IDS)
def test_every_method_runs_stochastically_and_reproducibly(optimizer):
    problem = FiniteSum()
    # near the minimiser, where mini-batch gradients disagree with the exact one even in sign
    w0 = np.linalg.lstsq(problem.X, problem.y, rcond=None)[0] + 0.01
    first = optim.run(optimizer, problem, w0, 15)
    second = optim.run(optimizer, problem, w0, 15)
    np.testing.assert_array_equal(first.iterates, second.iterates)
    exact = optim.run(type(optimizer)(**_hyper(optimizer)), problem, w0, 15)
    assert not np.allclose(first.iterates[1:], exact.iterates[1:])


def _hyper(optimizer):
    return {name: getattr(optimizer, name) for name in optimizer._hyperparameters}


# -- momentum ------------------------------------------------------------------------------------


def test_heavy_ball_equals_its_stacked_linear_recurrence():
    # w-form: w_{t+1} = w_t - eta A (w_t - w*) + beta (w_t - w_{t-1}), with w_{-1} = w_0 (v_0 = 0).
    # In e_t = w_t - w*: [e_{t+1}; e_t] = [[(1 + beta) I - eta A, -beta I], [I, 0]] [e_t; e_{t-1}].
    lr, beta, steps = 0.1, 0.7, 30
    trace = optim.run(optim.HeavyBall(lr, beta=beta), QUAD, W0, steps)
    I, Z = np.eye(2), np.zeros((2, 2))
    M = np.block([[(1 + beta) * I - lr * A2, -beta * I], [I, Z]])
    z0 = np.concatenate([W0 - W_STAR, W0 - W_STAR])
    for t in range(steps + 1):
        expected = (np.linalg.matrix_power(M, t) @ z0)[:2] + W_STAR
        np.testing.assert_allclose(trace.iterates[t], expected, rtol=1e-11, atol=1e-12)


def test_nesterov_equals_its_stacked_linear_recurrence():
    # Since w_{t+1} = w_t - v_t, we have v_{t-1} = w_{t-1} - w_t, so the look-ahead point is
    # y_t = w_t - beta v_{t-1} = w_t + beta (w_t - w_{t-1}), and
    # w_{t+1} = w_t - beta v_{t-1} - eta grad f(y_t) = y_t - eta A (y_t - w*).
    # In e_t = w_t - w*: e_{t+1} = (I - eta A) ((1 + beta) e_t - beta e_{t-1}), w_{-1} = w_0.
    lr, beta, steps = 0.08, 0.8, 30
    trace = optim.run(optim.Nesterov(lr, beta=beta), QUAD, W0, steps)
    I, Z = np.eye(2), np.zeros((2, 2))
    P = I - lr * A2
    M = np.block([[(1 + beta) * P, -beta * P], [I, Z]])
    z0 = np.concatenate([W0 - W_STAR, W0 - W_STAR])
    for t in range(steps + 1):
        expected = (np.linalg.matrix_power(M, t) @ z0)[:2] + W_STAR
        np.testing.assert_allclose(trace.iterates[t], expected, rtol=1e-11, atol=1e-12)


def test_nesterov_differs_from_heavy_ball():
    hb = optim.run(optim.HeavyBall(0.08, beta=0.8), QUAD, W0, 5)
    nag = optim.run(optim.Nesterov(0.08, beta=0.8), QUAD, W0, 5)
    np.testing.assert_array_equal(hb.iterates[1], nag.iterates[1])  # v_0 = 0: same first step
    assert not np.allclose(hb.iterates[2:], nag.iterates[2:])


def test_heavy_ball_velocity_is_weighted_sum_of_past_gradients():
    lr, beta = 0.05, 0.9
    _, grads, states = record(optim.HeavyBall(lr, beta=beta), QUAD, W0, 12)
    for t in range(1, 13):
        weights = beta ** np.arange(t - 1, -1, -1)  # beta^(t-i) for i = 1..t
        expected = lr * weights @ grads[:t]
        np.testing.assert_allclose(states[t - 1]["v"], expected, rtol=1e-12)


def test_beta_zero_momentum_is_gd():
    gd = optim.run(optim.GD(0.1), QUAD, W0, 10)
    for method in (optim.HeavyBall, optim.Nesterov):
        np.testing.assert_allclose(
            optim.run(method(0.1, beta=0.0), QUAD, W0, 10).iterates, gd.iterates, rtol=1e-14
        )


# -- Newton --------------------------------------------------------------------------------------


def test_newton_reaches_quadratic_minimum_in_one_step():
    A, _ = spd([0.5, 2.0, 30.0], seed=1)
    problem = Quadratic(A, [1.0, -1.0, 2.0])
    w1 = optim.Newton().step(np.array([10.0, 5.0, -7.0]), problem)
    np.testing.assert_allclose(w1, problem.w_star, rtol=0, atol=1e-12)


def test_newton_damping_and_lr_give_the_regularised_step():
    eigenvalues, damping, lr = np.array([0.5, 2.0, 30.0]), 0.7, 0.6
    A, Q = spd(eigenvalues, seed=2)
    problem = Quadratic(A, np.zeros(3))
    w = np.array([1.0, -2.0, 0.5])
    g = A @ w
    # (A + d I)^{-1} = Q diag(1 / (lambda + d)) Q^T, from the eigendecomposition
    expected = w - lr * (Q * (1.0 / (eigenvalues + damping))) @ Q.T @ g
    np.testing.assert_allclose(
        optim.Newton(lr=lr, damping=damping).step(w, problem), expected, rtol=1e-12
    )


@pytest.mark.parametrize(
    "A",
    [np.diag([1.0, 0.0]), np.zeros((2, 2)), spd([1.0, 1e-14])[0], spd([5.0, -3e-15])[0]],
    ids=["exactly singular", "zero", "numerically singular", "tiny negative"],
)
def test_newton_singular_hessian_raises_helpful_error(A):
    w = np.array([0.25, -4.0])
    with pytest.raises(optim.SingularHessianError) as info:
        optim.Newton().step(w, Quadratic(A, [0.0, 0.0]))
    message = str(info.value)
    assert "0.25" in message and "-4." in message  # names the iterate
    assert "damping" in message
    assert isinstance(info.value, ValueError)


def test_newton_singular_hessian_is_fine_with_damping_and_ill_conditioning_is_not_singular():
    w = np.array([0.25, -4.0])
    optim.Newton(damping=1e-3).step(w, Quadratic(np.diag([1.0, 0.0]), [0.0, 0.0]))
    w1 = optim.Newton().step(w, Quadratic(spd([1.0, 1e-8])[0], [0.0, 0.0]))
    np.testing.assert_allclose(w1, 0.0, atol=1e-6)


def test_singular_error_does_not_count_a_step():
    newton = optim.Newton()
    with pytest.raises(optim.SingularHessianError):
        newton.step(np.ones(2), Quadratic(np.diag([1.0, 0.0]), [0.0, 0.0]))
    assert newton.t == 0


@pytest.mark.parametrize("ratio", [0.5e-12, 0.99e-12, 1.01e-12, 2e-12])
def test_newton_singularity_threshold_is_1e_12_on_both_sides(ratio):
    """Pins Newton.singular_tol = 1e-12: diag(1, r) raises for r just below, steps just above.

    With w on the small eigenvector, ||g|| / ||H^{-1} g|| is r exactly and the largest
    |eigenvalue| (1) is the largest diagonal entry, so the estimated ratio is r itself.
    """
    problem = Quadratic(np.diag([1.0, ratio]), [0.0, 0.0])
    w = np.array([0.0, 1.0])
    if ratio < 1e-12:
        with pytest.raises(optim.SingularHessianError, match=f"at most {ratio:.1e} times"):
            optim.Newton().step(w, problem)
    else:
        np.testing.assert_allclose(optim.Newton().step(w, problem), [0.0, 0.0], atol=1e-12)


@pytest.mark.parametrize("scale", [1e-200, 1e-150, 1e150, 1e200])
def test_newton_steps_on_a_well_conditioned_hessian_at_any_scale(scale):
    """A multiple of the identity is perfectly conditioned at any scale: Newton lands on the
    minimiser. The singularity estimate once squared the entries (||H||_F, ||g||), which
    overflowed at 1e200 and underflowed at 1e-200 and raised SingularHessianError."""
    problem = Quadratic(np.diag([scale, 2 * scale]), [1.0, -2.0])
    w1 = optim.Newton().step(np.array([3.0, 4.0]), problem)
    np.testing.assert_allclose(w1, [1.0, -2.0], rtol=1e-12)


def test_newton_on_indefinite_quadratic_goes_to_the_saddle_uphill():
    problem = Quadratic(np.diag([2.0, -1.0]), [0.0, 0.0])  # saddle at 0
    w0 = np.array([0.0, 1.0])  # on the negative-curvature axis
    w1 = optim.Newton().step(w0, problem)
    np.testing.assert_allclose(w1, [0.0, 0.0], atol=1e-15)
    assert problem.value(w1) > problem.value(w0)  # f went up: -1/2 -> 0


# -- adaptive methods ----------------------------------------------------------------------------


def test_adagrad_state_and_step_match_formula_and_step_never_grows():
    lr, eps, sigma2 = 0.3, 1e-8, 0.5
    ws, grads, states = record(optim.AdaGrad(lr, eps=eps, initial_accumulator=sigma2), QUAD, W0, 30)
    G = sigma2 + np.cumsum(grads**2, axis=0)  # G_t = sigma^2 + sum_{i<=t} g_i^2
    for t in range(30):
        np.testing.assert_allclose(states[t]["G"], G[t], rtol=1e-12)
        np.testing.assert_allclose(
            ws[t + 1], ws[t] - lr * grads[t] / (np.sqrt(G[t]) + eps), rtol=1e-12
        )
    effective = lr / (np.sqrt([s["G"] for s in states]) + eps)
    assert np.all(np.diff(effective, axis=0) <= 0)


def test_adagrad_norm_matches_theorem_and_step_never_grows():
    lr = 0.8
    ws, grads, states = record(optim.AdaGradNorm(lr), QUAD, W0, 30)
    b2 = np.cumsum(np.sum(grads**2, axis=1))  # ||grad^2_{1:t}||^2 = sum_{i<=t} ||g_i||^2
    steps = lr / np.sqrt(b2)  # P_t = (sum_{i<=t} ||g_i||^2)^{-1/2}
    for t in range(30):
        assert states[t]["b2"].shape == ()
        np.testing.assert_allclose(states[t]["b2"], b2[t], rtol=1e-12)
        np.testing.assert_allclose(ws[t + 1], ws[t] - steps[t] * grads[t], rtol=1e-12)
    assert np.all(np.diff(steps) <= 0)


def test_adagrad_norm_zero_first_gradient_gives_zero_step_without_nan():
    optimizer = optim.AdaGradNorm(1.0, eps=0.0, initial_accumulator=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w1 = optimizer.step(W_STAR.copy(), QUAD)  # the gradient at w* is exactly 0
        np.testing.assert_array_equal(w1, W_STAR)
        w2 = optimizer.step(W0, QUAD)  # then a real gradient: a step of length lr
    np.testing.assert_allclose(np.linalg.norm(w2 - W0), 1.0, rtol=1e-12)


def test_rmsprop_state_is_explicit_exponential_average():
    lr, gamma, eps, steps = 0.01, 0.8, 1e-8, 15
    ws, grads, states = record(optim.RMSprop(lr, gamma=gamma, eps=eps), QUAD, W0, steps)
    for t in range(1, steps + 1):
        weights = (1 - gamma) * gamma ** np.arange(t - 1, -1, -1)  # (1-gamma) gamma^(t-i)
        s = weights @ grads[:t] ** 2
        np.testing.assert_allclose(states[t - 1]["s"], s, rtol=1e-12)
        np.testing.assert_allclose(
            ws[t], ws[t - 1] - lr * grads[t - 1] / (np.sqrt(s) + eps), rtol=1e-12
        )


def adam_reference(grads_of, w0, steps, lr, beta1, beta2, eps, l2=0.0, decoupled=0.0):
    """Adam / AdamW from Section 4.5's equations, with bias correction, in plain numpy."""
    w, m, v, ws = np.array(w0, dtype=float), 0.0, 0.0, [np.array(w0, dtype=float)]
    for t in range(1, steps + 1):
        g = grads_of(w) + l2 * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
        w = w - lr * (m_hat / (np.sqrt(v_hat) + eps) + decoupled * w)
        ws.append(w)
    return np.array(ws)


@pytest.mark.parametrize("l2, decoupled", [(0.0, 0.0), (0.1, 0.0), (0.0, 0.1)])
def test_adam_and_adamw_match_reference(l2, decoupled):
    kwargs = dict(lr=0.05, beta1=0.8, beta2=0.95, eps=1e-8)
    if decoupled:
        optimizer = optim.AdamW(**kwargs, weight_decay=decoupled)
    else:
        optimizer = optim.Adam(**kwargs, weight_decay=l2)
    trace = optim.run(optimizer, QUAD, W0, 10)  # a few steps: a non-chaotic regime
    expected = adam_reference(QUAD.grad, W0, 10, **kwargs, l2=l2, decoupled=decoupled)
    np.testing.assert_allclose(trace.iterates, expected, rtol=1e-11)


def amsgrad_reference(grads, lr, beta1, beta2, eps, w0=0.0, project=None):
    """AMSGrad from Reddi et al. (2018), Algorithm 2, in scalar Python, one gradient per step.

    ``grads(w, t)`` is the gradient at step t (an online problem); ``project`` clips the iterate.
    """
    w, m, v, v_max, ws = float(w0), 0.0, 0.0, 0.0, [float(w0)]
    for t in range(1, len(lr) + 1):
        g = grads(w, t)
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        v_max = max(v_max, v)
        w = w - lr[t - 1] * m / (v_max**0.5 + eps)
        if project is not None:
            w = project(w)
        ws.append(w)
    return np.array(ws)


def test_amsgrad_matches_reference_where_the_maximum_matters():
    # gradients shrink as GD-like steps approach w* = 3, so v_t falls below its earlier maximum
    lr, beta1, beta2, eps = 0.3, 0.5, 0.8, 1e-8
    problem = Quadratic([[1.0]], [3.0])
    trace = optim.run(optim.AMSGrad(lr, beta1, beta2, eps), problem, [0.0], 25)
    expected = amsgrad_reference(lambda w, t: w - 3.0, [lr] * 25, beta1, beta2, eps, w0=0.0)
    np.testing.assert_allclose(trace.iterates[:, 0], expected, rtol=1e-12, atol=1e-14)
    # the maximum was active: Adam without bias correction (the same update without the max)
    # takes a different path
    adam = optim.run(optim.Adam(lr, beta1, beta2, eps, bias_correction=False), problem, [0.0], 25)
    assert np.max(np.abs(adam.iterates - trace.iterates)) > 1e-3


def test_amsgrad_v_max_is_the_running_maximum_of_v():
    optimizer = optim.AMSGrad(0.1, beta1=0.9, beta2=0.5)
    w, seen = W0.copy(), []
    for _ in range(30):
        w = optimizer.step(w, QUAD)
        state = optimizer.state
        seen.append(state["v"])
        np.testing.assert_array_equal(state["v_max"], np.max(seen, axis=0))
    assert np.any(seen[-1] < optimizer.state["v_max"])  # v fell below its maximum


def test_amsgrad_without_the_maximum_active_is_uncorrected_adam():
    # constant gradient and beta2 -> v_t increases every step, so max(v_max, v_t) = v_t
    class Linear:
        dim = 2

        def value(self, w):
            return float(w[0] - 2.0 * w[1])

        def grad(self, w):
            return np.array([1.0, -2.0])

    ams = optim.run(optim.AMSGrad(0.1, 0.9, 0.99), Linear(), [0.0, 0.0], 20).iterates
    adam = optim.run(
        optim.Adam(0.1, 0.9, 0.99, bias_correction=False), Linear(), [0.0, 0.0], 20
    ).iterates
    np.testing.assert_allclose(ams, adam, rtol=1e-13)


def test_adam_first_step_is_lr_sign_of_gradient():
    lr, w = 0.01, np.array([3.0, -1.0, 0.2])
    problem = Quadratic(np.diag([1.0, 2.0, 4.0]), np.zeros(3))
    g = problem.grad(w)
    step = optim.Adam(lr).step(w, problem) - w
    np.testing.assert_allclose(step, -lr * np.sign(g), rtol=1e-7)  # |g| >= 0.8 >> eps


def test_adam_first_step_without_bias_correction():
    lr, beta1, beta2, w = 0.01, 0.9, 0.999, np.array([3.0, -1.0, 0.2])
    problem = Quadratic(np.diag([1.0, 2.0, 4.0]), np.zeros(3))
    g = problem.grad(w)
    step = optim.Adam(lr, bias_correction=False).step(w, problem) - w
    expected = -lr * (1 - beta1) / np.sqrt(1 - beta2) * np.sign(g)
    np.testing.assert_allclose(step, expected, rtol=1e-6)


def test_adamw_step_is_adam_step_minus_decay_from_the_same_state():
    lr, lam = 0.05, 0.3
    points = np.random.default_rng(5).standard_normal((8, 2))  # the same w_t for both
    adamw, adam = optim.AdamW(lr, weight_decay=lam), optim.Adam(lr, weight_decay=0.0)
    for w in points:
        w_adamw, w_adam = adamw.step(w, QUAD), adam.step(w, QUAD)
        np.testing.assert_allclose(w_adamw, w_adam - lr * lam * w, rtol=1e-13, atol=1e-15)
        for name in ("m", "v"):  # the decay does not enter the moments
            np.testing.assert_array_equal(adamw.state[name], adam.state[name])


def test_adam_l2_feeds_decay_into_moments():
    lr, lam, beta1, beta2 = 0.05, 0.3, 0.9, 0.999
    points = np.random.default_rng(6).standard_normal((6, 2))
    adam = optim.Adam(lr, beta1=beta1, beta2=beta2, weight_decay=lam)
    m = v = 0.0
    for w in points:
        adam.step(w, QUAD)
        g = QUAD.grad(w) + lam * w  # g_t + lambda w_t
        m, v = beta1 * m + (1 - beta1) * g, beta2 * v + (1 - beta2) * g * g
        np.testing.assert_allclose(adam.state["m"], m, rtol=1e-13)
        np.testing.assert_allclose(adam.state["v"], v, rtol=1e-13)


def test_adam_l2_and_adamw_differ_unless_lambda_is_zero():
    coupled = optim.run(optim.Adam(0.05, weight_decay=0.5), QUAD, W0, 50)
    decoupled = optim.run(optim.AdamW(0.05, weight_decay=0.5), QUAD, W0, 50)
    assert np.max(np.abs(coupled.iterates[-1] - decoupled.iterates[-1])) > 1e-2
    same_adam = optim.run(optim.Adam(0.05, weight_decay=0.0), QUAD, W0, 50)
    same_adamw = optim.run(optim.AdamW(0.05, weight_decay=0.0), QUAD, W0, 50)
    np.testing.assert_array_equal(same_adam.iterates, same_adamw.iterates)


def test_lion_moves_every_coordinate_by_exactly_lr():
    lr = 2.0**-6  # dyadic values keep w +- lr exact in floating point
    problem = Quadratic(np.diag([1.0, 3.0, 0.5, 2.0]), [0.0, 0.0, 0.0, 0.0])
    trace = optim.run(optim.Lion(lr), problem, [1.0, -2.0, 0.75, -0.5], 20)
    np.testing.assert_array_equal(np.abs(np.diff(trace.iterates, axis=0)), lr)
    generic = optim.run(optim.Lion(0.013), QUAD, W0, 20)
    np.testing.assert_allclose(np.abs(np.diff(generic.iterates, axis=0)), 0.013, rtol=1e-12)


def test_lion_matches_reference_with_weight_decay():
    lr, beta1, beta2, lam = 0.02, 0.9, 0.99, 0.1
    trace = optim.run(optim.Lion(lr, beta1=beta1, beta2=beta2, weight_decay=lam), QUAD, W0, 25)
    w, m = W0.copy(), np.zeros(2)
    for t in range(1, 26):
        g = QUAD.grad(w)
        u = np.sign(beta1 * m + (1 - beta1) * g)
        m = beta2 * m + (1 - beta2) * g
        w = w - lr * (u + lam * w)
        np.testing.assert_allclose(trace.iterates[t], w, rtol=1e-13)


def lion_reference(w0, steps, lr, beta1, beta2, momentum_decay=None):
    """Lion written out (Section 4.5); ``momentum_decay`` replaces beta2 in the m update."""
    decay = beta2 if momentum_decay is None else momentum_decay
    w, m = np.array(w0, dtype=float), np.zeros(len(w0))
    iterates, disagree = [w.copy()], []
    for _ in range(steps):
        g = QUAD.grad(w)
        u = np.sign(beta1 * m + (1 - beta1) * g)  # u_t
        disagree.append(bool(np.any(u != np.sign(g))))
        m = decay * m + (1 - decay) * g  # m_t
        w = w - lr * u
        iterates.append(w.copy())
    return np.array(iterates), np.array(disagree)


def test_lion_near_its_minimiser_follows_the_momentum_not_the_gradient_sign():
    """Pins Lion's m_t = beta2 m_{t-1} + (1 - beta2) g_t and u_t = sign(beta1 m + (1-beta1) g).

    Started 0.7 from w*, the run overshoots: within 0.25 of w* the momentum outweighs the
    gradient and u_t != sign(g_t) at several steps, so beta1, beta2 and m all matter (far from
    w*, as in the tests above, plain sign descent would pass). The reference with beta1 in the
    momentum update, a one-word slip, moves differently by more than a step.
    """
    lr, beta1, beta2, steps = 0.05, 0.9, 0.99, 100
    w0 = W_STAR + np.array([0.5, -0.5])
    trace = optim.run(optim.Lion(lr, beta1=beta1, beta2=beta2), QUAD, w0, steps)
    expected, disagree = lion_reference(w0, steps, lr, beta1, beta2)
    np.testing.assert_allclose(trace.iterates, expected, rtol=0, atol=1e-12)
    near = np.linalg.norm(expected[:-1] - W_STAR, axis=1) < 0.25
    assert np.sum(disagree & near) >= 3
    slipped, _ = lion_reference(w0, steps, lr, beta1, beta2, momentum_decay=beta1)
    assert np.max(np.abs(trace.iterates - slipped)) > lr
    sign_descent, _ = lion_reference(w0, steps, lr, 0.0, beta2)  # u_t = sign(g_t)
    assert np.max(np.abs(trace.iterates - sign_descent)) > lr


# -- run, schedules, divergence ------------------------------------------------------------------


def test_run_passes_schedule_to_each_step():
    schedule = schedules.Cosine(0.15, T=10, lr_min=0.01)
    trace = optim.run(optim.GD(1.0), QUAD, W0, 12, schedule=schedule)
    expected_lrs = [
        0.01 + 0.14 * 0.5 * (1 + np.cos(min(t - 1, 10) * np.pi / 10)) for t in range(1, 13)
    ]
    np.testing.assert_allclose(trace.lrs, expected_lrs, rtol=1e-14)
    e = W0 - W_STAR
    for t, lr in enumerate(expected_lrs, start=1):
        e = (np.eye(2) - lr * A2) @ e  # w_{t+1} - w* = (I - eta_t A)(w_t - w*)
        np.testing.assert_allclose(trace.iterates[t], e + W_STAR, rtol=1e-12)


def test_schedule_reaching_zero_is_allowed():
    trace = optim.run(optim.Adam(0.1), QUAD, W0, 6, schedule=schedules.Cosine(0.1, T=5))
    assert trace.lrs[-1] == 0.0
    np.testing.assert_array_equal(trace.iterates[-1], trace.iterates[-2])


def test_divergent_gd_gives_blown_up_trace_without_warnings():
    L, steps = 10.0, 2000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = optim.run(optim.GD(2.5 / L), QUAD, W0, steps)
    assert trace.iterates.shape == (steps + 1, 2)
    assert trace.values.shape == (steps + 1,) and trace.grad_norms.shape == (steps + 1,)
    k = trace.diverged
    assert isinstance(k, int) and 0 < k < steps
    assert np.all(np.isfinite(trace.iterates[:k])) and np.all(np.isfinite(trace.values[:k]))
    finite_rows = np.isfinite(trace.iterates).all(axis=1)
    j = int(np.argmin(finite_rows))  # the first non-finite iterate: the run stops there
    assert not finite_rows[j] and j >= k
    assert np.all(np.isnan(trace.iterates[j + 1 :])) and np.all(np.isnan(trace.values[j:]))
    # before blowing up, |1 - eta L| = 1.5: the error grows by 1.5 per step along the top axis
    assert trace.values[100] > 1.4**200 * trace.values[0]


class CountingQuadratic(Quadratic):
    def __init__(self, *args):
        super().__init__(*args)
        self.calls = 0

    def grad(self, w):
        assert np.all(np.isfinite(w)), "the problem was called at a non-finite iterate"
        self.calls += 1
        return super().grad(w)

    def value(self, w):
        assert np.all(np.isfinite(w)), "the problem was called at a non-finite iterate"
        return super().value(w)


def test_run_stops_calling_problem_after_divergence():
    problem = CountingQuadratic(A2, W_STAR)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        trace = optim.run(optim.GD(1.0), problem, W0, 5000)  # |1 - 10| = 9 per step
    j = int(np.argmin(np.isfinite(trace.iterates).all(axis=1)))  # first non-finite iterate
    assert 0 < trace.diverged <= j < 5000
    assert problem.calls == 2 * j  # a step and the exact gradient norm at w_0 .. w_{j-1}, then stop


def test_trace_is_read_only_and_repr_is_short():
    trace = optim.run(optim.GD(0.1), QUAD, W0, 3)
    with pytest.raises(ValueError):
        trace.iterates[0, 0] = 1.0
    text = repr(trace)
    assert text.startswith("Trace(optimizer='GD', steps=3, dim=2") and len(text) < 120


def test_zero_steps():
    trace = optim.run(optim.Adam(0.1), QUAD, W0, 0)
    assert trace.iterates.shape == (1, 2) and trace.lrs.shape == (0,)
    np.testing.assert_array_equal(trace.iterates[0], W0)


# -- state, reset, contracts ---------------------------------------------------------------------


@pytest.mark.parametrize("optimizer", every_optimizer(), ids=IDS)
def test_reset_makes_runs_identical(optimizer):
    w0 = np.array([2.0, 1.0])
    first = optim.run(optimizer, QUAD, w0, 25)
    assert optimizer.t == 25
    second = optim.run(optimizer, QUAD, w0, 25)
    np.testing.assert_array_equal(first.iterates, second.iterates)
    optimizer.reset()
    assert optimizer.t == 0 and optimizer.state == {}


@pytest.mark.parametrize(
    "optimizer, per_parameter, scalars",
    [
        (optim.GD(0.1), 0, 0),
        (optim.SGD(0.1, batch_size=2), 0, 0),
        (optim.HeavyBall(0.1), 1, 0),
        (optim.Nesterov(0.1), 1, 0),
        (optim.Newton(), 0, 0),
        (optim.AdaGrad(0.1), 1, 0),
        (optim.AdaGradNorm(0.1), 0, 1),
        (optim.RMSprop(0.1), 1, 0),
        (optim.Adam(0.1), 2, 0),
        (optim.AdamW(0.1), 2, 0),
        (optim.AMSGrad(0.1), 3, 0),
        (optim.Lion(0.1), 1, 0),
    ],
    ids=lambda x: repr(x) if isinstance(x, optim.Optimizer) else str(x),
)
def test_state_size(optimizer, per_parameter, scalars):
    for d in (1, 7, 10**9):
        assert optimizer.state_size(d) == per_parameter * d + scalars
    assert optimizer.t == 0 and optimizer.state == {}  # measuring leaves the optimizer alone


def test_state_size_matches_state_after_a_step():
    for optimizer in every_optimizer():
        optimizer.step(W0, QUAD)
        assert sum(a.size for a in optimizer.state.values()) == optimizer.state_size(2)


def test_state_is_a_snapshot():
    optimizer = optim.HeavyBall(0.1)
    optimizer.step(W0, QUAD)
    snapshot = optimizer.state
    optimizer.step(W0, QUAD)
    assert not np.array_equal(snapshot["v"], optimizer.state["v"])


class BufferQuadratic(Quadratic):
    """Returns its gradient in one internal, read-only buffer, reused across calls."""

    def __init__(self, *args):
        super().__init__(*args)
        self._g = np.empty(self.dim)

    def grad(self, w):
        self._g.setflags(write=True)
        self._g[...] = super().grad(w)
        self._g.setflags(write=False)
        return self._g


@pytest.mark.parametrize("optimizer", every_optimizer(), ids=IDS)
def test_optimizers_neither_modify_nor_keep_iterate_or_gradient(optimizer):
    w = W0.copy()
    w.setflags(write=False)
    reference = optim.run(optimizer, QUAD, w, 10)
    buffered = optim.run(optimizer, BufferQuadratic(A2, W_STAR), w, 10)
    np.testing.assert_array_equal(reference.iterates, buffered.iterates)
    optimizer.reset()
    optimizer.step(w, BufferQuadratic(A2, W_STAR))  # read-only w and g: no in-place write


@pytest.mark.parametrize("optimizer", every_optimizer(), ids=IDS)
def test_step_with_out_equals_step_without(optimizer):
    optimizer.reset()  # the parametrized instances are shared: start from no state in any order
    w, out = W0.copy(), np.empty(2)
    expected = optimizer.step(w, QUAD)
    optimizer.reset()
    result = optimizer.step(w, QUAD, out=out)
    assert result is out
    np.testing.assert_array_equal(out, expected)
    with pytest.raises(ValueError, match="out"):
        optimizer.step(w, QUAD, out=w)
    with pytest.raises(ValueError, match="out"):
        optimizer.step(w, QUAD, out=np.empty(3))


def test_state_shape_mismatch_asks_for_reset():
    optimizer = optim.Adam(0.1)
    optimizer.step(W0, QUAD)
    with pytest.raises(ValueError, match="reset"):
        optimizer.step(np.ones(3), Quadratic(np.eye(3), np.zeros(3)))


@pytest.mark.parametrize("optimizer", every_optimizer(batch_size=3, seed=4), ids=IDS)
def test_repr_round_trips(optimizer):
    namespace = {name: getattr(optim, name) for name in optim.__all__}
    assert repr(eval(repr(optimizer), namespace)) == repr(optimizer)


def test_repr_examples():
    assert repr(optim.GD(0.1)) == "GD(lr=0.1)"
    assert repr(optim.SGD(0.1, 8, seed=0)) == "SGD(lr=0.1, batch_size=8, seed=0)"
    assert repr(optim.Adam(1e-3)) == (
        "Adam(lr=0.001, beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0.0, bias_correction=True)"
    )


# -- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: optim.GD(0.0), "lr"),
        (lambda: optim.GD(-1.0), "lr"),
        (lambda: optim.GD(float("nan")), "lr"),
        (lambda: optim.GD("0.1"), "lr"),
        (lambda: optim.HeavyBall(0.1, beta=1.0), "beta"),
        (lambda: optim.HeavyBall(0.1, beta=-0.1), "beta"),
        (lambda: optim.Nesterov(0.1, beta=1.0), "beta"),
        (lambda: optim.Adam(0.1, beta1=1.0), "beta1"),
        (lambda: optim.Adam(0.1, beta1=-0.5), "beta1"),
        (lambda: optim.AdamW(0.1, beta2=1.5), "beta2"),
        (lambda: optim.Lion(0.1, beta1=1.0), "beta1"),
        (lambda: optim.RMSprop(0.1, gamma=1.0), "gamma"),
        (lambda: optim.RMSprop(0.1, eps=0.0), "eps"),
        (lambda: optim.Adam(0.1, eps=0.0), "eps"),
        (lambda: optim.AdaGrad(0.1, eps=0.0), "eps"),
        (lambda: optim.AdaGradNorm(0.1, eps=-1.0), "eps"),
        (lambda: optim.AdaGrad(0.1, initial_accumulator=-1.0), "initial_accumulator"),
        (lambda: optim.Adam(0.1, weight_decay=-0.01), "weight_decay"),
        (lambda: optim.AdamW(0.1, weight_decay=-0.01), "weight_decay"),
        (lambda: optim.Lion(0.1, weight_decay=-0.01), "weight_decay"),
        (lambda: optim.Adam(0.1, bias_correction="yes"), "bias_correction"),
        (lambda: optim.AMSGrad(0.1, beta1=1.0), "beta1"),
        (lambda: optim.AMSGrad(0.1, beta2=-0.1), "beta2"),
        (lambda: optim.AMSGrad(0.1, eps=0.0), "eps"),
        (lambda: optim.Newton(damping=-1.0), "damping"),
        (lambda: optim.GD(0.1, batch_size=0), "batch_size"),
        (lambda: optim.GD(0.1, batch_size=2.5), "batch_size"),
        (lambda: optim.SGD(0.1, batch_size=0), "batch_size"),
        (lambda: optim.SGD(0.1, batch_size=None), "batch_size"),
        (lambda: optim.SGD(0.1, 4, seed=-1), "seed"),
        (lambda: optim.SGD(0.1, 4, replace="no"), "replace"),
        (lambda: optim.run(optim.GD(0.1), QUAD, [1.0, 2.0, 3.0], 5), "w0"),
        (lambda: optim.run(optim.GD(0.1), QUAD, [[1.0, 2.0]], 5), "w0"),
        (lambda: optim.run(optim.GD(0.1), QUAD, [1.0, np.nan], 5), "w0"),
        (lambda: optim.run(optim.GD(0.1), QUAD, W0, -1), "steps"),
        (lambda: optim.run(optim.GD(0.1), QUAD, W0, 2.0), "steps"),
        (lambda: optim.run(optim.GD(0.1), QUAD, W0, 5, schedule=0.1), "schedule"),
        (lambda: optim.run("GD", QUAD, W0, 5), "optimizer"),
        (lambda: optim.GD(0.1).step(W0, QUAD, lr=-0.1), "lr"),
        (lambda: optim.GD(0.1).state_size(0), "dim"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_bad_schedule_value_is_reported_with_its_step():
    with pytest.raises(ValueError, match=r"schedule\(3\)"):
        optim.run(optim.GD(0.1), QUAD, W0, 5, schedule=lambda t: 0.1 if t < 3 else -1.0)


# -- integration with gdlab.problems -------------------------------------------------------------


def test_integration_with_gdlab_problems():
    from gdlab import problems

    quadratic = problems.Quadratic(eigenvalues=[1, 10], angle=0.3)
    w0 = np.array([1.0, 1.0])
    gd = optim.run(optim.GD(0.1), quadratic, w0, 100)
    assert np.all(np.diff(gd.values) <= 0) and gd.grad_norms[-1] < 1e-3 * gd.grad_norms[0]
    newton = optim.run(optim.Newton(), quadratic, w0, 1)
    assert newton.grad_norms[1] < 1e-10 * max(1.0, newton.grad_norms[0])

    least_squares = problems.LeastSquares(n=50, d=3, seed=0)
    w0 = np.zeros(3)
    full = optim.run(optim.GD(0.1), least_squares, w0, 30)
    sgd = optim.run(optim.SGD(0.1, 50, seed=0, replace=False), least_squares, w0, 30)
    np.testing.assert_allclose(sgd.iterates, full.iterates, rtol=1e-10, atol=1e-12)
    adam = optim.run(optim.Adam(0.05, batch_size=10, seed=0), least_squares, w0, 200)
    assert adam.values[-1] < adam.values[0]


def test_trace_distances_to_the_minimiser_follow_the_gd_power_formula():
    # On a quadratic, w_t - w* = (I - lr A)^t (w_0 - w*): its norm, computed independently.
    quadratic = Quadratic(spd([1.0, 10.0])[0], [1.0, -2.0])
    w0 = np.array([3.0, 1.0])
    trace = optim.run(optim.GD(lr=0.05), quadratic, w0, steps=20)
    factor = np.eye(2) - 0.05 * quadratic.A
    expected = [
        np.linalg.norm(np.linalg.matrix_power(factor, t) @ (w0 - quadratic.w_star))
        for t in range(21)
    ]
    np.testing.assert_allclose(trace.distances_to(quadratic.w_star), expected, rtol=1e-12)
    with pytest.raises(ValueError, match=r"point must have shape \(2,\)"):
        trace.distances_to([1.0, 2.0, 3.0])


def test_trace_coordinate_steps_of_lion_are_exactly_lr():
    # Lion's update is lr * sign(...): every coordinate moves by exactly lr (Section 4.5).
    problem = FiniteSum(n=50, d=4, seed=1)
    trace = optim.run(optim.Lion(lr=0.01), problem, np.ones(4), steps=10)
    steps = trace.coordinate_steps()
    assert steps.shape == (10, 4)
    np.testing.assert_allclose(steps, 0.01, rtol=1e-12)


# -- contracts the mutation run found unpinned (make mutation) ----------------------------------


class ScaledBufferQuadratic:
    """f(w) = sum(a w^2) / 2 in dimension 20000, gradient written into one reused buffer."""

    dim = 20000

    def __init__(self):
        self.a = np.linspace(1.0, 2.0, self.dim)
        self.buffer = np.empty(self.dim)

    def value(self, w):
        return 0.5 * float(np.dot(self.a * w, w))

    def grad(self, w):
        return np.multiply(self.a, w, out=self.buffer)


@pytest.mark.parametrize(
    "optimizer",
    [o for o in every_optimizer() if not isinstance(o, optim.Newton)]
    + [optim.DelayedAdaGrad(0.1, sigma2=1.0)],
    ids=[*IDS[:3], *IDS[4:], "DelayedAdaGrad"],
)
def test_a_warm_step_into_out_allocates_no_array_of_size_d(optimizer):
    """Pins the module's promise that a step writes into ``out`` and reuses its state and
    scratch buffers: after a first step, a second step into ``out`` allocates (tracemalloc
    peak) less than half an array of d floats; Nesterov allocates its look-ahead point only."""
    import tracemalloc

    problem = ScaledBufferQuadratic()
    optimizer.reset()
    w = optimizer.step(np.ones(problem.dim), problem, out=np.empty(problem.dim))
    spare = np.empty(problem.dim)
    tracemalloc.start()
    try:
        optimizer.step(w, problem, out=spare)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    arrays = 1 if isinstance(optimizer, optim.Nesterov) else 0
    assert peak < (arrays + 0.5) * 8 * problem.dim, peak


@pytest.mark.parametrize(
    ("optimizer", "names"),
    [
        (optim.GD(0.1), set()),
        (optim.HeavyBall(0.1), {"v"}),
        (optim.Nesterov(0.1), {"v"}),
        (optim.Newton(), set()),
        (optim.AdaGrad(0.1), {"G"}),
        (optim.AdaGradNorm(0.1), {"b2"}),
        (optim.DelayedAdaGrad(0.1, 1.0), {"G"}),
        (optim.RMSprop(0.1), {"s"}),
        (optim.Adam(0.1), {"m", "v"}),
        (optim.AdamW(0.1), {"m", "v"}),
        (optim.Lion(0.1), {"m"}),
    ],
    ids=lambda x: type(x).__name__ if isinstance(x, optim.Optimizer) else "",
)
def test_state_is_named_by_the_chapter_symbols(optimizer, names):
    """Pins the state names the docs and pages use (``optimizer.state["v"]`` etc.)."""
    optimizer.step(W0, QUAD)
    assert set(optimizer.state) == names


def test_documented_defaults():
    """Pins every default hyperparameter the docstrings give (via the round-trip repr)."""
    expected = {
        optim.HeavyBall(0.1): "HeavyBall(lr=0.1, beta=0.9)",
        optim.Nesterov(0.1): "Nesterov(lr=0.1, beta=0.9)",
        optim.Newton(): "Newton(lr=1.0, damping=0.0)",
        optim.AdaGrad(0.1): "AdaGrad(lr=0.1, eps=1e-08, initial_accumulator=0.0)",
        optim.AdaGradNorm(0.1): "AdaGradNorm(lr=0.1, eps=0.0, initial_accumulator=0.0)",
        optim.RMSprop(0.1): "RMSprop(lr=0.1, gamma=0.9, eps=1e-08)",
        optim.AdamW(0.1): "AdamW(lr=0.1, beta1=0.9, beta2=0.999, eps=1e-08, weight_decay=0.01)",
        optim.Lion(0.1): "Lion(lr=0.1, beta1=0.9, beta2=0.99, weight_decay=0.0)",
        optim.GD(0.1, replace=False): "GD(lr=0.1, replace=False)",
        optim.GD(0.1, batch_size=4, seed=3): "GD(lr=0.1, batch_size=4, seed=3)",
    }
    for optimizer, text in expected.items():
        assert repr(optimizer) == text


def test_gradient_is_float64_and_misshapen_gradients_are_named():
    """Pins Optimizer.gradient: an integer gradient comes back as float64; a gradient of the
    wrong shape is a ValueError naming the call that returned it (exact or mini-batch); a
    mini-batch optimizer stepping a problem without stochastic_grad is a ValueError naming
    the problem (not an AttributeError)."""

    class IntegerGradient:
        dim = 2

        def grad(self, w):
            return [1, 2]

        def stochastic_grad(self, w, batch_size, rng, replace=True):
            return [1, 2, 3]

    g = optim.GD(0.1).gradient(np.zeros(2), IntegerGradient())
    assert g.dtype == np.float64 and g.tolist() == [1.0, 2.0]
    with pytest.raises(ValueError, match=r"^problem\.stochastic_grad\(w, \.\.\.\) must return"):
        optim.GD(0.1, batch_size=2).step(np.zeros(2), IntegerGradient())
    with pytest.raises(ValueError, match=r"^problem\.grad\(w\) must return an array of the shape"):
        optim.GD(0.1).step(np.zeros(3), IntegerGradient())
    with pytest.raises(ValueError, match="needs a problem with stochastic_grad") as info:
        optim.GD(0.1, batch_size=2).step(W0, QUAD)
    assert "Quadratic" in str(info.value)
    with pytest.raises(ValueError, match="stochastic_grad") as info:
        optim.run(optim.GD(0.1, batch_size=2), QUAD, W0, 3)
    assert "Quadratic" in str(info.value)


def test_bad_out_and_sgd_messages_name_what_was_given():
    """Pins the messages for a bad ``out`` (its shape) and an SGD without a batch size."""
    with pytest.raises(ValueError, match=r"^out must be a float64 array of shape \(2,\)") as info:
        optim.GD(0.1).step(W0, QUAD, out=np.empty(3))
    assert "(3,)" in str(info.value)
    with pytest.raises(
        ValueError, match="^batch_size must be a positive integer for SGD, got None"
    ):
        optim.SGD(0.1, None)
    with pytest.raises(ValueError, match="^eps must be positive when initial_accumulator is 0"):
        optim.AdaGrad(0.1, eps=0.0)


def test_trace_repr_shows_the_final_value():
    """Pins Trace.__repr__'s final value (the last entry, not another one)."""
    trace = optim.run(optim.GD(0.1), QUAD, W0, 3)
    assert f"final_value={trace.values[-1]:.6g}" in repr(trace)
    assert len({f"{v:.6g}" for v in trace.values}) == 4  # every value prints differently


def test_adagrad_norm_initial_accumulator_eps_and_small_gradients():
    """Pins AdaGradNorm's first step eta g / (sqrt(b0^2 + |g|^2) + eps), with b0^2 and eps
    non-zero, and with a gradient so small that the denominator is below 1."""
    lr, b0, eps = 0.3, 2.0, 0.5
    g = QUAD.grad(W0)
    step = optim.AdaGradNorm(lr, eps=eps, initial_accumulator=b0).step(W0, QUAD)
    expected = W0 - lr * g / (np.sqrt(b0 + g @ g) + eps)
    np.testing.assert_allclose(step, expected, rtol=1e-14)
    near = W_STAR + np.array([1e-3, -2e-3])  # |g| ~ 0.02
    g = QUAD.grad(near)
    np.testing.assert_allclose(
        optim.AdaGradNorm(lr).step(near, QUAD), near - lr * g / np.linalg.norm(g), rtol=1e-14
    )


def test_newton_singular_messages_say_why():
    """Pins the three diagnoses and the matrix named in SingularHessianError's message, each
    with the step number: exactly singular, a non-finite solution, numerically singular;
    'the Hessian H_t' without damping, 'H_t + damping I' with it. No numpy warning escapes."""
    cases = [
        (optim.Newton(), np.diag([1.0, 0.0]), "np.linalg.solve found it exactly singular"),
        (optim.Newton(), np.diag([1.0, 1e-320]), "the solution of the system is not finite"),
        (optim.Newton(), np.diag([1.0, 1e-14]), "smallest |eigenvalue| at most 1.0e-14 times"),
    ]
    for newton, H, detail in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with pytest.raises(optim.SingularHessianError) as info:
                newton.step(np.array([0.0, 1.0]), Quadratic(H, [0.0, 0.0]))
        message = str(info.value)
        assert message.startswith("Newton step 1 at iterate w_t = ")
        assert "the Hessian H_t is singular or numerically singular (" + detail in message
    with pytest.raises(optim.SingularHessianError, match=r"H_t \+ damping I is singular"):
        optim.Newton(damping=1e-20).step(np.ones(2), Quadratic(np.diag([1.0, 0.0]), [0, 0]))
    newton = optim.Newton()
    newton.step(W0, QUAD)
    with pytest.raises(optim.SingularHessianError, match="^Newton step 2 at"):
        newton.step(W0, Quadratic(np.zeros((2, 2)), [0.0, 0.0]))


@pytest.mark.parametrize("scale", [1e-3, 1.0, 1e3])
def test_newton_threshold_is_relative_to_the_largest_eigenvalue(scale):
    """Pins the ratio smallest / largest |eigenvalue| (not a product, not absolute): scaling
    diag(1, r) by 1e-3 or 1e3 moves nothing, on either side of 1e-12; r = 1e-12 itself steps."""
    w = np.array([0.0, 1.0])
    for ratio, singular in ((0.99e-12, True), (1e-12, False), (1.01e-12, False)):
        problem = Quadratic(scale * np.diag([1.0, ratio]), [0.0, 0.0])
        if singular:
            with pytest.raises(optim.SingularHessianError):
                optim.Newton().step(w, problem)
        else:
            np.testing.assert_allclose(optim.Newton().step(w, problem), 0.0, atol=1e-12)


def test_newton_accepts_an_integer_hessian_with_damping_and_changing_dimensions():
    """Pins that Newton copies H_t as float64 (damping is added in place: an integer Hessian
    must work) and re-draws its probe when the dimension changes between steps."""
    problem = Quadratic(np.diag([2.0, 4.0]), [0.0, 0.0])
    problem.hess = lambda w: np.array([[2, 0], [0, 4]])
    w1 = optim.Newton(damping=0.5).step(np.array([1.0, 1.0]), problem)
    np.testing.assert_allclose(w1, [1.0 - 2.0 / 2.5, 1.0 - 4.0 / 4.5], rtol=1e-14)
    newton = optim.Newton()
    newton.step(W0, QUAD)
    w3 = newton.step(np.ones(3), Quadratic(np.diag([1.0, 2.0, 3.0]), np.zeros(3)))
    np.testing.assert_allclose(w3, 0.0, atol=1e-15)
