"""/agencies/<code>/spending/?year=2024: every published sheet of the agency against its plan, for its leaders,
finance reviewers and admins."""

from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth import get_user_model

from spending import services as spending

URL = "/agencies/489001/spending/?year=2024"


@pytest.fixture
def sheets(org, make_sheet, publish):
    on_plan = publish(make_sheet(title="按计划支出", budget="10.00"))
    lagging = publish(make_sheet(title="支出滞后", budget="20.00"))
    june = org.year.checkpoints.get(date="2024-06-30")
    spending.spend_report_record(sheet=on_plan, checkpoint=june, amount="5.00", user=org.owner)
    spending.spend_report_record(sheet=lagging, checkpoint=june, amount="6.00", explanation="合同未签", user=org.owner)
    make_sheet(title="尚未公开")
    return on_plan, lagging


def test_anonymous_is_sent_to_login(client, org):
    response = client.get(URL)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("who", ["leader", "finance"])
def test_the_agencys_leader_and_finance_reviewer_see_every_published_sheet_coloured(client, org, sheets, who):
    on_plan, lagging = sheets
    client.force_login(getattr(org, who))

    with time_machine.travel("2024-07-02 10:00 +0800", tick=False):
        response = client.get(URL)

    page = response.content.decode()
    assert response.status_code == 200
    assert "单位执行进度：489001测试县行政审批局本级" in page
    assert "按计划支出" in page and "支出滞后" in page and "尚未公开" not in page
    assert f'<tr data-sheet="{lagging.pk}">' in page
    assert page.count('data-level="red"') >= 1  # 支出滞后: 30% of a 50% plan
    assert "预算合计 30.00 万元" in page and 'data-testid="spend-chart"' in page


def test_an_admin_sees_it_too(client, org, sheets):
    admin = get_user_model().objects.create_superuser("spend_admin", "spend_admin@example.gov.cn", "pw")
    client.force_login(admin)
    assert client.get(URL).status_code == 200


@pytest.mark.parametrize("who", ["owner", "head", "colleague", "outsider", "outsider_leader"])
def test_section_people_and_other_agencies_are_refused(client, org, sheets, who):
    client.force_login(getattr(org, who))
    assert client.get(URL).status_code == 403


def test_an_unknown_agency_is_not_found(client, org):
    client.force_login(org.leader)
    assert client.get("/agencies/000000/spending/").status_code == 404


def test_a_year_without_published_sheets_says_so(client, org, sheets):
    client.force_login(org.leader)
    assert "2023年暂无已公开的绩效目标表。" in client.get("/agencies/489001/spending/?year=2023").content.decode()


def test_the_dashboard_opens_on_the_latest_year_with_published_sheets(client, org, sheets, make_sheet):
    """2025's sheets are drafts (being prepared): the dashboard opens on 2024, whose sheets are published."""
    from projects.models import FiscalYear, TargetSheet

    draft = make_sheet(title="明年草稿")
    TargetSheet.objects.filter(pk=draft.pk).update(fiscal_year=FiscalYear.get_or_create_with_defaults(2025))
    client.force_login(org.leader)

    page = client.get("/agencies/489001/spending/").content.decode()

    assert '<option value="2024" selected>2024年</option>' in page and "按计划支出" in page
    assert "暂无已公开的绩效目标表" not in page


def test_the_weighted_total_of_the_agency(org, sheets):
    data = spending.agency_spending(agency=org.agency, year=2024)
    assert data.totals[1].actual == Decimal("36.67")  # (5 + 6) / 30
