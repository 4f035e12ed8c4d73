"""A task handled in the browser (or by another reviewer) greys out the approval cards already in WeCom:
each says who did what, and a tap on it afterwards answers the same and changes nothing."""

from __future__ import annotations

from notifications.models import WeComCard
from people import roles
from people.services import role_grant
from tests.support import make_user
from tests.wecom.conftest import deliver_wecom, post_callback
from workflow import services


def _updates_for(wecom_app, card):
    return [u["button"]["replace_name"] for u in wecom_app.card_updates if u["task_id"] == card.task_id]


def test_approving_in_the_browser_greys_out_the_leaders_card(org, leader_card, wecom_app, django_capture_on_commit_callbacks):
    sheet, card = leader_card()

    with django_capture_on_commit_callbacks(execute=True):
        services.document_approve(document=sheet, user=org.leader, expected_version=sheet.version)

    assert _updates_for(wecom_app, card) == ["已通过 · 赵局长"]
    card.refresh_from_db()
    assert card.handled_at is not None and card.outcome == "已通过 · 赵局长"


def test_a_tap_on_a_settled_card_answers_who_handled_it_and_changes_nothing(
    client, org, leader_card, wecom_app, django_capture_on_commit_callbacks
):
    sheet, card = leader_card()
    with django_capture_on_commit_callbacks(execute=True):
        services.document_return(document=sheet, user=org.leader, comment="预算依据不足", expected_version=sheet.version)
    sheet.refresh_from_db()
    state, version = sheet.state, sheet.version

    post_callback(client, wecom_app.card_click(card.task_id, "approve", userid="leader.wx"))

    sheet.refresh_from_db()
    assert (sheet.state, sheet.version) == (state, version) == ("returned", version)
    assert _updates_for(wecom_app, card) == ["已退回 · 赵局长", "已退回 · 赵局长"]  # the browser's, then the tap's


def test_the_next_steps_card_stays_open(org, leader_card, wecom_app, django_capture_on_commit_callbacks):
    sheet, leader_card_ = leader_card()
    with django_capture_on_commit_callbacks(execute=True):
        services.document_approve(document=sheet, user=org.leader, expected_version=sheet.version)
    deliver_wecom(org.finance, sheet)
    finance_card = WeComCard.objects.get(sheet=sheet, recipient=org.finance)

    assert _updates_for(wecom_app, finance_card) == []
    finance_card.refresh_from_db()
    assert finance_card.handled_at is None


def test_a_reassigned_task_settles_the_old_holders_card_but_not_the_new_ones(
    org, leader_card, wecom_app, django_capture_on_commit_callbacks
):
    wecom_app.users.add("deputy.wx")
    deputy = make_user("deputy_leader", wecom_userid="deputy.wx", first_name="钱副局长")
    role_grant(user=deputy, role=roles.LEADER, scope=org.agency)
    sheet, card = leader_card()
    deliver_wecom(deputy, sheet)
    deputy_card = WeComCard.objects.get(sheet=sheet, recipient=deputy)

    with django_capture_on_commit_callbacks(execute=True):
        services.task_reassign(document=sheet, user=org.leader, to_user=deputy, comment="请钱局审批", expected_version=sheet.version)

    assert _updates_for(wecom_app, card) == ["已转办 · 赵局长"]
    assert _updates_for(wecom_app, deputy_card) == []
    deputy_card.refresh_from_db()
    assert deputy_card.handled_at is None


def test_a_refused_move_settles_nothing(org, leader_card, wecom_app, django_capture_on_commit_callbacks):
    import pytest

    from core.errors import AppError

    sheet, card = leader_card()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(AppError):
        services.document_approve(document=sheet, user=org.leader, expected_version=sheet.version - 1)  # stale

    assert _updates_for(wecom_app, card) == []
    card.refresh_from_db()
    assert card.handled_at is None


def test_with_a_worker_the_cards_are_greyed_out_once_the_worker_wrote_the_notifications(
    org, leader_card, wecom_app, django_capture_on_commit_callbacks
):
    """The approval's notifications are written by the worker after the move: the request queues nothing (the worker
    is woken by the database, ``notifications.pickup``); the handled task's cards are greyed out once the worker's
    notifications are written."""
    from notifications import fanout
    from notifications.models import PendingFanOut
    from tests.support import celery_setting

    sheet, card = leader_card()
    saved = celery_setting("task_always_eager")
    celery_setting("task_always_eager", False)
    try:
        with django_capture_on_commit_callbacks(execute=False) as request_callbacks:
            services.document_approve(document=sheet, user=org.leader, expected_version=sheet.version)
    finally:
        celery_setting("task_always_eager", saved)
    assert PendingFanOut.objects.filter(sheet=sheet).exists()
    assert _updates_for(wecom_app, card) == []  # nothing yet: the request only recorded the move
    assert request_callbacks == []  # no message to the broker

    with django_capture_on_commit_callbacks(execute=True):  # what the worker's pickup runs (its own tasks in-process)
        fanout.fan_outs_run(field="sheet", pk=sheet.pk)

    assert _updates_for(wecom_app, card) == ["已通过 · 赵局长"]


def test_a_broker_outage_leaves_the_cards_as_they_are_and_the_move_saved(
    org, leader_card, wecom_app, django_capture_on_commit_callbacks, monkeypatch
):
    from kombu.exceptions import OperationalError

    from wecom import tasks

    def down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(tasks.settle_cards, "apply_async", down)
    sheet, card = leader_card()

    with django_capture_on_commit_callbacks(execute=True):
        services.document_approve(document=sheet, user=org.leader, expected_version=sheet.version)

    sheet.refresh_from_db()
    assert sheet.state == "finance_review"
    assert _updates_for(wecom_app, card) == []
