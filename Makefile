# The two commands a newcomer needs: `make run` and `make test`.
# Both install exactly the versions in uv.lock (README, Development: how to change them).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv comes from PyPI, pinned, in a venv of its own: `uv sync` removes what the lock does not
# list, so it cannot live in .venv.
UV_VERSION := 0.13.9
TOOLS := .tools
UV := $(TOOLS)/bin/uv
UV_STAMP := $(TOOLS)/.uv-$(UV_VERSION)
RUN_STAMP := $(VENV)/.run-installed
TEST_STAMP := $(VENV)/.test-installed
LOCK_INPUTS := uv.lock pyproject.toml sdk/pyproject.toml
HOST ?= 127.0.0.1
PORT ?= 8080
DATA ?= data
# `make lock LOCK_ARGS="--upgrade-package fastapi"` upgrades one package.
LOCK_ARGS ?=

# uv builds .venv with this interpreter and never downloads one.
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

# The web client (web/): npm installs exactly package-lock.json; Vite builds it into the
# package (colletta/web_dist), which `colletta serve` serves at / and the wheel ships.
NPM_STAMP := web/node_modules/.npm-installed
WEB_DIST := colletta/web_dist/index.html
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html \
	web/package.json web/package-lock.json web/vite.config.ts web/tsconfig.json
OPENAPI_JSON := web/node_modules/.openapi.json

.PHONY: run test check bench bench-pdq install lock clean web web-types web-check

$(UV_STAMP):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install -q uv==$(UV_VERSION)
	touch $@

# --compile-bytecode, as pip did: without it the first start of a fresh clone compiles every
# module it imports (3x slower), past the e2e tests' start timeout on a loaded machine.
SYNC := $(UV) sync --frozen --compile-bytecode

# --inexact: `make run` after `make test` keeps the test tools.
$(RUN_STAMP): $(LOCK_INPUTS) | $(UV_STAMP)
	$(SYNC) --inexact
	touch $@

# The test install is a superset of the run install, so it satisfies both stamps.
$(TEST_STAMP): $(LOCK_INPUTS) | $(UV_STAMP)
	$(SYNC) --extra test
	touch $(RUN_STAMP) $@

install: $(RUN_STAMP)

lock: | $(UV_STAMP)
	$(UV) lock $(LOCK_ARGS)

$(NPM_STAMP): web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

# Rebuilt when missing or older than any file of web/.
$(WEB_DIST): $(WEB_SOURCES) $(NPM_STAMP)
	cd web && npm run build

web: $(WEB_DIST)

# web/src/api/schema.d.ts is generated from the server's OpenAPI document; `make web-types`
# regenerates it, `make check` fails when the committed one is out of date.
web-types: $(RUN_STAMP) $(NPM_STAMP)
	$(BIN)/colletta openapi > $(OPENAPI_JSON)
	cd web && npx openapi-typescript node_modules/.openapi.json -o src/api/schema.d.ts

web-check: $(RUN_STAMP) $(NPM_STAMP)
	$(BIN)/colletta openapi > $(OPENAPI_JSON)
	cd web && npx openapi-typescript node_modules/.openapi.json -o node_modules/.schema.d.ts
	@cmp -s web/node_modules/.schema.d.ts web/src/api/schema.d.ts || \
	  { echo "web/src/api/schema.d.ts is out of date: run make web-types"; exit 1; }
	cd web && npx tsc --noEmit

run: $(RUN_STAMP) $(WEB_DIST)
	$(BIN)/colletta migrate --data-dir $(DATA)
	$(BIN)/colletta serve --host $(HOST) --port $(PORT) --data-dir $(DATA)

check: $(TEST_STAMP)
	$(UV) lock --check
	$(BIN)/ruff check colletta sdk tests bench
	$(BIN)/ruff format --check colletta sdk tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MAKE) web-check

# Two workers (pytest-xdist), a test file each at a time. The browser tests (tests/web/test_ui_*,
# Chromium against the built client) run after the rest, in runs of their own: Playwright's
# sync API leaves an event loop running in its process, which the asyncio tests after it in
# that process cannot start theirs beside.
PYTEST := $(BIN)/pytest -q -n 2 --dist loadfile
test: check $(WEB_DIST)
	$(PYTEST) --durations=30 --ignore-glob='tests/web/test_ui_*'
	$(PYTEST) --durations=10 tests/web/test_ui_*.py

bench: $(TEST_STAMP)
	$(BIN)/python bench/run.py $(BENCH_ARGS)

# PDQ hashing + lookup in a bank of 1,000,000 hashes against linear scans, in-process
# (bench/colletta_pdq.py; bench/README.md, "pdq"). ~2 min.
bench-pdq: $(TEST_STAMP)
	$(BIN)/python bench/colletta_pdq.py --out bench/results/pdq.jsonl $(PDQ_ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
