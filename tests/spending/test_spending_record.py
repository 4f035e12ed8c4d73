"""Recording spending (执行进度) and reading plan against actual: who may, which amounts, the colours."""

import datetime
from decimal import Decimal

import pytest

from spending import services as spending
from projects.models import Checkpoint, FiscalYear
from spending.models import SpendReport
from tests.refusals import refused


@pytest.fixture
def sheet(make_sheet, publish):
    return publish(make_sheet(budget="10.00"))  # plan 25 / 50 / 75 / 100 %


def june(org):
    return Checkpoint.objects.get(fiscal_year=org.year, date="2024-06-30")


def record(org, sheet, amount, explanation="", user=None, checkpoint=None):
    return spending.spend_report_record(
        sheet=sheet, checkpoint=checkpoint or june(org), amount=amount, explanation=explanation, user=user or org.owner
    )


def test_staff_record_the_cumulative_amount_and_the_percent_follows_from_the_budget(org, sheet):
    report = record(org, sheet, "5.00")
    assert (report.amount, report.actual_percent, report.reported_by) == (Decimal("5.00"), Decimal("50.00"), org.owner)


def test_a_later_report_for_the_same_checkpoint_replaces_the_figures(org, sheet):
    record(org, sheet, "4.50", explanation="采购延后")
    record(org, sheet, "6.00")
    [report] = SpendReport.objects.filter(sheet=sheet)
    assert (report.amount, report.explanation) == (Decimal("6.00"), "")


@pytest.mark.parametrize("who", ["head", "colleague", "outsider", "leader", "finance"])
def test_only_staff_of_the_sheets_section_may_record(org, sheet, who):
    with refused(403, match="只有本科室经办人可以填报执行进度。"):
        record(org, sheet, "5.00", user=getattr(org, who))
    assert not SpendReport.objects.exists()


def test_only_published_sheets(org, make_sheet):
    draft = make_sheet()
    with refused(409, match="这张表处于“草稿”状态，公开后才能填报执行进度。"):
        record(org, draft, "5.00")


@pytest.mark.parametrize("amount, message", [
    ("10.01", "累计实际支出 10.01 万元超过预算数 10 万元。"),
    ("-1", "累计实际支出不能为负数。"),
    ("五万", "累计实际支出应为数字（万元）。"),
    ("1.234", "累计实际支出最多保留两位小数（万元）。"),
])
def test_amounts_outside_zero_to_budget_are_refused(org, sheet, amount, message):
    with refused(400) as refusal:
        record(org, sheet, amount, explanation="说明")
    assert refusal.value.message == message


def test_an_explanation_is_required_when_lagging_the_plan(org, sheet):
    with refused(400, match=r"实际支出进度 45% 低于计划 50%，请填写进度说明（原因和措施）。"):
        record(org, sheet, "4.50", explanation="   ")
    assert record(org, sheet, "4.50", explanation="设备到货延迟，7 月支付").explanation == "设备到货延迟，7 月支付"
    assert record(org, sheet, "10.00").explanation == ""  # ahead of plan: none needed


def test_cumulative_amounts_cannot_go_backwards(org, sheet):
    march = Checkpoint.objects.get(fiscal_year=org.year, date="2024-03-31")
    record(org, sheet, "3.00", checkpoint=march)
    with refused(400, match="不能少于“3月底”已填报的 3 万元"):
        record(org, sheet, "2.00", explanation="说明")
    record(org, sheet, "5.00")
    with refused(400, match="不能多于“6月底”已填报的 5 万元"):
        record(org, sheet, "6.00", checkpoint=march)


def test_a_checkpoint_of_another_year_is_refused(org, sheet):
    other = FiscalYear.get_or_create_with_defaults(2025).checkpoints.first()
    with refused(400, match="不属于这张表的预算年度（2024年）"):
        record(org, sheet, "1.00", checkpoint=other)


@pytest.mark.parametrize("planned, actual, level", [
    ("50", "50", spending.GREEN), ("50", "60", spending.GREEN), ("50", "40", spending.YELLOW),
    ("50", "49.99", spending.YELLOW), ("50", "39.99", spending.RED), ("25", "0", spending.RED),
])
def test_levels(planned, actual, level):
    assert spending.level_for(planned=Decimal(planned), actual=Decimal(actual)) == level


def test_plan_against_actual_per_checkpoint(org, sheet):
    march = Checkpoint.objects.get(fiscal_year=org.year, date="2024-03-31")
    record(org, sheet, "2.00", explanation="首付款延后", checkpoint=march)  # 20% of a 25% plan
    fresh = spending.with_spending(type(sheet).objects.all()).get(pk=sheet.pk)

    points = spending.sheet_spending(sheet=fresh, today=datetime.date(2024, 7, 2))

    assert [(p.label, p.planned, p.actual, p.behind, p.level_label) for p in points] == [
        ("3月底", Decimal("25.00"), Decimal("20.00"), Decimal("5.00"), "黄色预警"),
        ("6月底", Decimal("50.00"), None, Decimal("50.00"), "未填报（红色预警）"),
        ("10月底", Decimal("75.00"), None, None, "未到期"),
        ("12月底", Decimal("100.00"), None, None, "未到期"),
    ]


def test_the_agency_totals_are_weighted_by_budget(org, make_sheet, publish):
    small = publish(make_sheet(budget="10.00"))
    large = publish(make_sheet(budget="30.00"))
    record(org, small, "5.00")  # 50%
    record(org, large, "12.00", explanation="分批支付")  # 40%

    data = spending.agency_spending(agency=org.agency, year=2024, today=datetime.date(2024, 7, 2))

    june_total = data.totals[1]
    assert data.budget_total == Decimal("40.00")
    assert (june_total.planned, june_total.actual, june_total.level) == (Decimal("50.00"), Decimal("42.50"), spending.YELLOW)
    assert june_total.counts[spending.GREEN] == 1 and june_total.counts[spending.YELLOW] == 1
    assert data.totals[0].missing == 2 and data.totals[2].level == spending.NOT_DUE
