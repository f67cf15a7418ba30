"""Book build time: cold (empty execution cache, fresh output) and cached rebuild with no changes.

Targets on 2 cores: cold <= 180 s for the whole book, cached rebuild <= 20 s. The venv must exist
(`make setup`). Builds into a temporary folder, so the project's own _build is left alone.

Usage: .venv/bin/python bench/build.py
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
JUPYTER_BOOK = Path(sys.executable).with_name("jupyter-book")


def build(output: Path) -> float:
    command = [str(JUPYTER_BOOK), "build", str(ROOT), "--path-output", str(output)]
    start = time.perf_counter()
    result = subprocess.run(command + ["--warningiserror"], capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"build failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return elapsed


def main() -> None:
    output = Path(tempfile.mkdtemp(prefix="gdlab-build-bench-"))
    try:
        cold = build(output)
        cached = build(output)
    finally:
        shutil.rmtree(output, ignore_errors=True)
    pages = len(list(ROOT.glob("chapters/*.md"))) + len(list(ROOT.glob("exercises/*.md"))) + 2
    print(f"book build ({pages} source pages)      seconds   target")
    print(f"cold (empty cache)              {cold:8.1f}   <= 180")
    print(f"cached rebuild, no changes      {cached:8.1f}   <= 20")


if __name__ == "__main__":
    main()
