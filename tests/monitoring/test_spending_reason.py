"""The 进度说明 of a spending report follows the year's rule pack (issue 21 item 1: the pack says when a reason is
required). Today's rule (the default pack, tests/spending unchanged): required when cumulative spending is below the
sheet's own plan. Under a pack's rule: required where that rule grades the point in one of the pack's
``reason_colours``.

Worked examples, every sheet with a budget of 10 万元:
- 四川 (lines 25/40/60/80% at the end of April/June/August/October; reason for red, which is below the line):
  4月底 plan 30%, spent 2.80 万 = 28%: behind its plan, above the line 25 → green, no 进度说明 needed;
  4月底 plan 25%, spent 2.00 万 = 20% < 25 → red, required;
  6月底 plan 30%, spent 3.50 万 = 35%: ahead of its plan, below the line 40 → red, required;
  12月底 (a plan point only, not monitored) plan 100%, spent 9.00 万 = 90% → nothing graded, not required.
- 山西 (v = 执行率 ÷ (月份/12) × 100: < 60 red, 60–< 80 yellow, ≥ 80 green; reason for red and yellow):
  6月底 plan 50%, spent 4.20 万 = 42%: v = 42 ÷ 0.5 = 84 → green, not required (8 points behind its plan);
  6月底 spent 3.50 万 = 35%: v = 70 → yellow, required;
  6月底 spent 2.50 万 = 25%: v = 50 → red, required;
  3月底 plan 25%, spent 2.00 万 = 20%: v = 20 ÷ 0.25 = 80 → green, not required.
- 现行规则 (the default pack): 6月底 plan 50%, spent 4.50 万 = 45% → required ("低于计划 50%"); 5.00 万 → not.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from projects.models import Checkpoint, SheetState, SpendPlan, TargetSheet
from spending import services as spending
from tests.monitoring.conftest import use_pack
from tests.refusals import refused

MARCH, APRIL, JUNE = datetime.date(2024, 3, 31), datetime.date(2024, 4, 30), datetime.date(2024, 6, 30)
DECEMBER = datetime.date(2024, 12, 31)


@pytest.fixture
def shanxi(org):
    """2024 under the 山西 pack (points 3/6/9/12 月底 at 25/50/75/100%)."""
    return use_pack(org, "shanxi")


def _published(make_sheet, plans: dict[datetime.date, str] | None = None) -> TargetSheet:
    sheet = make_sheet()
    TargetSheet.objects.filter(pk=sheet.pk).update(state=SheetState.PUBLISHED)
    for date, percent in (plans or {}).items():
        SpendPlan.objects.filter(sheet=sheet, checkpoint__date=date).update(cumulative_percent=Decimal(percent))
    return TargetSheet.objects.get(pk=sheet.pk)


def _record(org, sheet, date, amount, explanation=""):
    checkpoint = Checkpoint.objects.get(fiscal_year=org.year, date=date)
    return spending.spend_report_record(sheet=sheet, checkpoint=checkpoint, amount=amount, explanation=explanation, user=org.owner)


def test_under_sichuan_the_line_says_when_a_reason_is_required(sichuan, make_sheet):
    org = sichuan
    behind_plan_above_line = _published(make_sheet, {APRIL: "30"})
    assert _record(org, behind_plan_above_line, APRIL, "2.80").explanation == ""  # 28% ≥ 25: green

    below_line = _published(make_sheet)
    with refused(400) as refusal:
        _record(org, below_line, APRIL, "2.00")
    assert refusal.value.message == (
        "按“四川省”监控规则，支出评为红灯（累计支出 20% 低于预警线 25%，预警），请填写进度说明（原因和措施）。"
    )
    assert not below_line.spend_reports.exists()  # refused: nothing written
    assert _record(org, below_line, APRIL, "2.00", "招标延期，5 月签约").explanation == "招标延期，5 月签约"

    ahead_of_plan_below_line = _published(make_sheet, {APRIL: "20", JUNE: "30"})
    with refused(400, match=r"累计支出 35% 低于预警线 40%"):
        _record(org, ahead_of_plan_below_line, JUNE, "3.50")

    year_end = _published(make_sheet)
    assert _record(org, year_end, DECEMBER, "9.00").explanation == ""  # 90% < 100: the year end is not graded


def test_under_shanxi_v_says_when_a_reason_is_required(shanxi, make_sheet):
    org = shanxi
    green = _published(make_sheet)
    assert _record(org, green, JUNE, "4.20").explanation == ""  # v = 84: green, though 8 points behind its plan

    yellow = _published(make_sheet)
    with refused(400) as refusal:
        _record(org, yellow, JUNE, "3.50")
    assert refusal.value.message == (
        "按“山西省”监控规则，支出评为黄灯（v = 35% ÷ (6/12) × 100 = 70.00（<60 红灯，60–<80 黄灯，≥80 绿灯）），"
        "请填写进度说明（原因和措施）。"
    )
    red = _published(make_sheet)
    with refused(400, match=r"支出评为红灯（v = 25% ÷ \(6/12\) × 100 = 50.00"):
        _record(org, red, JUNE, "2.50")
    assert _record(org, red, JUNE, "2.50", "资金下达晚").explanation == "资金下达晚"

    march = _published(make_sheet)
    assert _record(org, march, MARCH, "2.00").explanation == ""  # v = 20 ÷ (3/12) = 80: green


def test_under_the_default_pack_it_is_todays_rule(org, make_sheet):
    sheet = _published(make_sheet)
    with refused(400) as refusal:
        _record(org, sheet, JUNE, "4.50")
    assert refusal.value.message == "实际支出进度 45% 低于计划 50%，请填写进度说明（原因和措施）。"
    assert _record(org, sheet, JUNE, "5.00").explanation == ""


def test_the_form_and_the_api_say_the_packs_rule(sichuan, make_sheet, client):
    org = sichuan
    sheet = _published(make_sheet)
    client.force_login(org.owner)
    page = client.get(f"/sheets/{sheet.pk}/spending/").content.decode()
    assert "按“四川省”监控规则，支出评为红灯时必填：原因和加快支出的措施。" in page
    assert "实际进度落后于计划时必填" not in page
    refused_page = client.post(f"/sheets/{sheet.pk}/spending/", {
        "checkpoint": Checkpoint.objects.get(fiscal_year=org.year, date=APRIL).pk, "amount": "1.25", "explanation": "",
    })
    assert refused_page.status_code == 400
    assert "支出评为红灯（累计支出 12.5% 低于预警线 25%，预警）" in refused_page.content.decode()
    assert not sheet.spend_reports.exists()

    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(org.owner)
    answer = api.post(f"/api/sheets/{sheet.pk}/spend-reports/", {"checkpoint": "2024-04-30", "amount": "1.25"}, format="json")
    assert answer.status_code == 400 and answer.json()["detail"].startswith("按“四川省”监控规则，支出评为红灯（累计支出 12.5% 低于预警线 25%")
    assert not sheet.spend_reports.exists()


def test_the_default_packs_form_says_todays_rule(org, make_sheet, client):
    sheet = _published(make_sheet)
    client.force_login(org.owner)
    assert "实际进度落后于计划时必填：原因和加快支出的措施。" in client.get(f"/sheets/{sheet.pk}/spending/").content.decode()


def test_the_county_table_names_the_packs_measure(shanxi, make_sheet, client):
    org = shanxi
    _published(make_sheet)
    client.force_login(org.leader)
    page = client.get("/monitoring/", {"year": 2024, "point": "2024-06-30"}).content.decode()
    assert (
        '<span data-testid="county-measure">6月底执行进度比 v = 执行率 ÷ (6/12) × 100（&lt;60 红灯，60–&lt;80 黄灯，≥80 绿灯）</span>'
        in page
    )
    assert "预警线" not in page


def test_the_county_table_under_sichuan_keeps_its_line(sichuan, make_sheet, client):
    org = sichuan
    _published(make_sheet)
    client.force_login(org.leader)
    page = client.get("/monitoring/", {"year": 2024, "point": "2024-04-30"}).content.decode()
    assert '<span data-testid="county-measure">4月底预警线 25%</span>' in page
