# The LSTM sentiment book. Two commands do everything on a fresh machine:
#
#   make book   venv + packages + IMDb data, execute every notebook (full mode), build _build/html
#   make test   venv + packages + IMDb data, unit tests, every notebook under nbmake in quick mode
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

# Tools from the project's venv come first for every recipe (and the kernels they start).
export PATH := $(BIN):$(PATH)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: help venv data book test unit notebooks lab strip clean distclean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 14

$(STAMP): requirements.txt pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --disable-pip-version-check -r requirements.txt
	@touch $@

venv: $(STAMP)  ## create .venv and install requirements.txt (once; again when it changes)

data: venv  ## fetch, check and extract the IMDb archive into data/ (IMDB_ARCHIVE or download)
	$(BIN)/python -m utils.data

book: data  ## execute every notebook in full mode (cached) and build _build/html
	BOOK_QUICK=0 $(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Open _build/html/index.html"

unit: data  ## unit tests only
	$(BIN)/python -m pytest tests/

notebooks: data  ## every notebook under nbmake, quick mode
	BOOK_QUICK=1 $(BIN)/python -m pytest --nbmake --nbmake-timeout=$(NB_TIMEOUT) chapters/

test: unit notebooks  ## unit tests, then every notebook in quick mode

lab: data  ## JupyterLab on the project's venv
	$(BIN)/jupyter lab

strip:  ## clear outputs and execution counts from every notebook (before committing)
	$(BIN)/jupyter nbconvert --clear-output --inplace --ClearMetadataPreprocessor.enabled=True chapters/*.ipynb

clean:  ## remove built books (keeps .venv, data/ and models/)
	rm -rf _build _build_quick

distclean: clean  ## also remove .venv, data/ and models/
	rm -rf $(VENV) data models
