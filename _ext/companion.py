"""Local Sphinx extension of the companion: small fixes to the Jupyter Book 1 stack.

- pydata-sphinx-theme logs a console error on a first visit unless a default colour mode is set;
- sphinx-thebe registers its inline configuration script on every ``env-before-read-docs``, so a
  page can carry it twice ("Identifier 'THEBE_JS_URL' has already been declared"): scripts are
  de-duplicated per page;
- the "download .ipynb" button serves the notebook myst-nb saves, which in cache mode has no
  outputs: the outputs are merged back from the execution cache when the build finishes;
- Colab opens only ``.ipynb`` files from GitHub, while the pages are MyST ``.md``: the Colab button
  is pointed at the paired notebook on the branch ``companion_notebooks_branch``, which
  ``make notebooks`` fills (see CONTRIBUTING.md, "Publishing").
"""

from __future__ import annotations

import re
from pathlib import Path


def _page_context(app, pagename, templatename, context, doctree):
    # pydata-sphinx-theme's layout reads `default_mode` from the page context.
    context["default_mode"] = context.get("default_mode") or "auto"
    scripts = context.get("script_files")
    if scripts:
        seen, unique = set(), []
        for script in scripts:
            # The same script registered twice may differ only in priority: compare the rest.
            attributes = getattr(script, "attributes", {})
            filename = str(getattr(script, "filename", script) or "")
            key = (filename, tuple(sorted(attributes.items())))
            if key not in seen:
                seen.add(key)
                unique.append(script)
        scripts[:] = unique


def _colab_to_notebook(app, pagename, templatename, context, doctree):
    branch = app.config.companion_notebooks_branch
    pattern = re.compile(r"(colab\.research\.google\.com/github/[^/]+/[^/]+/blob/)[^/]+/(.+)\.md$")

    def rewrite(buttons):
        for button in buttons:
            if isinstance(button.get("buttons"), list):
                rewrite(button["buttons"])
            url = button.get("url", "")
            if "colab.research.google.com" in url:
                button["url"] = pattern.sub(rf"\g<1>{branch}/\g<2>.ipynb", url)

    rewrite(context.get("header_buttons", []))


def _downloads_with_outputs(app, exception):
    """Give every downloadable notebook (``_sources/**/*.ipynb``) its executed outputs."""
    if exception is not None or app.builder.format != "html":
        return
    # myst-nb keeps the resolved path in its environment config (default: _build/.jupyter_cache).
    cache_path = app.env.mystnb_config.execution_cache_path
    if not cache_path or not Path(cache_path).exists():
        return
    import nbformat
    from jupyter_cache import get_cache

    cache = get_cache(cache_path)
    for path in Path(app.outdir, "_sources").rglob("*.ipynb"):
        notebook = nbformat.read(path, as_version=4)
        try:
            _, merged = cache.merge_match_into_notebook(notebook)
        except KeyError:
            continue  # not executed through the cache (e.g. execution turned off)
        nbformat.write(merged, path)


def setup(app):
    app.add_config_value("companion_notebooks_branch", "notebooks", "html")
    app.connect("html-page-context", _page_context, priority=100)
    # After sphinx-book-theme has built its launch buttons (priority 501).
    app.connect("html-page-context", _colab_to_notebook, priority=600)
    app.connect("build-finished", _downloads_with_outputs)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
