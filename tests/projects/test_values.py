from decimal import Decimal

import pytest

from projects.values import DATE_RANGE, EMPTY, QUALITATIVE, QUANTITATIVE, UNPARSED, parse_target_value


@pytest.mark.parametrize(
    "raw, operator, number, unit",
    [
        ("≥98%", ">=", "98", "%"),
        ("≤8万元", "<=", "8", "万元"),
        ("1个", "", "1", "个"),
        ("≥150件", ">=", "150", "件"),
        ("30个", "", "30", "个"),
        ("≤75.5%", "<=", "75.5", "%"),
        ("≤51.25万元", "<=", "51.25", "万元"),
        (">5次", ">", "5", "次"),
        ("<3天", "<", "3", "天"),
        ("=100%", "=", "100", "%"),
        (">=90%", ">=", "90", "%"),
        ("<=2万元", "<=", "2", "万元"),
        ("＞１０人次", ">", "10", "人次"),
        ("≥98％", ">=", "98", "%"),
        ("２", "", "2", ""),
        ("2", "", "2", ""),
        ("3辆", "", "3", "辆"),
        ("6个月", "", "6", "个月"),
        ("500㎡", "", "500", "㎡"),
        ("100M", "", "100", "M"),
        ("1,200元", "", "1200", "元"),
        ("\u3000≥ 98 %\u3000", ">=", "98", "%"),
        ("不低于95%", ">=", "95", "%"),
    ],
)
def test_quantitative_values_parse_into_operator_number_unit(raw, operator, number, unit):
    parsed = parse_target_value(raw)
    assert parsed.kind == QUANTITATIVE
    assert (parsed.operator, parsed.number, parsed.unit) == (operator, Decimal(number), unit)


@pytest.mark.parametrize(
    "raw", ["逐年改善", "有效改善", "有效发挥", "逐年提升", "优良", "持续改善", "参照政府采购成本控制", "有效促进"]
)
def test_qualitative_phrases_are_recognised(raw):
    assert parse_target_value(raw).kind == QUALITATIVE


def test_date_range_is_recognised():
    assert parse_target_value("2023.07-2024.01").kind == DATE_RANGE


@pytest.mark.parametrize("raw", ["", "   ", "\u3000"])
def test_blank_value_is_empty(raw):
    assert parse_target_value(raw).kind == EMPTY


@pytest.mark.parametrize("raw", ["abc", "大约十个", "≥", "98%%%", "≥98%左右吧很多字", "≥99999999999999999999个", "0.123456%"])
def test_unknown_forms_are_kept_as_unparsed(raw):
    assert parse_target_value(raw).kind == UNPARSED


def test_money_converts_to_wan_yuan():
    assert parse_target_value("≤80000元").in_wan_yuan() == Decimal("8")
    assert parse_target_value("≤8万元").in_wan_yuan() == Decimal("8")
    assert parse_target_value("≤75.5%").in_wan_yuan() is None
