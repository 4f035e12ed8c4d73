"""A new self-evaluation takes the 实际完成值 the registered providers know (``evaluations.prefill``: the last monitoring
report's current values, registered by ``monitoring``), keeping only what scores as typed: the worked example's sheet
reported 办件量 9000件 (→ pre-filled), 按时办结率 99% (→ pre-filled), 投诉率 "2.5个" (another unit: left blank),
可持续影响 "明显改善" (qualitative: the evaluator picks the level) and nothing for 满意度."""

from __future__ import annotations

import pytest

from evaluations import prefill, services


@pytest.fixture
def reported(worked_sheet):
    values = {"办件量": "9000件", "按时办结率": " 99% ", "投诉率": "2.5个", "可持续影响": "明显改善"}
    by_name = {indicator.name: indicator.pk for indicator in worked_sheet.indicators.all()}

    def provider(sheet):
        return {by_name[name]: value for name, value in values.items()} if sheet.pk == worked_sheet.pk else {}

    prefill.register(provider)
    yield provider
    prefill.unregister(provider)


def test_the_providers_values_that_score_are_pre_filled_and_scored(org, worked_sheet, reported):
    evaluation = services.evaluation_create(sheet=worked_sheet, user=org.owner)
    rows = {row.name: (row.actual, row.score) for row in evaluation.rows.all()}
    # default weights: 产出 50 over two rows (25 each), 效益 30 over two (15), 满意度 10
    assert rows["办件量"] == ("9000件", 22.5) and rows["按时办结率"] == ("99%", 25)
    assert rows["投诉率"] == ("", None) and rows["可持续影响"] == ("", None) and rows["满意度"] == ("", None)
    assert evaluation.total is None  # still to be completed by the evaluator


def test_without_a_provider_nothing_is_pre_filled(org, worked_sheet):
    evaluation = services.evaluation_create(sheet=worked_sheet, user=org.owner)
    assert [row.actual for row in evaluation.rows.all()] == [""] * 5
