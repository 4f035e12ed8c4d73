"""The REST API: filters, PATCH, moves, JSON errors in Chinese, token auth, no flash messages."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.management import call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from people import roles
from people.services import role_grant
from projects.models import SheetState, TargetSheet
from sheets import selectors as sheet_selectors
from sheets.serializers import SheetListSerializer, sheet_list_rows


@pytest.fixture
def api(people):
    def client_for(username):
        client = APIClient()
        client.force_authenticate(getattr(people, username))
        return client

    return client_for


def test_list_filters_by_year_state_and_section(api, people, to_state):
    to_state(TargetSheet.objects.get(position=3), "section_review")
    leader = api("leader")
    assert len(leader.get("/api/sheets/?year=2024").json()["results"]) == 9
    assert leader.get("/api/sheets/?year=2023").json() == {"next": None, "previous": None, "results": []}
    rows = leader.get("/api/sheets/?state=section_review").json()["results"]
    assert [(r["project_code"][-4:], r["state"], r["state_label"]) for r in rows] == [("037P", "section_review", "科室审核")]
    section = TargetSheet.objects.get(position=5).section_id
    assert [r["project_code"][-4:] for r in leader.get(f"/api/sheets/?section={section}").json()["results"]] == ["040A"]
    bad = leader.get("/api/sheets/?state=bogus")
    assert bad.status_code == 400 and "未知的状态" in bad.json()["detail"]
    # a blank filter field (?state=&year=) filters nothing, as on the web list
    everything = [r["id"] for r in leader.get("/api/sheets/").json()["results"]]
    assert everything and [r["id"] for r in leader.get("/api/sheets/?state=&year=&section=").json()["results"]] == everything


def test_list_filters_by_agency_and_text(api):
    leader = api("leader")
    codes = lambda query: [r["project_code"][-4:] for r in leader.get("/api/sheets/" + query).json()["results"]]  # noqa: E731
    assert len(codes("?agency=483001")) == 9 and codes("?agency=999999") == []
    assert codes("?q=040A") == ["040A"] and codes("?q=040a") == ["040A"]
    name = TargetSheet.objects.get(position=7).project.name
    assert codes("?q=" + name[2:6]) == [TargetSheet.objects.get(position=7).project.code[-4:]]


def test_the_list_writes_each_row_as_its_serializer_declares(people):
    """The list's rows are written directly (``sheet_list_rows``): the same JSON as the schema's serializer, a sheet
    without a section and an amount with cents included."""
    first = TargetSheet.objects.order_by("pk").first()
    TargetSheet.objects.filter(pk=first.pk).update(section=None, budget_total=Decimal("1234567.5"))
    listed = list(sheet_selectors.with_year_and_agency(sheet_selectors.sheet_list(people.leader)))
    assert len(listed) >= 9 and any(sheet.section_id is None for sheet in listed)
    assert sheet_list_rows(listed) == SheetListSerializer(listed, many=True).data
    row = next(row for row in sheet_list_rows(listed) if row["id"] == first.pk)
    assert row["section"] is None and row["budget_total"] == "1234567.50"


def test_list_pages_with_a_cursor_and_caps_the_size(api):
    leader = api("leader")
    everything = [r["id"] for r in leader.get("/api/sheets/").json()["results"]]
    first = leader.get("/api/sheets/?size=4").json()
    assert first["previous"] is None and first["next"] and "size=4" in first["next"]
    second = leader.get(first["next"]).json()
    third = leader.get(second["next"]).json()
    assert [r["id"] for r in first["results"] + second["results"] + third["results"]] == everything
    assert third["next"] is None and len(third["results"]) == 1
    back = leader.get(second["previous"]).json()
    assert [r["id"] for r in back["results"]] == [r["id"] for r in first["results"]] and back["previous"] is None
    assert len(leader.get("/api/sheets/?size=100000").json()["results"]) == 9  # capped at 100, there are 9
    assert leader.get("/api/sheets/?cursor=garbage").json()["results"][0]["id"] == everything[0]  # a bad cursor: page 1


def test_detail_has_plan_indicators_findings_and_history(api, to_state):
    sheet = to_state(TargetSheet.objects.get(position=3), "section_review")
    data = api("head_ggzy").get(f"/api/sheets/{sheet.pk}/").json()
    assert [(p["label"], p["percent"]) for p in data["plan"]] == [("3月底", "25.00"), ("6月底", "50.00"), ("10月底", "75.00"), ("12月底", "100.00")]
    assert data["indicators"][0]["target_value"] == "≥150件" and data["indicators"][0]["value_operator"] == ">="
    assert data["findings"] == []
    assert [(h["action"], h["actor"]) for h in data["history"]] == [("submit", "staff_ggzy")]


def test_findings_of_sheet_7_name_the_cost_row(api):
    sheet7 = TargetSheet.objects.get(position=7)
    findings = api("staff_zwfw").get(f"/api/sheets/{sheet7.pk}/").json()["findings"]
    assert [(f["code"], f["severity"], f["row"]) for f in findings] == [("cost_not_money", "error", 3)]


def test_patch_replaces_indicators_and_plan_and_the_checker_sees_it(api):
    sheet7 = TargetSheet.objects.get(position=7)
    client = api("staff_zwfw")
    rows = client.get(f"/api/sheets/{sheet7.pk}/").json()["indicators"]
    rows[3]["target_value"] = "≤75.5万元"
    response = client.patch(f"/api/sheets/{sheet7.pk}/", {"indicators": rows, "plan": [{"date": "2024-03-31", "percent": "30"}, {"date": "2024-06-30", "percent": "50"}, {"date": "2024-10-31", "percent": "75"}, {"date": "2024-12-31", "percent": "100"}]}, format="json", HTTP_IF_MATCH=sheet7.etag)
    assert response.status_code == 200, response.json()
    assert response.json()["findings"] == []
    assert response.json()["plan"][0]["percent"] == "30.00"
    submitted = client.post(f"/api/sheets/{sheet7.pk}/submit/", {}, format="json")
    assert submitted.status_code == 200 and submitted.json()["state"] == "section_review"


def test_patch_with_bad_data_is_400_in_chinese_and_changes_nothing(api):
    sheet = TargetSheet.objects.get(position=3)
    client = api("staff_ggzy")
    response = client.patch(f"/api/sheets/{sheet.pk}/", {"budget_total": "很多"}, format="json", HTTP_IF_MATCH=sheet.etag)
    assert response.status_code == 400
    assert "合法的数字" in str(response.json())  # DRF's own message, in Chinese
    response = client.patch(f"/api/sheets/{sheet.pk}/", {"plan": [{"date": "2024-05-01", "percent": "10"}]}, format="json", HTTP_IF_MATCH=sheet.etag)
    assert response.status_code == 400 and "不是 2024 年的资金支出时间节点" in response.json()["detail"]
    sheet.refresh_from_db()
    assert str(sheet.budget_total) == "10.00"


def test_patch_is_refused_by_permission_before_its_data_is_read(api):
    sheet = TargetSheet.objects.get(position=3)
    response = api("leader").patch(f"/api/sheets/{sheet.pk}/", {"plan": [{"date": "2024-05-01", "percent": "x"}]}, format="json", HTTP_IF_MATCH=sheet.etag)
    assert response.status_code == 403


def test_patch_of_one_plan_point_keeps_the_others(api):
    sheet = TargetSheet.objects.get(position=3)
    response = api("staff_ggzy").patch(f"/api/sheets/{sheet.pk}/", {"plan": [{"date": "2024-03-31", "percent": "20"}]}, format="json", HTTP_IF_MATCH=sheet.etag)
    assert [p["percent"] for p in response.json()["plan"]] == ["20.00", "50.00", "75.00", "100.00"]


def test_a_missing_checkpoint_is_an_error(api):
    sheet = TargetSheet.objects.get(position=3)
    sheet.plan.filter(checkpoint__date__month=6).delete()
    findings = api("staff_ggzy").get(f"/api/sheets/{sheet.pk}/").json()["findings"]
    assert [(f["code"], f["severity"]) for f in findings] == [("plan_blank", "error")]


def test_an_absurd_number_is_reported_not_a_server_error(api):
    sheet = TargetSheet.objects.get(position=3)
    client = api("staff_ggzy")
    rows = client.get(f"/api/sheets/{sheet.pk}/").json()["indicators"]
    rows[0]["target_value"] = "≥99999999999999999999个"
    response = client.patch(f"/api/sheets/{sheet.pk}/", {"indicators": rows}, format="json", HTTP_IF_MATCH=sheet.etag)
    assert response.status_code == 200
    assert [f["code"] for f in response.json()["findings"]] == ["value_unparsed"]


def test_submit_with_checker_errors_is_400(api):
    sheet7 = TargetSheet.objects.get(position=7)
    response = api("staff_zwfw").post(f"/api/sheets/{sheet7.pk}/submit/", {}, format="json")
    assert response.status_code == 400
    assert "体检发现错误" in response.json()["detail"]


def test_illegal_transition_is_409(api):
    sheet = TargetSheet.objects.get(position=3)
    response = api("head_ggzy").post(f"/api/sheets/{sheet.pk}/approve/", {}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "illegal_transition"


def test_return_requires_a_comment(api, to_state):
    sheet = to_state(TargetSheet.objects.get(position=3), "section_review")
    response = api("head_ggzy").post(f"/api/sheets/{sheet.pk}/return/", {}, format="json")
    assert response.status_code == 400 and "必须填写意见" in str(response.json())
    ok = api("head_ggzy").post(f"/api/sheets/{sheet.pk}/return/", {"comment": "请补充依据"}, format="json")
    assert ok.json()["state"] == "returned" and ok.json()["event"]["comment"] == "请补充依据"


def test_a_move_answers_what_it_changed_and_the_whole_sheet_when_asked(api, people, to_state):
    """By default a move answers its outcome (state, version, assignee, the history entry it recorded); with
    ``Prefer: return=representation`` the whole sheet as GET shows it. Both carry the new ETag."""
    first, second = (to_state(TargetSheet.objects.get(position=p), "section_review") for p in (3, 4))
    head = api("head_ggzy")
    short = head.post(f"/api/sheets/{first.pk}/approve/", {"comment": "同意"}, format="json")
    first.refresh_from_db()
    assert short.status_code == 200 and short["ETag"] == first.etag and short["Preference-Applied"] == "return=minimal"
    body = dict(short.json())
    event = body.pop("event")
    assert body == {"id": first.pk, "state": "leader_review", "state_label": "局领导审批", "version": first.version, "assignee": None}
    assert (event["action"], event["action_label"], event["actor"], event["actor_name"]) == ("approve", "通过", "head_ggzy", "李强")
    assert (event["from_state"], event["to_state"], event["comment"], event["target_user"]) == ("section_review", "leader_review", "同意", None)
    assert event == head.get(f"/api/sheets/{first.pk}/").json()["history"][-1]
    full = head.post(f"/api/sheets/{second.pk}/approve/", {}, format="json", HTTP_PREFER="return=representation")
    second.refresh_from_db()
    assert full["ETag"] == second.etag and full["Preference-Applied"] == "return=representation"
    assert full.json() == head.get(f"/api/sheets/{second.pk}/").json()
    assert full.json()["history"][-1]["action"] == "approve" and full.json()["indicators"]


def test_a_reassignment_answers_the_new_assignee(api, people, to_state):
    sheet = to_state(TargetSheet.objects.get(position=3), "section_review")
    colleague = get_user_model().objects.create_user("head2_ggzy", password="pw")
    role_grant(user=colleague, role=roles.SECTION_HEAD, scope=sheet.section)
    response = api("head_ggzy").post(f"/api/sheets/{sheet.pk}/reassign/", {"user": "head2_ggzy", "comment": "出差"}, format="json")
    assert response.status_code == 200
    assert (response.json()["state"], response.json()["assignee"]) == ("section_review", "head2_ggzy")
    assert (response.json()["event"]["action"], response.json()["event"]["target_user"]) == ("reassign", "head2_ggzy")


def test_token_auth_from_drf_create_token(people, to_state):
    sheet = to_state(TargetSheet.objects.get(position=3), "leader_review")
    call_command("drf_create_token", "leader", stdout=open("/dev/null", "w"))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get(user__username='leader').key}")
    response = client.post(f"/api/sheets/{sheet.pk}/approve/", {"comment": "同意"}, format="json")
    assert response.status_code == 200 and response.json()["state"] == "finance_review"


def test_api_moves_leave_no_flash_messages_in_the_session(people, to_state):
    sheet = to_state(TargetSheet.objects.get(position=3), "section_review")
    client = APIClient()
    client.force_login(people.head_ggzy)  # a session client, as a script holding a session cookie would be
    response = client.post(f"/api/sheets/{sheet.pk}/approve/", {}, format="json")
    assert response.status_code == 200
    assert list(get_messages(response.wsgi_request)) == []
    assert "_messages" not in client.session


def test_export_docx_downloads_the_sheet(api):
    sheet = TargetSheet.objects.get(position=3)
    response = api("staff_ggzy").get(f"/api/sheets/{sheet.pk}/export.docx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_openapi_schema_lists_the_endpoints(api):
    response = api("staff_ggzy").get("/api/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/sheets/", "/api/sheets/{id}/", "/api/sheets/{id}/submit/", "/api/sheets/{id}/reassign/", "/api/sheets/{id}/export.docx"):
        assert path in paths, path


def test_patch_without_if_match_is_refused_with_428_and_changes_nothing(api):
    sheet = TargetSheet.objects.get(position=3)
    response = api("staff_ggzy").patch(f"/api/sheets/{sheet.pk}/", {"purpose": "改"}, format="json")
    assert response.status_code == 428 and "If-Match" in response.json()["detail"]
    assert TargetSheet.objects.get(pk=sheet.pk).purpose == sheet.purpose


def test_if_match_star_writes_on_any_current_version(api):
    """RFC 9110: ``If-Match: *`` holds whenever the sheet exists, whatever its version — for a PATCH and a move."""
    sheet = TargetSheet.objects.get(position=3)
    client = api("staff_ggzy")
    client.patch(f"/api/sheets/{sheet.pk}/", {"purpose": "别人先改了"}, format="json", HTTP_IF_MATCH=sheet.etag)

    response = client.patch(f"/api/sheets/{sheet.pk}/", {"goal": "不论哪个版本"}, format="json", HTTP_IF_MATCH="*")

    assert response.status_code == 200, response.json()
    assert (response.json()["purpose"], response.json()["goal"]) == ("别人先改了", "不论哪个版本")
    assert response["ETag"] == f'"{sheet.pk}-{sheet.version + 2}"'
    submitted = client.post(f"/api/sheets/{sheet.pk}/submit/", {}, format="json", HTTP_IF_MATCH="*")
    assert submitted.status_code == 200 and submitted.json()["state"] == "section_review"


def test_a_stale_patch_is_refused_with_412_naming_who_changed_it(api):
    """Two people edit one draft: the second, based on the version both read, is refused and changes nothing."""
    sheet = TargetSheet.objects.get(position=3)
    read_by_both = api("staff_ggzy").get(f"/api/sheets/{sheet.pk}/")["ETag"]
    first = api("staff_ggzy").patch(f"/api/sheets/{sheet.pk}/", {"purpose": "第一人的修改"}, format="json", HTTP_IF_MATCH=read_by_both)
    assert first.status_code == 200 and first["ETag"] != read_by_both
    second = api("staff_ggzy").patch(
        f"/api/sheets/{sheet.pk}/", {"goal": "第二人的修改"}, format="json", HTTP_IF_MATCH=read_by_both
    )
    assert second.status_code == 412
    assert second.json()["code"] == "stale_version" and "王芳" in second.json()["detail"]
    saved = TargetSheet.objects.get(pk=sheet.pk)
    assert (saved.purpose, saved.goal) == ("第一人的修改", sheet.goal)


def test_patch_merges_onto_the_content_saved_under_the_lock(api):
    """A PATCH of the goal keeps the purpose another request saved just before (no lost update)."""
    sheet = TargetSheet.objects.get(position=3)
    client = api("staff_ggzy")
    etag = client.get(f"/api/sheets/{sheet.pk}/")["ETag"]
    etag = client.patch(f"/api/sheets/{sheet.pk}/", {"purpose": "新的用途"}, format="json", HTTP_IF_MATCH=etag)["ETag"]
    response = client.patch(f"/api/sheets/{sheet.pk}/", {"goal": "新的目标"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200
    assert (response.json()["purpose"], response.json()["goal"]) == ("新的用途", "新的目标")


def test_a_move_with_a_stale_if_match_is_409_already_handled(api, people):
    sheet = TargetSheet.objects.get(position=3)
    etag = api("staff_ggzy").post(f"/api/sheets/{sheet.pk}/submit/", {}, format="json")["ETag"]
    assert api("head_ggzy").post(f"/api/sheets/{sheet.pk}/approve/", {}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    late = api("head_ggzy").post(f"/api/sheets/{sheet.pk}/return/", {"comment": "晚了"}, format="json", HTTP_IF_MATCH=etag)
    assert late.status_code == 409 and "已由" in late.json()["detail"]
