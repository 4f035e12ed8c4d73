"""Finance returns a one-cell fix straight back to itself on a phone (390 px): the drafter fixes and resubmits, the
resubmission lands in finance's 待办 (the section head and the leader are not asked again), finance approves it; the
drafter's 催办 button and who holds the step by name are on the page."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from projects.models import TargetSheet
from tests.e2e.conftest import sign_in, sign_out
from workflow import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TITLE = "公共资源交易中心经费"


def test_finance_returns_straight_back_and_approves_the_fix(phone, live_server, shot):
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["staff_ggzy", "head_ggzy", "leader"])}
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    services.document_submit(document=sheet, user=users["staff_ggzy"])
    services.document_approve(document=sheet, user=users["head_ggzy"])
    page = phone
    sign_in(page, live_server, "staff_ggzy")
    page.goto(f"{live_server.url}/sheets/{sheet.pk}/")
    expect(page.get_by_test_id("summary-holder")).to_contain_text("张建国、刘洋")
    shot(page, "01-drafter-waits-names-and-urge")
    page.get_by_test_id("urge").tap()
    expect(page.locator(".messages")).to_contain_text("已催办“局领导审批”")
    sign_out(page)
    services.document_approve(document=sheet, user=users["leader"])

    sign_in(page, live_server, "finance")
    page.goto(f"{live_server.url}/sheets/{sheet.pk}/")
    page.get_by_test_id("open-return").tap()
    expect(page.get_by_test_id("resume-choice")).to_be_visible()
    expect(page.locator("input[name=resume][value=here]")).to_be_checked()
    page.locator("#return-comment-box").fill("第3行指标值依据请补充")
    shot(page, "02-finance-returns-straight-back")
    page.get_by_test_id("return").tap()
    expect(page.locator(".messages")).to_contain_text("已退回修改")
    sign_out(page)

    sheet.refresh_from_db()
    services.document_submit(document=sheet, user=users["staff_ggzy"], comment="已补充依据")
    sheet.refresh_from_db()
    assert sheet.state == "finance_review"

    sign_in(page, live_server, "finance")  # lands on 待办: the fix is there, nobody else was asked
    page.get_by_test_id("task").get_by_role("link", name=TITLE, exact=True).tap()  # tap 1
    shot(page, "03-fix-in-finance-review")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("approve").tap()  # tap 2 (the page asks to confirm the publication)
    expect(page.locator(".messages")).to_contain_text("已公开")
    shot(page, "04-published")
    sheet.refresh_from_db()
    assert sheet.state == "published"
    assert [e.action for e in sheet.events.order_by("created", "id")][-3:] == ["return", "submit", "publish"]
