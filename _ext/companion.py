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

Accessibility (WCAG 2.1 AA; ``tests/browser/test_accessibility.py`` runs axe on every page):

- a ``{glue:figure}`` without ``:alt:`` would get its file name as alt text (``../_images/5efec8...
  .png``): its image gets the figure's caption as alt text instead;
- the theme's search button is named "Search" while it shows "Search Ctrl+K", and its colour-mode
  button's icons carry titles that are not its name: ``_templates/`` overrides both;
- the sidebar's ``<summary>`` toggles (pydata-sphinx-theme) have no text: each gets a visually
  hidden one naming the section it opens;
- docutils gives bibliography entries ``role="doc-biblioentry"`` (deprecated in ARIA 1.3, and not
  a ``listitem`` of their ``role="list"`` container): they become ``listitem``; myst-nb names
  its hide-input toggles "Toggle hidden content" while they show "Show code cell source": the
  name becomes the text shown;
- ``assets/css/companion-a11y.css`` (every page): link colour with AA contrast on tinted boxes.
"""

from __future__ import annotations

import re
from pathlib import Path

from docutils import nodes

ROOT = Path(__file__).resolve().parents[1]
_FILE_NAME_ALT = re.compile(r"(\.(png|jpe?g|gif|svg|webp)$)|(^|/)_images/|^[0-9a-f]{16,}", re.I)
# TeX in a caption, said in words for an alt text: Greek letters and a few operators.
_TEX_WORDS = {
    **{
        rf"\{name}": char
        for name, char in zip(
            "alpha beta gamma delta epsilon eta theta kappa lambda mu nu rho sigma tau phi".split(),
            "\u03b1\u03b2\u03b3\u03b4\u03b5\u03b7\u03b8\u03ba\u03bb\u03bc\u03bd\u03c1\u03c3\u03c4\u03c6",
            strict=True,
        )
    },
    r"\nabla": "\u2207",
    r"\star": "*",
    r"\top": "\u1d40",
    r"\le": "\u2264",
    r"\leq": "\u2264",
    r"\ge": "\u2265",
    r"\geq": "\u2265",
    r"\approx": "\u2248",
    r"\times": "\u00d7",
    r"\cdot": "\u00b7",
    r"\sqrt": "\u221a",
    r"\infty": "\u221e",
    r"\propto": "\u221d",
    r"\pm": "\u00b1",
    r"\to": "\u2192",
    r"\in": "\u2208",
    r"\ll": "\u226a",
    r"\gg": "\u226b",
    r"\ldots": "\u2026",
    r"\dots": "\u2026",
    r"\|": "\u2016",
    r"\,": " ",
}


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


def tex_as_text(tex: str) -> str:
    """A caption's TeX as plain text for an alt attribute (``\\eta = 1/L`` -> ``η = 1/L``)."""
    text = re.sub(r"\\(?:mathrm|mathbf|text|operatorname|hat|tilde|bar)\b", "", tex)
    text = re.sub(r"\\frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"(\1)/(\2)", text)
    for command in sorted(_TEX_WORDS, key=len, reverse=True):
        text = re.sub(re.escape(command) + r"(?![A-Za-z])", _TEX_WORDS[command], text)
    text = re.sub(r"\\(left|right|big|Big|bigl|bigr|quad|qquad)\b", "", text)
    # a group of more than one character as a power or index keeps its extent: t^{t-i} -> t^(t-i)
    text = re.sub(r"([_^])\{([^{}]{2,})\}", r"\1(\2)", text)
    text = re.sub(r"\\([A-Za-z]+)", r"\1", text)
    return re.sub(r"\s+", " ", text.replace("{", "").replace("}", "")).strip()


def caption_text(node: nodes.Node) -> str:
    """The text of a caption with its math (``nodes.math``) written as plain text."""
    parts = []
    for child in node.findall(lambda n: isinstance(n, (nodes.Text, nodes.math))):
        if isinstance(child, nodes.math):
            parts.append(tex_as_text(child.astext()))
        elif not any(isinstance(parent, nodes.math) for parent in _ancestors(child)):
            parts.append(child.astext())
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def _ancestors(node):
    while node.parent is not None:
        node = node.parent
        yield node


def _needs_alt(image: nodes.image) -> bool:
    alt = image.get("alt", "").strip()
    return not alt or bool(_FILE_NAME_ALT.search(alt)) or alt == image.get("uri")


def _image_key(image: nodes.image) -> str:
    # myst-nb names output images by a hash of their content: the same figure, the same name
    return Path(str(image.get("uri", ""))).name


def _figure_alt_from_caption(app, doctree, docname=None):
    """A figure's image with no alt text (or its file name) gets the figure's caption.

    The alt texts of figures are remembered by image, for :func:`_alt_from_same_figure`.
    """
    alts = getattr(app.env, "companion_figure_alts", None) if app is not None else None
    for figure in doctree.findall(nodes.figure):
        captions = [child for child in figure.children if isinstance(child, nodes.caption)]
        text = caption_text(captions[0]) if captions else ""
        for image in figure.findall(nodes.image):
            if text and _needs_alt(image):
                image["alt"] = text
            if alts is not None and not _needs_alt(image):
                alts[_image_key(image)] = image["alt"]


def _alt_from_same_figure(app, doctree, docname):
    """An image shown outside a figure (``{glue}`` of another page's figure) with no alt text
    gets the alt text of the figure that shows the same image."""
    alts = getattr(app.env, "companion_figure_alts", {})
    for image in doctree.findall(nodes.image):
        if _needs_alt(image) and _image_key(image) in alts:
            image["alt"] = alts[_image_key(image)]


def _reset_alts(app, env, docnames):
    if not hasattr(env, "companion_figure_alts"):
        env.companion_figure_alts = {}


def _merge_alts(app, env, docnames, other):
    env.companion_figure_alts = {
        **getattr(env, "companion_figure_alts", {}),
        **getattr(other, "companion_figure_alts", {}),
    }


def _name_sidebar_toggles(app, pagename, templatename, context, doctree):
    """Give the sidebar's text-less ``<summary>`` toggles a (visually hidden) name."""
    generate = context.get("generate_toctree_html")
    if generate is None or getattr(generate, "_companion_named", False):
        return

    def named(*args, **kwargs):
        return _name_summaries(generate(*args, **kwargs))

    named._companion_named = True
    context["generate_toctree_html"] = named


def _name_summaries(html):
    from bs4 import BeautifulSoup

    if "<summary" not in str(html):
        return html
    soup = BeautifulSoup(str(html), "html.parser")
    for summary in soup.select("li.has-children > details > summary"):
        if summary.get_text(strip=True):
            continue
        item = summary.find_parent("li")
        link = item.find("a", recursive=False) if item else None
        title = link.get_text(" ", strip=True) if link else ""
        hidden = soup.new_tag("span", attrs={"class": "visually-hidden"})
        hidden.string = f"Show or hide the sections of {title}" if title else "Show or hide"
        summary.append(hidden)
    # pydata-sphinx-theme returns the parsed tree (the template renders it with str()), keep that
    return str(soup) if isinstance(html, str) else soup


# Markup of other extensions, fixed in the page body: docutils' bibliography entries, and
# myst-nb's hide-input toggles, named "Toggle hidden content" while they show "Show code cell
# source" (without the aria-label their name is the text they show).
_BODY_FIXES = (
    ('role="doc-biblioentry"', 'role="listitem"'),
    ('<summary aria-label="Toggle hidden content">', "<summary>"),
)


def _fix_body_markup(app, pagename, templatename, context, doctree):
    body = context.get("body")
    if body:
        for old, new in _BODY_FIXES:
            body = body.replace(old, new)
        context["body"] = body


def _templates(app, config):
    """The companion's template overrides (``_templates/``) come before the theme's."""
    path = str(ROOT / "_templates")
    if path not in config.templates_path:
        config.templates_path.insert(0, path)


def setup(app):
    app.add_config_value("companion_notebooks_branch", "notebooks", "html")
    app.connect("html-page-context", _page_context, priority=100)
    # After sphinx-book-theme has built its launch buttons (priority 501).
    app.connect("html-page-context", _colab_to_notebook, priority=600)
    app.connect("build-finished", _downloads_with_outputs)
    app.connect("config-inited", _templates)
    app.connect("env-before-read-docs", _reset_alts)
    app.connect("env-merge-info", _merge_alts)
    app.connect("doctree-read", _figure_alt_from_caption)
    app.connect("doctree-resolved", _alt_from_same_figure)
    # After pydata-sphinx-theme has put generate_toctree_html in the context (default priority).
    app.connect("html-page-context", _name_sidebar_toggles, priority=900)
    app.connect("html-page-context", _fix_body_markup, priority=900)
    app.add_css_file("css/companion-a11y.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
