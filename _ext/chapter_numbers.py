r"""Show the chapter's own numbers (4.9, Lemma 4.1.4, Problem 4.1.1) instead of Sphinx's counters.

Sphinx numbers labelled equations, sphinx-proof boxes and sphinx-exercise boxes with its own
per-page counters, which never match the chapter. This extension lets a page write the chapter's
number once, in the source, and shows it everywhere:

- **Equations.** A labelled display equation whose LaTeX contains ``\tag{4.9}``,

  .. code-block:: md

     $$ f(w) \le \dots \tag{4.9} $$ (eq-4-9)

  is shown with the number ``(4.9)`` (the ``\tag`` is removed from the LaTeX, so MathJax does
  not print a second number) and ``{eq}`eq-4-9``` renders as ``(4.9)`` on every page. Labelled
  equations without a ``\tag`` keep Sphinx's numbering; an unlabelled ``\tag`` is left to MathJax.
- **Theorem boxes.** A ``prf:`` box with ``:nonumber:`` whose title starts with its own type and
  a number, ``Lemma 4.1.4 (Descent lemma)``, is headed "Lemma 4.1.4 (Descent lemma)" (not
  "Lemma (Lemma 4.1.4 (Descent lemma))"), and ``{prf:ref}`descent-lemma``` renders as
  "Lemma 4.1.4" (not "Lemma ").
- **Exercises.** An ``exercise`` with ``:nonumber:`` whose title starts with a word and a number,
  ``Problem 4.1.1 (Steepest direction)``, is headed exactly that (not "Exercise (Problem ...)"),
  and ``{ref}`problem-4-1-1``` renders as "Problem 4.1.1".

Anything else is left untouched. Requires ``numfig`` and ``math_numfig`` (the book's config).
"""

from __future__ import annotations

import re

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

#: ``\tag{4.9}`` or ``\tag*{4.9}`` in an equation's LaTeX.
TAG = re.compile(r"\\tag\*?\{([^{}]+)\}")
#: "Lemma 4.1.4 (Descent lemma)" -> ("Lemma", "4.1.4", " (Descent lemma)").
NUMBERED_TITLE = re.compile(r"^\s*([A-Za-z]+)\s+(\d+(?:\.\d+)*)(.*)$", re.DOTALL)


def chapter_tag(latex: str) -> tuple[str | None, str]:
    r"""The single ``\tag{...}`` of an equation and the LaTeX without it, or (None, latex)."""
    tags = TAG.findall(latex)
    if len(tags) != 1:
        return None, latex
    return tags[0].strip(), TAG.sub("", latex).rstrip()


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


def _apply_equation_numbers(app, env) -> None:
    """After Sphinx has numbered the figures and equations, put the chapter's tags in."""
    for docname, tags in _registry(env)["equations"].items():
        numbers = env.toc_fignumbers.get(docname, {}).get("displaymath")
        if numbers is None:
            continue
        for node_id, tag in tags.items():
            if node_id in numbers:
                numbers[node_id] = (tag,)


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
        for node in self.document.findall(addnodes.pending_xref):
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
    app.connect("env-check-consistency", _apply_equation_numbers)
    app.connect("env-purge-doc", _purge)
    app.connect("env-merge-info", _merge)
    app.add_post_transform(ChapterReferenceText)
    app.add_post_transform(ChapterExerciseTitles)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "env_version": 1}
