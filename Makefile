# targetflow — `make run` starts the demo on SQLite; `make test` runs the suite on PostgreSQL.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/targetflow
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

# `make run PORT=8001 HOST=0.0.0.0` serves the demo elsewhere.
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run demo-data demo-reset port-free test test-fast messages services test-deps benchmark benchmark-micro lock clean

# What running needs: requirements.txt alone (`make run`). A venv that has the tools already has it.
$(VENV)/.runtime: requirements.txt
	@if [ $(VENV)/.installed -nt requirements.txt ]; then touch $@; else \
		set -e; $(PYTHON) -m venv $(VENV); $(PIP) install --quiet --upgrade pip; \
		echo "$(PIP) install --require-hashes -r requirements.txt"; \
		$(PIP) install --quiet --require-hashes -r requirements.txt; touch $@; fi

# The tests and tools (`make test`, `make lock`, benchmarks): requirements-dev.txt, which also pins every runtime package.
$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet --require-hashes -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

setup: $(VENV)/.installed

# Recompile the hashed lock files from requirements*.in (see README, Dependencies). Pins already in
# a lock are kept; LOCK_FLAGS=--upgrade (or --upgrade-package NAME) moves them on.
PIP_COMPILE = CUSTOM_COMPILE_COMMAND="make lock" $(VENV)/bin/pip-compile --quiet --generate-hashes --allow-unsafe \
	--strip-extras --no-emit-index-url --no-emit-find-links $(LOCK_FLAGS)
lock: setup
	$(PIP_COMPILE) --output-file requirements.txt requirements.in
	$(PIP_COMPILE) --output-file requirements-dev.txt requirements-dev.in

# The demo runs with the published demo SECRET_KEY, which the settings refuse unless TARGETFLOW_DEMO=1
# (so do the README's `manage.py` commands on the demo database). The port is checked before anything slow.
run: export TARGETFLOW_DEMO := 1
run: export SITE_URL ?= http://127.0.0.1:$(PORT)
run: port-free demo-data messages
	@echo "targetflow 已启动：http://$(HOST):$(PORT) （Ctrl+C 停止）"
	$(PY) manage.py runserver $(HOST):$(PORT)

port-free:
	@$(PYTHON) -c 'import socket, sys; s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("$(HOST)", int("$(PORT)")))' 2>/dev/null \
		|| { echo "端口 $(PORT)（$(HOST)）已被占用或不可用：请先停止占用它的程序，或换一个端口，例如 make run PORT=8001"; exit 1; }

# The demo database (DATABASE_URL, else var/db.sqlite3) migrated and seeded; both are idempotent.
demo-data: export TARGETFLOW_DEMO := 1
demo-data: $(VENV)/.runtime
	mkdir -p var/static
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo

# Start the demo afresh: delete its SQLite database and seed it again (then `make run`). Never a server database.
demo-reset:
	@case "$$DATABASE_URL" in \
		"") rm -f var/db.sqlite3 ;; \
		sqlite:///*) rm -f "$${DATABASE_URL#sqlite:///}" ;; \
		*) echo "DATABASE_URL 指向服务器数据库：make demo-reset 只重置演示用的 SQLite 数据库，未做任何修改。"; exit 1 ;; \
	esac
	@$(MAKE) --no-print-directory demo-data
	@echo "演示数据已重置。make run 启动演示。"

# Our zh_Hans catalog of django-axes' screens (it ships no Chinese: people/locale/); needs gettext's msgfmt.
messages: export TARGETFLOW_DEMO := 1
messages: $(VENV)/.runtime
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages --ignore=.venv >/dev/null; \
	else echo "未找到 msgfmt（gettext），跳过编译翻译文件：后台“登录保护”页面将显示为英文。"; fi
services:
	bash scripts/services.sh

test-deps:
	bash scripts/test-deps.sh

# lint-imports: the layer contracts of .importlinter (no import runs back up).
# check-deploy.sh: `check --deploy` with .env.example's production settings, and no missing migration.
test: export TARGETFLOW_DEMO := 1
test: setup services test-deps messages
	$(VENV)/bin/lint-imports
	DATABASE_URL=$(TEST_DATABASE_URL) bash scripts/check-deploy.sh
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest --durations=25

# Everything but the browser (e2e), the real Celery worker and the whole-program smoke tests, the property tests
# with a tenth of their examples, on both cores (pytest-xdist: a test database and a cache prefix per worker):
# under 3 minutes on a quiet 2-core machine. FAST_WORKERS=0 runs it in one process.
FAST_WORKERS ?= 2
test-fast: export TARGETFLOW_DEMO := 1
test-fast: setup services messages
	$(VENV)/bin/lint-imports
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest -n $(FAST_WORKERS) \
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
