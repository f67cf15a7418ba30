"""Issue 17's examples, one test each: wrong answers that passed, right answers that failed,
the instant check disagreeing with the grade, and feedback that did not teach.

(The issue's wrong and right answers are also rows of ``tests/grading/catalogue.py``, graded
there by ``check()`` and by the batch grader's judging path.)
"""

import sys
import time
from pathlib import Path

import numpy as np
import pytest
import sympy as sp

import gdlab.grading as grading
from gdlab.grading import PARTS, check, verdict
from gdlab.grading.sandbox import Limits

sys.path.insert(0, str(Path(__file__).resolve().parent / "grading"))

from catalogue import namespace_of  # noqa: E402

B, eps = sp.symbols("B epsilon", positive=True)
epsilon, g_norm = sp.symbols("epsilon g_norm", positive=True)


# -- wrong answers that passed ------------------------------------------------------------------


def _l2_nonzero_by_sum(g, eps):
    g = np.asarray(g, dtype=float)
    return -eps * g / np.linalg.norm(g) if g.sum() != 0 else np.zeros_like(g)


def _l2_zero_by_max(g, eps):
    g = np.asarray(g, dtype=float)
    return np.zeros_like(g) if g.max() == 0 else -eps * g / np.linalg.norm(g)


def _linf_zero_by_sum(g, eps):
    g = np.asarray(g, dtype=float)
    return np.zeros_like(g) if g.sum() == 0 else -eps * np.sign(g)


@pytest.mark.parametrize(
    ("part_id", "answer"),
    [("4.1.1a", _l2_nonzero_by_sum), ("4.1.1a", _l2_zero_by_max), ("4.1.1c", _linf_zero_by_sum)],
)
def test_zero_gradient_tests_by_sum_or_max_fail(part_id, answer):
    result = verdict(part_id, answer)
    assert result.status == "fail"
    assert "the step is zero, but g is not" in result.message


def test_a_constant_counterexample_fails_for_large_L():
    result = verdict("4.1.3e", lambda L: (3000.0, 0.0))
    assert result.status == "fail" and "(4.9) holds" in result.message


def test_a_sampler_that_ignores_rng_fails():
    def sampler(G, B, rng, replace=True):
        G = np.asarray(G, dtype=float)
        return G[np.random.choice(len(G), size=B, replace=replace)].mean(axis=0)  # noqa: NPY002

    result = verdict("4.6.3a", sampler)
    assert result.status == "fail" and "draw with the `rng` you are given" in result.message


def _curve(sample):
    def variance_curve(G, batch_sizes, rng, n_draws=1000):
        G = np.asarray(G, dtype=float)
        full = G.mean(axis=0)
        v = np.array(
            [
                np.mean([np.sum((sample(G, b, rng) - full) ** 2) for _ in range(n_draws)])
                for b in batch_sizes
            ]
        )
        return v, np.polyfit(np.log(batch_sizes), np.log(v), 1)[0]

    return variance_curve


def test_a_variance_curve_without_replacement_fails():
    def without(G, b, rng):
        return G[rng.choice(len(G), size=min(b, len(G)), replace=False)].mean(axis=0)

    result = verdict("4.6.3c", _curve(without))
    assert result.status == "fail" and "too small for batches drawn with replacement" in (
        result.message
    )


def test_a_variance_curve_that_does_not_sample_fails():
    def variance_curve(G, batch_sizes, rng, n_draws=1000):
        G = np.asarray(G, dtype=float)
        gamma_sq = np.mean(np.sum((G - G.mean(axis=0)) ** 2, axis=1))
        v = gamma_sq / np.array(batch_sizes, dtype=float)
        return v, np.polyfit(np.log(batch_sizes), np.log(v), 1)[0]

    result = verdict("4.6.3c", variance_curve)
    assert result.status == "fail" and "different seeds gave exactly the same" in result.message


@pytest.mark.parametrize("extra", [sp.sqrt(B), B * eps**2])
def test_iteration_counts_wrong_for_huge_batches_fail(extra):
    result = verdict("4.6.3d", 1 / eps**2 + 1 / (B * eps**4) + extra)
    assert result.status == "fail" and "grows differently" in result.message


def test_a_capped_alpha_fails():
    result = verdict("4.1.1b", sp.Min(epsilon / g_norm, 20))
    assert result.status == "fail" and "shorter than epsilon" in result.message


# -- right answers that failed ----------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        sp.ceiling(1 / eps**2 + 1 / (B * eps**4)),
        sp.Piecewise((1 / (B * eps**4), B * eps**2 < 1), (1 / eps**2, True)),
        sp.Piecewise((1 / (B * eps**4), B < eps**-2), (1 / eps**2, B >= eps**-2)),
    ],
)
def test_ceiling_and_piecewise_iteration_counts_pass(answer):
    result = verdict("4.6.3d", answer)
    assert result.status == "pass", result.message


def test_the_allowed_functions_are_listed_on_the_exercise_pages():
    from gdlab.grading.exprtree import ALLOWED_FUNCTIONS

    root = Path(__file__).resolve().parents[1] / "exercises"
    for page in ("steepest_descent.md", "minibatch_variance.md"):
        text = (root / page).read_text()
        for name in ("sp.sqrt", "sp.Max", "sp.Min", "sp.ceiling", "sp.floor", "sp.Piecewise"):
            assert name in text, (page, name)
        assert all(f.split(" ")[0] in text for f in ALLOWED_FUNCTIONS), page


def test_a_close_number_is_told_to_give_more_digits():
    result = verdict("4.1.3b", 3.8284)
    assert result.status == "fail"
    assert "close: give more digits or the exact value" in result.message
    assert verdict("4.1.3b", 3.82843).passed


def test_the_tolerances_are_stated_on_the_pages():
    root = Path(__file__).resolve().parents[1] / "exercises"
    for page in ("steepest_descent.md", "smoothness_bound.md"):
        assert "relative error" in (root / page).read_text(), page
        assert "1e-6" in (root / page).read_text() or "10^{-6}" in (root / page).read_text()


def test_the_common_guard_against_division_by_zero_passes():
    result = verdict("4.1.1a", lambda g, eps: -eps * g / (np.linalg.norm(g) + 1e-12))
    assert result.status == "pass", result.message


# -- the instant check and the grade ----------------------------------------------------------


def test_check_uses_the_grader_time_limit():
    assert grading.part_seconds() == Limits().cell_timeout


def test_an_infinite_loop_is_too_slow_for_the_grader_not_a_hang(monkeypatch, capsys):
    monkeypatch.setattr(grading, "part_seconds", lambda: 1.0)

    def forever(g, eps):
        while True:
            pass

    start = time.monotonic()
    check("4.1.1a", forever)
    assert time.monotonic() - start < 5
    assert "too slow for the grader" in capsys.readouterr().out.lower()


def test_a_slow_function_is_too_slow_for_the_grader(monkeypatch):
    monkeypatch.setattr(grading, "part_seconds", lambda: 1.0)

    def slow(g, eps):
        time.sleep(0.2)
        g = np.asarray(g, dtype=float)
        n = np.linalg.norm(g)
        return -eps * g / n if n else 0 * g

    result = verdict("4.1.1a", slow)  # 12 cases of 0.2 s: past the (patched) 1 s limit
    assert result.status == "fail" and "too slow for the grader" in result.message


def test_a_passing_answer_near_the_limit_gets_a_warning(monkeypatch, capsys):
    monkeypatch.setattr(grading, "part_seconds", lambda: 4.0)

    def slowish(g, eps):
        time.sleep(0.2)
        g = np.asarray(g, dtype=float)
        n = np.linalg.norm(g)
        return -eps * g / n if n else 0 * g

    check("4.1.1a", slowish)
    out = capsys.readouterr().out
    assert "pass" in out and "may be too slow for the grader" in out


def test_the_limit_leaves_the_callers_alarm_alone():
    import signal

    def handler(signum, frame):
        pass

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        verdict("4.1.1a", lambda g, eps: None)
        assert signal.getsignal(signal.SIGALRM) is handler
    finally:
        signal.signal(signal.SIGALRM, previous)


def test_checking_something_other_than_the_answer_name_warns(capsys):
    alpha = epsilon / g_norm  # noqa: F841 (the name the grader grades, in this namespace)
    namespace = {"alpha": epsilon * g_norm}
    grading._remember(PARTS["4.1.1b"][1], epsilon / g_norm, namespace)
    assert grading._changed_since_check(namespace) == ["4.1.1b"]


def test_a_reassigned_answer_warns_in_ipython_and_check_all_grades_the_final_value():
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    shell = InteractiveShell.instance()
    with capture_output() as first:
        shell.run_cell(
            "import sympy as sp\nfrom gdlab.grading import check, check_all\n"
            "epsilon, g_norm = sp.symbols('epsilon g_norm', positive=True)\n"
            "alpha = epsilon / g_norm\ncheck('4.1.1b', alpha)"
        )
    with capture_output() as second:
        shell.run_cell("alpha = epsilon * g_norm  # reused later in the notebook")
    with capture_output() as final:
        shell.run_cell("check_all()")
    assert "pass" in first.stdout
    assert "Warning: `alpha` was checked (4.1.1b) and has been assigned again" in second.stdout
    assert "4.1.1b (the multiplier alpha as a SymPy expression): fail." in final.stdout
    assert "assigned again after its check" in final.stdout
    total = grading.EXERCISES["steepest_descent"].max_points
    assert f"Score on these inputs: 0 of {total:g}" in final.stdout


def test_check_all_grades_as_the_batch_grader(capsys):
    source = (
        "def steepest_step_l2(g, eps):\n"
        "    n = np.linalg.norm(g)\n"
        "    return -eps * np.asarray(g) / n if n else 0 * np.asarray(g)\n"
        "linf_gain = 10\n"
    )
    namespace = namespace_of(source)
    verdicts = grading.grade_namespace(namespace, "steepest_descent")
    parts = [p.id for p in grading.EXERCISES["steepest_descent"].parts]
    statuses = dict(zip(parts, (v.status for v in verdicts), strict=True))
    assert statuses == {
        part: "pass" if part in ("4.1.1a", "4.1.1e") else "not_attempted" for part in parts
    }
    total = grading.EXERCISES["steepest_descent"].max_points
    exec("from gdlab.grading import check_all\ncheck_all()", namespace)  # noqa: S102
    assert f"Score on these inputs: 2 of {total:g}" in capsys.readouterr().out


def test_check_all_names_the_exercise_it_cannot_tell():
    with pytest.raises(ValueError, match="cannot tell which exercise"):
        exec("from gdlab.grading import check_all\ncheck_all()", {})  # noqa: S102
    with pytest.raises(ValueError, match="unknown exercise 'nope'"):
        grading.grade_namespace({}, "nope")


# -- feedback ---------------------------------------------------------------------------------


def test_printing_instead_of_returning_is_named():
    result = verdict("4.1.3a", lambda A: print(np.max(np.abs(np.linalg.eigvalsh(A)))))
    assert result.status == "fail"
    assert "printed something and returned None on every input" in result.message


def test_returning_none_and_not_implemented_say_what_happened():
    def unfinished(A):
        raise NotImplementedError

    none = verdict("4.1.3a", lambda A: None)
    assert none.status == "not_attempted"
    assert "returned None on every input" in none.message
    raised = verdict("4.1.3a", unfinished)
    assert raised.status == "not_attempted"
    assert "raised NotImplementedError on every input" in raised.message


def test_a_wrong_number_is_too_large_or_too_small_with_an_input_to_reproduce(capsys):
    def largest_eigenvalue(A):
        return np.linalg.eigvalsh(A)[-1]

    result = verdict("4.1.3a", largest_eigenvalue)
    assert result.status == "fail" and "too small" in result.message
    assert "A = np.array([[" in result.message  # the input, exactly
    check("4.1.3a", largest_eigenvalue)
    out = capsys.readouterr().out
    assert f"inputs('4.1.3a')[{result.case}]" in out
    args, kwargs = grading.inputs("4.1.3a")[result.case]
    reference = np.max(np.abs(np.linalg.eigvalsh(args[0])))
    assert largest_eigenvalue(*args, **kwargs) < reference  # the same failure, reproduced
    assert f"A = np.array({args[0].tolist()!r})" in result.message


def test_unknown_symbols_are_named_in_plain_english():
    result = verdict("4.6.3d", sp.Symbol("d") / eps**2)
    assert "uses the symbol 'd', but this part allows only the symbols" in result.message
    number = verdict("4.1.3b", sp.Symbol("d"))
    assert "uses the symbol 'd', but this part asks for a number (no symbols)" in number.message
    assert "use only none" not in number.message


def test_hints_do_not_spell_out_answers():
    hint_d = PARTS["4.1.3d"][1].hint
    assert "L/2" not in hint_d and "grad_f(w_t) . (w - w_t)" not in hint_d
    assert "gamma_1^2 / B" not in PARTS["4.6.3d"][1].hint
    assert "rng.choice(n, size=B, replace=replace)" not in PARTS["4.6.3a"][1].hint
