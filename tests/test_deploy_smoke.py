"""The compose services' own commands, run as processes: migrate once, then gunicorn, a Celery worker and
Celery beat against PostgreSQL (a database of this test's own) and Redis; /healthz answers 200 with the
worker ok; all of them stop cleanly. The commands are read from docker-compose.yml, so this runs what
production runs (with the venv's executables and a free loopback port instead of 0.0.0.0:8000)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import psycopg
import pytest
import redis
import yaml
from django.conf import settings

from tests.support import free_port

pytestmark = [pytest.mark.worker, pytest.mark.smoke]

ROOT = Path(settings.BASE_DIR)
BIN = Path(sys.executable).parent
SMOKE_REDIS_URL = os.environ.get("TARGETFLOW_SMOKE_REDIS_URL", "redis://127.0.0.1:6379/13")


def compose_command(service: str, port: int) -> list[str]:
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))["services"]
    command = list(services[service]["command"])
    executable = {"python": sys.executable, "gunicorn": str(BIN / "gunicorn"), "celery": str(BIN / "celery")}
    command[0] = executable[command[0]]
    return [part.replace("0.0.0.0:8000", f"127.0.0.1:{port}") for part in command]


@contextlib.contextmanager
def own_database(name: str):
    """An empty PostgreSQL database ``name`` on the test database's server, dropped afterwards: its URL and the
    psycopg connection arguments."""
    db = settings.DATABASES["default"]
    if "postgresql" not in db["ENGINE"]:
        pytest.skip("the smoke test needs PostgreSQL (DATABASE_URL)")
    server = {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432, "user": db["USER"], "password": db["PASSWORD"] or None}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{server['password']}" if server["password"] else ""
    try:
        yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}", {**server, "dbname": name}
    finally:
        with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def smoke_database():
    """An empty PostgreSQL database of this test's own (dropped afterwards)."""
    with own_database(f"tf_smoke_{uuid.uuid4().hex[:10]}") as database:
        yield database


def get_healthz(port: int) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=3) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def stop(process: subprocess.Popen, timeout: float = 20) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
        raise AssertionError(f"{process.args[:3]} 未在 {timeout} 秒内退出")


def test_migrate_then_gunicorn_worker_and_beat_start_and_healthz_reports_all_ok(smoke_database, tmp_path):
    database_url, connect = smoke_database
    port = free_port()
    heartbeat_key = f"test:targetflow:smoke:{uuid.uuid4().hex}"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("DJANGO_", "PYTEST", "TARGETFLOW_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings", DATABASE_URL=database_url, REDIS_URL=SMOKE_REDIS_URL,
        CELERY_BROKER_URL=SMOKE_REDIS_URL, CELERY_TASK_ALWAYS_EAGER="false", SECRET_KEY=secrets.token_urlsafe(64),
        DEBUG="false", ALLOWED_HOSTS="127.0.0.1", SITE_URL=f"http://127.0.0.1:{port}", EMAIL_HOST="",
        HEALTH_HEARTBEAT_SECONDS="2", HEALTH_WORKER_MAX_AGE_SECONDS="30", HEALTH_REDIS_KEY=heartbeat_key,
        BEAT_LOCK_KEY=f"{heartbeat_key}:beat",  # this test's beat leads whatever other beats share the Redis
        LOG_LEVEL="WARNING",
    )
    migrate = subprocess.run(compose_command("migrate", port), cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert migrate.returncode == 0, migrate.stderr[-3000:]

    processes, logs = {}, {}
    try:
        for name in ("web", "worker", "beat"):
            logs[name] = (tmp_path / f"{name}.log").open("w")
            processes[name] = subprocess.Popen(
                compose_command(name, port), cwd=ROOT, env=env, stdout=logs[name], stderr=subprocess.STDOUT,
                start_new_session=True,
            )

        answer, deadline = None, time.monotonic() + 45
        while time.monotonic() < deadline:
            for name, process in processes.items():
                assert process.poll() is None, f"{name} 提前退出：\n" + (tmp_path / f"{name}.log").read_text()[-3000:]
            try:
                answer = get_healthz(port)
            except (OSError, ValueError):
                answer = None  # gunicorn not listening yet
            if answer == (200, {"database": "ok", "redis": "ok", "worker": "ok"}):
                break
            time.sleep(0.5)
        assert answer == (200, {"database": "ok", "redis": "ok", "worker": "ok"}), answer

        # beat's heartbeat task reaches the worker too (not only the worker's own start-up heartbeat)
        client = redis.Redis.from_url(SMOKE_REDIS_URL)
        first = float(client.get(heartbeat_key))
        deadline = time.monotonic() + 15
        while float(client.get(heartbeat_key)) == first and time.monotonic() < deadline:
            time.sleep(0.3)
        assert float(client.get(heartbeat_key)) > first
    finally:
        codes = {name: stop(process) for name, process in processes.items()}
        for log in logs.values():
            log.close()
        client = redis.Redis.from_url(SMOKE_REDIS_URL)
        client.delete(heartbeat_key)
        client.close()

    assert codes == {"web": 0, "worker": 0, "beat": 0}, {n: (tmp_path / f"{n}.log").read_text()[-2000:] for n in codes}
    # beat kept its schedule in the database
    with psycopg.connect(**connect) as conn:
        names = {row[0] for row in conn.execute("SELECT name FROM django_celery_beat_periodictask")}
    assert set(settings.CELERY_BEAT_SCHEDULE) <= names
