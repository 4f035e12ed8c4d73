"""The checker's verdict stored on each sheet (errors and warnings counted) is what the checker says of the saved
content after every door that writes content: the editor, the API, an import, a restore, a rollover; and it is
unknown (lists run the checker) after the year's checkpoints change or a content row is written on its own.
Lists, 待办 cards, exports and WeCom cards read it instead of running the checker per row."""

import datetime
from decimal import Decimal

import pytest
from django.test import Client
from rest_framework.test import APIClient

from projects.docx.data import IndicatorData
from projects.models import Checkpoint, TargetSheet
from projects.rules import check_sheet
from projects.selectors import sheets_with_content
from projects.services import sheet_verdicts_fill
from sheets import services as sheet_services
from sheets import word_import
from sheets.rollover import sheets_rollover
from tests.sheets.test_import_preview import FILE_NAME
from tests.sheets.test_sheet_edit_page import editor_post
from tests.support import drive
from workflow.models import Action


def checker(sheet) -> tuple[int, int]:
    """What the checker says of the sheet's saved content, read afresh."""
    findings = check_sheet(sheets_with_content().get(pk=sheet.pk))
    errors = sum(f.is_error for f in findings)
    return errors, len(findings) - errors


def stored(sheet) -> tuple:
    return tuple(TargetSheet.objects.filter(pk=sheet.pk).values_list("check_errors", "check_warnings").get())


def assert_current(sheet):
    assert stored(sheet) == checker(sheet)


def rows_of(sheet, **changed):
    return [
        IndicatorData(i.category, i.subcategory, i.name, i.description, changed.get(i.subcategory, i.target_value), i.basis)
        for i in sheet.indicators.order_by("order", "id")
    ]


def test_the_seed_and_the_migration_store_the_checkers_verdict(people):
    sheets = list(TargetSheet.objects.all())
    assert sheets and all(s.check_errors is not None for s in sheets)
    for sheet in sheets:
        assert_current(sheet)
    assert {stored(s)[0] > 0 for s in sheets} == {True, False}  # the demo has sheets with errors and clean ones
    TargetSheet.objects.update(check_errors=None, check_warnings=None)
    assert sheet_verdicts_fill(batch=4) == len(sheets)  # the migration's fill, a few at a time
    for sheet in sheets:
        assert_current(sheet)


def test_the_editor_keeps_the_verdict_current(people, sheet):
    client = Client()
    client.force_login(people.staff_ggzy)
    assert stored(sheet) == (0, 0)
    data = editor_post(sheet, version=sheet.version, purpose="新的用途")
    quantity = next(k for k, v in data.items() if v == "数量指标").replace("subcategory", "target_value")
    data[quantity] = ""  # an empty 指标值: an error
    assert client.post(f"/sheets/{sheet.pk}/edit/", data).status_code == 302
    assert stored(sheet)[0] == 1
    assert_current(sheet)
    sheet.refresh_from_db()
    data = editor_post(sheet, version=sheet.version, purpose="再改")
    data[quantity] = "≥1个"
    assert client.post(f"/sheets/{sheet.pk}/edit/", data).status_code == 302
    assert stored(sheet) == (0, 0)
    assert_current(sheet)


def test_the_api_keeps_the_verdict_current(people):
    sheet7 = TargetSheet.objects.get(position=7)
    assert stored(sheet7) == (1, 0)  # its cost row is not money
    client = APIClient()
    client.force_authenticate(people.staff_zwfw)
    rows = client.get(f"/api/sheets/{sheet7.pk}/").json()["indicators"]
    rows[3]["target_value"] = "≤1万元"  # money now, but far below the budget: a warning
    response = client.patch(f"/api/sheets/{sheet7.pk}/", {"indicators": rows}, format="json", HTTP_IF_MATCH=sheet7.etag)
    assert response.status_code == 200, response.json()
    assert stored(sheet7) == (0, 1)
    assert_current(sheet7)
    sheet7.refresh_from_db()
    response = client.patch(f"/api/sheets/{sheet7.pk}/", {"budget_total": "1.00"}, format="json", HTTP_IF_MATCH=sheet7.etag)
    assert response.status_code == 200, response.json()
    assert stored(sheet7)[0] > 0  # the funds no longer add up
    assert_current(sheet7)


def test_an_import_and_its_restore_keep_the_verdict_current(people, sheet, seed_docx):
    sheet_services.sheet_edit(sheet=sheet, user=people.staff_ggzy, expected_version=sheet.version, indicators=rows_of(sheet, 数量指标=""))
    assert stored(sheet)[0] == 1
    pending, _ = word_import.import_upload(
        user=people.staff_ggzy, file_name=FILE_NAME, content=seed_docx.read_bytes(), year=2024, section=sheet.section
    )
    word_import.import_confirm(pending=pending, user=people.staff_ggzy)
    assert stored(sheet) == (0, 0)
    for any_sheet in TargetSheet.objects.filter(fiscal_year__year=2024):
        assert_current(any_sheet)
    sheet.refresh_from_db()
    event = sheet.events.get(action=Action.IMPORT)
    sheet_services.sheet_restore(sheet=sheet, user=people.staff_ggzy, event=event, expected_version=sheet.version)
    assert stored(sheet)[0] == 1  # the content from before the import, with its empty 指标值
    assert_current(sheet)


def test_a_rollover_stores_the_new_drafts_verdict(people, sheet, to_state):
    published = to_state(sheet, "published")
    result = sheets_rollover(agency=published.agency, from_year=2024, to_year=2025, user=people.staff_ggzy, section=published.section)
    [new] = result.created
    assert stored(new)[0] > 0  # the money is left empty for the new year: the cost row exceeds a budget of 0
    assert_current(new)


def test_a_checkpoint_change_or_a_single_row_write_leaves_the_verdict_unknown_and_pages_check_those_rows(
    people, sheet, to_state
):
    published = to_state(TargetSheet.objects.get(position=1, fiscal_year__year=2024), "published")
    [other_year] = sheets_rollover(
        agency=published.agency, from_year=2024, to_year=2025, user=people.staff_ggzy, section=published.section
    ).created
    assert stored(other_year) != (None, None)
    checkpoint = sheet.fiscal_year.checkpoints.order_by("date").last()
    checkpoint.date = datetime.date(2024, 12, 30)
    checkpoint.save()  # what the admin's checkpoint inline does
    assert stored(sheet) == (None, None)
    assert stored(other_year) != (None, None)  # 2025's checkpoints did not change
    Checkpoint.objects.create(fiscal_year=sheet.fiscal_year, date=datetime.date(2024, 11, 30), planned_percent=Decimal(90))
    assert checker(sheet)[0] == 1  # the new checkpoint is not planned
    client = Client()
    client.force_login(people.staff_ggzy)
    page = client.get("/sheets/?year=2024").content.decode()
    assert "1 个错误" in page  # the list checked the rows without a verdict
    sheet_verdicts_fill()
    assert_current(sheet)
    indicator = sheet.indicators.order_by("order").first()
    indicator.target_value = ""
    indicator.save()
    assert stored(sheet) == (None, None)
    assert "2 个错误" in client.get("/sheets/?year=2024").content.decode()
    indicator.delete()
    assert stored(sheet) == (None, None)


def test_cards_and_the_batch_read_the_stored_verdict_and_the_batch_still_refuses_errors(people, sheet):
    drive(sheet, ("submit", people.staff_ggzy), ("approve", people.head_ggzy))
    client = Client()
    client.force_login(people.leader)
    assert 'data-testid="batch-pick"' in client.get("/tasks/").content.decode()
    # a stored verdict that said "clean" while the content has an error (written around every door) does not let
    # the batch through: the server runs the checker on the sheet it approves
    indicator = sheet.indicators.order_by("order").first()
    TargetSheet.objects.filter(pk=sheet.pk).update(check_errors=0, check_warnings=0)
    type(indicator).objects.filter(pk=indicator.pk).update(target_value="")
    sheet.refresh_from_db()
    response = client.post("/tasks/batch-approve/", {"sheet": [sheet.pk], f"version-{sheet.pk}": sheet.version}, follow=True)
    assert "体检发现错误，不能批量通过" in response.content.decode()
    sheet.refresh_from_db()
    assert sheet.state == "leader_review"
