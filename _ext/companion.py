"""Local Sphinx extension of the companion: small fixes to the Jupyter Book 1 stack.

- pydata-sphinx-theme logs a console error on a first visit unless a default colour mode is set;
- sphinx-thebe registers its inline configuration script on every ``env-before-read-docs``, so a
  page can carry it twice ("Identifier 'THEBE_JS_URL' has already been declared"): scripts are
  de-duplicated per page.
"""

from __future__ import annotations


def _page_context(app, pagename, templatename, context, doctree):
    # pydata-sphinx-theme's layout reads `default_mode` from the page context.
    context["default_mode"] = context.get("default_mode") or "auto"
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        # The same script registered twice may differ only in priority: compare the rest.
        attributes = getattr(script, "attributes", {})
        key = (str(getattr(script, "filename", script) or ""), tuple(sorted(attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    scripts[:] = unique


def setup(app):
    app.connect("html-page-context", _page_context, priority=100)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
