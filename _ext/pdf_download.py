"""Sphinx side of the printable PDF (``make pdf``, ``tools/make_pdf.py``).

- Every page's download menu (next to its .ipynb and .md) gets a button for the whole companion
  as one PDF, ``_downloads/companion.pdf``. The site is built before the PDF (``make pdf`` prints
  the built site), so the button is in every page but hidden, and linking "#", until the small
  script ``_static/companion-pdf.js`` marks the PDF as built and points the button at it: this
  extension writes the script at every build (built or not, by whether the PDF is in the site),
  and ``make pdf`` rewrites it after copying the PDF into the site.
- The print stylesheet ``companion-print.css`` (in ``pdf_static/``) is added to every page for
  ``media="print"``; ``tools/make_pdf.py`` prints with it too.
"""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).with_name("pdf_static")
PDF = "_downloads/companion.pdf"
FLAG_SCRIPT = "companion-pdf.js"
BUTTON_LABEL = "download-companion-pdf-button"
# The "built" script marks <html data-companion-pdf="built"> (the stylesheet then shows the
# button) and points the button at the PDF: a page written before the PDF existed links "#", so
# that the site never links a missing file.
_FLAG_ON = """document.documentElement.dataset.companionPdf = "built";
document.addEventListener("DOMContentLoaded", () => {
  const root = document.documentElement.dataset.content_root || "";
  for (const link of document.querySelectorAll("a.btn-download-companion-pdf-button")) {
    link.setAttribute("href", root + "_downloads/companion.pdf");
  }
});
"""
_FLAG_OFF = (
    "/* The companion's PDF was not built (make pdf): its download button stays hidden. */\n"
)


def write_flag(outdir: Path | str, built: bool) -> Path:
    """Write ``_static/companion-pdf.js``: it shows the PDF button when ``built``."""
    path = Path(outdir, "_static", FLAG_SCRIPT)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "// Written by _ext/pdf_download.py and by make pdf (tools/make_pdf.py).\n"
        + (_FLAG_ON if built else _FLAG_OFF),
        encoding="utf-8",
    )
    return path


def _static_path(app, config):
    config.html_static_path.append(str(STATIC))


def _add_button(app, pagename, templatename, context, doctree):
    """Add the whole-book PDF to the page's download menu (sphinx-book-theme's button group)."""
    pathto = context.get("pathto")
    if pathto is None:
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons" and isinstance(group.get("buttons"), list):
            group["buttons"].append(
                {
                    "type": "link",
                    "url": pathto(PDF, 1) if Path(app.outdir, PDF).is_file() else "#",
                    "text": "book .pdf",
                    "tooltip": "Download the whole companion as one PDF",
                    "icon": "fas fa-book",
                    "label": BUTTON_LABEL,
                }
            )


def _write_flag(app, exception):
    if exception is None and app.builder.format == "html":
        write_flag(app.outdir, built=Path(app.outdir, PDF).is_file())


def setup(app):
    app.connect("config-inited", _static_path)
    app.add_css_file("companion-pdf.css")
    app.add_css_file("companion-print.css", media="print")
    app.add_js_file(FLAG_SCRIPT)
    # After sphinx-book-theme has built its header buttons (priority 501).
    app.connect("html-page-context", _add_button, priority=600)
    app.connect("build-finished", _write_flag)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
