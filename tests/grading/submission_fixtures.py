"""Build submission notebooks for the tests from the MyST starters in ``exercises/``.

A submission is the starter notebook with some answers replaced: :func:`answers_from` reads
top-level definitions (functions and assignments) from a Python file such as a reference
solution, and :func:`substitute` puts each in place of the starter's definition of the same
name, leaving the rest of the cell (symbol definitions, comments) as it was.
"""

from __future__ import annotations

import ast
import copy
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[2]
EXERCISES_DIR = ROOT / "exercises"
HERE = Path(__file__).resolve().parent
NAMES = ("steepest_descent", "smoothness_bound", "minibatch_variance")


def starter(name: str) -> nbformat.NotebookNode:
    """The student notebook ``exercises/<name>.md`` as a notebook object."""
    return jupytext.read(EXERCISES_DIR / f"{name}.md")


def _definitions(source: str) -> dict[str, tuple[int, int]]:
    """Top-level names defined in ``source`` and the line span (1-based) of each definition."""
    spans = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef):
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            spans[node.name] = (start, node.end_lineno)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            if isinstance(node.targets[0], ast.Name):
                spans[node.targets[0].id] = (node.lineno, node.end_lineno)
    return spans


def answers_from(path: Path, names: list[str] | None = None) -> dict[str, str]:
    """The source of each top-level definition in a Python file (or only of ``names``)."""
    source = Path(path).read_text()
    lines = source.splitlines()
    found = {
        name: "\n".join(lines[start - 1 : end])
        for name, (start, end) in _definitions(source).items()
        if names is None or name in names
    }
    return found


def substitute(nb: nbformat.NotebookNode, answers: dict[str, str]) -> nbformat.NotebookNode:
    """A copy of ``nb`` in which each answer replaces the starter's definition of its name."""
    nb = copy.deepcopy(nb)
    left = dict(answers)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            spans = _definitions(cell.source)
        except SyntaxError:
            continue
        lines = cell.source.splitlines()
        for name, (start, end) in sorted(spans.items(), key=lambda kv: -kv[1][0]):
            if name in left:
                lines[start - 1 : end] = left.pop(name).splitlines()
        cell.source = "\n".join(lines)
    if left:
        raise KeyError(f"no starter definition for {sorted(left)}")
    return nb


def add_cell(nb: nbformat.NotebookNode, source: str, index: int | None = None):
    """A copy of ``nb`` with a code cell inserted at ``index`` (default: at the end)."""
    nb = copy.deepcopy(nb)
    cell = nbformat.v4.new_code_cell(source)
    nb.cells.insert(len(nb.cells) if index is None else index, cell)
    return nb


def code_cell_index(nb: nbformat.NotebookNode, text: str) -> int:
    """The index of the first code cell whose source contains ``text``."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and text in cell.source:
            return i
    raise ValueError(f"no code cell contains {text!r}")


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    """Save as .ipynb (what students hand in)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


def solution(name: str, proofs: bool = True) -> nbformat.NotebookNode:
    """The starter with every answer replaced by the reference solution (``proofs=False``:
    the proof parts left as in the starter, not attempted)."""
    answers = answers_from(HERE / "solutions" / f"{name}.py")
    nb = starter(name)
    wanted = {k: v for k, v in answers.items() if k in _answer_names(name, proofs)}
    return substitute(nb, wanted)


def full_score(name: str) -> str:
    """The score column of a notebook with every part right, as the grade table writes it."""
    from gdlab.grading import EXERCISES

    return f"{EXERCISES[name].max_points:g}"


def _answer_names(name: str, proofs: bool = True) -> set[str]:
    from gdlab.grading import EXERCISES
    from gdlab.grading.proof_parts import PROOF_PARTS

    skip = set() if proofs else {answer for _, _, answer, _, _ in PROOF_PARTS}
    return {p.answer for p in EXERCISES[name].parts} - skip
