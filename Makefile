# The two commands the README promises: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test lint vectors bench clean

$(STAMP): pyproject.toml clients/python/pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e clients/python -e '.[dev]'
	touch $@

install: $(STAMP)

run: install
	$(BIN)/federation db upgrade
	$(BIN)/federation demo
	$(BIN)/federation serve --bind 127.0.0.1:8000

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check federation clients tests migrations bench
	$(BIN)/ruff format --check federation clients tests migrations bench

vectors: install
	$(BIN)/python clients/test-vectors/generate.py

clean:
	rm -rf $(VENV) instance/federation.db*

bench: install
	$(BIN)/python -m bench.run
