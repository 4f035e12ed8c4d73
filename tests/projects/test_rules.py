"""One test (or a few) per rule of the checker, on plain content, plus the seed verdict."""

from decimal import Decimal

import pytest

from projects.rules import ERROR, WARNING, PlanPoint, Row, SheetContent, check_sheet, has_errors


def valid_content(**overrides) -> SheetContent:
    content = SheetContent(
        budget_total=Decimal("10.00"),
        fiscal_funds=Decimal("8.00"),
        other_funds=Decimal("2.00"),
        plan=[PlanPoint("3月底", Decimal(25)), PlanPoint("6月底", Decimal(50)), PlanPoint("10月底", Decimal(75)), PlanPoint("12月底", Decimal(100))],
        rows=[
            Row("产出指标", "数量指标", "招投标数量", "", "≥150件"),
            Row("产出指标", "质量指标", "办结率", "", "≥98%"),
            Row("产出指标", "时效指标", "办结及时率", "", "≥98%"),
            Row("产出指标", "成本指标", "经费预算控制数", "", "≤10万元"),
            Row("效益指标", "社会效益指标", "营商环境", "", "有效改善"),
            Row("满意度指标", "服务对象满意度指标", "服务对象满意度", "", "≥98%"),
        ],
    )
    for name, value in overrides.items():
        setattr(content, name, value)
    return content


def codes(content, severity=None):
    return [f.code for f in check_sheet(content) if severity is None or f.severity == severity]


def with_row(index, **changes):
    content = valid_content()
    row = content.rows[index]
    for name, value in changes.items():
        setattr(row, name, value)
    return content


def test_a_complete_sheet_has_no_findings():
    assert check_sheet(valid_content()) == []


def test_funds_must_add_up_to_the_total():
    findings = check_sheet(valid_content(other_funds=Decimal("1.00")))
    assert [f.code for f in findings] == ["funds_mismatch"]
    assert findings[0].severity == ERROR
    assert "不等于预算数 10.00 万元" in findings[0].message


def test_negative_amounts_are_errors():
    content = valid_content(fiscal_funds=Decimal("12.00"), other_funds=Decimal("-2.00"))
    assert codes(content) == ["negative_amount"]


def test_plan_must_not_decrease():
    plan = valid_content().plan
    plan[2].percent = Decimal(40)
    assert codes(valid_content(plan=plan)) == ["plan_decreasing"]


def test_plan_must_stay_within_0_and_100():
    plan = valid_content().plan
    plan[0].percent = Decimal(-5)
    assert "plan_out_of_range" in codes(valid_content(plan=plan))


def test_plan_must_reach_100_at_the_last_checkpoint():
    plan = valid_content().plan
    plan[3].percent = Decimal(90)
    findings = check_sheet(valid_content(plan=plan))
    assert [f.code for f in findings] == ["plan_incomplete"]
    assert "12月底" in findings[0].message


def test_blank_or_missing_plan_is_an_error():
    assert codes(valid_content(plan=[])) == ["plan_missing"]
    plan = valid_content().plan
    plan[1].percent = None
    assert codes(valid_content(plan=plan)) == ["plan_blank"]


@pytest.mark.parametrize("subcategory", ["数量指标", "质量指标", "时效指标", "成本指标"])
def test_every_output_subcategory_is_required(subcategory):
    content = valid_content()
    content.rows = [r for r in content.rows if r.subcategory != subcategory]
    findings = check_sheet(content)
    assert [f.code for f in findings] == ["missing_output"]
    assert subcategory in findings[0].message


def test_benefit_and_satisfaction_rows_are_required():
    content = valid_content()
    content.rows = [r for r in content.rows if r.category == "产出指标"]
    assert sorted(codes(content)) == ["missing_benefit", "missing_satisfaction"]


def test_cost_value_must_be_money():
    findings = check_sheet(with_row(3, target_value="≤75.5%"))
    assert [(f.code, f.severity, f.row) for f in findings] == [("cost_not_money", ERROR, 3)]


def test_cost_cap_may_not_exceed_the_budget():
    assert codes(with_row(3, target_value="≤12万元")) == ["cost_over_budget"]
    assert codes(with_row(3, target_value="≤120000元")) == ["cost_over_budget"]


def test_cost_cap_far_below_the_budget_is_a_warning():
    assert codes(with_row(3, target_value="≤2万元"), WARNING) == ["cost_far_below_budget"]
    assert codes(with_row(3, target_value="≤2万元"), ERROR) == []


def test_qualitative_cost_is_accepted():
    assert codes(with_row(3, target_value="参照政府采购成本控制")) == []


def test_empty_target_value_is_an_error():
    assert codes(with_row(1, target_value=" ")) == ["value_empty"]


def test_unreadable_target_value_is_reported_not_dropped():
    findings = check_sheet(with_row(0, target_value="很多"))
    assert [(f.code, f.row) for f in findings] == [("value_unparsed", 0)]
    assert "很多" in findings[0].message


def test_satisfaction_below_90_percent_is_a_warning():
    assert codes(with_row(5, target_value="≥85%")) == ["satisfaction_low"]
    assert codes(with_row(5, target_value="≥90%")) == []


def test_duplicated_rows_are_reported_on_the_repeat():
    content = valid_content()
    content.rows.append(Row("产出指标", "质量指标", "办结率", "", "≥99%"))
    findings = [f for f in check_sheet(content) if f.code != "group_split"]  # appended at the bottom it also splits 质量指标
    assert [(f.code, f.row) for f in findings] == [("row_duplicated", 6)]
    assert "第 2 行" in findings[0].message


def test_incomplete_rows_are_reported():
    assert codes(with_row(4, name="")) == ["row_incomplete"]


def test_errors_come_before_warnings():
    content = with_row(5, target_value="≥80%")
    content.other_funds = Decimal(0)
    findings = check_sheet(content)
    assert [f.severity for f in findings] == [ERROR, WARNING]
    assert has_errors(findings)


def test_seed_flags_sheet_7_and_no_error_elsewhere(seeded):
    from projects.selectors import sheets_with_content

    verdicts = {s.position: [f for f in s.findings() if f.is_error] for s in sheets_with_content().order_by("position")}
    assert sorted(verdicts) == list(range(1, 10))
    assert [f.code for f in verdicts.pop(7)] == ["cost_not_money"]
    assert all(errors == [] for errors in verdicts.values()), verdicts
