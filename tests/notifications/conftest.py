"""Real parts for the notification tests: an SMTP server (aiosmtpd) and the fake WeCom server on loopback,
a Celery worker in a thread against the real Redis, and a small organisation with named users.

    owner       (owner)           staff of 办公室 (the section with a group robot), who drafts and reports
    head        (office_head)     section head of 办公室
    leader      (agency_leader)   the agency's leader
    finance     (agency_finance)  the agency's finance reviewer
    colleague   (colleague)       staff of another section (业务科) of the same agency
    outsider    (outsider)        staff of another agency

The session's database also holds the demo data (tests/conftest.py); these are separate agencies.
"""

from __future__ import annotations

import email
import email.policy
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal

import pytest
import redis
from aiosmtpd.controller import Controller
from celery.contrib.testing.worker import start_worker
from django.contrib.auth import get_user_model
from kombu.asynchronous import set_event_loop

from config.celery import app as celery_app
from notifications.models import Preference
from projects.models import Agency, FiscalYear, Indicator, Project, SpendPlan, TargetSheet
from tests.fakes.wecom_server import FakeWeComServer, _Handler, _Server
from people import roles
from people.services import role_grant
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


# ---------------------------------------------------------------- the organisation


@dataclass
class Org:
    agency: Agency
    office: object  # section with a group robot
    business: object  # another section of the agency
    other_agency: Agency
    year: FiscalYear
    owner: object
    head: object
    leader: object
    finance: object
    colleague: object
    colleague_head: object
    outsider: object
    outsider_leader: object


def make_user(username: str, *, wecom_userid: str = "", email: str | None = None, **extra):
    user = get_user_model().objects.create_user(
        username=username, password="pw", first_name=extra.pop("first_name", username),
        email=f"{username}@example.gov.cn" if email is None else email, **extra,
    )
    if wecom_userid:
        Preference.objects.create(user=user, wecom_userid=wecom_userid)
    return user


@pytest.fixture
def org(db) -> Org:
    year = FiscalYear.get_or_create_with_defaults(2024)
    agency = Agency.objects.create(code="489001", name="测试县行政审批局本级")
    office = agency.sections.create(name="办公室", wecom_robot_key=ROBOT_KEY)
    business = agency.sections.create(name="业务科")
    other_agency = Agency.objects.create(code="489002", name="测试县其他局本级")
    other_section = other_agency.sections.create(name="其他局办公室")
    people = Org(
        agency=agency, office=office, business=business, other_agency=other_agency, year=year,
        owner=make_user("owner", wecom_userid="owner.wx", first_name="王经办"),
        head=make_user("office_head", wecom_userid="head.wx", first_name="李科长"),
        leader=make_user("agency_leader", wecom_userid="leader.wx", first_name="赵局长"),
        finance=make_user("agency_finance", wecom_userid="finance.wx", first_name="钱审核"),
        colleague=make_user("colleague", wecom_userid="colleague.wx", first_name="孙经办"),
        colleague_head=make_user("colleague_head", first_name="周科长"),
        outsider=make_user("outsider", first_name="吴经办"),
        outsider_leader=make_user("outsider_leader", first_name="郑局长"),
    )
    role_grant(user=people.owner, role=roles.STAFF, scope=office)
    role_grant(user=people.head, role=roles.SECTION_HEAD, scope=office)
    role_grant(user=people.leader, role=roles.LEADER, scope=agency)
    role_grant(user=people.finance, role=roles.FINANCE_REVIEWER, scope=agency)
    role_grant(user=people.colleague, role=roles.STAFF, scope=business)
    role_grant(user=people.colleague_head, role=roles.SECTION_HEAD, scope=business)
    role_grant(user=people.outsider, role=roles.STAFF, scope=other_section)
    role_grant(user=people.outsider_leader, role=roles.LEADER, scope=other_agency)
    return people


INDICATORS = (
    ("产出指标", "数量指标", "服务事项", "≥10个"),
    ("产出指标", "质量指标", "系统正常运行率", "≥98%"),
    ("产出指标", "时效指标", "按时完成率", "≥95%"),
    ("产出指标", "成本指标", "经费控制数", "≤10万元"),
    ("效益指标", "社会效益指标", "营商环境", "有效改善"),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥95%"),
)


@pytest.fixture
def make_sheet(org):
    """A clean draft (no checker error) of a section: budget 10 万元, plan 25/50/75/100."""
    counter = iter(range(1, 1000))

    def make(section=None, *, agency=None, title="办公系统运维经费", budget="10.00"):
        section = section or org.office
        agency = agency or section.agency
        number = next(counter)
        project = Project.objects.create(
            agency=agency, section=section, code=f"13022524P00TEST{number:04d}", name=f"{title}{number}",
        )
        sheet = TargetSheet.objects.create(
            project=project, fiscal_year=org.year, agency=agency, section=section, position=number,
            budget_total=Decimal(budget), fiscal_funds=Decimal(budget), purpose="办公系统运维", goal="保障系统稳定运行",
        )
        for checkpoint in org.year.checkpoints.all():
            SpendPlan.objects.create(sheet=sheet, checkpoint=checkpoint, cumulative_percent=checkpoint.planned_percent)
        for order, (category, subcategory, name, value) in enumerate(INDICATORS):
            Indicator.objects.create(
                sheet=sheet, order=order, category=category, subcategory=subcategory, name=name, target_value=value
            )
        return sheet

    return make


@pytest.fixture
def publish(org):
    """Drive a sheet of 办公室 through every review step with the real services."""

    def run(sheet):
        services.document_submit(document=sheet, user=org.owner)
        services.document_approve(document=sheet, user=org.head)
        services.document_approve(document=sheet, user=org.leader)
        services.document_approve(document=sheet, user=org.finance)
        sheet.refresh_from_db()
        return sheet

    return run
