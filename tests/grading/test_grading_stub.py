"""The sandbox's stand-in for gdlab.grading offers every name a notebook imports from it.

A student notebook ends with ``from gdlab.grading import check_all``; in the batch grader's
sandbox the judges are replaced by ``sandbox.STUB``. If the stub lacks a name the exercise pages
import, that cell raises ImportError in every graded notebook (seen: check_all was missing).
"""

import re
from pathlib import Path

from gdlab.grading import sandbox

ROOT = Path(__file__).resolve().parents[2]
IMPORT = re.compile(r"^from gdlab\.grading import (?:\(([\w,\s]+)\)|([\w, ]+))$", re.M)


def imported_names() -> set[str]:
    names = set()
    for page in sorted((ROOT / "exercises").glob("*.md")):
        for match in IMPORT.finditer(page.read_text()):
            listed = match.group(1) or match.group(2)
            names |= {n.strip() for n in listed.split(",") if n.strip()}
    return names


def test_the_exercise_pages_import_check_and_check_all():
    assert {"check", "check_all"} <= imported_names()


def test_the_stub_defines_every_name_the_pages_import_and_each_runs(capsys):
    namespace: dict = {}
    exec(compile(sandbox.STUB, "stub", "exec"), namespace)  # noqa: S102 - our own constant
    for name in sorted(imported_names()):
        assert callable(namespace.get(name)), name
    namespace["check"]("4.1.1a", None)
    namespace["check_all"]()
    assert "batch grader" in capsys.readouterr().out
    assert namespace["verdict"]("4.1.1a") is None
