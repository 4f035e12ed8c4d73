"""A section's 经办人 fills a self-evaluation in Chromium, at desktop width and at 390 px: the scores follow the values as
they are typed, saving scores it on the server, and the page never scrolls sideways on a phone."""

import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from evaluations import services as evaluation_services
from projects.models import TargetSheet
from tests.e2e.conftest import sign_in
from workflow import services

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def published_evaluation():
    users = {u.username: u for u in get_user_model().objects.filter(username__in=["staff_ggzy", "head_ggzy", "leader", "finance"])}
    sheet = TargetSheet.objects.get(position=3, fiscal_year__year=2024)
    services.document_submit(document=sheet, user=users["staff_ggzy"])
    services.document_approve(document=sheet, user=users["head_ggzy"])
    services.document_approve(document=sheet, user=users["leader"])
    services.document_approve(document=sheet, user=users["finance"])
    return evaluation_services.evaluation_create(sheet=sheet, user=users["staff_ggzy"])


def fill(page):
    """Every quantitative row reaches its target; every qualitative row is 达成 with its full weight."""
    rows = page.get_by_test_id("eval-row")
    for index in range(rows.count()):
        row = rows.nth(index)
        weight = row.locator("[data-weight]").input_value()
        if row.locator("[data-actual]").count():
            target = row.get_attribute("data-target")
            row.locator("[data-actual]").fill(re.sub(r"^[≥≤<>=]+", "", target))
            expect(row.get_by_test_id("row-how")).to_contain_text("得满分")
        else:
            row.locator("[data-level]").select_option("达成")
            row.locator("[data-score]").fill(weight)
            expect(row.get_by_test_id("row-how")).to_contain_text("评价人打分")
    page.get_by_test_id("spent").fill(page.locator("[data-adjusted]").get_attribute("data-adjusted"))
    page.get_by_test_id("conclusion").fill("全面完成年度目标。")
    page.locator("textarea[name=problems]").fill("无。")
    page.locator("textarea[name=improvements]").fill("保持。")


@pytest.mark.parametrize("screen", ["page", "phone"])
def test_fill_a_self_evaluation(screen, request, live_server, shot):
    page = request.getfixturevalue(screen)
    evaluation = published_evaluation()
    sign_in(page, live_server, "staff_ggzy")
    page.goto(f"{live_server.url}/evaluations/{evaluation.pk}/")
    expect(page.get_by_test_id("evaluation-state")).to_have_text("草稿")
    shot(page, f"{screen}-01-prefilled")
    fill(page)
    expect(page.get_by_test_id("eval-total")).to_have_text("100.00")  # the live preview, before saving
    expect(page.get_by_test_id("eval-grade")).to_have_text("优")
    page.get_by_test_id("save").click()
    expect(page.locator(".messages")).to_contain_text("已保存")
    expect(page.get_by_test_id("eval-total")).to_have_text("100.00")  # the server's
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    shot(page, f"{screen}-02-scored")
    page.get_by_test_id("submit").click()
    expect(page.get_by_test_id("evaluation-state")).to_have_text("科室审核")
    shot(page, f"{screen}-03-submitted")
