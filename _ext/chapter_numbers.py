r"""Show the chapter's own numbers (4.9, Lemma 4.1.4, Figure 4.2) and name everything else.

Sphinx numbers labelled equations, figures, sphinx-proof boxes and sphinx-exercise boxes with
counters that run through the whole book ("(26)", "Fig. 27"), which never match the chapter. This
extension shows only the chapter's numbers (4.x) and names the rest:

- **Equations.** A labelled display equation whose LaTeX contains ``\tag{4.9}``,

  .. code-block:: md

     $$ f(w) \le \dots \tag{4.9} $$ (eq-4-9)

  is shown with the number ``(4.9)`` (the ``\tag`` is removed from the LaTeX, so MathJax does
  not print a second number) and ``{eq}`eq-4-9``` renders as ``(4.9)`` on every page. A tag may
  be a name instead, ``\tag{HB}``. A labelled equation without a ``\tag`` is named after its
  label: ``(eq-adagrad-norm-rate)`` is shown and referenced as ``(adagrad norm rate)``, never by
  a running number. An unlabelled ``\tag`` is left to MathJax.
- **Figures, tables, code blocks.** Only those listed in the configuration value
  ``chapter_figure_numbers`` (label -> the chapter's number, e.g. ``fig-hidden-valley: "4.2"``)
  are numbered ("Figure 4.2"); every other one is shown without a number. ``{numref}`` to an
  unnumbered figure becomes a link reading "this figure" (same page) or "the figure on <page>".
- **Theorem boxes.** A ``prf:`` box with ``:nonumber:`` whose title starts with its own type and
  a number, ``Lemma 4.1.4 (Descent lemma)``, is headed "Lemma 4.1.4 (Descent lemma)" (not
  "Lemma (Lemma 4.1.4 (Descent lemma))"), and ``{prf:ref}`descent-lemma``` renders as
  "Lemma 4.1.4" (not "Lemma ").
- **Exercises.** An ``exercise`` with ``:nonumber:`` whose title starts with a word and a number,
  ``Problem 4.1.1 (Steepest direction)``, is headed exactly that (not "Exercise (Problem ...)"),
  and ``{ref}`problem-4-1-1``` renders as "Problem 4.1.1".
- **Numbered boxes** (a ``prf:`` box or an exercise without ``:nonumber:``) are numbered per page,
  1, 2, 3..., as the parts of that page, never through the whole book.

Requires ``numfig`` and ``math_numfig`` (the book's config).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging

logger = logging.getLogger(__name__)

#: ``\tag{4.9}`` or ``\tag*{4.9}`` in an equation's LaTeX.
TAG = re.compile(r"\\tag\*?\{([^{}]+)\}")
#: "Lemma 4.1.4 (Descent lemma)" -> ("Lemma", "4.1.4", " (Descent lemma)").
NUMBERED_TITLE = re.compile(r"^\s*([A-Za-z]+)\s+(\d+(?:\.\d+)*)(.*)$", re.DOTALL)
#: Enumerable types that are named, not numbered, unless the chapter gives them a number.
NAMED_TYPES = ("figure", "table", "code-block")


def chapter_tag(latex: str) -> tuple[str | None, str]:
    r"""The single ``\tag{...}`` of an equation and the LaTeX without it, or (None, latex)."""
    tags = TAG.findall(latex)
    if len(tags) != 1:
        return None, latex
    return tags[0].strip(), TAG.sub("", latex).rstrip()


def label_name(label: str) -> str:
    """The name an untagged labelled equation is shown with: "eq-adagrad-rate" -> "adagrad rate"."""
    name = re.sub(r"^eq[-_:]", "", label.strip())
    return re.sub(r"[-_:]+", " ", name).strip() or label


def numbered_title(title: str, kind: str | None = None) -> tuple[str, str, str] | None:
    """Split "Lemma 4.1.4 (Descent lemma)" into (kind, number, rest), or None.

    With ``kind`` given, the title must start with that word (case-insensitive).
    """
    match = NUMBERED_TITLE.match(title)
    if match is None or (kind is not None and match.group(1).lower() != kind.lower()):
        return None
    return match.group(1), match.group(2), match.group(3)


def _registry(env) -> dict:
    if not hasattr(env, "chapter_numbers"):
        env.chapter_numbers = {"equations": {}, "labels": {}}
    return env.chapter_numbers


def _strip_text(title: nodes.Element, prefix_chars: int, suffix_chars: int) -> None:
    """Remove characters from the start of the first and the end of the last text child."""
    texts = [child for child in title.findall(nodes.Text)]
    first, last = texts[0], texts[-1]
    if first is last:
        new = str(first)[prefix_chars : len(first) - suffix_chars]
        first.parent.replace(first, nodes.Text(new))
        return
    first.parent.replace(first, nodes.Text(str(first)[prefix_chars:]))
    last.parent.replace(last, nodes.Text(str(last)[: len(last) - suffix_chars]))


def _read_equations(app, doctree, docname, registry) -> None:
    tags = {}
    for node in doctree.findall(nodes.math_block):
        if not node.get("label") or not node.get("ids"):
            continue
        tag, latex = chapter_tag(node.astext())
        if tag is None:
            # No running number: the equation is named after its label.
            tags[node["ids"][0]] = label_name(node["label"])
            continue
        node.children = []
        node += nodes.Text(latex)
        tags[node["ids"][0]] = tag
    if tags:
        registry["equations"][docname] = tags


def _read_proofs(app, doctree, docname, registry) -> None:
    # sphinx-proof's box without a number: its title node carries the box's id, and the title
    # text is proof_title_format (" (%t)") around the directive's argument.
    for node in doctree.findall(nodes.Admonition):
        realtype = node.get("realtype")
        if not realtype or not node.get("label") or not node.children:
            continue
        title = node.children[0]
        if not isinstance(title, nodes.title) or not title.get("ids"):
            continue  # a numbered box: sphinx-proof's own counter applies
        text = title.astext()
        opening = text.find("(")
        if opening < 0 or not text.rstrip().endswith(")"):
            continue
        inner = text[opening + 1 : text.rstrip().rfind(")")]
        parts = numbered_title(inner, kind=realtype)
        if parts is None:
            continue
        kind, number, _rest = parts
        # Keep "4.1.4 (Descent lemma)": sphinx-proof prints "Lemma " before the title.
        prefix = opening + 1 + inner.index(number)
        suffix = len(text) - text.rstrip().rfind(")")
        _strip_text(title, prefix, suffix)
        registry["labels"][node["label"]] = (docname, f"{kind} {number}")


def _read_exercises(app, doctree, docname, registry) -> None:
    try:
        from sphinx_exercise.nodes import exercise_node, exercise_subtitle
    except ImportError:  # pragma: no cover - the book always has sphinx-exercise
        return
    for node in doctree.findall(exercise_node):
        subtitle = next(iter(node.findall(exercise_subtitle)), None)
        if subtitle is None or not node.get("label"):
            continue
        parts = numbered_title(subtitle.astext())
        if parts is None:
            continue
        node["chapter_title"] = True
        registry["labels"][node["label"]] = (docname, f"{parts[0]} {parts[1]}")


def _doctree_read(app, doctree) -> None:
    registry = _registry(app.env)
    docname = app.env.docname
    _read_equations(app, doctree, docname, registry)
    _read_proofs(app, doctree, docname, registry)
    _read_exercises(app, doctree, docname, registry)


def _chapter_figures(app, env) -> dict:
    """(docname, node id) -> the chapter's number, from ``chapter_figure_numbers``."""
    labels = env.get_domain("std").labels
    wanted = {}
    for label, number in (app.config.chapter_figure_numbers or {}).items():
        entry = labels.get(str(label).lower())
        if entry is None:
            logger.warning(f"chapter_figure_numbers: no figure is labelled {label!r}")
            continue
        wanted[entry[0], entry[1]] = str(number)
    return wanted


def _apply_chapter_numbers(app, env) -> None:
    """After Sphinx has numbered everything through the book, keep only the chapter's numbers.

    Equations get their tag (a number or a name), figures/tables/code blocks the chapter's
    number or none, and numbered theorem and exercise boxes a number per page.
    """
    equations = _registry(env)["equations"]
    wanted = _chapter_figures(app, env)
    for docname, by_type in env.toc_fignumbers.items():
        for figtype, numbers in by_type.items():
            if figtype == "displaymath":
                for node_id, tag in equations.get(docname, {}).items():
                    if node_id in numbers:
                        numbers[node_id] = (tag,)
            elif figtype in NAMED_TYPES:
                for node_id in list(numbers):
                    if (docname, node_id) in wanted:
                        numbers[node_id] = (wanted[docname, node_id],)
                    else:
                        del numbers[node_id]
            else:  # theorem and exercise boxes: 1, 2, 3... on each page
                in_order = sorted(numbers, key=lambda node_id: numbers[node_id])
                for index, node_id in enumerate(in_order, start=1):
                    numbers[node_id] = (index,)


def _purge(app, env, docname) -> None:
    registry = _registry(env)
    registry["equations"].pop(docname, None)
    for label in [k for k, (doc, _) in registry["labels"].items() if doc == docname]:
        del registry["labels"][label]


def _merge(app, env, docnames, other) -> None:
    registry, theirs = _registry(env), _registry(other)
    for docname in docnames:
        if docname in theirs["equations"]:
            registry["equations"][docname] = theirs["equations"][docname]
    for label, (docname, text) in theirs["labels"].items():
        if docname in docnames:
            registry["labels"][label] = (docname, text)


class ChapterReferenceText(SphinxPostTransform):
    """Give implicit references to chapter-numbered boxes their number as text.

    Runs before Sphinx resolves references (priority 10): ``{prf:ref}`descent-lemma``` becomes
    ``{prf:ref}`Lemma 4.1.4 <descent-lemma>```, and likewise for ``{ref}`` to an exercise.
    """

    default_priority = 9

    def run(self, **kwargs) -> None:
        from sphinx import addnodes

        labels = _registry(self.env)["labels"]
        for node in list(self.document.findall(addnodes.pending_xref)):
            if (node.get("refdomain"), node.get("reftype")) == ("std", "numref"):
                self._name_unnumbered(node)
                continue
            target = node.get("reftarget")
            if node.get("refexplicit") or target not in labels:
                continue
            if (node.get("refdomain"), node.get("reftype")) not in {("prf", "ref"), ("std", "ref")}:
                continue
            content = node.children[0] if node.children else None
            if not isinstance(content, nodes.Element):
                continue
            content.children = []
            content += nodes.Text(labels[target][1])
            node["refexplicit"] = True

    def _name_unnumbered(self, node) -> None:
        """A ``{numref}`` to a figure that has no number links with words instead."""
        entry = self.env.get_domain("std").labels.get(node.get("reftarget", ""))
        if entry is None:
            return  # Sphinx reports the unknown label
        docname, node_id = entry[0], entry[1]
        by_type = self.env.toc_fignumbers.get(docname, {})
        if any(node_id in by_type.get(figtype, {}) for figtype in NAMED_TYPES):
            return  # a chapter number: Sphinx writes "Figure 4.2"
        if node.get("refexplicit"):
            text = re.sub(r"\s*(%s|\{number\}|\{name\})\s*", " ", node.astext()).strip()
        elif docname == self.env.docname:
            text = "this figure"
        else:
            title = self.env.titles.get(docname)
            text = "the figure on " + (title.astext() if title is not None else docname)
        content = nodes.inline("", text, classes=["xref", "std", "std-ref"])
        node.children = [content]
        node["reftype"] = "ref"
        node["refexplicit"] = True


class ChapterExerciseTitles(SphinxPostTransform):
    """Head a chapter-numbered exercise "Problem 4.1.1 (...)" instead of "Exercise (Problem ...)".

    Runs after sphinx-exercise has built the title (its priority 20).
    """

    default_priority = 21

    def run(self, **kwargs) -> None:
        try:
            from sphinx_exercise.nodes import exercise_node
        except ImportError:  # pragma: no cover
            return
        for node in self.document.findall(exercise_node):
            if not node.get("chapter_title") or not node.children:
                continue
            title = node.children[0]
            if not isinstance(title, nodes.title):
                continue
            # sphinx-exercise built: Text("Exercise"), Text(" ("), <subtitle nodes>, Text(")")
            children = list(title.children)
            if len(children) < 4 or str(children[1]) != " (" or str(children[-1]) != ")":
                continue
            title.children = []
            for child in children[2:-1]:
                title += child


def setup(app):
    app.connect("doctree-read", _doctree_read)
    app.add_config_value("chapter_figure_numbers", {}, "env")
    app.connect("env-check-consistency", _apply_chapter_numbers)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.add_post_transform(ChapterReferenceText)
    app.add_post_transform(ChapterExerciseTitles)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 2}
