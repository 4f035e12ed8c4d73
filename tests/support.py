"""Plain helpers the tests share (functions and constants, not fixtures): named users, driving a sheet through
its moves, polling with a deadline, free ports, the Celery app's settings. Fixtures live in tests/conftest.py (the
world: named people and sheets) and tests/parts.py (the real parts: SMTP, the fake WeCom server, Celery)."""

from __future__ import annotations

import os
import socket
import time
import uuid

from django.contrib.auth import get_user_model

from config.celery import app as celery_app
from notifications.models import Preference
from workflow import services

TEST_BROKER_URL = os.environ.get("TARGETFLOW_TEST_BROKER_URL", "redis://127.0.0.1:6379/2")
TEST_REDIS_URL = os.environ.get("TARGETFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
ROBOT_KEY = "robot-office-" + uuid.uuid4().hex[:8]
WECOM_USERS = {"owner.wx", "head.wx", "leader.wx", "finance.wx", "colleague.wx"}
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float = 10.0, interval: float = 0.05):
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"条件在 {timeout} 秒内未满足：{getattr(predicate, '__name__', predicate)}")
        time.sleep(interval)


def celery_setting(name: str, value=None):
    """Read (or, with ``value``, set) a setting of the Celery app, which reads Django's ``CELERY_*`` names."""
    key = "CELERY_" + name.upper()
    if value is not None:
        setattr(celery_app.conf, key, value)
    return getattr(celery_app.conf, key)


def use_broker(url: str) -> None:
    """Point the Celery app (and its connection pools) at ``url``."""
    celery_setting("broker_url", url)
    assert celery_app.connection_for_write().as_uri().endswith(url.rsplit("@", 1)[-1].split("://", 1)[1])
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def make_user(username: str, *, wecom_userid: str = "", email: str | None = None, **extra):
    user = get_user_model().objects.create_user(
        username=username, password="pw", first_name=extra.pop("first_name", username),
        email=f"{username}@example.gov.cn" if email is None else email, **extra,
    )
    if wecom_userid:
        Preference.objects.create(user=user, wecom_userid=wecom_userid)
    return user


def drive(sheet, *steps):
    """Run moves in order: ("submit", user), ("approve", user), ("return", user, comment)…"""
    moves = {"submit": services.document_submit, "approve": services.document_approve, "withdraw": services.document_withdraw}
    for step in steps:
        name, user, *rest = step
        if name == "return":
            services.document_return(document=sheet, user=user, comment=rest[0])
        elif name == "submit" and sheet.state == "returned":  # a resubmission carries its 修改说明
            services.document_submit(document=sheet, user=user, comment=rest[0] if rest else "已按退回意见修改")
        else:
            moves[name](document=sheet, user=user)
    sheet.refresh_from_db()
    return sheet
