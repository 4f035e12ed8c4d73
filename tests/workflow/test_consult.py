"""加签: the reviewer of a step asks one more person who may see the document — before deciding (the step waits for
the opinion, then comes back to them) or after approving (the next step waits for this extra approval; a
disagreement takes the approval back to the reviewer). Recorded, notified; refused for people who may not see the
document, oneself, the round's people; the other section, the other agency and the anonymous user may not ask.

``org``: 王经办 (owner) submits 办公室's sheets; 李科长 (office_head) reviews first, 赵局长 (agency_leader) next,
钱审核 (agency_finance) last. 钱副局长 (deputy_leader, made here) is a second 局领导; 孙经办 (colleague) works in
业务科 and may not see 办公室's drafts; 郑局长 (outsider_leader) leads another agency."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.errors import AppError
from notifications.models import Channel, Kind, Notification
from people import roles
from people.services import role_grant
from tests.evaluations.conftest import evaluation, worked_sheet  # noqa: F401 — the self-evaluation's fixtures
from tests.support import make_user
from workflow import flow, permissions, services
from workflow.integrity import divergences
from workflow.models import Action, Event
from workflow.selectors import review_tasks


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def deputy_leader(org):
    user = make_user("deputy_leader", first_name="钱副局长")
    role_grant(user=user, role=roles.LEADER, scope=org.agency)
    return user


def at_leader_review(org, make_sheet):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    sheet.refresh_from_db()
    return sheet


def consistent(sheet) -> None:
    assert divergences(type(sheet).documents.filter(pk=sheet.pk)) == []


def test_before_the_leader_asks_the_deputy_and_decides_after_the_opinion(org, make_sheet, deputy_leader):
    sheet = at_leader_review(org, make_sheet)

    services.document_consult(document=sheet, user=org.leader, to_user=deputy_leader, when="before", comment="请看预算依据")

    sheet.refresh_from_db()
    assert (sheet.state, sheet.assignee, sheet.consultant) == ("leader_review", org.leader, deputy_leader)
    # the step waits for the opinion: the deputy's to answer, nobody's to decide
    assert list(review_tasks(deputy_leader, type(sheet))) == [sheet]
    assert list(review_tasks(org.leader, type(sheet))) == []
    assert not permissions.can_review(org.leader, sheet) and not permissions.can_review(deputy_leader, sheet)
    with pytest.raises(AppError) as waiting:
        services.document_approve(document=sheet, user=org.leader)
    assert waiting.value.status == 409 and "正在等待钱副局长的加签意见" in waiting.value.message
    asked = Notification.objects.get(recipient=deputy_leader, kind=Kind.CONSULT, channel=Channel.IN_APP)
    assert "赵局长于" in asked.body and "请提出意见" in asked.body and "请看预算依据" in asked.body
    consistent(sheet)

    services.document_opinion(document=sheet, user=deputy_leader, agree=True, comment="依据充分")

    sheet.refresh_from_db()
    assert (sheet.state, sheet.assignee, sheet.consultant) == ("leader_review", org.leader, None)
    assert list(review_tasks(org.leader, type(sheet))) == [sheet]
    assert list(review_tasks(deputy_leader, type(sheet))) == []  # back to the leader who asked, not to every leader
    told = Notification.objects.get(recipient=org.leader, kind=Kind.OPINION, channel=Channel.IN_APP)
    assert "同意：依据充分" in told.body
    services.document_approve(document=sheet, user=org.leader)
    sheet.refresh_from_db()
    assert sheet.state == "finance_review"
    assert [(e.action, e.actor.username, e.target_user.username if e.target_user else None) for e in sheet.events.order_by("id")][2:] == [
        (Action.CONSULT, "agency_leader", "deputy_leader"), (Action.OPINION, "deputy_leader", None),
        (Action.APPROVE, "agency_leader", None),
    ]
    consistent(sheet)


def test_after_the_extra_approval_holds_the_next_step(org, make_sheet, deputy_leader):
    sheet = at_leader_review(org, make_sheet)

    services.document_consult(document=sheet, user=org.leader, to_user=deputy_leader, when="after", comment="请副局长再审")

    sheet.refresh_from_db()
    assert (sheet.state, sheet.consultant, sheet.consult_after) == ("finance_review", deputy_leader, True)
    assert flow.round_ids(sheet.round_actors) == [org.owner.pk, org.head.pk, org.leader.pk]  # the leader approved
    assert list(review_tasks(org.finance, type(sheet))) == []  # finance waits for the extra approval
    assert list(review_tasks(deputy_leader, type(sheet))) == [sheet]
    assert not Notification.objects.filter(recipient=org.finance, kind=Kind.APPROVE).exists()
    consistent(sheet)

    services.document_opinion(document=sheet, user=deputy_leader, agree=True, comment="同意")

    sheet.refresh_from_db()
    assert (sheet.state, sheet.consultant) == ("finance_review", None)
    assert list(review_tasks(org.finance, type(sheet))) == [sheet]
    assert Notification.objects.filter(recipient=org.finance, kind=Kind.OPINION, channel=Channel.IN_APP).exists()
    consistent(sheet)


def test_after_a_disagreement_takes_the_approval_back_to_the_reviewer(org, make_sheet, deputy_leader):
    sheet = at_leader_review(org, make_sheet)
    services.document_consult(document=sheet, user=org.leader, to_user=deputy_leader, when="after", comment="请副局长再审")

    services.document_opinion(document=sheet, user=deputy_leader, agree=False, comment="绩效指标不够量化")

    sheet.refresh_from_db()
    assert (sheet.state, sheet.assignee, sheet.consultant) == ("leader_review", org.leader, None)
    assert flow.round_ids(sheet.round_actors) == [org.owner.pk, org.head.pk]
    assert list(review_tasks(org.leader, type(sheet))) == [sheet]
    assert sheet.events.order_by("-id").first().comment == "不同意：绩效指标不够量化"
    consistent(sheet)
    services.document_return(document=sheet, user=org.leader, comment="请按副局长意见修改")


def test_the_api_asks_and_answers(org, make_sheet, deputy_leader):
    sheet = at_leader_review(org, make_sheet)
    response = client_for(org.leader).post(
        f"/api/sheets/{sheet.pk}/consult/", {"user": "deputy_leader", "when": "before", "comment": "请看"}, format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["event"]["action"] == "consult" and response.json()["event"]["target_user"] == "deputy_leader"

    response = client_for(deputy_leader).post(f"/api/sheets/{sheet.pk}/opinion/", {"agree": True, "comment": "可以"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["event"]["comment"] == "同意：可以"


@pytest.mark.parametrize("to, words", [
    ("colleague", "无权查看"),  # 业务科's staff may not see 办公室's sheet
    ("outsider_leader", "无权查看"),  # another agency
    ("leader", "不能加签给自己"),
    ("owner", "本轮已提交或审核过"),  # the submitter (提交与审核分离)
])
def test_refused_for_people_who_may_not_see_it_oneself_and_the_round(org, make_sheet, to, words):
    sheet = at_leader_review(org, make_sheet)
    version = sheet.version
    with pytest.raises(AppError) as refused:
        services.document_consult(document=sheet, user=org.leader, to_user=getattr(org, to), comment="请看")
    assert refused.value.status == 400 and words in refused.value.message
    sheet.refresh_from_db()
    assert sheet.version == version and sheet.consultant is None


def test_after_is_refused_at_the_last_step(org, make_sheet, deputy_leader):
    sheet = at_leader_review(org, make_sheet)
    services.document_approve(document=sheet, user=org.leader)
    with pytest.raises(AppError) as refused:
        services.document_consult(document=sheet, user=org.finance, to_user=deputy_leader, when="after", comment="请看")
    assert refused.value.status == 400 and "只能前加签" in refused.value.message


# (李科长 held the step before: for them the step "has been handled by someone else", 409, as for 通过)
@pytest.mark.parametrize("who, status", [("colleague", 404), ("head", 409), ("outsider_leader", 404), (None, 403)])
def test_the_other_section_another_step_the_other_agency_and_the_anonymous_may_not_ask(org, make_sheet, deputy_leader, who, status):
    sheet = at_leader_review(org, make_sheet)
    response = client_for(getattr(org, who) if who else None).post(
        f"/api/sheets/{sheet.pk}/consult/", {"user": "deputy_leader", "comment": "请看"}, format="json",
    )
    assert response.status_code == status
    assert not Event.objects.filter(sheet=sheet, action=Action.CONSULT).exists()


def test_only_the_person_asked_answers(org, make_sheet, deputy_leader):
    sheet = at_leader_review(org, make_sheet)
    services.document_consult(document=sheet, user=org.leader, to_user=deputy_leader, comment="请看")
    for other in (org.leader, org.head):
        response = client_for(other).post(f"/api/sheets/{sheet.pk}/opinion/", {"agree": True, "comment": "同意"}, format="json")
        assert response.status_code == 403
    response = client_for(deputy_leader).post(f"/api/sheets/{sheet.pk}/opinion/", {"agree": True, "comment": ""}, format="json")
    assert response.status_code == 400 and "请填写加签意见" in response.content.decode()


def test_a_self_evaluation_is_consulted_the_same_way(org, evaluation, deputy_leader):
    """The self-evaluation's first step (科室审核): its section head asks the leader's deputy, who answers."""
    from evaluations.models import SelfEvaluation

    evaluation = SelfEvaluation.objects.get(pk=evaluation.pk)
    SelfEvaluation.objects.filter(pk=evaluation.pk).update(state="section_review", round_actors=f",{org.owner.pk},")
    Event.objects.create(evaluation=evaluation, actor=org.owner, action=Action.SUBMIT, from_state="draft", to_state="section_review")
    evaluation.refresh_from_db()

    response = client_for(org.head).post(f"/api/evaluations/{evaluation.pk}/consult/", {"user": "deputy_leader", "comment": "请看"}, format="json")
    assert response.status_code == 200, response.content
    response = client_for(deputy_leader).post(f"/api/evaluations/{evaluation.pk}/opinion/", {"agree": False, "comment": "得分偏高"}, format="json")
    assert response.status_code == 200, response.content
    evaluation.refresh_from_db()
    assert (evaluation.state, evaluation.assignee_id, evaluation.consultant_id) == ("section_review", org.head.pk, None)


def test_in_the_openapi_schema(org):
    schema = client_for(org.leader).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/sheets/{id}/consult/", "/api/sheets/{id}/opinion/", "/api/evaluations/{id}/consult/"):
        assert path in schema


def test_on_the_page_the_leader_asks_and_the_deputy_answers(client, org, make_sheet, deputy_leader):
    sheet = at_leader_review(org, make_sheet)
    client.force_login(org.leader)
    page = client.get(f"/sheets/{sheet.pk}/").content.decode()
    assert 'data-testid="open-consult"' in page

    response = client.post(f"/sheets/{sheet.pk}/consult/", {"user": "deputy_leader", "when": "before", "comment": "请看依据",
                                                         "version": sheet.version}, follow=True)
    assert "已加签" in response.content.decode() and "正在等待 钱副局长 的加签意见" in response.content.decode()

    client.force_login(deputy_leader)
    page = client.get(f"/sheets/{sheet.pk}/").content.decode()
    assert 'data-testid="opinion-panel"' in page
    sheet.refresh_from_db()
    response = client.post(f"/sheets/{sheet.pk}/opinion/", {"agree": "1", "comment": "同意", "version": sheet.version}, follow=True)
    assert "已提出加签意见" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.consultant_id is None and sheet.assignee_id == org.leader.pk


def test_on_the_page_the_drafter_copies_a_colleague(client, org, make_sheet):
    sheet = make_sheet()
    client.force_login(org.owner)
    response = client.post(f"/sheets/{sheet.pk}/cc/", {"users": "colleague", "comment": "请知悉"}, follow=True)
    assert "已抄送给孙经办" in response.content.decode()
    response = client.post(f"/sheets/{sheet.pk}/cc/", {"users": "outsider"}, follow=True)
    assert "只能抄送给" in response.content.decode()


def test_on_the_self_evaluations_page_the_head_asks_and_the_deputy_answers(client, org, evaluation, deputy_leader):
    from evaluations.models import SelfEvaluation

    SelfEvaluation.objects.filter(pk=evaluation.pk).update(state="section_review", round_actors=f",{org.owner.pk},")
    Event.objects.create(evaluation=evaluation, actor=org.owner, action=Action.SUBMIT, from_state="draft", to_state="section_review")
    evaluation = SelfEvaluation.objects.get(pk=evaluation.pk)
    client.force_login(org.head)
    assert 'data-testid="consult-form"' in client.get(f"/evaluations/{evaluation.pk}/").content.decode()

    response = client.post(f"/evaluations/{evaluation.pk}/consult/", {"user": "deputy_leader", "comment": "请看得分",
                                                                   "version": evaluation.version}, follow=True)
    assert "已加签" in response.content.decode() and "正在等待 钱副局长 的加签意见" in response.content.decode()

    client.force_login(deputy_leader)
    evaluation.refresh_from_db()
    assert 'data-testid="opinion-panel"' in client.get(f"/evaluations/{evaluation.pk}/").content.decode()
    response = client.post(f"/evaluations/{evaluation.pk}/opinion/", {"agree": "0", "comment": "得分偏高", "version": evaluation.version}, follow=True)
    assert "已提出加签意见" in response.content.decode()
    evaluation.refresh_from_db()
    assert (evaluation.consultant_id, evaluation.assignee_id) == (None, org.head.pk)

    client.force_login(org.head)
    response = client.post(f"/evaluations/{evaluation.pk}/cc/", {"users": "colleague, nobody_here"}, follow=True)
    assert "没有找到用户：nobody_here" in response.content.decode()
    response = client.post(f"/evaluations/{evaluation.pk}/cc/", {"users": "colleague"}, follow=True)
    assert "已抄送" in response.content.decode() and "→ 孙经办" in response.content.decode()


def test_an_opinion_asked_of_someone_who_then_leaves_no_longer_holds_the_step(org, make_sheet, deputy_leader):
    """钱副局长's account is disabled while the step waits for his opinion: the step is 赵局长's to decide again, in
    his 待办 and its badge (the consultant is looked up per row, as every 待办 read checks it)."""
    from workflow.selectors import inbox_count, waiting_ids

    sheet = at_leader_review(org, make_sheet)
    services.document_consult(document=sheet, user=org.leader, to_user=deputy_leader, when="before", comment="请看预算依据")
    assert waiting_ids(org.leader, limit=10) == [] and inbox_count(org.leader, cap=100) == 0

    deputy_leader.is_active = False
    deputy_leader.save(update_fields=["is_active"])

    leader = type(org.leader).objects.get(pk=org.leader.pk)
    assert waiting_ids(leader, limit=10) == [(type(sheet), sheet.pk)] and inbox_count(leader, cap=100) == 1
    assert list(review_tasks(leader, type(sheet))) == [sheet]
