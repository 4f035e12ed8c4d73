"""The public pages say when each sheet was published, and the detail leads on a phone with the facts the official
table holds on a desktop: 单位, 项目编码, 预算数 and the spending plan."""

import datetime

from django.test import Client
from django.utils import timezone

from projects.models import TargetSheet


def test_the_public_list_and_detail_show_the_publication_date(people, sheet, to_state):
    to_state(sheet, "published")
    published_on = datetime.datetime(2024, 3, 31, 23, 30, tzinfo=datetime.timezone.utc)  # 1 April in 乐亭
    TargetSheet.objects.filter(pk=sheet.pk).update(state_since=published_on)
    assert timezone.localtime(published_on).date() == datetime.date(2024, 4, 1)

    page = Client().get("/public/").content.decode()
    assert "<th>公开日期</th>" in page
    assert '<td data-label="公开日期" data-testid="published-on">2024-04-01</td>' in page

    detail = Client().get(f"/public/sheets/{sheet.pk}/").content.decode()
    assert 'data-testid="published-on">2024-04-01<' in detail


def test_the_public_detail_has_a_phone_summary_with_agency_code_amount_and_plan(people, sheet, to_state):
    to_state(sheet, "published")
    page = Client().get(f"/public/sheets/{sheet.pk}/").content.decode()
    start = page.index('data-testid="public-summary"')
    summary = page[start:page.index("</section>", start)]
    assert "phone-only" in page[page.rindex("<section", 0, start):start]
    assert sheet.agency.name in summary and sheet.project.code in summary
    assert f'<strong class="amount">{sheet.budget_total}</strong> 万元' in summary
    plan = [f"{p.checkpoint.label} " for p in sheet.plan.select_related("checkpoint")]
    assert plan and all(point in summary for point in plan) and "%" in summary
