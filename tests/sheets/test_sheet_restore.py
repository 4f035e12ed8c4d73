"""恢复导入前内容: the content an import replaced stays restorable from the sheet's history, by the section's staff
while the sheet is editable; a restore based on an older version is refused (412)."""

import pytest
from django.contrib.auth import get_user_model

from core.errors import AppError
from people import roles
from people.services import role_grant
from projects.models import TargetSheet
from sheets import services as sheet_services
from sheets import word_import
from tests.sheets.test_import_preview import FILE_NAME, edit_quantity, signed_in, state_of_everything
from workflow import services
from workflow.models import Action, Event

RESTORE_BUTTON = "恢复导入前内容"


@pytest.fixture
def colleague(people, sheet):
    user = get_user_model().objects.create_user(username="staff_ggzy2", password="pw", last_name="张", first_name="三")
    role_grant(user=user, role=roles.STAFF, scope=sheet.section)
    return user


def content(sheet):
    return TargetSheet.objects.select_related("project").prefetch_related("plan__checkpoint", "indicators").get(pk=sheet.pk).snapshot()


@pytest.fixture
def imported(people, sheet, colleague, seed_docx):
    """张三 saved 40个 and a new purpose; then 王芳 imported the seed over it (preview, confirm). Returns the IMPORT event."""
    sheet.refresh_from_db()
    sheet_services.sheet_edit(sheet=sheet, user=colleague, expected_version=sheet.version, purpose="张三改过的用途")
    edit_quantity(sheet, colleague, "40个")
    pending, _ = word_import.import_upload(
        user=people.staff_ggzy, file_name=FILE_NAME, content=seed_docx.read_bytes(), year=2024, section=sheet.section
    )
    word_import.import_confirm(pending=pending, user=people.staff_ggzy)
    sheet.refresh_from_db()
    assert sheet.purpose == "保证县内招投标正常运行"
    return sheet.events.get(action=Action.IMPORT)


def test_restore_brings_back_the_content_from_before_the_import(people, sheet, imported):
    client = signed_in(people.staff_ggzy)
    page = client.get(f"/sheets/{sheet.pk}/").content.decode()
    assert RESTORE_BUTTON in page and f"/sheets/{sheet.pk}/restore/{imported.pk}/" in page
    replaced = content(sheet)
    version = sheet.version

    response = client.post(f"/sheets/{sheet.pk}/restore/{imported.pk}/", {"version": version}, follow=True)

    assert "已恢复为导入前的内容。" in response.content.decode()
    sheet.refresh_from_db()
    assert content(sheet) == imported.snapshot
    assert sheet.purpose == "张三改过的用途"
    assert sheet.indicators.get(subcategory="数量指标").target_value == "40个"
    assert [(p.checkpoint.label, p.cumulative_percent) for p in sheet.plan.all()] == [
        ("3月底", 25), ("6月底", 50), ("10月底", 75), ("12月底", 100)
    ]
    assert sheet.version == version + 1 and sheet.updated_by == people.staff_ggzy
    restore = sheet.events.get(action=Action.RESTORE)
    assert restore.actor == people.staff_ggzy and restore.snapshot == replaced  # what the restore replaced is kept too
    assert FILE_NAME in restore.comment and (restore.from_state, restore.to_state) == ("draft", "draft")
    history = client.get(f"/sheets/{sheet.pk}/").content.decode()
    assert "恢复内容" in history


def test_a_restore_based_on_an_older_version_is_refused(people, sheet, colleague, imported):
    seen = sheet.version
    edit_quantity(sheet, colleague, "50个")  # saved after the page was loaded
    before = state_of_everything()
    client = signed_in(people.staff_ggzy)

    page = client.post(f"/sheets/{sheet.pk}/restore/{imported.pk}/", {"version": seen}, follow=True).content.decode()

    assert "这张表已由 张三 于" in page and "未恢复" in page
    assert state_of_everything() == before
    assert sheet.indicators.get(subcategory="数量指标").target_value == "50个"
    with pytest.raises(AppError) as error:
        sheet_services.sheet_restore(sheet=sheet, user=people.staff_ggzy, event=imported, expected_version=seen)
    assert error.value.status == 412
    assert not Event.objects.filter(action=Action.RESTORE).exists()


def test_only_the_sections_staff_may_restore_while_the_sheet_is_editable(people, sheet, imported, to_state):
    url = f"/sheets/{sheet.pk}/restore/{imported.pk}/"
    before = state_of_everything()
    head = signed_in(people.head_ggzy)  # sees the sheet, may not edit it
    assert RESTORE_BUTTON not in head.get(f"/sheets/{sheet.pk}/").content.decode()
    assert "只有本科室经办人可以恢复" in head.post(url, {"version": sheet.version}, follow=True).content.decode()
    for outsider in ("staff_xy", "other_staff"):
        assert signed_in(getattr(people, outsider)).post(url, {"version": sheet.version}).status_code == 404
    assert state_of_everything() == before

    to_state(sheet, "section_review")
    staff = signed_in(people.staff_ggzy)
    assert RESTORE_BUTTON not in staff.get(f"/sheets/{sheet.pk}/").content.decode()
    page = staff.post(url, {"version": sheet.version}, follow=True).content.decode()
    assert "处于“科室审核”状态，不能恢复" in page
    sheet.refresh_from_db()
    assert sheet.indicators.get(subcategory="数量指标").target_value == "≥150件"


def test_only_an_import_entry_of_the_same_sheet_can_be_restored(people, sheet, imported, seed_docx):
    client = signed_in(people.staff_ggzy)
    TargetSheet.objects.filter(position=4).update(purpose="改过的用途")  # so that importing again records sheet 4
    pending, _ = word_import.import_upload(
        user=people.staff_ggzy, file_name=FILE_NAME, content=seed_docx.read_bytes(), year=2024, section=sheet.section
    )
    word_import.import_confirm(pending=pending, user=people.staff_ggzy)
    sheet.refresh_from_db()
    other_import = Event.objects.filter(action=Action.IMPORT).exclude(sheet=sheet).get()
    assert client.post(f"/sheets/{sheet.pk}/restore/{other_import.pk}/", {"version": sheet.version}).status_code == 404
    submit = services.document_submit(document=sheet, user=people.staff_ggzy)
    services.document_withdraw(document=sheet, user=people.staff_ggzy)
    sheet.refresh_from_db()
    with pytest.raises(AppError) as error:
        sheet_services.sheet_restore(sheet=sheet, user=people.staff_ggzy, event=submit, expected_version=sheet.version)
    assert error.value.status == 400 and "没有可恢复的导入前内容" in error.value.message
