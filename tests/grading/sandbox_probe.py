"""Run cells in a kernel started exactly as the batch grader starts one, and read what they print.

:func:`run_cells` uses the grader's own :class:`~gdlab.grading.sandbox.SandboxedKernelManager`
(the sandbox, the launcher, the descriptors, the uid), with nbclient keeping the outputs,
so a test can ask the kernel what it sees. :func:`grade` runs the documented command.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from gdlab.grading.sandbox import Limits, Sandbox, SandboxedKernelManager

ROOT = Path(__file__).resolve().parents[2]
LIBRARY = str(ROOT / "lib")


class _Client(NotebookClient):
    """nbclient's client that also keeps the text of each stream message as it came."""

    messages: list[str] | None = None

    def output(self, outs, msg, display_id, cell_index):
        if self.messages is not None and msg.get("msg_type") == "stream":
            self.messages.append(msg["content"]["text"])
        return super().output(outs, msg, display_id, cell_index)


def run_cells(
    cells: list[str],
    limits: Limits | None = None,
    uid: int | None = None,
    messages: list[str] | None = None,
):
    """The text each cell printed (stdout, stderr, errors), and the sandbox (cleaned up).

    ``messages``: a list to which the text of every stream message is appended, one item per
    message the kernel sent.
    """
    sandbox = Sandbox(limits or Limits(), uid=uid)
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    km = SandboxedKernelManager(sandbox)
    client = _Client(nb, km=km, timeout=60, allow_errors=True, startup_timeout=60)
    client.messages = messages
    try:
        client.execute()
    finally:
        km.close_sink()
        sandbox.cleanup()
    texts = []
    for cell in nb.cells:
        parts = []
        for output in cell.outputs:
            if output.output_type == "stream":
                parts.append(output.text)
            elif output.output_type == "error":
                parts.append(f"{output.ename}: {output.evalue}")
            elif "text/plain" in output.get("data", {}):
                parts.append(output.data["text/plain"])
        texts.append("".join(parts))
    return texts, sandbox


def grade(folder: Path, out: Path, *extra: str, env=None, check=True):
    """``python -m gdlab.grading grade FOLDER --out OUT EXTRA...`` as ``make grade`` runs it."""
    env = dict(os.environ, PYTHONPATH=LIBRARY, **(env or {}))
    command = [sys.executable, "-m", "gdlab.grading", "grade", str(folder), "--out", str(out)]
    return subprocess.run(
        command + list(extra), env=env, capture_output=True, text=True, timeout=900, check=check
    )


def rows(csv_path: Path) -> dict[str, dict]:
    with open(csv_path, newline="", encoding="utf-8") as handle:
        return {row["file"]: row for row in csv.DictReader(handle)}
