"""The editor follows the official form: rows land inside their group, the checker names split groups and empty
categories and marks the field, a returned sheet shows its 退回意见, and a resubmission needs a 修改说明."""

import re

from django.urls import reverse

from projects.docx.data import IndicatorData
from projects.models import TargetSheet
from projects.rules import Row, SheetContent, check_sheet
from sheets.forms import row_insert
from tests.refusals import refused
from tests.sheets.test_sheet_edit_page import editor_post
from workflow import services


def rows_of(sheet):
    return list(sheet.indicators.order_by("order", "id").values_list("category", "subcategory", "name"))


def test_a_row_added_without_a_place_lands_at_the_end_of_its_group(people, sheet, client):
    before = rows_of(sheet)
    data = editor_post(sheet, version=sheet.version, purpose=sheet.purpose)
    n = int(data["rows-TOTAL_FORMS"])
    data.update({f"rows-{n}-category": "产出指标", f"rows-{n}-subcategory": "数量指标", f"rows-{n}-name": "新增窗口数量",
                 f"rows-{n}-target_value": "≥2个", f"rows-{n}-ORDER": "", "rows-TOTAL_FORMS": str(n + 1)})
    client.force_login(people.staff_ggzy)
    assert client.post(reverse("sheet_edit", args=[sheet.pk]), data).status_code == 302
    after = rows_of(TargetSheet.objects.get(pk=sheet.pk))
    last_quantity = max(i for i, r in enumerate(before) if r[:2] == ("产出指标", "数量指标"))
    assert after[last_quantity + 1] == ("产出指标", "数量指标", "新增窗口数量")
    assert after[-1] == before[-1]  # not at the bottom of the table
    assert not [f for f in TargetSheet.objects.get(pk=sheet.pk).findings() if f.code == "group_split"]


def test_row_insert_places_a_new_group_in_the_forms_order():
    def row(category, subcategory, name):
        return IndicatorData(category, subcategory, name, "", "", "")

    rows = [row("产出指标", "数量指标", "a"), row("效益指标", "社会效益指标", "b"), row("满意度指标", "服务对象满意度指标", "c")]
    placed = row_insert(rows, row("效益指标", "经济效益指标", "new"))
    assert [r.name for r in placed] == ["a", "new", "b", "c"]
    assert [r.name for r in row_insert(rows, row("效益指标", "社会效益指标", "b2"))] == ["a", "b", "b2", "c"]
    placed = row_insert(rows, row("产出指标", "成本指标", "cost"))
    assert [r.name for r in placed] == ["a", "cost", "b", "c"]


def _content(rows):
    from decimal import Decimal

    from projects.rules import PlanPoint

    return SheetContent(Decimal(1), Decimal(1), Decimal(0), [PlanPoint("12月底", Decimal(100))], [Row(*r) for r in rows])


def test_the_checker_flags_a_split_group_and_names_the_row_and_field():
    rows = [
        ("产出指标", "数量指标", "甲", "", "1个"), ("产出指标", "质量指标", "乙", "", "≥90%"),
        ("产出指标", "数量指标", "丙", "", "2个"), ("效益指标", "社会效益指标", "丁", "", "有效改善"),
        ("满意度指标", "服务对象满意度指标", "戊", "", "≥90%"), ("产出指标", "时效指标", "己", "", "≥90%"),
    ]
    split = [f for f in check_sheet(_content(rows)) if f.code == "group_split"]
    assert {(f.row, f.field, f.group) for f in split} == {(5, "category", "产出指标"), (2, "subcategory", "产出指标/数量指标")}
    assert any("第 3 行“丙”属于产出指标/数量指标" in f.message for f in split) and all(f.is_error for f in split)


def test_the_checker_flags_an_empty_required_category_by_group():
    rows = [("产出指标", "数量指标", "甲", "", "1个"), ("满意度指标", "服务对象满意度指标", "戊", "", "≥90%")]
    findings = check_sheet(_content(rows))
    found = {f.code: f for f in findings}
    assert found["missing_benefit"].group == "效益指标" and "效益指标为空" in found["missing_benefit"].message
    assert {f.group for f in findings if f.code == "missing_output"} == {"产出指标/质量指标", "产出指标/时效指标", "产出指标/成本指标"}
    value = [f for f in check_sheet(_content([("产出指标", "数量指标", "甲", "", "很多")])) if f.code == "value_unparsed"]
    assert (value[0].row, value[0].field) == (0, "target_value")


def test_the_editor_marks_the_offending_field_beside_its_row(people, sheet, client):
    rows = list(sheet.indicators.order_by("order", "id"))
    rows[0].target_value = "很多"
    rows[0].save()
    client.force_login(people.staff_ggzy)
    page = client.get(reverse("sheet_edit", args=[sheet.pk])).content.decode()
    row = re.search(r'<tr class="indicator-row"[^>]*data-invalid="target_value"[^>]*>.*?</tr>', page, re.S)
    assert row and "无法识别" in row.group(0) and rows[0].name in row.group(0)
    data = editor_post(sheet, version=sheet.version, purpose=sheet.purpose)
    data["rows-0-category"], data["rows-0-subcategory"] = "效益指标", "社会效益指标"  # moved out: 产出 … 效益 … 产出
    findings = client.post(reverse("sheet_check", args=[sheet.pk]), data).json()["findings"]
    split = [f for f in findings if f["code"] == "group_split"]
    assert split and split[0]["field"] in ("category", "subcategory") and split[0]["row"] is not None


def test_a_returned_sheets_editor_pins_the_return_comment(people, sheet, to_state, client):
    to_state(sheet, "returned")
    client.force_login(people.staff_ggzy)
    page = client.get(reverse("sheet_edit", args=[sheet.pk])).content.decode()
    pinned = page.index('data-testid="return-comment"')
    assert pinned < page.index("<h1>") and "请补充" in page[pinned:page.index("<h1>")]
    assert 'data-testid="revision-note"' in page


def test_resubmitting_after_a_return_requires_a_revision_note(people, sheet, to_state):
    to_state(sheet, "returned")
    for comment in ("", "   "):
        with refused(400, match="修改说明"):
            services.document_submit(document=sheet, user=people.staff_ggzy, comment=comment)
    sheet.refresh_from_db()
    assert sheet.state == "returned"
    services.document_submit(document=sheet, user=people.staff_ggzy, comment="已按意见补充成本指标")
    event = sheet.events.order_by("-created", "-id").first()
    assert (event.action, event.from_state, event.comment) == ("submit", "returned", "已按意见补充成本指标")


def test_the_api_takes_the_revision_note_through_the_same_service(people, sheet, to_state, client):
    to_state(sheet, "returned")
    client.force_login(people.staff_ggzy)
    url = f"/api/sheets/{sheet.pk}/submit/"
    response = client.post(url, {}, content_type="application/json")
    assert response.status_code == 400 and "修改说明" in response.json()["detail"]
    assert client.post(url, {"comment": "改了"}, content_type="application/json").status_code == 200


def test_the_editor_asks_for_the_note_and_the_history_shows_it(people, sheet, to_state, client):
    to_state(sheet, "returned")
    client.force_login(people.staff_ggzy)
    data = editor_post(sheet, version=sheet.version, purpose="改过的用途")
    data["submit"] = "1"
    response = client.post(reverse("sheet_edit", args=[sheet.pk]), data)
    assert response.status_code == 200 and "请填写修改说明" in response.content.decode()
    assert TargetSheet.objects.get(pk=sheet.pk).purpose == sheet.purpose  # nothing saved
    data["note-comment"] = "按意见补充了用途"
    response = client.post(reverse("sheet_edit", args=[sheet.pk]), data, follow=True)
    assert "已提交科室审核" in response.content.decode()
    assert TargetSheet.objects.get(pk=sheet.pk).state == "section_review"
    client.force_login(people.head_ggzy)
    page = client.get(reverse("sheet_detail", args=[sheet.pk])).content.decode()
    assert 'data-testid="review-revision-note"' in page and "修改说明：</span>按意见补充了用途" in page
