"""Execution time of each executable page, against the target of 20 s per page.

Executes every page of ``_toc.yml`` that has code cells, one at a time and in a fresh kernel,
the way the book build does (MyST -> notebook by Jupytext, then nbclient, with the page's folder
as the working directory), and prints the wall-clock seconds of each. The machine's load average
is printed too: on 2 cores a concurrent job can double the figures. Run from the repository root:

    .venv/bin/python bench/pages.py [--cells] [PAGE ...]

where PAGE is a path such as ``chapters/edge_of_stability.md`` (all executable pages if none);
``--cells`` also prints each page's eight slowest cells.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import datetime
from pathlib import Path

import jupytext
import yaml
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 20.0


def toc_pages() -> list[Path]:
    """The pages of ``_toc.yml``, in its order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries):
        for entry in entries:
            pages.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc["parts"]:
        walk(part["chapters"])
    return [ROOT / f"{page}.md" for page in pages]


def is_notebook(page: Path) -> bool:
    """Whether MyST-NB executes ``page``: a MyST notebook (a kernelspec in its front matter)
    with at least one code cell."""
    notebook = jupytext.read(page, fmt="myst")
    return "kernelspec" in notebook.metadata and any(c.cell_type == "code" for c in notebook.cells)


def execute(page: Path) -> tuple[float, list[tuple[float, str]]]:
    """Wall-clock seconds to execute ``page`` in a fresh kernel, and each code cell's seconds
    with its first line (errors propagate)."""
    notebook = jupytext.read(page, fmt="myst")
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        record_timing=True,
        resources={"metadata": {"path": page.parent}},
    )
    start = time.perf_counter()
    client.execute()
    total = time.perf_counter() - start
    cells = []
    for cell in notebook.cells:
        timing = cell.get("metadata", {}).get("execution", {})
        if cell.cell_type == "code" and "shell.execute_reply" in timing:
            seconds = _seconds(timing["shell.execute_reply"]) - _seconds(
                timing["iopub.execute_input"]
            )
            cells.append((seconds, cell.source.strip().splitlines()[0][:60]))
    return total, cells


def _seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def main(arguments: list[str]) -> int:
    show_cells = "--cells" in arguments
    arguments = [a for a in arguments if a != "--cells"]
    pages = [ROOT / a for a in arguments] if arguments else toc_pages()
    pages = [p for p in pages if is_notebook(p)]
    print(f"load average before: {os.getloadavg()[0]:.2f} (2 cores)")
    print(f"{'page':42s} seconds   target")
    slow = []
    for page in pages:
        seconds, cells = execute(page)
        flag = "" if seconds < TARGET_SECONDS else "  OVER"
        print(f"{str(page.relative_to(ROOT)):42s} {seconds:7.1f}   < {TARGET_SECONDS:.0f}{flag}")
        if show_cells:
            for cell_seconds, first_line in sorted(cells, reverse=True)[:8]:
                print(f"    {cell_seconds:6.1f}  {first_line}")
        if seconds >= TARGET_SECONDS:
            slow.append(page)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
