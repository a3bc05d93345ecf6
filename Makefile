# Two commands matter: `make run` and `make test`. Both bootstrap .venv from pyproject.toml on first use,
# so a fresh machine needs only Python >= 3.11 and pip.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: help venv test lint typecheck contracts pytest run validate-examples clean

help:
	@echo "make run    - the whole stack with a demo catalog and simulated clusters (see README)"
	@echo "make test   - lint + strict type check + import contracts + the whole pytest suite"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy .

contracts: $(STAMP)
	$(BIN)/lint-imports

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

test: lint typecheck contracts pytest

validate-examples: $(STAMP)
	$(BIN)/dsctl validate deploy/demo-catalog

run: $(STAMP)
	$(BIN)/dsctl dev --simulate

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
