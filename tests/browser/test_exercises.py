"""The exercise pages of the built site: problems, hints and starter code, never solutions.

The grep covers every file the site publishes (HTML as text, page sources, downloadable
notebooks, execution outputs, the search index) and the Colab twins if they were built.
"""

from __future__ import annotations

import html
import re
import sys

import pytest
from bs4 import BeautifulSoup
from conftest import ROOT, SITE

sys.path.insert(0, str(ROOT / "tests" / "grading"))

import submission_fixtures as fx  # noqa: E402

EXERCISE_PAGES = [f"exercises/{name}.html" for name in fx.NAMES]
GUIDE = "exercises/instructor_guide.html"
TEXT_SUFFIXES = {".html", ".txt", ".md", ".ipynb", ".js", ".json", ".py"}


def _normal(text: str) -> str:
    return " ".join(text.split())


def solution_lines() -> dict[str, list[str]]:
    """Per exercise, the lines of the reference solution that the starter does not contain."""
    lines = {}
    for name in fx.NAMES:
        starter = _normal((fx.EXERCISES_DIR / f"{name}.md").read_text())
        source = (fx.HERE / "solutions" / f"{name}.py").read_text()
        lines[name] = [
            _normal(line)
            for line in source.splitlines()
            if len(line.strip()) >= 12
            and not line.strip().startswith(("import ", "from ", '"""Reference'))
            and _normal(line) not in starter
        ]
    return lines


def published_texts():
    """(path, normalised text) of every text file the site (and the Colab twins) publish."""
    roots = [SITE, ROOT / "_build" / "notebooks"]
    for root in roots:
        for path in sorted(root.rglob("*")) if root.exists() else []:
            if path.is_file() and path.suffix in TEXT_SUFFIXES:
                raw = path.read_text(encoding="utf-8", errors="replace")
                if path.suffix == ".html":
                    raw = BeautifulSoup(raw, "html.parser").get_text(" ")
                yield path, _normal(html.unescape(raw))


def test_exercise_pages_and_guide_are_published():
    for page in [*EXERCISE_PAGES, GUIDE]:
        assert (SITE / page).exists(), page


def test_the_solution_lines_are_a_real_probe():
    lines = solution_lines()
    for name, found in lines.items():
        assert len(found) >= 4, (name, found)  # enough distinctive lines to catch a leak
    text = _normal((fx.HERE / "solutions" / "steepest_descent.py").read_text())
    assert _leaked(text, lines["steepest_descent"], {"alpha"}) == lines["steepest_descent"]
    assert _leaked("alpha = epsilon / g_norm", lines["steepest_descent"], {"alpha"})
    assert not _leaked("return delta", lines["steepest_descent"], {"alpha"})


def _leaked(text: str, lines: list[str], answers: set[str]) -> list[str]:
    """The solution lines found in ``text`` when they amount to a leak: an answer's value
    (``alpha = ...``), a long line, or two lines or more (short ones alone may be chance)."""
    found = [line for line in lines if line in text]
    telling = [line for line in found if len(line) >= 30 or line.split(" = ")[0] in answers]
    return found if telling or len(found) >= 2 else []


def test_no_reference_solution_is_published():
    from gdlab.grading import EXERCISES

    lines = solution_lines()
    leaks = []
    for path, text in published_texts():
        for name, found in lines.items():
            answers = {p.answer for p in EXERCISES[name].parts}
            leaks += [
                f"{path.relative_to(ROOT)}: {name}: {line}"
                for line in _leaked(text, found, answers)
            ]
    assert not leaks, "\n".join(leaks[:20])
    assert not list(SITE.rglob("*solution*")), "a file named like a solution is published"


@pytest.mark.parametrize("page_path", EXERCISE_PAGES)
def test_exercise_page_shows_problem_hint_starter_and_check(open_page, page_path):
    page, log = open_page(page_path)
    assert not log.problems(), "\n".join(log.problems())
    exercises = page.locator("div.exercise")
    assert exercises.count() >= 4
    hints = page.locator("details:has-text('Hint'), .dropdown:has-text('Hint')")
    assert hints.count() >= 4
    code = page.locator("div.cell_input").all_inner_texts()
    assert any("return None" in c or "= None" in c for c in code)
    assert sum('check("' in c for c in code) >= 4
    outputs = " ".join(page.locator("div.cell_output").all_inner_texts())
    assert re.search(r"not attempted yet", outputs)
    assert "pass. Well done." not in outputs and "Traceback" not in outputs
