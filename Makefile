PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
ROOT ?= ./lakehouse

.PHONY: demo test lint venv clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

## make demo: create .venv, install, generate a 100-patient corpus and build Bronze -> Silver -> Gold
demo: $(BIN)/python
	$(BIN)/pip install -q -e .
	$(BIN)/scribe-lakehouse demo --root $(ROOT) --patients 100

## make test: create .venv with the dev extras and run the whole suite
test: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/scribe-lakehouse docs --check
	$(BIN)/pytest

lint: $(BIN)/python
	$(BIN)/ruff check src tests && $(BIN)/ruff format --check src tests && $(BIN)/mypy

clean:
	rm -rf $(VENV) $(ROOT)
