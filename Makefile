# targetflow — `make run` starts the demo on SQLite; `make test` runs the suite on PostgreSQL.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/targetflow
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: setup run test messages services test-deps benchmark benchmark-micro lock clean

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
	$(MAKE) --no-print-directory messages
	$(PY) manage.py seed_demo
	@echo "targetflow 已启动：http://127.0.0.1:8000 （Ctrl+C 停止）"
	$(PY) manage.py runserver 127.0.0.1:8000

# Our zh_Hans catalog (viewflow ships no Chinese); needs gettext's msgfmt.
messages: export TARGETFLOW_DEMO := 1
messages: setup
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv >/dev/null; \
	else echo "未找到 msgfmt（gettext），跳过编译翻译文件：流程引擎的部分界面文字将显示为英文。"; fi

services:
	bash scripts/services.sh

test-deps:
	bash scripts/test-deps.sh

# check-deploy.sh: `check --deploy` with .env.example's production settings, and no missing migration.
test: export TARGETFLOW_DEMO := 1
test: setup services test-deps messages
	DATABASE_URL=$(TEST_DATABASE_URL) bash scripts/check-deploy.sh
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest

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
