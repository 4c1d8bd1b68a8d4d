# The only entry points a newcomer needs: make run, make test (and install, bench).
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
INDEX   ?= kb
STAMP   := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: install install-dev run test lint bench clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

# torch first, pinned: the CPU build of 2.13.0 lies on this machine's disk; an unpinned torch pulls GBs of CUDA.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -e .
	touch $@

$(DEVSTAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

install: $(STAMP)

install-dev: $(DEVSTAMP)

run: $(STAMP)
	$(BIN)/rag ui --index $(INDEX)

test: $(DEVSTAMP)
	$(BIN)/ruff check rag index ui eval tests
	HF_HUB_OFFLINE=1 GRADIO_ANALYTICS_ENABLED=False $(BIN)/python -m pytest -q -rs

bench: $(DEVSTAMP)
	$(BIN)/rag bench --sizes 1000,10000 --json out/bench.json

clean:
	rm -rf $(VENV) out test-artifacts
