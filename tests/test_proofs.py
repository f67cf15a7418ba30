"""Tests for gdlab.proofs and the proof parts of the exercises.

The reference proofs (two routes for (4.9) and for Problem 4.1.1's bound) must be accepted; the
catalogue of wrong proofs in ``tests/grading/wrong/proofs.py`` must be refused at the expected
step with the expected reason; single-change mutants of every step of the reference proofs must
be refused whenever a sampled point shows them false. Proofs cross from the student's kernel as
plain data and are rebuilt from an allow-list.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import os
import sys
from pathlib import Path

import pytest
import sympy as sp

from gdlab import proofs as P
from gdlab.derivations.mutate import _expression_mutants
from gdlab.grading import PARTS, smoothness_bound, verdict
from gdlab.grading.core import Fail
from gdlab.grading.proof_parts import decode_proof, points_from_env, proof_parts, with_proofs
from gdlab.grading.transport import MAX_STEPS, encode

HERE = Path(__file__).resolve().parent / "grading"
FULL = os.environ.get("GDLAB_QUICK_MUTATIONS") != "1"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(f"_proofs_{path.parent.name}_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


REF = _load(HERE / "solutions" / "proofs.py")  # the second routes
SMOOTHNESS = _load(HERE / "solutions" / "smoothness_bound.py")
STEEPEST = _load(HERE / "solutions" / "steepest_descent.py")
MINIBATCH = _load(HERE / "solutions" / "minibatch_variance.py")
WRONG = _load(HERE / "wrong" / "proofs.py")
REFERENCE = {
    "4.9 integral route": SMOOTHNESS.proof_49,
    "4.9 Taylor route": REF.proof_49_taylor,
    "4.1.1 Cauchy-Schwarz": STEEPEST.proof_411_bound,
    "4.1.1 Cauchy-Schwarz in absolute value": REF.proof_411_abs,
    "4.1.1 tightness": STEEPEST.proof_411_tight,
    "4.6.3(b) T(B, eps)": MINIBATCH.proof_T,
    "4.6.3(a) variance 1/B": MINIBATCH.proof_var,
}


def _check(proof):
    return P.check_proof(proof, P.SETTINGS[proof.part])


# --------------------------------------------------------------------------- reference proofs


@pytest.mark.parametrize("name", list(REFERENCE))
def test_reference_proofs_are_accepted(name):
    report = _check(REFERENCE[name])
    assert report.ok, report.message()
    assert all(v.ok for v in report.steps)


def test_two_routes_for_49_and_for_411():
    routes_49 = [p for p in REFERENCE.values() if p.part == "4.1.3p"]
    routes_411 = [p for p in REFERENCE.values() if p.part == "4.1.1p"]
    assert len(routes_49) == 2 and len(routes_411) == 2
    facts = [{f.name for st in p.steps for f in st.by} for p in routes_49]
    assert "ftc" in facts[0] and "taylor" not in facts[0]
    assert "taylor" in facts[1] and "ftc" not in facts[1]


def test_a_step_is_accepted_only_with_its_fact():
    """The Taylor route without its facts: both steps refused (an accepted step needs them)."""
    bare = dataclasses.replace(
        REF.proof_49_taylor,
        steps=[dataclasses.replace(st, by=(P.algebra,)) for st in REF.proof_49_taylor.steps],
    )
    report = _check(bare)
    assert [v.ok for v in report.steps] == [False, False]
    assert "which fact" in report.steps[0].how


# --------------------------------------------------------------------------- wrong proofs


def test_catalogue_has_at_least_40_wrong_proofs_of_the_named_kinds():
    assert len(WRONG.CATALOGUE) >= 40
    keys = [entry[0] for entry in WRONG.CATALOGUE]
    assert len(set(keys)) == len(keys)
    mistakes = " ".join(entry[1] for entry in WRONG.CATALOGUE)
    for kind in (
        "dropped square",
        "L where L/2",
        "Cauchy–Schwarz in the wrong direction",
        "1/B where",
        "1/B instead of 1/B^2",
        "cross terms dropped without independence",
        "an inequality used where an equality is claimed",
        "at the wrong points",
        "circular",
    ):
        assert kind in mistakes, kind
    parts = {entry[2].part for entry in WRONG.CATALOGUE}
    assert parts == {"4.1.3p", "4.1.1p", "4.1.1q", "4.6.3p", "4.6.3q"}


@pytest.mark.parametrize("entry", WRONG.CATALOGUE, ids=[e[0] for e in WRONG.CATALOGUE])
def test_wrong_proof_is_refused_with_its_reason(entry):
    key, mistake, proof, step, reason = entry
    report = _check(proof)
    assert not report.ok, f"{key} ({mistake}) was accepted"
    message = report.message()
    assert reason in message, message
    bad = report.first_failure()
    if step is None:
        assert bad is None and report.chain_error, message
    else:
        assert bad is not None and bad.index == step, message
    if reason == "false":
        assert bad.counterexample and "left side" in bad.counterexample, message


def test_false_step_of_49_gets_a_concrete_function_and_points():
    report = _check(WRONG.CATALOGUE[0][2])  # the dropped square
    point = report.first_failure().counterexample
    assert point["f(x)"].startswith("1/2 x^T A x + b^T x with A = ")
    assert {"w", "w_t", "L", "left side", "right side"} <= set(point)
    assert float(point["left side"]) != float(point["right side"])


# --------------------------------------------------------------------------- mutants


def _step_mutants(proof, index):
    """Single changes to step ``index`` (1-based): each coefficient and exponent of its
    expression (as the derivation mutants), and its relation."""
    st = proof.steps[index - 1]
    out = []
    for kind, text, new in _expression_mutants(st.expr):
        out.append((f"{kind}: {text}", dataclasses.replace(st, expr=new)))
    other = {"=": "<", "<=": "<", "<": "<="}[st.rel]
    out.append((f"relation {st.rel} -> {other}", dataclasses.replace(st, rel=other)))
    return out


MUTATED = [(name, k) for name, p in REFERENCE.items() for k in range(1, len(p.steps) + 1)]


@pytest.mark.parametrize("name,index", MUTATED, ids=[f"{n}-step{k}" for n, k in MUTATED])
def test_false_mutants_of_every_step_are_refused(name, index):
    proof = REFERENCE[name]
    setting = P.SETTINGS[proof.part]
    prev = proof.goal[0] if index == 1 else proof.steps[index - 2].expr
    mutants = _step_mutants(proof, index)
    if not FULL:
        mutants = mutants[:3] + mutants[-1:]
    refuted = 0
    for text, st in mutants:
        try:
            P.Step(st.rel, st.expr, st.by)
        except ValueError:
            continue
        point = P.find_counterexample(prev, st.rel, st.expr, setting)
        verdict_ = P.check_step(prev, st, setting, index)
        if point is not None:
            refuted += 1
            assert not verdict_.ok, f"{name} step {index}: accepted a false mutant ({text})"
            assert verdict_.counterexample is not None
    if any("coefficient" in t or "exponent" in t for t, _ in mutants):
        assert refuted, f"{name} step {index}: no mutant was shown false"


# --------------------------------------------------------------------------- plain data


@pytest.mark.parametrize("name", list(REFERENCE))
def test_a_proof_crosses_as_plain_data_and_checks_the_same(name):
    proof = REFERENCE[name]
    data = encode(proof)
    assert data["t"] == "proof"
    rebuilt = decode_proof(data)
    assert rebuilt.goal == proof.goal
    assert [(s.rel, s.expr, s.by) for s in rebuilt.steps] == [
        (s.rel, s.expr, s.by) for s in proof.steps
    ]
    assert P.check_proof(rebuilt, P.SETTINGS[proof.part]).ok


def _data(proof):
    return encode(proof)


def test_decoding_refuses_what_is_not_a_proof():
    good = _data(STEEPEST.proof_411_bound)
    cases = {
        "an unknown node": {**good, "goal": [["Function", "x"], "<=", good["goal"][2]]},
        "an unknown symbol": {**good, "goal": [["Symbol", "__import__"], "<=", good["goal"][2]]},
        "an unknown fact": {**good, "steps": [["<=", good["steps"][0][1], [["magic", []]]]]},
        "a relation": {**good, "steps": [[">=", good["steps"][0][1], [["algebra", []]]]]},
        "a step without facts": {**good, "steps": [["<=", good["steps"][0][1], []]]},
        "a huge exponent": {
            **good,
            "goal": [["Pow", ["Integer", "10"], ["Integer", "100000000"]], "<=", ["Integer", "1"]],
        },
        "too many steps": {**good, "steps": good["steps"] * (MAX_STEPS + 1)},
        "wrong arity": {
            **good,
            "steps": [["<=", good["steps"][0][1], [["cauchy_schwarz", [["Symbol", "g"]]]]]],
        },
        "a number": {"t": "num", "v": 1.0},
    }
    for what, data in cases.items():
        with pytest.raises(Fail):
            decode_proof(data)
        assert what


def test_a_proof_that_is_not_a_proof_object_is_not_sent_as_one():
    assert encode((1, 2))["t"] != "proof"
    assert encode(sp.Symbol("x") <= 1)["t"] == "other"


# --------------------------------------------------------------------------- grading


def test_proof_parts_are_registered_with_their_answers():
    ids = {pid: part.answer for pid, (_, part) in PARTS.items()}
    assert ids["4.1.3p"] == "proof_49" and ids["4.1.1p"] == "proof_411_bound"
    assert ids["4.1.1q"] == "proof_411_tight" and ids["4.6.3p"] == "proof_T"
    assert ids["4.6.3q"] == "proof_var"


def test_check_feedback_for_a_wrong_proof_has_the_counterexample_and_the_typeset_proof():
    result = verdict("4.1.3p", WRONG.CATALOGUE[0][2])
    assert result.status == "fail"
    assert "step 5" in result.message and "Counterexample" in result.message
    assert "| 5&nbsp; |" in result.message and r"\le" in result.message
    assert verdict("4.1.3p", REF.proof_49_taylor).status == "pass"
    assert verdict("4.1.3p", None).status == "not_attempted"
    assert verdict("4.1.3p", 3.0).status == "fail"


def test_points_per_part_are_set_by_the_instructor():
    assert points_from_env("4.1.3p=2, 4.1.1q=0.5") == {"4.1.3p": 2.0, "4.1.1q": 0.5}
    assert points_from_env("") == {}
    (part,) = proof_parts("smoothness_bound", {"4.1.3p": 3.0})
    assert part.points == 3.0
    (exercise,) = with_proofs([smoothness_bound.EXERCISE], {"4.1.3p": 2.5})
    assert exercise.parts[-1].id == "4.1.3p" and exercise.max_points == 5 + 2.5
    for bad in ("4.1.3p", "4.1.9p=1", "4.1.3p=x", "4.1.3p=-1", "4.1.3p=inf"):
        with pytest.raises(ValueError, match="GDLAB_PROOF_POINTS"):
            points_from_env(bad)


# --------------------------------------------------------------------------- notation, rendering


def test_review_typesets_every_step_with_its_verdict():
    shown = P.review(WRONG.CATALOGUE[0][2], P.SETTINGS["4.1.3p"]).markdown
    rows = [line for line in shown.splitlines() if line.startswith("| ") and "&nbsp;" in line]
    assert len(rows) == 5
    assert all("✓" in r for r in rows[:4]) and "✗" in rows[4]
    assert "**Not accepted:**" in shown and r"\int_0^1" in shown
    for math in shown.split("$")[1::2]:
        assert "|" not in math
    assert "Proof accepted" in P.review(SMOOTHNESS.proof_49, P.SETTINGS["4.1.3p"]).markdown
    assert SMOOTHNESS.proof_49._repr_markdown_().count("✓") == 5


def test_menu_lists_each_fact_with_its_statement():
    text = P.menu("4.1.3p").markdown
    for call in (
        "`ftc(a, b)`",
        "`hessian_bound(x, v)`",
        "`cauchy_schwarz(u, v)`",
        "`taylor(a, b)`",
    ):
        assert call in text
    assert "smoothness_bound" not in text
    assert "given" in P.menu("4.1.1p").markdown
    with pytest.raises(ValueError, match="unknown proof part '4.1.9p'"):
        P.menu("4.1.9p")


def test_notation_reads_like_the_chapter():
    assert P.dot(-P.g, P.delta) == -P.dot(P.g, P.delta)
    assert P.dot(P.delta, P.g) == P.dot(P.g, P.delta)
    assert P.norm(P.s * (P.w - P.w_t)) == P.s * P.norm(P.w - P.w_t)
    assert P.norm(P.w_t - P.w) == P.norm(P.w - P.w_t)
    assert P.integral(P.L * P.s, P.s) == P.L * P.integral(P.s, P.s)
    assert P._tex(P.dot(P.grad(P.w_t), P.w - P.w_t)) == r"\nabla f(w_t)^\top \left(w - w_t\right)"


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="'>='"):
        P.Step(">=", P.w, (P.algebra,))
    with pytest.raises(ValueError, match="facts of the menu"):
        P.le(P.L, by="algebra")
    with pytest.raises(ValueError, match="cite smoothness at its points"):
        P.le(P.L, by=P.smoothness)
    with pytest.raises(ValueError, match="2 points, got 1"):
        P.smoothness(P.w)
    with pytest.raises(ValueError, match="goal is a relation"):
        P.Proof(goal=P.L, steps=[])
    with pytest.raises(ValueError, match="eq"):
        P.Proof(goal=P.L <= 1, steps=["algebra"])
    with pytest.raises(ValueError, match="expected a Proof"):
        P.check_proof("proof", P.SETTINGS["4.1.3p"])


def test_batch_grader_gives_a_wrong_49_its_counterexample_and_a_right_one_full_credit(tmp_path):
    """Through the batch grader (sandboxed kernels, verdicts decided in the grader's process):
    the solution notebook's proof of (4.9) gets its point, the wrong one (Taylor's remainder
    without its 1/2) is refused at step 1 with a counterexample and the typeset proof."""
    sys.path.insert(0, str(HERE))
    import submission_fixtures as fx

    from gdlab.grading.batch import grade_folder

    wrong = fx.answers_from(HERE / "wrong" / "smoothness_bound.py", ["proof_49", "xi"])
    folder = tmp_path / "submissions"
    fx.write(fx.solution("smoothness_bound"), folder / "right.ipynb")
    fx.write(fx.substitute(fx.solution("smoothness_bound"), wrong), folder / "wrong.ipynb")
    outcomes = {o.student: o for o in grade_folder(folder, tmp_path / "grades.csv", seed=3)}
    right = {v.part: v for v in outcomes["right"].verdicts}["4.1.3p"]
    assert right.status == "pass" and right.points == right.max_points == 1.0
    refused = {v.part: v for v in outcomes["wrong"].verdicts}["4.1.3p"]
    assert refused.status == "fail" and refused.points == 0.0
    assert refused.message.startswith("step 1 (= ")
    assert "Counterexample: f(x) = 1/2 x^T A x" in refused.message
    assert "| 1&nbsp; |" in refused.message and r"\nabla^2 f" in refused.message
