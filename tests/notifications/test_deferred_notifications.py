"""With a worker (Redis), a submit, approve, withdraw or publish records a pending fan-out with the move instead of
writing its notifications in the move's request; the worker writes them right after the move commits — the same
rows the move would have written — in the order of the sheet's moves, and the sweep writes those the worker was
never told about."""

import pytest

from notifications import fanout, sweep
from notifications.models import Channel, Notification, PendingFanOut
from tests.support import celery_setting
from workflow import services


@pytest.fixture
def with_worker():
    """Tasks go to a worker (none runs here: the test writes the pending notifications itself)."""
    saved = celery_setting("task_always_eager")
    celery_setting("task_always_eager", False)
    yield
    celery_setting("task_always_eager", saved)


def written(sheet, *, replace=""):
    rows = Notification.objects.filter(sheet=sheet).order_by("id")
    return [
        (n.recipient.username if n.recipient_id else None, n.channel, n.kind, n.title.replace(replace, "<表>"),
         n.body.replace(replace, "<表>").split("于 ")[0], n.status, n.handled_at is not None)
        for n in rows
    ]


def test_a_submit_records_its_notifications_for_the_worker_and_the_worker_writes_what_the_move_would_have(
    org, make_sheet, wecom, with_worker
):
    deferred, at_once = make_sheet(), make_sheet()

    services.document_submit(document=deferred, user=org.owner)

    assert not Notification.objects.filter(sheet=deferred).exists()
    assert PendingFanOut.objects.filter(sheet=deferred).count() == 1
    assert fanout.fan_outs_run(field="sheet", pk=deferred.pk) == 1
    assert not PendingFanOut.objects.exists()
    celery_setting("task_always_eager", True)
    services.document_submit(document=at_once, user=org.owner)
    assert written(deferred, replace=deferred.display_title) == written(at_once, replace=at_once.display_title)
    assert {row[0] for row in written(deferred)} == {"office_head", None}  # the section head, and the group robot


def test_a_move_written_at_once_writes_the_pending_ones_of_its_sheet_first(org, make_sheet, wecom, with_worker):
    """The head returns the sheet before the worker wrote the submit's notifications: the submit's are written
    first, then the return settles the head's 待审核 notice and tells the drafter."""
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)

    services.document_return(document=sheet, user=org.head, comment="请补充依据")  # a return is written with its move

    assert not PendingFanOut.objects.exists()
    [head_notice] = Notification.objects.filter(sheet=sheet, recipient=org.head, channel=Channel.IN_APP)
    assert head_notice.kind == "submit" and head_notice.handled_at is not None
    assert Notification.objects.filter(sheet=sheet, recipient=org.owner, kind="return").exists()


def test_approvals_written_later_follow_the_steps_the_sheet_went_through(org, make_sheet, wecom, with_worker):
    """Submit, then the head's approval, both pending: written later, each reaches the step it moved the sheet to
    (the head, then the leader), and the leader's approval-to-be is not settled by the head's notice."""
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    services.document_approve(document=sheet, user=org.leader)  # the sheet is at 财政审核 before anything was written

    assert fanout.fan_outs_run(field="sheet", pk=sheet.pk) == 3

    notices = {(n.recipient.username, n.kind): n.handled_at is not None
               for n in Notification.objects.filter(sheet=sheet, channel=Channel.IN_APP)}
    assert notices == {("office_head", "submit"): True, ("agency_leader", "approve"): True, ("agency_finance", "approve"): False}


def test_the_sweep_writes_the_notifications_of_a_move_the_worker_was_never_told_about(
    org, make_sheet, wecom, with_worker, settings
):
    settings.NOTIFY_SWEEP_GRACE_SECONDS = 0
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)  # its publish after commit never happens in this test

    result = sweep.outbox_sweep()

    assert result.written == 1 and not PendingFanOut.objects.exists()
    assert Notification.objects.filter(sheet=sheet, recipient=org.head, kind="submit").count() == 3


def test_deleting_a_sheet_writes_its_pending_notifications_first(org, make_sheet, wecom, with_worker):
    """A withdrawn draft deleted before the worker wrote the withdraw's notices: they are written (and the section
    head's 待审核 notice settled) before the sheet goes."""
    sheet = make_sheet()
    celery_setting("task_always_eager", True)
    services.document_submit(document=sheet, user=org.owner)  # written at once
    celery_setting("task_always_eager", False)
    services.document_withdraw(document=sheet, user=org.owner)  # pending

    sheet.delete()

    assert not PendingFanOut.objects.exists()
    head_notices = Notification.objects.filter(recipient=org.head, channel=Channel.IN_APP).order_by("id")
    assert [(n.kind, n.handled_at is not None) for n in head_notices] == [("submit", True), ("withdraw", False)]
