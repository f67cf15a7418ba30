"""Write an ``.ipynb`` twin of every page in ``_toc.yml`` (no outputs) into a folder.

Colab opens notebooks from GitHub only, and only ``.ipynb``: the site's Colab buttons point at
these twins on the branch named by ``companion_notebooks_branch`` (``_config.yml``). Each twin
starts with a cell that installs ``gdlab`` from the repository when it is not importable.

Usage: python tools/make_notebooks.py OUT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_files(toc_path: Path = ROOT / "_toc.yml") -> list[str]:
    """Every ``file:`` entry of the table of contents, in order (root first)."""
    toc = yaml.safe_load(toc_path.read_text())
    files = [toc["root"]]

    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({key: value for key, value in toc.items() if key != "root"})
    return files


def install_cell(repository_url: str, branch: str) -> nbformat.NotebookNode:
    source = (
        "# Makes `import gdlab` work where the companion is not installed (e.g. Colab).\n"
        "import importlib.util\nimport subprocess\nimport sys\n\n"
        'if importlib.util.find_spec("gdlab") is None:\n'
        "    subprocess.check_call([sys.executable, '-m', 'pip', 'install', '-q',\n"
        f"                           'git+{repository_url}@{branch}'])"
    )
    return nbformat.v4.new_code_cell(source, metadata={"tags": ["remove-cell"]})


def write_notebooks(out_dir: Path) -> list[Path]:
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    repository = config["repository"]
    written = []
    for name in toc_files():
        source = ROOT / f"{name}.md"
        notebook = jupytext.read(source)
        if not any(cell.cell_type == "code" for cell in notebook.cells):
            continue  # a plain Markdown page: nothing to run
        notebook.cells.insert(0, install_cell(repository["url"], repository["branch"]))
        target = out_dir / f"{name}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.validate(notebook)
        nbformat.write(notebook, target)
        written.append(target)
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for path in write_notebooks(Path(sys.argv[1])):
        print(path)
