"""绩效自评 scoring (issue 22): the worked example of the issue, each rule, and the refusals an evaluator meets."""

from decimal import Decimal

import pytest

from core.errors import AppError
from evaluations import scoring
from evaluations.scoring import IndicatorRow, budget_score, evaluation_score, row_score

D = Decimal


def refusal(call) -> str:
    with pytest.raises(AppError) as caught:
        call()
    assert caught.value.status == 400
    return caught.value.message


def test_the_worked_example_of_issue_22():
    # 调整后预算数 50万元, 执行数 46万元: 执行率 92% → 9.20
    # 办件量 ≥10000件, actual 9000件, w 30: 9000 ÷ 10000 × 30 = 27.00
    # 按时办结率 ≥98%, actual 99%, w 20: full 20.00
    # 投诉率 ≤2%, actual 2.5%, w 15: (1 − (2.5 − 2) ÷ 2) × 15 = 11.25
    # 可持续影响 (qualitative) 部分达成, w 15: band [0.6 × 15, 0.8 × 15) = [9, 12), the evaluator gives 10.5
    # 满意度 ≥90%, actual 95%, w 10: full 10.00
    # total 9.20 + 27 + 20 + 11.25 + 10.5 + 10 = 87.95 → 良
    rows = [
        IndicatorRow("办件量", "产出指标", "≥10000件", "9000件", weight=30),
        IndicatorRow("按时办结率", "产出指标", "≥98%", "99%", weight=20),
        IndicatorRow("投诉率", "效益指标", "≤2%", "2.5%", weight=15),
        IndicatorRow("可持续影响", "效益指标", "有效提升", "部分提升", weight=15, level="部分达成", score="10.5"),
        IndicatorRow("满意度", "满意度指标", "≥90%", "95%", weight=10),
    ]
    result = evaluation_score(rows=rows, adjusted_budget="50", spent="46")

    assert result.budget.score == D("9.20")
    assert result.budget.rate == D("92.00")
    assert result.budget.how == "执行率 = 46 ÷ 50 = 92.00%；10 × 92.00% = 9.20"
    assert [r.score for r in result.rows] == [D("27.00"), D("20.00"), D("11.25"), D("10.50"), D("10.00")]
    assert result.rows[0].how == "正向指标：9000 ÷ 10000 × 30 = 27.00"
    assert result.rows[1].how == "正向指标：99 ≥ 98，得满分 20.00"
    assert result.rows[2].how == "反向指标：(1 − (2.5 − 2) ÷ 2) × 15 = 11.25"
    assert result.rows[3].how == "定性指标，评为“部分达成”，得分区间 [9, 12)，评价人打分 10.50"
    assert result.total == D("87.95")
    assert result.grade == "良"
    assert result.how == "总分 = 9.20 + 27.00 + 20.00 + 11.25 + 10.50 + 10.00 = 87.95，等级“良”"
    assert not result.budget.reason_required  # 92% ≥ 90%


def test_positive_rule_bare_value_and_greater_than():
    full = row_score(IndicatorRow("系统数", "产出指标", "1个", "1个"), weight=D(10))
    assert (full.rule, full.score) == (scoring.POSITIVE, D("10.00"))
    # 2 ÷ 3 × 10 = 6.666… → 6.67 (ROUND_HALF_UP)
    part = row_score(IndicatorRow("培训次数", "产出指标", ">3次", "2次"), weight=D(10))
    assert (part.score, part.how) == (D("6.67"), "正向指标：2 ÷ 3 × 10 = 6.67")


def test_reverse_rule_its_three_stretches():
    def score(actual):
        return row_score(IndicatorRow("平均办理时长", "产出指标", "≤10天", actual), weight=D(20)).score

    assert score("8天") == D("20.00")  # a ≤ t
    assert score("10天") == D("20.00")
    assert score("13天") == D("14.00")  # (1 − 3/10) × 20
    assert score("20天") == D("0.00")  # a ≥ 2t
    assert score("25天") == D("0.00")
    strict = row_score(IndicatorRow("差错率", "产出指标", "<1%", "1.5%"), weight=D(10))
    assert (strict.rule, strict.score) == (scoring.REVERSE, D("5.00"))


def test_equal_rule_scores_below_as_positive_and_above_as_reverse():
    def row(actual):
        return row_score(IndicatorRow("建设栋数", "产出指标", "=4栋", actual), weight=D(10))

    assert row("4栋").score == D("10.00")
    assert row("3栋").score == D("7.50")  # (1 − 1/4) × 10
    assert row("5栋").score == D("7.50")
    assert row("5栋").how == "等于型指标：(1 − |5 − 4| ÷ 4) × 10 = 7.50"
    assert row("8栋").score == D("0.00")


def test_percentage_values_compare_as_numbers():
    result = row_score(IndicatorRow("系统正常运行率", "产出指标", "≥98%", "96.04%"), weight=D(10))
    assert result.score == D("9.80")  # 96.04 ÷ 98 × 10 = 9.8


def test_money_converts_between_yuan_and_wan_yuan():
    # 成本 ≤8万元, spent 90000元 = 9万元: (1 − 1/8) × 10 = 8.75
    result = row_score(IndicatorRow("运维成本", "产出指标", "≤8万元", "90000元"), weight=D(10))
    assert result.score == D("8.75")
    assert "90000元 = 9万元" in result.how
    same = row_score(IndicatorRow("运维成本", "产出指标", "≤8万元", "7.5万元"), weight=D(10))
    assert same.score == D("10.00")


def test_a_bare_number_is_read_in_the_targets_unit():
    assert row_score(IndicatorRow("办件量", "产出指标", "≥150件", "150"), weight=D(10)).score == D("10.00")


def test_qualitative_levels_and_their_bands():
    def score(level, given, weight=D(15)):
        return row_score(IndicatorRow("社会效益", "效益指标", "逐年改善", "有所改善", level=level, score=given), weight=weight)

    assert score("达成", "15").score == D("15.00")
    assert score("达成年度指标", "12").score == D("12.00")  # the full label works too; 0.8w is inside
    assert score("未达成", "0").score == D("0.00")
    # a target the parser cannot read as a number is judged the same way
    dated = row_score(
        IndicatorRow("完成时间", "产出指标", "2024.1-2024.12", "2024年11月完成", level="达成", score="10"), weight=D(10)
    )
    assert (dated.rule, dated.score) == (scoring.QUALITATIVE, D("10.00"))
    # a score sent for a quantitative row is ignored: it is computed
    computed = row_score(IndicatorRow("办件量", "产出指标", "≥100件", "50件", score="10"), weight=D(10))
    assert computed.score == D("5.00")


def test_a_score_outside_the_levels_band_is_refused():
    def call(level, given):
        return lambda: row_score(IndicatorRow("可持续影响", "效益指标", "有效提升", "", level=level, score=given), weight=D(15))

    assert refusal(call("部分达成", "12")) == (
        "“可持续影响”评为“部分达成年度指标并具有一定效果”，得分应在 [9, 12) 之间，填写的 12 分不在此区间。"
    )
    assert "[12, 15]" in refusal(call("达成", "11.99"))
    assert "[0, 9)" in refusal(call("未达成", "9"))
    assert refusal(call("", "10")) == "“可持续影响”是定性指标，请选择评价等级：达成、部分达成或未达成。"
    assert refusal(call("达成", "")) == "“可持续影响”是定性指标，请在所选等级的分值区间内填写得分。"
    assert refusal(call("达成", "13.555")) == "“可持续影响”的得分最多保留两位小数。"


def test_weights_default_to_an_equal_split_and_must_total_90():
    assert scoring.default_weights(["产出指标"] * 3 + ["效益指标"] * 2 + ["满意度指标"]) == [
        D("16.67"), D("16.67"), D("16.66"), D(15), D(15), D(10),
    ]
    rows = [
        IndicatorRow("办件量", "产出指标", "≥100件", "100件"),
        IndicatorRow("社会效益", "效益指标", "≥1个", "1个"),
        IndicatorRow("满意度", "满意度指标", "≥90%", "95%"),
    ]
    result = evaluation_score(rows=rows, adjusted_budget="10", spent="10")
    assert [r.weight for r in result.rows] == [D(50), D(30), D(10)]
    assert (result.total, result.grade) == (D("100.00"), "优")

    edited = [
        IndicatorRow("办件量", "产出指标", "≥100件", "100件", weight="40"),
        IndicatorRow("社会效益", "效益指标", "≥1个", "1个", weight="30"),
        IndicatorRow("满意度", "满意度指标", "≥90%", "95%", weight="10"),
    ]
    assert refusal(lambda: evaluation_score(rows=edited, adjusted_budget="10", spent="10")) == (
        "各项指标分值合计为 80 分，应为 90 分（另 10 分为预算执行率），请调整分值。"
    )


def test_a_unit_that_does_not_match_the_target_is_refused():
    message = refusal(lambda: row_score(IndicatorRow("办件量", "产出指标", "≥10000件", "9000个"), weight=D(30)))
    assert message == "“办件量”的实际完成值单位“个”与指标值的单位“件”不一致，请按指标值的单位填写（如“10000件”）。"
    assert "无法识别为数值" in refusal(lambda: row_score(IndicatorRow("办件量", "产出指标", "≥10000件", "很多"), weight=D(30)))
    assert "不带比较符" in refusal(lambda: row_score(IndicatorRow("办件量", "产出指标", "≥10000件", "≥9000件"), weight=D(30)))
    assert refusal(lambda: row_score(IndicatorRow("办件量", "产出指标", "≥10000件", ""), weight=D(30))) == (
        "请填写“办件量”的实际完成值。"
    )


def test_scored_against_the_adjusted_targets_and_budget():
    # 年初 办件量 ≥10000件 and 预算 50万元; an approved adjustment set ≥9000件 and 46万元. The caller passes the
    # 调整后 values: 9000件 is the full 50 points and 46 of 46 spent the full 10; against 年初 they would be
    # 9000 ÷ 10000 × 50 = 45.00 and 9.20.
    rows = [
        IndicatorRow("办件量", "产出指标", "≥9000件", "9000件", original_target="≥10000件"),
        IndicatorRow("社会效益", "效益指标", "有效提升", "", level="达成", score="30"),
        IndicatorRow("满意度", "满意度指标", "≥90%", "90%"),
    ]
    adjusted = evaluation_score(rows=rows, adjusted_budget="46", spent="46")
    assert (adjusted.rows[0].score, adjusted.budget.score, adjusted.total, adjusted.grade) == (
        D("50.00"), D("10.00"), D("100.00"), "优",
    )
    original = [IndicatorRow("办件量", "产出指标", "≥10000件", "9000件"), *rows[1:]]
    before = evaluation_score(rows=original, adjusted_budget="50", spent="46")
    assert (before.rows[0].score, before.budget.score, before.total) == (D("45.00"), D("9.20"), D("94.20"))


def test_budget_score_is_capped_and_asks_for_a_reason_below_90_percent():
    over = budget_score(adjusted_budget="50", spent="55")
    assert (over.score, over.rate) == (D("10.00"), D("110.00"))
    assert over.how.endswith("（上限 10 分）")
    low = budget_score(adjusted_budget="3", spent="2")
    assert (low.score, low.rate, low.reason_required) == (D("6.67"), D("66.67"), True)
    assert refusal(lambda: budget_score(adjusted_budget="0", spent="0")) == "调整后预算数为 0，无法计算预算执行率。"
    assert refusal(lambda: budget_score(adjusted_budget="50", spent="-1")) == "执行数不能为负数。"


@pytest.mark.parametrize(
    ("total", "grade"),
    [(D("100"), "优"), (D("90"), "优"), (D("89.99"), "良"), (D("80"), "良"), (D("79.99"), "中"), (D("60"), "中"), (D("59.99"), "差"), (D(0), "差")],
)
def test_grades(total, grade):
    assert scoring.grade_for(total) == grade
