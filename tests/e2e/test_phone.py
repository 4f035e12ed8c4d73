"""The bureau leader approves from a phone-width screen (WeCom's in-app browser)."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from projects.models import TargetSheet
from tests.e2e.conftest import sign_in
from workflow import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "公共资源交易中心经费"


def horizontal_overflow(page) -> int:
    """How many CSS pixels the page itself is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_leader_approves_on_a_phone(phone, live_server, shot):
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["staff_ggzy", "head_ggzy"])}
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    services.document_submit(document=sheet, user=users["staff_ggzy"])
    services.document_approve(document=sheet, user=users["head_ggzy"])
    sheet.refresh_from_db()
    assert sheet.state == "leader_review"

    page = phone
    sign_in(page, live_server, "leader")
    assert page.evaluate("window.innerWidth") == 390
    expect(page.get_by_test_id("task").filter(has_text=TITLE)).to_be_visible()
    assert horizontal_overflow(page) <= 0
    shot(page, "01-inbox")

    page.get_by_test_id("task").get_by_role("link", name=TITLE, exact=True).click()
    expect(page.get_by_test_id("sheet-state")).to_have_text("局领导审批")
    assert horizontal_overflow(page) <= 0, "the sheet page scrolls sideways on a phone"

    approve = page.get_by_test_id("approve")
    approve.scroll_into_view_if_needed()
    expect(approve).to_be_visible()
    expect(approve).to_be_in_viewport()
    box = approve.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    assert page.evaluate("window.scrollX") == 0
    shot(page, "02-review")

    page.get_by_test_id("open-approve-comment").tap()
    page.get_by_test_id("approve-sheet").locator("textarea[name=comment]").fill("同意")
    approve.tap()
    expect(page.locator(".messages")).to_contain_text("已通过，转下一步审核。")
    expect(page.get_by_test_id("inbox-empty")).to_be_visible()  # the leader's 待办 is done
    assert horizontal_overflow(page) <= 0
    shot(page, "03-approved")

    sheet.refresh_from_db()
    assert sheet.state == "finance_review"
    assert sheet.events.order_by("-created", "-id").first().comment == "同意"


def test_the_sheet_list_pages_on_a_phone(phone, live_server, shot):
    """390 px: the page links of /sheets/ are on screen, tappable, and walk the leader's 9 sheets 4 at a time."""
    page = phone
    sign_in(page, live_server, "leader")
    page.goto(f"{live_server.url}/sheets/?size=4")
    pager = page.get_by_test_id("pager")
    expect(pager).to_be_visible()
    seen = []
    for expected_rows in (4, 4, 1):
        expect(page.get_by_test_id("sheet-list").locator("tbody tr")).to_have_count(expected_rows)
        seen += page.get_by_test_id("sheet-list").locator("tbody tr td:nth-child(2)").all_inner_texts()
        links = page.get_by_test_id("pager").get_by_role("link")
        for index in range(links.count()):
            box = links.nth(index).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["height"] >= 36, box
        assert horizontal_overflow(page) <= 0
        if expected_rows == 4:
            page.get_by_role("link", name="下一页").click()
    shot(page, "pager-last-page")
    assert len(set(seen)) == 9
    expect(page.get_by_role("link", name="下一页")).to_have_count(0)
    page.get_by_role("link", name="上一页").click()
    expect(page.get_by_test_id("sheet-list").locator("tbody tr")).to_have_count(4)
