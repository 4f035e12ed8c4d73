"""``/healthz``: is this deployment able to work? The database, Redis and a recent worker heartbeat.

Answers 200 ``{"database": "ok", "redis": "ok", "worker": "ok"}`` or 503 with the
Chinese reason in place of each failed "ok". The worker heartbeat is a Redis key
(``HEALTH_REDIS_KEY``) holding the time of the last heartbeat: a worker writes it
when it starts and whenever it runs the ``config.celery.heartbeat`` task that beat
schedules every ``HEALTH_HEARTBEAT_SECONDS``; older than
``HEALTH_WORKER_MAX_AGE_SECONDS`` means no worker (or no beat) is running.

``HealthCheckMiddleware`` (first in MIDDLEWARE) answers the probe before Django
checks the Host header or redirects to HTTPS, so the container's own health check
can call ``http://127.0.0.1:8000/healthz`` whatever ALLOWED_HOSTS and
SECURE_SSL_REDIRECT say. It reveals nothing but these three words.
"""

from __future__ import annotations

import time

import redis
from django.conf import settings
from django.db import connection
from django.http import JsonResponse

OK = "ok"
PATH = "/healthz"


def _redis_client() -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def heartbeat_write(now: float | None = None) -> None:
    """Record that a worker is alive (kept twice as long as it counts as recent)."""
    if not settings.REDIS_URL:
        return
    client = _redis_client()
    try:
        client.set(settings.HEALTH_REDIS_KEY, f"{now or time.time():.3f}", ex=2 * settings.HEALTH_WORKER_MAX_AGE_SECONDS)
    finally:
        client.close()


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return f"数据库不可用：{type(exc).__name__}"
    return OK


def check_redis_and_worker() -> tuple[str, str]:
    if not settings.REDIS_URL:
        return "未配置 REDIS_URL", "未配置 REDIS_URL，无法确认工作进程"
    client = _redis_client()
    try:
        client.ping()
        value = client.get(settings.HEALTH_REDIS_KEY)
    except redis.RedisError as exc:
        return f"Redis 不可用：{type(exc).__name__}", "Redis 不可用，无法确认工作进程"
    finally:
        client.close()
    if value is None:
        return OK, "没有工作进程心跳（worker 或 beat 未运行）"
    age = time.time() - float(value)
    if age > settings.HEALTH_WORKER_MAX_AGE_SECONDS:
        return OK, f"工作进程心跳已过期（{age:.0f} 秒前；worker 或 beat 未运行）"
    return OK, OK


def healthz(request) -> JsonResponse:
    redis_state, worker_state = check_redis_and_worker()
    result = {"database": check_database(), "redis": redis_state, "worker": worker_state}
    status = 200 if all(value == OK for value in result.values()) else 503
    response = JsonResponse(result, status=status, json_dumps_params={"ensure_ascii": False})
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == PATH and request.method in ("GET", "HEAD"):
            return healthz(request)
        return self.get_response(request)
