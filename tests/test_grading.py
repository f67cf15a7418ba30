"""Instant checks, judges, the answer transport and the expression allow-list, in-process."""

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

from gdlab.grading import EXERCISES, PARTS, check, exprtree, transport, verdict

HERE = Path(__file__).resolve().parent / "grading"
sys.path.insert(0, str(HERE))

import submission_fixtures as fx  # noqa: E402


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem + "_" + path.parent.name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SOLUTIONS = {name: _load(HERE / "solutions" / f"{name}.py") for name in fx.NAMES}
WRONG = {name: _load(HERE / "wrong" / f"{name}.py") for name in fx.NAMES}
EXPECTED_WRONG = {  # part -> passes, for the hand-written wrong answers (others: solution)
    "4.1.1a": False, "4.1.1b": False, "4.1.1c": True, "4.1.1d": False, "4.1.1e": False,
    "4.1.3a": False, "4.1.3b": True, "4.1.3c": False, "4.1.3d": True, "4.1.3e": False,
    "4.6.3a": False, "4.6.3b": True, "4.6.3c": True, "4.6.3d": False,
    "4.1.1p": False, "4.1.1q": True, "4.1.3p": False, "4.6.3q": True, "4.6.3p": True,  # proofs
}  # fmt: skip


@pytest.mark.parametrize("part_id", list(PARTS))
def test_reference_solution_passes(part_id):
    exercise, part = PARTS[part_id]
    result = verdict(part_id, getattr(SOLUTIONS[exercise.name], part.answer))
    assert result.status == "pass", result.message


@pytest.mark.parametrize("part_id", list(PARTS))
def test_starter_is_not_attempted(part_id):
    _, part = PARTS[part_id]
    starter = (lambda *args, **kwargs: None) if part.kind == "function" else None
    assert verdict(part_id, starter).status == "not_attempted"


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the NaN of a wrong answer
@pytest.mark.parametrize("part_id", list(PARTS))
def test_wrong_answers_get_the_expected_verdict(part_id):
    exercise, part = PARTS[part_id]
    wrong = WRONG[exercise.name]
    answer = getattr(wrong, part.answer, getattr(SOLUTIONS[exercise.name], part.answer))
    result = verdict(part_id, answer)
    assert result.passed == EXPECTED_WRONG[part_id], result.message
    if not result.passed:
        assert result.status == "fail" and result.message


def test_every_part_has_an_expected_wrong_verdict():
    assert set(EXPECTED_WRONG) == set(PARTS)


def test_check_prints_pass_fail_with_hint_and_not_attempted(capsys):
    sol = SOLUTIONS["steepest_descent"]
    check("4.1.1a", sol.steepest_step_l2)
    check("4.1.1a", lambda g, eps: -eps * g)
    check("4.1.1a", lambda g, eps: None)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("4.1.1a (") and out[0].endswith("pass. Well done.")
    assert "fail." in out[1] and "g = np.array([" in out[1]  # the input, exactly
    assert out[2].startswith("Reproduce: args, kwargs = gdlab.grading.inputs('4.1.1a')[")
    assert out[3].startswith("Hint: ")
    assert "not attempted" in out[4]


def test_check_names_an_unknown_part():
    with pytest.raises(ValueError, match="unknown part '4.1.9'"):
        check("4.1.9", None)


def test_function_part_given_a_value_fails_clearly():
    result = verdict("4.1.1a", np.zeros(3))
    assert result.status == "fail" and "should be a function" in result.message


@pytest.mark.parametrize(
    "bad",
    [
        lambda g, eps: "a string",
        lambda g, eps: np.full_like(g, np.nan),
        lambda g, eps: np.full_like(g, np.inf),
        lambda g, eps: [1.0],
        lambda g, eps: 1 / 0,
        lambda g, eps: sp.Symbol("x"),
        lambda g, eps: type("Liar", (), {"__eq__": lambda s, o: True, "__array__": None})(),
    ],
)
def test_wrong_types_fail_without_raising(bad):
    assert verdict("4.1.1a", bad).status == "fail"


def test_symbolic_answers_are_rebuilt_not_evaluated():
    assert verdict("4.1.1b", "epsilon/g_norm").status == "fail"  # a string is never parsed
    assert verdict("4.1.1b", sp.sin(sp.Symbol("epsilon"))).status == "fail"
    tower = sp.exp(sp.exp(sp.exp(sp.Integer(100), evaluate=False), evaluate=False), evaluate=False)
    assert verdict("4.1.1b", tower).status == "fail"
    huge = sp.Pow(sp.Integer(10), sp.Integer(10**12), evaluate=False)
    assert verdict("4.6.3b", huge).status == "fail"


def test_rebuild_allow_list():
    symbols = {"x": sp.Symbol("x", positive=True)}
    tree = transport.encode_expr(sp.Symbol("x") ** 2 / 3 + sp.pi)
    expr = exprtree.rebuild(tree, symbols)
    assert sp.simplify(expr - (symbols["x"] ** 2 / 3 + sp.pi)) == 0
    for bad in (
        ["Symbol", "y"],
        ["Function", "x"],
        ["Integer", "1" * 31],
        ["Integer", "__import__('os')"],
        ["Float", "1e5; import os"],
        ["Add"],
        "x",
        ["Pow", ["Symbol", "x"]],
    ):
        with pytest.raises(exprtree.ExprError):
            exprtree.rebuild(bad, symbols)
    deep = ["Symbol", "x"]
    for _ in range(60):
        deep = ["Abs", deep]
    with pytest.raises(exprtree.ExprError, match="nested"):
        exprtree.rebuild(deep, symbols)


def test_evaluate_guards_range():
    x = sp.Symbol("x", positive=True)
    assert float(exprtree.evaluate(x**2, {x: 3})) == 9.0
    with pytest.raises(exprtree.EvalError):
        exprtree.evaluate(sp.Pow(10, x, evaluate=False), {x: 1e6})
    with pytest.raises(exprtree.EvalError):
        exprtree.evaluate(1 / x, {x: 0})


def test_encode_is_plain_data():
    import json

    encoded = transport.encode((np.array([1.0, np.nan]), 2, sp.Symbol("a") + 1, None, object()))
    assert json.loads(json.dumps(encoded, allow_nan=False)) == encoded
    kinds = [item["t"] for item in encoded["v"]]
    assert kinds == ["array", "num", "expr", "none", "other"]
    assert encoded["v"][0]["v"] == [1.0, "nan"]


def test_iteration_count_is_graded_up_to_constants():
    B, e, M, L = sp.symbols("B epsilon M L", positive=True)
    passing = [
        1 / e**2 + 1 / (B * e**4),
        sp.Max(1 / e**2, 1 / (B * e**4)),
        (B * e**2 + 1) / (B * e**4),
        4 * M * L / e**2 + 9 * M * L / (B * e**4),
    ]
    failing = [
        1 / (B * e**4),
        1 / e**4,
        1 / e**2 + 1 / (B**2 * e**4),
        1 / (B * e**2),
        1 / e**2 + sp.log(1 / e) / (B * e**4),
        B / e**4,
        -1 / e**2,
    ]
    for answer in passing:
        assert verdict("4.6.3d", answer).passed, answer
    for answer in failing:
        assert not verdict("4.6.3d", answer).passed, answer


def test_every_exercise_has_a_notebook_with_every_answer():
    for name, exercise in EXERCISES.items():
        nb = fx.starter(name)
        text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
        for part in exercise.parts:
            assert f'check("{part.id}", {part.answer})' in text


def test_estimator_sd_matches_a_simulation():
    """The exact standard deviation 4.6.3c's judge uses, against 100,000 simulated batches."""
    from gdlab.grading.minibatch_variance import estimator_sd, gamma1_sq

    rng = np.random.default_rng(3)
    G = rng.normal(size=(8, 3)) * [0.5, 1.0, 2.0] + 1.0
    for B in (1, 2, 5, 16):
        rows = rng.integers(0, len(G), size=(100_000, B))
        sq = np.sum((G[rows].mean(axis=1) - G.mean(axis=0)) ** 2, axis=1)
        assert abs(sq.mean() / (gamma1_sq(G) / B) - 1) < 0.02, B
        assert abs(sq.std() / estimator_sd(G, B) - 1) < 0.03, B


@pytest.mark.parametrize("name", ["steepest_descent", "smoothness_bound", "minibatch_variance"])
def test_check_all_is_the_last_code_cell_after_every_part(name):
    """check_all() re-checks final values, so it must come after every answer's cell: the proof
    parts appended to the pages once followed it, and it then graded them as not attempted."""
    cells = [c.source for c in fx.starter(name).cells if c.cell_type == "code"]
    assert "check_all()" in cells[-1] and not any("check_all()" in c for c in cells[:-1])
    checked = {
        p.id for p in EXERCISES[name].parts if any(f'check("{p.id}"' in c for c in cells[:-1])
    }
    assert checked == {p.id for p in EXERCISES[name].parts}
