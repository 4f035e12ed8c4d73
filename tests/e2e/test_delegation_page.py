"""委托 in a real browser: 张建国 (leader) going on leave delegates to 刘洋 (leader2 is a 局领导 already: the delegate here
is 李强, 科室负责人 of 公共资源交易中心) on the 委托 page, at desktop size and on a 390 px phone; the delegate then
sees the leader's step in 待办 and approves, recorded as 李强 代 张建国."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def horizontal_overflow(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def test_the_leader_delegates_on_the_page_and_the_delegate_approves(page, phone, live_server, shot):
    from projects.models import TargetSheet
    from django.contrib.auth import get_user_model
    from workflow import services

    User = get_user_model()
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    services.document_submit(document=sheet, user=User.objects.get(username="staff_ggzy"))
    services.document_approve(document=sheet, user=User.objects.get(username="head_ggzy"))

    sign_in(page, live_server, "leader")
    page.get_by_test_id("nav-delegations").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("委托")
    form = page.get_by_test_id("delegation-form")
    delegate = form.get_by_label("受托人")
    delegate.click()
    delegate.press_sequentially("孙磊")  # searched, never listed: the type-ahead offers the agency's people only
    option = form.get_by_role("option", name="孙磊（head_xy）")
    expect(option).to_be_visible()
    expect(form.get_by_role("option")).to_have_count(1)
    shot(page, "00-delegate-typeahead")
    option.click()
    expect(delegate).to_have_value("孙磊（head_xy）")
    today = timezone.localdate()
    form.get_by_label("开始日期").fill(f"{today:%Y-%m-%d}")
    form.get_by_label("结束日期（含当天）").fill(f"{today + datetime.timedelta(days=4):%Y-%m-%d}")
    form.get_by_label("委托原因").fill("休假期间由孙磊代为审批")
    form.get_by_role("button", name="设置委托").click()
    expect(page.locator(".messages")).to_contain_text("已设置委托：孙磊 代 张建国")
    expect(page.get_by_test_id("delegation").first).to_contain_text("生效中")
    shot(page, "01-desktop")

    sign_in(phone, live_server, "leader")
    phone.goto(f"{live_server.url}/people/delegations/")
    expect(phone.get_by_test_id("delegation").first).to_contain_text("孙磊 代 张建国")
    assert horizontal_overflow(phone) <= 0
    shot(phone, "02-phone")

    # the delegate finds the leader's step in 待办 and approves it
    phone.context.clear_cookies()
    sign_in(phone, live_server, "head_xy")
    phone.goto(f"{live_server.url}/sheets/{sheet.pk}/")
    phone.get_by_role("button", name="通过").first.click()
    expect(phone.locator(".messages")).to_contain_text("已通过")
    phone.goto(f"{live_server.url}/sheets/{sheet.pk}/")
    expect(phone.get_by_test_id("history")).to_contain_text("孙磊 代 张建国")
    shot(phone, "03-approved-by-the-delegate")
