"""Adding a step is one more ``Step`` in a copy of the chain: everything derived from the declaration follows.

The target sheet is given a copy of ``workflow.steps.CHAIN`` with a 分管领导审批 step (held by the agency's 单位管理员)
between 局领导审批 and 财政审核. Nothing else is changed: the moves, 待办, who is told, the step bar, the refusals,
the notification texts and the nudges all follow from the declaration.
"""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from core.errors import AppError
from notifications.models import Channel, Kind, Notification
from notifications.nudges import nudges_due
from people import roles
from people.services import role_grant
from projects.models import SheetState, TargetSheet
from workflow import flow, services
from workflow.documents import chain_of
from workflow.selectors import review_tasks, task_cards
from workflow.steps import CHAIN, Step
from tests.support import drive

DEPUTY = "deputy_review"
WITH_DEPUTY = CHAIN.with_step(Step(DEPUTY, roles.AGENCY_ADMIN), after=SheetState.LEADER_REVIEW, label="分管领导审批")


@pytest.fixture
def deputy_chain(monkeypatch):
    monkeypatch.setattr(TargetSheet, "approval_chain", WITH_DEPUTY, raising=False)
    return WITH_DEPUTY


@pytest.fixture
def deputy(people, sheet):
    """A 分管领导: the 单位管理员 role on the sheet's agency."""
    person = people.nobody
    role_grant(user=person, role=roles.AGENCY_ADMIN, scope=sheet.agency)
    return person


def test_the_copy_derives_its_order_labels_and_roles():
    assert CHAIN.review_states == ("section_review", "leader_review", "finance_review")  # the original is untouched
    assert WITH_DEPUTY.review_states == ("section_review", "leader_review", DEPUTY, "finance_review")
    assert [WITH_DEPUTY.label(s) for s in WITH_DEPUTY.order] == ["草稿", "科室审核", "局领导审批", "分管领导审批", "财政审核", "已公开"]
    assert WITH_DEPUTY.next_state("leader_review") == DEPUTY and WITH_DEPUTY.next_state(DEPUTY) == "finance_review"
    assert WITH_DEPUTY.review_roles == (roles.SECTION_HEAD, roles.LEADER, roles.AGENCY_ADMIN, roles.FINANCE_REVIEWER)
    assert WITH_DEPUTY.visible_states(roles.FINANCE_REVIEWER) == ("finance_review", "published")


def test_the_added_step_has_its_queue_audience_texts_step_bar_refusals_and_nudges(people, sheet, deputy, deputy_chain):
    assert chain_of(sheet) is deputy_chain
    drive(sheet, ("submit", people.staff_ggzy), ("approve", people.head_ggzy), ("approve", people.leader))
    sheet.refresh_from_db()

    # the move: 局领导审批 leads to the new step, recorded in the history
    assert sheet.state == DEPUTY
    event = sheet.events.order_by("-created", "-id").first()
    assert (event.action, event.from_state, event.to_state) == ("approve", "leader_review", DEPUTY)

    # 待办: the deputy's, not finance's (nor the leader's)
    assert sheet in review_tasks(deputy, TargetSheet)
    assert sheet not in review_tasks(people.finance, TargetSheet) and sheet not in review_tasks(people.leader, TargetSheet)
    assert [card.step_label for card in task_cards(deputy)] == ["分管领导审批"]

    # who is told: the deputy, with the step's name in the texts
    audience = flow.audience(event)
    assert deputy in audience and people.finance not in audience
    assert all(roles.has_role(person, roles.AGENCY_ADMIN, sheet.agency) for person in audience)
    told = Notification.objects.get(recipient=deputy, channel=Channel.IN_APP, kind=Kind.APPROVE)
    assert told.title == f"待分管领导审批：{sheet.display_title}"
    assert "在“局领导审批”通过了绩效目标表" in told.body and "等待分管领导审批" in told.body
    assert not Notification.objects.filter(recipient=people.finance, kind=Kind.APPROVE).exists()

    # the step bar of the sheet's page, as the deputy sees it
    client = Client()
    client.force_login(deputy)
    page = client.get(f"/sheets/{sheet.pk}/")
    assert page.status_code == 200
    bar = page.context["stepbar"]
    assert [step["label"] for step in bar] == ["草稿", "科室审核", "局领导审批", "分管领导审批", "财政审核", "已公开"]
    assert [step["status"] for step in bar] == ["done", "done", "done", "current", "todo", "todo"]
    assert bar[3]["holder"] == "nobody、郑丽"  # who holds it, by name: the deputy and the demo's 单位管理员

    # refusals name the step: a submission, finance too early, the leader twice in one round
    with pytest.raises(AppError) as refused:
        services.document_submit(document=sheet, user=people.staff_ggzy)
    assert refused.value.message == "这张表处于“分管领导审批”状态，不能提交。"
    with pytest.raises(AppError) as refused:
        services.document_approve(document=sheet, user=people.finance)
    assert refused.value.status == 403
    role_grant(user=people.leader, role=roles.AGENCY_ADMIN, scope=sheet.agency)
    leader = type(people.leader).objects.get(pk=people.leader.pk)
    with pytest.raises(AppError) as refused:
        services.document_approve(document=sheet, user=leader)
    assert refused.value.message == (
        "同一人不能审批同一轮的两个环节：您已在本轮通过“局领导审批”，“分管领导审批”须由其他单位管理员办理（提交与审核分离）。"
    )

    # 催办 of the new step goes to its holders, named by the step
    TargetSheet.objects.filter(pk=sheet.pk).update(state_since=timezone.now() - datetime.timedelta(days=10))
    nudges = [due for due in nudges_due() if due.document_id == sheet.pk]
    assert len(nudges) == 1 and "已在“分管领导审批”等待" in nudges[0].summary
    assert deputy.pk in {holder.pk for holder in nudges[0].recipients}

    # the deputy passes it on to finance, who is told it comes from the new step
    sheet.refresh_from_db()
    services.document_approve(document=sheet, user=deputy)
    sheet.refresh_from_db()
    assert sheet.state == "finance_review" and sheet in review_tasks(people.finance, TargetSheet)
    told = Notification.objects.get(recipient=people.finance, channel=Channel.IN_APP, kind=Kind.APPROVE)
    assert "在“分管领导审批”通过了绩效目标表" in told.body and told.title == f"待财政审核：{sheet.display_title}"
    services.document_approve(document=sheet, user=people.finance)
    sheet.refresh_from_db()
    assert sheet.state == "published"
    assert [e.action for e in sheet.events.order_by("created", "id")] == ["submit", "approve", "approve", "approve", "publish"]
