"""Exports: the workflow tests' people and sheets, plus many sheets built fast with bulk_create."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone

from projects.models import Agency, FiscalYear, Indicator, Project, SheetState, SpendPlan, TargetSheet
from tests.support import drive
from workflow.models import Action, Event


@pytest.fixture(autouse=True)
def exports_root(settings, tmp_path):
    """Export files of a test go to a directory of its own (the sweep removes what no job of this database holds)."""
    settings.EXPORTS_ROOT = tmp_path / "exports"
    return settings.EXPORTS_ROOT


INDICATORS = (
    ("产出指标", "数量指标", "服务事项", "≥10个"),
    ("产出指标", "数量指标", "培训场次", "≥4次"),
    ("产出指标", "质量指标", "系统正常运行率", "≥98%"),
    ("产出指标", "时效指标", "按时完成率", "≥95%"),
    ("产出指标", "成本指标", "经费控制数", "≤75.5万元"),
    ("效益指标", "社会效益指标", "营商环境", "有效改善"),
    ("效益指标", "可持续影响指标", "长效机制", "逐步建立"),
    ("满意度指标", "服务对象满意度指标", "群众满意度", "≥95%"),
)


def bulk_sheets(agency: Agency, section, count: int, *, year: int = 2024, published_every: int = 2, prefix: str = "BULK") -> list[TargetSheet]:
    """``count`` sheets of ``section`` with 4 plan points and 8 indicators each, in a handful of INSERTs.
    Every ``published_every``-th sheet is published (with its 公开 event), the others wait at 财政审核."""
    fiscal_year = FiscalYear.get_or_create_with_defaults(year)
    checkpoints = list(fiscal_year.checkpoints.all())
    projects = Project.objects.bulk_create(
        Project(agency=agency, section=section, code=f"{prefix}{agency.code}{n:05d}", name=f"批量项目{n}") for n in range(1, count + 1)
    )
    now = timezone.now()
    sheets = TargetSheet.objects.bulk_create(
        TargetSheet(
            project=project, fiscal_year=fiscal_year, agency=agency, section=section, position=n,
            budget_total=Decimal(n) + Decimal("0.25"), fiscal_funds=Decimal(n), other_funds=Decimal("0.25"),
            purpose=f"用于批量项目{n}", goal="完成年度目标",
            state=SheetState.PUBLISHED if n % published_every == 0 else SheetState.FINANCE_REVIEW, state_since=now,
        )
        for n, project in enumerate(projects, start=1)
    )
    SpendPlan.objects.bulk_create(
        SpendPlan(sheet=sheet, checkpoint=checkpoint, cumulative_percent=checkpoint.planned_percent)
        for sheet in sheets for checkpoint in checkpoints
    )
    indicators = []
    for sheet in sheets:
        for order, (category, subcategory, name, value) in enumerate(INDICATORS):
            indicator = Indicator(sheet=sheet, order=order, category=category, subcategory=subcategory, name=name,
                                  description=f"{name}描述", target_value=value, basis="历年数据")
            indicator.apply_parsed_value()
            indicators.append(indicator)
    Indicator.objects.bulk_create(indicators, batch_size=5000)
    Event.objects.bulk_create(
        Event(sheet=sheet, action=Action.APPROVE, from_state=SheetState.FINANCE_REVIEW, to_state=SheetState.PUBLISHED)
        for sheet in sheets if sheet.state == SheetState.PUBLISHED
    )
    return sheets
