"""Importing a Word file over a colleague's saved draft in a real browser: upload → preview (更新 and the diff)
→ 确认导入 → the sheet's history names the importer; and the preview on a phone-width screen."""

import re

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from people import roles
from people.services import role_grant
from projects.docx.data import IndicatorData
from projects.models import TargetSheet
from tests.e2e.conftest import screenshot, sign_in

from sheets import services as sheet_services
from workflow.models import Action

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "公共资源交易中心经费"
SEED = settings.BASE_DIR / "projects" / "fixtures" / "laoting-approval-bureau-targets.docx"


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page itself is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def colleague_saves_40():
    """张三, a second 经办人 of the section, saves 数量指标 = 40个 on sheet 3."""
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    colleague = get_user_model().objects.create_user(username="staff_ggzy2", password="demo", last_name="张", first_name="三")
    role_grant(user=colleague, role=roles.STAFF, scope=sheet.section)
    rows = [
        IndicatorData(i.category, i.subcategory, i.name, i.description, "40个" if i.subcategory == "数量指标" else i.target_value, i.basis)
        for i in sheet.indicators.order_by("order", "id")
    ]
    sheet_services.sheet_edit(sheet=sheet, user=colleague, expected_version=sheet.version, indicators=rows)
    return sheet


def upload_and_preview(page, live_server):
    page.get_by_role("link", name="导入 Word").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("导入 Word 绩效目标文件")
    form = page.get_by_test_id("upload-form")
    form.locator("input[type=file]").set_input_files(str(SEED))
    expect(form.locator("select[name=section] option:checked")).to_have_text("公共资源交易中心")
    with page.expect_navigation():
        form.get_by_role("button", name="上传并预览").click()
    expect(page).to_have_url(re.compile(r"/import/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("导入预览")
    mine = page.get_by_test_id("preview-sheet").filter(has_text=TITLE)
    expect(mine.get_by_test_id("preview-kind")).to_have_text("更新")
    expect(mine.get_by_test_id("preview-diff")).to_contain_text("县内招投标数量：指标值 40个 → ≥150件")
    expect(mine.locator("del")).to_have_text("40个")
    expect(mine.locator("ins")).to_have_text("≥150件")
    expect(mine).to_contain_text("最后由 张三 于")
    expect(page.get_by_test_id("import-summary")).to_contain_text("更新 1 张，拒绝 5 张，内容相同未改动 3 张")
    return mine


def test_upload_preview_confirm_and_the_history_names_the_importer(page, live_server):
    sheet = colleague_saves_40()
    sign_in(page, live_server, "staff_ggzy")

    upload_and_preview(page, live_server)
    assert horizontal_overflow(page) <= 0
    screenshot(page, "import-preview", "desktop")
    sheet.refresh_from_db()
    assert sheet.indicators.get(subcategory="数量指标").target_value == "40个"  # nothing written before 确认导入

    with page.expect_navigation():
        page.get_by_test_id("confirm-import").click()
    result = page.get_by_test_id("import-result")
    expect(result).to_contain_text("更新 1 张")
    result.get_by_role("link", name=TITLE, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)

    entry = page.get_by_test_id("history").locator("li.event-import")
    expect(entry).to_contain_text("导入 Word")
    expect(entry.get_by_test_id("event-actor")).to_have_text("王芳")
    expect(entry).to_contain_text("导入文件“laoting-approval-bureau-targets.docx”")
    expect(entry.get_by_role("button", name="恢复导入前内容")).to_be_visible()

    sheet.refresh_from_db()
    assert sheet.indicators.get(subcategory="数量指标").target_value == "≥150件"
    event = sheet.events.get(action=Action.IMPORT)
    assert event.actor.username == "staff_ggzy"
    assert [r["target_value"] for r in event.snapshot["indicators"] if r["subcategory"] == "数量指标"] == ["40个"]

    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        entry.get_by_role("button", name="恢复导入前内容").click()
    expect(page.locator(".messages")).to_contain_text("已恢复为导入前的内容。")
    expect(page.get_by_test_id("history").locator("li.event-restore")).to_contain_text("恢复内容")
    sheet.refresh_from_db()
    assert sheet.indicators.get(subcategory="数量指标").target_value == "40个"


def test_the_preview_fits_a_phone(phone, live_server):
    sheet = colleague_saves_40()
    page = phone
    sign_in(page, live_server, "staff_ggzy")
    page.goto(f"{live_server.url}/import/")
    mine = upload_and_preview(page, live_server)
    assert page.evaluate("window.innerWidth") == 390
    assert horizontal_overflow(page) <= 0, "the import preview scrolls sideways on a phone"
    box = mine.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    confirm = page.get_by_test_id("confirm-import")
    confirm.scroll_into_view_if_needed()
    expect(confirm).to_be_in_viewport()
    screenshot(page, "import-preview", "phone")

    with page.expect_navigation():
        page.get_by_test_id("cancel-import").tap()
    expect(page.locator(".messages")).to_contain_text("已取消导入")
    sheet.refresh_from_db()
    assert sheet.indicators.get(subcategory="数量指标").target_value == "40个"
