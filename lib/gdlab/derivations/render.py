"""Render a checked derivation as a Markdown table with MathJax-ready ``$...$`` math.

``render(d)`` returns a :class:`Rendered`, which Jupyter and MyST-NB display as Markdown
(``_repr_markdown_``). In the book, ``_config.yml`` sets ``nb_render_markdown_format: myst``, so
MyST parses the output and its ``$...$`` become math nodes typeset by the site's MathJax (a
single page can set ``render_markdown_format: myst`` under ``mystnb`` in its front matter).
A derivation with a step that does not hold raises :class:`DerivationError` (the page build
then fails) unless ``allow_failures=True``, used to show a claim that does not check.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ._algebra import SolutionSet
from .core import (
    Derivation,
    DerivationError,
    Premise,
    Report,
    StepsResult,
    check,
    default_result,
)

__all__ = ["Rendered", "render"]

_REL_TEX = {"=": "=", "<=": r"\le", "<": "<", ">=": r"\ge", ">": ">"}
_SET_TEX = {
    "=": "=",
    "<=": r"\subseteq",
    "<": r"\subsetneq",
    ">=": r"\supseteq",
    ">": r"\supsetneq",
}


@dataclass(frozen=True)
class Rendered:
    """A rendered derivation: Markdown for the page, and the report it came from."""

    markdown: str
    report: Report

    @property
    def ok(self) -> bool:
        return self.report.ok

    def _repr_markdown_(self) -> str:
        return self.markdown

    def __repr__(self) -> str:
        return str(self.report)


def _rel_tex(d: Derivation, rel: str, lhs, rhs) -> str:
    is_set = isinstance(lhs, (SolutionSet, sp.Set)) or isinstance(rhs, (SolutionSet, sp.Set))
    return (_SET_TEX if is_set else _REL_TEX)[rel]


def _assumption_tex(d: Derivation, rel) -> str:
    return f"${d.tex(rel)}$"


def _cell(text: str) -> str:
    if "|" in text:
        raise ValueError(f"a table cell may not contain '|': {text}")
    return text.replace("\n", " ")


def _because(d: Derivation, index: int) -> str:
    step = d.steps[index - 1]
    parts = [step.why]
    for p in step.premises:
        if isinstance(p, StepsResult):
            span = f"step {p.first}" if p.first == p.last else f"steps {p.first}–{p.last}"
            extra = []
            if p.expect:
                extra.append("taken in $\\mathbb{E}_t$")
            if p.summed is not None:
                var, lo, hi = p.summed
                extra.append(f"summed over ${d.tex(var)} = {d.tex(lo)}, \\dots, {d.tex(hi)}$")
            if p.multiplier != 1:
                extra.append(f"times ${d.tex(p.multiplier)}$")
            text = f"{span} " + ", ".join(extra) if extra else span
            parts.append(f"({p.label + ': ' if p.label else ''}{text})")
        elif isinstance(p, Premise) and p.label and p.label not in step.why:
            parts.append(f"({p.label})")
    if step.induction is not None:
        ind = step.induction
        rule = f"${d.tex(step.induction.prev)} \\mapsto {d.tex(ind.rule)}$"
        parts.append(
            f"(induction on ${d.tex(ind.var)} \\ge {d.tex(ind.start)}$, rule {rule}, "
            f"starting from ${d.tex(ind.initial)}$)"
        )
    if step.cases is not None:
        c = step.cases
        parts.append(
            f"(cases ${d.tex(c.var)} \\le {d.tex(c.at)}$ and ${d.tex(c.var)} \\ge {d.tex(c.at)}$)"
        )
    if step.change is not None:
        c = step.change
        parts.append(f"(substituting ${d.tex(c.old)} = {d.tex(c.new)}$, ${d.tex(c.var)} > 0$)")
    if step.assume:
        parts.append("; assuming " + ", ".join(_assumption_tex(d, a) for a in step.assume))
    return " ".join(parts).replace(" ; ", "; ")


def _mark(report: Report, index: int) -> str:
    r = report.steps[index - 1]
    if r.ok:
        return f"*checked: {r.how}*"
    residual = r.residual
    shown = ""
    if (
        residual is not None
        and not isinstance(residual, bool)
        and residual not in (sp.true, sp.false)
    ):
        try:
            shown = f"; residual ${report.derivation.tex(residual)}$"
        except Exception:  # noqa: BLE001 - a residual that cannot be printed is still a failure
            shown = ""
    point = ""
    if r.counterexample:
        items = [
            f"{k} = {_short(v)}"
            for k, v in r.counterexample.items()
            if k not in ("obligation", "value", "reason")
        ]
        if items:
            point = "; false at " + ", ".join(items)
    return f"**does not hold** ({', '.join(r.failed) or r.error}){shown}{point}"


def _short(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}"
    return str(v)


def render(
    d: Derivation,
    *,
    allow_failures: bool = False,
    title: bool = False,
    summary: str | None = None,
) -> Rendered:
    """Check ``d`` and render it as a Markdown table (see the module docstring).

    Parameters
    ----------
    d : Derivation
        The derivation to check and show.
    allow_failures : bool
        Show a derivation with a failing step instead of raising :class:`DerivationError`.
    title : bool
        Start with the derivation's title and source.
    summary : str, optional
        Collapse the table into a dropdown whose visible title is ``summary``; it should say what
        the derivation proves ("Heavy ball: the two forms are the same recurrence"). Section pages
        show derivations collapsed; the derivations page shows them open.

    Returns
    -------
    Rendered
        The Markdown (MyST, parsed by MyST-NB) and the report it came from.
    """
    if summary is not None and (not isinstance(summary, str) or not summary.strip()):
        raise ValueError(f"summary must be a non-empty string, got {summary!r}")
    if summary is not None and "\n" in summary:
        raise ValueError(f"summary must be one line, got {summary!r}")
    report = check(d)
    if not report.ok and not allow_failures:
        raise DerivationError(str(report))
    lines = []
    if title:
        lines.append(f"**{d.title}** ({d.source})")
        lines.append("")
    if d.assume:
        lines.append("Assumptions: " + ", ".join(_assumption_tex(d, a) for a in d.assume) + ".")
    if d.where:
        defs = ", ".join(f"${d.tex(a)} = {d.tex(b)}$" for a, b in d.where)
        lines.append(("" if not d.assume else "") + f"Where {defs}.")
    if d.assume or d.where:
        lines.append("")
    # Two columns: the step's number and mark, then the step with its reason and how it was
    # checked on a line below it. The formulas are wide; a column beside them would be pushed
    # out of view on a book page.
    lines.append("| | step, because |")
    lines.append("|:-:|:--|")
    for k, step in enumerate(d.steps, start=1):
        lhs = d.lhs_of(k)
        rel = _rel_tex(d, step.rel, lhs, step.rhs)
        left = "" if step.lhs is None else d.tex(lhs) + " "
        claim = f"${left}{rel} {d.tex(step.rhs)}$"
        verdict = "✓" if report.steps[k - 1].ok else "✗"
        row = [f"{k}&nbsp;{verdict}", f"{claim}<br>{_because(d, k)} — {_mark(report, k)}"]
        lines.append("| " + " | ".join(_cell(c) for c in row) + " |")
    lines.append("")
    first, last = default_result(d)
    if report.result is not None:
        lhs, rel, rhs = report.result
        verdict = "verified" if report.ok else "**not verified**"
        span = f"step {first}" if first == last else f"steps {first}–{last}"
        lines.append(
            f"**Result** ({span}, {verdict}): "
            f"${d.tex(lhs)} {_rel_tex(d, rel, lhs, rhs)} {d.tex(rhs)}$."
        )
    elif report.result_error:
        lines.append(f"**Result:** {report.result_error}")
    markdown = "\n".join(lines) + "\n"
    if summary is not None:
        fence = "`" * 5  # longer than any fence the table could hold
        markdown = f"{fence}{{dropdown}} {summary}\n{markdown}{fence}\n"
    return Rendered(markdown, report)


__all__ += ["DerivationError"]
