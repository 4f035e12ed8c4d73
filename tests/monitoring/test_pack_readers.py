"""Everything that grades spending reads the year's rule pack (issue 21 item 1): the checker asks for a plan value
at every point of the pack, a new year takes the default pack's points, the warnings go out on the pack's day with
the pack's lines, and the spending pages colour by the pack. (Under the default pack the existing reminder, warning
and spending tests are today's behaviour, unchanged.)"""

from __future__ import annotations

import datetime
from decimal import Decimal

from monitoring.models import RulePack
from notifications import reminders
from notifications.models import Kind
from projects import rules
from projects.models import Checkpoint, FiscalYear, SheetState, SpendPlan, TargetSheet
from spending import services as spending

from tests.monitoring.conftest import spent

JUNE, AUGUST, DECEMBER = datetime.date(2024, 6, 30), datetime.date(2024, 8, 31), datetime.date(2024, 12, 31)


def published(make_sheet, count: int = 1, **kwargs) -> list[TargetSheet]:
    sheets = [make_sheet(**kwargs) for _ in range(count)]
    TargetSheet.objects.filter(pk__in=[s.pk for s in sheets]).update(state=SheetState.PUBLISHED)
    return [TargetSheet.objects.get(pk=s.pk) for s in sheets]


def plan_at(sheet, date: datetime.date, percent: str) -> None:
    SpendPlan.objects.filter(sheet=sheet, checkpoint__date=date).update(cumulative_percent=Decimal(percent))


def warnings_on(day: datetime.date) -> dict[int, tuple[str, str]]:
    """{sheet id: (level summary, body)} of the spending warnings due on ``day``."""
    return {
        due.document_id: (due.summary, due.body)
        for due in reminders.spending_due_on(day) if due.kind == Kind.SPEND_WARNING
    }


def test_under_sichuan_the_checker_asks_for_a_plan_value_at_every_point_of_the_pack(sichuan, make_sheet):
    sheet = make_sheet()
    assert rules.check_sheet(TargetSheet.objects.get(pk=sheet.pk).content()) == []  # 25/40/60/80/100: clean
    SpendPlan.objects.filter(sheet=sheet).delete()
    SpendPlan.objects.create(sheet=sheet, checkpoint=Checkpoint.objects.get(fiscal_year=sichuan.year, date=DECEMBER),
                             cumulative_percent=Decimal(100))
    findings = rules.check_sheet(TargetSheet.objects.get(pk=sheet.pk).content())
    assert [f.message for f in findings if f.code == "plan_blank"] == [
        "资金支出计划“4月底”未填写。", "资金支出计划“6月底”未填写。", "资金支出计划“8月底”未填写。", "资金支出计划“10月底”未填写。",
    ]


def test_a_new_year_takes_the_points_of_the_default_pack(db):
    FiscalYear.get_or_create_with_defaults(2033)
    assert [(cp.date, cp.planned_percent) for cp in Checkpoint.objects.filter(fiscal_year__year=2033)] == [
        (datetime.date(2033, 3, 31), 25), (datetime.date(2033, 6, 30), 50), (datetime.date(2033, 10, 31), 75),
        (datetime.date(2033, 12, 31), 100),
    ]
    sichuan = RulePack.objects.get(code="sichuan")
    sichuan.is_default = True  # the region's default (not one of the rules: a shipped pack may be made the default)
    sichuan.save()
    FiscalYear.get_or_create_with_defaults(2034)
    assert [(cp.date, cp.planned_percent) for cp in Checkpoint.objects.filter(fiscal_year__year=2034)] == [
        (datetime.date(2034, 4, 30), 25), (datetime.date(2034, 6, 30), 40), (datetime.date(2034, 8, 31), 60),
        (datetime.date(2034, 10, 31), 80), (datetime.date(2034, 12, 31), 100),
    ]
    # a year that already exists keeps its points
    FiscalYear.get_or_create_with_defaults(2033)
    assert Checkpoint.objects.filter(fiscal_year__year=2033).count() == 4


def test_under_sichuan_warnings_use_the_line_not_the_sheets_plan_and_go_out_on_the_first(sichuan, make_sheet):
    below_line, over_plan_under_line, on_line, behind_plan_on_line = published(make_sheet, 4)
    # 8月底, line 60%: budgets of 10 万元
    plan_at(over_plan_under_line, AUGUST, "50")
    spent(below_line, AUGUST, "4.00", sichuan.owner)  # 40% < 60: red
    spent(over_plan_under_line, AUGUST, "5.50", sichuan.owner)  # 55%: ahead of its own plan (50), below the line: red
    spent(on_line, AUGUST, "6.00", sichuan.owner)  # 60%: on the line
    plan_at(behind_plan_on_line, AUGUST, "70")
    spent(behind_plan_on_line, AUGUST, "6.50", sichuan.owner)  # 65%: 5 behind its plan (yellow today), above the line

    assert warnings_on(datetime.date(2024, 9, 2)) == {}  # the first working day after 08-31 is not 四川's day
    warned = warnings_on(datetime.date(2024, 9, 1))  # the 1st of the next month, a Sunday
    assert set(warned) == {below_line.pk, over_plan_under_line.pk}
    summary, body = warned[over_plan_under_line.pk]
    assert summary.startswith("红色预警：") and "8月底 计划 60%，实际 55%" in summary
    assert "计划累计支出 60%，实际 55%，落后 5 个百分点。" in body
    assert "计划 60%，实际 40%" in warned[below_line.pk][0]
    digest = [d for d in reminders.spending_due_on(datetime.date(2024, 9, 1)) if d.kind == Kind.SPEND_DIGEST]
    assert len(digest) == 1 and "红色预警 2 张，黄色预警 0 张" in digest[0].body

    # the lines of the other points: 25 / 40 / 80; the year end is a plan point only, never warned
    for date, line, warned_on in ((datetime.date(2024, 4, 30), "25", datetime.date(2024, 5, 1)),
                                  (JUNE, "40", datetime.date(2024, 7, 1)),
                                  (datetime.date(2024, 10, 31), "80", datetime.date(2024, 11, 1))):
        just_below = (Decimal(line) - Decimal("0.5")) / 10
        for sheet in (below_line, over_plan_under_line, on_line, behind_plan_on_line):
            spent(sheet, date, str(Decimal(line) / 10 if sheet in (on_line, behind_plan_on_line) else just_below), sichuan.owner)
        assert set(warnings_on(warned_on)) == {below_line.pk, over_plan_under_line.pk}, date
    assert warnings_on(datetime.date(2025, 1, 1)) == warnings_on(datetime.date(2025, 1, 2)) == {}


def test_the_spending_pages_colour_by_the_pack(sichuan, make_sheet, client):
    sheet, other = published(make_sheet, 2)
    plan_at(sheet, AUGUST, "50")
    spent(sheet, AUGUST, "5.50", sichuan.owner)  # 55%: ahead of its plan, below the line of 60
    spent(other, AUGUST, "6.00", sichuan.owner)
    today = datetime.date(2025, 1, 10)
    points = {p.checkpoint.date: p for p in spending.sheet_spending(sheet=spending.with_spending(TargetSheet.objects.filter(pk=sheet.pk)).get(), today=today)}
    assert (points[AUGUST].level, points[AUGUST].behind) == (spending.RED, Decimal("5.00"))
    assert points[DECEMBER].level == spending.NOT_MONITORED and points[DECEMBER].level_label == "未填报（不预警）"

    data = spending.agency_spending(agency=sichuan.agency, year=2024, today=today)
    august = next(t for t in data.totals if t.checkpoint.date == AUGUST)
    assert (august.actual, august.counts[spending.RED], august.counts[spending.GREEN]) == (Decimal("57.50"), 1, 1)
    assert august.level == spending.RED  # 57.5% of the agency's budget, below 60
    december = next(t for t in data.totals if t.checkpoint.date == DECEMBER)
    assert (december.level, december.counts[spending.NOT_MONITORED]) == (spending.NOT_MONITORED, 2)
    # the one SQL statement grades the line as the rule does sheet by sheet
    spent(other, DECEMBER, "10.00", sichuan.owner)
    for day in (datetime.date(2024, 8, 31), today):
        assert spending._checkpoint_sums_sql(agency=sichuan.agency, year=2024, today=day) == \
            spending._checkpoint_sums_python(agency=sichuan.agency, year=2024, today=day)

    client.force_login(sichuan.leader)
    page = client.get(f"/agencies/{sichuan.agency.code}/spending/?year=2024").content.decode()
    assert "红色预警（累计支出低于该节点预警线）" in page and "落后 ≤10 个百分点" not in page


def test_under_the_default_pack_the_chart_says_todays_rule(org, make_sheet, client):
    sheet, = published(make_sheet, 1)
    client.force_login(org.owner)
    page = client.get(f"/sheets/{sheet.pk}/spending/").content.decode()
    assert "黄色预警（落后 ≤10 个百分点）" in page and "红色预警（落后 &gt;10 个百分点）" in page


def test_a_year_added_in_the_admin_without_checkpoints_takes_the_default_packs(db, client):
    from django.contrib.auth import get_user_model

    sichuan = RulePack.objects.get(code="sichuan")
    sichuan.is_default = True
    sichuan.save()
    client.force_login(get_user_model().objects.create_superuser("years_admin", "years_admin@example.gov.cn", "pw"))
    management = {"checkpoints-TOTAL_FORMS": "0", "checkpoints-INITIAL_FORMS": "0", "checkpoints-MIN_NUM_FORMS": "0",
                  "checkpoints-MAX_NUM_FORMS": "1000"}
    assert client.post("/admin/projects/fiscalyear/add/", {"year": "2036", **management}).status_code == 302
    assert [cp.label for cp in Checkpoint.objects.filter(fiscal_year__year=2036)] == ["4月底", "6月底", "8月底", "10月底", "12月底"]
    # checkpoints typed with the year are kept as typed
    typed = {**management, "checkpoints-TOTAL_FORMS": "1", "checkpoints-0-date": "2037-12-31", "checkpoints-0-planned_percent": "100"}
    assert client.post("/admin/projects/fiscalyear/add/", {"year": "2037", **typed}).status_code == 302
    assert [cp.label for cp in Checkpoint.objects.filter(fiscal_year__year=2037)] == ["12月底"]


def test_under_hebei_the_june_point_is_warned_after_its_report_deadline(org, make_sheet):
    from tests.monitoring.conftest import use_pack

    use_pack(org, "hebei")  # 6月底 reported by 07-31, today's rule against the plan; 12月底 a plan point only
    behind, on_plan = published(make_sheet, 2)
    spent(on_plan, JUNE, "5.00", org.owner)
    assert warnings_on(datetime.date(2024, 7, 1)) == {}  # the report is not due yet
    warned = warnings_on(datetime.date(2024, 8, 1))  # the first working day after 07-31
    assert set(warned) == {behind.pk} and "红色预警：" in warned[behind.pk][0] and "6月底 计划 50%，未填报" in warned[behind.pk][0]
    assert warnings_on(datetime.date(2025, 1, 2)) == {}
    # reminded 7 and 1 days before the report deadline, not before the point
    reminded = lambda day: {d.document_id: d.body for d in reminders.spending_due_on(day) if d.kind == Kind.SPEND_REMINDER}
    assert reminded(datetime.date(2024, 6, 23)) == reminded(datetime.date(2024, 6, 29)) == {}
    assert set(reminded(datetime.date(2024, 7, 24))) == {behind.pk}
    assert "资金支出时间节点“6月底”（2024-06-30）的执行进度应于 2024-07-31 前填报，还有 1 天" in reminded(datetime.date(2024, 7, 30))[behind.pk]
