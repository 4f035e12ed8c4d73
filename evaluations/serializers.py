"""The self-evaluation as the API shows it and what a PATCH takes."""

from __future__ import annotations

from rest_framework import serializers

from evaluations import scorecard, scoring, selectors
from evaluations.models import SelfEvaluation
from people.roles import display_name

LEVEL_CHOICES = [scoring.ACHIEVED, scoring.PARTLY, scoring.NOT_ACHIEVED]
NUMBER_HELP = "数字或数字文本，最多两位小数"


class RowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    indicator = serializers.CharField(help_text="三级指标")
    category = serializers.CharField(help_text="一级指标")
    subcategory = serializers.CharField(help_text="二级指标")
    target = serializers.CharField(help_text="指标值（调整后，如有调整）")
    rule = serializers.CharField(help_text="positive / reverse / equal / qualitative")
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True, help_text="分值（权重）")
    actual = serializers.CharField(help_text="实际完成值，如 96%、9万元、1个")
    level = serializers.ChoiceField(choices=LEVEL_CHOICES, allow_blank=True, help_text="定性指标的评价等级；定量指标为空")
    band = serializers.ListField(child=serializers.DecimalField(max_digits=6, decimal_places=2), allow_null=True,
                                 help_text="定性指标所选等级的得分区间 [下限, 上限]（上限是否含，见 how）")
    score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True, help_text="得分（定量指标由系统计算）")
    how = serializers.CharField(help_text="计分规则与算式")
    reason = serializers.CharField(help_text="未完成原因分析")


class EvaluationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sheet = serializers.IntegerField(help_text="绩效目标表编号")
    title = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField(help_text="状态；财政审核通过、等待公开日期的为“待公开（YYYY-MM-DD 公开）”")
    public_from = serializers.DateField(allow_null=True, help_text="待公开的自评表的公开日期；已公开或未通过审核时为空")
    version = serializers.IntegerField()
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="年初预算数（万元）")
    adjusted_budget = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="调整后预算数（万元）")
    spent = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, help_text="执行数（万元）")
    rate = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True, help_text="执行率（%）")
    spent_reason = serializers.CharField()
    budget_score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    budget_how = serializers.CharField()
    rows = RowSerializer(many=True)
    total = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    grade = serializers.CharField(help_text="优 / 良 / 中 / 差；未完成评分时为空")
    conclusion = serializers.CharField(help_text="评价结论")
    problems = serializers.CharField(help_text="存在问题")
    improvements = serializers.CharField(help_text="改进措施")
    missing = serializers.ListField(child=serializers.CharField(), help_text="提交前还需填写的内容")
    updated_by = serializers.CharField(allow_null=True)


def represent(evaluation: SelfEvaluation) -> dict:
    """The evaluation as GET answers it: what is saved, with each score's rule and numbers (``scorecard``)."""
    rows = list(evaluation.rows.all())
    try:
        card = scorecard.of(evaluation)
    except Exception:  # noqa: BLE001 — a saved evaluation no longer scoring (weights of a pre-filled one): no arithmetic
        card = None
    results = card.rows if card is not None else [None] * len(rows)
    return {
        "id": evaluation.pk, "sheet": evaluation.sheet_id, "title": evaluation.display_title, "state": evaluation.state,
        "state_label": selectors.state_label(evaluation), "public_from": selectors.public_from(evaluation), "version": evaluation.version,
        "budget": evaluation.budget, "adjusted_budget": evaluation.adjusted_budget, "spent": evaluation.spent,
        "rate": card.budget.rate if card is not None and card.budget is not None else None,
        "spent_reason": evaluation.spent_reason, "budget_score": evaluation.budget_score,
        "budget_how": card.budget.how if card is not None and card.budget is not None else "",
        "rows": [
            {
                "id": row.pk, "indicator": row.name, "category": row.category, "subcategory": row.subcategory,
                "target": row.target, "rule": scorecard.rule_of(row.target), "weight": row.weight, "actual": row.actual,
                "level": row.level, "band": list(result.band[:2]) if result is not None and result.band else None,
                "score": row.score, "how": result.how if result is not None else "", "reason": row.reason,
            }
            for row, result in zip(rows, results)
        ],
        "total": evaluation.total, "grade": evaluation.grade, "conclusion": evaluation.conclusion,
        "problems": evaluation.problems, "improvements": evaluation.improvements,
        "missing": card.missing if card is not None else [],
        "updated_by": display_name(evaluation.updated_by) if evaluation.updated_by_id else None,
    }


class RowPatchSerializer(serializers.Serializer):
    id = serializers.IntegerField(help_text="行编号（GET 的 rows[].id）")
    weight = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text=f"分值；{NUMBER_HELP}")
    actual = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    level = serializers.CharField(required=False, allow_blank=True, help_text="达成 / 部分达成 / 未达成（定性指标）")
    score = serializers.CharField(required=False, allow_blank=True, allow_null=True,
                                  help_text=f"得分，只对定性指标有效（定量指标的得分由系统计算，传入的值被忽略）；{NUMBER_HELP}")
    reason = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class EvaluationPatchSerializer(serializers.Serializer):
    spent = serializers.CharField(required=False, allow_blank=True, allow_null=True, help_text=f"执行数（万元）；{NUMBER_HELP}")
    spent_reason = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    conclusion = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    problems = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    improvements = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    rows = RowPatchSerializer(many=True, required=False)


class CreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()


# ---------------------------------------------------------------- 部门整体自评


class DepartmentRowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    goal = serializers.CharField(help_text="绩效目标（部门整体绩效目标的一项）")
    category = serializers.CharField(help_text="类别：总体绩效目标 / 分项绩效目标")
    target = serializers.CharField(help_text="指标值：定性（达成年度目标）或量化，如 ≥10000件")
    rule = serializers.CharField(help_text="positive / reverse / equal / qualitative")
    weight = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True, help_text="分值（权重）")
    actual = serializers.CharField(help_text="实际完成值（量化的目标）")
    level = serializers.ChoiceField(choices=LEVEL_CHOICES, allow_blank=True, help_text="定性目标的评价等级；量化目标为空")
    band = serializers.ListField(child=serializers.DecimalField(max_digits=6, decimal_places=2), allow_null=True,
                                 help_text="定性目标所选等级的得分区间 [下限, 上限]（上限是否含，见 how）")
    score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True, help_text="得分（量化目标由系统计算）")
    how = serializers.CharField(help_text="计分规则与算式")
    reason = serializers.CharField(help_text="未完成原因分析")


class DepartmentEvaluationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    agency = serializers.CharField(help_text="预算单位编码")
    year = serializers.IntegerField(help_text="预算年度")
    title = serializers.CharField()
    state = serializers.CharField()
    state_label = serializers.CharField()
    version = serializers.IntegerField()
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="年初预算数（万元，本单位已公开项目合计）")
    adjusted_budget = serializers.DecimalField(max_digits=14, decimal_places=2, help_text="调整后预算数（万元）")
    spent = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True, help_text="执行数（万元）")
    rate = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True, help_text="执行率（%）")
    spent_reason = serializers.CharField()
    budget_score = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    budget_how = serializers.CharField()
    rows = DepartmentRowSerializer(many=True)
    total = serializers.DecimalField(max_digits=6, decimal_places=2, allow_null=True)
    grade = serializers.CharField(help_text="优 / 良 / 中 / 差；未完成评分时为空")
    conclusion = serializers.CharField(help_text="评价结论")
    problems = serializers.CharField(help_text="存在问题")
    improvements = serializers.CharField(help_text="改进措施")
    missing = serializers.ListField(child=serializers.CharField(), help_text="提交前还需填写的内容")
    updated_by = serializers.CharField(allow_null=True)


def represent_department(evaluation) -> dict:
    """The department-wide self-evaluation as GET answers it (what is saved, each score's rule and numbers)."""
    from workflow.documents import chain_of

    rows = list(evaluation.rows.all())
    try:
        card = scorecard.of(evaluation)
    except Exception:  # noqa: BLE001 — as ``represent``: a saved one no longer scoring shows no arithmetic
        card = None
    results = card.rows if card is not None else [None] * len(rows)
    return {
        "id": evaluation.pk, "agency": evaluation.agency.code, "year": evaluation.fiscal_year.year,
        "title": evaluation.display_title, "state": evaluation.state, "state_label": chain_of(evaluation).label(evaluation.state),
        "version": evaluation.version, "budget": evaluation.budget, "adjusted_budget": evaluation.adjusted_budget,
        "spent": evaluation.spent, "rate": card.budget.rate if card is not None and card.budget is not None else None,
        "spent_reason": evaluation.spent_reason, "budget_score": evaluation.budget_score,
        "budget_how": card.budget.how if card is not None and card.budget is not None else "",
        "rows": [
            {
                "id": row.pk, "goal": row.name, "category": row.category, "target": row.target,
                "rule": scorecard.rule_of(row.target), "weight": row.weight, "actual": row.actual, "level": row.level,
                "band": list(result.band[:2]) if result is not None and result.band else None, "score": row.score,
                "how": result.how if result is not None else "", "reason": row.reason,
            }
            for row, result in zip(rows, results)
        ],
        "total": evaluation.total, "grade": evaluation.grade, "conclusion": evaluation.conclusion,
        "problems": evaluation.problems, "improvements": evaluation.improvements,
        "missing": card.missing if card is not None else [],
        "updated_by": display_name(evaluation.updated_by) if evaluation.updated_by_id else None,
    }


class DepartmentRowPatchSerializer(RowPatchSerializer):
    target = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False,
                                   help_text="指标值：量化一项目标（如 ≥10000件），或定性（达成年度目标）")


class DepartmentEvaluationPatchSerializer(EvaluationPatchSerializer):
    rows = DepartmentRowPatchSerializer(many=True, required=False)


