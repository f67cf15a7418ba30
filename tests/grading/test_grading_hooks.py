"""An IPython input or AST transformer, or a trace or profile function, set by the notebook can
change what the harvest reports for that student's own answers: the row is marked tampered
(issue 12, failure 7)."""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import sandbox_probe as probe  # noqa: E402
import submission_fixtures as fx  # noqa: E402

HOOKS = {
    "input_transformer": """\
def _tidy(lines):
    return [line.replace("allow_nan=False", "allow_nan=True") for line in lines]
get_ipython().input_transformers_cleanup.append(_tidy)
""",
    "ast_transformer": """\
import ast
get_ipython().ast_transformers.append(ast.NodeTransformer())
""",
    "settrace": """\
import sys
def _tracer(frame, event, arg):
    return None
sys.settrace(_tracer)
""",
    "setprofile": """\
import threading
threading.setprofile(lambda *args: None)
""",
}


def test_transformers_and_trace_functions_mark_the_row_tampered(tmp_path):
    folder = tmp_path / "subs"
    solution = fx.solution("steepest_descent")
    for name, cell in HOOKS.items():
        fx.write(fx.add_cell(solution, cell, 1), folder / f"{name}.ipynb")
    fx.write(solution, folder / "untouched.ipynb")
    probe.grade(folder, tmp_path / "g.csv", "--seed", "12")
    rows = probe.rows(tmp_path / "g.csv")
    for name in HOOKS:
        row = rows[f"{name}.ipynb"]
        assert (row["status"], row["score"]) == ("tampered", "0"), (name, row["reason"])
        assert "transformers or set a trace" in row["reason"]
    assert (rows["untouched.ipynb"]["status"], rows["untouched.ipynb"]["score"]) == (
        "ok",
        fx.full_score("steepest_descent"),
    )
