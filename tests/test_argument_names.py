"""Each bad argument of gdlab.optim, rates, schedules and curvature is named first in its error.

tests/test_bad_input.py checks that a message *contains* the argument's name; here the message
must *start* with it, followed by "must" (the form of every check in gdlab._checks), so a
message that names another argument, or a mangled name that merely contains this one
("XXlrXX", "LR"), fails. Each case also pins the bad value in the message.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from gdlab import curvature, optim, rates, schedules


class Quadratic:
    """f(w) = |w|^2 / 2 in dimension 2, with a Hessian-vector product."""

    dim = 2

    def value(self, w):
        return 0.5 * float(w @ w)

    def grad(self, w):
        return np.asarray(w, dtype=float)

    def hess(self, w):
        return np.eye(2)

    def hvp(self, w, v):
        return np.asarray(v, dtype=float)


Q = Quadratic()
W = np.zeros(2)


def identity(v):
    return np.asarray(v, dtype=float)


CASES = [
    # gdlab.optim: constructors, step, run, state_size, Trace
    ("GD lr", lambda: optim.GD(0.0), "lr", "0.0"),
    ("GD batch_size", lambda: optim.GD(0.1, batch_size=0), "batch_size", "0"),
    ("GD seed", lambda: optim.GD(0.1, seed=-1), "seed", "-1"),
    ("step lr", lambda: optim.GD(0.1).step(W, Q, lr=-1.0), "lr", "-1.0"),
    ("state_size dim", lambda: optim.GD(0.1).state_size(0), "dim", "0"),
    ("HeavyBall beta", lambda: optim.HeavyBall(0.1, beta=1.0), "beta", "1.0"),
    ("Nesterov beta", lambda: optim.Nesterov(0.1, beta=-0.5), "beta", "-0.5"),
    ("Newton damping", lambda: optim.Newton(damping=-1.0), "damping", "-1.0"),
    ("AdaGrad eps", lambda: optim.AdaGrad(0.1, eps=-1.0), "eps", "-1.0"),
    (
        "AdaGrad initial_accumulator",
        lambda: optim.AdaGrad(0.1, initial_accumulator=-2.0),
        "initial_accumulator",
        "-2.0",
    ),
    ("AdaGradNorm eps", lambda: optim.AdaGradNorm(0.1, eps=-3.0), "eps", "-3.0"),
    (
        "AdaGradNorm initial_accumulator",
        lambda: optim.AdaGradNorm(0.1, initial_accumulator=-4.0),
        "initial_accumulator",
        "-4.0",
    ),
    ("DelayedAdaGrad sigma2", lambda: optim.DelayedAdaGrad(0.1, sigma2=0.0), "sigma2", "0.0"),
    ("RMSprop gamma", lambda: optim.RMSprop(0.1, gamma=1.5), "gamma", "1.5"),
    ("RMSprop eps", lambda: optim.RMSprop(0.1, eps=0.0), "eps", "0.0"),
    ("Adam beta1", lambda: optim.Adam(0.1, beta1=1.0), "beta1", "1.0"),
    ("Adam beta2", lambda: optim.Adam(0.1, beta2=2.0), "beta2", "2.0"),
    ("Adam eps", lambda: optim.Adam(0.1, eps=-1e-8), "eps", "-1e-08"),
    ("Adam weight_decay", lambda: optim.Adam(0.1, weight_decay=-0.1), "weight_decay", "-0.1"),
    ("AdamW beta1", lambda: optim.AdamW(0.1, beta1=-0.1), "beta1", "-0.1"),
    ("Lion beta1", lambda: optim.Lion(0.1, beta1=1.0), "beta1", "1.0"),
    ("Lion beta2", lambda: optim.Lion(0.1, beta2=1.5), "beta2", "1.5"),
    ("Lion weight_decay", lambda: optim.Lion(0.1, weight_decay=-1.0), "weight_decay", "-1.0"),
    ("run problem", lambda: optim.run(optim.GD(0.1), object(), W, 3), "problem", "object"),
    ("run w0", lambda: optim.run(optim.GD(0.1), Q, [1.0, 2.0, 3.0], 3), "w0", "(3,)"),
    ("run steps", lambda: optim.run(optim.GD(0.1), Q, W, -2), "steps", "-2"),
    (
        "Trace.distances_to point",
        lambda: optim.run(optim.GD(0.1), Q, W, 2).distances_to([1.0]),
        "point",
        "(1,)",
    ),
    # gdlab.rates
    ("gd_factors eigenvalues", lambda: rates.gd_factors([], 0.1), "eigenvalues", "(0,)"),
    ("gd_factors lr", lambda: rates.gd_factors([1.0], -0.1), "lr", "-0.1"),
    ("stability_limit L", lambda: rates.stability_limit(0.0), "L", "0.0"),
    ("optimal_gd_lr L", lambda: rates.optimal_gd_lr(-1.0, 1.0), "L", "-1.0"),
    ("optimal_gd_lr mu", lambda: rates.optimal_gd_lr(1.0, -2.0), "mu", "-2.0"),
    ("optimal_gd_lr mu > L", lambda: rates.optimal_gd_lr(1.0, 3.0), "mu", "3.0"),
    ("optimal_gd_rate kappa", lambda: rates.optimal_gd_rate("x"), "kappa", "x"),
    ("gd_rate_at_inverse_L kappa", lambda: rates.gd_rate_at_inverse_L(0.5), "kappa", "0.5"),
    ("heavy_ball_rate lr", lambda: rates.heavy_ball_rate([1.0], 0.0, 0.5), "lr", "0.0"),
    ("heavy_ball_rate beta", lambda: rates.heavy_ball_rate([1.0], 0.1, 1.0), "beta", "1.0"),
    ("nesterov_rate lr", lambda: rates.nesterov_rate([1.0], -1.0, 0.5), "lr", "-1.0"),
    ("nesterov_rate beta", lambda: rates.nesterov_rate([1.0], 0.1, -0.5), "beta", "-0.5"),
    ("observed_rate errors", lambda: rates.observed_rate([[1.0, 0.5]]), "errors", "shape"),
    ("observed_rate first", lambda: rates.observed_rate([1.0, 0.5], first=-1), "first", "-1"),
    ("observed_rate last", lambda: rates.observed_rate([1.0, 0.5], last=-1), "last", "-1"),
    ("iterations_to_reach rate", lambda: rates.iterations_to_reach(-0.5, 0.1), "rate", "-0.5"),
    (
        "iterations_to_reach tolerance",
        lambda: rates.iterations_to_reach(0.5, 0.0),
        "tolerance",
        "0.0",
    ),
    # gdlab.schedules
    ("Constant lr", lambda: schedules.Constant(0.0), "lr", "0.0"),
    ("StepDecay lr", lambda: schedules.StepDecay(-1.0, every=2), "lr", "-1.0"),
    ("StepDecay drop", lambda: schedules.StepDecay(1.0, 0.0, every=2), "drop", "0.0"),
    ("StepDecay drop > 1", lambda: schedules.StepDecay(1.0, 1.5, every=2), "drop", "1.5"),
    ("StepDecay every", lambda: schedules.StepDecay(1.0, every=0), "every", "0"),
    ("Cosine lr_max", lambda: schedules.Cosine(0.0, 10), "lr_max", "0.0"),
    ("Cosine T", lambda: schedules.Cosine(1.0, 0), "T", "0"),
    ("Cosine lr_min", lambda: schedules.Cosine(1.0, 10, lr_min=-0.1), "lr_min", "-0.1"),
    ("Cosine lr_min > lr_max", lambda: schedules.Cosine(1.0, 10, lr_min=2.0), "lr_min", "2.0"),
    ("WarmupCosine lr_max", lambda: schedules.WarmupCosine(-1.0, 10, 2), "lr_max", "-1.0"),
    ("WarmupCosine T", lambda: schedules.WarmupCosine(1.0, 0, 1), "T", "0"),
    ("WarmupCosine warmup", lambda: schedules.WarmupCosine(1.0, 10, 0), "warmup", "0"),
    ("WarmupCosine warmup > T", lambda: schedules.WarmupCosine(1.0, 10, 11), "warmup", "11"),
    (
        "WarmupCosine lr_min",
        lambda: schedules.WarmupCosine(1.0, 10, 2, lr_min=-0.5),
        "lr_min",
        "-0.5",
    ),
    (
        "WarmupCosine lr_min > lr_max",
        lambda: schedules.WarmupCosine(1.0, 10, 2, lr_min=3.0),
        "lr_min",
        "3.0",
    ),
    ("schedule t", lambda: schedules.Constant(1.0)(0), "t", "0"),
    ("schedule t float", lambda: schedules.Constant(1.0)(1.5), "t", "1.5"),
    ("schedule t bool", lambda: schedules.Constant(1.0)(True), "t", "True"),
    # gdlab.curvature
    ("hvp_operator w", lambda: curvature.hvp_operator(Q, [1.0, 2.0, 3.0]), "w", "(3,)"),
    ("lanczos matvec", lambda: curvature.lanczos(3, 2), "matvec", "3"),
    ("lanczos dim", lambda: curvature.lanczos(identity, 0), "dim", "0"),
    ("lanczos max_iter", lambda: curvature.lanczos(identity, 2, max_iter=0), "max_iter", "0"),
    ("lanczos min_iter", lambda: curvature.lanczos(identity, 2, min_iter=0), "min_iter", "0"),
    ("lanczos tol", lambda: curvature.lanczos(identity, 2, tol=0.0), "tol", "0.0"),
    ("lanczos v0", lambda: curvature.lanczos(identity, 2, v0=[1.0]), "v0", "(1,)"),
    ("lanczos v0 zero", lambda: curvature.lanczos(identity, 2, v0=[0.0, 0.0]), "v0", "0."),
    ("power dim", lambda: curvature.power_iteration(identity, -1), "dim", "-1"),
    (
        "power max_iter",
        lambda: curvature.power_iteration(identity, 2, max_iter=0),
        "max_iter",
        "0",
    ),
    ("power tol", lambda: curvature.power_iteration(identity, 2, tol=-1.0), "tol", "-1.0"),
    (
        "hessian_vector_product w",
        lambda: curvature.hessian_vector_product(Q, [1.0], [1.0, 1.0]),
        "w",
        "(1,)",
    ),
    (
        "hessian_vector_product v",
        lambda: curvature.hessian_vector_product(Q, W, [1.0, 1.0, 1.0]),
        "v",
        "(3,)",
    ),
    (
        "hessian_vector_product rel_step",
        lambda: curvature.hessian_vector_product(Q, W, [1.0, 0.0], "fd", rel_step=0.0),
        "rel_step",
        "0.0",
    ),
    (
        "hessian_top_eigenpair problem.dim",
        lambda: curvature.hessian_top_eigenpair(object(), W),
        "problem.dim",
        "None",
    ),
    (
        "hessian_top_eigenpair w",
        lambda: curvature.hessian_top_eigenpair(Q, [1.0, 2.0, 3.0]),
        "w",
        "(3,)",
    ),
    (
        "curvature_along_path every",
        lambda: curvature.curvature_along_path(Q, np.zeros((3, 2)), every=0),
        "every",
        "0",
    ),
]


@pytest.mark.parametrize(
    ("call", "name", "value"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_error_message_starts_with_the_argument_name(call, name, value):
    """Pins the argument named first in each check's message, and the bad value after it."""
    with pytest.raises(ValueError) as raised:
        call()
    message = str(raised.value)
    assert re.match(rf"{re.escape(name)} must ", message), message
    assert value in message, message
