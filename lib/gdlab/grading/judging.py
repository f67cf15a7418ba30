"""Decide one part from harvested plain data: not attempted, pass, or fail with a reason.

Used by the instant :func:`gdlab.grading.check` and by the batch grader alike. The judge of
a part sees only the grader's own cases and the decoded answer; anything unexpected in the
data (a malformed field, an exception in a judge, a judge that runs too long) is a failed
part, never a crash.
"""

from __future__ import annotations

import contextlib
import signal
import threading

from gdlab.grading.core import Fail, Part, Verdict, describe

JUDGE_SECONDS = 5.0


class _JudgeTimeout(Exception):
    pass


@contextlib.contextmanager
def _time_limit(seconds: float):
    """Raise :class:`_JudgeTimeout` after ``seconds`` (main thread on POSIX; else no limit)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def alarm(signum, frame):
        raise _JudgeTimeout

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def not_attempted_reason(part: Part, result: dict) -> str | None:
    """Why the part counts as not attempted, or None if there is an answer to judge."""
    if not isinstance(result, dict) or not result.get("found"):
        return f"`{part.answer}` is not defined"
    if part.kind == "value" or not result.get("callable", True):
        value = result.get("value")
        if isinstance(value, dict) and value.get("t") == "none":
            return f"`{part.answer}` is still None"
        return None
    outputs = result.get("outputs")
    if isinstance(outputs, list) and outputs and all(_untouched(o) for o in outputs):
        return f"`{part.answer}` still returns None"
    return None


def _untouched(output) -> bool:
    if not isinstance(output, dict):
        return False
    return output.get("t") == "none" or (
        output.get("t") == "error" and output.get("type") == "NotImplementedError"
    )


def judge_part(part: Part, cases: list[dict], result: dict) -> Verdict:
    """The verdict on one part given the grader's cases and the harvested ``result``."""
    reason = not_attempted_reason(part, result)
    if reason is not None:
        return Verdict(part.id, "not_attempted", reason, 0.0, part.points)
    try:
        with _time_limit(JUDGE_SECONDS):
            if part.kind == "value":
                part.judge(cases, result.get("value"))
            elif not result.get("callable", True):
                raise Fail(
                    f"`{part.answer}` should be a function, but it is "
                    f"{describe(result.get('value', {})).removeprefix('returned ')}"
                )
            else:
                outputs = result.get("outputs")
                if not isinstance(outputs, list) or len(outputs) != len(cases):
                    raise Fail("the answers for this part are incomplete")
                part.judge(cases, outputs)
    except Fail as failure:
        return Verdict(part.id, "fail", str(failure), 0.0, part.points)
    except _JudgeTimeout:
        return Verdict(part.id, "fail", "the answer is too costly to check", 0.0, part.points)
    except Exception as error:  # malformed data that slipped past a judge's checks
        message = f"the answer could not be checked ({type(error).__name__})"
        return Verdict(part.id, "fail", message, 0.0, part.points)
    return Verdict(part.id, "pass", "", part.points, part.points)
