"""抄送: a drafter or the step's reviewer copies a document to people of its agency (or its 财政审核人) for
information: one history entry and one notification each, a read-only view from then on, nothing more. Refused: the
other agency's people, oneself, twice, someone with no role on the document, the anonymous user. For every document on
the engine (sheets and their adjustments, self-evaluations).

``org``: 王经办 (owner) drafts 办公室's sheets, 李科长 (office_head) and 赵局长 (agency_leader) review them, 钱审核
(agency_finance) reviews from 财政审核 on; 孙经办 (colleague) works in 业务科 of the same agency; 吴经办 (outsider) and
郑局长 (outsider_leader) in another agency."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from core.errors import AppError
from evaluations.models import SelfEvaluation
from notifications.models import Channel, Kind, Notification
from tests.evaluations.conftest import evaluation, worked_sheet  # noqa: F401 — the self-evaluation's fixtures
from workflow import permissions, services
from workflow.models import Action, Event


def client_for(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def at_leader_review(org, make_sheet):
    sheet = make_sheet()
    services.document_submit(document=sheet, user=org.owner)
    services.document_approve(document=sheet, user=org.head)
    sheet.refresh_from_db()
    return sheet


def test_the_leader_copies_a_colleague_and_the_finance_reviewer(org, make_sheet):
    sheet = at_leader_review(org, make_sheet)
    version = sheet.version
    assert not permissions.can_view(org.colleague, sheet) and not permissions.can_view(org.finance, sheet)

    response = client_for(org.leader).post(
        f"/api/sheets/{sheet.pk}/cc/", {"users": ["colleague", "agency_finance"], "comment": "请知悉"}, format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["copied"] == ["colleague", "agency_finance"]
    assert response.json()["events"][0]["actor_text"] == "赵局长"
    copies = Event.objects.filter(sheet=sheet, action=Action.CC).order_by("id")
    assert [(e.actor, e.target_user, e.comment) for e in copies] == [
        (org.leader, org.colleague, "请知悉"), (org.leader, org.finance, "请知悉"),
    ]
    told = Notification.objects.get(recipient=org.colleague, kind=Kind.CC, channel=Channel.IN_APP)
    assert told.title.startswith("抄送：") and "赵局长于" in told.body and "抄送给您" in told.body and "无需办理" in told.body
    sheet.refresh_from_db()
    assert sheet.version == version and sheet.state == "leader_review"  # nothing else changed
    # a read-only view, nothing more
    assert permissions.can_view(org.colleague, sheet) and permissions.can_view(org.finance, sheet)
    colleague = client_for(org.colleague)
    assert colleague.get(f"/api/sheets/{sheet.pk}/").status_code == 200
    assert colleague.post(f"/api/sheets/{sheet.pk}/approve/", {}, format="json").status_code == 403
    assert colleague.post(f"/api/sheets/{sheet.pk}/cc/", {"users": ["office_head"]}, format="json").status_code == 403
    assert not permissions.can_review(org.colleague, sheet) and not permissions.can_edit(org.colleague, sheet)


def test_the_drafter_copies_their_section_head_from_a_draft(org, make_sheet):
    sheet = make_sheet()
    [event] = services.document_cc(document=sheet, user=org.owner, to_users=[org.colleague], comment="")
    assert event.from_state == event.to_state == "draft"


def test_the_history_page_names_who_was_copied(client, org, make_sheet):
    sheet = at_leader_review(org, make_sheet)
    services.document_cc(document=sheet, user=org.leader, to_users=[org.colleague])
    client.force_login(org.colleague)

    page = client.get(f"/sheets/{sheet.pk}/").content.decode()

    assert "抄送" in page and "孙经办" in page


@pytest.mark.parametrize("to, code", [("outsider", "cc_outsider"), ("outsider_leader", "cc_outsider"), ("leader", "invalid")])
def test_refused_for_the_other_agency_and_oneself(org, make_sheet, to, code):
    sheet = at_leader_review(org, make_sheet)
    with pytest.raises(AppError) as refused:
        services.document_cc(document=sheet, user=org.leader, to_users=[org.colleague, getattr(org, to)])
    assert refused.value.status == 400 and refused.value.code == code
    assert not Event.objects.filter(sheet=sheet, action=Action.CC).exists()  # all or none
    assert not permissions.can_view(getattr(org, to), sheet) or to == "leader"


def test_refused_twice(org, make_sheet):
    sheet = at_leader_review(org, make_sheet)
    services.document_cc(document=sheet, user=org.leader, to_users=[org.colleague])
    with pytest.raises(AppError) as refused:
        services.document_cc(document=sheet, user=org.leader, to_users=[org.colleague])
    assert refused.value.status == 409


@pytest.mark.parametrize("who, status", [("colleague", 404), ("colleague_head", 404), ("outsider_leader", 404), (None, 403)])
def test_the_other_section_the_other_agency_and_the_anonymous_may_not_copy(org, make_sheet, who, status):
    sheet = at_leader_review(org, make_sheet)
    response = client_for(getattr(org, who) if who else None).post(f"/api/sheets/{sheet.pk}/cc/", {"users": ["colleague"]}, format="json")
    assert response.status_code == status
    assert not Event.objects.filter(sheet=sheet, action=Action.CC).exists()


def test_a_holder_of_another_step_may_not_copy(org, make_sheet):
    """李科长 approved 科室审核; the sheet now waits for 赵局长: the section head is neither its drafter nor its reviewer."""
    sheet = at_leader_review(org, make_sheet)
    response = client_for(org.head).post(f"/api/sheets/{sheet.pk}/cc/", {"users": ["colleague"]}, format="json")
    assert response.status_code == 403 and "可以抄送" in response.json()["detail"]


def test_unknown_people_are_named(org, make_sheet):
    sheet = at_leader_review(org, make_sheet)
    response = client_for(org.leader).post(f"/api/sheets/{sheet.pk}/cc/", {"users": ["nobody_at_all"]}, format="json")
    assert response.status_code == 400 and "nobody_at_all" in response.content.decode()


def test_a_self_evaluation_is_copied_the_same_way(org, evaluation):
    evaluation = SelfEvaluation.objects.get(pk=evaluation.pk)  # a draft: its drafter copies it
    assert not permissions.can_view(org.colleague, evaluation)

    response = client_for(org.owner).post(f"/api/evaluations/{evaluation.pk}/cc/", {"users": ["colleague"]}, format="json")

    assert response.status_code == 200, response.content
    assert permissions.can_view(org.colleague, evaluation)
    assert client_for(org.colleague).get(f"/api/evaluations/{evaluation.pk}/").status_code == 200
    assert Notification.objects.filter(recipient=org.colleague, kind=Kind.CC, evaluation=evaluation).exists()


def test_in_the_openapi_schema(org):
    schema = client_for(org.leader).get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/sheets/{id}/cc/" in schema and "/api/evaluations/{id}/cc/" in schema
