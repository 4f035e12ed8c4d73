#!/usr/bin/env bash
# Django's deployment checklist with the production settings of .env.example, and a check that
# every model change has its migration. `make test` runs it before pytest.
#
# DATABASE_URL: the caller's, else the test PostgreSQL (the checks only read it). SECRET_KEY: a
# fresh random value, as .env.example holds a placeholder that the settings refuse.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PY:-.venv/bin/python}
database_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/targetflow}

set -a
# shellcheck source=/dev/null
. ./.env.example
set +a
unset TARGETFLOW_DEMO DJANGO_ALLOW_ASYNC_UNSAFE  # the latter is set by Playwright inside pytest runs
DATABASE_URL=$database_url
SECRET_KEY=$("$PY" -c "import secrets; print(secrets.token_urlsafe(64))")
# notifications.W001 (next year's holidays not entered yet) depends on today's date and on data an
# administrator enters, not on the settings checked here; tests/notifications/test_calendar_days.py covers it.
SILENCED_SYSTEM_CHECKS=notifications.W001
export DATABASE_URL SECRET_KEY SILENCED_SYSTEM_CHECKS

"$PY" manage.py check --deploy --fail-level WARNING
"$PY" manage.py makemigrations --check --dry-run
