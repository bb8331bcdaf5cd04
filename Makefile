# Kinwell: `make run` for a living instance, `make test` for the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PG_URL ?= postgres://postgres@127.0.0.1:5432/kinwell
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
SCALE_DATABASE_URL ?= $(PG_URL)
SCALE_REDIS_URL ?= redis://127.0.0.1:6379/0
SCALE_WORKERS ?= 2
SCALE_WS_WORKERS ?= 2

.PHONY: run scale test test-sqlite test-postgres lint format bench load faults clean install

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Kinwell needs Python 3.11 or newer")'
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/kinwell serve --demo --port $${KINWELL_PORT:-8000}

# nginx in front of separate page and socket workers on PostgreSQL + Redis, one task
# worker, all on loopback (deploy/scale.py; README "Running at scale"). Ctrl+C stops all.
scale: $(STAMP)
	$(BIN)/python deploy/scale.py --demo --port $${KINWELL_PORT:-8000} \
		--workers $(SCALE_WORKERS) --ws-workers $(SCALE_WS_WORKERS) \
		--database-url $(SCALE_DATABASE_URL) --redis-url $(SCALE_REDIS_URL)

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

# Scripted faults (worker kills, Redis and PostgreSQL outages, a full disk) against private
# servers on loopback; prints PASS/FAIL with numbers. Needs root, redis-server, PostgreSQL 15.
faults: $(STAMP)
	$(BIN)/python -m faults.run

# 200 members for 5 minutes on PostgreSQL + Redis behind nginx, then the SQLite ramp.
load: $(STAMP)
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) var/static build *.egg-info
