# targetflow: one image for web (gunicorn), the Celery worker and Celery beat (see docker-compose.yml).
# Pinned: an exact Python patch release on an exact Debian release (tests/test_compose_file.py checks it).
FROM python:3.11.14-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# gettext: compile the zh_Hans catalog of the login-protection screens (people/locale) at build time
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --require-hashes -r requirements.txt

COPY . .
# Build-time only values: the real ones come from the environment when a container starts.
RUN SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py compilemessages --ignore=.venv \
 && SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput \
 && rm -f /tmp/build.sqlite3

RUN useradd --create-home --uid 1000 targetflow \
 && mkdir -p /app/var/exports \
 && chown -R targetflow:targetflow /app/var
USER targetflow

EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60", "--access-logfile", "-"]
