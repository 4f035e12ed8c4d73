"""委托 over WeCom: while 赵局长 is away, the approval cards of his step go to his delegate 刘洋 too, made at the
moment of the move; 刘洋 approves from the card, recorded and shown as "刘洋 代 赵局长"; once the delegation has
ended a tap on that card approves nothing."""

from __future__ import annotations

import datetime

import time_machine
from django.utils import timezone

from notifications.models import WeComCard
from people import roles
from people.services import delegation_set, role_grant
from tests.support import make_user
from tests.wecom.conftest import deliver_wecom, post_callback
from workflow import services
from workflow.models import Event


def _away(org, deputy, days=3):
    now = timezone.now()
    return delegation_set(by=org.leader, principal=org.leader, delegate=deputy, start=now - datetime.timedelta(minutes=1),
                          end=now + datetime.timedelta(days=days), reason="休假")


def _deputy(org, wecom_app):
    wecom_app.users.add("deputy.wx")  # a member of the fake WeCom organisation
    deputy = make_user("deputy", wecom_userid="deputy.wx", last_name="刘", first_name="洋")
    role_grant(user=deputy, role=roles.SECTION_HEAD, scope=org.business)
    return deputy


def test_the_delegate_gets_the_card_and_approves_from_it_as_both(client, org, make_sheet, wecom_app, django_capture_on_commit_callbacks):
    deputy = _deputy(org, wecom_app)
    _away(org, deputy)
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    deliver_wecom(org.leader, sheet)
    deliver_wecom(deputy, sheet)
    assert sorted(c["delivered_to"][0] for c in wecom_app.template_cards()) == ["deputy.wx", "leader.wx"]
    card = WeComCard.objects.get(sheet=sheet, recipient=deputy)

    with django_capture_on_commit_callbacks(execute=True):
        response = post_callback(client, wecom_app.card_click(card.task_id, "approve", userid="deputy.wx"))

    assert response.status_code == 200
    sheet.refresh_from_db()
    assert sheet.state == "finance_review"
    event = Event.objects.filter(sheet=sheet).latest("created")
    assert (event.actor_id, event.on_behalf_of_id) == (deputy.pk, org.leader.pk)
    card.refresh_from_db()
    assert card.outcome == "已通过 · 刘洋 代 赵局长"
    leaders = WeComCard.objects.get(sheet=sheet, recipient=org.leader)  # the principal's card says who did it
    assert leaders.handled_at is not None and leaders.outcome == "已通过 · 刘洋 代 赵局长"


def test_a_tap_after_the_delegation_ended_approves_nothing(client, org, make_sheet, wecom_app):
    deputy = _deputy(org, wecom_app)
    _away(org, deputy, days=1)
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    deliver_wecom(deputy, sheet)
    card = WeComCard.objects.get(sheet=sheet, recipient=deputy)
    before = Event.objects.filter(sheet=sheet).count()

    with time_machine.travel(timezone.now() + datetime.timedelta(days=2), tick=False):
        response = post_callback(client, wecom_app.card_click(card.task_id, "approve", userid="deputy.wx"))

    assert response.status_code == 200
    sheet.refresh_from_db()
    assert sheet.state == "leader_review" and Event.objects.filter(sheet=sheet).count() == before
