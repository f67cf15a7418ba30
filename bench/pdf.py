"""Benchmark the printable PDF: how long `make pdf` takes after `make book`, and how big it is.

Run as ``.venv/bin/python bench/pdf.py`` after ``make book``. It runs tools/make_pdf.py's build
on the built site (``_build/html``) into a temporary file, without copying it into the site, and
prints the wall time (gathering the pages, the explorer stills, the two prints, pypdf's pass), the
page count and the size. The time depends on the load of the machine: the two cores here are
shared, so run it when nothing else builds.

Targets: under 120 s after ``make book``, under 20 MB.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import make_pdf  # noqa: E402


def main() -> None:
    if not (make_pdf.SITE / "index.html").exists():
        sys.exit(f"no built site at {make_pdf.SITE}: run `make book` first")
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="gdlab-pdf-bench-") as folder:
        figures = make_pdf.build(out=Path(folder) / "companion.pdf", publish_to_site=False)
    own = resource.getrusage(resource.RUSAGE_SELF)
    print("printable PDF (tools/make_pdf.py)    value   target")
    print(f"build time after make book (s)  {figures['seconds']:9.1f}   < 120")
    print(f"  CPU: Chromium and driver (s)  {figures['browser_cpu_seconds']:9.1f}")
    print(f"  CPU: Python (s)               {own.ru_utime + own.ru_stime:9.1f}")
    print(
        f"  load average before, after    {load_before:4.1f}, {os.getloadavg()[0]:4.1f}   (2 cores)"
    )
    print(f"size (MB)                       {figures['bytes'] / 1e6:9.1f}   < 20")
    print(f"pages                           {figures['pages']:9d}")


if __name__ == "__main__":
    main()
