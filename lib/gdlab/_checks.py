"""Argument checks shared by every gdlab module.

Each check raises ``ValueError`` whose message names the argument and shows the bad value, so
that a wrong call fails at the call site and never deep inside numpy.
"""

from __future__ import annotations

import numbers

import numpy as np


def _show(value) -> str:
    """A short, readable rendering of a value for an error message."""
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return repr(value.item())
        if value.size <= 6:
            return f"array {np.array2string(value, precision=4)} (shape {value.shape})"
        return f"array of shape {value.shape}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def real_scalar(name: str, value) -> float:
    """Return ``value`` as a finite float, or raise naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name} must be a real number, got {_show(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def positive(name: str, value) -> float:
    """A finite real number > 0."""
    value = real_scalar(name, value)
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def non_negative(name: str, value) -> float:
    """A finite real number >= 0."""
    value = real_scalar(name, value)
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return value


def in_unit_interval(name: str, value) -> float:
    """A number in [0, 1), the range of every momentum / decay coefficient."""
    value = real_scalar(name, value)
    if not 0.0 <= value < 1.0:
        raise ValueError(f"{name} must lie in [0, 1), got {value}")
    return value


def positive_int(name: str, value) -> int:
    """An integer >= 1 (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {_show(value)}")
    return int(value)


def non_negative_int(name: str, value) -> int:
    """An integer >= 0 (bools are rejected)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {_show(value)}")
    return int(value)


def finite_array(name: str, value, ndim: int | None = None) -> np.ndarray:
    """A float64 array with no NaN or inf, optionally of a given number of dimensions."""
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric, got {_show(value)}") from error
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must have {ndim} dimension(s), got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        bad = np.argwhere(~np.isfinite(array))[0]
        raise ValueError(
            f"{name} contains NaN or inf (first at index {tuple(int(i) for i in bad)}): "
            f"{_show(array)}"
        )
    return array


def vector(name: str, value, dim: int) -> np.ndarray:
    """A finite float64 vector of length ``dim``; a wrong shape names the expected one."""
    array = np.asarray(value, dtype=np.float64) if _is_numeric(value) else None
    if array is None:
        raise ValueError(f"{name} must be a numeric vector of length {dim}, got {_show(value)}")
    if array.shape != (dim,):
        raise ValueError(f"{name} must have shape ({dim},), got shape {array.shape}")
    return finite_array(name, array)


def symmetric_matrix(name: str, value, atol: float = 1e-10) -> np.ndarray:
    """A finite square float64 matrix equal to its transpose (up to ``atol`` relative)."""
    matrix = finite_array(name, value, ndim=2)
    if matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"{name} must be square, got shape {matrix.shape}")
    asymmetry = np.max(np.abs(matrix - matrix.T), initial=0.0)
    scale = max(1.0, np.max(np.abs(matrix), initial=0.0))
    if asymmetry > atol * scale:
        raise ValueError(
            f"{name} must be symmetric; max |{name} - {name}.T| = {asymmetry:.3g}: {_show(matrix)}"
        )
    return (matrix + matrix.T) / 2


def _is_numeric(value) -> bool:
    try:
        np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return True


def non_empty_array(name: str, value, ndim: int | None = None) -> np.ndarray:
    """Like :func:`finite_array`, and the array must hold at least one value."""
    array = finite_array(name, value, ndim=ndim)
    if array.size == 0:
        raise ValueError(f"{name} must contain at least one value, got shape {array.shape}")
    return array


def positive_array(name: str, value) -> np.ndarray:
    """A number > 0 or a non-empty array of them (e.g. horizons ``T`` of a bound), as float64."""
    array = non_empty_array(name, value)
    if np.any(array <= 0):
        raise ValueError(f"{name} must be positive, got {_show(value)}")
    return array


def function(name: str, value):
    """A callable, returned unchanged."""
    if not callable(value):
        raise ValueError(f"{name} must be callable, got {_show(value)}")
    return value


def instance(name: str, value, cls: type, what: str):
    """An instance of ``cls`` (described as ``what`` in the message), returned unchanged."""
    if not isinstance(value, cls):
        raise ValueError(f"{name} must be {what}, got {_show(value)}")
    return value


def problem(name: str, value, needs: tuple[str, ...] = ("dim", "value", "grad")):
    """An object with the attributes ``needs`` (a problem of :mod:`gdlab.problems`), unchanged."""
    missing = [attribute for attribute in needs if not hasattr(value, attribute)]
    if missing:
        wanted = ", ".join(needs)
        raise ValueError(f"{name} must have {wanted}; {_show(value)} lacks {', '.join(missing)}")
    return value


def interval(name: str, value) -> tuple[float, float]:
    """A pair ``(low, high)`` of finite numbers with ``low < high``."""
    try:
        low, high = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair (low, high), got {_show(value)}") from None
    low, high = real_scalar(f"{name}[0]", low), real_scalar(f"{name}[1]", high)
    if not low < high:
        raise ValueError(f"{name} must satisfy low < high, got {_show(value)}")
    return low, high
