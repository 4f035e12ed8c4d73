"""Nothing waits on an administrator: the sweep revives rows stuck in sending or failed by a long outage,
within a bounded number of revivals, never a permanent failure, and each row is delivered once.

Tasks run in-process here (tests/conftest.py), so a row the sweep queues is delivered during the sweep."""

from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import attempts, messages, outbox, sweep
from notifications.models import Channel, FailureKind, Kind, Notification, Preference, Status
from tests.support import make_user


def outbox_row(user, channel=Channel.EMAIL, **extra):
    fields = dict(
        recipient=user, channel=channel, kind=Kind.SUBMIT, title="待科室审核：测试表", body="请审核。",
        url="http://127.0.0.1:8000/sheets/1/", dedupe_key=f"revival:{channel}:{user.pk if user else 'robot'}",
    )
    fields.update(extra)
    return Notification.objects.create(**fields)


def fail_by_outage(row, smtp, settings):
    """Deliver ``row`` while the SMTP server is down and the retry budget is one attempt: failed as temporary."""
    settings.NOTIFY_MAX_ATTEMPTS = 1
    smtp.stop()
    outcome = attempts.notification_deliver(notification_id=row.pk)
    smtp.start()
    settings.NOTIFY_MAX_ATTEMPTS = 12
    row.refresh_from_db()
    assert outcome.status == "failed" and row.status == Status.FAILED
    return row


@pytest.fixture
def sweep_now(settings):
    settings.NOTIFY_SWEEP_GRACE_SECONDS = 0
    settings.NOTIFY_MAX_REVIVALS = 3
    settings.NOTIFY_REVIVE_PROBE_SECONDS = 3600


def test_a_failure_outlasting_the_retry_budget_is_stored_as_temporary_and_a_bad_address_as_permanent(db, smtp, settings):
    temporary = fail_by_outage(outbox_row(make_user("outage")), smtp, settings)
    smtp.mailbox.refuse_next(1, "550 5.1.1 no such user")
    permanent = outbox_row(make_user("bad_address"))
    attempts.notification_deliver(notification_id=permanent.pk)
    permanent.refresh_from_db()

    assert temporary.failure_kind == FailureKind.TEMPORARY and temporary.failed_at is not None
    assert permanent.status == Status.FAILED and permanent.failure_kind == FailureKind.PERMANENT


def test_a_row_failed_by_an_outage_is_revived_once_the_channel_answers_again_and_delivered_once(
    db, smtp, settings, sweep_now
):
    row = fail_by_outage(outbox_row(make_user("outage")), smtp, settings)

    # the channel has not answered since: nothing is revived (and the probe interval has not passed)
    assert sweep.outbox_sweep().revived == []

    other = outbox_row(make_user("later_event"))
    assert attempts.notification_deliver(notification_id=other.pk).status == "sent"  # SMTP answers again

    result = sweep.outbox_sweep()

    row.refresh_from_db()
    assert result.revived == [row.pk]
    assert row.status == Status.SENT and row.revivals == 1 and row.last_error == ""
    assert [m["to"] for m in smtp.mails] == [["later_event@example.gov.cn"], ["outage@example.gov.cn"]]
    # later sweeps send nothing more
    assert sweep.outbox_sweep().revived == []
    assert sweep.outbox_sweep(now=timezone.now() + timedelta(days=1)).revived == []
    assert len(smtp.mails) == 2


def test_while_a_channel_stays_silent_one_probe_row_per_channel_is_revived_per_interval(db, smtp, settings, sweep_now):
    first = fail_by_outage(outbox_row(make_user("first")), smtp, settings)
    second = fail_by_outage(outbox_row(make_user("second")), smtp, settings)
    smtp.stop()  # still down

    assert sweep.outbox_sweep().revived == []  # the interval has not passed
    later = timezone.now() + timedelta(hours=2)
    result = sweep.outbox_sweep(now=later)

    first.refresh_from_db()
    second.refresh_from_db()
    assert result.revived == [first.pk]  # the oldest only
    assert first.revivals == 1 and first.status == Status.PENDING  # retrying with a fresh budget
    assert second.status == Status.FAILED and second.revivals == 0
    # while the probe is on its way no second probe is sent
    assert sweep.outbox_sweep(now=later + timedelta(hours=2)).revived == []


def test_revivals_are_bounded_and_a_permanent_failure_is_never_revived(db, smtp, settings, sweep_now):
    settings.NOTIFY_MAX_REVIVALS = 2
    worn = fail_by_outage(outbox_row(make_user("worn")), smtp, settings)
    Notification.objects.filter(pk=worn.pk).update(revivals=2)
    permanent = outbox_row(
        make_user("permanent"), status=Status.FAILED, failure_kind=FailureKind.PERMANENT, failed_at=timezone.now(),
        last_error="邮件服务器拒收收件人",
    )
    legacy = outbox_row(make_user("legacy"), status=Status.FAILED, last_error="升级前失败的记录")  # no failure kind
    assert attempts.notification_deliver(notification_id=outbox_row(make_user("ok")).pk).status == "sent"

    result = sweep.outbox_sweep(now=timezone.now() + timedelta(days=1))

    assert result.revived == []
    for row in (worn, permanent, legacy):
        row.refresh_from_db()
        assert row.status == Status.FAILED
    assert [m["to"] for m in smtp.mails] == [["ok@example.gov.cn"]]


def test_admin_resend_starts_the_revival_count_afresh(db, settings, sweep_now):
    row = outbox_row(
        make_user("resend"), status=Status.FAILED, failure_kind=FailureKind.TEMPORARY, revivals=3,
        failed_at=timezone.now(),
    )
    assert sweep.notifications_resend(notifications=Notification.objects.filter(pk=row.pk)) == 1
    row.refresh_from_db()
    assert row.revivals == 0


def test_a_row_stuck_in_sending_is_revived_and_delivered_once_and_keeps_saying_it_was_interrupted(db, smtp, settings, sweep_now):
    settings.NOTIFY_SENDING_TIMEOUT_SECONDS = 900
    row = outbox_row(make_user("crashed"), status=Status.SENDING, attempts=1, claimed_at=timezone.now() - timedelta(minutes=20))
    recent = outbox_row(make_user("in_flight"), status=Status.SENDING, attempts=1, claimed_at=timezone.now())

    result = sweep.outbox_sweep()

    row.refresh_from_db()
    recent.refresh_from_db()
    assert result.interrupted == 1 and result.revived == [row.pk]
    assert row.status == Status.SENT and row.revivals == 1
    # the row says it was revived after an interruption: its recipient may have it twice
    assert row.failure_kind == FailureKind.INTERRUPTED
    assert recent.status == Status.SENDING  # a worker may still be on it
    assert [m["to"] for m in smtp.mails] == [["crashed@example.gov.cn"]]
    assert sweep.outbox_sweep().revived == []
    assert len(smtp.mails) == 1


def test_a_revived_interrupted_row_says_it_may_arrive_twice_until_it_is_sent(db, settings, sweep_now):
    settings.NOTIFY_SENDING_TIMEOUT_SECONDS = 900
    settings.NOTIFY_SWEEP_GRACE_SECONDS = 3600  # keep it pending: look at the row between revival and delivery
    row = outbox_row(make_user("crashed"), status=Status.SENDING, attempts=1, claimed_at=timezone.now() - timedelta(minutes=20))

    sweep.outbox_sweep()

    row.refresh_from_db()
    assert row.status == Status.PENDING and row.attempts == 0 and row.revivals == 1
    assert "无法确认是否已送达" in row.last_error and "可能收到两次" in row.last_error


def test_every_attempt_of_one_row_carries_the_same_message_id(db, settings):
    from django.core import mail

    row = outbox_row(make_user("message_id"))
    attempts.notification_deliver(notification_id=row.pk)
    Notification.objects.filter(pk=row.pk).update(status=Status.PENDING)
    attempts.notification_deliver(notification_id=row.pk)

    ids = [m.extra_headers["Message-ID"] for m in mail.outbox]
    assert len(ids) == 2 and ids[0] == ids[1] == f"<targetflow-notification-{row.pk}@127.0.0.1>"


def test_no_wecom_row_for_a_person_without_a_wecom_user_id(org, wecom):
    no_preference = make_user("no_pref")
    empty_id = make_user("empty_id")
    Preference.objects.create(user=empty_id, wecom_userid="  ", wecom_enabled=True)
    message = messages.Message(Kind.NUDGE, "催办：测试", "请尽快审核。", "http://127.0.0.1:8000/", None)

    rows = outbox.notifications_create(recipients=[no_preference, empty_id, org.head], message=message, dedupe_key="wx")

    wecom_rows = [n.recipient.username for n in rows if n.channel == Channel.WECOM]
    assert wecom_rows == ["office_head"]
