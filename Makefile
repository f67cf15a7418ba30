# The companion's two commands: `make book` and `make test` (each does its own set-up).
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LAB_SETTINGS := $(VENV)/share/jupyter/lab/settings

.PHONY: help setup book test unit lint browser browser-deps lab bench notebooks clean
.DEFAULT_GOAL := help

help:
	@echo "make book   build the website (every page executed) into _build/html"
	@echo "make test   lint, unit tests and a full book build"
	@echo "make lab    JupyterLab on the project; MyST pages open as notebooks"
	@echo "make bench  print the benchmark figures (bench/*.py)"
	@echo "make notebooks  .ipynb twins of the pages in _build/notebooks (for the Colab buttons)"
	@echo "make clean  remove the build and the execution cache"

# The virtual environment, the pinned requirements and gdlab (editable); redone when a pin changes.
$(STAMP): requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e . \
	  || $(BIN)/python -m pip install --quiet --no-deps -e .
	mkdir -p $(LAB_SETTINGS)
	printf '%s\n' '{"@jupyterlab/docmanager-extension:plugin": {"defaultViewers": {"markdown": "Jupytext Notebook", "myst": "Jupytext Notebook"}}}' > $(LAB_SETTINGS)/overrides.json
	touch $@

setup: $(STAMP)

book: $(STAMP)
	$(BIN)/jupyter-book build . --warningiserror --keep-going
	@echo "Website built: open file://$(CURDIR)/_build/html/index.html"

lint: $(STAMP)
	$(BIN)/ruff check lib tests bench tools _ext
	$(BIN)/ruff format --check lib tests bench tools _ext

unit: $(STAMP)
	$(BIN)/python -m pytest -q --ignore=tests/browser

# Browser tests need Chromium: Debian's package (Playwright's own browser download is not used).
browser-deps:
	@command -v chromium >/dev/null || command -v "$$GDLAB_CHROMIUM" >/dev/null || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium; }

browser: $(STAMP) browser-deps
	$(BIN)/python -m pytest -q tests/browser

test: lint unit book browser

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=$(CURDIR) $$([ "$$(id -u)" = 0 ] && echo --allow-root)

bench: $(STAMP)
	for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script; done

notebooks: $(STAMP)
	$(BIN)/python tools/make_notebooks.py _build/notebooks

clean:
	rm -rf _build .jupyter_cache
