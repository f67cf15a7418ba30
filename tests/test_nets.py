"""Tests for gdlab.nets: the tanh network, its MSE loss, backprop and Hessian-vector products."""

import numpy as np
import pytest

from gdlab.nets import MSELoss, TanhMLP, gaussian_clusters
from gdlab.optim import GD, SGD, run
from gdlab.problems import Problem


def tiny_problem(depth=2, width=4, n=12, n_in=3, n_out=2, seed=0):
    X, Y = gaussian_clusters(n=n, dim=n_in, n_classes=n_out, seed=seed)
    net = TanhMLP(n_in, n_out, width=width, depth=depth)
    return MSELoss(net, X, Y), net.init(seed)


def central_gradient(f, w, h=1e-6):
    eye = np.eye(len(w))
    return np.array([(f(w + h * e) - f(w - h * e)) / (2 * h) for e in eye])


# --- the network ------------------------------------------------------------------------------


def test_parameter_count_and_layout():
    net = TanhMLP(20, 10, width=32, depth=3)
    assert net.sizes == (20, 32, 32, 32, 10)
    assert net.n_params == 20 * 32 + 32 + 2 * (32 * 32 + 32) + 32 * 10 + 10
    w = np.arange(net.n_params, dtype=float)
    layers = net.layers(w)
    assert [W.shape for W, _ in layers] == [(32, 20), (32, 32), (32, 32), (10, 32)]
    assert layers[0][0][0, 1] == 1.0  # row-major weights first
    assert layers[0][1][0] == 20 * 32  # then the bias
    assert np.shares_memory(layers[2][0], w)  # views, not copies


def test_forward_matches_explicit_layers():
    net = TanhMLP(3, 2, width=4, depth=2)
    w = net.init(1)
    X = np.random.default_rng(0).standard_normal((5, 3))
    (W1, b1), (W2, b2), (W3, b3) = net.layers(w)
    expected = np.tanh(np.tanh(X @ W1.T + b1) @ W2.T + b2) @ W3.T + b3
    np.testing.assert_allclose(net.forward(w, X), expected, rtol=1e-14)


def test_init_is_seeded_and_uses_fan_in_bounds():
    net = TanhMLP(16, 3, width=9, depth=1)
    np.testing.assert_array_equal(net.init(3), net.init(3))
    assert not np.array_equal(net.init(3), net.init(4))
    (W1, b1), (W2, b2) = net.layers(net.init(0))
    assert np.abs(W1).max() <= 1 / 4 and np.abs(b1).max() <= 1 / 4
    assert np.abs(W2).max() <= 1 / 3 and np.abs(W2).max() > 0.2


def test_network_argument_checks():
    with pytest.raises(ValueError, match="width"):
        TanhMLP(3, 2, width=0)
    with pytest.raises(ValueError, match="depth"):
        TanhMLP(3, 2, depth=-1)


# --- the loss ---------------------------------------------------------------------------------


def test_loss_is_half_mean_over_examples_of_squared_error_summed_over_outputs():
    problem, w = tiny_problem(n_out=3)
    residual = problem.net.forward(w, problem.X) - problem.Y
    assert problem.value(w) == pytest.approx(0.5 * np.sum(residual**2) / problem.n, rel=1e-14)
    assert problem.dim == problem.net.n_params


def test_linear_model_sharpness_is_not_divided_by_the_number_of_outputs():
    # depth 0: f(x) = W x + b, so H = (1/n) [X 1]^T [X 1] on each output's block: its top
    # eigenvalue is that of the inputs' second-moment matrix, whatever the number of outputs.
    X, Y = gaussian_clusters(n=40, dim=3, n_classes=5, seed=2)
    problem = MSELoss(TanhMLP(3, 5, depth=0), X, Y)
    Xb = np.column_stack([X, np.ones(len(X))])
    expected = np.linalg.eigvalsh(Xb.T @ Xb / len(X))[-1]
    H = np.column_stack([problem.hvp(np.zeros(problem.dim), e) for e in np.eye(problem.dim)])
    assert np.linalg.eigvalsh(H)[-1] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("depth", [0, 1, 3])
def test_gradient_matches_finite_differences_of_the_loss(depth):
    problem, w = tiny_problem(depth=depth, seed=depth)
    g = problem.grad(w)
    g_fd = central_gradient(problem.value, w)
    np.testing.assert_allclose(g, g_fd, rtol=0, atol=1e-8 * np.abs(g).max())
    value, g2 = problem.value_and_grad(w)
    assert value == problem.value(w)
    np.testing.assert_array_equal(g, g2)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_both_hessian_vector_products_match_the_finite_difference_hessian(seed):
    problem, w = tiny_problem(depth=2, width=4, seed=seed)
    w = w + 0.5 * np.random.default_rng(seed).standard_normal(problem.dim)  # off the init
    H = problem.hess(w)
    assert H.shape == (problem.dim, problem.dim)
    rng = np.random.default_rng(10 + seed)
    for _ in range(3):
        v = rng.standard_normal(problem.dim)
        expected = H @ v
        scale = np.linalg.norm(expected)
        assert np.linalg.norm(problem.hvp(w, v) - expected) < 1e-7 * scale
        assert np.linalg.norm(problem.hvp_fd(w, v) - expected) < 1e-7 * scale


def test_exact_hvp_is_symmetric_and_linear():
    problem, w = tiny_problem(depth=2, width=5)
    rng = np.random.default_rng(0)
    u, v = rng.standard_normal((2, problem.dim))
    assert u @ problem.hvp(w, v) == pytest.approx(v @ problem.hvp(w, u), rel=1e-12)
    np.testing.assert_allclose(
        problem.hvp(w, 2 * u - 3 * v),
        2 * problem.hvp(w, u) - 3 * problem.hvp(w, v),
        rtol=1e-12,
        atol=1e-14,
    )


def test_exact_and_finite_difference_hvp_agree_on_a_real_sized_network():
    X, Y = gaussian_clusters(n=100, seed=3)
    problem = MSELoss(TanhMLP(20, 10, width=32, depth=3), X, Y)
    w = problem.net.init(3)
    v = np.random.default_rng(3).standard_normal(problem.dim)
    exact = problem.hvp(w, v)
    assert np.linalg.norm(problem.hvp_fd(w, v) - exact) < 1e-8 * np.linalg.norm(exact)
    np.testing.assert_array_equal(problem.hvp_fd(w, np.zeros(problem.dim)), 0.0)


def test_hess_refuses_large_networks_and_loss_checks_shapes():
    X, Y = gaussian_clusters(n=10, seed=0)
    problem = MSELoss(TanhMLP(20, 10, width=32, depth=1), X, Y)
    with pytest.raises(ValueError, match="hess_max_dim"):
        problem.hess(problem.net.init(0))
    with pytest.raises(ValueError, match="columns"):
        MSELoss(TanhMLP(19, 10), X, Y)
    with pytest.raises(ValueError, match="rows"):
        MSELoss(TanhMLP(20, 10), X, Y[:-1])
    with pytest.raises(ValueError, match="shape"):
        problem.value(np.zeros(3))


# --- the Problem interface --------------------------------------------------------------------


def test_the_loss_is_a_problem_that_gdlab_optim_can_run():
    problem, w = tiny_problem(depth=2, width=5, n=30)
    assert isinstance(problem, Problem)
    assert problem.minimizer is None and problem.optimal_value is None
    trace = run(GD(lr=0.5), problem, w, steps=50)
    # an independent loop written here, with the gradient checked above
    expected = w.copy()
    for _ in range(50):
        expected = expected - 0.5 * problem.grad(expected)
    np.testing.assert_allclose(trace.iterates[-1], expected, rtol=1e-12, atol=1e-14)
    assert trace.values[-1] < trace.values[0]
    with pytest.raises(ValueError, match="read-only"):
        problem.X[0, 0] = 1.0


def test_stochastic_gradient_is_the_gradient_on_the_drawn_examples():
    problem, w = tiny_problem(n=12)
    everything = problem.stochastic_grad(w, 12, np.random.default_rng(0), replace=False)
    np.testing.assert_allclose(everything, problem.grad(w), rtol=1e-12, atol=1e-15)
    rows = np.random.default_rng(1).choice(12, size=4, replace=True)
    subset = MSELoss(problem.net, problem.X[rows], problem.Y[rows])
    np.testing.assert_allclose(
        problem.stochastic_grad(w, 4, np.random.default_rng(1)), subset.grad(w), rtol=1e-12
    )
    assert run(SGD(lr=0.1, batch_size=4, seed=0), problem, w, 5).values.shape == (6,)
    with pytest.raises(ValueError, match="exceeds"):
        problem.stochastic_grad(w, 13, np.random.default_rng(0), replace=False)


# --- the data ---------------------------------------------------------------------------------


def test_gaussian_clusters_are_seeded_standardised_balanced_one_hot():
    X, Y = gaussian_clusters(n=300, dim=20, n_classes=10, seed=5)
    assert X.shape == (300, 20) and Y.shape == (300, 10)
    np.testing.assert_allclose(X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(X.std(axis=0), 1, rtol=1e-12)
    assert set(np.unique(Y)) == {0.0, 1.0}
    np.testing.assert_array_equal(Y.sum(axis=1), 1)
    np.testing.assert_array_equal(Y.sum(axis=0), 30)
    X2, Y2 = gaussian_clusters(n=300, dim=20, n_classes=10, seed=5)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(Y, Y2)
    assert not np.array_equal(X, gaussian_clusters(n=300, seed=6)[0])


def test_gaussian_clusters_are_clusters():
    # with little noise each point is nearer its own class mean than any other
    X, Y = gaussian_clusters(n=200, spread=0.3, seed=1)
    labels = Y.argmax(axis=1)
    means = np.array([X[labels == k].mean(axis=0) for k in range(10)])
    nearest = np.argmin(((X[:, None, :] - means[None]) ** 2).sum(axis=2), axis=1)
    assert np.mean(nearest == labels) == 1.0


# --- the kept passes: one forward and one backward pass per point ------------------------------


def count_passes(problem, monkeypatch):
    """Count the forward passes of ``problem``'s network on all the data."""
    counts = {"forward": 0}
    forward = problem.net._forward

    def counted(w, X):
        if X is problem.X:
            counts["forward"] += 1
        return forward(w, X)

    monkeypatch.setattr(problem.net, "_forward", counted)
    return counts


def test_loss_gradient_and_hvps_at_one_point_share_one_forward_pass(monkeypatch):
    # gradient descent asks for L(w) and then grad L(w); Lanczos asks for many H v at one w
    problem, w = tiny_problem(depth=3, width=6)
    counts = count_passes(problem, monkeypatch)
    rng = np.random.default_rng(1)
    problem.value(w)
    problem.grad(w)
    problem.value_and_grad(w)
    for _ in range(5):
        problem.hvp(w, rng.standard_normal(problem.dim))
    assert counts["forward"] == 1
    problem.grad(w + 1e-3)
    assert counts["forward"] == 2


def test_kept_passes_give_the_numbers_of_a_fresh_loss_to_the_last_bit():
    problem, w = tiny_problem(depth=3, width=6)
    rng = np.random.default_rng(2)
    v = rng.standard_normal(problem.dim)
    for _ in range(3):
        fresh = MSELoss(problem.net, problem.X, problem.Y)  # nothing kept yet
        problem.value(w)  # keep the passes at w, then ask in every order
        assert problem.grad(w).tobytes() == fresh.grad(w).tobytes()
        assert (
            problem.hvp(w, v).tobytes()
            == MSELoss(problem.net, problem.X, problem.Y).hvp(w, v).tobytes()
        )
        assert problem.value(w) == MSELoss(problem.net, problem.X, problem.Y).value(w)
        w += 0.01 * rng.standard_normal(problem.dim)  # in place: the kept passes must not be reused


def test_changing_a_returned_gradient_or_the_callers_point_changes_nothing_kept():
    problem, w = tiny_problem(depth=2, width=5)
    expected = problem.grad(w).copy()
    g = problem.grad(w)
    g[:] = 0.0
    np.testing.assert_array_equal(problem.grad(w), expected)
    _, g = problem.value_and_grad(w)
    g *= 2
    np.testing.assert_array_equal(problem.value_and_grad(w)[1], expected)
    before = problem.value(w)
    w[0] += 1.0  # the same array, changed in place
    assert problem.value(w) != before
    np.testing.assert_array_equal(
        problem.grad(w), MSELoss(problem.net, problem.X, problem.Y).grad(w)
    )


def test_a_minibatch_gradient_does_not_disturb_the_kept_full_batch_passes():
    problem, w = tiny_problem(depth=2, width=5, n=20)
    full = problem.grad(w).copy()
    problem.stochastic_grad(w, 4, np.random.default_rng(0))
    np.testing.assert_array_equal(problem.grad(w), full)
