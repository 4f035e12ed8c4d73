"""docker-compose.yml and the Dockerfile as production needs them (Docker does not run here, so they are read):
a one-shot migrate service the app services wait for, /healthz health checks, settings from env_file,
pinned image tags, no default passwords, beat on the database scheduler."""

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
APP_SERVICES = ("web", "worker", "beat")
EXACT_TAG = re.compile(r"^[a-z0-9./-]+:\d+\.\d+(\.\d+)?(-[a-z0-9.]+)*$")  # e.g. postgres:16.10-bookworm


@pytest.fixture(scope="module")
def compose():
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose):
    return compose["services"]


def test_a_one_shot_migrate_service_runs_migrations_and_nothing_else_does(services):
    migrate = services["migrate"]
    assert migrate["command"] == ["python", "manage.py", "migrate", "--noinput"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name, service in services.items():
        if name != "migrate":
            assert "migrate" not in " ".join(map(str, service.get("command") or [])), name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_web_worker_and_beat_wait_for_the_migration_to_complete(services, name):
    depends = services[name]["depends_on"]
    assert depends["migrate"] == {"condition": "service_completed_successfully"}
    assert depends["postgres"]["condition"] == depends["redis"]["condition"] == "service_healthy"


def test_the_web_health_check_calls_healthz(services):
    check = services["web"]["healthcheck"]
    assert "http://127.0.0.1:8000/healthz" in " ".join(check["test"])
    assert "socket" not in " ".join(check["test"])  # no bare TCP connect
    assert "/healthz" in " ".join(services["worker"]["healthcheck"]["test"])


@pytest.mark.parametrize("name", ("migrate", *APP_SERVICES))
def test_settings_come_from_the_env_file_not_a_fixed_list(services, name):
    service = services[name]
    assert service["env_file"] == ".env"
    # only the addresses inside the compose network are set here
    assert set(service.get("environment", {})) <= {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL"}


def test_every_variable_the_settings_read_is_in_env_example():
    example = {
        line.split("=", 1)[0].lstrip("# ").strip()
        for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines()
        if "=" in line and re.match(r"^#? ?[A-Z][A-Z0-9_]+=", line)
    }
    read = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z][A-Z0-9_]+)"', (ROOT / "config" / "settings.py").read_text(encoding="utf-8")))
    read -= {"TARGETFLOW_DEMO", "EMAIL_BACKEND"}  # demo/tests only; the backend follows EMAIL_HOST
    assert read - example == set()
    assert {"POSTGRES_PASSWORD", "HEALTH_WORKER_MAX_AGE_SECONDS", "NOTIFY_MAX_REVIVALS"} <= example


def test_images_are_pinned_to_exact_versions(services):
    for name in ("postgres", "redis"):
        assert EXACT_TAG.match(services[name]["image"]), services[name]["image"]
    [base] = re.findall(r"^FROM\s+(\S+)", (ROOT / "Dockerfile").read_text(encoding="utf-8"), flags=re.M)
    assert EXACT_TAG.match(base) and base.startswith("python:3.11."), base


def test_the_image_installs_the_hashed_lock(services):
    assert "pip install --require-hashes -r requirements.txt" in (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_no_default_passwords(compose, services):
    text = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert re.search(r"POSTGRES_PASSWORD:-", text) is None
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
    assert "${POSTGRES_PASSWORD:?" in services["web"]["environment"]["DATABASE_URL"]
    assert "SECRET_KEY" not in text.split("services:", 1)[1]  # from .env only, never a default here


def test_beat_keeps_its_schedule_in_the_database(services):
    from celery.utils.imports import symbol_by_name
    from django_celery_beat.schedulers import DatabaseScheduler

    command = services["beat"]["command"]
    scheduler = symbol_by_name(command[command.index("--scheduler") + 1])
    assert issubclass(scheduler, DatabaseScheduler)
    assert command[command.index("--scheduler") + 1] == settings.CELERY_BEAT_SCHEDULER  # `celery beat` alone: the same
    assert not any("--schedule=" in part or "/tmp" in part for part in command)


def test_gunicorn_listens_on_8000_as_the_health_check_expects(services):
    command = services["web"]["command"]
    assert command[:2] == ["gunicorn", "config.wsgi:application"]
    assert command[command.index("--bind") + 1] == "0.0.0.0:8000"
    assert services["web"]["ports"] == ["${WEB_PORT:-8000}:8000"]
