"""Every part against a table of wrong answers (real mistakes) and right answers (every form
the statement allows), graded by ``check()`` and by the batch grader's judging path.

The batch path here is the runner's, step by step: inputs drawn with
``default_rng([seed, part number])``, the answers collected by :func:`transport.harvest` in
the student's namespace, a JSON round trip, then :func:`judge_part`. ``check()`` uses other
inputs (its fixed feedback seed): both must give the same verdict, and a wrong answer's
feedback must say what the student needs to hear.
"""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from gdlab.grading import PARTS, check, transport
from gdlab.grading.judging import judge_part

sys.path.insert(0, str(Path(__file__).resolve().parent / "grading"))

from catalogue import ANSWERS, CATALOGUE, namespace_of, variants  # noqa: E402

BATCH_SEEDS = (12345, 7)  # two submissions' seeds: fresh inputs, as the batch grader draws


def batch_verdict(part_id: str, namespace: dict, seed: int):
    """The verdict the batch grader gives a notebook whose final namespace is ``namespace``."""
    exercise, part = PARTS[part_id]
    number = exercise.parts.index(part)
    cases = part.cases(np.random.default_rng([seed, number]))
    request = {"answer": part.answer, "kind": part.kind, "cases": cases, "seed": seed}
    result = json.loads(json.dumps(transport.harvest(namespace, request), allow_nan=False))
    return judge_part(part, cases, result)


def says(text: str, expected) -> bool:
    """``expected`` is a phrase, or a tuple of phrases of which one must appear."""
    return any(e in text for e in ((expected,) if isinstance(expected, str) else expected))


def check_output(part_id: str, answer, capsys) -> str:
    check(part_id, answer)
    return capsys.readouterr().out


def _ids(rows):
    return [f"{part_id}-{label}" for part_id, label, _, _ in rows]


WRONG, RIGHT = variants("wrong"), variants("right")


def test_every_part_has_five_wrong_and_five_right_answers():
    """Every value part is in the catalogue; the proof parts have their own catalogue of wrong
    proofs (tests/grading/wrong/proofs.py, checked by tests/test_proofs.py)."""
    from gdlab.grading.proof_parts import PROOF_PARTS

    proof_ids = {part_id for _, part_id, *_ in PROOF_PARTS}
    assert proof_ids <= set(PARTS)
    assert set(CATALOGUE) == set(PARTS) - proof_ids
    for part_id, table in CATALOGUE.items():
        assert len(table["wrong"]) >= 5, part_id
        assert len(table["right"]) >= 5, part_id


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the NaN of a wrong answer
@pytest.mark.parametrize(("part_id", "label", "source", "expected"), WRONG, ids=_ids(WRONG))
def test_wrong_answer_fails_in_check_and_batch_with_its_message(
    part_id, label, source, expected, capsys
):
    namespace = namespace_of(source)
    _, part = PARTS[part_id]
    printed = check_output(part_id, namespace[part.answer], capsys)
    assert ": fail. " in printed, printed
    assert says(printed, expected), printed
    for seed in BATCH_SEEDS:
        verdict = batch_verdict(part_id, namespace, seed)
        assert verdict.status == "fail", (seed, verdict.message)
        assert says(verdict.message, expected), (seed, verdict.message)


@pytest.mark.parametrize(("part_id", "label", "source", "expected"), RIGHT, ids=_ids(RIGHT))
def test_right_answer_passes_in_check_and_batch(part_id, label, source, expected, capsys):
    namespace = namespace_of(source)
    _, part = PARTS[part_id]
    printed = check_output(part_id, namespace[part.answer], capsys)
    assert printed.startswith(f"{part_id} (") and "pass. Well done." in printed, printed
    for seed in BATCH_SEEDS:
        verdict = batch_verdict(part_id, namespace, seed)
        assert verdict.status == "pass", (seed, verdict.message)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_no_hint_or_message_gives_an_answer_away(capsys):
    """Hints point at the idea; no feedback contains the answer of a value part."""
    texts = [(part.hint, "") for _, part in PARTS.values()]
    for part_id, _, source, _ in WRONG:
        _, part = PARTS[part_id]
        answer = namespace_of(source)[part.answer]
        shown = source if callable(answer) else f"{source} {answer}"  # the value, echoed back
        texts.append((check_output(part_id, answer, capsys), shown))
    for text, source in texts:
        for part_id, fragments in ANSWERS.items():
            for fragment in fragments:
                if fragment.replace(" ", "") in source.replace(" ", ""):
                    continue  # the student's own answer, shown back to them
                assert fragment not in text, (part_id, fragment, text)
