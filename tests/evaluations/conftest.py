"""The self-evaluations' world: a published sheet of ``org``'s 办公室 holding the indicators of issue 22's worked example
(budget 50 万元, 执行数 46 万元 reported at 12月底), and its self-evaluation drafted by ``org.owner``."""

from __future__ import annotations

from decimal import Decimal

import pytest

from evaluations import services
from projects.models import Indicator
from spending.models import SpendReport

# 一级, 二级, 三级, 指标值 — the worked example of issue 22
WORKED = (
    ("产出指标", "数量指标", "办件量", "≥10000件"),
    ("产出指标", "质量指标", "按时办结率", "≥98%"),
    ("效益指标", "社会效益指标", "投诉率", "≤2%"),
    ("效益指标", "可持续影响指标", "可持续影响", "有效提升"),
    ("满意度指标", "服务对象满意度指标", "满意度", "≥90%"),
)


@pytest.fixture
def worked_sheet(org, make_sheet, publish):
    sheet = publish(make_sheet(budget="50.00"))
    # the worked example's indicators stand in for the published ones (the checker would ask a draft for 时效 and 成本)
    sheet.indicators.all().delete()
    for order, (category, subcategory, name, value) in enumerate(WORKED):
        Indicator.objects.create(sheet=sheet, order=order, category=category, subcategory=subcategory, name=name, target_value=value)
    year_end = org.year.checkpoints.get(date__month=12, date__day=31)
    SpendReport.objects.create(sheet=sheet, checkpoint=year_end, amount=Decimal("46.00"), reported_by=org.owner, reported_at=year_end_time())
    return sheet


def year_end_time():
    import datetime

    from django.utils import timezone

    return timezone.make_aware(datetime.datetime(2024, 12, 31, 17, 0))


@pytest.fixture
def evaluation(org, worked_sheet):
    return services.evaluation_create(sheet=worked_sheet, user=org.owner)
