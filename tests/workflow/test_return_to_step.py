"""退回修改 to a chosen step: the returning reviewer chooses whether the resubmission comes straight back to them (the
steps already passed keep their approvals) or goes through the chain again; straight back is the default for the last
step only. The history, the notifications and 提交与审核分离 follow the choice."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from notifications.models import Notification
from people import roles
from people.services import role_grant
from projects.models import Section, SheetState
from tests.refusals import refused
from tests.support import drive
from workflow import flow, services
from workflow.integrity import divergences
from workflow.models import Action
from workflow.permissions import can_review


def _return(sheet, user, resume=None, comment="第3行指标值依据请补充"):
    event = services.document_return(document=sheet, user=user, comment=comment, resume=resume)
    sheet.refresh_from_db()
    return event


def _resubmit(sheet, user):
    event = services.document_submit(document=sheet, user=user, comment="已补充依据")
    sheet.refresh_from_db()
    return event


def test_finance_returns_straight_back_by_default_and_approves_the_fix_next(sheet, people, to_state):
    to_state(sheet, "finance_review")
    returned = _return(sheet, people.finance)
    assert sheet.state == SheetState.RETURNED
    assert returned.resume_state == SheetState.FINANCE_REVIEW
    submitted = _resubmit(sheet, people.staff_ggzy)
    assert (sheet.state, submitted.to_state) == (SheetState.FINANCE_REVIEW, SheetState.FINANCE_REVIEW)
    # the section head and the leader keep their approvals: neither is asked again, both still count for the round
    assert flow.round_ids(sheet.round_actors) == [people.staff_ggzy.pk, people.head_ggzy.pk, people.leader.pk]
    assert not can_review(people.head_ggzy, sheet) and not can_review(people.leader, sheet)
    assert can_review(people.finance, sheet)
    services.document_approve(document=sheet, user=people.finance)
    sheet.refresh_from_db()
    assert sheet.state == SheetState.PUBLISHED
    assert divergences() == []


def test_the_history_and_the_notifications_say_where_the_resubmission_goes(sheet, people, to_state):
    to_state(sheet, "finance_review")
    _return(sheet, people.finance)
    told = Notification.objects.filter(channel="in_app", recipient=people.staff_ggzy, kind=Action.RETURN).latest("id")
    assert "重新提交后直接回到“财政审核”，“科室审核”、“局领导审批”的通过保留" in told.body
    before = Notification.objects.order_by("-id").values_list("id", flat=True).first()
    _resubmit(sheet, people.staff_ggzy)
    asked = Notification.objects.filter(channel="in_app", recipient=people.finance, kind=Action.SUBMIT).latest("id")
    assert asked.title.startswith("待财政审核")
    assert "退回后直接回到本环节" in asked.body
    assert not Notification.objects.filter(id__gt=before, recipient=people.head_ggzy).exists()


def test_a_section_head_return_goes_through_the_chain_again_by_default(sheet, people, to_state):
    to_state(sheet, "leader_review")
    returned = _return(sheet, people.leader)  # not the last step: from the start
    assert returned.resume_state == ""
    assert sheet.round_actors == ""
    told = Notification.objects.filter(channel="in_app", recipient=people.staff_ggzy, kind=Action.RETURN).latest("id")
    assert "重新提交后从“科室审核”起重新审核" in told.body
    _resubmit(sheet, people.staff_ggzy)
    assert sheet.state == SheetState.SECTION_REVIEW
    assert flow.round_ids(sheet.round_actors) == [people.staff_ggzy.pk]


def test_the_leader_may_choose_straight_back_and_finance_may_choose_the_start(sheet, people, to_state):
    to_state(sheet, "leader_review")
    _return(sheet, people.leader, resume="here")
    _resubmit(sheet, people.staff_ggzy)
    assert sheet.state == SheetState.LEADER_REVIEW
    drive(sheet, ("approve", people.leader))
    assert sheet.state == SheetState.FINANCE_REVIEW
    _return(sheet, people.finance, resume="start")
    _resubmit(sheet, people.staff_ggzy)
    assert sheet.state == SheetState.SECTION_REVIEW
    assert divergences() == []


def test_a_bad_choice_is_refused_in_chinese_and_changes_nothing(sheet, people, to_state):
    to_state(sheet, "finance_review")
    version = sheet.version
    with refused(400, match="退回方式只能是"):
        services.document_return(document=sheet, user=people.finance, comment="请补充", resume="somewhere")
    sheet.refresh_from_db()
    assert (sheet.state, sheet.version) == (SheetState.FINANCE_REVIEW, version)


def test_a_submitter_who_approved_a_kept_step_resumes_at_that_step(sheet, people, to_state):
    """提交与审核分离 holds: the section head who also drafts resubmits; their own approval is not kept."""
    role_grant(user=people.head_ggzy, role=roles.STAFF, scope=Section.objects.get(name="公共资源交易中心"))
    to_state(sheet, "finance_review")
    _return(sheet, people.finance, resume="here")
    _resubmit(sheet, people.head_ggzy)
    assert sheet.state == SheetState.SECTION_REVIEW  # their approval of 科室审核 is not kept
    assert flow.round_ids(sheet.round_actors) == [people.head_ggzy.pk]
    assert not can_review(people.head_ggzy, sheet)
    assert divergences() == []


def test_a_section_move_while_returned_sends_the_resubmission_through_the_chain(sheet, people, to_state):
    to_state(sheet, "finance_review")
    _return(sheet, people.finance, resume="here")
    services.documents_rescope(documents=[sheet], old_section_name="公共资源交易中心", new_section_name="公共资源交易中心")
    sheet.refresh_from_db()
    assert sheet.round_actors == ""
    _resubmit(sheet, people.staff_ggzy)
    assert sheet.state == SheetState.SECTION_REVIEW


@pytest.mark.parametrize("who", ["head_xy", "other_finance", "other_leader", "anonymous", "staff_ggzy"])
def test_others_may_not_return(sheet, people, to_state, who):
    to_state(sheet, "finance_review")
    user = AnonymousUser() if who == "anonymous" else getattr(people, who)
    with refused(403):
        services.document_return(document=sheet, user=user, comment="请补充", resume="here")
    sheet.refresh_from_db()
    assert sheet.state == SheetState.FINANCE_REVIEW


def test_taps_for_a_finance_return_of_a_one_cell_fix(sheet, people, to_state):
    """Before: after the fix the section head and the leader approve again before finance sees it. Now: the
    resubmission goes straight to finance, who approves it: no review step in between."""
    to_state(sheet, "finance_review")
    _return(sheet, people.finance)
    _resubmit(sheet, people.staff_ggzy)
    between = [e.action for e in sheet.events.order_by("created", "id")][-2:]
    assert between == [Action.RETURN, Action.SUBMIT] and sheet.state == SheetState.FINANCE_REVIEW
