"""Delivery by a real Celery worker (solo pool, in a thread) from the real Redis, to a real SMTP server and the
fake WeCom server on loopback: what a reviewer actually receives, retries, permanent failures, no duplicates."""

import pytest

from notifications import outbox
from notifications.models import Channel, Notification, Status
from notifications.tasks import deliver_notification
from tests.support import wait_for
from workflow import services

pytestmark = pytest.mark.worker


def delivered(**filters):
    """Rows matching ``filters`` once none of them is pending or sending any more."""

    def check():
        found = list(Notification.objects.filter(**filters).exclude(channel=Channel.IN_APP))
        return found if found and all(n.status in (Status.SENT, Status.FAILED) for n in found) else None

    check.__name__ = f"delivered({filters})"
    return wait_for(check)


def test_the_section_head_receives_the_submission_by_mail_wecom_and_the_group_robot(
    org, make_sheet, smtp, wecom, celery_worker
):
    sheet = make_sheet()

    services.document_submit(document=sheet, user=org.owner)

    rows = delivered(kind="submit")
    assert {(n.channel, n.status) for n in rows} == {
        (Channel.EMAIL, Status.SENT), (Channel.WECOM, Status.SENT), (Channel.ROBOT, Status.SENT),
    }
    [mail] = smtp.mails
    assert mail["to"] == ["office_head@example.gov.cn"]
    assert mail["subject"] == f"【预算绩效】待科室审核：{sheet.display_title}"
    assert f"项目编码：{sheet.project.code}" in mail["body"]
    assert f"办理链接：http://127.0.0.1:8000/sheets/{sheet.pk}/" in mail["body"]
    [card] = wecom.app_messages()
    assert card["delivered_to"] == ["head.wx"]
    assert card["body"]["msgtype"] == "template_card"  # a reviewer's task: the approval card (tests/wecom)
    template = card["body"]["template_card"]
    assert (template["main_title"]["title"], template["main_title"]["desc"]) == ("待科室审核", sheet.display_title)
    assert template["card_action"]["url"] == f"http://127.0.0.1:8000/wecom/signin/?next=%2Fsheets%2F{sheet.pk}%2F"
    [robot] = wecom.robot_messages()
    assert robot["body"]["msgtype"] == "markdown"
    # tapped in the group chat: through WeCom's silent sign-in, as the application's messages
    assert f"[打开办理](http://127.0.0.1:8000/wecom/signin/?next=%2Fsheets%2F{sheet.pk}%2F)" in robot["body"]["markdown"]["content"]


def test_wecom_busy_and_rate_limited_answers_are_retried_until_delivered(org, make_sheet, wecom, celery_worker):
    wecom.fail_next(2, -1, path="/cgi-bin/message/send")
    wecom.fail_next(1, 45009, path="/cgi-bin/message/send")

    services.document_submit(document=make_sheet(), user=org.owner)

    [row] = delivered(channel=Channel.WECOM)
    assert row.status == Status.SENT and row.attempts == 4
    assert len(wecom.app_messages()) == 1


def test_an_expired_token_is_fetched_again_within_the_same_attempt(org, make_sheet, wecom, celery_worker):
    services.document_submit(document=make_sheet(), user=org.owner)
    delivered(channel=Channel.WECOM)
    wecom.expire_tokens()

    services.document_approve(document=Notification.objects.filter(kind="submit").first().sheet, user=org.head)

    [row] = delivered(channel=Channel.WECOM, recipient=org.leader)
    assert row.status == Status.SENT and row.attempts == 1  # refused with the old token, sent with a new one
    # one fetch at the start, one by the delivery; greying out the head's card (another client) may fetch first
    assert wecom.gettoken_calls in (2, 3)
    assert [m["delivered_to"] for m in wecom.app_messages()] == [["head.wx"], ["leader.wx"]]


def test_an_unknown_wecom_account_fails_at_once_with_the_reason(org, make_sheet, wecom, celery_worker):
    org.head.notification_preference.wecom_userid = "no-such-user"
    org.head.notification_preference.save()

    services.document_submit(document=make_sheet(), user=org.owner)

    [row] = delivered(channel=Channel.WECOM)
    assert row.status == Status.FAILED and row.attempts == 1
    assert row.last_error == "接收人在企业微信中无效（81013），请核对其企业微信账号。"
    assert not wecom.app_messages()


def test_a_mailbox_refused_for_good_fails_and_a_busy_one_is_retried(org, make_sheet, smtp, celery_worker):
    smtp.mailbox.refuse_next(1, "550 5.1.1 mailbox unavailable")
    services.document_submit(document=make_sheet(), user=org.owner)
    [refused] = delivered(channel=Channel.EMAIL, kind="submit")
    assert refused.status == Status.FAILED
    assert "SMTP 代码 550" in refused.last_error and "office_head@example.gov.cn" in refused.last_error

    smtp.mailbox.refuse_next(2, "451 4.3.0 try again later")
    services.document_approve(document=refused.sheet, user=org.head)
    [busy] = delivered(channel=Channel.EMAIL, kind="approve")
    assert busy.status == Status.SENT and busy.attempts == 3
    assert [m["to"] for m in smtp.mails] == [["agency_leader@example.gov.cn"]]


def test_duplicate_tasks_for_one_row_send_it_once(org, make_sheet, smtp, wecom, broker, run_worker):
    services.document_submit(document=make_sheet(), user=org.owner)  # queued before any worker runs
    rows = list(Notification.objects.exclude(channel=Channel.IN_APP))
    for row in rows:
        for _ in range(3):
            deliver_notification.apply_async(args=[row.pk], queue=broker)

    with run_worker():
        delivered(kind="submit")
        outbox.notifications_enqueue(ids=[r.pk for r in rows])  # and once more after delivery
        wait_for(lambda: not _queue_length(broker), timeout=5)

    assert len(smtp.mails) == 1
    assert len(wecom.app_messages()) == 1
    assert len(wecom.robot_messages()) == 1
    assert set(Notification.objects.exclude(channel=Channel.IN_APP).values_list("status", "attempts")) == {(Status.SENT, 1)}


def _queue_length(queue: str) -> int:
    import redis

    from tests.support import TEST_BROKER_URL

    client = redis.Redis.from_url(TEST_BROKER_URL)
    try:
        return client.llen(queue)
    finally:
        client.close()
