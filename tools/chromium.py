"""The Chromium that prints the PDF (tools/make_pdf.py) and runs the browser tests (tests/browser).

Debian's ``chromium`` package (``make system-deps``), or the binary named by ``GDLAB_CHROMIUM``;
Playwright drives it with these switches (no sandbox inside containers, no GPU, and nothing that
would reach the network on its own).
"""

from __future__ import annotations

import os
import shutil

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def find_chromium() -> str | None:
    """The Chromium binary to use, or None when there is none."""
    return os.environ.get("GDLAB_CHROMIUM") or shutil.which("chromium")
