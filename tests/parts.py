"""The real parts the tests drive, as fixtures for every folder (registered by tests/conftest.py): an SMTP server
(aiosmtpd) and the fake WeCom server on loopback, and a Celery worker in a thread against the real Redis."""

from __future__ import annotations

import email
import email.policy
import threading
import uuid

import pytest
import redis
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from kombu.asynchronous import set_event_loop

from config.celery import app as celery_app
from tests.fakes.wecom_server import FakeWeComServer, _Handler, _Server
from tests.support import ROBOT_KEY, TEST_BROKER_URL, TEST_REDIS_URL, WECOM_USERS, celery_setting, free_port, use_broker

# ---------------------------------------------------------------- SMTP


class Mailbox:
    """aiosmtpd handler that keeps every accepted mail and can refuse the next recipients with a given reply."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.mails: list[dict] = []
        self._refusals: list[list] = []

    def refuse_next(self, n: int, reply: str) -> None:
        with self.lock:
            self._refusals.append([n, reply])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.lock:
            for refusal in self._refusals:
                if refusal[0] > 0:
                    refusal[0] -= 1
                    return refusal[1]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.mails.append({
                "to": list(envelope.rcpt_tos), "subject": str(message["subject"]).strip(), "body": message.get_content(),
            })
        return "250 Message accepted for delivery"


class SmtpServer:
    """A real SMTP server on a fixed loopback port that can be stopped and started again (an outage)."""

    def __init__(self) -> None:
        self.mailbox = Mailbox()
        self.port = free_port()
        self._controller: Controller | None = None

    @property
    def mails(self) -> list[dict]:
        with self.mailbox.lock:
            return list(self.mailbox.mails)

    def start(self) -> None:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp(settings):
    server = SmtpServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 2
    yield server
    server.stop()


# ---------------------------------------------------------------- WeCom


class WeComServer(FakeWeComServer):
    """The fake WeCom server, restartable on the same port (an outage and its recovery)."""

    port = 0

    def start(self) -> WeComServer:
        self._httpd = _Server(("127.0.0.1", self.port), _Handler)
        self._httpd.fake = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-wecom", daemon=True
        )
        self._thread.start()
        return self

    def app_messages(self) -> list[dict]:
        return [m for m in self.messages if m["channel"] == "app"]

    def robot_messages(self) -> list[dict]:
        return [m for m in self.messages if m["channel"] == "robot"]


@pytest.fixture(autouse=True)
def _no_real_wecom(settings):
    """Never reach the real WeCom: without the ``wecom`` fixture, WeCom calls fail fast on a closed loopback port."""
    settings.WECOM_BASE_URL = f"http://127.0.0.1:{free_port()}"
    settings.WECOM_REDIS_PREFIX = f"test:targetflow:{uuid.uuid4().hex}:"


@pytest.fixture
def wecom(settings):
    """The fake WeCom server, configured as the site's WeCom application; tokens and counters under a unique prefix."""
    server = WeComServer(users=WECOM_USERS, robot_keys={ROBOT_KEY})
    server.start()
    prefix = f"test:targetflow:{uuid.uuid4().hex}:"
    settings.WECOM_BASE_URL = server.base_url
    settings.WECOM_CORP_ID = server.corp_id
    settings.WECOM_SECRET = server.secret
    settings.WECOM_AGENT_ID = server.agent_id
    settings.WECOM_TIMEOUT = 1.0
    settings.WECOM_REDIS_PREFIX = prefix
    settings.REDIS_URL = settings.REDIS_URL or TEST_REDIS_URL
    yield server
    server.stop()
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()


# ---------------------------------------------------------------- Celery


@pytest.fixture
def fast_retries(settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 0.1
    settings.NOTIFY_RETRY_MAX_SECONDS = 0.4
    settings.NOTIFY_MAX_ATTEMPTS = 60


@pytest.fixture
def broker(transactional_db, settings):
    """Tasks go to the real Redis (not eager), on a queue of this test's own."""
    queue = f"targetflow-test-{uuid.uuid4().hex[:10]}"
    settings.NOTIFY_QUEUE = queue
    saved = celery_setting("broker_url"), celery_setting("task_always_eager")
    celery_setting("task_always_eager", False)
    use_broker(TEST_BROKER_URL)
    yield queue
    celery_setting("task_always_eager", saved[1])
    use_broker(saved[0])
    client = redis.Redis.from_url(TEST_BROKER_URL)
    client.delete(queue, f"_kombu.binding.{queue}")
    client.close()


@pytest.fixture
def run_worker(broker, fast_retries):
    """A context manager: a real Celery worker (solo pool, in a thread) consuming this test's queue."""

    def run():
        # kombu keeps the event loop (and with it the first worker's ETA timer) in a global:
        # each worker gets a fresh one, or countdown retries would never fire in a later test.
        set_event_loop(None)
        return start_worker(
            celery_app, pool="solo", concurrency=1, perform_ping_check=False, queues=[broker],
            loglevel="WARNING", shutdown_timeout=15,
        )

    return run


@pytest.fixture
def celery_worker(run_worker):
    with run_worker() as worker:
        yield worker
