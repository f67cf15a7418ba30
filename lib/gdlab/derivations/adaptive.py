"""Section 4.5: Adam's bias correction."""

from __future__ import annotations

from functools import cache

import sympy as sp

from ._algebra import scalar_fn
from ._common import beta1, i, t
from .core import Derivation, Induction, Step, StepsResult

__all__ = ["adam_bias_correction"]

g_i = scalar_fn("g_i", "g_{@}")
m_seq = scalar_fn("m", "m_{@}")


@cache
def adam_bias_correction() -> Derivation:
    """``(1 - beta1) sum_{i=1}^t beta1^(t-i) = 1 - beta1^t``: why Adam divides ``m_t`` by ``1 -
    beta1^t``."""
    prev, s_prev = sp.Symbol("m_prev"), sp.Symbol("S_prev")
    g = sp.Symbol("g", real=True)
    weights = (1 - beta1) * sp.Sum(beta1 ** (t - i), (i, 1, t))
    steps = (
        Step(
            lhs=m_seq(t),
            rhs=(1 - beta1) * sp.Sum(beta1 ** (t - i) * g_i(i), (i, 1, t)),
            why=r"unroll $m_t = \beta_1 m_{t-1} + (1 - \beta_1) g_t$ (each coordinate; $m_0 = 0$)",
            induction=Induction(t, 1, prev, beta1 * prev + (1 - beta1) * g_i(t), 0),
        ),
        Step(
            lhs=weights,
            rhs=1 - beta1**t,
            why="the weights sum to $1 - \\beta_1^t$, not to 1",
            induction=Induction(t, 1, s_prev, beta1 * s_prev + (1 - beta1), 0, lhs_defined=False),
        ),
        Step(
            lhs=(1 - beta1) * sp.Sum(beta1 ** (t - i) * g, (i, 1, t)),
            rhs=(1 - beta1**t) * g,
            why=r"so with a constant gradient $g_i = g$, $m_t$ underestimates $g$ by the factor "
            r"$1 - \beta_1^t$",
            premises=(StepsResult(2, 2, multiplier=g),),
        ),
        Step(
            lhs=(1 - beta1) * sp.Sum(beta1 ** (t - i) * g, (i, 1, t)) / (1 - beta1**t),
            rhs=g,
            why=r"and the corrected $\hat m_t = m_t / (1 - \beta_1^t)$ is exact",
            premises=(StepsResult(3, 3, multiplier=1 / (1 - beta1**t)),),
        ),
    )
    return Derivation(
        key="adam-bias-correction",
        title="Adam's bias correction",
        source="Section 4.5, Adam",
        section="4.5",
        claim=r"$(1 - \beta_1)\sum_{i=1}^{t}\beta_1^{t-i} = 1 - \beta_1^t$; the same holds for "
        r"$v_t$ with $\beta_2$ and $g_i \odot g_i$",
        steps=steps,
        assume=(sp.Ge(t, 1), sp.Lt(beta1, 1)),
        names={prev: "m_{t-1}", s_prev: "S_{t-1}"},
        result=(2, 2),
    )
