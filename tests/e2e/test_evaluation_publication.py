"""A self-evaluation from draft to the public page in Chromium, at desktop width and at 390 px: the 经办人 fills and
submits it, the 科室负责人 returns it with a comment, the 经办人 revises and resubmits, the 科室负责人, the 局领导 and
finance approve (finance's 通过并公开 asks first); the 局领导 reads the agency's view; an anonymous visitor finds the
self-evaluation on the agency's public page and opens its table; next year's sheet rolled over from it shows last
year's actual values and scores in the editor. No page scrolls sideways on a phone."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in, sign_out
from tests.e2e.test_evaluation_form import fill, published_evaluation

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def approve(page, live_server, username, evaluation, *, shot=None, step=""):
    sign_in(page, live_server, username)
    page.goto(f"{live_server.url}/evaluations/{evaluation.pk}/")
    if shot:
        shot(page, step)
    page.get_by_test_id("approve").click()
    expect(page.locator(".messages")).to_contain_text("已通过")
    sign_out(page)


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_a_self_evaluation_from_draft_to_the_public_page(screen, request, live_server, shot):
    page = request.getfixturevalue(screen)
    page.on("dialog", lambda dialog: dialog.accept())  # 通过并公开 asks before it publishes
    evaluation = published_evaluation()
    url = f"{live_server.url}/evaluations/{evaluation.pk}/"

    sign_in(page, live_server, "staff_ggzy")
    page.goto(url)
    fill(page)
    page.get_by_test_id("save").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("evaluation-state")).to_have_text("科室审核")
    sign_out(page)

    sign_in(page, live_server, "head_ggzy")
    page.goto(url)
    page.get_by_label("退回意见").fill("请在存在问题中写明下一年度的风险。")
    page.get_by_test_id("return").click()
    expect(page.locator(".messages")).to_contain_text("已退回修改")
    sign_out(page)

    sign_in(page, live_server, "staff_ggzy")
    page.goto(url)
    expect(page.get_by_test_id("return-comment")).to_contain_text("下一年度的风险")
    shot(page, "01-returned")
    no_sideways_scroll(page)
    page.locator("textarea[name=problems]").fill("下一年度进场项目增加，场地紧张。")
    page.get_by_test_id("save").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    page.locator("textarea[name=comment]").fill("已补充存在问题。")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("evaluation-state")).to_have_text("科室审核")
    sign_out(page)

    approve(page, live_server, "head_ggzy", evaluation)
    approve(page, live_server, "leader", evaluation)
    approve(page, live_server, "finance", evaluation, shot=shot, step="02-finance")

    sign_in(page, live_server, "leader")
    page.goto(f"{live_server.url}/agencies/483001/2024/evaluations/")
    expect(page.get_by_test_id("agency-average")).to_have_text("100.00")
    expect(page.get_by_test_id("agency-row").filter(has_text="公共资源交易中心经费")).to_contain_text("已公开")
    no_sideways_scroll(page)
    shot(page, "03-agency-view")
    sign_out(page)

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/public/agencies/483001/2024/")
    row = page.get_by_test_id("public-evaluation-row").filter(has_text="公共资源交易中心经费")
    expect(row).to_contain_text("100.00")
    expect(row).to_contain_text("优")
    no_sideways_scroll(page)
    shot(page, "04-public-agency")
    row.get_by_test_id("public-evaluation-link").click()
    expect(page.get_by_test_id("public-grade")).to_have_text("优")
    shown = page.get_by_test_id("evaluation-table" if screen == "page" else "evaluation-phone")
    expect(shown).to_contain_text("下一年度进场项目增加，场地紧张。")
    no_sideways_scroll(page)
    shot(page, "05-public-table")

    # 由上年结转: next year's draft shows last year's actual values and scores beside each indicator
    from projects.models import Agency, Section
    from sheets.rollover import sheets_rollover
    from django.contrib.auth import get_user_model

    section = Section.objects.get(pk=evaluation.section_id)
    staff = get_user_model().objects.get(username="staff_ggzy")
    created = sheets_rollover(agency=Agency.objects.get(code="483001"), from_year=2024, to_year=2025, user=staff, section=section).created
    rolled = next(sheet for sheet in created if sheet.rolled_over_from_id == evaluation.sheet_id)
    sign_in(page, live_server, "staff_ggzy")
    page.goto(f"{live_server.url}/sheets/{rolled.pk}/edit/")
    expect(page.get_by_test_id("last-year-evaluation")).to_contain_text("总分 100.00（优）")
    expect(page.get_by_test_id("last-result").first).to_contain_text("2024年实际 150件，得分 12.50 / 12.50")
    no_sideways_scroll(page)
    shot(page, "06-rollover-editor")


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_department_goals_from_the_leader_to_publication(screen, request, live_server, shot):
    """The leader writes next year's 部门整体绩效目标 and submits them; finance approves, which publishes them."""
    page = request.getfixturevalue(screen)
    page.on("dialog", lambda dialog: dialog.accept())
    from projects.models import FiscalYear

    FiscalYear.get_or_create_with_defaults(2025)
    url = f"{live_server.url}/goals/483001/2025/"
    sign_in(page, live_server, "leader")
    page.goto(url)
    page.locator("textarea[name=overall]").fill("持续提升政务服务效能，群众满意度不低于98%。")
    page.locator("textarea[name=itemized]").fill("办件量不少于十万件。\n按时办结率不低于99%。")
    page.get_by_test_id("goals-save").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    expect(page.get_by_test_id("goals-state")).to_have_text("草稿")
    shot(page, "01-leader-draft")
    no_sideways_scroll(page)
    page.get_by_test_id("goals-submit").click()
    expect(page.get_by_test_id("goals-state")).to_have_text("财政审核")
    sign_out(page)
    sign_in(page, live_server, "finance")
    page.goto(url)
    shot(page, "02-finance-review")
    no_sideways_scroll(page)
    page.get_by_test_id("goals-approve").click()
    expect(page.get_by_test_id("goals-state")).to_have_text("已公开")
    expect(page.get_by_test_id("goals-text")).to_contain_text("按时办结率不低于99%。")
    shot(page, "03-published")


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_finance_sets_the_publication_date_on_the_agency_view(screen, request, live_server, shot):
    import datetime

    from django.utils import timezone

    page = request.getfixturevalue(screen)
    later = timezone.localdate() + datetime.timedelta(days=60)
    sign_in(page, live_server, "finance")
    page.goto(f"{live_server.url}/agencies/483001/2024/evaluations/")
    page.get_by_test_id("public-from").fill(later.isoformat())
    page.get_by_test_id("set-publication").click()
    expect(page.locator(".messages")).to_contain_text(f"已设置公开日期 {later:%Y-%m-%d}")
    expect(page.get_by_test_id("publication-pending")).to_contain_text(f"{later:%Y-%m-%d}")
    no_sideways_scroll(page)
    shot(page, "01-date-set")
