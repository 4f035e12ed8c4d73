"""双监控 grading by the shipped rule packs (issue 21), on worked examples written out here."""

from datetime import date
from decimal import Decimal

import pytest

from monitoring import deadlines, grading
from monitoring.grading import GradingError, IndicatorProgress, attainment_light, spending_light
from monitoring.models import RulePack
from spending.services import level_for

D = Decimal
APRIL, JUNE = date(2024, 4, 30), date(2024, 6, 30)


@pytest.fixture
def packs(db):
    return {pack.code: pack for pack in RulePack.objects.filter(shipped=True)}


# ---------------------------------------------------------------- spending


def test_the_default_pack_reproduces_todays_spending_rule_exactly(packs):
    pack = packs["default"]
    # plan 50%: at or above it green; up to 10 points behind yellow (40% is exactly 10 behind); more red
    examples = {D(55): "green", D(50): "green", D(45): "yellow", D(40): "yellow", D("39.99"): "red", D(0): "red"}
    for actual, colour in examples.items():
        light = spending_light(pack, point_date=JUNE, line=D(50), planned=D(50), actual=actual)
        assert light.colour == colour == level_for(planned=D(50), actual=actual)
    # the sheet's own plan is the bar, not the point's default
    assert spending_light(pack, point_date=JUNE, line=D(50), planned=D(30), actual=D(30)).colour == "green"
    light = spending_light(pack, point_date=JUNE, line=D(50), planned=None, actual=D(45))
    assert light.how == "实际 45% 低于计划 50%，落后 5 个百分点（不超过 10）"
    assert light.reason_required  # today: an explanation when spending lags the plan


def test_sichuan_warns_below_the_points_line(packs):
    pack = packs["sichuan"]
    # end of April: 12.5% spent, the line is 25% → a warning (red)
    light = spending_light(pack, point_date=APRIL, line=D(25), planned=D(30), actual=D("12.5"))
    assert (light.colour, light.how) == ("red", "累计支出 12.5% 低于预警线 25%，预警")
    assert spending_light(pack, point_date=APRIL, line=D(25), planned=D(30), actual=D(25)).colour == "green"


def test_shanxi_spending_light_is_the_execution_rate_over_the_months_share(packs):
    pack = packs["shanxi"]

    def light(actual):
        return spending_light(pack, point_date=JUNE, line=D(50), planned=None, actual=actual)

    # v = 执行率 ÷ (月份/12) × 100: June, 30% spent → 30 ÷ 0.5 = 60 → yellow
    assert (light(D(30)).colour, light(D(30)).value) == ("yellow", D("60.00"))
    assert light(D(30)).how == "v = 30% ÷ (6/12) × 100 = 60.00（<60 红灯，60–<80 黄灯，≥80 绿灯）"
    assert light(D("29.99")).colour == "red"  # v = 59.98
    assert light(D(40)).colour == "green"  # v = 80
    assert light(D(30)).reason_required and not light(D(40)).reason_required


# ---------------------------------------------------------------- attainment


def test_shanxi_attainment_of_each_indicator_kind(packs):
    pack = packs["shanxi"]

    def light(target, current, subcategory="数量指标", category="产出指标", level=""):
        row = IndicatorProgress("指标", target, current, subcategory=subcategory, category=category, level=level)
        return attainment_light(pack, row, point_date=JUNE)

    # 数量 ≥10000件 at the end of June: 标准值 = 10000 × 6/12 = 5000
    assert light("≥10000件", "2900件").colour == "red"  # 58%
    assert light("≥10000件", "3000件").colour == "yellow"  # 60%
    assert light("≥10000件", "4000件").colour == "green"  # 80%
    assert light("≥10000件", "6000件").colour == "blue"  # 120%
    assert light("≥10000件", "3000件").how == (
        "标准值 = 10000 × 6/12 = 5000；3000 ÷ 5000 = 60.00%（<60% 红灯，60%–<80% 黄灯，80%–<120% 绿灯，≥120% 蓝灯）"
    )
    # = under 数量: the same ratio, 标准值 = 4 × 6/12 = 2
    assert light("=4栋", "2栋").colour == "green"
    # percentage, 满意度: 标准值 = 90 × 6/12 = 45, 50 ÷ 45 = 111.11% → green (the text prorates percentages too)
    assert light("≥90%", "50%", subcategory="服务对象满意度指标", category="满意度指标").value == D("111.11")
    # 质量 (a bound): within it green, else red
    assert light("≥98%", "99%", subcategory="质量指标").colour == "green"
    assert light("≥98%", "97%", subcategory="质量指标").colour == "red"
    # ≤ indicators, whatever their kind: within the bound green, else red
    assert light("≤2%", "1.5%", subcategory="社会效益指标", category="效益指标").colour == "green"
    assert light("≤2%", "2.5%", subcategory="社会效益指标", category="效益指标").colour == "red"
    # money converts: ≤8万元, 50000元 spent so far = 5万元, inside
    cost = light("≤8万元", "50000元", subcategory="成本指标")
    assert cost.colour == "green" and "50000元 = 5万元" in cost.how
    # qualitative: the section says how far it got
    assert light("逐年改善", "", subcategory="社会效益指标", level="达到").colour == "green"
    assert light("逐年改善", "", subcategory="社会效益指标", level="部分达到").colour == "yellow"
    assert light("逐年改善", "", subcategory="社会效益指标", level="未达到预期目标").colour == "red"
    with pytest.raises(GradingError, match="请选择完成情况"):
        light("逐年改善", "", subcategory="社会效益指标")
    with pytest.raises(GradingError, match="与指标值的单位“件”不一致"):
        light("≥10000件", "3000个")


def test_the_sheets_light_is_its_worst(packs):
    pack = packs["shanxi"]
    rows = [
        IndicatorProgress("办件量", "≥10000件", "5000件", subcategory="数量指标"),  # 100% green
        IndicatorProgress("按时办结率", "≥98%", "97%", subcategory="时效指标"),  # outside the bound: red
        IndicatorProgress("社会效益", "有效提升", subcategory="社会效益指标", level="部分达到"),  # yellow
    ]
    sheet, money, indicators = grading.sheet_light(pack, point_date=JUNE, line=D(50), planned=None, spending=D(45), rows=rows)
    assert money.colour == "green"  # v = 45 ÷ 0.5 = 90
    assert [light.colour for light in indicators] == ["green", "red", "yellow"]
    assert (sheet.colour, sheet.how) == ("red", "取最差：红灯（红灯 1，黄灯 1，绿灯 2）")
    assert sheet.reason_required
    blue = grading.worst([grading.Light("green", ""), grading.Light("blue", "")])
    assert blue.colour == "blue"  # blue (far above) outranks green, asks for no reason
    assert not blue.reason_required


def test_sichuan_compares_attainment_progress_with_spending(packs):
    pack = packs["sichuan"]

    def light(current, spending=D(25), target="≥10000件"):
        return attainment_light(pack, IndicatorProgress("办件量", target, current), point_date=APRIL, spending=spending)

    # 4000 of 10000 = 40% done against 25% spent: 15 points apart (more than 10) → red
    assert (light("4000件").colour, light("4000件").value) == ("red", D("15.00"))
    assert light("4000件").how == "完成进度 4000 ÷ 10000 = 40.00%，支出进度 25%，相差 15.00 个百分点（超过 10）"
    assert light("3000件").colour == "green"  # 30% against 25%
    assert light("1000件").colour == "red"  # 10% against 25%: behind counts as well
    assert light("95%", target="≥98%").colour == ""  # a rate has no progress through the year
    assert light("", target="≤2%").colour == ""


def test_hebei_asks_for_a_deviation_note_above_115_percent(packs):
    pack = packs["hebei"]

    def light(current, target="≥100件"):
        return attainment_light(pack, IndicatorProgress("培训人次", target, current), point_date=JUNE)

    over = light("116件")
    assert (over.colour, over.reason_required) == ("", True)
    assert over.how == "当前 116 超过 年度指标值 100 × (1 + 15%) = 115，需作偏差说明"
    assert not light("115件").reason_required
    assert not light("3件", target="≤5件").reason_required


def test_the_default_pack_grades_no_attainment(packs):
    light = attainment_light(packs["default"], IndicatorProgress("办件量", "≥100件", "1件"), point_date=JUNE)
    assert light.colour == "" and light.how == "本规则包不评价指标完成情况"


def test_three_warnings_in_a_row_flag_an_on_site_check_under_sichuan(packs):
    assert grading.consecutive_warnings(packs["sichuan"], ["red", "red", "red"])
    assert grading.consecutive_warnings(packs["sichuan"], ["green", "red", "red", "red"])
    assert not grading.consecutive_warnings(packs["sichuan"], ["red", "green", "red", "red"])
    assert not grading.consecutive_warnings(packs["shanxi"], ["red", "red", "red"])


# ---------------------------------------------------------------- deadlines


def test_sichuan_disposal_is_due_in_ten_working_days_on_the_calendar(packs):
    pack = packs["sichuan"]
    # the April point's warning goes out on 1 May, a holiday (劳动节 1–5 May 2024)
    assert deadlines.warning_date(pack, APRIL) == date(2024, 5, 1)
    # 10 working days after 1 May: 6, 7, 8, 9, 10, 11 (the 调休 Saturday), 13, 14, 15, 16 May
    assert deadlines.disposal_deadline(pack, warned_on=date(2024, 5, 1)) == date(2024, 5, 16)
    # a 调剂 or 取消 chosen on 16 May: its proposal within 15 working days → 6 June
    assert deadlines.proposal_deadline(pack, decided_on=date(2024, 5, 16)) == date(2024, 6, 6)


def test_the_default_pack_warns_on_the_first_working_day_and_has_no_disposal(packs):
    pack = packs["default"]
    assert deadlines.warning_date(pack, date(2024, 3, 31)) == date(2024, 4, 1)
    assert deadlines.warning_date(pack, date(2024, 9, 30)) == date(2024, 10, 8)  # 国庆 1–7 October
    assert deadlines.disposal_deadline(pack, warned_on=date(2024, 4, 1)) is None
