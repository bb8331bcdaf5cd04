# Kinwell: `make run` for a living instance, `make test` for the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/kinwell
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test test-sqlite test-postgres lint format bench clean install

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kinwell needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/kinwell serve --demo --port $${KINWELL_PORT:-8000}

# The whole suite on SQLite, then again on PostgreSQL + Redis when they are reachable
# (CI sets KINWELL_REQUIRE_SERVICES=1, which turns "not reachable" into a failure).
test: $(STAMP)
	@$(MAKE) --no-print-directory test-sqlite
	@$(BIN)/python -m tests.services_check; rc=$$?; \
	if [ $$rc -eq 0 ]; then $(MAKE) --no-print-directory test-postgres; \
	elif [ $$rc -eq 1 ]; then echo "PostgreSQL/Redis not reachable: PostgreSQL pass skipped (KINWELL_REQUIRE_SERVICES=1 makes this fail)."; \
	else exit $$rc; fi

test-sqlite: $(STAMP)
	@echo "== test suite on SQLite, in-memory channel layer =="
	env -u DATABASE_URL -u REDIS_URL $(BIN)/python -m pytest

test-postgres: $(STAMP)
	@echo "== test suite on PostgreSQL, Redis channel layer, cache and sessions =="
	DATABASE_URL=$(PG_URL) REDIS_URL=$(REDIS_TEST_URL) $(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python bench/http.py

clean:
	rm -rf $(VENV) var/static build *.egg-info
