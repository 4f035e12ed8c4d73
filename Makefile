# targetflow — `make run` starts the demo on SQLite; `make test` runs the suite on PostgreSQL.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/targetflow
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: setup run test services chromium benchmark clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed

run: setup
	mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null
	$(PY) manage.py seed_demo
	@echo "targetflow 已启动：http://127.0.0.1:8000 （Ctrl+C 停止）"
	DEBUG=$${DEBUG:-true} $(PY) manage.py runserver 127.0.0.1:8000

services:
	bash scripts/services.sh

chromium:
	bash scripts/chromium.sh

test: setup services chromium
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest

benchmark: setup services
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) $(PY) -m pytest benchmarks --benchmark-only -p no:cacheprovider

clean:
	rm -rf $(VENV) var .pytest_cache
