"""提交与审核分离: in a round of review (since the last submission) the person who submitted a sheet approves none of its
steps and nobody approves two of them; an administrator cannot grant themself a role that reviews their own work.

Every door (the sheet page, the API, 批量通过, a WeCom card's 通过) refuses with the same Chinese message, made by the
move's permission check, and changes nothing; 待办, the page's 通过 and the reminders never offer such a move: the
step's other holders get it. People holding two roles on a section are the demo's people with one more role, granted
by the superuser (allowed: the per-round rule is what guards them).
"""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from notifications.models import Channel, Notification
from notifications.nudges import nudges_due
from people import roles
from people.services import role_grant, role_revoke
from projects.models import Agency, Section, TargetSheet
from tests.refusals import refused
from tests.support import drive
from workflow import services
from workflow.integrity import divergences, divergences_repair
from workflow.models import Action
from workflow.permissions import can_review
from workflow.selectors import review_tasks

OWN = "不能审核自己提交的材料"
TWICE = "同一人不能审批同一轮的两个环节"
RULE = "提交与审核分离"


def fresh(user):
    """The user read again (role caches start empty)."""
    return get_user_model().objects.get(pk=user.pk)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def rounds(sheet) -> list[list[int]]:
    """Each round of the sheet's history: the actors of its submission and of its approvals, in order."""
    result = []
    for event in sheet.events.order_by("created", "id"):
        if event.action == Action.SUBMIT:
            result.append([event.actor_id])
        elif event.action in (Action.APPROVE, Action.PUBLISH):
            result[-1].append(event.actor_id)
    return result


@pytest.fixture
def agency(people):
    return Agency.objects.get(code="483001")


@pytest.fixture
def ggzy(agency):
    return Section.objects.get(agency=agency, name="公共资源交易中心")


def grant(user, role, scope, by):
    role_grant(user=user, role=role, scope=scope, by=by)
    return fresh(user)


# ---------------------------------------------------------------- the attack of the issue


def test_an_administrator_granting_themself_three_roles_cannot_move_a_draft_to_finance_review_alone(people, sheet, ggzy, agency):
    """单位管理员 gives themself 经办人 and 科室负责人 of a section and 局领导 of its agency on the people page, then
    presses 提交审核 and 通过 twice on the sheet's page. It used to reach 财政审核 with three entries by one actor."""
    admin = people.unit_admin
    client = client_for(admin)
    answers = [
        client.post("/people/483001/grant/", {"person": admin.pk, "role": f"{role}:{scope.pk}"}, follow=True).content.decode()
        for role, scope in ((roles.STAFF, ggzy), (roles.SECTION_HEAD, ggzy), (roles.LEADER, agency))
    ]
    client.post(f"/sheets/{sheet.pk}/submit/", {"version": sheet.version})
    for _ in range(2):
        sheet.refresh_from_db()
        client.post(f"/sheets/{sheet.pk}/approve/", {"version": sheet.version})

    sheet.refresh_from_db()
    assert sheet.state == "section_review"
    assert rounds(sheet) == [[admin.pk]]
    admin = fresh(admin)
    assert roles.has_role(admin, roles.STAFF, ggzy)
    assert not roles.has_role(admin, roles.SECTION_HEAD, ggzy) and not roles.has_role(admin, roles.LEADER, agency)
    for answer in answers[1:]:
        assert f"不能给自己授予会审核自己工作的角色（{RULE}）" in answer
    # the section's head takes it from there
    assert sheet in review_tasks(people.head_ggzy, TargetSheet)


def test_holding_all_three_roles_still_never_moves_a_sheet_alone(people, sheet, ggzy, agency):
    """The same three roles granted by the superuser (allowed): the submitter approves no step of the round; the
    other holders of each step do, and each round has three different actors."""
    person = grant(people.staff_ggzy, roles.SECTION_HEAD, ggzy, people.admin)
    person = grant(person, roles.LEADER, agency, people.admin)
    services.document_submit(document=sheet, user=person)
    with refused(403, match=OWN):
        services.document_approve(document=sheet, user=person)
    services.document_approve(document=sheet, user=people.head_ggzy)
    with refused(403, match=f"{OWN}：这张表本轮由您提交，“局领导审批”须由其他局领导办理（{RULE}）。"):
        services.document_approve(document=sheet, user=person)
    services.document_approve(document=sheet, user=people.leader)
    sheet.refresh_from_db()
    assert sheet.state == "finance_review"
    assert rounds(sheet) == [[person.pk, people.head_ggzy.pk, people.leader.pk]]


# ---------------------------------------------------------------- every door refuses, nothing offers


@pytest.fixture
def head_who_drafts(people, ggzy):
    """staff_ggzy (王芳), also 科室负责人 of 公共资源交易中心, has submitted sheet 3: head_ggzy (李强) is its other head."""
    return grant(people.staff_ggzy, roles.SECTION_HEAD, ggzy, people.admin)


def test_every_door_refuses_the_submitter_with_the_rule_and_changes_nothing(people, sheet, head_who_drafts):
    person = head_who_drafts
    services.document_submit(document=sheet, user=person)
    sheet.refresh_from_db()
    before = (sheet.state, sheet.version, sheet.events.count())
    message = f"{OWN}：这张表本轮由您提交，“科室审核”须由其他科室负责人办理（{RULE}）。"

    page = client_for(person).post(f"/sheets/{sheet.pk}/approve/", {"version": sheet.version}, follow=True)
    assert message in messages_of(page)
    api = APIClient()
    api.force_authenticate(person)
    answer = api.post(f"/api/sheets/{sheet.pk}/approve/", {}, format="json")
    assert answer.status_code == 403 and answer.json() == {"detail": message, "code": "separation_of_duties"}
    batch = client_for(person).post(
        "/tasks/batch-approve/", {"sheet": [sheet.pk], f"version-{sheet.pk}": sheet.version}, follow=True,
    )
    assert f"“{sheet.display_title}”未通过：{message}" in messages_of(batch)
    with refused(403, match=OWN):
        services.document_return(document=sheet, user=person, comment="自己退回")
    with refused(403, match=OWN):
        services.task_reassign(document=sheet, user=person, to_user=people.head_ggzy, comment="请代审")

    sheet.refresh_from_db()
    assert (sheet.state, sheet.version, sheet.events.count()) == before


def test_nothing_offers_the_submitter_the_review_and_the_other_head_gets_it(people, sheet, head_who_drafts):
    person = head_who_drafts
    client = client_for(person)
    client.post(f"/sheets/{sheet.pk}/submit/", {"version": sheet.version})
    sheet.refresh_from_db()

    assert sheet.state == "section_review" and not can_review(person, sheet)
    assert f'data-sheet="{sheet.pk}"' not in client.get("/tasks/").content.decode()  # no card, so no 批量通过 tick
    page = client.get(f"/sheets/{sheet.pk}/").content.decode()
    assert 'data-testid="approve"' not in page and 'data-testid="review-panel"' not in page
    assert "这张表本轮由您提交，“科室审核”须由其他科室负责人办理" in page
    # the other head: in their 待办, with 通过, told of the submission
    other = client_for(people.head_ggzy)
    assert f'data-sheet="{sheet.pk}"' in other.get("/tasks/").content.decode()
    assert 'data-testid="approve"' in other.get(f"/sheets/{sheet.pk}/").content.decode()
    told = set(Notification.objects.filter(sheet=sheet, channel=Channel.IN_APP).values_list("recipient__username", flat=True))
    assert told == {"head_ggzy"}


def test_the_submitter_holding_the_next_role_is_not_told_to_approve_it(people, sheet, agency):
    """staff_ggzy is also 局领导: after the head's approval the leaders are told — not the submitter."""
    person = grant(people.staff_ggzy, roles.LEADER, agency, people.admin)
    drive(sheet, ("submit", person), ("approve", people.head_ggzy))
    approved = sheet.events.get(action=Action.APPROVE)
    told = set(Notification.objects.filter(sheet=sheet, channel=Channel.IN_APP, created__gte=approved.created)
               .values_list("recipient__username", flat=True))
    assert told == {"leader", "leader2"}
    assert sheet not in review_tasks(person, TargetSheet) and sheet in review_tasks(people.leader, TargetSheet)


def test_an_approver_may_not_approve_the_next_step_of_the_same_round_but_may_in_the_next_round(people, sheet, agency):
    head = grant(people.head_ggzy, roles.LEADER, agency, people.admin)
    drive(sheet, ("submit", people.staff_ggzy), ("approve", head))
    assert sheet.state == "leader_review" and sheet not in review_tasks(head, TargetSheet)
    with refused(403, match=f"{TWICE}：您已在本轮通过“科室审核”，“局领导审批”须由其他局领导办理（{RULE}）。"):
        services.document_approve(document=sheet, user=head)
    # nor can the step be handed to them
    assert head not in services.reassign_candidates(sheet, people.leader)
    with refused(400, match="不能转办给李强：此人本轮已提交或审核过这张表"):
        services.task_reassign(document=sheet, user=people.leader, to_user=head, comment="请代审")

    # a return ends the round: the resubmission starts another, where the head reviews 科室审核 again
    drive(sheet, ("return", people.leader, "请补充依据"), ("submit", people.staff_ggzy), ("approve", head))
    with refused(403, match=TWICE):
        services.document_approve(document=sheet, user=head)
    drive(sheet, ("approve", people.leader2))
    assert sheet.state == "finance_review"
    assert rounds(sheet) == [[people.staff_ggzy.pk, head.pk], [people.staff_ggzy.pk, head.pk, people.leader2.pk]]


def test_reminders_go_to_the_holders_who_may_act(people, sheet, head_who_drafts):
    services.document_submit(document=sheet, user=head_who_drafts)
    TargetSheet.objects.filter(pk=sheet.pk).update(state_since=timezone.now() - datetime.timedelta(days=30))
    [nudge] = [due for due in nudges_due() if due.document_id == sheet.pk]  # 再次催办: the reviewers and the leaders
    assert sorted(holder.username for holder in nudge.recipients) == ["head_ggzy", "leader", "leader2"]


def test_a_step_only_the_submitter_holds_waits_with_a_hint_until_someone_else_holds_it(people, agency):
    """信用与放管服办公室: its 经办人 (赵敏) is made its only 科室负责人, then submits. Nobody may review: the page
    says why and what to do; once another head is appointed, it is in their 待办."""
    section = Section.objects.get(agency=agency, name="信用与放管服办公室")
    sheet = TargetSheet.objects.get(section=section, fiscal_year__year=2024)
    role_revoke(user=people.head_xy, role=roles.SECTION_HEAD, scope=section)
    person = grant(people.staff_xy, roles.SECTION_HEAD, section, people.admin)
    services.document_submit(document=sheet, user=person)
    sheet.refresh_from_db()

    hint = f"“科室审核”目前没有可以办理的人：本科室的科室负责人都已在本轮提交或审核过这张表（{RULE}）。请管理员另行指定一位科室负责人"
    own = client_for(person).get(f"/sheets/{sheet.pk}/").content.decode()
    assert hint in own and "这张表本轮由您提交" in own
    assert hint in client_for(people.leader).get(f"/sheets/{sheet.pk}/").content.decode()

    head = grant(people.head_xy, roles.SECTION_HEAD, section, people.admin)
    assert sheet in review_tasks(head, TargetSheet)
    assert hint not in client_for(person).get(f"/sheets/{sheet.pk}/").content.decode()
    services.document_approve(document=sheet, user=head)


def test_check_workflow_finds_and_repairs_a_round_that_disagrees_with_the_history(people, sheet, head_who_drafts):
    services.document_submit(document=sheet, user=head_who_drafts)
    TargetSheet.objects.filter(pk=sheet.pk).update(round_actors="")  # say, an old backup restored
    [found] = divergences(TargetSheet.objects.filter(pk=sheet.pk))
    assert found.code == "round" and RULE in found.message

    divergences_repair(queryset=TargetSheet.objects.filter(pk=sheet.pk))

    assert divergences(TargetSheet.objects.filter(pk=sheet.pk)) == []
    sheet.refresh_from_db()
    with refused(403, match=OWN):
        services.document_approve(document=sheet, user=head_who_drafts)
