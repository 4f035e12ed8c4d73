"""The editor after a return puts the 修改说明 next to the 退回意见 and its 体检 counts a missing one; a draft kept in the
browser is shown again by the server without being saved, and one made on an older version lists every difference
from the current content and is saved against the current version only when the user saves it."""

import re

from django.test import Client
from django.urls import reverse

from projects.models import TargetSheet
from sheets import services as sheet_services
from tests.sheets.test_sheet_edit_page import editor_post

NOTE_MISSING = "未填写修改说明"


def staff_client(people):
    client = Client()
    client.force_login(people.staff_ggzy)
    return client


def checker_panel(page: str) -> str:
    start = page.index('data-testid="live-findings"')
    return page[start:page.index("</section>", start)]


def test_after_a_return_the_revision_note_is_at_the_top_next_to_the_return_comment(people, sheet, to_state):
    to_state(sheet, "returned")
    page = staff_client(people).get(reverse("sheet_edit", args=[sheet.pk])).content.decode()
    comment, note = page.index('data-testid="return-comment"'), page.index('data-testid="revision-note"')
    assert comment < note < page.index("<legend>预算规模及资金用途</legend>") < page.index('id="indicator-rows"')


def test_the_checker_panel_counts_a_missing_revision_note_on_a_returned_sheet(people, sheet, to_state):
    to_state(sheet, "returned")
    client = staff_client(people)
    url = reverse("sheet_edit", args=[sheet.pk])

    panel = checker_panel(client.get(url).content.decode())
    assert NOTE_MISSING in panel and "未发现问题" not in panel

    data = editor_post(sheet, version=sheet.version, purpose=sheet.purpose) | {"submit": "1"}
    page = client.post(url, data).content.decode()
    assert "请修正标红的内容" in page and 'data-testid="note-error"' in page
    assert NOTE_MISSING in checker_panel(page) and "未发现问题" not in checker_panel(page)
    assert re.search(r'<textarea name="note-comment"[^>]*aria-invalid="true"', page)

    check = reverse("sheet_check", args=[sheet.pk])
    codes = [f["code"] for f in client.post(check, data).json()["findings"]]
    assert codes == ["revision_note_missing"]
    assert client.post(check, data | {"note-comment": "已补充"}).json()["findings"] == []


def test_a_draft_has_no_revision_note_to_miss(people, sheet):
    client = staff_client(people)
    panel = checker_panel(client.get(reverse("sheet_edit", args=[sheet.pk])).content.decode())
    assert NOTE_MISSING not in panel and "未发现问题" in panel
    data = editor_post(sheet, version=sheet.version, purpose=sheet.purpose)
    assert client.post(reverse("sheet_check", args=[sheet.pk]), data).json()["findings"] == []


def test_a_restored_draft_is_shown_again_and_nothing_is_saved(people, sheet):
    data = editor_post(sheet, version=sheet.version, purpose="草稿里的用途") | {"restore_draft": "1"}
    response = staff_client(people).post(reverse("sheet_edit", args=[sheet.pk]), data)
    page = response.content.decode()
    assert response.status_code == 200
    assert "草稿里的用途" in page and 'data-testid="draft-restored"' in page
    assert 'data-testid="draft-moved"' not in page and 'data-testid="input-errors"' not in page
    assert re.search(r'id="sheet-editor"[^>]*data-unsaved', page)
    saved = TargetSheet.objects.get(pk=sheet.pk)
    assert (saved.purpose, saved.version) == (sheet.purpose, sheet.version)


def test_a_draft_made_on_an_older_version_lists_its_differences_and_is_saved_only_when_the_user_saves(people, sheet):
    drafted_on = sheet.version
    data = editor_post(sheet, version=drafted_on, purpose="草稿里的用途") | {"restore_draft": "1"}
    data["rows-0-target_value"] = "≥170件"
    sheet_services.sheet_edit(sheet=sheet, user=people.staff_ggzy, expected_version=drafted_on,
                        purpose="另一个窗口先保存的用途")
    client = staff_client(people)
    url = reverse("sheet_edit", args=[sheet.pk])

    page = client.post(url, data).content.decode()
    moved = page[page.index('data-testid="draft-moved"'):]
    moved = moved[:moved.index("</div>")]
    assert f"版本 {drafted_on}" in moved and f"当前版本 {drafted_on + 1}" in moved and "王芳" in moved
    assert "资金用途：<del>另一个窗口先保存的用途</del> → <ins>草稿里的用途</ins>" in moved
    assert "指标值 <del>≥150件</del> → <ins>≥170件</ins>" in moved
    assert f'name="version" value="{drafted_on + 1}"' in page  # the user's changes now go against the current version
    assert TargetSheet.objects.get(pk=sheet.pk).purpose == "另一个窗口先保存的用途"  # nothing written by showing it

    save = editor_post(sheet, version=drafted_on + 1, purpose="草稿里的用途")
    save["rows-0-target_value"] = "≥170件"
    assert client.post(url, save).status_code == 302
    saved = TargetSheet.objects.get(pk=sheet.pk)
    assert saved.purpose == "草稿里的用途" and saved.indicators.order_by("order").first().target_value == "≥170件"


def test_the_checker_panel_counts_input_the_forms_refuse(people, sheet):
    client = staff_client(people)
    data = editor_post(sheet, version=sheet.version, purpose="用途\u0007")  # an invisible control character
    page = client.post(reverse("sheet_edit", args=[sheet.pk]), data).content.decode()
    assert "请修正标红的内容" in page
    assert "有 1 处输入不符合要求" in checker_panel(page) and "未发现问题" not in checker_panel(page)
    findings = client.post(reverse("sheet_check", args=[sheet.pk]), data).json()["findings"]
    assert [f["code"] for f in findings] == ["input_invalid"]
    assert TargetSheet.objects.get(pk=sheet.pk).purpose == sheet.purpose
