# The LSTM sentiment book. Two commands do everything on a fresh machine:
#
#   make book   venv + packages + IMDb data, execute every notebook (full mode), build _build/html
#   make test   venv + packages + IMDb data, unit tests, every notebook under nbmake in quick mode,
#               then a quick-mode book in _build_quick/ and the offline browser test (needs Debian's chromium)
#
# Offline? Point IMDB_ARCHIVE at a local aclImdb_v1.tar.gz (see README.md).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(abspath $(VENV))/bin
STAMP  := $(VENV)/.installed-requirements
NB_TIMEOUT ?= 1800
# The quick (CI) book is built in its own directory, so it has its own execution cache: quick-mode
# outputs never reach _build/ (_ext/quick_mode_guard.py refuses such a build).
QUICK_DIR  := _build_quick
QUICK_BOOK := BOOK_QUICK=1 $(BIN)/jupyter-book build . --path-output $(QUICK_DIR) -W -n --keep-going
# The browser test drives Debian's Chromium (Playwright's own browser download is not used).
CHROMIUM   ?= $(shell command -v chromium || command -v chromium-browser)

# Tools from the project's venv come first for every recipe (and the kernels they start).
export PATH := $(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv data book evaluate book-quick test unit notebooks browser lab strip clean distclean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(STAMP)  ## create .venv and install requirements.txt (once; again when it changes)

data: venv  ## fetch, check and extract the IMDb archive into data/ (IMDB_ARCHIVE or download)
	$(BIN)/python -m utils.data

book: data  ## execute every notebook in full mode (cached) and build _build/html, then `make evaluate`
	BOOK_QUICK=0 $(BIN)/jupyter-book build . -W -n --keep-going
	$(MAKE) --no-print-directory evaluate
	@echo "Open _build/html/index.html"

evaluate: data  ## re-measure models/imdb_lstm.keras on the 25,000 test reviews; fail if it disagrees with the book
	$(BIN)/python -m utils.inference

unit: data  ## unit tests only (the browser test is `make browser`)
	$(BIN)/python -m pytest tests/ --ignore=tests/test_browser.py

notebooks: data  ## every notebook under nbmake, quick mode
	BOOK_QUICK=1 $(BIN)/python -m pytest --nbmake --nbmake-timeout=$(NB_TIMEOUT) chapters/

book-quick: data  ## the book in quick mode (BOOK_QUICK=1) in _build_quick/, zero warnings
	$(QUICK_BOOK)

# Mandatory when BOOK_REQUIRE_BROWSER=1 (.ci/run sets it); otherwise skipped, with a message, without chromium.
browser: data  ## book-quick, then every page in headless Chromium with outside hosts blocked
	@if [ -z "$(CHROMIUM)" ]; then \
	  if [ "$${BOOK_REQUIRE_BROWSER:-0}" = 1 ]; then \
	    echo "ERROR: BOOK_REQUIRE_BROWSER=1 but no chromium on the PATH: apt-get install chromium (or set CHROMIUM=/path)" >&2; \
	    exit 1; \
	  fi; \
	  echo "SKIPPED: browser test of the built book: no chromium on the PATH."; \
	  echo "         To enable it: sudo apt-get install chromium (Debian/Ubuntu), or set CHROMIUM=/path/to/chromium."; \
	else \
	  echo "$(QUICK_BOOK)"; \
	  $(QUICK_BOOK); \
	  echo "BOOK_HTML_DIR=$(QUICK_DIR)/_build/html CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest tests/test_browser.py"; \
	  BOOK_HTML_DIR=$(QUICK_DIR)/_build/html CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest tests/test_browser.py; \
	fi

test: unit notebooks browser  ## unit tests, every notebook in quick mode, then the browser test

lab: data  ## JupyterLab on the project's venv
	$(BIN)/jupyter lab

strip:  ## clear outputs, execution counts and run-time metadata from every notebook (keeps tags, figure captions)
	$(BIN)/python .ci/strip_notebooks.py chapters/*.ipynb

clean:  ## remove built books (keeps .venv, data/ and models/)
	rm -rf _build _build_quick

distclean: clean  ## also remove .venv, data/ and models/
	rm -rf $(VENV) data models
