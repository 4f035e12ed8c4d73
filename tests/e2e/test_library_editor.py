"""The editor with the indicator library, in Chromium: on a phone a drafter adds an indicator from the library inside
产出指标 and submits; on a desktop rows are dragged across groups and the checker marks the field."""

import pytest
from playwright.sync_api import expect

from library.services import library_rebuild
from projects.models import TargetSheet
from tests.e2e.conftest import screenshot, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def group(page, category, subcategory):
    return page.locator(f"tbody.indicator-group[data-category='{category}'][data-subcategory='{subcategory}']")


def test_a_drafter_adds_an_indicator_from_the_library_on_a_phone_and_submits(phone, live_server):
    library_rebuild()
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    page = phone
    sign_in(page, live_server, "staff_ggzy")
    page.goto(f"{live_server.url}/sheets/{sheet.pk}/edit/")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    quantity = group(page, "产出指标", "数量指标")
    rows_before = quantity.locator("tr.indicator-row").count()
    quantity.get_by_test_id("add-row").tap()
    new_row = quantity.locator("tr.indicator-row").nth(rows_before)
    name = new_row.locator("textarea[name$='-name']")
    expect(name).to_be_focused()
    name.type("pxrc")
    option = page.get_by_test_id("suggest-box").locator(".suggest-item", has_text="培训人次")
    expect(option).to_be_visible()
    screenshot(page, "library", "editor-suggest-390")
    option.tap()
    expect(name).to_have_value("培训人次")
    value = new_row.locator("textarea[name$='-target_value']")
    expect(value).to_have_value("≥人次")
    expect(new_row.locator("textarea[name$='-description']")).not_to_have_value("")
    value.fill("≥200人次")
    expect(quantity.locator("tr.indicator-row")).to_have_count(rows_before + 1)  # inside 产出指标 · 数量指标
    screenshot(page, "library", "editor-390")
    page.get_by_test_id("save-submit").tap()
    expect(page.get_by_test_id("sheet-state")).to_have_text("科室审核")
    sheet.refresh_from_db()
    names = list(sheet.indicators.order_by("order").values_list("subcategory", "name"))
    position = names.index(("数量指标", "培训人次"))
    assert names[position - 1][0] == "数量指标" and names[position + 1][0] != "数量指标"
    assert sheet.indicators.get(name="培训人次").target_value == "≥200人次"


def checked(page, action):
    """Do ``action`` (an edit) and wait until the live checker has shown its answer to the form it led to."""
    action()
    expect(page.get_by_test_id("live-findings")).to_have_attribute("aria-busy", "true")
    expect(page.get_by_test_id("live-findings")).not_to_have_attribute("aria-busy", "true")


def test_a_value_from_the_library_waits_for_its_number_before_it_is_judged(page, live_server):
    """Picking 培训人次 fills 指标值 with its operator and unit, the caret between them: not red before a number is
    typed, fine once it is; left without a number it is marked."""
    library_rebuild()
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    sign_in(page, live_server, "staff_ggzy")
    page.goto(f"{live_server.url}/sheets/{sheet.pk}/edit/")
    quantity = group(page, "产出指标", "数量指标")

    def pick(row_count):
        quantity.get_by_test_id("add-row").click()
        row = quantity.locator("tr.indicator-row").nth(row_count)
        row.locator("textarea[name$='-name']").type("pxrc")
        option = page.get_by_test_id("suggest-box").locator(".suggest-item", has_text="培训人次")
        checked(page, option.click)
        return row, row.locator("textarea[name$='-target_value']")

    rows = quantity.locator("tr.indicator-row").count()
    row, value = pick(rows)
    expect(value).to_have_value("≥人次")
    expect(value).to_be_focused()
    expect(value).not_to_have_attribute("aria-invalid", "true")
    expect(row.get_by_test_id("row-findings")).to_be_empty()
    expect(page.get_by_test_id("live-findings")).not_to_contain_text("培训人次")
    screenshot(page, "library", "editor-template-value")
    checked(page, lambda: page.keyboard.type("200"))
    expect(value).to_have_value("≥200人次")
    expect(value).not_to_have_attribute("aria-invalid", "true")

    row, value = pick(rows + 1)
    checked(page, lambda: page.get_by_test_id("live-findings").click())  # leaves 指标值 without a number
    expect(value).to_have_value("≥人次")
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(row.get_by_test_id("row-findings")).not_to_be_empty()


def test_rows_drag_across_groups_and_the_checker_marks_the_field(page, live_server):
    library_rebuild()
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    sign_in(page, live_server, "staff_ggzy")
    page.goto(f"{live_server.url}/sheets/{sheet.pk}/edit/")
    quantity, quality = group(page, "产出指标", "数量指标"), group(page, "产出指标", "质量指标")
    moved = quantity.locator("tr.indicator-row").first
    moved_name = moved.locator("textarea[name$='-name']").input_value()
    moved.locator(".drag-handle").scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, 200)")
    handle = moved.locator(".drag-handle").bounding_box()
    target = quality.locator("tr.indicator-row").last.bounding_box()
    assert target["y"] + target["height"] < 900
    page.mouse.move(handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2)
    page.mouse.down()
    page.mouse.move(handle["x"] + 5, target["y"] + target["height"] - 4, steps=12)
    page.mouse.up()
    dropped = quality.locator("tr.indicator-row", has=page.locator(f"textarea[name$='-name']:text-is('{moved_name}')"))
    expect(dropped).to_have_count(1)
    expect(dropped.locator("input[name$='-subcategory']")).to_have_value("质量指标")
    # a value the checker cannot read: the field is marked and the finding sits beside its row
    value = dropped.locator("textarea[name$='-target_value']")
    value.fill("很多很多")
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(dropped.get_by_test_id("row-findings")).to_contain_text("无法识别")
    # ↑ moves the first row of 质量指标 into 数量指标 (keyboard/button fallback)
    first_quality = quality.locator("tr.indicator-row").first
    first_name = first_quality.locator("textarea[name$='-name']").input_value()
    first_quality.locator(".move-up").click()
    expect(quantity.locator("tr.indicator-row").last.locator("input[name$='-subcategory']")).to_have_value("数量指标")
    expect(quantity.locator("tr.indicator-row").last.locator("textarea[name$='-name']")).to_have_value(first_name)
    screenshot(page, "library", "editor-desktop")


def touch_drag(page, start, end, steps=12):
    """A finger on ``start`` moved to ``end`` and lifted, as the phone's touch screen sends it (CDP touch events,
    which Chromium turns into pointer events of type "touch")."""
    cdp = page.context.new_cdp_session(page)

    def touch(kind, x, y):
        points = [] if kind == "touchEnd" else [{"x": x, "y": y}]
        cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

    touch("touchStart", *start)
    for n in range(1, steps + 1):
        touch("touchMove", start[0] + (end[0] - start[0]) * n / steps, start[1] + (end[1] - start[1]) * n / steps)
    touch("touchEnd", *end)


def test_a_row_dragged_with_a_finger_on_a_phone_lands_in_the_other_group_and_saves(phone, live_server):
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    page = phone
    sign_in(page, live_server, "staff_ggzy")
    page.goto(f"{live_server.url}/sheets/{sheet.pk}/edit/")
    quantity, quality = group(page, "产出指标", "数量指标"), group(page, "产出指标", "质量指标")
    moved = quantity.locator("tr.indicator-row").first
    moved_name = moved.locator("textarea[name$='-name']").input_value()
    moved.locator(".drag-handle").scroll_into_view_if_needed()
    handle = moved.locator(".drag-handle").bounding_box()
    target = quality.locator("tr.indicator-row").first.bounding_box()
    assert target["y"] + 40 < 844, "the target row must be on screen for a finger to reach it"
    scroll_before = page.evaluate("window.scrollY")

    touch_drag(
        page, (handle["x"] + handle["width"] / 2, handle["y"] + handle["height"] / 2),
        (handle["x"] + handle["width"] / 2, target["y"] + 30),
    )

    dropped = quality.locator("tr.indicator-row", has=page.locator(f"textarea[name$='-name']:text-is('{moved_name}')"))
    expect(dropped).to_have_count(1)
    expect(dropped.locator("input[name$='-subcategory']")).to_have_value("质量指标")
    assert page.evaluate("window.scrollY") == scroll_before  # the finger dragged the row, not the page
    screenshot(page, "library", "editor-phone-touch-drag")
    page.get_by_role("button", name="保存").first.click()
    expect(page.locator(".messages, .alert, [role=status]").first).to_be_visible()
    assert sheet.indicators.get(name=moved_name).subcategory == "质量指标"


def test_the_library_page_on_desktop_and_phone(page, phone, live_server):
    library_rebuild()
    sign_in(page, live_server, "finance")
    page.goto(f"{live_server.url}/library/")
    expect(page.get_by_test_id("library-group").first).to_be_visible()
    screenshot(page, "library", "page-desktop")
    page.fill("input[name=q]", "zjzxl")
    page.get_by_role("button", name="查找").click()
    expect(page.get_by_test_id("library-entry")).to_have_count(1)
    expect(page.get_by_test_id("library-entry")).to_contain_text("资金执行率")
    page.get_by_role("link", name="资金执行率").click()
    expect(page.get_by_test_id("curation")).to_be_visible()
    screenshot(page, "library", "entry-desktop")
    sign_in(phone, live_server, "staff_ggzy")
    phone.goto(f"{live_server.url}/library/?category=产出指标")
    assert phone.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    screenshot(phone, "library", "page-390")
