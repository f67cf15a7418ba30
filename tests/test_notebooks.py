"""tools/make_notebooks.py: the .ipynb twins behind the Colab buttons."""

import importlib.util
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("make_notebooks", ROOT / "tools/make_notebooks.py")
make_notebooks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_notebooks)


def test_every_toc_entry_exists():
    for name in make_notebooks.toc_files():
        assert (ROOT / f"{name}.md").exists(), f"_toc.yml lists {name} but {name}.md is missing"


def test_twins_are_valid_notebooks_with_the_pages_code(tmp_path):
    written = make_notebooks.write_notebooks(tmp_path)
    assert tmp_path / "chapters/quadratic_model.ipynb" in written
    for path in written:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
        page = jupytext.read(ROOT / path.relative_to(tmp_path).with_suffix(".md"))
        assert "pip" in notebook.cells[0].source and "gdlab" in notebook.cells[0].source
        page_code = [c.source for c in page.cells if c.cell_type == "code"]
        twin_code = [c.source for c in notebook.cells[1:] if c.cell_type == "code"]
        assert twin_code == page_code
        assert all(not c.get("outputs") for c in notebook.cells if c.cell_type == "code")
