# The companion's two commands: `make book` and `make test` (each does its own set-up).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings

.PHONY: help setup book pdf test unit lint browser browser-deps system-deps lab notebook bench notebooks clean grade mutation
.DEFAULT_GOAL := help

help:
	@echo "make book   build the website (every page executed) into _build/html"
	@echo "make pdf    the whole book as one printable PDF: _build/pdf/companion.pdf (after make book)"
	@echo "make test   lint, unit tests, a full book build, the PDF and the browser tests"
	@echo "make lab    JupyterLab on the project; MyST pages open as notebooks"
	@echo "make notebook  Notebook 7 on the project; MyST pages open as notebooks"
	@echo "make bench  print the benchmark figures (bench/*.py)"
	@echo "make mutation  mutation score per module and the surviving mutants (slow: about 30 min)"
	@echo "make notebooks  .ipynb twins of the pages in _build/notebooks (for the Colab buttons)"
	@echo "make clean  remove the build and the execution cache"
	@echo "make grade SUBMISSIONS=dir OUT=grades.csv  grade a folder of notebooks (SEED=n to regrade, OVERWRITE=1 to replace OUT)"

# The virtual environment, the pinned requirements and gdlab (editable); redone when a pin changes.
# overrides.json makes the Jupytext Notebook viewer the default for .md files; JupyterLab and
# Notebook 7 both read it (Notebook 7's app settings folder is JupyterLab's, share/jupyter/lab).
$(STAMP): requirements.txt pyproject.toml tools/ipython_kernel_config.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . \
	  || $(BIN)/python -m pip install --quiet --no-deps -e .
	mkdir -p $(VENV)/etc/ipython && cp tools/ipython_kernel_config.py $(VENV)/etc/ipython/
	mkdir -p $(LAB_SETTINGS)
	printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' > $(LAB_SETTINGS)/overrides.json
	touch $@

setup: $(STAMP)

# The execution cache is keyed on each page's code only, so a change in gdlab would leave pages
# showing (and asserting) results of the old library: when gdlab changes, the cache and Sphinx's
# environment (which would skip unchanged pages) are dropped. So they are when the kernel's figure
# settings (tools/ipython_kernel_config.py) change.
GDLAB_HASH = $$(find lib/gdlab tools/ipython_kernel_config.py -type f -not -path '*/__pycache__/*' | LC_ALL=C sort | xargs cat | sha256sum | cut -c1-16)

book: $(STAMP)
	@hash=$(GDLAB_HASH); if [ "$$(cat _build/.gdlab-hash 2>/dev/null)" != "$$hash" ]; then \
	  echo "gdlab (or the kernel's figure settings) changed since the last build: re-executing every page"; \
	  rm -rf _build/.jupyter_cache _build/.doctrees _build/jupyter_execute; fi
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo $(GDLAB_HASH) > _build/.gdlab-hash
	@echo "Website built: open file://$(CURDIR)/_build/html/index.html"

# The whole book as one PDF, printed from the built site by Chromium (tools/make_pdf.py); it is
# also copied into the site, whose pages then show its download button.
pdf: book system-deps
	$(BIN)/python tools/make_pdf.py

lint: $(STAMP)
	$(BIN)/ruff check lib tests bench tools _ext
	$(BIN)/ruff format --check lib tests bench tools _ext

unit: $(STAMP) system-deps
	$(BIN)/python -m pytest -q --ignore=tests/browser

# System packages the tests need, from Debian: Chromium for the browser tests and the PDF
# (Playwright's own browser download is not used), Node.js, which runs the explorer's JavaScript
# core against gdlab.optim in the unit tests, poppler-utils, whose pdfimages the PDF's test reads
# image resolutions with, Bubblewrap, the batch grader's sandbox (mode bwrap), and libseccomp,
# which builds its seccomp filter. Installed only when missing.
system-deps:
	@missing=; \
	command -v chromium >/dev/null || command -v "$$GDLAB_CHROMIUM" >/dev/null || missing="$$missing chromium"; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v pdfimages >/dev/null || missing="$$missing poppler-utils"; \
	command -v bwrap >/dev/null || missing="$$missing bubblewrap"; \
	ldconfig -p 2>/dev/null | grep 'libseccomp\.so\.2' >/dev/null || missing="$$missing libseccomp2"; \
	if [ -n "$$missing" ]; then \
	  echo "Installing Debian packages for the tests:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

browser-deps: system-deps

browser: $(STAMP) browser-deps
	$(BIN)/python -m pytest -q tests/browser

test: lint unit book pdf browser

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=$(CURDIR) $$([ "$$(id -u)" = 0 ] && echo --allow-root)

notebook: $(STAMP)
	$(BIN)/jupyter notebook --notebook-dir=$(CURDIR) $$([ "$$(id -u)" = 0 ] && echo --allow-root)

bench: $(STAMP)
	for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script; done

# Mutation testing with mutmut (tools/mutation.py): the score per module of gdlab.optim, rates,
# schedules, curvature and the exercise judges, and every surviving mutant. Not part of `make test`.
MUTATION_STAMP := $(VENV)/.mutation-installed
$(MUTATION_STAMP): requirements-mutation.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-mutation.txt
	touch $@

mutation: $(MUTATION_STAMP)
	$(BIN)/python tools/mutation.py $(MUTATION_GROUPS)

notebooks: $(STAMP)
	$(BIN)/python tools/make_notebooks.py _build/notebooks

clean:
	rm -rf _build .jupyter_cache

# Batch grader (exercises/instructor_guide.md): one CSV row per file in SUBMISSIONS, plus
# $(OUT:.csv=.json) and a Gradescope results.json per student in $(OUT:.csv=_results)/.
# An existing OUT is replaced only with OVERWRITE=1.
SUBMISSIONS ?= submissions
OUT ?= grades.csv
SEED ?=
OVERWRITE ?=
grade: $(STAMP)
	$(BIN)/python -m gdlab.grading grade "$(SUBMISSIONS)" --out "$(OUT)" $(if $(SEED),--seed $(SEED)) $(if $(OVERWRITE),--overwrite)
