"""The editor refuses a save based on an older version: the user's input stays on the page, nothing is written."""

import pytest
from django.test import Client

from projects.models import TargetSheet
from sheets import services as sheet_services


def editor_post(sheet, *, version, purpose):
    data = {
        "version": str(version),
        "sheet-budget_total": str(sheet.budget_total), "sheet-fiscal_funds": str(sheet.fiscal_funds),
        "sheet-other_funds": str(sheet.other_funds), "sheet-purpose": purpose, "sheet-goal": sheet.goal,
        "rows-TOTAL_FORMS": "0", "rows-INITIAL_FORMS": "0", "rows-MIN_NUM_FORMS": "0", "rows-MAX_NUM_FORMS": "200",
    }
    indicators = list(sheet.indicators.all())
    data["rows-TOTAL_FORMS"] = str(len(indicators))
    for i, row in enumerate(indicators):
        for name in ("category", "subcategory", "name", "description", "target_value", "basis"):
            data[f"rows-{i}-{name}"] = getattr(row, name)
        data[f"rows-{i}-ORDER"] = str(i + 1)
    for cp in sheet.fiscal_year.checkpoints.all():
        data[f"plan-cp_{cp.pk}"] = str(cp.planned_percent)
    return data


def test_a_stale_editor_save_is_refused_and_names_who_changed_it(people, sheet):
    client = Client()
    client.force_login(people.staff_ggzy)
    opened_version = sheet.version  # both tabs opened the editor on this version
    sheet_services.sheet_edit(sheet=sheet, user=people.staff_ggzy, expected_version=opened_version, purpose="另一个窗口先保存的用途")

    response = client.post(f"/sheets/{sheet.pk}/edit/", editor_post(sheet, version=opened_version, purpose="迟到的修改"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "王芳" in page and "您的修改未保存" in page
    assert "迟到的修改" in page  # the user's input is still there to copy
    assert TargetSheet.objects.get(pk=sheet.pk).purpose == "另一个窗口先保存的用途"


def test_a_current_editor_save_is_written_with_the_next_version(people, sheet):
    client = Client()
    client.force_login(people.staff_ggzy)
    response = client.post(f"/sheets/{sheet.pk}/edit/", editor_post(sheet, version=sheet.version, purpose="新的用途"))
    assert response.status_code == 302
    saved = TargetSheet.objects.get(pk=sheet.pk)
    assert (saved.purpose, saved.version, saved.updated_by) == ("新的用途", sheet.version + 1, people.staff_ggzy)


@pytest.mark.parametrize("budget", ["1000000000000", "abc", "-1"])
def test_an_invalid_amount_is_a_form_error_not_a_server_error(people, sheet, budget):
    client = Client()
    client.force_login(people.staff_ggzy)
    data = editor_post(sheet, version=sheet.version, purpose="改")
    data["sheet-budget_total"] = budget
    response = client.post(f"/sheets/{sheet.pk}/edit/", data)
    assert response.status_code == 200 and "请修正标红的内容" in response.content.decode() or "error" in response.content.decode()
    assert TargetSheet.objects.get(pk=sheet.pk).purpose == sheet.purpose
