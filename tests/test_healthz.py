"""/healthz answers 200 {"database": "ok", "redis": "ok", "worker": "ok"} when the database and Redis answer
and a worker wrote its heartbeat recently, else 503 naming what failed; container probes reach it whatever
ALLOWED_HOSTS and the HTTPS redirect say."""

import json
import time
import uuid

import pytest
import redis
from django.db import OperationalError

from config import health
from config.celery import heartbeat
from tests.support import TEST_REDIS_URL, free_port


@pytest.fixture
def healthy(settings, db):
    settings.REDIS_URL = url = settings.REDIS_URL or TEST_REDIS_URL
    settings.HEALTH_REDIS_KEY = key = f"test:targetflow:health:{uuid.uuid4().hex}"
    settings.HEALTH_WORKER_MAX_AGE_SECONDS = 120
    yield settings
    client = redis.Redis.from_url(url)
    client.delete(key)
    client.close()


def get(client, **extra):
    response = client.get("/healthz", **extra)
    return response.status_code, json.loads(response.content)


def test_all_ok_after_the_heartbeat_task_ran(client, healthy):
    heartbeat.apply()  # what the worker runs every HEALTH_HEARTBEAT_SECONDS (scheduled by beat)

    assert get(client) == (200, {"database": "ok", "redis": "ok", "worker": "ok"})


def test_no_heartbeat_means_no_worker(client, healthy):
    status, body = get(client)
    assert status == 503 and body["database"] == "ok" and body["redis"] == "ok"
    assert "没有工作进程心跳" in body["worker"]


def test_a_stale_heartbeat_means_no_worker(client, healthy):
    health.heartbeat_write(now=time.time() - 300)
    status, body = get(client)
    assert status == 503 and "已过期" in body["worker"]


def test_redis_down_is_named(client, healthy):
    healthy.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    status, body = get(client)
    assert status == 503 and body["database"] == "ok"
    assert body["redis"].startswith("Redis 不可用") and body["worker"] != "ok"


def test_database_down_is_named(client, healthy, monkeypatch):
    heartbeat.apply()

    class Unreachable:
        def cursor(self):
            raise OperationalError("connection refused")

    monkeypatch.setattr(health, "connection", Unreachable())
    status, body = get(client)
    assert status == 503 and body == {"database": "数据库不可用：OperationalError", "redis": "ok", "worker": "ok"}


def test_the_probe_is_answered_before_the_host_check_and_the_https_redirect(client, healthy):
    healthy.ALLOWED_HOSTS = ["targetflow.example.gov.cn"]
    healthy.SECURE_SSL_REDIRECT = True
    heartbeat.apply()

    assert get(client, HTTP_HOST="web:8000") == (200, {"database": "ok", "redis": "ok", "worker": "ok"})
    # everything else still gets the host check and the redirect
    assert client.get("/public/", HTTP_HOST="web:8000").status_code == 400
    assert client.get("/public/", HTTP_HOST="targetflow.example.gov.cn").status_code == 301


def test_a_starting_worker_writes_its_heartbeat_at_once(healthy):
    from celery.signals import worker_ready

    worker_ready.send(sender=None)
    client = redis.Redis.from_url(healthy.REDIS_URL)
    try:
        assert abs(float(client.get(healthy.HEALTH_REDIS_KEY)) - time.time()) < 5
    finally:
        client.close()
