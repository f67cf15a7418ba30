"""Turn a student's answers into plain data, on the student's side of the process boundary.

This module is the only grading code that runs *inside* a student's kernel. The batch grader
sends its source text into the kernel together with a request (the answer names and the
inputs it drew); :func:`harvest` calls the student's functions and returns JSON-ready data
only: numbers, flat lists of numbers, strings, and SymPy expressions as trees of node names.
The instant :func:`gdlab.grading.check` uses the same functions in-process, so feedback in
Jupyter and the batch grade agree.

Nothing here decides a grade, and nothing here is trusted by the grader: a student can
monkeypatch any of it in their own kernel and gain nothing but a malformed answer, because
the grader validates every field and judges in its own process (:mod:`gdlab.grading.exprtree`,
:mod:`gdlab.grading.core`).

The module is self-contained on purpose (standard library at import time; numpy and SymPy
imported lazily), so that its source can be executed in a fresh namespace.
"""

from __future__ import annotations

import math

MAX_ELEMENTS = 200_000  # numbers in one encoded answer
MAX_NODES = 400  # nodes in one expression tree
MAX_DEPTH = 40  # nesting of tuples and expression trees
MAX_TEXT = 300  # characters of an error message or a type name
MAX_STEPS = 40  # steps of one proof


def _short(text) -> str:
    try:
        text = str(text)
    except Exception:  # a student exception whose __str__ fails
        text = "<unprintable>"
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def _number(x) -> float | str:
    """A float as JSON: finite floats as numbers, NaN and infinities as strings."""
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


# -- expressions ------------------------------------------------------------------------------

# Node names that may cross the boundary; the grader checks them again (exprtree.ALLOWED).
EXPR_NODES = {
    "Symbol",
    "Dummy",
    "Integer",
    "Rational",
    "Float",
    "Add",
    "Mul",
    "Pow",
    "Max",
    "Min",
    "Abs",
    "log",
    "exp",
    "Pi",
    "Exp1",
    "ceiling",
    "floor",
    "Piecewise",
    "ExprCondPair",
    "StrictLessThan",
    "LessThan",
    "StrictGreaterThan",
    "GreaterThan",
    "And",
    "Or",
    "BooleanTrue",
    "BooleanFalse",
}
# The functions of the proof notation (gdlab.proofs), checked again by exprtree.PROOF_NODES.
EXPR_NODES |= {
    "ProofF",
    "ProofGrad",
    "ProofHess",
    "ProofNorm",
    "ProofDot",
    "ProofQuad",
    "ProofIntegral",
}


def encode_expr(expr) -> list:
    """A SymPy expression as a nested list ``[node, *children]``.

    Leaves: ``["Symbol", name]``, ``["Integer", "digits"]``, ``["Rational", "p", "q"]``,
    ``["Float", "repr"]``, ``["Pi"]``, ``["Exp1"]``. Number singletons (One, Half,
    NegativeOne, ...) are sent as Integer or Rational.
    """
    import sympy

    count = [0]

    def walk(node, depth):
        count[0] += 1
        if count[0] > MAX_NODES:
            raise ValueError(f"expression has more than {MAX_NODES} nodes")
        if depth > MAX_DEPTH:
            raise ValueError(f"expression is nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, sympy.Symbol):
            return ["Symbol", _short(node.name)]
        if isinstance(node, sympy.Integer):
            return ["Integer", str(int(node.p))[:60]]
        if isinstance(node, sympy.Rational):
            return ["Rational", str(int(node.p))[:60], str(int(node.q))[:60]]
        if isinstance(node, sympy.Float):
            return ["Float", repr(float(node))]
        if node is sympy.pi:
            return ["Pi"]
        if node is sympy.E:
            return ["Exp1"]
        if node is sympy.true or node is sympy.false:
            return [type(node).__name__]
        name = type(node).__name__
        if name not in EXPR_NODES:
            raise ValueError(f"expression uses {_short(name)}, which the grader does not accept")
        return [name] + [walk(arg, depth + 1) for arg in node.args]

    return walk(expr, 0)


# -- values -----------------------------------------------------------------------------------


def encode(value, depth: int = 0) -> dict:
    """Any Python value as plain data tagged by kind (``t``).

    - ``{"t": "none"}`` for None (an untouched starter answer),
    - ``{"t": "num", "v": x}`` for a real number (bools are ``{"t": "bool"}``),
    - ``{"t": "array", "shape": [...], "v": [...]}`` for arrays and lists of numbers,
    - ``{"t": "tuple", "v": [...]}`` for a tuple or list of mixed items,
    - ``{"t": "expr", "v": tree}`` for a SymPy expression,
    - ``{"t": "other", "type": name}`` for anything else.
    """
    import numbers

    if depth > MAX_DEPTH:
        return {"t": "other", "type": "too deeply nested"}
    if value is None:
        return {"t": "none"}
    if isinstance(value, bool):
        return {"t": "bool", "v": bool(value)}
    if type(value).__module__ == "gdlab.proofs" and type(value).__name__ == "Proof":
        return encode_proof(value)
    if type(value).__module__.startswith("sympy"):
        return _encode_sympy(value)
    if isinstance(value, numbers.Real) and not hasattr(value, "shape"):
        return {"t": "num", "v": _number(value)}
    import numpy as np

    if isinstance(value, np.generic | np.ndarray) or (
        isinstance(value, list | tuple) and all(_is_real(v) for v in value)
    ):
        try:
            array = np.asarray(value)
        except Exception as error:
            return {"t": "other", "type": _short(f"array-like that numpy rejects: {error}")}
        if array.dtype.kind not in "biuf":
            if isinstance(value, list | tuple):
                return {"t": "tuple", "v": [encode(v, depth + 1) for v in value]}
            return {"t": "other", "type": _short(f"array of dtype {array.dtype}")}
        if array.size > MAX_ELEMENTS:
            return {"t": "other", "type": f"array with {array.size} elements (too large)"}
        if array.ndim == 0:
            return {"t": "num", "v": _number(array)}
        flat = [_number(x) for x in np.asarray(array, dtype=np.float64).ravel().tolist()]
        return {"t": "array", "shape": [int(n) for n in array.shape], "v": flat}
    if isinstance(value, list | tuple):
        if len(value) > 64:
            return {"t": "other", "type": f"sequence of {len(value)} items (too long)"}
        return {"t": "tuple", "v": [encode(v, depth + 1) for v in value]}
    return {"t": "other", "type": _short(type(value).__name__)}


def _is_real(v) -> bool:
    import numbers

    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _encode_sympy(value) -> dict:
    import sympy

    if isinstance(value, sympy.MatrixBase):
        return {"t": "other", "type": "SymPy Matrix"}
    if not isinstance(value, sympy.Expr):
        return {"t": "other", "type": _short(f"SymPy {type(value).__name__}")}
    try:
        return {"t": "expr", "v": encode_expr(value)}
    except Exception as error:
        return {"t": "other", "type": _short(error)}


def encode_proof(proof) -> dict:
    """A proof (:class:`gdlab.proofs.Proof`) as plain data: its goal and its steps, each step's
    expression a tree and each cited fact its name and the trees of the points it is cited at::

        {"t": "proof", "goal": [lhs, rel, rhs], "steps": [[rel, expr, [[fact, [point, ...]]]]]}
    """
    try:
        lhs, rel, rhs = proof.goal
        steps = []
        for step in list(proof.steps)[: MAX_STEPS + 1]:
            by = [
                [_short(fact.name)[:40], [encode_expr(a) for a in list(fact.args)[:4]]]
                for fact in list(step.by)[:8]
            ]
            steps.append([_short(step.rel)[:2], encode_expr(step.expr), by])
        goal = [encode_expr(lhs), _short(rel)[:2], encode_expr(rhs)]
        return {"t": "proof", "goal": goal, "steps": steps}
    except Exception as error:
        return {"t": "other", "type": _short(f"a proof that cannot be sent: {error}")}


# -- inputs the grader sends --------------------------------------------------------------------


def _sigmoid(z):
    import numpy as np

    return 0.5 * (1.0 + np.tanh(0.5 * z))


def make_function(spec):
    """A test function from its plain-data description ``[name, *params]``.

    The grader evaluates the same function in its own process (with its own numpy) to judge.
    """
    import numpy as np

    name = spec[0]
    if name == "quadratic":  # f(w) = 1/2 w^T A w
        A = np.asarray(spec[1], dtype=float)
        return (lambda w: 0.5 * float(np.asarray(w) @ A @ np.asarray(w))), (
            lambda w: A @ np.asarray(w, dtype=float)
        )
    if name == "logistic":  # f(w) = mean log(1 + exp(-y x^T w))
        X = np.asarray(spec[1], dtype=float)
        y = np.asarray(spec[2], dtype=float)

        def value(w):
            return float(np.mean(np.logaddexp(0.0, -y * (X @ np.asarray(w, dtype=float)))))

        def grad(w):
            margins = y * (X @ np.asarray(w, dtype=float))
            return X.T @ (-y * _sigmoid(-margins)) / len(y)

        return value, grad
    if name == "quartic":  # f(w) = sum w_i^4
        return (lambda w: float(np.sum(np.asarray(w, dtype=float) ** 4))), (
            lambda w: 4.0 * np.asarray(w, dtype=float) ** 3
        )
    raise ValueError(f"unknown test function {name!r}")


def decode_arg(arg):
    """Inputs travel as plain data; tagged dicts become arrays, generators and functions."""
    import numpy as np

    if isinstance(arg, dict):
        if "array" in arg:
            return np.array(arg["array"], dtype=float)
        if "rng" in arg:
            return np.random.default_rng(int(arg["rng"]))
        if "value_of" in arg:
            return make_function(arg["value_of"])[0]
        if "grad_of" in arg:
            return make_function(arg["grad_of"])[1]
        if "int_array" in arg:
            return np.array(arg["int_array"], dtype=int)
    return arg


# -- the harvest ----------------------------------------------------------------------------------


class _Sink:
    """Stands in for stdout while a student's function runs: notes that it printed."""

    def __init__(self):
        self.printed = False

    def write(self, text) -> int:
        if text:
            self.printed = True
        return len(text) if isinstance(text, str) else 0

    def flush(self) -> None:
        pass


def call_case(fn, case: dict) -> dict:
    """Call ``fn`` on one case of decoded inputs; ``repeat`` > 1 stacks repeated calls.

    Repeated calls share the same argument objects, so a random generator advances between
    calls (this is how the grader samples a student's stochastic gradient many times).
    What the function prints is discarded; a None answer records whether it printed
    (``"printed": True``), so that feedback can say "print instead of return".
    """
    import contextlib

    sink = _Sink()
    with contextlib.redirect_stdout(sink):
        encoded = _call(fn, case)
    if encoded.get("t") == "none" and sink.printed:
        encoded["printed"] = True
    return encoded


def _call(fn, case: dict) -> dict:
    args = [decode_arg(a) for a in case.get("args", [])]
    kwargs = {k: decode_arg(v) for k, v in case.get("kwargs", {}).items()}
    repeat = int(case.get("repeat", 1))
    try:
        if repeat == 1:
            return encode(fn(*args, **kwargs))
        import numpy as np

        rows = []
        for _ in range(repeat):
            out = fn(*args, **kwargs)
            if isinstance(out, np.ndarray) and out.dtype.kind in "biuf" and out.ndim == 1:
                rows.append(np.array(out, dtype=float))  # the usual answer: no need to encode
                continue
            first = encode(out)
            if first["t"] not in ("array", "num"):
                return first  # None (not attempted), a tuple, an object: judged as such
            rows.append(np.asarray(out, dtype=float))
        try:
            return encode(np.stack(rows))
        except ValueError:
            return {"t": "other", "type": "arrays of different shapes"}
    except KeyboardInterrupt:
        raise
    except BaseException as error:  # a student's SystemExit is an answer too
        return {"t": "error", "type": _short(type(error).__name__), "msg": _short(error)}


def harvest(namespace: dict, request: dict) -> dict:
    """Answers for one part: look the answer up by name, call it on the grader's inputs.

    ``request`` is ``{"answer": name, "kind": "function" | "value", "cases": [...],
    "seed": int}``. Before each case the global generators (``random``, ``np.random``) are
    seeded with the request's seed, or with the case's own ``global_seed``: twin cases that
    differ only there show whether an answer draws from the global state instead of the
    ``rng`` it is given. Returns ``{"found": bool, "callable": bool, "outputs": [...]}`` for a
    function, or ``{"found": bool, "value": encoded}`` for a value.
    """
    import random

    name = request["answer"]
    if name not in namespace:
        return {"found": False}
    answer = namespace[name]
    if request["kind"] == "value":
        return {"found": True, "value": encode(answer)}
    if not callable(answer):
        return {"found": True, "callable": False, "value": encode(answer)}
    outputs = []
    for case in request["cases"]:
        seed = int(case.get("global_seed", request.get("seed", 0)))
        random.seed(seed)
        try:
            import numpy as np

            np.random.seed(seed % 2**32)  # noqa: NPY002 (students may use the legacy API)
        except Exception:
            pass
        outputs.append(call_case(answer, case))
    return {"found": True, "callable": True, "outputs": outputs}
