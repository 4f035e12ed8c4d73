"""One validation layer for sheet content: what cannot be stored or exported to Word is refused at every
door (API 400, editor form error), never accepted and then breaking every export."""

import io

import pytest
from django.test import Client
from rest_framework.test import APIClient

from projects import exporting
from projects.models import TargetSheet
from sheets import services as sheet_services


def editor_post(sheet, *, purpose=None, rows=None):
    data = {
        "version": str(sheet.version),
        "sheet-budget_total": str(sheet.budget_total), "sheet-fiscal_funds": str(sheet.fiscal_funds),
        "sheet-other_funds": str(sheet.other_funds), "sheet-purpose": sheet.purpose if purpose is None else purpose,
        "sheet-goal": sheet.goal, "rows-INITIAL_FORMS": "0", "rows-MIN_NUM_FORMS": "0", "rows-MAX_NUM_FORMS": "200",
    }
    if rows is None:
        rows = [{n: getattr(i, n) for n in ("category", "subcategory", "name", "description", "target_value", "basis")} for i in sheet.indicators.all()]
    data["rows-TOTAL_FORMS"] = str(len(rows))
    for i, row in enumerate(rows):
        for name, value in row.items():
            data[f"rows-{i}-{name}"] = value
        data[f"rows-{i}-ORDER"] = str(i + 1)
    for cp in sheet.fiscal_year.checkpoints.all():
        data[f"plan-cp_{cp.pk}"] = str(cp.planned_percent)
    return data


def exports(sheet) -> bool:
    exporting.export_sheet(sheet=TargetSheet.objects.get(pk=sheet.pk), target=io.BytesIO())
    exporting.export_package(agency=sheet.agency, year=2024, target=io.BytesIO())
    return True


def test_api_patch_with_a_control_character_in_purpose_is_refused_and_exports_still_work(people, sheet):
    client = APIClient()
    client.force_authenticate(people.staff_ggzy)
    response = client.patch(f"/api/sheets/{sheet.pk}/", {"purpose": "a\u0001b"}, format="json", HTTP_IF_MATCH=sheet.etag)
    assert response.status_code == 400, response.content
    assert "资金用途" in str(response.json()) and "控制字符" in str(response.json())
    sheet.refresh_from_db()
    assert "\u0001" not in sheet.purpose
    assert exports(sheet)


def test_api_patch_with_a_too_long_indicator_name_or_too_many_rows_is_refused(people, sheet):
    client = APIClient()
    client.force_authenticate(people.staff_ggzy)
    row = {"category": "产出指标", "subcategory": "数量指标", "name": "长" * 201, "target_value": "≥1个"}
    response = client.patch(f"/api/sheets/{sheet.pk}/", {"indicators": [row]}, format="json", HTTP_IF_MATCH=sheet.etag)
    assert response.status_code == 400 and "200" in str(response.json())
    rows = [dict(row, name=f"指标{i}") for i in range(201)]
    response = client.patch(f"/api/sheets/{sheet.pk}/", {"indicators": rows}, format="json", HTTP_IF_MATCH=sheet.etag)
    assert response.status_code == 400 and "200" in str(response.json())


def test_api_patch_with_newline_in_a_one_line_field_is_refused_but_allowed_in_purpose(people, sheet):
    client = APIClient()
    client.force_authenticate(people.staff_ggzy)
    response = client.patch(f"/api/sheets/{sheet.pk}/", {"purpose": "第一行\n第二行\t缩进"}, format="json", HTTP_IF_MATCH=sheet.etag)
    assert response.status_code == 200, response.json()
    sheet.refresh_from_db()
    rows = [{"category": "产出\n指标", "subcategory": "数量指标", "name": "数量", "target_value": "≥1个"}]
    response = client.patch(f"/api/sheets/{sheet.pk}/", {"indicators": rows}, format="json", HTTP_IF_MATCH=sheet.etag)
    assert response.status_code == 400 and "一级指标" in str(response.json())
    assert exports(sheet)


def test_service_refuses_a_control_character_whatever_door_called_it(people, sheet):
    from core.errors import AppError


    with pytest.raises(AppError) as refused:
        sheet_services.sheet_edit(sheet=sheet, user=people.staff_ggzy, expected_version=sheet.version, goal="x\x0by")
    assert refused.value.status == 400 and "绩效目标" in refused.value.message


def test_editor_refuses_a_control_character_with_a_form_error(people, sheet):
    client = Client()
    client.force_login(people.staff_ggzy)
    response = client.post(f"/sheets/{sheet.pk}/edit/", editor_post(sheet, purpose="a\u0001b"))
    assert response.status_code == 200
    assert "控制字符" in response.content.decode()
    sheet.refresh_from_db()
    assert "\u0001" not in sheet.purpose


def test_goals_editor_refuses_a_control_character_and_the_package_still_exports(people, sheet):
    client = Client()
    client.force_login(people.leader)
    response = client.post("/goals/483001/2024/", {"overall": "总体\x07目标", "itemized": "分项", "safeguards": "保障"})
    assert response.status_code == 200
    assert "控制字符" in response.content.decode() and "总体绩效目标" in response.content.decode()
    assert exports(sheet)


def test_editor_saves_200_rows(people, sheet):
    client = Client()
    client.force_login(people.staff_ggzy)
    rows = [{"category": "产出指标", "subcategory": "数量指标", "name": f"指标{i}", "description": "描述", "target_value": "≥1个", "basis": "依据"} for i in range(200)]
    response = client.post(f"/sheets/{sheet.pk}/edit/", editor_post(sheet, rows=rows))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert sheet.indicators.count() == 200
    assert exports(sheet)


def test_editor_refuses_201_rows_with_a_form_error(people, sheet):
    client = Client()
    client.force_login(people.staff_ggzy)
    before = sheet.indicators.count()
    rows = [{"category": "产出指标", "subcategory": "数量指标", "name": f"指标{i}", "description": "", "target_value": "≥1个", "basis": ""} for i in range(201)]
    response = client.post(f"/sheets/{sheet.pk}/edit/", editor_post(sheet, rows=rows))
    assert response.status_code == 200
    assert "200" in response.content.decode() and "最多" in response.content.decode()
    assert sheet.indicators.count() == before


def test_agency_pages_with_a_nul_code_answer_a_chinese_400(people):
    client = Client()
    client.force_login(people.leader)
    for path in ("/agencies/%00/spending/", "/agencies/48%0001/2024/package.docx", "/goals/%00/2024/"):
        response = client.get(path)
        assert response.status_code == 400
        assert "无法处理的字符" in response.content.decode()
