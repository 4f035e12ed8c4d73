"""目标调整 in Chromium: the section's 经办人 opens an adjustment of a published sheet at desktop size and submits it,
its reason and diff in view; the leader approves it on a phone (390 px, WeCom's user agent). Screenshots."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from projects.models import TargetSheet
from tests.e2e.conftest import _close, _open_page, sign_in
from tests.support import drive
from workflow import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

WXWORK_UA = (
    "Mozilla/5.0 (Linux; Android 13; V2185A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 wxwork/4.1.22 MicroMessenger/7.0.1 Language/zh ColorScheme/Light"
)
REASON = "年中追加交易场次，调整预算与数量指标。"


def test_staff_open_an_adjustment_at_desktop_and_the_leader_approves_it_on_the_phone(request, browser, page, live_server, shot):
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["staff_ggzy", "head_ggzy", "leader", "finance"])}
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    drive(sheet, ("submit", users["staff_ggzy"]), ("approve", users["head_ggzy"]), ("approve", users["leader"]), ("approve", users["finance"]))
    budget = sheet.budget_total + Decimal("1.00")

    sign_in(page, live_server, "staff_ggzy")
    page.goto(f"{live_server.url}/sheets/{sheet.pk}/")
    expect(page.get_by_test_id("versions")).to_contain_text("现行版本")
    shot(page, "01-published-sheet")
    page.get_by_test_id("adjustment-new").click()
    page.get_by_test_id("adjustment-reason-input").fill(REASON)
    page.get_by_test_id("adjustment-budget-input").fill(str(budget))
    shot(page, "02-adjustment-form")
    page.get_by_role("button", name="发起目标调整").click()
    adjustment = TargetSheet.documents.get(revises=sheet)
    expect(page).to_have_url(re.compile(rf"/sheets/{adjustment.pk}/edit/$"))
    expect(page.get_by_test_id("adjustment-diff")).to_contain_text(f"{budget}")
    # the diff follows the typing, before any save: the changed value is marked and says the value in force
    # the new budget: 预算数 and its 财政资金 differ from the version in force
    expect(page.get_by_test_id("live-diff-count")).to_contain_text("2 处不同于现行版本")
    expect(page.locator("input[name='sheet-budget_total']")).to_have_class(re.compile("changed-from-in-force"))
    value = page.locator("tr.indicator-row [name$='-target_value']").first
    in_force_value = value.input_value()
    value.fill("≥9999件")
    expect(value).to_have_class(re.compile("changed-from-in-force"))
    expect(value).to_have_attribute("title", f"现行版本：{in_force_value}")
    expect(page.get_by_test_id("live-diff-count")).to_contain_text("3 处不同于现行版本")
    shot(page, "03-editor-with-diff")
    value.fill(in_force_value)  # typed back: the mark goes, and nothing unsaved is left to leave behind
    expect(value).not_to_have_class(re.compile("changed-from-in-force"))
    expect(page.get_by_test_id("live-diff-count")).to_contain_text("2 处不同于现行版本")
    page.goto(f"{live_server.url}/sheets/{adjustment.pk}/")
    page.get_by_role("button", name="提交审核").click()
    expect(page.get_by_test_id("sheet-state")).to_have_text("科室审核")
    shot(page, "04-submitted")
    services.document_approve(document=TargetSheet.documents.get(pk=adjustment.pk), user=users["head_ggzy"])

    context, phone = _open_page(
        request, browser, viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True, has_touch=True,
        user_agent=WXWORK_UA,
    )
    try:
        sign_in(phone, live_server, "leader")
        phone.goto(f"{live_server.url}/sheets/{adjustment.pk}/")
        expect(phone.get_by_test_id("sheet-state")).to_have_text("局领导审批")
        expect(phone.get_by_test_id("adjustment-reason")).to_contain_text(REASON)
        expect(phone.get_by_test_id("adjustment-diff")).to_be_visible()
        shot(phone, "05-leader-phone")
        approve = phone.get_by_test_id("approve")
        approve.scroll_into_view_if_needed()
        approve.tap()
        expect(phone.locator(".messages")).to_contain_text("已通过")
        shot(phone, "06-leader-approved")
    finally:
        _close(request, context, phone)
    adjustment.refresh_from_db()
    assert adjustment.state == "finance_review"
    sheet.refresh_from_db()
    assert sheet.budget_total == budget - Decimal("1.00")  # in force unchanged until finance approves
