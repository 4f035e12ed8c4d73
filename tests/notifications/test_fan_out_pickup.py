"""A move's notifications are picked up by the worker itself (PostgreSQL LISTEN/NOTIFY): the move sends nothing to
the broker; a worker writes them right after the move commits, in the order of the sheet's moves; what was pending
while no worker listened is written when one starts; two workers never write a move twice; the sweep still writes
what is left."""

from __future__ import annotations

import threading

import pytest
import redis
from django.db import connection, transaction

from notifications import fanout, pickup, sweep
from notifications.models import Channel, Notification, PendingFanOut
from notifications.tasks import write_event_notifications
from tests.support import TEST_BROKER_URL, wait_for
from workflow import services

pytestmark = pytest.mark.django_db(transaction=True)


def head_notices(sheet) -> list[str]:
    return list(Notification.objects.filter(sheet=sheet, channel=Channel.IN_APP).order_by("id").values_list("recipient__username", "kind"))


@pytest.fixture
def no_publish(monkeypatch):
    """Fail the test if anything hands a move's notifications to the broker."""

    def refuse(*args, **kwargs):
        raise AssertionError("a move's notifications were sent to the broker")

    monkeypatch.setattr(write_event_notifications, "apply_async", refuse)
    monkeypatch.setattr(write_event_notifications, "delay", refuse)


@pytest.fixture
def listener():
    """The worker's listener (``notifications.pickup.listen``) in a thread of its own, as the worker runs it; a
    poll so long that only a notification wakes it."""
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(target=pickup.listen, args=(stop,), kwargs={"poll": 3600, "ready": ready}, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield thread
    stop.set()
    thread.join(10)
    assert not thread.is_alive()


@pytest.mark.worker
def test_a_running_worker_writes_the_notifications_of_each_move_without_a_message_per_move(
    org, make_sheet, wecom, celery_worker, broker, no_publish
):
    sheet = make_sheet()

    services.document_submit(document=sheet, user=org.owner)
    wait_for(lambda: Notification.objects.filter(sheet=sheet, recipient=org.head, kind="submit").exists())
    services.document_approve(document=sheet, user=org.head)
    wait_for(lambda: Notification.objects.filter(sheet=sheet, recipient=org.leader, kind="approve").exists())

    assert not PendingFanOut.objects.exists()
    notices = {(n.recipient.username, n.kind): n.handled_at is not None
               for n in Notification.objects.filter(sheet=sheet, channel=Channel.IN_APP)}
    assert notices == {("office_head", "submit"): True, ("agency_leader", "approve"): False}
    client = redis.Redis.from_url(TEST_BROKER_URL)
    try:  # the queue carried deliveries only
        assert all(b"write_event_notifications" not in raw for raw in client.lrange(broker, 0, -1))
    finally:
        client.close()


def test_a_listener_wakes_up_when_a_move_commits_and_not_for_one_rolled_back(org, make_sheet, wecom, broker, listener, no_publish):
    kept, undone = make_sheet(), make_sheet()

    with pytest.raises(RuntimeError), transaction.atomic():
        services.document_submit(document=undone, user=org.owner)
        raise RuntimeError("the request failed after the move")
    services.document_submit(document=kept, user=org.owner)

    wait_for(lambda: not PendingFanOut.objects.exists() and head_notices(kept))
    assert head_notices(kept) == [("office_head", "submit")]
    assert head_notices(undone) == []


def test_moves_pending_while_no_worker_listened_are_written_when_one_starts_in_the_order_of_the_moves(
    org, make_sheet, wecom, broker, no_publish
):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    services.document_approve(document=sheet, user=org.leader)
    assert PendingFanOut.objects.count() == 3

    written, skipped = pickup.Pickup().run()  # what a listener does first when it starts

    assert (written, skipped) == (3, 0) and not PendingFanOut.objects.exists()
    notices = {(n.recipient.username, n.kind): n.handled_at is not None
               for n in Notification.objects.filter(sheet=sheet, channel=Channel.IN_APP)}
    assert notices == {("office_head", "submit"): True, ("agency_leader", "approve"): True, ("agency_finance", "approve"): False}


def test_a_batch_of_sheets_gets_what_each_move_would_have_written_with_it(org, make_sheet, wecom, broker):
    """Several sheets' moves written in one pickup (one transaction, the step's holders read once) reach the same
    people as moves written at once; a pending move recorded before its round was (an older version's row) is
    read back from the history."""
    from tests.support import celery_setting

    deferred, older, at_once = make_sheet(), make_sheet(), make_sheet()
    for sheet in (deferred, older):
        services.document_submit(document=sheet, user=org.owner)
        services.document_approve(document=sheet, user=org.head)
    PendingFanOut.objects.filter(sheet=older).update(round_actors=None)
    celery_setting("task_always_eager", True)
    try:
        services.document_submit(document=at_once, user=org.owner)
        services.document_approve(document=at_once, user=org.head)
    finally:
        celery_setting("task_always_eager", False)

    assert pickup.Pickup().run() == (4, 0)

    def keys(sheet):
        return sorted((n.recipient.username if n.recipient_id else "", n.channel, n.kind, n.handled_at is not None)
                      for n in Notification.objects.filter(sheet=sheet))

    assert keys(deferred) == keys(older) == keys(at_once)
    assert ("agency_leader", Channel.IN_APP, "approve", False) in keys(deferred)


def write(sheet):
    return fanout.fan_outs_write(documents=[("sheet", sheet.pk)], lock_timeout=1, skip_busy=True)


def test_a_second_worker_skips_a_sheet_the_first_is_writing_and_writes_it_once_it_is_free(org, make_sheet, wecom, broker):
    """Two workers are woken by every move: while one holds a sheet's pending moves the other passes it by (no wait,
    nothing written twice), and looks again until it is done."""
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    first_holds, release = threading.Event(), threading.Event()
    outcome = []

    def first_worker():
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:  # the claim fan_outs_write(skip_busy=True) takes
                    cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"fan-out:sheet:{sheet.pk}"])
                first_holds.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    assert first_holds.wait(10)
    try:
        outcome.append(write(sheet))
    finally:
        release.set()
        thread.join(10)

    assert outcome == [(0, [("sheet", sheet.pk)])] and PendingFanOut.objects.count() == 1  # skipped, not written
    assert write(sheet) == (1, [])
    assert write(sheet) == (0, [])
    assert head_notices(sheet) == [("office_head", "submit")]


def test_the_sweep_still_writes_what_no_worker_picked_up(org, make_sheet, wecom, broker, settings):
    settings.NOTIFY_SWEEP_GRACE_SECONDS = 0
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)  # no worker listens

    assert sweep.outbox_sweep().written == 1

    assert not PendingFanOut.objects.exists() and head_notices(sheet) == [("office_head", "submit")]


def test_a_sheet_whose_notifications_fail_holds_up_no_other_and_is_tried_again_later(
    org, make_sheet, wecom, broker, monkeypatch
):
    from notifications import messages

    broken, fine = make_sheet(), make_sheet()
    services.document_submit(document=broken, user=org.owner)
    services.document_submit(document=fine, user=org.owner)
    for_event = messages.for_event

    def failing(event):
        if event.document_id == broken.pk:
            raise RuntimeError("a message that cannot be written")
        return for_event(event)

    monkeypatch.setattr(messages, "for_event", failing)
    picker = pickup.Pickup()

    assert picker.run() == (1, 0)  # the other sheet's, in a transaction of its own

    assert head_notices(fine) == [("office_head", "submit")] and head_notices(broken) == []
    assert list(PendingFanOut.objects.values_list("sheet_id", flat=True)) == [broken.pk]  # kept for later
    assert picker.run() == (0, 0)  # not tried again at once
    monkeypatch.setattr(messages, "for_event", for_event)
    picker.retry_at[("sheet", broken.pk)] = (0.0, 5.0)  # its time has come
    assert picker.run() == (1, 0) and head_notices(broken) == [("office_head", "submit")]
