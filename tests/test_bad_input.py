"""Bad input across gdlab: a ValueError that names the argument and shows its value.

The project rule (issue 2, point 7): bad input never gives a silent wrong answer or a crash deep
inside numpy. Each case below calls a public function with one bad argument and checks that the
message names that argument and shows the bad value. Many of these calls used to return a wrong
number (a negative bound, ``inf``, a NaN eigenvalue) or crash with an AttributeError,
ZeroDivisionError or a numpy reduction error; the comment on each group says which.

The second half runs every optimizer into divergence: that is not an error, and it must not
flood the output with floating-point warnings.
"""

from __future__ import annotations

import math
import warnings

import matplotlib
import numpy as np
import pytest

from gdlab import (
    costs,
    curvature,
    experiments,
    momentum,
    nets,
    optim,
    plotting,
    problems,
    rates,
    schedules,
    stochastic,
    taylor,
    theory,
    tuning,
    widgets,
)

matplotlib.use("Agg")

NAN = float("nan")
QUAD = problems.Quadratic([1.0, 10.0], angle=0.3)
DATA = problems.LeastSquares(n=20, d=3, seed=0)
RNG = np.random.default_rng(0)


def _run(lr=0.1, steps=3):
    return optim.run(optim.GD(lr), QUAD, [1.0, 2.0], steps)


def _diagonal_matvec(v):
    return np.array([1.0, 3.0]) * v


class GradientOfWrongShape:
    """A hand-written problem whose gradient has the wrong length (a typical user bug)."""

    dim = 2

    def value(self, w):
        return float(w @ w)

    def grad(self, w):
        return np.ones(3)


class HessianOfWrongShape(GradientOfWrongShape):
    def grad(self, w):
        return 2.0 * np.asarray(w)

    def hess(self, w):
        return np.eye(3)


# (id, call, argument named in the message, text of the bad value shown in the message)
CASES = [
    # -- the project rule's own examples (already right; kept so they stay right) --------------
    ("GD lr=0", lambda: optim.GD(0), "lr", "0"),
    ("Adam lr=-0.1", lambda: optim.Adam(-0.1), "lr", "-0.1"),
    ("GD lr=nan", lambda: optim.GD(NAN), "lr", "nan"),
    ("GD lr='0.1'", lambda: optim.GD("0.1"), "lr", "'0.1'"),
    ("HeavyBall beta=1", lambda: optim.HeavyBall(0.1, beta=1.0), "beta", "1.0"),
    ("Nesterov beta=-0.1", lambda: optim.Nesterov(0.1, beta=-0.1), "beta", "-0.1"),
    ("Adam beta2=1", lambda: optim.Adam(0.1, beta2=1.0), "beta2", "1.0"),
    ("Lion beta1=1.5", lambda: optim.Lion(0.1, beta1=1.5), "beta1", "1.5"),
    ("RMSprop gamma=1", lambda: optim.RMSprop(0.1, gamma=1.0), "gamma", "1.0"),
    ("Adam eps<0", lambda: optim.Adam(0.1, eps=-1e-8), "eps", "-1e-08"),
    ("AdaGrad eps<0", lambda: optim.AdaGrad(0.1, eps=-1.0), "eps", "-1.0"),
    ("SGD batch_size=0", lambda: optim.SGD(0.1, 0), "batch_size", "0"),
    ("SGD batch_size=2.5", lambda: optim.SGD(0.1, 2.5), "batch_size", "2.5"),
    ("run w0 wrong shape", lambda: optim.run(optim.GD(0.1), QUAD, [1, 2, 3], 5), "w0", "(3,)"),
    ("run w0 NaN", lambda: optim.run(optim.GD(0.1), QUAD, [1.0, NAN], 5), "w0", "nan"),
    ("run steps=-1", lambda: optim.run(optim.GD(0.1), QUAD, [1, 2], -1), "steps", "-1"),
    ("run steps=2.5", lambda: optim.run(optim.GD(0.1), QUAD, [1, 2], 2.5), "steps", "2.5"),
    (
        "Quadratic non-symmetric",
        lambda: problems.Quadratic.from_matrix([[1.0, 2.0], [0.0, 1.0]]),
        "A",
        "[[1. 2.]",
    ),
    (
        "Quadratic non-square",
        lambda: problems.Quadratic.from_matrix(np.ones((2, 3))),
        "A",
        "(2, 3)",
    ),
    (
        "LeastSquares NaN in X",
        lambda: problems.LeastSquares(np.array([[1.0, NAN]]), np.array([1.0])),
        "X",
        "nan",
    ),
    ("LeastSquares d=0", lambda: problems.LeastSquares(n=5, d=0), "d", "0"),
    (
        "stochastic_grad batch > n without replacement",
        lambda: DATA.stochastic_grad(np.zeros(3), 21, RNG, replace=False),
        "batch_size",
        "21",
    ),
    ("Cosine T=0", lambda: schedules.Cosine(1.0, 0), "T", "0"),
    ("Cosine T=-3", lambda: schedules.Cosine(1.0, -3), "T", "-3"),
    ("Cosine lr_min > lr_max", lambda: schedules.Cosine(0.1, 10, lr_min=1.0), "lr_min", "1.0"),
    ("optimal_gd_rate kappa<1", lambda: rates.optimal_gd_rate(0.5), "kappa", "0.5"),
    # -- used to crash with AttributeError inside the library ----------------------------------
    (
        "GD batch_size on a problem without stochastic_grad",
        lambda: optim.run(optim.GD(0.1, batch_size=2), QUAD, [1.0, 2.0], 2),
        "batch_size",
        "2",
    ),
    ("run problem=None", lambda: optim.run(optim.GD(0.1), None, [1, 2], 3), "problem", "None"),
    ("descent_check trace=None", lambda: taylor.descent_check(None, 1.0), "trace", "None"),
    ("gd_guarantee trace=None", lambda: theory.gd_guarantee(None, 1.0), "trace", "None"),
    ("final_gap trace=None", lambda: tuning.final_gap(None), "trace", "None"),
    ("effective_lrs trace=None", lambda: tuning.effective_lrs(None, QUAD), "trace", "None"),
    ("eos_statistics run=None", lambda: experiments.eos_statistics(None), "run", "None"),
    ("suboptimality trace=None", lambda: plotting.suboptimality(None), "trace", "None"),
    # -- used to crash with ZeroDivisionError / a numpy error ----------------------------------
    ("preset_settings kappa=0", lambda: widgets.preset_settings("momentum", kappa=0), "kappa", "0"),
    (
        "edge_of_stability flow_lr=0",
        lambda: experiments.edge_of_stability(lrs=[0.1], steps=5, flow_lr=0),
        "flow_lr",
        "0",
    ),
    (
        "edge_of_stability jobs=0",
        lambda: experiments.edge_of_stability(lrs=[0.1], steps=5, flow_lr=None, jobs=0),
        "jobs",
        "0",
    ),
    ("gd_rate empty eigenvalues", lambda: rates.gd_rate([], 0.1), "eigenvalues", "(0,)"),
    (
        "lanczos matvec of wrong shape",
        lambda: curvature.lanczos(lambda v: np.ones(3), 2),
        "matvec",
        "(3,)",
    ),
    ("lanczos matvec not callable", lambda: curvature.lanczos(3, 2), "matvec", "3"),
    (
        "second_order_model_grid xlim of one number",
        lambda: taylor.second_order_model_grid(QUAD, [1, 2], (1,), (-1, 1)),
        "xlim",
        "(1,)",
    ),
    (
        "sgd_guarantee seeds=2 (not a sequence)",
        lambda: theory.sgd_guarantee(DATA, np.zeros(3), 1.0, 1.0, 1.0, [5], 2),
        "seeds",
        "2",
    ),
    (
        "lr_sweep make_optimizer=3",
        lambda: tuning.lr_sweep(3, QUAD, [1, 2], 5, [0.1]),
        "make_optimizer",
        "3",
    ),
    (
        "contours_with_paths one label too many",
        lambda: plotting.contours_with_paths(QUAD, [_run()], labels=["a", "b"]),
        "labels",
        "['a', 'b']",
    ),
    # -- used to crash inside numpy ("operands could not be broadcast together") --------------
    *[
        (
            f"{name} on a problem whose grad has the wrong shape",
            lambda make=make: optim.run(make(), GradientOfWrongShape(), [1.0, 2.0], 3),
            "problem.grad(w)",
            "(3,)",
        )
        for name, make in [
            ("GD", lambda: optim.GD(0.1)),
            ("Nesterov", lambda: optim.Nesterov(0.1)),
            ("Adam", lambda: optim.Adam(0.1)),
            ("Lion", lambda: optim.Lion(0.1)),
            ("NesterovPositionForm", lambda: momentum.NesterovPositionForm(0.1)),
        ]
    ],
    (
        "Newton on a problem whose hess has the wrong shape",
        lambda: optim.run(optim.Newton(), HessianOfWrongShape(), [1.0, 2.0], 3),
        "problem.hess(w)",
        "(3, 3)",
    ),
    # -- used to return a silently wrong answer --------------------------------------------------
    ("optimal_gd_lr mu > L", lambda: rates.optimal_gd_lr(1.0, 2.0), "mu", "2.0"),
    ("gd_factors empty eigenvalues", lambda: rates.gd_factors([], 0.1), "eigenvalues", "(0,)"),
    ("gd_bound M<0 (negative bound)", lambda: theory.gd_bound(-1.0, 1.0, 10), "M", "-1.0"),
    ("gd_bound T=0 (inf)", lambda: theory.gd_bound(1.0, 1.0, 0), "T", "0"),
    ("gd_bound T=[0, 1]", lambda: theory.gd_bound(1.0, 1.0, [0, 1]), "T", "[0, 1]"),
    ("gd_bound T=-2 (negative bound)", lambda: theory.gd_bound(1.0, 1.0, -2), "T", "-2"),
    ("sgd_bound T=0 (inf)", lambda: theory.sgd_bound(1.0, 1.0, 1.0, 0), "T", "0"),
    (
        "guaranteed_decrease grad_norm<0",
        lambda: taylor.guaranteed_decrease(-1.0, 0.1, 1.0),
        "grad_norm",
        "-1.0",
    ),
    ("loglog_slope constant x (nan)", lambda: costs.loglog_slope([2, 2], [1, 3]), "x", "[2. 2.]"),
    (
        "empirical_variance no samples (nan)",
        lambda: stochastic.empirical_variance(np.ones((0, 2)), np.ones(2)),
        "samples",
        "(0, 2)",
    ),
    (
        "anisotropic_least_squares n < d (rank deficient)",
        lambda: stochastic.anisotropic_least_squares(2, 5),
        "n",
        "n=2",
    ),
    (
        "final_gap optimal_value=nan",
        lambda: tuning.final_gap(_run(), optimal_value=NAN),
        "optimal_value",
        "nan",
    ),
    (
        "hvp_operator w of wrong shape (failed later)",
        lambda: curvature.hvp_operator(QUAD, [1, 2, 3]),
        "w",
        "(3,)",
    ),
    (
        "lanczos matvec returning NaN (nan eigenvalue)",
        lambda: curvature.lanczos(lambda v: v * NAN, 2),
        "matvec",
        "nan",
    ),
    (
        "power_iteration matvec returning NaN",
        lambda: curvature.power_iteration(lambda v: v * NAN, 2),
        "matvec",
        "nan",
    ),
    (
        "curvature_along_path iterates of wrong width (named w)",
        lambda: curvature.curvature_along_path(QUAD, [[1.0, 2.0, 3.0]]),
        "iterates",
        "(1, 3)",
    ),
    (
        "MSELoss no examples",
        lambda: nets.MSELoss(
            nets.TanhMLP(2, 1, width=3, depth=1), np.ones((0, 2)), np.ones((0, 1))
        ),
        "X",
        "(0, 2)",
    ),
    (
        "edge_of_stability nothing to run",
        lambda: experiments.edge_of_stability(lrs=[], steps=5, flow_lr=None),
        "lrs",
        "flow_lr is None",
    ),
    ("plot_range no points", lambda: plotting.plot_range(), "point_sets", "none"),
    (
        "plot_range margin<0",
        lambda: plotting.plot_range([[0, 0], [1, 1]], margin=-1),
        "margin",
        "-1",
    ),
    ("contours xlim reversed", lambda: plotting.contours(QUAD, xlim=(1, -1)), "xlim", "(1, -1)"),
    ("rate_line start=0", lambda: plotting.rate_line(0.5, 10, start=0), "start", "0"),
    ("Explorer unknown setting", lambda: widgets.Explorer(bogus=1), "bogus", "bogus=1"),
    # -- used to raise, but named the wrong argument or no value ---------------------------------
    (
        "gradient_lipschitz_ratios equal points",
        lambda: taylor.gradient_lipschitz_ratios(QUAD, [[1, 2]], [[1, 2]]),
        "points_a[0]",
        "[1. 2.]",
    ),
    ("lanczos v0 = 0", lambda: curvature.lanczos(_diagonal_matvec, 2, v0=[0, 0]), "v0", "[0. 0.]"),
    (
        "trajectory of 3-D points",
        lambda: plotting.trajectory(np.zeros((2, 3))),
        "trace_or_points",
        "(2, 3)",
    ),
    ("harmonic_sum negative term", lambda: theory.harmonic_sum([1.0, -1.0]), "a", "-1."),
]


@pytest.mark.parametrize(
    ("call", "argument", "value"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_bad_input_raises_value_error_naming_argument_and_value(call, argument, value):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy RuntimeWarning on the way to the error
        with pytest.raises(ValueError) as raised:
            call()
    message = str(raised.value)
    assert argument in message, message
    assert value in message, message


def test_every_bad_value_message_is_distinct_from_a_numpy_one():
    """No case's message is one of numpy's (they would not name the caller's argument)."""
    numpy_phrases = ("zero-size array", "operands could not be broadcast", "matmul:", "unpack")
    for name, call, _, _ in CASES:
        with pytest.raises(ValueError) as raised:
            call()
        assert not any(phrase in str(raised.value) for phrase in numpy_phrases), name


def test_lists_are_accepted_where_arrays_are_expected():
    as_list = optim.run(optim.GD(0.1), QUAD, [1.0, 2.0], 4)
    as_array = optim.run(optim.GD(0.1), QUAD, np.array([1.0, 2.0]), 4)
    np.testing.assert_array_equal(as_list.iterates, as_array.iterates)
    assert rates.gd_rate([1.0, 10.0], 0.1) == pytest.approx(0.9)  # max(|1 - 0.1|, |1 - 1|)
    np.testing.assert_allclose(stochastic.clip_by_norm([3.0, 4.0], 1.0), [0.6, 0.8])
    ls = problems.LeastSquares([[1.0, 0.0], [0.0, 2.0]], [1.0, 2.0])
    np.testing.assert_allclose(ls.minimizer, [1.0, 1.0])


def test_a_run_that_ends_at_a_non_finite_hessian_product_keeps_its_earlier_curvatures():
    """``curvature_along_path`` stops at a point whose Hessian-vector products overflow.

    Rosenbrock's Hessian has ``1200 x^2``: at ``x = 1e160`` the product is inf, a point a
    diverged run reaches. The path keeps the estimates before it instead of raising.
    """
    rosenbrock = problems.Rosenbrock()
    iterates = np.array([[0.0, 0.0], [1.0, 1.0], [1e160, 0.0], [1.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the overflow inside the product
        path = curvature.curvature_along_path(rosenbrock, iterates)
    np.testing.assert_array_equal(path.steps, [0, 1])
    # at (1, 1): Hessian [[802, -400], [-400, 200]], top eigenvalue 501 + sqrt(301^2 + 400^2)
    assert path.eigenvalues[1] == pytest.approx(501 + math.hypot(301, 400), rel=1e-4)


# -- divergence is not an error -------------------------------------------------------------------

HUGE = 1e300  # every method's first step overshoots to |w| ~ 1e300, so f overflows


def _optimizers():
    return {
        "GD": optim.GD(HUGE),
        "SGD": optim.SGD(HUGE, batch_size=5, seed=0),
        "HeavyBall": optim.HeavyBall(HUGE),
        "Nesterov": optim.Nesterov(HUGE),
        "Newton": optim.Newton(lr=HUGE),
        "AdaGrad": optim.AdaGrad(HUGE),
        "AdaGradNorm": optim.AdaGradNorm(HUGE),
        "DelayedAdaGrad": optim.DelayedAdaGrad(HUGE, sigma2=1.0),
        "RMSprop": optim.RMSprop(HUGE),
        "Adam": optim.Adam(HUGE),
        "AdamW": optim.AdamW(HUGE),
        "Lion": optim.Lion(HUGE),
        "HeavyBallPositionForm": momentum.HeavyBallPositionForm(HUGE),
        "NesterovPositionForm": momentum.NesterovPositionForm(HUGE),
    }


_DIVERGING_RUNS = [
    pytest.param(name, problem, id=f"{name}-{label}")
    for name in _optimizers()
    for problem, label in ((QUAD, "quadratic"), (DATA, "least_squares"))
    if not (name == "SGD" and problem is QUAD)  # SGD needs a finite sum
]


@pytest.mark.parametrize(("name", "problem"), _DIVERGING_RUNS)
def test_every_optimizer_diverges_into_the_trace_without_warnings(name, problem):
    optimizer = _optimizers()[name]
    w0 = np.ones(problem.dim)
    steps = 50
    with warnings.catch_warnings(), np.errstate(all="warn"):
        warnings.simplefilter("error")  # any floating-point warning fails the test
        trace = optim.run(optimizer, problem, w0, steps)
    assert trace.iterates.shape == (steps + 1, problem.dim)
    assert trace.values.shape == (steps + 1,) and trace.grad_norms.shape == (steps + 1,)
    k = trace.diverged
    assert k is not None and 1 <= k <= steps, f"{name} did not blow up: {trace!r}"
    assert np.isfinite(trace.values[:k]).all()
    assert not np.isfinite(trace.values[k])  # the blow-up is in the trace, as inf or NaN
