"""A section's 经办人 fills a monitoring report in Chromium, at desktop width and at 390 px: started from the sheet's
运行监控 page, saved, each indicator's light shown with its formula and numbers, submitted; the page never scrolls
sideways on a phone. The year runs 山西's rules on the current points (a copy of the default pack, as the finance
bureau makes one in the admin)."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from playwright.sync_api import expect

from monitoring import services as monitoring
from monitoring.models import RulePack
from projects.models import TargetSheet
from spending.models import SpendReport
from tests.e2e.conftest import sign_in
from workflow import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def published_sheet():
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["staff_ggzy", "head_ggzy", "leader", "finance"])}
    default, shanxi = RulePack.objects.get(code="default"), RulePack.objects.get(code="shanxi")
    copy = monitoring.rule_pack_copy(pack=default)
    for name in ("spending_rule", "spending_thresholds", "attainment_rule", "attainment_thresholds", "reason_colours"):
        setattr(copy, name, getattr(shanxi, name))
    copy.save()
    monitoring.year_pack_use(year=2024, code=copy.code)
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    services.document_submit(document=sheet, user=users["staff_ggzy"])
    services.document_approve(document=sheet, user=users["head_ggzy"])
    services.document_approve(document=sheet, user=users["leader"])
    services.document_approve(document=sheet, user=users["finance"])
    june = sheet.fiscal_year.checkpoints.get(date=datetime.date(2024, 6, 30))
    SpendReport.objects.create(sheet=sheet, checkpoint=june, amount=sheet.budget_total / 2, reported_by=users["staff_ggzy"],
                               reported_at=timezone.now())
    return sheet


def fill(page):
    """Every quantitative row at its annual value (at the end of June: twice the standard value), every qualitative
    row 达到."""
    rows = page.get_by_test_id("report-row")
    for index in range(rows.count()):
        row = rows.nth(index)
        current = row.get_by_test_id("current")
        if current.count():
            target = row.locator("td[data-label=指标值]").inner_text().strip()
            current.fill(re.sub(r"^[≥≤<>=]+", "", target))
        else:
            row.locator("select[name$=-level]").select_option("达到")
        row.locator("select[name$=-likelihood]").select_option("certain")
        row.locator("textarea[name$=-forecast]").fill("按计划完成")


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_fill_a_monitoring_report(screen, request, live_server, shot):
    page = request.getfixturevalue(screen)
    sheet = published_sheet()
    sign_in(page, live_server, "staff_ggzy")
    page.goto(f"{live_server.url}/sheets/{sheet.pk}/")
    page.get_by_test_id("monitoring-link").get_by_role("link", name="运行监控").click()
    expect(page.get_by_test_id("monitoring-points")).to_contain_text("6月底")
    shot(page, f"{screen}-01-points")
    page.get_by_test_id("monitoring-point").nth(1).get_by_test_id("start-report").click()
    expect(page.get_by_test_id("report-state")).to_have_text("草稿")
    expect(page.get_by_test_id("spending-how")).to_contain_text("v = 50% ÷ (6/12) × 100 = 100.00")
    shot(page, f"{screen}-02-started")
    fill(page)
    page.get_by_test_id("save").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    expect(page.get_by_test_id("row-how").first).to_contain_text("标准值")
    expect(page.get_by_test_id("report-light")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, f"{screen}-03-graded")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("report-state")).to_have_text("科室审核")
    shot(page, f"{screen}-04-submitted")


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_the_county_table_for_the_leader(screen, request, live_server, shot):
    page = request.getfixturevalue(screen)
    sheet = published_sheet()
    sign_in(page, live_server, "leader")
    page.goto(f"{live_server.url}/monitoring/?year=2024&point=2024-06-30")
    row = page.get_by_test_id("county-row").filter(has_text=sheet.project.code)
    expect(row).to_contain_text("50.00%")
    expect(row).to_contain_text("绿灯")
    expect(row).to_contain_text("未填报")
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, f"{screen}-01-county")
    row.get_by_role("link", name=sheet.display_title).click()
    expect(page.get_by_test_id("monitoring-points")).to_be_visible()


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_the_spending_dashboard_and_the_agencys_word_follow_the_pack(screen, request, live_server, shot, tmp_path):
    """The year's pack grades the agency's spending dashboard (山西's v, its key under the chart); the county table
    filtered to the agency offers the agency's 绩效运行监控表 in Word, which downloads and opens."""
    import docx

    page = request.getfixturevalue(screen)
    sheet = published_sheet()
    sign_in(page, live_server, "leader")
    page.goto(f"{live_server.url}/agencies/{sheet.agency.code}/spending/?year=2024")
    caption = page.locator(".spend-chart figcaption").first
    expect(caption).to_contain_text("正常（v ≥80）")
    expect(caption).to_contain_text("红色预警（v <60；v = 执行率 ÷ (月份/12) × 100）")
    expect(page.locator(f'tr[data-sheet="{sheet.pk}"] td[data-label="6月底"]')).to_contain_text("正常")  # v = 100
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, f"{screen}-01-agency-spending")

    page.goto(f"{live_server.url}/monitoring/?year=2024&point=2024-06-30&agency={sheet.agency.code}")
    link = page.get_by_test_id("agency-docx")
    expect(link).to_have_text("导出本单位绩效运行监控表（Word）")
    shot(page, f"{screen}-02-county-agency")
    with page.expect_download() as caught:
        link.click()
    saved = tmp_path / caught.value.suggested_filename
    caught.value.save_as(saved)
    assert saved.name == f"绩效运行监控表-{sheet.agency.code}-20240630.docx"
    text = "\n".join(p.text for p in docx.Document(str(saved)).paragraphs)
    assert "项目支出绩效目标执行监控表" in text and "6月底的运行监控表尚未填报。" in text
