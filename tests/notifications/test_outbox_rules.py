"""The outbox rules, driven through the delivery service against the real SMTP and fake WeCom servers:
permanent failures, rate limits, giving up, idempotency, and what the periodic sweep does."""

import base64
import json
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from notifications import attempts, messages, outbox, sweep
from notifications.channels.wecom import RateLimiter
from notifications.models import Channel, Kind, Notification, Preference, Status
from tests.support import TEST_BROKER_URL, make_user


def outbox_row(user, channel, **extra):
    fields = dict(
        recipient=user, channel=channel, kind=Kind.SUBMIT, title="待科室审核：测试表", body="请审核。",
        url="http://127.0.0.1:8000/sheets/1/", dedupe_key=f"test:{channel}:{user.pk if user else 'robot'}",
    )
    fields.update(extra)
    return Notification.objects.create(**fields)


def test_a_user_without_an_email_address_fails_with_the_reason(db, smtp):
    row = outbox_row(make_user("no_mail", email=""), Channel.EMAIL)

    outcome = attempts.notification_deliver(notification_id=row.pk)

    row.refresh_from_db()
    assert outcome.status == "failed"
    assert (row.status, row.last_error, row.attempts) == (Status.FAILED, "收件人未设置电子邮箱。", 1)
    assert smtp.mails == []


def test_a_user_without_a_wecom_account_fails_with_the_reason(db, wecom):
    row = outbox_row(make_user("no_wecom"), Channel.WECOM)

    attempts.notification_deliver(notification_id=row.pk)

    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.last_error == "接收人未设置企业微信账号（userid），请单位管理员在“企业微信账号”中设置。"
    assert wecom.requests == []


def test_a_wrong_wecom_secret_is_a_permanent_configuration_error(db, wecom, settings):
    settings.WECOM_SECRET = "wrong"
    row = outbox_row(make_user("someone", wecom_userid="owner.wx"), Channel.WECOM)

    attempts.notification_deliver(notification_id=row.pk)

    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.last_error == "企业微信应用 Secret 配置错误（40001），请检查 WECOM_SECRET。"


def test_a_full_member_rate_limit_postpones_without_counting_an_attempt(db, wecom, settings):
    user = make_user("busy", wecom_userid="owner.wx")
    limiter = RateLimiter(
        redis.Redis.from_url(settings.REDIS_URL), limit=30, prefix=settings.WECOM_REDIS_PREFIX + "rate:member:"
    )
    for _ in range(30):
        assert limiter.acquire("owner.wx")
    row = outbox_row(user, Channel.WECOM)

    outcome = attempts.notification_deliver(notification_id=row.pk)

    row.refresh_from_db()
    assert outcome.status == "retry" and 0 < outcome.retry_in <= 61
    assert (row.status, row.attempts) == (Status.PENDING, 0)
    assert row.next_attempt_at > timezone.now()
    assert "发送频率上限" in row.last_error
    assert wecom.app_messages() == []


def test_temporary_failures_back_off_exponentially_then_give_up(db, smtp, settings):
    settings.NOTIFY_RETRY_BASE_SECONDS = 30
    settings.NOTIFY_RETRY_MAX_SECONDS = 100
    settings.NOTIFY_MAX_ATTEMPTS = 3
    smtp.stop()
    row = outbox_row(make_user("patient"), Channel.EMAIL)

    delays = []
    for _ in range(3):
        Notification.objects.filter(pk=row.pk).update(next_attempt_at=None)
        delays.append(attempts.notification_deliver(notification_id=row.pk).retry_in)

    row.refresh_from_db()
    assert delays == [30, 60, None]
    assert row.status == Status.FAILED and row.attempts == 3
    assert row.last_error.startswith("已尝试 3 次仍未成功：无法连接邮件服务器")
    assert [attempts.retry_delay(n) for n in (1, 2, 3, 4)] == [30, 60, 100, 100]


def test_a_delivered_row_is_never_sent_again(db, smtp):
    row = outbox_row(make_user("once"), Channel.EMAIL)

    assert attempts.notification_deliver(notification_id=row.pk).status == "sent"
    assert attempts.notification_deliver(notification_id=row.pk).status == "skipped"

    assert len(smtp.mails) == 1
    row.refresh_from_db()
    assert row.status == Status.SENT and row.attempts == 1 and row.sent_at is not None


def test_a_robot_row_goes_to_the_sheets_section_robot(org, make_sheet, wecom):
    sheet = make_sheet()
    row = outbox_row(None, Channel.ROBOT, sheet=sheet)

    attempts.notification_deliver(notification_id=row.pk)

    [message] = wecom.robot_messages()
    assert message["key"] == org.office.wecom_robot_key
    assert message["body"]["markdown"]["content"].startswith("**待科室审核：测试表**\n请审核。")


@pytest.fixture
def queued(broker):
    """Outbox rows waiting for delivery in this test's queue on the real Redis (a task carries a batch of ids)."""

    def count():
        client = redis.Redis.from_url(TEST_BROKER_URL)
        try:
            total = 0
            for raw in client.lrange(broker, 0, -1):
                args = json.loads(base64.b64decode(json.loads(raw)["body"]))[0]  # Celery protocol 2: [args, kwargs, embed]
                total += len(args[0]) if isinstance(args[0], list) else 1
            return total
        finally:
            client.close()

    return count


def test_the_sweep_queues_only_rows_whose_time_has_come(transactional_db, queued, settings):
    user = make_user("swept")
    now = timezone.now()
    fresh = outbox_row(user, Channel.EMAIL, dedupe_key="fresh")  # its own task is on the way
    old = outbox_row(user, Channel.EMAIL, dedupe_key="old")
    later = outbox_row(user, Channel.EMAIL, dedupe_key="later", next_attempt_at=now + timedelta(minutes=5))
    done = outbox_row(user, Channel.EMAIL, dedupe_key="done", status=Status.SENT)
    Notification.objects.filter(pk__in=[old.pk, later.pk, done.pk]).update(created=now - timedelta(minutes=2))

    result = sweep.outbox_sweep(now=now)

    assert result.due == [old.pk] and result.enqueued == 1
    assert queued() == 1
    # the queued row waits for its task (10 minutes) before a sweep queues it again
    assert sorted(sweep.outbox_sweep(now=now + timedelta(minutes=6)).due) == [fresh.pk, later.pk]
    assert sweep.outbox_sweep(now=now + timedelta(minutes=7)).due == []
    assert sorted(sweep.outbox_sweep(now=now + timedelta(minutes=17)).due) == [fresh.pk, old.pk, later.pk]
    assert queued() == 6
    assert done.pk not in sweep.outbox_sweep(now=now + timedelta(hours=1)).due


def test_a_row_left_sending_by_a_crashed_worker_after_its_last_revival_is_failed_not_resent(
    transactional_db, queued, smtp, settings
):
    """(Revival of an interrupted row while revivals last: tests/notifications/test_outbox_revival.py.)"""
    settings.NOTIFY_SENDING_TIMEOUT_SECONDS = 900
    settings.NOTIFY_MAX_REVIVALS = 3
    row = outbox_row(make_user("crashed"), Channel.EMAIL, status=Status.SENDING, attempts=1, revivals=3)
    Notification.objects.filter(pk=row.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=20), created=timezone.now() - timedelta(minutes=20)
    )
    recent = outbox_row(make_user("in_flight"), Channel.EMAIL, status=Status.SENDING, attempts=1, claimed_at=timezone.now())

    result = sweep.outbox_sweep()

    row.refresh_from_db()
    recent.refresh_from_db()
    assert result.interrupted == 1 and result.due == [] and queued() == 0
    assert row.status == Status.FAILED and "无法确认是否已送达" in row.last_error and "重新发送" in row.last_error
    assert recent.status == Status.SENDING  # a worker may still be on it
    assert smtp.mails == []


def test_preferences_choose_the_channels_but_in_app_is_always_on(org, make_sheet, wecom):
    Preference.objects.filter(user=org.head).update(email_enabled=False, wecom_enabled=False)
    Preference.objects.filter(user=org.leader).update(email_enabled=False)
    message = messages.Message(Kind.NUDGE, "催办：测试", "请尽快审核。", "http://127.0.0.1:8000/", None)

    rows = outbox.notifications_create(recipients=[org.head, org.leader, org.head], message=message, dedupe_key="k")

    assert sorted((n.recipient.username, n.channel) for n in rows) == [
        ("agency_leader", Channel.IN_APP), ("agency_leader", Channel.WECOM), ("office_head", Channel.IN_APP),
    ]
    assert outbox.notifications_create(recipients=[org.head, org.leader], message=message, dedupe_key="k") == []
