"""Claims a page makes about its own data: asserted where they are made, listed once at its end.

A page states a fact ("the heavy ball's two forms agree to 1e-12") and must keep it true of the
numbers it computed. A :class:`Claims` ledger asserts each such statement in a hidden cell when it
is recorded, keeps the measured value, and renders every claim of the page in one collapsed "How
this page is checked" section at the end (:meth:`Claims.summary`). The table is generated from the
asserts themselves, so the list cannot drift from what is checked.

Numbers are checked two-sided where the page quotes a number (:meth:`Claims.close`,
:meth:`Claims.between`); one-sided checks (:meth:`Claims.below`, :meth:`Claims.above`) are for
statements that are themselves one-sided ("below 1e-12", "more than 1000x smaller").

Example
-------
>>> claims = Claims()
>>> claims.below("velocity and position forms agree (max |difference|)", 3e-16, 1e-12)
>>> claims.between("variance slope against B", -1.004, -1.05, -0.95)
>>> len(claims)
2
"""

from __future__ import annotations

import html
import math
import numbers
import re
from dataclasses import dataclass

import numpy as np

__all__ = ["Claim", "ClaimFailed", "Claims"]


class ClaimFailed(AssertionError):
    """A claim the page makes is false of the page's data; the message names claim and value."""


@dataclass(frozen=True)
class Claim:
    """One checked statement.

    Attributes
    ----------
    statement : str
        What the page says, in words (Markdown with ``$...$`` math allowed).
    measured : str
        The measured value, formatted.
    criterion : str
        What it was checked against ("< 1e-12", "in [0.95, 1.05]", "holds").
    """

    statement: str
    measured: str
    criterion: str


def _format(value) -> str:
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        value = float(value)
        if value == 0 or math.isinf(value) or math.isnan(value):
            return str(value)
        magnitude = abs(value)
        return f"{value:.3g}" if 1e-3 <= magnitude < 1e5 else f"{value:.2e}"
    return str(value)


_INLINE = re.compile(r"(\$[^$]+\$|`[^`]+`)")


def _statement_html(text: str) -> str:
    """HTML for a statement: ``$...$`` becomes Sphinx's inline-math span, backticks ``<code>``.

    Sphinx's MathJax typesets only ``\\(...\\)`` inside elements of class ``math`` (the page
    body is excluded), so raw ``$...$`` in an HTML output would stay raw on the site.
    """
    parts = []
    for piece in _INLINE.split(text):
        if len(piece) > 2 and piece[0] == piece[-1] == "$":
            parts.append(
                '<span class="math notranslate nohighlight">\\('
                + html.escape(piece[1:-1], quote=False)
                + "\\)</span>"
            )
        elif len(piece) > 2 and piece[0] == piece[-1] == "`":
            parts.append("<code>" + html.escape(piece[1:-1], quote=False) + "</code>")
        else:
            parts.append(html.escape(piece, quote=False))
    return "".join(parts)


def _real(name: str, value) -> float:
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {value!r}")
    return float(value)


class Claims:
    """The ledger of one page's claims; every method asserts before it records.

    Each method raises :class:`ClaimFailed` (an ``AssertionError``, so a page build with
    ``--warningiserror`` stops on it) whose message names the statement and the measured value.
    """

    def __init__(self):
        self._claims: list[Claim] = []

    def __len__(self) -> int:
        return len(self._claims)

    def __iter__(self):
        return iter(self._claims)

    def _record(self, statement: str, ok: bool, measured: str, criterion: str) -> None:
        if not isinstance(statement, str) or not statement.strip():
            raise ValueError(f"statement must be a non-empty string, got {statement!r}")
        if not ok:
            raise ClaimFailed(
                f"claim false: {statement}: measured {measured}, expected {criterion}"
            )
        self._claims.append(Claim(statement, measured, criterion))

    def holds(self, statement: str, condition, measured=None) -> None:
        """Record a statement whose truth is a boolean condition.

        Parameters
        ----------
        statement : str
            The statement, as the page makes it.
        condition : bool or array_like of bool
            True when the statement holds (an array must be true everywhere).
        measured : optional
            A value to show next to it (a count, a ratio); defaults to "holds".
        """
        ok = bool(np.all(condition))
        shown = "holds" if measured is None else _format(measured)
        self._record(statement, ok, shown if ok or measured is not None else "fails", "holds")

    def below(self, statement: str, measured, bound) -> None:
        """Record ``measured < bound`` (one-sided: for statements such as "agree to 1e-12")."""
        value, limit = _real("measured", measured), _real("bound", bound)
        self._record(statement, value < limit, _format(value), f"< {_format(limit)}")

    def above(self, statement: str, measured, bound) -> None:
        """Record ``measured > bound`` (one-sided: for statements such as "more than 1000x")."""
        value, limit = _real("measured", measured), _real("bound", bound)
        self._record(statement, value > limit, _format(value), f"> {_format(limit)}")

    def between(self, statement: str, measured, low, high) -> None:
        """Record ``low <= measured <= high``: the two-sided check of a quoted number."""
        value, lo, hi = _real("measured", measured), _real("low", low), _real("high", high)
        if not lo <= hi:
            raise ValueError(f"low must not exceed high, got low={lo}, high={hi}")
        ok = lo <= value <= hi
        self._record(statement, ok, _format(value), f"in [{_format(lo)}, {_format(hi)}]")

    def close(self, statement: str, measured, expected, *, rtol: float) -> None:
        """Record ``|measured - expected| <= rtol |expected|``: "about X" stated on the page."""
        value, target = _real("measured", measured), _real("expected", expected)
        rtol = _real("rtol", rtol)
        if not rtol > 0:
            raise ValueError(f"rtol must be positive, got {rtol}")
        ok = abs(value - target) <= rtol * abs(target)
        self._record(statement, ok, _format(value), f"{_format(target)} within {100 * rtol:.3g}%")

    def rows(self) -> list[tuple[str, str, str]]:
        """The claims as (statement, measured, criterion) rows, in the order they were made."""
        return [(c.statement, c.measured, c.criterion) for c in self._claims]

    def summary_html(self, title: str = "How this page is checked") -> str:
        """A collapsed ``<details>`` element holding the table of every claim.

        Statements are escaped; ``$...$`` math becomes an inline-math span (``\\(...\\)``, class
        ``math``) that the site's MathJax typesets, and backticks become ``<code>``.
        """
        if not self._claims:
            raise ValueError("no claims were recorded on this page")
        count = len(self._claims)
        cells = (
            (
                _statement_html(c.statement),
                html.escape(c.measured),
                html.escape(c.criterion),
            )
            for c in self._claims
        )
        body = "".join(f"<tr><td>{s}</td><td>{m}</td><td>{k}</td></tr>" for s, m, k in cells)
        return (
            f'<details class="gdlab-claims"><summary>{html.escape(title)} '
            f"({count} {'claim' if count == 1 else 'claims'}, all asserted when the page was "
            "built)</summary>"
            '<table class="gdlab-claims-table"><caption>Each statement this page makes about '
            "its own runs, the value measured when the page was executed, and what it was "
            'checked against.</caption><thead><tr><th scope="col">statement</th>'
            '<th scope="col">measured</th><th scope="col">checked against</th></tr></thead>'
            f"<tbody>{body}</tbody></table></details>"
        )

    def summary(self, title: str = "How this page is checked"):
        """The summary as an IPython HTML object, for the last (``remove-input``) cell of a page."""
        from IPython.display import HTML

        return HTML(self.summary_html(title))
