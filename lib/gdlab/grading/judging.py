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
def _time_limit(seconds: float, error: type[BaseException] = _JudgeTimeout, repeat: float = 0.0):
    """Raise ``error`` after ``seconds`` (main thread on POSIX; else no limit).

    With ``repeat > 0`` the alarm fires again every ``repeat`` seconds, for code that might
    swallow the first one (a student's answer under ``check()``).
    """
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if not usable:
        yield
        return

    def alarm(signum, frame):
        if repeat:
            signal.setitimer(signal.ITIMER_REAL, repeat)
        raise error

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
    if not isinstance(outputs, list) or not outputs:
        return None
    if all(_is_none(o) and not o.get("printed") for o in outputs):
        return (
            f"`{part.answer}` returned None on every input: did you print instead of return, "
            "or is the starter's `return None` still there?"
        )
    if all(_not_implemented(o) for o in outputs):
        return f"`{part.answer}` raised NotImplementedError on every input"
    return None


def _is_none(output) -> bool:
    return isinstance(output, dict) and output.get("t") == "none"


def _not_implemented(output) -> bool:
    return (
        isinstance(output, dict)
        and output.get("t") == "error"
        and output.get("type") == "NotImplementedError"
    )


def printed_instead_of_returning(part: Part, result: dict) -> str | None:
    """The message for a function that printed and returned None on every input."""
    outputs = result.get("outputs") if isinstance(result, dict) else None
    if isinstance(outputs, list) and outputs and all(_is_none(o) for o in outputs):
        if any(o.get("printed") for o in outputs):
            return (
                f"`{part.answer}` printed something and returned None on every input: "
                "return the value instead of printing it"
            )
    return None


def judge_part(part: Part, cases: list[dict], result: dict) -> Verdict:
    """The verdict on one part given the grader's cases and the harvested ``result``."""
    reason = not_attempted_reason(part, result)
    if reason is not None:
        return Verdict(part.id, "not_attempted", reason, 0.0, part.points)
    try:
        with _time_limit(JUDGE_SECONDS):
            printed = part.kind == "function" and printed_instead_of_returning(part, result)
            if printed:
                raise Fail(printed)
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
        return Verdict(part.id, "fail", str(failure), 0.0, part.points, failure.case)
    except _JudgeTimeout:
        return Verdict(part.id, "fail", "the answer is too costly to check", 0.0, part.points)
    except Exception as error:  # malformed data that slipped past a judge's checks
        message = f"the answer could not be checked ({type(error).__name__})"
        return Verdict(part.id, "fail", message, 0.0, part.points)
    return Verdict(part.id, "pass", "", part.points, part.points)
