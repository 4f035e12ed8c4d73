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


# ---------------------------------------------------------------- issue 24: bounded by the page it shows


def _many(org, make_sheet, n, *, start=0):
    """``n`` published sheets with budgets, plans and reports of every kind (on plan, behind, a half-cent tie, none)."""
    from projects.models import SheetState, SpendPlan, TargetSheet
    from spending.models import SpendReport

    checkpoints = list(org.year.checkpoints.order_by("date"))
    made = []
    for k in range(start, start + n):
        budget = ["400.00", "10.00", "33.00", "0.00", "7.77"][k % 5]
        sheet = make_sheet(title=f"批量{k:03d}", budget=budget)
        TargetSheet.objects.filter(pk=sheet.pk).update(state=SheetState.PUBLISHED)
        if k % 3 == 0:  # a plan of its own at the first two checkpoints
            SpendPlan.objects.filter(sheet=sheet, checkpoint=checkpoints[0]).update(cumulative_percent=Decimal("49.99"))
            SpendPlan.objects.filter(sheet=sheet, checkpoint=checkpoints[1]).update(cumulative_percent=Decimal("60.00"))
        amounts = {0: ["199.94", "5.00", "10.00", "0.00", "1.11"][k % 5], 1: ["250.00", "5.00", "29.00", "0.00", "7.77"][k % 5]}
        for index, amount in amounts.items():
            if k % 4 != 1 or index == 0:  # some sheets never report the second checkpoint
                SpendReport.objects.create(sheet=sheet, checkpoint=checkpoints[index], amount=Decimal(amount), reported_at="2024-07-01T00:00Z")
        made.append(sheet)
    return made


def _reckoned_sheet_by_sheet(org, today):
    """The totals as the dashboard reckoned them before issue 24: every sheet read, then summed in Python."""
    from projects.models import Checkpoint

    checkpoints = list(Checkpoint.objects.filter(fiscal_year=org.year).order_by("date"))
    rows = [spending.sheet_spending(sheet=s, today=today) for s in spending.agency_sheets(agency=org.agency, year=2024)]
    sheets = list(spending.agency_sheets(agency=org.agency, year=2024))
    budget = sum((s.budget_total for s in sheets), Decimal(0))
    totals = []
    for index, checkpoint in enumerate(checkpoints):
        points = [row[index] for row in rows]
        planned_amount = sum((s.budget_total * p.planned / 100 for s, p in zip(sheets, points)), Decimal(0))
        actual_amount = sum((p.report.amount for p in points if p.report is not None), Decimal(0))
        planned = (planned_amount / budget * 100).quantize(spending.CENT) if budget else Decimal(0)
        actual = (actual_amount / budget * 100).quantize(spending.CENT) if budget else Decimal(0)
        due = checkpoint.date < today or any(p.report is not None for p in points)
        counts = {level: sum(1 for p in points if p.level == level) for level in (spending.GREEN, spending.YELLOW, spending.RED, spending.NOT_DUE)}
        totals.append((planned, actual if due else None, spending.level_for(planned=planned, actual=actual) if due else spending.NOT_DUE,
                       sum(1 for p in points if p.missing), counts))
    return budget, totals


@pytest.mark.parametrize("today", ["2024-05-01", "2024-07-02", "2024-12-31"])
def test_the_totals_by_aggregate_are_the_sheet_by_sheet_reckoning(org, make_sheet, today):
    import datetime

    _many(org, make_sheet, 20)
    day = datetime.date.fromisoformat(today)
    data = spending.agency_spending(agency=org.agency, year=2024, today=day)
    budget, expected = _reckoned_sheet_by_sheet(org, day)
    assert (data.budget_total, data.sheet_count) == (budget, 20)
    assert [(t.planned, t.actual, t.level, t.missing, t.counts) for t in data.totals] == expected
    assert expected[0][4][spending.YELLOW] > 0  # the half-cent tie (49.985% → 49.98%) is behind a 49.99% plan
    # the SQLite demo's path gives the same sums
    python = spending._checkpoint_sums_python(agency=org.agency, year=2024, today=day)
    assert python == spending._checkpoint_sums_sql(agency=org.agency, year=2024, today=day)


def test_the_table_pages_and_a_page_reads_only_its_rows(client, org, make_sheet, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    sheets = _many(org, make_sheet, 12)
    client.force_login(org.leader)
    url = URL + "&size=5&page=2"
    with time_machine.travel("2024-07-02 10:00 +0800", tick=False):
        with CaptureQueriesContext(connection) as small:
            page = client.get(url).content.decode()
        shown = [s for s in sheets if f'<tr data-sheet="{s.pk}">' in page]
        assert shown == sheets[5:10] and "第 2 / 3 页" in page and "已公开 12 张绩效目标表" in page
        _many(org, make_sheet, 30, start=12)
        with CaptureQueriesContext(connection) as big:
            page = client.get(url).content.decode()
    assert "第 2 / 9 页" in page and "已公开 42 张绩效目标表" in page
    assert len(big.captured_queries) == len(small.captured_queries)  # the same statements for 42 sheets as for 12
    rows_read = [q["sql"] for q in big.captured_queries if 'FROM "projects_targetsheet"' in q["sql"] and "LIMIT 5" in q["sql"]]
    assert rows_read  # the table's sheets are read a page at a time
