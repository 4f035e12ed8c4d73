"""A write on the outbox that has to wait (another transaction holds a notification row, or a migration the table)
holds up nothing but itself: the worker writing a move's notifications does not hold the sheet's row lock while it
waits, so the sheet's next moves go through; a move that writes its notifications itself answers 503 稍后再试 within
seconds; the worker lets go after NOTIFY_FAN_OUT_LOCK_TIMEOUT and tries again later. The notifications are still
written exactly once, in the order of the sheet's moves, and a move and the worker never deadlock.

A second real connection holds the notification row (tests/locks.py); moves from the browser's side go over real HTTP
to the live server, which opens its connections inside requests as gunicorn does."""

from __future__ import annotations

import threading

import httpx
import pytest
from django.db import connection
from rest_framework.authtoken.models import Token

from notifications import fanout
from notifications.models import Channel, Notification, PendingFanOut
from tests.locks import holding, waiting_on_locks
from tests.support import wait_for
from workflow import services

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 120  # the HTTP client's: far beyond what the holder keeps its lock (tests/locks.py)
LOCK_NOTICE = "SELECT 1 FROM notifications_notification WHERE sheet_id = %s AND recipient_id = %s AND channel = 'in_app' FOR UPDATE"


def post(live_server, sheet, user, move, **body):
    token, _ = Token.objects.get_or_create(user=user)
    return httpx.post(
        f"{live_server.url}/api/sheets/{sheet.pk}/{move}/", json=body, headers={"Authorization": f"Token {token.key}"},
        timeout=TIMEOUT,
    )


def in_thread(target, results):
    """Run ``target`` in a thread of its own (a connection of its own, as a worker has); its outcome lands in ``results``."""

    def run():
        try:
            results.append(target())
        except Exception as exc:  # noqa: BLE001 — the test reads it
            results.append(exc)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def in_app_keys(sheet) -> list[tuple[str, str, bool]]:
    """(recipient, dedupe key, handled) of the sheet's in-app notices, in the order they were written."""
    return [
        (n.recipient.username, n.dedupe_key, n.handled_at is not None)
        for n in Notification.objects.filter(sheet=sheet, channel=Channel.IN_APP).select_related("recipient").order_by("id")
    ]


@pytest.fixture
def submitted(org, make_sheet, broker):
    """A sheet the owner submitted, with a worker to hand notifications to (none runs: the tests play it), and the
    submission's notices written: the section head's 待审核 notice is there."""
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    fanout.fan_outs_run(field="sheet", pk=sheet.pk)  # (or a running worker did)
    assert Notification.objects.filter(sheet=sheet, recipient=org.head, channel=Channel.IN_APP, kind="submit").exists()
    return sheet


def test_a_worker_stuck_on_the_outbox_does_not_hold_up_the_sheets_next_move(live_server, org, submitted, settings):
    settings.DB_WEB_LOCK_TIMEOUT = 1
    sheet = submitted
    head_approval = services.document_approve(document=sheet, user=org.head)  # its notices are the worker's to write
    worker = []

    with holding(LOCK_NOTICE, [sheet.pk, org.head.pk]):  # settling the head's 待审核 notice has to wait
        stuck = in_thread(lambda: fanout.fan_outs_run(field="sheet", pk=sheet.pk), worker)
        wait_for(lambda: waiting_on_locks() >= 1)

        answer = post(live_server, sheet, org.leader, "approve")

        assert answer.status_code == 200, answer.text  # while the worker still waits
        assert stuck.is_alive() and not worker
    stuck.join(timeout=TIMEOUT)

    assert worker == [1]  # the head's approval, once the row was free
    leader_approval = sheet.events.get(action="approve", actor=org.leader)
    assert fanout.fan_outs_run(field="sheet", pk=sheet.pk) == 1  # the leader's, as its task would
    assert not PendingFanOut.objects.exists()
    submission = sheet.events.get(action="submit")
    assert in_app_keys(sheet) == [  # in the order of the moves, each once, each settling the task before it
        ("office_head", f"event:{submission.pk}", True),
        ("agency_leader", f"event:{head_approval.pk}", True),
        ("agency_finance", f"event:{leader_approval.pk}", False),
    ]


def test_a_move_that_writes_its_notices_itself_answers_503_while_the_outbox_waits_and_changes_nothing(
    live_server, org, submitted, settings
):
    """A return is written with its move: settling the head's 待审核 notice has to wait for the row, so the request
    gives up after DB_WEB_LOCK_TIMEOUT with 503 and the whole move is rolled back."""
    settings.DB_WEB_LOCK_TIMEOUT = 1
    sheet = submitted

    with holding(LOCK_NOTICE, [sheet.pk, org.head.pk]):
        answer = post(live_server, sheet, org.head, "return", comment="请补充依据")

    assert answer.status_code == 503 and answer.json()["detail"] == "系统繁忙，请稍后再试。"
    sheet.refresh_from_db()
    assert sheet.state == "section_review" and not sheet.events.filter(action="return_for_revision").exists()
    assert post(live_server, sheet, org.head, "return", comment="请补充依据").status_code == 200


def test_a_move_and_a_worker_waiting_on_the_same_outbox_both_finish_in_the_order_of_the_moves(org, submitted):
    """The worker holds the head's approval, waiting for a notification row; the leader returns the sheet meanwhile
    (a return writes the pending notices of its sheet first, so it waits for the worker). Once the row is free the
    worker's notices refer to the sheet the return holds locked: neither waits for the other in a circle."""
    sheet = submitted
    head_approval = services.document_approve(document=sheet, user=org.head)
    worker, mover = [], []

    with holding(LOCK_NOTICE, [sheet.pk, org.head.pk]):
        stuck = in_thread(lambda: fanout.fan_outs_run(field="sheet", pk=sheet.pk), worker)
        wait_for(lambda: waiting_on_locks() >= 1)
        returning = in_thread(lambda: services.document_return(document=sheet, user=org.leader, comment="请补充依据").pk, mover)
        wait_for(lambda: waiting_on_locks() >= 2)
    stuck.join(timeout=TIMEOUT)
    returning.join(timeout=TIMEOUT)

    assert worker == [1] and len(mover) == 1 and isinstance(mover[0], int), (worker, mover)
    assert not PendingFanOut.objects.exists()
    keys = in_app_keys(sheet)
    assert keys[:2] == [  # the submission's and the head's approval's, then the return's
        ("office_head", f"event:{sheet.events.get(action='submit').pk}", True),
        ("agency_leader", f"event:{head_approval.pk}", True),
    ]
    assert {key for _, key, _ in keys[2:]} == {f"event:{mover[0]}"}


@pytest.mark.worker
def test_the_worker_lets_go_of_a_waiting_outbox_and_writes_the_notices_once_it_is_free(org, submitted, celery_worker, settings):
    settings.NOTIFY_FAN_OUT_LOCK_TIMEOUT = 1
    sheet = submitted

    with holding(LOCK_NOTICE, [sheet.pk, org.head.pk]):
        head_approval = services.document_approve(document=sheet, user=org.head)  # the worker gets the task after commit
        wait_for(lambda: waiting_on_locks() >= 1, timeout=30)  # the worker waits for the row (1 s, and again each retry)
        wait_for(lambda: waiting_on_locks() == 0)  # it let go
        assert PendingFanOut.objects.filter(event_id=head_approval.pk).exists()

    wait_for(lambda: not PendingFanOut.objects.exists(), timeout=60)  # tried again (after 5 s) and wrote them
    assert [key for _, key, _ in in_app_keys(sheet)].count(f"event:{head_approval.pk}") == 1
    assert in_app_keys(sheet)[0][2]  # the head's 待审核 notice is settled
