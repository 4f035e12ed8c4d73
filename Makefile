# targetflow — `make run` starts the demo on SQLite; `make test` runs the suite on PostgreSQL.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/targetflow
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: setup run test test-fast services test-deps benchmark benchmark-micro lock clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet --require-hashes -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

# Recompile the hashed lock files from requirements*.in (see README, Dependencies). Pins already in
# a lock are kept; LOCK_FLAGS=--upgrade (or --upgrade-package NAME) moves them on.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_FLAGS)
lock: setup
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# The demo runs with the published demo SECRET_KEY, which the settings refuse unless TARGETFLOW_DEMO=1.
run: export TARGETFLOW_DEMO := 1
run: setup
	mkdir -p var/static
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	@echo "targetflow 已启动：http://127.0.0.1:8000 （Ctrl+C 停止）"
	$(PY) manage.py runserver 127.0.0.1:8000

services:
	bash scripts/services.sh

test-deps:
	bash scripts/test-deps.sh

# lint-imports: the layer contracts of .importlinter (no import runs back up).
# check-deploy.sh: `check --deploy` with .env.example's production settings, and no missing migration.
test: export TARGETFLOW_DEMO := 1
test: setup services test-deps
	$(VENV)/bin/lint-imports
	DATABASE_URL=$(TEST_DATABASE_URL) bash scripts/check-deploy.sh
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest --durations=25

# Everything but the browser (e2e), the real Celery worker and the whole-program smoke tests, the property tests
# with a tenth of their examples: under 3 minutes on a quiet 2-core machine.
test-fast: export TARGETFLOW_DEMO := 1
test-fast: setup services
	$(VENV)/bin/lint-imports
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest \
		--ignore=tests/e2e -m "not e2e and not worker and not smoke" --hypothesis-profile=fast $(PYTEST_ARGS)

# SCALE=county (1,000 sheets) or province (200,000 sheets × 8 indicators): fills <db>_bench_<scale> once, runs
# targetflow, the plain viewflow anchor (benchmarks/anchor) and the transaction floor interleaved, and writes
# docs/benchmarks.md. `make benchmark-micro` runs the older pytest-benchmark files.
SCALE ?= county
benchmark: export TARGETFLOW_DEMO := 1
benchmark: setup services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m benchmarks.bench --scale $(SCALE)

benchmark-micro: setup services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest benchmarks --benchmark-only -p no:cacheprovider

clean:
	rm -rf $(VENV) var .pytest_cache
