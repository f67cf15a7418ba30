"""Parts, verdicts and the judging helpers shared by the three exercises.

A :class:`Part` is one auto-graded question: the name the answer has in the notebook, how
to draw inputs (``cases``) from a random generator, and a ``judge`` that decides, in the
grader's process, from plain data only. The same part serves the instant ``check()`` in
Jupyter and the batch grader; only who calls the student's function differs.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import sympy

from gdlab.grading import exprtree


class Fail(Exception):
    """Raised by a judge: the answer is wrong; the message says how, for the student.

    ``case`` is the index of the failing case in the judge's list, when there is one: the
    instant check then tells the student how to get that input back
    (:func:`gdlab.grading.inputs`).
    """

    def __init__(self, message: str, case: int | None = None):
        super().__init__(message)
        self.case = case


@contextlib.contextmanager
def at_case(index: int):
    """Mark a :class:`Fail` raised inside as about the judge's case ``index``."""
    try:
        yield
    except Fail as failure:
        if failure.case is None:
            failure.case = index
        raise


@dataclass(frozen=True)
class Verdict:
    """The outcome of one part: ``status`` is ``pass``, ``fail`` or ``not_attempted``."""

    part: str
    status: str
    message: str = ""
    points: float = 0.0
    max_points: float = 1.0
    case: int | None = None  # index of the failing case (instant check: ``inputs(part)[case]``)

    @property
    def passed(self) -> bool:
        return self.status == "pass"


@dataclass(frozen=True)
class Part:
    """One auto-graded question.

    ``kind`` is ``"function"`` (the grader calls it on inputs from ``cases(rng)``) or
    ``"value"`` (a number or SymPy expression bound to ``answer``). ``judge(cases, answers)``
    receives the grader's own cases and the decoded answers, and raises :class:`Fail`.
    """

    id: str
    answer: str
    kind: str
    title: str
    hint: str
    judge: Callable
    cases: Callable[[np.random.Generator], list[dict]] = field(default=lambda rng: [])
    points: float = 1.0
    symbols: tuple[str, ...] = ()


@dataclass(frozen=True)
class Exercise:
    """A notebook: its problem number, its page, and its parts in order."""

    name: str
    problem: str
    parts: tuple[Part, ...]

    @property
    def max_points(self) -> float:
        return sum(p.points for p in self.parts)


# -- decoding answers (plain data -> numpy / sympy, validated) ------------------------------------


def describe(encoded: dict) -> str:
    """A short description of an answer that is not what was asked for."""
    kind = encoded.get("t") if isinstance(encoded, dict) else None
    if kind == "error":
        return f"raised {encoded.get('type', '?')}: {encoded.get('msg', '')}"
    if kind == "none":
        if encoded.get("printed"):
            return "printed something and returned None (return the value instead of printing it)"
        return "returned None"
    if kind == "bool":
        return "returned a bool"
    if kind == "num":
        return f"returned the number {encoded.get('v')}"
    if kind == "array":
        return f"returned an array of shape {tuple(encoded.get('shape', ()))}"
    if kind == "tuple":
        return f"returned a tuple of {len(encoded.get('v', []))} items"
    if kind == "expr":
        return "returned a SymPy expression"
    if kind == "timeout":
        return "did not finish in time"
    return f"returned {encoded.get('type', 'something else')!s:.80}"


def _float(x) -> float:
    if isinstance(x, bool):
        raise Fail("a bool where a number was expected")
    if isinstance(x, int | float):
        return float(x)
    if x in ("nan", "inf", "-inf"):
        return float(x)
    raise Fail("malformed number")


def as_array(encoded: dict, shape: tuple[int, ...] | None = None, what: str = "it") -> np.ndarray:
    """A finite float64 array from an encoded answer, or :class:`Fail` saying what is wrong."""
    if not isinstance(encoded, dict) or encoded.get("t") not in ("array", "num"):
        raise Fail(f"{what} should be a numpy array, but {describe(encoded)}")
    if encoded["t"] == "num":
        array = np.array(_float(encoded["v"]))
    else:
        dims = encoded.get("shape")
        data = encoded.get("v")
        if (
            not isinstance(dims, list)
            or not all(isinstance(n, int) and n >= 0 for n in dims)
            or not isinstance(data, list)
            or math.prod(dims) != len(data)
        ):
            raise Fail("malformed array data")
        array = np.array([_float(x) for x in data], dtype=np.float64).reshape(dims)
    if shape is not None and array.shape != shape:
        raise Fail(f"{what} should have shape {shape}, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise Fail(f"{what} contains NaN or inf: {short(array)}")
    return array


def as_number(encoded: dict, what: str = "it") -> float:
    """A finite float from an encoded number (or 0-d / 1-element array, or a numeric expression)."""
    if isinstance(encoded, dict) and encoded.get("t") == "expr":
        expr = as_expr(encoded, {})
        try:
            return float(exprtree.evaluate(expr, {}))
        except exprtree.EvalError as error:
            raise Fail(f"{what}: {error}") from None
    if isinstance(encoded, dict) and encoded.get("t") == "array":
        array = as_array(encoded, what=what)
        if array.size != 1:
            raise Fail(f"{what} should be a single number, got shape {array.shape}")
        return float(array.ravel()[0])
    if not isinstance(encoded, dict) or encoded.get("t") != "num":
        raise Fail(f"{what} should be a number, but {describe(encoded)}")
    value = _float(encoded["v"])
    if not math.isfinite(value):
        raise Fail(f"{what} is {value}, not a finite number")
    return value


def as_tuple(encoded: dict, length: int, what: str = "it") -> list[dict]:
    """The items of an encoded tuple of the given length."""
    if not isinstance(encoded, dict) or encoded.get("t") != "tuple":
        raise Fail(f"{what} should be a tuple of {length} items, but {describe(encoded)}")
    items = encoded.get("v")
    if not isinstance(items, list) or len(items) != length:
        raise Fail(f"{what} should be a tuple of {length} items")
    return items


def as_expr(encoded: dict, symbols: dict[str, sympy.Symbol]) -> sympy.Expr:
    """A SymPy expression rebuilt by :func:`exprtree.rebuild`, or :class:`Fail`.

    A plain number is accepted as a constant expression.
    """
    if isinstance(encoded, dict) and encoded.get("t") == "num":
        value = _float(encoded["v"])
        if not math.isfinite(value):
            raise Fail(f"the answer is {value}")
        return sympy.Float(value)
    if not isinstance(encoded, dict) or encoded.get("t") != "expr":
        raise Fail(f"the answer should be a SymPy expression, but it {describe(encoded)}")
    try:
        return exprtree.rebuild(encoded.get("v"), symbols)
    except exprtree.ExprError as error:
        raise Fail(str(error)) from None


def short(value, limit: int = 120) -> str:
    """A value shown in feedback, compactly."""
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=4, threshold=8, max_line_width=limit)
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def close(actual: np.ndarray, expected: np.ndarray, rtol: float = 1e-7, atol: float = 1e-9):
    """True when two arrays agree to the tolerances."""
    return actual.shape == expected.shape and bool(
        np.allclose(actual, expected, rtol=rtol, atol=atol)
    )


def symbols_for(names: tuple[str, ...]) -> dict[str, sympy.Symbol]:
    """The grader's symbols: every answer variable is a positive real."""
    return {name: sympy.Symbol(name, positive=True) for name in names}


def sample_points(symbols: dict[str, sympy.Symbol], rng, points: int = 24) -> list[dict]:
    """Positive points at which to compare expressions: moderate values, then many scales.

    The symbols range over 1e-30 .. 1e30 independently, so that a cap such as ``Min(x, 20)``
    or a term that matters only for huge or tiny values cannot pass unnoticed.
    """
    found = []
    for k in range(points):
        if k < 4:
            values = {s: float(rng.uniform(0.3, 4.0)) for s in symbols.values()}
        else:
            values = {s: float(10 ** rng.uniform(-30, 30)) for s in symbols.values()}
        found.append({s: sympy.Float(v, 30) for s, v in values.items()})
    return found


def first_difference(expr: sympy.Expr, expected: sympy.Expr, symbols, rng, points: int = 24):
    """The first sample point where two expressions differ (relative 1e-12), or None.

    Returns ``(point, value, expected_value)``; ``value`` is None where ``expr`` cannot be
    evaluated.
    """
    for values in sample_points(symbols, rng, points):
        b = exprtree.evaluate(expected, values)
        try:
            a = exprtree.evaluate(expr, values)
        except exprtree.EvalError:
            return values, None, b
        if abs(a - b) > 1e-12 * max(abs(b), 1e-300):
            return values, a, b
    return None


def same_expression(expr: sympy.Expr, expected: sympy.Expr, symbols, rng, points: int = 24):
    """True when two expressions agree (relative 1e-12) at random positive points."""
    return first_difference(expr, expected, symbols, rng, points) is None


def point_note(point: dict) -> str:
    """A sample point for the student: ``epsilon = 2.5e+07, g_norm = 0.31``."""
    return ", ".join(f"{s} = {float(v):.3g}" for s, v in point.items())


def literal(value, limit: int = 16) -> str | None:
    """Python source that rebuilds an input exactly, or None when it is too large to show."""
    if isinstance(value, np.ndarray):
        if value.size > limit:
            return None
        return f"np.array({value.tolist()!r})"
    if isinstance(value, float | int) and not isinstance(value, bool):
        return repr(value)
    return None


def compare_number(
    value: float, expected: float, what: str, where: str = "", rtol: float = 1e-6, close=1e-3
) -> None:
    """:class:`Fail` unless ``value`` is within ``rtol`` (relative) of ``expected``.

    The message says too large or too small; an answer within ``close`` (relative) is told
    to give more digits or the exact value. It never shows ``expected``.
    """
    scale = max(abs(expected), 1e-300)
    error = abs(value - expected) / scale
    if error <= rtol:
        return
    prefix = f"{where} " if where else ""
    if error <= close:
        raise Fail(
            f"{prefix}{what} = {value!r} is close: give more digits or the exact value "
            f"(the check needs a relative error below {rtol:g})"
        )
    direction = "too large" if value > expected else "too small"
    raise Fail(f"{prefix}{what} = {value:.6g} is {direction}")


def case_note(args: list, names: tuple[str, ...]) -> str:
    """The inputs of a failing case, for the student, exactly when they are small enough
    to copy: ``g = np.array([1.0, -1.0]), eps = 0.3``; larger arrays by their shape."""
    shown = []
    for name, arg in zip(names, args, strict=False):
        if isinstance(arg, dict) and "array" in arg:
            array = np.array(arg["array"], dtype=float)
            text = literal(array)
            shown.append(f"{name} = {text}" if text else f"{name} of shape {array.shape}")
        elif isinstance(arg, int | float) and not isinstance(arg, bool):
            shown.append(f"{name} = {arg!r}")
    return ", ".join(shown)
