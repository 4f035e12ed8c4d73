"""The API of 退回修改 to a chosen step (``resume``), 撤回 after 通过 and 催办: the pages' permissions, Chinese refusals,
429 for a second 催办 the same working day, and the paths in the OpenAPI schema."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from projects.models import SheetState


@pytest.fixture
def api(people):
    def client_for(username):
        client = APIClient()
        if username != "anonymous":
            client.force_authenticate(getattr(people, username))
        return client

    return client_for


def test_finance_returns_straight_back_and_the_resubmission_comes_to_finance(api, sheet, to_state):
    to_state(sheet, "finance_review")
    answer = api("finance").post(f"/api/sheets/{sheet.pk}/return/", {"comment": "第3行依据", "resume": "here"}, format="json")
    assert answer.status_code == 200, answer.json()
    assert answer.json()["state"] == SheetState.RETURNED
    again = api("staff_ggzy").post(f"/api/sheets/{sheet.pk}/submit/", {"comment": "已补充"}, format="json")
    assert again.json()["state"] == SheetState.FINANCE_REVIEW


def test_a_bad_resume_is_refused_in_chinese(api, sheet, to_state):
    to_state(sheet, "finance_review")
    answer = api("finance").post(f"/api/sheets/{sheet.pk}/return/", {"comment": "x", "resume": "middle"}, format="json")
    assert answer.status_code == 400 and "退回方式只能是" in str(answer.json())


@pytest.mark.parametrize("who,status", [("head_xy", 403), ("other_finance", 403), ("anonymous", 403)])
def test_others_may_not_return_revoke_or_urge(api, sheet, to_state, who, status):
    to_state(sheet, "leader_review")
    client = api(who)
    for path, body in (("return", {"comment": "x", "resume": "here"}), ("revoke", {}), ("urge", {})):
        answer = client.post(f"/api/sheets/{sheet.pk}/{path}/", body, format="json")
        assert answer.status_code in (status, 401, 404), (path, answer.status_code)
    sheet.refresh_from_db()
    assert sheet.state == SheetState.LEADER_REVIEW


def test_the_section_head_revokes_over_the_api(api, sheet, to_state):
    to_state(sheet, "leader_review")
    answer = api("head_ggzy").post(f"/api/sheets/{sheet.pk}/revoke/", {"comment": "误点"}, format="json")
    assert answer.status_code == 200, answer.json()
    assert (answer.json()["state"], answer.json()["event"]["action"]) == (SheetState.SECTION_REVIEW, "revoke")


def test_a_second_urge_the_same_working_day_is_429_in_chinese(api, sheet, to_state):
    to_state(sheet, "leader_review")
    staff = api("staff_ggzy")
    first = staff.post(f"/api/sheets/{sheet.pk}/urge/", {}, format="json")
    assert first.status_code == 200 and first.json()["event"]["action"] == "urge"
    second = staff.post(f"/api/sheets/{sheet.pk}/urge/", {}, format="json")
    assert second.status_code == 429
    assert "每个工作日只能催办一次" in second.json()["detail"]


def test_the_paths_are_in_the_openapi_schema(api):
    schema = api("leader").get("/api/schema/", HTTP_ACCEPT="application/json")
    text = schema.content.decode()
    assert schema.status_code == 200
    for move in ("revoke", "urge", "return"):
        assert re.search(r"/api/sheets/\{\w+\}/" + move + "/", text), move
    assert "resume" in text
