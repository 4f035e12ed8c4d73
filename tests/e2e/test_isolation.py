"""A reviewer of another section, and an anonymous visitor, never see sheet 3 (公共资源交易中心经费)."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from projects.models import TargetSheet
from tests.e2e.conftest import sign_in
from workflow import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "公共资源交易中心经费"


@pytest.fixture
def submitted():
    """Sheet 3, submitted by its staff: waiting for 公共资源交易中心's head, not for head_xy."""
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    services.document_submit(document=sheet, user=get_user_model().objects.get(username="staff_ggzy"))
    return sheet


def test_head_of_another_section_cannot_see_the_sheet(page, live_server, shot, submitted):
    sign_in(page, live_server, "head_xy")
    expect(page.get_by_role("heading", level=1)).to_contain_text("待办")
    expect(page.locator("main")).not_to_contain_text(TITLE)
    shot(page, "01-inbox")

    page.get_by_role("link", name="绩效目标表").click()
    listing = page.get_by_test_id("sheet-list")
    expect(listing).to_contain_text("社会信用体系及放管服业务经费")  # their own section's sheet
    expect(listing.locator("tbody tr")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text(TITLE)
    shot(page, "02-sheet-list")

    for path in (f"/sheets/{submitted.pk}/", f"/sheets/{submitted.pk}/edit/"):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("没有找到这个页面")
        expect(page.locator("body")).not_to_contain_text(TITLE)
        expect(page.get_by_test_id("review-panel")).to_have_count(0)
    shot(page, "03-not-found")

    download = page.request.get(f"{live_server.url}/sheets/{submitted.pk}/export.docx")
    assert download.status == 404
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    approve = page.request.post(
        f"{live_server.url}/sheets/{submitted.pk}/approve/", headers={"X-CSRFToken": token}, max_redirects=0,
    )
    assert approve.status == 404  # a well-formed approve is refused by the object check
    submitted.refresh_from_db()
    assert submitted.state == "section_review"


def test_the_head_of_its_own_section_does_see_it(page, live_server, submitted):
    """The control for the test above: the same page works for the right reviewer."""
    sign_in(page, live_server, "head_ggzy")
    response = page.goto(f"{live_server.url}/sheets/{submitted.pk}/")
    assert response.status == 200
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_test_id("review-panel")).to_be_visible()


def test_anonymous_visitor_is_sent_to_sign_in(page, live_server, shot):
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    page.goto(f"{live_server.url}/sheets/{sheet.pk}/")
    expect(page).to_have_url(re.compile(rf"/login/\?next=/sheets/{sheet.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    expect(page.locator("body")).not_to_contain_text(TITLE)
    shot(page, "01-login")

    # Signing in from there leads back to the sheet, for someone allowed to see it.
    page.fill("input[name=username]", "staff_ggzy")
    page.fill("input[name=password]", "demo")
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(rf"/sheets/{sheet.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
