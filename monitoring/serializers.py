"""The monitoring report and the 处置 as the pages and the API show them, and what a PUT takes."""

from __future__ import annotations

from rest_framework import serializers

from monitoring import reporting
from monitoring.models import DISPOSAL_CHAIN, REPORT_CHAIN, Likelihood, ReasonKind
from people.roles import display_name

COLOUR_HELP = "red / yellow / blue / green；空：不评价或未填写"


def represent(report) -> dict:
    """The report as saved, with each light's rule and numbers (graded again from what is saved)."""
    rows = list(report.rows.all())
    graded = reporting.grade(report, rows)
    return {
        "id": report.pk, "sheet": report.sheet_id, "point": report.point_date, "point_label": report.point_label,
        "title": report.display_title, "pack": report.pack.name, "state": report.state,
        "state_label": REPORT_CHAIN.label(report.state), "version": report.version,
        "spending": {
            "amount": graded.spending.amount, "percent": graded.spending.actual, "planned": graded.spending.planned,
            "line": graded.spending.line, "colour": graded.money.colour, "label": graded.money.label,
            "how": graded.money.how,
        },
        "rows": [
            {
                "id": row.pk, "category": row.category, "subcategory": row.subcategory, "indicator": row.name,
                "target": row.target, "qualitative": reporting.is_qualitative(row), "current": row.current,
                "level": row.level, "forecast": row.forecast, "likelihood": row.likelihood,
                "reason_kind": row.reason_kind, "reason_note": row.reason_note, "measures": row.measures,
                "colour": light.colour if light is not None else "",
                "label": light.label if light is not None else "未填写",
                "how": light.how if light is not None else "",
                "reason_required": bool(light is not None and light.reason_required),
            }
            for row, light in zip(rows, graded.rows)
        ],
        "colour": graded.sheet.colour, "label": graded.sheet.label, "how": graded.sheet.how,
        "missing": reporting.missing(report, rows, graded),
        "updated_by": display_name(report.updated_by) if report.updated_by_id else None,
    }


class MonitoringSpendingSerializer(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, help_text="累计实际支出（万元），未填报为空")
    percent = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="累计支出进度（%），未填报按 0")
    planned = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True, help_text="本表资金支出计划（%）")
    line = serializers.DecimalField(max_digits=8, decimal_places=2, help_text="规则包在该时点的累计支出进度（%）")
    colour = serializers.CharField(help_text=COLOUR_HELP)
    label = serializers.CharField()
    how = serializers.CharField(help_text="规则与算式")


class MonitoringRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    category = serializers.CharField(help_text="一级指标")
    subcategory = serializers.CharField(help_text="二级指标")
    indicator = serializers.CharField(help_text="三级指标")
    target = serializers.CharField(help_text="指标值（在用）")
    qualitative = serializers.BooleanField(help_text="定性指标：填 level，不填 current")
    current = serializers.CharField(help_text="当前完成值，如 96%、5个")
    level = serializers.CharField(help_text="定性指标的完成情况：达到 / 部分达到 / 未达到")
    forecast = serializers.CharField(help_text="全年预计完成情况")
    likelihood = serializers.ChoiceField(choices=Likelihood.choices, allow_blank=True, help_text="完成目标可能性")
    reason_kind = serializers.ChoiceField(choices=ReasonKind.choices, allow_blank=True, help_text="偏差原因")
    reason_note = serializers.CharField(help_text="偏差原因说明")
    measures = serializers.CharField(help_text="纠偏措施")
    colour = serializers.CharField(help_text=COLOUR_HELP)
    label = serializers.CharField()
    how = serializers.CharField(help_text="规则与算式")
    reason_required = serializers.BooleanField(help_text="规则包要求说明偏差原因")


class MonitoringReportSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sheet = serializers.IntegerField()
    point = serializers.DateField(help_text="监控时点")
    point_label = serializers.CharField()
    title = serializers.CharField()
    pack = serializers.CharField(help_text="规则包")
    state = serializers.CharField()
    state_label = serializers.CharField()
    version = serializers.IntegerField()
    spending = MonitoringSpendingSerializer()
    rows = MonitoringRowSerializer(many=True)
    colour = serializers.CharField(help_text=f"全表灯色（取最差）；{COLOUR_HELP}")
    label = serializers.CharField()
    how = serializers.CharField()
    missing = serializers.ListField(child=serializers.CharField(), help_text="提交前还需填写的内容")
    updated_by = serializers.CharField(allow_null=True)


class MonitoringPointSerializer(serializers.Serializer):
    point = serializers.DateField(help_text="监控时点")
    label = serializers.CharField()
    expected = serializers.DecimalField(max_digits=6, decimal_places=2, help_text="累计支出进度（%）")
    report_by = serializers.DateField(help_text="报送截止日")
    report = MonitoringReportSerializer(allow_null=True, help_text="该时点的运行监控表；未填报为空")


class MonitoringRowPutSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="行编号（GET 的 rows[].id）")
    current = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    level = serializers.CharField(required=False, allow_blank=True)
    forecast = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    likelihood = serializers.CharField(required=False, allow_blank=True, help_text="确定能 / 有可能 / 完全不可能（或其代码）")
    reason_kind = serializers.CharField(required=False, allow_blank=True, help_text="经费保障 / 制度保障 / 人员保障 / 硬件保障 / 其他")
    reason_note = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    measures = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class MonitoringReportPutSerializer(serializers.Serializer):
    rows = MonitoringRowPutSerializer(many=True)


def represent_disposal(disposal) -> dict:
    return {
        "id": disposal.pk, "sheet": disposal.sheet_id, "title": disposal.display_title, "point": disposal.point_date,
        "point_label": disposal.point_label, "state": disposal.state, "state_label": DISPOSAL_CHAIN.label(disposal.state),
        "version": disposal.version, "warned_on": disposal.warned_on, "due": disposal.due, "grounds": disposal.grounds,
        "options": list(disposal.options), "choice": disposal.choice, "note": disposal.note,
        "adjustment": disposal.adjustment_id, "consequence": disposal.consequence,
        "consequence_on": disposal.consequence_on, "proposal_due": disposal.proposal_due, "flagged": disposal.flagged,
    }


class DisposalSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sheet = serializers.IntegerField()
    title = serializers.CharField()
    point = serializers.DateField()
    point_label = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    version = serializers.IntegerField()
    warned_on = serializers.DateField(help_text="预警日期")
    due = serializers.DateField(help_text="处置期限（工作日计）")
    grounds = serializers.CharField(help_text="预警依据")
    options = serializers.ListField(child=serializers.CharField(), help_text="规则包的处置选项")
    choice = serializers.CharField(help_text="处置决定")
    note = serializers.CharField(help_text="处置说明")
    adjustment = serializers.IntegerField(allow_null=True, help_text="选择调整时打开的目标调整（绩效目标表编号）")
    consequence = serializers.CharField(help_text="逾期未处置时记录的后果，如 暂停执行")
    consequence_on = serializers.DateField(allow_null=True)
    proposal_due = serializers.DateField(allow_null=True, help_text="需提交方案的处置决定：方案提交期限（工作日计）")
    flagged = serializers.CharField(help_text="连续预警的后果，如 列入现场核查")


class DisposalPutSerializer(serializers.Serializer):
    choice = serializers.CharField(help_text="处置选项之一")
    note = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, help_text="处置说明")




class CountyRowSerializer(serializers.Serializer):
    sheet = serializers.IntegerField()
    title = serializers.CharField()
    code = serializers.CharField(help_text="项目编码")
    agency = serializers.CharField(help_text="单位编码")
    section = serializers.CharField(allow_null=True)
    spending = MonitoringSpendingSerializer()
    report = serializers.DictField(allow_null=True, help_text="该时点的运行监控表：id、state、colour；未填报为空")
    disposal = serializers.DictField(allow_null=True, help_text="未办结的处置：id、due、choice、consequence")


class CountySerializer(serializers.Serializer):
    year = serializers.IntegerField()
    pack = serializers.CharField()
    point = serializers.DateField()
    rows = CountyRowSerializer(many=True)
    next_after = serializers.IntegerField(allow_null=True, help_text="下一页：以 after=此值 再次请求；为空时没有下一页")


def represent_county(page) -> dict:
    return {
        "year": page.year, "pack": page.pack.name, "point": page.point.date, "next_after": page.next_after,
        "rows": [
            {
                "sheet": row.sheet.pk, "title": row.sheet.display_title, "code": row.sheet.project.code,
                "agency": row.sheet.agency.code, "section": row.sheet.section.name if row.sheet.section_id else None,
                "spending": {"amount": row.spending.amount, "percent": row.spending.actual, "planned": row.spending.planned,
                             "line": row.spending.line, "colour": row.money.colour, "label": row.money.label, "how": row.money.how},
                "report": None if row.report is None else {
                    "id": row.report.pk, "state": row.report.state, "colour": row.report.colour,
                    "url": row.report.get_absolute_url(),
                },
                "disposal": None if row.disposal is None else {
                    "id": row.disposal.pk, "due": row.disposal.due.isoformat(), "choice": row.disposal.choice,
                    "consequence": row.disposal.consequence,
                },
            }
            for row in page.rows
        ],
    }
