"""撤回 after 通过: the approver takes an approval back while the next step has not acted (the sheet returns to their
step, the next step's task and cards are settled); a finance reviewer takes a publication back the working day it was
made, with a reason (recorded; the public page no longer shows it). Everyone else is refused and nothing changes."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from django.contrib.auth.models import AnonymousUser

from notifications.models import Channel, Notification
from projects.models import SheetState
from tests.refusals import refused
from tests.support import drive
from workflow import flow, services
from workflow.integrity import divergences
from workflow.models import Action
from workflow.permissions import can_review

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = datetime.datetime(2024, 3, 4, 10, 0, tzinfo=SHANGHAI)


def _revoke(sheet, user, comment=""):
    event = services.document_revoke(document=sheet, user=user, comment=comment)
    sheet.refresh_from_db()
    return event


def test_the_section_head_takes_an_approval_back_before_the_leader_acts(sheet, people, to_state):
    to_state(sheet, "leader_review")
    event = _revoke(sheet, people.head_ggzy, "误点通过")
    assert (event.action, event.from_state, event.to_state) == (Action.REVOKE, SheetState.LEADER_REVIEW, SheetState.SECTION_REVIEW)
    assert sheet.state == SheetState.SECTION_REVIEW
    assert flow.round_ids(sheet.round_actors) == [people.staff_ggzy.pk]
    assert can_review(people.head_ggzy, sheet) and not can_review(people.leader, sheet)
    asked = Notification.objects.get(recipient=people.leader, channel=Channel.IN_APP, kind=Action.APPROVE, sheet=sheet)
    assert asked.handled_at is not None  # the leader's task is gone
    told = Notification.objects.get(recipient=people.leader, channel=Channel.IN_APP, kind=Action.REVOKE)
    assert "撤回了在“科室审核”的通过" in told.body
    assert divergences() == []
    drive(sheet, ("approve", people.head_ggzy), ("approve", people.leader), ("approve", people.finance))
    assert sheet.state == SheetState.PUBLISHED


def test_no_revoke_once_the_next_step_acted(sheet, people, to_state):
    to_state(sheet, "finance_review")
    with refused(409, match="您在“科室审核”的通过之后，下一环节已办理"):
        services.document_revoke(document=sheet, user=people.head_ggzy)  # the leader approved since
    services.document_return(document=sheet, user=people.finance, comment="请补充", resume="start")
    with refused(409):
        services.document_revoke(document=sheet, user=people.leader)
    sheet.refresh_from_db()
    assert sheet.state == SheetState.RETURNED


@pytest.mark.parametrize("who", ["leader", "head_xy", "other_head", "anonymous", "staff_ggzy", "finance"])
def test_only_the_approver_may_take_it_back(sheet, people, to_state, who):
    to_state(sheet, "leader_review")
    user = AnonymousUser() if who == "anonymous" else getattr(people, who)
    with refused(403):
        services.document_revoke(document=sheet, user=user)
    sheet.refresh_from_db()
    assert sheet.state == SheetState.LEADER_REVIEW


def test_finance_takes_a_publication_back_the_same_working_day_with_a_reason(sheet, people, to_state, client):
    with time_machine.travel(MONDAY, tick=False):
        to_state(sheet, "published")
        assert client.get(reverse("public_detail", args=[sheet.pk])).status_code == 200
    with time_machine.travel(MONDAY + datetime.timedelta(hours=5), tick=False):
        with refused(400, match="撤回公开必须填写原因"):
            services.document_revoke(document=sheet, user=people.finance2)
        event = _revoke(sheet, people.finance2, "预算数与批复不一致")
    assert (event.from_state, event.to_state, event.comment) == (SheetState.PUBLISHED, SheetState.FINANCE_REVIEW, "预算数与批复不一致")
    assert sheet.state == SheetState.FINANCE_REVIEW
    assert flow.round_ids(sheet.round_actors) == [people.staff_ggzy.pk, people.head_ggzy.pk, people.leader.pk]
    assert can_review(people.finance, sheet)
    told = Notification.objects.get(recipient=people.staff_ggzy, channel=Channel.IN_APP, kind=Action.REVOKE)
    assert "撤回了" in told.body and "公开" in told.body and "预算数与批复不一致" in told.body
    assert divergences() == []
    assert client.get(reverse("public_detail", args=[sheet.pk])).status_code == 404  # the public page follows at once


def test_a_publication_is_not_taken_back_the_next_working_day(sheet, people, to_state):
    with time_machine.travel(MONDAY, tick=False):
        to_state(sheet, "published")
    with time_machine.travel(MONDAY + datetime.timedelta(days=1), tick=False):
        with refused(409, match="当个工作日"):
            services.document_revoke(document=sheet, user=people.finance, comment="发现错误")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.PUBLISHED


@pytest.mark.parametrize("who", ["other_finance", "leader", "staff_ggzy", "anonymous"])
def test_others_may_not_take_a_publication_back(sheet, people, to_state, who):
    to_state(sheet, "published")
    user = AnonymousUser() if who == "anonymous" else getattr(people, who)
    with refused(403):
        services.document_revoke(document=sheet, user=user, comment="发现错误")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.PUBLISHED


def test_a_revoke_after_a_straight_back_resubmission_keeps_the_earlier_approvals(sheet, people, to_state):
    to_state(sheet, "finance_review")
    services.document_return(document=sheet, user=people.finance, comment="补依据")
    drive(sheet, ("submit", people.staff_ggzy))
    assert sheet.state == SheetState.FINANCE_REVIEW
    with refused(409):  # the leader's kept approval is from the last round: the resubmission is not theirs to take
        services.document_revoke(document=sheet, user=people.leader)
    assert divergences() == []
