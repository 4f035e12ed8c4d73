"""Finance sets the self-evaluations' deadline on the agency's view; the 局领导 starts the 部门整体自评 there, scores the
department-wide goals and submits it; finance approves and publishes it; an anonymous visitor reads it. In Chromium at desktop width and at 390 px,
no page scrolling sideways on a phone."""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in, sign_out
from tests.e2e.test_evaluation_form import published_evaluation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page):
    """Nothing wider than the screen: no sideways scroll, and no zooming out to fit (the layout viewport is the
    screen's width)."""
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    assert page.evaluate("window.innerWidth - window.visualViewport.width") <= 0


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_the_deadline_and_the_department_wide_self_evaluation(screen, request, live_server, shot):
    page = request.getfixturevalue(screen)
    page.on("dialog", lambda dialog: dialog.accept())  # 通过并公开 asks first
    published_evaluation()  # one published sheet of 2024: the budget line counts it
    view = f"{live_server.url}/agencies/483001/2024/evaluations/"
    due = timezone.localdate() + datetime.timedelta(days=30)

    sign_in(page, live_server, "finance")
    page.goto(view)
    page.get_by_test_id("deadline-due").fill(due.isoformat())
    page.get_by_test_id("set-deadline").click()
    expect(page.locator(".messages")).to_contain_text(f"已设置自评截止日期 {due:%Y-%m-%d}")
    expect(page.get_by_test_id("deadline-shown")).to_contain_text(f"{due:%Y-%m-%d}")
    shot(page, "01-deadline")
    no_sideways_scroll(page)
    sign_out(page)

    sign_in(page, live_server, "leader")
    page.goto(view)
    page.get_by_test_id("department-start").click()
    expect(page.locator(".messages")).to_contain_text("已按部门整体绩效目标生成部门整体自评表")
    rows = page.get_by_test_id("department-row")
    for index in range(rows.count()):
        row = rows.nth(index)
        weight = row.locator("input[name$='-weight']").input_value()
        row.locator("select[name$='-level']").select_option("达成")
        row.locator("input[name$='-score']").fill(weight)
    spent = page.get_by_test_id("department-spent")
    if not spent.input_value():
        spent.fill(page.locator(".eval-budget td").nth(1).inner_text())
    page.locator("textarea[name=conclusion]").fill("部门整体目标全面完成。")
    page.locator("textarea[name=problems]").fill("个别事项办理时限偏长。")
    page.locator("textarea[name=improvements]").fill("推行一网通办。")
    page.get_by_test_id("department-save").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    expect(page.get_by_test_id("department-grade")).to_have_text("优")
    shot(page, "02-scored")
    no_sideways_scroll(page)
    submit = page.get_by_test_id("department-submit")
    submit.click()
    expect(page.get_by_test_id("department-state")).to_have_text("财政审核")
    url = page.url
    sign_out(page)

    sign_in(page, live_server, "finance")
    page.goto(url)
    page.get_by_test_id("department-approve").click()
    expect(page.get_by_test_id("department-state")).to_have_text("已公开")
    shot(page, "03-published")
    no_sideways_scroll(page)
    public_url = page.url.replace("/department-evaluations/", "/public/department-evaluations/")
    sign_out(page)
    page.goto(public_url)
    expect(page.get_by_test_id("public-department-meta")).to_contain_text("等级 优")
    shot(page, "04-public")
    no_sideways_scroll(page)
