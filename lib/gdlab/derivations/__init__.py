"""Checked derivations for Chapter 4: every step verified with SymPy, rendered for the book.

A derivation is data (:class:`Derivation`, a list of :class:`Step` s with justifications and
assumptions); :func:`check` verifies each step (equalities by simplification to zero,
inequalities by sign analysis on the assumed ranges, never by sampling) and :func:`render`
turns it into a Markdown table for a page (:func:`mutants` and :func:`counterexample` show that
the checker can fail: single changes to a step, and a point where a false step fails)::

    from gdlab.derivations import descent_lemma, render
    render(descent_lemma())

``render`` raises :class:`DerivationError` when a step does not hold, so a page that renders
a derivation stops building when the derivation stops checking.

The derivations, by chapter section (:func:`catalog` lists them in this order):

- 4.1 :func:`descent_lemma`, :func:`descent_range`, :func:`newton_step`
- 4.3 :func:`heavy_ball_velocity`, :func:`momentum_unrolled`, :func:`nesterov_equivalence`,
  :func:`heavy_ball_eigenbasis`, :func:`heavy_ball_rate`
- 4.4 :func:`quadratic_eigenbasis`, :func:`quadratic_convergence`, :func:`quadratic_rate`,
  :func:`quadratic_best_step`
- 4.5 :func:`adam_bias_correction`
- 4.6 :func:`gd_rate`, :func:`sgd_rate`, :func:`sgd_step_size`

:mod:`gdlab.derivations.errata` holds the chapter's claims that do not check, and their
corrections.
"""

from __future__ import annotations

from ._refute import counterexample
from .adaptive import adam_bias_correction
from .core import (
    Cases,
    Change,
    Derivation,
    DerivationError,
    Induction,
    Premise,
    Report,
    Step,
    StepsResult,
    check,
    check_step,
)
from .momentum import (
    heavy_ball_eigenbasis,
    heavy_ball_rate,
    heavy_ball_velocity,
    momentum_unrolled,
    nesterov_equivalence,
)
from .mutate import Mutant, mutants
from .quadratic import (
    quadratic_best_step,
    quadratic_convergence,
    quadratic_eigenbasis,
    quadratic_rate,
)
from .rates import gd_rate, sgd_rate, sgd_step_size
from .render import Rendered, render
from .taylor import descent_lemma, descent_range, newton_step

__all__ = [
    "Cases",
    "Change",
    "Derivation",
    "DerivationError",
    "Induction",
    "Mutant",
    "Premise",
    "Rendered",
    "Report",
    "Step",
    "StepsResult",
    "adam_bias_correction",
    "catalog",
    "check",
    "check_step",
    "counterexample",
    "descent_lemma",
    "descent_range",
    "gd_rate",
    "heavy_ball_eigenbasis",
    "heavy_ball_rate",
    "heavy_ball_velocity",
    "momentum_unrolled",
    "mutants",
    "nesterov_equivalence",
    "newton_step",
    "quadratic_best_step",
    "quadratic_convergence",
    "quadratic_eigenbasis",
    "quadratic_rate",
    "render",
    "sgd_rate",
    "sgd_step_size",
]

SECTIONS = {
    "4.1": "Understanding optimization via Taylor expansion",
    "4.3": "Accelerated gradient descent (momentum)",
    "4.4": "Convergence analysis: quadratic models",
    "4.5": "Popular optimizers",
    "4.6": "Convergence rates under smoothness",
}


def catalog(*, large: bool = True) -> list[Derivation]:
    """Every derivation of the chapter, in section order.

    ``large=False`` leaves out the 3×3 variants (the slowest to check), which repeat the 2×2
    ones in a larger dimension.
    """
    out = [
        descent_lemma(),
        descent_range(),
        newton_step(2),
        *([newton_step(3)] if large else []),
        heavy_ball_velocity(),
        momentum_unrolled(),
        nesterov_equivalence(),
        heavy_ball_eigenbasis(),
        heavy_ball_rate(),
        quadratic_eigenbasis(2),
        *([quadratic_eigenbasis(3)] if large else []),
        quadratic_convergence(),
        quadratic_rate(),
        quadratic_best_step(),
        adam_bias_correction(),
        gd_rate(),
        gd_rate("theorem"),
        sgd_rate(),
        sgd_step_size(),
    ]
    return out
