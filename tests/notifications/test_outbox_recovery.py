"""Nothing is lost: a message survives a stopped SMTP server, a WeCom outage and a Redis outage at the moment of
the event, and goes out exactly once when they are back."""

import json
import threading

import pytest
import redis
from django.db import connection

from notifications.models import Channel, Notification, PendingFanOut, Status
from notifications.sweep import outbox_sweep
from notifications.tasks import sweep_outbox
from tests.support import TEST_BROKER_URL, free_port, use_broker, wait_for
from workflow import services

pytestmark = pytest.mark.worker


def outbox():
    return {n.channel: n for n in Notification.objects.exclude(channel=Channel.IN_APP)}


def drained(queue: str) -> bool:
    """No task of ``queue`` waits in Redis or in the worker (received, running, or held for its retry countdown:
    with late acknowledgement each stays in kombu's ``unacked`` hash until it is done)."""
    client = redis.Redis.from_url(TEST_BROKER_URL)
    try:
        return client.llen(queue) == 0 and all(json.loads(raw)[2] != queue for raw in client.hvals("unacked"))
    finally:
        client.close()


def in_a_thread(call):
    """Run ``call`` as a request would, in a thread with its own connection; poll for its answer with
    ``wait_for``'s deadline rather than wait on it for ever."""
    answer = {}

    def run():
        try:
            answer["value"] = call()
        except BaseException as exc:  # noqa: BLE001 — handed to the test
            answer["error"] = exc
        finally:
            connection.close()

    threading.Thread(target=run, daemon=True).start()
    wait_for(lambda: answer, timeout=10)
    if "error" in answer:
        raise answer["error"]
    return answer["value"]


def test_a_notification_survives_smtp_and_wecom_outages_and_is_delivered_once_after_recovery(
    org, make_sheet, smtp, wecom, celery_worker, broker
):
    smtp.stop()
    wecom.stop()

    services.document_submit(document=make_sheet(), user=org.owner)

    def retried_while_down():
        rows = outbox()
        return len(rows) == 3 and all(n.status == Status.PENDING and n.attempts >= 3 for n in rows.values())

    wait_for(retried_while_down)
    rows = outbox()
    assert rows[Channel.EMAIL].last_error.startswith(f"无法连接邮件服务器 127.0.0.1:{smtp.port}")
    assert rows[Channel.WECOM].last_error.startswith("无法连接企业微信")
    assert rows[Channel.ROBOT].last_error.startswith("无法连接企业微信")

    smtp.start()
    wecom.start()

    wait_for(lambda: all(n.status == Status.SENT for n in outbox().values()))
    attempts = {channel: n.attempts for channel, n in outbox().items()}
    # a sweep after recovery finds nothing to send, and the retries queued during the outage run out sending nothing
    assert outbox_sweep().due == []
    wait_for(lambda: drained(broker))
    assert [m["to"] for m in smtp.mails] == [["office_head@example.gov.cn"]]
    assert [m["delivered_to"] for m in wecom.app_messages()] == [["head.wx"]]
    assert len(wecom.robot_messages()) == 1
    assert {channel: n.attempts for channel, n in outbox().items()} == attempts
    assert all(n.status == Status.SENT and n.last_error == "" for n in outbox().values())


def test_a_redis_outage_at_the_event_does_not_break_the_action_and_the_worker_delivers_later(
    org, make_sheet, smtp, broker, run_worker, settings
):
    use_broker(f"redis://127.0.0.1:{free_port()}/0")  # nothing listens there
    sheet = make_sheet()

    # the move answers and is saved: it sends nothing to the broker (its notifications wait for a worker to pick
    # them up from the database), and the section head's card is for the worker to write
    event = in_a_thread(lambda: services.document_submit(document=sheet, user=org.owner))

    sheet.refresh_from_db()
    assert sheet.state == "section_review" and event.pk
    assert PendingFanOut.objects.filter(sheet=sheet).exists()

    use_broker(TEST_BROKER_URL)  # Redis is back
    settings.NOTIFY_SWEEP_GRACE_SECONDS = 0
    with run_worker():  # the worker picks the move up as it starts
        mail = wait_for(lambda: Notification.objects.filter(channel=Channel.EMAIL, status=Status.SENT).first())
        sweep_outbox.apply_async(queue=broker)
        assert mail.pk not in outbox_sweep().due  # a sweep does not send it again

    assert [m["to"] for m in smtp.mails] == [["office_head@example.gov.cn"]]
