# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed
HOST ?= 127.0.0.1
PORT ?= 8080
DATA ?= data

.PHONY: run test check bench install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(RUN_STAMP): pyproject.toml sdk/pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e ./sdk -e .
	touch $@

$(TEST_STAMP): $(RUN_STAMP) pyproject.toml
	$(BIN)/pip install -q -e ./sdk -e '.[test]'
	touch $@

install: $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/colletta migrate --data-dir $(DATA)
	$(BIN)/colletta serve --host $(HOST) --port $(PORT) --data-dir $(DATA)

check: $(TEST_STAMP)
	$(BIN)/ruff check colletta sdk tests bench
	$(BIN)/ruff format --check colletta sdk tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: check
	$(BIN)/pytest -q

bench: $(TEST_STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
